/*
 * cmd_import.c - `tmsim import`: convert a recording into a .tmt trace with
 * the importer --from names (DESIGN.md §5, §9, §12; formats and field
 * meanings in docs/importers.md).
 *
 * Nothing here knows an importer: it is found in the family
 * tm_importer_kinds, its options are parsed through its schema and the
 * common rows below, and --help prints both.  The importer's provenance hook
 * adds what it did to the trace header.
 *
 * Optionally emulates PEBS at import (--sample-period): a full (accesses)
 * trace goes through the sampler's counters (models/sampler.h) and every
 * sample taken is written, so the output is a samples trace; there is no
 * ring or drain at import, those belong to the run.  The .tmt writer writes
 * a temp file and renames it; on any error it is aborted, nothing is left.
 *
 * --split KEY -o DIR: one .tmt per group of samples (process, thread, comm
 * or cpu), DIR/index.json listing them and DIR/cluster.yaml, one VM per
 * stream on one host, ready for `tmsim run`.  Everything is written into a
 * fresh DIR.tmp.XXXXXX beside DIR, renamed to DIR at the end and removed on
 * any error, so DIR is whole or absent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "models/sampler.h"
#include "traces/import/import.h"
#include "traces/tmt.h"
#include "lib/alloc.h"
#include "lib/cfg.h"
#include "cli.h"
#include "lib/error.h"
#include "lib/version.h"

#define BATCH 4096                  /* records per read: 96 KiB */
#define PROGRESS_EVERY (1u << 22)   /* records between progress lines */

/* The options every importer takes (the common rows below); an importer's
 * own options are its schema (traces/import/import.h). */
struct import_common {
	char output[4096];
	uint32_t nr_vcpus;
	uint64_t sz_page;
	uint64_t sample_period, store_period, seed;
	bool randomize;
	char zstd_level[8];      /* parsed by tm_tmt_parse_level: it may be < 0 */
	uint32_t format;         /* record encoding, TM_TMT_VERSION_MIN .. MAX */
	enum tm_import_split split;
	uint64_t min_samples;
};

#define ROW(key, type, min, max, def, flags, fk, m, doc) \
	TM_CFG_KEY(key, type, min, max, def, NULL, flags, fk, \
		   struct import_common, m, doc)

/* Periods: the .tmt header stores them as JSON integers below 2^63; the
 * bound is rounded down to 1e18 so that --help prints it exactly.  The seed
 * likewise stops at 1e19 (just under 2^64). */
#define MAX_PERIOD 1e18
static const struct tm_cfg_key common_keys[] = {
	ROW("output", TM_CFG_STRING, 1, 4095, NULL, TM_CFG_REQUIRED,
	    TM_CFG_F_STR, output, "the .tmt file to write (also -o OUT)"),
	ROW("vcpus", TM_CFG_U64, 0, TM_TRACE_VCPUS_MAX, "0", 0, TM_CFG_F_U32, nr_vcpus,
	    "vCPUs in the header; 0: the highest cpu + 1"),
	ROW("page-size", TM_CFG_SIZE, 1u << TM_TRACE_PAGE_SHIFT_MIN,
	    1u << TM_TRACE_PAGE_SHIFT_MAX, "4KiB", 0, TM_CFG_F_U64,
	    sz_page, "page size in the header, a power of two"),
	ROW("sample-period", TM_CFG_U64, 0, MAX_PERIOD, "0", 0, TM_CFG_F_U64,
	    sample_period, "emulate PEBS on a full trace: sample every P-th "
	    "load; 0: no emulation"),
	ROW("store-period", TM_CFG_U64, 0, MAX_PERIOD, NULL, 0, TM_CFG_F_U64,
	    store_period, "emulation: sample every Q-th store too, 0: none; "
	    "by default P"),
	ROW("randomize", TM_CFG_BOOL, 0, 0, "false", 0, TM_CFG_F_BOOL, randomize,
	    "emulation: reload uniformly in [P - P/2, P + P/2] "
	    "(--randomize alone: true)"),
	ROW("seed", TM_CFG_U64, 0, 1e19, "1", 0, TM_CFG_F_U64, seed,
	    "emulation: seed of that randomisation"),
	ROW("zstd-level", TM_CFG_STRING, 1, 7, "-3", 0, TM_CFG_F_STR, zstd_level,
	    "compression, -100 .. 19; lower reads faster in a replay and "
	    "writes a larger file"),
	ROW("format", TM_CFG_U64, TM_TMT_VERSION_MIN, TM_TMT_VERSION_MAX, "2", 0,
	    TM_CFG_F_U32, format, "record encoding: 2 (columns: smaller, faster "
	    "to read) or 1 (24-byte rows, which earlier releases read)"),
	TM_CFG_KEY("split", TM_CFG_ENUM, 0, 0, "none", "none|pid|tid|comm|cpu", 0,
		   TM_CFG_F_INT, struct import_common, split,
		   "one .tmt per process, thread, command or cpu into -o DIR, "
		   "with DIR/index.json and a runnable DIR/cluster.yaml "
		   "(perf-data; perf-script when the text has the column; "
		   "lackey traces name none)"),
	ROW("min-samples", TM_CFG_U64, 0, 1e18, "0", 0, TM_CFG_F_U64, min_samples,
	    "--split: drop groups with fewer samples (listed as dropped in "
	    "index.json)"),
};
_Static_assert(sizeof(enum tm_import_split) == sizeof(int), "enum as int");

