/*
 * main.c - the tmsim command line (DESIGN.md §9): subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lib/version.h"

static const char usage[] =
"tmsim " TM_VERSION " - discrete-event simulator of tiered-memory (FMEM/SMEM)\n"
"management for clusters of virtual machines.\n"
"\n"
"usage: tmsim COMMAND [ARGS]   or   tmsim CONFIG.yaml [run options]\n"
"\n"
"commands:\n"
"  run CONFIG       simulate a cluster config; writes summary.json,\n"
"                   timeseries.csv, epochs.csv (tmsim run --help);\n"
"                   --shard I/N simulates a slice of the hosts\n"
"  merge PART...    join the partial folders of tmsim run --shard I/N into\n"
"                   the results one unsharded run writes (-o DIR)\n"
"  validate CONFIG  check a config and the traces it names, run nothing\n"
"  gen KIND         generate a synthetic trace (.tmt)\n"
"  import           convert perf.data, perf script text or valgrind lackey\n"
"                   output into a .tmt trace\n"
"  inspect TRACE    header, counts, footprint and coverage table of a trace\n"
"  sweep SWEEP      run a parameter sweep (local pool, --list, --shard)\n"
"  report DIR       print the accuracy, placement and migration report of a\n"
"                   results folder and write its report.html with figures\n"
"  identifiers      the identifier kinds and the config keys of each\n"
"  policies         the rebalancer policies and the config keys of each\n"
"\n"
"  tmsim COMMAND --help tells the options of each command.\n"
"\n"
"exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", tm_cmd_run },
	{ "merge", tm_cmd_merge },
	{ "validate", tm_cmd_validate },
	{ "gen", tm_cmd_gen },
	{ "import", tm_cmd_import },
	{ "inspect", tm_cmd_inspect },
	{ "sweep", tm_cmd_sweep },
	{ "report", tm_cmd_report },
	{ "identifiers", tm_cmd_kinds },
	{ "policies", tm_cmd_kinds },
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("tmsim %s\n", TM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (ends_with(argv[1], ".yaml") || ends_with(argv[1], ".yml")) {
		argv[0] = "run";
		return tm_cmd_run(argc, argv);
	}
	fprintf(stderr, "tmsim: unknown command '%s' (tmsim --help lists them)\n",
		argv[1]);
	return 2;
}
