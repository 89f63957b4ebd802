/*
 * test_migrate.c - the migration engine: plans (exchange, two-heap pairs,
 * migrate), limits, the cost formula pinned by hand, capacity and page
 * conservation over random plans, ping-pong and payback accounting, and a
 * small GUPS-like loop showing the exchange planner converges to the oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "models/ident/identifier.h"
#include "models/migrate.h"

#define F TM_TIER_FMEM
#define S TM_TIER_SMEM
#define PAGE_SHIFT 12
#define NR_VCPUS 4
#define SMEM_EXTRA_NS 100

/* A VM as the engine sees it; the test applies moves itself. */
struct world {
	uint32_t nr;
	uint8_t *tier;
	uint64_t *cum;
	uint64_t *est;
	uint64_t cap;
	uint32_t *hot;
	size_t nr_hot;
	uint32_t *pp, *pd;
	size_t nr_pairs;
	uint64_t now_ns, epoch_ns;
};

static struct world *world_new(uint32_t nr, uint64_t cap)
{
	struct world *w = calloc(1, sizeof(*w));

	w->nr = nr;
	w->cap = cap;
	w->tier = calloc(nr + 1, sizeof(*w->tier));
	w->cum = calloc(nr + 1, sizeof(*w->cum));
	w->est = calloc(nr + 1, sizeof(*w->est));
	w->hot = calloc(2 * nr + 1, sizeof(*w->hot));
	w->pp = calloc(2 * nr + 1, sizeof(*w->pp));
	w->pd = calloc(2 * nr + 1, sizeof(*w->pd));
	w->epoch_ns = 1000000;
	return w;
}

static void world_free(struct world *w)
{
	free(w->tier);
	free(w->cum);
	free(w->est);
	free(w->hot);
	free(w->pp);
	free(w->pd);
	free(w);
}

static uint64_t est_of(void *ctx, uint32_t idx)
{
	const struct world *w = ctx;

	return w->est[idx];
}

static uint64_t acc_of(const void *ctx, uint32_t idx)
{
	const struct world *w = ctx;

	return w->cum[idx];
}

static uint64_t count_tier(const struct world *w, uint8_t t)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < w->nr; i++)
		n += w->tier[i] == t;
	return n;
}

static struct tm_mig_view view_of(struct world *w)
{
	struct tm_mig_view v = {
		.now_ns = w->now_ns,
		.epoch_ns = w->epoch_ns,
		.tier = w->tier,
		.nr_pages = w->nr,
		.nr_fmem_cap_pages = w->cap,
		.nr_fmem_pages = count_tier(w, F),
		.hot = w->hot,
		.nr_hot = w->nr_hot,
		.pair_promote = w->pp,
		.pair_demote = w->pd,
		.nr_pairs = w->nr_pairs,
		.estimate = est_of,
		.estimate_ctx = w,
	};
	return v;
}

static void set_hot(struct world *w, const uint32_t *hot, size_t nr)
{
	memcpy(w->hot, hot, nr * sizeof(*hot));
	w->nr_hot = nr;
}

/* Apply b's moves at its done time (each move leaves its tier) and tell
 * the migrator. */
static void apply(struct world *w, struct tm_migrator *m,
		  const struct tm_mig_batch *b)
{
	for (size_t i = 0; i < b->nr_moves; i++) {
		uint32_t idx = b->moves[i].idx;

		assert_true(idx < w->nr);
		assert_int_equal(w->tier[idx],
				 b->moves[i].to_tier == F ? S : F);
		w->tier[idx] = b->moves[i].to_tier;
	}
	w->now_ns = b->done_ns;
	tm_migrator_done(m, b, acc_of, w, w->now_ns);
}

static struct tm_migration_config base_cfg(enum tm_mig_mode mode)
{
	struct tm_migration_config c = {
		.mode = mode,
		.nr_threads = 2,
		.copy_bytes_per_s = 4096e6,  /* one 4 KiB page per 1000 ns */
		.remap_ns = 500,
		.tlb_flush_ns = 300,
		.ept_flush_ns = 700,
		.batch_flush = false,
		.where = TM_MIG_GUEST,
		.pingpong_window_ns = 1000000000,
	};
	return c;
}

/*
 * 1. Hand-computed exchange.  Pages: [0]=FMEM cold, [1]=SMEM, [2]=SMEM hot;
 * capacity 1 page.  Expected: one exchange (2 up, 0 down), 2 pages moved,
 * 8192 bytes.  With 4 vCPUs, 2 threads, copy 4.096e9 B/s, remap 500 ns,
 * TLB share 300 ns, one flush per pair:
 *   copy   = 8192 B / 4.096e9 B/s       = 2000 ns
 *   remap  = 2 pages × 500              = 1000 ns
 *   tlb    = 1 flush × 4 vCPUs × 300    = 1200 ns
 *   cpu    = 2000 + 1000 + 1200         = 4200 ns
 *   done   = 10000 + 2000/2 + 1000 + 1200 = 13200 ns
 */