#undef ROW
#define NR_COMMON (sizeof(common_keys) / sizeof(common_keys[0]))
#define KEY_OUTPUT 0
#define KEY_STORE 4
#define KEY_MIN_SAMPLES (NR_COMMON - 1)

static const char help_head[] =
"usage: tmsim import --from FORMAT IN -o OUT.tmt [options]\n"
"       tmsim import --from FORMAT IN --split KEY -o DIR [options]\n"
"\n"
"Convert a recording into a .tmt trace.  FORMAT is one of the importers\n"
"below; each takes its own options and the options of every importer.\n"
"\n";

static const char help_tail[] =
"    -h, --help                 this text\n"
"\n"
"Progress goes to stderr when it is a terminal.  Exit status: 0 ok,\n"
"1 runtime failure (e.g. cannot write OUT), 2 bad usage or bad input.\n";

struct import_args {
	const char *from, *in;
	const struct tm_importer_ops *imp;
	struct tm_kind_config cfg;   /* imp's own options */
	struct import_common c;
	bool given[NR_COMMON];
	struct tm_import_opts o;
	int level;                   /* zstd level of the written file */
	int format;                  /* its record encoding */
	bool emulate;
};

/* The names of the importers with flag (TM_IMPORT_FULL, _SPLITS), joined
 * by sep. */
static void flag_names(unsigned flag, char *buf, size_t sz, const char *sep)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tm_importer_count(); i++) {
		const struct tm_kind *k = &tm_importer_at(i)->kind;

		if ((k->flags & flag) && n < sz)
			n += (size_t)snprintf(buf + n, sz - n, "%s%s",
					      n ? sep : "", k->name);
	}
}

static void print_importers(FILE *f)
{
	char full[256];

	flag_names(TM_IMPORT_FULL, full, sizeof(full), ", ");
	fprintf(f, "importers (--from NAME) and their options:\n");
	tm_kinds_print_help(f, &tm_importer_kinds, "--");
	fprintf(f, "%s give%s a full (accesses) trace; the others a samples "
		"trace.\n", full, strchr(full, ',') ? "" : "s");
}

static void print_help(FILE *f)
{
	fputs(help_head, f);
	print_importers(f);
	fprintf(f, "\noptions of every importer:\n");
	tm_cfg_print_help(f, common_keys, NR_COMMON, "--");
	fputs(help_tail, f);
}

/* The --from value (it decides which options exist), or NULL. */
static const char *find_from(int argc, char **argv)
{
	const char *from = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i];
		else if (!strncmp(argv[i], "--from=", 7))
			from = argv[i] + 7;
	}
	return from;
}

/* An option of no row of this importer: say which importers take it. */
static int unknown_option(const struct import_args *a, const char *arg,
			  const char *key, struct tm_error *err)
{
	char takers[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < tm_importer_count() && n < sizeof(takers); i++) {
		const struct tm_kind *k = &tm_importer_at(i)->kind;

		if (tm_cfg_find(k->keys, k->nr_keys, key))
			n += (size_t)snprintf(takers + n, sizeof(takers) - n,
					      "%s%s", n ? " or " : "", k->name);
	}
	if (n)
		return tm_error_set(err, TM_ERR_USAGE, "--%s: not an option of "
				    "--from %s; expected --from %s", key,
				    a->imp->kind.name, takers);
	return tm_error_set(err, TM_ERR_USAGE, "%s: unknown option (tmsim "
			    "import --help lists them)", arg);
}

