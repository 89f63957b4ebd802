#!/bin/sh
# The promise of the rebalancer (DESIGN.md §6.4, docs/rebalancing.md rules
# 3-5), checked from timeseries.csv of target-hit runs:
# - tests/e2e/starve.yaml (issue 20's regression: two VMs, ample free FMEM):
#   no VM below its target after the first window, and the host's free pool
#   never grows while a VM is below its target (no shrink into an idle
#   pool).  The rule before rule 4 shrank "web" from 52,428 pages to 210 and
#   left it at a hit ratio of 0.62 with 235k pages free: this part fails on
#   it.
# - the demo's host0 and every scenario of configs/scenarios/ whose needs
#   fit in its host (all but contention): target-hit never lowers the
#   target of a VM below its target_hit, and every VM below it after the
#   first window is asked to grow unless the pool is empty or the VM is at
#   its ceiling; no VM is below its target after the first window on the
#   demo, steady, ten and noisy, and on the others no miss lasts 4
#   intervals.
. "$(dirname "$0")/lib.sh"
run() {
	expect_exit 0 "$TMSIM" run "$1" -q --threads 2 -o "$WORK/$2"
}
run tests/e2e/starve.yaml starve
run configs/cluster.yaml demo
for s in steady phase diurnal noisy ten; do
	run configs/scenarios/$s.yaml $s
done
python3 - "$WORK" <<'PY'
import csv, json, sys
w = sys.argv[1]

def load(name):
    s = json.load(open(f"{w}/{name}/summary.json"))
    hc = s["config"]["hosts"][0]
    assert hc["rebalancer"]["policy"] == "target-hit", hc["rebalancer"]
    vms = {v["name"]: v for v in hc["vms"]}
    rows = [r for r in csv.DictReader(open(f"{w}/{name}/timeseries.csv"))
            if r["host"] == hc["name"]]
    return hc, vms, rows, s["config"]["page_size"]

def below(r, vms):
    return float(r["fmem_hit_ratio"]) < vms[r["vm"]]["target_hit"]

# the regression
hc, vms, rows, _ = load("starve")
late = [(r["time_ns"], r["vm"], r["fmem_hit_ratio"]) for r in rows
        if int(r["time_ns"]) > hc["rebalancer"]["window"] and r["vm"] == "web"
        and below(r, vms)]
assert not late, ("starve: web below target after the first window", late)
times = sorted({int(r["time_ns"]) for r in rows})
free = {int(r["time_ns"]): int(r["host_free_pages"]) for r in rows}
for a, b in zip(times, times[1:]):
    if any(below(r, vms) for r in rows if int(r["time_ns"]) == a):
        assert free[b] <= free[a], ("starve: pool grew while a VM was "
                                    "below target", a, free[a], free[b])

# the promise on every scenario whose needs fit
for name in ("demo", "steady", "phase", "diurnal", "noisy", "ten"):
    hc, vms, rows, page = load(name)
    for r in rows:
        cap, tgt = int(r["fmem_capacity_pages"]), int(r["fmem_target_pages"])
        if not below(r, vms):
            continue
        assert tgt >= cap, (name, "shrank a VM below its target", r)
        ceil = vms[r["vm"]]["fmem_ceiling"] // page
        if int(r["time_ns"]) > hc["rebalancer"]["window"]:
            assert (tgt > cap or int(r["host_free_pages"]) == 0
                    or cap >= ceil), (name, "did not grow", r)

# No SLO miss after the first window where needs fit and the workloads
# keep their shape (the demo's host0, steady, ten: issue 20's acceptance),
# nor on noisy, whose neighbour's footprint grows; where a hot set grows
# in a step (phase, diurnal) every miss after the first window ends
# within 3 intervals (the change is seen one interval late; the balloon
# then takes well under one).  Lending idle FMEM as headroom and a
# grower resuming as the pool refills brought ten from 2 late VM-seconds
# and the demo from 1 to 0; lending to a VM spilling new pages into
# SMEM, noisy from 1 to 0.
for name in ("demo", "steady", "ten", "phase", "diurnal", "noisy"):
    hc, vms, rows, page = load(name)
    iv = hc["rebalancer"]["interval"]
    late = [(int(r["time_ns"]), r["vm"]) for r in rows
            if int(r["time_ns"]) > hc["rebalancer"]["window"]
            and below(r, vms)]
    if name in ("demo", "steady", "ten", "noisy"):
        assert not late, (name, "below target after the first window", late)
        continue
    for t, vm in late:
        assert not all((t - k * iv, vm) in late for k in range(4)), (
            name, "below target 4 intervals running", vm, t)

# The demo's oracle (docs/metrics.md, "placement_changed"): fewer than half
# of its VM-epochs flagged, and no unflagged epoch above the oracle by more
# than 3 standard deviations of its draw (n records: the snapshot's records
# over its epochs).  new_fmem_share bounds what placement added.
s = json.load(open(f"{w}/demo/summary.json"))
per = s["config"]["snapshot"] // s["config"]["epoch"]
recs = {(r["vm"], int(r["time_ns"])): int(r["records"])
        for r in csv.DictReader(open(f"{w}/demo/timeseries.csv"))}
snap = s["config"]["snapshot"]
ep = [r for r in csv.DictReader(open(f"{w}/demo/epochs.csv"))
      if r["role"] == "main"]
flagged = sum(r["placement_changed"] == "1" for r in ep)
assert 2 * flagged < len(ep), ("demo: half the epochs flagged", flagged, len(ep))
for r in ep:
    a, o = float(r["fmem_hit_ratio"]), float(r["oracle_hit_ratio"])
    t = -(-int(r["time_ns"]) // snap) * snap
    n = recs[(r["vm"], t)] / per
    assert 0 <= float(r["new_fmem_share"]) <= a + 1e-9, r
    if r["placement_changed"] == "0":
        assert a <= o + 3 * (o * (1 - o) / n) ** 0.5, ("demo: unflagged "
                                                       "epoch over the oracle", r)
print(f"ok: starve and 6 scenarios keep the promise; demo {flagged} of "
      f"{len(ep)} epochs flagged")
PY
