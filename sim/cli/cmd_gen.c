/*
 * cmd_gen.c - `tmsim gen`: write a synthetic trace (DESIGN.md §5, §9).
 *
 * The command line fills a struct tm_gen_spec (traces/gen/gen.h): the KIND
 * argument starts the first part of the first phase, part options apply to
 * the part started last, --part adds a part to the current phase (a
 * mixture) and --phase starts a new phase.  The spec is checked once by
 * tm_gen_spec_check, then the generator stream is copied into a .tmt writer
 * (temp file + rename; aborted on any error, so nothing half-written stays).
 * The same options and seed give the same bytes: the provenance in the
 * header holds the spec and seed, not the output path or the date.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "traces/gen/gen.h"
#include "traces/tmt.h"
#include "lib/alloc.h"
#include "cli.h"
#include "lib/error.h"
#include "lib/strbuf.h"
#include "lib/units.h"
#include "lib/version.h"
#include "lib/hash.h"

#define BATCH 4096                  /* records per write: 96 KiB */
#define PROGRESS_EVERY (1u << 22)   /* records between progress lines */
/* Demeter's PEBS periods (reference/sdh-and-demeter.md §1). */
#define DEFAULT_LOAD_PERIOD 4093

static const char help_head[] =
"usage: tmsim gen KIND [options] -o OUT.tmt\n"
"\n"
"Write a synthetic trace.  KIND is a generator (listed below); it starts\n"
"the first part of the first phase.  Part options apply to the part started\n"
"last; --part and --phase start new ones, so mixtures and phase changes can\n"
"be built on the command line.  A generator's own options apply only to a\n"
"part of that generator.\n"
"\n"
"part options [default]:\n"
"  --footprint SIZE    bytes the part covers, a multiple of the page [64MiB]\n"
"  --base ADDR         first byte address, page aligned (size or 0x hex) [0]\n"
"  --weight W          the part's share of a mixture, normalised [1]\n"
"  --part KIND         start another part of the current phase\n"
"  --phase AT:KIND     start a phase at time AT with one part of KIND\n"
"\n"
"generators and their own options:\n";

static const char help_tail[] =
"\n"
"stream options [default]:\n"
"  --rate R            records per second over all vCPUs, e.g. 1M/s [1M/s]\n"
"  --duration T        stop before time T, e.g. 10s\n"
"  --records N         stop after N records (give --duration or --records)\n"
"  --vcpus N           record i has cpu i mod N [1]\n"
"  --stores X          share of records that are stores [0]\n"
"  --kind accesses|samples  what a record stands for [accesses]\n"
"  --period N          samples: load period in the header [4093]\n"
"  --store-period N    samples: store period in the header [as --period]\n"
"  --page-size SIZE    4KiB .. 1GiB, a power of two [4KiB]\n"
"  --seed N            random seed; same options + seed = same bytes [1]\n"
"  --zstd-level L      compression, -100 .. 19 [-3]; lower reads faster in\n"
"                      a replay and writes a larger file (docs/bench.md);\n"
"                      the records are the same at every level\n"
"  --format 1|2        record encoding: 2 columns, smaller and faster to\n"
"                      read; 1 the 24-byte rows of earlier releases [2]\n"
"  -o, --output FILE   the .tmt file to write (required)\n"
"  -h, --help          this text\n"
"\n"
"Record i is at time floor(i * 1e9 / rate) ns (fixed intervals, no bursts);\n"
"addresses are a page chosen by the distribution plus a random 64-byte\n"
"aligned offset inside it (scan addresses are exact).  Each part draws\n"
"independently; see docs/trace-format.md.  Progress goes to stderr when it\n"
"is a terminal.  Exit status: 0 ok, 1 runtime failure (e.g. cannot write\n"
"OUT), 2 bad usage.\n";

