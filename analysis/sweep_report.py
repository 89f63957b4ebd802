#!/usr/bin/python3
"""HTML report of a parameter sweep written by `tmsim sweep` (DESIGN.md
section 11).

    python3 analysis/sweep_report.py SWEEPDIR [-o OUTDIR]

reads SWEEPDIR/sweep.csv (one row per point x VM) and SWEEPDIR/sweep.json
(the swept parameter names and every point) and writes OUTDIR/sweep_report.html
with figures in OUTDIR/figures/ (OUTDIR defaults to SWEEPDIR):

- per swept parameter: main-identifier recall and precision, placement
  efficiency (achieved / oracle FMEM hit ratio), and the main identifier's
  sampling loss and identifier loss (docs/metrics.md) against the
  parameter's values, lines per VM, error bars one standard deviation over
  seeds; the losses come from sweep.csv's ident0_sampling_loss and
  ident0_identifier_loss columns, or else from each point's summary.json;
- per pair of swept parameters: heatmaps of the mean efficiency and recall;
- cost vs benefit: FMEM hit-ratio gain over static first-touch placement
  against migrated bytes and against management CPU, one dot per point x VM.

The swept parameters are the names listed in sweep.json; without sweep.json
they are the sweep.csv columns whose names contain a '.' (key paths).  Values
that all parse as numbers are plotted on a numeric axis, others in the order
they first appear (the sweep file's order).

Exit status: 0 ok, 2 bad input (missing sweep.csv, missing column, bad JSON)
with one message naming the file and what was expected.
"""

import argparse
import itertools
import os
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import tmsim_results as tr

PROG = "sweep_report.py"
FIGDIR = "figures"
REQUIRED = ("point", "seed", "host", "vm", "fmem_hit_ratio",
            "static_hit_ratio", "efficiency")
# (column, axis label) of the accuracy panels, in order; absent columns
# (a sweep without identifiers scored, or without the error decomposition)
# are left out.
METRICS = (("ident0_recall", "recall of the main identifier (0-1)"),
           ("ident0_precision", "precision of the main identifier (0-1)"),
           ("efficiency", "efficiency: achieved / oracle hit ratio"),
           ("ident0_sampling_loss", "sampling loss of the main identifier"),
           ("ident0_identifier_loss", "identifier loss of the main "
            "identifier"))
# The error decomposition of the main identifier (docs/metrics.md): taken
# from sweep.csv when it has these columns, else from each point's
# summary.json (identifiers[0], the main one, as ident0_ in sweep.csv).
LOSSES = ("sampling_loss", "identifier_loss")
PANELS_PER_ROW = 3
# Most lines in one panel before lines are pooled per VM (assumption:
# beyond this a legend is unreadable).
MAX_LINES = 8
MIB = 1048576.0


def load(folder):
    """(sweep.csv frame, parameter names, notes)."""
    if not os.path.isdir(folder):
        raise tr.InputError("%s: not a folder (expected a tmsim sweep output "
                            "folder with sweep.csv and sweep.json)" % folder)
    csv = os.path.join(folder, "sweep.csv")
    df = tr.read_csv(csv, REQUIRED, "the sweep.csv written by `tmsim sweep`")
    notes = []
    jpath = os.path.join(folder, "sweep.json")
    if os.path.isfile(jpath):
        doc = tr.read_json(jpath, "the sweep.json written by `tmsim sweep`")
        params = doc.get("parameters") if isinstance(doc, dict) else None
        if not isinstance(params, list) or \
                not all(isinstance(p, str) for p in params):
            raise tr.InputError("%s: parameters: expected a list of key "
                                "paths" % jpath)
        missing = [p for p in params if p not in df.columns]
        if missing:
            raise tr.InputError("%s: missing parameter column(s) %s listed "
                                "in %s" % (csv, ", ".join(missing), jpath))
    else:
        params = [c for c in df.columns if "." in c]
        notes.append("sweep.json not found: swept parameters taken from the "
                     "sweep.csv columns with a '.' in their name")
    if not len(df):
        raise tr.InputError("%s: no rows (expected one row per point x VM)"
                            % csv)
    if os.path.isfile(jpath):
        df = with_point_losses(df, folder, doc, notes)
    for p in params:
        df[p] = df[p].astype(str)
    df["vmkey"] = df["host"] + "/" + df["vm"]
    return df, params, notes


