/*
 * test_heap.c - lib/heap.h against an exact twin: qsort of the same items.
 *
 * Items are (value, id) pairs ordered by value, ties by id, so the order is
 * total and every pop sequence and every heapsort must equal qsort's order
 * exactly.  A table of cases varies the size and the value range (a range
 * of 1 makes every value tie); each case runs on a min-heap, a max-heap, and
 * a heap whose set hook records every element's slot (as topk's reverse
 * index does), checked after every operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/hash.h"
#include "lib/heap.h"

struct item {
	uint64_t value;
	uint32_t id;
};

/* min-heap: the smaller (value, id) on top */
#define MIN_ABOVE(ctx, a, b) ((a)->value < (b)->value || \
	((a)->value == (b)->value && (a)->id < (b)->id))
#define MAX_ABOVE(ctx, a, b) MIN_ABOVE(ctx, b, a)

TM_HEAP_DEFINE(minh, struct item, const void *, MIN_ABOVE, TM_HEAP_SET)
TM_HEAP_DEFINE(maxh, struct item, const void *, MAX_ABOVE, TM_HEAP_SET)

/* A heap that records where each id sits, through its set hook, with
 * 32-bit indexes (as topk's). */
#define POS_SET(pos, v, i, x) ((v)[i] = (x), (pos)[(x).id] = (i))
TM_HEAP_DEFINE_IDX(posh, struct item, uint32_t, uint32_t *, MIN_ABOVE, POS_SET)

static int cmp_min(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	return MIN_ABOVE(0, a, b) ? -1 : MIN_ABOVE(0, b, a) ? 1 : 0;
}

static int cmp_max(const void *pa, const void *pb)
{
	return cmp_min(pb, pa);
}

struct heap_case {
	size_t n;
	uint64_t range;     /* values in [0, range) */
	uint64_t seed;
};

static const struct heap_case cases[] = {
	{ 1, 10, 1 }, { 2, 10, 2 }, { 3, 1, 3 }, { 7, 3, 4 },
	{ 64, 1, 5 }, { 100, 5, 6 }, { 1000, 1000000, 7 },
	{ 4097, 40, 8 }, { 20000, UINT64_MAX, 9 },
};

static struct item *random_items(const struct heap_case *c)
{
	struct item *v = malloc(c->n * sizeof(*v));
	uint64_t s = c->seed;

	for (size_t i = 0; i < c->n; i++) {
		uint64_t r = tm_splitmix64(&s);

		v[i].value = c->range == UINT64_MAX ? r : r % c->range;
		v[i].id = (uint32_t)i;
	}
	return v;
}

static void assert_same(const struct item *a, const struct item *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].value, b[i].value);
		assert_int_equal(a[i].id, b[i].id);
	}
}

/* push all, pop all == qsort; heapsort == reversed qsort. */
static void test_push_pop_sort(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		const struct heap_case *c = &cases[t];
		struct item *in = random_items(c), *want = random_items(c);
		struct item *h = malloc(c->n * sizeof(*h)), *out = malloc(c->n * sizeof(*out));
		size_t nr = 0;

		qsort(want, c->n, sizeof(*want), cmp_min);
		for (size_t i = 0; i < c->n; i++)
			minh_push(NULL, h, &nr, in[i]);
		assert_true(minh_check(NULL, h, nr));
		for (size_t i = 0; i < c->n; i++)
			minh_pop(NULL, h, &nr, &out[i]);
		assert_int_equal(nr, 0);
		assert_same(out, want, c->n);
		/* min-heap sort: the last popped first, so descending */
		for (size_t i = 0; i < c->n; i++)
			out[i] = in[i];
		minh_sort(NULL, out, c->n);
		qsort(want, c->n, sizeof(*want), cmp_max);
		assert_same(out, want, c->n);
		maxh_sort(NULL, in, c->n);
		qsort(want, c->n, sizeof(*want), cmp_min);
		assert_same(in, want, c->n);
		free(in);
		free(want);
		free(h);
		free(out);
	}
}

/* A bounded max-heap of the k smallest via replace_top, and random value
 * changes via fix, checked against qsort and heap order. */
static void test_replace_fix(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		const struct heap_case *c = &cases[t];
		struct item *in = random_items(c), *want = random_items(c);
		size_t k = c->n / 3 + 1, nr = 0;
		struct item *h = malloc(k * sizeof(*h));
		uint64_t s = c->seed ^ 77;

		for (size_t i = 0; i < c->n; i++) {
			if (nr < k)
				maxh_push(NULL, h, &nr, in[i]);
			else if (MIN_ABOVE(0, &in[i], &h[0]))
				maxh_replace_top(NULL, h, nr, in[i]);
		}
		maxh_sort_heap(NULL, h, nr);
		qsort(want, c->n, sizeof(*want), cmp_min);
		assert_same(h, want, nr);
		maxh_heapify(NULL, in, c->n);
		for (size_t r = 0; r < 200 && c->range != UINT64_MAX; r++) {
			size_t i = tm_splitmix64(&s) % c->n;

			in[i].value = tm_splitmix64(&s) % (c->range + 2);
			maxh_fix(NULL, in, c->n, i);
			assert_true(maxh_check(NULL, in, c->n));
		}
		free(in);
		free(want);
		free(h);
	}
}

/* The set hook sees every move: pos[id] is the id's slot at all times. */
static void test_set_hook(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		const struct heap_case *c = &cases[t];
		struct item *in = random_items(c), *h = malloc(c->n * sizeof(*h)), x;
		uint32_t *pos = malloc(c->n * sizeof(*pos)), nr = 0;

		for (size_t i = 0; i < c->n; i++) {
			posh_push(pos, h, &nr, in[i]);
			if (i % 3 == 2)
				posh_pop(pos, h, &nr, &x);
			for (uint32_t j = 0; j < nr; j++)
				assert_int_equal(pos[h[j].id], j);
		}
		assert_true(posh_check(pos, h, nr));
		free(in);
		free(h);
		free(pos);
	}
}

/* check() rejects a broken heap. */
static void test_check_fails(void **state)
{
	struct item v[3] = { { 5, 0 }, { 1, 1 }, { 7, 2 } };

	(void)state;
	assert_false(minh_check(NULL, v, 3));
	minh_heapify(NULL, v, 3);
	assert_true(minh_check(NULL, v, 3));
	assert_int_equal(v[0].value, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pop_sort),
		cmocka_unit_test(test_replace_fix),
		cmocka_unit_test(test_set_hook),
		cmocka_unit_test(test_check_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
