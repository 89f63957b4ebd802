/*
 * test_autotiering.c - AutoTiering (models/ident/autotiering.c) on a
 * hand-built page world: the test calls scan() and fault() as the engine
 * would from a full trace, and states each history, LAP list and decision
 * from the rules.
 *
 * Six pages, one window covers them all (scan_size 8 pages), scans at 1, 2
 * and 3 s; FMEM capacity 3, full:
 *
 *   page     0    1    2  |  3    4    5
 *   tier     F    F    F  |  S    S    S
 *   faults   1.5s 2.5s    |  1.5s 2.5s       (between scans)
 *   t=1s     ff   ff   ff |  ff   ff   ff    first visit: accessed (not
 *                                            yet PROT_NONE); LAP8 = [0 1 2]
 *   t=2s     ff   fe   fe |  ff   fe   fe    LAP8 = [0], LAP7 = [2 1]
 *   t=3s     fe   fd   fc |  fe   fd   fc    LAP7 = [0 1], LAP6 = [2]
 *
 * (a page still PROT_NONE at its visit shifts in 0 and goes to its list's
 * head; one that faulted shifts in 1 and goes to the tail.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/autotiering.h"

#include "scan_world.h"

#define MS 1000000ull
#define S 1000000000ull
#define NR 16

/* FMEM 3 pages, all in use, as each scan and fault is told. */
static uint64_t scan_at(void *st, struct world *w, uint64_t now_ns)
{
	w->fmem_cap = w->fmem_pages = 3;
	return world_scan(&tm_autotiering_ops, st, w, now_ns);
}

static void fault(void *st, struct world *w, uint32_t idx, uint64_t t,
		  uint64_t free_pages)
{
	w->fmem_cap = 3;
	world_fault(&tm_autotiering_ops, st, w, idx, t, free_pages);
}

static struct tm_at_config defaults(void)
{
	struct tm_ident_config ic;

	assert_int_equal(tm_ident_config_default(&ic, "autotiering"), 0);
	return *tm_at_cfg(&ic);
}

/* The world above after its scan at 3 s. */
static void *three_scans(struct world *w, const struct tm_at_config *c)
{
	struct tm_ident_params p = { .own = c, .nr_fmem_pages = 3,
				     .seed = 1, .page_shift = 12 };
	void *a = tm_autotiering_ops.new(&p);

	memset(w, 0, sizeof(*w));
	for (uint32_t i = 0; i < 6; i++) {
		w->page[i] = 100 + i;
		w->tier[i] = i < 3 ? TM_TIER_FMEM : TM_TIER_SMEM;
		w->bits[i] = 1;
	}
	w->nr = 6;
	assert_int_equal(scan_at(a, w, 0), 1 * S);   /* scan_delay */
	assert_int_equal(scan_at(a, w, 1 * S), 2 * S);
	/* with FMEM full and every level 8, a fault promotes nothing */
	fault(a, w, 0, 1500 * MS, 0);
	fault(a, w, 3, 1500 * MS, 0);
	assert_int_equal(scan_at(a, w, 2 * S), 3 * S);
	fault(a, w, 1, 2500 * MS, 0);
	fault(a, w, 4, 2500 * MS, 0);
	assert_int_equal(scan_at(a, w, 3 * S), 4 * S);
	return a;
}

static void expect_list(const void *a, unsigned lv, const uint32_t *want,
			size_t n)
{
	uint32_t got[NR];
	size_t nr = tm_at_lap_list(a, lv, got, NR);

	assert_int_equal(nr, n);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("LAP%u[%zu] = %u, want %u", lv, i, got[i],
				 want[i]);
}

