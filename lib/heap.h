/*
 * heap.h - one binary heap over a caller's array, instantiated per element
 * type so that the comparison compiles to inline code (DESIGN.md §12).
 *
 * TM_HEAP_DEFINE(name, type, ctx_t, above, set) defines static inline
 * functions name_sift_up, _sift_down, _fix, _push, _pop, _replace_top,
 * _heapify, _sort_heap, _sort and _check over a heap v[0..nr) of `type`:
 *   above(ctx, a, b)  true when *a belongs strictly above *b (nearer the
 *                     top); a strict weak order, a total one if the output
 *                     must not depend on the order of operations;
 *   set(ctx, v, i, x) store x (a `type` lvalue) in v[i]; TM_HEAP_SET for a
 *                     plain store, or a hook that also records the move
 *                     (topk keeps its reverse index key -> slot this way).
 * ctx is passed through to above and set (e.g. an array of counts that the
 * elements index); use `const void *` and NULL when there is none.
 *
 * Workload: the per-sample heaps of SDH (models/ident/topk.c, K = 10^3 to
 * 10^5 entries, one sift per sample at most), the event queue (one push and
 * one pop per event), and bounded top-k selection (lib/select.h).  So the
 * heap owns no memory and no operation allocates: the caller sizes the
 * array (push needs room for one more).  The sifts move a hole instead of
 * swapping, one store per level.  sift_up and sift_down are always inlined:
 * a caller that instantiates several heaps (topk: min/max x tie rules) gets
 * one branch-lean loop each (topk.c gives the measured effect).
 *
 * Every operation compares and moves elements in the same sequence for the
 * same input, so with a total order the heap, and any output read from it,
 * depends on nothing but the operations made.
 *
 * Indexes are size_t; TM_HEAP_DEFINE_IDX takes another unsigned type, for a
 * heap that holds at most half its maximum.  topk's slots are uint32_t: its
 * sift loops with size_t indexes took 3.7% (down) and 8.6% (up) more
 * instructions (callgrind, bench_sdh), the 64-bit child index costing an
 * extra add per level.
 */
#ifndef TM_HEAP_H
#define TM_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* A plain store, for heaps that keep no index of where elements sit. */
#define TM_HEAP_SET(ctx, v, i, x) ((void)(ctx), (v)[i] = (x))

/* Every instance defines all the operations and a caller uses a few: clang
 * (unlike gcc) warns of unused static inline functions written in a .c
 * file, which a macro expansion is, hence `unused`. */
#if defined(__GNUC__)
#define TM_HEAP_FN static inline __attribute__((unused))
#define TM_HEAP_HOT static inline __attribute__((always_inline, unused))
#else
#define TM_HEAP_FN static inline
#define TM_HEAP_HOT static inline
#endif

#define TM_HEAP_DEFINE_IDX(name, type, idx_t, ctx_t, above, set)            \
/* Move v[i] up to its place. */                                            \
TM_HEAP_HOT void name##_sift_up(ctx_t ctx, type *v, idx_t i)                \
{                                                                           \
	type x_ = v[i];                                                     \
                                                                            \
	while (i > 0) {                                                     \
		idx_t p_ = (i - 1) / 2;                                     \
                                                                            \
		if (!(above(ctx, &x_, &v[p_])))                             \
			break;                                              \
		set(ctx, v, i, v[p_]);                                      \
		i = p_;                                                     \
	}                                                                   \
	set(ctx, v, i, x_);                                                 \
}                                                                           \
                                                                            \
/* Move v[i] down to its place in v[0..nr). */                              \
TM_HEAP_HOT void name##_sift_down(ctx_t ctx, type *v, idx_t nr, idx_t i)    \
{                                                                           \
	type x_ = v[i];                                                     \
                                                                            \
	for (;;) {                                                          \
		idx_t c_ = 2 * i + 1;                                       \
                                                                            \
		if (c_ >= nr)                                               \
			break;                                              \
		if (c_ + 1 < nr && (above(ctx, &v[c_ + 1], &v[c_])))        \
			c_++;                                               \
		if (!(above(ctx, &v[c_], &x_)))                             \
			break;                                              \
		set(ctx, v, i, v[c_]);                                      \
		i = c_;                                                     \
	}                                                                   \
	set(ctx, v, i, x_);                                                 \
}                                                                           \
                                                                            \
