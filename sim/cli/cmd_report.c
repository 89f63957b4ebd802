/*
 * cmd_report.c - `tmsim report DIR`: the text report of a results folder,
 * read back from its summary.json (the documented contract, docs/outputs.md),
 * so it works on results from any machine of the same format version.
 *
 * After the text tables it writes DIR/report.html with figures by running
 * the analysis script report.py (DESIGN.md §8, docs/reports.md) with Python
 * 3.  Plotting is optional: when Python, matplotlib or pandas is missing it
 * says so in one line and the command still succeeds, because the text
 * report is the part every machine can produce.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "sim/config/config.h"
#include "sim/output/output.h"

static const char usage[] =
"usage: tmsim report DIR [--no-html]\n"
"\n"
"Print the accuracy, placement and migration tables of the results folder\n"
"DIR written by `tmsim run` (reads DIR/summary.json), then write\n"
"DIR/report.html with figures (DIR/figures/) when Python 3 with matplotlib\n"
"and pandas is available.\n"
"\n"
"  --no-html     print the text tables only\n"
"  -h, --help    this text\n"
"\n"
"Environment: TMSIM_PYTHON is the Python to use (default /usr/bin/python3,\n"
"else python3 in PATH); TMSIM_ANALYSIS is the folder of report.py (default\n"
"BINDIR/analysis, BINDIR/../analysis, BINDIR/../share/tmsim/analysis).\n";

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

/* A value that may be negative (an identifier can beat the perfect counter
 * of its samples: identifier_loss < 0): NAN when missing or null. */
static double signed_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* One right-aligned column of width 9: "-" for a missing value (negative or
 * NAN), else v with `prec` decimals (prec < 0: 3 significant digits). */
static void cell(double v, int prec)
{
	if (v < 0 || isnan(v))
		printf(" %9s", "-");
	else if (prec < 0)
		printf(" %9.3g", v);
	else
		printf(" %9.*f", prec, v);
}

/* As cell() with 3 decimals, for a value whose sign means something. */
static void signed_cell(double v)
{
	if (isnan(v))
		printf(" %9s", "-");
	else
		printf(" %9.3f", v);
}

/* The truth source names where T comes from (docs/metrics.md "Ground
 * truth"); the losses split 1 - precision (sampling_loss is null for
 * `estimated` truth, where T is made of the same samples). */
static void accuracy_row(const json_t *host, const json_t *vm,
			 const json_t *id)
{
	const json_t *truth = json_object_get(vm, "truth");

	printf("%-10s %-12s %-10s %-6s %-12s", str(host, "name"),
	       str(vm, "name"), str(id, "kind"), str(id, "role"),
	       json_is_true(json_object_get(truth, "enabled")) ?
	       str(truth, "source") : "-");
	cell(num(id, "precision"), 3);
	signed_cell(signed_num(id, "sampling_loss"));
	signed_cell(signed_num(id, "identifier_loss"));
	cell(num(id, "recall"), 3);
	cell(num(id, "weighted_recall"), 3);
	cell(num(id, "are"), -1);
	cell(num(id, "aae"), -1);
	cell(num(id, "memory_bytes_per_page"), 1);
	printf(" %7.0f\n", num(id, "epochs_scored"));
}

static void accuracy_table(const json_t *hosts)
{
	size_t h, v, i;
	json_t *host, *vm, *id;

	printf("Identification accuracy (mean over epochs; T = true top-C, "
	       "C = FMEM pages;\nprecision = 1 - sampling loss - identifier "
	       "loss; w-recall = hits of its pages / the oracle's;\nB/page = "
	       "identifier state per touched page; docs/metrics.md)\n");
	printf("%-10s %-12s %-10s %-6s %-12s %9s %9s %9s %9s %9s %9s %9s %9s "
	       "%7s\n", "host", "vm", "ident", "role", "truth", "precision",
	       "samp-loss", "id-loss", "recall", "w-recall", "ARE", "AAE",
	       "B/page", "epochs");
	json_array_foreach(hosts, h, host)
		json_array_foreach(json_object_get(host, "vms"), v, vm)
			json_array_foreach(json_object_get(vm, "identifiers"),
					   i, id)
				accuracy_row(host, vm, id);
}

