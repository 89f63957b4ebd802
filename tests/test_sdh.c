/*
 * test_sdh.c - SDH against its exact twin and its rules one by one.
 *
 * 1. Accuracy on seeded Zipf streams against the exact identifier, with
 *    HeavyKeeper's memory split (4wd + 54k bytes, d = 2; reference
 *    identifiers.md §2): k = 100 in 30 KB.  The paper reports 100% (Campus)
 *    and >= 99.99% (CAIDA) precision at 30 KB and >= 94.9% for synthetic
 *    Zipf 0.6-3.0 at 100 KB, k = 1000; we require precision >= 0.95 and
 *    ARE <= 0.05 (the faithful code reaches 0.97-1.00 and 0.002-0.015 on
 *    these streams).  Planted faults (decay off; decay that never lets a
 *    bucket be taken over) must miss the same threshold (they reach
 *    0.78-0.90 at skew 0.8), so the comparison is shown to be able to fail.
 * 2. The decay rule fires with probability b^-C (paper) or 1/floor(b^C)
 *    (integer), measured bucket by bucket with a 5-sigma binomial bound.
 * 3. No allocation in a 1M-sample update loop, nor in rank().
 * 4. Two-heap exchange on a hand-built scenario.
 * 5. Estimator modes on a hand-built collision; selective increment;
 *    heap admission (S1 and HeavyKeeper); saturation; counter_bits 32 and
 *    the saturated op.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/identifier.h"
#include "models/ident/exact.h"
#include "models/ident/sdh_internal.h"
#include "lib/alloc.h"

static const struct tm_identifier_ops *sdh(void)
{
	return tm_identifier_find("sdh");
}

static const struct tm_identifier_ops *exact(void)
{
	return tm_identifier_find("exact");
}

/* The defaults of DESIGN.md §6.2 with HeavyKeeper's optimisations on. */
static void sdh_defaults(struct tm_ident_config *c)
{
	tm_sdh_test_config(c, 4, 8192, 100);
}