static void test_exchange_by_hand(void **state)
{
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT,
						SMEM_EXTRA_NS);
	struct world *w = world_new(3, 1);
	static const uint32_t hot[] = { 2 };
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	w->tier[0] = F;
	w->tier[1] = S;
	w->tier[2] = S;
	w->est[1] = 1;
	w->est[2] = 9;
	w->now_ns = 10000;
	set_hot(w, hot, 1);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_exchanges, 1);
	assert_int_equal(b.nr_moves, 2);
	assert_int_equal(b.nr_promotions, 1);
	assert_int_equal(b.nr_demotions, 1);
	assert_int_equal(b.moves[0].idx, 2);
	assert_int_equal(b.moves[0].to_tier, F);
	assert_int_equal(b.moves[1].idx, 0);
	assert_int_equal(b.moves[1].to_tier, S);
	assert_int_equal(b.sz_bytes, 8192);
	assert_int_equal(b.cost.copy_ns, 2000);
	assert_int_equal(b.cost.remap_ns, 1000);
	assert_int_equal(b.cost.tlb_ns, 1200);
	assert_int_equal(b.cost.ept_ns, 0);
	assert_int_equal(b.cost.nr_tlb_flushes, 1);
	assert_int_equal(b.cost.nr_ept_flushes, 0);
	assert_int_equal(b.cpu_ns, 4200);
	assert_int_equal(b.done_ns, 13200);
	apply(w, m, &b);
	assert_int_equal(tm_migrator_stats(m)->nr_exchanges, 1);
	assert_int_equal(tm_migrator_stats(m)->sz_bytes, 8192);
	assert_int_equal(tm_migrator_stats(m)->cpu_ns, 4200);
	assert_int_equal(tm_migrator_stats(m)->nr_tlb_flushes, 1);
	/* Settled: the hot page is in FMEM, nothing more to do. */
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_moves, 0);
	assert_int_equal(b.done_ns, w->now_ns);
	tm_migrator_free(m);
	world_free(w);
}

/* tm_mig_cost_of alone, batch flushes and threads rounding up. */
static void test_cost_formula(void **state)
{
	struct tm_migration_config cfg = base_cfg(TM_MIG_MIGRATE);
	struct tm_mig_cost c;

	(void)state;
	/* 3 pages = 12288 B -> 3000 ns; 2 flushes × 4 × 300 = 2400 ns */
	tm_mig_cost_of(&cfg, NR_VCPUS, PAGE_SHIFT, 3, 2, &c);
	assert_int_equal(c.copy_ns, 3000);
	assert_int_equal(c.remap_ns, 1500);
	assert_int_equal(c.tlb_ns, 2400);
	assert_int_equal(c.ept_ns, 0);
	cfg.where = TM_MIG_HOST;
	tm_mig_cost_of(&cfg, NR_VCPUS, PAGE_SHIFT, 3, 2, &c);
	assert_int_equal(c.tlb_ns, 2400);
	assert_int_equal(c.ept_ns, 2 * NR_VCPUS * 700);
	assert_int_equal(c.nr_ept_flushes, 2);
	/* 2 MiB pages: 2097152 B / 4.096e9 B/s = 512000 ns */
	tm_mig_cost_of(&cfg, 1, 21, 1, 0, &c);
	assert_int_equal(c.copy_ns, 512000);
	assert_int_equal(c.tlb_ns, 0);
	tm_mig_cost_of(&cfg, 1, 12, 0, 0, &c);
	assert_int_equal(c.copy_ns + c.remap_ns + c.tlb_ns + c.ept_ns, 0);
}

/* One random world: tiers (some untouched), capacity possibly below the
 * FMEM resident count (a balloon shrank it), hot list with duplicates,
 * sometimes two-heap pairs of any pages. */
static void random_world(gsl_rng *r, struct world *w, bool pairs)
{
	w->nr = 1 + (uint32_t)gsl_rng_uniform_int(r, 64);
	for (uint32_t i = 0; i < w->nr; i++) {
		w->tier[i] = (uint8_t)gsl_rng_uniform_int(r, 3);
		w->est[i] = gsl_rng_uniform_int(r, 8);
		w->cum[i] += gsl_rng_uniform_int(r, 50);
	}
	w->cap = gsl_rng_uniform_int(r, w->nr + 1);
	w->nr_hot = gsl_rng_uniform_int(r, 2 * w->nr);
	for (size_t i = 0; i < w->nr_hot; i++)
		w->hot[i] = (uint32_t)gsl_rng_uniform_int(r, w->nr);
	w->nr_pairs = pairs ? gsl_rng_uniform_int(r, w->nr) : 0;
	for (size_t i = 0; i < w->nr_pairs; i++) {
		w->pp[i] = (uint32_t)gsl_rng_uniform_int(r, w->nr);
		w->pd[i] = (uint32_t)gsl_rng_uniform_int(r, w->nr);
	}
	w->now_ns += 1 + gsl_rng_uniform_int(r, 1000000);
}

/* Every page of the hot list cut to capacity is in FMEM. */
static bool hot_all_in_fmem(const struct world *w)
{
	uint64_t seen = 0;

	for (size_t i = 0; i < w->nr_hot && seen < w->cap; i++) {
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup |= w->hot[j] == w->hot[i];
		if (dup)
			continue;
		seen++;
		if (w->tier[w->hot[i]] != F && w->tier[w->hot[i]] != 0)
			return false;
	}
	return true;
}

