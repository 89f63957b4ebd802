/*
 * autotiering.h - AutoTiering (Kim et al., ATC'21): AutoNUMA hint faults
 * feeding an 8-bit access history per page, LAP (least accessed page)
 * lists by history popcount, CPM/OPM promotion and background demotion
 * (autotiering.c; DESIGN.md §13) and its own config struct, filled from
 * its schema.
 */
#ifndef TM_AUTOTIERING_H
#define TM_AUTOTIERING_H

#include "identifier.h"

/* Promotion on a hint fault of an SMEM page when FMEM has no room. */
enum tm_at_mode {
	TM_AT_CPM = 0, /* conservative: promote only into room */
	TM_AT_OPM,     /* opportunistic: else exchange with a lower-LAP page */
};

#define TM_AT_NR_LEVELS 9   /* LAP levels 0..8 (popcount of 8 bits) */

struct tm_at_config {
	enum tm_scan_approx approximate;  /* first: the engine reads it */
	uint64_t scan_delay_ns;      /* numa_balancing_scan_delay_ms, 1 s */
	uint64_t scan_period_ns;     /* one window per this, 1 s */
	uint64_t sz_scan;            /* numa_balancing_scan_size_mb, 256 MiB */
	enum tm_at_mode mode;        /* opm */
	double promote_free;         /* CPM: room above this share free (0) */
	bool background_demotion;    /* page_balancing background_demotion, 0 */
	double demote_wmark;         /* its free share (assumption, 2%) */
	double cost_ns_per_pte;      /* CPU per scanned page (assumption) */
	double cost_ns_per_fault;    /* CPU per hint fault (assumption) */
};

extern const struct tm_identifier_ops tm_autotiering_ops;

/* Counters (tests, docs). */
struct tm_at_stats {
	uint64_t nr_scans;           /* windows scanned */
	uint64_t nr_scanned;         /* pages visited (history shifted) */
	uint64_t nr_faults;          /* hint faults taken (both tiers) */
	uint64_t nr_cpm;             /* promotions into room */
	uint64_t nr_opm;             /* exchanges with a LAP victim */
	uint64_t nr_refused;         /* SMEM faults that moved nothing */
	uint64_t nr_background;      /* pages demoted to keep the watermark */
	uint64_t nr_lap[TM_AT_NR_LEVELS]; /* FMEM pages on each LAP list now */
};

void tm_at_get_stats(const void *st, struct tm_at_stats *out);
/* The 8-bit history of page idx (bit 0: the latest scan period). */
uint8_t tm_at_history(const void *st, uint32_t idx);
/* LAP list `level` from head (least recently accessed) to tail: up to cap
 * dense indexes into out; returns the list's length. */
size_t tm_at_lap_list(const void *st, unsigned level, uint32_t *out,
		      size_t cap);

static inline struct tm_at_config *tm_at_cfg(struct tm_ident_config *c)
{
	return (struct tm_at_config *)(void *)c->own.bytes;
}

#endif
