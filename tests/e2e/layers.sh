#!/bin/sh
# The include graph keeps its layers (DESIGN.md §12): tests/depcheck.py
# passes on the tree, and fails on a copy with a planted upward include, on
# one with a planted folder cycle and on one whose engine modules need each
# other.
. "$(dirname "$0")/lib.sh"
python3 tests/depcheck.py >"$WORK/out" 2>&1 || { cat "$WORK/out"; die "depcheck fails on the tree"; }
grep -q 'layers and cycles ok' "$WORK/out" || die "depcheck printed no verdict"

plant() { # plant NAME FILE LINE: a copy of the tree with LINE added to FILE
	mkdir -p "$WORK/$1"
	cp -r lib traces models sim "$WORK/$1/"
	printf '%s\n' "$3" >>"$WORK/$1/$2"
}
plant up lib/alloc.c '#include "sim/engine/sim.h"'
expect_exit 1 python3 tests/depcheck.py "$WORK/up"
grep -q 'lib/alloc.c:.*layer lib.*may not include sim/engine' "$WORK/err" ||
	die "upward include not reported: $(cat "$WORK/err")"

plant cycle models/ident/topk.h '#include "models/migrate.h"'
expect_exit 1 python3 tests/depcheck.py "$WORK/cycle"
grep -q 'folder cycle: .*models/ident' "$WORK/err" ||
	die "folder cycle not reported: $(cat "$WORK/err")"
plant engine sim/engine/vm.c '#include "host.h"'
expect_exit 1 python3 tests/depcheck.py "$WORK/engine"
grep -q 'sim/engine module cycle: .*host -> .*vm' "$WORK/err" ||
	die "engine module cycle not reported: $(cat "$WORK/err")"
echo ok
