#!/bin/sh
# No .c file over 1,000 lines, no function over 60 (tests/sizecheck.py);
# a copy with a planted 61-line function must fail.
. "$(dirname "$0")/lib.sh"
python3 tests/sizecheck.py >"$WORK/out" 2>&1 || { cat "$WORK/out"; die "sizecheck fails on the tree"; }
mkdir -p "$WORK/t/lib"
{
	echo "int planted(void);"
	echo "int planted(void)"
	echo "{"
	i=0
	while [ $i -lt 61 ]; do echo "	(void)0;"; i=$((i + 1)); done
	echo "}"
} >"$WORK/t/lib/planted.c"
expect_exit 1 python3 tests/sizecheck.py "$WORK/t"
grep -q 'lib/planted.c:3: planted: 61 lines' "$WORK/err" || die "long function not reported: $(cat "$WORK/err")"
echo ok