static void *make(const struct tm_ident_config *c, uint64_t seed)
{
	struct tm_ident_params p = { .cfg = c, .own = (*c).own.bytes,
				       .nr_fmem_pages = 1000, .seed = seed };

	return sdh()->new(&p);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* --- 1. accuracy against exact -------------------------------------------- */

#define ZIPF_KEYS 1000000u
#define ZIPF_SAMPLES 1000000u
#define TOPK 100u

struct zipf {
	double *cdf;
	uint32_t *perm;       /* rank -> page: a random permutation */
	uint64_t rng;
};

static void zipf_init(struct zipf *z, double skew, uint64_t seed)
{
	double sum = 0;

	z->cdf = tm_xmalloc(ZIPF_KEYS * sizeof(*z->cdf));
	z->perm = tm_xmalloc(ZIPF_KEYS * sizeof(*z->perm));
	z->rng = seed;
	for (uint32_t i = 0; i < ZIPF_KEYS; i++) {
		sum += pow(i + 1.0, -skew);
		z->cdf[i] = sum;
		z->perm[i] = i;
	}
	for (uint32_t i = ZIPF_KEYS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(splitmix(&z->rng) % (i + 1));
		uint32_t t = z->perm[i];

		z->perm[i] = z->perm[j];
		z->perm[j] = t;
	}
}

/* Inverse CDF by binary search. */
static uint64_t zipf_next(struct zipf *z)
{
	double u = (double)(splitmix(&z->rng) >> 11) * 0x1p-53 *
		   z->cdf[ZIPF_KEYS - 1];
	uint32_t lo = 0, hi = ZIPF_KEYS - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return z->perm[lo];
}

static void zipf_free(struct zipf *z)
{
	free(z->cdf);
	free(z->perm);
}

struct accuracy {
	double precision, are;
};

enum fault { NO_FAULT, FAULT_NO_DECAY, FAULT_NO_TAKEOVER };

/* k = 100 in kb KB with d = 2 (HeavyKeeper's split).  Precision counts a
 * reported page as right if its exact count reaches the k-th largest
 * (ties at the boundary are not errors). */
static struct accuracy run_vs_exact(double skew, uint64_t seed, uint32_t kb,
				    enum fault fault)
{
	struct tm_ident_config c, ce;
	struct tm_ident_params pe = { .cfg = &ce, .own = ce.own.bytes,
				       .nr_fmem_pages = 0, .seed = 0 };
	struct tm_sdh_variant var = {
		.fault_no_takeover = fault == FAULT_NO_TAKEOVER };
	uint64_t hot[TOPK], truth[TOPK], kth;
	struct tm_rank r = { .hot = hot, .cap = TOPK, .nr_hot = 0, .promote = NULL,
				.demote = NULL, .nr_pairs = 0 };
	struct tm_rank rt = { .hot = truth, .cap = TOPK, .nr_hot = 0, .promote = NULL,
				.demote = NULL, .nr_pairs = 0 };
	struct accuracy acc = { 0, 0 };
	struct tm_rank_scratch sc = { 0 };   /* exact's, lent as the engine does */
	struct zipf z;
	void *s, *x;

	sdh_defaults(&c);
	tm_sdh_cfg(&c)->depth = 2;
	tm_sdh_cfg(&c)->width = ((kb * 1024 - 54 * TOPK) / (4 * 2)) | 1;  /* HK main.cpp */
	tm_sdh_cfg(&c)->decay = fault != FAULT_NO_DECAY;
	tm_ident_config_default(&ce, "exact");
	tm_exact_cfg(&ce)->window_decay = 1.0;
	s = make(&c, ~seed);   /* not the stream's seed: no shared draws */
	tm_sdh_set_variant(s, &var);
	x = exact()->new(&pe);
	zipf_init(&z, skew, seed);
	for (uint32_t n = 0; n < ZIPF_SAMPLES; n++) {
		uint64_t page = zipf_next(&z);

		tm_ident_feed(sdh(), s, page, 1, TM_TIER_FMEM);
		tm_ident_feed(exact(), x, page, 1, TM_TIER_FMEM);
	}
	sdh()->rank(s, &r);
	tm_ident_rank(exact(), x, &rt, &sc);
	assert_int_equal(rt.nr_hot, TOPK);
	kth = exact()->estimate(x, truth[TOPK - 1], truth[TOPK - 1]);
	for (size_t i = 0; i < r.nr_hot; i++) {
		double n = (double)exact()->estimate(x, hot[i], hot[i]);

		acc.precision += n >= (double)kth;
		acc.are += fabs((double)sdh()->estimate(s, hot[i], hot[i]) - n) / n;
	}
	acc.precision /= TOPK;
	acc.are /= r.nr_hot ? (double)r.nr_hot : 1.0;
	zipf_free(&z);
	sdh()->free(s);
	exact()->free(x);
	tm_rank_scratch_free(&sc);
	return acc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Precision >= 0.95 on every run; ARE <= 0.05 at the median over seeds.
 * ARE alone is not asserted per run: now and then (3 runs in 24, measured
 * over seeds 1-24 with this and the previous row hash alike) a cold page
 * shares a bucket and a 16-bit fingerprint with a hot page in one row,
 * reads the hot count through max-over-matching-rows and enters the
 * reported top-k, and that one page makes the run's ARE 2-20.  That is the
 * estimator's documented failure mode (reference §2), not a bug.
 */
static void test_zipf_vs_exact(void **state)
{
	static const double skews[] = { 0.8, 1.2, 2.0 };
	enum { NR_SEEDS = 5 };

	(void)state;
	for (size_t i = 0; i < sizeof(skews) / sizeof(skews[0]); i++) {
		double are[NR_SEEDS];

		for (uint64_t seed = 1; seed <= NR_SEEDS; seed++) {
			struct accuracy a = run_vs_exact(skews[i], seed, 30,
							 NO_FAULT);

			print_message("skew %.1f seed %lu: precision %.3f "
				      "ARE %.4f\n", skews[i],
				      (unsigned long)seed, a.precision, a.are);
			assert_true(a.precision >= 0.95);
			are[seed - 1] = a.are;
		}
		qsort(are, NR_SEEDS, sizeof(are[0]), cmp_double);
		assert_true(are[NR_SEEDS / 2] <= 0.05);
	}
}

/* The same comparison fails when decay is broken. */
static void test_zipf_planted_faults(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed += 2) {
		struct accuracy nd = run_vs_exact(0.8, seed, 30, FAULT_NO_DECAY);
		struct accuracy nt = run_vs_exact(0.8, seed, 30,
						  FAULT_NO_TAKEOVER);

		print_message("seed %lu: no decay %.3f, no takeover %.3f\n",
			      (unsigned long)seed, nd.precision, nt.precision);
		assert_true(nd.precision < 0.95);
		assert_true(nt.precision < 0.95);
	}
}

/* --- 2. the decay rule ---------------------------------------------------- */

/* Fraction of T updates of key that decrement a mismatching bucket held at
 * count c (restored before every trial). */
static double decay_rate(void *s, uint64_t key, uint32_t c, uint32_t trials)
{
	uint16_t fp;
	struct tm_sdh_bucket *b = tm_sdh_bucket(s, key, 0, &fp);
	uint32_t hits = 0;

	for (uint32_t t = 0; t < trials; t++) {
		b->fp = (uint16_t)(fp ^ 0x5a5a);
		b->count = (uint16_t)c;
		tm_ident_feed(sdh(), s, key, 1, TM_TIER_FMEM);
		if (c > 1)   /* decremented, still owned by the other key */
			hits += b->count == c - 1 && b->fp != fp;
		else
			hits += b->fp == fp && b->count == 1;  /* taken over */
	}
	return (double)hits / trials;
}

static void check_rate(double got, double p, uint32_t trials, uint32_t c)
{
	double bound = 5.0 * sqrt(p * (1.0 - p) / trials) + 1e-12;

	print_message("C=%u: p=%.5f measured %.5f\n", c, p, got);
	assert_true(fabs(got - p) <= bound);
}

static void test_decay_paper(void **state)
{
	static const uint32_t cs[] = { 1, 2, 5, 9, 10, 14, 20, 40, 80 };
	struct tm_ident_config c;
	void *s;

	(void)state;
	sdh_defaults(&c);
	tm_sdh_cfg(&c)->depth = 1;
	tm_sdh_cfg(&c)->width = 64;
	tm_sdh_cfg(&c)->selective_increment = false;
	s = make(&c, 11);
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		double p = pow(1.08, -(double)cs[i]);

		assert_true(fabs(tm_sdh_decay_probability(s, cs[i]) - p) <= 1e-15);
		check_rate(decay_rate(s, 777, cs[i], 40000), p, 40000, cs[i]);
	}
	/* the table ends where b^-C underflows 2^-63: no decay at all */
	assert_true(tm_sdh_decay_probability(s, 600) == 0.0);
	assert_true(decay_rate(s, 777, 600, 1000) == 0.0);
	sdh()->free(s);
}

