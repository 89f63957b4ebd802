/*
 * pagemap.h - one VM's pages: page number -> dense index, and the per-page
 * state the simulator keeps (tier, window counts).
 *
 * DESIGN.md §3: "A page untouched so far is placed on first touch: FMEM while
 * the VM has free FMEM capacity, else SMEM."  The map assigns dense indexes
 * [0, nr) in first-touch order; models keep per-page arrays indexed by them.
 *
 * The hash table is open addressing with linear probing on a power-of-two
 * table kept at most half full; it doubles when a new page would pass that
 * load, so growth happens only on first touch of a new page and is amortised
 * O(1).  Pre-size it with the trace's footprint hint to avoid growth.
 */
#ifndef TM_PAGEMAP_H
#define TM_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#define TM_PAGE_NONE UINT32_MAX

struct tm_pagemap {
	uint64_t *keys;     /* hash table: page number + 1 (0 = empty) */
	uint32_t *slots;    /* hash table: dense index */
	uint64_t mask;      /* table size - 1 */
	uint32_t nr;        /* pages touched so far */
	uint32_t cap;       /* capacity of the dense arrays */
	uint64_t *page;     /* dense: page number */
	uint8_t *tier;      /* dense: enum tm_tier */
};

void tm_pagemap_init(struct tm_pagemap *pm, size_t nr_hint);
void tm_pagemap_destroy(struct tm_pagemap *pm);

/* Dense index of page, or TM_PAGE_NONE if never touched. */
uint32_t tm_pagemap_find(const struct tm_pagemap *pm, uint64_t page);

/* Dense index of page, adding it (tier TM_TIER_NONE) if new; *added tells.
 * Callers that keep their own per-page arrays grow them when
 * tm_pagemap_cap() changes. */
uint32_t tm_pagemap_get(struct tm_pagemap *pm, uint64_t page, int *added);

static inline uint32_t tm_pagemap_cap(const struct tm_pagemap *pm)
{
	return pm->cap;
}

/* Internal consistency (every dense entry findable); for assert and tests. */
int tm_pagemap_check(const struct tm_pagemap *pm);

#endif
