/*
 * topk.h - a fixed-capacity indexable heap: a binary heap of (key, value)
 * entries plus a reverse index key -> heap slot (DESIGN.md §6.2).
 *
 * This is the "static heap of K entries plus a fixed-size hash table mapping
 * key -> heap slot, updated on every swap" of SDH (reference
 * sdh-and-demeter.md §2, top-k heap; S1 and the S2/S3 indexable heap).  All
 * memory is taken at _new; no operation allocates, so the structure can sit
 * on the per-sample path.
 *
 * Order.  Entries are totally ordered by "hotness": a is hotter than b when
 * a.value > b.value, or the values are equal and a.key < b.key.  A MAX heap
 * keeps the hottest entry on top, a MIN heap the coldest.  Breaking ties by
 * key makes top(), pop() and every ranking deterministic.
 *
 * Ties.  With TM_TOPK_TIES_ANY (tm_topk_set_ties) entries compare by value
 * only: among equal values the top is whichever entry the operations left
 * there, still deterministic (the same operations give the same heap) but
 * not canonical.  Replacing the top by an entry of the same value is then
 * O(1) instead of a sift to the bottom, which is what SDH's S1 admission
 * rule does for most cold newcomers (replace the minimum when
 * min <= estimate; reference sdh-and-demeter.md §2).
 *
 * Slots.  tm_topk_find() returns the heap slot of a key; a slot is valid only
 * until the next operation that changes the heap.
 */
#ifndef TM_TOPK_H
#define TM_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tm_topk_order { TM_TOPK_MIN = 0, TM_TOPK_MAX = 1 };
enum tm_topk_ties { TM_TOPK_TIES_KEY = 0, TM_TOPK_TIES_ANY = 1 };

struct tm_topk_entry {
	uint64_t key;
	uint64_t value;
};

#define TM_TOPK_NONE UINT32_MAX
/* Largest capacity: slots are 32-bit and the index holds 2 x cap rounded up
 * to a power of two (assumption: far above any K a VM needs). */
#define TM_TOPK_MAX_CAP (UINT32_C(1) << 30)

struct tm_topk;

/* A heap of at most cap entries (1 <= cap <= TM_TOPK_MAX_CAP). */
struct tm_topk *tm_topk_new(uint32_t cap, enum tm_topk_order order);
void tm_topk_free(struct tm_topk *h);
/* How equal values are ordered (default TM_TOPK_TIES_KEY); h must be
 * empty. */
void tm_topk_set_ties(struct tm_topk *h, enum tm_topk_ties ties);

uint32_t tm_topk_size(const struct tm_topk *h);
uint32_t tm_topk_cap(const struct tm_topk *h);
bool tm_topk_full(const struct tm_topk *h);
enum tm_topk_order tm_topk_order(const struct tm_topk *h);

/* The slot of key, or TM_TOPK_NONE. */
uint32_t tm_topk_find(const struct tm_topk *h, uint64_t key);
bool tm_topk_contains(const struct tm_topk *h, uint64_t key);
/* true and *value if key is present. */
bool tm_topk_get(const struct tm_topk *h, uint64_t key, uint64_t *value);
/* The entry in slot (0 <= slot < size); slot 0 is the top. */
struct tm_topk_entry tm_topk_at(const struct tm_topk *h, uint32_t slot);

/* Insert a new key; false (and no change) if full or already present. */
bool tm_topk_push(struct tm_topk *h, uint64_t key, uint64_t value);
/* Set the value of a present key; false if absent. */
bool tm_topk_update(struct tm_topk *h, uint64_t key, uint64_t value);
void tm_topk_update_at(struct tm_topk *h, uint32_t slot, uint64_t value);
/* value += delta (saturating at UINT64_MAX); false if absent. */
bool tm_topk_increase(struct tm_topk *h, uint64_t key, uint64_t delta);
/* value -= delta (saturating at 0); false if absent. */
bool tm_topk_decrease(struct tm_topk *h, uint64_t key, uint64_t delta);
/* Remove a key; false if absent. */
bool tm_topk_remove(struct tm_topk *h, uint64_t key);
void tm_topk_remove_at(struct tm_topk *h, uint32_t slot);
/* The top entry; false if empty. */
bool tm_topk_top(const struct tm_topk *h, struct tm_topk_entry *out);
/* Remove and return the top entry; false if empty. */
bool tm_topk_pop(struct tm_topk *h, struct tm_topk_entry *out);
/* Replace the top entry by a new (absent) key in one sift. */
void tm_topk_replace_top(struct tm_topk *h, uint64_t key, uint64_t value);
void tm_topk_clear(struct tm_topk *h);

/* Copy the entries (heap order) into out[0..size); returns size. */
uint32_t tm_topk_copy(const struct tm_topk *h, struct tm_topk_entry *out);

size_t tm_topk_memory_bytes(const struct tm_topk *h);

/* Full invariant check: heap order, size <= cap, every entry indexed at its
 * slot, no stray or duplicate index entries.  O(cap); for assert and tests. */
bool tm_topk_check(const struct tm_topk *h);

/* The hotness order above, for callers that sort entries the same way. */
static inline bool tm_topk_hotter(const struct tm_topk_entry *a,
				  const struct tm_topk_entry *b)
{
	return a->value > b->value || (a->value == b->value && a->key < b->key);
}

/* Sort e[0..n) hottest first in place, without allocating (heapsort). */
void tm_topk_sort_hottest(struct tm_topk_entry *e, size_t n);

#endif