static void check_random_round(gsl_rng *r, struct world *w,
			       struct tm_migrator *m, enum tm_mig_mode mode,
			       bool limited)
{
	uint64_t f0, s0, n0, f1;
	struct tm_mig_batch b;
	struct tm_mig_view v;

	random_world(r, w, mode == TM_MIG_EXCHANGE && gsl_rng_uniform(r) < .3);
	f0 = count_tier(w, F);
	s0 = count_tier(w, S);
	n0 = count_tier(w, TM_TIER_NONE);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	apply(w, m, &b);
	f1 = count_tier(w, F);
	assert_true(f1 <= w->cap);                       /* capacity */
	assert_int_equal(f1 + count_tier(w, S), f0 + s0);  /* conserved */
	assert_int_equal(count_tier(w, TM_TIER_NONE), n0);
	if (mode == TM_MIG_EXCHANGE && f0 <= w->cap)
		assert_int_equal(f1, f0);  /* an exchange keeps FMEM's size */
	if (mode == TM_MIG_EXCHANGE)
		assert_int_equal(b.nr_promotions, b.nr_exchanges);
	if (!limited && mode == TM_MIG_MIGRATE)
		assert_true(hot_all_in_fmem(w));
	if (!limited && mode == TM_MIG_EXCHANGE && !w->nr_pairs &&
	    f0 == w->cap)
		assert_true(hot_all_in_fmem(w));
}

/* 2. Capacity never exceeded and pages conserved over random plans. */
static void test_random_capacity(void **state)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct world *w = world_new(64, 0);

	(void)state;
	gsl_rng_set(r, 42);
	for (int round = 0; round < 10000; round++) {
		enum tm_mig_mode mode = round & 1 ? TM_MIG_MIGRATE :
						    TM_MIG_EXCHANGE;
		struct tm_migration_config cfg = base_cfg(mode);
		bool limited = (round / 2) % 3 == 0;
		struct tm_migrator *m;

		cfg.batch_flush = (round / 4) & 1;
		if (limited)
			cfg.max_pages_per_epoch = 1 + gsl_rng_uniform_int(r, 8);
		m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, SMEM_EXTRA_NS);
		/* a few epochs on the same migrator: its arrays grow */
		for (int e = 0; e < 3; e++)
			check_random_round(r, w, m, mode, limited);
		tm_migrator_free(m);
	}
	gsl_rng_free(r);
	world_free(w);
}

/* 3. Host mode costs more than guest mode for the same moves: by
 * nr_flushes × nr_vcpus × ept_flush_ns, in CPU time and in elapsed time. */
static void test_host_costs_more(void **state)
{
	static const uint32_t hot[] = { 19, 18, 17, 16, 15, 14 };

	(void)state;
	for (int variant = 0; variant < 4; variant++) {
		struct tm_mig_batch bg, bh;
		struct tm_migration_config cfg;
		struct tm_migrator *mg, *mh;
		struct world *w = world_new(20, 8);
		struct tm_mig_view v;

		cfg = base_cfg(variant & 1 ? TM_MIG_MIGRATE : TM_MIG_EXCHANGE);
		cfg.batch_flush = variant & 2;
		for (uint32_t i = 0; i < 20; i++)
			w->tier[i] = i < 6 ? F : S;  /* 2 free FMEM pages */
		set_hot(w, hot, 6);
		v = view_of(w);
		mg = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
		cfg.where = TM_MIG_HOST;
		mh = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
		tm_migrator_plan(mg, &v, &bg);
		tm_migrator_plan(mh, &v, &bh);
		assert_int_equal(bg.nr_moves, bh.nr_moves);
		for (size_t k = 0; k < bg.nr_moves; k++) {
			assert_int_equal(bg.moves[k].idx, bh.moves[k].idx);
			assert_int_equal(bg.moves[k].to_tier,
					 bh.moves[k].to_tier);
		}
		assert_true(bg.cost.nr_tlb_flushes > 0);
		assert_int_equal(bh.cost.nr_ept_flushes, bg.cost.nr_tlb_flushes);
		assert_int_equal(bh.cpu_ns - bg.cpu_ns,
				 bg.cost.nr_tlb_flushes * NR_VCPUS * 700);
		assert_int_equal(bh.done_ns - bg.done_ns,
				 bg.cost.nr_tlb_flushes * NR_VCPUS * 700);
		/* flushes: per pair / per page, or one per 4096-page batch */
		assert_int_equal(bg.cost.nr_tlb_flushes,
				 cfg.batch_flush ? 1 : bg.nr_moves -
				 bg.nr_exchanges);
		tm_migrator_free(mg);
		tm_migrator_free(mh);
		world_free(w);
	}
}

/* Ten pages, FMEM = 0..4 (page 4 coldest, then 3...), hot = 9, 8, ... */
static struct world *limits_world(uint64_t cap, uint32_t nr_fmem)
{
	static const uint32_t hot[] = { 9, 8, 7, 6, 5 };
	struct world *w = world_new(10, cap);

	for (uint32_t i = 0; i < 10; i++) {
		w->tier[i] = i < nr_fmem ? F : S;
		w->est[i] = 10 - i;
	}
	set_hot(w, hot, 5);
	return w;
}

struct limit_case {
	enum tm_mig_mode mode;
	uint64_t cap;
	uint32_t nr_fmem;
	uint64_t max_pages;
	double max_bytes_per_s;
	uint64_t nr_promotions, nr_demotions;
	uint64_t nr_capped;
};

