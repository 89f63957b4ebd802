/*
 * autotiering.c - AutoTiering (Kim et al., "Exploring the Design Space of
 * Page Management for Multi-Tiered Memory Systems", ATC'21; DESIGN.md §13;
 * reference/identifiers.md §3 "AutoTiering"; docs/identifiers.md).
 *
 * Rules, from the paper and its kernel (Sys-KU/AutoTiering, Linux 5.3:
 * include/linux/page_balancing.h, mm/page_balancing.c, mm/mprotect.c):
 * - Scanner: AutoNUMA's, as in tpp.c: scan_delay (1 s) after the start,
 *   then one window of scan_size (256 MiB) per scan_period (1 s), from where
 *   the last stopped.  AutoNUMA makes the pages of both tiers PROT_NONE.
 * - History (change_pte_range, mod_page_access_lv): when the scanner visits
 *   a page, an 8-bit bitmap shifts left and takes 1 if the page was accessed
 *   since its last visit (its PTE is no longer PROT_NONE: it took a hint
 *   fault) and 0 if it is still PROT_NONE; bit 0 is the latest period.  A
 *   page starts with all 8 bits set ((u8)~(1 << 8), init_pages_in_zone and
 *   reset_page_access_lv).
 * - LAP level = popcount of the bitmap, 0..8 (__get_page_access_lv).  The
 *   FMEM pages are kept in one LAP list per level (skip_lower_tier: SMEM
 *   pages are not tracked); at each visit a page goes to the tail of its
 *   level's list if its latest bit is 1, to the head if 0
 *   (add_page_for_tracking).  The least accessed page is the head of the
 *   lowest non-empty level.
 * - CPM (conservative promotion): a hint fault on an SMEM page promotes it
 *   if FMEM has room (free share above promote_free).
 * - OPM (opportunistic): without room, the least accessed FMEM page is
 *   demoted and the faulting page promoted in its place, if the victim's
 *   level is lower than the faulting page's.
 * - Background demotion (page_balancing background_demotion, off by
 *   default in the kernel): at each epoch, the least accessed FMEM pages go
 *   to the cold list until demote_wmark x FMEM is free.
 *
 * Placement (tmsim's `migrate` mode): rank() returns the pages whose fault
 * chose promotion since the last epoch, then the FMEM pages by LAP level,
 * highest first (most recently accessed first within a level); the cold
 * list holds the OPM victims and the background demotions
 * (TM_IDENT_COLD).  The kernel migrates at the fault; here the moves wait
 * for the next epoch.
 *
 * Notes (what a trace does not give, and what tmsim assumes):
 * - The paper states OPM as demoting "the least accessed page" to make room
 *   for a promotion; the strict "victim level < faulting level" test is
 *   tmsim's reading of it (without it every fault would swap).
 * - The kernel's room test (migrate_balanced_pgdat: free pages over the
 *   zone's high watermark) is a share of FMEM here, 0 by default
 *   (assumption); the background-demotion watermark (kswapd's) is
 *   demote_wmark (assumption, TPP's 2%).
 * - A page promoted or demoted keeps its history (copy_page_info,
 *   exchange_page_info): tmsim keys it by the virtual page.  It joins a LAP
 *   list at the scanner's next visit while in FMEM, as in the kernel.
 * - The scan period is fixed (AutoNUMA adapts it between 1 s and 60 s from
 *   the faults' locality, which a single-node trace does not have); a
 *   window counts touched pages (tpp.c's note).  THP, the busy lock and the
 *   deferred (exchange) list are not modelled; a fault and a scan cost the
 *   application nothing; their CPU is cost_per_pte and cost_per_fault
 *   (assumptions, as tpp's).
 */
#include "autotiering.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define NIL UINT32_MAX
#define F_QUEUED 0x1u   /* on the promotion list */
#define F_TRACKED 0x2u  /* on a LAP list (FMEM, visited since it came) */
#define F_VICTIM 0x4u   /* on the cold list */
#define F_COLD 0x8u     /* rank(): on this epoch's cold list */

struct sorted {
	uint64_t page;
	uint32_t idx;
};

