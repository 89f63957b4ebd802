#!/bin/sh
# --split -o DIR on bad input leaves nothing: a corrupted perf.data (a
# record header overwritten), a perf script text cut inside a line, and an
# error after the temp DIR was made (--min-samples above every group) each
# exit 2 with a located message, and neither DIR nor DIR.tmp.* remains.
. "$(dirname "$0")/lib.sh"
F=tests/fixtures
# nothing_left NAME: no WORK/NAME and no WORK/NAME.tmp.*
nothing_left() {
	[ ! -e "$WORK/$1" ] || die "$1: partial DIR left"
	! ls "$WORK" | grep -q "^$1\.tmp\." || die "$1: temp DIR left"
}
# bytes 20000..20007 of the system-wide recording fall in a record header
/usr/bin/python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[20000:20008] = b"\xff" * 8
open(sys.argv[2], "wb").write(d)' $F/syswide.perf.data "$WORK/corrupt.data"
expect_exit 2 "$TMSIM" import --from perf-data "$WORK/corrupt.data" --split pid -o "$WORK/a"
grep -q "corrupt.data@20006: record of 65535 bytes" "$WORK/err" || die "corrupt: $(cat "$WORK/err")"
nothing_left a
# perf script text cut in the middle of its line 300
head -c 20000 $F/syswide.perf-script.txt > "$WORK/cut.txt"
expect_exit 2 "$TMSIM" import --from perf-script "$WORK/cut.txt" --split pid -o "$WORK/b"
grep -q "cut.txt:[0-9]*:[0-9]*: the input ends inside a line" "$WORK/err" || die "cut text: $(cat "$WORK/err")"
nothing_left b
# the same text gzipped and cut: the decompressor's error, located
gzip -c $F/syswide.perf-script.txt | head -c 3000 > "$WORK/cut.txt.gz"
expect_exit 2 "$TMSIM" import --from perf-script "$WORK/cut.txt.gz" --split comm -o "$WORK/c"
grep -q "cut.txt.gz@" "$WORK/err" || die "cut gzip: $(cat "$WORK/err")"
nothing_left c
# an error once the temp DIR exists
expect_exit 2 "$TMSIM" import --from perf-data $F/syswide.perf.data --split pid \
	--min-samples 100000 -o "$WORK/d"
grep -q "no group of .* has --min-samples 100000" "$WORK/err" || die "min-samples: $(cat "$WORK/err")"
nothing_left d
exit 0
