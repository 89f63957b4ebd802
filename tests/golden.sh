#!/bin/sh
# Golden outputs of the shipped run configs (DESIGN.md §12, STYLE.md habit
# 10): every configs/**/*.yaml with a top-level "hosts:" key is run with its
# own seed and its summary.json, epochs.csv and timeseries.csv are compared
# byte for byte with tests/golden/<name>/, <name> being the config's path
# under configs/ without .yaml, "/" turned into "-".
#   sh tests/golden.sh check     compare (make check runs this)
#   sh tests/golden.sh update    rewrite tests/golden/ (make golden); say in
#                                the commit why the outputs changed
set -eu
: "${TMSIM:?TMSIM must point at the tmsim binary}"
mode=${1:-check}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
files="summary.json epochs.csv timeseries.csv"
bad=0
for cfg in $(find configs -name '*.yaml' | LC_ALL=C sort); do
	grep -q '^hosts:' "$cfg" || continue
	name=$(echo "${cfg#configs/}" | sed 's/\.yaml$//; s,/,-,g')
	out="$WORK/$name"
	if ! "$TMSIM" run "$cfg" -q -o "$out" >"$WORK/log" 2>&1; then
		cat "$WORK/log" >&2
		echo "golden: $cfg: the run failed" >&2
		exit 1
	fi
	gold="tests/golden/$name"
	if [ "$mode" = update ]; then
		mkdir -p "$gold"
		for f in $files; do cp "$out/$f" "$gold/$f"; done
		echo "golden: $gold updated"
		continue
	fi
	for f in $files; do
		if [ ! -f "$gold/$f" ]; then
			echo "golden: $gold/$f missing (make golden writes it)" >&2
			bad=1
		elif ! cmp -s "$gold/$f" "$out/$f"; then
			echo "golden: $cfg: $f differs from $gold/$f:" >&2
			diff "$gold/$f" "$out/$f" | head -n 10 >&2 || true
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] && echo "golden: $cfg matches $gold"
done
[ "$bad" -eq 0 ] || {
	echo "golden: outputs changed; if intended, run 'make golden' and say why in the commit" >&2
	exit 1
}
