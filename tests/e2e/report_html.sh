#!/bin/sh
# `tmsim report DIR` writes DIR/report.html whose figures all load in a
# headless Chromium: report.html marks <body data-images="ok"> on load when
# every <img> decoded, "broken:N" otherwise.  Installs Debian's chromium with
# apt-get when it is missing (needs root).
. "$(dirname "$0")/lib.sh"
PY=${TMSIM_PYTHON:-/usr/bin/python3}
"$PY" -c 'import matplotlib, pandas' 2>/dev/null ||
	die "$PY cannot import matplotlib and pandas (make deps installs them)"
if ! command -v chromium >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "chromium missing; run: apt-get install -y chromium"
	apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends chromium >/dev/null ||
		die "cannot install chromium"
fi
export TMSIM_ANALYSIS="$TOP/analysis"

expect_exit 0 "$TMSIM" run tests/e2e/small.yaml -o "$WORK/run" -q
expect_exit 0 "$TMSIM" inspect --json traces/data/pagetouch-pagefaults.tmt
cp "$WORK/out" "$WORK/run/pagetouch.inspect.json"
expect_exit 0 "$TMSIM" report "$WORK/run"
grep -q '^report.html written' "$WORK/out" || die "report.html not written"
for f in hit_ratio accuracy zoo error_decomposition migration fmem_allocation cpu \
	pagetouch_heatmap pagetouch_coverage; do
	[ -s "$WORK/run/figures/$f.png" ] && [ -s "$WORK/run/figures/$f.svg" ] ||
		die "figure $f missing"
done

dom() {
	chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$WORK/chrome" --virtual-time-budget=5000 \
		--dump-dom "file://$1" 2>"$WORK/chrome.err"
}
dom "$WORK/run/report.html" >"$WORK/dom.html"
grep -q 'data-images="ok"' "$WORK/dom.html" || {
	grep -o 'data-images="[^"]*"' "$WORK/dom.html" >&2
	die "report.html: images did not all load"
}
# The check can fail: a missing figure is reported as broken.
rm "$WORK/run/figures/cpu.png"
dom "$WORK/run/report.html" >"$WORK/dom.html"
grep -q 'data-images="broken:1"' "$WORK/dom.html" ||
	die "a missing figure was not detected"
echo "ok"
