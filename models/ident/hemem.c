/*
 * hemem.c - HeMem's hotness identifier (Raybuck et al., SOSP'21; DESIGN.md
 * §13; reference/identifiers.md §3 "HeMem"; docs/identifiers.md).
 *
 * Rules, from the public code webglider/hemem, branch sosp-submission,
 * src/pebs.h and src/pebs.c (the write counter from the same files before
 * commit a28ec3e, "remove tracking of writes for now"):
 * - Counts: per HeMem page, one counter per PEBS event (enum pbuftype):
 *   DRAM reads, NVM reads, writes.  A load or modify sample is a read of the
 *   sample's tier (FMEM: DRAM, SMEM: NVM), a store is a write; each adds the
 *   sample's weight (1 unless `weighted`; 0: the sample does not count).
 * - Hot: reads (DRAM + NVM) >= hot_reads (HOT_READ_THRESHOLD 8) or writes
 *   >= hot_writes (HOT_WRITE_THRESHOLD 4).  pebs_scan_thread() tests this
 *   right after the increment and *before* the lazy shift below; a hot page
 *   that fails the test becomes cold.
 * - Cooling clock: then every counter of the page shifts right by (global
 *   clock - the page's clock), the page's clock := the global clock, and if
 *   the counter just incremented exceeds cooling_threshold
 *   (PEBS_COOLING_THRESHOLD 10; 18 on branches baseline-hemem and sosp24ae)
 *   the global clock ticks and a cooling pass is due.
 * - Lists: FIFO hot and cold lists per tier (dram_hot_list, ...).  A page
 *   joins the cold list of its tier when first seen (HeMem: at its page
 *   fault), moves to the hot list of its tier when it becomes hot and back
 *   when it cools, always at the tail (enqueue_fifo); the head is the
 *   oldest (dequeue_fifo).  A page that changes tier (moved()) joins the
 *   tail of the list of the same temperature in its new tier, as the
 *   migration loop enqueues a promoted page on dram_hot_list and a demoted
 *   one on nvm_cold_list.
 * - Policy round (pebs_policy_thread), modelled by rank(): an SMEM hot page
 *   whose stored counts are below both thresholds goes to the cold list (the
 *   migration loop's re-check); after a clock tick the cooling pass
 *   (partial_cool) moves to the cold list every hot page whose counts,
 *   shifted by its clock lag (not stored), are below both thresholds; then
 *   the hot SMEM pages, head first, each take a free FMEM page or demote the
 *   head of the FMEM cold list, until FMEM is all hot.  rank() returns the
 *   FMEM hot list, then the SMEM hot list, heads first (hot pages only), so
 *   the engine's `migrate` mode, which keeps the first FMEM-capacity pages
 *   of the ranking, promotes the SMEM ones into free FMEM or over the
 *   coldest non-hot FMEM page and stops when FMEM is all hot.
 *
 * Notes (what a sample stream does not give, and what is assumed):
 * - HeMem's pages are 2 MiB; tmsim's are the trace's (usually 4 KiB).  With
 *   page_size 2MiB the state is per 2 MiB of address (page >> (21 -
 *   page_shift)) and rank() returns 2 MiB regions (TM_IDENT_REGIONS), which
 *   the engine maps to the pages it has seen touched there; with 4KiB, one
 *   region per trace page.  State is keyed by page number, not dense index,
 *   so both modes share one path.  The engine moves 4 KiB pages, so a 2 MiB
 *   page may straddle tiers: it is listed in the tier of its first sample,
 *   then of its last moved() 4 KiB page, while the read counter a sample
 *   adds to follows the sample's own tier (the PEBS event is per access).
 * - HeMem lists every allocated page from its page fault on; tmsim knows a
 *   page from its first sample.  An unsampled page has estimate 0, so the
 *   migrator demotes it before any listed cold page (HeMem would find it on
 *   the cold list in allocation order).
 * - estimate() is an order, not a count: the page's enqueue stamp on its
 *   list (a run-wide sequence from 1), plus TM_HEMEM_HOT_BASE on a hot list.
 *   The migrator demotes the smallest estimate first: the FMEM cold list's
 *   head first, as dequeue_fifo(&dram_cold_list) does.  ARE/AAE in
 *   epochs.csv are therefore not meaningful for this kind.
 * - Hot and cold requests reach the policy thread through rings; here they
 *   apply at once (the policy thread drains the rings every round).
 * - The cooling pass visits at most COOLING_PAGES (8192) pages per round and
 *   resumes next round; the policy thread loops without sleeping
 *   (PEBS_KSWAPD_INTERVAL, 10 ms, is defined but unused), so many rounds pass
 *   in a tmsim epoch and rank() runs the pass to the end of both hot lists.
 *   8192 pages are 16 GiB at 2 MiB: the bound binds only on larger hot lists.
 * - Not modelled: a round that finds FMEM all hot with an SMEM hot page
 *   waiting jumps past the cooling pass (`goto out`), so FMEM pages no longer
 *   sampled can stay hot.  The identifier cannot know free FMEM (it sees only
 *   sampled pages); rank() always cools after a tick.
 *
 * Cost (callgrind, a 10 M-sample replay of a 1 GiB Zipf trace, 2 MiB pages,
 * hemem as the one shadow): update() 136 -> 126 instructions per sample
 * once a new page and a change of list went out of line and the lazy shift
 * is skipped for a page current with the clock.  The rest is the hash
 * lookup and the counters; the layout is what memory_bytes() reports.
 */
