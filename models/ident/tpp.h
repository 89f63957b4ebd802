/*
 * tpp.h - Linux NUMA-balancing memory tiering (numa_balancing=2, TPP's
 * upstream successor) and the original TPP promotion rule (tpp.c;
 * DESIGN.md §13) and its own config struct, filled from its schema.
 */
#ifndef TM_TPP_H
#define TM_TPP_H

#include "identifier.h"

/* Promotion rule on a hint fault of an SMEM page. */
enum tm_tpp_rule {
	TM_TPP_UPSTREAM = 0, /* free room, else latency < threshold (6.x) */
	TM_TPP_ACTIVE,       /* TPP: on the second fault (page active) */
};

struct tm_tpp_config {
	enum tm_scan_approx approximate;  /* first: the engine reads it */
	uint64_t scan_delay_ns;      /* numa_balancing_scan_delay_ms, 1 s */
	uint64_t scan_period_ns;     /* one window per this, 1 s */
	uint64_t sz_scan;            /* numa_balancing_scan_size_mb, 256 MiB */
	uint64_t scan_period_max_ns; /* threshold-adjust period, 60 s */
	uint64_t hot_threshold_ns;   /* numa_balancing_hot_threshold_ms, 1 s */
	double promote_rate_limit;   /* bytes/s (65536 MB/s) */
	uint64_t sz_promote_free_min; /* pgdat_free_space_enough: 1 GiB */
	double promote_free_share;   /* or this share of FMEM (1/16) */
	double demote_wmark;         /* kswapd keeps this share free (2%) */
	enum tm_tpp_rule rule;
	double cost_ns_per_pte;      /* CPU per scanned page (assumption) */
	double cost_ns_per_fault;    /* CPU per hint fault (assumption) */
};

extern const struct tm_identifier_ops tm_tpp_ops;

/* Counters (tests, docs). */
struct tm_tpp_stats {
	uint64_t nr_scans;           /* windows scanned */
	uint64_t nr_scanned;         /* pages in those windows */
	uint64_t nr_unmapped;        /* SMEM pages made PROT_NONE */
	uint64_t nr_faults;          /* hint faults taken */
	uint64_t nr_candidates;      /* PGPROMOTE_CANDIDATE */
	uint64_t nr_promote;         /* faults that chose promotion */
	uint64_t nr_rate_limited;
	uint64_t nr_demote;          /* pages put on the cold list */
	uint64_t threshold_ns;       /* the current threshold (0: default) */
};

void tm_tpp_get_stats(const void *st, struct tm_tpp_stats *out);

static inline struct tm_tpp_config *tm_tpp_cfg(struct tm_ident_config *c)
{
	return (struct tm_tpp_config *)(void *)c->own.bytes;
}

#endif
