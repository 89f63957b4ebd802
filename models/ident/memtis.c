/*
 * memtis.c - Memtis's hotness identifier (Lee et al., SOSP'23; DESIGN.md
 * §13; reference/identifiers.md §3 "Memtis"; docs/identifiers.md).
 *
 * Rules, each from the authors' kernel (cosmoss-jigu/memtis, linux/):
 * - Counters (mm/htmm_core.c update_base_page, update_huge_page): a base
 *   page's count gains HPAGE_PMD_NR = 512 (base_increment) per sample.  In
 *   huge-page mode (huge_pages; 2 MiB page = page >> (21 - page_shift)) the
 *   huge page's meta count gains 1 per sample and the sampled subpage's
 *   count 512, so a huge page and a base page of the same per-byte access
 *   density sit in the same bin.  A sample's weight (1 unless the config
 *   is weighted) multiplies the increment; weight 0 does not count.
 * - Histogram (get_idx): bin = floor(log2(count + 1)), at most 15, counted
 *   in pages of page_shift: a base page adds 1 to its bin, a huge page
 *   1 << (21 - page_shift) (HPAGE_PMD_NR) to the bin of its meta count.
 * - Adaptation (__adjust_active_threshold), every adapt_samples samples
 *   (htmm_adaptation_period = 100,000, mm/mempolicy.c): room = FMEM pages
 *   - promotion watermark (htmm_migrater.c get_memcg_promotion_watermark:
 *   3% of FMEM, clamped to [100 MiB, 1500 MiB]); walk the bins from 15
 *   down while the pages of the bins walked fit the room; the candidate is
 *   the lowest fitting bin (15 if bin 15 alone does not fit, as the code's
 *   `if (idx_hot != 15) idx_hot++`), at least min_threshold (htmm_thres_hot
 *   = 1).  The hot threshold only rises to it (the code lowers it between
 *   coolings only after a huge-page split, not modelled).  Warm: if the
 *   pages fitting are fewer than warm_ratio (75%) of the room, warm
 *   threshold = hot - 1, else = hot.
 * - Cooling (update_pginfo, __cooling, check_base_cooling,
 *   check_transhuge_cooling), every cooling_samples samples
 *   (htmm_cooling_period = 2,000,000) or when the memory seen grew by
 *   cooling_alloc (htmm_thres_cooling_alloc = 10 GiB) since the last such
 *   cooling: the cooling clock ticks and the histogram is cleared; a page
 *   halves its counts (meta and subpages) once per tick it missed, lazily,
 *   when next sampled or when kmigraterd walks the LRU lists
 *   (htmm_migrater.c cooling_node), and re-enters the histogram then.  A
 *   cooling sample adapts no threshold (the code's if/else).  The first
 *   adaptation after a cooling sees a partial histogram and only lowers
 *   the threshold by one, if its candidate is lower (memcg->cooled).  A
 *   cooling while the previous walk is pending only ticks the clock.
 * - Migration (htmm_migrater.c): kmigraterd wakes every 500 ms
 *   (htmm_{promotion,demotion}_period_in_ms): tmsim's epoch is that period.
 *   Its first step is the cooling walk, done here at rank().  Promotion
 *   takes active (hot: bin >= hot threshold) SMEM pages; demotion takes
 *   inactive FMEM pages and skips warm ones (bin >= warm threshold,
 *   shrink_page_list), unless that leaves too little room for the hot SMEM
 *   pages, when demote_node sets warm = hot.
 *
 * What tmsim does with them (engine interface, models/migrate.c):
 * rank() returns only the hot pages, hottest first (count, then page
 * number), as regions (TM_IDENT_REGIONS): one page each in base mode, the
 * whole 2 MiB in huge-page mode, so a hot huge page moves whole.  With the
 * engine's `migrate` mode that is Memtis's "promote hot SMEM pages, demote
 * non-hot FMEM pages to make room".  estimate() is the page's (cooled)
 * count, the meta count of its huge page in huge-page mode, so the engine
 * demotes the coldest first: cold pages (bin < warm) before warm ones (bin
 * = hot - 1), and warm ones only when the cold ones do not make room,
 * which is the code's fallback to warm = hot.  Warm pages are not ranked:
 * a ranked page in SMEM would be promoted, and Memtis never promotes warm
 * pages.
 *
 * Notes (what a sample stream does not give, and what tmsim assumes):
 * - Huge pages: a trace has no THP state.  huge_pages: true treats every
 *   2 MiB-aligned range as one huge page; false treats every page as a base
 *   page.  The huge-page split (skew of subpage counts, eHR/rHR rule) is not
 *   modelled: the code enables it (htmm_thres_split = 2), so huge-page mode
 *   behaves as Memtis after it stopped splitting.
 * - Allocation: the memory seen is the pages sampled at least once (in
 *   4 KiB-page units: a new huge page adds 512); the kernel reads the
 *   memcg's usage, which also shrinks.  Pages the kernel allocates get a
 *   count of 2^(hot + 1) at their fault (set_page_coolstatus); a trace's
 *   first sample of a page is not its allocation, so pages start at 0.
 * - FMEM capacity is the VM's at new() (the kernel's max_nr_dram_pages is
 *   fixed per memcg too); a balloon does not resize the room.
 * - The kernel fills FMEM only up to capacity minus the promotion watermark
 *   and demotes in the background to keep 2% free; tmsim's engine fills
 *   FMEM and demotes only to make room for promotions.
 * - The kernel's lists are LRU-ordered; tmsim demotes by count.
 * - Histogram bookkeeping is exact: a page lazily cooled leaves its old bin
 *   if it was still counted (the kernel re-adds it, which a cooling while
 *   the previous walk is pending can count twice).
 *
 * Layout and cost (callgrind, a 10 M-sample replay of a 1 GiB Zipf trace,
 * base pages, memtis as the one shadow, 10 epochs): a base page is 8 bytes
 * by dense index (count, clock), its page number in an array of its own
 * that only rank() reads; a sample of a page current with the clock, with
 * no period due, calls nothing and divides nothing (the periods' next
 * sample numbers are kept).  rank() walks the pages once for the cooling
 * walk and the hot set, and sorts the hot units as 64-bit keys (~count,
 * page) by radix, the selection buffer's upper half as scratch; a heap
 * selection remains for a hot set larger than the regions asked for or a
 * page number above 32 bits.  update(): 90 -> 40 instructions per sample;
 * rank(): 30 -> 17 M instructions a call (for ~260 K pages, ~43 K hot).
 */
