"""Shared helpers of the tmsim analysis scripts (DESIGN.md section 8).

They read only tmsim's documented outputs (docs/outputs.md for results
folders, docs/trace-format.md for `tmsim inspect --json`, docs/sweeps.md for
sweep folders) and turn them into figures and HTML pages.  Every input error
(a missing file, a missing column, a results folder of another format
version) ends the script with exit status 2 and one message that names the
file and what was expected, as the C side does for bad input.

Figures are made with matplotlib's Agg backend and saved as PNG and SVG with
no dates and a fixed SVG hash salt, so the same inputs give the same bytes.
"""

import html
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import pandas as pd  # noqa: E402

# The results format these scripts understand (docs/outputs.md).
FORMAT_VERSION = 1

SUMMARY_KEYS = ("format_version", "name", "duration_ns", "hosts", "config")
TIMESERIES_COLUMNS = (
    "time_ns", "host", "vm", "accesses", "fmem_hit_ratio", "static_hit_ratio",
    "fmem_capacity_pages", "promotions", "demotions", "migrated_bytes",
    "migration_cpu_ns", "sampling_cpu_ns")
EPOCHS_COLUMNS = (
    "epoch", "time_ns", "host", "vm", "identifier", "role", "precision",
    "recall", "fmem_hit_ratio", "oracle_hit_ratio")

# Figure size in inches at 100 dpi: about 1000 px wide, readable in a
# browser column and small enough on disk (assumption, checked by eye).
FIG_DPI = 100


class InputError(Exception):
    """Bad or missing input: the message names the file and what was
    expected."""


def fail(prog, err):
    """Print `prog: message` on stderr and exit with status 2."""
    print("%s: %s" % (prog, err), file=sys.stderr)
    sys.exit(2)


def setup_matplotlib():
    """Deterministic, legible defaults for every figure."""
    matplotlib.rcParams.update({
        "svg.hashsalt": "tmsim",
        "svg.fonttype": "none",
        "figure.dpi": FIG_DPI,
        "savefig.dpi": FIG_DPI,
        "font.size": 10,
        "axes.titlesize": 10,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.fontsize": 8,
    })


def save_figure(fig, outdir, name):
    """Write outdir/name.png and outdir/name.svg; return the PNG's name."""
    os.makedirs(outdir, exist_ok=True)
    png = name + ".png"
    for fname, fmt, meta in ((png, "png", {"Software": None}),
                             (name + ".svg", "svg",
                              {"Date": None, "Creator": None})):
        # temporary name, then rename: a killed run leaves no half figure
        tmp = os.path.join(outdir, ".%s.tmp.%d" % (fname, os.getpid()))
        fig.savefig(tmp, format=fmt, metadata=meta)
        os.replace(tmp, os.path.join(outdir, fname))
    plt.close(fig)
    return png


def read_json(path, what):
    """Load a JSON file or raise InputError naming it."""
    if not os.path.isfile(path):
        raise InputError("%s: file not found (expected %s)" % (path, what))
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise InputError("%s: not valid JSON (expected %s): %s"
                         % (path, what, e)) from None


def read_csv(path, columns, what):
    """Load a CSV with host/vm kept as text (a VM may be named "NA") and
    empty fields as NaN (docs/outputs.md: empty means undefined)."""
    if not os.path.isfile(path):
        raise InputError("%s: file not found (expected %s)" % (path, what))
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""],
                         dtype={"host": str, "vm": str})
    except (OSError, ValueError) as e:
        raise InputError("%s: cannot be read as CSV (expected %s): %s"
                         % (path, what, e)) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError("%s: missing column(s) %s (expected %s)"
                         % (path, ", ".join(missing), what))
    return df


def check_summary(path, summary):
    """The summary must be of FORMAT_VERSION and carry the keys we use."""
    if not isinstance(summary, dict):
        raise InputError("%s: expected a JSON object" % path)
    version = summary.get("format_version")
    if version != FORMAT_VERSION:
        raise InputError("%s: format_version %s, expected %d (results "
                         "written by another tmsim version?)"
                         % (path, json.dumps(version), FORMAT_VERSION))
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        raise InputError("%s: missing key(s) %s" % (path, ", ".join(missing)))
    if not isinstance(summary["config"].get("page_size"), int):
        raise InputError("%s: config.page_size: expected an integer" % path)


def load_run(folder):
    """Read a results folder: (summary dict, timeseries, epochs)."""
    if not os.path.isdir(folder):
        raise InputError("%s: not a folder (expected a tmsim results folder "
                         "with summary.json, timeseries.csv, epochs.csv)"
                         % folder)
    spath = os.path.join(folder, "summary.json")
    summary = read_json(spath, "the summary.json of a tmsim run")
    check_summary(spath, summary)
    ts = read_csv(os.path.join(folder, "timeseries.csv"), TIMESERIES_COLUMNS,
                  "tmsim timeseries.csv, docs/outputs.md")
    ep = read_csv(os.path.join(folder, "epochs.csv"), EPOCHS_COLUMNS,
                  "tmsim epochs.csv, docs/outputs.md")
    return summary, ts, ep


def vm_colors(keys):
    """One stable colour per key (VM, identifier ...), in the given order."""
    cmap = plt.get_cmap("tab10")
    return {k: cmap(i % 10) for i, k in enumerate(keys)}


def esc(s):
    return html.escape(str(s), quote=True)


def table_html(header, rows):
    """A plain HTML table; cells are escaped, numbers right-aligned."""
    out = ["<table>", "<tr>" + "".join("<th>%s</th>" % esc(h)
                                       for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for c in row:
            cls = ' class="n"' if isinstance(c, (int, float)) else ""
            cells.append("<td%s>%s</td>" % (cls, esc(fmt(c))))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "-"
        return "%.3f" % v if abs(v) < 1000 else "%.0f" % v
    return str(v)


# Marks the page when every image has loaded: body gets data-images="ok" or
# "broken:N", so a headless browser's --dump-dom shows whether a figure is
# missing (tests/e2e/report_html.sh).
IMG_CHECK = """<script>
window.addEventListener("load", function () {
  var bad = 0, imgs = document.images;
  for (var i = 0; i < imgs.length; i++)
    if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) bad++;
  document.body.setAttribute("data-images", bad ? "broken:" + bad : "ok");
});
</script>"""

CSS = """<style>
body { font-family: sans-serif; max-width: 1100px; margin: 1em auto;
       color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 2px 8px; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 90%; color: #444; }
.note { background: #fff8e0; border-left: 4px solid #e0b000;
        padding: 4px 8px; }
</style>"""


def figure_html(png, caption):
    svg = png[:-4] + ".svg"
    return ('<figure><a href="%s"><img src="%s" alt="%s"></a>'
            '<figcaption>%s (<a href="%s">SVG</a>)</figcaption></figure>'
            % (esc(png), esc(png), esc(caption), esc(caption), esc(svg)))


def write_page(path, title, body):
    """Write a complete HTML page atomically (temp name, then rename)."""
    text = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
            "<meta charset=\"utf-8\">\n<title>%s</title>\n%s\n</head>\n"
            "<body>\n<h1>%s</h1>\n%s\n%s\n</body>\n</html>\n"
            % (esc(title), CSS, esc(title), body, IMG_CHECK))
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