def point_losses(folder, point):
    """{(host, vm): (sampling_loss, identifier_loss)} of the main identifier
    from a point's summary.json, or None when the point folder is absent
    (a sweep.csv copied without its points)."""
    path = os.path.join(folder, str(point.get("folder")), "summary.json")
    if not os.path.isfile(path):
        return None
    summary = tr.read_json(path, "the summary.json of a sweep point")
    tr.check_summary(path, summary)
    out = {}
    for h in summary["hosts"]:
        for v in h.get("vms", []):
            ids = v.get("identifiers") or [{}]
            out[(h["name"], v["name"])] = tuple(
                np.nan if ids[0].get(k) is None else float(ids[0][k])
                for k in LOSSES)
    return out


def with_point_losses(df, folder, doc, notes):
    """Add ident0_sampling_loss and ident0_identifier_loss from the points'
    summary.json when sweep.csv lacks them and every point folder is here."""
    cols = ["ident0_" + k for k in LOSSES]
    if all(c in df.columns for c in cols) or "ident0_precision" not in df:
        return df
    per_point, present = {}, set(df["point"])
    for pt in doc.get("points", []):
        if not isinstance(pt, dict) or pt.get("index") not in present:
            continue
        losses = point_losses(folder, pt)
        if losses is None:
            notes.append("point folder %s not found: no sampling and "
                         "identifier loss series" % pt.get("folder"))
            return df
        per_point[pt.get("index")] = losses
    df = df.copy()
    for j, c in enumerate(cols):
        df[c] = [per_point.get(p, {}).get((h, v), (np.nan,) * 2)[j]
                 for p, h, v in zip(df["point"], df["host"], df["vm"])]
    if not df[cols[1]].notna().any():
        return df.drop(columns=cols)
    notes.append("sampling and identifier loss of the main identifier read "
                 "from each point's summary.json")
    return df


def value_order(df, p):
    """Values of parameter p: numeric order if all are numbers, else the
    order they first appear in (points are in sweep-file order)."""
    vals = list(dict.fromkeys(df.sort_values("point")[p]))
    nums = pd.to_numeric(pd.Series(vals), errors="coerce")
    if nums.notna().all():
        return [v for _, v in sorted(zip(nums, vals))], True
    return vals, False


def line_groups(df, p, params):
    """Columns that split the lines of parameter p's plot."""
    others = [q for q in params if q != p]
    hue = ["vmkey"] + others
    if len(df.groupby(hue)) > MAX_LINES:
        return ["vmkey"], others
    return hue, []


