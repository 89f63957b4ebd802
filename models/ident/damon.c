/*
 * damon.c - DAMON, the kernel's data access monitor, with DAMOS-style
 * migrate_hot / migrate_cold schemes as the placement rule (DESIGN.md §13;
 * reference/identifiers.md §3 "DAMON"; docs/identifiers.md).
 *
 * Rules, from Linux mm/damon/core.c, vaddr.c and ops-common.c (6.6-6.15),
 * the kernel's samples/damon/mtier.c and damo's scripts/mem_tier.sh for the
 * tiering schemes.  Addresses are the trace's page numbers; DAMON's
 * DAMON_MIN_REGION is one page.
 * - Regions (vaddr `damon_va_three_regions`): the touched pages' span minus
 *   its two largest gaps, so at most three ranges; at the first scan that
 *   sees a touched page each is split evenly into size / (total /
 *   min_nr_regions) pieces (`__damon_va_init_regions`).  Every update_ns
 *   the ranges are recomputed and the regions fitted to them
 *   (`damon_set_regions`: regions outside every range go, the first and
 *   last region of a range stretch to its ends, an empty range gets one).
 * - Sampling, every sample_ns (kdamond_fn): check each region's sampled
 *   page (accessed since it was made old: nr_accesses++), then choose a
 *   new random page in the region and make it old (test-and-clear of the
 *   engine's accessed bit: `damon_va_mkold`).  An untouched page was never
 *   accessed.
 * - Aggregation, every aggr_ns: merge (`kdamond_merge_regions`: threshold
 *   max_nr_accesses / 10, size limit total / min_nr_regions, doubled
 *   threshold while regions > max_nr_regions), where each region's age
 *   grows by one if |nr_accesses - last_nr_accesses| <= threshold, else
 *   restarts at 0, and two adjacent regions whose nr_accesses differ by <=
 *   threshold and fit the size limit become one (size-weighted nr_accesses
 *   and age); then the schemes (every apply_ns); then nr_accesses moves to
 *   last_nr_accesses; then split (`kdamond_split_regions`): while regions
 *   <= max / 2, each region bigger than two pages is cut at a random
 *   10-90% point, into three pieces if the count did not change since the
 *   last split and is < max / 3.
 * - Schemes (mtier.c): migrate_hot applies to regions with nr_accesses >=
 *   hot_min_nr_accesses (1) and age >= hot_min_age; migrate_cold to those
 *   with nr_accesses <= cold_max_nr_accesses (0) and age >= cold_min_age.
 *   Quota: sz_quota bytes (200 MiB) per quota_reset_ns (1 s); regions are
 *   prioritised by `damon_hot_score` (cold: 99 - it) with weights
 *   nr_accesses 100, age 100 (size 0), the minimum score is the highest one
 *   whose regions fill the quota (`damos_adjust_quota`), and a region
 *   crossing the quota is cut to what is left.  With quota_goals the
 *   effective quota follows `damon_feed_loop_next_input` each window
 *   towards FMEM used = hot_goal_used (99.7%) for migrate_hot and FMEM free
 *   = cold_goal_free (0.5%) for migrate_cold, starting from 1 byte.
 *   Watermarks (`damos_wmark_wait_us`) on the FMEM free rate, if asked.
 *
 * How this maps onto tmsim's migration engine (`migrate` mode): rank()
 * returns the regions migrate_hot last applied to, hottest score first
 * (TM_IDENT_REGIONS); the engine promotes their SMEM pages into free FMEM
 * only, as DAMOS's migration to a full node fails, and never demotes to
 * make room (TM_IDENT_COLD).  The FMEM pages of the regions migrate_cold
 * applied to, minus young ones (below), are rank()'s cold list, demoted
 * once.  Both run in the engine's epochs, so a scheme's decision waits up to
 * an epoch.  Scored on the hot regions' touched pages.
 *
 * Notes (what a trace does not give, and what tmsim assumes):
 * - mtier runs two physical-address contexts, one per node; here one
 *   virtual-address context holds both schemes, migrate_hot acting on the
 *   SMEM pages and migrate_cold on the FMEM pages of its regions.
 * - The "young" filters: migrate_cold skips a page accessed since DAMON
 *   last looked at it (test-and-clear of its accessed bit, an assumption:
 *   the kernel tests the PTE and the folio's idle flag); migrate_hot's
 *   "allow young" filter is not modelled (the engine maps regions to pages).
 * - The quota's time limit (`ms`) and the charge window resuming where
 *   the last one stopped (`charge_addr_from`) are not modelled; each
 *   window walks regions from the lowest address.
 * - The monitoring-interval auto-tuning (`intervals_goal`) is off.
 * - ops update interval: damo's 1 s (the kernel's default is 60 s).
 * - Random numbers: SplitMix64 seeded from the run's seed (the kernel's
 *   prandom), so runs are deterministic.
 */