struct tm_at {
	struct tm_at_config c;
	uint64_t nr_window;           /* pages per window */
	uint32_t nr, cap;             /* dense indexes [0, nr) */
	uint8_t *hist, *tier, *flags;
	uint32_t *prev, *next;        /* LAP list links */
	uint32_t head[TM_AT_NR_LEVELS], tail[TM_AT_NR_LEVELS];
	struct sorted *by_addr, *scratch; /* pages in address order */
	uint64_t cursor;              /* next page number to scan */
	uint32_t *promo, *victim;     /* this epoch's promotions, victims */
	uint32_t nr_promo, nr_victim;
	struct tm_at_stats st;
};

static unsigned level_of(uint8_t h)
{
	return (unsigned)__builtin_popcount(h);
}

static void grow(struct tm_at *a, uint32_t nr)
{
	uint32_t cap = a->cap ? a->cap : 1024;

	while (cap < nr)
		cap *= 2;
	if (cap == a->cap)
		return;
#define GROW(x) (a->x = tm_xrealloc(a->x, cap * sizeof(*a->x)))
	GROW(hist);
	GROW(tier);
	GROW(flags);
	GROW(prev);
	GROW(next);
	GROW(by_addr);
	GROW(scratch);
	GROW(promo);
	GROW(victim);
#undef GROW
	a->cap = cap;
}

/* ---- LAP lists: one doubly linked list per level, FMEM pages only ---- */

static void lap_del(struct tm_at *a, uint32_t idx)
{
	unsigned lv = level_of(a->hist[idx]);
	uint32_t p = a->prev[idx], n = a->next[idx];

	assert(a->flags[idx] & F_TRACKED);
	if (p == NIL)
		a->head[lv] = n;
	else
		a->next[p] = n;
	if (n == NIL)
		a->tail[lv] = p;
	else
		a->prev[n] = p;
	a->flags[idx] &= (uint8_t)~F_TRACKED;
	a->st.nr_lap[lv]--;
}

/* Add idx to its level's list: tail if recently accessed, else head. */
static void lap_add(struct tm_at *a, uint32_t idx)
{
	unsigned lv = level_of(a->hist[idx]);

	if (a->hist[idx] & 1u) {
		a->prev[idx] = a->tail[lv];
		a->next[idx] = NIL;
		if (a->tail[lv] == NIL)
			a->head[lv] = idx;
		else
			a->next[a->tail[lv]] = idx;
		a->tail[lv] = idx;
	} else {
		a->next[idx] = a->head[lv];
		a->prev[idx] = NIL;
		if (a->head[lv] == NIL)
			a->tail[lv] = idx;
		else
			a->prev[a->head[lv]] = idx;
		a->head[lv] = idx;
	}
	a->flags[idx] |= F_TRACKED;
	a->st.nr_lap[lv]++;
}

/* The least accessed tracked page (head of the lowest level), or NIL. */
static uint32_t lap_victim(const struct tm_at *a)
{
	for (unsigned lv = 0; lv < TM_AT_NR_LEVELS; lv++)
		if (a->head[lv] != NIL)
			return a->head[lv];
	return NIL;
}

/* ---- the scanner (AutoNUMA's windows, as tpp.c) ---- */

static int by_page(const void *x, const void *y)
{
	const struct sorted *p = x, *q = y;

	return p->page < q->page ? -1 : p->page > q->page;
}

/* Merge the sorted new pages (scratch[0, n)) into by_addr[0, old). */
static void merge_new(struct tm_at *a, uint32_t old, uint32_t n)
{
	uint32_t i = old, j = n, k = old + n;

	while (j > 0) {
		if (i > 0 && a->by_addr[i - 1].page > a->scratch[j - 1].page)
			a->by_addr[--k] = a->by_addr[--i];
		else
			a->by_addr[--k] = a->scratch[--j];
	}
}

/* Take in the pages touched since the last scan (all bits set). */
static void sync_pages(struct tm_at *a, const struct tm_scan *sc)
{
	uint32_t old = a->nr, n = sc->nr_pages - old;

	if (sc->nr_pages <= a->nr)
		return;
	grow(a, sc->nr_pages);
	for (uint32_t i = old; i < sc->nr_pages; i++) {
		a->hist[i] = 0xff;
		a->tier[i] = sc->tier[i];
		a->flags[i] = 0;
		a->scratch[i - old] = (struct sorted){ tm_scan_page(sc, i), i };
	}
	qsort(a->scratch, n, sizeof(*a->scratch), by_page);
	merge_new(a, old, n);
	a->nr = sc->nr_pages;
}

