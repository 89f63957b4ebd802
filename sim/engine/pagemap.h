/*
 * pagemap.h - one VM's pages: page number -> dense index, and the per-page
 * state the simulator keeps (tier, window counts).
 *
 * DESIGN.md §3: "A page untouched so far is placed on first touch: FMEM while
 * the VM has free FMEM capacity, else SMEM."  The map assigns dense indexes
 * [0, nr) in first-touch order; models keep per-page arrays indexed by them.
 *
 * Lookup is a two-level table, like a page table: the page number's high
 * bits name a chunk of TM_PM_CHUNK_PAGES consecutive pages, found in a small
 * open-addressing directory, and the low bits index the chunk's array of
 * dense indexes.  A direct-mapped cache of
 * TM_PM_CACHE directory entries (chunk number mod TM_PM_CACHE) sits in
 * front of the directory: a contiguous footprint of up to TM_PM_CACHE
 * chunks (4 GiB of 4 KiB pages) never reaches the directory once warm, and
 * the fast path (cache hit, page already mapped) is inline: about ten
 * instructions where the hashed directory took ~50 per lookup (callgrind,
 * 1 GiB Zipf replay).  Footprints are mostly contiguous
 * ranges, so a 1 GiB footprint costs 16 chunks of 64 KiB: about 1 MiB that
 * stays in cache, where a hash table of the same pages took 12 MiB and missed
 * on most lookups (docs/bench.md).  So that a sparse footprint cannot cost a
 * chunk per page, chunks stop being made once they would average fewer than
 * TM_PM_MIN_DENSITY touched pages each; further regions' pages go to an
 * open-addressing hash table (the fallback, empty for contiguous
 * footprints).  Chunks, the table and the dense arrays grow on the first
 * touch of a new region or page (amortised, by doubling).
 */
#ifndef TM_PAGEMAP_H
#define TM_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#define TM_PAGE_NONE UINT32_MAX
#define TM_PM_CHUNK_SHIFT 14
#define TM_PM_CHUNK_PAGES (1u << TM_PM_CHUNK_SHIFT)
#define TM_PM_MIN_DENSITY 1024 /* touched pages per chunk, on average: a
				* chunk costs at most 64 B per page */
#define TM_PM_FREE_CHUNKS 64  /* chunks always allowed (4 GiB of 4 KiB pages) */
#define TM_PM_CACHE 64        /* directory cache entries, a power of two
			       * (assumption: as many as the free chunks) */

struct tm_pagemap {
	uint64_t *dir_keys;   /* directory: chunk number + 1 (0 = empty) */
	uint32_t **dir_chunks;/* directory: the chunk's dense indexes */
	uint64_t dir_mask;    /* directory size - 1 */
	uint32_t nr_chunks;   /* real chunks */
	uint32_t nr_dir;      /* directory entries: chunks and hashed regions */
	uint32_t *hashed;     /* directory mark: this region's pages are in
			       * the fallback table */
	uint64_t cache_key[TM_PM_CACHE];     /* directory cache: key, 0 = none */
	uint32_t *cache_chunk[TM_PM_CACHE];  /* ... and its chunk */
	uint64_t *keys;       /* fallback table: page number + 1 (0 = empty) */
	uint32_t *slots;      /* fallback table: dense index */
	uint64_t mask;        /* fallback table size - 1 */
	uint32_t nr_hashed;   /* pages in the fallback table */
	uint32_t nr;          /* pages touched so far */
	uint32_t cap;         /* capacity of the dense arrays */
	/* dense: page number (tm_pagemap_page), page_base + page32[i] while
	 * every page number so far lies in [page_base, page_base + 2^32),
	 * else page64[i]: the first page outside widens the array to 64 bits,
	 * exactly, for good (a generated footprint, or guest-physical pages
	 * below 16 TiB, stay narrow; a process's heap and stack lie too far
	 * apart).  page_base: the first page less 2^31 (or 0). */
	uint32_t *page32;
	uint64_t *page64;
	uint64_t page_base;
	uint8_t *tier;        /* dense: enum tm_tier */
};

