/*
 * test_exact.c - the exact identifier: counts, rank order with ties, the
 * window rules (reset, decay, cumulative), and growth of its map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/exact.h"
#include "models/ident/identifier.h"
#include "lib/alloc.h"

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("exact");

	assert_non_null(o);
	return o;
}

/* rank() with its scratch lent, as the engine does. */
static void rank(void *x, struct tm_rank *r)
{
	struct tm_rank_scratch sc = { 0 };

	tm_ident_rank(ops(), x, r, &sc);
	tm_rank_scratch_free(&sc);
}

/* An exact identifier.  Weights are given per sample (the engine passes
 * 1 for every sample of an unweighted identifier). */
static void *make(struct tm_ident_config *c, double window_decay,
		  uint64_t nr_fmem_pages)
{
	struct tm_ident_params p = { .cfg = c, .own = (*c).own.bytes,
				       .nr_fmem_pages = nr_fmem_pages, .seed = 1 };

	tm_ident_config_default(c, "exact");
	tm_exact_cfg(c)->window_decay = window_decay;
	return ops()->new(&p);
}

static void test_counts_weighted(void **state)
{
	struct tm_ident_config c1, c2;
	void *w = make(&c1, 1.0, 16);
	void *u = make(&c2, 1.0, 16);

	(void)state;
	for (uint32_t i = 1; i <= 10; i++) {
		tm_ident_feed(ops(), w, 42, i, TM_TIER_FMEM);
		tm_ident_feed(ops(), u, 42, 1, TM_TIER_SMEM);
	}
	tm_ident_feed(ops(), w, 42, 0, TM_TIER_FMEM);   /* weight 0 does not count */
	tm_ident_feed(ops(), w, 44, 0, TM_TIER_FMEM);
	assert_int_equal(ops()->estimate(w, 42, 42), 55);
	assert_int_equal(ops()->estimate(w, 44, 44), 0);
	assert_int_equal(ops()->estimate(u, 42, 42), 10);
	assert_int_equal(ops()->estimate(w, 43, 43), 0);
	assert_true(ops()->memory_bytes(w) >= 1024 * sizeof(uint64_t));
	ops()->free(w);
	ops()->free(u);
	ops()->free(NULL);
}

/* Counts: page 5:3, 9:3, 2:3, 7:4, 1:1.  Order: 7, then the three pages at
 * 3 by page number (2, 5, 9), then 1; cap 3 cuts after page 5. */