/* One page's visit: shift in whether it faulted since the last one,
 * re-file it on the LAP lists (FMEM), make it PROT_NONE. */
static void visit(struct tm_at *a, struct tm_scan *sc, uint32_t idx)
{
	unsigned accessed = !tm_scan_unmapped(sc, idx);

	if (a->flags[idx] & F_TRACKED)
		lap_del(a, idx);
	a->hist[idx] = (uint8_t)((unsigned)a->hist[idx] << 1 | accessed);
	if (a->tier[idx] == TM_TIER_FMEM && !(a->flags[idx] & F_VICTIM))
		lap_add(a, idx);
	tm_scan_unmap(sc, idx);
}

static uint64_t at_scan(void *st, struct tm_scan *sc)
{
	struct tm_at *a = st;
	uint32_t lo = 0, hi;
	uint64_t n = 0;

	if (sc->now_ns == 0)   /* the engine's first call */
		return a->c.scan_delay_ns;
	sync_pages(a, sc);
	hi = a->nr;
	while (lo < hi) {   /* the first page at or after the cursor */
		uint32_t mid = lo + (hi - lo) / 2;

		if (a->by_addr[mid].page < a->cursor)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < a->nr && n < a->nr_window; lo++, n++)
		visit(a, sc, a->by_addr[lo].idx);
	a->cursor = lo < a->nr ? a->by_addr[lo].page : 0;
	a->st.nr_scanned += n;
	a->st.nr_scans++;
	return sc->now_ns + a->c.scan_period_ns;
}

/* ---- hint faults: CPM, then OPM ---- */

static void queue_promo(struct tm_at *a, uint32_t idx)
{
	a->flags[idx] |= F_QUEUED;
	a->promo[a->nr_promo++] = idx;
}

static void at_fault(void *st, const struct tm_fault *f)
{
	struct tm_at *a = st;
	uint64_t keep = (uint64_t)ceil(a->c.promote_free *
				       (double)f->nr_fmem_cap_pages);
	uint64_t nr_free = f->nr_fmem_free_pages;
	uint32_t v;

	assert(f->idx < a->nr);
	a->st.nr_faults++;
	if (f->tier != TM_TIER_SMEM || (a->flags[f->idx] & F_QUEUED))
		return;
	/* room left after the promotions already queued this epoch (each
	 * OPM exchange frees what it takes) */
	nr_free = nr_free > a->nr_promo - a->nr_victim ?
		  nr_free - (a->nr_promo - a->nr_victim) : 0;
	if (nr_free > keep) {
		queue_promo(a, f->idx);
		a->st.nr_cpm++;
		return;
	}
	v = a->c.mode == TM_AT_OPM ? lap_victim(a) : NIL;
	if (v == NIL || level_of(a->hist[v]) >= level_of(a->hist[f->idx])) {
		a->st.nr_refused++;
		return;
	}
	lap_del(a, v);
	a->flags[v] |= F_VICTIM;
	a->victim[a->nr_victim++] = v;
	queue_promo(a, f->idx);
	a->st.nr_opm++;
}

/* ---- rank ---- */

static void push_cold(struct tm_at *a, struct tm_rank *r, uint32_t idx)
{
	if (r->nr_cold < r->cap) {
		r->cold[r->nr_cold++] = idx;
		a->flags[idx] |= F_COLD;
	}
}

/* The OPM victims, then background demotions to the watermark. */
static void fill_cold(struct tm_at *a, struct tm_rank *r, size_t nr_promo)
{
	uint64_t cap = r->nr_fmem_cap_pages, used = r->nr_fmem_pages;
	uint64_t want = (uint64_t)ceil(a->c.demote_wmark * (double)cap);
	uint64_t nr_free = used < cap ? cap - used : 0;

	for (uint32_t i = 0; i < a->nr_victim; i++) {
		uint32_t v = a->victim[i];

		a->flags[v] &= (uint8_t)~F_VICTIM;
		if (r->cold && a->tier[v] == TM_TIER_FMEM)
			push_cold(a, r, v);
	}
	a->nr_victim = 0;
	if (!r->cold || !a->c.background_demotion)
		return;
	/* the watermark after this epoch's promotions and demotions */
	nr_free += r->nr_cold;
	want += nr_promo;
	for (unsigned lv = 0; lv < TM_AT_NR_LEVELS; lv++)
		for (uint32_t i = a->head[lv]; i != NIL && nr_free < want;
		     i = a->next[i]) {
			push_cold(a, r, i);
			nr_free++;
			a->st.nr_background++;
		}
}

