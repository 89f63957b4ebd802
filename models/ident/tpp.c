/*
 * tpp.c - Linux NUMA-balancing memory tiering (numa_balancing=2, the
 * upstream successor of TPP), with the original TPP promotion rule as an
 * option (DESIGN.md §13; reference/identifiers.md §3 "TPP"; TPP, Maruf et
 * al., ASPLOS'23; docs/identifiers.md).
 *
 * Rules, from Linux kernel/sched/fair.c (task_numa_work,
 * should_numa_migrate_memory, numa_hint_fault_latency,
 * numa_promotion_rate_limit, numa_promotion_adjust_threshold,
 * pgdat_free_space_enough; 6.3-6.6) and mm/mprotect.c (change_pte_range):
 * - Scanner: scan_delay (1 s) after the start, then one window every
 *   scan_period (1 s): the next scan_size (256 MiB) of the address space
 *   from where the last window stopped, restarting at the lowest address
 *   after the end.  In tiering mode only slow-tier pages are made PROT_NONE
 *   (FMEM pages are skipped), and each records the scan time (its "access
 *   time"); a page still PROT_NONE from an earlier window keeps its time.
 * - Hint fault (engine fault()): on an SMEM page, in the upstream rule:
 *   promote if FMEM has room (free > max(promote_free_min, FMEM x
 *   promote_free_share), pgdat_free_space_enough's enough_wmark; the
 *   threshold resets to the default); else adjust the threshold (below),
 *   and refuse if the hint-fault latency (fault time - scan time) >=
 *   threshold (default hot_threshold, 1 s); else count a promotion
 *   candidate and refuse if this second's candidates reach
 *   promote_rate_limit (65536 MB/s in pages).
 * - Threshold (numa_promotion_adjust_threshold), at most once per
 *   scan_period_max (60 s): ref = rate_limit x 60 s; candidates in the
 *   period > 1.1 ref: th = max(th - unit, unit); < 0.9 ref: th = min(th +
 *   unit, 2 x default); unit = 2 x default / 16.
 * - TPP rule (`rule: active`): a hint fault on an inactive SMEM page only
 *   activates it; the next fault on the active page promotes it (the
 *   paper's ping-pong filter).
 * - Demotion decoupled from allocation (TPP: demote_scale_factor 2%): at
 *   each epoch, while FMEM has less than demote_wmark x FMEM free, its
 *   least recently referenced pages go to the cold list (kswapd's demotion
 *   of the inactive LRU tail to the slow node).
 *
 * Placement (tmsim's `migrate` mode): rank() returns the pages whose
 * fault chose promotion since the last epoch, then the FMEM pages most
 * recently referenced first (the placement TPP keeps, for the metrics);
 * the engine promotes the former into free FMEM only and demotes the cold
 * list (TM_IDENT_COLD).  The kernel migrates at the fault; here the move
 * waits for the next epoch.
 *
 * Notes (what a trace does not give, and what tmsim assumes):
 * - The kernel's LRU lists are not in a trace.  Recency is the last scan
 *   (every scan_period) at which the page's accessed bit was found set
 *   (kswapd's page_referenced aging, at that granularity); the TPP rule's
 *   "active" bit is set by a first hint fault and cleared when the page
 *   leaves SMEM.
 * - Real fault latency and the cost of a fault are not in a trace: a fault
 *   costs nothing to the application here, and the latency is the trace's
 *   time between the scan and the access.
 * - The scan period adapts in the kernel between task_scan_min and
 *   task_scan_max from the locality of faults on top-tier pages; in
 *   tiering-only mode those pages are not scanned and slow-tier faults do
 *   not count, so the period stays at its initial value (scan_delay);
 *   tmsim keeps scan_period fixed (assumption).
 * - A window counts touched pages (a trace knows no VMA); the kernel counts
 *   the virtual range walked.  Zone watermarks (min/low/high, 0.1% of a
 *   node by default) are left out of the free-room test.
 * - The kernel promotes at the fault; migration failures and the
 *   PAGE_ACCESS_TIME_MASK wrap are not modelled.
 */
#include "tpp.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define F_QUEUED 0x1u   /* on the promotion list */
#define F_ACTIVE 0x2u   /* TPP rule: activated by a fault */
#define ADJUST_STEPS 16 /* NUMA_MIGRATION_ADJUST_STEPS */

struct sorted {
	uint64_t page;
	uint32_t idx;
};

