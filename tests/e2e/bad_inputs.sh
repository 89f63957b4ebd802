#!/bin/sh
# Every bad trace and importer input in tests/bad/ makes the tmsim binary
# exit 2 with exactly the located message pinned for it, and leaves no
# output behind (docs/errors.md).  Bad configs are tests/e2e/bad_configs.sh.
#
#   tests/bad/trace/F            `tmsim inspect F` (and --json)
#   tests/bad/import/FORMAT/F    `tmsim import --from FORMAT F -o OUT ARGS`
#   tests/bad/gen/NAME.expect    `tmsim gen ARGS -o OUT`
#
# The pins are "# expect: MESSAGE" and optional "# args: ARGS" lines, in
# F.expect when it exists (binary inputs, and text formats that allow no
# comments), else in F itself; FILE in MESSAGE (not inside a word, so
# "PERFILE2" stays) stands for F's path.
# tests/bad/make_bad_traces.py documents how the damaged traces were made.
. "$(dirname "$0")/lib.sh"
n=0
# pin NAME F: the value of the first "# NAME:" line for F.
pin() {
	src=$2
	[ -f "$2.expect" ] && src=$2.expect
	sed -n "s/^# $1: //p" "$src" | head -n 1
}
# check F WANT CMD...: CMD exits 2 and prints WANT first on stderr.
check() {
	f=$1
	pinned=$2
	shift 2
	expect_exit 2 "$@"
	got=$(head -n 1 "$WORK/err")
	[ "$got" = "$pinned" ] || die "$f:
   got: $got
  want: $pinned"
	n=$((n + 1))
}
# no_output OUT: nothing named like OUT, and no temp file, was left behind.
no_output() {
	[ ! -e "$1" ] || die "$1 written for a bad input"
	left=$(ls -A "$(dirname "$1")" | grep -c 'tmp' || true)
	[ "$left" -eq 0 ] || die "temp files left in $(dirname "$1")"
}
mkdir "$WORK/o"
for f in tests/bad/trace/*; do
	case $f in *.expect | *.py) continue ;; esac
	msg=$(pin expect "$f" | sed -E "s#(^|[^A-Za-z])FILE#\1$f#g")
	[ -n "$msg" ] || die "$f has no '# expect:' line"
	check "$f" "tmsim inspect: $msg" "$TMSIM" inspect "$f"
	check "$f --json" "tmsim inspect: $msg" "$TMSIM" inspect "$f" --json
done
for f in tests/bad/import/*/*; do
	case $f in *.expect) continue ;; esac
	fmt=$(basename "$(dirname "$f")")
	msg=$(pin expect "$f" | sed -E "s#(^|[^A-Za-z])FILE#\1$f#g")
	[ -n "$msg" ] || die "$f has no '# expect:' line"
	out=$WORK/o/import-$n.tmt
	check "$f" "tmsim import: $msg" "$TMSIM" import --from "$fmt" "$f" \
		-o "$out" $(pin args "$f")
	no_output "$out"
done
for f in tests/bad/gen/*.expect; do
	msg=$(pin expect "$f")
	[ -n "$msg" ] || die "$f has no '# expect:' line"
	out=$WORK/o/gen-$n.tmt
	check "$f" "tmsim gen: $msg" "$TMSIM" gen $(pin args "$f") -o "$out"
	no_output "$out"
done
nr_files=$(($(ls tests/bad/trace/* tests/bad/import/*/* | grep -vc '\.expect$\|\.py$') +
	$(ls tests/bad/gen/*.expect tests/bad/config/*.yaml | wc -l)))
[ "$nr_files" -ge 50 ] || die "only $nr_files bad inputs in tests/bad"
echo "ok: $n pinned failures ($nr_files bad inputs in tests/bad, configs included)"