static void test_decay_integer(void **state)
{
	static const uint32_t cs[] = { 1, 5, 9, 10, 14, 15, 20, 30, 60 };
	struct tm_ident_config c;
	void *s;

	(void)state;
	sdh_defaults(&c);
	tm_sdh_cfg(&c)->depth = 1;
	tm_sdh_cfg(&c)->width = 64;
	tm_sdh_cfg(&c)->selective_increment = false;
	tm_sdh_cfg(&c)->decay_rounding = TM_DECAY_INTEGER;
	s = make(&c, 12);
	/* S3 sds.c table: floor(1.08^C) is 1 up to C = 9, 2 for 10..14 */
	for (uint32_t k = 0; k <= 9; k++)
		assert_true(tm_sdh_decay_probability(s, k) == 1.0);
	assert_true(tm_sdh_decay_probability(s, 10) == 0.5);
	assert_true(tm_sdh_decay_probability(s, 14) == 0.5);
	assert_true(tm_sdh_decay_probability(s, 15) == 1.0 / 3.0);
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		double p = 1.0 / floor(pow(1.08, cs[i]));
		double got = decay_rate(s, 4242, cs[i], 40000);

		if (cs[i] < 10)
			assert_true(got == 1.0);   /* certain, not just likely */
		check_rate(got, p, 40000, cs[i]);
	}
	sdh()->free(s);
}

/* Find a key whose row-0 bucket differs from key's. */
static uint64_t other_bucket_key(void *s, uint64_t key)
{
	uint16_t fp;
	struct tm_sdh_bucket *b = tm_sdh_bucket(s, key, 0, &fp);

	for (uint64_t k = key + 1;; k++)
		if (tm_sdh_bucket(s, k, 0, &fp) != b)
			return k;
}

/* Cooling: decay with b^-(C - heap min), certain when C <= heap min. */
static void test_cooling(void **state)
{
	struct tm_ident_config c;
	void *s;
	uint64_t d;

	(void)state;
	sdh_defaults(&c);
	tm_sdh_cfg(&c)->depth = 1;
	tm_sdh_cfg(&c)->width = 64;
	tm_sdh_cfg(&c)->nr_topk = 1;
	tm_sdh_cfg(&c)->cooling = true;
	c.weighted = true;
	tm_sdh_cfg(&c)->selective_increment = false;
	s = make(&c, 13);
	d = other_bucket_key(s, 999);
	tm_ident_feed(sdh(), s, d, 10, TM_TIER_FMEM);   /* heap = {d: 10} */
	check_rate(decay_rate(s, 999, 5, 20000), 1.0, 20000, 5);
	check_rate(decay_rate(s, 999, 25, 40000), pow(1.08, -15.0), 40000, 25);
	sdh()->free(s);
}

