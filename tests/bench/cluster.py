#!/usr/bin/env python3
"""The cluster bench's config (docs/bench.md): HOSTS hosts x 10 VMs of
1 GiB, mixed Zipf and hot-set workloads over 128-512 MiB footprints at 20k
samples/s each, target-hit rebalancing, truth on, DURATION simulated.

usage: cluster.py OUT.yaml [HOSTS [DURATION]]   (defaults: 100, 60s)
"""
import sys

FOOTPRINTS_MIB = [128, 192, 256, 384, 512]


def vm_trace(h, v):
    fp = FOOTPRINTS_MIB[(3 * h + v) % len(FOOTPRINTS_MIB)]
    if (h + v) % 2:
        s = 0.9 + 0.1 * ((h + v) % 5)
        return f"{{gen: zipf, s: {s:.1f}, footprint: {fp}MiB, rate: 20k/s}}"
    return (f"{{gen: hotset, footprint: {fp}MiB, hot: {fp // 8}MiB, "
            f"hot_share: 0.9, rate: 20k/s}}")


def main():
    out = sys.argv[1]
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    duration = sys.argv[3] if len(sys.argv) > 3 else "60s"
    lines = [f"name: bench-cluster", f"duration: {duration}", "epoch: 500ms",
             "defaults: {memory: 1GiB, fmem: 20%, vcpus: 2, target_hit: 0.7,",
             "           identifier: {kind: exact, window_decay: 0.5},",
             "           migration: {thrash_guard: true}}",
             "hosts:"]
    for h in range(hosts):
        lines += [f"  - name: h{h}", "    fmem: 2GiB", "    smem: 16GiB",
                  "    rebalancer: {policy: target-hit}", "    vms:"]
        for v in range(10):
            lines += [f"      - name: vm{v}", f"        trace: {vm_trace(h, v)}"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
