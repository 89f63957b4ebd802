/*
 * migrate.c - the migration engine: turn an epoch's ranking into page moves
 * within the FMEM capacity, price them, and account for what they bought
 * (DESIGN.md §6.3, §7).
 *
 * Planning rules (reference/sdh-and-demeter.md §4):
 * - The pages that "should be in FMEM" are the identifier's hot list cut to
 *   the FMEM capacity, hottest first.
 * - exchange (Demeter, P:core.c and mm/exchange.c): the promotion list is
 *   those pages that are in SMEM, hottest first; the demotion list is as many
 *   FMEM pages outside that set, coldest first by estimate() (ties: lower
 *   index).  The lists are paired FIFO; a page left without a partner is
 *   dropped, as Demeter's code does (a FIXME there).  A two-heap identifier's
 *   candidate pairs are used as given, skipping stale ones.  One TLB flush
 *   per pair, as in the code (batching is a TODO there), or one per batch.
 * - migrate (HAgent S2, placement.c): promote into free FMEM first, then one
 *   demotion of the coldest non-hot FMEM page per further promotion;
 *   asynchronous migrate_pages batches of TM_MIG_BATCH_PAGES.
 *   An identifier that gives its own cold list (TM_IDENT_COLD: DAMOS
 *   migrate_cold, a kswapd-like watermark) has that list demoted, and its
 *   hot SMEM pages promoted into the free FMEM plus the room those
 *   demotions free in the same batch, never by demoting other pages.
 * - Before either, if FMEM holds more than its capacity (a balloon shrank
 *   it, DESIGN.md §6.4), the excess coldest non-hot pages are demoted; these
 *   forced demotions ignore the limits but use up their budget.
 * - Limits: pages per epoch (both directions) and bytes/s × epoch length;
 *   an epoch they cut is counted in nr_capped.
 * The cost formulas are in docs/metrics.md, "Migration cost model".
 *
 * Notes (simplifications):
 * - Every move succeeds; Demeter's failed exchanges (63-90% success, its
 *   blacklist with 128-skip backoff) are not modelled.
 * - All pages of a plan change tier together at done_ns; exchange is
 *   synchronous in Demeter and migrate asynchronous in S2, but both stall
 *   only the migration threads here, never the application's accesses.
 * - Copy bandwidth scales linearly with nr_threads; remap and flushes do not.
 * - Exchange ignores free FMEM, as Demeter does, unless fill_free is set:
 *   then hot SMEM pages are first promoted into the free room (tmsim's own
 *   rule, so that FMEM a balloon gives back is used by existing pages).
 * - One batch in flight: done() must come before the next plan(), since the
 *   moves array is reused (the engine skips an epoch while busy).
 * - Counters (tm_mig_stats) count applied batches, i.e. at done().
 */
#include "migrate.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/select.h"
#include "models/ident/identifier.h"

/* Pages per asynchronous migrate_pages batch (HAgent S2, reference §4);
 * with batch_flush also the pages covered by one TLB flush in exchange. */
#define TM_MIG_BATCH_PAGES 4096

enum { MARK_HOT = 1, MARK_USED = 2 };
enum { DIR_TIER = 3, DIR_PAID = 4 };

struct cold {
	uint64_t est;
	uint64_t hist;   /* tie-break: view->history, or 0 */
	uint32_t idx;
};

struct tm_migrator {
	struct tm_migration_config cfg;
	uint32_t nr_vcpus, page_shift;
	uint64_t smem_extra_ns_per_access;
	struct tm_mig_stats stats;
	bool in_flight;
	bool wide_time;         /* the ping-pong window is over 2^32 ns */
	bool wide_payback;      /* a payback was 2^31 accesses or more */