#include "memtis.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/select.h"

#define MEMTIS_MIN_PAGES 1024u   /* assumption: small arrays are cheap */
#define MEMTIS_HUGE_SHIFT 21     /* 2 MiB pages (HPAGE_PMD_SHIFT on x86) */
#define MEMTIS_MAX_BIN (TM_MEMTIS_NR_BINS - 1)

/* A base page, by dense index: 8 bytes, all a sample touches (its page
 * number, needed only at rank(), is in tm_memtis.page_of). */
struct bpage {
	uint32_t count;
	uint32_t clock1;   /* cooling clock + 1 at its last cooling; 0: unseen */
};

/* A huge page; its subpage counts are in tm_memtis.sub. */
struct hpage {
	uint64_t hnum;     /* page >> (21 - page_shift) */
	uint32_t meta;     /* +1 per sample */
	uint32_t clock1;
};

struct sel {
	uint64_t count;
	uint64_t key;      /* page (base) or huge page number */
};

struct tm_memtis {
	struct tm_memtis_config cfg;
	uint32_t page_shift, sub_shift;   /* sub_shift = 21 - page_shift */
	uint64_t room_pages;      /* FMEM - promotion watermark */

	uint64_t hist[TM_MEMTIS_NR_BINS];
	uint32_t clock;           /* cooling clock */
	uint32_t hist_clock;      /* clock when hist was last cleared */
	uint32_t hot_thr, warm_thr;
	bool cooled;              /* a cooling since the last adaptation */
	bool walk_pending;        /* a cooling the LRU walk has not finished */
	uint32_t cap_pages;       /* base mode's pages; 0 in huge-page mode,
				   * so that its samples take update_slow() */
	uint64_t nr_samples, nr_adapt;
	uint64_t nr_seen_pages;
	/* tick()'s schedule: the memory seen at which allocation cools
	 * (UINT64_MAX: never); the sample numbers of the next cooling, of the
	 * next adaptation, and the earlier of the two (the next sample while
	 * an allocation cooling waits) */
	uint64_t alloc_cool_pages, next_cool, next_adapt, next_event;

	union {
		struct {   /* base mode: pages by dense index */
			struct bpage *pages;
			uint64_t *page_of;    /* page number by dense index */
			uint32_t nr_idx;      /* 1 + the highest index seen */
		};
		struct {   /* huge-page mode */
			uint32_t *slot;   /* hnum -> entry + 1, open
					   * addressing */
			uint64_t mask;
			struct hpage *huge;
			uint32_t *sub;    /* nr_huge x (1 << sub_shift) */
			uint32_t nr_huge, cap_huge;
		};
	};

	struct sel *sel;          /* rank(): the hot pages kept */
	size_t cap_sel;
};