def accuracy_vs(df, p, params, outdir):
    metrics = [m for m in METRICS if m[0] in df.columns]
    vals, numeric = value_order(df, p)
    pos = {v: (float(v) if numeric else i) for i, v in enumerate(vals)}
    hue, pooled = line_groups(df, p, params)
    nrows = (len(metrics) + PANELS_PER_ROW - 1) // PANELS_PER_ROW
    ncols = min(len(metrics), PANELS_PER_ROW)
    fig, grid = plt.subplots(nrows, ncols, figsize=(11.0, 1.6 + 3.6 * nrows),
                             squeeze=False)
    axes = [a for row in grid for a in row]
    for a in axes[len(metrics):]:
        a.set_visible(False)
    for ax, (col, label) in zip(axes, metrics):
        for i, (key, g) in enumerate(df.groupby(hue, sort=False)):
            agg = g.groupby(p)[col].agg(["mean", "std"]).reindex(
                [v for v in vals if v in set(g[p])])
            key = key if isinstance(key, tuple) else (key,)
            ax.errorbar([pos[v] for v in agg.index], agg["mean"],
                        yerr=agg["std"].fillna(0), marker="o", capsize=3,
                        color="C%d" % (i % 10),
                        label=", ".join(str(k) for k in key))
        ax.set_xlabel(p)
        ax.set_ylabel(label)
        # an identifier can beat the perfect counter: a negative loss
        ax.set_ylim(min(-0.03, df[col].min() - 0.03), 1.05)
        x = [pos[v] for v in vals]
        if numeric and min(x) > 0 and max(x) / min(x) >= 10:
            ax.set_xscale("log")
        ax.set_xticks(x)
        ax.set_xticks([], minor=True)
        ax.set_xticklabels(vals, rotation=30)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)),
               title=" / ".join(["host/vm"] + [q for q in hue
                                               if q != "vmkey"]))
    pooled_note = (" (pooled over %s)" % ", ".join(pooled)) if pooled else ""
    fig.suptitle("Accuracy and efficiency vs %s: mean ± 1 sd over seeds%s"
                 % (p, pooled_note))
    rows = (len(labels) + 3) // 4
    fig.tight_layout(rect=(0, min(0.45, (0.07 + 0.055 * rows) / nrows ** 0.5),
                           1, 1))
    name = "accuracy_vs_" + safe(p)
    return tr.save_figure(fig, outdir, name), \
        "Accuracy and efficiency vs %s%s" % (p, pooled_note)


def heatmaps(df, p, q, outdir):
    metrics = [m for m in (("efficiency", "efficiency (achieved / oracle)"),
                           ("ident0_recall", "main identifier recall"))
               if m[0] in df.columns]
    pv, _ = value_order(df, p)
    qv, _ = value_order(df, q)
    fig, axes = plt.subplots(1, len(metrics), figsize=(11.0, 4.4),
                             squeeze=False)
    for ax, (col, label) in zip(axes[0], metrics):
        grid = df.groupby([q, p])[col].mean().unstack(p).reindex(
            index=qv, columns=pv)
        img = ax.imshow(grid.values, origin="lower", aspect="auto",
                        cmap="viridis", vmin=0, vmax=1)
        for (yi, xi), v in np.ndenumerate(grid.values):
            if v == v:
                ax.text(xi, yi, "%.2f" % v, ha="center", va="center",
                        fontsize=8, color="w" if v < 0.6 else "k")
        ax.set_xticks(range(len(pv)))
        ax.set_xticklabels(pv, rotation=30)
        ax.set_yticks(range(len(qv)))
        ax.set_yticklabels(qv)
        ax.set_xlabel(p)
        ax.set_ylabel(q)
        ax.set_title("mean %s over seeds and VMs" % col)
        ax.grid(False)
        fig.colorbar(img, ax=ax).set_label(label)
    fig.suptitle("%s x %s" % (p, q))
    fig.tight_layout()
    name = "heatmap_%s_%s" % (safe(p), safe(q))
    return tr.save_figure(fig, outdir, name), \
        "Mean efficiency and recall over %s and %s" % (p, q)


def cost_columns(df):
    """(bytes column, list of CPU columns) present in sweep.csv."""
    nbytes = next((c for c in ("migrated_bytes", "bytes") if c in df), None)
    cpu = [c for c in ("migration_cpu_ns", "sampling_cpu_ns") if c in df]
    if not cpu and "cpu_ns" in df:
        cpu = ["cpu_ns"]
    return nbytes, cpu


