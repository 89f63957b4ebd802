#!/usr/bin/python3
"""Figures of SDH's accuracy grid in the HeavyKeeper paper's terms, from the
CSV that `bench_sdh` writes (BENCH_SDH_CSV=PATH; docs/identifiers.md).

    python3 analysis/sdh_grid.py GRID.csv [-o OUTDIR]

reads GRID.csv (one row per grid point x variant: memory_kb, k, skew,
records, variant, kind = sdh|twin, rules, counter_bits, precision, ...) and
writes OUTDIR/sdh_grid.html with OUTDIR/figures/ (OUTDIR defaults to the
CSV's folder):

- sdh_precision_memory: precision against memory, one panel per k and
  skew, every SDH variant (solid) beside the HeavyKeeper twin running the
  same rules (dashed, same colour), as the paper's precision-vs-memory
  figures;
- sdh_precision_skew: precision against Zipf skew, one panel per k and
  memory, the same lines, as the paper's precision-vs-skew figure.

Exit status: 0 ok, 2 bad input (missing file, missing column, a value that
is not a number) with one message naming the file and what was expected.
"""

import argparse
import os
import sys

import matplotlib.pyplot as plt
import pandas as pd

import tmsim_results as tr

PROG = "sdh_grid.py"
COLUMNS = ("memory_kb", "k", "skew", "records", "variant", "kind", "rules",
           "counter_bits", "precision")
NUMERIC = ("memory_kb", "k", "skew", "records", "counter_bits", "precision")
# one colour per rule set; SDH solid, twin dashed; 32-bit counters with
# their own marker
COLOURS = {"S1": "C0", "HK paper": "C1", "HK authors": "C2",
           "HK authors hashing": "C3", "defaults": "C7",
           "S2/S3": "C4"}


def load(path):
    df = tr.read_csv(path, COLUMNS, "bench_sdh's grid CSV (BENCH_SDH_CSV)")
    for c in NUMERIC:
        bad = pd.to_numeric(df[c], errors="coerce").isna()
        if bad.any():
            row = int(bad.idxmax()) + 2   # header is line 1
            raise tr.InputError("%s:%d: %s: expected a number, got %r"
                                % (path, row, c, df[c][bad.idxmax()]))
        df[c] = pd.to_numeric(df[c])
    bad = ~df["kind"].isin(("sdh", "twin"))
    if bad.any():
        row = int(bad.idxmax()) + 2
        raise tr.InputError("%s:%d: kind: expected sdh or twin, got %r"
                            % (path, row, df["kind"][bad.idxmax()]))
    if df.empty:
        raise tr.InputError("%s: no rows (expected one per grid point and "
                            "variant)" % path)
    return df


def style(row):
    colour = COLOURS.get(row["rules"], "C5")
    wide = int(row["counter_bits"]) == 32
    if row["kind"] == "sdh":
        return dict(color=colour, linestyle="-", marker="^" if wide else "o",
                    markersize=4, linewidth=1.4)
    return dict(color=colour, linestyle="--", marker="+" if wide else "x",
                markersize=5, linewidth=1.0)


def panels(df, x, by, title, outdir, name):
    """One panel per value pair of `by`, precision against x, a line per
    variant."""
    keys = sorted(df.groupby(list(by)).groups)
    ncol = min(5, len(keys))
    nrow = (len(keys) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.7 * ncol, 2.4 * nrow + 0.9),
                             sharey=True, squeeze=False)
    variants = list(dict.fromkeys(df["variant"]))
    for ax, key in zip(axes.flat, keys):
        sub = df
        for col, val in zip(by, key):
            sub = sub[sub[col] == val]
        for v in variants:
            line = sub[sub["variant"] == v].sort_values(x)
            if line.empty:
                continue
            ax.plot(line[x], line["precision"], label=v,
                    **style(line.iloc[0]))
        ax.set_title(", ".join("%s %s" % (c.replace("memory_kb", "KB")
                                          .replace("skew", "skew"),
                                          "%g" % val)
                               for c, val in zip(by, key)))
        ax.set_xlabel("memory (KB)" if x == "memory_kb" else "Zipf skew")
        ax.set_ylim(-0.02, 1.02)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("precision")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(8, len(labels)),
               fontsize=7, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07 + 0.03 * (len(labels) > 8), 1, 0.97))
    return tr.save_figure(fig, outdir, name)


def build(path, outdir):
    tr.setup_matplotlib()
    df = load(path)
    figdir = os.path.join(outdir, "figures")
    records = ", ".join("%d" % r for r in sorted(df["records"].unique()))
    sub = "%s samples per stream, mean of the seeds" % records
    if "draws" in df and "seeds" in df:   # hash draws per stream (optional)
        sub = "%s samples per stream, mean of %s seeds x %s hash draws" % (
            records, "/".join("%d" % x for x in sorted(df["seeds"].unique())),
            "/".join("%d" % x for x in sorted(df["draws"].unique())))
    figs = [
        (panels(df, "memory_kb", ("k", "skew"),
                "Precision vs memory (%s)" % sub, figdir,
                "sdh_precision_memory"),
         "precision against memory, one panel per k and skew; SDH solid, "
         "the HeavyKeeper twin with the same rules dashed"),
        (panels(df, "skew", ("k", "memory_kb"),
                "Precision vs skew (%s)" % sub, figdir,
                "sdh_precision_skew"),
         "precision against Zipf skew, one panel per k and memory"),
    ]
    body = ["<p>%s: %d rows, %s.</p>" % (tr.esc(os.path.basename(path)),
                                         len(df), tr.esc(sub))]
    for png, caption in figs:
        body.append(tr.figure_html("figures/" + png, caption))
    page = os.path.join(outdir, "sdh_grid.html")
    tr.write_page(page, "SDH accuracy grid", "\n".join(body))
    return page


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", help="bench_sdh's grid CSV (BENCH_SDH_CSV)")
    ap.add_argument("-o", "--out", help="output folder [the CSV's folder]")
    args = ap.parse_args(argv)
    try:
        page = build(args.csv, args.out or os.path.dirname(
            os.path.abspath(args.csv)))
    except tr.InputError as e:
        tr.fail(PROG, e)
    print("%s: wrote %s" % (PROG, page))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