#include "hemem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"

#define NONE UINT32_MAX
#define HEMEM_MIN_PAGES 256u   /* assumption: small tables are cheap */
#define HEMEM_HUGE_SHIFT 21u   /* HeMem's 2 MiB pages */
#define HEMEM_BASE_SHIFT 12u
/* estimate() of a hot page: above every cold page's stamp (< 2^48). */
#define TM_HEMEM_HOT_BASE (UINT64_C(1) << 48)

enum { CNT_DRAM_READ, CNT_NVM_READ, CNT_WRITE, NR_CNT };  /* pbuftype */
/* Lists: bit 0 = cold, bit 1 = SMEM. */
enum { L_FMEM_HOT, L_FMEM_COLD, L_SMEM_HOT, L_SMEM_COLD, NR_LISTS };

struct hpage {
	uint64_t key;            /* HeMem page number */
	uint64_t clock;          /* the global clock at its last sample */
	uint64_t seq;            /* enqueue stamp on its list (estimate) */
	uint32_t cnt[NR_CNT];    /* bounded by the thresholds (schema) */
	uint32_t prev, next;     /* towards the head (older) / tail (newer) */
	uint8_t list;
};

struct fifo {
	uint32_t head, tail;     /* head: the oldest, dequeued first */
	uint32_t nr;
};

struct tm_hemem {
	struct hpage *pg;        /* in first-sample order; ids are stable */
	uint32_t nr_pg, cap_pg;
	uint32_t *slot;          /* open addressing: key -> id, NONE empty */
	uint64_t mask;           /* slots - 1 */
	struct fifo list[NR_LISTS];
	uint64_t clock;          /* global_clock */
	uint64_t seq;            /* last enqueue stamp */
	bool need_cool;          /* a tick since the last cooling pass */
	uint32_t hot_reads, hot_writes, cooling_threshold;
	uint32_t page_shift;     /* the trace's pages */
	uint32_t sub_shift;      /* HeMem page = trace page >> sub_shift */
};

static inline bool list_hot(unsigned l)
{
	return !(l & 1u);
}

static inline enum tm_tier list_tier(unsigned l)
{
	return (l & 2u) ? TM_TIER_SMEM : TM_TIER_FMEM;
}

static inline unsigned list_of(enum tm_tier tier, bool hot)
{
	return (tier == TM_TIER_FMEM ? 0u : 2u) | (hot ? 0u : 1u);
}

static inline uint64_t shifted(uint64_t c, uint64_t lag)
{
	return lag >= 32 ? 0 : c >> lag;
}

/* HeMem's test: writes >= hot_writes, else reads >= hot_reads. */
static inline bool is_hot(const struct tm_hemem *h, uint64_t reads,
			  uint64_t writes)
{
	return writes >= h->hot_writes || reads >= h->hot_reads;
}

/* The slot holding key, or the empty slot where it would go. */
static uint64_t find(const struct tm_hemem *h, uint64_t key)
{
	uint64_t i = tm_fmix64(key) & h->mask;

	while (h->slot[i] != NONE && h->pg[h->slot[i]].key != key)
		i = (i + 1) & h->mask;
	return i;
}