/* 4. Limits cut the plan; nr_capped counts only epochs actually cut.
 * The epoch is 1 ms, so 12288000 B/s allows 3 pages; 16384000 B/s 4. */
static void test_limits(void **state)
{
	static const struct limit_case cases[] = {
		{ TM_MIG_EXCHANGE, 5, 5, 0, 0, 5, 5, 0 },
		{ TM_MIG_EXCHANGE, 5, 5, 10, 0, 5, 5, 0 },
		{ TM_MIG_EXCHANGE, 5, 5, 4, 0, 2, 2, 1 },
		{ TM_MIG_EXCHANGE, 5, 5, 5, 0, 2, 2, 1 },
		{ TM_MIG_EXCHANGE, 5, 5, 0, 12288000, 1, 1, 1 },
		/* 3 FMEM pages to pair with: a 6-page limit cuts nothing */
		{ TM_MIG_EXCHANGE, 5, 3, 6, 0, 3, 3, 0 },
		{ TM_MIG_EXCHANGE, 5, 3, 5, 0, 2, 2, 1 },
		{ TM_MIG_EXCHANGE, 5, 5, 8, 16384000, 2, 2, 1 },
		{ TM_MIG_MIGRATE, 8, 5, 0, 0, 5, 2, 0 },
		{ TM_MIG_MIGRATE, 8, 5, 7, 0, 5, 2, 0 },
		{ TM_MIG_MIGRATE, 8, 5, 4, 0, 3, 0, 1 },
		{ TM_MIG_MIGRATE, 8, 5, 6, 0, 4, 1, 1 },
		{ TM_MIG_MIGRATE, 8, 5, 0, 12288000, 3, 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct limit_case *c = &cases[i];
		struct tm_migration_config cfg = base_cfg(c->mode);
		struct world *w = limits_world(c->cap, c->nr_fmem);
		struct tm_migrator *m;
		struct tm_mig_batch b;
		struct tm_mig_view v;

		cfg.max_pages_per_epoch = c->max_pages;
		cfg.max_bytes_per_s = c->max_bytes_per_s;
		m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
		v = view_of(w);
		tm_migrator_plan(m, &v, &b);
		if (b.nr_promotions != c->nr_promotions ||
		    tm_migrator_stats(m)->nr_capped != c->nr_capped)
			print_message("limits case %zu\n", i);
		assert_int_equal(b.nr_promotions, c->nr_promotions);
		assert_int_equal(b.nr_demotions, c->nr_demotions);
		assert_int_equal(tm_migrator_stats(m)->nr_capped, c->nr_capped);
		/* what survives the cut is the hottest / coldest first */
		for (size_t k = 0; k < b.nr_moves; k++)
			if (b.moves[k].to_tier == F)
				assert_true(b.moves[k].idx >= 10 -
					    c->nr_promotions);
			else
				assert_true(b.moves[k].idx >= c->nr_fmem -
					    c->nr_demotions);
		apply(w, m, &b);
		tm_migrator_free(m);
		world_free(w);
	}
}

/* Coldest first, and equal estimates demote the lower index first. */
static void test_demotion_order(void **state)
{
	static const uint32_t hot[] = { 7, 6, 5 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m = tm_migrator_new(&cfg, 1, PAGE_SHIFT, 0);
	struct world *w = world_new(8, 4);
	static const uint64_t est[] = { 5, 3, 5, 3 };
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 8; i++)
		w->tier[i] = i < 4 ? F : S;
	memcpy(w->est, est, sizeof(est));
	set_hot(w, hot, 3);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_exchanges, 3);
	/* pairs FIFO: hottest with coldest */
	assert_int_equal(b.moves[0].idx, 7);
	assert_int_equal(b.moves[1].idx, 1);
	assert_int_equal(b.moves[2].idx, 6);
	assert_int_equal(b.moves[3].idx, 3);
	assert_int_equal(b.moves[4].idx, 5);
	assert_int_equal(b.moves[5].idx, 0);
	tm_migrator_free(m);
	world_free(w);
}

/* Pages the estimate cannot tell apart (a sparse sample leaves most at 0)
 * are demoted by their history, lowest first, then by index: without it,
 * first-touch order would demote a hot set's oldest pages first. */
static uint64_t hist_of(void *ctx, uint32_t idx)
{
	static const uint64_t hist[] = { 9, 1, 5, 1 };

	(void)ctx;
	return idx < 4 ? hist[idx] : 0;
}

static void test_demotion_history(void **state)
{
	static const uint32_t hot[] = { 7, 6, 5, 4 };
	static const uint32_t down[] = { 1, 3, 2, 0 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m = tm_migrator_new(&cfg, 1, PAGE_SHIFT, 0);
	struct world *w = world_new(8, 4);
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 8; i++) {
		w->tier[i] = i < 4 ? F : S;
		w->est[i] = i < 4 ? 0 : 10;
	}
	set_hot(w, hot, 4);
	v = view_of(w);
	v.history = hist_of;
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_exchanges, 4);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(b.moves[2 * k].idx, hot[k]);
		assert_int_equal(b.moves[2 * k + 1].idx, down[k]);
	}
	tm_migrator_free(m);
	world_free(w);
}

/* Two pages swapping places each epoch, with capacity 1. */
static void swap_epoch(struct world *w, struct tm_migrator *m, uint32_t hot)
{
	struct tm_mig_batch b;
	struct tm_mig_view v;

	set_hot(w, &hot, 1);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_exchanges, 1);
	apply(w, m, &b);
}

