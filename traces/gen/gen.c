/*
 * gen.c - what the generators share (DESIGN.md §5, spec in gen.h): the
 * family of generators, parts and specs (defaults, checks, descriptions),
 * exact page probabilities of mixtures and phases, and the stream.
 *
 * A generator stream draws, for each record: the phase active at the
 * record's time, one part of that phase (by weight), a page from the part's
 * generator (uniform.c, zipf.c, hotset.c, scan.c or a registered one), an
 * offset inside the page, and load or store.
 *
 * Notes (simplifications, all documented in docs/trace-format.md):
 *  - Inter-arrival times are fixed: record i is at floor(i * 1e9 / rate) ns.
 *    This keeps streams deterministic and easy to reason about; bursts are
 *    not modelled.
 *  - cpu = record index mod nr_vcpus; weight = 0; flags = 0.
 *  - Addresses are the page start plus a random 64-byte-aligned offset
 *    inside the page, except for generators with exact addresses (scan).
 *  - All randomness comes from one MT19937 seeded from the seed
 *    (lib/mt19937.h, the numbers gsl_rng_mt19937 gives); every part draws
 *    from it in record order.
 */
#include "gen_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/mt19937.h"
#include "lib/units.h"

/* Assumption: 2^40 pages (4 PiB at 4 KiB) bounds any simulated footprint. */
#define GEN_MAX_PAGES (1ull << 40)
/* Assumption: a trillion records per second is beyond any real machine. */

/* ---- the RNG ---------------------------------------------------------------- */

struct tm_gen_rng {
	struct tm_mt mt;
};

uint64_t tm_gen_rng_below(struct tm_gen_rng *r, uint64_t n)
{
	uint64_t v, limit;

	if (n <= 0xffffffffull)
		return tm_mt_below(&r->mt, (uint32_t)n);
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		v = (uint64_t)tm_mt_get(&r->mt) << 32 | tm_mt_get(&r->mt);
	while (v >= limit);
	return v % n;
}

double tm_gen_rng_uniform(struct tm_gen_rng *r)
{
	return tm_mt_uniform(&r->mt);
}

/* ---- the family ------------------------------------------------------------- */

static const struct tm_kind *const builtin[] = {
	&tm_gen_uniform.kind, &tm_gen_zipf.kind, &tm_gen_hotset.kind,
	&tm_gen_scan.kind,
};

struct tm_kinds tm_generator_kinds = {
	.family = "generator",
	.builtin = builtin,
	.nr_builtin = sizeof(builtin) / sizeof(builtin[0]),
};

const struct tm_generator_ops *tm_generator_of(const struct tm_kind *k)
{
	/* kind is the first member of struct tm_generator_ops */
	return (const struct tm_generator_ops *)(const void *)k;
}

const struct tm_generator_ops *tm_generator_at(size_t i)
{
	return tm_generator_of(tm_kinds_at(&tm_generator_kinds, i));
}

const struct tm_generator_ops *tm_generator_find(const char *name)
{
	const struct tm_kind *k = tm_kinds_find(&tm_generator_kinds, name);

	return k ? tm_generator_of(k) : NULL;
}

int tm_generator_register(const struct tm_generator_ops *g, struct tm_error *e)
{
	TM_RETURN_IF(!g->init || !g->draw || !g->page_prob, e, TM_ERR_INTERNAL,
		     "generator '%s': init, draw and page_prob are required",
		     g->kind.name);
	TM_RETURN_IF(g->kind.config_size > TM_GEN_CONFIG_MAX ||
		     g->state_size > TM_GEN_STATE_MAX, e, TM_ERR_INTERNAL,
		     "generator '%s': config of %zu bytes (at most %d) or state "
		     "of %zu bytes (at most %d)", g->kind.name, g->kind.config_size,
		     TM_GEN_CONFIG_MAX, g->state_size, TM_GEN_STATE_MAX);
	return tm_kinds_add(&tm_generator_kinds, &g->kind, e);
}

int tm_gen_fail_key(char *key, size_t sz_key, struct tm_error *e,
		    enum tm_err code, const char *name, const char *fmt, ...)
{
	va_list ap;