#include "damon.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"

#define NONE UINT32_MAX
#define MAX_SUBSCORE 100u    /* DAMON_MAX_SUBSCORE */
#define MAX_AGE_IN_LOG 32    /* DAMON_MAX_AGE_IN_LOG */
#define MAX_SCORE 99u        /* DAMOS_MAX_SCORE */
#define FEED_GOAL 10000u     /* damon_feed_loop_next_input */

struct region {
	uint64_t start, end;          /* pages [start, end) */
	uint64_t sampling;            /* the page checked this interval */
	uint32_t nr_accesses, last_nr_accesses, age;
};

struct scheme {
	bool hot;
	uint64_t esz, esz_bp, charged;  /* bytes; esz_bp in 1/10000 bytes */
	bool wmark_active;
	uint32_t min_score;
};

struct tm_damon {
	struct tm_damon_config c;
	uint32_t page_shift;
	uint64_t rng;
	struct region *r, *tmp;
	uint32_t nr, cap;
	uint32_t last_nr_split;       /* kdamond_split_regions' static */
	uint32_t max_nr_accesses;     /* aggr / sample */
	uint64_t next_aggr_ns, next_update_ns, next_apply_ns, next_reset_ns;
	uint64_t *pages;              /* touched page numbers, sorted */
	uint32_t nr_pages;
	struct scheme hot, cold;
	struct tm_region *promo;      /* migrate_hot's regions, by score */
	uint32_t nr_promo;
	uint64_t *cold_idx;           /* migrate_cold's pages (dense) */
	size_t nr_cold, cap_cold;
	uint64_t score_sz[MAX_SCORE + 1];
	struct tm_damon_stats st;
};

static inline uint64_t sz_of(const struct tm_damon *d, const struct region *r)
{
	return (r->end - r->start) << d->page_shift;
}

/* damon_rand(l, r): in [l, r). */
static inline uint64_t rnd(struct tm_damon *d, uint64_t l, uint64_t r)
{
	return l + tm_splitmix64(&d->rng) % (r - l);
}

static inline uint32_t absdiff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

static uint64_t total_pages(const struct tm_damon *d)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < d->nr; i++)
		t += d->r[i].end - d->r[i].start;
	return t;
}

/* ---- regions from the touched pages (vaddr.c) ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Take the pages touched since the last call into the sorted list. */
static void sync_pages(struct tm_damon *d, const struct tm_scan *sc)
{
	if (sc->nr_pages == d->nr_pages)
		return;
	d->pages = tm_xrealloc(d->pages, sc->nr_pages * sizeof(*d->pages));
	for (uint32_t i = d->nr_pages; i < sc->nr_pages; i++)
		d->pages[i] = tm_scan_page(sc, i);
	d->nr_pages = sc->nr_pages;
	qsort(d->pages, d->nr_pages, sizeof(*d->pages), cmp_u64);
}

/* The span of the touched pages minus its two largest gaps (ties: the
 * lower gap); returns the number of ranges (1-3), in address order. */
static uint32_t three_regions(const struct tm_damon *d, uint64_t rg[3][2])
{
	uint64_t g[2][2] = { { 0, 0 }, { 0, 0 } };   /* [start, end) of gaps */
	uint32_t n = 0;
	uint64_t from;

	for (uint32_t i = 1; i < d->nr_pages; i++) {
		uint64_t a = d->pages[i - 1] + 1, b = d->pages[i];

		if (b - a > g[0][1] - g[0][0]) {
			memcpy(g[1], g[0], sizeof(g[0]));
			g[0][0] = a;
			g[0][1] = b;
		} else if (b - a > g[1][1] - g[1][0]) {
			g[1][0] = a;
			g[1][1] = b;
		}
	}
	if (g[1][0] < g[0][0] && g[1][1] > g[1][0]) {   /* address order */
		uint64_t t[2];

		memcpy(t, g[0], sizeof(t));
		memcpy(g[0], g[1], sizeof(t));
		memcpy(g[1], t, sizeof(t));
	}
	from = d->pages[0];
	for (uint32_t k = 0; k < 2; k++) {
		if (g[k][1] == g[k][0])
			continue;
		rg[n][0] = from;
		rg[n++][1] = g[k][0];
		from = g[k][1];
	}
	rg[n][0] = from;
	rg[n++][1] = d->pages[d->nr_pages - 1] + 1;
	return n;
}

