/*
 * pagecount.h - exact per-page record counters for `tmsim inspect`
 * (traces/inspect.c), built for one update per record at decode speed.
 *
 * Pages are 4 KiB page numbers (below 2^52).  Pages within
 * TM_PAGECOUNT_DENSE_PAGES (16 GiB of address space) of the first page
 * counted have a u32 counter at a fixed place in one array that the system
 * zero-fills on first touch, so a record costs a subtraction, a compare and
 * an increment, and only the touched part of the array takes memory.
 * Pages further away are counted in regions of TM_PAGECOUNT_REGION_PAGES
 * pages found through a hash table.  A counter that wraps past 2^32 - 1
 * adds 2^32 to a spill table, so counts are exact at any length.  With
 * `split`, each page has a second counter (a samples trace's stores, whose
 * period differs from the loads').
 *
 * Memory: 4 bytes a page (8 with split) of every touched 4 KiB stretch of
 * counters: 1 byte per page of a dense footprint (1 GiB: 1 MiB), at most
 * 4 KiB per touched page for a sparse one (at most 16 MiB, 32 with split,
 * in the dense array), and 256 bytes per touched page outside it.  Reading
 * the counts back scans the dense array between the lowest and the highest
 * page counted.
 */
#ifndef TM_PAGECOUNT_H
#define TM_PAGECOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_PAGECOUNT_DENSE_SHIFT 22
#define TM_PAGECOUNT_DENSE_PAGES (UINT64_C(1) << TM_PAGECOUNT_DENSE_SHIFT)
#define TM_PAGECOUNT_REGION_SHIFT 6
#define TM_PAGECOUNT_REGION_PAGES (1u << TM_PAGECOUNT_REGION_SHIFT)

struct tm_pagecount {
	uint32_t *dense;          /* page - dense_base; stores after DENSE_PAGES */
	uint64_t dense_base;      /* 2^63 (matches no page) until the first */
	uint64_t *keys;           /* regions outside it: region + 1, 0 empty */
	uint32_t *idx;            /* their counters: counts + idx * stride */
	size_t cap;               /* hash slots, a power of two */
	uint64_t *regions;        /* region index -> region number */
	uint32_t *counts;
	size_t nr, counts_cap;    /* regions in use, regions allocated */
	uint32_t stride;          /* REGION_PAGES, or twice that with split */
	bool split;
	uint64_t *spill_keys;     /* counter id + 1 -> multiples of 2^32 */
	uint64_t *spill_vals;
	size_t spill_cap, nr_spill;
};

void tm_pagecount_init(struct tm_pagecount *pc, bool split);
/* Frees what pc holds (not pc itself). */
void tm_pagecount_destroy(struct tm_pagecount *pc);

/* The counter of a page outside the dense array (or of the first page). */
uint32_t *tm_pagecount_slow(struct tm_pagecount *pc, uint64_t page, bool store);

/* The counter of `page` (the store counter with split and store).  Valid
 * until the next call. */
static inline uint32_t *tm_pagecount_at(struct tm_pagecount *pc, uint64_t page,
					bool store)
{
	uint64_t d = page - pc->dense_base;

	if (d < TM_PAGECOUNT_DENSE_PAGES)
		return pc->dense + d + (store ? TM_PAGECOUNT_DENSE_PAGES : 0);
	return tm_pagecount_slow(pc, page, store);
}

/* Counter c (returned by tm_pagecount_at) has just wrapped to 0. */
void tm_pagecount_spill(struct tm_pagecount *pc, const uint32_t *c);

/* Call fn for every page counted, with its load (or only) and store
 * counts.  Every page counted lies in [first, last]: the dense array is
 * read only there (it keeps no list of what was touched, which would cost
 * a store per record). */
void tm_pagecount_visit(const struct tm_pagecount *pc, uint64_t first,
			uint64_t last,
			void (*fn)(void *arg, uint64_t page, uint64_t nr_load,
				   uint64_t nr_store),
			void *arg);

#endif
