/*
 * ranges.h - Demeter's range-based classifier (ranges.c; DESIGN.md §6.2,
 * §13) and its own config struct, filled from its schema.
 */
#ifndef TM_RANGES_H
#define TM_RANGES_H

#include "identifier.h"

/* Which neighbours a range must beat to split (reference §3). */
enum tm_ranges_neighbour {
	TM_RANGES_ANY = 0,   /* at least one (the artifact's rt_split) */
	TM_RANGES_BOTH,      /* every neighbour it has (the paper) */
};

enum tm_ranges_merge { TM_RANGES_MERGE_OFF = 0, TM_RANGES_MERGE_ON };

struct tm_ranges_config {
	uint64_t sz_ram;          /* "RAM" of the initial ranges; 0: 5 x FMEM */
	uint64_t coverage;        /* initial range = coverage x RAM (2) */
	uint64_t heap_start;      /* byte address of start_brk */
	uint64_t mmap_base;       /* byte address of mmap_base; 0: none */
	uint64_t sz_granularity;  /* split granularity and freq unit (2 MiB) */
	uint64_t nr_vcpus;        /* the guest's vCPUs (4, assumption) */
	uint64_t tau_split;       /* 15 */
	uint64_t alpha;           /* 2 */
	enum tm_ranges_neighbour neighbour;
	uint64_t max_ranges;      /* 2048 */
	uint64_t cool_age;        /* 3 */
	enum tm_ranges_merge merge;
	uint64_t tau_merge;       /* unpublished (assumption) */
};

extern const struct tm_identifier_ops tm_ranges_ops;

/* The ranges part of an identifier config (valid when its kind is ranges). */
static inline struct tm_ranges_config *tm_ranges_cfg(struct tm_ident_config *c)
{
	return (struct tm_ranges_config *)(void *)c->own.bytes;
}

static inline const struct tm_ranges_config *
tm_ranges_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_ranges_config *)(const void *)c->own.bytes;
}

#endif
