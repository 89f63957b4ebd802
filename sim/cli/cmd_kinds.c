/*
 * cmd_kinds.c - `tmsim identifiers` and `tmsim policies`: every kind of a
 * backend family (identifiers, rebalancer policies), its one-line help and
 * its config keys, printed from the kinds' own schemas (lib/cfg.h) so that
 * --help and docs/config.md cannot drift from what the loader takes.
 * --markdown prints the tables of docs/config.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lib/units.h"
#include "models/ident/identifier.h"
#include "models/rebalance/rebalancer.h"

/* A family as a command shows it. */
struct family_cmd {
	const char *usage;
	const char *what;            /* "identifier": one kind of the family */
	const char *plural;          /* "identifier kinds" */
	const char *selector;        /* the key that names the kind */
	const struct tm_kinds *family;
	const struct tm_cfg_key *common;
	size_t nr_common;
	/* A line of what a kind's ops add to its schema, or NULL. */
	void (*extra)(FILE *f, const struct tm_kind *k, bool markdown);
};

/* An identifier's modelled cost: the default of cost_per_update. */
static void ident_extra(FILE *f, const struct tm_kind *k, bool markdown)
{
	const struct tm_identifier_ops *ops =
		(const struct tm_identifier_ops *)k;
	char t[32];

	tm_format_time((uint64_t)(ops->cost_ns + 0.5), t, sizeof(t));
	fprintf(f, markdown ? "Modelled CPU per sample (`cost_per_update`'s "
			      "default): %s.\n\n" :
			      "               modelled CPU per sample "
			      "(cost_per_update's default): %s\n", t);
}

static const char md_head[] =
"| key | value | default | bounds | meaning |\n|---|---|---|---|---|\n";

static void print_markdown(FILE *f, const struct family_cmd *fc)
{
	fprintf(f, "Every %s takes:\n\n%s", fc->what, md_head);
	tm_cfg_print_markdown(f, fc->common, fc->nr_common);
	for (size_t i = 0; i < tm_kinds_count(fc->family); i++) {
		const struct tm_kind *k = tm_kinds_at(fc->family, i);

		fprintf(f, "\n`%s: %s`: %s.\n\n", fc->selector, k->name,
			k->help);
		if (fc->extra)
			fc->extra(f, k, true);
		if (!k->nr_keys) {
			fprintf(f, "No keys of its own.\n");
			continue;
		}
		fprintf(f, "%s", md_head);
		tm_cfg_print_markdown(f, k->keys, k->nr_keys);
	}
}

/* The family a command shows; false if command names none. */
static bool family_of(const char *command, struct family_cmd *fc)
{
	if (!strcmp(command, "identifiers")) {
		*fc = (struct family_cmd){
			.usage =
"usage: tmsim identifiers [--markdown]\n"
"Lists the identifier kinds a config's identifier: {kind: ...} takes, with\n"
"the keys every kind takes and each kind's own keys (unit, default,\n"
"bounds).  --markdown prints the tables of docs/config.md.\n",
			.what = "identifier", .plural = "identifier kinds",
			.selector = "kind", .family = &tm_identifier_kinds,
			.common = tm_ident_common_keys,
			.nr_common = tm_ident_nr_common_keys,
			.extra = ident_extra,
		};
		return true;
	}
	if (!strcmp(command, "policies")) {
		*fc = (struct family_cmd){
			.usage =
"usage: tmsim policies [--markdown]\n"
"Lists the rebalancer policies a host's rebalancer: {policy: ...} takes,\n"
"with the keys every policy takes and each policy's own keys (unit,\n"
"default, bounds).  --markdown prints the tables of docs/config.md.\n",
			.what = "policy", .plural = "rebalancer policies",
			.selector = "policy", .family = &tm_policy_kinds,
			.common = tm_rb_common_keys,
			.nr_common = tm_rb_nr_common_keys,
		};
		return true;
	}
	return false;
}

int tm_cmd_kinds_markdown(FILE *f, const char *command)
{
	struct family_cmd fc;

	if (!family_of(command, &fc))
		return -1;
	print_markdown(f, &fc);
	return 0;
}

/* argv[0] is the command: identifiers or policies. */
int tm_cmd_kinds(int argc, char **argv)
{
	struct family_cmd fc;

	if (!family_of(argv[0], &fc))
		return 2;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--markdown") != 0 &&
			 strcmp(argv[1], "--help") != 0)) {
		fputs(fc.usage, stderr);
		return 2;
	}
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(fc.usage, stdout);
		return 0;
	}
	if (argc == 2) {
		print_markdown(stdout, &fc);
		return 0;
	}
	printf("keys every %s takes:\n", fc.what);
	tm_cfg_print_help(stdout, fc.common, fc.nr_common, "");
	printf("\n%s and their own keys:\n", fc.plural);
	for (size_t i = 0; i < tm_kinds_count(fc.family); i++) {
		const struct tm_kind *k = tm_kinds_at(fc.family, i);

		printf("  %-12s %s\n", k->name, k->help);
		if (fc.extra)
			fc.extra(stdout, k, false);
		tm_cfg_print_help(stdout, k->keys, k->nr_keys, "");
	}
	return 0;
}
