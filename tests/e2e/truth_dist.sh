#!/bin/sh
# Distribution truth (DESIGN.md §7, issue 22): on generated sample traces
# each epoch's oracle_hit_ratio is the distribution's best static placement,
# within 1 point, for every generator kind, a disjoint and an overlapping
# mixture, a phase change and a hot-set move inside an epoch.  1 GiB VMs,
# 20% FMEM (C = 52,428 of N = 262,144 pages), 150k samples/s, 500 ms epochs:
#   uniform C/N = 0.200; Zipf s=1 H(C)/H(N) = 0.877; hot set 128 MiB at 90%:
#   0.9 + 0.1 (C - h)/(N - h) = 0.909; scan (long-run share) 0.200.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/gen.yaml" <<'YAML'
name: truth-dist
seed: 11
duration: 3s
epoch: 500ms
defaults:
  vcpus: 4
  memory: 1GiB
  fmem: 20%
  migration: {mode: none}
hosts:
  - name: h0
    fmem: 8GiB
    smem: 16GiB
    rebalancer: {policy: static}
    vms:
      - name: uniform
        trace: {gen: uniform, footprint: 1GiB, rate: 150k/s}
      - name: zipf
        trace: {gen: zipf, s: 1.0, footprint: 1GiB, rate: 150k/s}
      - name: hotset
        trace: {gen: hotset, footprint: 1GiB, hot: 128MiB, hot_share: 0.9,
                rate: 150k/s}
      - name: scan
        trace: {gen: scan, footprint: 1GiB, rate: 150k/s}
      - name: mixd
        trace:
          mix:
            - {weight: 0.5, gen: zipf, s: 1.2, footprint: 256MiB}
            - {weight: 0.5, gen: uniform, footprint: 768MiB, base: 256MiB}
          rate: 150k/s
      - name: mixo
        trace:
          mix:
            - {weight: 0.5, gen: zipf, s: 1.0, footprint: 1GiB}
            - {weight: 0.5, gen: uniform, footprint: 1GiB}
          rate: 150k/s
      - name: phase
        trace:
          phases:
            - {at: 0s, gen: zipf, s: 1.0, footprint: 1GiB}
            - {at: 1250ms, gen: uniform, footprint: 1GiB}
          rate: 150k/s
      - name: moved
        trace: {gen: hotset, footprint: 1GiB, hot: 128MiB, hot_share: 0.9,
                moves: [{at: 1250ms, offset: 512MiB}], rate: 150k/s}
YAML
expect_exit 0 "$TMSIM" run "$WORK/gen.yaml" -q -o "$WORK/gen"
cat >"$WORK/want.py" <<'PY'
N, C, H = 262144, 52428, 32768
def zh(n, s):
    return sum(k ** -s for k in range(n, 0, -1))
z1 = zh(C, 1.0) / zh(N, 1.0)
hot = 0.9 + 0.1 * (C - H) / (N - H)
# disjoint mix: 0.5 Zipf(1.2) over 65536 pages, 0.5 uniform over 196608
n1, n2 = 65536, 196608
hz, u = zh(n1, 1.2), 0.5 / n2
k = sum(1 for r in range(1, n1 + 1) if 0.5 * r ** -1.2 / hz >= u)
mixd = (0.5 * zh(min(k, C), 1.2) / hz) + max(C - k, 0) * u
mixo = 0.5 * z1 + 0.5 * C / N
# moved: half the epoch hot at [0, H), half at [N/2, N/2 + H); C < 2H pages
# each get 0.45/H + 0.05/(N - H)
moved = C * (0.45 / H + 0.05 / (N - H))
WANT = {
    "uniform": [0.2] * 6, "zipf": [z1] * 6, "hotset": [hot] * 6,
    "scan": [0.2] * 6, "mixd": [mixd] * 6, "mixo": [mixo] * 6,
    "phase": [z1, z1, mixo, 0.2, 0.2, 0.2],
    "moved": [hot, hot, moved, hot, hot, hot],
}
PY
cat >"$WORK/check.py" <<'PY'
import csv, sys
sys.path.insert(0, sys.argv[2])
from want import WANT
tol = float(sys.argv[3])
truth = sys.argv[4]
col = sys.argv[5]
got = {}
for r in csv.DictReader(open(sys.argv[1] + "/epochs.csv")):
    if r["role"] != "main":
        continue
    assert r["truth"] == truth, (r["vm"], r["truth"])
    got.setdefault(r["vm"], []).append(float(r[col]))
for vm, want in WANT.items():
    if vm not in got:
        continue
    for e, (g, w) in enumerate(zip(got[vm], want)):
        print(f"{vm:8s} epoch {e + 1}: {col} {g:.4f}  want {w:.4f}")
        assert abs(g - w) <= tol, (vm, e + 1, g, w)
PY
python3 "$WORK/check.py" "$WORK/gen" "$WORK" 0.01 distribution oracle_hit_ratio
