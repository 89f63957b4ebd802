"""Figures of one tmsim results folder (docs/outputs.md), used by report.py.

Each function takes the loaded run and an output folder, writes NAME.png and
NAME.svg, and returns (png file name, caption) or None with a note when the
data for it is absent.  Time on every x axis is simulated seconds.  Interval
counters of timeseries.csv are turned into rates by dividing by the length
of their interval: time_ns minus the VM's previous snapshot (0 for the first).
"""

import csv
import math
import os

import matplotlib.pyplot as plt

from tmsim_results import save_figure, vm_colors

MIB = 1048576.0
GIB = 1073741824.0


def vm_order(summary):
    """(host, vm) pairs in summary.json order: the colour order."""
    return [(h["name"], v["name"]) for h in summary["hosts"]
            for v in h.get("vms", [])]


def with_intervals(ts):
    """timeseries rows with t_s (end, seconds) and dt_s (interval length)."""
    ts = ts.sort_values(["host", "vm", "time_ns"]).copy()
    prev = ts.groupby(["host", "vm"])["time_ns"].shift(1).fillna(0)
    ts["t_s"] = ts["time_ns"] / 1e9
    ts["dt_s"] = (ts["time_ns"] - prev) / 1e9
    ts = ts[ts["dt_s"] > 0]
    return ts


def vm_rows(summary, ts, host):
    """(vm, its timeseries rows) for the host's VMs in summary.json order."""
    for h, vm in vm_order(summary):
        if h == host:
            yield vm, ts[(ts["host"] == host) & (ts["vm"] == vm)]