/* Set key (of the common rows or the importer's) from text v. */
static int set_option(struct import_args *a, const struct tm_cfg_key *k,
		      void *base, const char *v, struct tm_error *err)
{
	struct tm_cfg_val val;

	if (tm_cfg_parse(k, v, &val, err)) {
		tm_error_prefix(err, "--%s", k->pattern);
		err->code = TM_ERR_USAGE;
		return -1;
	}
	tm_cfg_store(k, base, &val);
	if (base == &a->c)
		a->given[k - common_keys] = true;
	return 0;
}

/* One option at argv[*i] ("--key VALUE", "--key=VALUE", "-o OUT", a bare
 * --key for a BOOL); 1 if it was not an option (a positional). */
static int parse_opt(int argc, char **argv, int *i, struct import_args *a,
		     struct tm_error *err)
{
	const char *arg = argv[*i], *eq, *v;
	const struct tm_cfg_key *k;
	void *base = &a->c;
	char key[64];

	if (arg[0] != '-' || !arg[1])
		return 1;
	eq = strchr(arg, '=');
	if (arg[1] == 'o' && (!arg[2] || arg[2] == '='))
		snprintf(key, sizeof(key), "output");
	else if (arg[1] == '-')
		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - arg - 2) :
			 (int)strlen(arg + 2), arg + 2);
	else
		return unknown_option(a, arg, "", err);
	if (!strcmp(key, "from"))
		return *i += !eq, 0; /* found by find_from */
	if (!(k = tm_cfg_find(common_keys, NR_COMMON, key))) {
		base = a->cfg.bytes;
		k = tm_cfg_find(a->imp->kind.keys, a->imp->kind.nr_keys, key);
	}
	if (!k)
		return unknown_option(a, arg, key, err);
	if (eq)
		v = eq + 1;
	else if (k->type == TM_CFG_BOOL)
		v = "true";
	else if (*i + 1 < argc)
		v = argv[++*i];
	else
		return tm_error_set(err, TM_ERR_USAGE, "%s: missing value; expected "
				    "%s", arg, tm_cfg_type_desc(k));
	return set_option(a, k, base, v, err);
}

/* The common options into the importer's and the writer's terms. */
static int check_common(struct import_args *a, struct tm_error *err)
{
	const struct import_common *c = &a->c;

	if (!a->in || !a->given[KEY_OUTPUT])
		return tm_error_set(err, TM_ERR_USAGE, "%s: expected an input "
				    "file and -o OUT.tmt",
				    !a->in ? "missing input" : "missing -o");
	a->emulate = c->sample_period != 0;
	if ((a->given[KEY_STORE] || c->randomize) && !a->emulate)
		return tm_error_set(err, TM_ERR_USAGE, "%s: only with "
				    "--sample-period", a->given[KEY_STORE] ?
				    "--store-period" : "--randomize");
	if (c->sz_page & (c->sz_page - 1))
		return tm_error_set(err, TM_ERR_USAGE, "--page-size: expected a "
				    "power of two, got %llu bytes",
				    (unsigned long long)c->sz_page);
	if (a->given[KEY_MIN_SAMPLES] && !c->split)
		return tm_error_set(err, TM_ERR_USAGE, "--min-samples: only with "
				    "--split");
	if (c->split && a->emulate)
		return tm_error_set(err, TM_ERR_USAGE, "--split: not with "
				    "--sample-period (the split importers read "
				    "samples already)");
	if (c->split && !(a->imp->kind.flags & TM_IMPORT_SPLITS)) {
		char takers[256];

		flag_names(TM_IMPORT_SPLITS, takers, sizeof(takers), " or ");
		return tm_error_set(err, TM_ERR_USAGE, "--split: --from %s has no "
				    "pid, thread, command or cpu to split by; "
				    "expected --from %s", a->imp->kind.name, takers);
	}
	if (tm_tmt_parse_level(c->zstd_level, &a->level, err)) {
		tm_error_prefix(err, "--zstd-level");
		return -1;
	}
	a->format = (int)c->format;
	tm_import_opts_init(&a->o);
	a->o.split = c->split;
	a->o.nr_vcpus = c->nr_vcpus;
	a->o.page_shift = (uint32_t)__builtin_ctzll(c->sz_page);
	return 0;
}

