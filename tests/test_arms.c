/*
 * test_arms.c - the arms identifier: its schema, EWMAs after a known
 * sequence of intervals, lazy decay against step-by-step decay, the two
 * biases, the Page-Hinkley switch on an SMEM surge, the cost/benefit pair
 * rule, 2 MiB regions and memory.  Expected values follow the rules in
 * arms.c's header (pebs.h/pebs.c of the authors' code), worked by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "models/ident/arms.h"
#include "models/ident/identifier.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define SCALE 1000000u     /* estimate() in millionths of a sample */

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("arms");

	assert_non_null(o);
	return o;
}

/* Defaults, then the caller's changes through cfg(). */
static struct tm_arms_config *defaults(struct tm_ident_config *c)
{
	assert_int_equal(tm_ident_config_default(c, "arms"), 0);
	return tm_arms_cfg(c);
}

static void *make(struct tm_ident_config *c, uint32_t page_shift,
		  uint64_t nr_fmem_pages)
{
	struct tm_ident_params p = { .cfg = c, .own = c->own.bytes,
				     .nr_fmem_pages = nr_fmem_pages, .seed = 1,
				     .page_shift = page_shift };

	return ops()->new(&p);
}

/* n samples of VM page `page` (dense index idx) at time t. */
static void feed(void *st, uint32_t page_shift, uint64_t page, uint32_t idx,
		 uint64_t t_ns, enum tm_tier tier, unsigned n)
{
	struct tm_record rec = { .time_ns = t_ns, .addr = page << page_shift };
	struct tm_sample s = { .rec = &rec, .idx = idx, .weight = 1,
			       .tier = (uint8_t)tier };

	for (unsigned i = 0; i < n; i++)
		ops()->update(st, s);
}

static void assert_near(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("got %.6f, want %.6f (+-%g)", got, want, tol);
}

/* The estimate of page 1 (dense index 0) in samples per interval. */
static double est1(void *st)
{
	return (double)ops()->estimate(st, 0, 1) / SCALE;
}

