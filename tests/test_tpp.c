/*
 * test_tpp.c - Linux NUMA-balancing tiering and TPP's rule
 * (models/ident/tpp.c) on hand-built page worlds: the test sets the
 * accessed bits and calls fault() as the engine would from a full trace.
 *
 * Scan windows (scan_size 4 pages, delay 1 s, period 1 s):
 *
 *   page    0 1 2 3 4 | 5 6 7 8 9
 *   tier    F F F F F | S S S S S
 *   t=1s    [0 1 2 3]                 all FMEM: nothing unmapped
 *   t=2s            [4 5 6 7]         5 6 7 unmapped, scan time 2 s
 *   t=3s                    [8 9]     8 9; end of the space: back to 0
 *   t=4s    [0 1 2 3]
 *   t=5s            [4 5 6 7]         5 6 7 still unmapped: keep 2 s
 *
 * Promotion (upstream rule, FMEM without room): latency = fault - scan
 * time; page 5 faults at 2.5 s (0.5 s < 1 s: promote), page 6 at 3.2 s
 * (1.2 s: no); page 7 faults with room in FMEM (free > max(1 GiB, FMEM /
 * 16)): promote whatever its latency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/tpp.h"

#include "scan_world.h"

#define MS 1000000ull
#define S 1000000000ull
#define NR 64

static void touch(struct world *w, uint64_t page, uint8_t tier)
{
	w->page[w->nr] = page;
	w->tier[w->nr] = tier;
	w->bits[w->nr++] = 1;
}

static uint64_t scan_at(void *st, struct world *w, uint64_t now_ns)
{
	return world_scan(&tm_tpp_ops, st, w, now_ns);
}

static void fault(void *st, struct world *w, uint32_t idx, uint64_t t,
		  uint64_t free_pages)
{
	world_fault(&tm_tpp_ops, st, w, idx, t, free_pages);
}

static struct tm_tpp_config defaults(void)
{
	struct tm_ident_config ic;

	assert_int_equal(tm_ident_config_default(&ic, "tpp"), 0);
	return *tm_tpp_cfg(&ic);
}

static void *tpp_with(const struct tm_tpp_config *c)
{
	struct tm_ident_params p = { .own = c, .nr_fmem_pages = 1000,
				     .seed = 1, .page_shift = 12 };

	return tm_tpp_ops.new(&p);
}

/* rank() into hot[] / cold[] with FMEM capacity cap and used pages. */
static void rank(void *st, uint64_t cap, uint64_t used, uint64_t *hot,
		 uint64_t *cold, struct tm_rank *r)
{
	*r = (struct tm_rank){ .hot = hot, .cap = NR, .cold = cold,
			       .nr_fmem_cap_pages = cap,
			       .nr_fmem_pages = used };
	tm_tpp_ops.rank(st, r);
}

static void test_windows(void **state)
{
	static const uint16_t after[5][10] = {
		/* unmapped bit of each page after the scan at 1..5 s */
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, 1, 1, 1, 0, 0 },
		{ 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 },
		{ 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 },
		{ 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 },
	};
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 1000 };
	struct tm_tpp_stats st;
	void *t;

	(void)state;
	c.sz_scan = 4 * 4096;
	t = tpp_with(&c);
	for (uint32_t p = 10; p-- > 0;)   /* first touch in reverse */
		touch(&w, p, p < 5 ? TM_TIER_FMEM : TM_TIER_SMEM);
	assert_int_equal(scan_at(t, &w, 0), 1 * S);   /* scan_delay */
	for (int k = 1; k <= 5; k++) {
		assert_int_equal(scan_at(t, &w, (uint64_t)k * S),
				 (uint64_t)(k + 1) * S);
		for (uint32_t i = 0; i < w.nr; i++)
			if (((w.bits[i] >> 8) & 1) != after[k - 1][w.page[i]])
				fail_msg("after %d s: page %llu", k,
					 (unsigned long long)w.page[i]);
	}
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.nr_scans, 5);
	assert_int_equal(st.nr_scanned, 4 + 4 + 2 + 4 + 4);
	assert_int_equal(st.nr_unmapped, 5);
	/* 18 pages scanned x 10 ns, no fault */
	assert_int_equal(tm_ident_cost_ns(&tm_tpp_ops, t), 180);
	tm_tpp_ops.free(t);
}