static int parse_args(int argc, char **argv, struct import_args *a,
		      struct tm_error *err)
{
	char names[256];
	int rc;

	memset(a, 0, sizeof(*a));
	a->from = find_from(argc, argv);
	if (!a->from || !(a->imp = tm_importer_find(a->from))) {
		tm_kinds_names(&tm_importer_kinds, ", ", names, sizeof(names));
		return tm_error_set(err, TM_ERR_USAGE, "--from %s: expected one "
				    "of %s", a->from ? a->from : "(missing)",
				    names);
	}
	tm_importer_config_init(a->imp, a->cfg.bytes);
	tm_cfg_set_defaults(common_keys, NR_COMMON, &a->c);
	for (int i = 1; i < argc; i++) {
		rc = parse_opt(argc, argv, &i, a, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && a->in)
			return tm_error_set(err, TM_ERR_USAGE, "%s: one input "
					    "file only", argv[i]);
		if (rc == 1)
			a->in = argv[i];
	}
	return check_common(a, err);
}

static char *provenance(const struct import_args *a, const struct tm_import_stats *st)
{
	json_t *p = json_object();
	char *text;

	json_object_set_new(p, "tool", json_string("tmsim import " TM_VERSION));
	json_object_set_new(p, "from", json_string(a->imp->kind.name));
	json_object_set_new(p, "input", json_string(a->in));
	if (a->imp->provenance)
		a->imp->provenance(a->cfg.bytes, st, p);
	if (a->emulate) {
		json_t *e = json_object();

		json_object_set_new(e, "load_period", json_integer((json_int_t)a->c.sample_period));
		json_object_set_new(e, "store_period", json_integer((json_int_t)a->c.store_period));
		json_object_set_new(e, "randomize", json_boolean(a->c.randomize));
		json_object_set_new(e, "seed", json_integer((json_int_t)a->c.seed));
		json_object_set_new(p, "pebs_emulation", e);
	}
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

/* The sampler for --sample-period, and the output header it implies. */
static struct tm_sampler *emulation(struct import_args *a, struct tm_trace_info *info,
				    struct tm_error *err)
{
	struct tm_sampler_config c = { 0 };
	char full[256];

	if (info->kind != TM_TRACE_ACCESSES) {
		flag_names(TM_IMPORT_FULL, full, sizeof(full), " or ");
		tm_error_set(err, TM_ERR_USAGE, "--sample-period: %s already holds "
			     "samples; expected a full (accesses) trace, i.e. "
			     "--from %s", a->in, full);
		return NULL;
	}
	if (!a->given[KEY_STORE])
		a->c.store_period = a->c.sample_period;
	c.load_period = a->c.sample_period;
	c.store_period = a->c.store_period;
	c.randomize = a->c.randomize;
	c.ring_entries = 1; /* unused: import calls take() only */
	info->kind = TM_TRACE_SAMPLES;
	info->load_period = a->c.sample_period;
	info->store_period = a->c.store_period;
	return tm_sampler_new(&c, info->nr_vcpus, a->c.seed);
}

/* Keep only the records the sampler takes; returns the new count. */
static size_t sample(struct tm_sampler *s, struct tm_record *r, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (tm_sampler_take(s, &r[i]))
			r[k++] = r[i];
	return k;
}

struct copy_ctx {
	struct tm_stream *in;
	struct tm_tmt_writer *w;
	struct tm_sampler *sampler;
	uint64_t nr_read, nr_written;
};

static int copy_records(struct copy_ctx *c, struct tm_error *err)
{
	struct tm_record *buf = tm_xmalloc(BATCH * sizeof(*buf));
	bool tty = isatty(STDERR_FILENO);
	uint64_t next_progress = PROGRESS_EVERY;
	ssize_t got;
	int rc = 0;

	while ((got = tm_stream_read(c->in, buf, BATCH, err)) > 0) {
		size_t n = (size_t)got;

		c->nr_read += n;
		if (c->sampler)
			n = sample(c->sampler, buf, n);
		if (n && tm_tmt_writer_add(c->w, buf, n, err)) {
			rc = -1;
			break;
		}
		c->nr_written += n;
		if (tty && c->nr_read >= next_progress) {
			fprintf(stderr, "\rtmsim import: %llu records read",
				(unsigned long long)c->nr_read);
			next_progress += PROGRESS_EVERY;
		}
	}
	if (got < 0)
		rc = -1;
	if (tty && next_progress > PROGRESS_EVERY)
		fputc('\n', stderr);
	free(buf);
	return rc;
}

/* "; N lost by the kernel" when perf said it lost samples. */
static const char *lost_note(const struct tm_import_stats *st, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (st->nr_lost_records)
		snprintf(buf, sz, "; %llu lost by the kernel, not in the trace",
			 (unsigned long long)st->nr_lost);
	return buf;
}

static int run_import(struct import_args *a, struct tm_error *err)
{
	struct tm_import_stats st = { 0 };
	struct copy_ctx c = { 0 };
	struct tm_trace_info info;
	char *prov = NULL, lost[96];
	int rc = -1;

	a->o.stats = &st;
	if (a->imp->open(a->in, a->cfg.bytes, &a->o, &c.in, err))
		return -1;
	info = c.in->info;
	if (a->emulate && !(c.sampler = emulation(a, &info, err)))
		goto out;
	prov = provenance(a, &st);
	c.w = tm_tmt_writer_new_format(a->c.output, &info, prov, a->level,
				       a->format, err);
	if (!c.w || copy_records(&c, err))
		goto out;
	rc = tm_tmt_writer_close(c.w, err);
	c.w = NULL;
	if (!rc)
		fprintf(stderr, "tmsim import: %s: %llu %s written (%llu read; %llu "
			"dropped for address 0, %llu of other events%s)\n", a->c.output,
			(unsigned long long)c.nr_written,
			info.kind == TM_TRACE_SAMPLES ? "samples" : "accesses",
			(unsigned long long)c.nr_read, (unsigned long long)st.nr_addr0,
			(unsigned long long)st.nr_filtered,
			lost_note(&st, lost, sizeof(lost)));
out:
	tm_tmt_writer_abort(c.w);
	tm_sampler_free(c.sampler);
	tm_stream_free(c.in);
	free(prov);
	return rc;
}

/* ---- --split: DIR with one .tmt per group, index.json, cluster.yaml ---- */

#define SPLIT_MIN_MEMORY (16u << 20) /* assumption: a VM of at least 16MiB */
#define SPLIT_MIN_DURATION_NS 1000000ULL /* the run's smallest duration, 1ms */

struct split_out {
	const char *tmp;           /* the temp DIR being filled */
	json_t *streams, *dropped;
	char *yaml;                /* the VM list */
	size_t nr_yaml, cap_yaml;
	uint64_t last_ns;          /* of any written stream */
};

static void yaml_add(struct split_out *so, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void yaml_add(struct split_out *so, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (so->nr_yaml + (size_t)n + 1 > so->cap_yaml) {
		so->cap_yaml = 2 * (so->nr_yaml + (size_t)n + 1);
		so->yaml = tm_xrealloc(so->yaml, so->cap_yaml);
	}
	va_start(ap, fmt);
	vsnprintf(so->yaml + so->nr_yaml, so->cap_yaml - so->nr_yaml, fmt, ap);
	va_end(ap);
	so->nr_yaml += (size_t)n;
}

/* A file stem of [A-Za-z0-9._-] ("_" for anything else). */
static void group_stem(enum tm_import_split by, const struct tm_import_group *g,
		       char *buf, size_t sz)
{
	if (by == TM_IMPORT_SPLIT_CPU)
		snprintf(buf, sz, "cpu%llu", (unsigned long long)g->key);
	else if (by == TM_IMPORT_SPLIT_COMM)
		snprintf(buf, sz, "%s", g->comm);
	else
		snprintf(buf, sz, "%s-%llu", g->comm, (unsigned long long)g->key);
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Write group g to tmp/file; *nr_pages: distinct pages it touches. */
static int write_group(struct import_args *a, struct tm_import_group *g,
		       const char *path, const char *prov, uint64_t *nr_pages,
		       struct tm_error *err)
{
	struct tm_tmt_writer *w;
	struct tm_record buf[BATCH / 4];
	uint64_t *pages = tm_xmalloc((g->nr_records ? g->nr_records : 1) * sizeof(*pages));
	uint32_t shift = g->stream->info.page_shift;
	size_t nr = 0;
	ssize_t got;
	int rc = -1;

	w = tm_tmt_writer_new_format(path, &g->stream->info, prov, a->level,
				     a->format, err);
	if (!w)
		goto out;
	while ((got = tm_stream_read(g->stream, buf, BATCH / 4, err)) > 0) {
		for (ssize_t i = 0; i < got && nr < g->nr_records; i++)
			pages[nr++] = buf[i].addr >> shift;
		if (tm_tmt_writer_add(w, buf, (size_t)got, err))
			goto out;
	}
	if (got < 0)
		goto out;
	rc = tm_tmt_writer_close(w, err);
	w = NULL;
	qsort(pages, nr, sizeof(*pages), cmp_u64);
	*nr_pages = 0;
	for (size_t i = 0; i < nr; i++)
		*nr_pages += !i || pages[i] != pages[i - 1];
out:
	tm_tmt_writer_abort(w);
	free(pages);
	return rc;
}

/* One kept group: its .tmt, its index entry and its VM. */
static int split_one(struct import_args *a, struct split_out *so, size_t i,
		     struct tm_import_group *g, const char *prov, struct tm_error *err)
{
	char stem[96], file[128], path[4096 + 160], vm[128];
	uint64_t nr_pages = 0, sz_mem, shift = g->stream->info.page_shift;
	struct stat st;
	json_t *e;

	group_stem(a->c.split, g, stem, sizeof(stem));
	snprintf(file, sizeof(file), "%s.tmt", stem);
	snprintf(path, sizeof(path), "%s/%s", so->tmp, file);
	if (!stat(path, &st)) { /* two groups with one stem: number the second */
		snprintf(file, sizeof(file), "%s.%zu.tmt", stem, i);
		snprintf(path, sizeof(path), "%s/%s", so->tmp, file);
	}
	if (write_group(a, g, path, prov, &nr_pages, err))
		return -1;
	/* VM memory: twice the pages it touched, whole MiB (assumption: room
	 * for the guest beyond what was sampled); FMEM the default 25%. */
	sz_mem = (2 * nr_pages << shift) + (1u << 20) - 1;
	sz_mem -= sz_mem % (1u << 20);
	if (sz_mem < SPLIT_MIN_MEMORY)
		sz_mem = SPLIT_MIN_MEMORY;
	snprintf(vm, sizeof(vm), "s%zu-%s", i, stem);
	for (char *p = vm; *p; p++)
		if (*p == '.')
			*p = '_';
	yaml_add(so, "      - name: %s\n        vcpus: %u\n        memory: %lluMiB\n"
		 "        trace: {file: %s}\n", vm, g->stream->info.nr_vcpus,
		 (unsigned long long)(sz_mem >> 20), file);
	e = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:s}",
		      "key", (json_int_t)g->key, "comm", g->comm,
		      "samples", (json_int_t)g->nr_records,
		      "first_ns", (json_int_t)g->first_ns,
		      "last_ns", (json_int_t)g->last_ns,
		      "footprint_bytes", (json_int_t)(nr_pages << shift),
		      "file", file, "vm", vm);
	json_array_append_new(so->streams, e);
	if (g->last_ns > so->last_ns)
		so->last_ns = g->last_ns;
	return 0;
}

static int write_text(const char *path, const char *text, struct tm_error *err)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		if (f)
			fclose(f);
		return tm_error_set(err, TM_ERR_IO, "%s: cannot write", path);
	}
	return 0;
}

