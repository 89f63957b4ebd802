/*
 * pagecount.c - exact per-page record counters (see pagecount.h).
 *
 * Why a dense array: `tmsim inspect` must stay within 1.5x of decoding the
 * trace.  The per-page hash table it used before (16-byte slots, 8 MiB for
 * the 245k pages of a 1 GiB Zipf footprint) missed the L1 cache once a
 * record and, with its qsort, took 110 instructions a record under
 * callgrind (1M records).  Regions found through a table took 13 for the
 * lookup alone; the dense array takes none, and its touched counters (1 MiB
 * for that footprint) stay in the L2 cache.
 *
 * Notes:
 *  - The dense array is placed on the first page counted (half its span
 *    below, half above); a trace whose pages lie further away uses the
 *    regions, which are correct but slower.
 *  - A wrapped counter reads as 0 until its spill is added: count_of().
 */
#include "pagecount.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

static size_t mix(uint64_t x, size_t mask)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull; /* MurmurHash3 fmix64 constant */
	x ^= x >> 33;
	return (size_t)x & mask;
}

void tm_pagecount_init(struct tm_pagecount *pc, bool split)
{
	memset(pc, 0, sizeof(*pc));
	pc->dense_base = UINT64_C(1) << 63;
	pc->cap = 64;
	pc->keys = tm_xcalloc(pc->cap, sizeof(*pc->keys));
	pc->idx = tm_xmalloc(pc->cap * sizeof(*pc->idx));
	pc->split = split;
	pc->stride = split ? 2 * TM_PAGECOUNT_REGION_PAGES : TM_PAGECOUNT_REGION_PAGES;
}

void tm_pagecount_destroy(struct tm_pagecount *pc)
{
	free(pc->dense);
	free(pc->keys);
	free(pc->idx);
	free(pc->regions);
	free(pc->counts);
	free(pc->spill_keys);
	free(pc->spill_vals);
	memset(pc, 0, sizeof(*pc));
}

