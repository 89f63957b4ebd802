/*
 * test_topk.c - the indexable heap against a naive array model.
 *
 * Random operations (10^5 per configuration) run on the heap and on an
 * unsorted array holding the same (key, value) pairs; every answer must
 * agree, and after every batch tm_topk_check() must hold and the contents
 * must be equal.  Keys come from a small range and values from a tiny one,
 * so hits, misses and ties are all frequent.  With ties by key the top is
 * one exact entry; with TM_TOPK_TIES_ANY it must hold the extreme value and
 * be present in the model, and the model follows the heap's choice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "models/ident/topk.h"
#include "models/ident/topk_internal.h"
#include "lib/alloc.h"

struct model {
	struct tm_topk_entry *e;
	uint32_t nr, cap;
	enum tm_topk_order order;
	enum tm_topk_ties ties;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t model_find(const struct model *m, uint64_t key)
{
	for (uint32_t i = 0; i < m->nr; i++)
		if (m->e[i].key == key)
			return i;
	return -1;
}

/* Index of the entry that must be on top, or -1. */
static int64_t model_top(const struct model *m)
{
	int64_t best = -1;

	for (uint32_t i = 0; i < m->nr; i++) {
		if (best < 0) {
			best = i;
			continue;
		}
		bool hot = tm_topk_hotter(&m->e[i], &m->e[best]);
		if (m->order == TM_TOPK_MAX ? hot : !hot)
			best = i;
	}
	return best;
}

/* The heap's top against the model's (index t): the same entry with ties
 * by key, an entry of the same value with TM_TOPK_TIES_ANY.  Returns the
 * model index of the heap's top. */
static int64_t model_agree_top(const struct model *m, int64_t t,
			       const struct tm_topk_entry *top)
{
	int64_t j;

	if (m->ties == TM_TOPK_TIES_KEY) {
		assert_int_equal(top->key, m->e[t].key);
		return t;
	}
	j = model_find(m, top->key);
	assert_true(j >= 0);
	assert_int_equal(m->e[j].value, m->e[t].value);
	return j;
}

static void model_del(struct model *m, int64_t i)
{
	m->e[i] = m->e[--m->nr];
}

static int cmp_entry(const void *a, const void *b)
{
	const struct tm_topk_entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

static void check_same(struct tm_topk *h, struct model *m,
		       struct tm_topk_entry *buf)
{
	assert_true(tm_topk_check(h));
	assert_int_equal(tm_topk_size(h), m->nr);
	assert_true(tm_topk_size(h) <= tm_topk_cap(h));
	assert_int_equal(tm_topk_copy(h, buf), m->nr);
	qsort(buf, m->nr, sizeof(*buf), cmp_entry);
	qsort(m->e, m->nr, sizeof(*m->e), cmp_entry);
	for (uint32_t i = 0; i < m->nr; i++) {
		assert_int_equal(buf[i].key, m->e[i].key);
		assert_int_equal(buf[i].value, m->e[i].value);
		/* reverse index: every key maps to the slot holding it */
		uint32_t s = tm_topk_find(h, m->e[i].key);
		assert_true(s < tm_topk_size(h));
		assert_int_equal(tm_topk_at(h, s).key, m->e[i].key);
	}
}

/* One random operation applied to both; answers must agree. */
static void step(struct tm_topk *h, struct model *m, uint64_t *rng,
		 uint64_t key_range)
{
	uint64_t r = rng_next(rng);
	uint64_t key = rng_next(rng) % key_range;
	uint64_t val = rng_next(rng) % 16;
	int64_t i = model_find(m, key);
	struct tm_topk_entry top;
	uint64_t got;

	switch (r % 9) {
	case 0:
	case 1: {
		bool ok = i < 0 && m->nr < m->cap;
		assert_int_equal(tm_topk_push(h, key, val), ok);
		if (ok)
			m->e[m->nr++] = (struct tm_topk_entry){ key, val };
		break;
	}
	case 2:
		/* half through the inline fast path (leaf, away from top) */
		if ((r / 9) % 2 && i >= 0)
			tm_topk_set_at(h, tm_topk_find(h, key), val);
		else
			assert_int_equal(tm_topk_update(h, key, val), i >= 0);
		if (i >= 0)
			m->e[i].value = val;
		break;
	case 3:
		assert_int_equal(tm_topk_increase(h, key, val), i >= 0);
		if (i >= 0)
			m->e[i].value += val;
		break;
	case 4:
		assert_int_equal(tm_topk_decrease(h, key, val), i >= 0);
		if (i >= 0)
			m->e[i].value = m->e[i].value < val ? 0 : m->e[i].value - val;
		break;
	case 5:
		assert_int_equal(tm_topk_remove(h, key), i >= 0);
		if (i >= 0)
			model_del(m, i);
		break;
	case 6: {
		int64_t t = model_top(m);
		assert_int_equal(tm_topk_pop(h, &top), t >= 0);
		if (t >= 0) {
			t = model_agree_top(m, t, &top);
			assert_int_equal(top.value, m->e[t].value);
			model_del(m, t);
		}
		break;
	}
	case 7: {
		int64_t t = model_top(m);
		assert_int_equal(tm_topk_top(h, &top), t >= 0);
		if (t >= 0 && i < 0) {
			t = model_agree_top(m, t, &top);
			tm_topk_replace_top(h, key, val);
			m->e[t] = (struct tm_topk_entry){ key, val };
		}
		break;
	}
	default:
		assert_int_equal(tm_topk_contains(h, key), i >= 0);
		assert_int_equal(tm_topk_get(h, key, &got), i >= 0);
		if (i >= 0)
			assert_int_equal(got, m->e[i].value);
		break;
	}
}

static void run_random(enum tm_topk_order order, enum tm_topk_ties ties,
		       uint32_t cap, uint64_t seed)
{
	struct tm_topk *h = tm_topk_new(cap, order);
	struct model m = { tm_xcalloc(cap, sizeof(*m.e)), 0, cap, order, ties };
	struct tm_topk_entry *buf = tm_xcalloc(cap, sizeof(*buf));
	uint64_t rng = seed;
	/* keys: twice the capacity, offset so 0 and huge keys both occur */
	uint64_t range = 2 * (uint64_t)cap + 3;

	tm_topk_set_ties(h, ties);

	for (int op = 0; op < 100000; op++) {
		step(h, &m, &rng, range);
		if (op % 97 == 0)
			check_same(h, &m, buf);
	}
	check_same(h, &m, buf);
	free(m.e);
	free(buf);
	tm_topk_free(h);
}

static void test_random_min(void **state)
{
	static const uint32_t caps[] = { 1, 2, 7, 64, 1000 };

	(void)state;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		run_random(TM_TOPK_MIN, TM_TOPK_TIES_KEY, caps[i], 1000 + i);
		run_random(TM_TOPK_MIN, TM_TOPK_TIES_ANY, caps[i], 3000 + i);
	}
}