static int split_finish(struct import_args *a, struct split_out *so,
			const struct tm_import_stats *st, struct tm_error *err)
{
	static const char *const keys[] = { "none", "pid", "tid", "comm", "cpu" };
	char path[4096 + 32], *text, head[512];
	uint64_t dur = so->last_ns + 1;
	json_t *idx;
	int rc;

	if (dur < SPLIT_MIN_DURATION_NS)
		dur = SPLIT_MIN_DURATION_NS;
	idx = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:O, s:O}", "input", a->in,
			"from", a->imp->kind.name, "split", keys[a->c.split],
			"min_samples", (json_int_t)a->c.min_samples,
			"nr_samples", (json_int_t)st->nr_records,
			"nr_lost", (json_int_t)(st->nr_lost > INT64_MAX ? INT64_MAX : st->nr_lost),
			"streams", so->streams, "dropped", so->dropped);
	text = json_dumps(idx, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(idx);
	snprintf(path, sizeof(path), "%s/index.json", so->tmp);
	rc = write_text(path, text, err);
	free(text);
	if (rc)
		return -1;
	/* Time: the streams keep the recording's clock, so the run lasts its
	 * span (at least 1ms); epoch and snapshot are a tenth of it. */
	snprintf(head, sizeof(head), "# tmsim import --split %s of %s: one VM per "
		 "stream (index.json).\nname: split\nduration: %lluns\n"
		 "hosts:\n  - name: h0\n    vms:\n", keys[a->c.split], a->in,
		 (unsigned long long)dur);
	snprintf(path, sizeof(path), "%s/cluster.yaml", so->tmp);
	text = tm_xmalloc(strlen(head) + so->nr_yaml + 1);
	strcpy(text, head);
	memcpy(text + strlen(head), so->yaml ? so->yaml : "", so->nr_yaml + 1 - !so->yaml);
	text[strlen(head) + so->nr_yaml] = '\0';
	rc = write_text(path, text, err);
	free(text);
	return rc;
}