/* Pages touched between scans join the address order (merged in):
 *
 *   t=1s   touched 10 30        window of 3: [10 30], then back to 0
 *   t=2s   touched 20 5 40 too  window: [5 10 20]: 5 and 20 unmapped
 *   t=3s                        window: [30 40]: 40 unmapped
 */
static void test_late_pages(void **state)
{
	static const uint64_t first[] = { 10, 30 }, later[] = { 20, 5, 40 };
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 1000 };
	struct tm_tpp_stats st;
	void *t;

	(void)state;
	c.sz_scan = 3 * 4096;
	t = tpp_with(&c);
	for (int i = 0; i < 2; i++)
		touch(&w, first[i], TM_TIER_SMEM);
	scan_at(t, &w, 0);
	scan_at(t, &w, 1 * S);
	for (int i = 0; i < 3; i++)
		touch(&w, later[i], TM_TIER_SMEM);
	scan_at(t, &w, 2 * S);
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.nr_unmapped, 2 + 2);
	assert_int_equal(w.bits[2] >> 8, 1);   /* page 20 */
	assert_int_equal(w.bits[4] >> 8, 0);   /* page 40 */
	scan_at(t, &w, 3 * S);
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.nr_unmapped, 2 + 2 + 1);
	assert_int_equal(st.nr_scanned, 2 + 3 + 2);
	tm_tpp_ops.free(t);
}

/* The picture's promotion lines. */
static void test_latency_and_room(void **state)
{
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 1000 };
	uint64_t hot[NR], cold[NR];
	struct tm_tpp_stats st;
	struct tm_rank r;
	void *t;

	(void)state;
	c.sz_scan = 4 * 4096;
	t = tpp_with(&c);
	for (uint32_t p = 0; p < 10; p++)
		touch(&w, p, p < 5 ? TM_TIER_FMEM : TM_TIER_SMEM);
	scan_at(t, &w, 0);
	scan_at(t, &w, 1 * S);
	scan_at(t, &w, 2 * S);
	fault(t, &w, 5, 2500 * MS, 0);
	fault(t, &w, 6, 3200 * MS, 0);
	/* 1000 free pages are below 1 GiB: no room, latency 1.5 s decides */
	fault(t, &w, 7, 3500 * MS, 1000);
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.nr_promote, 1);    /* page 5 only */
	fault(t, &w, 7, 9000 * MS, 263000);   /* > 1 GiB of 4 KiB pages */
	rank(t, 5, 5, hot, cold, &r);
	assert_int_equal(r.hot[0], 5);
	assert_int_equal(r.hot[1], 7);
	assert_int_equal(r.nr_cold, 3);         /* 1 + the 2 promotions */
	assert_int_equal(r.nr_hot, 2 + 2);      /* then the other FMEM */
	for (size_t i = 2; i < r.nr_hot; i++)
		assert_int_equal(w.tier[r.hot[i]], TM_TIER_FMEM);
	tm_tpp_ops.free(t);
}

/* Rate limit 2 pages/s, threshold period 2 s (ref = 4 candidates):
 * ten faults at 1.1..1.9 s, all within the latency threshold, are ten
 * candidates, of which the first two promote and eight are rate limited;
 * at the next fault, 2.9 s, the 2 s period is over with 10 > 4.4
 * candidates: the threshold drops one step, 1000 - 2000 / 16 = 875 ms, so
 * that fault's latency of 900 ms (page 2, rate limited before and
 * unmapped again at 2 s) no longer promotes, where the default would have
 * (a new rate-limit second). */