	/* Per dense page, cap_pages entries, grown in plan(). */
	uint32_t cap_pages;
	uint8_t *mark;          /* MARK_* during one plan, all zero between */
	uint8_t *last_dir;      /* tier of the page's last move (0: never),
				 * | DIR_PAID once a promotion paid back */
	/* The page's last move time, less time_base (last_move32: "A page's
	 * last move, in 32 bits" below), or itself (last_move64). */
	uint32_t *last_move32;
	uint64_t *last_move64;
	uint64_t time_base;
	/* The accesses at which a promotion pays back: their low 32 bits
	 * (payback32), or all 64 (payback64). */
	uint32_t *payback32;
	uint64_t *payback64;

	/* Scratch of one plan, grown on demand. */
	struct tm_move *moves;
	size_t cap_moves;
	uint32_t *promo;        /* hot pages in SMEM, hottest first */
	size_t cap_promo;
	struct cold *cold;      /* coldest demotion candidates */
	size_t cap_cold;
};

/* One plan under construction. */
struct plan {
	const struct tm_mig_view *v;
	uint64_t budget;        /* pages that may still move this epoch */
	uint64_t nr_excess;     /* FMEM pages over capacity: forced demotions */
	size_t nr_promo;
	bool capped;
};

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct tm_migrator *tm_migrator_new(const struct tm_migration_config *cfg,
				    uint32_t nr_vcpus, uint32_t page_shift,
				    uint64_t smem_extra_ns_per_access)
{
	struct tm_migrator *m = tm_xcalloc(1, sizeof(*m));

	assert(cfg && nr_vcpus >= 1 && page_shift < 64);
	assert(cfg->nr_threads >= 1 && cfg->copy_bytes_per_s > 0);
	m->cfg = *cfg;
	m->nr_vcpus = nr_vcpus;
	m->page_shift = page_shift;
	m->smem_extra_ns_per_access = smem_extra_ns_per_access;
	m->wide_time = cfg->pingpong_window_ns > UINT32_MAX;
	return m;
}

void tm_migrator_free(struct tm_migrator *m)
{
	if (!m)
		return;
	tm_migrator_release_pages(m);
	free(m);
}

void tm_migrator_release_pages(struct tm_migrator *m)
{
	free(m->mark);
	free(m->last_dir);
	free(m->last_move32);
	free(m->last_move64);
	free(m->payback32);
	free(m->payback64);
	free(m->moves);
	free(m->promo);
	free(m->cold);
	m->mark = m->last_dir = NULL;
	m->last_move32 = m->payback32 = NULL;
	m->last_move64 = m->payback64 = NULL;
	m->moves = NULL;
	m->promo = NULL;
	m->cold = NULL;
	m->cap_pages = 0;
	m->cap_moves = m->cap_promo = m->cap_cold = 0;
}

const struct tm_mig_stats *tm_migrator_stats(const struct tm_migrator *m)
{
	return &m->stats;
}

/* ---- cost model (docs/metrics.md "Migration cost model") ---- */

void tm_mig_cost_of(const struct tm_migration_config *cfg, uint32_t nr_vcpus,
		    uint32_t page_shift, uint64_t nr_pages, uint64_t nr_flushes,
		    struct tm_mig_cost *out)
{
	double sz_bytes = (double)nr_pages * (double)(1ull << page_shift);

	memset(out, 0, sizeof(*out));
	/* copy_ns = bytes / copy_bytes_per_s, rounded to the nearest ns */
	if (nr_pages)
		out->copy_ns = (uint64_t)(sz_bytes * 1e9 /
					  cfg->copy_bytes_per_s + 0.5);
	out->remap_ns = cfg->remap_ns * nr_pages;
	/* A shootdown reaches every vCPU: tlb_flush_ns is one vCPU's share. */
	out->nr_tlb_flushes = nr_flushes;
	out->tlb_ns = nr_flushes * nr_vcpus * cfg->tlb_flush_ns;
	/* Host mode: each vCPU is also kicked to invalidate its EPT entries. */
	if (cfg->where == TM_MIG_HOST) {
		out->nr_ept_flushes = nr_flushes;
		out->ept_ns = nr_flushes * nr_vcpus * cfg->ept_flush_ns;
	}
}