static void grow_slots(struct tm_hemem *h, uint64_t nr_slots)
{
	free(h->slot);
	h->slot = tm_xmalloc(nr_slots * sizeof(*h->slot));
	memset(h->slot, 0xff, nr_slots * sizeof(*h->slot));
	h->mask = nr_slots - 1;
	for (uint32_t id = 0; id < h->nr_pg; id++)
		h->slot[find(h, h->pg[id].key)] = id;
}

static void list_del(struct tm_hemem *h, uint32_t id)
{
	struct hpage *p = &h->pg[id];
	struct fifo *f = &h->list[p->list];

	if (p->prev != NONE)
		h->pg[p->prev].next = p->next;
	else
		f->head = p->next;
	if (p->next != NONE)
		h->pg[p->next].prev = p->prev;
	else
		f->tail = p->prev;
	f->nr--;
}

/* enqueue_fifo: the tail of list l, with a new stamp. */
static void list_add(struct tm_hemem *h, uint32_t id, unsigned l)
{
	struct hpage *p = &h->pg[id];
	struct fifo *f = &h->list[l];

	p->list = (uint8_t)l;
	p->seq = ++h->seq;
	p->next = NONE;
	p->prev = f->tail;
	if (f->tail != NONE)
		h->pg[f->tail].next = id;
	else
		f->head = id;
	f->tail = id;
	f->nr++;
}

/* Out of line: few samples change a page's list (3% in a Zipf replay). */
static __attribute__((noinline)) void relist(struct tm_hemem *h, uint32_t id,
					     enum tm_tier tier, bool hot)
{
	list_del(h, id);
	list_add(h, id, list_of(tier, hot));
}

/* A new page in empty slot i: it joins the cold list of its tier.  Grows
 * (amortised doubling) only on a page's first sample. */
static __attribute__((noinline)) uint32_t page_add(struct tm_hemem *h,
						   uint64_t i, uint64_t key,
						   enum tm_tier tier)
{
	uint32_t id;

	if (h->nr_pg == h->cap_pg) {
		assert(h->cap_pg < UINT32_MAX / 2);
		h->cap_pg *= 2;
		h->pg = tm_xrealloc(h->pg, h->cap_pg * sizeof(*h->pg));
	}
	/* load <= 0.7 keeps probe sequences short (assumption) */
	if ((uint64_t)(h->nr_pg + 1) * 10 > (h->mask + 1) * 7) {
		grow_slots(h, 2 * (h->mask + 1));
		i = find(h, key);
	}
	id = h->nr_pg++;
	h->slot[i] = id;
	memset(&h->pg[id], 0, sizeof(h->pg[id]));
	h->pg[id].key = key;
	h->pg[id].clock = h->clock;
	list_add(h, id, list_of(tier, false));
	return id;
}

/* The id of key's page, added on its first sample. */
static inline uint32_t page_of(struct tm_hemem *h, uint64_t key,
			       enum tm_tier tier)
{
	uint64_t i = find(h, key);

	if (h->slot[i] != NONE)
		return h->slot[i];
	return page_add(h, i, key, tier);
}

static void hemem_update(void *st, struct tm_sample s)
{
	struct tm_hemem *h = st;
	enum tm_tier tier = s.tier == TM_TIER_FMEM ? TM_TIER_FMEM : TM_TIER_SMEM;
	uint32_t id;
	struct hpage *p;
	unsigned j;
	uint64_t lag;
	bool hot;

	if (s.weight == 0)
		return;
	id = page_of(h, tm_sample_page(s, h->page_shift) >> h->sub_shift, tier);
	p = &h->pg[id];
	j = s.rec->op == TM_OP_STORE ? CNT_WRITE :
	    tier == TM_TIER_FMEM ? CNT_DRAM_READ : CNT_NVM_READ;
	p->cnt[j] += s.weight;
	/* hot/cold request on the counts before the shift (pebs.c) */
	hot = is_hot(h, (uint64_t)p->cnt[CNT_DRAM_READ] + p->cnt[CNT_NVM_READ],
		     p->cnt[CNT_WRITE]);
	if (hot != list_hot(p->list))
		relist(h, id, list_tier(p->list), hot);
	lag = h->clock - p->clock;
	if (lag) {   /* a no-op for a page current with the clock */
		for (unsigned k = 0; k < NR_CNT; k++)
			p->cnt[k] = (uint32_t)shifted(p->cnt[k], lag);
		p->clock = h->clock;
	}
	if (p->cnt[j] > h->cooling_threshold) {
		h->clock++;
		h->need_cool = true;
	}
}

