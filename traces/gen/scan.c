/*
 * scan.c - the sequential scan generator (DESIGN.md §5): the part's i-th
 * record is at base + (i * stride) mod footprint.  Addresses are exact (no
 * random offset inside the page); page_prob is the long-run share of the
 * walk that falls on a page.
 */
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "gen_internal.h"
#include "lib/units.h"

struct scan_config {
	uint64_t sz_stride;     /* 0 until derived: the page size */
};

struct scan_state {
	uint64_t pos;           /* byte offset of the next access */
	/* the rank order (truth ops): visited offsets are the multiples of g;
	 * a page holds lo or hi = lo + 1 of them, nr_hi pages hold hi */
	uint64_t g, n, lo, hi, nr_hi;
	uint32_t page_shift;
	bool even;              /* every page holds lo: uniform */
};

static const struct scan_config *config_of(const struct tm_gen_part *p)
{
	return (const struct scan_config *)p->cfg;
}

static void scan_derive(void *cfg, uint32_t page_shift)
{
	struct scan_config *c = cfg;

	if (!c->sz_stride)
		c->sz_stride = UINT64_C(1) << page_shift;
}

static int scan_check(const struct tm_gen_part *p, uint32_t page_shift,
		      char *key, size_t sz_key, struct tm_error *e)
{
	(void)page_shift;
	if (config_of(p)->sz_stride > p->sz_footprint)
		return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, "stride",
				       "expected a stride within the footprint");
	return 0;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b);

/* Visited offsets in pages [0, pg): ceil(pg P / g). */
static uint64_t visits_before(const struct scan_state *st, uint64_t pg)
{
	uint64_t lo = pg << st->page_shift;

	return lo / st->g + (lo % st->g != 0);
}

/* Pages among [0, pg) that hold hi visits. */
static uint64_t hi_before(const struct scan_state *st, uint64_t pg)
{
	return st->even ? 0 : visits_before(st, pg) - pg * st->lo;
}

static void scan_init(void *state, const struct tm_gen_part *p,
		      uint32_t page_shift)
{
	struct scan_state *st = state;
	uint64_t f = p->sz_footprint, page = UINT64_C(1) << page_shift;

	st->g = gcd_u64(f, config_of(p)->sz_stride % f);
	st->n = f >> page_shift;
	st->page_shift = page_shift;
	st->lo = page / st->g;
	st->even = page % st->g == 0;
	st->hi = st->lo + !st->even;
	st->nr_hi = st->even ? st->n : hi_before(st, st->n);
}

static uint64_t scan_draw(void *state, const struct tm_gen_part *p,
			  struct tm_gen_rng *rng, uint64_t t_ns)
{
	struct scan_state *st = state;
	uint64_t off = st->pos, f = p->sz_footprint;
	uint64_t step = config_of(p)->sz_stride % f; /* no overflow near 2^64 */

