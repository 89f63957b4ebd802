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
cat >"$W/one.yaml" <<YAML
name: bench-one
duration: 20s
epoch: 500ms
defaults: {memory: 2GiB, fmem: 20%, vcpus: 4}
hosts:
  - name: h0
    fmem: 2GiB
    smem: 16GiB
    vms:
      - name: vm
        trace: {file: $W/zipf.tmt}
YAML

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
kinds=$("$TMSIM" identifiers --markdown | sed -n 's/^`kind: \([a-z0-9_-]*\)`.*/\1/p' |
	grep -v '^sdh$')
{
	sed -n '1,/^defaults:/p' "$W/one.yaml" | sed 's/^name: bench-one/name: bench-zoo/' |
		grep -v '^defaults:'
	echo "defaults:"
	echo "  memory: 2GiB"
	echo "  fmem: 20%"
	echo "  vcpus: 4"
	echo "  shadow_identifiers:"
	for k in $kinds; do echo "    - {kind: $k}"; done
	sed -n '/^hosts:/,$p' "$W/one.yaml"
} >"$W/zoo.yaml"
"$TMSIM" run "$W/zoo.yaml" --threads 1 -o "$W/rz" >/dev/null 2>"$W/ez"
tz=$(wall "$W/ez")
python3 - "$samples" "$t" "$tz" $kinds <<'PY'
import sys
n, t1, tz = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"replay with a shadow of each kind ({', '.join(sys.argv[4:])}): "
      f"{n / tz / 1e6:.1f} M samples/s, {tz / t1:.2f}x sdh alone "
      f"(target <= 3x)")
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

# A large cluster: 100 hosts x 10 VMs, generated traces, target-hit.
python3 - "$W/big.yaml" <<'PY'
import sys
out = ["name: bench-cluster", "duration: 5s", "epoch: 500ms",
       "defaults: {memory: 256MiB, fmem: 20%, vcpus: 2, target_hit: 0.7,",
       "           identifier: {kind: exact, window_decay: 0.5},",
       "           migration: {thrash_guard: true}}",
       "hosts:"]
for h in range(100):
    out += [f"  - name: h{h}", "    fmem: 1GiB", "    smem: 4GiB",
            "    rebalancer: {policy: target-hit}", "    vms:"]
    for v in range(10):
        s = 0.9 + 0.1 * ((h + v) % 8)
        out.append(f"      - name: vm{v}")
        out.append(f"        trace: {{gen: zipf, s: {s:.1f}, footprint: 128MiB, rate: 20k/s}}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
"$TMSIM" run "$W/big.yaml" -o "$W/big" >/dev/null 2>"$W/e4"
python3 - "$W/big/summary.json" "$(wall "$W/e4")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = float(sys.argv[2])
vms = sum(len(h["vms"]) for h in s["hosts"])
n = sum(v["samples"] for h in s["hosts"] for v in h["vms"])
rb = s["cluster"]["rebalancing"]
print(f"cluster: {len(s['hosts'])} hosts x {vms // len(s['hosts'])} VMs, 5 s simulated "
      f"in {t:.2f} s ({n / t / 1e6:.1f} M samples/s); SLO misses "
      f"{rb['slo_miss_vm_seconds']:.0f} VM-s, Jain {rb['jain_fairness']:.3f}, "
      f"FMEM saving vs static {100 * rb['fmem_saving_vs_static']:.1f}%")
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