struct tm_tpp {
	struct tm_tpp_config c;
	uint32_t page_shift;
	uint64_t nr_window;           /* pages per window */
	uint64_t rate_limit;          /* pages per second */
	/* per dense index, [0, nr) */
	uint32_t nr, cap;
	uint64_t *scan_ns;            /* when the page was made PROT_NONE */
	uint64_t *ref_ns;             /* last scan that found it referenced */
	uint8_t *tier, *flags;
	struct sorted *by_addr;       /* the pages in address order */
	uint64_t cursor;              /* next page number to scan */
	uint32_t *promo;              /* faults that chose promotion */
	uint32_t nr_promo;
	struct sorted *scratch;       /* rank(): (ref_ns, idx) of FMEM pages */
	/* should_numa_migrate_memory's node state */
	uint64_t th_ns;               /* nbp_threshold, 0: the default */
	uint64_t th_start_ns, th_nr_cand;
	uint64_t rl_start_ns, rl_nr_cand;
	struct tm_tpp_stats st;
};

static void grow(struct tm_tpp *t, uint32_t nr)
{
	uint32_t cap = t->cap ? t->cap : 1024;

	while (cap < nr)
		cap *= 2;
	if (cap == t->cap)
		return;
	t->scan_ns = tm_xrealloc(t->scan_ns, cap * sizeof(*t->scan_ns));
	t->ref_ns = tm_xrealloc(t->ref_ns, cap * sizeof(*t->ref_ns));
	t->tier = tm_xrealloc(t->tier, cap * sizeof(*t->tier));
	t->flags = tm_xrealloc(t->flags, cap * sizeof(*t->flags));
	t->by_addr = tm_xrealloc(t->by_addr, cap * sizeof(*t->by_addr));
	t->promo = tm_xrealloc(t->promo, cap * sizeof(*t->promo));
	t->scratch = tm_xrealloc(t->scratch, cap * sizeof(*t->scratch));
	t->cap = cap;
}

static int by_page(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	return x->page < y->page ? -1 : x->page > y->page;
}

/* Merge the sorted new pages (scratch[0, n)) into by_addr[0, old), from
 * the back: only the entries above the lowest new page move.  A full sort
 * per scan took 35% of a 10 ms-period replay of a 1 GiB Zipf trace, whose
 * new pages keep coming (perf). */
static void merge_new(struct tm_tpp *t, uint32_t old, uint32_t n)
{
	uint32_t i = old, j = n, k = old + n;

	while (j > 0) {
		if (i > 0 && t->by_addr[i - 1].page > t->scratch[j - 1].page)
			t->by_addr[--k] = t->by_addr[--i];
		else
			t->by_addr[--k] = t->scratch[--j];
	}
}

/* Take in the pages touched since the last scan; refresh every tier. */
static void sync_pages(struct tm_tpp *t, const struct tm_scan *sc)
{
	uint32_t old = t->nr, n = sc->nr_pages - old;

	if (sc->nr_pages > t->nr) {
		grow(t, sc->nr_pages);
		for (uint32_t i = old; i < sc->nr_pages; i++) {
			t->scan_ns[i] = 0;
			t->ref_ns[i] = sc->now_ns;   /* touched: referenced */
			t->flags[i] = 0;
			t->scratch[i - old] = (struct sorted){
				tm_scan_page(sc, i), i };
		}
		qsort(t->scratch, n, sizeof(*t->scratch), by_page);
		merge_new(t, old, n);
		t->nr = sc->nr_pages;
	}
	memcpy(t->tier, sc->tier, t->nr);
}

/* One window of the address space from the cursor (task_numa_work). */
static void scan_window(struct tm_tpp *t, struct tm_scan *sc)
{
	uint32_t lo = 0, hi = t->nr;
	uint64_t n = 0;

	while (lo < hi) {   /* the first page at or after the cursor */
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->by_addr[mid].page < t->cursor)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->nr && n < t->nr_window; lo++, n++) {
		uint32_t idx = t->by_addr[lo].idx;

		if (t->tier[idx] != TM_TIER_SMEM || tm_scan_unmapped(sc, idx))
			continue;
		tm_scan_unmap(sc, idx);
		t->scan_ns[idx] = sc->now_ns;
		t->st.nr_unmapped++;
	}
	t->cursor = lo < t->nr ? t->by_addr[lo].page : 0;
	t->st.nr_scanned += n;
	t->st.nr_scans++;
}