struct gen_args {
	struct tm_gen_spec spec;
	uint64_t seed;
	int level;               /* zstd level of the written file */
	int format;              /* its record encoding (.tmt version) */
	const char *out;
	/* per part: which rows of its generator's schema were given */
	uint64_t given[TM_GEN_MAX_PHASES][TM_GEN_MAX_PARTS];
	bool period_set;
};

static const struct tm_generator_ops *parse_kind(const char *v,
						 struct tm_error *err)
{
	const struct tm_generator_ops *g = tm_generator_find(v);
	char names[256];

	if (g)
		return g;
	tm_kinds_names(&tm_generator_kinds, ", ", names, sizeof(names));
	tm_error_set(err, TM_ERR_USAGE, "expected one of %s, got \"%s\"", names, v);
	return NULL;
}

static struct tm_gen_phase *cur_phase(struct gen_args *a)
{
	return &a->spec.phases[a->spec.nr_phases - 1];
}

static struct tm_gen_part *cur_part(struct gen_args *a)
{
	struct tm_gen_phase *ph = cur_phase(a);

	return &ph->parts[ph->nr_parts - 1];
}

/* Append a part with the documented defaults to the current phase. */
static int add_part(struct gen_args *a, const char *kind, struct tm_error *err)
{
	struct tm_gen_phase *ph = cur_phase(a);
	const struct tm_generator_ops *g = parse_kind(kind, err);

	if (!g)
		return -1;
	TM_RETURN_IF(ph->nr_parts >= TM_GEN_MAX_PARTS, err, TM_ERR_USAGE,
		     "expected at most %d parts per phase", TM_GEN_MAX_PARTS);
	tm_gen_part_init(&ph->parts[ph->nr_parts++], g);
	a->given[a->spec.nr_phases - 1][ph->nr_parts - 1] = 0;
	return 0;
}

/* "AT:REST": parse AT as a time, return REST. */
static const char *split_at(const char *v, uint64_t *at_ns, struct tm_error *err)
{
	const char *colon = strchr(v, ':');
	char t[64];

	if (!colon || (size_t)(colon - v) >= sizeof(t)) {
		tm_error_set(err, TM_ERR_USAGE, "expected AT:VALUE, e.g. 5s:zipf or "
			     "5s:256MiB, got \"%s\"", v);
		return NULL;
	}
	memcpy(t, v, (size_t)(colon - v));
	t[colon - v] = '\0';
	return tm_parse_time_ns(t, at_ns, err) ? NULL : colon + 1;
}

static int add_phase(struct gen_args *a, const char *v, struct tm_error *err)
{
	uint64_t at;
	const char *kind = split_at(v, &at, err);

	if (!kind)
		return -1;
	TM_RETURN_IF(a->spec.nr_phases >= TM_GEN_MAX_PHASES, err, TM_ERR_USAGE,
		     "expected at most %d phases", TM_GEN_MAX_PHASES);
	a->spec.nr_phases++;
	memset(cur_phase(a), 0, sizeof(struct tm_gen_phase));
	cur_phase(a)->start_ns = at;
	return add_part(a, kind, err);
}

static int parse_addr(const char *v, uint64_t *out, struct tm_error *err)
{
	char *end;

	if (strncmp(v, "0x", 2) && strncmp(v, "0X", 2))
		return tm_parse_size(v, out, err);
	*out = strtoull(v + 2, &end, 16);
	TM_RETURN_IF(end == v + 2 || *end, err, TM_ERR_USAGE,
		     "expected an address like 0x7f0000000000 or 4GiB, got \"%s\"", v);
	return 0;
}

static int parse_page_size(const char *v, uint32_t *shift, struct tm_error *err)
{
	uint64_t u;

	if (tm_parse_size(v, &u, err))
		return -1;
	TM_RETURN_IF(u < (1u << TM_TRACE_PAGE_SHIFT_MIN) ||
		     u > (1u << TM_TRACE_PAGE_SHIFT_MAX) || (u & (u - 1)), err, TM_ERR_USAGE,
		     "expected a power of two from 4KiB to 1GiB, got \"%s\"", v);
	*shift = (uint32_t)__builtin_ctzll(u);
	return 0;
}