/* bin = floor(log2(count + 1)), at most 15 (get_idx). */
static inline uint32_t bin_of(uint64_t count)
{
	uint32_t b = 63u - (uint32_t)__builtin_clzll(count + 1);

	return b < MEMTIS_MAX_BIN ? b : MEMTIS_MAX_BIN;
}

static inline uint32_t sat_add32(uint32_t a, uint64_t b)
{
	return b >= (uint64_t)(UINT32_MAX - a) ? UINT32_MAX : a + (uint32_t)b;
}

/* count halved `ticks` times. */
static inline uint32_t halve(uint32_t count, uint32_t ticks)
{
	return ticks >= 32 ? 0 : count >> ticks;
}

/* Pages a tracked unit stands for in the histogram. */
static inline uint64_t unit_pages(const struct tm_memtis *m)
{
	return m->cfg.huge_pages ? 1ull << m->sub_shift : 1;
}

static inline void hist_move(struct tm_memtis *m, uint32_t from, uint32_t to)
{
	uint64_t n = unit_pages(m);

	assert(m->hist[from] >= n);
	m->hist[from] -= n;
	m->hist[to] += n;
}

/* ---- base pages ---- */

static void cool_base(struct tm_memtis *m, struct bpage *e)
{
	uint32_t last = e->clock1 - 1;

	if (last >= m->hist_clock)
		m->hist[bin_of(e->count)]--;
	e->count = halve(e->count, m->clock - last);
	m->hist[bin_of(e->count)]++;
	e->clock1 = m->clock + 1;
}

/* Room for dense index idx (amortised doubling, at first touch). */
static __attribute__((noinline, cold)) void base_grow(struct tm_memtis *m,
						      uint32_t idx)
{
	uint32_t old = m->cap_pages, cap = old;

	while (cap <= idx)
		cap = cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * cap;
	m->pages = tm_xrealloc(m->pages, (size_t)cap * sizeof(*m->pages));
	m->page_of = tm_xrealloc(m->page_of, (size_t)cap * sizeof(*m->page_of));
	memset(m->pages + old, 0, (size_t)(cap - old) * sizeof(*m->pages));
	m->cap_pages = cap;
}

static void base_first(struct tm_memtis *m, struct bpage *e,
		       struct tm_sample s)
{
	e->clock1 = m->clock + 1;
	m->page_of[s.idx] = tm_sample_page(s, m->page_shift);
	if (s.idx >= m->nr_idx)
		m->nr_idx = s.idx + 1;
	m->nr_seen_pages++;
	m->hist[0]++;
}

/* A sample of a page current with the clock.  Its bin can change only
 * when count + 1 gains a higher top bit: one xor and compare, bin_of()
 * only then. */
static inline void base_count(struct tm_memtis *m, struct bpage *e,
			      uint32_t weight)
{
	uint64_t old1 = (uint64_t)e->count + 1;
	uint64_t c = e->count + (uint64_t)m->cfg.base_increment * weight;

	e->count = c < UINT32_MAX ? (uint32_t)c : UINT32_MAX;   /* sat_add32 */
	if ((old1 ^ ((uint64_t)e->count + 1)) > old1) {
		uint32_t prev = bin_of(old1 - 1), next = bin_of(e->count);

		if (next != prev) {
			assert(m->hist[prev] >= 1);
			m->hist[prev]--;
			m->hist[next]++;
		}
	}
}

/* A sample of a page not current: its first, or one after a cooling it
 * missed (memtis_update() takes the others). */
static void update_base(struct tm_memtis *m, struct tm_sample s)
{
	struct bpage *e;

	if (s.idx >= m->cap_pages)
		base_grow(m, s.idx);
	e = &m->pages[s.idx];
	if (e->clock1 == 0)
		base_first(m, e, s);
	else if (e->clock1 != m->clock + 1)
		cool_base(m, e);
	base_count(m, e, s.weight);
}

/* ---- huge pages ---- */

static inline uint32_t *subs(const struct tm_memtis *m, uint32_t i)
{
	return m->sub + ((size_t)i << m->sub_shift);
}

static inline uint64_t hprobe(const struct tm_memtis *m, uint64_t hnum)
{
	uint64_t i = tm_fmix64(hnum) & m->mask;

	while (m->slot[i] && m->huge[m->slot[i] - 1].hnum != hnum)
		i = (i + 1) & m->mask;
	return i;
}

static void huge_grow_index(struct tm_memtis *m)
{
	uint64_t nr_slots = 2 * (m->mask + 1);

	free(m->slot);
	m->slot = tm_xcalloc(nr_slots, sizeof(*m->slot));
	m->mask = nr_slots - 1;
	for (uint32_t k = 0; k < m->nr_huge; k++)
		m->slot[hprobe(m, m->huge[k].hnum)] = k + 1;
}

