/*
 * exact.c - exact per-page counts (DESIGN.md §6.2, §7; docs/identifiers.md).
 *
 * A flat array of counts indexed by the dense page index (first-touch
 * order, so the indexes of a VM's pages are 0..pages-1 and the array is as
 * long as the VM's touched pages).  update() adds the sample's weight (0:
 * the sample does not count), exactly as sdh does, so the two count the
 * same thing.  It was a linear-probing hash map page -> count; the dense
 * index makes hashing needless, and each sample cost a probe into a table
 * of 16-byte slots at load <= 0.7 (callgrind, 10 M-sample Zipf replay over
 * 1 GiB: exact as a shadow 57 ns a sample over the replay alone, now see
 * docs/bench.md), with 23 bytes per page instead of 8.
 *
 * Growth: the array starts at 2 x nr_fmem_pages entries (at least 1024)
 * and doubles when a sample names an index beyond it, so update()
 * allocates only when a page appears for the first time beyond the array:
 * O(log footprint) times per run, amortised O(1) per sample; a steady
 * working set allocates nothing.
 *
 * Window (window_decay, DESIGN.md §7): 0 (or less) clears the counts at
 * each epoch_end, so ranks cover exactly one epoch; >= 1 is cumulative; in
 * between, counts become floor(count x window_decay) (integer counts, like
 * kernel counters and Demeter's halving; floor forgets small counts
 * slightly faster than real-valued decay).  Both work in place over the
 * indexes seen so far.
 *
 * rank(): the top r->cap pages by count, ties to the lower index, by a
 * radix sort of the counted pages.  Its scratch (two 4-byte entries per
 * page of the array) is lent by the engine for the call (r->scratch,
 * rank_scratch): one per thread of a host rather than one per identifier
 * alive all run.  memory_bytes() still counts it: an exact counter needs
 * it to rank.  It hands out no exchange pairs and has no moved().
 */
#include "exact.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define EXACT_MIN_PAGES 1024u   /* assumption: small arrays are cheap */

struct tm_exact {
	uint64_t *cnt;           /* count per dense index */
	uint64_t cap;            /* entries of cnt */
	uint64_t nr_seen;        /* indexes [0, nr_seen) may be non-zero */
	double window_decay;
	uint64_t nr_topk;        /* pages ranked at most; 0: r->cap */
	uint32_t *ord;           /* rank(): indexes being sorted, then scratch
				  * (r->scratch, lent; NULL between calls) */
	uint64_t cap_ord;        /* entries of each half of ord */
};

/* Room for index idx: double the array (new entries zero). */
static void grow(struct tm_exact *x, uint64_t idx)
{
	uint64_t cap = x->cap;

	while (cap <= idx)
		cap *= 2;
	TM_XGROW_ZEROED(x->cnt, x->cap, cap);
	x->cap = cap;
}

static void exact_update(void *st, struct tm_sample s)
{
	struct tm_exact *x = st;

	if (s.weight == 0)
		return;   /* weight 0 (store_weight: 0) does not count */
	if (s.idx >= x->nr_seen) {
		if (s.idx >= x->cap)
			grow(x, s.idx);
		x->nr_seen = (uint64_t)s.idx + 1;
	}
	x->cnt[s.idx] += s.weight;
}

/* The page's count a few samples ahead (8 bytes a page). */
static void exact_prefetch(const void *st, uint32_t idx)
{
	const struct tm_exact *x = st;

	if (idx < x->cap)
		__builtin_prefetch(&x->cnt[idx], 1);
}

/* One stable counting-sort pass of ord[0, n) by byte `shift` of its
 * count, larger first, into out. */
static void radix_pass(const uint64_t *cnt, const uint32_t *ord, uint32_t *out,
		       size_t n, unsigned shift)
{
	size_t at[257] = { 0 };

	for (size_t i = 0; i < n; i++)
		at[255 - ((cnt[ord[i]] >> shift) & 255) + 1]++;
	for (unsigned k = 1; k <= 256; k++)
		at[k] += at[k - 1];
	for (size_t i = 0; i < n; i++)
		out[at[255 - ((cnt[ord[i]] >> shift) & 255)]++] = ord[i];
}

/* The pages with a count, by count (larger first), ties to the lower
 * index: an LSD radix sort, stable, over as many bytes as the largest count
 * has, of the indexes taken in ascending order.  O(pages x bytes); a bounded
 * heap of r->cap (lib/select.h) took 85 M instructions an epoch at
 * cap = 104,857 over 200 k pages (callgrind, 4 M-sample Zipf replay). */