static uint64_t tpp_scan(void *st, struct tm_scan *sc)
{
	struct tm_tpp *t = st;

	if (sc->now_ns == 0) {   /* the engine's first call */
		t->th_start_ns = t->rl_start_ns = 0;
		return t->c.scan_delay_ns;
	}
	sync_pages(t, sc);
	for (uint32_t i = tm_scan_next_accessed(sc, 0); i < sc->nr_pages;
	     i = tm_scan_next_accessed(sc, i + 1))
		t->ref_ns[i] = sc->now_ns;
	scan_window(t, sc);
	return sc->now_ns + t->c.scan_period_ns;
}

/* numa_promotion_adjust_threshold. */
static void adjust_threshold(struct tm_tpp *t, uint64_t now_ns)
{
	uint64_t def = t->c.hot_threshold_ns, unit = def * 2 / ADJUST_STEPS;
	uint64_t ref, diff, th;

	if (now_ns - t->th_start_ns <= t->c.scan_period_max_ns)
		return;
	t->th_start_ns = now_ns;
	ref = (uint64_t)((double)t->rate_limit *
			 ((double)t->c.scan_period_max_ns / 1e9));
	diff = t->st.nr_candidates - t->th_nr_cand;
	th = t->th_ns ? t->th_ns : def;
	if (diff > ref * 11 / 10)
		th = th - unit > unit && th > unit ? th - unit : unit;
	else if (diff < ref * 9 / 10)
		th = th + unit < 2 * def ? th + unit : 2 * def;
	t->th_nr_cand = t->st.nr_candidates;
	t->th_ns = th;
}

/* numa_promotion_rate_limit: true if this second's candidates are over. */
static bool rate_limited(struct tm_tpp *t, uint64_t now_ns)
{
	t->st.nr_candidates++;
	if (now_ns - t->rl_start_ns > 1000000000u) {
		t->rl_start_ns = now_ns;
		t->rl_nr_cand = t->st.nr_candidates;
	}
	return t->st.nr_candidates - t->rl_nr_cand >= t->rate_limit;
}

/* should_numa_migrate_memory, tiering branch. */
static bool upstream_promote(struct tm_tpp *t, const struct tm_fault *f)
{
	uint64_t room = t->c.sz_promote_free_min >> t->page_shift;
	uint64_t part = (uint64_t)(t->c.promote_free_share *
				   (double)f->nr_fmem_cap_pages);
	uint64_t th;

	if (part > room)
		room = part;   /* enough_wmark = max(1 GiB, node / 16) */
	if (f->nr_fmem_free_pages > room) {
		t->th_ns = 0;   /* workload changed: reset the threshold */
		return true;
	}
	adjust_threshold(t, f->time_ns);
	th = t->th_ns ? t->th_ns : t->c.hot_threshold_ns;
	if (f->time_ns - t->scan_ns[f->idx] >= th)
		return false;
	if (rate_limited(t, f->time_ns)) {
		t->st.nr_rate_limited++;
		return false;
	}
	return true;
}

static void tpp_fault(void *st, const struct tm_fault *f)
{
	struct tm_tpp *t = st;
	bool promote;

	assert(f->idx < t->nr);
	t->st.nr_faults++;
	if (f->tier != TM_TIER_SMEM || (t->flags[f->idx] & F_QUEUED))
		return;
	if (t->c.rule == TM_TPP_ACTIVE) {
		promote = (t->flags[f->idx] & F_ACTIVE) != 0;
		t->flags[f->idx] |= F_ACTIVE;
	} else {
		promote = upstream_promote(t, f);
	}
	if (!promote)
		return;
	t->flags[f->idx] |= F_QUEUED;
	t->promo[t->nr_promo++] = f->idx;
	t->st.nr_promote++;
}