/* --- 3. no allocation on the hot path ------------------------------------- */

static void run_no_alloc(bool two_heap)
{
	struct tm_ident_config c;
	uint64_t hot[200], pro[200], dem[200];
	struct tm_rank r = { .hot = hot, .cap = 200, .nr_hot = 0, .promote = pro,
				.demote = dem, .nr_pairs = 0 };
	uint64_t rng = 5;
	unsigned long before;
	void *s;

	sdh_defaults(&c);
	tm_sdh_cfg(&c)->two_heap = two_heap;
	tm_sdh_cfg(&c)->min_entries = 10;
	tm_sdh_cfg(&c)->cooling = two_heap;
	s = make(&c, 3);
	before = tm_alloc_count();
	for (uint32_t n = 0; n < 1000000; n++) {
		uint64_t x = splitmix(&rng);
		uint64_t page = (x >> 40) % (1 + (x & 0xffff));  /* skewed */

		sdh()->prefetch(s, (uint32_t)(x >> 20) & 0xffff);
		tm_ident_feed(sdh(), s, page, 1 + (uint32_t)(x & 3),
			      (x & 0x10000) ? TM_TIER_SMEM : TM_TIER_FMEM);
		if (n % 100000 == 0) {
			sdh()->rank(s, &r);
			sdh()->moved(s, (uint32_t)(page), page, TM_TIER_FMEM);
			sdh()->epoch_end(s);
		}
	}
	assert_int_equal(tm_alloc_count(), before);
	assert_true(r.nr_hot > 0);
	sdh()->free(s);
}

static void test_no_alloc(void **state)
{
	(void)state;
	run_no_alloc(false);
	run_no_alloc(true);
}

/* prefetch() (the replay's lookahead) changes nothing observable: a twin
 * fed the same samples, with prefetch() called for other pages between
 * them, ranks the same pages with the same estimates, in either heap
 * mode. */
static void test_prefetch_unobservable(void **state)
{
	(void)state;
	for (int two = 0; two <= 1; two++) {
		struct tm_ident_config c;
		uint64_t hot[2][300], pro[2][300], dem[2][300];
		struct tm_rank r[2];
		uint64_t rng = 9;
		void *s[2];

		sdh_defaults(&c);
		tm_sdh_cfg(&c)->two_heap = two;
		for (int k = 0; k < 2; k++) {
			s[k] = make(&c, 4);
			r[k] = (struct tm_rank){ .hot = hot[k], .cap = 300,
						 .promote = pro[k],
						 .demote = dem[k] };
		}
		for (uint32_t n = 0; n < 300000; n++) {
			uint64_t x = splitmix(&rng);
			uint64_t page = (x >> 40) % (1 + (x & 0xfff));

			sdh()->prefetch(s[1], (uint32_t)(x >> 8) & 0xfffff);
			for (int k = 0; k < 2; k++)
				tm_ident_feed(sdh(), s[k], page, 1,
					      (x & 0x1000) ? TM_TIER_SMEM :
							     TM_TIER_FMEM);
		}
		for (int k = 0; k < 2; k++)
			sdh()->rank(s[k], &r[k]);
		assert_true(r[0].nr_hot >= 100);   /* K = 100 */
		assert_int_equal(r[0].nr_hot, r[1].nr_hot);
		assert_int_equal(r[0].nr_pairs, r[1].nr_pairs);
		for (size_t i = 0; i < r[0].nr_hot; i++) {
			assert_int_equal(hot[0][i], hot[1][i]);
			assert_int_equal(
				sdh()->estimate(s[0], (uint32_t)hot[0][i], 0),
				sdh()->estimate(s[1], (uint32_t)hot[1][i], 0));
		}
		for (int k = 0; k < 2; k++)
			sdh()->free(s[k]);
	}
}

/* --- 4. two heaps ----------------------------------------------------------- */

#define F(i) (100 + (i))
#define S(i) (200 + (i))

/* FMEM pages F1..F5 at counts 1,2,4,10,20; SMEM pages S1..S5 at
 * 30,15,7,3,1.  Exchanges while FMEM-top < SMEM-top:
 *   (S1:30, F1:1) (S2:15, F2:2) (S3:7, F3:4); then FMEM-top is S3 at 7 and
 *   SMEM-top F3 at 4: stop.  3 pairs.
 * pow2 guard: log2 7 = log2 4 = 2 stops before the third pair: 2 pairs. */
