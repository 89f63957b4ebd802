#!/bin/sh
# A sweep report is produced for every sweep in configs/sweeps/ (each run
# here with 1 s of simulated time per point to stay quick): sweep.csv has
# one row per point x VM and sweep_report.html links figures that exist
# and shows the main identifier's sampling and identifier loss.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY -c 'import matplotlib, pandas' 2>/dev/null ||
	die "python3-matplotlib and python3-pandas are missing (make deps)"
n=0
for f in configs/sweeps/*.yaml; do
	grep -q '^base:' "$f" || continue
	name=$(basename "$f" .yaml)
	sed -e "s|^base: *\\(.*\\)|base: $TOP/configs/sweeps/\\1|" \
		-e '/^output:/d' "$f" >"$WORK/$name.yaml"
	printf 'set:\n  duration: 1s\n' >>"$WORK/$name.yaml"
	expect_exit 0 "$TMSIM" sweep "$WORK/$name.yaml" -j 2 -q -o "$WORK/$name"
	expect_exit 0 $PY analysis/sweep_report.py "$WORK/$name"
	$PY - "$WORK/$name" <<'PY'
import csv, json, os, re, sys
d = sys.argv[1]
pts = json.load(open(os.path.join(d, "sweep.json")))["points"]
rows = list(csv.DictReader(open(os.path.join(d, "sweep.csv"))))
assert len(rows) == 2 * len(pts), (len(rows), len(pts))
html = open(os.path.join(d, "sweep_report.html")).read()
imgs = re.findall(r'src="([^"]+\.png)"', html)
assert len(imgs) >= 3, imgs
for i in imgs:
    assert os.path.getsize(os.path.join(d, i)) > 1000, i
# sweep.csv has no loss columns: the error decomposition of the main
# identifier comes from the points' summary.json (generated traces:
# distribution truth, so both losses are defined)
for col in ("ident0_sampling_loss", "ident0_identifier_loss"):
    assert "<th>%s</th>" % col in html, col
PY
	n=$((n + 1))
done
[ "$n" -ge 2 ] || die "only $n sweeps in configs/sweeps"
echo "ok: $n sweep reports"