/* Flushes of a plan: one per exchanged pair and one per plain move (the
 * Demeter code and migrate_pages without batched flushing), or one per
 * TM_MIG_BATCH_PAGES pages with batch_flush. */
static uint64_t nr_flushes_of(const struct tm_migration_config *cfg,
			      uint64_t nr_moves, uint64_t nr_exchanges)
{
	if (cfg->batch_flush)
		return (nr_moves + TM_MIG_BATCH_PAGES - 1) / TM_MIG_BATCH_PAGES;
	return nr_moves - nr_exchanges;
}

static void price(const struct tm_migrator *m, uint64_t now_ns,
		  struct tm_mig_batch *b)
{
	struct tm_mig_cost *c = &b->cost;
	uint32_t nr_threads = m->cfg.nr_threads;

	tm_mig_cost_of(&m->cfg, m->nr_vcpus, m->page_shift, b->nr_moves,
		       nr_flushes_of(&m->cfg, b->nr_moves, b->nr_exchanges), c);
	b->sz_bytes = (uint64_t)b->nr_moves << m->page_shift;
	/* cpu = copy + remap + tlb + ept; elapsed splits only the copy */
	b->cpu_ns = c->copy_ns + c->remap_ns + c->tlb_ns + c->ept_ns;
	b->done_ns = now_ns + (c->copy_ns + nr_threads - 1) / nr_threads +
		     c->remap_ns + c->tlb_ns + c->ept_ns;
}

/* ---- planning ---- */

static void *reserve(void *p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return p;
	*cap = need > 2 * *cap ? need : 2 * *cap;
	return tm_xrealloc(p, *cap * sz);
}

/* Per-page arrays follow the VM's page count (epoch rate, not per sample). */
static void grow_pages(struct tm_migrator *m, uint32_t nr_pages)
{
	uint32_t old = m->cap_pages, cap;

	if (nr_pages <= old)
		return;
	cap = nr_pages > UINT32_MAX / 2 || nr_pages > 2 * old ? nr_pages :
								  2 * old;
#define GROW(a) TM_XGROW_ZEROED(m->a, old, cap)
	GROW(mark);
	GROW(last_dir);
	if (m->wide_time)
		GROW(last_move64);
	else
		GROW(last_move32);
	if (m->wide_payback)
		GROW(payback64);
	else
		GROW(payback32);
#undef GROW
	m->cap_pages = cap;
}

/* Pages the limits let move this epoch (UINT64_MAX: unbounded). */
static uint64_t page_budget(const struct tm_migrator *m,
			    const struct tm_mig_view *v)
{
	uint64_t budget = m->cfg.max_pages_per_epoch ?
			  m->cfg.max_pages_per_epoch : UINT64_MAX;
	double pages;

	if (m->cfg.max_bytes_per_s <= 0)
		return budget;
	assert(v->epoch_ns > 0);
	/* bytes per epoch <= max_bytes_per_s × epoch length */
	pages = m->cfg.max_bytes_per_s * (double)v->epoch_ns / 1e9 /
		(double)(1ull << m->page_shift);
	if (pages < 18446744073709549568.0)  /* largest double < 2^64 */
		budget = min_u64(budget, (uint64_t)pages);
	return budget;
}

/* Mark the hot list cut to the FMEM capacity; collect its SMEM pages. */
static void mark_hot(struct tm_migrator *m, struct plan *p)
{
	const struct tm_mig_view *v = p->v;
	uint64_t nr_marked = 0;

	m->promo = reserve(m->promo, &m->cap_promo,
			   min_u64(v->nr_hot, v->nr_fmem_cap_pages),
			   sizeof(*m->promo));
	p->nr_promo = 0;
	for (size_t i = 0; i < v->nr_hot && nr_marked < v->nr_fmem_cap_pages;
	     i++) {
		uint32_t idx = v->hot[i];

		assert(idx < v->nr_pages);
		if (m->mark[idx] & MARK_HOT)
			continue;  /* a duplicate takes no second slot */
		m->mark[idx] |= MARK_HOT;
		nr_marked++;
		if (v->tier[idx] == TM_TIER_SMEM)
			m->promo[p->nr_promo++] = idx;
	}
}

