/*
 * test_alloc.c - lib/alloc.h: the cache-line allocation a blocked sketch
 * relies on (a 64-byte block must sit in one line), the allocation
 * counter the hot-path tests read, and tm_xgrow_zeroed (old contents kept,
 * the rest zero, for growth and shrink).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/alloc.h"

/* Sizes malloc serves from the heap and from mmap (>= 128 KiB), and sizes
 * that are not a multiple of a line: every block is line-aligned, zeroed
 * to its end, and counted. */
static void test_lines(void **state)
{
	static const size_t sizes[][2] = {
		{ 1, 1 }, { 3, 8 }, { 8, 8 }, { 100, 7 }, { 32768, 8 },
		{ 262144, 8 }, { 1, 200000 }, { 0, 8 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i][0] * sizes[i][1];
		unsigned long before = tm_alloc_count();
		unsigned char *p = tm_xcalloc_lines(sizes[i][0], sizes[i][1]);

		assert_int_equal((uintptr_t)p % TM_CACHE_LINE, 0);
		assert_int_equal(tm_alloc_count(), before + 1);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xa5, n);   /* all of it is ours (ASan checks) */
		free(p);
	}
}

static void test_grow_zeroed(void **state)
{
	static const size_t steps[][2] = {   /* old, new (objects) */
		{ 0, 5 }, { 5, 5 }, { 5, 40000 }, { 40000, 100000 },
		{ 100000, 7 }, { 7, 0 },
	};
	uint32_t *p = NULL;

	(void)state;
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		size_t old = steps[s][0], nr = steps[s][1];

		p = tm_xgrow_zeroed(p, old, nr, sizeof(*p));
		for (size_t k = 0; k < nr; k++)   /* kept, then zero */
			assert_int_equal(p[k], k < old ? (uint32_t)k * 3 + 1 : 0);
		for (size_t k = 0; k < nr; k++)
			p[k] = (uint32_t)k * 3 + 1;
	}
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_grow_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
