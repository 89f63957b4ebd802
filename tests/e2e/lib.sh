# Shared helpers for the end-to-end tests (sourced).  $TMSIM is the binary.
set -eu
: "${TMSIM:?TMSIM must point at the tmsim binary}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$TOP"
die() {
	echo "FAIL: $*" >&2
	exit 1
}
# expect_exit CODE CMD...: run CMD, check its exit status, keep its output.
expect_exit() {
	want=$1
	shift
	set +e
	"$@" >"$WORK/out" 2>"$WORK/err"
	got_rc=$?
	set -e
	[ "$got_rc" -eq "$want" ] || {
		cat "$WORK/err" >&2
		die "'$*' exited $got_rc, expected $want"
	}
}
