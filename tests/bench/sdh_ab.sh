#!/bin/sh
# SDH's speed, one build against another, in interleaved runs
# (docs/bench.md, "SDH against a base build"):
#
#   sh tests/bench/sdh_ab.sh BASE NEW
#
# BASE and NEW are build folders, each holding `tmsim` and
# `bench/bench_sdh` (the `build/` folder of a checkout).  PAIRS times
# (default 7), BASE's run then NEW's:
#  (a) bench_sdh's throughput lines, d = 4, w = 8192, config defaults (one
#      heap K = 1000, two heaps K = 1000, one heap K = 83886; 16-bit
#      counters), each the best of its three passes; the bench is stopped
#      once it has printed them (older builds have no BENCH_SDH_PART);
#  (b) `tmsim run` of one VM with `identifier: {kind: sdh, depth: 4,
#      width: 8192}`, truth off, replaying RECORDS samples (default 40M, a
#      Zipf 1.0 stream over 1 GiB written once by BASE's `tmsim gen`, whose
#      encoding both read), one thread; the wall time tmsim prints.
# Prints per figure the medians of BASE and NEW and the median of the
# pairs' NEW/BASE ratios (speed: > 1 is NEW faster) with their range.
# CALLGRIND=N also counts each tmsim's instructions (valgrind --tool=
# callgrind) on an N-sample replay: the whole run and sdh_update with what
# it calls.  Nothing is asserted; figures depend on the machine's load.
set -eu
[ $# -eq 2 ] || { echo "usage: sdh_ab.sh BASE NEW (build folders)" >&2; exit 2; }
for d in "$1" "$2"; do
	for f in tmsim bench/bench_sdh; do
		[ -x "$d/$f" ] || { echo "sdh_ab.sh: $d/$f: not an executable" >&2; exit 2; }
	done
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PAIRS=${PAIRS:-7} RECORDS=${RECORDS:-40M} CALLGRIND=${CALLGRIND:-}

# N, Nk or NM as a number
count() {
	case $1 in
	*M) echo $((${1%M} * 1000000)) ;;
	*k) echo $((${1%k} * 1000)) ;;
	*) echo $(($1)) ;;
	esac
}

. "$(dirname "$0")/one_vm.sh"
# one VM, sdh at d = 4, w = 8192, truth off, replaying trace $2 of $3
# samples at 2 M samples/s, for as long as the trace lasts, into config $1
config() {
	one_vm "$1" sdh-ab "$(($(count "$3") / 2000 + 1))ms" "$2" \
		", identifier: {kind: sdh, depth: 4, width: 8192}" "" \
		"truth: {enabled: false}"
}

"$1/tmsim" gen zipf --footprint 1GiB --s 1.0 --kind samples --rate 2M/s \
	--records "$RECORDS" --vcpus 4 --seed 3 -o "$W/zipf.tmt" 2>/dev/null
config "$W/one.yaml" "$W/zipf.tmt" "$RECORDS"

python3 - "$1" "$2" "$PAIRS" "$W" "$(count "$RECORDS")" <<'PY'
import re, statistics, subprocess, sys, os

base, new, pairs, w = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
records = int(sys.argv[5])
LINE = re.compile(r"throughput d=4 w=8192 K=(\d+)\s+(one-heap|two-heap)\s+"
                  r"(?:(\d+)-bit\s+)?([\d.]+) M updates/s")
WANT = [("1000", "one-heap"), ("1000", "two-heap"), ("83886", "one-heap")]


def bench(build):
    """bench_sdh's 16-bit throughput lines, M updates/s by (K, heap)."""
    env = dict(os.environ, BENCH_SDH_PART="throughput")
    p = subprocess.Popen(["stdbuf", "-oL", build + "/bench/bench_sdh"],
                         stdout=subprocess.PIPE, text=True, env=env)
    got = {}
    for line in p.stdout:
        m = LINE.search(line)
        if m and m.group(3) in (None, "16"):
            got[(m.group(1), m.group(2))] = float(m.group(4))
        if all(k in got for k in WANT):
            break
    p.terminate()
    p.wait()
    if not all(k in got for k in WANT):
        sys.exit("sdh_ab.sh: %s/bench/bench_sdh: no throughput lines" % build)
    return got


def replay(build, tag):
    """The wall time tmsim prints for the replay, in seconds."""
    r = subprocess.run([build + "/tmsim", "run", w + "/one.yaml", "--threads",
                        "1", "-o", w + "/r" + tag], capture_output=True,
                       text=True)
    m = re.search(r"\(([\d.]+) s\)\s*$", r.stderr)
    if r.returncode or not m:
        sys.exit("sdh_ab.sh: %s/tmsim run failed: %s" % (build, r.stderr))
    return float(m.group(1))


runs = {"base": [], "new": []}
for i in range(pairs):
    for tag, build in (("base", base), ("new", new)):
        b = bench(build)
        b["replay"] = replay(build, tag)
        runs[tag].append(b)


def row(label, key, unit, speed):
    a = [r[key] for r in runs["base"]]
    b = [r[key] for r in runs["new"]]
    ratio = [(y / x if speed else x / y) for x, y in zip(a, b)]
    print("%-34s base %7.2f  new %7.2f %-12s new/base %.3f (%.3f-%.3f)"
          % (label, statistics.median(a), statistics.median(b), unit,
             statistics.median(ratio), min(ratio), max(ratio)))


print("SDH d = 4, w = 8192: medians of %d interleaved pairs; ratio: speed "
      "new/base, median of the pairs (range)" % pairs)
for k, heap in WANT:
    row("bench_sdh K=%s %s" % (k, heap), (k, heap), "M upd/s", True)
row("tmsim run replay (wall)", "replay", "s", False)
print("  (%d samples: base %.1f, new %.1f M samples/s at the medians)"
      % (records, records / 1e6 / statistics.median(r["replay"] for r in runs["base"]),
         records / 1e6 / statistics.median(r["replay"] for r in runs["new"])))
PY

[ -z "$CALLGRIND" ] && exit 0
"$1/tmsim" gen zipf --footprint 1GiB --s 1.0 --kind samples --rate 2M/s \
	--records "$CALLGRIND" --vcpus 4 --seed 3 -o "$W/small.tmt" 2>/dev/null
config "$W/small.yaml" "$W/small.tmt" "$CALLGRIND"
for tag in base new; do
	[ "$tag" = base ] && b=$1 || b=$2
	valgrind --tool=callgrind --callgrind-out-file="$W/cg.$tag" \
		"$b/tmsim" run "$W/small.yaml" --threads 1 -o "$W/c$tag" \
		>/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$W/cg.$tag" 2>/dev/null |
		awk -v t="$tag" -v n="$CALLGRIND" '
		/PROGRAM TOTALS/ { gsub(",", "", $1); tot = $1 }
		/:sdh_update / && !s { gsub(",", "", $1); s = $1 }
		END { printf "callgrind %-4s %s samples: %.1f M instructions, " \
			"sdh_update %.1f M\n", t, n, tot / 1e6, s / 1e6 }'
done
