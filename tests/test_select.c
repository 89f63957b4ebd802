/*
 * test_select.c - lib/select.h against an exact twin: qsort's first k.
 *
 * Items are indexes into an array of counts, ordered count descending,
 * index ascending (truth's order), so the k first are one set.  A table of
 * cases varies n, k, the count range (1: all tie) and the input pattern
 * (random, ascending, descending, organ pipe); for each, top must keep
 * exactly qsort's first k, top_sorted and offer + offered_sort must equal
 * them in order, and the heap fallback of the introselect must agree too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hash.h"
#include "lib/select.h"

static inline bool hotter(const uint64_t *cnt, const uint32_t *a,
			  const uint32_t *b)
{
	return cnt[*a] > cnt[*b] || (cnt[*a] == cnt[*b] && *a < *b);
}

TM_SELECT_DEFINE(hot, uint32_t, const uint64_t *, hotter)

/* An order that needs no context (the items carry their keys): pins that
 * every generated function compiles when before() ignores ctx. */
#define LARGER(ctx, a, b) (*(a) > *(b))
TM_SELECT_DEFINE(larger, uint64_t, const void *, LARGER)

static const uint64_t *g_cnt;

static int cmp_hot(const void *a, const void *b)
{
	return hotter(g_cnt, a, b) ? -1 : hotter(g_cnt, b, a) ? 1 : 0;
}

enum pattern { RANDOM, ASCENDING, DESCENDING, ORGAN };

struct select_case {
	size_t n, k;
	uint64_t range;
	enum pattern pat;
};

static const struct select_case cases[] = {
	{ 1, 0, 5, RANDOM }, { 1, 1, 5, RANDOM }, { 2, 1, 5, RANDOM },
	{ 10, 4, 1, RANDOM }, { 10, 9, 3, RANDOM }, { 10, 10, 3, RANDOM },
	{ 10, 20, 3, RANDOM }, { 100, 1, 1000, RANDOM },
	{ 1000, 250, 3, RANDOM }, { 1000, 500, 1000000, RANDOM },
	{ 1000, 999, 50, RANDOM }, { 5000, 1234, 0, ASCENDING },
	{ 5000, 1234, 0, DESCENDING }, { 5001, 2500, 0, ORGAN },
	{ 30000, 7000, 1, RANDOM }, { 30000, 3, 100, RANDOM },
};

static uint64_t *counts(const struct select_case *c, uint64_t seed)
{
	uint64_t *cnt = malloc(c->n * sizeof(*cnt)), s = seed;

	for (size_t i = 0; i < c->n; i++) {
		switch (c->pat) {
		case RANDOM:
			cnt[i] = tm_splitmix64(&s) % c->range;
			break;
		case ASCENDING:
			cnt[i] = i;
			break;
		case DESCENDING:
			cnt[i] = c->n - i;
			break;
		case ORGAN:
			cnt[i] = i < c->n / 2 ? i : c->n - i;
			break;
		}
	}
	return cnt;
}

static uint32_t *iota(size_t n)
{
	uint32_t *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)i;
	return v;
}

/* v[0..k) holds exactly want[0..k) as a set. */
static void assert_same_set(const uint32_t *v, const uint32_t *want,
			    size_t n, size_t k)
{
	uint8_t *in = calloc(n, 1);

	for (size_t i = 0; i < k; i++)
		in[v[i]]++;
	for (size_t i = 0; i < k; i++)
		assert_int_equal(in[want[i]], 1);
	free(in);
}

static void check_case(const struct select_case *c, uint64_t seed)
{
	uint64_t *cnt = counts(c, seed);
	uint32_t *want = iota(c->n), *v = iota(c->n), *kept = iota(c->n);
	size_t k = c->k < c->n ? c->k : c->n, nr = 0;

	g_cnt = cnt;
	qsort(want, c->n, sizeof(*want), cmp_hot);
	hot_top(cnt, v, c->n, c->k);
	assert_same_set(v, want, c->n, k);
	memcpy(v, kept, c->n * sizeof(*v));
	hot_top_sorted(cnt, v, c->n, c->k);
	assert_memory_equal(v, want, k * sizeof(*v));
	for (size_t i = 0; i < c->n; i++)
		hot_offer(cnt, v, &nr, c->k, kept[i]);
	assert_int_equal(nr, k);
	hot_offered_sort(cnt, v, nr);
	assert_memory_equal(v, want, k * sizeof(*v));
	if (k > 0) {   /* the introselect's fallback, alone */
		memcpy(v, kept, c->n * sizeof(*v));
		hot_heap_select_(cnt, v, c->n, k);
		assert_same_set(v, want, c->n, k);
	}
	free(cnt);
	free(want);
	free(v);
	free(kept);
}

static void test_against_qsort(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++)
		for (uint64_t seed = 1; seed <= 5; seed++)
			check_case(&cases[t], seed * 1000 + t);
}

/* The output does not depend on the input order: a shuffled input gives
 * the same k first. */
static void test_order_independent(void **state)
{
	const size_t n = 2000, k = 300;
	uint64_t *cnt = malloc(n * sizeof(*cnt)), s = 42;
	uint32_t *a = iota(n), *b = iota(n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		cnt[i] = tm_splitmix64(&s) % 7;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = tm_splitmix64(&s) % (i + 1);
		uint32_t t = b[i];

		b[i] = b[j];
		b[j] = t;
	}
	hot_top_sorted(cnt, a, n, k);
	hot_top_sorted(cnt, b, n, k);
	assert_memory_equal(a, b, k * sizeof(*a));
	free(cnt);
	free(a);
	free(b);
}

static void test_no_context(void **state)
{
	uint64_t v[8] = { 4, 9, 1, 7, 3, 8, 2, 6 };
	const uint64_t want[3] = { 9, 8, 7 };

	(void)state;
	larger_top_sorted(NULL, v, 8, 3);
	assert_memory_equal(v, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_qsort),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_no_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
