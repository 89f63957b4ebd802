/*
 * truth.c - selection of the true top-C pages of an epoch (see truth.h).
 *
 * Quickselect (Hoare partition, median-of-three pivots) over the candidate
 * indexes with the order "count descending, index ascending", so the result
 * is unique and deterministic.  Expected O(nr) per epoch.
 */
#include "truth.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/alloc.h"

/* a is hotter than b */
static inline bool hotter(const uint64_t *cnt, uint32_t a, uint32_t b)
{
	return cnt[a] > cnt[b] || (cnt[a] == cnt[b] && a < b);
}

static void swap_u32(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

/* Arrange v[lo..hi] so that the k hottest come first (k relative to v). */
static void select_top(uint32_t *v, size_t n, size_t k, const uint64_t *cnt)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i, j;
		uint32_t pivot;

		if (hotter(cnt, v[mid], v[lo]))
			swap_u32(&v[mid], &v[lo]);
		if (hotter(cnt, v[hi], v[lo]))
			swap_u32(&v[hi], &v[lo]);
		if (hotter(cnt, v[hi], v[mid]))
			swap_u32(&v[hi], &v[mid]);
		pivot = v[mid];
		i = lo;
		j = hi;
		while (i <= j) {
			while (hotter(cnt, v[i], pivot))
				i++;
			while (hotter(cnt, pivot, v[j]))
				j--;
			if (i <= j) {
				swap_u32(&v[i], &v[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

size_t tm_truth_top(struct tm_truth_sel *sel, const uint64_t *cnt, uint32_t nr,
		    uint64_t c)
{
	size_t n = 0;

	if (sel->cap < nr) {
		free(sel->idx);
		sel->cap = nr;
		sel->idx = tm_xmalloc(sel->cap * sizeof(*sel->idx));
	}
	for (uint32_t i = 0; i < nr; i++)
		if (cnt[i])
			sel->idx[n++] = i;
	if (n <= c)
		return n;
	if (c == 0)
		return 0;
	select_top(sel->idx, n, (size_t)c - 1, cnt);
	return (size_t)c;
}

void tm_truth_sel_free(struct tm_truth_sel *sel)
{
	free(sel->idx);
	sel->idx = NULL;
	sel->cap = 0;
}
