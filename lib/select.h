/*
 * select.h - one selection routine: the k first of n items under a strict
 * total order, instantiated per item type so that the comparison compiles
 * to inline code (DESIGN.md §12).
 *
 * TM_SELECT_DEFINE(name, type, ctx_t, before) defines static inline
 * functions over items of `type`, with before(ctx, a, b) true when *a ranks
 * strictly before *b ("hotter": a larger count, ties to the lower index or
 * key).  The order must be total, ties broken by index or key, so that the
 * k first items are one set whatever the input order or algorithm: outputs
 * depend on nothing but the input.
 *   name_top(ctx, v, n, k)         permute v[0..n) so that v[0..k) hold
 *                                  the k first (in no particular order);
 *                                  introselect, O(n) expected, O(n log k)
 *                                  worst case;
 *   name_top_sorted(ctx, v, n, k)  the same, then v[0..k) sorted first
 *                                  first (heapsort);
 *   name_offer(ctx, v, &nr, k, x)  streaming: keep the k first items
 *                                  offered so far in v[0..nr), nr <= k, as
 *                                  a heap with the last kept on top; O(log
 *                                  k) per kept item, O(1) per rejected one;
 *   name_offered_sort(ctx, v, nr)  sort what offer kept, first first.
 *
 * Workload: once per epoch, over every page of a VM: the true top-C of
 * models/truth.c (C up to all of FMEM, n the pages touched) and the k
 * coldest FMEM pages of models/migrate.c, streamed from an estimate
 * callback without a buffer of all pages.  No function allocates.
 *
 * top is Hoare's quickselect with median-of-three pivots (the one truth.c
 * used), falling back to a heap selection over the remaining range after
 * 2 log2 n + 2 rounds (Musser's introselect), so a hostile input costs
 * O(n log k), not O(n^2).
 */
#ifndef TM_SELECT_H
#define TM_SELECT_H

#include <stddef.h>

#include "lib/heap.h"

/* floor(log2(n)) for n >= 1. */
static inline unsigned tm_select_log2(size_t n)
{
	unsigned r = 0;

	while (n >>= 1)
		r++;
	return r;
}

#define TM_SELECT_DEFINE(name, type, ctx_t, before)                         \
/* The heap of the kept items: the last of them on top. */                  \
TM_HEAP_FN bool name##_after_(ctx_t ctx, const type *a, const type *b)      \
{                                                                           \
	(void)ctx;                                                          \
	return before(ctx, b, a);                                           \
}                                                                           \
TM_HEAP_DEFINE(name##_heap_, type, ctx_t, name##_after_, TM_HEAP_SET)       \
                                                                            \
TM_HEAP_FN void name##_swap_(type *a, type *b)                              \
{                                                                           \
	type t_ = *a;                                                       \
                                                                            \
	*a = *b;                                                            \
	*b = t_;                                                            \
}                                                                           \
                                                                            \
/* v[0..m) := the m first of v[0..n) (0 < m <= n), by a heap of m. */       \
TM_HEAP_FN void name##_heap_select_(ctx_t ctx, type *v, size_t n,           \
				       size_t m)                            \
{                                                                           \
	name##_heap__heapify(ctx, v, m);                                    \
	for (size_t j_ = m; j_ < n; j_++) {                                 \
		if (!(before(ctx, &v[j_], &v[0])))                          \
			continue;                                           \
		name##_swap_(&v[0], &v[j_]);                                \
		name##_heap__sift_down(ctx, v, m, 0);                       \
	}                                                                   \
}                                                                           \
                                                                            \
/* Hoare partition of v[lo..hi] around the median of three; returns the     \
 * crossing point: v[lo..*j] rank no later than v[*i..hi]. */                \
TM_HEAP_FN void name##_partition_(ctx_t ctx, type *v, size_t lo,            \
				     size_t hi, size_t *pi, size_t *pj)     \
{                                                                           \
	size_t mid_ = lo + (hi - lo) / 2, i_ = lo, j_ = hi;                 \
	type pivot_;                                                        \
                                                                            \
	(void)ctx;                                                          \
	if (before(ctx, &v[mid_], &v[lo]))                                  \
		name##_swap_(&v[mid_], &v[lo]);                             \
	if (before(ctx, &v[hi], &v[lo]))                                    \
		name##_swap_(&v[hi], &v[lo]);                               \
	if (before(ctx, &v[hi], &v[mid_]))                                  \
		name##_swap_(&v[hi], &v[mid_]);                             \
	pivot_ = v[mid_];                                                   \
	while (i_ <= j_) {                                                  \
		while (before(ctx, &v[i_], &pivot_))                        \
			i_++;                                               \
		while (before(ctx, &pivot_, &v[j_]))                        \
			j_--;                                               \
		if (i_ <= j_) {                                             \
			name##_swap_(&v[i_], &v[j_]);                       \
			i_++;                                               \
			if (j_ == 0)                                        \
				break;                                      \
			j_--;                                               \
		}                                                           \
	}                                                                   \
	*pi = i_;                                                           \
	*pj = j_;                                                           \
}                                                                           \
                                                                            \
TM_HEAP_FN void name##_top(ctx_t ctx, type *v, size_t n, size_t k)          \
{                                                                           \
	size_t lo_ = 0, hi_, pos_, i_, j_;                                  \
	unsigned budget_;                                                   \
                                                                            \
	if (k == 0 || k >= n)                                               \
		return;                                                     \
	hi_ = n - 1;                                                        \
	pos_ = k - 1;           /* v[pos_] is the k-th first */             \
	budget_ = 2 * tm_select_log2(n) + 2;                                \
	while (lo_ < hi_) {                                                 \
		if (budget_-- == 0) {                                       \
			name##_heap_select_(ctx, v + lo_, hi_ - lo_ + 1,    \
					    pos_ - lo_ + 1);                \
			return;                                             \
		}                                                           \
		name##_partition_(ctx, v, lo_, hi_, &i_, &j_);              \
		if (pos_ <= j_)                                             \
			hi_ = j_;                                           \
		else if (pos_ >= i_)                                        \
			lo_ = i_;                                           \
		else                                                        \
			return;                                             \
	}                                                                   \
}                                                                           \
                                                                            \
TM_HEAP_FN void name##_top_sorted(ctx_t ctx, type *v, size_t n,             \
				     size_t k)                              \
{                                                                           \
	if (k > n)                                                          \
		k = n;                                                      \
	name##_top(ctx, v, n, k);                                           \
	name##_heap__sort(ctx, v, k);                                       \
}                                                                           \
                                                                            \
TM_HEAP_FN void name##_offer(ctx_t ctx, type *v, size_t *nr, size_t k,      \
				type x)                                     \
{                                                                           \
	if (*nr < k)                                                        \
		name##_heap__push(ctx, v, nr, x);                           \
	else if (k > 0 && (before(ctx, &x, &v[0])))                         \
		name##_heap__replace_top(ctx, v, *nr, x);                   \
}                                                                           \
                                                                            \
TM_HEAP_FN void name##_offered_sort(ctx_t ctx, type *v, size_t nr)          \
{                                                                           \
	name##_heap__sort_heap(ctx, v, nr);                                 \
}

#endif