/* 5. Ping-pong: back within the window counts (both pages of the
 * exchange), back after it does not. */
static void test_pingpong(void **state)
{
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	struct world *w = world_new(2, 1);

	(void)state;
	w->tier[0] = F;
	w->tier[1] = S;
	swap_epoch(w, m, 1);  /* first moves: nothing to bounce from */
	assert_int_equal(tm_migrator_stats(m)->nr_pingpong, 0);
	w->now_ns += cfg.pingpong_window_ns / 2;
	swap_epoch(w, m, 0);  /* both back within the window */
	assert_int_equal(tm_migrator_stats(m)->nr_pingpong, 2);
	w->now_ns += cfg.pingpong_window_ns;
	swap_epoch(w, m, 1);  /* back again, but after the window */
	assert_int_equal(tm_migrator_stats(m)->nr_pingpong, 2);
	tm_migrator_free(m);
	world_free(w);
}

/* 6. Payback.  The promotion batch of test 1 costs 4200 ns for 2 pages,
 * 2100 ns a page.  If an FMEM access saves 100 ns, 20 accesses do not pay
 * back (2000 < 2100) and 21 do (2100 is not < 2100); at 400 ns, 5 do not
 * (2000) and 6 do (2400). */
static void test_payback(void **state)
{
	static const uint64_t extra_ns[] = { 100, 100, 100, 100, 400, 400 };
	static const uint64_t accesses[] = { 20, 21, 0, 1000, 5, 6 };
	static const uint64_t unpaid[] = { 1, 0, 1, 0, 1, 0 };

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
		struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS,
							PAGE_SHIFT,
							extra_ns[i]);
		struct world *w = world_new(2, 1);

		w->tier[0] = F;
		w->tier[1] = S;
		w->cum[0] = 7;
		w->cum[1] = 500;
		swap_epoch(w, m, 1);  /* 1 promoted, 0 (first touch) demoted */
		assert_int_equal(tm_migrator_stats(m)->cpu_ns, 4200);
		w->cum[1] += accesses[i];
		swap_epoch(w, m, 0);  /* 1 demoted again */
		/* page 0 was never promoted by us, so only page 1 counts */
		assert_int_equal(tm_migrator_stats(m)->nr_unpaid, unpaid[i]);
		tm_migrator_free(m);
		world_free(w);
	}
}

/* 7. Two-heap pairs are used as given, stale and duplicate ones skipped;
 * replayed after they were applied, all are stale. */
static void test_pairs(void **state)
{
	static const uint32_t pp[] = { 3, 0, 5, 3, 4 };
	static const uint32_t pd[] = { 0, 5, 3, 2, 1 };
	static const uint32_t hot[] = { 5 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	struct world *w = world_new(6, 3);
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 6; i++)
		w->tier[i] = i < 3 ? F : S;
	w->est[0] = w->est[1] = 9;  /* page 2 would be the coldest */
	memcpy(w->pp, pp, sizeof(pp));
	memcpy(w->pd, pd, sizeof(pd));
	w->nr_pairs = 5;
	set_hot(w, hot, 1);  /* ignored: pairs take precedence */
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_exchanges, 2);
	assert_int_equal(b.nr_moves, 4);
	assert_int_equal(b.moves[0].idx, 3);
	assert_int_equal(b.moves[0].to_tier, F);
	assert_int_equal(b.moves[1].idx, 0);
	assert_int_equal(b.moves[1].to_tier, S);
	assert_int_equal(b.moves[2].idx, 4);
	assert_int_equal(b.moves[3].idx, 1);
	apply(w, m, &b);
	w->nr_pairs = 2;  /* (3,0) and (0,5): both pages already moved */
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_moves, 0);
	tm_migrator_free(m);
	world_free(w);
}

/* 8. migrate: free FMEM is used before any demotion. */
static void test_migrate_free_first(void **state)
{
	static const uint32_t hot2[] = { 9, 8 };
	static const uint32_t hot3[] = { 9, 8, 7 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_MIGRATE);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	struct world *w = world_new(10, 6);
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 4 ? F : S;
	w->est[0] = w->est[1] = w->est[3] = 5;
	w->est[2] = 1;
	set_hot(w, hot2, 2);  /* 2 free pages: no demotion */
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 2);
	assert_int_equal(b.nr_demotions, 0);
	assert_int_equal(b.nr_exchanges, 0);
	/* flush per page: 2 pages -> 2 × 4 × 300 */
	assert_int_equal(b.cost.tlb_ns, 2400);
	tm_migrator_free(m);

	m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	set_hot(w, hot3, 3);  /* 2 free, the third demotes page 2 */
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 3);
	assert_int_equal(b.nr_demotions, 1);
	assert_int_equal(b.moves[0].idx, 2);
	assert_int_equal(b.moves[0].to_tier, S);
	apply(w, m, &b);
	assert_int_equal(count_tier(w, F), 6);
	tm_migrator_free(m);
	world_free(w);
}