static void test_history_and_lap(void **state)
{
	static const uint8_t hist[6] = { 0xfe, 0xfd, 0xfc, 0xfe, 0xfd, 0xfc };
	static const uint32_t lap7[] = { 0, 1 }, lap6[] = { 2 };
	struct tm_at_config c = defaults();
	struct tm_at_stats st;
	struct world w;
	void *a;

	(void)state;
	c.sz_scan = 8 * 4096;
	a = three_scans(&w, &c);
	for (uint32_t i = 0; i < 6; i++)
		if (tm_at_history(a, i) != hist[i])
			fail_msg("page %u: history %02x, want %02x", i,
				 tm_at_history(a, i), hist[i]);
	expect_list(a, 8, NULL, 0);
	expect_list(a, 7, lap7, 2);
	expect_list(a, 6, lap6, 1);
	/* every page is PROT_NONE again */
	for (uint32_t i = 0; i < 6; i++)
		assert_true(w.bits[i] & (1u << 8));
	tm_at_get_stats(a, &st);
	assert_int_equal(st.nr_scans, 3);
	assert_int_equal(st.nr_scanned, 18);
	assert_int_equal(st.nr_faults, 4);
	assert_int_equal(st.nr_refused, 2);   /* pages 3 and 4: no victim
					       * below level 8 */
	assert_int_equal(st.nr_lap[7], 2);
	assert_int_equal(st.nr_lap[6], 1);
	/* 18 visits x 10 ns + 4 faults x 1 us (the defaults) */
	assert_int_equal(tm_ident_cost_ns(&tm_autotiering_ops, a),
			 180 + 4000);
	tm_autotiering_ops.free(a);
}

/* After 3 s, FMEM full: page 4 (level 7) faults: the least accessed FMEM
 * page is 2 (LAP6 head) and 6 < 7: OPM exchanges them.  Page 5 (level 6)
 * faults: the least accessed is now 0 (LAP7 head), 7 >= 6: refused.  Page
 * 3 (level 7) faults: 0 is level 7: refused. */
static void test_opm(void **state)
{
	struct tm_at_config c = defaults();
	uint64_t hot[NR], cold[NR];
	struct tm_rank r = { .hot = hot, .cap = NR, .cold = cold,
			     .nr_fmem_cap_pages = 3, .nr_fmem_pages = 3 };
	struct tm_at_stats st;
	struct world w;
	void *a;

	(void)state;
	c.sz_scan = 8 * 4096;
	a = three_scans(&w, &c);
	fault(a, &w, 4, 3100 * MS, 0);
	fault(a, &w, 5, 3200 * MS, 0);
	fault(a, &w, 3, 3300 * MS, 0);
	tm_at_get_stats(a, &st);
	assert_int_equal(st.nr_opm, 1);
	assert_int_equal(st.nr_cpm, 0);
	assert_int_equal(st.nr_refused, 2 + 2);
	tm_autotiering_ops.rank(a, &r);
	assert_int_equal(r.nr_cold, 1);
	assert_int_equal(cold[0], 2);
	/* the promotion, then FMEM by level: 7 from the tail (1, 0) */
	assert_int_equal(r.nr_hot, 3);
	assert_int_equal(hot[0], 4);
	assert_int_equal(hot[1], 1);
	assert_int_equal(hot[2], 0);
	/* the engine moves them */
	tm_autotiering_ops.moved(a, 2, 102, TM_TIER_SMEM);
	tm_autotiering_ops.moved(a, 4, 104, TM_TIER_FMEM);
	w.tier[2] = TM_TIER_SMEM;
	w.tier[4] = TM_TIER_FMEM;
	/* 4 joins LAP7 at its next visit, as the latest (it faulted) */
	scan_at(a, &w, 4 * S);
	{
		static const uint32_t lap6[] = { 1, 0 }, lap7[] = { 4 };

		expect_list(a, 6, lap6, 2);
		expect_list(a, 7, lap7, 1);
	}
	assert_int_equal(tm_at_history(a, 4), 0xfb);
	assert_int_equal(tm_at_history(a, 2), 0xf8);   /* keeps its own */
	tm_autotiering_ops.free(a);
}

/* CPM: a fault promotes while FMEM has room, the room left after the
 * promotions already queued; without room, CPM refuses where OPM would
 * exchange. */
