/*
 * arms.h - ARMS, two EWMAs per page scored with a bias a Page-Hinkley
 * detector switches (arms.c; DESIGN.md §6.2, §13) and its own config struct.
 */
#ifndef TM_ARMS_H
#define TM_ARMS_H

#include "identifier.h"

enum tm_arms_page { TM_ARMS_PAGE_2M = 0, TM_ARMS_PAGE_4K };
enum tm_arms_bias { TM_ARMS_AUTO = 0, TM_ARMS_HISTORY, TM_ARMS_RECENCY };

struct tm_arms_config {
	enum tm_arms_page page_size;  /* 2 MiB (HUGEPAGE_SIZE) */
	uint64_t interval_ns;         /* policy interval, 500 ms */
	uint64_t short_window_ns;     /* 1 s */
	uint64_t long_window_ns;      /* 10 s */
	double alpha_short;           /* 0: 2/(short_window/500ms + 1) = 2/3 */
	double alpha_long;            /* 0: 2/(long_window/500ms + 1) = 2/21 */
	enum tm_arms_bias bias;       /* auto: the detector chooses */
	double history_short;         /* 0.4 (long: 0.6) */
	double recency_short;         /* 0.731 (long: 0.269) */
	uint64_t detector_ns;         /* Page-Hinkley period, 1 s */
	double ph_mean_alpha;         /* 0.3 */
	double ph_std_alpha;          /* 0.1 */
	double ph_drift;              /* 0.1 (x std) */
	double ph_threshold;          /* 3.0 (x std) */
	uint32_t recency_periods;     /* 20 */
	uint64_t recency_min_smem;    /* SMEM samples a switch needs; 0 */
	double cost_benefit;          /* 1.5 */
	uint64_t pair_cost_ns;        /* 0: the code's minimum for the page */
	uint64_t latency_diff_ns;     /* 100 ns */
	uint64_t sample_period;       /* accesses per sample, 10007 */
	uint32_t migration_threads;   /* 4 */
	uint64_t estimate_scale;      /* estimate() = round(score x this) */
};

extern const struct tm_identifier_ops tm_arms_ops;

/* Whether the score uses the recency bias now (tests and reports). */
bool tm_arms_recency(const void *st);

/* The arms part of an identifier config (valid when its kind is arms). */
static inline struct tm_arms_config *tm_arms_cfg(struct tm_ident_config *c)
{
	return (struct tm_arms_config *)(void *)c->own.bytes;
}

static inline const struct tm_arms_config *
tm_arms_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_arms_config *)(const void *)c->own.bytes;
}

#endif
