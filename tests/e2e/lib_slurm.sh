# Shared by the Slurm end-to-end tests (sourced after lib.sh; run.sh skips
# lib*.sh): starts a private single-node Slurm (munged, slurmctld, slurmd
# from the Debian packages, installed here when missing) under $WORK/slurm,
# waits until its node is idle, and stops the daemons at exit by the PIDs
# in their pid files.  Exits 0 with "SKIP: ..." when Slurm cannot be started
# (not installed and not root, or not root).  Sets SLURM_CONF, $node and
# wait_for SECONDS CMD....  Recipe: docs/sweeps.md "Testing with a private
# Slurm".
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 ||
   ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: Slurm is not installed and installing it needs root:"
		echo "  apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
		exit 0
	fi
	apt-get update -q >"$WORK/apt.log" 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		slurmctld slurmd slurm-client munge >>"$WORK/apt.log" 2>&1 ||
		{ cat "$WORK/apt.log" >&2; die "cannot install Slurm"; }
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the private Slurm runs its daemons as root (SlurmUser=root)"
	exit 0
fi

# munged wants every folder above its socket world-executable.
chmod 755 "$WORK"
S=$WORK/slurm
mkdir -p "$S/state" "$S/spool"
chmod 755 "$S"

# Stop by PID (TERM, wait, KILL): slurmd, slurmctld, then munged.
stop_pid() {
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || return 0
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	stop_pid "$S/slurmd.pid"
	stop_pid "$S/slurmctld.pid"
	stop_pid "$S/munged.pid"
	rm -rf "$WORK"
}
trap cleanup EXIT

dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge.key"
munged --key-file="$S/munge.key" --socket="$S/munge.sock" \
	--pid-file="$S/munged.pid" --log-file="$S/munged.log" \
	--seed-file="$S/munged.seed" || die "munged did not start"

# Private ports, so a Slurm already on this machine (or another run of this
# test) is never contacted: two free ports from the test's PID upwards.
port_listened() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'
}
port=$((20000 + ($$ % 20000) * 2))
tries=0
while port_listened "$port" || port_listened $((port + 1)); do
	port=$((port + 2))
	tries=$((tries + 1))
	[ $tries -lt 100 ] || die "no free port pair found"
done

node=$(hostname -s)
# slurmd -C describes this machine; keep ~90% of its memory schedulable.
nodeline=$(slurmd -C | head -n 1 | awk '{
	for (i = 1; i <= NF; i++)
		if ($i ~ /^RealMemory=/) { split($i, a, "="); $i = "RealMemory=" int(a[2] * 0.9) }
	print }')
cat >"$S/slurm.conf" <<EOF
ClusterName=tmsimtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
MessageTimeout=5
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge.sock
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
$nodeline NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$S/slurm.conf"
slurmctld -f "$S/slurm.conf" || die "slurmctld did not start"
slurmd -f "$S/slurm.conf" || die "slurmd did not start"

# wait_for SECONDS CMD...: poll every 0.2 s until CMD succeeds, for at
# most SECONDS of wall time (each poll is itself bounded by `timeout`).
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
node_idle() {
	timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null | grep -q idle
}
wait_for 20 node_idle || { tail -n 20 "$S/slurmctld.log" "$S/slurmd.log" >&2; die "node never idle"; }


# wait_jobs SUBMIT_OUT RESULTS: read the array and merge job ids a
# submission script printed (array=ID, merge=ID lines) into $array and
# $merge, and wait up to 60 s for both to leave the queue; on a timeout
# show the queue and the jobs' logs (RESULTS/slurm/*.out) and fail.
jobs_gone() {
	out=$(timeout 5 squeue -h -j "$array,$merge" 2>&1) || return 1
	[ -z "$out" ]
}
wait_jobs() {
	array=$(sed -n 's/^array=//p' "$1")
	merge=$(sed -n 's/^merge=//p' "$1")
	[ -n "$array" ] && [ -n "$merge" ] || die "no job ids: $(cat "$1")"
	wait_for 60 jobs_gone || {
		timeout 5 squeue -t all >&2 || true
		cat "$2/slurm/"*.out >&2 2>/dev/null || true
		die "jobs $array/$merge did not finish"
	}
}
