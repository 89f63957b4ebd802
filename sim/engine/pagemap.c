/*
 * pagemap.c - page number -> dense index map (see pagemap.h).
 *
 * Directory hash: the 64-bit finaliser of MurmurHash3 (lib/hash.h) on the
 * chunk number.  Chunks are filled with TM_PAGE_NONE (all bits set).
 */
#include "pagemap.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"

#define CHUNK_MASK (TM_PM_CHUNK_PAGES - 1)
#define TM_PM_PAGE_HALF (UINT64_C(1) << 31)

static void table_alloc(struct tm_pagemap *pm, uint64_t size)
{
	pm->keys = tm_xcalloc(size, sizeof(*pm->keys));
	pm->slots = tm_xmalloc(size * sizeof(*pm->slots));
	pm->mask = size - 1;
}

static void table_insert(struct tm_pagemap *pm, uint64_t page, uint32_t idx)
{
	uint64_t i = tm_fmix64(page) & pm->mask;

	while (pm->keys[i])
		i = (i + 1) & pm->mask;
	pm->keys[i] = page + 1;
	pm->slots[i] = idx;
}

static uint32_t table_find(const struct tm_pagemap *pm, uint64_t page)
{
	if (!pm->nr_hashed)
		return TM_PAGE_NONE;
	for (uint64_t i = tm_fmix64(page) & pm->mask;; i = (i + 1) & pm->mask) {
		if (pm->keys[i] == page + 1)
			return pm->slots[i];
		if (!pm->keys[i])
			return TM_PAGE_NONE;
	}
}

/* Add a page to the fallback table (doubling past half full). */
static void table_add(struct tm_pagemap *pm, uint64_t page, uint32_t idx)
{
	if (2 * (uint64_t)(pm->nr_hashed + 1) > pm->mask + 1) {
		uint64_t *keys = pm->keys, old = pm->mask + 1;
		uint32_t *slots = pm->slots;

		table_alloc(pm, 2 * old);
		for (uint64_t i = 0; i < old; i++)
			if (keys[i])
				table_insert(pm, keys[i] - 1, slots[i]);
		free(keys);
		free(slots);
	}
	table_insert(pm, page, idx);
	pm->nr_hashed++;
}

static void dir_alloc(struct tm_pagemap *pm, uint64_t size)
{
	pm->dir_keys = tm_xcalloc(size, sizeof(*pm->dir_keys));
	pm->dir_chunks = tm_xcalloc(size, sizeof(*pm->dir_chunks));
	pm->dir_mask = size - 1;
}

void tm_pagemap_init(struct tm_pagemap *pm, size_t nr_hint)
{
	memset(pm, 0, sizeof(*pm));
	if (nr_hint > (size_t)1 << 28)
		nr_hint = (size_t)1 << 28;
	dir_alloc(pm, 64);
	table_alloc(pm, 64);
	pm->hashed = tm_xmalloc(sizeof(*pm->hashed));
	pm->cap = nr_hint > 64 ? (uint32_t)nr_hint : 64;
	pm->page32 = tm_xmalloc(pm->cap * sizeof(*pm->page32));
	pm->tier = tm_xmalloc(pm->cap * sizeof(*pm->tier));
}

void tm_pagemap_destroy(struct tm_pagemap *pm)
{
	for (uint64_t i = 0; pm->dir_keys && i <= pm->dir_mask; i++)
		if (pm->dir_chunks[i] != pm->hashed)
			free(pm->dir_chunks[i]);
	free(pm->hashed);
	free(pm->dir_keys);
	free(pm->dir_chunks);
	free(pm->keys);
	free(pm->slots);
	free(pm->page32);
	free(pm->page64);
	free(pm->tier);
	memset(pm, 0, sizeof(*pm));
}

static uint32_t *dir_find(const struct tm_pagemap *pm, uint64_t key)
{
	for (uint64_t i = tm_fmix64(key) & pm->dir_mask;; i = (i + 1) & pm->dir_mask) {
		if (pm->dir_keys[i] == key)
			return pm->dir_chunks[i];
		if (!pm->dir_keys[i])
			return NULL;
	}
}

static void dir_insert(struct tm_pagemap *pm, uint64_t key, uint32_t *chunk)
{
	uint64_t i = tm_fmix64(key) & pm->dir_mask;

	while (pm->dir_keys[i])
		i = (i + 1) & pm->dir_mask;
	pm->dir_keys[i] = key;
	pm->dir_chunks[i] = chunk;
}

/* Enter key's region in the directory, as a new chunk or (chunk NULL) as a
 * hashed region; the directory doubles past half full. */
static uint32_t *dir_add(struct tm_pagemap *pm, uint64_t key, uint32_t *chunk)
{
	if (chunk) {
		memset(chunk, 0xff, TM_PM_CHUNK_PAGES * sizeof(*chunk));
		pm->nr_chunks++;
	} else {
		chunk = pm->hashed;
	}
	if (2 * (uint64_t)(pm->nr_dir + 1) > pm->dir_mask + 1) {
		uint64_t *keys = pm->dir_keys, old = pm->dir_mask + 1;
		uint32_t **chunks = pm->dir_chunks;

		dir_alloc(pm, 2 * old);
		for (uint64_t i = 0; i < old; i++)
			if (keys[i])
				dir_insert(pm, keys[i], chunks[i]);
		free(keys);
		free(chunks);
	}
	dir_insert(pm, key, chunk);
	pm->nr_dir++;
	return chunk;
}