static int by_ref(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The promotions, then FMEM most recently referenced first; the least
 * recently referenced FMEM pages below the free watermark go cold. */
static void tpp_rank(void *st, struct tm_rank *r)
{
	struct tm_tpp *t = st;
	uint64_t cap = r->nr_fmem_cap_pages, used = r->nr_fmem_pages;
	uint64_t want = (uint64_t)ceil(t->c.demote_wmark * (double)cap);
	uint64_t free_pages = used < cap ? cap - used : 0, need;
	uint32_t nf = 0;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	for (uint32_t i = 0; i < t->nr_promo; i++) {
		uint32_t idx = t->promo[i];

		t->flags[idx] &= (uint8_t)~F_QUEUED;
		if (t->tier[idx] == TM_TIER_SMEM && r->nr_hot < r->cap)
			r->hot[r->nr_hot++] = idx;
	}
	t->nr_promo = 0;
	for (uint32_t i = 0; i < t->nr; i++)
		if (t->tier[i] == TM_TIER_FMEM)
			t->scratch[nf++] = (struct sorted){ t->ref_ns[i], i };
	qsort(t->scratch, nf, sizeof(*t->scratch), by_ref);
	/* kswapd keeps the watermark after the promotions take their room */
	want += r->nr_hot;
	need = want > free_pages ? want - free_pages : 0;
	if (need > nf)
		need = nf;
	if (!r->cold)
		need = 0;
	for (uint64_t i = 0; i < need && i < r->cap; i++)
		r->cold[r->nr_cold++] = t->scratch[i].idx;
	t->st.nr_demote += r->nr_cold;
	for (uint32_t i = nf; i-- > need && r->nr_hot < r->cap;)
		r->hot[r->nr_hot++] = t->scratch[i].idx;
}

static void tpp_update(void *st, struct tm_sample s)
{
	(void)st;
	(void)s;
}

static void tpp_epoch_end(void *st)
{
	(void)st;
}

/* Recency: the last scan that found the page referenced, + 1 (0: not
 * known yet). */
static uint64_t tpp_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_tpp *t = st;

	(void)page;
	return idx < t->nr ? t->ref_ns[idx] + 1 : 0;
}

static void tpp_moved(void *st, uint32_t idx, uint64_t page,
		      enum tm_tier tier)
{
	struct tm_tpp *t = st;

	(void)page;
	if (idx >= t->nr)
		return;
	t->tier[idx] = (uint8_t)tier;
	if (tier != TM_TIER_SMEM)   /* off the slow node's LRU */
		t->flags[idx] &= (uint8_t)~F_ACTIVE;
}

static size_t tpp_memory_bytes(const void *st)
{
	const struct tm_tpp *t = st;

	return sizeof(*t) + (size_t)t->cap *
	       (sizeof(*t->scan_ns) + sizeof(*t->ref_ns) + sizeof(*t->tier) +
		sizeof(*t->flags) + sizeof(*t->by_addr) + sizeof(*t->promo) +
		sizeof(*t->scratch));
}

/* The windows and faults so far and their modelled CPU (tpp takes no
 * samples). */
static void tpp_cost(const void *st, struct tm_ident_cost *out)
{
	const struct tm_tpp *t = st;

	out->nr_ptes = t->st.nr_scanned;
	out->scan_ns = (double)t->st.nr_scanned * t->c.cost_ns_per_pte;
	out->nr_faults = t->st.nr_faults;
	out->fault_ns = (double)t->st.nr_faults * t->c.cost_ns_per_fault;
}

static void tpp_free(void *st)
{
	struct tm_tpp *t = st;

	if (!t)
		return;
	free(t->scan_ns);
	free(t->ref_ns);
	free(t->tier);
	free(t->flags);
	free(t->by_addr);
	free(t->promo);
	free(t->scratch);
	free(t);
}

static void *tpp_new(const struct tm_ident_params *p)
{
	const struct tm_tpp_config *c = p->own;
	struct tm_tpp *t = tm_xcalloc(1, sizeof(*t));

	t->c = *c;
	t->page_shift = p->page_shift;
	t->nr_window = c->sz_scan >> p->page_shift;
	if (!t->nr_window)
		t->nr_window = 1;
	/* MB_to_pages(rate limit) */
	t->rate_limit = (uint64_t)(c->promote_rate_limit /
				   (double)(UINT64_C(1) << p->page_shift));
	if (!t->rate_limit)
		t->rate_limit = 1;
	grow(t, 1024);
	return t;
}

void tm_tpp_get_stats(const void *st, struct tm_tpp_stats *out)
{
	const struct tm_tpp *t = st;

	*out = t->st;
	out->threshold_ns = t->th_ns;
}

typedef struct tm_tpp_config TPP;

/* Defaults: Linux sysctls (Documentation/admin-guide/sysctl/kernel.rst,
 * kernel/sched/fair.c) and TPP's demote_scale_factor. */
