#!/bin/sh
# End-to-end benchmarks of the tmsim binary ($TMSIM): replay throughput of
# one VM with SDH + truth + migration, and the thread speed-up on a
# multi-host config.  Prints figures; targets are stated, not asserted.
set -eu
: "${TMSIM:?}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# Replay: a recorded sample stream (a .tmt file, so the generator's own
# cost is not counted) through the sampler pass-through, SDH, the truth
# tracker and exchange migration on one thread.
"$TMSIM" gen zipf --footprint 1GiB --s 1.0 --kind samples --rate 2M/s \
	--records 40M --vcpus 4 --seed 3 -o "$W/zipf.tmt" 2>/dev/null
. "$(dirname "$0")/one_vm.sh"
one_vm "$W/one.yaml" bench-one 20s "$W/zipf.tmt"

wall() { sed -n 's/.*(\([0-9.]*\) s)$/\1/p' "$1"; }

"$TMSIM" run "$W/one.yaml" --threads 1 -o "$W/r1" >/dev/null 2>"$W/e1"
samples=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sum(v['samples'] for h in s['hosts'] for v in h['vms']))" "$W/r1/summary.json")
t=$(wall "$W/e1")
python3 - "$samples" "$t" <<'PY'
import sys
n, t = int(sys.argv[1]), float(sys.argv[2])
print(f"replay (1 VM, .tmt file, sdh + truth + exchange, 1 thread): {n} samples in {t:.2f} s "
      f"= {n / t / 1e6:.1f} M samples/s (target >= 20 M/s)")
PY

# The same replay with one shadow of every other identifier kind (the zoo):
# target at most 3x the time of SDH alone.
# Sample-driven kinds only (those of configs/zoo.yaml): a scan-driven one
# refuses a samples trace; its cost is the next figure's.
kinds=""
for k in $("$TMSIM" identifiers --markdown |
	sed -n 's/^`kind: \([a-z0-9_-]*\)`.*/\1/p' | grep -v '^sdh$'); do
	grep -q "kind: $k\b" configs/zoo.yaml && kinds="$kinds $k"
done
shadows=""
for k in $kinds; do shadows="$shadows${shadows:+, }{kind: $k}"; done
one_vm "$W/zoo.yaml" bench-zoo 20s "$W/zipf.tmt" "" "[$shadows]"
# Three pairs, sdh alone then the zoo, so that both see the same machine:
# the median of the pairs' ratios.
pairs=""
for i in 1 2 3; do
	"$TMSIM" run "$W/one.yaml" --threads 1 -o "$W/r1" >/dev/null 2>"$W/e1"
	"$TMSIM" run "$W/zoo.yaml" --threads 1 -o "$W/rz" >/dev/null 2>"$W/ez"
	pairs="$pairs $(wall "$W/e1") $(wall "$W/ez")"
done
python3 - "$samples" "$kinds" $pairs <<'PY'
import statistics, sys
n, kinds = int(sys.argv[1]), sys.argv[2].split()
v = [float(x) for x in sys.argv[3:]]
t1, tz = v[0::2], v[1::2]
r = statistics.median(z / o for o, z in zip(t1, tz))
print(f"replay with a shadow of each kind ({', '.join(kinds)}): "
      f"{n / statistics.median(tz) / 1e6:.1f} M samples/s, {r:.2f}x sdh alone "
      f"(median of 3 pairs, {min(z / o for o, z in zip(t1, tz)):.2f}-"
      f"{max(z / o for o, z in zip(t1, tz)):.2f}x; target <= 3x)")
PY

# Scan delivery: a full trace (every access, 20 M over a 1 GiB Zipf
# footprint, 2 s) replayed with sdh (PEBS emulation), then with a
# scan-driven shadow at a 10 ms period: tpp (a 256 MiB window of PROT_NONE
# pages, hint faults, every accessed bit read each scan) and damon (10 ms
# sampling).  Target: at most 2x the replay without it.
"$TMSIM" gen zipf --footprint 1GiB --s 1.0 --kind accesses --rate 10M/s \
	--records 20M --vcpus 4 --seed 3 -o "$W/full.tmt" 2>/dev/null
