#!/bin/sh
# Crash safety (STYLE.md habit 12, docs/errors.md): tmsim killed with
# SIGKILL at a random moment during a run, an import and a sweep never
# leaves a half-written file under a final name.  20 iterations with seeded
# random delays of 0-800 ms; after every 5th, each command is rerun over
# the debris and must complete with valid outputs.
#
# What may remain after a kill: temp files, and only those, named
# ".NAME.tmp.PID" (results, sweep files and .tmt traces alike);
# a rerun does not need them removed (docs/errors.md says why they stay).
# Checked after every kill: summary.json parses, each CSV present starts
# with its header line and ends with a newline, a .tmt present passes
# `tmsim inspect`, and nothing else is in the output folders.
. "$(dirname "$0")/lib.sh"
ITER=${SIGKILL_ITER:-20}

# A lackey trace of 2M lines: its import takes about half a second.
awk 'BEGIN { for (i = 0; i < 1500000; i++) {
	if (i % 3 == 0) printf "I  %08x,3\n", 4198400 + i;
	printf " %s %08x,8\n", substr("LSM", i % 3 + 1, 1), 268435456 + (i * 28672) % 268435456 } }' \
	>"$WORK/big.lackey"
cat >"$WORK/kill-sweep.yaml" <<EOF
name: kill-sweep
base: $TOP/tests/e2e/kill.yaml
set: {duration: 300ms}
grid: {defaults.identifier.width: [1024, 4096]}
EOF

# delay SEED SALT: a reproducible delay in [0, 0.8] s.
delay() {
	awk -v s="$1" -v t="$2" 'BEGIN { srand(s * 7 + t); printf "%.3f", rand() * 0.8 }'
}
# kill_after SECONDS CMD...: start CMD, SIGKILL it after SECONDS.
kill_after() {
	d=$1
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
# only_expected DIR NAME...: DIR holds only the NAMEs and temp names.
only_expected() {
	dir=$1
	shift
	for f in $(ls -A "$dir" 2>/dev/null); do
		case " $* " in *" $f "*) continue ;; esac
		case $f in *.tmp.[0-9]*) continue ;; esac
		die "$dir/$f: unexpected file after a kill"
	done
}
check_csv() {
	[ -e "$1" ] || return 0
	[ "$(head -c 5 "$1")" = "$2" ] || die "$1: header missing"
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || die "$1: cut short"
}
check_json() {
	[ -e "$1" ] || return 0
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" ||
		die "$1: not valid JSON"
}
check_results() {
	only_expected "$1" summary.json timeseries.csv epochs.csv run.log run.err
	check_json "$1/summary.json"
	check_csv "$1/timeseries.csv" time_
	check_csv "$1/epochs.csv" epoch
}
check_trace() {
	only_expected "$(dirname "$1")" "$(basename "$1")"
	[ ! -e "$1" ] || "$TMSIM" inspect "$1" >/dev/null 2>"$WORK/inspect.err" ||
		die "$1: half-written trace: $(cat "$WORK/inspect.err")"
}
check_sweep() {
	[ -d "$1" ] || return 0
	only_expected "$1" points sweep.csv sweep.json
	check_json "$1/sweep.json"
	check_csv "$1/sweep.csv" point
	for p in "$1"/points/p*; do
		[ -d "$p" ] && check_results "$p"
	done
	return 0
}

mkdir "$WORK/trace"
i=1
while [ $i -le "$ITER" ]; do
	kill_after "$(delay $i 1)" "$TMSIM" run tests/e2e/kill.yaml -o "$WORK/run" -q
	check_results "$WORK/run"
	kill_after "$(delay $i 2)" "$TMSIM" import --from lackey "$WORK/big.lackey" \
		-o "$WORK/trace/big.tmt"
	check_trace "$WORK/trace/big.tmt"
	kill_after "$(delay $i 3)" "$TMSIM" sweep "$WORK/kill-sweep.yaml" \
		-o "$WORK/sweep" -q
	check_sweep "$WORK/sweep"
	if [ $((i % 5)) -eq 0 ]; then
		expect_exit 0 "$TMSIM" run tests/e2e/kill.yaml -o "$WORK/run" -q
		[ -e "$WORK/run/summary.json" ] || die "rerun wrote no summary.json"
		check_results "$WORK/run"
		expect_exit 0 "$TMSIM" import --from lackey "$WORK/big.lackey" \
			-o "$WORK/trace/big.tmt"
		check_trace "$WORK/trace/big.tmt"
		expect_exit 0 "$TMSIM" sweep "$WORK/kill-sweep.yaml" -o "$WORK/sweep" -q
		[ -e "$WORK/sweep/sweep.csv" ] || die "sweep rerun wrote no sweep.csv"
		check_sweep "$WORK/sweep"
		rm -rf "$WORK/run" "$WORK/sweep" "$WORK/trace"/*
	fi
	i=$((i + 1))
done
echo "ok: $ITER SIGKILL iterations of run, import and sweep"
