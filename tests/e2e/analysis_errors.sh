#!/bin/sh
# The analysis scripts on a real run and on synthetic sweeps and traces
# (tests/e2e/analysis_test.py): figures drawn, exit 2 with a message naming
# the file on a missing file, a wrong format_version or a missing column.
# Then `tmsim report` itself: --no-html, and a Python without matplotlib
# gives one "report.html not written" line and exit 0 after the text tables.
. "$(dirname "$0")/lib.sh"
PY=${TMSIM_PYTHON:-/usr/bin/python3}
"$PY" -c 'import matplotlib, pandas' 2>/dev/null ||
	die "$PY cannot import matplotlib and pandas (make deps installs them)"

expect_exit 0 "$TMSIM" run tests/e2e/small.yaml -o "$WORK/run" -q
TMSIM_RESULTS="$WORK/run" "$PY" tests/e2e/analysis_test.py ||
	die "analysis unit tests failed"

export TMSIM_ANALYSIS="$TOP/analysis"
expect_exit 0 "$TMSIM" report --no-html "$WORK/run"
grep -q '^Placement' "$WORK/out" || die "--no-html: no text tables"
[ ! -e "$WORK/run/report.html" ] || die "--no-html wrote report.html"

# /bin/false stands for a Python that cannot import the plotting libraries.
expect_exit 0 env TMSIM_PYTHON=/bin/false "$TMSIM" report "$WORK/run"
grep -q '^Migration' "$WORK/out" || die "no text tables before the note"
[ "$(grep -c '^report.html not written: /bin/false cannot import' \
	"$WORK/out")" -eq 1 ] || die "expected one 'report.html not written' line"
expect_exit 0 env TMSIM_PYTHON=/nonexistent/python3 "$TMSIM" report "$WORK/run"
grep -q '^report.html not written: /nonexistent/python3 not found' \
	"$WORK/out" || die "missing python not reported"
expect_exit 0 env TMSIM_ANALYSIS="$WORK" "$TMSIM" report "$WORK/run"
grep -q '^report.html not written: analysis scripts' "$WORK/out" ||
	die "missing analysis folder not reported"
[ ! -e "$WORK/run/report.html" ] || die "report.html written without python"

# report.py rejecting the folder (wrong format_version is caught by the text
# report first, so break a CSV the text report does not read).
rm "$WORK/run/epochs.csv"
expect_exit 2 "$TMSIM" report "$WORK/run"
grep -q "epochs.csv: file not found" "$WORK/err" ||
	die "report.py error not shown"
echo "ok"
