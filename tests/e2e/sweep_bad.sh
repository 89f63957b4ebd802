#!/bin/sh
# Every bad sweep file in tests/bad/sweep/ makes `tmsim sweep` exit 2 with
# exactly the located message its "# expect:" line gives ("FILE" stands for
# the file's path), before any point runs: nothing is written to the output
# folder.  The files cover what the YAML front-end refuses (malformed YAML,
# aliases), what the sweep reader refuses (duplicate and unknown keys,
# values of the wrong type) and a swept value the base config refuses.
. "$(dirname "$0")/lib.sh"
n=0
for f in tests/bad/sweep/*.yaml; do
	msg=$(sed -n 's/^# expect: //p' "$f" | sed -e "s|FILE|$f|g")
	[ -n "$msg" ] || die "$f has no '# expect:' line"
	expect_exit 2 "$TMSIM" sweep "$f" -o "$WORK/out-$n" -q
	got=$(head -n 1 "$WORK/err")
	[ "$got" = "tmsim sweep: $msg" ] || die "$f:
   got: $got
  want: tmsim sweep: $msg"
	[ ! -e "$WORK/out-$n" ] || die "$f: output folder written"
	n=$((n + 1))
done
[ "$n" -ge 8 ] || die "only $n bad sweep files"
echo "ok: $n bad sweep files"
