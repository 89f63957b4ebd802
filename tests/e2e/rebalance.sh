#!/bin/sh
# Rebalancing scenario (DESIGN.md §6.4): two VMs, "grow" has its hot set
# grow 4x at t = 15 s.  With target-hit, "grow" is back at its target within
# a bounded time (8 s) while "steady" stays at or above its own after
# warm-up; with static, "grow" misses its target for the rest of the run;
# and on total FMEM hits utility >= 0.97 x oracle, both above static.
. "$(dirname "$0")/lib.sh"
cfg=tests/e2e/rebalance.yaml
# static takes no step (a key a policy does not take is an error), so the
# 16 MiB step is given to the dynamic policies only.
for p in static target-hit utility oracle; do
	step=
	[ $p = static ] || step="--set hosts.h0.rebalancer.step=16MiB"
	expect_exit 0 "$TMSIM" run "$cfg" -q --threads 1 \
		--set hosts.h0.rebalancer.policy=$p $step -o "$WORK/$p"
done
python3 - "$WORK" <<'PY'
import csv, json, sys
w = sys.argv[1]
def series(policy, vm):
    rows = csv.DictReader(open(f"{w}/{policy}/timeseries.csv"))
    return [(int(r["time_ns"]) / 1e9, float(r["fmem_hit_ratio"]))
            for r in rows if r["vm"] == vm]
def hits(policy):
    return json.load(open(f"{w}/{policy}/summary.json"))["cluster"]["hits_fmem"]
target = 0.8
grow = series("target-hit", "grow")
back = [t for t, r in grow if t > 15 and r >= target]
assert back and back[0] <= 15 + 8, ("grow not back at target", grow)
assert all(r >= target - 0.02 for t, r in grow if t >= back[0]), grow
steady = series("target-hit", "steady")
assert all(r >= target for t, r in steady if t >= 8), steady
static = series("static", "grow")
assert all(r < target for t, r in static if t >= 16), static
h = {p: hits(p) for p in ("static", "utility", "oracle")}
# oracle's split is the best by the true curves; realized hits also
# depend on placement, so utility may come within a hair of it or past it
assert h["utility"] >= 0.97 * h["oracle"] and h["utility"] > h["static"], h
assert h["oracle"] > h["static"], h
s = json.load(open(f"{w}/target-hit/summary.json"))
rb = s["hosts"][0]["rebalancing"]
assert rb["policy"] == "target-hit" and rb["balloon_bytes"] > 0, rb
print("ok: back at target at", back[0], "s; hits", h)
PY
