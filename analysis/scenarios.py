#!/usr/bin/env python3
"""Every rebalancer policy on every scenario of the suite, as one table.

    python3 analysis/scenarios.py [--tmsim ./tmsim] [-j 2] [-o results/scenarios]
                                  [--markdown] [SCENARIO.yaml ...]

The suite is configs/scenarios/*.yaml and the demo (configs/cluster.yaml)
unless scenarios are named.  For each one a sweep over
`hosts[0].rebalancer.policy` (docs/sweeps.md) runs every policy with
`tmsim sweep`; the table scores the first host of each run
(docs/rebalancing.md, "Scenario suite"):

  need/host    fmem_needed_dynamic_bytes / host FMEM (static's run): < 1 is
               a scenario where every target can be met at once
  miss_s       slo_miss_vm_seconds (VM-seconds below target)
  late_s       of those, the VM-seconds after the first window
  starved_s    of those, the VM-seconds with less FMEM than the VM's true
               need (fmem_capacity_pages < fmem_need_pages): the split's
               misses; the rest of late_s are placement misses, a VM
               holding its need but not the right pages
  recover_s    max_time_to_recover_ns, in seconds
  hits/oracle  the host's FMEM hits over oracle's on the same scenario
  saved        1 - mean FMEM allocated / static's mean FMEM allocated
  balloon_MiB  balloon_bytes
  jain         jain_fairness
  shrunk_below intervals where a VM below target was given a lower target

Deterministic: the same binary gives the same table at any -j.
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys

POLICIES = ["static", "proportional", "target-hit", "utility", "oracle"]


def run_sweep(tmsim, cfg, out, jobs):
    """One sweep of the policies over cfg; returns {policy: point dir}."""
    os.makedirs(out, exist_ok=True)
    sweep = os.path.join(out, "sweep.yaml")
    with open(sweep, "w") as f:
        f.write("base: %s\n" % os.path.abspath(cfg))
        f.write("grid:\n  hosts[0].rebalancer.policy: [%s]\n"
                % ", ".join(POLICIES))
    r = subprocess.run([tmsim, "sweep", sweep, "-j", str(jobs), "-o", out],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode:
        sys.exit("scenarios: %s: tmsim sweep failed:\n%s" % (cfg, r.stdout))
    return {p: os.path.join(out, "points", "p%04d" % i)
            for i, p in enumerate(POLICIES)}


def host_rows(point, host):
    with open(os.path.join(point, "timeseries.csv")) as f:
        return [r for r in csv.DictReader(f) if r["host"] == host]


def shrunk_below(rows, targets):
    """Rows where a VM below its target was given a lower FMEM target."""
    return sum(1 for r in rows
               if float(r["fmem_hit_ratio"]) < targets[r["vm"]]
               and int(r["fmem_target_pages"]) < int(r["fmem_capacity_pages"]))


def score(point):
    s = json.load(open(os.path.join(point, "summary.json")))
    h = s["hosts"][0]
    rb = h["rebalancing"]
    hc = s["config"]["hosts"][0]
    window = hc["rebalancer"]["window"]            # ns in the echo
    targets = {v["name"]: v["target_hit"] for v in hc["vms"]}
    rows = host_rows(point, h["name"])
    late = [r for r in rows if int(r["time_ns"]) > window
            and float(r["fmem_hit_ratio"]) < targets[r["vm"]]]
    starved = sum(1 for r in late if int(r["fmem_capacity_pages"]) <
                  int(r["fmem_need_pages"]))
    snap = s["config"]["snapshot"] / 1e9
    return {
        "host": h["name"],
        "fmem": h["fmem_bytes"],
        "need": rb["fmem_needed_dynamic_bytes"],
        "miss": rb["slo_miss_vm_seconds"],
        "late": len(late) * snap,
        "starved": starved * snap,
        "recover": rb["max_time_to_recover_ns"] / 1e9,
        "hits": h["totals"]["hits_fmem"],
        "alloc": rb["fmem_mean_allocated_bytes"],
        "balloon": rb["balloon_bytes"],
        "jain": rb["jain_fairness"],
        "shrunk": shrunk_below(rows, targets),
    }


def table(results, markdown):
    head = ["scenario", "need/host", "policy", "miss_s", "late_s",
            "starved_s", "recover_s", "hits/oracle", "saved", "balloon_MiB", "jain",
            "shrunk_below"]
    lines = []
    for name, res in results:
        st, orc = res["static"], res["oracle"]
        for p in POLICIES:
            r = res[p]
            lines.append([
                name, "%.2f" % (st["need"] / st["fmem"]), p,
                "%.0f" % r["miss"], "%.0f" % r["late"],
                "%.0f" % r["starved"],
                "%.0f" % r["recover"], "%.3f" % (r["hits"] / orc["hits"]),
                "%+.2f" % (1 - r["alloc"] / st["alloc"]),
                "%.0f" % (r["balloon"] / 2**20), "%.3f" % r["jain"],
                "%d" % r["shrunk"]])
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|" + "---|" * len(head)]
        out += ["| " + " | ".join(l) + " |" for l in lines]
        return "\n".join(out)
    w = [max(len(x) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join("%%-%ds" % n if i < 3 else "%%%ds" % n
                    for i, n in enumerate(w))
    return "\n".join(fmt % tuple(l) for l in [head] + lines)


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--tmsim", default=os.path.join(top, "tmsim"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-o", default="results/scenarios")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    cfgs = a.scenarios or (
        sorted(glob.glob(os.path.join(top, "configs/scenarios/*.yaml")))
        + [os.path.join(top, "configs/cluster.yaml")])
    results = []
    for cfg in cfgs:
        name = os.path.splitext(os.path.basename(cfg))[0]
        name = "demo" if name == "cluster" else name
        points = run_sweep(a.tmsim, cfg, os.path.join(a.o, name), a.j)
        results.append((name, {p: score(d) for p, d in points.items()}))
    print(table(results, a.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
