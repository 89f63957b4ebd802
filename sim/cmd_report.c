/*
 * cmd_report.c - `tmsim report DIR`: the text report of a results folder,
 * read back from its summary.json (the documented contract, docs/outputs.md),
 * so it works on results from any machine of the same format version.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "output.h"

static const char usage[] =
"usage: tmsim report DIR\n"
"\n"
"Print the accuracy, placement and migration tables of the results folder\n"
"DIR written by `tmsim run` (reads DIR/summary.json).\n";

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

/* One right-aligned column of width 9: "-" for a missing value, else v
 * with `prec` decimals (prec < 0: 3 significant digits). */
static void cell(double v, int prec)
{
	if (v < 0)
		printf(" %9s", "-");
	else if (prec < 0)
		printf(" %9.3g", v);
	else
		printf(" %9.*f", prec, v);
}

static void accuracy_table(const json_t *hosts)
{
	size_t h, v, i;
	json_t *host, *vm, *id;

	printf("Identification accuracy (mean over epochs; T = true top-C, "
	       "C = FMEM pages)\n");
	printf("%-10s %-12s %-6s %-6s %9s %9s %9s %9s %9s %7s\n", "host", "vm",
	       "ident", "role", "precision", "recall", "w-recall", "ARE", "AAE",
	       "epochs");
	json_array_foreach(hosts, h, host) {
		json_array_foreach(json_object_get(host, "vms"), v, vm) {
			json_array_foreach(json_object_get(vm, "identifiers"), i, id) {
				printf("%-10s %-12s %-6s %-6s",
				       json_string_value(json_object_get(host, "name")),
				       json_string_value(json_object_get(vm, "name")),
				       json_string_value(json_object_get(id, "kind")),
				       json_string_value(json_object_get(id, "role")));
				cell(num(id, "precision"), 3);
				cell(num(id, "recall"), 3);
				cell(num(id, "weighted_recall"), 3);
				cell(num(id, "are"), -1);
				cell(num(id, "aae"), -1);
				printf(" %7.0f\n", num(id, "epochs_scored"));
			}
		}
	}
}

static void placement_table(const json_t *hosts)
{
	size_t h, v;
	json_t *host, *vm;

	printf("\nPlacement (FMEM hit ratio in %%; efficiency = achieved / oracle)\n");
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

int tm_cmd_report(int argc, char **argv)
{
	char path[TM_PATH_MAX + 32];
	json_error_t jerr;
	json_t *root;
	const json_t *hosts;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 2) {
		fputs(usage, stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/summary.json", argv[1]);
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
	       argv[1], json_string_value(json_object_get(root, "name")),
	       num(root, "seed"), num(root, "duration_ns") * 1e-9);
	accuracy_table(hosts);
	placement_table(hosts);
	migration_table(hosts);
	json_decref(root);
	return 0;
}