static void exact_rank(void *st, struct tm_rank *r)
{
	struct tm_exact *x = st;
	uint64_t max = 0;
	size_t n = 0;

	r->nr_pairs = 0;
	r->nr_hot = 0;
	if (!r->hot || r->cap == 0)
		return;
	if (x->nr_seen > x->cap_ord)
		x->cap_ord = x->cap;
	assert(r->sz_scratch >= 2 * x->cap_ord * sizeof(*x->ord));
	x->ord = r->scratch;
	for (uint64_t i = 0; i < x->nr_seen; i++)
		if (x->cnt[i]) {
			x->ord[n++] = (uint32_t)i;
			if (x->cnt[i] > max)
				max = x->cnt[i];
		}
	for (unsigned shift = 0; shift < 64 && (max >> shift); shift += 8) {
		uint32_t *tmp = x->ord + x->cap_ord;

		radix_pass(x->cnt, x->ord, tmp, n, shift);
		memcpy(x->ord, tmp, n * sizeof(*x->ord));
	}
	if (n > r->cap)
		n = r->cap;
	if (x->nr_topk && n > x->nr_topk)
		n = x->nr_topk;
	for (size_t k = 0; k < n; k++)
		r->hot[k] = x->ord[k];
	r->nr_hot = n;
	x->ord = NULL;
}

/* rank()'s scratch: two halves of cap_ord entries, cap_ord grown to the
 * array's capacity once the counted indexes pass it (as rank() does). */
static size_t exact_rank_scratch(const void *st)
{
	const struct tm_exact *x = st;
	uint64_t cap_ord = x->nr_seen > x->cap_ord ? x->cap : x->cap_ord;

	return 2 * cap_ord * sizeof(*x->ord);
}

static void exact_epoch_end(void *st)
{
	struct tm_exact *x = st;

	if (x->window_decay >= 1.0)
		return;
	if (x->window_decay <= 0.0) {
		memset(x->cnt, 0, x->nr_seen * sizeof(*x->cnt));
		return;
	}
	for (uint64_t i = 0; i < x->nr_seen; i++)
		x->cnt[i] = (uint64_t)((double)x->cnt[i] * x->window_decay);
}

static uint64_t exact_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_exact *x = st;

	(void)page;
	return idx < x->nr_seen ? x->cnt[idx] : 0;
}

/* Counts since the run's start only when the window is cumulative. */
static bool exact_cumulative(const void *st)
{
	return ((const struct tm_exact *)st)->window_decay >= 1.0;
}

/* The counts and the ranking scratch, lent or not (file header). */
static size_t exact_memory_bytes(const void *st)
{
	const struct tm_exact *x = st;

	return sizeof(*x) + x->cap * sizeof(*x->cnt) +
	       2 * x->cap_ord * sizeof(*x->ord);
}

static void exact_free(void *st)
{
	struct tm_exact *x = st;

	if (!x)
		return;
	free(x->cnt);
	free(x);
}

static void *exact_new(const struct tm_ident_params *p)
{
	struct tm_exact *x = tm_xcalloc(1, sizeof(*x));
	const struct tm_exact_config *c = p->own;

	x->cap = 2 * p->nr_fmem_pages > EXACT_MIN_PAGES ?
		 2 * p->nr_fmem_pages : EXACT_MIN_PAGES;
	x->cnt = tm_xcalloc(x->cap, sizeof(*x->cnt));
	x->window_decay = c->window_decay;
	x->nr_topk = c->nr_topk;
	return x;
}

typedef struct tm_exact_config EXACT;

static const struct tm_cfg_key exact_keys[] = {
	TM_CFG_KEY("topk", TM_CFG_U64, 0, 1 << 24, "0", NULL, 0, TM_CFG_F_U64,
		   EXACT, nr_topk, "pages ranked at most; 0: as many as "
		   "FMEM can hold"),
	TM_CFG_KEY("window_decay", TM_CFG_DOUBLE, 0, 1, "0", NULL, 0,
		   TM_CFG_F_DBL, EXACT, window_decay,
		   "counts x this at each epoch: 0 one epoch, 1 cumulative"),
};

const struct tm_identifier_ops tm_exact_ops = {
	.kind = {
		.name = "exact",
		.help = "exact per-page counts of the samples: the upper bound "
			"of every approximate identifier",
		.keys = exact_keys,
		.nr_keys = sizeof(exact_keys) / sizeof(exact_keys[0]),
		.config_size = sizeof(struct tm_exact_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_COUNTS,
	},
	/* assumption: charged as sdh (30 ns), so exact and sdh shadows of one
	 * stream cost the same; a hash-map increment is cheaper */
	.cost_ns = 30,
	.new = exact_new,
	.update = exact_update,
	.prefetch = exact_prefetch,
	.rank = exact_rank,
	.rank_scratch = exact_rank_scratch,
	.epoch_end = exact_epoch_end,
	.estimate = exact_estimate,
	.cumulative = exact_cumulative,
	.memory_bytes = exact_memory_bytes,
	.free = exact_free,
};
