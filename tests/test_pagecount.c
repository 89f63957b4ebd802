/*
 * test_pagecount.c - the per-page counters of `tmsim inspect`
 * (traces/pagecount.c) against an exact twin: a sorted list of every
 * (page, store) counted.  Pages near the first one (the dense array), far
 * from it (regions through the hash table), with and without split store
 * counters, and counters that wrap past 2^32 - 1 (spill).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "traces/pagecount.h"

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct seen {
	uint64_t page, nl, ns;
};

struct visit {
	struct seen *v;
	size_t n, cap;
	uint64_t last_page;
};

static void on_page(void *arg, uint64_t page, uint64_t nl, uint64_t ns)
{
	struct visit *v = arg;

	assert_true(nl || ns);
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 256;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n++] = (struct seen){ page, nl, ns };
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->page < y->page ? -1 : x->page > y->page;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Count nr pages (page << 1 | store, drawn by `draw`) in pc and in a list;
 * the visit must give exactly the list's counts. */
static void check_against_twin(bool split, uint64_t (*draw)(uint64_t i),
			       size_t nr)
{
	struct tm_pagecount pc;
	struct visit v = { 0 };
	uint64_t *keys = malloc(nr * sizeof(*keys)), lo = UINT64_MAX, hi = 0;
	size_t i, k = 0;

	tm_pagecount_init(&pc, split);
	for (i = 0; i < nr; i++) {
		uint64_t key = draw(i), page = key >> 1;
		bool store = split && (key & 1);
		uint32_t *c = tm_pagecount_at(&pc, page, store);

		if (++*c == 0)
			tm_pagecount_spill(&pc, c);
		keys[i] = page << 1 | store;
		lo = page < lo ? page : lo;
		hi = page > hi ? page : hi;
	}
	tm_pagecount_visit(&pc, lo, hi, on_page, &v);
	qsort(keys, nr, sizeof(*keys), cmp_u64);
	qsort(v.v, v.n, sizeof(*v.v), cmp_seen);
	for (i = 0; i < v.n; i++) {
		uint64_t nl = 0, ns = 0;

		while (k < nr && keys[k] >> 1 == v.v[i].page)
			*(keys[k++] & 1 ? &ns : &nl) += 1;
		if (nl != v.v[i].nl || ns != v.v[i].ns)
			fail_msg("page %#llx: %llu/%llu, want %llu/%llu",
				 (unsigned long long)v.v[i].page,
				 (unsigned long long)v.v[i].nl,
				 (unsigned long long)v.v[i].ns,
				 (unsigned long long)nl, (unsigned long long)ns);
		if (i)
			assert_true(v.v[i].page > v.v[i - 1].page);
	}
	assert_int_equal(k, nr); /* every page counted was visited */
	tm_pagecount_destroy(&pc);
	free(v.v);
	free(keys);
}

/* Zipf-like: a 1 GiB footprint at 0x7f0000000000, hot low pages. */
static uint64_t draw_dense(uint64_t i)
{
	uint64_t h = mix64(i), page = (0x7f0000000000ull >> 12) + (h % 262144) /
				      (1 + (h >> 60));

	return page << 1 | (h >> 20 & 1);
}

/*
 * Sparse: three clusters far apart, as a process's code, heap and stack,
 * and the kernel:
 *   0x400000 ....  0x55d000000000 ....  0x7ffd00000000 .... 0xffffffff80000000
 * the first page lands in the dense array, most others in regions.
 */
static uint64_t draw_sparse(uint64_t i)
{
	static const uint64_t base[4] = { 0x400000ull, 0x55d000000000ull,
					  0x7ffd00000000ull, 0xffffffff80000000ull };
	uint64_t h = mix64(i + 77);
	uint64_t page = (base[h % 4] >> 12) + (h >> 8) % 5000;

	return page << 1 | (h >> 40 & 1);
}

/*
 * The edges of the dense array, placed on the first page P (block-aligned
 * here): its first and last pages, the pages just outside, and a highest
 * page that starts a 64-page block (the scan must include that block).
 *
 *   base-1 | base ...... P ...... P+128 ...... base+2^22-1 | base+2^22
 */
#define EDGE_P 0x7f0000000ull
#define EDGE_BASE (EDGE_P - TM_PAGECOUNT_DENSE_PAGES / 2)
static const uint64_t edge_pages[2][6] = {
	{ EDGE_P, EDGE_BASE, EDGE_BASE + TM_PAGECOUNT_DENSE_PAGES - 1,
	  EDGE_BASE + TM_PAGECOUNT_DENSE_PAGES, EDGE_BASE - 1, EDGE_P + 128 },
	{ EDGE_P, EDGE_P + 1, EDGE_P + 64, EDGE_P + 128, EDGE_P + 128, EDGE_P + 2 },
};
static int edge_set;

static uint64_t draw_edge(uint64_t i)
{
	return edge_pages[edge_set][i % 6] << 1 | (i / 6 & 1);
}

static void test_edges(void **state)
{
	(void)state;
	for (edge_set = 0; edge_set < 2; edge_set++) {
		check_against_twin(false, draw_edge, 60);
		check_against_twin(true, draw_edge, 60);
	}
}

static void test_dense(void **state)
{
	(void)state;
	check_against_twin(false, draw_dense, 300000);
	check_against_twin(true, draw_dense, 300000);
}

static void test_sparse(void **state)
{
	(void)state;
	check_against_twin(false, draw_sparse, 200000);
	check_against_twin(true, draw_sparse, 200000);
}

/* A counter that wraps adds 2^32 through the spill table, in the dense
 * array and in a region, for loads and split stores. */
static void test_spill(void **state)
{
	static const uint64_t pages[3] = { 0x1000, 0x1001, 0x1000 + (1ull << 30) };
	struct tm_pagecount pc;
	struct visit v = { 0 };

	(void)state;
	tm_pagecount_init(&pc, true);
	for (int k = 0; k < 3; k++) {
		for (int store = 0; store < 2; store++) {
			uint32_t *c = tm_pagecount_at(&pc, pages[k], store);

			*c = UINT32_MAX - 1; /* as after 2^32 - 2 records */
			for (int n = 0; n < 5 + k; n++)
				if (++*c == 0)
					tm_pagecount_spill(&pc, c);
		}
	}
	tm_pagecount_visit(&pc, pages[0], pages[2], on_page, &v);
	qsort(v.v, v.n, sizeof(*v.v), cmp_seen);
	assert_int_equal(v.n, 3);
	for (int k = 0; k < 3; k++) {
		uint64_t want = (1ull << 32) + 3 + (uint64_t)k;

		assert_int_equal(v.v[k].page, pages[k]);
		assert_int_equal(v.v[k].nl, want);
		assert_int_equal(v.v[k].ns, want);
	}
	tm_pagecount_destroy(&pc);
	free(v.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_spill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