/* A new huge page's entry (amortised doubling of the pool and index). */
static uint32_t huge_add(struct tm_memtis *m, uint64_t hnum)
{
	uint32_t k = m->nr_huge;

	if (k == m->cap_huge) {
		m->cap_huge *= 2;
		m->huge = tm_xrealloc(m->huge, m->cap_huge * sizeof(*m->huge));
		m->sub = tm_xrealloc(m->sub, ((size_t)m->cap_huge <<
					      m->sub_shift) * sizeof(*m->sub));
	}
	if (2 * (uint64_t)(k + 1) > m->mask + 1)   /* load <= 0.5 */
		huge_grow_index(m);
	m->huge[k] = (struct hpage){ .hnum = hnum, .meta = 0,
				     .clock1 = m->clock + 1 };
	memset(subs(m, k), 0, sizeof(*m->sub) << m->sub_shift);
	m->slot[hprobe(m, hnum)] = k + 1;
	m->nr_huge++;
	m->nr_seen_pages += unit_pages(m);
	m->hist[0] += unit_pages(m);
	return k;
}

static void cool_huge(struct tm_memtis *m, uint32_t k)
{
	struct hpage *h = &m->huge[k];
	uint32_t last = h->clock1 - 1, ticks = m->clock - last;
	uint32_t *sc = subs(m, k);

	if (last >= m->hist_clock)
		m->hist[bin_of(h->meta)] -= unit_pages(m);
	for (uint32_t i = 0; i < 1u << m->sub_shift; i++)
		sc[i] = halve(sc[i], ticks);
	h->meta = halve(h->meta, ticks);
	m->hist[bin_of(h->meta)] += unit_pages(m);
	h->clock1 = m->clock + 1;
}

static void update_huge(struct tm_memtis *m, struct tm_sample s)
{
	uint64_t page = tm_sample_page(s, m->page_shift);
	uint64_t i = hprobe(m, page >> m->sub_shift);
	uint32_t k, prev, *sc;
	struct hpage *h;

	if (m->slot[i])
		k = m->slot[i] - 1;
	else
		k = huge_add(m, page >> m->sub_shift);
	h = &m->huge[k];
	if (h->clock1 - 1 < m->clock)
		cool_huge(m, k);
	prev = bin_of(h->meta);
	h->meta = sat_add32(h->meta, s.weight);
	sc = &subs(m, k)[page & ((1ull << m->sub_shift) - 1)];
	*sc = sat_add32(*sc, (uint64_t)m->cfg.base_increment * s.weight);
	if (bin_of(h->meta) != prev)
		hist_move(m, prev, bin_of(h->meta));
}

/* ---- thresholds ---- */

/* __adjust_active_threshold: the bin walk, the cooled rule, warm. */
static void adapt(struct tm_memtis *m)
{
	uint64_t nr_active = 0;
	int idx;

	m->nr_adapt++;
	for (idx = MEMTIS_MAX_BIN; idx >= 0; idx--) {
		if (nr_active + m->hist[idx] > m->room_pages)
			break;
		nr_active += m->hist[idx];
	}
	if (idx != MEMTIS_MAX_BIN)
		idx++;   /* the lowest bin that fits (15 if none does) */
	if (idx < (int)m->cfg.min_threshold)
		idx = (int)m->cfg.min_threshold;
	if (m->cooled) {
		/* a partial histogram: at most one step down */
		if ((uint32_t)idx < m->hot_thr && m->hot_thr > 1)
			m->hot_thr--;
		m->cooled = false;
	} else if ((uint32_t)idx > m->hot_thr) {
		m->hot_thr = (uint32_t)idx;
	}
	/* warm if the hot pages fill less than warm_ratio of the room */
	if (m->cfg.warm && nr_active < (uint64_t)((double)m->room_pages *
						  m->cfg.warm_ratio))
		m->warm_thr = m->hot_thr - 1;
	else
		m->warm_thr = m->hot_thr;
}

/* __cooling: tick the clock; clear the histogram unless the previous
 * cooling's walk is still pending. */
static void cool(struct tm_memtis *m)
{
	m->clock++;
	if (m->walk_pending)
		return;
	memset(m->hist, 0, sizeof(m->hist));
	m->hist_clock = m->clock;
	m->cooled = true;
	m->walk_pending = true;
}