static void test_cpm(void **state)
{
	struct tm_at_config c = defaults();
	uint64_t hot[NR], cold[NR];
	struct tm_rank r = { .hot = hot, .cap = NR, .cold = cold,
			     .nr_fmem_cap_pages = 3, .nr_fmem_pages = 2 };
	struct tm_at_stats st;
	struct world w;
	void *a;

	(void)state;
	c.sz_scan = 8 * 4096;
	c.mode = TM_AT_CPM;
	a = three_scans(&w, &c);
	fault(a, &w, 5, 3100 * MS, 1);   /* room: promote */
	fault(a, &w, 4, 3200 * MS, 1);   /* 1 free, 1 queued: no room */
	tm_at_get_stats(a, &st);
	assert_int_equal(st.nr_cpm, 1);
	assert_int_equal(st.nr_opm, 0);
	tm_autotiering_ops.rank(a, &r);
	assert_int_equal(hot[0], 5);
	assert_int_equal(r.nr_cold, 0);
	tm_autotiering_ops.free(a);
}

/* Background demotion keeps demote_wmark free: 34% of 3 pages = 2 pages,
 * the least accessed first (LAP6 head 2, then LAP7 head 0). */
static void test_background(void **state)
{
	struct tm_at_config c = defaults();
	uint64_t hot[NR], cold[NR];
	struct tm_rank r = { .hot = hot, .cap = NR, .cold = cold,
			     .nr_fmem_cap_pages = 3, .nr_fmem_pages = 3 };
	struct world w;
	void *a;

	(void)state;
	c.sz_scan = 8 * 4096;
	c.background_demotion = true;
	c.demote_wmark = 0.34;
	a = three_scans(&w, &c);
	tm_autotiering_ops.rank(a, &r);
	assert_int_equal(r.nr_cold, 2);
	assert_int_equal(cold[0], 2);
	assert_int_equal(cold[1], 0);
	assert_int_equal(r.nr_hot, 1);
	assert_int_equal(hot[0], 1);
	/* a shadow (no cold list) demotes nothing */
	r = (struct tm_rank){ .hot = hot, .cap = NR,
			      .nr_fmem_cap_pages = 3, .nr_fmem_pages = 3 };
	tm_autotiering_ops.rank(a, &r);
	assert_int_equal(r.nr_cold, 0);
	assert_int_equal(r.nr_hot, 3);
	tm_autotiering_ops.free(a);
}

/* Windows smaller than the space: 2 pages a scan, from the cursor. */
static void test_windows(void **state)
{
	struct tm_at_config c = defaults();
	struct tm_ident_params p = { .own = &c, .nr_fmem_pages = 3,
				     .seed = 1, .page_shift = 12 };
	struct world w = { .nr = 0 };
	void *a;

	(void)state;
	c.sz_scan = 2 * 4096;
	a = tm_autotiering_ops.new(&p);
	for (uint32_t i = 0; i < 5; i++) {   /* first touch in reverse */
		w.page[i] = 50 - i;
		w.tier[i] = TM_TIER_SMEM;
		w.bits[i] = 1;
	}
	w.nr = 5;
	scan_at(a, &w, 0);
	scan_at(a, &w, 1 * S);   /* pages 46 47: idx 4 3 */
	assert_int_equal(w.bits[4] >> 8, 1);
	assert_int_equal(w.bits[3] >> 8, 1);
	assert_int_equal(w.bits[2] >> 8, 0);
	scan_at(a, &w, 2 * S);   /* 48 49 */
	scan_at(a, &w, 3 * S);   /* 50, then back to the start */
	scan_at(a, &w, 4 * S);   /* 46 47 again: no fault, shift in 0 */
	assert_int_equal(tm_at_history(a, 4), 0xfe);
	assert_int_equal(tm_at_history(a, 0), 0xff);
	tm_autotiering_ops.free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_and_lap),
		cmocka_unit_test(test_opm),
		cmocka_unit_test(test_cpm),
		cmocka_unit_test(test_background),
		cmocka_unit_test(test_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