static void region_add(struct tm_damon *d, uint64_t start, uint64_t end)
{
	assert(d->nr < d->cap && start < end);
	d->r[d->nr++] = (struct region){ .start = start, .end = end,
					 .sampling = start };
}

/* __damon_va_init_regions: each range split evenly into size / sz. */
static void init_regions(struct tm_damon *d, uint64_t rg[3][2], uint32_t n)
{
	uint64_t total = 0, sz;

	for (uint32_t i = 0; i < n; i++)
		total += rg[i][1] - rg[i][0];
	sz = total / d->c.min_nr_regions;
	if (!sz)
		sz = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t size = rg[i][1] - rg[i][0];
		uint64_t nr = size / sz ? size / sz : 1, piece = size / nr;

		for (uint64_t k = 0; k < nr; k++)
			region_add(d, rg[i][0] + k * piece,
				   k + 1 == nr ? rg[i][1] :
						 rg[i][0] + (k + 1) * piece);
	}
}

/* damon_set_regions: fit the regions to the ranges. */
static void set_regions(struct tm_damon *d, uint64_t rg[3][2], uint32_t n)
{
	uint32_t nr = 0;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t first = nr;

		for (uint32_t i = 0; i < d->nr; i++)
			if (d->r[i].end > rg[k][0] && d->r[i].start < rg[k][1])
				d->tmp[nr++] = d->r[i];
		if (nr == first) {
			d->tmp[nr++] = (struct region){ .start = rg[k][0],
							.end = rg[k][1],
							.sampling = rg[k][0] };
			continue;
		}
		d->tmp[first].start = rg[k][0];
		d->tmp[nr - 1].end = rg[k][1];
	}
	memcpy(d->r, d->tmp, nr * sizeof(*d->r));
	d->nr = nr;
	for (uint32_t i = 0; i < d->nr; i++)   /* a stretched region */
		if (d->r[i].sampling < d->r[i].start ||
		    d->r[i].sampling >= d->r[i].end)
			d->r[i].sampling = d->r[i].start;
}

static void update_regions(struct tm_damon *d, const struct tm_scan *sc)
{
	uint64_t rg[3][2];
	uint32_t n;

	sync_pages(d, sc);
	if (!d->nr_pages)
		return;
	n = three_regions(d, rg);
	if (d->nr)
		set_regions(d, rg, n);
	else
		init_regions(d, rg, n);
}

/* ---- sampling ---- */

static bool young(struct tm_scan *sc, uint64_t page)
{
	uint32_t idx = sc->find(sc->find_ctx, page);

	return idx != NONE && tm_scan_test_clear(sc, idx);
}

static void check_accesses(struct tm_damon *d, struct tm_scan *sc)
{
	for (uint32_t i = 0; i < d->nr; i++) {
		d->r[i].nr_accesses += young(sc, d->r[i].sampling);
		d->st.nr_checks++;
	}
}

static void prepare_checks(struct tm_damon *d, struct tm_scan *sc)
{
	for (uint32_t i = 0; i < d->nr; i++) {
		struct region *r = &d->r[i];

		r->sampling = rnd(d, r->start, r->end);
		(void)young(sc, r->sampling);   /* mkold */
	}
}

/* ---- aggregation: merge, reset, split (core.c) ---- */

static void merge_once(struct tm_damon *d, uint32_t thres, uint64_t sz_limit)
{
	uint32_t nr = 0;

	for (uint32_t i = 0; i < d->nr; i++) {
		struct region r = d->r[i];
		struct region *p = nr ? &d->tmp[nr - 1] : NULL;

		if (absdiff(r.nr_accesses, r.last_nr_accesses) > thres)
			r.age = 0;
		else
			r.age++;
		if (p && p->end == r.start &&
		    absdiff(p->nr_accesses, r.nr_accesses) <= thres &&
		    sz_of(d, p) + sz_of(d, &r) <= sz_limit) {
			uint64_t sl = p->end - p->start, sr = r.end - r.start;

			/* damon_merge_two_regions: size-weighted means */
			p->nr_accesses = (uint32_t)((p->nr_accesses * sl +
						     r.nr_accesses * sr) /
						    (sl + sr));
			p->age = (uint32_t)((p->age * sl + r.age * sr) /
					    (sl + sr));
			p->end = r.end;
			continue;
		}
		d->tmp[nr++] = r;
	}
	memcpy(d->r, d->tmp, nr * sizeof(*d->r));
	d->nr = nr;
}

