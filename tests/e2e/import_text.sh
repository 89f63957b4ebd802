#!/bin/sh
# Compressed and piped text inputs: the lackey fixture gzipped after awk
# (leading space gone, as public corpora ship traces), zstd, and either
# one on standard input, and perf script text gzipped and piped, import
# to what the plain file gives (`tmsim inspect` without the lines naming
# files: counts, ops, times, footprint, heatmap).  Record-for-record
# equality is tests/test_import.c; bad compressed data tests/bad/import/.
. "$(dirname "$0")/lib.sh"
F=tests/fixtures
# same NAME: the inspect output of WORK/NAME.tmt equals WORK/plain.tmt's.
same() {
	expect_exit 0 "$TMSIM" inspect "$WORK/$1.tmt"
	grep -v '^file\|^source\|^provenance' "$WORK/out" > "$WORK/$1.txt"
	cmp -s "$WORK/plain.txt" "$WORK/$1.txt" || die "$1 differs from the plain file"
}
# piped FROM NAME FILE: import FILE from standard input through a pipe.
piped() {
	set +e
	cat "$3" | "$TMSIM" import --from "$1" - -o "$WORK/$2.tmt" 2>"$WORK/err"
	rc=$?
	set -e
	[ $rc -eq 0 ] || die "$2: import from standard input exited $rc"
}
expect_exit 0 "$TMSIM" import --from lackey $F/lackey_tiny.lackey.txt -o "$WORK/plain.tmt"
grep -q "96 accesses written" "$WORK/err" || die "lackey: expected 96 accesses"
expect_exit 0 "$TMSIM" inspect "$WORK/plain.tmt"
grep -v '^file\|^source\|^provenance' "$WORK/out" > "$WORK/plain.txt"
expect_exit 0 "$TMSIM" import --from lackey $F/lackey_tiny.awk.trace.gz -o "$WORK/gz.tmt"
same gz
expect_exit 0 "$TMSIM" import --from lackey $F/lackey_tiny.lackey.txt.zst -o "$WORK/zst.tmt"
same zst
# by magic, not by name
cp $F/lackey_tiny.lackey.txt.zst "$WORK/trace.txt"
expect_exit 0 "$TMSIM" import --from lackey "$WORK/trace.txt" -o "$WORK/named.tmt"
same named
piped lackey stdin_gz $F/lackey_tiny.awk.trace.gz
same stdin_gz
piped lackey stdin_zst $F/lackey_tiny.lackey.txt.zst
same stdin_zst
# perf script text, gzip on standard input
expect_exit 0 "$TMSIM" import --from perf-script $F/pagetouch.perf-script.txt -o "$WORK/plain.tmt"
expect_exit 0 "$TMSIM" inspect "$WORK/plain.tmt"
grep -v '^file\|^source\|^provenance' "$WORK/out" > "$WORK/plain.txt"
gzip -c $F/pagetouch.perf-script.txt > "$WORK/ps.gz"
piped perf-script ps_gz "$WORK/ps.gz"
grep -q "90 samples written" "$WORK/err" || die "perf-script: expected 90 samples"
same ps_gz
# a truncated stream on standard input: located error, exit 2, no output
head -c 300 $F/lackey_tiny.awk.trace.gz > "$WORK/cut.gz"
set +e
cat "$WORK/cut.gz" | "$TMSIM" import --from lackey - -o "$WORK/cut.tmt" 2>"$WORK/err"
rc=$?
set -e
[ $rc -eq 2 ] || die "truncated stdin exited $rc, expected 2"
grep -q -- "-@300: end of file inside a gzip stream" "$WORK/err" || die "no offset: $(cat "$WORK/err")"
[ ! -e "$WORK/cut.tmt" ] || die "partial output left"
exit 0
