#!/bin/sh
# Run every cmocka unit test binary given as arguments, then every end-to-end
# script tests/e2e/*.sh but the sourced helpers lib*.sh (with $TMSIM
# pointing at the binary under test).
# Prints one line per test program and a closing "N passed, N failed" line;
# exits non-zero if anything failed.
set -u
pass=0
fail=0
failed=""
log_dir=${BUILD:-build}/test-logs
mkdir -p "$log_dir"
run_one() {
	name=$1
	shift
	log="$log_dir/$(basename "$name").log"
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf 'PASS  %s\n' "$name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		printf 'FAIL  %s (log: %s)\n' "$name" "$log"
		tail -n 30 "$log" | sed 's/^/      /'
	fi
}
for t in "$@"; do
	run_one "$t" "$t"
done
for s in tests/e2e/*.sh; do
	[ -f "$s" ] || continue
	case $(basename "$s") in lib*.sh) continue ;; esac
	run_one "$s" sh "$s"
done
echo
[ -z "$failed" ] || echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
