/*
 * test_damon.c - DAMON's monitor and DAMOS schemes (models/ident/damon.c)
 * on hand-built page worlds whose accessed bits the test sets itself, as
 * the engine would from a full trace (dense index = page number here).
 *
 * Initial regions (vaddr three regions, min_nr_regions 10):
 *
 *   touched  [0,100)   [1000,1100)   [5000,5010) 5100
 *   gaps          [100,1000) 900  [1100,5000) 3900  [5010,5100) 90
 *   ranges   [0,100)   [1000,1100)   [5000,5101)      (two largest gaps out)
 *   sz = 301 / 10 = 30 pages: 3 pieces of 33 each (the last to the end)
 *
 * Sampling and aggregation (one range [0,1000), 10 regions of 100 pages,
 * 5 ms / 100 ms: 20 checks an aggregation), pages [0,100) accessed before
 * every check:
 *
 *   region [0,100)  nr_accesses 20 -> age 0 (|20 - 0| > 20 / 10)
 *   the others      nr_accesses 0  -> age 1, no merge (200 pages > 1000/10)
 *   then 10 <= 1000 / 2 regions: each split in two -> 20 regions
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/damon.h"

#define MS 1000000ull
#define NR 6000

/* A VM's pages as the engine shows them to a scan. */
struct world {
	uint64_t page[NR];
	uint8_t tier[NR];
	uint16_t bits[NR];
	uint32_t nr;
	uint32_t slot[NR];   /* page number -> dense index */
};

static uint32_t world_find(const void *ctx, uint64_t page)
{
	const struct world *w = ctx;

	return page < NR ? w->slot[page] : UINT32_MAX;
}

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	memset(w->slot, 0xff, sizeof(w->slot));
	return w;
}

static void touch(struct world *w, uint64_t from, uint64_t to, uint8_t tier)
{
	for (uint64_t p = from; p < to; p++) {
		w->page[w->nr] = p;
		w->tier[w->nr] = tier;
		w->bits[w->nr] = 1;   /* a first touch is an access */
		w->slot[p] = w->nr++;
	}
}

static void access_pages(struct world *w, uint64_t from, uint64_t to)
{
	for (uint64_t p = from; p < to; p++)
		w->bits[w->slot[p]] |= 1;
}

static uint64_t scan_at(const struct tm_identifier_ops *ops, void *st,
			struct world *w, uint64_t now_ns)
{
	uint64_t fmem = 0;
	struct tm_scan sc;

	for (uint32_t i = 0; i < w->nr; i++)
		fmem += w->tier[i] == TM_TIER_FMEM;
	sc = (struct tm_scan){
		.now_ns = now_ns, .nr_pages = w->nr, .page = w->page,
		.tier = w->tier, .nr_fmem_cap_pages = 1000,
		.nr_fmem_pages = fmem, .bits = w->bits, .abit = 1,
		.ubit = 1u << 8, .find = world_find, .find_ctx = w,
	};
	return ops->scan(st, &sc);
}

static void *damon_with(const struct tm_damon_config *c, uint64_t seed)
{
	struct tm_ident_config ic;
	struct tm_ident_params p = { .cfg = &ic, .nr_fmem_pages = 1000,
				     .seed = seed, .page_shift = 12 };

	assert_int_equal(tm_ident_config_default(&ic, "damon"), 0);
	if (c)
		*tm_damon_cfg(&ic) = *c;
	p.own = tm_damon_cfg(&ic);
	return tm_damon_ops.new(&p);
}

static struct tm_damon_config defaults(void)
{
	struct tm_ident_config ic;

	assert_int_equal(tm_ident_config_default(&ic, "damon"), 0);
	return *tm_damon_cfg(&ic);
}