def grid(n, width=11.0, row_h=2.4, ncols=3):
    ncols = min(ncols, n)
    nrows = int(math.ceil(n / float(ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 1.0 + row_h * nrows),
                             sharex=True, squeeze=False)
    flat = [a for row in axes for a in row]
    for a in flat[n:]:
        a.set_visible(False)
    return fig, flat[:n]


def bottom_labels(axes, label, ncols=3):
    """x label and tick labels on the lowest axes of each grid column (a
    column may end one row early when the grid is not full)."""
    for ax in axes[-ncols:]:
        ax.set_xlabel(label)
        ax.xaxis.set_tick_params(labelbottom=True)


def hit_ratio(summary, ts, ep, outdir):
    """Achieved FMEM hit ratio vs the oracle, per VM, over time."""
    vms = vm_order(summary)
    ts = with_intervals(ts)
    main = ep[ep["role"] == "main"]
    fig, axes = grid(len(vms))
    for ax, (host, vm) in zip(axes, vms):
        t = ts[(ts["host"] == host) & (ts["vm"] == vm)]
        e = main[(main["host"] == host) & (main["vm"] == vm)]
        ax.plot(t["t_s"], 100 * t["fmem_hit_ratio"], color="C0",
                label="achieved, per snapshot (timeseries)")
        ax.plot(t["t_s"], 100 * t["static_hit_ratio"], color="C7", ls=":",
                label="static first-touch, per snapshot")
        if len(e):
            es = e["time_ns"] / 1e9
            ax.plot(es, 100 * e["fmem_hit_ratio"], color="C0", ls="none",
                    marker=".", label="achieved, per epoch (epochs)")
            ax.plot(es, 100 * e["oracle_hit_ratio"], color="C3", ls="--",
                    label="oracle: true top-C in FMEM, per epoch")
        ax.set_title("%s / %s" % (host, vm))
        ax.set_ylim(0, 105)
        ax.set_ylabel("FMEM hit ratio (%)")
    bottom_labels(axes, "simulated time (s)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4)
    fig.suptitle("FMEM hit ratio achieved vs oracle, per VM (%s)"
                 % summary["name"])
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return save_figure(fig, outdir, "hit_ratio"), \
        "FMEM hit ratio achieved vs oracle and static placement, per VM"


def accuracy(summary, ts, ep, outdir):
    """Precision and recall of every identifier per epoch, per VM."""
    if not len(ep):
        return None, "no epochs.csv rows (truth disabled for every VM): " \
            "no accuracy figure"
    vms = [k for k in vm_order(summary)
           if len(ep[(ep["host"] == k[0]) & (ep["vm"] == k[1])])]
    idents = list(dict.fromkeys(zip(ep["identifier"], ep["role"])))
    colors = vm_colors(idents)
    fig, axes = grid(len(vms))
    for ax, (host, vm) in zip(axes, vms):
        e = ep[(ep["host"] == host) & (ep["vm"] == vm)]
        for ident in idents:
            r = e[(e["identifier"] == ident[0]) & (e["role"] == ident[1])]
            if not len(r):
                continue
            name = "%s (%s)" % ident
            ax.plot(r["time_ns"] / 1e9, r["precision"], color=colors[ident],
                    marker=".", label=name + " precision")
            ax.plot(r["time_ns"] / 1e9, r["recall"], color=colors[ident],
                    ls="--", marker="x", ms=4, label=name + " recall")
        ax.set_title("%s / %s" % (host, vm))
        ax.set_ylim(-0.03, 1.05)
        ax.set_ylabel("share of pages (0-1)")
    bottom_labels(axes, "simulated time, end of epoch (s)")
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=4)
    fig.suptitle("Identification precision |H∩T|/|H| and recall |H∩T|/|T| "
                 "per epoch, per VM and identifier")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return save_figure(fig, outdir, "accuracy"), \
        "Precision and recall per identifier over time (T = true top-C pages)"


# Columns of the error decomposition (docs/metrics.md), added to epochs.csv
# with distribution truth; older results lack them.
LOSS_COLUMNS = ("truth", "sampling_loss", "identifier_loss")
# Bars of the error_decomposition figure: (key, label, colour, hatch).
SEGMENTS = (
    ("precision", "precision against T", "C2", None),
    ("gain", "identifier gain (identifier_loss < 0: precision above the "
     "perfect counter's)", "C2", "//"),
    ("identifier_loss", "identifier loss", "C1", None),
    ("sampling_loss", "sampling loss", "C0", None),
    ("unsplit", "not split: estimated truth has no sampling loss", "0.8",
     None))


def decomposition_rows(summary, ep):
    """Per VM with truth, two bars: the main identifier and a perfect
    counter of the same samples naming as many pages ("exact on samples").
    Each is (host, vm, truth, bar, precision, sampling_loss,
    identifier_loss): means over the main identifier's epochs where each is
    defined, as summary.json's; the counter's precision is that of the
    identifier plus its loss, its identifier loss 0."""
    main = ep[ep["role"] == "main"]
    rows = []
    for host, vm in vm_order(summary):
        e = main[(main["host"] == host) & (main["vm"] == vm)]
        if not len(e):
            continue
        truth = "/".join(dict.fromkeys(e["truth"].dropna().astype(str)))
        p = e["precision"].mean()
        sl = e["sampling_loss"].mean()
        il = e["identifier_loss"].mean()
        both = e[["precision", "identifier_loss"]].dropna()
        pc = (both["precision"] + both["identifier_loss"]).mean()
        kind = "%s (main)" % e["identifier"].iloc[0]
        rows.append((host, vm, truth, kind, p, sl, il))
        rows.append((host, vm, truth, "exact on samples", pc, sl, 0.0))
    return rows


def bar_segments(p, sl, il):
    """[(segment key, bottom, height)] of one bar, from 0 up to 1."""
    if p != p:
        return []
    segs = []
    if il == il and il < 0:
        segs += [("precision", 0.0, p + il), ("gain", p + il, -il)]
    else:
        segs.append(("precision", 0.0, p))
    top = max(p, p + il) if il == il else p
    if il == il and il > 0:
        segs.append(("identifier_loss", p, il))
    if sl == sl:
        segs.append(("sampling_loss", top, max(0.0, 1.0 - top)))
    else:
        segs.append(("unsplit", top, max(0.0, 1.0 - top)))
    return segs


def write_rows_csv(outdir, name, header, rows):
    """The numbers of a figure as outdir/name.csv (temp name, rename)."""
    path = os.path.join(outdir, name + ".csv")
    tmp = os.path.join(outdir, ".%s.csv.tmp.%d" % (name, os.getpid()))
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if (isinstance(x, float) and x != x) else
                        ("%.6f" % x if isinstance(x, float) else x)
                        for x in r])
    os.replace(tmp, path)