static void at_rank(void *st, struct tm_rank *r)
{
	struct tm_at *a = st;
	size_t nr_promo;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	for (uint32_t i = 0; i < a->nr_promo; i++) {
		uint32_t idx = a->promo[i];

		a->flags[idx] &= (uint8_t)~F_QUEUED;
		if (a->tier[idx] == TM_TIER_SMEM && r->nr_hot < r->cap)
			r->hot[r->nr_hot++] = idx;
	}
	a->nr_promo = 0;
	nr_promo = r->nr_hot;
	fill_cold(a, r, nr_promo);
	/* FMEM by level, highest first: pages not yet on a list, then the
	 * list from its tail (most recently accessed) */
	for (unsigned lv = TM_AT_NR_LEVELS; lv-- > 0;) {
		for (uint32_t i = 0; i < a->nr && r->nr_hot < r->cap; i++)
			if (a->tier[i] == TM_TIER_FMEM &&
			    !(a->flags[i] & (F_TRACKED | F_COLD)) &&
			    level_of(a->hist[i]) == lv)
				r->hot[r->nr_hot++] = i;
		for (uint32_t i = a->tail[lv]; i != NIL && r->nr_hot < r->cap;
		     i = a->prev[i])
			if (!(a->flags[i] & F_COLD))
				r->hot[r->nr_hot++] = i;
	}
	for (size_t i = 0; i < r->nr_cold; i++)
		a->flags[r->cold[i]] &= (uint8_t)~F_COLD;
}

static void at_update(void *st, struct tm_sample s)
{
	(void)st;
	(void)s;
}

static void at_epoch_end(void *st)
{
	(void)st;
}

/* LAP level + 1 (0: not known yet). */
static uint64_t at_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_at *a = st;

	(void)page;
	return idx < a->nr ? level_of(a->hist[idx]) + 1 : 0;
}

/* A page that leaves FMEM leaves its LAP list; one that arrives joins one
 * at the scanner's next visit. */
static void at_moved(void *st, uint32_t idx, uint64_t page, enum tm_tier tier)
{
	struct tm_at *a = st;

	(void)page;
	if (idx >= a->nr)
		return;
	if (tier != TM_TIER_FMEM && (a->flags[idx] & F_TRACKED))
		lap_del(a, idx);
	a->tier[idx] = (uint8_t)tier;
}

static size_t at_memory_bytes(const void *st)
{
	const struct tm_at *a = st;

	return sizeof(*a) + (size_t)a->cap *
	       (sizeof(*a->hist) + sizeof(*a->tier) + sizeof(*a->flags) +
		sizeof(*a->prev) + sizeof(*a->next) + sizeof(*a->by_addr) +
		sizeof(*a->scratch) + sizeof(*a->promo) + sizeof(*a->victim));
}

static void at_cost(const void *st, struct tm_ident_cost *out)
{
	const struct tm_at *a = st;

	out->nr_ptes = a->st.nr_scanned;
	out->scan_ns = (double)a->st.nr_scanned * a->c.cost_ns_per_pte;
	out->nr_faults = a->st.nr_faults;
	out->fault_ns = (double)a->st.nr_faults * a->c.cost_ns_per_fault;
}

static void at_free(void *st)
{
	struct tm_at *a = st;

	if (!a)
		return;
	free(a->hist);
	free(a->tier);
	free(a->flags);
	free(a->prev);
	free(a->next);
	free(a->by_addr);
	free(a->scratch);
	free(a->promo);
	free(a->victim);
	free(a);
}

static void *at_new(const struct tm_ident_params *p)
{
	const struct tm_at_config *c = p->own;
	struct tm_at *a = tm_xcalloc(1, sizeof(*a));

	a->c = *c;
	a->nr_window = c->sz_scan >> p->page_shift;
	if (!a->nr_window)
		a->nr_window = 1;
	for (unsigned lv = 0; lv < TM_AT_NR_LEVELS; lv++)
		a->head[lv] = a->tail[lv] = NIL;
	grow(a, 1024);
	return a;
}