static void merge_regions(struct tm_damon *d)
{
	uint32_t thres = d->max_nr_accesses / 10;
	/* damon_region_sz_limit: total / min_nr_regions, at least a page */
	uint64_t sz_limit = (total_pages(d) << d->page_shift) /
			    d->c.min_nr_regions;

	if (sz_limit < (UINT64_C(1) << d->page_shift))
		sz_limit = UINT64_C(1) << d->page_shift;
	do {
		merge_once(d, thres, sz_limit);
		thres = thres * 2 > 1 ? thres * 2 : 1;
	} while (d->nr > d->c.max_nr_regions &&
		 thres / 2 < d->max_nr_accesses);
}

static void split_regions(struct tm_damon *d)
{
	uint32_t nr_subs = 2, nr = 0, before = d->nr;

	if (d->nr > d->c.max_nr_regions / 2)
		return;
	if (d->last_nr_split == d->nr && d->nr < d->c.max_nr_regions / 3)
		nr_subs = 3;
	for (uint32_t i = 0; i < d->nr; i++) {
		struct region r = d->r[i];
		uint64_t size = r.end - r.start;
		uint32_t first = nr;

		d->tmp[nr++] = r;
		/* damon_split_regions_of: cut the first piece again */
		for (uint32_t k = 0; k + 1 < nr_subs && size > 2; k++) {
			uint64_t sub = rnd(d, 1, 10) * size / 10;

			if (!sub || sub >= size)
				continue;
			assert(nr < d->cap);
			memmove(&d->tmp[first + 2], &d->tmp[first + 1],
				(nr - first - 1) * sizeof(*d->tmp));
			d->tmp[first + 1] = d->tmp[first];
			d->tmp[first + 1].start = d->tmp[first].start + sub;
			d->tmp[first].end = d->tmp[first].start + sub;
			nr++;
			size = sub;
		}
	}
	memcpy(d->r, d->tmp, nr * sizeof(*d->r));
	d->nr = nr;
	d->last_nr_split = before;
}

/* ---- schemes (core.c damos_*, ops-common.c scores) ---- */

/* damon_hot_score; the cold score is MAX_SCORE minus it. */
static uint32_t hot_score(const struct tm_damon *d, const struct region *r)
{
	uint32_t fw = d->c.weight_nr_accesses, aw = d->c.weight_age;
	int freq = (int)(r->nr_accesses * MAX_SUBSCORE / d->max_nr_accesses);
	uint64_t age_s = (uint64_t)r->age * d->c.aggr_ns / 1000000000u;
	int age_log = 0, age_sub;

	if (fw + aw == 0)
		return 0;
	for (; age_log < MAX_AGE_IN_LOG && age_s; age_log++, age_s >>= 1)
		;
	if (freq == 0)          /* idle: older is colder */
		age_log = -age_log;
	age_log += MAX_AGE_IN_LOG;
	age_sub = age_log * (int)MAX_SUBSCORE / MAX_AGE_IN_LOG / 2;
	return (uint32_t)(((int)fw * freq + (int)aw * age_sub) / (int)(fw + aw)) *
	       MAX_SCORE / MAX_SUBSCORE;
}

static uint32_t score_of(const struct tm_damon *d, const struct scheme *s,
			 const struct region *r)
{
	uint32_t h = hot_score(d, r);

	return s->hot ? h : MAX_SCORE - h;
}

static bool eligible(const struct tm_damon *d, const struct scheme *s,
		     const struct region *r)
{
	uint64_t age_ns = (uint64_t)r->age * d->c.aggr_ns;

	if (s->hot)
		return r->nr_accesses >= d->c.hot_min_nr_accesses &&
		       age_ns >= d->c.hot_min_age_ns;
	return r->nr_accesses <= d->c.cold_max_nr_accesses &&
	       age_ns >= d->c.cold_min_age_ns;
}

/* damon_feed_loop_next_input: score 10000 is the goal. */
static uint64_t feed_next(uint64_t last, uint64_t score)
{
	const uint64_t min_input = FEED_GOAL;
	uint64_t diff, comp;

	if (score == FEED_GOAL)
		return last;
	if (score >= 2 * FEED_GOAL)
		return min_input;
	diff = score > FEED_GOAL ? score - FEED_GOAL : FEED_GOAL - score;
	comp = last < UINT64_MAX / diff ? last * diff / FEED_GOAL :
					  last / FEED_GOAL * diff;
	if (score > FEED_GOAL)   /* comp < last here: diff < goal */
		return last - comp > min_input ? last - comp : min_input;
	return last < UINT64_MAX - comp ? last + comp : UINT64_MAX;
}