static inline uint64_t tm_pagemap_page(const struct tm_pagemap *pm,
				       uint32_t idx)
{
	return pm->page64 ? pm->page64[idx] : pm->page_base + pm->page32[idx];
}

/* The page numbers as a value for locals: a loop that calls out for each
 * page would reload the map's fields after every call. */
struct tm_pagenums {
	const uint32_t *p32;
	const uint64_t *p64;
	uint64_t base;
};

static inline struct tm_pagenums tm_pagemap_nums(const struct tm_pagemap *pm)
{
	return (struct tm_pagenums){ pm->page32, pm->page64, pm->page_base };
}

static inline uint64_t tm_pagenums_at(struct tm_pagenums n, uint32_t idx)
{
	return n.p64 ? n.p64[idx] : n.base + n.p32[idx];
}

/* Where tm_pagemap_page reads idx's page number (to prefetch it). */
static inline const void *tm_pagemap_page_at(const struct tm_pagemap *pm,
					     uint32_t idx)
{
	return pm->page64 ? (const void *)&pm->page64[idx] :
			    (const void *)&pm->page32[idx];
}

void tm_pagemap_init(struct tm_pagemap *pm, size_t nr_hint);
void tm_pagemap_destroy(struct tm_pagemap *pm);

/* Dense index of page, or TM_PAGE_NONE if never touched. */
uint32_t tm_pagemap_find(const struct tm_pagemap *pm, uint64_t page);

/* tm_pagemap_get() past the fast path; not for direct use. */
uint32_t tm_pagemap_get_slow(struct tm_pagemap *pm, uint64_t page, int *added);

/* The cached chunk slot of page, or NULL (region not cached or hashed). */
static inline uint32_t *tm_pagemap_cached_slot(const struct tm_pagemap *pm,
					       uint64_t page)
{
	uint64_t key = (page >> TM_PM_CHUNK_SHIFT) + 1;
	uint32_t c = (uint32_t)key & (TM_PM_CACHE - 1);

	if (pm->cache_key[c] != key || pm->cache_chunk[c] == pm->hashed)
		return NULL;
	return &pm->cache_chunk[c][page & (TM_PM_CHUNK_PAGES - 1)];
}

/* Dense index of page, adding it (tier TM_TIER_NONE) if new; *added tells.
 * Callers that keep their own per-page arrays grow them when
 * tm_pagemap_cap() changes. */
static inline uint32_t tm_pagemap_get(struct tm_pagemap *pm, uint64_t page,
				      int *added)
{
	const uint32_t *slot = tm_pagemap_cached_slot(pm, page);

	if (slot && *slot != TM_PAGE_NONE) {
		*added = 0;
		return *slot;
	}
	return tm_pagemap_get_slow(pm, page, added);
}

/* Start loading the map's entry for page, so that a get() or find() a
 * little later does not wait for memory (a hint; no effect on contents). */
static inline __attribute__((always_inline)) void
tm_pagemap_prefetch(const struct tm_pagemap *pm, uint64_t page)
{
	/* always_inline: as a plain inline function whose only effect is a
	 * prefetch, GCC 12 judged it pure and deleted the calls */
	const uint32_t *slot = tm_pagemap_cached_slot(pm, page);

	if (slot)
		__builtin_prefetch(slot);
}

static inline uint32_t tm_pagemap_cap(const struct tm_pagemap *pm)
{
	return pm->cap;
}

/* Bytes held by the map (directory, chunks, dense arrays). */
size_t tm_pagemap_memory_bytes(const struct tm_pagemap *pm);

/* Internal consistency (every dense entry findable); for assert and tests. */
int tm_pagemap_check(const struct tm_pagemap *pm);

#endif