static void placement_table(const json_t *hosts)
{
	size_t h, v;
	json_t *host, *vm;

	/* oracle_hit_ratio and efficiency are the run's own (summary.json),
	 * against the same truth as the accuracy table: the distribution's
	 * best placement, or cross-fitted for `estimated` truth. */
	printf("\nPlacement (FMEM hit ratio in %%; oracle = the epoch's true "
	       "top-C in FMEM;\nefficiency = epoch / oracle)\n");
	printf("%-10s %-12s %9s %9s %9s %9s %9s %9s %9s\n", "host", "vm",
	       "achieved", "epoch", "oracle", "static", "efficiency",
	       "AMAT ns", "slowdown");
	json_array_foreach(hosts, h, host) {
		json_array_foreach(json_object_get(host, "vms"), v, vm) {
			double a = num(vm, "fmem_hit_ratio");
			double e = num(vm, "epoch_hit_ratio");
			double o = num(vm, "oracle_hit_ratio");
			double s = num(vm, "static_hit_ratio");

			printf("%-10s %-12s",
			       json_string_value(json_object_get(host, "name")),
			       json_string_value(json_object_get(vm, "name")));
			cell(a < 0 ? a : 100 * a, 2);
			cell(e < 0 ? e : 100 * e, 2);
			cell(o < 0 ? o : 100 * o, 2);
			cell(s < 0 ? s : 100 * s, 2);
			cell(num(vm, "efficiency"), 3);
			cell(num(vm, "amat_ns"), 1);
			cell(num(vm, "slowdown"), 3);
			printf("\n");
		}
	}
}

static void migration_table(const json_t *hosts)
{
	size_t h, v;
	json_t *host, *vm;

	printf("\nMigration\n");
	printf("%-10s %-12s %-8s %9s %9s %9s %9s %9s %9s %9s\n", "host", "vm",
	       "mode", "promoted", "demoted", "exchanged", "MiB", "cpu ms",
	       "pingpong", "unpaid");
	json_array_foreach(hosts, h, host) {
		json_array_foreach(json_object_get(host, "vms"), v, vm) {
			const json_t *m = json_object_get(vm, "migration");

			printf("%-10s %-12s %-8s %9.0f %9.0f %9.0f %9.1f %9.2f %9.0f %9.0f\n",
			       json_string_value(json_object_get(host, "name")),
			       json_string_value(json_object_get(vm, "name")),
			       json_string_value(json_object_get(m, "mode")),
			       num(m, "promotions"), num(m, "demotions"),
			       num(m, "exchanges"), num(m, "bytes") / 1048576.0,
			       num(m, "cpu_ns") / 1e6, num(m, "pingpong_pages"),
			       num(m, "unpaid_moves"));
		}
	}
}

/* Folders searched for report.py, after $TMSIM_ANALYSIS, relative to the
 * binary's folder: the source tree (./tmsim), a build folder inside it
 * (build/tmsim) and `make install` (PREFIX/bin -> PREFIX/share). */
static const char *const analysis_rel[] = {
	"analysis", "../analysis", "../share/tmsim/analysis",
};

static int has_report_py(const char *dir)
{
	char path[TM_PATH_MAX + 16];

	int len = snprintf(path, sizeof(path), "%s/report.py", dir);

	return len > 0 && (size_t)len < sizeof(path) && access(path, R_OK) == 0;
}

