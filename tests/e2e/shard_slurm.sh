#!/bin/sh
# A cluster run as a real Slurm job array of host shards
# (analysis/slurm_run.sh) gives the same summary.json, timeseries.csv and
# epochs.csv, byte for byte, as the unsharded `tmsim run`.
#
# Starts a private single-node Slurm (tests/e2e/lib_slurm.sh; skipped with
# a message when it cannot start), submits the 5-host config of shard.sh
# as a 3-task array (shards of 2, 2 and 1 hosts) plus the merge job, with a
# --set passed through to every task, waits for both, and compares.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slurm.sh"

cfg=tests/e2e/shard.yaml
expect_exit 0 "$TMSIM" run "$cfg" -q --set duration=2s -o "$WORK/local"

# Bad usage is refused before anything is submitted.
expect_exit 2 env TMSIM="$TMSIM" sh analysis/slurm_run.sh "$cfg" -n 3
grep -q -- "-o OUT is required" "$WORK/err" || die "no -o: $(cat "$WORK/err")"
expect_exit 2 env TMSIM="$TMSIM" sh analysis/slurm_run.sh "$cfg" -o "$WORK/x" \
	--set nosuchkey=1
grep -q "nosuchkey" "$WORK/err" || die "bad --set not named: $(cat "$WORK/err")"
[ ! -e "$WORK/x" ] || die "a refused submission created its folder"

TMSIM=$TMSIM sh analysis/slurm_run.sh "$cfg" -o "$WORK/slurm-out" -n 3 \
	--set duration=2s >"$WORK/submit.out" 2>"$WORK/submit.err" ||
	{ cat "$WORK/submit.err" >&2; die "slurm_run.sh failed"; }
wait_jobs "$WORK/submit.out" "$WORK/slurm-out"
# Three array tasks ran (one log and one part each), then the merge.
[ "$(ls "$WORK/slurm-out/slurm/" | grep -c "^task_${array}_")" -eq 3 ] ||
	die "expected 3 array task logs: $(ls "$WORK/slurm-out/slurm/")"
for i in 0 1 2; do
	grep -q '"count": 3' "$WORK/slurm-out/parts/shard-$i/part.json" ||
		die "shard $i/3 wrote no part"
done
[ -s "$WORK/slurm-out/summary.json" ] || {
	cat "$WORK/slurm-out/slurm/"*.out >&2
	die "the merge job wrote no summary.json"
}
for f in summary.json timeseries.csv epochs.csv; do
	cmp "$WORK/local/$f" "$WORK/slurm-out/$f" ||
		die "$f from Slurm differs from the unsharded run"
done
echo ok