/* migrate with an identifier's cold list (decoupled demotion): pages 0-3
 * in FMEM (capacity 6), hot = {9}, cold = {5, 2, 9, 1, 3}: 5 is in SMEM and
 * 9 is hot (skipped), so 2, 1 and 3 go down, then 9 comes up; with a
 * budget of 3 pages the demotions take it all (capped).  With FMEM full,
 * a promotion takes only the room its batch's cold demotions free.
 *
 *   idx    0 1 2 3 | 4 5 6 7 8 9
 *   tier   F F F F | S S S S S S     cold: 5 2 9 1 3
 */
static void test_migrate_cold_list(void **state)
{
	static const uint32_t hot[] = { 9 };
	static const uint32_t hot2[] = { 9, 8 };
	static const uint32_t cold[] = { 5, 2, 9, 1, 3 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_MIGRATE);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	struct world *w = world_new(10, 6);
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 4 ? F : S;
	set_hot(w, hot, 1);
	v = view_of(w);
	v.cold = cold;
	v.nr_cold = 5;
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 1);
	assert_int_equal(b.nr_demotions, 3);
	assert_int_equal(b.moves[0].idx, 2);
	assert_int_equal(b.moves[1].idx, 1);
	assert_int_equal(b.moves[2].idx, 3);
	assert_int_equal(b.moves[3].idx, 9);
	apply(w, m, &b);
	assert_int_equal(count_tier(w, F), 2);
	tm_migrator_free(m);

	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 4 ? F : S;
	cfg.max_pages_per_epoch = 3;
	m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	v = view_of(w);
	v.cold = cold;
	v.nr_cold = 5;
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_moves, 3);
	assert_int_equal(b.nr_promotions, 0);
	assert_int_equal(tm_migrator_stats(m)->nr_capped, 1);
	apply(w, m, &b);
	tm_migrator_free(m);

	/* FMEM full (6 of 6), hot = {9, 8}, cold = {3}: 3 goes down and 9
	 * takes its room; 8 waits (no other page is demoted for it) */
	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 6 ? F : S;
	cfg.max_pages_per_epoch = 0;
	m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	set_hot(w, hot2, 2);
	v = view_of(w);
	v.cold = cold + 4;   /* {3} */
	v.nr_cold = 1;
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 1);
	assert_int_equal(b.nr_demotions, 1);
	assert_int_equal(b.moves[0].idx, 3);
	assert_int_equal(b.moves[1].idx, 9);
	apply(w, m, &b);
	assert_int_equal(count_tier(w, F), 6);
	tm_migrator_free(m);
	world_free(w);
}

/* Exchange with fill_free: room a balloon gave back is filled with hot SMEM
 * pages first (single promotions); the rest are exchanged.  Without
 * fill_free (Demeter) the room stays empty and only exchanges happen. */
static void test_exchange_fill_free(void **state)
{
	static const uint32_t hot3[] = { 9, 8, 7 };
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	struct tm_migrator *m;
	struct world *w = world_new(10, 6);
	struct tm_mig_batch b;
	struct tm_mig_view v;

	(void)state;
	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 4 ? F : S;
	w->est[0] = w->est[1] = w->est[3] = 5;
	w->est[2] = 1;
	set_hot(w, hot3, 3);
	cfg.fill_free = true;
	m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 3);
	assert_int_equal(b.nr_demotions, 1);
	assert_int_equal(b.nr_exchanges, 1);
	apply(w, m, &b);
	assert_int_equal(count_tier(w, F), 6);
	assert_int_equal(w->tier[2], S);  /* the coldest was exchanged out */
	tm_migrator_free(m);

	for (uint32_t i = 0; i < 10; i++)
		w->tier[i] = i < 4 ? F : S;
	cfg.fill_free = false;
	m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
	v = view_of(w);
	tm_migrator_plan(m, &v, &b);
	assert_int_equal(b.nr_promotions, 3);
	assert_int_equal(b.nr_demotions, 3);
	assert_int_equal(b.nr_exchanges, 3);
	apply(w, m, &b);
	assert_int_equal(count_tier(w, F), 4);
	tm_migrator_free(m);
	world_free(w);
}

/* A balloon shrank FMEM below its resident pages: the coldest non-hot
 * pages are demoted first, even past the page limit. */
static void test_shrink_demotes_excess(void **state)
{
	static const uint32_t hot[] = { 0, 9 };

	(void)state;
	for (int mode = TM_MIG_EXCHANGE; mode <= TM_MIG_MIGRATE; mode++) {
		struct tm_migration_config cfg = base_cfg(mode);
		struct tm_migrator *m;
		struct world *w = world_new(10, 3);
		struct tm_mig_batch b;
		struct tm_mig_view v;

		cfg.max_pages_per_epoch = 2;
		m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT, 0);
		for (uint32_t i = 0; i < 10; i++) {
			w->tier[i] = i < 6 ? F : S;
			w->est[i] = 10 - i;
		}
		set_hot(w, hot, 2);
		v = view_of(w);
		tm_migrator_plan(m, &v, &b);
		assert_int_equal(b.nr_demotions, 3);  /* pages 5, 4, 3 */
		assert_int_equal(b.nr_promotions, 0); /* budget used up */
		apply(w, m, &b);
		assert_int_equal(count_tier(w, F), 3);
		assert_int_equal(w->tier[0], F);
		assert_int_equal(w->tier[3], S);
		tm_migrator_free(m);
		world_free(w);
	}
}

/* ---- a GUPS-like loop: exact counts + exchange converge to the oracle */