/* Find the analysis folder into buf; 0 ok, -1 not found. */
static int find_analysis(char *buf, size_t sz)
{
	const char *env = getenv("TMSIM_ANALYSIS");
	char exe[TM_PATH_MAX];
	ssize_t n;
	char *slash;
	size_t i;

	if (env && *env) {
		snprintf(buf, sz, "%s", env);
		return has_report_py(buf) ? 0 : -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (i = 0; i < sizeof(analysis_rel) / sizeof(analysis_rel[0]); i++) {
		int len = snprintf(buf, sz, "%s/%s", exe, analysis_rel[i]);

		if (len > 0 && (size_t)len < sz && has_report_py(buf))
			return 0;
	}
	return -1;
}

static const char *find_python(void)
{
	const char *env = getenv("TMSIM_PYTHON");

	if (env && *env)
		return env;
	/* The system Python is where Debian's python3-matplotlib lives; a
	 * python3 earlier in PATH (a virtualenv) may not have it. */
	if (access("/usr/bin/python3", X_OK) == 0)
		return "/usr/bin/python3";
	return "python3";
}

/* Run argv (PATH searched), its output silenced when quiet; return its exit
 * status, 127 when it cannot be started, -1 when it died of a signal. */
static int run_child(char *const argv[], int quiet)
{
	pid_t pid;
	int status, fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		if (quiet && (fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Write DIR/report.html with report.py: 0 done or plotting unavailable (one
 * line says why), 2 when report.py rejected the folder (it said why). */
static int write_html(const char *dir)
{
	char adir[TM_PATH_MAX], script[TM_PATH_MAX + 16];
	const char *py = find_python();
	char *check[] = { (char *)py, "-c", "import matplotlib, pandas", NULL };
	char *run[] = { (char *)py, script, (char *)dir, NULL };
	int rc;

	if (find_analysis(adir, sizeof(adir)) < 0) {
		printf("\nreport.html not written: analysis scripts (report.py) "
		       "not found; set TMSIM_ANALYSIS\n");
		return 0;
	}
	rc = run_child(check, 1);
	if (rc == 127) {
		printf("\nreport.html not written: %s not found\n", py);
		return 0;
	}
	if (rc != 0) {
		printf("\nreport.html not written: %s cannot import matplotlib "
		       "and pandas (apt-get install python3-matplotlib "
		       "python3-pandas)\n", py);
		return 0;
	}
	snprintf(script, sizeof(script), "%s/report.py", adir);
	printf("\n");
	rc = run_child(run, 0);
	if (rc != 0) {
		fprintf(stderr, "tmsim report: report.html not written: %s "
			"exited %d\n", script, rc);
		return 2;
	}
	return 0;
}

struct report_args {
	const char *dir;
	int html;
};

/* 0 ok, 1 help printed, 2 bad usage. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option longopts[] = {
		{ "no-html", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->html = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'n') {
			a->html = 0;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	a->dir = argv[optind];
	return 0;
}

static int text_report(const char *dir)
{
	char path[TM_PATH_MAX + 32];
	json_error_t jerr;
	json_t *root;
	const json_t *hosts;

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		fprintf(stderr, "tmsim report: %s:%d:%d: %s\n", path, jerr.line,
			jerr.column, jerr.text);
		return 2;
	}
	if (num(root, "format_version") != TM_OUTPUT_FORMAT_VERSION ||
	    !json_is_array(json_object_get(root, "hosts"))) {
		fprintf(stderr, "tmsim report: %s: format_version %g, expected "
			"%d (results written by another tmsim version?)\n",
			path, num(root, "format_version"),
			TM_OUTPUT_FORMAT_VERSION);
		json_decref(root);
		return 2;
	}
	hosts = json_object_get(root, "hosts");
	printf("tmsim report: %s (config %s, seed %.0f, %.3f s simulated)\n\n",
	       dir, json_string_value(json_object_get(root, "name")),
	       num(root, "seed"), num(root, "duration_ns") * 1e-9);
	accuracy_table(hosts);
	placement_table(hosts);
	migration_table(hosts);
	json_decref(root);
	return 0;
}

int tm_cmd_report(int argc, char **argv)
{
	struct report_args a;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc == 1 ? 0 : rc;
	rc = text_report(a.dir);
	if (rc || !a.html)
		return rc;
	return write_html(a.dir);
}