/* kmigraterd's cooling_node: every page catches up with the clock. */
static void walk(struct tm_memtis *m)
{
	if (!m->walk_pending)
		return;
	if (m->cfg.huge_pages) {
		for (uint32_t k = 0; k < m->nr_huge; k++)
			if (m->huge[k].clock1 - 1 < m->clock)
				cool_huge(m, k);
	} else {
		for (uint32_t i = 0; i < m->nr_idx; i++)
			if (m->pages[i].clock1 &&
			    m->pages[i].clock1 - 1 < m->clock)
				cool_base(m, &m->pages[i]);
	}
	m->walk_pending = false;
}

/* update_pginfo's tail: cooling by samples or by allocation, else
 * adaptation.  The sample numbers of both periods' next turns are kept, so
 * a sample with nothing due costs a compare, not two divisions. */
static __attribute__((noinline)) void tick_due(struct tm_memtis *m)
{
	bool cool_due = m->nr_samples == m->next_cool;
	bool adapt_due = m->nr_samples == m->next_adapt;
	uint64_t alloc_pages = m->cfg.sz_cooling_alloc >> m->page_shift;

	if (cool_due)
		m->next_cool += m->cfg.cooling_samples;
	if (adapt_due)
		m->next_adapt += m->cfg.adapt_samples;
	if (cool_due) {
		cool(m);
	} else if (m->nr_seen_pages >= m->alloc_cool_pages) {
		m->alloc_cool_pages = m->nr_seen_pages + alloc_pages;
		cool(m);
	} else if (adapt_due) {
		adapt(m);
	}
	m->next_event = m->next_cool < m->next_adapt ? m->next_cool :
						       m->next_adapt;
	if (m->nr_seen_pages >= m->alloc_cool_pages)
		m->next_event = m->nr_samples + 1;   /* cool_due went first */
}

/* The memory seen grows only in update_slow(), which checks it; a sample
 * of a page already seen needs only the schedule. */
static inline void tick(struct tm_memtis *m, bool seen_grew)
{
	m->nr_samples++;
	if (m->nr_samples == m->next_event ||
	    (seen_grew && m->nr_seen_pages >= m->alloc_cool_pages))
		tick_due(m);
}

/* A sample of a huge page, or of a base page not current with the clock. */
static __attribute__((noinline)) void update_slow(struct tm_memtis *m,
						  struct tm_sample s)
{
	if (m->cfg.huge_pages)
		update_huge(m, s);
	else
		update_base(m, s);
	tick(m, true);
}

/* The common case, a base page current with the clock and no period due,
 * calls nothing, so it saves no registers; the rest is a tail call. */
static void memtis_update(void *st, struct tm_sample s)
{
	struct tm_memtis *m = st;

	if (s.weight == 0)
		return;   /* weight 0 (store_weight: 0) does not count */
	if (s.idx >= m->cap_pages || m->pages[s.idx].clock1 != m->clock + 1) {
		update_slow(m, s);
		return;
	}
	base_count(m, &m->pages[s.idx], s.weight);
	tick(m, false);
}

/* The page's record a few samples ahead (8 bytes a page: megabytes for a
 * large footprint). */
static void memtis_prefetch(const void *st, uint32_t idx)
{
	const struct tm_memtis *m = st;

	if (idx < m->cap_pages)
		__builtin_prefetch(&m->pages[idx], 1);
}

/* ---- ranking ---- */

/* Hotter: a larger count, ties to the lower page number (total order). */
static inline bool hotter(const void *ctx, const struct sel *a,
			  const struct sel *b)
{
	(void)ctx;
	return a->count > b->count || (a->count == b->count && a->key < b->key);
}

TM_SELECT_DEFINE(hottest, struct sel, const void *, hotter)

/* Offer every hot unit (bin >= hot threshold) to the bounded selection. */
static size_t offer_hot(struct tm_memtis *m, size_t cap)
{
	size_t n = 0;

	if (m->cfg.huge_pages) {
		for (uint32_t k = 0; k < m->nr_huge; k++) {
			struct sel x = { m->huge[k].meta, m->huge[k].hnum };

			if (bin_of(x.count) >= m->hot_thr)
				hottest_offer(NULL, m->sel, &n, cap, x);
		}
		return n;
	}
	for (uint32_t i = 0; i < m->nr_idx; i++) {
		struct sel x = { m->pages[i].count, m->page_of[i] };

		if (m->pages[i].clock1 && bin_of(x.count) >= m->hot_thr)
			hottest_offer(NULL, m->sel, &n, cap, x);
	}
	return n;
}

/* A hot unit as one sort key, ascending = hotter first (a larger count,
 * ties to the lower key, as hotter()), for a key of at most 32 bits. */
static inline uint64_t key_pack(uint32_t count, uint64_t key)
{
	return (uint64_t)~count << 32 | key;
}

