/*
 * identifier.h - the hotness-identifier interface (DESIGN.md §6.2).
 *
 * An identifier consumes samples (a page number and a weight) and, once per
 * epoch, ranks pages.  Backends are operation tables chosen by name
 * (STYLE.md habit 3): "sdh" (sdh.c), "exact" (exact.c).
 *
 * rank() fills the hot list, hottest first, at most `cap` pages.  Two-heap
 * identifiers also fill exchange candidates (promote[i] <-> demote[i]).
 * Per-sample update() allocates nothing and takes no lock.
 */
#ifndef TM_IDENTIFIER_H
#define TM_IDENTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Configuration (validated by sim/config, trusted here). */
enum tm_decay_rounding { TM_DECAY_PAPER = 0, TM_DECAY_INTEGER };
enum tm_est_fn { TM_EST_MAX = 0, TM_EST_MIN };
enum tm_est_rows { TM_EST_MATCHING = 0, TM_EST_ALL };

struct tm_ident_config {
	char kind[16];            /* "sdh" | "exact" */
	/* sdh */
	uint32_t depth;           /* d = 4 */
	uint32_t width;           /* w = 8192 */
	double decay_base;        /* b = 1.08 */
	bool decay;               /* decay on/off */
	enum tm_decay_rounding decay_rounding;
	enum tm_est_fn estimator;
	enum tm_est_rows estimator_rows;
	bool selective_increment;
	bool weighted;            /* increment by the sample's weight, else by 1 */
	uint32_t load_weight, store_weight; /* S3 used 3 and 1 */
	uint64_t nr_topk;         /* K; 0 means 10% of the VM's FMEM pages */
	bool two_heap;
	uint32_t min_entries;     /* 512 */
	uint32_t max_requests;    /* 16384 */
	bool cooling;
	bool pow2_guard;
	/* exact (and the window of sdh counts, where meaningful) */
	double window_decay;      /* counts *= window_decay at each epoch; 0: reset */
	double cost_ns_per_update; /* classification CPU per sample (assumption) */
};

/* Tier of a page as the identifier is told it (two-heap mode needs it). */
enum tm_tier { TM_TIER_NONE = 0, TM_TIER_FMEM = 1, TM_TIER_SMEM = 2 };

struct tm_rank {
	uint64_t *hot;         /* caller-allocated, cap entries */
	size_t cap;
	size_t nr_hot;
	uint64_t *promote;     /* two-heap: caller-allocated, cap entries */
	uint64_t *demote;
	size_t nr_pairs;
};

struct tm_ident_params {
	const struct tm_ident_config *cfg;
	uint64_t nr_fmem_pages;  /* the VM's FMEM capacity, for K defaults */
	uint64_t seed;           /* per (run, host, vm, identifier) */
};

struct tm_identifier_ops {
	const char *name;
	void *(*new)(const struct tm_ident_params *p);
	/* One sample on page `page` (address >> page_shift).  tier tells where
	 * the page lives now; weight is the increment (>= 1). */
	void (*update)(void *st, uint64_t page, uint32_t weight, enum tm_tier tier);
	/* Fill r: the hot list (hottest first, at most r->cap) and, for
	 * two-heap identifiers, exchange candidate pairs when r->promote is
	 * non-NULL (the engine passes NULL unless it will plan with them).
	 * Does not change counts, so estimate() afterwards still sees this
	 * epoch. */
	void (*rank)(void *st, struct tm_rank *r);
	/* End of an epoch: apply the window rule (reset or decay). */
	void (*epoch_end)(void *st);
	/* The current estimate of page's count (0 if unknown). */
	uint64_t (*estimate)(const void *st, uint64_t page);
	/* A page changed tier (migration done), for two-heap bookkeeping. */
	void (*moved)(void *st, uint64_t page, enum tm_tier tier);
	size_t (*memory_bytes)(const void *st);
	void (*free)(void *st);
};

/* Look up a backend by kind name; NULL if unknown. */
const struct tm_identifier_ops *tm_identifier_find(const char *kind);

#endif
