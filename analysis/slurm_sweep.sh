#!/bin/sh
# slurm_sweep.sh - run a tmsim sweep as a Slurm job array, then merge
# (DESIGN.md §11; docs/sweeps.md "Slurm").
#
#   analysis/slurm_sweep.sh SWEEP.yaml [-o OUT] [-t TASKS] [-c CPUS] [-- SBATCH_OPTIONS...]
#
# Submits one array job of T = min(points, TASKS) tasks (TASKS default 1000,
# under Slurm's default MaxArraySize of 1001).  Task I runs
# `tmsim sweep SWEEP -o OUT --shard I/T -j CPUS`: the points whose index % T
# == I, so a sweep larger than the array packs several points per task.
# A second job, held with --dependency=afterok on the whole array, runs
# `tmsim sweep SWEEP -o OUT --merge` and writes OUT/sweep.csv.
#
# OUT must be on a filesystem every node sees (the point folders are the
# only shared state).  Logs go to OUT/slurm/.  Points already complete are
# skipped, so resubmitting after a failure or a timeout runs only what is
# missing; if a task failed, the merge job never starts (afterok): cancel it,
# resubmit, or run the merge by hand once every point is done.
#
# Environment: TMSIM = the tmsim binary (default: `tmsim` on PATH, else
# ./tmsim).  Prints "array=JOBID" and "merge=JOBID".  Exit status: 0
# submitted, 2 bad usage or sweep file, 1 sbatch failed.
set -eu

usage() {
	sed -n '4,5p' "$0" | sed 's/^# *//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
sweep=$1
shift
out=
tasks=1000
cpus=1
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	-t) tasks=$2; shift 2 ;;
	-c) cpus=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done

tmsim=${TMSIM:-}
if [ -z "$tmsim" ]; then
	tmsim=$(command -v tmsim || echo ./tmsim)
fi
tmsim=$(readlink -f "$tmsim")
sweep=$(readlink -f "$sweep")
[ -x "$tmsim" ] || { echo "slurm_sweep.sh: no tmsim binary at $tmsim (set TMSIM)" >&2; exit 2; }

# --list resolves the output folder (the file's output: unless -o) and
# checks the sweep file; its line count is the number of points.
if [ -n "$out" ]; then
	list=$("$tmsim" sweep "$sweep" -o "$out" --list) || exit 2
else
	list=$("$tmsim" sweep "$sweep" --list) || exit 2
fi
points=$(printf '%s\n' "$list" | grep -c . || true)
[ "$points" -ge 1 ] || { echo "slurm_sweep.sh: the sweep has no points" >&2; exit 2; }
# The absolute output folder, as --list prints it after -o.
out=$(printf '%s\n' "$list" | head -n 1 | sed "s/.* -o '\\(.*\\)' --point .*/\\1/")
ntask=$tasks
[ "$points" -lt "$ntask" ] && ntask=$points
mkdir -p "$out/slurm"

array=$(sbatch --parsable --job-name=tmsim-sweep --array=0-$((ntask - 1)) \
	--cpus-per-task="$cpus" -o "$out/slurm/task_%A_%a.out" "$@" \
	--wrap "exec '$tmsim' sweep '$sweep' -o '$out' --shard \${SLURM_ARRAY_TASK_ID}/$ntask -j $cpus") || exit 1
array=${array%%;*}
merge=$(sbatch --parsable --job-name=tmsim-sweep-merge \
	--dependency=afterok:"$array" -o "$out/slurm/merge_%j.out" "$@" \
	--wrap "exec '$tmsim' sweep '$sweep' -o '$out' --merge") || exit 1
merge=${merge%%;*}
echo "slurm_sweep.sh: $points points in $ntask array tasks; sweep.csv in $out/ when job $merge ends" >&2
echo "array=$array"
echo "merge=$merge"