void tm_at_get_stats(const void *st, struct tm_at_stats *out)
{
	*out = ((const struct tm_at *)st)->st;
}

uint8_t tm_at_history(const void *st, uint32_t idx)
{
	const struct tm_at *a = st;

	return idx < a->nr ? a->hist[idx] : 0;
}

size_t tm_at_lap_list(const void *st, unsigned level, uint32_t *out,
		      size_t cap)
{
	const struct tm_at *a = st;
	size_t n = 0;

	assert(level < TM_AT_NR_LEVELS);
	for (uint32_t i = a->head[level]; i != NIL; i = a->next[i], n++)
		if (n < cap)
			out[n] = i;
	return n;
}

typedef struct tm_at_config AT;

/* Defaults: AutoNUMA's sysctls (Linux 5.3) and the AutoTiering kernel's
 * page_balancing knobs; the rest are assumptions, named so. */
static const struct tm_cfg_key at_keys[] = {
	TM_SCAN_APPROX_KEY(AT),
	TM_CFG_KEY("scan_delay", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, AT, scan_delay_ns,
		   "first window after this (numa_balancing_scan_delay_ms)"),
	TM_CFG_KEY("scan_period", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, AT, scan_period_ns,
		   "one window per this (fixed; the kernel's initial period)"),
	TM_CFG_KEY("scan_size", TM_CFG_SIZE, 4096, 1ull << 50, "256MiB", NULL,
		   0, TM_CFG_F_U64, AT, sz_scan,
		   "window of address space (numa_balancing_scan_size_mb)"),
	TM_CFG_KEY("mode", TM_CFG_ENUM, 0, 0, "opm", "cpm|opm", 0,
		   TM_CFG_F_INT, AT, mode,
		   "cpm: promote into room only; opm: else exchange with "
		   "a lower-LAP FMEM page"),
	TM_CFG_KEY("promote_free", TM_CFG_SHARE, 0, 1, "0%", NULL, 0,
		   TM_CFG_F_DBL, AT, promote_free,
		   "FMEM has room above this free share (assumption)"),
	TM_CFG_KEY("background_demotion", TM_CFG_BOOL, 0, 0, "false", NULL,
		   0, TM_CFG_F_BOOL, AT, background_demotion,
		   "demote least accessed pages to keep demote_wmark free "
		   "(page_balancing background_demotion)"),
	TM_CFG_KEY("demote_wmark", TM_CFG_SHARE, 0, 1, "2%", NULL, 0,
		   TM_CFG_F_DBL, AT, demote_wmark,
		   "free share background demotion keeps (assumption)"),
	/* assumptions, as tpp's: a PTE rewrite of a few ns plus the walk;
	 * a hint fault is a minor fault of about a microsecond */
	TM_CFG_KEY("cost_per_pte", TM_CFG_TIME, 0, 1e6, "10ns", NULL, 0,
		   TM_CFG_F_DBL, AT, cost_ns_per_pte,
		   "modelled CPU per page a window visits (assumption)"),
	TM_CFG_KEY("cost_per_fault", TM_CFG_TIME, 0, 1e9, "1us", NULL, 0,
		   TM_CFG_F_DBL, AT, cost_ns_per_fault,
		   "modelled CPU per hint fault (assumption)"),
};

const struct tm_identifier_ops tm_autotiering_ops = {
	.kind = {
		.name = "autotiering",
		.help = "AutoTiering (ATC'21): 8-bit hint-fault history, LAP "
			"lists, CPM/OPM promotion, background demotion; full "
			"traces",
		.keys = at_keys,
		.nr_keys = sizeof(at_keys) / sizeof(at_keys[0]),
		.config_size = sizeof(struct tm_at_config),
		.flags = TM_IDENT_SCAN | TM_IDENT_FAULTS | TM_IDENT_COLD,
	},
	/* it takes no samples: its CPU is per visited page and fault */
	.cost_ns = 0,
	.new = at_new,
	.update = at_update,
	.scan = at_scan,
	.fault = at_fault,
	.rank = at_rank,
	.epoch_end = at_epoch_end,
	.estimate = at_estimate,
	.moved = at_moved,
	.memory_bytes = at_memory_bytes,
	.cost = at_cost,
	.free = at_free,
};