static int parse_trace_kind(const char *v, enum tm_trace_kind *k,
			    struct tm_error *err)
{
	if (!strcmp(v, "accesses") || !strcmp(v, "samples")) {
		*k = strcmp(v, "samples") ? TM_TRACE_ACCESSES : TM_TRACE_SAMPLES;
		return 0;
	}
	return tm_error_set(err, TM_ERR_USAGE, "expected accesses or samples, "
			    "got \"%s\"", v);
}

/* A count: "1000", or with a decimal prefix as in rates, "10M" or "2.5k". */
static int parse_count(const char *v, uint64_t *out, struct tm_error *err)
{
	char rate[64];
	double d;

	if (tm_parse_u64(v, out, err) == 0)
		return 0;
	snprintf(rate, sizeof(rate), "%s/s", v);
	if (strlen(v) + 2 >= sizeof(rate) || tm_parse_count_rate(rate, &d, err) ||
	    d != (double)(uint64_t)d || d > TM_GEN_RECORDS_MAX)
		return tm_error_set(err, TM_ERR_USAGE, "expected a count like 1000 "
				    "or 10M, got \"%s\"", v);
	*out = (uint64_t)d;
	return 0;
}

static int parse_vcpus(const char *v, uint32_t *out, struct tm_error *err)
{
	uint64_t u;

	if (tm_parse_u64(v, &u, err))
		return -1;
	TM_RETURN_IF(u < 1 || u > TM_TRACE_VCPUS_MAX, err, TM_ERR_USAGE,
		     "expected 1 to %u vCPUs, got \"%s\"", TM_TRACE_VCPUS_MAX, v);
	*out = (uint32_t)u;
	return 0;
}

/* Options that take a value about the current part. */
static int part_opt(struct gen_args *a, const char *o, const char *v,
		    struct tm_error *err)
{
	struct tm_gen_part *p = cur_part(a);

	if (!strcmp(o, "--footprint"))
		return tm_parse_size(v, &p->sz_footprint, err);
	if (!strcmp(o, "--base"))
		return parse_addr(v, &p->base, err);
	if (!strcmp(o, "--weight"))
		return tm_parse_double(v, &p->weight, err);
	if (!strcmp(o, "--part"))
		return add_part(a, v, err);
	return add_phase(a, v, err); /* --phase */
}

/* Options that take a value about the whole stream. */
static int stream_opt(struct gen_args *a, const char *o, const char *v,
		      struct tm_error *err)
{
	struct tm_gen_spec *s = &a->spec;

	if (!strcmp(o, "--rate"))
		return tm_parse_count_rate(v, &s->rate_per_s, err);
	if (!strcmp(o, "--duration"))
		return tm_parse_time_ns(v, &s->duration_ns, err);
	if (!strcmp(o, "--records"))
		return parse_count(v, &s->nr_records, err);
	if (!strcmp(o, "--vcpus"))
		return parse_vcpus(v, &s->nr_vcpus, err);
	if (!strcmp(o, "--stores"))
		return tm_parse_share(v, &s->store_share, err);
	if (!strcmp(o, "--kind"))
		return parse_trace_kind(v, &s->kind, err);
	if (!strcmp(o, "--period"))
		return a->period_set = true, tm_parse_u64(v, &s->load_period, err);
	if (!strcmp(o, "--store-period"))
		return tm_parse_u64(v, &s->store_period, err);
	if (!strcmp(o, "--page-size"))
		return parse_page_size(v, &s->page_shift, err);
	if (!strcmp(o, "--seed"))
		return tm_parse_u64(v, &a->seed, err);
	if (!strcmp(o, "--zstd-level"))
		return tm_tmt_parse_level(v, &a->level, err);
	if (!strcmp(o, "--format"))
		return tm_tmt_parse_format(v, &a->format, err);
	a->out = v; /* -o, --output */
	return 0;
}

