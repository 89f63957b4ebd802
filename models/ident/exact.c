/*
 * exact.c - exact per-page counts (DESIGN.md §6.2, §7; docs/identifiers.md).
 *
 * A linear-probing hash map page -> count (16-byte slots, count 0 marks an
 * empty slot, since a live page has count >= 1).  update() adds the sample's
 * weight (0: the sample does not count), exactly as sdh does, so the two
 * count the same thing.  Keyed by dense page index.
 *
 * Growth: the table starts at 2 x nr_fmem_pages slots (at least 1024,
 * rounded up to a power of two) and doubles when a *new* page would push
 * the load above 0.7.  So update() allocates only when a page appears for
 * the first time and the table is full: O(log footprint) times per run,
 * amortised O(1) per sample; a steady working set allocates nothing.
 *
 * Window (window_decay, DESIGN.md §7): 0 (or less) clears the map at each
 * epoch_end, so ranks cover exactly one epoch; >= 1 is cumulative; in
 * between, counts become floor(count x window_decay) and pages that reach 0
 * leave the map (integer counts, like kernel counters and Demeter's halving;
 * floor forgets small counts slightly faster than real-valued decay).  The
 * map decays in place (decay_in_place): a fresh table per epoch cost page
 * faults and, freed, TLB shootdowns across the run's threads, about a fifth
 * of the 100-host x 10-VM benchmark's CPU time.
 *
 * rank(): the top r->cap pages by count, ties to the lower page number,
 * through lib/select.h's bounded heap (offer, offered_sort), O(pages x log
 * cap); its array is preallocated for cap = nr_topk or nr_fmem_pages and
 * regrown only if a caller asks for more.  (It was a topk heap, whose
 * reverse index this selection never used: callgrind, configs/sweeps/
 * base.yaml replay, rank() 25.4 M -> 5.8 M instructions over 12 epochs,
 * and 16 bytes per ranked page instead of topk's entries and index.)  It
 * hands out no exchange pairs and has no moved().
 */
#include "exact.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/select.h"

#define EXACT_MIN_SLOTS 1024u   /* assumption: small maps are cheap */

struct slot {
	uint64_t page;
	uint64_t count;          /* 0: empty */
};

struct tm_exact {
	struct slot *tab;
	uint64_t mask;           /* slots - 1, slots a power of two */
	uint64_t nr;             /* live pages */
	double window_decay;
	struct slot *sel;        /* rank(): the kept pages (lib/select) */
	size_t cap_sel;
};

/* The slot holding page, or the empty slot where it would go. */
static inline uint64_t probe(const struct tm_exact *x, uint64_t page)
{
	uint64_t i = tm_fmix64(page) & x->mask;

	while (x->tab[i].count != 0 && x->tab[i].page != page)
		i = (i + 1) & x->mask;
	return i;
}

/* Grow the map to nr_slots (a power of two), moving every live slot. */
static void grow(struct tm_exact *x, uint64_t nr_slots)
{
	struct slot *old = x->tab;
	uint64_t nr_old = x->mask + 1;

	x->tab = tm_xcalloc(nr_slots, sizeof(*x->tab));
	x->mask = nr_slots - 1;
	for (uint64_t i = 0; i < nr_old; i++) {
		if (old[i].count)
			x->tab[probe(x, old[i].page)] = old[i];
	}
	free(old);
}

/*
 * counts := floor(count x factor) in place, pages reaching 0 leaving the map.
 * Slots are visited once, in probe order, starting after an empty slot (so
 * no cluster wraps into the start): each live entry is taken out and put
 * back at the first empty slot from its home.  Entries still to visit lie
 * beyond the current slot, so that slot is free and the entry never moves
 * forward; and a slot emptied later lies beyond every entry already placed,
 * so no probe path is cut.  The result is a valid linear-probing table with
 * the same contents as decaying into a fresh table.
 */
static void decay_in_place(struct tm_exact *x, double factor)
{
	uint64_t start = 0;

	while (x->tab[start].count != 0)   /* load <= 0.7: one exists */
		start = (start + 1) & x->mask;
	x->nr = 0;
	for (uint64_t k = 1; k <= x->mask; k++) {
		uint64_t p = (start + k) & x->mask, c, j;
		struct slot e = x->tab[p];

		if (e.count == 0)
			continue;
		c = (uint64_t)((double)e.count * factor);
		x->tab[p].count = 0;
		if (c == 0)
			continue;
		j = probe(x, e.page);
		x->tab[j].page = e.page;
		x->tab[j].count = c;
		x->nr++;
	}
}