static void test_rate_limit_and_threshold(void **state)
{
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 1000 };
	struct tm_tpp_stats st;
	void *t;

	(void)state;
	c.sz_scan = 64 * 4096;
	c.promote_rate_limit = 2 * 4096;
	c.scan_period_max_ns = 2 * S;
	t = tpp_with(&c);
	for (uint32_t p = 0; p < 20; p++)
		touch(&w, p, TM_TIER_SMEM);
	scan_at(t, &w, 0);
	scan_at(t, &w, 1 * S);               /* all 20 unmapped at 1 s */
	for (uint32_t i = 0; i < 10; i++)
		fault(t, &w, i, 1100 * MS + i * 80 * MS, 0);
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.nr_candidates, 10);
	assert_int_equal(st.nr_promote, 2);
	assert_int_equal(st.nr_rate_limited, 8);
	assert_int_equal(st.threshold_ns, 0);
	scan_at(t, &w, 2 * S);               /* 0..9 unmapped again */
	fault(t, &w, 2, 2900 * MS, 0);
	tm_tpp_get_stats(t, &st);
	assert_int_equal(st.threshold_ns, 875 * MS);
	assert_int_equal(st.nr_candidates, 10);
	assert_int_equal(st.nr_promote, 2);
	/* 20 + 20 pages scanned x 10 ns, 11 faults x 1 us */
	assert_int_equal(tm_ident_cost_ns(&tm_tpp_ops, t), 400 + 11000);
	tm_tpp_ops.free(t);
}

/* TPP's rule: the first fault activates, the second promotes; a page
 * that left SMEM starts inactive again. */
static void test_active_rule(void **state)
{
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 1000 };
	uint64_t hot[NR], cold[NR];
	struct tm_rank r;
	void *t;

	(void)state;
	c.rule = TM_TPP_ACTIVE;
	t = tpp_with(&c);
	touch(&w, 0, TM_TIER_SMEM);
	scan_at(t, &w, 0);
	scan_at(t, &w, 1 * S);
	fault(t, &w, 0, 1100 * MS, 263000);   /* room does not matter */
	rank(t, 10, 10, hot, cold, &r);
	assert_int_equal(r.nr_hot, 0);
	fault(t, &w, 0, 2100 * MS, 0);
	rank(t, 10, 10, hot, cold, &r);
	assert_int_equal(r.nr_hot, 1);
	assert_int_equal(r.hot[0], 0);
	tm_tpp_ops.moved(t, 0, 0, TM_TIER_FMEM);
	tm_tpp_ops.moved(t, 0, 0, TM_TIER_SMEM);
	w.tier[0] = TM_TIER_SMEM;
	fault(t, &w, 0, 3100 * MS, 0);
	rank(t, 10, 10, hot, cold, &r);
	assert_int_equal(r.nr_hot, 0);
	tm_tpp_ops.free(t);
}

/* kswapd: ten FMEM pages, full, demote_wmark 20% -> 2 go cold, the least
 * recently referenced (pages referenced at 1 s: 3 and 7; at 2 s: the
 * rest); with one promotion queued, 3 go (the watermark after it). */
static void test_demotion(void **state)
{
	struct tm_tpp_config c = defaults();
	struct world w = { .fmem_cap = 10, .fault_cap = 1000 };
	uint64_t hot[NR], cold[NR];
	struct tm_rank r;
	void *t;

	(void)state;
	c.demote_wmark = 0.2;
	t = tpp_with(&c);
	for (uint32_t p = 0; p < 10; p++)
		touch(&w, p, TM_TIER_FMEM);
	touch(&w, 10, TM_TIER_SMEM);
	scan_at(t, &w, 0);
	scan_at(t, &w, 1 * S);   /* every page referenced (first touch) */
	for (uint32_t p = 0; p < 10; p++)
		if (p != 3 && p != 7)
			w.bits[p] |= 1;
	w.bits[10] |= 1;
	scan_at(t, &w, 2 * S);
	rank(t, 10, 10, hot, cold, &r);
	assert_int_equal(r.nr_cold, 2);
	assert_int_equal(cold[0], 3);
	assert_int_equal(cold[1], 7);
	assert_int_equal(r.nr_hot, 8);   /* the rest of FMEM */
	fault(t, &w, 10, 2100 * MS, 263000);
	rank(t, 10, 10, hot, cold, &r);
	assert_int_equal(r.nr_cold, 3);
	assert_int_equal(r.hot[0], 10);
	tm_tpp_ops.free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_late_pages),
		cmocka_unit_test(test_latency_and_room),
		cmocka_unit_test(test_rate_limit_and_threshold),
		cmocka_unit_test(test_active_rule),
		cmocka_unit_test(test_demotion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