static const char *const part_opts[] = {
	"--footprint", "--base", "--weight", "--part", "--phase",
};
static const char *const stream_opts[] = {
	"--rate", "--duration", "--records", "--vcpus", "--stores", "--kind",
	"--period", "--store-period", "--page-size", "--seed", "--zstd-level",
	"--format", "-o", "--output",
};

static int find_opt(const char *name, size_t n, const char *const *tab, size_t nr)
{
	for (size_t k = 0; k < nr; k++)
		if (strlen(tab[k]) == n && !strncmp(name, tab[k], n))
			return (int)k;
	return -1;
}

/* ---- a generator's own options, from its schema ---------------------- */

/* "--hot-share" -> "hot_share" (options spell keys with '-'). */
static void option_key(const char *opt, size_t n, char *key, size_t sz)
{
	size_t k = 0;

	for (; k < n && k + 1 < sz; k++)
		key[k] = opt[k] == '-' ? '_' : opt[k];
	key[k] = '\0';
}

/* Does any generator take the option named key ("s", "move")? */
static bool any_takes(const char *key)
{
	for (size_t i = 0; i < tm_kinds_count(&tm_generator_kinds); i++) {
		const struct tm_generator_ops *g = tm_generator_at(i);
		const struct tm_cfg_key *k =
			tm_cfg_find(g->kind.keys, g->kind.nr_keys, key);

		if ((k && k->type != TM_CFG_LIST) ||
		    (g->list && !strcmp(g->list->option, key)))
			return true;
	}
	return false;
}

/* The row of the current part's generator that --NAME sets (a BOOL row
 * takes the form --no-NAME), or NULL; *list: NAME is its list option. */
static const struct tm_cfg_key *own_option(struct gen_args *a, const char *arg,
					   size_t n, bool *list)
{
	const struct tm_generator_ops *g = cur_part(a)->gen;
	const struct tm_cfg_key *k;
	bool no = n > 5 && !strncmp(arg, "--no-", 5);
	char key[64];

	option_key(arg + (no ? 5 : 2), n - (no ? 5 : 2), key, sizeof(key));
	*list = !no && g->list && !strcmp(g->list->option, key);
	if (*list)
		return &g->list->keys[1];
	k = tm_gen_part_key(cur_part(a), key);
	if (!k || k->type == TM_CFG_LIST || no != (k->type == TM_CFG_BOOL))
		return NULL;
	return k;
}

/* --NAME VALUE, --no-NAME or --LIST AT:VALUE of the current part's
 * generator; 1 when arg is none of them. */
static int kind_opt(struct gen_args *a, int argc, char **argv, int *i,
		    struct tm_error *err)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *v;
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	struct tm_gen_part *p = cur_part(a);
	bool list;
	const struct tm_cfg_key *k = own_option(a, arg, n, &list);
	char key[64];
	int rc;

	if (!k) {
		bool no = n > 5 && !strncmp(arg, "--no-", 5);

		option_key(arg + (no ? 5 : 2), n > 2 ? n - (no ? 5 : 2) : 0, key,
			   sizeof(key));
		TM_RETURN_IF(n > 2 && !strncmp(arg, "--", 2) && any_takes(key), err,
			     TM_ERR_USAGE, "%.*s: generator %s does not take this "
			     "option (tmsim gen --help lists each generator's "
			     "options)", (int)n, arg, p->gen->kind.name);
		return 1;
	}
	if (k->type == TM_CFG_BOOL) {
		*(bool *)(void *)(p->cfg + k->off) = false;
		return 0;
	}
	v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
	TM_RETURN_IF(!v, err, TM_ERR_USAGE, "%s: expected a value", arg);
	rc = list ? tm_gen_part_add_entry(p, v, err) :
		    tm_gen_part_set(p, k->pattern, v, err);
	if (rc) {
		tm_error_prefix(err, "%.*s %s", (int)n, arg, v);
		err->code = TM_ERR_USAGE;
		return -1;
	}
	a->given[a->spec.nr_phases - 1][cur_phase(a)->nr_parts - 1] |=
		UINT64_C(1) << (k - p->gen->kind.keys) % 64;
	return 0;
}