/* A new charge window: damos_set_effective_quota. */
static void quota_reset(struct tm_damon *d, struct scheme *s,
			const struct tm_scan *sc)
{
	uint64_t cap = sc->nr_fmem_cap_pages ? sc->nr_fmem_cap_pages : 1;
	uint64_t used = sc->nr_fmem_pages < cap ? sc->nr_fmem_pages : cap;
	double cur, goal;
	uint64_t esz;

	s->charged = 0;
	if (!d->c.quota_goals) {
		s->esz = d->c.sz_quota;
		return;
	}
	/* damos_quota_score: current / target, in 1/10000 */
	cur = s->hot ? (double)used / (double)cap :
		       (double)(cap - used) / (double)cap;
	goal = s->hot ? d->c.hot_goal_used : d->c.cold_goal_free;
	s->esz_bp = feed_next(s->esz_bp > FEED_GOAL ? s->esz_bp : FEED_GOAL,
			      goal > 0 ? (uint64_t)(cur / goal * FEED_GOAL) :
					 2 * FEED_GOAL);
	esz = s->esz_bp / FEED_GOAL;
	s->esz = d->c.sz_quota && d->c.sz_quota < esz ? d->c.sz_quota : esz;
}

/* damos_wmark_wait_us, on the FMEM free rate. */
static bool wmark_ok(const struct tm_damon *d, struct scheme *s,
		     const struct tm_scan *sc)
{
	uint64_t cap = sc->nr_fmem_cap_pages;
	double m;

	if (d->c.wmark == TM_DAMON_WMARK_NONE)
		return true;
	m = cap && sc->nr_fmem_pages < cap ?
	    (double)(cap - sc->nr_fmem_pages) / (double)cap : 0;
	if (m > d->c.wmark_high || m < d->c.wmark_low)
		s->wmark_active = false;
	else if (!(m >= d->c.wmark_mid && !s->wmark_active))
		s->wmark_active = true;
	return s->wmark_active;
}

/* damos_adjust_quota: the highest score whose regions fill the quota. */
static void min_score(struct tm_damon *d, struct scheme *s)
{
	uint32_t max = 0, sc;
	uint64_t cum = 0;

	memset(d->score_sz, 0, sizeof(d->score_sz));
	for (uint32_t i = 0; i < d->nr; i++) {
		if (!eligible(d, s, &d->r[i]))
			continue;
		sc = score_of(d, s, &d->r[i]);
		d->score_sz[sc] += sz_of(d, &d->r[i]);
		max = sc > max ? sc : max;
	}
	for (sc = max;; sc--) {
		cum += d->score_sz[sc];
		if (cum >= s->esz || !sc)
			break;
	}
	s->min_score = sc;
}

/* Cut region i at sz bytes (its first part stays at i). */
static void split_at(struct tm_damon *d, uint32_t i, uint64_t sz)
{
	assert(d->nr < d->cap);
	memmove(&d->r[i + 2], &d->r[i + 1], (d->nr - i - 1) * sizeof(*d->r));
	d->r[i + 1] = d->r[i];
	d->r[i].end = d->r[i].start + (sz >> d->page_shift);
	d->r[i + 1].start = d->r[i].end;
	d->nr++;
}

static void push_cold(struct tm_damon *d, struct tm_scan *sc,
		      const struct region *r)
{
	for (uint64_t pg = r->start; pg < r->end; pg++) {
		uint32_t idx = sc->find(sc->find_ctx, pg);

		if (idx == NONE || sc->tier[idx] != TM_TIER_FMEM)
			continue;
		if (d->c.young_filter && tm_scan_test_clear(sc, idx))
			continue;   /* "reject young" */
		if (d->nr_cold == d->cap_cold) {
			d->cap_cold = d->cap_cold ? 2 * d->cap_cold : 1024;
			d->cold_idx = tm_xrealloc(d->cold_idx, d->cap_cold *
						  sizeof(*d->cold_idx));
		}
		d->cold_idx[d->nr_cold++] = idx;
	}
}