static void test_rank_ties(void **state)
{
	struct tm_ident_config c;
	void *x = make(&c, 1.0, 4);
	static const uint64_t seq[] = { 5, 9, 2, 7, 5, 9, 2, 7, 5, 9, 2, 7, 7, 1 };
	uint64_t hot[8], pro[8], dem[8];
	struct tm_rank r = { .hot = hot, .cap = 3, .nr_hot = 0, .promote = pro,
				.demote = dem, .nr_pairs = 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		tm_ident_feed(ops(), x, seq[i], 1, TM_TIER_FMEM);
	rank(x, &r);
	assert_int_equal(r.nr_hot, 3);
	assert_int_equal(r.nr_pairs, 0);
	assert_int_equal(hot[0], 7);
	assert_int_equal(hot[1], 2);
	assert_int_equal(hot[2], 5);
	r.cap = 8;   /* larger than the preallocated selection heap */
	rank(x, &r);
	assert_int_equal(r.nr_hot, 5);
	static const uint64_t want[] = { 7, 2, 5, 9, 1 };
	for (int i = 0; i < 5; i++)
		assert_int_equal(hot[i], want[i]);
	/* rank does not change counts */
	assert_int_equal(ops()->estimate(x, 7, 7), 4);
	ops()->free(x);
}

static void test_window_rules(void **state)
{
	struct tm_ident_config c;
	void *reset = make(&c, 0.0, 4);
	void *half = make(&c, 0.5, 4);
	void *cum = make(&c, 1.0, 4);
	void *xs[] = { reset, half, cum };
	uint64_t hot[4];
	struct tm_rank r = { .hot = hot, .cap = 4, .nr_hot = 0, .promote = NULL,
				.demote = NULL, .nr_pairs = 0 };

	(void)state;
	for (int k = 0; k < 3; k++) {
		tm_ident_feed(ops(), xs[k], 1, 7, TM_TIER_FMEM);
		tm_ident_feed(ops(), xs[k], 2, 1, TM_TIER_FMEM);
		ops()->epoch_end(xs[k]);
	}
	assert_int_equal(ops()->estimate(reset, 1, 1), 0);
	assert_int_equal(ops()->estimate(half, 1, 1), 3);   /* floor(7 x 0.5) */
	assert_int_equal(ops()->estimate(half, 2, 2), 0);   /* floor(0.5): gone */
	assert_int_equal(ops()->estimate(cum, 1, 1), 7);
	rank(reset, &r);
	assert_int_equal(r.nr_hot, 0);
	rank(half, &r);
	assert_int_equal(r.nr_hot, 1);
	tm_ident_feed(ops(), half, 2, 5, TM_TIER_FMEM);
	rank(half, &r);
	assert_int_equal(r.nr_hot, 2);
	assert_int_equal(hot[0], 2);
	assert_int_equal(hot[1], 1);
	for (int k = 0; k < 3; k++)
		ops()->free(xs[k]);
}

static int cmp_desc(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;   /* {count, page} pairs */

	if (x[0] != y[0])
		return x[0] > y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* 200k samples over 50k pages from a tiny start: the map grows, every count
 * matches a plain array and rank equals a full sort. */
static void test_growth_and_rank(void **state)
{
	enum { PAGES = 50000, CAP = 1000 };
	struct tm_ident_config c;
	void *x = make(&c, 1.0, 0);
	uint64_t *truth = tm_xcalloc(PAGES, sizeof(*truth));
	uint64_t *pairs = tm_xcalloc(2 * PAGES, sizeof(*pairs));
	uint64_t *hot = tm_xcalloc(CAP, sizeof(*hot));
	struct tm_rank r = { .hot = hot, .cap = CAP, .nr_hot = 0, .promote = NULL,
				.demote = NULL, .nr_pairs = 0 };
	uint64_t s = 12345;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t page = (s >> 33) % PAGES;
		uint32_t w = 1 + (uint32_t)((s >> 20) % 3);
		tm_ident_feed(ops(), x, page * 4099 + 17, w, TM_TIER_SMEM);
		truth[page] += w;
	}
	for (uint64_t p = 0; p < PAGES; p++) {
		assert_int_equal(ops()->estimate(x, p * 4099 + 17, p * 4099 + 17), truth[p]);
		pairs[2 * p] = truth[p];
		pairs[2 * p + 1] = p * 4099 + 17;
	}
	qsort(pairs, PAGES, 2 * sizeof(*pairs), cmp_desc);
	rank(x, &r);
	assert_int_equal(r.nr_hot, CAP);
	for (int i = 0; i < CAP; i++)
		assert_int_equal(hot[i], pairs[2 * i + 1]);
	free(truth);
	free(pairs);
	free(hot);
	ops()->free(x);
}

/* rank()'s scratch is lent (tm_ident_rank), one for several identifiers
 * and epochs as the engine's per-thread scratch is: x and y rank through
 * the same scratch, left holding the other's indexes, and still rank by
 * count then index; the scratch grows to what the larger asks
 * (rank_scratch: two 4-byte halves per entry of its array), and
 * memory_bytes counts it as before, lent or not.
 *   x: pages 0..99, page p counted p % 7 + 1 times   (1024 entries)
 *   y: pages 0..2999, page p counted p % 5 + 1 times (4096 entries) */
static void test_rank_scratch_lent(void **state)
{
	struct tm_ident_config cx, cy;
	void *x = make(&cx, 1.0, 4), *y = make(&cy, 1.0, 4);
	struct tm_rank_scratch sc = { 0 };
	uint64_t hot[64];
	struct tm_rank r = { .hot = hot, .cap = 64 };

	(void)state;
	for (uint32_t p = 0; p < 3000; p++) {
		if (p < 100)
			tm_ident_feed(ops(), x, p, p % 7 + 1, TM_TIER_SMEM);
		tm_ident_feed(ops(), y, p, p % 5 + 1, TM_TIER_SMEM);
	}
	for (int k = 0; k < 4; k++) {
		void *id = k % 2 ? y : x;
		uint32_t mod = k % 2 ? 5 : 7, at = 0;

		tm_ident_rank(ops(), id, &r, &sc);
		assert_int_equal(r.nr_hot, 64);
		assert_null(r.scratch);
		for (uint32_t c = mod; c >= 1 && at < 64; c--)   /* by count */
			for (uint32_t p = 0; p < (k % 2 ? 3000u : 100u) &&
			     at < 64; p++)                       /* then index */
				if (p % mod + 1 == c)
					assert_int_equal(hot[at++], p);
	}
	assert_int_equal(sc.sz, 2 * 4096 * sizeof(uint32_t));
	assert_int_equal(ops()->memory_bytes(y) - ops()->memory_bytes(x),
			 3072 * (sizeof(uint64_t) + 2 * sizeof(uint32_t)));
	tm_rank_scratch_free(&sc);
	ops()->free(x);
	ops()->free(y);
}

/* Decay in place over many epochs, with indexes that make the array grow
 * once: after every epoch, each page's estimate is floor(previous x 0.75)
 * plus its new samples, as a separate array computes it, pages never seen
 * read 0, and memory_bytes shows that decaying never reallocates. */
static void test_decay_in_place(void **state)
{
	enum { PAGES = 1400, EPOCHS = 30 };
	struct tm_ident_config c;
	void *x = make(&c, 0.75, 256);   /* 1024 entries, then 2048 */
	uint64_t *truth = tm_xcalloc(PAGES, sizeof(*truth));
	size_t mem = 0;
	uint64_t s = 99;

	(void)state;
	for (int e = 0; e < EPOCHS; e++) {
		for (int i = 0; i < 3000; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t page = (s >> 33) % (e % 2 ? PAGES : 700);
			uint32_t w = 1 + (uint32_t)((s >> 20) % 4);

			tm_ident_feed(ops(), x, page, w, TM_TIER_SMEM);
			truth[page] += w;
		}
		if (e == 1)   /* the array has grown for all PAGES */
			mem = ops()->memory_bytes(x);
		ops()->epoch_end(x);
		for (uint64_t p = 0; p < PAGES; p++) {
			truth[p] = (uint64_t)((double)truth[p] * 0.75);
			assert_int_equal(ops()->estimate(x, p, p), truth[p]);
		}
		assert_int_equal(ops()->estimate(x, PAGES + 5, 0), 0);   /* never seen */
	}
	assert_int_equal(ops()->memory_bytes(x), mem);
	free(truth);
	ops()->free(x);
}

static void test_registry(void **state)
{
	(void)state;
	assert_non_null(tm_identifier_find("sdh"));
	assert_string_equal(tm_identifier_find("sdh")->kind.name, "sdh");
	assert_null(tm_identifier_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_weighted),
		cmocka_unit_test(test_rank_ties),
		cmocka_unit_test(test_window_rules),
		cmocka_unit_test(test_growth_and_rank),
		cmocka_unit_test(test_rank_scratch_lent),
		cmocka_unit_test(test_decay_in_place),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