static void *two_heap_scenario(uint32_t min_entries, uint32_t max_requests,
			       bool pow2)
{
	static const uint32_t fc[] = { 1, 2, 4, 10, 20 };
	static const uint32_t sc[] = { 30, 15, 7, 3, 1 };
	struct tm_ident_config c;
	void *s;

	sdh_defaults(&c);
	tm_sdh_cfg(&c)->two_heap = true;
	c.weighted = true;
	tm_sdh_cfg(&c)->nr_topk = 8;
	tm_sdh_cfg(&c)->width = 4096;
	tm_sdh_cfg(&c)->min_entries = min_entries;
	tm_sdh_cfg(&c)->max_requests = max_requests;
	tm_sdh_cfg(&c)->pow2_guard = pow2;
	s = make(&c, 21);
	for (int i = 0; i < 5; i++) {
		tm_ident_feed(sdh(), s, F(i + 1), fc[i], TM_TIER_FMEM);
		tm_ident_feed(sdh(), s, S(i + 1), sc[i], TM_TIER_SMEM);
	}
	for (int i = 0; i < 5; i++) {   /* the scenario is what it says */
		assert_int_equal(sdh()->estimate(s, F(i + 1), F(i + 1)), fc[i]);
		assert_int_equal(sdh()->estimate(s, S(i + 1), S(i + 1)), sc[i]);
	}
	return s;
}

static size_t exchange(void *s, size_t cap, uint64_t *pro, uint64_t *dem)
{
	uint64_t hot[16];
	struct tm_rank r = { .hot = hot, .cap = cap, .nr_hot = 0, .promote = pro,
				.demote = dem, .nr_pairs = 0 };

	sdh()->rank(s, &r);
	return r.nr_pairs;
}

static void test_two_heap_pairs(void **state)
{
	uint64_t pro[16], dem[16], v;
	int tier;
	void *s;

	(void)state;
	s = two_heap_scenario(5, 100, false);
	assert_int_equal(exchange(s, 16, pro, dem), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pro[i], S(i + 1));
		assert_int_equal(dem[i], F(i + 1));
	}
	/* each page carried its own count into the other heap */
	assert_true(tm_sdh_heap_get(s, S(1), &v, &tier));
	assert_int_equal(tier, TM_TIER_FMEM);
	assert_int_equal(v, 30);
	assert_true(tm_sdh_heap_get(s, F(3), &v, &tier));
	assert_int_equal(tier, TM_TIER_SMEM);
	assert_int_equal(v, 4);
	/* a second round finds nothing misplaced */
	assert_int_equal(exchange(s, 16, pro, dem), 0);
	sdh()->free(s);
}

static void test_two_heap_limits(void **state)
{
	uint64_t pro[16], dem[16];
	void *s;

	(void)state;
	s = two_heap_scenario(5, 100, true);      /* pow2 guard */
	assert_int_equal(exchange(s, 16, pro, dem), 2);
	sdh()->free(s);
	s = two_heap_scenario(5, 1, false);       /* max_requests */
	assert_int_equal(exchange(s, 16, pro, dem), 1);
	assert_int_equal(pro[0], S(1));
	sdh()->free(s);
	s = two_heap_scenario(6, 100, false);     /* min_entries: 5 < 6 */
	assert_int_equal(exchange(s, 16, pro, dem), 0);
	sdh()->free(s);
	s = two_heap_scenario(5, 100, false);     /* rank cap */
	assert_int_equal(exchange(s, 2, pro, dem), 2);
	/* equal tops are not misplaced: raise F3 (top, 4) to 7 = SMEM top */
	tm_ident_feed(sdh(), s, F(3), 3, TM_TIER_FMEM);
	assert_int_equal(exchange(s, 16, pro, dem), 0);
	tm_ident_feed(sdh(), s, F(3), 1, TM_TIER_FMEM);   /* 8 > 7: still none */
	tm_ident_feed(sdh(), s, S(3), 2, TM_TIER_SMEM);   /* S3 9 > FMEM top 8 */
	assert_int_equal(exchange(s, 16, pro, dem), 1);
	assert_int_equal(pro[0], S(3));
	assert_int_equal(dem[0], F(3));
	sdh()->free(s);
}