static void apply_scheme(struct tm_damon *d, struct scheme *s,
			 struct tm_scan *sc)
{
	if (!wmark_ok(d, s, sc))
		return;
	min_score(d, s);
	for (uint32_t i = 0; i < d->nr && s->charged < s->esz; i++) {
		struct region *r = &d->r[i];
		uint64_t sz = sz_of(d, r);
		uint32_t score;

		if (!eligible(d, s, r) || (score = score_of(d, s, r)) <
					  s->min_score)
			continue;
		if (s->charged + sz > s->esz) {
			/* ALIGN_DOWN(esz - charged, DAMON_MIN_REGION) */
			sz = (s->esz - s->charged) >> d->page_shift
						     << d->page_shift;
			if (!sz)
				break;
			split_at(d, i, sz);
			r = &d->r[i];
		}
		s->charged += sz;
		if (s->hot) {
			d->promo[d->nr_promo++] = (struct tm_region){
				r->start, r->end, score };
			d->st.sz_hot_applied += sz;
		} else {
			push_cold(d, sc, r);
			d->st.sz_cold_applied += sz;
		}
	}
}

static int by_score(const void *a, const void *b)
{
	const struct tm_region *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void apply_schemes(struct tm_damon *d, struct tm_scan *sc)
{
	if (sc->now_ns >= d->next_reset_ns) {
		quota_reset(d, &d->hot, sc);
		quota_reset(d, &d->cold, sc);
		d->next_reset_ns += d->c.quota_reset_ns;
	}
	d->nr_promo = 0;
	d->nr_cold = 0;
	apply_scheme(d, &d->hot, sc);
	apply_scheme(d, &d->cold, sc);
	qsort(d->promo, d->nr_promo, sizeof(*d->promo), by_score);
	d->st.nr_applies++;
	d->st.sz_hot_esz = d->hot.esz;
	d->st.sz_cold_esz = d->cold.esz;
}

static void aggregate(struct tm_damon *d, struct tm_scan *sc)
{
	merge_regions(d);
	if (sc->now_ns >= d->next_apply_ns) {
		apply_schemes(d, sc);
		d->next_apply_ns += d->c.apply_ns;
	}
	for (uint32_t i = 0; i < d->nr; i++) {
		d->r[i].last_nr_accesses = d->r[i].nr_accesses;
		d->r[i].nr_accesses = 0;
	}
	split_regions(d);
	d->st.nr_aggregations++;
}

/* One sampling interval (kdamond_fn's loop body). */
static uint64_t damon_scan(void *st, struct tm_scan *sc)
{
	struct tm_damon *d = st;

	if (!d->nr && sc->nr_pages) {     /* attach at the first mapping */
		update_regions(d, sc);
		d->next_aggr_ns = sc->now_ns + d->c.aggr_ns;
		d->next_update_ns = sc->now_ns + d->c.update_ns;
		d->next_apply_ns = sc->now_ns + d->c.apply_ns;
		d->next_reset_ns = sc->now_ns;
	} else if (d->nr) {
		check_accesses(d, sc);
		if (sc->now_ns >= d->next_aggr_ns) {
			aggregate(d, sc);
			d->next_aggr_ns += d->c.aggr_ns;
		}
		if (sc->now_ns >= d->next_update_ns) {
			update_regions(d, sc);
			d->next_update_ns += d->c.update_ns;
		}
	}
	prepare_checks(d, sc);
	return sc->now_ns + d->c.sample_ns;
}

static void damon_update(void *st, struct tm_sample s)
{
	(void)st;
	(void)s;
}

static void damon_rank(void *st, struct tm_rank *r)
{
	struct tm_damon *d = st;
	uint32_t n = d->nr_promo;

	r->nr_hot = 0;
	r->nr_pairs = 0;
	if (n > r->cap_regions)
		n = (uint32_t)r->cap_regions;
	if (r->regions)
		memcpy(r->regions, d->promo, n * sizeof(*d->promo));
	r->nr_regions = r->regions ? n : 0;
	if (r->cold) {   /* demoted once */
		size_t m = d->nr_cold < r->cap ? d->nr_cold : r->cap;

		if (m)
			memcpy(r->cold, d->cold_idx, m * sizeof(*r->cold));
		r->nr_cold = m;
		d->nr_cold = 0;
	}
}

static void damon_epoch_end(void *st)
{
	(void)st;
}

/* The last aggregated nr_accesses of the region holding page (the order
 * the engine demotes by when a balloon shrinks FMEM). */
static uint64_t damon_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_damon *d = st;
	uint32_t lo = 0, hi = d->nr;

	(void)idx;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->r[mid].end <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->nr && d->r[lo].start <= page)
		return d->r[lo].last_nr_accesses;
	return 0;
}

