/*
 * topk_internal.h - the layout of struct tm_topk, for the per-sample path
 * of identifiers built on it (SDH) and for topk.c.
 *
 * The lookups an identifier makes on every sample (hash a key once, prefetch
 * its index cell, find its slot, read a value) are inline here, so a caller
 * can hash once for both prefetch and find and pay no call per sample
 * (bench_sdh, callgrind: ~60 -> ~25 instructions per sample for prefetch
 * and find).  Everything that changes the heap stays in topk.c.
 */
#ifndef TM_TOPK_INTERNAL_H
#define TM_TOPK_INTERNAL_H

#include "topk.h"
#include "lib/hash.h"

/* Index cells up to which the load factor is kept <= 1/4 (topk.c). */
#define TM_TOPK_SPARSE_CELLS (UINT32_C(1) << 15)

struct hent {
	uint64_t key;
	uint64_t value;
	uint32_t ipos;          /* position of this key in idx[] */
};

/* An index cell: 8 bytes, so the index of a heap of 10^4 entries fits in
 * 256 KiB.  tag = the low 32 bits of the key's hash, which also give its
 * home cell (tag & imask); a tag match is confirmed against the heap
 * entry's key. */
struct ient {
	uint32_t tag;
	uint32_t slot;          /* heap slot, TM_TOPK_NONE when empty */
};

struct tm_topk {
	struct hent *e;
	uint32_t nr;
	uint32_t cap;
	struct ient *idx;
	uint32_t imask;         /* index size - 1, size a power of two */
	enum tm_topk_order order;
	enum tm_topk_ties ties;
};

/* The index hash of key: the 64-bit finaliser, not seeded (keys are page
 * numbers from the simulator, not adversarial input).  Fibonacci hashing
 * (one multiply, top bits) was tried: bench_sdh K = 1000 went from 31.2 to
 * 30.1 M updates/s, longer probe runs costing more than the multiply saved. */
static inline uint64_t tm_topk_hash(uint64_t key)
{
	return tm_fmix64(key);
}

static inline uint32_t tm_topk_tag(uint64_t hash)
{
	return (uint32_t)hash;
}

static inline uint32_t tm_topk_home(const struct tm_topk *h, uint64_t hash)
{
	return tm_topk_tag(hash) & h->imask;
}

/* always_inline: a plain inline function whose only effect is a prefetch
 * is judged pure by GCC 12 and its calls deleted. */
static inline __attribute__((always_inline)) void
tm_topk_prefetch_hash(const struct tm_topk *h, uint64_t hash)
{
	__builtin_prefetch(&h->idx[tm_topk_home(h, hash)]);
}

/* The index cell of key (hash = tm_topk_hash(key)), or TM_TOPK_NONE. */
static inline uint32_t tm_topk_ifind_hash(const struct tm_topk *h,
					  uint64_t key, uint64_t hash)
{
	uint32_t i = tm_topk_home(h, hash), tag = tm_topk_tag(hash);

	for (;;) {
		uint32_t slot = h->idx[i].slot;

		if (slot == TM_TOPK_NONE)
			return TM_TOPK_NONE;
		if (h->idx[i].tag == tag && h->e[slot].key == key)
			return i;
		i = (i + 1) & h->imask;
	}
}

/* The heap slot of key, or TM_TOPK_NONE. */
static inline uint32_t tm_topk_find_hash(const struct tm_topk *h,
					 uint64_t key, uint64_t hash)
{
	uint32_t i = tm_topk_ifind_hash(h, key, hash);

	return i == TM_TOPK_NONE ? TM_TOPK_NONE : h->idx[i].slot;
}

/* The value in slot (< size). */
static inline uint64_t tm_topk_value_at(const struct tm_topk *h,
					uint32_t slot)
{
	return h->e[slot].value;
}

/* tm_topk_update_at() with its commonest case inline: an entry with no
 * children (slot in the bottom half) whose value moves away from the top
 * or stays (a count rising in a min-heap, falling in a max-heap) stays
 * where it is, whatever the tie rule, so only its value changes.  SDH's
 * hot pages sit at the bottom of its min-heap and rise on every sample:
 * 92% of its value changes end here (callgrind, 4M-sample replay). */
static inline void tm_topk_set_at(struct tm_topk *h, uint32_t slot,
				  uint64_t value)
{
	uint64_t old = h->e[slot].value;

	if (2 * (uint64_t)slot + 1 >= h->nr &&
	    (h->order == TM_TOPK_MIN ? value >= old : value <= old)) {
		h->e[slot].value = value;
		return;
	}
	tm_topk_update_at(h, slot, value);
}

/* The top entry's value, 0 when empty. */
static inline uint64_t tm_topk_top_value(const struct tm_topk *h)
{
	return h->nr ? h->e[0].value : 0;
}

#endif
