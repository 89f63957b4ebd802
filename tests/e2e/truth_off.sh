#!/bin/sh
# truth: {enabled, vms} (DESIGN.md §7, docs/config.md) limits the truth
# tracker: a VM without truth keeps none of its per-page arrays (truth
# memory_bytes 0), reports no accuracy rows and a null oracle, and simulates
# exactly as with truth (same timeseries.csv, same placement and migration).
. "$(dirname "$0")/lib.sh"
cfg=tests/e2e/small.yaml
expect_exit 0 "$TMSIM" run "$cfg" -q -o "$WORK/on"
expect_exit 0 "$TMSIM" run "$cfg" -q -o "$WORK/off" --set truth.enabled=false
cmp "$WORK/on/timeseries.csv" "$WORK/off/timeseries.csv" ||
	die "timeseries.csv changed when truth was turned off"
cat >"$WORK/check.py" <<'PY'
import csv, json, sys
on = json.load(open(sys.argv[1] + "/summary.json"))
off = json.load(open(sys.argv[2] + "/summary.json"))
KEEP_OUT = {"truth", "oracle_hit_ratio", "efficiency", "identifiers"}
n = 0
for ho, hf in zip(on["hosts"], off["hosts"]):
    for vo, vf in zip(ho["vms"], hf["vms"]):
        assert vo["truth"]["enabled"] and vo["truth"]["memory_bytes"] > 0, vo["name"]
        assert not vf["truth"]["enabled"], vf["name"]
        assert vf["truth"]["memory_bytes"] == 0, (vf["name"], vf["truth"])
        assert vo["oracle_hit_ratio"] is not None, vo["name"]
        assert vf["oracle_hit_ratio"] is None and vf["efficiency"] is None, vf["name"]
        strip = lambda v: {k: x for k, x in v.items() if k not in KEEP_OUT}
        assert strip(vo) == strip(vf), vo["name"]
        n += 1
rows = list(csv.DictReader(open(sys.argv[2] + "/epochs.csv")))
assert not rows, "epochs.csv has rows without truth"
assert list(csv.DictReader(open(sys.argv[1] + "/epochs.csv"))), "no rows with truth"
print(n)
PY
n=$(python3 "$WORK/check.py" "$WORK/on" "$WORK/off") || die "summary check failed"
echo "ok: $n VMs simulate alike without truth"
