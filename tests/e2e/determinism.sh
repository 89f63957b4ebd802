#!/bin/sh
# Same config + seed => byte-identical outputs, for 1 and 2 threads;
# another seed => different outputs.
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
echo ok