static inline bool colder(const void *ctx, const struct cold *a,
			  const struct cold *b)
{
	(void)ctx;
	if (a->est != b->est)
		return a->est < b->est;
	return a->hist < b->hist || (a->hist == b->hist && a->idx < b->idx);
}

TM_SELECT_DEFINE(coldest, struct cold, const void *, colder)

/* Keep the k coldest FMEM pages neither hot nor moving in m->cold, sorted
 * coldest first; returns how many pages were eligible (may exceed k).
 * O(nr_pages log k), once per epoch; lib/select.h's bounded heap. */
static size_t select_coldest(struct tm_migrator *m,
			     const struct tm_mig_view *v, size_t k)
{
	size_t nr = 0, nr_eligible = 0;

	m->cold = reserve(m->cold, &m->cap_cold, k, sizeof(*m->cold));
	for (uint32_t idx = 0; idx < v->nr_pages; idx++) {
		struct cold c;

		if (v->tier[idx] != TM_TIER_FMEM || m->mark[idx])
			continue;
		nr_eligible++;
		if (!k)
			continue;
		c.idx = idx;
		c.est = v->estimate ? v->estimate(v->estimate_ctx, idx) : 0;
		c.hist = v->history ? v->history(v->estimate_ctx, idx) : 0;
		coldest_offer(NULL, m->cold, &nr, k, c);
	}
	coldest_offered_sort(NULL, m->cold, nr);
	return nr_eligible;
}

/* Thrashing guard (migration.thrash_guard, tmsim's own rule after the
 * blog's power-of-two guard, reference §2): a hot page displaces a colder
 * one only if its estimate is at least twice the other's plus one, i.e. the
 * gap is more than a power of two; with sampled counts a smaller gap is
 * mostly noise and the move would likely be undone. */
static bool gap_real(const struct tm_migrator *m, const struct tm_mig_view *v,
		     uint32_t up, uint32_t down)
{
	uint64_t eu, ed;

	if (!m->cfg.thrash_guard || !v->estimate)
		return true;
	eu = v->estimate(v->estimate_ctx, up);
	ed = v->estimate(v->estimate_ctx, down);
	return eu >= 2 * ed + 1;
}

static void add_move(struct tm_migrator *m, struct tm_mig_batch *b,
		     uint32_t idx, enum tm_tier to)
{
	assert(!(m->mark[idx] & MARK_USED));
	m->mark[idx] |= MARK_USED;
	m->moves[b->nr_moves].idx = idx;
	m->moves[b->nr_moves].to_tier = (uint8_t)to;
	b->nr_moves++;
	if (to == TM_TIER_FMEM)
		b->nr_promotions++;
	else
		b->nr_demotions++;
}

/* Select the forced demotions plus up to `want` more candidates; demote
 * the forced ones; return the number of further candidates available
 * (eligible, not only selected). */
static size_t demote_excess(struct tm_migrator *m, struct plan *p,
			    struct tm_mig_batch *b, size_t want)
{
	size_t nr_eligible = select_coldest(m, p->v, p->nr_excess + want);

	assert(nr_eligible >= p->nr_excess);  /* hot set <= capacity */
	for (size_t i = 0; i < p->nr_excess; i++)
		add_move(m, b, m->cold[i].idx, TM_TIER_SMEM);
	return nr_eligible - p->nr_excess;
}

/* exchange: with fill_free, promote into free FMEM first; then pair hot SMEM
 * pages FIFO with the coldest non-hot FMEM pages. */
