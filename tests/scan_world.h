/*
 * scan_world.h - a hand-built page world for the unit tests of the scan-
 * and fault-driven identifiers (damon aside, whose world is a large
 * footprint): pages, tiers and accessed/unmapped bits as the engine keeps
 * them (identifier.h "Scan and fault events"), a scan of the world and a
 * hint fault on one of its pages, as the engine would deliver them.
 * Include after cmocka.h.
 */
#ifndef TM_TESTS_SCAN_WORLD_H
#define TM_TESTS_SCAN_WORLD_H

#include <stdint.h>

#include "models/ident/identifier.h"

#define SW_MAX 64
#define SW_ABIT 1u          /* the accessed bit */
#define SW_UBIT (1u << 8)   /* the unmapped bit */

struct world {
	uint64_t page[SW_MAX];
	uint8_t tier[SW_MAX];
	uint16_t bits[SW_MAX];
	uint32_t nr;
	uint64_t fmem_cap;     /* a scan's FMEM capacity */
	uint64_t fmem_pages;   /* a scan's FMEM pages; 0: count the tiers */
	uint64_t fault_cap;    /* a fault's FMEM capacity; 0: fmem_cap */
};

static inline uint32_t world_find(const void *ctx, uint64_t page)
{
	const struct world *w = ctx;

	for (uint32_t i = 0; i < w->nr; i++)
		if (w->page[i] == page)
			return i;
	return UINT32_MAX;
}

/* ops->scan() of the world at now_ns; its return, the next scan's time. */
static inline uint64_t world_scan(const struct tm_identifier_ops *ops,
				  void *st, struct world *w, uint64_t now_ns)
{
	uint64_t fmem = w->fmem_pages;
	struct tm_scan sc;

	for (uint32_t i = 0; !w->fmem_pages && i < w->nr; i++)
		fmem += w->tier[i] == TM_TIER_FMEM;
	sc = (struct tm_scan){
		.now_ns = now_ns, .nr_pages = w->nr, .page = w->page,
		.tier = w->tier, .nr_fmem_cap_pages = w->fmem_cap,
		.nr_fmem_pages = fmem, .bits = w->bits, .abit = SW_ABIT,
		.ubit = SW_UBIT, .find = world_find, .find_ctx = w,
	};
	return ops->scan(st, &sc);
}

/* A hint fault on page idx at t with free_pages of FMEM free; the engine
 * clears the unmapped bit before it calls fault(). */
static inline void world_fault(const struct tm_identifier_ops *ops, void *st,
			       struct world *w, uint32_t idx, uint64_t t,
			       uint64_t free_pages)
{
	struct tm_fault f = { .time_ns = t, .page = w->page[idx], .idx = idx,
			      .tier = w->tier[idx],
			      .nr_fmem_free_pages = free_pages,
			      .nr_fmem_cap_pages = w->fault_cap ?
						   w->fault_cap : w->fmem_cap };

	w->bits[idx] &= (uint16_t)~SW_UBIT;
	ops->fault(st, &f);
}

#endif