static size_t slot(const uint64_t *keys, size_t cap, uint64_t key)
{
	size_t mask = cap - 1, i = mix(key, mask);

	while (keys[i] && keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static void hash_grow(struct tm_pagecount *pc)
{
	uint64_t *keys = pc->keys;
	uint32_t *idx = pc->idx;
	size_t cap = pc->cap;

	pc->cap *= 2;
	pc->keys = tm_xcalloc(pc->cap, sizeof(*pc->keys));
	pc->idx = tm_xmalloc(pc->cap * sizeof(*pc->idx));
	for (size_t i = 0; i < cap; i++) {
		if (keys[i]) {
			size_t j = slot(pc->keys, pc->cap, keys[i]);

			pc->keys[j] = keys[i];
			pc->idx[j] = idx[i];
		}
	}
	free(keys);
	free(idx);
}

/* A new zeroed region; returns its index. */
static uint32_t region_new(struct tm_pagecount *pc, uint64_t region)
{
	if (pc->nr == pc->counts_cap) {
		pc->counts_cap = pc->counts_cap ? 2 * pc->counts_cap : 64;
		pc->counts = tm_xrealloc(pc->counts, pc->counts_cap * pc->stride *
					 sizeof(*pc->counts));
		pc->regions = tm_xrealloc(pc->regions, pc->counts_cap *
					  sizeof(*pc->regions));
	}
	memset(pc->counts + pc->nr * pc->stride, 0, pc->stride * sizeof(*pc->counts));
	pc->regions[pc->nr] = region;
	return (uint32_t)pc->nr++;
}

/* The dense array around `page`: half the span below it, aligned to a
 * region. */
static void dense_place(struct tm_pagecount *pc, uint64_t page)
{
	const uint64_t half = TM_PAGECOUNT_DENSE_PAGES / 2;
	size_t n = (size_t)TM_PAGECOUNT_DENSE_PAGES * (pc->split ? 2 : 1);

	pc->dense_base = (page > half ? page - half : 0) &
			 ~(uint64_t)(TM_PAGECOUNT_REGION_PAGES - 1);
	/* calloc of this size maps zero pages: only touched ones take memory */
	pc->dense = tm_xcalloc(n, sizeof(*pc->dense));
}

uint32_t *tm_pagecount_slow(struct tm_pagecount *pc, uint64_t page, bool store)
{
	uint64_t region = page >> TM_PAGECOUNT_REGION_SHIFT;
	size_t i;

	if (!pc->dense) {
		dense_place(pc, page);
		return tm_pagecount_at(pc, page, store);
	}
	i = slot(pc->keys, pc->cap, region + 1);
	if (!pc->keys[i]) {
		pc->keys[i] = region + 1;
		pc->idx[i] = region_new(pc, region);
		if (pc->nr * 2 > pc->cap) {
			hash_grow(pc);
			i = slot(pc->keys, pc->cap, region + 1);
		}
	}
	return pc->counts + (size_t)pc->idx[i] * pc->stride +
	       (page & (TM_PAGECOUNT_REGION_PAGES - 1)) +
	       (store ? TM_PAGECOUNT_REGION_PAGES : 0);
}

/* A counter's id: its index in the dense array, or after it in counts. */
static uint64_t counter_id(const struct tm_pagecount *pc, const uint32_t *c)
{
	size_t n = (size_t)TM_PAGECOUNT_DENSE_PAGES * (pc->split ? 2 : 1);

	if (pc->dense && c >= pc->dense && c < pc->dense + n)
		return (uint64_t)(c - pc->dense);
	return n + (uint64_t)(c - pc->counts);
}

void tm_pagecount_spill(struct tm_pagecount *pc, const uint32_t *c)
{
	uint64_t key = counter_id(pc, c) + 1;
	size_t i;

	if ((pc->nr_spill + 1) * 2 > pc->spill_cap) {
		uint64_t *keys = pc->spill_keys, *vals = pc->spill_vals;
		size_t cap = pc->spill_cap;

		pc->spill_cap = cap ? 2 * cap : 16;
		pc->spill_keys = tm_xcalloc(pc->spill_cap, sizeof(*keys));
		pc->spill_vals = tm_xcalloc(pc->spill_cap, sizeof(*vals));
		for (size_t k = 0; k < cap; k++) {
			if (keys[k]) {
				size_t j = slot(pc->spill_keys, pc->spill_cap, keys[k]);

				pc->spill_keys[j] = keys[k];
				pc->spill_vals[j] = vals[k];
			}
		}
		free(keys);
		free(vals);
	}
	i = slot(pc->spill_keys, pc->spill_cap, key);
	pc->nr_spill += !pc->spill_keys[i];
	pc->spill_keys[i] = key;
	pc->spill_vals[i] += UINT64_C(1) << 32;
}

static uint64_t count_of(const struct tm_pagecount *pc, const uint32_t *c)
{
	size_t i;

	if (!pc->nr_spill)
		return *c;
	i = slot(pc->spill_keys, pc->spill_cap, counter_id(pc, c) + 1);
	return pc->spill_keys[i] ? *c + pc->spill_vals[i] : *c;
}

/* The pages of one block of counters (stores at +store_off with split). */
static void visit_block(const struct tm_pagecount *pc, const uint32_t *c,
			size_t store_off, uint64_t first_page,
			void (*fn)(void *, uint64_t, uint64_t, uint64_t), void *arg)
{
	for (uint32_t p = 0; p < TM_PAGECOUNT_REGION_PAGES; p++) {
		uint64_t nl = count_of(pc, c + p);
		uint64_t ns = pc->split ? count_of(pc, c + p + store_off) : 0;

		if (nl || ns)
			fn(arg, first_page + p, nl, ns);
	}
}

void tm_pagecount_visit(const struct tm_pagecount *pc, uint64_t first,
			uint64_t last,
			void (*fn)(void *, uint64_t, uint64_t, uint64_t), void *arg)
{
	uint64_t lo, hi, end = pc->dense_base + TM_PAGECOUNT_DENSE_PAGES;

	if (pc->dense && first < end && last >= pc->dense_base) {
		lo = first > pc->dense_base ? first - pc->dense_base : 0;
		hi = (last < end ? last : end - 1) - pc->dense_base;
		lo &= ~(uint64_t)(TM_PAGECOUNT_REGION_PAGES - 1);
		for (uint64_t r = lo; r <= hi; r += TM_PAGECOUNT_REGION_PAGES)
			visit_block(pc, pc->dense + r, TM_PAGECOUNT_DENSE_PAGES,
				    pc->dense_base + r, fn, arg);
	}
	for (size_t r = 0; r < pc->nr; r++)
		visit_block(pc, pc->counts + r * pc->stride, TM_PAGECOUNT_REGION_PAGES,
			    pc->regions[r] << TM_PAGECOUNT_REGION_SHIFT, fn, arg);
}
