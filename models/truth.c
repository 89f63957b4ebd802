/*
 * truth.c - selection of the true top-C pages of an epoch (see truth.h).
 *
 * lib/select.h's introselect over the candidate indexes with the order
 * "count descending, index ascending", so the result is unique and
 * deterministic.  Expected O(nr) per epoch.
 */
#include "truth.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/select.h"

/* a is hotter than b */
static inline bool hotter(const uint64_t *cnt, const uint32_t *a,
			  const uint32_t *b)
{
	return cnt[*a] > cnt[*b] || (cnt[*a] == cnt[*b] && *a < *b);
}

TM_SELECT_DEFINE(hot, uint32_t, const uint64_t *, hotter)

size_t tm_truth_top(struct tm_truth_sel *sel, const uint64_t *cnt, uint32_t nr,
		    uint64_t c)
{
	size_t n = 0;

	tm_truth_sel_reserve(sel, nr);
	for (uint32_t i = 0; i < nr; i++)
		if (cnt[i])
			sel->idx[n++] = i;
	if (n <= c)
		return n;
	if (c == 0)
		return 0;
	hot_top(cnt, sel->idx, n, (size_t)c);
	return (size_t)c;
}

void tm_truth_sel_reserve(struct tm_truth_sel *sel, size_t n)
{
	if (sel->cap < n) {   /* keeps the entries (select_dist) */
		sel->cap = n;
		sel->idx = tm_xrealloc(sel->idx, sel->cap * sizeof(*sel->idx));
	}
}

void tm_truth_sel_free(struct tm_truth_sel *sel)
{
	free(sel->idx);
	sel->idx = NULL;
	sel->cap = 0;
}
