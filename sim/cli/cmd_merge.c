/*
 * cmd_merge.c - `tmsim merge PART... -o DIR`: join the partial results
 * folders of a sharded run (tmsim run --shard I/N) into the results one
 * unsharded run writes (DESIGN.md §11; sim/output/part.c does the work).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sim/output/output.h"

static const char merge_usage[] =
"usage: tmsim merge PART... -o DIR\n"
"\n"
"Join the partial results folders written by `tmsim run CONFIG --shard I/N`\n"
"(one for every I from 0 to N-1, in any order) into DIR: summary.json,\n"
"timeseries.csv and epochs.csv, byte for byte what `tmsim run CONFIG`\n"
"writes unsharded.  Checks first that every part is finished, comes from\n"
"the same resolved config (its config_hash) and the same tmsim version,\n"
"and that the parts cover every shard exactly once.  Each file is written\n"
"to a temporary name and renamed; summary.json last.\n"
"\n"
"options:\n"
"  -o, --output DIR     the merged results folder (required; not a part)\n"
"  -q, --quiet          no closing line on stderr\n"
"  -h, --help           this text\n"
"\n"
"exit status: 0 ok, 1 cannot write, 2 bad usage or a bad, missing,\n"
"duplicate or foreign part (the message names the folder or shard).\n";

int tm_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tm_error err = { 0 };
	const char *outdir = NULL;
	int c, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		if (c == 'o') {
			outdir = optarg;
		} else if (c == 'q') {
			quiet = 1;
		} else if (c == 'h') {
			fputs(merge_usage, stdout);
			return 0;
		} else {
			fputs(merge_usage, stderr);
			return 2;
		}
	}
	if (!outdir || optind == argc) {
		fprintf(stderr, "tmsim: merge: expected PART... and -o DIR\n\n%s",
			merge_usage);
		return 2;
	}
	if (tm_output_merge((const char *const *)(argv + optind),
			    (uint32_t)(argc - optind), outdir, &err)) {
		fprintf(stderr, "tmsim: merge: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	if (!quiet)
		fprintf(stderr, "tmsim: %d parts merged into %s/\n",
			argc - optind, outdir);
	return 0;
}