/* Counts of p as HeMem reads them: stored, or shifted by its clock lag. */
static void counts(const struct tm_hemem *h, const struct hpage *p,
		   bool cooled, uint64_t *reads, uint64_t *writes)
{
	uint64_t lag = cooled ? h->clock - p->clock : 0;

	*reads = shifted(p->cnt[CNT_DRAM_READ], lag) +
		 shifted(p->cnt[CNT_NVM_READ], lag);
	*writes = shifted(p->cnt[CNT_WRITE], lag);
}

/* Move to the cold list every page of hot list l that fails the hot test
 * on its stored or cooled counts, head first. */
static void cool_list(struct tm_hemem *h, unsigned l, bool cooled)
{
	uint32_t id = h->list[l].head;

	while (id != NONE) {
		uint32_t next = h->pg[id].next;
		uint64_t r, w;

		counts(h, &h->pg[id], cooled, &r, &w);
		if (!is_hot(h, r, w))
			relist(h, id, list_tier(l), false);
		id = next;
	}
}

/* Hot list l, head first, as regions of trace pages. */
static void emit(const struct tm_hemem *h, unsigned l, struct tm_rank *r)
{
	for (uint32_t id = h->list[l].head;
	     id != NONE && r->nr_regions < r->cap_regions;
	     id = h->pg[id].next) {
		const struct hpage *p = &h->pg[id];
		struct tm_region *g = &r->regions[r->nr_regions++];
		uint64_t rd, wr;

		counts(h, p, true, &rd, &wr);
		g->start = p->key << h->sub_shift;
		g->end = (p->key + 1) << h->sub_shift;
		g->score = rd + wr;
	}
}

/* One policy round: the migration loop's re-check, the cooling pass after
 * a tick, then FMEM hot pages and SMEM hot pages, heads first. */
static void hemem_rank(void *st, struct tm_rank *r)
{
	struct tm_hemem *h = st;

	r->nr_pairs = 0;
	r->nr_hot = 0;
	r->nr_regions = 0;
	cool_list(h, L_SMEM_HOT, false);
	if (h->need_cool) {
		cool_list(h, L_FMEM_HOT, true);
		cool_list(h, L_SMEM_HOT, true);
		h->need_cool = false;
	}
	if (!r->regions)
		return;
	emit(h, L_FMEM_HOT, r);
	emit(h, L_SMEM_HOT, r);
}

/* HeMem has no epochs: its forgetting is the cooling clock. */
static void hemem_epoch_end(void *st)
{
	(void)st;
}

/* The order the migrator demotes by (file header): 0 unknown, else the
 * page's stamp on its list, hot pages above every cold one. */
static uint64_t hemem_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_hemem *h = st;
	uint32_t id = h->slot[find(h, page >> h->sub_shift)];

	(void)idx;
	if (id == NONE)
		return 0;
	return h->pg[id].seq +
	       (list_hot(h->pg[id].list) ? TM_HEMEM_HOT_BASE : 0);
}

static void hemem_moved(void *st, uint32_t idx, uint64_t page,
			enum tm_tier tier)
{
	struct tm_hemem *h = st;
	uint32_t id = h->slot[find(h, page >> h->sub_shift)];
	unsigned l;

	(void)idx;
	if (id == NONE || (tier != TM_TIER_FMEM && tier != TM_TIER_SMEM))
		return;
	l = h->pg[id].list;
	if (list_tier(l) != tier)
		relist(h, id, tier, list_hot(l));
}

void tm_hemem_peek(const void *st, uint64_t page, struct tm_hemem_peek *out)
{
	const struct tm_hemem *h = st;
	uint32_t id = h->slot[find(h, page >> h->sub_shift)];
	const struct hpage *p;

	memset(out, 0, sizeof(*out));
	out->clock = h->clock;
	if (id == NONE)
		return;
	p = &h->pg[id];
	out->known = true;
	out->hot = list_hot(p->list);
	out->tier = list_tier(p->list);
	counts(h, p, false, &out->reads, &out->writes);
	counts(h, p, true, &out->cooled_reads, &out->cooled_writes);
}