static void test_defaults_and_bounds(void **state)
{
	struct tm_ident_config c;
	struct tm_arms_config *a = defaults(&c);
	const struct tm_cfg_key *k;
	struct tm_cfg_val v;
	struct tm_error e;

	(void)state;
	assert_int_equal(a->page_size, TM_ARMS_PAGE_2M);
	assert_int_equal(a->interval_ns, 500 * MS);
	assert_int_equal(a->short_window_ns, SEC);
	assert_int_equal(a->long_window_ns, 10 * SEC);
	assert_true(a->alpha_short == 0 && a->alpha_long == 0);
	assert_int_equal(a->bias, TM_ARMS_AUTO);
	assert_true(a->history_short == 0.4 && a->recency_short == 0.731);
	assert_int_equal(a->detector_ns, SEC);
	assert_true(a->ph_mean_alpha == 0.3 && a->ph_std_alpha == 0.1);
	assert_true(a->ph_drift == 0.1 && a->ph_threshold == 3.0);
	assert_int_equal(a->recency_periods, 20);
	assert_true(a->cost_benefit == 1.5);
	assert_int_equal(a->latency_diff_ns, 100);
	assert_int_equal(a->sample_period, 10007);
	assert_int_equal(a->migration_threads, 4);
	assert_true(ops()->kind.flags & TM_IDENT_PAIRS);
	assert_true(ops()->kind.flags & TM_IDENT_REGIONS);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "interval");
	assert_non_null(k);
	assert_int_equal(tm_cfg_parse(k, "100ms", &v, &e), 0);
	assert_int_equal(tm_cfg_parse(k, "100us", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "alpha_short");
	assert_int_equal(tm_cfg_parse(k, "1.5", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "bias");
	assert_int_equal(tm_cfg_parse(k, "recency", &v, &e), 0);
	assert_int_equal(tm_cfg_parse(k, "sometimes", &v, &e), -1);
}

/*
 * One page, VM pages of 2 MiB (one ARMS page each), default alphas:
 * a_s = 2/(1000/500 + 1) = 2/3, a_l = 2/(10000/500 + 1) = 2/21.
 * 6 samples in interval 0, 3 in interval 1, none in interval 2:
 *   after 0: w_s = 2/3*6 = 4,                 w_l = 2/21*6 = 0.571429
 *   after 1: w_s = 4/3 + 2/3*3 = 3.333333,    w_l = 19/21*0.571429 + 6/21
 *                                                 = 0.802721
 *   after 2: w_s = 3.333333/3 = 1.111111,     w_l = 19/21*0.802721
 *                                                 = 0.726271
 * history_short = 1 reads w_s alone, 0 reads w_l alone.
 */
static void *ewma_page(struct tm_ident_config *c, double short_weight)
{
	struct tm_arms_config *a = defaults(c);
	void *st;

	a->bias = TM_ARMS_HISTORY;
	a->history_short = short_weight;
	a->estimate_scale = SCALE;
	st = make(c, 21, 16);
	feed(st, 21, 1, 0, 100 * MS, TM_TIER_FMEM, 6);   /* interval 0 */
	return st;
}

static void test_ewma_known_sequence(void **state)
{
	struct tm_ident_config cs, cl;
	void *s = ewma_page(&cs, 1.0), *l = ewma_page(&cl, 0.0);

	(void)state;
	/* read as if interval 0 had just ended */
	assert_near(est1(s), 4.0, 2e-6);
	assert_near(est1(l), 0.571429, 2e-6);
	feed(s, 21, 1, 0, 600 * MS, TM_TIER_FMEM, 3);    /* interval 1 */
	feed(l, 21, 1, 0, 600 * MS, TM_TIER_FMEM, 3);
	assert_near(est1(s), 3.333333, 2e-6);
	assert_near(est1(l), 0.802721, 2e-6);
	feed(s, 21, 2, 1, 1200 * MS, TM_TIER_FMEM, 1);   /* interval 2 */
	feed(l, 21, 2, 1, 1200 * MS, TM_TIER_FMEM, 1);
	assert_near(est1(s), 1.111111, 2e-6);
	assert_near(est1(l), 0.726271, 2e-6);
	assert_int_equal(ops()->estimate(s, 7, 99), 0);   /* unknown page */
	ops()->free(s);
	ops()->free(l);
}

/*
 * Lazy decay: page 1 is sampled in intervals 0 (5), 2 (4) and 9 (7) only.
 * In `busy`, page 2 is sampled in every interval 0..12, so the clock moves
 * on while page 1 sleeps; in `quiet`, page 2 appears only at interval 12.
 * Both must equal the step-by-step recurrence w := (1-a) w + a x over
 * intervals 0..12 (x = 0 where page 1 had no sample).
 */
static void *one_ewma(struct tm_ident_config *c, int w)
{
	struct tm_arms_config *a = defaults(c);

	a->bias = TM_ARMS_HISTORY;
	a->history_short = w == 0 ? 1.0 : 0.0;   /* score = that EWMA */
	a->estimate_scale = SCALE;
	return make(c, 21, 16);
}

static void test_lazy_decay_equals_stepwise(void **state)
{
	static const unsigned x[13] = { 5, 0, 4, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0 };
	const double alpha[2] = { 2.0 / 3.0, 2.0 / 21.0 };

	(void)state;
	for (int w = 0; w < 2; w++) {
		struct tm_ident_config cb, cq;
		void *busy, *quiet;
		double ref = 0;

		busy = one_ewma(&cb, w);
		quiet = one_ewma(&cq, w);
		for (unsigned k = 0; k < 13; k++) {
			uint64_t t = k * 500 * MS + 10 * MS;

			feed(busy, 21, 1, 0, t, TM_TIER_FMEM, x[k]);
			feed(quiet, 21, 1, 0, t, TM_TIER_FMEM, x[k]);
			feed(busy, 21, 2, 1, t + MS, TM_TIER_FMEM, 1);
			ref = (1 - alpha[w]) * ref + alpha[w] * x[k];
			assert_near(est1(busy), ref, 3e-6);
		}
		feed(quiet, 21, 2, 1, 12 * 500 * MS + 20 * MS, TM_TIER_FMEM, 1);
		assert_near(est1(quiet), ref, 3e-6);
		assert_true(ref > 0.1);
		ops()->free(busy);
		ops()->free(quiet);
	}
}

/*
 * Both biases on the page of test_ewma_known_sequence after interval 2
 * (w_s = 1.111111, w_l = 0.726271):
 *   history: 0.4 w_s + 0.6 w_l     = 0.444444 + 0.435763 = 0.880207
 *   recency: 0.731 w_s + 0.269 w_l = 0.812222 + 0.195367 = 1.007589
 */
static void test_score_biases(void **state)
{
	const enum tm_arms_bias bias[2] = { TM_ARMS_HISTORY, TM_ARMS_RECENCY };
	const double want[2] = { 0.880207, 1.007589 };

	(void)state;
	for (int b = 0; b < 2; b++) {
		struct tm_ident_config c;
		struct tm_arms_config *a = defaults(&c);
		void *st;

		a->bias = bias[b];
		a->estimate_scale = SCALE;
		st = make(&c, 21, 16);
		feed(st, 21, 1, 0, 100 * MS, TM_TIER_SMEM, 6);
		feed(st, 21, 1, 0, 600 * MS, TM_TIER_SMEM, 3);
		feed(st, 21, 2, 1, 1200 * MS, TM_TIER_SMEM, 1);
		assert_near(est1(st), want[b], 3e-6);
		assert_int_equal(tm_arms_recency(st), b == 1);
		ops()->free(st);
	}
}

/*
 * Page-Hinkley on SMEM samples per 1 s period.  Periods 0..9: 100 FMEM
 * samples each and no SMEM one: x = 0, mean 0, std = sqrt(max(0, 1e-12))
 * = 1e-6, cusum = max(0, 0 - 1e-7) = 0: no fire (FMEM samples are not
 * slow-tier traffic).  Period 10: x = 100 SMEM samples:
 *   mean = 0.3*100 = 30, std = sqrt(0.9e-12 + 0.1*70^2) = 22.1359,
 *   cusum = 70 - 0.1*22.1359 = 67.786 > 3.0*22.1359 = 66.408: fire, and
 *   x > recency_min_smem (0): recency.
 * Periods 11..: x = 0, cusum stays 0 and each is counted: after period
 * 10 + m, m periods have passed; at m = 20 (period 30) back to history.
 * A period is closed by the first sample of a later one.  With
 * recency_min_smem = 100 the same surge is not enough (x > 100 needed).
 */
static void run_surge(void *st, bool *rec_at)
{
	for (unsigned p = 0; p < 40; p++) {
		uint64_t t = p * SEC + 100 * MS;

		feed(st, 21, 1, 0, t, TM_TIER_FMEM, 100);  /* closes p - 1 */
		rec_at[p] = tm_arms_recency(st);
		if (p == 10)
			feed(st, 21, 2, 1, t + MS, TM_TIER_SMEM, 100);
	}
}

static void test_page_hinkley_surge(void **state)
{
	struct tm_ident_config c, cm;
	bool rec[40], recm[40];
	void *st, *stm;

	(void)state;
	defaults(&c);
	defaults(&cm)->recency_min_smem = 100;
	st = make(&c, 21, 16);
	stm = make(&cm, 21, 16);
	run_surge(st, rec);
	run_surge(stm, recm);
	for (unsigned p = 0; p < 40; p++) {
		/* rec[p]: state after period p - 1 closed */
		bool want = p >= 11 && p <= 30;

		if (rec[p] != want)
			fail_msg("period %u closed: recency %d, want %d", p - 1,
				 rec[p], want);
		assert_false(recm[p]);
	}
	ops()->free(st);
	ops()->free(stm);
}

/*
 * The pair rule.  4 KiB ARMS pages on a 4 KiB VM, FMEM holds C = 2 pages;
 * alpha 1 for both EWMAs, so each is the last interval's count.  Per
 * interval: page 10 (FMEM) 100 samples, page 11 (SMEM) `hot`, page 12
 * (FMEM) 5, page 13 (FMEM) 1.  Rank: 10, 11, 12, 13; top C = {10, 11}; the
 * demotion candidates rank after position C: page 13 only.
 * rank() after interval 0: page 11 has hot_age 1, so no pair (can_promote
 * needs hot_age > 1).  After interval 1: hot_age 2 and the score held:
 *   benefit = (hot - 1) x 2 x sample_period 1000 x 0.1 us = 200 (hot - 1) us
 *   cost    = cost_benefit x pair_cost 1000 us
 * hot = 9: 1600 >= 1500, pair 11 <-> 13; hot = 8: 1400 < 1500, none; with
 * cost_benefit 1.0, hot = 8 pairs (1400 >= 1000).  hot = 30 would pay
 * already after interval 0 (29 x 1 x 100 = 2900 >= 1500) but still waits
 * for its second time in the top C.  With page 13 in SMEM, no FMEM page
 * ranks below position C.
 */
/* Pairs that move pages.  When none pays, rank() hands out one pair
 * promote == demote, which the engine skips as stale: with no pair at all
 * it would plan its own exchange instead. */
static size_t real_pairs(const struct tm_rank *r)
{
	if (r->nr_pairs == 1 && r->promote[0] == r->demote[0])
		return 0;
	for (size_t i = 0; i < r->nr_pairs; i++)
		assert_true(r->promote[i] != r->demote[i]);
	return r->nr_pairs;
}

static size_t pairs_for(unsigned hot, double cb, enum tm_tier cold_tier,
			uint64_t *pro, uint64_t *dem)
{
	struct tm_ident_config c;
	struct tm_arms_config *a = defaults(&c);
	uint64_t h[8];
	struct tm_region reg[8];
	struct tm_rank r = { .hot = h, .cap = 8, .regions = reg,
			     .cap_regions = 8, .promote = pro, .demote = dem };
	static const uint64_t want[4] = { 10, 11, 12, 13 };
	void *st;

	a->page_size = TM_ARMS_PAGE_4K;
	a->alpha_short = a->alpha_long = 1.0;
	a->bias = TM_ARMS_HISTORY;
	a->pair_cost_ns = MS;
	a->sample_period = 1000;
	a->cost_benefit = cb;
	st = make(&c, 12, 2);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t t = k * 500 * MS + 10 * MS;

		feed(st, 12, 10, 0, t, TM_TIER_FMEM, 100);
		feed(st, 12, 11, 1, t, TM_TIER_SMEM, hot);
		feed(st, 12, 12, 2, t, TM_TIER_FMEM, 5);
		feed(st, 12, 13, 3, t, cold_tier, 1);
		ops()->rank(st, &r);
		assert_true(r.nr_pairs >= 1);   /* asked for pairs */
		assert_int_equal(r.nr_regions, 4);
		for (unsigned i = 0; i < 4; i++) {
			assert_int_equal(reg[i].start, want[i]);
			assert_int_equal(reg[i].end, want[i] + 1);
		}
		if (k == 0)
			assert_int_equal(real_pairs(&r), 0);
	}
	ops()->free(st);
	return real_pairs(&r);
}

