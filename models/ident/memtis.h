/*
 * memtis.h - Memtis's hotness identifier (memtis.c; DESIGN.md §13;
 * reference/identifiers.md §3) and its own config struct.
 */
#ifndef TM_MEMTIS_H
#define TM_MEMTIS_H

#include "identifier.h"

/* Bins of the access histogram: bin = floor(log2(count + 1)), at most 15
 * (htmm_core.c get_idx). */
#define TM_MEMTIS_NR_BINS 16

struct tm_memtis_config {
	uint32_t base_increment;   /* count += 512 per sample (HPAGE_PMD_NR) */
	bool huge_pages;           /* count per 2 MiB page (THP) */
	uint64_t adapt_samples;    /* 100,000: htmm_adaptation_period */
	uint64_t cooling_samples;  /* 2,000,000: htmm_cooling_period */
	uint64_t sz_cooling_alloc; /* 10 GiB: htmm_thres_cooling_alloc */
	double promotion_watermark;       /* 3% of FMEM */
	uint64_t sz_promotion_wmark_min;  /* 100 MiB */
	uint64_t sz_promotion_wmark_max;  /* 1500 MiB */
	double warm_ratio;         /* 0.75: warm set if hot < 75% of room */
	bool warm;                 /* !htmm_nowarm */
	uint32_t min_threshold;    /* 1: htmm_thres_hot */
};

extern const struct tm_identifier_ops tm_memtis_ops;

/* The memtis part of an identifier config (valid when its kind is memtis). */
static inline struct tm_memtis_config *tm_memtis_cfg(struct tm_ident_config *c)
{
	return (struct tm_memtis_config *)(void *)c->own.bytes;
}

static inline const struct tm_memtis_config *
tm_memtis_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_memtis_config *)(const void *)c->own.bytes;
}

/* What the tests read of a memtis state (thresholds, histogram, clocks). */
struct tm_memtis_stat {
	uint32_t hot_threshold;    /* memcg->active_threshold */
	uint32_t warm_threshold;   /* memcg->warm_threshold */
	uint32_t cooling_clock;    /* coolings so far */
	uint64_t nr_samples;       /* samples counted */
	uint64_t nr_adaptations;   /* threshold adaptations run */
	uint64_t hist[TM_MEMTIS_NR_BINS]; /* pages per bin */
};

void tm_memtis_stat(const void *st, struct tm_memtis_stat *out);
/* Huge-page mode: the sampled count of the 4 KiB subpage `page` (0 if its
 * huge page was never sampled); base mode: the page's count. */
uint64_t tm_memtis_subpage_count(const void *st, uint64_t page);

#endif