static void test_three_regions(void **state)
{
	static const uint64_t want[9][2] = {
		{ 0, 33 }, { 33, 66 }, { 66, 100 },
		{ 1000, 1033 }, { 1033, 1066 }, { 1066, 1100 },
		{ 5000, 5033 }, { 5033, 5066 }, { 5066, 5101 },
	};
	struct world *w = world_new();
	void *d = damon_with(NULL, 1);
	struct tm_damon_region r[16];

	(void)state;
	touch(w, 5000, 5010, TM_TIER_SMEM);   /* first-touch order differs */
	touch(w, 0, 100, TM_TIER_FMEM);
	touch(w, 5100, 5101, TM_TIER_SMEM);
	touch(w, 1000, 1100, TM_TIER_SMEM);
	assert_int_equal(scan_at(&tm_damon_ops, d, w, 0), 5 * MS);
	assert_int_equal(tm_damon_regions(d, r, 16), 9);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(r[i].start, want[i][0]);
		assert_int_equal(r[i].end, want[i][1]);
	}
	tm_damon_ops.free(d);
	free(w);
}

/* Run scans every 5 ms from t0 to t1 (inclusive), accessing [a, b) before
 * each. */
static void run(void *d, struct world *w, uint64_t t0, uint64_t t1,
		uint64_t a, uint64_t b)
{
	for (uint64_t t = t0; t <= t1; t += 5 * MS) {
		access_pages(w, a, b);
		assert_int_equal(scan_at(&tm_damon_ops, d, w, t), t + 5 * MS);
	}
}

static const struct tm_damon_region *region_of(const struct tm_damon_region *r,
					       size_t n, uint64_t page)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].start <= page && page < r[i].end)
			return &r[i];
	fail_msg("page %llu in no region", (unsigned long long)page);
	return NULL;
}

/* The picture's second half, then an idle aggregation: merged regions
 * keep a size-weighted age (all pieces of [100,1000) are 2 aggregations
 * stable), the regions still tile [0,1000). */
static void test_sample_aggregate_split_merge(void **state)
{
	struct world *w = world_new();
	void *d = damon_with(NULL, 7);
	struct tm_damon_region r[64];
	struct tm_damon_stats st;
	size_t n;

	(void)state;
	touch(w, 0, 1000, TM_TIER_SMEM);
	run(d, w, 0, 0, 0, 0);                  /* attach: 10 regions */
	assert_int_equal(tm_damon_regions(d, r, 64), 10);
	run(d, w, 5 * MS, 95 * MS, 0, 100);
	n = tm_damon_regions(d, r, 64);
	assert_int_equal(r[0].nr_accesses, 19);  /* 19 checks so far */
	run(d, w, 100 * MS, 100 * MS, 0, 100);  /* the 20th, aggregation */
	n = tm_damon_regions(d, r, 64);
	assert_int_equal(n, 20);
	assert_int_equal(region_of(r, n, 0)->last_nr_accesses, 20);
	assert_int_equal(region_of(r, n, 0)->age, 0);
	assert_int_equal(region_of(r, n, 99)->age, 0);
	assert_int_equal(region_of(r, n, 100)->last_nr_accesses, 0);
	assert_int_equal(region_of(r, n, 500)->age, 1);
	tm_damon_get_stats(d, &st);
	assert_int_equal(st.nr_checks, 10 * 20);
	assert_int_equal(st.nr_aggregations, 1);
	assert_int_equal(tm_ident_cost_ns(&tm_damon_ops, d), 10 * 20 * 200);   /* 200 ns */

	run(d, w, 105 * MS, 200 * MS, 0, 0);    /* idle */
	n = tm_damon_regions(d, r, 64);
	assert_int_equal(region_of(r, n, 500)->age, 2);
	assert_int_equal(region_of(r, n, 0)->age, 0);   /* 20 -> 0 */
	assert_int_equal(r[0].start, 0);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(r[i].start, r[i - 1].end);
	assert_int_equal(r[n - 1].end, 1000);
	assert_true(n >= 10 && n <= 40);
	tm_damon_ops.free(d);
	free(w);
}

/* Schemes at the first aggregation (apply_interval 100 ms): migrate_hot
 * takes [0,100) (nr_accesses 20), cut to a 40-page quota; migrate_cold the
 * idle regions from the lowest address, its FMEM pages [100,500) within its
 * own 40 pages: [100,140) minus the young page 120. */