static void test_pair_cost_benefit(void **state)
{
	uint64_t pro[8], dem[8];

	(void)state;
	assert_int_equal(pairs_for(9, 1.5, TM_TIER_FMEM, pro, dem), 1);
	assert_int_equal(pro[0], 1);
	assert_int_equal(dem[0], 3);
	assert_int_equal(pairs_for(8, 1.5, TM_TIER_FMEM, pro, dem), 0);
	assert_int_equal(pro[0], dem[0]);   /* the one stale pair */
	assert_int_equal(pairs_for(8, 1.0, TM_TIER_FMEM, pro, dem), 1);
	assert_int_equal(pairs_for(30, 1.5, TM_TIER_FMEM, pro, dem), 1);
	/* page 13 in SMEM: page 12 (position C) is no candidate, the code
	 * demotes only below position C (demote_idx <= C stops) */
	assert_int_equal(pairs_for(30, 1.5, TM_TIER_SMEM, pro, dem), 0);
}

/*
 * The EWMA guard of continue_migration: the hot page's smaller EWMA must
 * reach the cold page's larger one.  alpha_short 1, alpha_long 0.5, C = 3,
 * a negligible pair cost, history bias.  Samples per interval (0, 1):
 *   page 20 FMEM (100, 100); 21 SMEM (10, 10); 22 FMEM (cold0, 0);
 *   page 23 FMEM (8, 8); 24 FMEM (9, 9).
 * After interval 0 (cold0 = 40): scores 20: 85, 22: 0.4*40 + 0.6*20 = 28,
 * 21: 4 + 3 = 7, 24: 6.3, 23: 5.6; top 3 = {20, 22, 21}: 21 ages to 1.
 * After interval 1: 21: w = (10, 7.5), score 8.5; 24: (9, 6.75) 7.65;
 * 23: (8, 6) 6.8; 22: (0, 10) 6.  Page 22 ranks at position 4 > C and is
 * the only demotion candidate; 21 may be promoted (age 2, 8.5 >= 7), but
 * min(10, 7.5) < max(0, 10): no pair.  With cold0 = 20, page 22 is (0, 5)
 * (score 3, still position 4) and 7.5 >= 5: the pair 21 <-> 22 goes.
 */