static size_t damon_memory_bytes(const void *st)
{
	const struct tm_damon *d = st;

	return sizeof(*d) + 2 * (size_t)d->cap * sizeof(*d->r) +
	       (size_t)d->cap * sizeof(*d->promo) +
	       (size_t)d->nr_pages * sizeof(*d->pages) +
	       d->cap_cold * sizeof(*d->cold_idx);
}

/* The checks so far and their modelled CPU (the kind's own, DAMON takes
 * no samples): each reads and clears one PTE's Accessed bit. */
static void damon_cost(const void *st, struct tm_ident_cost *out)
{
	const struct tm_damon *d = st;

	out->nr_ptes = d->st.nr_checks;
	out->scan_ns = (double)d->st.nr_checks * d->c.cost_ns_per_check;
}

static void damon_free(void *st)
{
	struct tm_damon *d = st;

	if (!d)
		return;
	free(d->r);
	free(d->tmp);
	free(d->promo);
	free(d->pages);
	free(d->cold_idx);
	free(d);
}

static void *damon_new(const struct tm_ident_params *p)
{
	const struct tm_damon_config *c = p->own;
	struct tm_damon *d = tm_xcalloc(1, sizeof(*d));

	d->c = *c;
	if (d->c.max_nr_regions < d->c.min_nr_regions)
		d->c.max_nr_regions = d->c.min_nr_regions;
	d->page_shift = p->page_shift;
	d->rng = p->seed;
	d->max_nr_accesses = (uint32_t)(c->aggr_ns / c->sample_ns);
	if (!d->max_nr_accesses)
		d->max_nr_accesses = 1;
	/* splits add at most 2 per region up to max / 2 regions; the set and
	 * init steps a few; a quota cut one per scheme */
	d->cap = 2 * d->c.max_nr_regions + 2 * d->c.min_nr_regions + 16;
	d->r = tm_xmalloc(d->cap * sizeof(*d->r));
	d->tmp = tm_xmalloc(d->cap * sizeof(*d->tmp));
	d->promo = tm_xmalloc(d->cap * sizeof(*d->promo));
	d->hot.hot = true;
	return d;
}

size_t tm_damon_regions(const void *st, struct tm_damon_region *out,
			size_t cap)
{
	const struct tm_damon *d = st;

	for (uint32_t i = 0; i < d->nr && i < cap; i++)
		out[i] = (struct tm_damon_region){
			d->r[i].start, d->r[i].end, d->r[i].nr_accesses,
			d->r[i].last_nr_accesses, d->r[i].age };
	return d->nr;
}

void tm_damon_get_stats(const void *st, struct tm_damon_stats *out)
{
	*out = ((const struct tm_damon *)st)->st;
}

typedef struct tm_damon_config DAMON;

/* Defaults: Linux samples/damon/mtier.c and damo scripts/mem_tier.sh; the
 * watermarks are DAMON_LRU_SORT's. */