	snprintf(key, sz_key, "%s", name);
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- parts ------------------------------------------------------------------ */

void tm_gen_part_init(struct tm_gen_part *p, const struct tm_generator_ops *g)
{
	memset(p, 0, sizeof(*p));
	p->gen = g;
	p->weight = 1;
	p->sz_footprint = 64ull << 20;
	tm_cfg_set_defaults(g->kind.keys, g->kind.nr_keys, p->cfg);
}

const struct tm_cfg_key *tm_gen_part_key(const struct tm_gen_part *p,
					 const char *key)
{
	return tm_cfg_find(p->gen->kind.keys, p->gen->kind.nr_keys, key);
}

int tm_gen_part_set(struct tm_gen_part *p, const char *key, const char *text,
		    struct tm_error *e)
{
	const struct tm_cfg_key *k = tm_gen_part_key(p, key);
	struct tm_cfg_val v;

	TM_RETURN_IF(!k || k->field == TM_CFG_F_NONE, e, TM_ERR_USAGE,
		     "generator %s takes no value %s", p->gen->kind.name, key);
	if (tm_cfg_parse(k, text, &v, e))
		return -1;
	tm_cfg_store(k, p->cfg, &v);
	return 0;
}

/* A numeric field of row k in base, as a double (NAN: not numeric). */
static double field_value(const struct tm_cfg_key *k, const void *base)
{
	const char *f = (const char *)base + k->off;

	switch (k->field) {
	case TM_CFG_F_U32: return (double)*(const uint32_t *)f;
	case TM_CFG_F_U64: return (double)*(const uint64_t *)f;
	case TM_CFG_F_DBL: return *(const double *)f;
	case TM_CFG_F_BOOL: return *(const _Bool *)f;
	default: return NAN;
	}
}

double tm_gen_part_get(const struct tm_gen_part *p, const char *key)
{
	const struct tm_cfg_key *k = tm_gen_part_key(p, key);

	return k ? field_value(k, p->cfg) : NAN;
}

/* "AT:VALUE": parse AT and VALUE as the list's two entry keys. */
int tm_gen_part_add_entry(struct tm_gen_part *p, const char *text,
			  struct tm_error *e)
{
	const struct tm_gen_list *l = p->gen->list;
	const char *colon = strchr(text, ':');
	struct tm_cfg_val at, val;
	uint32_t *nr;
	char t[64];
	void *item;

	TM_RETURN_IF(!l, e, TM_ERR_USAGE, "generator %s takes no list",
		     p->gen->kind.name);
	TM_RETURN_IF(!colon || (size_t)(colon - text) >= sizeof(t), e,
		     TM_ERR_USAGE, "expected AT:VALUE, e.g. 5s:256MiB, got \"%s\"",
		     text);
	memcpy(t, text, (size_t)(colon - text));
	t[colon - text] = '\0';
	if (tm_cfg_parse(&l->keys[0], t, &at, e) ||
	    tm_cfg_parse(&l->keys[1], colon + 1, &val, e))
		return -1;
	nr = (uint32_t *)(void *)(p->cfg + l->off_nr);
	TM_RETURN_IF(*nr >= l->max, e, TM_ERR_USAGE, "expected at most %u "
		     "entries of %s per part", l->max, l->key);
	item = p->cfg + l->off_items + *nr * l->sz_item;
	tm_cfg_store(&l->keys[0], item, &at);
	tm_cfg_store(&l->keys[1], item, &val);
	(*nr)++;
	return 0;
}

/* ---- spec: defaults, check, describe ------------------------------------- */

void tm_gen_spec_init(struct tm_gen_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->nr_phases = 1;
	spec->phases[0].nr_parts = 1;
	tm_gen_part_init(&spec->phases[0].parts[0], &tm_gen_uniform);
	spec->rate_per_s = 1e6;
	spec->nr_vcpus = 1;
	spec->page_shift = 12;
	spec->kind = TM_TRACE_ACCESSES;
}

void tm_gen_spec_derive(struct tm_gen_spec *spec)
{
	for (uint32_t i = 0; i < spec->nr_phases; i++)
		for (uint32_t j = 0; j < spec->phases[i].nr_parts; j++) {
			struct tm_gen_part *p = &spec->phases[i].parts[j];

			if (p->gen && p->gen->derive)
				p->gen->derive(p->cfg, spec->page_shift);
		}
}

#define CHECK(cond, e, ...) TM_RETURN_IF(!(cond), e, TM_ERR_BOUNDS, __VA_ARGS__)

/* Every numeric key of the part's generator within its schema's bounds. */
static int check_bounds(const char *at, const struct tm_gen_part *p,
			struct tm_error *e)
{
	const struct tm_kind *k = &p->gen->kind;
	char b[96];