static size_t hemem_memory_bytes(const void *st)
{
	const struct tm_hemem *h = st;

	return sizeof(*h) + (size_t)h->cap_pg * sizeof(*h->pg) +
	       (size_t)(h->mask + 1) * sizeof(*h->slot);
}

static void hemem_free(void *st)
{
	struct tm_hemem *h = st;

	if (!h)
		return;
	free(h->pg);
	free(h->slot);
	free(h);
}

static void *hemem_new(const struct tm_ident_params *p)
{
	const struct tm_hemem_config *c = p->own;
	struct tm_hemem *h = tm_xcalloc(1, sizeof(*h));
	uint32_t shift = c->page_size == TM_HEMEM_PAGE_2MIB ? HEMEM_HUGE_SHIFT :
							       HEMEM_BASE_SHIFT;
	uint64_t want, slots = 2 * HEMEM_MIN_PAGES;

	assert(c->hot_reads >= 1 && c->hot_writes >= 1);
	h->hot_reads = c->hot_reads;
	h->hot_writes = c->hot_writes;
	h->cooling_threshold = c->cooling_threshold;
	h->page_shift = p->page_shift;
	h->sub_shift = shift > p->page_shift ? shift - p->page_shift : 0;
	/* room for twice FMEM's HeMem pages before the first growth */
	want = 2 * (p->nr_fmem_pages >> h->sub_shift);
	h->cap_pg = want > HEMEM_MIN_PAGES ?
		    (uint32_t)(want < UINT32_MAX / 4 ? want : UINT32_MAX / 4) :
		    HEMEM_MIN_PAGES;
	h->pg = tm_xmalloc((size_t)h->cap_pg * sizeof(*h->pg));
	while (slots * 7 < (uint64_t)h->cap_pg * 10)
		slots <<= 1;
	grow_slots(h, slots);
	for (unsigned l = 0; l < NR_LISTS; l++)
		h->list[l].head = h->list[l].tail = NONE;
	return h;
}

typedef struct tm_hemem_config HEMEM;

/* Defaults: webglider/hemem@sosp-submission src/pebs.h. */
static const struct tm_cfg_key hemem_keys[] = {
	TM_CFG_KEY("hot_reads", TM_CFG_U64, 1, 1 << 20, "8", NULL, 0,
		   TM_CFG_F_U32, HEMEM, hot_reads,
		   "hot at this many read samples (HOT_READ_THRESHOLD)"),
	TM_CFG_KEY("hot_writes", TM_CFG_U64, 1, 1 << 20, "4", NULL, 0,
		   TM_CFG_F_U32, HEMEM, hot_writes,
		   "hot at this many write samples (HOT_WRITE_THRESHOLD)"),
	TM_CFG_KEY("cooling_threshold", TM_CFG_U64, 1, 1 << 20, "10", NULL, 0,
		   TM_CFG_F_U32, HEMEM, cooling_threshold,
		   "a count above this ticks the cooling clock (later "
		   "branches: 18)"),
	TM_CFG_KEY("page_size", TM_CFG_ENUM, 0, 0, "2MiB", "2MiB|4KiB", 0,
		   TM_CFG_F_INT, HEMEM, page_size,
		   "HeMem's page: counts and lists per 2 MiB (HeMem) or 4 KiB"),
};

const struct tm_identifier_ops tm_hemem_ops = {
	.kind = {
		.name = "hemem",
		.help = "HeMem (SOSP'21): per-page read/write sample counts, "
			"hot thresholds, a global cooling clock, FIFO lists",
		.keys = hemem_keys,
		.nr_keys = sizeof(hemem_keys) / sizeof(hemem_keys[0]),
		.config_size = sizeof(struct tm_hemem_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_REGIONS | TM_IDENT_TIER,
	},
	/* assumption: HeMem publishes none; this model's
	 * update measured 34 ns with 2 MiB pages (docs/identifiers.md) */
	.cost_ns = 35,
	.new = hemem_new,
	.update = hemem_update,
	.rank = hemem_rank,
	.epoch_end = hemem_epoch_end,
	.estimate = hemem_estimate,
	.moved = hemem_moved,
	.memory_bytes = hemem_memory_bytes,
	.free = hemem_free,
};