static void test_schemes_quota(void **state)
{
	struct tm_damon_config c = defaults();
	struct world *w = world_new();
	uint64_t cold[200];
	struct tm_region reg[8];
	struct tm_rank rk = { .cap = 200, .cold = cold, .regions = reg,
			      .cap_regions = 8 };
	void *d;

	(void)state;
	c.apply_ns = 100 * MS;
	c.sz_quota = 40 * 4096;
	d = damon_with(&c, 3);
	touch(w, 0, 500, TM_TIER_FMEM);
	touch(w, 500, 1000, TM_TIER_SMEM);
	run(d, w, 0, 95 * MS, 0, 100);
	w->bits[120] &= (uint16_t)~1u;
	access_pages(w, 120, 121);
	for (uint64_t p = 100; p < 1000; p++)   /* only 120 is young */
		if (p != 120)
			w->bits[p] &= (uint16_t)~1u;
	run(d, w, 100 * MS, 100 * MS, 0, 100);
	tm_damon_ops.rank(d, &rk);
	assert_int_equal(rk.nr_regions, 1);
	assert_int_equal(reg[0].start, 0);
	assert_int_equal(reg[0].end, 40);
	assert_int_equal(rk.nr_cold, 39);
	for (size_t i = 0; i < rk.nr_cold; i++)
		assert_int_equal(cold[i], 100 + i + (i >= 20));
	/* the cold list is handed out once, the hot regions until the next
	 * apply */
	tm_damon_ops.rank(d, &rk);
	assert_int_equal(rk.nr_cold, 0);
	assert_int_equal(rk.nr_regions, 1);
	tm_damon_ops.free(d);
	free(w);
}

/* Quota goals: the effective quota starts at 1 byte (no region fits a
 * page) and grows towards the FMEM-used goal, at most doubling a window. */
static void test_quota_goal_ramp(void **state)
{
	struct tm_damon_config c = defaults();
	struct world *w = world_new();
	struct tm_damon_stats st;
	void *d;
	uint64_t prev = 0;

	(void)state;
	c.apply_ns = 100 * MS;
	c.quota_reset_ns = 100 * MS;
	c.quota_goals = true;
	d = damon_with(&c, 3);
	touch(w, 0, 500, TM_TIER_SMEM);   /* FMEM empty: far below 99.7% */
	for (int k = 0; k < 5; k++) {
		run(d, w, (uint64_t)k * 100 * MS + (k ? 5 * MS : 0),
		    (uint64_t)(k + 1) * 100 * MS - 5 * MS, 0, 100);
		run(d, w, (uint64_t)(k + 1) * 100 * MS,
		    (uint64_t)(k + 1) * 100 * MS, 0, 100);
		tm_damon_get_stats(d, &st);
		assert_true(st.sz_hot_esz >= prev);
		assert_true(st.sz_hot_esz <= (prev ? 2 * prev : 2));
		prev = st.sz_hot_esz;
	}
	assert_int_equal(st.sz_hot_applied, 0);   /* 32 bytes < a page */
	tm_damon_ops.free(d);
	free(w);
}

static bool same(const struct tm_damon_region *a,
		 const struct tm_damon_region *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    a[i].nr_accesses != b[i].nr_accesses ||
		    a[i].last_nr_accesses != b[i].last_nr_accesses ||
		    a[i].age != b[i].age)
			return false;
	return true;
}

/* Same seed, same regions; another seed splits elsewhere. */
static void test_deterministic(void **state)
{
	struct world *w[3] = { world_new(), world_new(), world_new() };
	void *d[3] = { damon_with(NULL, 11), damon_with(NULL, 11),
		       damon_with(NULL, 12) };
	struct tm_damon_region r[3][64];
	size_t n[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		touch(w[i], 0, 1000, TM_TIER_SMEM);
		run(d[i], w[i], 0, 300 * MS, 0, 100);
		n[i] = tm_damon_regions(d[i], r[i], 64);
	}
	assert_int_equal(n[0], n[1]);
	assert_true(same(r[0], r[1], n[0]));
	assert_true(n[0] != n[2] || !same(r[0], r[2], n[0]));
	for (int i = 0; i < 3; i++) {
		tm_damon_ops.free(d[i]);
		free(w[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_regions),
		cmocka_unit_test(test_sample_aggregate_split_merge),
		cmocka_unit_test(test_schemes_quota),
		cmocka_unit_test(test_quota_goal_ramp),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