static void test_random_max(void **state)
{
	static const uint32_t caps[] = { 1, 3, 8, 100, 1000 };

	(void)state;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		run_random(TM_TOPK_MAX, TM_TOPK_TIES_KEY, caps[i], 2000 + i);
		run_random(TM_TOPK_MAX, TM_TOPK_TIES_ANY, caps[i], 4000 + i);
	}
}

/* Pops come out in exact hotness order (ties by key), and full heaps refuse
 * pushes; extreme keys work (no reserved key values). */
static void test_order_and_capacity(void **state)
{
	struct tm_topk *h = tm_topk_new(4, TM_TOPK_MIN);
	struct tm_topk_entry e;

	(void)state;
	assert_true(tm_topk_push(h, UINT64_MAX, 5));
	assert_true(tm_topk_push(h, 0, 5));
	assert_true(tm_topk_push(h, 7, 1));
	assert_true(tm_topk_push(h, 9, 9));
	assert_false(tm_topk_push(h, 11, 0));   /* full */
	assert_false(tm_topk_push(h, 7, 3));    /* present */
	assert_true(tm_topk_full(h));
	/* coldest first: (1,7), then value 5 with the larger key first */
	static const uint64_t keys[] = { 7, UINT64_MAX, 0, 9 };
	for (unsigned i = 0; i < 4; i++) {
		assert_true(tm_topk_pop(h, &e));
		assert_int_equal(e.key, keys[i]);
	}
	assert_false(tm_topk_pop(h, &e));
	assert_true(tm_topk_check(h));
	tm_topk_free(h);
	tm_topk_free(NULL);
}

/* TM_TOPK_TIES_ANY: a newcomer replacing the top with the same value stays
 * on top (no sift), so the next replacement takes it again. */
static void test_ties_any_replace_stays(void **state)
{
	struct tm_topk *h = tm_topk_new(8, TM_TOPK_MIN);
	struct tm_topk_entry e;

	(void)state;
	tm_topk_set_ties(h, TM_TOPK_TIES_ANY);
	for (uint64_t k = 0; k < 8; k++)
		assert_true(tm_topk_push(h, 100 + k, 1));
	for (uint64_t k = 0; k < 50; k++) {
		tm_topk_replace_top(h, k, 1);
		assert_true(tm_topk_top(h, &e));
		assert_int_equal(e.key, k);
		assert_int_equal(tm_topk_find(h, k), 0);
		assert_true(tm_topk_check(h));
	}
	/* the seven entries never on top survived every replacement */
	for (uint64_t k = 101; k < 108; k++)
		assert_true(tm_topk_contains(h, k));
	tm_topk_free(h);
}

static void test_sort_hottest(void **state)
{
	enum { N = 5000 };
	struct tm_topk_entry *e = tm_xcalloc(N, sizeof(*e));
	uint64_t rng = 42;

	(void)state;
	for (int i = 0; i < N; i++)
		e[i] = (struct tm_topk_entry){ rng_next(&rng) % 1000,
					       rng_next(&rng) % 10 };
	tm_topk_sort_hottest(e, N);
	for (int i = 1; i < N; i++)
		assert_false(tm_topk_hotter(&e[i], &e[i - 1]));
	free(e);
}

/* No operation allocates after _new. */
static void test_no_alloc(void **state)
{
	struct tm_topk *h = tm_topk_new(1000, TM_TOPK_MAX);
	struct model m = { tm_xcalloc(1000, sizeof(*m.e)), 0, 1000, TM_TOPK_MAX,
			   TM_TOPK_TIES_KEY };
	uint64_t rng = 7;
	unsigned long before = tm_alloc_count();

	(void)state;
	for (int op = 0; op < 20000; op++)
		step(h, &m, &rng, 2003);
	assert_int_equal(tm_alloc_count(), before);
	free(m.e);
	tm_topk_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_min),
		cmocka_unit_test(test_random_max),
		cmocka_unit_test(test_order_and_capacity),
		cmocka_unit_test(test_ties_any_replace_stays),
		cmocka_unit_test(test_sort_hottest),
		cmocka_unit_test(test_no_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