static void plan_exchange(struct tm_migrator *m, struct plan *p,
			  struct tm_mig_batch *b)
{
	const struct tm_mig_view *v = p->v;
	uint64_t nr_fmem = min_u64(v->nr_fmem_pages, v->nr_fmem_cap_pages);
	uint64_t nr_free = m->cfg.fill_free ?
			   min_u64(p->nr_promo, v->nr_fmem_cap_pages - nr_fmem) : 0;
	uint64_t nr_fill = min_u64(nr_free, p->budget);
	uint64_t room = (p->budget - nr_fill) / 2, rest = p->nr_promo - nr_fill;
	size_t want = min_u64(rest, room), nr_cand, n;

	p->capped |= nr_fill < nr_free;
	nr_cand = demote_excess(m, p, b, want);
	n = min_u64(want, nr_cand);
	p->capped |= room < min_u64(rest, nr_cand);
	for (size_t i = 0; i < nr_fill; i++)
		add_move(m, b, m->promo[i], TM_TIER_FMEM);
	for (size_t i = 0; i < n; i++) {
		/* promo is hottest first, cold coldest first: once a pair's
		 * gap is noise, every later pair's is too */
		if (!gap_real(m, v, m->promo[nr_fill + i],
			      m->cold[p->nr_excess + i].idx))
			break;
		add_move(m, b, m->promo[nr_fill + i], TM_TIER_FMEM);
		add_move(m, b, m->cold[p->nr_excess + i].idx, TM_TIER_SMEM);
		b->nr_exchanges++;
	}
}

/* exchange with a two-heap identifier: its pairs, minus stale ones. */
static void plan_pairs(struct tm_migrator *m, struct plan *p,
		       struct tm_mig_batch *b)
{
	const struct tm_mig_view *v = p->v;
	uint64_t room = p->budget / 2, n = 0;

	demote_excess(m, p, b, 0);
	for (size_t i = 0; i < v->nr_pairs; i++) {
		uint32_t up = v->pair_promote[i], down = v->pair_demote[i];

		assert(up < v->nr_pages && down < v->nr_pages);
		if (v->tier[up] != TM_TIER_SMEM ||
		    v->tier[down] != TM_TIER_FMEM ||
		    ((m->mark[up] | m->mark[down]) & MARK_USED))
			continue;  /* stale: already moved, or moving now */
		if (!gap_real(m, v, up, down))
			continue;
		if (n == room) {
			p->capped = true;
			break;
		}
		add_move(m, b, up, TM_TIER_FMEM);
		add_move(m, b, down, TM_TIER_SMEM);
		b->nr_exchanges++;
		n++;
	}
}

/* migrate: the identifier's own demotions (a watermark or a cold scheme),
 * in its order, skipping pages not in FMEM, hot or already moving, within
 * what is left of the budget. */
static uint64_t plan_cold(struct tm_migrator *m, struct plan *p,
			  struct tm_mig_batch *b, uint64_t budget)
{
	const struct tm_mig_view *v = p->v;
	uint64_t n = 0;

	for (size_t i = 0; i < v->nr_cold; i++) {
		uint32_t idx = v->cold[i];

		assert(idx < v->nr_pages);
		if (v->tier[idx] != TM_TIER_FMEM || m->mark[idx])
			continue;
		if (n == budget) {
			p->capped = true;
			break;
		}
		add_move(m, b, idx, TM_TIER_SMEM);
		n++;
	}
	return n;
}

/* migrate with the identifier's own cold list (demotion decoupled from
 * promotion): forced demotions, the cold list, then the hot SMEM pages,
 * hottest first, into the free FMEM and the room those demotions free in
 * the same batch (its pages change tier together); no demotion is made
 * for a promotion. */
static void plan_decoupled(struct tm_migrator *m, struct plan *p,
			   struct tm_mig_batch *b)
{
	const struct tm_mig_view *v = p->v;
	uint64_t nr_fmem = min_u64(v->nr_fmem_pages, v->nr_fmem_cap_pages);
	uint64_t nr_dem, nr_room, n;

	demote_excess(m, p, b, 0);
	nr_dem = plan_cold(m, p, b, p->budget);
	nr_room = min_u64(p->nr_promo, v->nr_fmem_cap_pages - nr_fmem + nr_dem);
	n = min_u64(nr_room, p->budget - nr_dem);
	p->capped |= n < nr_room;
	for (size_t i = 0; i < n; i++)
		add_move(m, b, m->promo[i], TM_TIER_FMEM);
}

