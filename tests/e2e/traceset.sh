#!/bin/sh
# A trace set as a cluster (docs/config.md "A trace set"): a system-wide
# recording split by pid, named by a config as `traces: DIR` (relative to
# the config's folder) with reuse keys, validates and runs with one VM per
# stream, named after the streams, reuse keys applied to each; a missing
# or malformed DIR is an error at the config's line:col, exit 2.
. "$(dirname "$0")/lib.sh"
F=tests/fixtures
mkdir -p "$WORK/cfg"
# --min-samples 10: a looped stream of one sample would repeat every 1 ns
# (traces/reuse.c: a pass starts one mean gap after the last)
expect_exit 0 "$TMSIM" import --from perf-data $F/syswide.perf.data --split pid \
	--min-samples 10 -o "$WORK/cfg/set"
cat > "$WORK/cfg/c.yaml" <<'YAML'
name: set
duration: 20ms
hosts:
  - name: h0
    vms:
      - name: web
        memory: 64MiB
        trace: {gen: zipf, footprint: 16MiB, rate: 1M/s}
      - traces: set
        vcpus: 2
        trace: {loop: true, time_scale: 2, addr_offset: 1GiB}
YAML
expect_exit 0 "$TMSIM" validate "$WORK/cfg/c.yaml"
grep -q "6 VMs" "$WORK/out" || die "validate: $(cat "$WORK/out")"
expect_exit 0 "$TMSIM" run "$WORK/cfg/c.yaml" -o "$WORK/run" -q
/usr/bin/python3 - "$WORK/run/summary.json" "$WORK/cfg/set/index.json" <<'PY' || die "VMs of the set"
import json, sys
vms = json.load(open(sys.argv[1]))["config"]["hosts"][0]["vms"]
idx = json.load(open(sys.argv[2]))["streams"]
want = [s["file"][:-4].replace(".", "_") for s in idx]
assert [v["name"] for v in vms] == ["web"] + want, [v["name"] for v in vms]
for v, s in zip(vms[1:], idx):
    t = v["trace"]
    assert t["file"].endswith("/set/" + s["file"]), t["file"]
    assert t["loop"] is True and t["time_scale"] == 2.0, t
    assert t["addr_offset"] == 1 << 30, t
    assert v["vcpus"] == 2, v
    mem = max(16 << 20, (2 * s["footprint_bytes"] + (1 << 20) - 1) >> 20 << 20)
    assert v["memory"] == mem, (v["memory"], mem)
PY
# name: P prefixes every VM's name; memory given here is every VM's
sed -e 's/      - traces: set/      - traces: set\n        name: rec\n        memory: 32MiB/' \
	"$WORK/cfg/c.yaml" > "$WORK/cfg/named.yaml"
expect_exit 0 "$TMSIM" run "$WORK/cfg/named.yaml" -o "$WORK/run2" -q
/usr/bin/python3 - "$WORK/run2/summary.json" "$WORK/cfg/set/index.json" <<'PY' || die "named set"
import json, sys
vms = json.load(open(sys.argv[1]))["config"]["hosts"][0]["vms"][1:]
idx = json.load(open(sys.argv[2]))["streams"]
assert [v["name"] for v in vms] == ["rec-" + s["file"][:-4].replace(".", "_") for s in idx]
assert all(v["memory"] == 32 << 20 for v in vms)
PY
# errors, located at the traces: key (line 9, column 17)
sed 's/traces: set/traces: nope/' "$WORK/cfg/c.yaml" > "$WORK/cfg/nodir.yaml"
expect_exit 2 "$TMSIM" validate "$WORK/cfg/nodir.yaml"
grep -q "nodir.yaml:9:17: hosts\[0\].vms\[1\].traces: expected a directory of tmsim import --split, \".*cfg/nope\": not found" \
	"$WORK/err" || die "missing DIR: $(cat "$WORK/err")"
mkdir "$WORK/cfg/bad"
sed 's/traces: set/traces: bad/' "$WORK/cfg/c.yaml" > "$WORK/cfg/bad.yaml"
expect_exit 2 "$TMSIM" validate "$WORK/cfg/bad.yaml"
grep -q "bad.yaml:9:17: .*traces: expected .*bad/index.json (written by tmsim import --split), not found" \
	"$WORK/err" || die "missing index: $(cat "$WORK/err")"
printf '{"streams": [{"file": "a.tmt",\n "footprint_bytes": 1}' > "$WORK/cfg/bad/index.json"
expect_exit 2 "$TMSIM" validate "$WORK/cfg/bad.yaml"
grep -q "bad.yaml:9:17: .*traces: .*bad/index.json:2:" "$WORK/err" ||
	die "malformed index: $(cat "$WORK/err")"
echo '{"streams": [{"file": "../a.tmt", "footprint_bytes": 1}]}' > "$WORK/cfg/bad/index.json"
expect_exit 2 "$TMSIM" validate "$WORK/cfg/bad.yaml"
grep -q "index.json: streams\[0\].file: expected a .tmt file name" "$WORK/err" ||
	die "bad file name: $(cat "$WORK/err")"
sed 's/trace: {loop: true.*/trace: {gen: zipf}/' "$WORK/cfg/c.yaml" > "$WORK/cfg/gen.yaml"
expect_exit 2 "$TMSIM" validate "$WORK/cfg/gen.yaml"
grep -q "gen.yaml:11:17: hosts\[0\].vms\[1\].trace.gen: expected only reuse keys" \
	"$WORK/err" || die "gen with traces: $(cat "$WORK/err")"
exit 0