/* One argument at argv[*i] (after KIND); *i advances past its value. */
static int parse_one(struct gen_args *a, int argc, char **argv, int *i,
		     struct tm_error *err)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *v;
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	int kp = find_opt(arg, n, part_opts,
			  sizeof(part_opts) / sizeof(*part_opts));
	int ks = find_opt(arg, n, stream_opts,
			  sizeof(stream_opts) / sizeof(*stream_opts));
	int rc;

	if (kp < 0 && ks < 0 && (rc = kind_opt(a, argc, argv, i, err)) <= 0)
		return rc;
	TM_RETURN_IF(kp < 0 && ks < 0, err, TM_ERR_USAGE, "%s: unknown %s (tmsim "
		     "gen --help lists the options)", arg, arg[0] == '-' ? "option" :
		     "argument; KIND comes first");
	v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
	TM_RETURN_IF(!v, err, TM_ERR_USAGE, "%s: expected a value", arg);
	rc = kp >= 0 ? part_opt(a, part_opts[kp], v, err) :
		       stream_opt(a, stream_opts[ks], v, err);
	if (rc) {
		tm_error_prefix(err, "%.*s %s", (int)n, arg, v);
		err->code = TM_ERR_USAGE;
	}
	return rc;
}

/* Every required key of part (i, j) was given: "hotset needs --hot". */
static int check_required(const struct gen_args *a, uint32_t i, uint32_t j,
			  struct tm_error *err)
{
	const struct tm_kind *k = &a->spec.phases[i].parts[j].gen->kind;

	for (size_t r = 0; r < k->nr_keys; r++)
		TM_RETURN_IF((k->keys[r].flags & TM_CFG_REQUIRED) &&
			     !(a->given[i][j] & UINT64_C(1) << r % 64), err,
			     TM_ERR_USAGE, "phases[%u].parts[%u]: %s needs --%s "
			     "(%s)", i, j, k->name, k->keys[r].pattern,
			     tm_cfg_type_desc(&k->keys[r]));
	return 0;
}

/* Defaults that depend on other options, and what the spec cannot check. */
static int finish_spec(struct gen_args *a, struct tm_error *err)
{
	struct tm_gen_spec *s = &a->spec;

	for (uint32_t i = 0; i < s->nr_phases; i++)
		for (uint32_t j = 0; j < s->phases[i].nr_parts; j++) {
			if (check_required(a, i, j, err))
				return -1;
			s->phases[i].parts[j].seed =
				(tm_splitmix64_of(a->seed ^ ((uint64_t)i << 32 | j)) >> 1) | 1;
		}
	tm_gen_spec_derive(s);
	if (s->kind == TM_TRACE_SAMPLES && !a->period_set)
		s->load_period = DEFAULT_LOAD_PERIOD;
	TM_RETURN_IF(!s->nr_records && !s->duration_ns, err, TM_ERR_USAGE,
		     "expected --records N or --duration T (the stream is endless "
		     "otherwise)");
	TM_RETURN_IF(!a->out, err, TM_ERR_USAGE, "expected -o OUT.tmt");
	return tm_gen_spec_check(s, err);
}