/* migrate: fill free FMEM, then one demotion per further promotion. */
static void plan_migrate(struct tm_migrator *m, struct plan *p,
			 struct tm_mig_batch *b)
{
	const struct tm_mig_view *v = p->v;
	uint64_t nr_fmem = min_u64(v->nr_fmem_pages, v->nr_fmem_cap_pages);
	uint64_t nr_free = min_u64(p->nr_promo, v->nr_fmem_cap_pages - nr_fmem);
	uint64_t nr_fill = min_u64(nr_free, p->budget), room, rest;
	size_t want, nr_cand, n;

	p->capped |= nr_fill < nr_free;
	room = (p->budget - nr_fill) / 2;
	rest = p->nr_promo - nr_free;  /* hot pages that need a demotion */
	want = min_u64(rest, room);
	nr_cand = demote_excess(m, p, b, want);
	n = min_u64(want, nr_cand);
	p->capped |= room < min_u64(rest, nr_cand);
	while (n > 0 && !gap_real(m, v, m->promo[nr_free + n - 1],
				  m->cold[p->nr_excess + n - 1].idx))
		n--;  /* the coolest promotions displace warmer pages: drop */
	for (size_t i = 0; i < n; i++)
		add_move(m, b, m->cold[p->nr_excess + i].idx, TM_TIER_SMEM);
	for (size_t i = 0; i < nr_fill; i++)
		add_move(m, b, m->promo[i], TM_TIER_FMEM);
	for (size_t i = 0; i < n; i++)
		add_move(m, b, m->promo[nr_free + i], TM_TIER_FMEM);
}

/* Invariants of a finished plan, before the marks are cleared: every move
 * leaves its page's tier, no page moves twice, FMEM stays within capacity
 * (or shrinks to it) and exchanges keep its size.  Inline: only assert()
 * calls it, so an NDEBUG build does not find it unused. */
static inline bool plan_ok(const struct tm_migrator *m,
			   const struct tm_mig_view *v,
			   const struct tm_mig_batch *b)
{
	uint64_t nr_fmem = 0, nr_used = 0;

	for (uint32_t i = 0; i < v->nr_pages; i++) {
		nr_fmem += v->tier[i] == TM_TIER_FMEM;
		nr_used += (m->mark[i] & MARK_USED) != 0;
	}
	if (nr_fmem != v->nr_fmem_pages || nr_used != b->nr_moves ||
	    b->nr_promotions + b->nr_demotions != b->nr_moves)
		return false;
	if (m->cfg.mode == TM_MIG_EXCHANGE && !m->cfg.fill_free &&
	    b->nr_promotions != b->nr_exchanges)
		return false;
	for (size_t i = 0; i < b->nr_moves; i++)
		if (v->tier[b->moves[i].idx] == b->moves[i].to_tier ||
		    v->tier[b->moves[i].idx] == TM_TIER_NONE)
			return false;
	nr_fmem = nr_fmem + b->nr_promotions - b->nr_demotions;
	return nr_fmem <= v->nr_fmem_cap_pages;
}

static void clear_marks(struct tm_migrator *m, const struct tm_mig_view *v,
			const struct tm_mig_batch *b)
{
	for (size_t i = 0; i < v->nr_hot; i++)
		m->mark[v->hot[i]] = 0;
	for (size_t i = 0; i < b->nr_moves; i++)
		m->mark[b->moves[i].idx] = 0;
}

void tm_migrator_plan(struct tm_migrator *m, const struct tm_mig_view *v,
		      struct tm_mig_batch *out)
{
	struct plan p = { .v = v };

