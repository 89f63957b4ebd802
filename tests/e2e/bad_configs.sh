#!/bin/sh
# Every bad config in tests/bad/config/ makes the tmsim binary (run and
# validate) exit 2 with exactly the located message its "# expect:" line
# gives ("FILE" stands for the config's path); "# set:" lines are --set
# overrides.  Nothing is written to the output folder.
. "$(dirname "$0")/lib.sh"
n=0
for f in tests/bad/config/*.yaml; do
	msg=$(sed -n 's/^# expect: //p' "$f" | sed -e "s|FILE|$f|g" -e "s|DIR|$(dirname "$f")|g")
	[ -n "$msg" ] || die "$f has no '# expect:' line"
	set --
	for s in $(sed -n 's/^# set: //p' "$f"); do
		set -- "$@" --set "$s"
	done
	for cmd in validate run; do
		if [ $cmd = run ]; then expect_exit 2 "$TMSIM" run "$f" -o "$WORK/out-$n" "$@"; else expect_exit 2 "$TMSIM" validate "$f" "$@"; fi
		got=$(head -n 1 "$WORK/err")
		[ "$got" = "tmsim: $msg" ] || die "$f ($cmd):
   got: $got
  want: tmsim: $msg"
	done
	[ ! -e "$WORK/out-$n" ] || die "$f: output folder written"
	n=$((n + 1))
done
[ "$n" -ge 12 ] || die "only $n bad configs"
echo "ok: $n bad configs"