/* Restore the order after v[i] changed in either direction. */             \
TM_HEAP_FN void name##_fix(ctx_t ctx, type *v, idx_t nr, idx_t i)           \
{                                                                           \
	if (i > 0 && (above(ctx, &v[i], &v[(i - 1) / 2])))                  \
		name##_sift_up(ctx, v, i);                                  \
	else                                                                \
		name##_sift_down(ctx, v, nr, i);                            \
}                                                                           \
                                                                            \
/* Add x; v must have room for *nr + 1 elements. */                         \
TM_HEAP_FN void name##_push(ctx_t ctx, type *v, idx_t *nr, type x)          \
{                                                                           \
	set(ctx, v, *nr, x);                                                \
	name##_sift_up(ctx, v, (*nr)++);                                    \
}                                                                           \
                                                                            \
/* Remove the top (*nr > 0) into *out. */                                   \
TM_HEAP_FN void name##_pop(ctx_t ctx, type *v, idx_t *nr, type *out)        \
{                                                                           \
	*out = v[0];                                                        \
	if (--*nr == 0)                                                     \
		return;                                                     \
	set(ctx, v, 0, v[*nr]);                                             \
	name##_sift_down(ctx, v, *nr, 0);                                   \
}                                                                           \
                                                                            \
/* Replace the top (nr > 0) by x in one sift. */                            \
TM_HEAP_FN void name##_replace_top(ctx_t ctx, type *v, idx_t nr, type x)    \
{                                                                           \
	set(ctx, v, 0, x);                                                  \
	name##_sift_down(ctx, v, nr, 0);                                    \
}                                                                           \
                                                                            \
/* Make v[0..nr) a heap, bottom-up (Floyd), O(nr). */                       \
TM_HEAP_FN void name##_heapify(ctx_t ctx, type *v, idx_t nr)                \
{                                                                           \
	for (idx_t i_ = nr / 2; i_-- > 0;)                                  \
		name##_sift_down(ctx, v, nr, i_);                           \
}                                                                           \
                                                                            \
/* Sort the heap v[0..nr) in place (heapsort's second half): the top ends   \
 * last, so v runs from the element that would be popped last to the one    \
 * popped first. */                                                         \
TM_HEAP_FN void name##_sort_heap(ctx_t ctx, type *v, idx_t nr)              \
{                                                                           \
	for (idx_t end_ = nr; end_ > 1; end_--) {                           \
		type t_ = v[0];                                             \
                                                                            \
		set(ctx, v, 0, v[end_ - 1]);                                \
		set(ctx, v, end_ - 1, t_);                                  \
		name##_sift_down(ctx, v, end_ - 1, 0);                      \
	}                                                                   \
}                                                                           \
                                                                            \
/* Heapsort any v[0..nr), in the order of _sort_heap. */                    \
TM_HEAP_FN void name##_sort(ctx_t ctx, type *v, idx_t nr)                   \
{                                                                           \
	name##_heapify(ctx, v, nr);                                         \
	name##_sort_heap(ctx, v, nr);                                       \
}                                                                           \
                                                                            \
/* Heap order holds on v[0..nr); for assert() and tests. */                 \
TM_HEAP_FN bool name##_check(ctx_t ctx, const type *v, idx_t nr)            \
{                                                                           \
	(void)ctx;                                                          \
	for (idx_t i_ = 1; i_ < nr; i_++)                                   \
		if (above(ctx, &v[i_], &v[(i_ - 1) / 2]))                   \
			return false;                                       \
	return true;                                                        \
}

#define TM_HEAP_DEFINE(name, type, ctx_t, above, set) \
	TM_HEAP_DEFINE_IDX(name, type, size_t, ctx_t, above, set)

#endif
