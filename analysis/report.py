#!/usr/bin/python3
"""HTML report of one tmsim results folder (DESIGN.md section 8).

    python3 analysis/report.py DIR

reads DIR/summary.json, DIR/timeseries.csv and DIR/epochs.csv (docs/outputs.md)
and writes DIR/report.html with the summary tables and the figures, which go
to DIR/figures/NAME.png and .svg.  Every DIR/*.inspect.json (the output of
`tmsim inspect TRACE --json`) adds a trace section.  `tmsim report DIR` runs
this script after printing its text tables.

Exit status: 0 ok, 2 bad input (missing file, wrong format_version, missing
column), with one message naming the file and what was expected.
"""

import argparse
import glob
import os
import sys

import run_plots
import tmsim_results as tr
import trace_report

PROG = "report.py"
FIGDIR = "figures"


def accuracy_rows(summary):
    rows = []
    for h in summary["hosts"]:
        for v in h.get("vms", []):
            truth = v.get("truth") or {}
            source = truth.get("source") if truth.get("enabled") else None
            for i in v.get("identifiers", []):
                rows.append((h["name"], v["name"], i.get("kind"), i.get("role"),
                             source, i.get("precision"),
                             i.get("sampling_loss"), i.get("identifier_loss"),
                             i.get("recall"),
                             i.get("weighted_recall"), i.get("are"),
                             i.get("aae"), i.get("memory_bytes_per_page"),
                             i.get("cpu_ns_per_sample"),
                             i.get("epochs_scored")))
    return rows


def pct(x):
    return None if x is None else 100.0 * x


def placement_rows(summary):
    rows = []
    for h in summary["hosts"]:
        for v in h.get("vms", []):
            rows.append((h["name"], v["name"], pct(v.get("fmem_hit_ratio")),
                         pct(v.get("epoch_hit_ratio")),
                         pct(v.get("oracle_hit_ratio")),
                         pct(v.get("static_hit_ratio")), v.get("efficiency"),
                         v.get("amat_ns"), v.get("slowdown")))
    return rows


def migration_rows(summary):
    rows = []
    for h in summary["hosts"]:
        for v in h.get("vms", []):
            m = v.get("migration", {})
            s = v.get("sampler", {})
            rows.append((h["name"], v["name"], m.get("mode"),
                         m.get("promotions"), m.get("demotions"),
                         m.get("exchanges"), (m.get("bytes") or 0) / 1048576.0,
                         (m.get("cpu_ns") or 0) / 1e6,
                         (s.get("cpu_ns") or 0) / 1e6,
                         m.get("pingpong_pages"), m.get("unpaid_moves")))
    return rows


def tables_html(summary):
    return "\n".join([
        "<h2>Identification accuracy</h2>",
        "<p>Mean over epochs; T = true top-C pages, C = FMEM pages; truth "
        "is where T comes from; precision = 1 - sampling loss - identifier "
        "loss (docs/metrics.md, \"Error decomposition\"); w-recall = hits "
        "of its pages / the oracle's; B/page = identifier state per touched "
        "page; ns/sample = modelled CPU per sample.</p>",
        tr.table_html(("host", "vm", "identifier", "role", "truth",
                       "precision", "sampling loss", "identifier loss",
                       "recall", "w-recall", "ARE", "AAE", "B/page",
                       "ns/sample", "epochs"),
                      accuracy_rows(summary)),
        "<h2>Placement</h2>",
        "<p>FMEM hit ratio in %; efficiency = epoch / oracle.</p>",
        tr.table_html(("host", "vm", "achieved %", "epoch %", "oracle %",
                       "static %", "efficiency", "AMAT ns", "slowdown"),
                      placement_rows(summary)),
        "<h2>Cost</h2>",
        tr.table_html(("host", "vm", "mode", "promoted", "demoted",
                       "exchanged", "MiB moved", "migration CPU ms",
                       "sampling CPU ms", "ping-pong pages", "unpaid moves"),
                      migration_rows(summary)),
    ])


def run_figures(summary, ts, ep, outdir):
    """(html of every figure, notes for the figures that were skipped)."""
    parts, notes = [], []
    for make in run_plots.FIGURES:
        png, caption = make(summary, ts, ep, os.path.join(outdir, FIGDIR))
        if png is None:
            notes.append(caption)
        else:
            parts.append(tr.figure_html(FIGDIR + "/" + png, caption))
    return parts, notes


def trace_sections(folder):
    parts = []
    for path in sorted(glob.glob(os.path.join(folder, "*.inspect.json"))):
        doc = trace_report.load(path)
        name = trace_report.stem(path)
        parts.append("<h2>Trace %s</h2>" % tr.esc(doc["source"]))
        parts.append(tr.table_html(("statistic", "value"),
                                   trace_report.summary_rows(doc)))
        for png, cap in trace_report.figures(doc, os.path.join(folder, FIGDIR),
                                             name):
            parts.append(tr.figure_html(FIGDIR + "/" + png, cap))
    return parts


def build(folder):
    summary, ts, ep = tr.load_run(folder)
    tr.setup_matplotlib()
    figs, notes = run_figures(summary, ts, ep, folder)
    traces = trace_sections(folder)
    head = ("<p>Config <b>%s</b>, seed %s, %.3f s simulated, tmsim %s, "
            "results format %d.</p>"
            % (tr.esc(summary["name"]), tr.esc(summary.get("seed")),
               summary["duration_ns"] / 1e9,
               tr.esc(summary.get("tmsim_version", "?")), tr.FORMAT_VERSION))
    body = [head, tables_html(summary), "<h2>Figures</h2>"]
    body += ['<p class="note">%s</p>' % tr.esc(n) for n in notes]
    body += figs + traces
    page = os.path.join(folder, "report.html")
    tr.write_page(page, "tmsim report: %s" % summary["name"], "\n".join(body))
    return page


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="results folder written by `tmsim run`")
    args = ap.parse_args(argv)
    try:
        page = build(args.dir)
    except tr.InputError as e:
        tr.fail(PROG, e)
    print("report.html written: %s" % page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