#define G_PAGES 1000
#define G_CAP 100
#define G_HOT 80
#define G_ACCESSES 20000

struct rank_ent {
	uint64_t cnt;
	uint32_t idx;
};

struct gups {
	struct world *w;
	uint64_t cnt[G_PAGES];
	struct rank_ent order[G_PAGES];
	uint32_t hot_base;
	uint32_t nr_touched;
};

static int by_count_desc(const void *a, const void *b)
{
	const struct rank_ent *x = a, *y = b;

	if (x->cnt != y->cnt)
		return x->cnt > y->cnt ? -1 : 1;
	return x->idx < y->idx ? -1 : 1;
}

/* One epoch of accesses: 90% to the hot set; returns FMEM hits. */
static uint64_t gups_epoch(gsl_rng *r, struct gups *g)
{
	uint64_t hits = 0;

	memset(g->cnt, 0, sizeof(g->cnt));
	for (int i = 0; i < G_ACCESSES; i++) {
		uint32_t p = (uint32_t)gsl_rng_uniform_int(r, G_PAGES);

		if (gsl_rng_uniform(r) < 0.9)
			p = (g->hot_base + p % G_HOT) % G_PAGES;
		if (g->w->tier[p] == TM_TIER_NONE)  /* first touch */
			g->w->tier[p] = g->nr_touched++ < G_CAP ? F : S;
		hits += g->w->tier[p] == F;
		g->cnt[p]++;
		g->w->cum[p]++;
	}
	return hits;
}

/* Exact ranking of the epoch: hot list = true top-C, estimate = count;
 * returns the oracle's hits (true top-C, same epoch). */
static uint64_t gups_oracle_and_rank(struct gups *g)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < G_PAGES; i++) {
		g->order[i].cnt = g->cnt[i];
		g->order[i].idx = i;
	}
	qsort(g->order, G_PAGES, sizeof(g->order[0]), by_count_desc);
	for (uint32_t i = 0; i < G_CAP; i++) {
		sum += g->order[i].cnt;
		g->w->hot[i] = g->order[i].idx;
	}
	g->w->nr_hot = G_CAP;
	memcpy(g->w->est, g->cnt, sizeof(g->cnt));
	return sum;
}

/* Mean efficiency (achieved / oracle hit ratio) over settled epochs; the
 * hot set moves at epoch 10, so epochs 0 and 10 are not settled. */
static double gups_efficiency(enum tm_mig_mode mode, double *worst)
{
	struct tm_migration_config cfg = base_cfg(mode);
	struct tm_migrator *m = tm_migrator_new(&cfg, NR_VCPUS, PAGE_SHIFT,
						SMEM_EXTRA_NS);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct gups *g = calloc(1, sizeof(*g));
	double sum = 0;
	int nr = 0;

	gsl_rng_set(r, 7);
	g->w = world_new(G_PAGES, G_CAP);
	g->hot_base = 500;
	*worst = 1;
	for (int e = 0; e < 20; e++) {
		uint64_t hits, oracle;
		struct tm_mig_batch b;
		struct tm_mig_view v;

		if (e == 10)
			g->hot_base = 100;
		hits = gups_epoch(r, g);
		oracle = gups_oracle_and_rank(g);
		if (e != 0 && e != 10) {
			double eff = (double)hits / (double)oracle;

			sum += eff;
			nr++;
			*worst = eff < *worst ? eff : *worst;
		}
		v = view_of(g->w);
		tm_migrator_plan(m, &v, &b);
		apply(g->w, m, &b);
	}
	world_free(g->w);
	free(g);
	gsl_rng_free(r);
	tm_migrator_free(m);
	return sum / nr;
}

static void test_gups_converges(void **state)
{
	double worst, mean;

	(void)state;
	mean = gups_efficiency(TM_MIG_EXCHANGE, &worst);
	print_message("exchange: mean %.3f worst %.3f\n", mean, worst);
	assert_true(worst >= 0.95);
	mean = gups_efficiency(TM_MIG_MIGRATE, &worst);
	print_message("migrate: mean %.3f worst %.3f\n", mean, worst);
	assert_true(worst >= 0.95);
	/* The comparison can fail: with no migration, FMEM keeps the first
	 * hot set after it moves. */
	mean = gups_efficiency(TM_MIG_NONE, &worst);
	print_message("none: mean %.3f worst %.3f\n", mean, worst);
	assert_true(worst < 0.5);
}

/* 9. A page's last move is kept in 32 bits (migrate.c): its time less a
 * base that moves on every 4.29 s, its payback point as low 32 bits
 * settled before a page gains 2^31 accesses (tm_migrator_settle), both
 * widened to 64 bits where their bounds cannot hold (a window over 2^32
 * ns; a payback of 2^31 accesses or more).  Against an exact twin with
 * 64-bit times and points, over 400 random exchange epochs with gaps up to
 * 20 s and page gains up to 2^30 a step, the ping-pong and unpaid counts
 * agree after every batch:
 *   a  window 1 s, 100 ns an access      32-bit times (rebased), points
 *   b  window 10 s                       64-bit times
 *   c  an access no slower in SMEM       no payback ever: 64-bit points
 *   d  window 10 s, 1 ns an access,      a small batch's payback passes
 *      one 4.3 s flush a batch           2^31: widened within the run */
