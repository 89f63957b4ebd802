#!/bin/sh
# A sweep driven by GNU parallel from `tmsim sweep --list` gives the same
# sweep.csv, byte for byte, as a local `tmsim sweep -j 2`; --merge refuses
# while points are missing; a second pass (parallel --resume) runs nothing.
# GNU parallel is installed here when missing (Debian package `parallel`).
. "$(dirname "$0")/lib.sh"

if ! command -v parallel >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: GNU parallel is not installed and installing it needs root:"
		echo "  apt-get install -y --no-install-recommends parallel"
		exit 0
	fi
	apt-get update -q >"$WORK/apt.log" 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		parallel >>"$WORK/apt.log" 2>&1 ||
		{ cat "$WORK/apt.log" >&2; die "cannot install parallel"; }
fi

# 3 periods zipped with 3 widths x 2 seeds = 6 points of ~0.3 s.
cat >"$WORK/tiny.yaml" <<EOF
name: tiny
base: $TOP/configs/sweeps/base.yaml
set: {duration: 1s}
zip:
  defaults.sampler.load_period: [997, 4093, 16381]
  defaults.identifier.width: [1024, 4096, 8192]
seeds: [3, 4]
EOF
expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/local" -j 2 -q

# --list: one command per point, absolute paths, usable from another folder.
expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --list
cp "$WORK/out" "$WORK/cmds"
[ "$(wc -l <"$WORK/cmds")" -eq 6 ] || die "--list printed $(wc -l <"$WORK/cmds") lines"
grep -q -- "--point 5 " "$WORK/cmds" || die "--list has no point 5"
grep -q "'$WORK/par'" "$WORK/cmds" || die "--list output folder not absolute"
expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --list --shard 1/4
[ "$(sed 's/.*--point \([0-9]*\).*/\1/' "$WORK/out" | tr '\n' ' ')" = "1 5 " ] ||
	die "--shard 1/4 listed: $(cat "$WORK/out")"

# Nothing run yet: the merge refuses and names the missing points.
expect_exit 1 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --merge
grep -q "6 of 6 points missing: p0000, p0001, p0002, p0003, p0004, p0005" "$WORK/err" ||
	die "merge did not list the missing points: $(cat "$WORK/err")"

(cd / && parallel --will-cite -j 2 --joblog "$WORK/joblog" <"$WORK/cmds") ||
	die "parallel reported failed jobs"
[ "$(tail -n +2 "$WORK/joblog" | awk '$7 == 0' | wc -l)" -eq 6 ] ||
	die "joblog does not show 6 successful jobs"
# --resume: every job is in the joblog, so nothing runs again.
parallel --will-cite -j 2 --joblog "$WORK/joblog" --resume <"$WORK/cmds"
[ "$(tail -n +2 "$WORK/joblog" | wc -l)" -eq 6 ] || die "--resume reran jobs"
# Running the list again without parallel's joblog: the points are complete,
# so tmsim itself skips them.
sh "$WORK/cmds" || die "rerunning the list failed"
for d in "$WORK"/par/points/p*; do
	[ "$(grep -c '^done' "$d/run.log")" -eq 1 ] || die "$d did not run exactly once"
done

expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --merge
cmp "$WORK/local/sweep.csv" "$WORK/par/sweep.csv" ||
	die "sweep.csv from GNU parallel differs from the local run"
head -n 1 "$WORK/par/sweep.csv" |
	grep -q "^point,seed,defaults.sampler.load_period,defaults.identifier.width,host,vm," ||
	die "sweep.csv header: $(head -n 1 "$WORK/par/sweep.csv")"

# A partial merge: drop one point, --partial merges the others.
rm "$WORK/par/points/p0002/summary.json"
expect_exit 1 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --merge
grep -q "1 of 6 points missing: p0002" "$WORK/err" || die "missing p0002 not named"
expect_exit 0 "$TMSIM" sweep "$WORK/tiny.yaml" -o "$WORK/par" --merge --partial
[ "$(wc -l <"$WORK/par/sweep.csv")" -eq 11 ] || die "partial merge should hold 5 points x 2 VMs"
if grep -q "^2," "$WORK/par/sweep.csv"; then
	die "partial merge holds the missing point"
fi
echo ok