uint32_t tm_pagemap_find(const struct tm_pagemap *pm, uint64_t page)
{
	uint64_t key = (page >> TM_PM_CHUNK_SHIFT) + 1;
	uint32_t c = (uint32_t)key & (TM_PM_CACHE - 1);
	const uint32_t *chunk = key == pm->cache_key[c] ? pm->cache_chunk[c] :
				dir_find(pm, key);

	if (!chunk)
		return TM_PAGE_NONE;
	return chunk == pm->hashed ? table_find(pm, page) :
				     chunk[page & CHUNK_MASK];
}

static void grow_dense(struct tm_pagemap *pm)
{
	pm->cap = pm->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : 2 * pm->cap;
	if (pm->page64)
		pm->page64 = tm_xrealloc(pm->page64,
					 pm->cap * sizeof(*pm->page64));
	else
		pm->page32 = tm_xrealloc(pm->page32,
					 pm->cap * sizeof(*pm->page32));
	pm->tier = tm_xrealloc(pm->tier, pm->cap * sizeof(*pm->tier));
}

/* A page number outside [page_base, page_base + 2^32): every page number
 * to 64 bits (O(pages), once). */
static void widen_pages(struct tm_pagemap *pm)
{
	pm->page64 = tm_xmalloc(pm->cap * sizeof(*pm->page64));
	for (uint32_t i = 0; i < pm->nr; i++)
		pm->page64[i] = pm->page_base + pm->page32[i];
	free(pm->page32);
	pm->page32 = NULL;
}

/* May a new chunk be made?  Only while chunks stay dense enough. */
static int chunk_allowed(const struct tm_pagemap *pm)
{
	return pm->nr_chunks < TM_PM_FREE_CHUNKS ||
	       (uint64_t)pm->nr_chunks * TM_PM_MIN_DENSITY <= pm->nr;
}

/* A new page gets the next dense index. */
static uint32_t add_page(struct tm_pagemap *pm, uint64_t page)
{
	if (pm->nr == pm->cap)
		grow_dense(pm);
	if (!pm->nr)   /* the base: room on both sides of the first page */
		pm->page_base = page > TM_PM_PAGE_HALF ?
				page - TM_PM_PAGE_HALF : 0;
	if (!pm->page64 && (page < pm->page_base ||
			    page - pm->page_base > UINT32_MAX))
		widen_pages(pm);
	if (pm->page64)
		pm->page64[pm->nr] = page;
	else
		pm->page32[pm->nr] = (uint32_t)(page - pm->page_base);
	pm->tier[pm->nr] = 0;
	return pm->nr++;
}

uint32_t tm_pagemap_get_slow(struct tm_pagemap *pm, uint64_t page,
			     int *added)
{
	uint64_t key = (page >> TM_PM_CHUNK_SHIFT) + 1;
	uint32_t c = (uint32_t)key & (TM_PM_CACHE - 1);
	uint32_t *chunk, *slot, idx;

	if (key == pm->cache_key[c]) {
		chunk = pm->cache_chunk[c];
	} else {
		chunk = dir_find(pm, key);
		if (!chunk)  /* a new region: a chunk while they stay dense */
			chunk = dir_add(pm, key, chunk_allowed(pm) ?
					tm_xmalloc(TM_PM_CHUNK_PAGES *
						   sizeof(*chunk)) : NULL);
		pm->cache_key[c] = key;   /* chunks never move: no invalidation */
		pm->cache_chunk[c] = chunk;
	}
	if (chunk == pm->hashed) {  /* a sparse region: the fallback table */
		idx = table_find(pm, page);
		*added = idx == TM_PAGE_NONE;
		if (*added) {
			idx = add_page(pm, page);
			table_add(pm, page, idx);
		}
		return idx;
	}
	slot = &chunk[page & CHUNK_MASK];
	*added = *slot == TM_PAGE_NONE;
	if (*added)
		*slot = add_page(pm, page);
	return *slot;
}

size_t tm_pagemap_memory_bytes(const struct tm_pagemap *pm)
{
	return (pm->dir_mask + 1) * (sizeof(*pm->dir_keys) +
				     sizeof(*pm->dir_chunks)) +
	       (pm->mask + 1) * (sizeof(*pm->keys) + sizeof(*pm->slots)) +
	       (size_t)pm->nr_chunks * TM_PM_CHUNK_PAGES * sizeof(uint32_t) +
	       (size_t)pm->cap * ((pm->page64 ? sizeof(*pm->page64) :
				   sizeof(*pm->page32)) + sizeof(*pm->tier));
}

int tm_pagemap_check(const struct tm_pagemap *pm)
{
	uint64_t used = 0, chunks = 0;

	for (uint32_t i = 0; i < pm->nr; i++)
		if (tm_pagemap_find(pm, tm_pagemap_page(pm, i)) != i)
			return 0;
	for (uint64_t i = 0; i <= pm->dir_mask; i++) {
		if (!pm->dir_keys[i] || pm->dir_chunks[i] == pm->hashed)
			continue;
		chunks++;
		for (uint32_t j = 0; j < TM_PM_CHUNK_PAGES; j++)
			used += pm->dir_chunks[i][j] != TM_PAGE_NONE;
	}
	return used + pm->nr_hashed == pm->nr && chunks == pm->nr_chunks &&
	       pm->nr <= pm->cap;
}
