/*
 * test_pagemap.c - page map: dense first-touch indexes, lookup, growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/pagemap.h"

/* Indexes are dense and assigned in first-touch order; a second touch
 * returns the same index and does not add. */
static void test_first_touch_order(void **state)
{
	struct tm_pagemap pm;
	static const uint64_t pages[] = { 900, 3, 0, 77, 3, 900, UINT64_MAX - 1 };
	static const uint32_t want[] = { 0, 1, 2, 3, 1, 0, 4 };
	static const int want_added[] = { 1, 1, 1, 1, 0, 0, 1 };

	(void)state;
	tm_pagemap_init(&pm, 0);
	for (unsigned i = 0; i < 7; i++) {
		int added;

		assert_int_equal(tm_pagemap_get(&pm, pages[i], &added), want[i]);
		assert_int_equal(added, want_added[i]);
	}
	assert_int_equal(pm.nr, 5);
	assert_int_equal(tm_pagemap_find(&pm, 77), 3);
	assert_int_equal(tm_pagemap_find(&pm, 78), TM_PAGE_NONE);
	assert_true(tm_pagemap_page(&pm, 4) == UINT64_MAX - 1);
	assert_true(tm_pagemap_check(&pm));
	tm_pagemap_destroy(&pm);
}

/* Random pages through many growths: every page keeps its index. */
static void test_growth(void **state)
{
	struct tm_pagemap pm;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	enum { N = 200000 };
	uint64_t *seen = malloc(N * sizeof(*seen));
	uint32_t nr = 0;

	(void)state;
	gsl_rng_set(r, 7);
	tm_pagemap_init(&pm, 10);
	for (unsigned i = 0; i < N; i++) {
		uint64_t page = gsl_rng_get(r) % 150000;
		int added;
		uint32_t idx = tm_pagemap_get(&pm, page, &added);

		if (added) {
			assert_int_equal(idx, nr);
			seen[nr++] = page;
		} else {
			assert_true(seen[idx] == page);
		}
	}
	assert_int_equal(pm.nr, nr);
	assert_true(tm_pagemap_check(&pm));
	for (uint32_t i = 0; i < nr; i++)
		assert_int_equal(tm_pagemap_find(&pm, seen[i]), i);
	free(seen);
	gsl_rng_free(r);
	tm_pagemap_destroy(&pm);
}

/* Sparse pages (one per region) stop making chunks and go to the fallback
 * table, so memory stays proportional to the pages; a dense region touched
 * afterwards still gets chunks, and every page keeps its index. */
static void test_sparse_fallback(void **state)
{
	struct tm_pagemap pm;
	enum { NR_SPARSE = 100000, NR_DENSE = 50000 };
	int added;

	(void)state;
	tm_pagemap_init(&pm, 0);
	for (uint64_t i = 0; i < NR_SPARSE; i++)
		assert_int_equal(tm_pagemap_get(&pm, (i << 20) + 7, &added), i);
	assert_true(pm.nr_chunks <= TM_PM_FREE_CHUNKS + 1 +
		    NR_SPARSE / TM_PM_MIN_DENSITY);
	assert_true(pm.nr_hashed > NR_SPARSE / 2);
	assert_true(tm_pagemap_memory_bytes(&pm) < 200ull * NR_SPARSE);
	for (uint64_t i = 0; i < NR_DENSE; i++) {  /* one contiguous range */
		uint32_t idx = tm_pagemap_get(&pm, (1ull << 40) + i, &added);

		assert_true(added);
		assert_int_equal(idx, NR_SPARSE + i);
	}
	for (uint64_t i = 0; i < NR_SPARSE; i += 997) {
		assert_int_equal(tm_pagemap_find(&pm, (i << 20) + 7), i);
		assert_int_equal(tm_pagemap_find(&pm, (i << 20) + 8),
				 TM_PAGE_NONE);
		assert_int_equal(tm_pagemap_get(&pm, (i << 20) + 7, &added), i);
		assert_false(added);
	}
	assert_true(tm_pagemap_check(&pm));
	tm_pagemap_destroy(&pm);
}

/* Regions whose chunk numbers differ by a multiple of TM_PM_CACHE share a
 * directory-cache entry and evict each other on every switch; lookups stay
 * right.  (test_sparse_fallback's regions all share one entry too, hashed
 * regions included.) */
static void test_cache_aliasing(void **state)
{
	struct tm_pagemap pm;
	const uint64_t stride = (uint64_t)TM_PM_CACHE << TM_PM_CHUNK_SHIFT;
	uint64_t base[3] = { 0, stride, 5 * stride };
	int added;

	(void)state;
	tm_pagemap_init(&pm, 0);
	for (uint32_t i = 0; i < 3000; i++) {
		uint64_t page = base[i % 3] + i / 3;

		assert_int_equal(tm_pagemap_get(&pm, page, &added), i);
		assert_true(added);
		assert_int_equal(tm_pagemap_find(&pm, page), i);
	}
	for (uint32_t i = 0; i < 3000; i++) {
		uint64_t page = base[i % 3] + i / 3;

		assert_int_equal(tm_pagemap_get(&pm, page, &added), i);
		assert_false(added);
		assert_int_equal(tm_pagemap_find(&pm, page + 1000), TM_PAGE_NONE);
	}
	assert_true(tm_pagemap_check(&pm));
	tm_pagemap_destroy(&pm);
}

/* Page numbers are 32-bit offsets from a base (the first page less 2^31)
 * until a page lies outside [base, base + 2^32), then 64 bits, exactly.
 *   first page 2^40: base 2^40 - 2^31; 2^40 + 2^31 - 1 and 2^40 - 2^31
 *   fit (narrow); 2^40 + 2^31 does not: widened, every number kept.
 *   first page 5: base 0; 2^32 - 1 fits, 2^32 does not. */
static void test_page_numbers(void **state)
{
	static const uint64_t t = UINT64_C(1) << 40, h = UINT64_C(1) << 31;
	static const uint64_t pages[2][4] = {
		{ t, t + h - 1, t - h, t + h },
		{ 5, UINT32_MAX, 6, UINT64_C(1) << 32 },
	};

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct tm_pagemap pm;

		tm_pagemap_init(&pm, 0);
		for (uint32_t i = 0; i < 4; i++) {
			int added;

			assert_int_equal(tm_pagemap_get(&pm, pages[k][i],
							&added), i);
			assert_int_equal(pm.page64 != NULL, i == 3);
			for (uint32_t j = 0; j <= i; j++)
				assert_true(tm_pagemap_page(&pm, j) ==
					    pages[k][j]);
		}
		assert_true(tm_pagemap_check(&pm));
		tm_pagemap_destroy(&pm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_touch_order),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_sparse_fallback),
		cmocka_unit_test(test_cache_aliasing),
		cmocka_unit_test(test_page_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