static const struct tm_cfg_key tpp_keys[] = {
	TM_SCAN_APPROX_KEY(TPP),
	TM_CFG_KEY("scan_delay", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, TPP, scan_delay_ns,
		   "first window after this (numa_balancing_scan_delay_ms)"),
	TM_CFG_KEY("scan_period", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, TPP, scan_period_ns,
		   "one window per this (fixed; the kernel's initial period)"),
	TM_CFG_KEY("scan_size", TM_CFG_SIZE, 4096, 1ull << 50, "256MiB", NULL,
		   0, TM_CFG_F_U64, TPP, sz_scan,
		   "window of address space (numa_balancing_scan_size_mb)"),
	TM_CFG_KEY("scan_period_max", TM_CFG_TIME, 1000, 1e13, "60s", NULL, 0,
		   TM_CFG_F_U64, TPP, scan_period_max_ns,
		   "threshold adjusted once per this "
		   "(numa_balancing_scan_period_max_ms)"),
	TM_CFG_KEY("hot_threshold", TM_CFG_TIME, 1000, 1e12, "1s", NULL, 0,
		   TM_CFG_F_U64, TPP, hot_threshold_ns,
		   "promote if hint-fault latency is below "
		   "(numa_balancing_hot_threshold_ms)"),
	TM_CFG_KEY("promote_rate_limit", TM_CFG_BRATE, 1, 1e15, "65536MB/s",
		   NULL, 0, TM_CFG_F_DBL, TPP, promote_rate_limit,
		   "candidates per second (numa_balancing_promote_rate_limit_MBps)"),
	TM_CFG_KEY("promote_free_min", TM_CFG_SIZE, 0, 1ull << 50, "1GiB",
		   NULL, 0, TM_CFG_F_U64, TPP, sz_promote_free_min,
		   "FMEM has room above max(this, share x FMEM) free"),
	TM_CFG_KEY("promote_free_share", TM_CFG_SHARE, 0, 1, "6.25%", NULL, 0,
		   TM_CFG_F_DBL, TPP, promote_free_share,
		   "the share of that test (node_present_pages / 16)"),
	TM_CFG_KEY("demote_wmark", TM_CFG_SHARE, 0, 1, "2%", NULL, 0,
		   TM_CFG_F_DBL, TPP, demote_wmark,
		   "demote LRU-coldest FMEM pages to keep this share free "
		   "(TPP demote_scale_factor)"),
	TM_CFG_KEY("rule", TM_CFG_ENUM, 0, 0, "upstream", "upstream|active", 0,
		   TM_CFG_F_INT, TPP, rule,
		   "upstream: room or latency < threshold; active: TPP's "
		   "second fault"),
	/* assumptions: change_prot_numa rewrites a PTE in a few ns, plus the
	 * walk; a hint fault is a minor fault (entry, PTE restore, the
	 * promotion test), about a microsecond */
	TM_CFG_KEY("cost_per_pte", TM_CFG_TIME, 0, 1e6, "10ns", NULL, 0,
		   TM_CFG_F_DBL, TPP, cost_ns_per_pte,
		   "modelled CPU per page a window scans (assumption)"),
	TM_CFG_KEY("cost_per_fault", TM_CFG_TIME, 0, 1e9, "1us", NULL, 0,
		   TM_CFG_F_DBL, TPP, cost_ns_per_fault,
		   "modelled CPU per hint fault (assumption)"),
};

const struct tm_identifier_ops tm_tpp_ops = {
	.kind = {
		.name = "tpp",
		.help = "Linux NUMA-balancing tiering (TPP upstream): scan "
			"windows, hint faults, latency threshold, watermark "
			"demotion; full traces",
		.keys = tpp_keys,
		.nr_keys = sizeof(tpp_keys) / sizeof(tpp_keys[0]),
		.config_size = sizeof(struct tm_tpp_config),
		.flags = TM_IDENT_SCAN | TM_IDENT_FAULTS | TM_IDENT_COLD,
	},
	/* it takes no samples: its CPU is per scanned page and fault
	 * (cost) */
	.cost_ns = 0,
	.new = tpp_new,
	.update = tpp_update,
	.scan = tpp_scan,
	.fault = tpp_fault,
	.rank = tpp_rank,
	.epoch_end = tpp_epoch_end,
	.estimate = tpp_estimate,
	.moved = tpp_moved,
	.memory_bytes = tpp_memory_bytes,
	.cost = tpp_cost,
	.free = tpp_free,
};
