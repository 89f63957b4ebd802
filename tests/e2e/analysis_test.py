"""Tests of the analysis scripts (analysis/*.py) on synthetic inputs and on a
results folder given in $TMSIM_RESULTS (a real `tmsim run`, made by
tests/e2e/analysis_errors.sh).  Run by that script with the system Python.

What is checked: the sweep report finds the swept parameters from sweep.json
(and from dotted columns without it) and draws the expected figures, with
the main identifier's sampling and identifier loss from the points'
summary.json; the
trace report draws both figures from inspect JSON; the SDH grid script
draws its two figures from bench_sdh's CSV; every script exits 2
with a message naming the file on a missing file, a wrong format_version and
a missing column; figures are byte-identical when drawn twice; the error
decomposition figure of a real run carries summary.json's means.
"""

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANALYSIS = os.path.join(TOP, "analysis")
PY = sys.executable

PERIODS = ["1000", "4093", "16384"]
WIDTHS = ["1024", "4096", "16384"]
SEEDS = [1, 2, 3]
VMS = [("h0", "zipf"), ("h0", "hot")]
PARAMS = ["defaults.sampler.load_period", "defaults.identifier.width"]


def write_sweep(folder, with_json=True):
    """A 3 x 3 grid x 3 seeds sweep of 2 VMs whose recall rises with the
    width and falls with the period, as a real sweep would show."""
    rng = random.Random(7)
    header = (["point", "seed"] + PARAMS + [
        "host", "vm", "accesses", "fmem_hit_ratio", "oracle_hit_ratio",
        "static_hit_ratio", "efficiency", "amat_ns", "promotions",
        "demotions", "exchanges", "migrated_bytes", "migration_cpu_ns",
        "samples", "sampling_cpu_ns", "ident0_kind", "ident0_role",
        "ident0_precision", "ident0_recall"])
    rows, points, i = [], [], 0
    for period in PERIODS:
        for width in WIDTHS:
            for seed in SEEDS:
                points.append({"index": i, "folder": "points/p%04d" % i,
                               "seed": seed,
                               "parameters": dict(zip(PARAMS,
                                                      [period, width]))})
                for host, vm in VMS:
                    rec = min(1.0, 0.2 * WIDTHS.index(width) + 0.5
                              - 0.1 * PERIODS.index(period)
                              + rng.uniform(-0.05, 0.05))
                    hit = 0.5 + 0.4 * rec
                    rows.append([i, seed, period, width, host, vm, 1000000,
                                 "%.6f" % hit, "0.950000", "0.500000",
                                 "%.6f" % (hit / 0.95), "100.0", 50, 50, 50,
                                 4096 * 100 * (1 + WIDTHS.index(width)),
                                 200000 * (1 + PERIODS.index(period)),
                                 1000, 10000, "sdh", "main",
                                 "%.6f" % (0.9 * rec + 0.1), "%.6f" % rec])
                i += 1
    with open(os.path.join(folder, "sweep.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    if with_json:
        with open(os.path.join(folder, "sweep.json"), "w") as f:
            json.dump({"name": "synthetic", "base": "base.yaml",
                       "parameters": PARAMS, "points": points}, f)


def write_inspect(path):
    counts = [[(t * a) % 7 for a in range(20)] for t in range(30)]
    doc = {"file": "x.tmt", "source": "x.tmt", "kind": "accesses",
           "records": 1000, "accesses": 1000,
           "time": {"first_ns": 0, "last_ns": 10**9, "span_ns": 10**9},
           "footprint_bytes": 4096 * 500,
           "coverage": [
               {"page_size": 4096, "pages": 500, "bytes": 4096 * 500,
                "levels": [{"accesses": a, "pages": p, "share_of_pages": p
                            / 500.0} for a, p in ((0.5, 10), (0.9, 100),
                                                  (0.95, 200), (0.99, 400),
                                                  (0.999, 490))]},
               {"page_size": 2097152, "pages": 1, "bytes": 2097152,
                "levels": [{"accesses": a, "pages": 1, "share_of_pages": 1.0}
                           for a in (0.5, 0.9, 0.95, 0.99, 0.999)]}],
           "heatmap": {"time_bins": 30, "addr_bins": 20, "start_ns": 0,
                       "bin_ns": 33333334, "addr_start": "0x0",
                       "bin_bytes": 4096 * 25, "counts": counts}}
    with open(path, "w") as f:
        json.dump(doc, f)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def run(script, *args):
    return subprocess.run([PY, os.path.join(ANALYSIS, script)] + list(args),
                          capture_output=True, text=True, timeout=120)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tmsim-analysis-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def expect_input_error(self, p, *needles):
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        for n in needles:
            self.assertIn(n, p.stderr)


class SweepReport(Base):
    def test_grid_sweep(self):
        write_sweep(self.dir)
        p = run("sweep_report.py", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        figs = sorted(os.listdir(os.path.join(self.dir, "figures")))
        want = ["accuracy_vs_defaults_identifier_width",
                "accuracy_vs_defaults_sampler_load_period",
                "cost_benefit",
                "heatmap_defaults_sampler_load_period_defaults_identifier_width"]
        self.assertEqual(figs, sorted([w + e for w in want
                                       for e in (".png", ".svg")]))
        page = read(os.path.join(self.dir, "sweep_report.html"))
        for w in want:
            self.assertIn('src="figures/%s.png"' % w, page)
        # Mean over 3 seeds per point and VM: 9 points x 2 VMs table rows.
        self.assertEqual(page.count("<td>h0/zipf</td>"), 9)
        self.assertNotIn("sweep.json not found", page)

    def write_point_summaries(self, losses):
        """points/pNNNN/summary.json of every point of write_sweep, the
        main identifier's (sampling_loss, identifier_loss) per VM."""
        doc = json.loads(read(os.path.join(self.dir, "sweep.json")))
        for pt in doc["points"]:
            d = os.path.join(self.dir, pt["folder"])
            os.makedirs(d)
            vms = [{"name": vm, "identifiers": [
                {"kind": "sdh", "role": "main", "sampling_loss": sl,
                 "identifier_loss": il}]}
                for (_, vm), (sl, il) in zip(VMS, losses)]
            write(os.path.join(d, "summary.json"), json.dumps(
                {"format_version": 1, "name": "p", "duration_ns": 10**9,
                 "config": {"page_size": 4096},
                 "hosts": [{"name": "h0", "vms": vms}]}))

    def test_losses_from_point_summaries(self):
        """sweep.csv has no loss columns: the main identifier's sampling
        and identifier loss are read from each point's summary.json and
        shown in the table (means over seeds) and the accuracy figures."""
        write_sweep(self.dir)
        self.write_point_summaries([(0.321, 0.123), (0.654, -0.045)])
        p = run("sweep_report.py", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = read(os.path.join(self.dir, "sweep_report.html"))
        self.assertIn("<th>ident0_sampling_loss</th>", page)
        self.assertIn("<th>ident0_identifier_loss</th>", page)
        for v in ("0.321", "0.123", "0.654", "-0.045"):
            self.assertEqual(page.count('<td class="n">%s</td>' % v), 9, v)
        self.assertIn("identifier read from each point", page)

    def test_no_losses_without_point_folders(self):
        write_sweep(self.dir)
        p = run("sweep_report.py", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = read(os.path.join(self.dir, "sweep_report.html"))
        self.assertNotIn("ident0_sampling_loss", page)
        self.assertIn("point folder points/p0000 not found", page)

    def test_dotted_columns_without_json(self):
        write_sweep(self.dir, with_json=False)
        p = run("sweep_report.py", self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = read(os.path.join(self.dir, "sweep_report.html"))
        self.assertIn("sweep.json not found", page)
        self.assertIn("parameters: defaults.sampler.load_period, "
                      "defaults.identifier.width", page)

    def test_deterministic(self):
        write_sweep(self.dir)
        self.assertEqual(run("sweep_report.py", self.dir).returncode, 0)
        f = os.path.join(self.dir, "figures", "cost_benefit")
        first = [read(f + e, "rb") for e in (".png", ".svg")]
        self.assertEqual(run("sweep_report.py", self.dir).returncode, 0)
        self.assertEqual(first, [read(f + e, "rb")
                                 for e in (".png", ".svg")])

    def test_missing_csv(self):
        p = run("sweep_report.py", self.dir)
        self.expect_input_error(p, os.path.join(self.dir, "sweep.csv"),
                                "file not found")

    def test_missing_column(self):
        write_sweep(self.dir)
        path = os.path.join(self.dir, "sweep.csv")
        lines = read(path).replace("efficiency", "effic", 1)
        write(path, lines)
        self.expect_input_error(run("sweep_report.py", self.dir), path,
                                "missing column(s) efficiency")

    def test_parameter_not_in_csv(self):
        write_sweep(self.dir)
        jpath = os.path.join(self.dir, "sweep.json")
        doc = json.loads(read(jpath))
        doc["parameters"].append("defaults.fmem")
        write(jpath, json.dumps(doc))
        self.expect_input_error(run("sweep_report.py", self.dir),
                                "defaults.fmem", jpath)


class TraceReport(Base):
    def test_figures(self):
        path = os.path.join(self.dir, "t.inspect.json")
        write_inspect(path)
        p = run("trace_report.py", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        for f in ("trace_heatmap.png", "trace_coverage.svg", "trace.html"):
            self.assertTrue(os.path.isfile(os.path.join(self.dir, f)), f)

    def test_not_inspect_output(self):
        path = os.path.join(self.dir, "t.json")
        write(path, '{"records": 3}')
        self.expect_input_error(run("trace_report.py", path), path,
                                "coverage")


def write_sdh_grid(path, draws=0):
    """A small grid in bench_sdh's CSV format (BENCH_SDH_CSV); with draws,
    its later columns too (draws, precision_se, gap, gap_se)."""
    cols = ("memory_kb,k,skew,records,seeds,variant,kind,rules,counter_bits,"
            "width,pair,precision,are,aae,saturated,true_over_16bit")
    extra = ",%d,0.004,," % draws if draws else ""
    rows = [cols + (",draws,precision_se,gap,gap_se" if draws else "")]
    for kb in (10, 30):
        for skew in (0.6, 1.2):
            for v, kind, rules, bits in (("sdh-s1", "sdh", "S1", 16),
                                         ("twin-s1", "twin", "S1", 16),
                                         ("sdh-hk-auth-32", "sdh",
                                          "HK authors", 32)):
                rows.append("%d,100,%.1f,1000,3,%s,%s,%s,%d,601,,%.3f,0.1,2,"
                            "0,0%s" % (kb, skew, v, kind, rules, bits,
                                       kb / 40 + skew / 10, extra))
    write(path, "\n".join(rows) + "\n")


class SdhGrid(Base):
    def test_figures(self):
        path = os.path.join(self.dir, "grid.csv")
        write_sdh_grid(path)
        p = run("sdh_grid.py", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        figs = os.path.join(self.dir, "figures")
        for f in ("sdh_precision_memory.png", "sdh_precision_memory.svg",
                  "sdh_precision_skew.png", "sdh_precision_skew.svg"):
            self.assertTrue(os.path.isfile(os.path.join(figs, f)), f)
        html = read(os.path.join(self.dir, "sdh_grid.html"))
        self.assertIn("figures/sdh_precision_skew.png", html)
        first = read(os.path.join(figs, "sdh_precision_memory.png"), "rb")
        self.assertEqual(run("sdh_grid.py", path).returncode, 0)
        self.assertEqual(read(os.path.join(figs, "sdh_precision_memory.png"),
                              "rb"), first)

    def test_draws_in_caption(self):
        """The page says what a point is the mean of: the seeds, and the
        hash draws per stream where the CSV has them."""
        path = os.path.join(self.dir, "grid.csv")
        write_sdh_grid(path)
        self.assertEqual(run("sdh_grid.py", path).returncode, 0)
        html = read(os.path.join(self.dir, "sdh_grid.html"))
        self.assertIn("mean of the seeds", html)
        write_sdh_grid(path, draws=8)
        p = run("sdh_grid.py", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        html = read(os.path.join(self.dir, "sdh_grid.html"))
        self.assertIn("mean of 3 seeds x 8 hash draws", html)

    def test_bad_input(self):
        path = os.path.join(self.dir, "grid.csv")
        self.expect_input_error(run("sdh_grid.py", path), path,
                                "file not found")
        write_sdh_grid(path)
        write(path, read(path).replace("precision", "prec", 1))
        self.expect_input_error(run("sdh_grid.py", path), path, "precision")
        write_sdh_grid(path)
        lines = read(path).splitlines()
        lines[3] = lines[3].replace(",0.6,", ",x,", 1)
        write(path, "\n".join(lines) + "\n")
        self.expect_input_error(run("sdh_grid.py", path), path + ":4",
                                "skew")


@unittest.skipUnless(os.environ.get("TMSIM_RESULTS"), "needs TMSIM_RESULTS")
class RunReport(Base):
    def copy_results(self):
        dst = os.path.join(self.dir, "r")
        os.mkdir(dst)
        for f in ("summary.json", "timeseries.csv", "epochs.csv"):
            shutil.copy(os.path.join(os.environ["TMSIM_RESULTS"], f), dst)
        return dst

    def strip_balloon(self, d):
        """Drop any balloon_* columns from d's timeseries.csv."""
        path = os.path.join(d, "timeseries.csv")
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        keep = [i for i, c in enumerate(rows[0])
                if not c.startswith("balloon_")]
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(
                [[r[i] for i in keep] for r in rows])

    def test_report_and_balloon_note(self):
        d = self.copy_results()
        self.strip_balloon(d)
        p = run("report.py", d)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = read(os.path.join(d, "report.html"))
        for f in ("hit_ratio", "accuracy", "error_decomposition",
                  "migration", "fmem_allocation", "cpu"):
            self.assertIn('src="figures/%s.png"' % f, page)
            self.assertTrue(os.path.isfile(os.path.join(d, "figures",
                                                        f + ".svg")))
        self.assertIn("no balloon_* columns", page)
        self.assertNotIn("balloon.png", page)

    def test_balloon_columns_are_plotted(self):
        d = self.copy_results()
        self.strip_balloon(d)
        path = os.path.join(d, "timeseries.csv")
        lines = read(path).splitlines()
        out = [lines[0] + ",balloon_bytes"] + \
            [ln + ",%d" % (i * 4096) for i, ln in enumerate(lines[1:])]
        write(path, "\n".join(out) + "\n")
        self.assertEqual(run("report.py", d).returncode, 0)
        page = read(os.path.join(d, "report.html"))
        self.assertIn('src="figures/balloon.png"', page)

    def decomposition(self, d):
        """error_decomposition.csv of d as {(host, vm, bar): row}."""
        with open(os.path.join(d, "figures", "error_decomposition.csv"),
                  newline="") as f:
            return {(r["host"], r["vm"], r["bar"]): r
                    for r in csv.DictReader(f)}

    def main_identifiers(self, d):
        doc = json.loads(read(os.path.join(d, "summary.json")))
        for h in doc["hosts"]:
            for v in h["vms"]:
                ids = [i for i in v["identifiers"] if i["role"] == "main"]
                yield h["name"], v, ids[0]

    def assert_close(self, csv_field, want, what):
        # epochs.csv and the figure's numbers have six decimals
        if want is None:
            self.assertEqual(csv_field, "", what)
        else:
            self.assertAlmostEqual(float(csv_field), want, delta=2e-6,
                                   msg=what)

    def test_error_decomposition_is_the_summary_means(self):
        """The stacked bars per VM (computed from epochs.csv's loss
        columns) carry the means summary.json reports: the main identifier's
        precision, sampling loss and identifier loss, and a perfect counter
        of its samples at precision + identifier loss = 1 - sampling
        loss."""
        d = self.copy_results()
        self.assertEqual(run("report.py", d).returncode, 0)
        page = read(os.path.join(d, "report.html"))
        self.assertIn('src="figures/error_decomposition.png"', page)
        self.assertIn("<th>sampling loss</th>", page)
        bars = self.decomposition(d)
        n = 0
        for host, vm, ident in self.main_identifiers(d):
            what = "%s/%s" % (host, vm)
            self.assertEqual(vm["truth"]["source"], "distribution", what)
            m = bars[(host, vm["name"], "%s (main)" % ident["kind"])]
            e = bars[(host, vm["name"], "exact on samples")]
            self.assertEqual(m["truth"], "distribution", what)
            for k in ("precision", "sampling_loss", "identifier_loss"):
                self.assert_close(m[k], ident[k], what + " " + k)
            self.assert_close(e["precision"], ident["precision"] +
                              ident["identifier_loss"], what)
            self.assert_close(e["precision"], 1 - ident["sampling_loss"], what)
            self.assert_close(e["sampling_loss"], ident["sampling_loss"], what)
            self.assertEqual(float(e["identifier_loss"]), 0.0, what)
            n += 1
        self.assertEqual(len(bars), 2 * n)
        self.assertGreater(n, 0)

    def test_error_decomposition_estimated_truth(self):
        """With `estimated` truth sampling_loss is empty: the bars keep the
        identifier loss and leave the sampling loss empty."""
        d = self.copy_results()
        path = os.path.join(d, "epochs.csv")
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            r["truth"], r["sampling_loss"] = "estimated", ""
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, rows[0].keys(), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        self.assertEqual(run("report.py", d).returncode, 0)
        for (host, vm, bar), r in self.decomposition(d).items():
            self.assertEqual((r["truth"], r["sampling_loss"]),
                             ("estimated", ""), (host, vm, bar))
        self.assertIn('src="figures/error_decomposition.png"',
                      read(os.path.join(d, "report.html")))

    def test_results_without_loss_columns(self):
        """Results from before the error decomposition still get every other
        figure, and a note instead of this one."""
        d = self.copy_results()
        path = os.path.join(d, "epochs.csv")
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        keep = [i for i, c in enumerate(rows[0]) if c not in
                ("truth", "sampling_loss", "identifier_loss",
                 "single_sample_share")]
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(
                [[r[i] for i in keep] for r in rows])
        self.assertEqual(run("report.py", d).returncode, 0)
        page = read(os.path.join(d, "report.html"))
        self.assertIn("no error decomposition figure", page)
        self.assertNotIn("error_decomposition.png", page)
        self.assertIn('src="figures/accuracy.png"', page)

    def test_wrong_format_version(self):
        d = self.copy_results()
        path = os.path.join(d, "summary.json")
        doc = json.loads(read(path))
        doc["format_version"] = 2
        write(path, json.dumps(doc))
        self.expect_input_error(run("report.py", d), path,
                                "format_version 2, expected 1")

    def test_missing_file(self):
        d = self.copy_results()
        os.remove(os.path.join(d, "epochs.csv"))
        self.expect_input_error(run("report.py", d),
                                os.path.join(d, "epochs.csv"),
                                "file not found")

    def test_missing_column(self):
        d = self.copy_results()
        path = os.path.join(d, "timeseries.csv")
        text = read(path).replace("sampling_cpu_ns", "x", 1)
        write(path, text)
        self.expect_input_error(run("report.py", d), path, "sampling_cpu_ns")


if __name__ == "__main__":
    unittest.main()