def error_decomposition(summary, ts, ep, outdir):
    """Stacked bars per VM: precision, identifier loss, sampling loss."""
    missing = [c for c in LOSS_COLUMNS if c not in ep.columns]
    if missing:
        return None, "epochs.csv has no %s column (results from before " \
            "the error decomposition): no error decomposition figure" \
            % ", ".join(missing)
    rows = decomposition_rows(summary, ep)
    if not rows:
        return None, "no epochs.csv rows (truth disabled for every VM): " \
            "no error decomposition figure"
    n = len(rows) // 2
    fig, ax = plt.subplots(figsize=(min(60.0, max(11.0, 1.1 * n + 2)), 5.2))
    styles = {k: (lab, c, h) for k, lab, c, h in SEGMENTS}
    seen = set()
    for i, (host, vm, truth, bar, p, sl, il) in enumerate(rows):
        x = i // 2 + (-0.21 if i % 2 == 0 else 0.21)
        for key, bottom, height in bar_segments(p, sl, il):
            lab, color, hatch = styles[key]
            ax.bar(x, height, 0.4, bottom=bottom, color=color, hatch=hatch,
                   edgecolor="w" if hatch is None else "C3", linewidth=0.5,
                   label=None if key in seen else lab)
            seen.add(key)
    ax.set_xticks([i // 2 + (-0.21 if i % 2 == 0 else 0.21)
                   for i in range(len(rows))])
    ax.set_xticklabels([r[3].replace(" on ", "\non ").replace(" (", "\n(")
                        for r in rows], fontsize=7)
    vms = ax.secondary_xaxis(-0.14)
    vms.set_xticks(range(n))
    vms.set_xticklabels(["%s/%s\n%s truth" % r[:3] for r in rows[::2]])
    vms.tick_params(length=0)
    vms.spines["bottom"].set_visible(False)
    vms.set_xlabel("VM: its main identifier, and a perfect counter of the "
                   "same samples naming as many pages")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of the identified pages (0-1)")
    order = [lab for _, lab, _, _ in SEGMENTS]
    legend = sorted(zip(*ax.get_legend_handles_labels()),
                    key=lambda hl: order.index(hl[1]))
    fig.legend([h for h, _ in legend], [lab for _, lab in legend],
               loc="lower center", ncol=3)
    fig.suptitle("Error decomposition per VM: precision |H∩T|/|H| = 1 - "
                 "sampling loss - identifier loss (mean over epochs)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    os.makedirs(outdir, exist_ok=True)
    write_rows_csv(outdir, "error_decomposition",
                   ("host", "vm", "truth", "bar", "precision",
                    "sampling_loss", "identifier_loss"), rows)
    return save_figure(fig, outdir, "error_decomposition"), \
        "Precision of the main identifier and of a perfect counter of its " \
        "samples, split into sampling loss and identifier loss, per VM " \
        "(numbers: error_decomposition.csv)"


def per_host_axes(summary, nrows, row_h=3.0):
    hosts = [h["name"] for h in summary["hosts"]]
    fig, axes = plt.subplots(nrows, len(hosts),
                             figsize=(11.0, 0.8 + row_h * nrows),
                             sharex=True, squeeze=False)
    return fig, hosts, axes


def migration(summary, ts, ep, outdir):
    """Page moves per second and migrated MiB/s per VM, one column a host."""
    ts = with_intervals(ts)
    colors = vm_colors(vm_order(summary))
    fig, hosts, axes = per_host_axes(summary, 2)
    for col, host in enumerate(hosts):
        for vm, r in vm_rows(summary, ts, host):
            moves = (r["promotions"] + r["demotions"]) / r["dt_s"]
            c = colors[(host, vm)]
            axes[0][col].plot(r["t_s"], moves, color=c, marker=".", label=vm)
            axes[1][col].plot(r["t_s"], r["migrated_bytes"] / MIB / r["dt_s"],
                              color=c, marker=".", label=vm)
        axes[0][col].set_title("%s: page moves (promotions + demotions)" % host)
        axes[0][col].set_ylabel("pages moved per second")
        axes[1][col].set_title("%s: bytes copied by migration" % host)
        axes[1][col].set_ylabel("MiB/s")
        axes[1][col].set_xlabel("simulated time (s)")
        axes[0][col].legend(loc="best")
    fig.suptitle("Migration rate per VM (per snapshot interval)")
    fig.tight_layout()
    return save_figure(fig, outdir, "migration"), \
        "Migrations per second and migrated bytes per second, per VM"


def fmem_allocation(summary, ts, ep, outdir):
    """FMEM capacity per VM stacked over time, one panel a host."""
    ts = with_intervals(ts)
    page = summary["config"]["page_size"]
    colors = vm_colors(vm_order(summary))
    fig, hosts, axes = per_host_axes(summary, 1, row_h=3.6)
    for col, hinfo in enumerate(summary["hosts"]):
        ax = axes[0][col]
        t = ts[ts["host"] == hinfo["name"]]
        wide = t.pivot(index="t_s", columns="vm",
                       values="fmem_capacity_pages").fillna(0)
        vms = [v["name"] for v in hinfo.get("vms", []) if v["name"] in wide]
        if vms:
            ax.stackplot(wide.index, *[wide[v] * page / GIB for v in vms],
                         labels=vms, step="post",
                         colors=[colors[(hinfo["name"], v)] for v in vms],
                         alpha=0.85)
        if isinstance(hinfo.get("fmem_bytes"), (int, float)):
            ax.axhline(hinfo["fmem_bytes"] / GIB, color="k", ls="--",
                       label="host FMEM size")
            ax.set_ylim(0, 1.3 * hinfo["fmem_bytes"] / GIB)
        ax.set_title("%s: FMEM allocated per VM" % hinfo["name"])
        ax.set_ylabel("FMEM (GiB)")
        ax.set_xlabel("simulated time (s)")
        ax.legend(loc="upper left", ncol=3)
    fig.suptitle("FMEM allocation per VM over time "
                 "(fmem_capacity_pages x %d B pages)" % page)
    fig.tight_layout()
    return save_figure(fig, outdir, "fmem_allocation"), \
        "FMEM allocated to each VM, stacked, per host"


def balloon(summary, ts, ep, outdir):
    """Every balloon_* column of timeseries.csv per VM, when there are any."""
    cols = [c for c in ts.columns if c.startswith("balloon_")]
    if not cols:
        return None, "timeseries.csv has no balloon_* columns (this tmsim " \
            "has no balloons yet): no balloon figure"
    ts = with_intervals(ts)
    colors = vm_colors(vm_order(summary))
    fig, axes = grid(len(cols), ncols=2)
    for ax, col in zip(axes, cols):
        scale, unit = (MIB, "MiB") if col.endswith("_bytes") else (1.0, "value")
        for host, vm in vm_order(summary):
            r = ts[(ts["host"] == host) & (ts["vm"] == vm)]
            ax.plot(r["t_s"], r[col] / scale, color=colors[(host, vm)],
                    label="%s/%s" % (host, vm))
        ax.set_title(col)
        ax.set_ylabel("%s (%s)" % (col, unit))
        ax.set_xlabel("simulated time (s)")
        ax.legend(loc="best")
    fig.suptitle("Balloon activity per VM")
    fig.tight_layout()
    return save_figure(fig, outdir, "balloon"), \
        "Balloon columns of timeseries.csv per VM"


def cpu(summary, ts, ep, outdir):
    """Sampling and migration CPU per simulated second, per VM."""
    ts = with_intervals(ts)
    colors = vm_colors(vm_order(summary))
    panels = [("sampling_cpu_ns", "sampling (PEBS collection)"),
              ("migration_cpu_ns", "migration (copy, remap, flushes)")]
    if "classification_cpu_ns" in ts:
        panels.insert(1, ("classification_cpu_ns",
                          "classification (identifier updates)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.0),
                             sharex=True)
    for ax, (col, what) in zip(axes, panels):
        for host, vm in vm_order(summary):
            r = ts[(ts["host"] == host) & (ts["vm"] == vm)]
            ax.plot(r["t_s"], r[col] / 1e6 / r["dt_s"], marker=".",
                    color=colors[(host, vm)], label="%s/%s" % (host, vm))
        ax.set_title("CPU spent on %s" % what)
        ax.set_ylabel("CPU ms per simulated second")
        ax.set_xlabel("simulated time (s)")
        ax.legend(loc="best")
    fig.suptitle("Management CPU per VM")
    fig.tight_layout()
    return save_figure(fig, outdir, "cpu"), \
        "Sampling, classification and migration CPU per VM"


def zoo_rows(summary):
    """(vm key, kind, role, weighted recall, precision, bytes per page) of
    every scored identifier of the VMs that run more than one."""
    rows = []
    for h in summary["hosts"]:
        for v in h.get("vms", []):
            ids = v.get("identifiers") or []
            if len(ids) < 2:
                continue
            for i in ids:
                if i.get("weighted_recall") is None:
                    continue
                rows.append(("%s/%s" % (h["name"], v["name"]), i["kind"],
                             i.get("role"), i["weighted_recall"],
                             i.get("precision"),
                             i.get("memory_bytes_per_page")))
    return rows


def zoo(summary, ts, ep, outdir):
    """Identifiers side by side: what placing each one's pages would hit,
    against the oracle, per VM; and precision against state per page."""
    rows = zoo_rows(summary)
    if not rows:
        return None, "no VM runs more than one identifier: no side-by-side " \
            "figure"
    vms = list(dict.fromkeys(r[0] for r in rows))
    kinds = list(dict.fromkeys(r[1] for r in rows))
    colors = vm_colors(kinds)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12.0, 4.6))
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        xs, ys = [], []
        for r in rows:
            if r[1] == kind:
                xs.append(vms.index(r[0]) + (k - (len(kinds) - 1) / 2) * width)
                ys.append(r[3])
        ax.bar(xs, ys, width, color=colors[kind], label=kind)
    ax.set_xticks(range(len(vms)))
    ax.set_xticklabels(vms, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("hits of its pages / the oracle's (weighted recall)")
    ax.set_title("Hit ratio vs oracle, per identifier")
    markers = "os^Dv<>ph*"
    for r in rows:
        if r[4] is None or not r[5]:
            continue
        bx.scatter(r[5], r[4], color=colors[r[1]],
                   marker=markers[vms.index(r[0]) % len(markers)])
    for j, vm in enumerate(vms):
        bx.scatter([], [], color="0.4", marker=markers[j % len(markers)],
                   label=vm)
    bx.set_xscale("log")
    bx.set_ylim(-0.03, 1.05)
    bx.set_xlabel("identifier state per touched page (bytes, log)")
    bx.set_ylabel("precision |H∩T|/|H|")
    bx.set_title("Precision against metadata")
    bx.legend(loc="best", fontsize="small")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center",
               ncol=min(len(kinds), 7))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save_figure(fig, outdir, "zoo"), \
        "Identifiers side by side: hit ratio of each one's pages against the " \
        "oracle's, and precision against metadata bytes per page"


# In report order.
FIGURES = (hit_ratio, accuracy, zoo, error_decomposition, migration,
           fmem_allocation, balloon, cpu)