static size_t guarded_pairs(unsigned cold0)
{
	struct tm_ident_config c;
	struct tm_arms_config *a = defaults(&c);
	static const unsigned n[5] = { 100, 10, 0, 8, 9 };
	uint64_t h[8], pro[8], dem[8];
	struct tm_region reg[8];
	struct tm_rank r = { .hot = h, .cap = 8, .regions = reg,
			     .cap_regions = 8, .promote = pro, .demote = dem };
	const enum tm_tier tier[5] = { TM_TIER_FMEM, TM_TIER_SMEM, TM_TIER_FMEM,
				       TM_TIER_FMEM, TM_TIER_FMEM };
	void *st;

	a->page_size = TM_ARMS_PAGE_4K;
	a->alpha_short = 1.0;
	a->alpha_long = 0.5;
	a->bias = TM_ARMS_HISTORY;
	a->pair_cost_ns = 1;
	st = make(&c, 12, 3);
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < 5; i++)
			feed(st, 12, 20 + i, i, k * 500 * MS + 10 * MS, tier[i],
			     i == 2 && k == 0 ? cold0 : n[i]);
		ops()->rank(st, &r);
	}
	assert_int_equal(reg[4].start, 22);
	ops()->free(st);
	if (real_pairs(&r))
		assert_true(pro[0] == 1 && dem[0] == 2);
	return real_pairs(&r);
}

