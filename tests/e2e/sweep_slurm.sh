#!/bin/sh
# A sweep run as a real Slurm job array (analysis/slurm_sweep.sh) gives the
# same sweep.csv, byte for byte, as a local `tmsim sweep -j 2`.
#
# Starts a private single-node Slurm (tests/e2e/lib_slurm.sh: munged,
# slurmctld, slurmd from the Debian packages, installed here when missing)
# under the test's own folder, submits a 6-point sweep as a 4-task array
# (so tasks run 1 or 2 points each) plus its merge job, waits for both, and
# stops the daemons by the PIDs in their pid files.  Recipe: docs/sweeps.md
# "Testing with a private Slurm".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slurm.sh"

# The sweep: 3 periods x 2 seeds = 6 points of ~0.3 s.
cat >"$WORK/tiny.yaml" <<EOF
name: tiny
base: $TOP/configs/sweeps/base.yaml
set: {duration: 1s}
grid: {defaults.sampler.load_period: [997, 4093, 16381]}
seeds: 2
EOF
expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/local" -j 2 -q

TMSIM=$TMSIM sh analysis/slurm_sweep.sh "$WORK/tiny.yaml" -o "$WORK/slurm-out" \
	-t 4 >"$WORK/submit.out" 2>"$WORK/submit.err" ||
	{ cat "$WORK/submit.err" >&2; die "slurm_sweep.sh failed"; }
wait_jobs "$WORK/submit.out" "$WORK/slurm-out"
# Four array tasks ran (one log each), then the merge.
[ "$(ls "$WORK/slurm-out/slurm/" | grep -c "^task_${array}_")" -eq 4 ] ||
	die "expected 4 array task logs: $(ls "$WORK/slurm-out/slurm/")"
[ -s "$WORK/slurm-out/sweep.csv" ] || {
	cat "$WORK/slurm-out/slurm/"*.out >&2
	die "the merge job wrote no sweep.csv"
}
cmp "$WORK/local/sweep.csv" "$WORK/slurm-out/sweep.csv" ||
	die "sweep.csv from Slurm differs from the local run"
cmp "$WORK/local/sweep.json" "$WORK/slurm-out/sweep.json" ||
	die "sweep.json from Slurm differs from the local run"
[ "$(wc -l <"$WORK/local/sweep.csv")" -eq 13 ] || die "expected 6 points x 2 VMs + header"
echo ok
