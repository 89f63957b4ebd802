/*
 * test_hk_twin.c - SDH against the HeavyKeeper twin (tests/hk_twin.h),
 * bucket for bucket.
 *
 * Both run one fixed Zipf-like stream with SDH's hash and decay RNG shared
 * (the twin reads columns and fingerprints through tm_sdh_column and seeds
 * its splitmix64 with tm_sdh_rng_state), so where the rules agree every
 * bucket and every heap entry agree after every sample.  The paper leaves
 * open which of several minima a newcomer replaces; the twin is told the
 * one SDH replaced.  Rules compared: the HK paper (hk_heap, C < n_min,
 * b^-C), the authors' code (hk_heap, C <= n_min, 1/floor(b^C)) and S1.
 * Planted faults of SDH (a monitored key dropped at estimate 0; a newcomer
 * admitted at min <= estimate, without the +1 rule) must make the
 * comparison fail, and do within the first few thousand samples.
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
#include "models/ident/sdh_internal.h"
#include "tests/hk_twin.h"

#define NR_KEYS 4000u
#define NR_SAMPLES 100000u
#define D 2u
#define W 257u          /* small: many collisions, decays and takeovers */
#define K 40u

static const struct tm_identifier_ops *sdh(void)
{
	return tm_identifier_find("sdh");
}

static void sdh_hash(void *ctx, uint64_t key, uint32_t row, uint32_t *col,
		     uint32_t *fp)
{
	*col = tm_sdh_column(ctx, key, row, fp);
}

/* The victim SDH replaced: a twin minimum SDH no longer holds. */
static uint32_t sdh_victim(void *ctx, const struct hk_twin *t)
{
	uint64_t min = UINT64_MAX, v;
	int tier;

	for (uint32_t i = 0; i < t->nr; i++)
		min = t->val[i] < min ? t->val[i] : min;
	for (uint32_t i = 0; i < t->nr; i++)
		if (t->val[i] == min && !tm_sdh_heap_get(ctx, t->key[i], &v, &tier))
			return i;
	return hk_twin_first_min(t, min);
}

/* A fixed stream: Zipf(1.0)-like ranks by inversion, ranks scattered. */
static uint64_t next_key(uint64_t *rng)
{
	double u = (double)(hk_twin_splitmix(rng) >> 11) * 0x1p-53;
	uint64_t rank = (uint64_t)pow((double)NR_KEYS, u);   /* ~ 1/x density */

	return (rank * 2654435761u) % NR_KEYS;
}

/* Same buckets and same heap?  Heap sizes are compared through rank(). */
static bool same_state(void *s, const struct hk_twin *t, bool full_heap)
{
	uint64_t v;
	int tier;

	for (uint32_t row = 0; row < D; row++)
		for (uint32_t c = 0; c < W; c++) {
			uint32_t fp, count;

			tm_sdh_cell_get(s, row, c, &fp, &count);
			if (count != t->count[row * W + c] ||
			    fp != t->fp[row * W + c])
				return false;
		}
	for (uint32_t i = 0; i < t->nr; i++)
		if (!tm_sdh_heap_get(s, t->key[i], &v, &tier) || v != t->val[i])
			return false;
	if (full_heap) {
		uint64_t hot[K];
		struct tm_rank r = { .hot = hot, .cap = K };

		sdh()->rank(s, &r);
		return r.nr_hot == t->nr;
	}
	return true;
}

/* Samples until SDH and the twin first differ, or NR_SAMPLES.  hot: four
 * samples in five go to one key (80,000 of them: past a 16-bit counter);
 * *nr_sat: increments the twin refused at its counter maximum. */
static uint32_t run_x(struct tm_sdh_variant var, enum tm_decay_rounding dr,
		      struct hk_twin_rules rules, bool hot, uint64_t *nr_sat)
{
	struct tm_ident_config c;
	struct tm_ident_params p = { .cfg = &c, .own = c.own.bytes,
				       .nr_fmem_pages = 0, .seed = 11 };
	struct hk_twin t;
	uint64_t rng = 5;
	uint32_t n;
	void *s;

	tm_sdh_test_config(&c, D, W, K);
	tm_sdh_cfg(&c)->decay_rounding = dr;
	tm_sdh_cfg(&c)->counter_bits = rules.wide ? TM_SDH_COUNTER_32
						  : TM_SDH_COUNTER_16;
	s = sdh()->new(&p);
	tm_sdh_set_variant(s, &var);
	hk_twin_init(&t, D, W, K, NR_KEYS, rules, 0);
	t.rng = tm_sdh_rng_state(s);
	t.hash = sdh_hash;
	t.victim = sdh_victim;
	t.ctx = s;
	for (n = 0; n < NR_SAMPLES; n++) {
		uint64_t key = hot && n % 5 ? 7 : next_key(&rng);

		tm_ident_feed(sdh(), s, key, 1, TM_TIER_FMEM);
		hk_twin_update(&t, key);
		if (!same_state(s, &t, n % 97 == 0))
			break;
	}
	if (n == NR_SAMPLES && !same_state(s, &t, true))
		n--;
	*nr_sat = t.nr_saturated;
	hk_twin_free(&t);
	sdh()->free(s);
	return n;
}