static void test_pair_ewma_guard(void **state)
{
	(void)state;
	assert_int_equal(guarded_pairs(40), 0);
	assert_int_equal(guarded_pairs(20), 1);
}

/*
 * 2 MiB ARMS pages on a 4 KiB VM: page >> 9 is the ARMS page.  Huge page 3
 * gets 5 samples over three 4 KiB pages, huge page 7 gets 9 over two: the
 * regions are [7<<9, 8<<9) then [3<<9, 4<<9); estimate() of any 4 KiB page
 * is its huge page's score; no pairs (a huge page spans many VM pages).
 * memory_bytes grows with the pages tracked, >= 40 B each.
 */
static void test_regions_2m_and_memory(void **state)
{
	struct tm_ident_config c;
	uint64_t h[4], pro[4], dem[4];
	struct tm_region reg[4];
	struct tm_rank r = { .hot = h, .cap = 4, .regions = reg,
			     .cap_regions = 4, .promote = pro, .demote = dem };
	void *st;
	size_t m0;

	(void)state;
	defaults(&c)->bias = TM_ARMS_HISTORY;
	st = make(&c, 12, 1);
	feed(st, 12, (3 << 9) + 1, 0, 10 * MS, TM_TIER_SMEM, 2);
	feed(st, 12, (3 << 9) + 2, 1, 10 * MS, TM_TIER_SMEM, 2);
	feed(st, 12, (3 << 9) + 511, 2, 10 * MS, TM_TIER_SMEM, 1);
	feed(st, 12, (7 << 9), 3, 10 * MS, TM_TIER_FMEM, 4);
	feed(st, 12, (7 << 9) + 9, 4, 10 * MS, TM_TIER_FMEM, 5);
	ops()->rank(st, &r);
	assert_int_equal(r.nr_regions, 2);
	assert_int_equal(r.nr_pairs, 0);
	assert_int_equal(reg[0].start, 7 << 9);
	assert_int_equal(reg[0].end, 8 << 9);
	assert_int_equal(reg[1].start, 3 << 9);
	assert_int_equal(reg[1].end, 4 << 9);
	/* 9 samples: 0.4*2/3*9 + 0.6*2/21*9 = 2.4 + 0.514 = 2.914 -> 3 */
	assert_int_equal(ops()->estimate(st, 4, (7 << 9) + 100), 3);
	assert_int_equal(ops()->estimate(st, 0, (3 << 9) + 7), 2);
	m0 = ops()->memory_bytes(st);
	for (uint64_t g = 100; g < 5100; g++)
		feed(st, 12, g << 9, 5, 20 * MS, TM_TIER_FMEM, 1);
	assert_true(ops()->memory_bytes(st) >= m0 + 5000 * 40);
	ops()->free(st);
	ops()->free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_bounds),
		cmocka_unit_test(test_ewma_known_sequence),
		cmocka_unit_test(test_lazy_decay_equals_stepwise),
		cmocka_unit_test(test_score_biases),
		cmocka_unit_test(test_page_hinkley_surge),
		cmocka_unit_test(test_pair_cost_benefit),
		cmocka_unit_test(test_pair_ewma_guard),
		cmocka_unit_test(test_regions_2m_and_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
