/*
 * pagemap.c - page number -> dense index map (see pagemap.h).
 *
 * Hash: the 64-bit finaliser of MurmurHash3 (fmix64), which spreads the
 * consecutive page numbers typical of real footprints.
 */
#include "pagemap.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

static void table_alloc(struct tm_pagemap *pm, uint64_t size)
{
	pm->keys = tm_xcalloc(size, sizeof(*pm->keys));
	pm->slots = tm_xmalloc(size * sizeof(*pm->slots));
	pm->mask = size - 1;
}

void tm_pagemap_init(struct tm_pagemap *pm, size_t nr_hint)
{
	uint64_t size = 64;

	memset(pm, 0, sizeof(*pm));
	if (nr_hint > (size_t)1 << 28)
		nr_hint = (size_t)1 << 28;
	while (size < 2 * (uint64_t)nr_hint)
		size <<= 1;
	table_alloc(pm, size);
	pm->cap = (uint32_t)(size / 2);
	pm->page = tm_xmalloc(pm->cap * sizeof(*pm->page));
	pm->tier = tm_xmalloc(pm->cap * sizeof(*pm->tier));
}

void tm_pagemap_destroy(struct tm_pagemap *pm)
{
	free(pm->keys);
	free(pm->slots);
	free(pm->page);
	free(pm->tier);
	memset(pm, 0, sizeof(*pm));
}

uint32_t tm_pagemap_find(const struct tm_pagemap *pm, uint64_t page)
{
	uint64_t key = page + 1;

	for (uint64_t i = tm_fmix64(page) & pm->mask;; i = (i + 1) & pm->mask) {
		if (pm->keys[i] == key)
			return pm->slots[i];
		if (!pm->keys[i])
			return TM_PAGE_NONE;
	}
}

static void table_insert(struct tm_pagemap *pm, uint64_t page, uint32_t slot)
{
	uint64_t i = tm_fmix64(page) & pm->mask;

	while (pm->keys[i])
		i = (i + 1) & pm->mask;
	pm->keys[i] = page + 1;
	pm->slots[i] = slot;
}

static void grow(struct tm_pagemap *pm)
{
	uint64_t size = (pm->mask + 1) * 2;

	free(pm->keys);
	free(pm->slots);
	table_alloc(pm, size);
	for (uint32_t i = 0; i < pm->nr; i++)
		table_insert(pm, pm->page[i], i);
	pm->cap = (uint32_t)(size / 2);
	pm->page = tm_xrealloc(pm->page, pm->cap * sizeof(*pm->page));
	pm->tier = tm_xrealloc(pm->tier, pm->cap * sizeof(*pm->tier));
}

uint32_t tm_pagemap_get(struct tm_pagemap *pm, uint64_t page, int *added)
{
	uint64_t key = page + 1;
	uint64_t i;

	for (i = tm_fmix64(page) & pm->mask; pm->keys[i]; i = (i + 1) & pm->mask) {
		if (pm->keys[i] == key) {
			*added = 0;
			return pm->slots[i];
		}
	}
	if (pm->nr == pm->cap) {
		grow(pm);
		table_insert(pm, page, pm->nr);
	} else {
		pm->keys[i] = key;
		pm->slots[i] = pm->nr;
	}
	pm->page[pm->nr] = page;
	pm->tier[pm->nr] = 0;
	*added = 1;
	return pm->nr++;
}

int tm_pagemap_check(const struct tm_pagemap *pm)
{
	uint64_t used = 0;

	for (uint32_t i = 0; i < pm->nr; i++)
		if (tm_pagemap_find(pm, pm->page[i]) != i)
			return 0;
	for (uint64_t i = 0; i <= pm->mask; i++)
		used += pm->keys[i] != 0;
	return used == pm->nr && pm->nr <= pm->cap;
}
