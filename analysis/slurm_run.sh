#!/bin/sh
# slurm_run.sh - run one cluster config as a Slurm job array of host shards,
# then merge them (DESIGN.md §11; docs/sweeps.md "Sharded runs").
#
#   analysis/slurm_run.sh CONFIG -o OUT [-n SHARDS] [-c CPUS] [--set KEY=VALUE]... [--seed N] [-- SBATCH_OPTIONS...]
#
# Submits one array job of SHARDS tasks (default: one per host, at most
# 1000, under Slurm's default MaxArraySize of 1001).  Task I runs
# `tmsim run CONFIG --shard I/SHARDS --threads CPUS -o OUT/parts/shard-I`:
# the hosts whose index % SHARDS == I, into a partial folder.  A second job,
# held with --dependency=afterok on the whole array, runs
# `tmsim merge OUT/parts/shard-0 ... -o OUT` and writes OUT/summary.json,
# OUT/timeseries.csv and OUT/epochs.csv: what `tmsim run CONFIG -o OUT`
# writes, byte for byte.
#
# OUT must be on a filesystem every node sees, and CONFIG and its traces
# at the same paths on every node.  Logs go to OUT/slurm/.  Resubmitting
# reruns every shard; if a task failed, the merge job never starts
# (afterok): cancel it and resubmit, or rerun the failed shard by hand and
# run the merge.
#
# Environment: TMSIM = the tmsim binary (default: `tmsim` on PATH, else
# ./tmsim).  Prints "array=JOBID" and "merge=JOBID".  Exit status: 0
# submitted, 2 bad usage or config, 1 sbatch failed.
set -eu

usage() {
	sed -n '5p' "$0" | sed 's/^# *//' >&2
	exit 2
}
# q WORD: WORD quoted for sh (inside single quotes).
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

[ $# -ge 1 ] || usage
config=$1
shift
out=
shards=
cpus=1
sets=
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-n) [ $# -ge 2 ] || usage; shards=$2; shift 2 ;;
	-c) [ $# -ge 2 ] || usage; cpus=$2; shift 2 ;;
	--set|--seed) [ $# -ge 2 ] || usage; sets="$sets $1 $(q "$2")"; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ -n "$out" ] || { echo "slurm_run.sh: -o OUT is required (a folder every node sees)" >&2; exit 2; }
for v in "$cpus" ${shards:+"$shards"}; do
	case $v in
	''|*[!0-9]*|0*) echo "slurm_run.sh: -n and -c take a whole number >= 1, got '$v'" >&2; exit 2 ;;
	esac
done

tmsim=${TMSIM:-}
if [ -z "$tmsim" ]; then
	tmsim=$(command -v tmsim || echo ./tmsim)
fi
tmsim=$(readlink -f "$tmsim")
[ -x "$tmsim" ] || { echo "slurm_run.sh: no tmsim binary at $tmsim (set TMSIM)" >&2; exit 2; }
[ -f "$config" ] || { echo "slurm_run.sh: $config: no such file" >&2; exit 2; }
config=$(readlink -f "$config")

# validate checks the config (and --set) and counts its hosts:
# "CONFIG: ok (H hosts, V VMs, ...)".
ok=$(eval "\"\$tmsim\" validate \"\$config\" $sets") || exit 2
hosts=$(printf '%s\n' "$ok" | sed -n 's/.*: ok (\([0-9]*\) hosts,.*/\1/p')
[ -n "$hosts" ] || { echo "slurm_run.sh: cannot read the host count from: $ok" >&2; exit 2; }
if [ -z "$shards" ]; then
	shards=$hosts
	[ "$shards" -le 1000 ] || shards=1000
fi
[ "$shards" -le 1000000 ] || { echo "slurm_run.sh: -n $shards: at most 1000000" >&2; exit 2; }
mkdir -p "$out/slurm" "$out/parts"
out=$(readlink -f "$out")

parts=
i=0
while [ "$i" -lt "$shards" ]; do
	parts="$parts $(q "$out/parts/shard-$i")"
	i=$((i + 1))
done
array=$(sbatch --parsable --job-name=tmsim-run --array=0-$((shards - 1)) \
	--cpus-per-task="$cpus" -o "$out/slurm/task_%A_%a.out" "$@" \
	--wrap "exec $(q "$tmsim") run $(q "$config")$sets -q --threads $cpus --shard \${SLURM_ARRAY_TASK_ID}/$shards -o $(q "$out/parts/shard-")\${SLURM_ARRAY_TASK_ID}") || exit 1
array=${array%%;*}
merge=$(sbatch --parsable --job-name=tmsim-run-merge \
	--dependency=afterok:"$array" -o "$out/slurm/merge_%j.out" "$@" \
	--wrap "exec $(q "$tmsim") merge$parts -o $(q "$out")") || exit 1
merge=${merge%%;*}
echo "slurm_run.sh: $hosts hosts in $shards array tasks; results in $out/ when job $merge ends" >&2
echo "array=$array"
echo "merge=$merge"