static uint32_t run(struct tm_sdh_variant var, enum tm_decay_rounding dr,
		    struct hk_twin_rules rules)
{
	uint64_t nr_sat;

	return run_x(var, dr, rules, false, &nr_sat);
}

static struct hk_twin_rules wide(struct hk_twin_rules r)
{
	r.wide = true;
	return r;
}

static const struct hk_twin_rules paper = { .selective_le = false };
static const struct hk_twin_rules authors = { .selective_le = true,
					      .integer_decay = true };
static const struct hk_twin_rules s1 = { .selective_le = true,
					 .s1_heap = true };

static void test_paper_rules(void **state)
{
	(void)state;
	assert_int_equal(run(TM_SDH_HK_PAPER, TM_DECAY_PAPER, paper),
			 NR_SAMPLES);
	assert_int_equal(run(TM_SDH_HK_PAPER, TM_DECAY_PAPER, wide(paper)),
			 NR_SAMPLES);
}

static void test_authors_rules(void **state)
{
	(void)state;
	assert_int_equal(run(TM_SDH_HK_AUTHORS, TM_DECAY_INTEGER, authors),
			 NR_SAMPLES);
	assert_int_equal(run(TM_SDH_HK_AUTHORS, TM_DECAY_INTEGER,
			     wide(authors)), NR_SAMPLES);
}

static void test_s1_rules(void **state)
{
	(void)state;
	assert_int_equal(run(TM_SDH_S1, TM_DECAY_PAPER, s1), NR_SAMPLES);
	assert_int_equal(run(TM_SDH_S1, TM_DECAY_INTEGER,
			     (struct hk_twin_rules){ .selective_le = true,
						     .integer_decay = true,
						     .s1_heap = true }),
			 NR_SAMPLES);
	assert_int_equal(run(TM_SDH_S1, TM_DECAY_PAPER, wide(s1)), NR_SAMPLES);
}

/* A key past 65535 samples: at 16 bits both saturate at the same sample
 * and agree after it; at 32 bits nothing saturates. */
static void test_saturation(void **state)
{
	uint64_t nr_sat;

	(void)state;
	assert_int_equal(run_x(TM_SDH_HK_AUTHORS, TM_DECAY_INTEGER, authors,
			       true, &nr_sat), NR_SAMPLES);
	print_message("16-bit: %llu increments refused at 65535\n",
		      (unsigned long long)nr_sat);
	assert_true(nr_sat > 0);
	assert_int_equal(run_x(TM_SDH_HK_AUTHORS, TM_DECAY_INTEGER,
			       wide(authors), true, &nr_sat), NR_SAMPLES);
	assert_int_equal(nr_sat, 0);
	assert_int_equal(run_x(TM_SDH_S1, TM_DECAY_PAPER, s1, true, &nr_sat),
			 NR_SAMPLES);
	assert_int_equal(run_x(TM_SDH_S1, TM_DECAY_PAPER, wide(s1), true,
			       &nr_sat), NR_SAMPLES);
}

/* Mismatched rules and planted faults: the comparison must fail. */
static void test_planted_faults(void **state)
{
	struct tm_sdh_variant drop = TM_SDH_HK_PAPER, any = TM_SDH_HK_PAPER;
	uint32_t n;

	(void)state;
	drop.fault_drop_at_zero = true;
	any.fault_admit_any = true;
	n = run(drop, TM_DECAY_PAPER, paper);
	print_message("drop at zero: differs at sample %u\n", n);
	assert_true(n < NR_SAMPLES);
	n = run(any, TM_DECAY_PAPER, paper);
	print_message("admit without +1: differs at sample %u\n", n);
	assert_true(n < NR_SAMPLES);
	/* one rule off: selective C <= n_min against the paper's C < n_min */
	assert_true(run(TM_SDH_HK_AUTHORS, TM_DECAY_PAPER, paper) < NR_SAMPLES);
	assert_true(run(TM_SDH_HK_PAPER, TM_DECAY_INTEGER, paper) < NR_SAMPLES);
	/* the same faults at 32 bits */
	assert_true(run(drop, TM_DECAY_PAPER, wide(paper)) < NR_SAMPLES);
	assert_true(run(any, TM_DECAY_PAPER, wide(paper)) < NR_SAMPLES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paper_rules),
		cmocka_unit_test(test_authors_rules),
		cmocka_unit_test(test_s1_rules),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_planted_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