/* Base mode: the cooling walk, if pending, and the hot pages as packed
 * keys in v[0..*nr), in one pass.  False when they do not fit (more than
 * cap, or a page number above 32 bits): then offer_hot() ranks them. */
static bool collect_base(struct tm_memtis *m, uint64_t *v, size_t cap,
			 size_t *nr)
{
	uint64_t hot_min = (1ull << m->hot_thr) - 1;  /* bin_of() >= hot_thr */
	bool cooling = m->walk_pending, fits = true;
	size_t n = 0;

	assert(m->hot_thr <= MEMTIS_MAX_BIN);
	for (uint32_t i = 0; i < m->nr_idx; i++) {
		struct bpage *e = &m->pages[i];

		if (!e->clock1)
			continue;
		if (cooling && e->clock1 - 1 < m->clock)
			cool_base(m, e);
		if (e->count < hot_min || !fits)
			continue;
		if (n == cap || m->page_of[i] > UINT32_MAX)
			fits = false;
		else
			v[n++] = key_pack(e->count, m->page_of[i]);
	}
	m->walk_pending = false;
	*nr = n;
	return fits;
}

/* Huge-page mode, after the walk: as collect_base(). */
static bool collect_huge(const struct tm_memtis *m, uint64_t *v, size_t cap,
			 size_t *nr)
{
	size_t n = 0;

	for (uint32_t k = 0; k < m->nr_huge; k++) {
		if (bin_of(m->huge[k].meta) < m->hot_thr)
			continue;
		if (n == cap || m->huge[k].hnum > UINT32_MAX)
			return false;
		v[n++] = key_pack(m->huge[k].meta, m->huge[k].hnum);
	}
	*nr = n;
	return true;
}

/* v[0..n) ascending, tmp[0..n) scratch: LSD radix sort by bytes, a byte
 * every key shares skipped. */