/* Hot list: both heaps, hottest first; tier changes move entries. */
static void test_two_heap_hot_and_moves(void **state)
{
	uint64_t hot[16], pro[16], dem[16], v;
	struct tm_rank r = { .hot = hot, .cap = 16, .nr_hot = 0, .promote = pro,
				.demote = dem, .nr_pairs = 0 };
	static const uint64_t want[] = { S(1), F(5), S(2), F(4), S(3), F(3),
					 S(4), F(2), F(1), S(5) };
	int tier;
	void *s = two_heap_scenario(5, 100, false);

	(void)state;
	sdh()->rank(s, &r);
	assert_int_equal(r.nr_hot, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(hot[i], want[i]);
	sdh()->moved(s, (uint32_t)(F(4)), F(4), TM_TIER_SMEM);      /* migration done */
	assert_true(tm_sdh_heap_get(s, F(4), &v, &tier));
	assert_int_equal(tier, TM_TIER_SMEM);
	assert_int_equal(v, 10);
	tm_ident_feed(sdh(), s, F(5), 1, TM_TIER_SMEM);  /* engine says SMEM */
	assert_true(tm_sdh_heap_get(s, F(5), &v, &tier));
	assert_int_equal(tier, TM_TIER_SMEM);
	assert_int_equal(v, 21);
	sdh()->free(s);
}

/* At estimate 0 an SMEM entry leaves, an FMEM entry stays at 0. */
static void test_two_heap_zero(void **state)
{
	void *s = two_heap_scenario(5, 100, false);
	uint64_t v;
	int tier;

	(void)state;
	for (uint64_t page = F(1); page <= S(1); page += S(1) - F(1)) {
		for (uint32_t row = 0; row < 4; row++) {
			uint16_t fp;
			struct tm_sdh_bucket *b = tm_sdh_bucket(s, page, row, &fp);

			b->fp = (uint16_t)(fp ^ 1);   /* owned by another key, */
			b->count = 60000;             /* too big to decay */
		}
		tm_ident_feed(sdh(), s, page, 1, page == F(1) ? TM_TIER_FMEM
						       : TM_TIER_SMEM);
	}
	assert_true(tm_sdh_heap_get(s, F(1), &v, &tier));
	assert_int_equal(v, 0);
	assert_false(tm_sdh_heap_get(s, S(1), &v, &tier));
	sdh()->free(s);
}

/* --- 5. estimator, selective increment, admission, saturation ------------ */

/* key's rows: (match, 5) (match, 9) (other, 20) (other, 2). */
static void *collision(enum tm_est_fn fn, enum tm_est_rows rows, uint64_t key)
{
	static const uint16_t counts[] = { 5, 9, 20, 2 };
	struct tm_ident_config c;
	void *s;

	sdh_defaults(&c);
	tm_sdh_cfg(&c)->estimator = fn;
	tm_sdh_cfg(&c)->estimator_rows = rows;
	tm_sdh_cfg(&c)->width = 1024;
	s = make(&c, 31);
	for (uint32_t row = 0; row < 4; row++) {
		uint16_t fp;
		struct tm_sdh_bucket *b = tm_sdh_bucket(s, key, row, &fp);

		b->fp = row < 2 ? fp : (uint16_t)(fp ^ 0x100);
		b->count = counts[row];
	}
	return s;
}

static void test_estimators(void **state)
{
	static const struct {
		enum tm_est_fn fn;
		enum tm_est_rows rows;
		uint64_t est, heap;   /* before; heap value after one sample */
	} cases[] = {
		{ TM_EST_MAX, TM_EST_MATCHING, 9, 10 },
		{ TM_EST_MIN, TM_EST_MATCHING, 5, 6 },
		{ TM_EST_MAX, TM_EST_ALL, 20, 0 },
		{ TM_EST_MIN, TM_EST_ALL, 2, 0 },
	};
	uint64_t v;
	int tier;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		void *s = collision(cases[i].fn, cases[i].rows, 55);

		assert_int_equal(sdh()->estimate(s, 55, 55), cases[i].est);
		tm_ident_feed(sdh(), s, 55, 1, TM_TIER_FMEM);
		assert_true(tm_sdh_heap_get(s, 55, &v, &tier));
		if (cases[i].rows == TM_EST_MATCHING)
			assert_int_equal(v, cases[i].heap);
		else if (cases[i].fn == TM_EST_MAX)
			assert_true(v == 20 || v == 19);  /* row 2 may decay */
		else
			assert_true(v == 1 || v == 2);    /* row 3 may decay */
		sdh()->free(s);
	}
	/* no matching row: 0 for both matching-row estimators (max over
	 * matching rows at d = 4 is the unrolled fast path) */
	for (int fn = 0; fn < 2; fn++) {
		void *s = collision(fn ? TM_EST_MAX : TM_EST_MIN,
				    TM_EST_MATCHING, 55);
		uint16_t fp;

		for (uint32_t row = 0; row < 2; row++)
			tm_sdh_bucket(s, 55, row, &fp)->fp ^= 1;
		assert_int_equal(sdh()->estimate(s, 55, 55), 0);
		sdh()->free(s);
	}
}