static int parse_args(int argc, char **argv, struct gen_args *a,
		      struct tm_error *err)
{
	memset(a, 0, sizeof(*a));
	tm_gen_spec_init(&a->spec);
	a->seed = 1;
	a->level = TM_TMT_LEVEL_DEFAULT;
	a->format = TM_TMT_VERSION_DEFAULT;
	TM_RETURN_IF(argc < 2 || argv[1][0] == '-', err, TM_ERR_USAGE,
		     "expected KIND (a generator: tmsim gen --help) first");
	a->spec.phases[0].nr_parts = 0;
	if (add_part(a, argv[1], err)) {
		tm_error_prefix(err, "KIND");
		return -1;
	}
	for (int i = 2; i < argc; i++)
		if (parse_one(a, argc, argv, &i, err))
			return -1;
	return finish_spec(a, err);
}

/* ---- provenance: the spec and seed, enough to regenerate the bytes ----- */

static json_t *part_json(const struct tm_gen_part *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "gen", json_string(p->gen->kind.name));
	json_object_set_new(o, "weight", json_real(p->weight));
	json_object_set_new(o, "base", json_integer((json_int_t)p->base));
	json_object_set_new(o, "footprint", json_integer((json_int_t)p->sz_footprint));
	if (p->gen->provenance)
		p->gen->provenance(p, o);
	if (!json_object_get(o, "moves")) /* every part had it in version 1 */
		json_object_set_new(o, "moves", json_array());
	return o;
}