	assert(!m->in_flight);  /* the moves array is still the caller's */
	assert(v->tier && (v->nr_hot == 0 || v->hot));
	memset(out, 0, sizeof(*out));
	m->stats.nr_epochs++;
	grow_pages(m, v->nr_pages);
	out->moves = m->moves;
	if (m->cfg.mode != TM_MIG_NONE) {
		p.nr_excess = sat_sub(v->nr_fmem_pages, v->nr_fmem_cap_pages);
		p.budget = sat_sub(page_budget(m, v), p.nr_excess);
		mark_hot(m, &p);
		/* a page moves at most once; each promotion may need a partner */
		m->moves = reserve(m->moves, &m->cap_moves,
				   min_u64(v->nr_pages, p.nr_excess + 2 *
					   (p.nr_promo + v->nr_pairs) +
					   v->nr_cold),
				   sizeof(*m->moves));
		out->moves = m->moves;
		if (m->cfg.mode == TM_MIG_MIGRATE && v->cold)
			plan_decoupled(m, &p, out);
		else if (m->cfg.mode == TM_MIG_MIGRATE)
			plan_migrate(m, &p, out);
		else if (v->nr_pairs > 0)
			plan_pairs(m, &p, out);
		else
			plan_exchange(m, &p, out);
		assert(plan_ok(m, v, out));
		clear_marks(m, v, out);
	}
	m->stats.nr_capped += p.capped;
	price(m, v->now_ns, out);
	m->in_flight = out->nr_moves > 0;
}

/* ---- accounting of applied moves ---- */

/* Accesses from FMEM that repay cost_ns: a × extra >= cost_ns. */
static uint64_t payback_accesses(uint64_t cost_ns, uint64_t extra_ns)
{
	if (!extra_ns)
		return cost_ns ? UINT64_MAX : 0;
	return (cost_ns + extra_ns - 1) / extra_ns;
}

/* ---- a page's last move, in 32 bits ----
 *
 * Time: a page's last move time less time_base, below 2^32 ns (4.29 s).
 * Ping-pong only asks whether the last move is within the window; so once
 * a batch lands 2^32 ns or more past the base, the base moves to that time
 * less the window, and a page last moved before the new base is stored at
 * it: for this and every later batch it is still as old as the window or
 * older, as its true time is (rebase, O(pages) once per 4.29 s at most).
 * A window over 2^32 ns keeps the times in 64 bits (wide_time).
 *
 * Payback: the low 32 bits of the accesses at which a promotion pays back
 * (a page's accesses at its promotion + the batch's payback P).  While P <
 * 2^31 and the caller settles (tm_migrator_settle) before any page gains
 * 2^31 accesses, a pending point is within 2^31 of the page's accesses,
 * so the sign of the 32-bit difference says which is larger: settling
 * marks the points reached (DIR_PAID), and those still pending start the
 * next span within (-P, 0].  A batch with P >= 2^31 (an SMEM access no
 * slower than an FMEM one: no move ever pays back) widens the points to 64
 * bits, exactly, for the rest of the run (wide_payback). */

static uint64_t last_move_of(const struct tm_migrator *m, uint32_t idx)
{
	return m->wide_time ? m->last_move64[idx] :
	       m->time_base + m->last_move32[idx];
}

static void set_last_move(struct tm_migrator *m, uint32_t idx, uint64_t now_ns)
{
	if (m->wide_time)
		m->last_move64[idx] = now_ns;
	else
		m->last_move32[idx] = (uint32_t)(now_ns - m->time_base);
}

static void rebase(struct tm_migrator *m, uint64_t now_ns)
{
	uint64_t base = now_ns - m->cfg.pingpong_window_ns;

	for (uint32_t idx = 0; idx < m->cap_pages; idx++)
		if (m->last_dir[idx]) {
			uint64_t t = last_move_of(m, idx);

			m->last_move32[idx] = t > base ?
					      (uint32_t)(t - base) : 0;
		}
	m->time_base = base;
}

/* The page's payback point is ahead of acc (a promotion not paid back). */
static bool pending(const struct tm_migrator *m, uint32_t idx, uint64_t acc)
{
	if (m->last_dir[idx] != TM_TIER_FMEM)   /* not promoted, or paid */
		return false;
	if (m->wide_payback)
		return acc < m->payback64[idx];
	return ((uint32_t)acc - m->payback32[idx]) & UINT32_C(0x80000000);
}

