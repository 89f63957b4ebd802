/*
 * test_hybridtier.c - HybridTier's sketches and rules on hand-built
 * streams: sizing at FPP 0.001, halving at W (and the size halving with
 * the counters), 4-bit saturation, momentum aging, the start threshold 5
 * and the momentum >= 3 path, rank order, the plateau rule, second chance,
 * schema defaults and bounds, memory_bytes.  Expected values follow the
 * rules in hybridtier.c's header (the authors' hybridtier.cpp and
 * frequency_sketch_block.hpp).
 *
 * Exactness: a page's 4 counters lie in its own 64-byte block, so pages
 * chosen in distinct blocks (pick()) never share a counter and their
 * estimates are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/hybridtier.h"
#include "models/ident/identifier.h"

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("hybridtier");

	assert_non_null(o);
	return o;
}

/* Defaults into c (the caller then changes what its test needs). */
static struct tm_hybridtier_config *defaults(struct tm_ident_config *c)
{
	assert_int_equal(tm_ident_config_default(c, "hybridtier"), 0);
	return tm_hybridtier_cfg(c);
}

static void *make(struct tm_ident_config *c, uint64_t nr_fmem_pages)
{
	struct tm_ident_params p = { .cfg = c, .own = c->own.bytes,
				     .nr_fmem_pages = nr_fmem_pages, .seed = 7 };

	return ops()->new(&p);
}

/* n pages in distinct blocks of x's frequency sketch, into v. */
static void pick(const void *x, uint32_t *v, size_t n)
{
	uint32_t idx = 0;

	for (size_t k = 0; k < n; idx++) {
		size_t j;

		for (j = 0; j < k; j++)
			if (tm_hybridtier_block(x, v[j]) ==
			    tm_hybridtier_block(x, idx))
				break;
		if (j == k)
			v[k++] = idx;
	}
}

static void feed(void *x, uint32_t idx, uint32_t n, enum tm_tier tier)
{
	for (uint32_t i = 0; i < n; i++)
		tm_ident_feed(ops(), x, idx, 1, tier);
}

/* One sample of idx at time_ns (second chance reads the time). */
static void feed_at(void *x, uint32_t idx, uint64_t time_ns)
{
	struct tm_record rec = { .time_ns = time_ns };
	struct tm_sample s = { .rec = &rec, .idx = idx, .weight = 1,
			       .tier = TM_TIER_SMEM };

	ops()->update(x, s);
}

static size_t ranked(void *x, uint64_t *hot, size_t cap)
{
	struct tm_rank r = { .hot = hot, .cap = cap };

	ops()->rank(x, &r);
	assert_int_equal(r.nr_pairs, 0);
	return r.nr_hot;
}

static void test_defaults_and_bounds(void **state)
{
	struct tm_ident_config c;
	const struct tm_hybridtier_config *h = defaults(&c);
	const struct tm_kind *k = &ops()->kind;
	static const struct { const char *key, *bad; } bad[] = {
		{ "fpp", "0" }, { "fpp", "0.6" }, { "hot_threshold", "0" },
		{ "hot_threshold", "16" }, { "momentum_threshold", "17" },
		{ "sample_factor", "0" }, { "plateau_fill", "1.5" },
	};

	(void)state;
	assert_true(h->fpp == 0.001);
	assert_int_equal(h->sample_factor, 160);
	assert_true(h->momentum_ratio == 0.01);
	assert_int_equal(h->momentum_samples, 1100000);
	assert_int_equal(h->hot_threshold, 5);
	assert_int_equal(h->min_hot_threshold, 3);
	assert_int_equal(h->momentum_threshold, 3);
	assert_int_equal(h->batch_samples, 100000);
	assert_int_equal(h->plateau_batches, 20);
	assert_int_equal(h->plateau_warmup, 500);
	assert_int_equal(h->plateau_promotions, 25000);
	assert_true(h->plateau_fill == 0.8);
	assert_int_equal(h->second_chance_ns, UINT64_C(60000000000));
	assert_int_equal(h->second_chance_max, 10000);
	assert_int_equal(h->nr_candidates, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct tm_cfg_key *row = NULL;
		struct tm_cfg_val v;
		struct tm_error e;

		for (size_t j = 0; j < k->nr_keys; j++)
			if (!strcmp(k->keys[j].pattern, bad[i].key))
				row = &k->keys[j];
		assert_non_null(row);
		assert_int_equal(tm_cfg_parse(row, bad[i].bad, &v, &e), -1);
	}
}

