#!/bin/sh
# The identifier zoo (DESIGN.md §13, configs/zoo.yaml): every kind's keys
# are validated from its schema (unknown key, out-of-bounds value: exit 2,
# located); the zoo runs with one shadow of each kind, deterministic at 1
# and 2 threads; every identifier has its rows and summary block; achieved
# stays within sampling noise of the distribution oracle in unflagged
# epochs; and every kind can drive placement in both migration modes
# without breaking the capacity invariants.
. "$(dirname "$0")/lib.sh"
"$TMSIM" identifiers --markdown >"$WORK/kinds.md"
kinds=$(sed -n 's/^`kind: \([a-z0-9_-]*\)`.*/\1/p' "$WORK/kinds.md")
[ "$(echo "$kinds" | wc -l)" -ge 7 ] || die "fewer than 7 kinds: $kinds"
expect_exit 0 "$TMSIM" validate configs/zoo.yaml
# Per kind: a key it does not take, and its first bounded integer key set
# above its bound.
python3 - "$WORK/kinds.md" >"$WORK/bad.txt" <<'PY'
import re, sys
kind = None
for line in open(sys.argv[1]):
    m = re.match(r"^`kind: ([a-z0-9_-]+)`", line)
    if m:
        kind, done = m.group(1), False
        continue
    m = re.match(r"^\| `(\w+)` \| N \| [^|]* \| (\d+)\.\.(\d+) \|", line)
    if kind and m and not done:
        print(kind, m.group(1), int(m.group(3)) + 1)
        done = True
PY
[ "$(wc -l <"$WORK/bad.txt")" -ge 7 ] || die "a kind without a bounded key"
while read -r kind key big; do
	for bad in "nosuchkey: 1" "$key: $big"; do
		cat >"$WORK/bad.yaml" <<YAML
duration: 1s
hosts:
  - vms:
      - trace: {gen: uniform, footprint: 64MiB}
        shadow_identifiers: [{kind: $kind, $bad}]
YAML
		expect_exit 2 "$TMSIM" validate "$WORK/bad.yaml"
		grep -q "bad.yaml:5:" "$WORK/err" ||
			die "$kind: '$bad' not located: $(cat "$WORK/err")"
		[ "$bad" != "nosuchkey: 1" ] ||
			grep -q "not a key of identifier '$kind'" "$WORK/err" ||
			die "$kind: the error does not name the kind"
	done
	expect_exit 2 "$TMSIM" validate "$WORK/bad.yaml"
	grep -q "expected .* between" "$WORK/err" ||
		die "$kind: $key=$big: no bound in '$(cat "$WORK/err")'"
done <"$WORK/bad.txt"

# configs/zoo.yaml holds the sample-driven kinds; the scan-driven ones
# (they need a full trace) are in configs/zoo-scan.yaml and
# tests/e2e/scan.sh
zookinds=""
for k in $kinds; do
	grep -q "kind: $k\b" configs/zoo.yaml && zookinds="$zookinds $k"
done
expect_exit 0 "$TMSIM" run configs/zoo.yaml -q -o "$WORK/z1" --threads 1
expect_exit 0 "$TMSIM" run configs/zoo.yaml -q -o "$WORK/z2" --threads 2
for f in summary.json timeseries.csv epochs.csv; do
	cmp "$WORK/z1/$f" "$WORK/z2/$f" || die "$f differs with --threads 2"
done
python3 - "$WORK/z1" $zookinds <<'PY'
import csv, json, math, sys
d, kinds = sys.argv[1], sys.argv[2:]
s = json.load(open(d + "/summary.json"))
rows = list(csv.DictReader(open(d + "/epochs.csv")))
ts = list(csv.DictReader(open(d + "/timeseries.csv")))
nep = s["hosts"][0]["vms"][0]["epochs"]
epoch_ns = s["duration_ns"] // nep
for h in s["hosts"]:
    for v in h["vms"]:
        ids = v["identifiers"]
        assert sorted(i["kind"] for i in ids) == sorted(kinds), ids
        for i in ids:
            for k in ("precision", "recall", "weighted_recall"):
                assert i[k] is None or 0 <= i[k] <= 1 + 1e-9, (v["name"], i)
            assert i["memory_bytes"] > 0 and i["memory_bytes_per_page"] > 0, i
            assert i["cpu_ns_per_sample"] > 0, i
            assert i["epochs_scored"] == nep, (v["name"], i["kind"], i)
            r = [x for x in rows if x["vm"] == v["name"] and
                 x["identifier"] == i["kind"]]
            assert len(r) == nep, (v["name"], i["kind"], len(r))
            assert all(int(x["memory_bytes"]) > 0 for x in r), i["kind"]
        # achieved <= oracle in unflagged epochs, within the noise of one
        # draw of the distribution (docs/metrics.md), once FMEM is full:
        # before, first touches place the sampled pages during the epoch
        full = min(int(t["time_ns"]) for t in ts if t["vm"] == v["name"] and
                   t["fmem_resident_pages"] == t["fmem_capacity_pages"])
        for x in rows:
            if (x["vm"] == v["name"] and x["role"] == "main" and
                    x["placement_changed"] == "0" and
                    int(x["time_ns"]) - epoch_ns >= full):
                a, o = float(x["fmem_hit_ratio"]), float(x["oracle_hit_ratio"])
                assert a <= o + 0.01, (v["name"], x["epoch"], a, o)
# the timeseries never holds more FMEM pages than the capacity
for r in csv.DictReader(open(d + "/timeseries.csv")):
    assert int(r["fmem_resident_pages"]) <= int(r["fmem_capacity_pages"]), r
print("zoo:", len(kinds), "kinds,", len(rows), "epoch rows")
PY

# Every kind drives placement, in migrate and exchange mode (from a full
# trace for a scan-driven kind, from the host for a host-only one).
for kind in $kinds; do
	full=""
	case " $zookinds " in *" $kind "*) ;; *) full="kind: accesses, " ;; esac
	where=guest   # vtmm needs EPT: it places from the host only
	[ "$kind" != vtmm ] || where=host
	for mode in migrate exchange; do
		cat >"$WORK/main.yaml" <<YAML
duration: 3s
epoch: 250ms
hosts:
  - fmem: 1GiB
    smem: 4GiB
    vms:
      - memory: 512MiB
        fmem: 25%
        identifier: {kind: $kind}
        migration: {mode: $mode, where: $where}
        trace: {gen: hotset, ${full}footprint: 512MiB, hot: 96MiB,
                hot_share: 0.9, moves: [{at: 1500ms, offset: 256MiB}],
                rate: 200k/s}
YAML
		expect_exit 0 "$TMSIM" run "$WORK/main.yaml" -q -o "$WORK/m"
		python3 - "$WORK/m" "$kind" "$mode" <<'PY'
import csv, json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
v = s["hosts"][0]["vms"][0]
assert v["identifiers"][0]["kind"] == sys.argv[2], v["identifiers"]
for r in csv.DictReader(open(sys.argv[1] + "/timeseries.csv")):
    assert int(r["fmem_resident_pages"]) <= int(r["fmem_capacity_pages"]), r
print("%-10s %-8s hit %.3f oracle %.3f moves %d" % (
    sys.argv[2], sys.argv[3], v["fmem_hit_ratio"], v["oracle_hit_ratio"],
    v["migration"]["promotions"] + v["migration"]["demotions"]))
PY
		cat "$WORK/out" >/dev/null
	done
done
echo ok