for k in none tpp damon; do
	case $k in
	none) sh="[]" ;;
	tpp) sh="[{kind: tpp, scan_period: 10ms}]" ;;
	damon) sh="[{kind: damon, sample_interval: 10ms}]" ;;
	esac
	one_vm "$W/scan-$k.yaml" bench-scan 2s "$W/full.tmt" "" "$sh"
	"$TMSIM" run "$W/scan-$k.yaml" --threads 1 -o "$W/s-$k" >/dev/null \
		2>"$W/es-$k"
done
python3 - "$(wall "$W/es-none")" "$(wall "$W/es-tpp")" "$(wall "$W/es-damon")" <<'PY'
import sys
t0, tt, td = (float(x) for x in sys.argv[1:])
print(f"scan delivery (20 M accesses, 1 GiB Zipf, 1 thread): sdh alone {t0:.2f} s; "
      f"+ tpp at 10 ms {tt:.2f} s = {tt / t0:.2f}x, + damon at 10 ms "
      f"{td:.2f} s = {td / t0:.2f}x (target <= 2x)")
PY

# PML delivery: the same footprint with 30% stores, replayed from the host
# (migration where: host) with sdh alone, then with a vtmm shadow at a
# 10 ms round: every first store to a clean page enters a 512-entry vCPU
# log, drained when full and at each round, plus the accessed bits of the
# due queues.  Target: at most 2x the replay without it.
"$TMSIM" gen zipf --footprint 1GiB --s 1.0 --kind accesses --rate 10M/s \
	--records 20M --vcpus 4 --stores 0.3 --seed 3 -o "$W/fullw.tmt" \
	2>/dev/null
for k in none vtmm; do
	sh="[]"
	[ "$k" = none ] || sh="[{kind: vtmm, scan_period: 10ms}]"
	one_vm "$W/pml-$k.yaml" bench-pml 2s "$W/fullw.tmt" \
		", migration: {where: host}" "$sh"
	"$TMSIM" run "$W/pml-$k.yaml" --threads 1 -o "$W/p-$k" >/dev/null \
		2>"$W/ep-$k"
done
python3 - "$(wall "$W/ep-none")" "$(wall "$W/ep-vtmm")" "$W/p-vtmm" <<'PY'
import json, sys
t0, tv = (float(x) for x in sys.argv[1:3])
v = json.load(open(sys.argv[3] + "/summary.json"))["hosts"][0]["vms"][0]
c = v["identifiers"][1]["collection"]
print(f"PML delivery (20 M accesses, 30% stores, 1 GiB Zipf, 1 thread): "
      f"sdh alone {t0:.2f} s; + vtmm at 10 ms {tv:.2f} s = {tv / t0:.2f}x "
      f"({c['pml_entries']} PML entries, {c['pml_full']} full drains; "
      f"target <= 2x)")
PY

# Multi-host config: hosts in parallel on 1 and 2 threads.
python3 - "$W/multi.yaml" <<'PY'
import sys
hosts = []
for h in range(8):
    vms = "\n".join(
        f"      - name: vm{v}\n        trace: {{gen: zipf, s: 1.0, footprint: 256MiB, rate: 200k/s}}"
        for v in range(4))
    hosts.append(f"  - name: h{h}\n    fmem: 1GiB\n    smem: 8GiB\n    vms:\n{vms}")
open(sys.argv[1], "w").write(
    "name: bench-multi\nduration: 5s\ndefaults: {memory: 512MiB, fmem: 20%}\nhosts:\n"
    + "\n".join(hosts) + "\n")
PY
"$TMSIM" run "$W/multi.yaml" --threads 1 -o "$W/m1" >/dev/null 2>"$W/e2"
"$TMSIM" run "$W/multi.yaml" --threads 2 -o "$W/m2" >/dev/null 2>"$W/e3"
t1=$(wall "$W/e2")
t2=$(wall "$W/e3")
cmp -s "$W/m1/summary.json" "$W/m2/summary.json" && same=identical || same=DIFFERENT
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'threads: 8 hosts x 4 VMs: 1 thread {a:.2f} s, 2 threads {b:.2f} s, speed-up {a/b:.2f}x (target >= 1.7x); outputs $same')" "$t1" "$t2"