	for (size_t i = 0; i < k->nr_keys; i++) {
		const struct tm_cfg_key *r = &k->keys[i];
		double v = field_value(r, p->cfg);
		bool low = (r->flags & TM_CFG_MIN_EXCL) ? v <= r->min : v < r->min;

		if (isnan(v) || r->type == TM_CFG_BOOL || r->type == TM_CFG_ENUM)
			continue;
		tm_cfg_format_bounds(r, b, sizeof(b));
		CHECK(!low && v <= r->max, e, "%s%s: %g; expected %s", at,
		      r->pattern, v, b);
	}
	return 0;
}

static int check_part(const char *at, const struct tm_gen_part *p,
		      uint32_t shift, struct tm_error *e)
{
	uint64_t page = 1ull << shift;
	char key[64];

	TM_RETURN_IF(!p->gen, e, TM_ERR_BOUNDS, "%sgen: none; expected a "
		     "generator", at);
	CHECK(p->weight > 0 && isfinite(p->weight), e, "%sweight: %g; expected > 0",
	      at, p->weight);
	CHECK(p->sz_footprint > 0 && p->sz_footprint % page == 0 &&
	      p->sz_footprint / page <= GEN_MAX_PAGES, e, "%sfootprint: %llu bytes; "
	      "expected a positive multiple of the page size (%llu), at most 2^40 "
	      "pages", at, (unsigned long long)p->sz_footprint, (unsigned long long)page);
	CHECK(p->base % page == 0 && p->base <= UINT64_MAX - p->sz_footprint, e,
	      "%sbase: 0x%llx; expected a page-aligned address with base + footprint "
	      "< 2^64", at, (unsigned long long)p->base);
	if (check_bounds(at, p, e))
		return -1;
	if (p->gen->check && p->gen->check(p, shift, key, sizeof(key), e)) {
		tm_error_prefix(e, "%s%s", at, key);
		return -1;
	}
	return 0;
}

static int check_phases(const struct tm_gen_spec *s, struct tm_error *e)
{
	char at[64];
	uint32_t i, j;

	CHECK(s->nr_phases >= 1 && s->nr_phases <= TM_GEN_MAX_PHASES, e,
	      "nr_phases: %u; expected 1 to %d", s->nr_phases, TM_GEN_MAX_PHASES);
	CHECK(s->phases[0].start_ns == 0, e, "phases[0].start: %llu ns; expected 0",
	      (unsigned long long)s->phases[0].start_ns);
	for (i = 0; i < s->nr_phases; i++) {
		const struct tm_gen_phase *ph = &s->phases[i];

		CHECK(i == 0 || ph->start_ns > s->phases[i - 1].start_ns, e,
		      "phases[%u].start: %llu ns; expected later than phases[%u].start "
		      "(sorted)", i, (unsigned long long)ph->start_ns, i - 1);
		CHECK(ph->nr_parts >= 1 && ph->nr_parts <= TM_GEN_MAX_PARTS, e,
		      "phases[%u].nr_parts: %u; expected 1 to %d", i, ph->nr_parts,
		      TM_GEN_MAX_PARTS);
		for (j = 0; j < ph->nr_parts; j++) {
			snprintf(at, sizeof(at), "phases[%u].parts[%u].", i, j);
			if (check_part(at, &ph->parts[j], s->page_shift, e))
				return -1;
		}
	}
	return 0;
}

int tm_gen_spec_check(const struct tm_gen_spec *s, struct tm_error *e)
{
	CHECK(s->page_shift >= TM_TRACE_PAGE_SHIFT_MIN &&
	      s->page_shift <= TM_TRACE_PAGE_SHIFT_MAX, e,
	      "page_shift: %u; expected 12 (4 KiB) to 30 (1 GiB)", s->page_shift);
	CHECK(s->rate_per_s > 0 && s->rate_per_s <= TM_GEN_RATE_MAX, e,
	      "rate: %g records/s; expected > 0 and at most 1e12", s->rate_per_s);
	CHECK(s->nr_vcpus >= 1 && s->nr_vcpus <= TM_TRACE_VCPUS_MAX, e,
	      "vcpus: %u; expected 1 to %u", s->nr_vcpus, TM_TRACE_VCPUS_MAX);
	CHECK(s->store_share >= 0 && s->store_share <= 1, e,
	      "store_share: %g; expected 0 to 1", s->store_share);
	CHECK(s->kind == TM_TRACE_ACCESSES || s->kind == TM_TRACE_SAMPLES, e,
	      "kind: %d; expected accesses or samples", (int)s->kind);
	CHECK(s->kind != TM_TRACE_SAMPLES || s->load_period >= 1, e,
	      "load_period: 0; expected at least 1 for a samples trace");
	return check_phases(s, e);
}

static void fmt_rate(double r, char *buf, size_t n)
{
	if (r >= 1e9)
		snprintf(buf, n, "%gG/s", r / 1e9);
	else if (r >= 1e6)
		snprintf(buf, n, "%gM/s", r / 1e6);
	else if (r >= 1e3)
		snprintf(buf, n, "%gk/s", r / 1e3);
	else
		snprintf(buf, n, "%g/s", r);
}

static int describe_part(const struct tm_gen_part *p, char *buf, size_t n)
{
	char fp[32];

	if (p->gen->describe)
		return p->gen->describe(p, buf, n);
	tm_format_size(p->sz_footprint, fp, sizeof(fp));
	return snprintf(buf, n, "%s(%s)", p->gen->kind.name, fp);
}

/* Append to buf at *pos, never past n bytes; keeps buf terminated. */
#define APPEND(fmtcall)                                                       \
	do {                                                                  \
		int k_ = (fmtcall);                                           \
		if (k_ > 0)                                                   \
			*pos = *pos + (size_t)k_ < n ? *pos + (size_t)k_ : n - 1; \
	} while (0)

static void describe_phase(const struct tm_gen_phase *ph, char *buf, size_t n,
			   size_t *pos)
{
	double total = 0;
	uint32_t j;

	if (ph->nr_parts == 1) {
		APPEND(describe_part(&ph->parts[0], buf + *pos, n - *pos));
		return;
	}
	for (j = 0; j < ph->nr_parts; j++)
		total += ph->parts[j].weight;
	APPEND(snprintf(buf + *pos, n - *pos, "mix("));
	for (j = 0; j < ph->nr_parts; j++) {
		APPEND(snprintf(buf + *pos, n - *pos, "%s%.3g ", j ? ", " : "",
				ph->parts[j].weight / total));
		APPEND(describe_part(&ph->parts[j], buf + *pos, n - *pos));
	}
	APPEND(snprintf(buf + *pos, n - *pos, ")"));
}

void tm_gen_spec_describe(const struct tm_gen_spec *spec, char *buf,
			  size_t sz_buf)
{
	size_t pos0 = 0, *pos = &pos0, n = sz_buf;
	char rate[32];
	uint32_t i;

	if (!n)
		return;
	buf[0] = '\0';
	if (spec->nr_phases <= 1) {
		describe_phase(&spec->phases[0], buf, n, pos);
	} else {
		APPEND(snprintf(buf + *pos, n - *pos, "phases("));
		for (i = 0; i < spec->nr_phases; i++) {
			APPEND(snprintf(buf + *pos, n - *pos, "%s%gs: ", i ? "; " : "",
					(double)spec->phases[i].start_ns / 1e9));
			describe_phase(&spec->phases[i], buf, n, pos);
		}
		APPEND(snprintf(buf + *pos, n - *pos, ")"));
	}
	fmt_rate(spec->rate_per_s, rate, sizeof(rate));
	APPEND(snprintf(buf + *pos, n - *pos, " @ %s", rate));
}

/* ---- exact page probabilities --------------------------------------------- */

static uint32_t phase_at(const struct tm_gen_spec *spec, uint64_t t_ns)
{
	uint32_t i = 0;

	while (i + 1 < spec->nr_phases && spec->phases[i + 1].start_ns <= t_ns)
		i++;
	return i;
}

double tm_gen_page_prob(const struct tm_gen_spec *spec, uint64_t t_ns,
			uint64_t addr)
{
	const struct tm_gen_phase *ph = &spec->phases[phase_at(spec, t_ns)];
	double total = 0, prob = 0;
	uint32_t j;

	for (j = 0; j < ph->nr_parts; j++)
		total += ph->parts[j].weight;
	for (j = 0; j < ph->nr_parts; j++) {
		const struct tm_gen_part *p = &ph->parts[j];

		if (addr < p->base || addr - p->base >= p->sz_footprint)
			continue;
		prob += p->weight / total *
			p->gen->page_prob(p, spec->page_shift, t_ns,
					  (addr - p->base) >> spec->page_shift);
	}
	return prob;
}

/* ---- the stream ------------------------------------------------------------ */

struct gen_part_rt {
	double cum_weight;      /* normalised, cumulative over the phase's parts */
	_Alignas(16) unsigned char state[TM_GEN_STATE_MAX];
};

struct gen_state {
	struct tm_gen_spec spec;
	struct tm_gen_rng rng;
	uint64_t idx;           /* records emitted */
	double ns_per_record;
	uint32_t phase;
	uint64_t nr_lines;      /* cache lines per page */
	struct gen_part_rt rt[TM_GEN_MAX_PHASES][TM_GEN_MAX_PARTS];
};

static uint64_t part_addr(struct gen_state *g, struct gen_part_rt *rt,
			  const struct tm_gen_part *p, uint64_t t_ns)
{
	uint64_t pg = p->gen->draw(rt->state, p, &g->rng, t_ns), off;

	if (p->gen->kind.flags & TM_GEN_EXACT_ADDR)
		return p->base + pg;
	off = tm_gen_rng_below(&g->rng, g->nr_lines) * TM_GEN_LINE_BYTES;
	return p->base + (pg << g->spec.page_shift) + off;
}

static uint32_t pick_part(struct gen_state *g, const struct tm_gen_phase *ph)
{
	double u;
	uint32_t j;

	if (ph->nr_parts == 1)
		return 0;
	u = tm_gen_rng_uniform(&g->rng);
	for (j = 0; j + 1 < ph->nr_parts; j++)
		if (u < g->rt[g->phase][j].cum_weight)
			break;
	return j;
}

static uint8_t pick_op(struct gen_state *g)
{
	double share = g->spec.store_share;

	if (share <= 0)
		return TM_OP_LOAD;
	if (share >= 1)
		return TM_OP_STORE;
	return tm_gen_rng_uniform(&g->rng) < share ? TM_OP_STORE : TM_OP_LOAD;
}

/* Per-record path: no allocation, no lock. */
static ssize_t gen_read(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err)
{
	struct gen_state *g = state;
	const struct tm_gen_spec *s = &g->spec;
	size_t n;

	(void)err;
	for (n = 0; n < cap; n++) {
		uint64_t t = (uint64_t)((double)g->idx * g->ns_per_record);
		const struct tm_gen_phase *ph;
		uint32_t j;

		if ((s->nr_records && g->idx >= s->nr_records) ||
		    (s->duration_ns && t >= s->duration_ns))
			break;
		while (g->phase + 1 < s->nr_phases && s->phases[g->phase + 1].start_ns <= t)
			g->phase++;
		ph = &s->phases[g->phase];
		j = pick_part(g, ph);
		buf[n].time_ns = t;
		buf[n].addr = part_addr(g, &g->rt[g->phase][j], &ph->parts[j], t);
		buf[n].weight = 0;
		buf[n].cpu = (uint16_t)(g->idx % s->nr_vcpus);
		buf[n].op = pick_op(g);
		buf[n].flags = 0;
		g->idx++;
	}
	return (ssize_t)n;
}

static void gen_free(void *state)
{
	struct gen_state *g = state;

	if (!g)
		return;
	for (uint32_t i = 0; i < g->spec.nr_phases; i++)
		for (uint32_t j = 0; j < g->spec.phases[i].nr_parts; j++)
			if (g->spec.phases[i].parts[j].gen->free)
				g->spec.phases[i].parts[j].gen->free(g->rt[i][j].state);
	free(g);
}

static const struct tm_stream_ops gen_ops = {
	.name = "gen",
	.read = gen_read,
	.free = gen_free,
};

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Bytes in the union of every part's [base, base + footprint). */
static uint64_t union_footprint(const struct tm_gen_spec *s)
{
	uint64_t r[TM_GEN_MAX_PHASES * TM_GEN_MAX_PARTS][2], total = 0, end = 0;
	size_t nr = 0, i;
	uint32_t ph, j;

	for (ph = 0; ph < s->nr_phases; ph++)
		for (j = 0; j < s->phases[ph].nr_parts; j++, nr++) {
			r[nr][0] = s->phases[ph].parts[j].base;
			r[nr][1] = r[nr][0] + s->phases[ph].parts[j].sz_footprint;
		}
	qsort(r, nr, sizeof(r[0]), cmp_range);
	for (i = 0; i < nr; i++) {
		uint64_t lo = r[i][0] > end ? r[i][0] : end;

		if (r[i][1] > lo)
			total += r[i][1] - lo;
		if (r[i][1] > end)
			end = r[i][1];
	}
	return total;
}

static void gen_info(const struct tm_gen_spec *spec, struct tm_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = spec->kind;
	info->space = TM_ADDR_GVA;
	info->page_shift = spec->page_shift;
	if (spec->kind == TM_TRACE_SAMPLES) {
		info->load_period = spec->load_period;
		info->store_period = spec->store_period;
	}
	info->nr_vcpus = spec->nr_vcpus;
	info->sz_footprint_hint = union_footprint(spec);
	tm_gen_spec_describe(spec, info->source, sizeof(info->source));
}

/* Each phase's cumulative weights and each part's state. */
static void init_parts(struct gen_state *g)
{
	const struct tm_gen_spec *spec = &g->spec;

	for (uint32_t i = 0; i < spec->nr_phases; i++) {
		const struct tm_gen_phase *ph = &spec->phases[i];
		double total = 0, cum = 0;
		uint32_t j;

		for (j = 0; j < ph->nr_parts; j++)
			total += ph->parts[j].weight;
		for (j = 0; j < ph->nr_parts; j++) {
			cum += ph->parts[j].weight / total;
			ph->parts[j].gen->init(g->rt[i][j].state, &ph->parts[j],
					       spec->page_shift);
			g->rt[i][j].cum_weight = cum;
		}
	}
}

int tm_gen_stream_new(const struct tm_gen_spec *spec, uint64_t seed,
		      struct tm_stream **out, struct tm_error *err)
{
	struct gen_state *g;
	struct tm_stream *s;
	uint64_t x = seed;

	*out = NULL;
	if (tm_gen_spec_check(spec, err))
		return -1;
	g = tm_xcalloc(1, sizeof(*g));
	g->spec = *spec;
	/* mt19937 takes 32 bits of seed; mix all 64 into them. */
	x = tm_splitmix64(&x);
	tm_mt_seed(&g->rng.mt, (uint32_t)(x ^ (x >> 32)));
	g->ns_per_record = 1e9 / spec->rate_per_s;
	g->nr_lines = (1ull << spec->page_shift) / TM_GEN_LINE_BYTES;
	init_parts(g);
	s = tm_xcalloc(1, sizeof(*s));
	s->ops = &gen_ops;
	s->state = g;
	gen_info(spec, &s->info);
	*out = s;
	return 0;
}
