/*
 * vtmm.h - vTMM (Sha et al., EuroSys'23): hypervisor-side tracking with
 * PML write logging and an EPT accessed-bit scan, multi-level queues by
 * page "temperature", bucket-sort classification (vtmm.c; DESIGN.md §13)
 * and its own config struct, filled from its schema.  Host mode only.
 */
#ifndef TM_VTMM_H
#define TM_VTMM_H

#include "identifier.h"

#define TM_VTMM_MAX_LEVELS 16

struct tm_vtmm_config {
	enum tm_scan_approx approximate;  /* first: the engine reads it */
	uint64_t scan_period_ns;     /* one tracking round per this (100 ms) */
	uint32_t nr_levels;          /* queues, hottest first (4) */
	double cost_ns_per_pte;      /* CPU per EPT entry read (assumption) */
	double cost_ns_per_pml;      /* CPU per PML entry consumed */
	double cost_ns_per_pml_exit; /* CPU per drain (a VM exit or kick) */
};

extern const struct tm_identifier_ops tm_vtmm_ops;

/* Counters (tests, docs). */
struct tm_vtmm_stats {
	uint64_t nr_rounds;          /* tracking rounds (scans) */
	uint64_t nr_ptes;            /* EPT entries read and cleared */
	uint64_t nr_pml;             /* PML entries consumed */
	uint64_t nr_pml_drains;      /* logs drained (with entries) */
	uint64_t nr_pml_full;        /* of which full (PML-full exits) */
	uint64_t nr_queue[TM_VTMM_MAX_LEVELS]; /* pages per queue now */
};

void tm_vtmm_get_stats(const void *st, struct tm_vtmm_stats *out);
/* The queue of page idx: 0 is the hottest (temperature nr_levels - 1). */
unsigned tm_vtmm_queue(const void *st, uint32_t idx);

static inline struct tm_vtmm_config *tm_vtmm_cfg(struct tm_ident_config *c)
{
	return (struct tm_vtmm_config *)(void *)c->own.bytes;
}

#endif
