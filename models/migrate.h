/*
 * migrate.h - the migration engine and its cost model (DESIGN.md §6.3).
 *
 * Once per epoch the engine turns an identifier's ranking into page moves
 * within the VM's FMEM capacity, prices them with the cost model and reports
 * when they complete.  Pages are named by the VM's dense page index
 * (sim/engine/pagemap.h); the caller owns the tier array and applies the moves at
 * the batch's done time (TM_EV_MIGRATION_DONE), then calls
 * tm_migrator_done().
 *
 * Modes: exchange (swap hottest-SMEM with coldest-FMEM pairs, Demeter,
 * reference/sdh-and-demeter.md §4) and migrate (promote into free FMEM,
 * demote to make room, asynchronous batches).
 */
#ifndef TM_MIGRATE_H
#define TM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Configuration (validated by sim/config, trusted here). */
enum tm_mig_mode { TM_MIG_NONE = 0, TM_MIG_EXCHANGE, TM_MIG_MIGRATE };
enum tm_mig_where { TM_MIG_GUEST = 0, TM_MIG_HOST };

struct tm_migration_config {
	enum tm_mig_mode mode;
	uint64_t max_pages_per_epoch; /* 0: unbounded */
	double max_bytes_per_s;       /* 0: unbounded */
	uint32_t nr_threads;
	double copy_bytes_per_s;      /* page copy bandwidth */
	uint64_t remap_ns;            /* unmap + remap per page */
	uint64_t tlb_flush_ns;        /* one shootdown (IPI per vCPU) */
	uint64_t ept_flush_ns;        /* host mode: EPT invalidation */
	bool batch_flush;
	bool fill_free;               /* exchange: promote into free FMEM first */
	bool thrash_guard;            /* skip moves whose gap is noise */
	enum tm_mig_where where;
	uint64_t pingpong_window_ns;
};

struct tm_move {
	uint32_t idx;      /* dense page index */
	uint8_t to_tier;   /* enum tm_tier: FMEM (promotion) or SMEM (demotion) */
};

/* What the engine sees at an epoch.  All arrays are owned by the caller. */
struct tm_mig_view {
	uint64_t now_ns;
	uint64_t epoch_ns;             /* epoch length, for the bytes/s limit */
	const uint8_t *tier;          /* per dense index: enum tm_tier */
	uint32_t nr_pages;            /* dense indexes [0, nr_pages) */
	uint64_t nr_fmem_cap_pages;   /* FMEM capacity now */
	uint64_t nr_fmem_pages;       /* FMEM resident now (incl. in flight) */
	const uint32_t *hot;          /* identifier's hot list, hottest first */
	size_t nr_hot;
	const uint32_t *pair_promote; /* two-heap candidates (may be NULL) */
	const uint32_t *pair_demote;
	size_t nr_pairs;
	/* migrate: pages to demote now, coldest first (may be NULL): those in
	 * FMEM and not hot, first, within the limits.  When
	 * non-NULL, promotions go into free FMEM and the room these
	 * demotions free, and no other demotion makes room for them. */
	const uint32_t *cold;
	size_t nr_cold;
	/* Coldness of an FMEM page (lower = colder), to choose demotions. */
	uint64_t (*estimate)(void *ctx, uint32_t idx);
	void *estimate_ctx;
	/* Its history (may be NULL), the tie-break between pages of equal
	 * estimate: lower is demoted first; then the dense index. */
	uint64_t (*history)(void *ctx, uint32_t idx);
};

struct tm_mig_cost {
	uint64_t copy_ns, remap_ns, tlb_ns, ept_ns;
	uint64_t nr_tlb_flushes, nr_ept_flushes;
};

/* One epoch's batch of moves, filled by tm_migrator_plan. */
struct tm_mig_batch {
	struct tm_move *moves;  /* owned by the migrator; valid until next plan */
	size_t nr_moves;
	uint64_t nr_promotions, nr_demotions, nr_exchanges;
	uint64_t sz_bytes;      /* bytes copied */
	struct tm_mig_cost cost;
	uint64_t cpu_ns;        /* total CPU time of the batch */
	uint64_t done_ns;       /* when the pages change tier */
};

struct tm_mig_stats {
	uint64_t nr_promotions, nr_demotions, nr_exchanges, sz_bytes;
	uint64_t cpu_ns, nr_tlb_flushes, nr_ept_flushes;
	uint64_t nr_pingpong;   /* moved back within pingpong_window_ns */
	uint64_t nr_unpaid;     /* promotions demoted again before break-even */
	uint64_t nr_epochs, nr_capped; /* epochs planned / cut by a limit */
};

struct tm_migrator;

struct tm_migrator *tm_migrator_new(const struct tm_migration_config *cfg,
				    uint32_t nr_vcpus, uint32_t page_shift,
				    uint64_t smem_extra_ns_per_access);
void tm_migrator_free(struct tm_migrator *m);
/* Free the per-page arrays and scratch of a migrator that plans no more
 * (its stats stay readable). */
void tm_migrator_release_pages(struct tm_migrator *m);

/* Plan the epoch's moves from v into *out (nr_moves may be 0). */
void tm_migrator_plan(struct tm_migrator *m, const struct tm_mig_view *v,
		      struct tm_mig_batch *out);

/* Accesses of dense index idx since the start (the caller's counts). */
typedef uint64_t (*tm_mig_acc_fn)(const void *ctx, uint32_t idx);

/* The moves of batch b were applied at now_ns (the caller changed the
 * tiers): update ping-pong and payback accounting.  A promotion "pays back"
 * when the accesses it served from FMEM before its demotion, times
 * smem_extra_ns_per_access, exceed its per-page cost; acc(ctx, idx) is the
 * accesses of dense index idx since the start. */
void tm_migrator_done(struct tm_migrator *m, const struct tm_mig_batch *b,
		      tm_mig_acc_fn acc, const void *ctx, uint64_t now_ns);

/* The payback points are kept in 32 bits (migrate.c) while every
 * promotion's payback is below 2^31 accesses; the caller settles them
 * before any page could gain 2^31 accesses since the last call (the VM
 * does at each fold of its counts, sim/engine/vm_counts.c).  O(pages). */
#define TM_MIG_PAYBACK_WIDE (UINT64_C(1) << 31)
void tm_migrator_settle(struct tm_migrator *m, tm_mig_acc_fn acc,
			const void *ctx);

const struct tm_mig_stats *tm_migrator_stats(const struct tm_migrator *m);

/* The documented cost of moving nr_pages (for tests and docs):
 * copy = bytes / copy_bw; remap per page; flushes per pair or per batch;
 * host mode adds an EPT invalidation per flush and flushes every vCPU. */
void tm_mig_cost_of(const struct tm_migration_config *cfg, uint32_t nr_vcpus,
		    uint32_t page_shift, uint64_t nr_pages, uint64_t nr_flushes,
		    struct tm_mig_cost *out);

#endif