static const struct tm_cfg_key damon_keys[] = {
	TM_SCAN_APPROX_KEY(DAMON),
	TM_CFG_KEY("sample_interval", TM_CFG_TIME, 1000, 1e10, "5ms", NULL, 0,
		   TM_CFG_F_U64, DAMON, sample_ns,
		   "check one random page per region this often"),
	TM_CFG_KEY("aggr_interval", TM_CFG_TIME, 1000, 1e11, "100ms", NULL, 0,
		   TM_CFG_F_U64, DAMON, aggr_ns,
		   "aggregate nr_accesses, merge and split this often"),
	TM_CFG_KEY("update_interval", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, DAMON, update_ns,
		   "refit the regions to the touched pages (kernel: 60s)"),
	TM_CFG_KEY("min_nr_regions", TM_CFG_U64, 3, 100000, "10", NULL, 0,
		   TM_CFG_F_U32, DAMON, min_nr_regions, "fewest regions"),
	TM_CFG_KEY("max_nr_regions", TM_CFG_U64, 3, 100000, "1000", NULL, 0,
		   TM_CFG_F_U32, DAMON, max_nr_regions, "most regions"),
	TM_CFG_KEY("apply_interval", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, DAMON, apply_ns,
		   "apply the schemes this often (at an aggregation)"),
	TM_CFG_KEY("quota_interval", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, DAMON, quota_reset_ns, "quota charge window"),
	TM_CFG_KEY("quota", TM_CFG_SIZE, 0, 1ull << 50, "200MiB", NULL, 0,
		   TM_CFG_F_U64, DAMON, sz_quota,
		   "bytes each scheme may act on per window"),
	TM_CFG_KEY("weight_nr_accesses", TM_CFG_U64, 0, 10000, "100", NULL, 0,
		   TM_CFG_F_U32, DAMON, weight_nr_accesses,
		   "prioritisation weight of nr_accesses"),
	TM_CFG_KEY("weight_age", TM_CFG_U64, 0, 10000, "100", NULL, 0,
		   TM_CFG_F_U32, DAMON, weight_age,
		   "prioritisation weight of age"),
	TM_CFG_KEY("hot_min_nr_accesses", TM_CFG_U64, 0, 1000000, "1", NULL, 0,
		   TM_CFG_F_U32, DAMON, hot_min_nr_accesses,
		   "migrate_hot: regions with at least this nr_accesses"),
	TM_CFG_KEY("hot_min_age", TM_CFG_TIME, 0, 1e13, "0", NULL, 0,
		   TM_CFG_F_U64, DAMON, hot_min_age_ns,
		   "migrate_hot: and at least this age"),
	TM_CFG_KEY("cold_max_nr_accesses", TM_CFG_U64, 0, 1000000, "0", NULL, 0,
		   TM_CFG_F_U32, DAMON, cold_max_nr_accesses,
		   "migrate_cold: regions with at most this nr_accesses"),
	TM_CFG_KEY("cold_min_age", TM_CFG_TIME, 0, 1e13, "0", NULL, 0,
		   TM_CFG_F_U64, DAMON, cold_min_age_ns,
		   "migrate_cold: and at least this age"),
	TM_CFG_KEY("quota_goals", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, DAMON, quota_goals,
		   "auto-tune the quotas towards the goals below"),
	TM_CFG_KEY("hot_goal_used", TM_CFG_SHARE, 0, 1, "99.7%", NULL, 0,
		   TM_CFG_F_DBL, DAMON, hot_goal_used,
		   "migrate_hot's goal: FMEM used share"),
	TM_CFG_KEY("cold_goal_free", TM_CFG_SHARE, 0, 1, "0.5%", NULL, 0,
		   TM_CFG_F_DBL, DAMON, cold_goal_free,
		   "migrate_cold's goal: FMEM free share"),
	TM_CFG_KEY("young_filter", TM_CFG_BOOL, 0, 0, "true", NULL, 0,
		   TM_CFG_F_BOOL, DAMON, young_filter,
		   "migrate_cold skips pages accessed since last looked at"),
	TM_CFG_KEY("watermarks", TM_CFG_ENUM, 0, 0, "none", "none|fmem_free",
		   0, TM_CFG_F_INT, DAMON, wmark,
		   "schemes active only while the metric is in the marks"),
	TM_CFG_KEY("wmark_high", TM_CFG_SHARE, 0, 1, "20%", NULL, 0,
		   TM_CFG_F_DBL, DAMON, wmark_high, "inactive above this"),
	TM_CFG_KEY("wmark_mid", TM_CFG_SHARE, 0, 1, "15%", NULL, 0,
		   TM_CFG_F_DBL, DAMON, wmark_mid,
		   "an inactive scheme starts below this"),
	TM_CFG_KEY("wmark_low", TM_CFG_SHARE, 0, 1, "5%", NULL, 0,
		   TM_CFG_F_DBL, DAMON, wmark_low, "inactive below this"),
	/* assumption: two page-table walks a check (mkold, then the young
	 * test), ~100 ns each when they miss the TLB and caches */
	TM_CFG_KEY("cost_per_check", TM_CFG_TIME, 0, 1e6, "200ns", NULL, 0,
		   TM_CFG_F_DBL, DAMON, cost_ns_per_check,
		   "modelled CPU per sampled page checked (assumption)"),
};

const struct tm_identifier_ops tm_damon_ops = {
	.kind = {
		.name = "damon",
		.help = "DAMON (Linux mm/damon): regions, access-bit sampling, "
			"split/merge, DAMOS migrate_hot/migrate_cold; full "
			"traces",
		.keys = damon_keys,
		.nr_keys = sizeof(damon_keys) / sizeof(damon_keys[0]),
		.config_size = sizeof(struct tm_damon_config),
		.flags = TM_IDENT_SCAN | TM_IDENT_REGIONS | TM_IDENT_COLD,
	},
	/* it takes no samples: its CPU is per checked page (cost) */
	.cost_ns = 0,
	.new = damon_new,
	.update = damon_update,
	.scan = damon_scan,
	.rank = damon_rank,
	.epoch_end = damon_epoch_end,
	.estimate = damon_estimate,
	.memory_bytes = damon_memory_bytes,
	.cost = damon_cost,
	.free = damon_free,
};
