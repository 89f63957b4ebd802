#!/bin/sh
# A sweep killed with SIGKILL midway resumes: the rerun runs only the points
# that were not complete, runs each of them once, leaves complete points
# untouched, and the merged sweep.csv equals a clean run's.
#
# How a point run twice is detected: the driver appends "start" and
# "done"/"failed" lines to the point's run.log, and tmsim run renames a new
# summary.json into place (a new inode) on every run.  A point complete
# before the kill must keep its run.log bytes and its summary.json inode; a
# point not complete must end with exactly one "done" line.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/resume.yaml" <<EOF
name: resume
base: $TOP/configs/sweeps/base.yaml
set: {duration: 2s}
grid: {defaults.identifier.width: [1024, 4096, 8192]}
seeds: 2
EOF
out=$WORK/out-killed
"$TMSIM" sweep "$WORK/resume.yaml" -o "$out" -j 1 -q 2>"$WORK/killed.err" &
pid=$!
nr_done() {
	ls "$out"/points/p*/summary.json 2>/dev/null | wc -l
}
n=0
until [ "$(nr_done)" -ge 1 ]; do
	n=$((n + 1))
	[ $n -lt 600 ] || die "no point finished within 30 s"
	sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
done_at_kill=$(nr_done)
[ "$done_at_kill" -lt 6 ] || die "the sweep finished before the kill; make points longer"
# The killed driver's child died with it (PR_SET_PDEATHSIG): no orphan
# completes a point afterwards.
sleep 1
[ "$(nr_done)" -eq "$done_at_kill" ] || die "a point completed after its driver was killed"
[ ! -e "$out/sweep.csv" ] || die "sweep.csv written by a killed sweep"

# Remember the complete points; plant debris in an incomplete one (a stale
# temp file of a dead run), which the rerun must clear.
: >"$WORK/before"
for d in "$out"/points/p*; do
	if [ -e "$d/summary.json" ]; then
		cp "$d/run.log" "$d.log.before"
		echo "$d $(stat -c %i "$d/summary.json")" >>"$WORK/before"
	fi
done
mkdir -p "$out/points/p0005"
echo junk >"$out/points/p0005/.summary.json.tmp.99999"

expect_exit 0 "$TMSIM" sweep "$WORK/resume.yaml" -o "$out" -j 1
grep -q "$((6 - done_at_kill)) points to run, $done_at_kill already complete" "$WORK/err" ||
	die "rerun did not report the resume: $(cat "$WORK/err")"
while read -r d inode; do
	cmp -s "$d/run.log" "$d.log.before" || die "$d ran again: $(cat "$d/run.log")"
	[ "$(stat -c %i "$d/summary.json")" = "$inode" ] || die "$d summary.json rewritten"
done <"$WORK/before"
for i in 0 1 2 3 4 5; do
	d=$out/points/p000$i
	[ -e "$d/summary.json" ] || die "$d not complete"
	# A point complete at the kill was checked above (run.log and
	# summary.json untouched); its driver may have died between the
	# child's rename of summary.json and its own "done" line.
	grep -q "^$d " "$WORK/before" && continue
	[ "$(grep -c '^done' "$d/run.log")" -eq 1 ] ||
		die "$d completed $(grep -c '^done' "$d/run.log") times"
	[ "$(tail -n 1 "$d/run.log")" = done ] || die "$d run.log does not end with done"
done
[ ! -e "$out/points/p0005/.summary.json.tmp.99999" ] || die "stale temp file survived the rerun"

# A clean run gives the same bytes.
expect_exit 0 "$TMSIM" sweep "$WORK/resume.yaml" -o "$WORK/clean" -j 2 -q
cmp "$WORK/clean/sweep.csv" "$out/sweep.csv" || die "resumed sweep.csv differs from a clean run"
cmp "$WORK/clean/sweep.json" "$out/sweep.json" || die "sweep.json differs"
# A third run finds everything complete and runs nothing.
expect_exit 0 "$TMSIM" sweep "$WORK/resume.yaml" -o "$out" -j 2
grep -q "0 points to run, 6 already complete" "$WORK/err" || die "third run ran points"
cmp "$WORK/clean/sweep.csv" "$out/sweep.csv" || die "sweep.csv changed on a no-op run"
echo ok