def cost_benefit(df, params, outdir):
    nbytes, cpu = cost_columns(df)
    if nbytes is None and not cpu:
        return None, "sweep.csv has no migrated bytes or CPU columns: no " \
            "cost vs benefit figure"
    d = df.copy()
    d["gain_pp"] = 100 * (d["fmem_hit_ratio"] - d["static_hit_ratio"])
    d["cpu_ms"] = d[cpu].sum(axis=1) / 1e6 if cpu else np.nan
    d["mib"] = d[nbytes] / MIB if nbytes else np.nan
    pts = d.groupby(params + ["vmkey"], sort=False)[
        ["gain_pp", "cpu_ms", "mib"]].mean().reset_index()
    panels = [(c, lab) for c, lab, ok in (
        ("mib", "migrated data (MiB per run)", nbytes is not None),
        ("cpu_ms", "management CPU: %s (ms per run)" % " + ".join(cpu),
         bool(cpu))) if ok]
    fig, axes = plt.subplots(1, len(panels), figsize=(11.0, 4.4),
                             squeeze=False)
    for ax, (col, label) in zip(axes[0], panels):
        for i, (vm, g) in enumerate(pts.groupby("vmkey", sort=False)):
            ax.scatter(g[col], g["gain_pp"], color="C%d" % (i % 10),
                       label=vm, s=24)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("FMEM hit ratio gain over static (points of %)")
        ax.set_title("benefit vs %s" % ("data moved" if col == "mib"
                                        else "CPU"))
        ax.legend(loc="best", title="host/vm")
    fig.suptitle("Cost vs benefit: one dot per sweep point and VM "
                 "(mean over seeds)")
    fig.tight_layout()
    return tr.save_figure(fig, outdir, "cost_benefit"), \
        "Hit-ratio gain over first-touch placement vs migration cost"


def safe(p):
    return "".join(c if c.isalnum() else "_" for c in p)


def table(df, params):
    cols = [c for c in ("efficiency", "ident0_precision",
                        "ident0_sampling_loss", "ident0_identifier_loss",
                        "ident0_recall", "fmem_hit_ratio",
                        "static_hit_ratio") if c in df]
    g = df.groupby(params + ["vmkey"], sort=False)
    agg = g[cols].mean()
    agg["seeds"] = g["seed"].nunique()
    rows = [tuple(k if isinstance(k, tuple) else (k,)) +
            tuple(float(x) for x in r[cols]) + (int(r["seeds"]),)
            for k, r in agg.iterrows()]
    return tr.table_html(params + ["host/vm"] + cols + ["seeds"], rows)


def build(folder, outdir):
    df, params, notes = load(folder)
    tr.setup_matplotlib()
    figdir = os.path.join(outdir, FIGDIR)
    figs = []
    if not params:
        notes.append("no swept parameters: no accuracy-vs-parameter figure")
    for p in params:
        figs.append(accuracy_vs(df, p, params, figdir))
    for p, q in itertools.combinations(params, 2):
        figs.append(heatmaps(df, p, q, figdir))
    png, cap = cost_benefit(df, params, figdir)
    if png is None:
        notes.append(cap)
    else:
        figs.append((png, cap))
    body = ["<p>%d rows, %d points, parameters: %s.</p>"
            % (len(df), df["point"].nunique(),
               tr.esc(", ".join(params) or "none")),
            '<p class="note">%s</p>' % "<br>".join(tr.esc(n) for n in notes)
            if notes else "",
            "<h2>Mean over seeds</h2>", table(df, params), "<h2>Figures</h2>"]
    body += [tr.figure_html(FIGDIR + "/" + png, cap) for png, cap in figs]
    page = os.path.join(outdir, "sweep_report.html")
    tr.write_page(page, "tmsim sweep report: %s"
                  % os.path.basename(os.path.abspath(folder)), "\n".join(body))
    return page


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweepdir", help="output folder of `tmsim sweep`")
    ap.add_argument("-o", "--out", help="output folder [SWEEPDIR]")
    args = ap.parse_args(argv)
    try:
        page = build(args.sweepdir, args.out or args.sweepdir)
    except tr.InputError as e:
        tr.fail(PROG, e)
    print("%s: wrote %s" % (PROG, page))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
