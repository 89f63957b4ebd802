#!/bin/sh
# The scan-driven identifier zoo on a lackey trace the repo makes itself
# (README "Identifier zoo"): analysis/hot_lackey.py writes a valgrind lackey
# trace (a 16 MiB buffer written, then its last 2 MiB read 90% of the
# time), tmsim imports it as a full trace, and one VM per placing
# identifier (damon, tpp, autotiering, vtmm from the host, sdh; migrate
# mode, exact as shadow; 64 MiB VMs with 4 MiB of FMEM, 3 s) replays it.
#   sh analysis/zoo_scan_lackey.sh OUTDIR      (TMSIM: the binary, default ./tmsim)
# Prints the table of analysis/zoo_scan_table.py; leaves the trace, the
# config and the results in OUTDIR.
set -eu
out=${1:?usage: zoo_scan_lackey.sh OUTDIR}
tmsim=${TMSIM:-./tmsim}
here=$(dirname "$0")
mkdir -p "$out"
python3 "$here/hot_lackey.py" "$out/hot.lackey"
"$tmsim" import --from lackey "$out/hot.lackey" --time index --rate 100k/s \
	-o "$out/hot.tmt" >/dev/null
vm() {
	cat <<YAML
      - name: $1
        identifier: {kind: $1}
        migration: {mode: migrate, where: $2}
YAML
}
{
	cat <<YAML
name: zoo-scan-lackey
seed: 11
duration: 3s
epoch: 100ms
snapshot: 1s
defaults:
  vcpus: 2
  memory: 64MiB
  fmem: 4MiB
  sampler: {load_period: 97, store_period: 97}
  shadow_identifiers: [{kind: exact}]
  trace: {file: $out/hot.tmt}
hosts:
  - name: lackey
    fmem: 1GiB
    smem: 4GiB
    vms:
YAML
	vm damon guest
	vm tpp guest
	vm autotiering guest
	vm vtmm host
	vm sdh guest
} >"$out/zoo-scan-lackey.yaml"
"$tmsim" run "$out/zoo-scan-lackey.yaml" -q -o "$out/results"
python3 "$here/zoo_scan_table.py" "$out/results"