static char *provenance(const struct gen_args *a)
{
	const struct tm_gen_spec *s = &a->spec;
	json_t *p = json_object(), *phases = json_array();
	char *text;

	json_object_set_new(p, "tool", json_string("tmsim gen " TM_VERSION));
	json_object_set_new(p, "seed", json_integer((json_int_t)a->seed));
	json_object_set_new(p, "rate_per_s", json_real(s->rate_per_s));
	json_object_set_new(p, "duration_ns", json_integer((json_int_t)s->duration_ns));
	json_object_set_new(p, "records", json_integer((json_int_t)s->nr_records));
	json_object_set_new(p, "stores", json_real(s->store_share));
	json_object_set_new(p, "interarrival", json_string("fixed"));
	for (uint32_t i = 0; i < s->nr_phases; i++) {
		json_t *ph = json_object(), *parts = json_array();

		json_object_set_new(ph, "start_ns", json_integer((json_int_t)s->phases[i].start_ns));
		for (uint32_t j = 0; j < s->phases[i].nr_parts; j++)
			json_array_append_new(parts, part_json(&s->phases[i].parts[j]));
		json_object_set_new(ph, "parts", parts);
		json_array_append_new(phases, ph);
	}
	json_object_set_new(p, "phases", phases);
	text = json_dumps(p, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(p);
	return text;
}

/* ---- the copy --------------------------------------------------------------- */

/* Done = the larger of the two stopping conditions' fractions. */
static void progress(const struct tm_gen_spec *s, uint64_t nr, uint64_t t_ns)
{
	double by_nr = s->nr_records ? (double)nr / (double)s->nr_records : 0;
	double by_t = s->duration_ns ? (double)t_ns / (double)s->duration_ns : 0;

	fprintf(stderr, "\rtmsim gen: %" PRIu64 " records (%.0f%%)", nr,
		100 * (by_nr > by_t ? by_nr : by_t));
}

static int copy_records(struct tm_stream *in, struct tm_tmt_writer *w,
			const struct tm_gen_spec *s, uint64_t *nr,
			struct tm_error *err)
{
	struct tm_record *buf = tm_xmalloc(BATCH * sizeof(*buf));
	bool tty = isatty(STDERR_FILENO);
	uint64_t next = PROGRESS_EVERY;
	ssize_t got;
	int rc = 0;

	while ((got = tm_stream_read(in, buf, BATCH, err)) > 0) {
		if (tm_tmt_writer_add(w, buf, (size_t)got, err)) {
			rc = -1;
			break;
		}
		*nr += (uint64_t)got;
		if (tty && *nr >= next) {
			progress(s, *nr, buf[got - 1].time_ns);
			next += PROGRESS_EVERY;
		}
	}
	if (got < 0)
		rc = -1;
	if (tty && next > PROGRESS_EVERY)
		fputc('\n', stderr);
	free(buf);
	return rc;
}

static int run_gen(const struct gen_args *a, struct tm_error *err)
{
	struct tm_stream *in = NULL;
	struct tm_tmt_writer *w = NULL;
	char *prov = NULL;
	uint64_t nr = 0;
	int rc = -1;

	if (tm_gen_stream_new(&a->spec, a->seed, &in, err))
		return -1;
	prov = provenance(a);
	w = tm_tmt_writer_new_format(a->out, &in->info, prov, a->level, a->format,
				     err);
	if (!w || copy_records(in, w, &a->spec, &nr, err))
		goto out;
	rc = tm_tmt_writer_close(w, err);
	w = NULL;
	if (!rc)
		fprintf(stderr, "tmsim gen: %s: %" PRIu64 " records of %s\n", a->out,
			nr, in->info.source);
out:
	tm_tmt_writer_abort(w);
	tm_stream_free(in);
	free(prov);
	return rc;
}

/* ---- --help: the generic options, then each generator's schema ------- */

static const char *metavar(const struct tm_cfg_key *k)
{
	switch (k->type) {
	case TM_CFG_SIZE: return "SIZE";
	case TM_CFG_TIME: return "TIME";
	case TM_CFG_SHARE: return "SHARE";
	case TM_CFG_DOUBLE: return "X";
	case TM_CFG_U64: return "N";
	case TM_CFG_ENUM: return k->arg;
	default: return "VALUE";
	}
}

/* "--hot-share SHARE", "--no-permute", "--move AT:OFFSET" into buf. */
static void option_of(const struct tm_generator_ops *g,
		      const struct tm_cfg_key *k, char *buf, size_t sz)
{
	char name[64], up[32];
	size_t i;

	if (k->type == TM_CFG_LIST && g->list) {
		for (i = 0; g->list->keys[1].pattern[i] && i + 1 < sizeof(up); i++)
			up[i] = (char)toupper((unsigned char)g->list->keys[1].pattern[i]);
		up[i] = '\0';
		tm_fmt(buf, sz, "--%s AT:%s", g->list->option, up);
		return;
	}
	for (i = 0; k->pattern[i] && i + 1 < sizeof(name); i++)
		name[i] = k->pattern[i] == '_' ? '-' : k->pattern[i];
	name[i] = '\0';
	/* tm_fmt: a cut option name is acceptable in help text */
	if (k->type == TM_CFG_BOOL)
		tm_fmt(buf, sz, "--no-%s", name);
	else
		tm_fmt(buf, sz, "--%s %s", name, metavar(k));
}

static void print_kind(FILE *f, const struct tm_generator_ops *g)
{
	const struct tm_kind *k = &g->kind;
	char opt[64];

	fprintf(f, "  %-12s %s\n", k->name, k->help);
	for (size_t i = 0; i < k->nr_keys; i++) {
		option_of(g, &k->keys[i], opt, sizeof(opt));
		tm_cfg_print_help_row(f, &k->keys[i], opt);
	}
}

void tm_cmd_gen_help(FILE *f)
{
	fputs(help_head, f);
	for (size_t i = 0; i < tm_kinds_count(&tm_generator_kinds); i++)
		print_kind(f, tm_generator_at(i));
	fputs(help_tail, f);
}

int tm_cmd_gen(int argc, char **argv)
{
	struct gen_args *a;
	struct tm_error err = { 0 };
	int rc;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			tm_cmd_gen_help(stdout);
			return 0;
		}
	a = tm_xcalloc(1, sizeof(*a));
	rc = parse_args(argc, argv, a, &err) || run_gen(a, &err);
	free(a);
	if (rc) {
		fprintf(stderr, "tmsim gen: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	return 0;
}
