# The benches' one VM (sourced by run.sh and sdh_ab.sh):
#
#   one_vm OUT NAME DURATION TRACE [DEFAULTS [SHADOWS [TOP]]]
#
# writes to OUT the config NAME of one VM of 2 GiB (20% FMEM, 4 vCPUs) on
# a host of 2 GiB FMEM replaying TRACE for DURATION, 500 ms epochs.
# DEFAULTS adds to the VM defaults (", key: value"), SHADOWS is its shadow
# identifiers (a YAML list), TOP is one more top-level line.
one_vm() {
	cat >"$1" <<YAML
name: $2
duration: $3
epoch: 500ms
${7:-}
defaults: {memory: 2GiB, fmem: 20%, vcpus: 4${5:-}}
hosts:
  - name: h0
    fmem: 2GiB
    smem: 16GiB
    vms:
      - name: vm
        trace: {file: $4}
${6:+        shadow_identifiers: $6}
YAML
}
