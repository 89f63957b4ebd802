/*
 * cmd_kinds.c - `tmsim identifiers`: every identifier kind, its one-line
 * help and its config keys, printed from the kinds' own schemas (lib/cfg.h)
 * so that --help and docs/config.md cannot drift from what the loader
 * takes.  --markdown prints the tables of docs/config.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "models/ident/identifier.h"

static const char usage[] =
"usage: tmsim identifiers [--markdown]\n"
"Lists the identifier kinds a config's identifier: {kind: ...} takes, with\n"
"the keys every kind takes and each kind's own keys (unit, default,\n"
"bounds).  --markdown prints the tables of docs/config.md.\n";

static const char md_head[] =
"| key | value | default | bounds | meaning |\n|---|---|---|---|---|\n";

static void print_markdown(void)
{
	printf("Every identifier takes:\n\n%s", md_head);
	tm_cfg_print_markdown(stdout, tm_ident_common_keys,
			      tm_ident_nr_common_keys);
	for (size_t i = 0; i < tm_kinds_count(&tm_identifier_kinds); i++) {
		const struct tm_kind *k = tm_kinds_at(&tm_identifier_kinds, i);

		printf("\n`kind: %s`: %s.\n\n", k->name, k->help);
		if (!k->nr_keys) {
			printf("No keys of its own.\n");
			continue;
		}
		printf("%s", md_head);
		tm_cfg_print_markdown(stdout, k->keys, k->nr_keys);
	}
}

int tm_cmd_kinds(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--markdown") != 0 &&
			 strcmp(argv[1], "--help") != 0)) {
		fputs(usage, stderr);
		return 2;
	}
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2) {
		print_markdown();
		return 0;
	}
	printf("keys every identifier takes:\n");
	tm_cfg_print_help(stdout, tm_ident_common_keys,
			  tm_ident_nr_common_keys, "");
	printf("\nidentifier kinds and their own keys:\n");
	tm_kinds_print_help(stdout, &tm_identifier_kinds, "");
	return 0;
}
