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
 * rank(): the top r->cap pages by count, ties to the lower page number, by
 * a min-heap selection over the map, O(pages x log cap); the heap is
 * preallocated for cap = nr_topk or nr_fmem_pages and regrown only if a
 * caller asks for more.  It hands out no exchange pairs and has no moved().
 *
 * Why not lib/select.h: its bounded heap (offer, offered_sort) ranks the
 * same pages in the same order without topk's reverse index, which this
 * selection never uses: callgrind, configs/sweeps/base.yaml replay, rank()
 * 25.4 M -> 5.8 M instructions over 12 epochs, and less memory.  But the
 * index is part of memory_bytes, which summary.json reports, so the switch
 * changes golden outputs; it waits for a golden refresh.
 */
#include "exact.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "topk.h"
#include "lib/hash.h"

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
	struct tm_topk *sel;     /* rank() selection heap */
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

static void exact_update(void *st, const struct tm_sample *s)
{
	struct tm_exact *x = st;
	uint64_t page = s->idx, delta = s->weight;
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

static void exact_rank(void *st, struct tm_rank *r)
{
	struct tm_exact *x = st;
	struct tm_topk_entry e, top;
	size_t n;

	r->nr_pairs = 0;
	r->nr_hot = 0;
	if (!r->hot || r->cap == 0)
		return;
	if (r->cap > tm_topk_cap(x->sel)) {
		tm_topk_free(x->sel);
		x->sel = tm_topk_new(r->cap > TM_TOPK_MAX_CAP ? TM_TOPK_MAX_CAP
							      : (uint32_t)r->cap,
				     TM_TOPK_MIN);
	}
	tm_topk_clear(x->sel);
	for (uint64_t i = 0; i <= x->mask; i++) {
		if (x->tab[i].count == 0)
			continue;
		e.key = x->tab[i].page;
		e.value = x->tab[i].count;
		if (tm_topk_size(x->sel) < r->cap && tm_topk_push(x->sel, e.key, e.value))
			continue;
		tm_topk_top(x->sel, &top);
		if (tm_topk_hotter(&e, &top))
			tm_topk_replace_top(x->sel, e.key, e.value);
	}
	n = tm_topk_size(x->sel);
	for (size_t k = n; k-- > 0;) {
		tm_topk_pop(x->sel, &e);   /* coldest first */
		r->hot[k] = e.key;
	}
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
	       tm_topk_memory_bytes(x->sel);
}

static void exact_free(void *st)
{
	struct tm_exact *x = st;

	if (!x)
		return;
	free(x->tab);
	tm_topk_free(x->sel);
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
	cap = cap < 1 ? 1 : cap > TM_TOPK_MAX_CAP ? TM_TOPK_MAX_CAP : cap;
	x->sel = tm_topk_new((uint32_t)cap, TM_TOPK_MIN);
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
		.flags = TM_IDENT_SAMPLES,
	},
	.new = exact_new,
	.update = exact_update,
	.rank = exact_rank,
	.epoch_end = exact_epoch_end,
	.estimate = exact_estimate,
	.cumulative = exact_cumulative,
	.memory_bytes = exact_memory_bytes,
	.free = exact_free,
};