/* r(0.001, 4) = -4 / ln(1 - 0.001^(1/4)) = 20.4284 counters per page.
 * 1 GiB of 4 KiB pages, n = 262144: ceil(n r) = 5355184 counters, / 16 =
 * 334699 words, rounded to 2^19 = 524288 (4 MiB, 16 B per FMEM page); the
 * momentum sketch 334699 / 100 = 3346 words -> 4096.  64 pages: 81 -> 128
 * words.  A looser FPP needs fewer: 0.01 gives r = 10.52, 172404 words. */
static void test_sizing(void **state)
{
	struct tm_ident_config c;
	void *x;
	size_t sketch = (524288 + 4096) * 8;
	size_t list = 524288 * 8 + 1048576 * 8 + 262144 * 8;

	(void)state;
	assert_int_equal(tm_hybridtier_sketch_entries(262144, 0.001), 334699);
	assert_int_equal(tm_hybridtier_sketch_words(334699), 524288);
	assert_int_equal(tm_hybridtier_sketch_entries(64, 0.001), 81);
	assert_int_equal(tm_hybridtier_sketch_words(81), 128);
	assert_int_equal(tm_hybridtier_sketch_words(0), 8);  /* one block */
	assert_int_equal(tm_hybridtier_sketch_entries(262144, 0.01), 172404);
	/* memory_bytes: both sketches, candidates (2 x FMEM x 8 B), their
	 * index (2^20 slots of page + position, 8 B) and rank()'s scratch
	 * (FMEM x 8 B) */
	defaults(&c);
	x = make(&c, 262144);
	assert_true(ops()->memory_bytes(x) >= sketch + list);
	assert_true(ops()->memory_bytes(x) < sketch + list + 1024);
	ops()->free(x);
	ops()->free(NULL);
}

/* W = sample_factor x FMEM = 1 x 64.  A x10, B x3, C x50: 63 samples, C
 * saturated at 15.  The 64th (B: 4) reaches W: every counter halves (A 5,
 * B 2, C 7) and the size halves to 32.  Then A x31 saturates A at 15 with
 * size 63; the 32nd A sample reaches 64 again: A 15 -> 7, C 7 -> 3.  (A
 * size reset to 0 would halve only 64 samples later.) */
static void test_halving_at_w(void **state)
{
	struct tm_ident_config c;
	uint32_t p[3];
	void *x;

	(void)state;
	defaults(&c)->sample_factor = 1;
	tm_hybridtier_cfg(&c)->momentum_threshold = 16;
	x = make(&c, 64);
	pick(x, p, 3);
	feed(x, p[0], 10, TM_TIER_SMEM);
	feed(x, p[1], 3, TM_TIER_SMEM);
	feed(x, p[2], 50, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 10);
	assert_int_equal(tm_hybridtier_freq(x, p[1]), 3);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 15);
	assert_int_equal(tm_hybridtier_size(x), 63);
	feed(x, p[1], 1, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 5);
	assert_int_equal(tm_hybridtier_freq(x, p[1]), 2);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 7);
	assert_int_equal(tm_hybridtier_size(x), 32);
	feed(x, p[0], 31, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 15);
	assert_int_equal(tm_hybridtier_size(x), 63);
	feed(x, p[0], 1, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 7);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 3);
	assert_int_equal(tm_hybridtier_size(x), 32);
	ops()->free(x);
}

/* 4-bit counters stop at 15: 40 samples give 15, one of weight 20 gives
 * 15, weights 7 + 7 give 14 and one more 7 gives 15 (each add is capped,
 * FS try_increase_counter_at).  The estimate adds 16 for momentum >= 1. */
static void test_saturation(void **state)
{
	struct tm_ident_config c;
	uint32_t p[3];
	void *x;

	(void)state;
	defaults(&c);
	x = make(&c, 64);   /* W = 10240: no halving here */
	pick(x, p, 3);
	feed(x, p[0], 40, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 15);
	tm_ident_feed(ops(), x, p[1], 20, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[1]), 15);
	tm_ident_feed(ops(), x, p[2], 7, TM_TIER_SMEM);
	tm_ident_feed(ops(), x, p[2], 7, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 14);
	tm_ident_feed(ops(), x, p[2], 7, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 15);
	assert_int_equal(ops()->estimate(x, p[0], p[0]), 15 + 16);
	assert_int_equal(tm_hybridtier_size(x), 40 + 20 + 21);
	ops()->free(x);
}

/* momentum_samples 8, momentum sketch as large as the frequency one (so
 * pick() also separates momentum blocks).  A x5, B x2: 7 samples; the 8th
 * (B: 3) halves momentum (A 2, B 1, size 4); A x4 more reaches 8 again: A
 * (2 + 4) -> 3.  The frequency sketch (W = 10240) does not halve: A 9. */
