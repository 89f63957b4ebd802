#!/bin/sh
# Same config + seed => byte-identical outputs, for 1 and 2 threads;
# another seed => different outputs.  One host of 10 VMs (whose VMs run in
# parallel between the host's events) on 1, 2 and 3 threads: identical.
. "$(dirname "$0")/lib.sh"
cfg=tests/e2e/small.yaml
expect_exit 0 "$TMSIM" run "$cfg" -q -o "$WORK/a"
expect_exit 0 "$TMSIM" run "$cfg" -q -o "$WORK/b"
expect_exit 0 "$TMSIM" run "$cfg" -q --threads 2 -o "$WORK/c"
expect_exit 0 "$TMSIM" run "$cfg" -q --seed 6 -o "$WORK/d"
for f in summary.json timeseries.csv epochs.csv; do
	[ -s "$WORK/a/$f" ] || die "$f missing or empty"
	cmp "$WORK/a/$f" "$WORK/b/$f" || die "$f differs between two runs"
	cmp "$WORK/a/$f" "$WORK/c/$f" || die "$f differs with --threads 2"
done
if cmp -s "$WORK/a/epochs.csv" "$WORK/d/epochs.csv"; then
	die "another seed gave the same epochs.csv"
fi
cfg=configs/scenarios/ten.yaml
for t in 1 2 3; do
	expect_exit 0 "$TMSIM" run "$cfg" -q --threads $t -o "$WORK/ten$t"
done
for f in summary.json timeseries.csv epochs.csv; do
	[ -s "$WORK/ten1/$f" ] || die "ten: $f missing or empty"
	for t in 2 3; do
		cmp "$WORK/ten1/$f" "$WORK/ten$t/$f" ||
			die "ten: $f differs with --threads $t"
	done
done
echo ok