struct twin {
	uint8_t last[64];
	uint64_t at_ns[64], payback[64], nr_pingpong, nr_unpaid;
	uint64_t nr_narrow;   /* batches before the first payback >= 2^31 */
	bool wide;
};

static void twin_done(struct twin *t, const struct tm_migration_config *cfg,
		      const struct tm_mig_batch *b, const uint64_t *cum,
		      uint64_t extra_ns, uint64_t now_ns)
{
	uint64_t cost = b->cpu_ns / b->nr_moves, p;

	p = extra_ns ? (cost + extra_ns - 1) / extra_ns : cost ? UINT64_MAX : 0;
	t->wide |= p >= UINT64_C(1) << 31;
	t->nr_narrow += !t->wide;
	for (size_t i = 0; i < b->nr_moves; i++) {
		uint32_t x = b->moves[i].idx;
		uint8_t to = b->moves[i].to_tier;

		if (t->last[x] && t->last[x] != to &&
		    now_ns - t->at_ns[x] < cfg->pingpong_window_ns)
			t->nr_pingpong++;
		if (to == S && t->last[x] == F && cum[x] < t->payback[x])
			t->nr_unpaid++;
		if (to == F)
			t->payback[x] = cum[x] > UINT64_MAX - p ? UINT64_MAX :
					cum[x] + p;
		t->last[x] = to;
		t->at_ns[x] = now_ns;
	}
}

static void history_run(const struct tm_migration_config *cfg,
			uint64_t extra_ns, gsl_rng *r, bool widens)
{
	struct tm_migrator *m = tm_migrator_new(cfg, NR_VCPUS, PAGE_SHIFT,
						extra_ns);
	struct world *w = world_new(64, 16);
	struct twin *t = calloc(1, sizeof(*t));
	uint64_t gain = 0;

	for (uint32_t i = 0; i < 64; i++)
		w->tier[i] = i < 16 ? F : S;
	for (int e = 0; e < 400; e++) {
		struct tm_mig_batch b;
		struct tm_mig_view v;
		/* large hot sets first: large batches, small paybacks */
		size_t n = e < 200 ? 12 + gsl_rng_uniform_int(r, 5) :
			   1 + gsl_rng_uniform_int(r, 16);

		for (size_t i = 0; i < n; i++)
			w->hot[i] = (uint32_t)gsl_rng_uniform_int(r, 64);
		w->nr_hot = n;
		for (uint32_t i = 0; i < 64; i++)
			w->est[i] = gsl_rng_uniform_int(r, 1000);
		v = view_of(w);
		tm_migrator_plan(m, &v, &b);
		if (b.nr_moves) {
			apply(w, m, &b);
			twin_done(t, cfg, &b, w->cum, extra_ns, w->now_ns);
		}
		assert_int_equal(tm_migrator_stats(m)->nr_pingpong,
				 t->nr_pingpong);
		assert_int_equal(tm_migrator_stats(m)->nr_unpaid, t->nr_unpaid);
		w->now_ns += gsl_rng_uniform_int(r, 10) ?
			     gsl_rng_uniform_int(r, 1500000000) :
			     5000000000 + (uint64_t)(gsl_rng_uniform(r) * 15e9);
		if (gain + (UINT64_C(1) << 30) > (UINT64_C(1) << 31)) {
			tm_migrator_settle(m, acc_of, w);   /* as the VM does */
			gain = 0;
		}
		for (uint32_t i = 0; i < 64; i++)
			w->cum[i] += gsl_rng_uniform_int(r, 10) ?
				     gsl_rng_uniform_int(r, 50) :
				     gsl_rng_uniform_int(r, 1u << 30);
		gain += UINT64_C(1) << 30;
	}
	assert_true(t->nr_pingpong > 10 && t->nr_unpaid > 10);
	assert_int_equal(t->wide, widens);
	assert_true(!extra_ns || t->nr_narrow > 10);   /* narrow at first */
	free(t);
	world_free(w);
	tm_migrator_free(m);
}

static void test_history_twin(void **state)
{
	struct tm_migration_config cfg = base_cfg(TM_MIG_EXCHANGE);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	(void)state;
	gsl_rng_set(r, 11);
	history_run(&cfg, 100, r, false);                  /* a */
	cfg.pingpong_window_ns = 10000000000;
	history_run(&cfg, 100, r, false);                  /* b */
	cfg.pingpong_window_ns = 1000000000;
	history_run(&cfg, 0, r, true);                     /* c */
	cfg.pingpong_window_ns = 10000000000;
	cfg.batch_flush = true;
	cfg.tlb_flush_ns = 1075000000;   /* x 4 vCPUs: 4.3 s a flush */
	history_run(&cfg, 1, r, true);                     /* d */
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_by_hand),
		cmocka_unit_test(test_cost_formula),
		cmocka_unit_test(test_random_capacity),
		cmocka_unit_test(test_host_costs_more),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_demotion_order),
		cmocka_unit_test(test_demotion_history),
		cmocka_unit_test(test_pingpong),
		cmocka_unit_test(test_payback),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_migrate_free_first),
		cmocka_unit_test(test_migrate_cold_list),
		cmocka_unit_test(test_exchange_fill_free),
		cmocka_unit_test(test_shrink_demotes_excess),
		cmocka_unit_test(test_gups_converges),
		cmocka_unit_test(test_history_twin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