static void test_momentum_aging(void **state)
{
	struct tm_ident_config c;
	struct tm_hybridtier_config *h = defaults(&c);
	uint32_t p[2];
	void *x;

	(void)state;
	h->momentum_samples = 8;
	h->momentum_ratio = 1;
	x = make(&c, 64);
	pick(x, p, 2);
	feed(x, p[0], 5, TM_TIER_SMEM);
	feed(x, p[1], 2, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_momentum(x, p[0]), 5);
	assert_int_equal(tm_hybridtier_momentum(x, p[1]), 2);
	feed(x, p[1], 1, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_momentum(x, p[0]), 2);
	assert_int_equal(tm_hybridtier_momentum(x, p[1]), 1);
	feed(x, p[0], 3, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_momentum(x, p[0]), 5);
	feed(x, p[0], 1, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_momentum(x, p[0]), 3);
	assert_int_equal(tm_hybridtier_freq(x, p[0]), 9);
	assert_int_equal(tm_hybridtier_freq(x, p[1]), 3);
	ops()->free(x);
}

/* Hot: frequency >= 5 (start threshold) or momentum >= 3.  With momentum
 * off (threshold 16), 4 samples are not hot and the 5th is.  With the
 * defaults, 3 samples make momentum 3: hot while frequency is 3 < 5; 2
 * samples are not. */
static void test_threshold_and_momentum(void **state)
{
	struct tm_ident_config c;
	uint64_t hot[4];
	void *x;

	(void)state;
	defaults(&c)->momentum_threshold = 16;
	x = make(&c, 64);
	assert_int_equal(tm_hybridtier_threshold(x), 5);
	feed(x, 3, 4, TM_TIER_SMEM);
	assert_int_equal(ranked(x, hot, 4), 0);
	feed(x, 3, 1, TM_TIER_SMEM);
	assert_int_equal(ranked(x, hot, 4), 1);
	assert_int_equal(hot[0], 3);
	ops()->free(x);

	defaults(&c);
	x = make(&c, 64);
	feed(x, 9, 2, TM_TIER_SMEM);
	assert_int_equal(ranked(x, hot, 4), 0);
	feed(x, 9, 1, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, 9), 3);
	assert_int_equal(tm_hybridtier_momentum(x, 9), 3);
	assert_int_equal(ranked(x, hot, 4), 1);
	assert_int_equal(hot[0], 9);
	ops()->free(x);
}

/* Frequencies C 12, A 9, B 6, D 1 (momentum off): hot C, A, B by
 * frequency; cap 2 keeps C, A.  D is cold: estimate 1 + 16 (momentum 1);
 * a page never sampled estimates 0. */
static void test_rank_order(void **state)
{
	struct tm_ident_config c;
	uint32_t p[5];
	uint64_t hot[4];
	void *x;

	(void)state;
	defaults(&c)->momentum_threshold = 16;
	x = make(&c, 64);
	pick(x, p, 5);
	feed(x, p[0], 9, TM_TIER_SMEM);
	feed(x, p[1], 6, TM_TIER_FMEM);
	feed(x, p[2], 12, TM_TIER_SMEM);
	feed(x, p[3], 1, TM_TIER_SMEM);
	assert_int_equal(ranked(x, hot, 4), 3);
	assert_int_equal(hot[0], p[2]);
	assert_int_equal(hot[1], p[0]);
	assert_int_equal(hot[2], p[1]);
	assert_int_equal(ranked(x, hot, 2), 2);
	assert_int_equal(hot[0], p[2]);
	assert_int_equal(hot[1], p[0]);
	assert_int_equal(ops()->estimate(x, p[3], p[3]), 17);
	assert_int_equal(ops()->estimate(x, p[4], p[4]), 0);
	ops()->free(x);
}

/* Plateau with batches of 10, checks every 2 (batch % 2 == 1), no warm-up
 * and 0 promotions allowed: 10 samples end batch 1, a plateau; 1 hot page
 * < 80% of 64 lowers the threshold to 4 at epoch_end; 20 more: 3; 20 more
 * at the minimum 3: monitor mode, threshold back to 5 and both sketches
 * halve (A 15 -> 7).  A promotion in the window (moved() to FMEM) is no
 * plateau. */