static void exact_update(void *st, struct tm_sample s)
{
	struct tm_exact *x = st;
	uint64_t page = s.idx, delta = s.weight;
	uint64_t i;

	if (delta == 0)
		return;   /* weight 0 (store_weight: 0) does not count */
	i = probe(x, page);
	if (x->tab[i].count == 0) {
		/* load <= 0.7 keeps probe sequences short (assumption) */
		if ((x->nr + 1) * 10 > (x->mask + 1) * 7) {
			grow(x, 2 * (x->mask + 1));
			i = probe(x, page);
		}
		x->tab[i].page = page;
		x->nr++;
	}
	x->tab[i].count += delta;
}

/* Hotter: a larger count, ties to the lower page number (total order). */
static inline bool hotter(const void *ctx, const struct slot *a,
			  const struct slot *b)
{
	(void)ctx;
	return a->count > b->count || (a->count == b->count && a->page < b->page);
}

TM_SELECT_DEFINE(hottest, struct slot, const void *, hotter)

static void exact_rank(void *st, struct tm_rank *r)
{
	struct tm_exact *x = st;
	size_t n = 0;

	r->nr_pairs = 0;
	r->nr_hot = 0;
	if (!r->hot || r->cap == 0)
		return;
	if (r->cap > x->cap_sel) {
		x->cap_sel = r->cap;
		x->sel = tm_xrealloc(x->sel, x->cap_sel * sizeof(*x->sel));
	}
	for (uint64_t i = 0; i <= x->mask; i++)
		if (x->tab[i].count)
			hottest_offer(NULL, x->sel, &n, r->cap, x->tab[i]);
	hottest_offered_sort(NULL, x->sel, n);
	for (size_t k = 0; k < n; k++)
		r->hot[k] = x->sel[k].page;
	r->nr_hot = n;
}

static void exact_epoch_end(void *st)
{
	struct tm_exact *x = st;

	if (x->window_decay >= 1.0)
		return;
	if (x->window_decay <= 0.0) {
		memset(x->tab, 0, (x->mask + 1) * sizeof(*x->tab));
		x->nr = 0;
		return;
	}
	decay_in_place(x, x->window_decay);
}

static uint64_t exact_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_exact *x = st;

	(void)page;
	return x->tab[probe(x, idx)].count;
}

/* Counts since the run's start only when the window is cumulative. */
static bool exact_cumulative(const void *st)
{
	return ((const struct tm_exact *)st)->window_decay >= 1.0;
}

static size_t exact_memory_bytes(const void *st)
{
	const struct tm_exact *x = st;

	return sizeof(*x) + (x->mask + 1) * sizeof(*x->tab) +
	       x->cap_sel * sizeof(*x->sel);
}

static void exact_free(void *st)
{
	struct tm_exact *x = st;

	if (!x)
		return;
	free(x->tab);
	free(x->sel);
	free(x);
}

static void *exact_new(const struct tm_ident_params *p)
{
	struct tm_exact *x = tm_xcalloc(1, sizeof(*x));
	uint64_t slots = EXACT_MIN_SLOTS;
	const struct tm_exact_config *c = p->own;
	uint64_t cap = c->nr_topk ? c->nr_topk : p->nr_fmem_pages;

	while (slots < 2 * p->nr_fmem_pages)
		slots <<= 1;
	x->tab = tm_xcalloc(slots, sizeof(*x->tab));
	x->mask = slots - 1;
	x->window_decay = c->window_decay;
	x->cap_sel = cap < 1 ? 1 : cap;
	x->sel = tm_xmalloc(x->cap_sel * sizeof(*x->sel));
	return x;
}

typedef struct tm_exact_config EXACT;

static const struct tm_cfg_key exact_keys[] = {
	TM_CFG_KEY("topk", TM_CFG_U64, 0, 1 << 24, "0", NULL, 0, TM_CFG_F_U64,
		   EXACT, nr_topk, "pages ranked; 0: the VM's FMEM pages"),
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
	.rank = exact_rank,
	.epoch_end = exact_epoch_end,
	.estimate = exact_estimate,
	.cumulative = exact_cumulative,
	.memory_bytes = exact_memory_bytes,
	.free = exact_free,
};
