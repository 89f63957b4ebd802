/*
 * test_truth.c - the true top-C selection equals a full sort's first C
 * (count descending, index ascending), including heavy ties and zeros.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "models/truth.h"

static const uint64_t *g_cnt;

static int cmp_hot(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (g_cnt[x] != g_cnt[y])
		return g_cnt[x] > g_cnt[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void check_case(gsl_rng *r, uint32_t nr, uint64_t c, unsigned range)
{
	uint64_t *cnt = malloc(nr * sizeof(*cnt));
	uint32_t *all = malloc(nr * sizeof(*all));
	uint8_t *in = calloc(nr, 1);
	struct tm_truth_sel sel = { 0 };
	size_t n = 0, got;

	for (uint32_t i = 0; i < nr; i++) {
		cnt[i] = gsl_rng_uniform_int(r, range);
		if (cnt[i])
			all[n++] = i;
	}
	g_cnt = cnt;
	qsort(all, n, sizeof(*all), cmp_hot);
	got = tm_truth_top(&sel, cnt, nr, c);
	assert_int_equal(got, n < c ? n : c);
	for (size_t i = 0; i < got; i++)
		in[sel.idx[i]] = 1;
	for (size_t i = 0; i < got; i++)
		assert_true(in[all[i]]);
	tm_truth_sel_free(&sel);
	free(cnt);
	free(all);
	free(in);
}

static void test_against_sort(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	(void)state;
	gsl_rng_set(r, 99);
	for (unsigned t = 0; t < 300; t++) {
		uint32_t nr = 1 + (uint32_t)gsl_rng_uniform_int(r, 3000);
		uint64_t c = gsl_rng_uniform_int(r, nr + 10);
		unsigned range = t % 3 == 0 ? 3 : t % 3 == 1 ? 50 : 1000000;

		check_case(r, nr, c, range);
	}
	gsl_rng_free(r);
}

/* All counts equal: ties go to the lowest indexes. */
static void test_ties_low_index(void **state)
{
	uint64_t cnt[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	struct tm_truth_sel sel = { 0 };
	uint8_t in[10] = { 0 };

	(void)state;
	assert_int_equal(tm_truth_top(&sel, cnt, 10, 4), 4);
	for (int i = 0; i < 4; i++)
		in[sel.idx[i]] = 1;
	for (int i = 0; i < 10; i++)
		assert_int_equal(in[i], i < 4);
	assert_int_equal(tm_truth_top(&sel, cnt, 10, 0), 0);
	tm_truth_sel_free(&sel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_sort),
		cmocka_unit_test(test_ties_low_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
