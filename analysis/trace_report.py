#!/usr/bin/python3
"""Figures of one trace from `tmsim inspect TRACE --json` (docs/trace-format.md
section 5): the access heatmap over time x address, in the manner of damo's
heatmap, and the coverage curve (fewest hottest pages that hold P % of the
accesses, for 4 KiB and 2 MiB pages).

    tmsim inspect TRACE.tmt --json > TRACE.inspect.json
    python3 analysis/trace_report.py TRACE.inspect.json [-o OUTDIR]

writes OUTDIR/trace_heatmap.{png,svg}, OUTDIR/trace_coverage.{png,svg} and
OUTDIR/trace.html (OUTDIR defaults to the JSON file's folder).  report.py
includes the same figures for every DIR/*.inspect.json of a results folder.
"""

import argparse
import os
import sys

import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm
import numpy as np

import tmsim_results as tr

HEATMAP_KEYS = ("time_bins", "addr_bins", "start_ns", "bin_ns", "addr_start",
                "bin_bytes", "counts")
MIB = 1048576.0


def load(path):
    """Read and check an inspect JSON file; raise tr.InputError if bad."""
    doc = tr.read_json(path, "the output of `tmsim inspect TRACE --json`")
    what = "%s: expected `tmsim inspect --json` output with " % path
    if not isinstance(doc, dict):
        raise tr.InputError(what + "a JSON object")
    for key in ("records", "coverage", "heatmap", "source"):
        if key not in doc:
            raise tr.InputError(what + "key %s" % key)
    hm = doc["heatmap"]
    miss = [k for k in HEATMAP_KEYS if not isinstance(hm, dict) or k not in hm]
    if miss:
        raise tr.InputError(what + "heatmap keys %s" % ", ".join(miss))
    if not isinstance(doc["coverage"], list):
        raise tr.InputError(what + "coverage as an array")
    return doc


def stem(path):
    base = os.path.basename(path)
    for suffix in (".inspect.json", ".json"):
        if base.endswith(suffix):
            return base[:-len(suffix)]
    return base


def heatmap(doc, outdir, name):
    """Records per (time bin, address bin), log colour scale."""
    hm = doc["heatmap"]
    counts = np.array(hm["counts"], dtype=float)
    fig, ax = plt.subplots(figsize=(10.0, 4.6))
    title = "Access heatmap of %s (records per bin)" % stem(doc["source"])
    if counts.size == 0:
        ax.text(0.5, 0.5, "trace has no records", ha="center",
                transform=ax.transAxes)
    else:
        t0 = hm["start_ns"] / 1e9
        t1 = t0 + hm["time_bins"] * hm["bin_ns"] / 1e9
        a1 = hm["addr_bins"] * hm["bin_bytes"] / MIB
        masked = np.ma.masked_less_equal(counts.T, 0)
        img = ax.imshow(masked, origin="lower", aspect="auto",
                        extent=(t0, t1, 0, a1), cmap="viridis",
                        norm=LogNorm(vmin=1, vmax=max(1.0, counts.max())),
                        interpolation="nearest")
        cb = fig.colorbar(img, ax=ax)
        cb.set_label("records per bin (log scale; white = none)")
    ax.set_xlabel("trace time (s)")
    ax.set_ylabel("address - %s (MiB)" % hm["addr_start"])
    ax.set_title(title)
    ax.grid(False)
    fig.tight_layout()
    return tr.save_figure(fig, outdir, name + "_heatmap"), title


def size_name(nbytes):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale and nbytes % scale == 0:
            return "%d %s" % (nbytes // scale, unit)
    return "%d B" % nbytes


def coverage(doc, outdir, name):
    """Share of accesses vs the fewest (hottest) pages holding it."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    for i, cov in enumerate(doc["coverage"]):
        levels = cov.get("levels", [])
        xs = [0.0] + [100 * lv["share_of_pages"] for lv in levels]
        ys = [0.0] + [100 * lv["accesses"] for lv in levels]
        label = "%s pages (%d touched)" % (size_name(cov.get("page_size", 0)),
                                           cov.get("pages", 0))
        ax.plot(xs, ys, marker="o", color="C%d" % i, label=label)
        # Level names on the first curve only: the curves overlap near 100 %.
        for lv, x in zip(levels if i == 0 else [], xs[1:-1]):
            ax.annotate("P%g" % (100 * lv["accesses"]), (x, 100 * lv["accesses"]),
                        textcoords="offset points", xytext=(4, -10),
                        fontsize=7, color="C%d" % i)
    ax.plot([0, 100], [0, 100], color="0.6", ls=":", label="uniform access")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 101)
    ax.set_xlabel("hottest pages, share of touched pages (%)")
    ax.set_ylabel("share of accesses they hold (%)")
    title = "Coverage curve of %s" % stem(doc["source"])
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return tr.save_figure(fig, outdir, name + "_coverage"), title


def figures(doc, outdir, name="trace"):
    """[(png name, caption)] of the trace figures."""
    return [heatmap(doc, outdir, name), coverage(doc, outdir, name)]


def summary_rows(doc):
    t = doc.get("time", {})
    rows = [("source", doc.get("source")), ("kind", doc.get("kind")),
            ("records", doc.get("records")), ("accesses", doc.get("accesses")),
            ("span (s)", (t.get("span_ns") or 0) / 1e9),
            ("footprint (MiB)", (doc.get("footprint_bytes") or 0) / MIB)]
    for cov in doc["coverage"]:
        for lv in cov.get("levels", []):
            rows.append(("P%g coverage, %s pages"
                         % (100 * lv["accesses"],
                            size_name(cov.get("page_size", 0))),
                         "%d pages (%.2f%%)" % (lv["pages"],
                                                100 * lv["share_of_pages"])))
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inspect_json")
    ap.add_argument("-o", "--out", help="output folder [the JSON's folder]")
    args = ap.parse_args(argv)
    prog = "trace_report.py"
    try:
        doc = load(args.inspect_json)
    except tr.InputError as e:
        tr.fail(prog, e)
    outdir = args.out or os.path.dirname(os.path.abspath(args.inspect_json))
    tr.setup_matplotlib()
    figs = figures(doc, outdir)
    body = [tr.table_html(("statistic", "value"), summary_rows(doc))]
    body += [tr.figure_html(png, cap) for png, cap in figs]
    page = os.path.join(outdir, "trace.html")
    tr.write_page(page, "tmsim trace: %s" % doc["source"], "\n".join(body))
    print("%s: wrote %s" % (prog, page))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
