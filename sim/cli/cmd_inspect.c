/*
 * cmd_inspect.c - `tmsim inspect TRACE [--json]` (DESIGN.md §9): header,
 * counts, time span, load/store mix, footprint and the coverage table of a
 * .tmt trace; with --json the same as one JSON object plus a time x address
 * heatmap for plotting (keys in docs/trace-format.md).  The statistics are
 * computed by traces/inspect.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/inspect.h"
#include "cli.h"
#include "lib/error.h"

static const char help[] =
"usage: tmsim inspect TRACE.tmt [--json]\n"
"\n"
"Print a trace's header (kind, address space, page size, periods, vCPUs,\n"
"source, provenance), record count, time span, address range, load/store\n"
"mix, footprint (distinct 4KiB and 2MiB pages) and coverage table: the\n"
"fewest touched pages that hold 50/90/95/99/99.9% of the accesses, as a\n"
"share of the touched pages.  In a samples trace each sample counts as its\n"
"period of accesses.\n"
"\n"
"options:\n"
"  --json      print one JSON object instead (keys in docs/trace-format.md),\n"
"              including a heatmap of records over up to 100 time bins x\n"
"              100 address bins; reads the trace twice\n"
"  -h, --help  this text\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 bad usage or a bad trace (the\n"
"message names the file and byte offset).\n";

/* argv: one trace path and optionally --json; 0, 1 (help shown) or -1. */
static int parse_args(int argc, char **argv, const char **path, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(help, stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "tmsim inspect: %s: unknown option (tmsim "
				"inspect --help lists them)\n", argv[i]);
			return -1;
		} else if (*path) {
			fprintf(stderr, "tmsim inspect: %s: expected one trace\n", argv[i]);
			return -1;
		} else {
			*path = argv[i];
		}
	}
	if (!*path) {
		fprintf(stderr, "tmsim inspect: expected a trace file (tmsim "
			"inspect --help)\n");
		return -1;
	}
	return 0;
}

int tm_cmd_inspect(int argc, char **argv)
{
	struct tm_error err = { 0 };
	struct tm_inspect *in;
	const char *path = NULL;
	bool json = false;
	char *text;
	int rc = parse_args(argc, argv, &path, &json);

	if (rc)
		return rc > 0 ? 0 : 2;
	if (tm_inspect_file(path, json, &in, &err)) {
		fprintf(stderr, "tmsim inspect: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	if (json) {
		text = tm_inspect_json(in, path);
		puts(text);
		free(text);
	} else {
		tm_inspect_print(in, path, stdout);
	}
	tm_inspect_free(in);
	return 0;
}