static void radix_sort64(uint64_t *v, uint64_t *tmp, size_t n)
{
	uint32_t cnt[8][256] = { { 0 } };
	uint64_t *src = v, *dst = tmp, *t;

	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < 8; b++)
			cnt[b][(v[i] >> 8 * b) & 255]++;
	for (unsigned b = 0; b < 8 && n > 1; b++) {
		uint32_t sum = 0;

		if (cnt[b][(v[0] >> 8 * b) & 255] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			uint32_t c = cnt[b][d];

			cnt[b][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[b][(src[i] >> 8 * b) & 255]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

/* The hot units as packed keys, hottest first, in v (2 cap_sel words:
 * the sel buffer, its upper half the sort's scratch); false if they do
 * not fit (the walk is done either way). */
static bool rank_packed(struct tm_memtis *m, size_t cap, size_t *nr)
{
	uint64_t *v = (uint64_t *)(void *)m->sel;

	if (m->cfg.huge_pages) {
		walk(m);
		if (!collect_huge(m, v, cap, nr))
			return false;
	} else if (!collect_base(m, v, cap, nr)) {
		return false;
	}
	radix_sort64(v, v + m->cap_sel, *nr);
	return true;
}

static void memtis_rank(void *st, struct tm_rank *r)
{
	struct tm_memtis *m = st;
	uint64_t width = unit_pages(m);
	const uint64_t *v = (const uint64_t *)(const void *)m->sel;
	size_t n;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	if (!r->regions || r->cap_regions == 0) {
		walk(m);   /* counts do not change: estimate() cools on the fly */
		return;
	}
	if (r->cap_regions > m->cap_sel) {
		m->cap_sel = r->cap_regions;
		m->sel = tm_xrealloc(m->sel, m->cap_sel * sizeof(*m->sel));
		v = (const uint64_t *)(const void *)m->sel;
	}
	if (rank_packed(m, r->cap_regions, &n)) {
		for (size_t k = 0; k < n; k++) {
			uint64_t key = v[k] & UINT32_MAX;
			uint64_t start = m->cfg.huge_pages ? key << m->sub_shift
							   : key;

			r->regions[k] = (struct tm_region){
				.start = start, .end = start + width,
				.score = ~(uint32_t)(v[k] >> 32) };
		}
		r->nr_regions = n;
		return;
	}
	n = offer_hot(m, r->cap_regions);
	hottest_offered_sort(NULL, m->sel, n);
	for (size_t k = 0; k < n; k++) {
		uint64_t start = m->cfg.huge_pages ? m->sel[k].key << m->sub_shift
						   : m->sel[k].key;

		r->regions[k] = (struct tm_region){ .start = start,
						    .end = start + width,
						    .score = m->sel[k].count };
	}
	r->nr_regions = n;
}

static void memtis_epoch_end(void *st)
{
	(void)st;   /* counts live on; cooling is driven by samples */
}

static uint64_t memtis_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_memtis *m = st;

	if (m->cfg.huge_pages) {
		uint64_t i = hprobe(m, page >> m->sub_shift);
		const struct hpage *h;

		if (!m->slot[i])
			return 0;
		h = &m->huge[m->slot[i] - 1];
		return halve(h->meta, m->clock - (h->clock1 - 1));
	}
	if (idx >= m->cap_pages || !m->pages[idx].clock1)
		return 0;
	return halve(m->pages[idx].count,
		     m->clock - (m->pages[idx].clock1 - 1));
}

uint64_t tm_memtis_subpage_count(const void *st, uint64_t page)
{
	const struct tm_memtis *m = st;
	uint64_t i;
	uint32_t k;

	if (!m->cfg.huge_pages) {
		for (uint32_t j = 0; j < m->nr_idx; j++)
			if (m->pages[j].clock1 && m->page_of[j] == page)
				return halve(m->pages[j].count,
					     m->clock - (m->pages[j].clock1 - 1));
		return 0;
	}
	i = hprobe(m, page >> m->sub_shift);
	if (!m->slot[i])
		return 0;
	k = m->slot[i] - 1;
	return halve(subs(m, k)[page & ((1ull << m->sub_shift) - 1)],
		     m->clock - (m->huge[k].clock1 - 1));
}

void tm_memtis_stat(const void *st, struct tm_memtis_stat *out)
{
	const struct tm_memtis *m = st;

	out->hot_threshold = m->hot_thr;
	out->warm_threshold = m->warm_thr;
	out->cooling_clock = m->clock;
	out->nr_samples = m->nr_samples;
	out->nr_adaptations = m->nr_adapt;
	memcpy(out->hist, m->hist, sizeof(out->hist));
}

static size_t memtis_memory_bytes(const void *st)
{
	const struct tm_memtis *m = st;
	size_t sz = sizeof(*m) + m->cap_sel * sizeof(*m->sel);

	if (!m->cfg.huge_pages)
		sz += (size_t)m->cap_pages * (sizeof(*m->pages) +
					      sizeof(*m->page_of));
	else
		sz += (m->mask + 1) * sizeof(*m->slot) +
		      (size_t)m->cap_huge * (sizeof(*m->huge) +
					     (sizeof(*m->sub) << m->sub_shift));
	return sz;
}

static void memtis_free(void *st)
{
	struct tm_memtis *m = st;

	if (!m)
		return;
	if (m->cfg.huge_pages) {
		free(m->slot);
		free(m->huge);
		free(m->sub);
	} else {
		free(m->pages);
		free(m->page_of);
	}
	free(m->sel);
	free(m);
}

/* get_memcg_promotion_watermark: 3% of FMEM within [min, max]. */
static uint64_t room_of(const struct tm_memtis_config *c, uint64_t nr_fmem,
			uint32_t page_shift)
{
	uint64_t wm = (uint64_t)((double)nr_fmem * c->promotion_watermark);
	uint64_t lo = c->sz_promotion_wmark_min >> page_shift;
	uint64_t hi = c->sz_promotion_wmark_max >> page_shift;

	wm = wm < lo ? lo : wm > hi ? hi : wm;
	return nr_fmem > wm ? nr_fmem - wm : 0;
}

static void *memtis_new(const struct tm_ident_params *p)
{
	struct tm_memtis *m = tm_xcalloc(1, sizeof(*m));
	const struct tm_memtis_config *c = p->own;
	uint64_t cap = p->nr_fmem_pages ? p->nr_fmem_pages : 1;

	assert(p->page_shift <= MEMTIS_HUGE_SHIFT);
	assert(c->adapt_samples >= 1 && c->cooling_samples >= 1);
	m->cfg = *c;
	m->page_shift = p->page_shift;
	m->sub_shift = MEMTIS_HUGE_SHIFT - p->page_shift;
	m->room_pages = room_of(c, p->nr_fmem_pages, p->page_shift);
	m->alloc_cool_pages = c->sz_cooling_alloc >> p->page_shift ?
			      c->sz_cooling_alloc >> p->page_shift : UINT64_MAX;
	m->next_cool = c->cooling_samples;
	m->next_adapt = c->adapt_samples;
	m->next_event = m->next_cool < m->next_adapt ? m->next_cool :
						       m->next_adapt;
	m->hot_thr = m->warm_thr = c->min_threshold;   /* memcontrol.c */
	if (c->huge_pages) {
		m->cap_huge = (uint32_t)((cap >> m->sub_shift) + 16);
		m->huge = tm_xmalloc(m->cap_huge * sizeof(*m->huge));
		m->sub = tm_xmalloc(((size_t)m->cap_huge << m->sub_shift) *
				    sizeof(*m->sub));
		m->mask = 63;
		while (m->mask + 1 < 2 * (uint64_t)m->cap_huge)
			m->mask = 2 * m->mask + 1;
		m->slot = tm_xcalloc(m->mask + 1, sizeof(*m->slot));
	} else {
		m->cap_pages = MEMTIS_MIN_PAGES;
		while (m->cap_pages < 2 * cap && m->cap_pages < (1u << 31))
			m->cap_pages <<= 1;
		m->pages = tm_xcalloc(m->cap_pages, sizeof(*m->pages));
		m->page_of = tm_xmalloc((size_t)m->cap_pages *
					sizeof(*m->page_of));
	}
	m->cap_sel = cap;
	m->sel = tm_xmalloc(m->cap_sel * sizeof(*m->sel));
	return m;
}

typedef struct tm_memtis_config MEMTIS;

static const struct tm_cfg_key memtis_keys[] = {
	TM_CFG_KEY("base_increment", TM_CFG_U64, 1, 65536, "512", NULL, 0,
		   TM_CFG_F_U32, MEMTIS, base_increment,
		   "count added per sample to a (sub)page (HPAGE_PMD_NR)"),
	TM_CFG_KEY("huge_pages", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, MEMTIS, huge_pages,
		   "count per 2 MiB page: meta +1, subpage +base_increment"),
	TM_CFG_KEY("adapt_samples", TM_CFG_U64, 1, 1e12, "100000", NULL, 0,
		   TM_CFG_F_U64, MEMTIS, adapt_samples,
		   "samples between hot-threshold adaptations"),
	TM_CFG_KEY("cooling_samples", TM_CFG_U64, 1, 1e12, "2000000", NULL, 0,
		   TM_CFG_F_U64, MEMTIS, cooling_samples,
		   "samples between coolings (all counts halve)"),
	TM_CFG_KEY("cooling_alloc", TM_CFG_SIZE, 0, 1ull << 50, "10GiB", NULL,
		   0, TM_CFG_F_U64, MEMTIS, sz_cooling_alloc,
		   "also cool when the memory sampled grew by this; 0: never"),
	TM_CFG_KEY("promotion_watermark", TM_CFG_SHARE, 0, 1, "3%", NULL, 0,
		   TM_CFG_F_DBL, MEMTIS, promotion_watermark,
		   "FMEM kept out of the hot set's room"),
	TM_CFG_KEY("watermark_min", TM_CFG_SIZE, 0, 1ull << 50,
		   "100MiB", NULL, 0, TM_CFG_F_U64, MEMTIS,
		   sz_promotion_wmark_min, "lower clamp of promotion_watermark"),
	TM_CFG_KEY("watermark_max", TM_CFG_SIZE, 0, 1ull << 50,
		   "1500MiB", NULL, 0, TM_CFG_F_U64, MEMTIS,
		   sz_promotion_wmark_max, "upper clamp of promotion_watermark"),
	TM_CFG_KEY("warm", TM_CFG_BOOL, 0, 0, "true", NULL, 0, TM_CFG_F_BOOL,
		   MEMTIS, warm, "keep a warm set (bin hot - 1) from demotion"),
	TM_CFG_KEY("warm_ratio", TM_CFG_SHARE, 0, 1, "75%", NULL, 0,
		   TM_CFG_F_DBL, MEMTIS, warm_ratio,
		   "warm set if the hot set fills less of the room than this"),
	TM_CFG_KEY("min_threshold", TM_CFG_U64, 1, 15, "1", NULL, 0,
		   TM_CFG_F_U32, MEMTIS, min_threshold,
		   "lowest hot threshold (bin), also the initial one"),
};

const struct tm_identifier_ops tm_memtis_ops = {
	.kind = {
		.name = "memtis",
		.help = "Memtis: log2 access histogram, adaptive hot threshold "
			"fitting FMEM, warm set, cooling by halving",
		.keys = memtis_keys,
		.nr_keys = sizeof(memtis_keys) / sizeof(memtis_keys[0]),
		.config_size = sizeof(struct tm_memtis_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_REGIONS,
	},
	/* assumption: the paper gives none; the kernel's
	 * update_pginfo takes a VMA lookup, a page-table walk and a spinlock
	 * per sample (docs/identifiers.md) */
	.cost_ns = 300,
	.new = memtis_new,
	.update = memtis_update,
	.prefetch = memtis_prefetch,
	.rank = memtis_rank,
	.epoch_end = memtis_epoch_end,
	.estimate = memtis_estimate,
	.memory_bytes = memtis_memory_bytes,
	.free = memtis_free,
};
