/*
 * test_vtmm.c - vTMM's tracking (models/ident/vtmm.c) on a hand-built page
 * world: the test sets accessed bits, hands PML logs and calls scan() as
 * the engine would, and states each page's queue from the rules.
 *
 * Three queues (0 hottest; queue q due every 2^q rounds), four pages, all
 * touched before the first round (accessed bit set), new in queue 2:
 *
 *   round (t)    due      events before it     queues after [p0 p1 p2 p3]
 *   0 (100ms)    0 1 2    PML {2}              1 1 1 1   (all accessed)
 *   1 (200ms)    0        A p0, PML {3}        1 1 1 0   (p3 written: up
 *                                                         though not due;
 *                                                         p0's bit waits)
 *   2 (300ms)    0 1      -                    0 2 2 1   (p0's bit seen)
 *   3 (400ms)    0        -                    1 2 2 1
 *   4 (500ms)    0 1 2    A p1                 2 1 2 2
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/vtmm.h"

#include "scan_world.h"

#define MS 1000000ull
#define NR 8

/* FMEM 2 pages, both in use, as each scan is told. */
static uint64_t scan_at(void *st, struct world *w, uint64_t now_ns)
{
	w->fmem_cap = w->fmem_pages = 2;
	return world_scan(&tm_vtmm_ops, st, w, now_ns);
}

static void pml(void *st, uint32_t idx, uint64_t t)
{
	struct tm_pml log = { .time_ns = t, .idx = &idx, .nr = 1 };

	tm_vtmm_ops.pml(st, &log);
}

static void expect_queues(const void *v, const unsigned *want, int round)
{
	for (uint32_t i = 0; i < 4; i++)
		if (tm_vtmm_queue(v, i) != want[i])
			fail_msg("round %d: page %u in queue %u, want %u",
				 round, i, tm_vtmm_queue(v, i), want[i]);
}

static void *world_new(struct world *w)
{
	struct tm_ident_config ic;
	struct tm_vtmm_config *c;
	struct tm_ident_params p = { .nr_fmem_pages = 2, .seed = 1,
				     .page_shift = 12 };

	assert_int_equal(tm_ident_config_default(&ic, "vtmm"), 0);
	c = tm_vtmm_cfg(&ic);
	c->nr_levels = 3;
	p.own = c;
	memset(w, 0, sizeof(*w));
	for (uint32_t i = 0; i < 4; i++) {
		w->page[i] = 10 + i;
		w->tier[i] = i < 2 ? TM_TIER_FMEM : TM_TIER_SMEM;
		w->bits[i] = 1;
	}
	w->nr = 4;
	return tm_vtmm_ops.new(&p);
}

static void test_queues(void **state)
{
	static const unsigned after[5][4] = {
		{ 1, 1, 1, 1 }, { 1, 1, 1, 0 }, { 0, 2, 2, 1 },
		{ 1, 2, 2, 1 }, { 2, 1, 2, 2 },
	};
	struct world w;
	struct tm_vtmm_stats st;
	uint64_t hot[NR];
	struct tm_rank r = { .hot = hot, .cap = NR };
	void *v;

	(void)state;
	v = world_new(&w);
	assert_int_equal(scan_at(v, &w, 0), 100 * MS);   /* the period */
	pml(v, 2, 50 * MS);
	scan_at(v, &w, 100 * MS);
	expect_queues(v, after[0], 0);
	w.bits[0] |= 1;
	pml(v, 3, 150 * MS);
	scan_at(v, &w, 200 * MS);
	expect_queues(v, after[1], 1);
	assert_int_equal(w.bits[0] & 1, 1);   /* not due: still set */
	scan_at(v, &w, 300 * MS);
	expect_queues(v, after[2], 2);
	/* bucket sort: queue 0 (p0), 1 (p3), 2 (p1 p2, first-touch order) */
	tm_vtmm_ops.rank(v, &r);
	assert_int_equal(r.nr_hot, 4);
	assert_int_equal(hot[0], 0);
	assert_int_equal(hot[1], 3);
	assert_int_equal(hot[2], 1);
	assert_int_equal(hot[3], 2);
	r.cap = 2;
	tm_vtmm_ops.rank(v, &r);
	assert_int_equal(r.nr_hot, 2);
	assert_int_equal(hot[1], 3);
	assert_int_equal(tm_vtmm_ops.estimate(v, 0, 10), 3);
	assert_int_equal(tm_vtmm_ops.estimate(v, 3, 13), 2);
	scan_at(v, &w, 400 * MS);
	expect_queues(v, after[3], 3);
	w.bits[1] |= 1;
	scan_at(v, &w, 500 * MS);
	expect_queues(v, after[4], 4);
	tm_vtmm_get_stats(v, &st);
	assert_int_equal(st.nr_rounds, 5);
	assert_int_equal(st.nr_ptes, 4 + 0 + 4 + 1 + 4);
	assert_int_equal(st.nr_pml, 2);
	assert_int_equal(st.nr_pml_drains, 2);
	assert_int_equal(st.nr_queue[1], 1);
	assert_int_equal(st.nr_queue[2], 3);
	/* 13 entries x 10 ns + 2 PML entries x 20 ns + 2 drains x 2 us */
	assert_int_equal(tm_ident_cost_ns(&tm_vtmm_ops, v),
			 130 + 40 + 4000);
	tm_vtmm_ops.free(v);
}

/* A PML entry for a page touched after the last round is taken in. */
static void test_pml_new_page(void **state)
{
	struct world w;
	void *v;

	(void)state;
	v = world_new(&w);
	scan_at(v, &w, 0);
	w.nr = 2;   /* pages 2 and 3 not yet touched at round 0 */
	scan_at(v, &w, 100 * MS);
	w.nr = 4;
	w.bits[2] = w.bits[3] = 0;
	pml(v, 3, 150 * MS);
	scan_at(v, &w, 200 * MS);   /* round 1: only queue 0 due */
	assert_int_equal(tm_vtmm_queue(v, 3), 1);   /* written: up from 2 */
	assert_int_equal(tm_vtmm_queue(v, 2), 2);
	tm_vtmm_ops.free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queues),
		cmocka_unit_test(test_pml_new_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
