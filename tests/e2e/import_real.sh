#!/bin/sh
# Real perf recordings (tests/fixtures/README.md): -z, pipe mode from a file
# and from standard input, and --split pid of a system-wide recording, whose
# per-pid counts equal `awk` counts of its perf script text and whose
# cluster.yaml validates and runs.  Bad input leaves no DIR behind.
. "$(dirname "$0")/lib.sh"
F=tests/fixtures
for f in zstd_dd pipe_dd syswide; do
	expect_exit 0 "$TMSIM" import --from perf-data $F/$f.perf.data -o "$WORK/$f.tmt"
	n=$(wc -l < $F/$f.perf-script.txt)
	grep -q "$n samples written" "$WORK/err" || die "$f: expected $n samples"
done
expect_exit 0 "$TMSIM" inspect "$WORK/zstd_dd.tmt"
grep -q '"nr_compressed_records":' "$WORK/out" || die "-z not in provenance"
# standard input: a pipe, as `perf record -o - | tmsim import ...` gives
set +e
cat $F/pipe_dd.perf.data | "$TMSIM" import --from perf-data - -o "$WORK/in.tmt" 2>"$WORK/err"
rc=$?
set -e
[ $rc -eq 0 ] || die "stdin import exited $rc"
grep -q "113 samples written" "$WORK/err" || die "stdin: expected 113 samples"
# --split pid: per-pid counts as awk counts them
expect_exit 0 "$TMSIM" import --from perf-data $F/syswide.perf.data --split pid \
	-o "$WORK/split"
awk '{split($2, a, "/"); n[a[1]]++} END {for (p in n) print p, n[p]}' \
	$F/syswide.perf-script.txt | sort > "$WORK/want"
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for s in d["streams"]:
    print(s["key"], s["samples"])' "$WORK/split/index.json" | sort > "$WORK/got"
cmp -s "$WORK/want" "$WORK/got" || die "--split pid counts differ from awk"
expect_exit 0 "$TMSIM" validate "$WORK/split/cluster.yaml"
expect_exit 0 "$TMSIM" run "$WORK/split/cluster.yaml" -o "$WORK/run" -q
[ -s "$WORK/run/summary.json" ] || die "split cluster run wrote no summary"
# --min-samples: small groups are listed as dropped
expect_exit 0 "$TMSIM" import --from perf-data $F/syswide.perf.data --split pid \
	--min-samples 10 -o "$WORK/split10"
grep -q '"dropped"' "$WORK/split10/index.json" || die "no dropped list"
expect_exit 2 "$TMSIM" import --from perf-data $F/syswide.perf.data --split pid \
	-o "$WORK/split10"
grep -q "exists" "$WORK/err" || die "existing DIR not refused"
# a truncated recording: located error, exit 2, no DIR and no temp DIR
head -c 5000 $F/zstd_dd.perf.data > "$WORK/cut.data"
expect_exit 2 "$TMSIM" import --from perf-data "$WORK/cut.data" --split pid -o "$WORK/bad"
grep -q "cut.data@" "$WORK/err" || die "truncated -z: no offset"
[ ! -e "$WORK/bad" ] || die "partial DIR left"
ls "$WORK" | grep -q 'bad.tmp' && die "temp DIR left"
expect_exit 2 "$TMSIM" import --from lackey $F/lackey_tiny.lackey.txt --split pid -o "$WORK/lk"
exit 0