static void test_plateau(void **state)
{
	struct tm_ident_config c;
	struct tm_hybridtier_config *h = defaults(&c);
	void *x;

	(void)state;
	h->batch_samples = 10;
	h->plateau_batches = 2;
	h->plateau_warmup = 0;
	h->plateau_promotions = 0;
	x = make(&c, 64);
	feed(x, 1, 10, TM_TIER_SMEM);
	ops()->epoch_end(x);
	assert_int_equal(tm_hybridtier_threshold(x), 4);
	feed(x, 1, 20, TM_TIER_SMEM);
	ops()->epoch_end(x);
	assert_int_equal(tm_hybridtier_threshold(x), 3);
	feed(x, 1, 20, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, 1), 15);
	ops()->epoch_end(x);
	assert_int_equal(tm_hybridtier_threshold(x), 5);
	assert_int_equal(tm_hybridtier_freq(x, 1), 7);
	feed(x, 1, 10, TM_TIER_SMEM);    /* batch 6 */
	ops()->moved(x, 1, 1, TM_TIER_FMEM);
	feed(x, 1, 10, TM_TIER_SMEM);    /* batch 7: a check, 1 promotion */
	ops()->epoch_end(x);
	assert_int_equal(tm_hybridtier_threshold(x), 5);
	ops()->free(x);
}

/* Second chance (momentum off, momentum_samples 4 so it drains): A in FMEM
 * with frequency 6; B's 8 samples halve momentum until A's is 0.  The
 * epoch_end at t = 0 queues A (frequency >= 5, momentum 0).  An epoch at
 * 61 s finds A's frequency unchanged: A fails and leaves the hot list
 * (demotable at estimate 6); a new sample of A makes it hot again.  A page
 * at 15 is queued at 14 (decremented) so a later sample shows. */
static void test_second_chance(void **state)
{
	struct tm_ident_config c;
	struct tm_hybridtier_config *h = defaults(&c);
	uint32_t p[3];
	uint64_t hot[4];
	void *x;

	(void)state;
	h->momentum_samples = 4;
	h->momentum_ratio = 1;
	h->momentum_threshold = 16;
	x = make(&c, 64);
	pick(x, p, 3);
	feed(x, p[0], 6, TM_TIER_FMEM);
	feed(x, p[1], 8, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_momentum(x, p[0]), 0);
	ops()->epoch_end(x);
	assert_int_equal(ranked(x, hot, 4), 2);
	feed_at(x, p[1], UINT64_C(61000000000));
	ops()->epoch_end(x);
	assert_int_equal(ranked(x, hot, 4), 1);
	assert_int_equal(hot[0], p[1]);
	assert_int_equal(ops()->estimate(x, p[0], p[0]), 6);
	feed_at(x, p[0], UINT64_C(62000000000));
	assert_int_equal(ranked(x, hot, 4), 2);
	ops()->free(x);

	x = make(&c, 64);
	feed(x, p[2], 20, TM_TIER_FMEM);
	feed(x, p[1], 8, TM_TIER_SMEM);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 15);
	ops()->epoch_end(x);
	assert_int_equal(tm_hybridtier_freq(x, p[2]), 14);
	ops()->free(x);
}

/* The candidate list (1024 pages, the minimum) fills with 1100 pages made
 * hot by momentum; 76 are dropped.  epoch_end keeps the hottest half, so a
 * page made hot later is tracked and ranked. */
static void test_candidates_make_room(void **state)
{
	struct tm_ident_config c;
	static uint64_t hot[2048];
	size_t n;
	bool found = false;
	void *x;

	(void)state;
	defaults(&c);
	x = make(&c, 64);

	for (uint32_t i = 0; i < 1100; i++)
		feed(x, i, 3, TM_TIER_SMEM);
	assert_int_equal(ranked(x, hot, 2048), 1024);
	ops()->epoch_end(x);
	assert_int_equal(ranked(x, hot, 2048), 512);
	feed(x, 5000, 3, TM_TIER_SMEM);
	n = ranked(x, hot, 2048);
	assert_int_equal(n, 513);
	for (size_t i = 0; i < n; i++)
		found |= hot[i] == 5000;
	assert_true(found);
	ops()->free(x);
}

static void test_registry(void **state)
{
	(void)state;
	assert_string_equal(ops()->kind.name, "hybridtier");
	assert_true(ops()->kind.flags & TM_IDENT_SAMPLES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_bounds),
		cmocka_unit_test(test_sizing),
		cmocka_unit_test(test_halving_at_w),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_momentum_aging),
		cmocka_unit_test(test_threshold_and_momentum),
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_plateau),
		cmocka_unit_test(test_second_chance),
		cmocka_unit_test(test_candidates_make_room),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