/* Remove the temp DIR and what this run put in it (only files). */
static void remove_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096 + 300];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int split_groups(struct import_args *a, struct split_out *so,
			struct tm_import_groups *gs, const struct tm_import_stats *st,
			struct tm_error *err)
{
	char *prov = provenance(a, st);
	size_t kept = 0;
	int rc = 0;

	for (size_t i = 0; i < gs->nr && !rc; i++) {
		struct tm_import_group *g = &gs->g[i];

		if (g->nr_records < a->c.min_samples) {
			json_array_append_new(so->dropped, json_pack("{s:I, s:s, s:I}",
					      "key", (json_int_t)g->key, "comm", g->comm,
					      "samples", (json_int_t)g->nr_records));
			continue;
		}
		rc = split_one(a, so, i, g, prov, err);
		kept++;
	}
	free(prov);
	if (!rc && !kept)
		rc = tm_error_set(err, TM_ERR_USAGE, "--split: no group of %s has "
				  "--min-samples %llu samples; expected a lower "
				  "--min-samples", a->in,
				  (unsigned long long)a->c.min_samples);
	return rc ? -1 : split_finish(a, so, st, err);
}

static int tm_import_split_run(struct import_args *a, struct tm_error *err)
{
	struct tm_import_stats st = { 0 };
	struct tm_import_groups gs = { 0 };
	struct split_out so = { 0 };
	struct tm_stream *none = NULL;
	char tmp[4096 + 16];
	struct stat sb;
	int rc = -1;

	if (!stat(a->c.output, &sb))
		return tm_error_set(err, TM_ERR_USAGE, "-o %s: exists; expected a new "
				    "directory for --split", a->c.output);
	a->o.stats = &st;
	a->o.groups = &gs;
	if (a->imp->open(a->in, a->cfg.bytes, &a->o, &none, err))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", a->c.output);
	if (!mkdtemp(tmp)) {
		tm_error_set(err, TM_ERR_IO, "%s: cannot create a directory beside it",
			     a->c.output);
		goto out;
	}
	so.tmp = tmp;
	so.streams = json_array();
	so.dropped = json_array();
	if (split_groups(a, &so, &gs, &st, err)) {
		remove_tmp(tmp);
		goto out;
	}
	if (rename(tmp, a->c.output)) {
		tm_error_set(err, TM_ERR_IO, "%s: cannot rename the finished "
			     "directory to it: %s", a->c.output, strerror(errno));
		remove_tmp(tmp);
		goto out;
	}
	fprintf(stderr, "tmsim import: %s: %zu streams, %zu groups dropped "
		"(--min-samples %llu), %llu samples\n", a->c.output,
		json_array_size(so.streams), json_array_size(so.dropped),
		(unsigned long long)a->c.min_samples, (unsigned long long)st.nr_records);
	rc = 0;
out:
	tm_stream_free(none);
	tm_import_groups_free(&gs);
	json_decref(so.streams);
	json_decref(so.dropped);
	free(so.yaml);
	return rc;
}

int tm_cmd_import(int argc, char **argv)
{
	struct import_args a;
	struct tm_error err = { 0 };

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_help(stdout);
			return 0;
		}
	if (parse_args(argc, argv, &a, &err)) {
		fprintf(stderr, "tmsim import: %s\n", err.msg);
		if (!a.imp) /* no importer chosen: list them */
			print_importers(stderr);
		return tm_err_exit_status(err.code);
	}
	if (a.c.split ? tm_import_split_run(&a, &err) : run_import(&a, &err)) {
		fprintf(stderr, "tmsim import: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	return 0;
}