void tm_migrator_settle(struct tm_migrator *m, tm_mig_acc_fn acc,
			const void *ctx)
{
	if (m->wide_payback)
		return;
	for (uint32_t idx = 0; idx < m->cap_pages; idx++)
		if (m->last_dir[idx] == TM_TIER_FMEM &&
		    !pending(m, idx, acc(ctx, idx)))
			m->last_dir[idx] |= DIR_PAID;
}

static void widen_payback(struct tm_migrator *m, tm_mig_acc_fn acc,
			  const void *ctx)
{
	m->payback64 = tm_xcalloc(m->cap_pages ? m->cap_pages : 1,
				  sizeof(*m->payback64));
	for (uint32_t idx = 0; idx < m->cap_pages; idx++) {
		uint64_t a;
		uint32_t d;

		if (m->last_dir[idx] & DIR_PAID) {   /* paid: a point of 0 */
			m->last_dir[idx] &= ~DIR_PAID;
			continue;
		}
		if (m->last_dir[idx] != TM_TIER_FMEM ||
		    !pending(m, idx, a = acc(ctx, idx)))
			continue;
		d = m->payback32[idx] - (uint32_t)a;   /* in (0, 2^31] */
		m->payback64[idx] = a + d;
	}
	free(m->payback32);
	m->payback32 = NULL;
	m->wide_payback = true;
}

static void account_move(struct tm_migrator *m, const struct tm_move *mv,
			 uint64_t acc, uint64_t now_ns, uint64_t nr_payback)
{
	uint32_t idx = mv->idx;
	uint8_t last = m->last_dir[idx] & DIR_TIER;

	assert(now_ns >= last_move_of(m, idx));
	if (last && last != mv->to_tier &&
	    now_ns - last_move_of(m, idx) < m->cfg.pingpong_window_ns)
		m->stats.nr_pingpong++;
	if (mv->to_tier == TM_TIER_SMEM && pending(m, idx, acc))
		m->stats.nr_unpaid++;
	if (mv->to_tier == TM_TIER_FMEM && m->wide_payback)
		m->payback64[idx] = sat_add(acc, nr_payback);
	else if (mv->to_tier == TM_TIER_FMEM)
		m->payback32[idx] = (uint32_t)(acc + nr_payback);
	m->last_dir[idx] = mv->to_tier;
	set_last_move(m, idx, now_ns);
}

void tm_migrator_done(struct tm_migrator *m, const struct tm_mig_batch *b,
		      tm_mig_acc_fn acc, const void *ctx, uint64_t now_ns)
{
	struct tm_mig_stats *s = &m->stats;
	uint64_t nr_payback;

	m->in_flight = false;
	if (!b->nr_moves)
		return;
	assert(b->moves == m->moves);
	/* a page's share of the batch: cpu_ns / pages of the batch */
	nr_payback = payback_accesses(b->cpu_ns / b->nr_moves,
				      m->smem_extra_ns_per_access);
	if (!m->wide_payback && nr_payback >= TM_MIG_PAYBACK_WIDE)
		widen_payback(m, acc, ctx);
	if (!m->wide_time && now_ns - m->time_base > UINT32_MAX)
		rebase(m, now_ns);
	for (size_t i = 0; i < b->nr_moves; i++)
		account_move(m, &b->moves[i], acc(ctx, b->moves[i].idx),
			     now_ns, nr_payback);
	s->nr_promotions += b->nr_promotions;
	s->nr_demotions += b->nr_demotions;
	s->nr_exchanges += b->nr_exchanges;
	s->sz_bytes += b->sz_bytes;
	s->cpu_ns += b->cpu_ns;
	s->nr_tlb_flushes += b->cost.nr_tlb_flushes;
	s->nr_ept_flushes += b->cost.nr_ept_flushes;
}