# The cluster bench (docs/bench.md): 100 hosts x 10 VMs of 1 GiB (mixed
# Zipf and hot-set workloads over 128-512 MiB footprints, 20k samples/s
# each), target-hit, truth on, 60 s simulated, on 2 threads: wall time,
# peak RSS, bytes per touched page.  Then one host of it (10 VMs) on 1 and
# 2 threads: the VMs of one host in parallel.
# measure CONFIG THREADS OUT: "wall_s peak_rss_bytes touched_pages samples",
# outputs in OUT
measure() {
	python3 - "$TMSIM" "$@" <<'PY'
import json, resource, subprocess, sys, time
tmsim, cfg, threads, out = sys.argv[1:]
t = time.monotonic()
subprocess.run([tmsim, "run", cfg, "--threads", threads, "-q", "-o", out],
               check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
s = json.load(open(out + "/summary.json"))
vms = [v for h in s["hosts"] for v in h["vms"]]
print(f"{wall:.2f} {rss} {sum(v['pages_touched'] for v in vms)} "
      f"{sum(v['samples'] for v in vms)}")
PY
}
python3 tests/bench/cluster.py "$W/big.yaml" 100 60s
python3 tests/bench/cluster.py "$W/host.yaml" 1 60s
big=$(measure "$W/big.yaml" 2 "$W/big")
h1=$(measure "$W/host.yaml" 1 "$W/h1")
h2=$(measure "$W/host.yaml" 2 "$W/h2")
same=identical
for f in summary.json epochs.csv timeseries.csv; do
	cmp -s "$W/h1/$f" "$W/h2/$f" || same=DIFFERENT
done
python3 - $big $h1 $h2 "$same" <<'PY'
import sys
v = sys.argv[1:-1]
same = sys.argv[-1]
bt, brss, bpg, bn = float(v[0]), int(v[1]), int(v[2]), int(v[3])
t1, rss1, pg1 = float(v[4]), int(v[5]), int(v[6])
t2 = float(v[8])
print(f"cluster: 100 hosts x 10 VMs, 60 s simulated, 2 threads: {bt:.1f} s wall "
      f"(target < 30 s), peak RSS {brss / 2**30:.2f} GiB (target < 4 GiB), "
      f"{bn / bt / 1e6:.1f} M samples/s, {bpg} pages touched: "
      f"{brss / bpg:.0f} bytes per touched page of the whole cluster")
print(f"one host of it (10 VMs, 60 s): 1 thread {t1:.2f} s, 2 threads {t2:.2f} s, "
      f"speed-up {t1 / t2:.2f}x (target >= 1.7x); outputs {same}; "
      f"peak RSS {rss1 / 2**20:.0f} MiB for {pg1} touched pages = "
      f"{rss1 / pg1:.0f} bytes per page (target <= 64)")
PY

# Import speed: real recordings made here by perf (page faults of a program
# that touches 40 x 64 MiB: about 660 k samples), read by tmsim import end
# to end (read, sort, write the .tmt at zstd -3); median of 3 runs.
rec() {
	perf record -q -e page-faults -c 1 -d --phys-data --sample-cpu -W "$@" -- \
		python3 -c 'for i in range(40): b = b"\1" * (64 << 20)' >/dev/null 2>&1
}
import_speed() { # LABEL FROM FILE
	python3 - "$TMSIM" "$@" "$W/imp.tmt" <<'PY'
import re, statistics, subprocess, sys, time
tmsim, label, src, path, out = sys.argv[1:]
times = []
for _ in range(3):
    t = time.perf_counter()
    p = subprocess.run([tmsim, "import", "--from", src, path, "-o", out],
                       capture_output=True, text=True, check=True)
    times.append(time.perf_counter() - t)
n = int(re.search(r"(\d+) samples written", p.stderr).group(1))
t = statistics.median(times)
print(f"import {label}: {n} samples in {t:.2f} s = {n / t / 1e6:.2f} M samples/s")
PY
}
if command -v perf >/dev/null 2>&1 && rec -o "$W/plain.data" && rec -z -o "$W/z.data"; then
	import_speed "perf.data" perf-data "$W/plain.data"
	import_speed "perf.data -z" perf-data "$W/z.data"
	perf script -i "$W/plain.data" --ns \
		-F pid,tid,cpu,time,event,ip,addr,phys_addr,period,weight,data_src \
		>"$W/plain.txt" 2>/dev/null
	import_speed "perf script text (README's -F list, $(($(wc -c <"$W/plain.txt") / 1048576)) MiB)" \
		perf-script "$W/plain.txt"
else
	echo "import perf.data, perf.data -z, perf script text: skipped (perf cannot record here)"
fi
