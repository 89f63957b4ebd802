/*
 * damon.h - DAMON's region-based access monitor with DAMOS migrate_hot /
 * migrate_cold schemes (damon.c; DESIGN.md §13) and its own config struct,
 * filled from its schema.
 */
#ifndef TM_DAMON_H
#define TM_DAMON_H

#include "identifier.h"

/* DAMOS watermark metric: none (always active), or the VM's free FMEM rate
 * (DAMOS_WMARK_FREE_MEM_RATE, of the fast tier). */
enum tm_damon_wmark { TM_DAMON_WMARK_NONE = 0, TM_DAMON_WMARK_FMEM_FREE };

struct tm_damon_config {
	enum tm_scan_approx approximate;  /* first: the engine reads it */
	uint64_t sample_ns;          /* sampling interval, 5 ms */
	uint64_t aggr_ns;            /* aggregation interval, 100 ms */
	uint64_t update_ns;          /* ops update interval, 1 s (damo) */
	uint32_t min_nr_regions;     /* 10 */
	uint32_t max_nr_regions;     /* 1000 */
	uint64_t apply_ns;           /* schemes' apply interval, 1 s */
	uint64_t quota_reset_ns;     /* quota charge window, 1 s */
	uint64_t sz_quota;           /* bytes per window, 200 MiB */
	uint32_t weight_nr_accesses; /* prioritisation weights: 100 */
	uint32_t weight_age;         /* 100 */
	uint32_t hot_min_nr_accesses; /* migrate_hot: nr_accesses >= 1 */
	uint64_t hot_min_age_ns;     /* and age >= 0 */
	uint32_t cold_max_nr_accesses; /* migrate_cold: nr_accesses <= 0 */
	uint64_t cold_min_age_ns;    /* and age >= 0 */
	bool quota_goals;            /* auto-tune the quotas (mtier's goals) */
	double hot_goal_used;        /* FMEM used share, 99.7% */
	double cold_goal_free;       /* FMEM free share, 0.5% */
	bool young_filter;           /* migrate_cold skips young pages */
	enum tm_damon_wmark wmark;   /* none */
	double wmark_high, wmark_mid, wmark_low; /* 20%, 15%, 5% */
	double cost_ns_per_check;    /* CPU per sampled page (assumption) */
};

extern const struct tm_identifier_ops tm_damon_ops;

/* One region as DAMON holds it (tests, debugging): pages [start, end). */
struct tm_damon_region {
	uint64_t start, end;
	uint32_t nr_accesses, last_nr_accesses, age;
};

/* The current regions, in address order; returns how many (at most cap
 * copied into out). */
size_t tm_damon_regions(const void *st, struct tm_damon_region *out,
			size_t cap);

/* Counters (tests, docs): checks of a sampled page, aggregations, bytes
 * the schemes were applied to. */
struct tm_damon_stats {
	uint64_t nr_checks, nr_aggregations, nr_applies;
	uint64_t sz_hot_applied, sz_cold_applied;
	uint64_t sz_hot_esz, sz_cold_esz;  /* the current effective quotas */
};

void tm_damon_get_stats(const void *st, struct tm_damon_stats *out);

static inline struct tm_damon_config *tm_damon_cfg(struct tm_ident_config *c)
{
	return (struct tm_damon_config *)(void *)c->own.bytes;
}

#endif