/* Heap of K = 1 holding {d: 3}; key 7 (not in the heap) has a matching
 * bucket at `count`.  Returns the bucket's count after one sample of 7. */
static uint32_t selective_case(bool selective, uint16_t count)
{
	struct tm_ident_config c;
	struct tm_sdh_bucket *b;
	uint16_t fp;
	uint32_t got;
	void *s;

	sdh_defaults(&c);
	tm_sdh_cfg(&c)->depth = 1;
	tm_sdh_cfg(&c)->width = 64;
	tm_sdh_cfg(&c)->nr_topk = 1;
	c.weighted = true;
	tm_sdh_cfg(&c)->selective_increment = selective;
	s = make(&c, 41);
	tm_ident_feed(sdh(), s, other_bucket_key(s, 7), 3, TM_TIER_FMEM);
	b = tm_sdh_bucket(s, 7, 0, &fp);
	b->fp = fp;
	b->count = count;
	tm_ident_feed(sdh(), s, 7, 1, TM_TIER_FMEM);
	got = b->count;
	sdh()->free(s);
	return got;
}

/* With selective increment a matching bucket above the heap minimum is not
 * incremented for a key outside the heap; at the minimum it is. */
static void test_selective_increment(void **state)
{
	(void)state;
	assert_int_equal(selective_case(true, 5), 5);
	assert_int_equal(selective_case(true, 3), 4);
	assert_int_equal(selective_case(false, 5), 6);
	assert_int_equal(selective_case(false, 3), 4);
}

/* K = 2.  S1: a newcomer replaces the minimum when min <= estimate; a
 * present key takes the new estimate even if lower, and leaves at 0.
 * HK: only at min + 1, and a present key keeps max(estimate, old), also
 * at estimate 0. */
static void test_admission(void **state)
{
	for (int hk = 0; hk <= 1; hk++) {
		struct tm_ident_config c;
		struct tm_sdh_variant var = { .hk_heap = hk };
		uint64_t v;
		uint16_t fp;
		int tier;
		void *s;

		sdh_defaults(&c);
		tm_sdh_cfg(&c)->nr_topk = 2;
		c.weighted = true;
		tm_sdh_cfg(&c)->selective_increment = false;
		tm_sdh_cfg(&c)->width = 4096;
		s = make(&c, 51);
		tm_sdh_set_variant(s, &var);
		tm_ident_feed(sdh(), s, 1, 10, TM_TIER_FMEM);
		tm_ident_feed(sdh(), s, 2, 4, TM_TIER_FMEM);
		tm_ident_feed(sdh(), s, 3, 4, TM_TIER_FMEM);    /* S1: 4 >= min 4 */
		assert_int_equal(tm_sdh_heap_get(s, 3, &v, &tier), !hk);
		assert_int_equal(tm_sdh_heap_get(s, 2, &v, &tier), hk);
		tm_ident_feed(sdh(), s, 4, 5, TM_TIER_FMEM);    /* both: min 4, 5 */
		assert_true(tm_sdh_heap_get(s, 4, &v, &tier));
		tm_ident_feed(sdh(), s, 5, 7, TM_TIER_FMEM);    /* HK: 7 != 5 + 1 */
		assert_int_equal(tm_sdh_heap_get(s, 5, &v, &tier), !hk);
		tm_ident_feed(sdh(), s, 6, 2, TM_TIER_FMEM);    /* below min: never */
		assert_false(tm_sdh_heap_get(s, 6, &v, &tier));
		/* lower key 1's estimate to 7 by hand, then sample it */
		for (uint32_t row = 0; row < 4; row++)
			tm_sdh_bucket(s, 1, row, &fp)->count = 6;
		tm_ident_feed(sdh(), s, 1, 1, TM_TIER_FMEM);
		assert_true(tm_sdh_heap_get(s, 1, &v, &tier));
		assert_int_equal(v, hk ? 10 : 7);
		/* every row of key 4 taken by others: estimate 0 removes it
		 * (S1); HK keeps max(0, old) = its old value 5 */
		for (uint32_t row = 0; row < 4; row++) {
			struct tm_sdh_bucket *b = tm_sdh_bucket(s, 4, row, &fp);

			b->fp = (uint16_t)(fp ^ 1);
			b->count = 60000;
		}
		tm_ident_feed(sdh(), s, 4, 1, TM_TIER_FMEM);
		assert_int_equal(tm_sdh_heap_get(s, 4, &v, &tier), hk);
		if (hk)
			assert_int_equal(v, 5);
		sdh()->free(s);
	}
	(void)state;
}

