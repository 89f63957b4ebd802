#!/bin/sh
# The command line tells the truth: help texts, exit codes, errors.
. "$(dirname "$0")/lib.sh"
expect_exit 0 "$TMSIM" --help
grep -q "usage: tmsim COMMAND" "$WORK/out" || die "--help has no usage"
for c in run validate gen import inspect report sweep; do
	expect_exit 0 "$TMSIM" $c --help
	grep -q "usage: tmsim $c" "$WORK/out" || die "$c --help has no usage"
done
expect_exit 2 "$TMSIM"
expect_exit 2 "$TMSIM" frobnicate
grep -q "unknown command 'frobnicate'" "$WORK/err" || die "unknown command"
expect_exit 2 "$TMSIM" run
expect_exit 2 "$TMSIM" run tests/e2e/small.yaml --threads 0
expect_exit 2 "$TMSIM" run "$WORK/nope.yaml"
grep -q "nope.yaml" "$WORK/err" || die "missing config not named"
expect_exit 0 "$TMSIM" validate tests/e2e/small.yaml
grep -q "ok (2 hosts, 4 VMs" "$WORK/out" || die "validate summary"
expect_exit 2 "$TMSIM" report "$WORK/none"
# --set reaches the config, and a bad --set is located.
expect_exit 0 "$TMSIM" run tests/e2e/small.yaml -q --set duration=1s \
	--set hosts.h0.vms.zipf.identifier.width=1024 -o "$WORK/s"
python3 - "$WORK/s/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["duration_ns"] == 1000000000, s["duration_ns"]
vm = s["config"]["hosts"][0]["vms"][0]
assert vm["identifier"]["width"] == 1024, vm["identifier"]
PY
expect_exit 2 "$TMSIM" run tests/e2e/small.yaml --set nosuchkey=3
grep -q "nosuchkey" "$WORK/err" || die "bad --set not named"
# --zstd-level: checked before anything is written; the records do not
# depend on it (inspect's summary is the same at both ends of the range).
expect_exit 2 "$TMSIM" gen zipf --records 10 --zstd-level 20 -o "$WORK/l.tmt"
grep -q "zstd-level 20: expected an integer from -100 to 19" "$WORK/err" ||
	die "gen --zstd-level range"
[ ! -e "$WORK/l.tmt" ] || die "gen wrote a file for a bad level"
# tmsim import --help lists every importer with its options (printed from
# their schemas), and docs/importers.md documents every option it lists.
expect_exit 0 "$TMSIM" import --help
for imp in perf-data perf-script lackey; do
	grep -q "^  $imp " "$WORK/out" || die "import --help lacks $imp"
done
for opt in $(sed -n 's/^    --\([a-z-]*\) .*/\1/p' "$WORK/out"); do
	grep -q "^| \`$opt\`" docs/importers.md ||
		die "docs/importers.md has no row for import --$opt"
done
grep -q -- "--ns-per-instr X" "$WORK/out" || die "import --help lacks --ns-per-instr"
# A bad option value names the option and what was expected.
expect_exit 2 "$TMSIM" import --from lackey tests/fixtures/lackey_tiny.lackey.txt \
	--ns-per-instr 0 -o "$WORK/l.tmt"
grep -q "ns-per-instr: expected a number above 0" "$WORK/err" ||
	die "import --ns-per-instr 0"
expect_exit 2 "$TMSIM" import --from nosuch x -o "$WORK/l.tmt"
grep -q "expected one of perf-data, perf-script, lackey" "$WORK/err" ||
	die "import --from nosuch does not list the importers"
expect_exit 2 "$TMSIM" import --from lackey tests/fixtures/lackey_tiny.lackey.txt \
	--zstd-level x -o "$WORK/l.tmt"
grep -q "zstd-level: expected an integer" "$WORK/err" || die "import --zstd-level"
for l in -100 19; do
	expect_exit 0 "$TMSIM" gen zipf --records 20k --zstd-level=$l -o "$WORK/l$l.tmt"
	expect_exit 0 "$TMSIM" inspect --json "$WORK/l$l.tmt"
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
for k in ('file', 'source'):
    del d[k]
print(json.dumps(d, sort_keys=True))" "$WORK/out" >"$WORK/i$l"
done
cmp -s "$WORK/i-100" "$WORK/i19" || die "inspect differs between levels"
grep -q '"records": 20000' "$WORK/i19" || die "inspect lost records"
[ "$(wc -c <"$WORK/l19.tmt")" -lt "$(wc -c <"$WORK/l-100.tmt")" ] ||
	die "level 19 is not smaller than -100"
# --format: both record encodings give the same inspect output (records do
# not depend on the encoding), v2 is the default and the smaller; gen and
# import refuse other values before writing anything.
for v in 1 2; do
	expect_exit 0 "$TMSIM" gen zipf --records 20k --stores 0.3 --vcpus 3 \
		--format $v -o "$WORK/f$v.tmt"
	expect_exit 0 "$TMSIM" inspect --json "$WORK/f$v.tmt"
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
for k in ('file', 'source'):
    del d[k]
print(json.dumps(d, sort_keys=True))" "$WORK/out" >"$WORK/j$v"
	zstd -dc "$WORK/f$v.tmt" | od -An -tu4 -j8 -N4 | tr -d ' ' >"$WORK/v$v"
	[ "$(cat "$WORK/v$v")" = $v ] || die "--format $v wrote version $(cat "$WORK/v$v")"
done
cmp -s "$WORK/j1" "$WORK/j2" || die "inspect differs between --format 1 and 2"
expect_exit 0 "$TMSIM" gen zipf --records 20k --stores 0.3 --vcpus 3 -o "$WORK/f.tmt"
cmp -s "$WORK/f.tmt" "$WORK/f2.tmt" || die "gen does not write v2 by default"
[ "$(wc -c <"$WORK/f2.tmt")" -lt "$(wc -c <"$WORK/f1.tmt")" ] ||
	die "v2 is not smaller than v1"
expect_exit 2 "$TMSIM" gen zipf --records 10 --format 3 -o "$WORK/f3.tmt"
grep -q "format 3: expected 1 or 2" "$WORK/err" || die "gen --format 3"
expect_exit 2 "$TMSIM" import --from lackey tests/fixtures/lackey_tiny.lackey.txt \
	--format 0 -o "$WORK/f3.tmt"
grep -q "format: expected an integer between 1 and 2" "$WORK/err" ||
	die "import --format 0"
[ ! -e "$WORK/f3.tmt" ] || die "a bad --format wrote a file"
expect_exit 0 "$TMSIM" import --from lackey tests/fixtures/lackey_tiny.lackey.txt \
	--format 1 -o "$WORK/f4.tmt"
[ "$(zstd -dc "$WORK/f4.tmt" | od -An -tu4 -j8 -N4 | tr -d ' ')" = 1 ] ||
	die "import --format 1 did not write v1"
# An output folder that cannot be written is a runtime failure (1).
touch "$WORK/file"
expect_exit 1 "$TMSIM" run tests/e2e/small.yaml -q --set duration=1s \
	-o "$WORK/file/sub"
echo ok
