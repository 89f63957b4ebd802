#!/bin/sh
# A release build (-DNDEBUG: every assert compiled out) builds without a
# warning and gives the shipped configs' golden outputs byte for byte, so
# no assert carries a side effect an output depends on and no variable
# lives for an assert alone.  It builds its own binary in build-ndebug/;
# under the sanitizers (BUILD=build-san) the plain pass has run it already
# and it says so.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
case ${BUILD:-build} in
*san*)
	echo "ndebug: run by the plain pass of make check"
	exit 0
	;;
esac
make --no-print-directory -j2 BUILD=build-ndebug OPT="-O2 -g -DNDEBUG" \
	build-ndebug/tmsim
TMSIM="$TOP/build-ndebug/tmsim" sh tests/golden.sh check
echo "ok: the -DNDEBUG build gives the golden outputs"