	(void)rng;
	(void)t_ns;
	st->pos = off >= f - step ? off - (f - step) : off + step;
	return off;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static double scan_page_prob(const struct tm_gen_part *p, uint32_t page_shift,
			     uint64_t t_ns, uint64_t pg)
{
	uint64_t f = p->sz_footprint, g = gcd_u64(f, config_of(p)->sz_stride % f);
	uint64_t lo = pg << page_shift, hi = lo + (UINT64_C(1) << page_shift);
	/* visited offsets are the multiples of g in [0, f), each g/f of the time */
	uint64_t nr = (hi + g - 1) / g - (lo + g - 1) / g;

	(void)t_ns;
	return (double)nr * ((double)g / (double)f);
}

/* ---- rank order: pages with hi visits, then pages with lo, each in page
 * order (the long-run share: see the Notes of docs/metrics.md) ---- */

static bool is_hi(const struct scan_state *st, uint64_t pg)
{
	return st->even || hi_before(st, pg + 1) > hi_before(st, pg);
}

static uint64_t scan_rank_of(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t pg)
{
	const struct scan_state *st = state;
	uint64_t hb = hi_before(st, pg);

	(void)p;
	(void)t_ns;
	if (st->even)
		return pg;
	return is_hi(st, pg) ? hb : st->nr_hi + (pg - hb);
}

/* The smallest page pg whose count of the level's pages in [0, pg + 1)
 * exceeds r (binary search: the counts never decrease). */
static uint64_t scan_page_at(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t rank)
{
	const struct scan_state *st = state;
	bool hi = rank < st->nr_hi;
	uint64_t r = hi ? rank : rank - st->nr_hi, a = 0, b = st->n - 1;

	(void)p;
	(void)t_ns;
	if (st->even)
		return rank;
	while (a < b) {
		uint64_t m = a + (b - a) / 2, h = hi_before(st, m + 1);

		if ((hi ? h : m + 1 - h) > r)
			b = m;
		else
			a = m + 1;
	}
	return a;
}

static double scan_rank_prob(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t rank)
{
	const struct scan_state *st = state;
	double q = (double)st->g / (double)p->sz_footprint;

	(void)t_ns;
	return (double)(rank < st->nr_hi ? st->hi : st->lo) * q;
}

static double scan_top_prob(const void *state, const struct tm_gen_part *p,
			   uint64_t t_ns, uint64_t c)
{
	const struct scan_state *st = state;
	double q = (double)st->g / (double)p->sz_footprint;
	uint64_t a = c < st->nr_hi ? c : st->nr_hi;
	uint64_t b = c > st->nr_hi ? c - st->nr_hi : 0;

	(void)t_ns;
	if (c >= st->n)
		return 1.0;
	if (b > st->n - st->nr_hi)
		b = st->n - st->nr_hi;
	return ((double)a * (double)st->hi + (double)b * (double)st->lo) * q;
}

/* ---- the window of draws [k0, k0 + nr) (distribution truth) ----
 * When the stride divides the footprint and the page (g = stride), draw k
 * visits offset index k mod P (P = footprint / g), opp = page / g indices
 * a page: nr / P full passes, then the indices [x0, x0 + R) mod P once more.
 * Other strides keep the long-run share (a partial pass of them is spread
 * over the footprint in no closed form). */

/* Extra visits of page pg from the offset indices [a, b). */
static uint64_t extra_in(uint64_t pg, uint64_t opp, uint64_t a, uint64_t b)
{
	uint64_t lo = pg * opp, hi = lo + opp;

	lo = lo > a ? lo : a;
	hi = hi < b ? hi : b;
	return hi > lo ? hi - lo : 0;
}

static uint32_t scan_window(const void *state, const struct tm_gen_part *p,
			    uint64_t k0, uint64_t nr, struct tm_gen_run *runs,
			    uint32_t max)
{
	const struct scan_state *st = state;
	uint64_t step = config_of(p)->sz_stride % p->sz_footprint;
	uint64_t page = UINT64_C(1) << st->page_shift, P, opp, x0, r, ab[2][2];
	uint64_t cut[10], nr_cut = 0;
	uint32_t n = 0;

	if (step != st->g || page % st->g || max < 9)
		return 0;
	P = p->sz_footprint / st->g;
	opp = page / st->g;
	x0 = k0 % P;
	r = nr % P;
	ab[0][0] = x0;
	ab[0][1] = x0 + r < P ? x0 + r : P;
	ab[1][0] = 0;
	ab[1][1] = x0 + r > P ? x0 + r - P : 0;
	cut[nr_cut++] = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			cut[nr_cut++] = ab[i][j] / opp;
			cut[nr_cut++] = ab[i][j] / opp + 1;
		}
	cut[nr_cut++] = st->n;
	for (uint64_t a = 0; a < st->n;) {   /* the next cut above a */
		uint64_t b = st->n, pg = a;

		for (uint64_t i = 0; i < nr_cut; i++)
			if (cut[i] > a && cut[i] < b)
				b = cut[i];
		runs[n].page = a;
		runs[n].n = b - a;
		runs[n++].visits = (double)((nr / P) * opp +
					    extra_in(pg, opp, ab[0][0], ab[0][1]) +
					    extra_in(pg, opp, ab[1][0], ab[1][1]));
		a = b;
	}
	return n;
}

static int scan_restore(struct tm_gen_part *p, const json_t *o)
{
	const json_t *v = json_object_get(o, "stride");

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return -1;
	((struct scan_config *)(void *)p->cfg)->sz_stride =
		(uint64_t)json_integer_value(v);
	return 0;
}

static int scan_describe(const struct tm_gen_part *p, char *buf, size_t n)
{
	char fp[32], b[32];

	tm_format_size(p->sz_footprint, fp, sizeof(fp));
	tm_format_size(config_of(p)->sz_stride, b, sizeof(b));
	return snprintf(buf, n, "scan(stride %s, %s)", b, fp);
}

static void scan_provenance(const struct tm_gen_part *p, json_t *o)
{
	json_object_set_new(o, "stride",
			    json_integer((json_int_t)config_of(p)->sz_stride));
}

#define TiB_ 1099511627776.0

static const struct tm_cfg_key scan_keys[] = {
	TM_CFG_KEY("stride", TM_CFG_SIZE, 1, TiB_, NULL, NULL,
		   TM_CFG_GEN_ONLY | TM_CFG_DERIVED, TM_CFG_F_U64,
		   struct scan_config, sz_stride,
		   "bytes between consecutive accesses, wrapping around the "
		   "footprint (default: the page size)"),
};

const struct tm_generator_ops tm_gen_scan = {
	.kind = {
		.name = "scan",
		.help = "a sequential walk over the footprint with a stride",
		.keys = scan_keys,
		.nr_keys = sizeof(scan_keys) / sizeof(scan_keys[0]),
		.config_size = sizeof(struct scan_config),
		.flags = TM_GEN_EXACT_ADDR,
	},
	.state_size = sizeof(struct scan_state),
	.derive = scan_derive,
	.check = scan_check,
	.init = scan_init,
	.draw = scan_draw,
	.page_prob = scan_page_prob,
	.rank_of = scan_rank_of,
	.page_at = scan_page_at,
	.rank_prob = scan_rank_prob,
	.top_prob = scan_top_prob,
	.window = scan_window,
	.describe = scan_describe,
	.provenance = scan_provenance,
	.restore = scan_restore,
};