static void test_saturation_and_memory(void **state)
{
	struct tm_ident_config c;
	uint16_t fp;
	void *s;

	(void)state;
	sdh_defaults(&c);
	c.weighted = true;
	tm_sdh_cfg(&c)->nr_topk = 0;          /* 10% of the 1000 FMEM pages given to make() */
	s = make(&c, 61);
	assert_int_equal(tm_sdh_heap_cap(s), 100);
	for (uint32_t row = 0; row < 4; row++) {
		struct tm_sdh_bucket *b = tm_sdh_bucket(s, 9, row, &fp);
		b->fp = fp;
		b->count = 65534;
	}
	tm_ident_feed(sdh(), s, 9, 5, TM_TIER_FMEM);
	assert_int_equal(sdh()->estimate(s, 9, 9), 65535);
	tm_ident_feed(sdh(), s, 10, 7, TM_TIER_FMEM);   /* weighted: adds 7 */
	tm_ident_feed(sdh(), s, 10, 0, TM_TIER_FMEM);   /* weight 0: nothing */
	tm_ident_feed(sdh(), s, 11, 0, TM_TIER_FMEM);
	assert_int_equal(sdh()->estimate(s, 10, 10), 7);
	assert_int_equal(sdh()->estimate(s, 11, 11), 0);
	sdh()->free(s);
	/* unweighted, the engine passes weight 1 (test_engine) */
	s = make(&c, 61);
	tm_ident_feed(sdh(), s, 10, 1, TM_TIER_FMEM);
	tm_ident_feed(sdh(), s, 10, 1, TM_TIER_FMEM);
	assert_int_equal(sdh()->estimate(s, 10, 10), 2);
	assert_true(sdh()->memory_bytes(s) >= 4u * 4 * 8192 + 100 * 16);
	assert_true(sdh()->memory_bytes(s) < 8u * 4 * 8192);
	sdh()->free(s);
	sdh()->free(NULL);
}

/* counter_bits: a page sampled 70,000 times reads 65535 at 16 bits and is
 * reported as saturated; at 32 bits it counts on and is not.  Buckets are
 * 8 bytes there, and memory_bytes() says so. */
static void test_counter_bits(void **state)
{
	const uint32_t hot_nr = 70000;
	uint64_t hot[100];
	size_t base16 = 0;

	(void)state;
	for (int bits = 0; bits < 2; bits++) {
		struct tm_ident_config c;
		struct tm_rank r = { .hot = hot, .cap = 100 };
		uint64_t v;
		int tier;
		void *s;

		sdh_defaults(&c);
		tm_sdh_cfg(&c)->counter_bits = bits ? TM_SDH_COUNTER_32
						    : TM_SDH_COUNTER_16;
		s = make(&c, 5);
		assert_int_equal(tm_sdh_count_max(s), bits ? 0xfffffffeu
							   : 65535u);
		for (uint32_t n = 0; n < hot_nr; n++) {
			tm_ident_feed(sdh(), s, 3, 1, TM_TIER_FMEM);
			tm_ident_feed(sdh(), s, 1000 + n % 50, 1,
				      TM_TIER_FMEM);
		}
		sdh()->rank(s, &r);
		assert_true(r.nr_hot == 51 && hot[0] == 3);
		assert_true(tm_sdh_heap_get(s, 3, &v, &tier));
		assert_int_equal(v, bits ? hot_nr : 65535);
		assert_int_equal(sdh()->estimate(s, 3, 3), bits ? hot_nr : 65535);
		assert_int_equal(sdh()->saturated(s, hot, r.nr_hot), bits ? 0 : 1);
		assert_int_equal(sdh()->saturated(s, hot + 1, r.nr_hot - 1), 0);
		if (!bits)
			base16 = sdh()->memory_bytes(s);
		else   /* 4 rows x 8192 buckets, 4 more bytes each */
			assert_int_equal(sdh()->memory_bytes(s) - base16,
					 4u * 4 * 8192);
		sdh()->free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zipf_vs_exact),
		cmocka_unit_test(test_zipf_planted_faults),
		cmocka_unit_test(test_decay_paper),
		cmocka_unit_test(test_decay_integer),
		cmocka_unit_test(test_cooling),
		cmocka_unit_test(test_no_alloc),
		cmocka_unit_test(test_prefetch_unobservable),
		cmocka_unit_test(test_two_heap_pairs),
		cmocka_unit_test(test_two_heap_limits),
		cmocka_unit_test(test_two_heap_hot_and_moves),
		cmocka_unit_test(test_two_heap_zero),
		cmocka_unit_test(test_estimators),
		cmocka_unit_test(test_selective_increment),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_saturation_and_memory),
		cmocka_unit_test(test_counter_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
