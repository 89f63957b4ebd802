/*
 * topk.c - fixed-capacity indexable heap (see topk.h).
 *
 * Workload: the SDH top-K heap is touched on every sample (find, then update
 * or push), so the layout favours lookups of absent keys, the common case
 * for cold pages: one open-addressing probe sequence over 8-byte index
 * cells {tag, slot} (topk_internal.h), linear probing, load <= 1/4 while
 * the index fits in TM_TOPK_SPARSE_CELLS cells (256 KiB, assumption: a
 * quarter of this machine's 1 MiB L2), else <= 1/2.  An absent key's probe
 * sequence is ~1.4 cells long at 1/4 and ~2.5 at 1/2, and each extra cell
 * is a mispredicted branch: bench_sdh, K = 1000, went from 28.8 to 30.3 M
 * updates/s; at K = 83886 the larger index only missed the cache more,
 * hence the cap.  Cells were {key, slot}, 16 bytes; with a 32-bit tag the
 * index of a K = 10485 heap is 256 KiB instead of 512 KiB.  Each heap
 * entry remembers its index position (ipos), so a swap during a sift
 * rewrites the index in O(1) without probing; deletion uses backward
 * shifting, so there are no tombstones and the table never degrades over a
 * long run.
 *
 * Notes:
 * - Capacity is fixed at _new; push on a full heap fails and the caller
 *   chooses an eviction rule (SDH: replace the top, reference §2 S1 rule).
 * - The index hash is a fixed 64-bit finaliser (topk_internal.h), not
 *   seeded: keys are page numbers from the simulator, not adversarial input.
 */
#include "topk.h"
#include "topk_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/heap.h"

struct tm_topk *tm_topk_new(uint32_t cap, enum tm_topk_order order)
{
	struct tm_topk *h;
	uint32_t isize = 2;

	assert(cap >= 1 && cap <= TM_TOPK_MAX_CAP);
	while (isize < 2 * (uint64_t)cap)
		isize <<= 1;
	if (isize <= TM_TOPK_SPARSE_CELLS / 2)
		isize <<= 1;   /* load <= 1/4 (file header) */
	h = tm_xcalloc(1, sizeof(*h));
	h->e = tm_xmalloc((size_t)cap * sizeof(*h->e));
	h->cap = cap;
	h->idx = tm_xmalloc((size_t)isize * sizeof(*h->idx));
	h->imask = isize - 1;
	h->order = order;
	tm_topk_clear(h);
	return h;
}

void tm_topk_free(struct tm_topk *h)
{
	if (!h)
		return;
	free(h->e);
	free(h->idx);
	free(h);
}

void tm_topk_set_ties(struct tm_topk *h, enum tm_topk_ties ties)
{
	assert(h->nr == 0);
	h->ties = ties;
}

void tm_topk_clear(struct tm_topk *h)
{
	for (uint32_t i = 0; i <= h->imask; i++)
		h->idx[i].slot = TM_TOPK_NONE;
	h->nr = 0;
}

uint32_t tm_topk_size(const struct tm_topk *h) { return h->nr; }
uint32_t tm_topk_cap(const struct tm_topk *h) { return h->cap; }
bool tm_topk_full(const struct tm_topk *h) { return h->nr == h->cap; }
enum tm_topk_order tm_topk_order(const struct tm_topk *h) { return h->order; }

/* --- reverse index ------------------------------------------------------ */

static uint32_t ifind(const struct tm_topk *h, uint64_t key)
{
	return tm_topk_ifind_hash(h, key, tm_topk_hash(key));
}

/* key must be absent; the load factor <= 1/2 guarantees an empty cell. */
static uint32_t iinsert(struct tm_topk *h, uint64_t key, uint32_t slot)
{
	uint64_t hash = tm_topk_hash(key);
	uint32_t i = tm_topk_home(h, hash);

	while (h->idx[i].slot != TM_TOPK_NONE)
		i = (i + 1) & h->imask;
	h->idx[i].tag = tm_topk_tag(hash);
	h->idx[i].slot = slot;
	return i;
}

/* true when an entry whose home is `home` may move from j back to hole i,
 * i.e. home is not cyclically inside (i, j]. */
static inline bool may_shift(uint32_t i, uint32_t j, uint32_t home)
{
	if (i <= j)
		return home <= i || home > j;
	return home <= i && home > j;
}

/* Backward-shift deletion (Knuth 6.4, Algorithm R). */
static void idelete(struct tm_topk *h, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & h->imask;
		if (h->idx[j].slot == TM_TOPK_NONE)
			break;
		if (!may_shift(i, j, h->idx[j].tag & h->imask))
			continue;
		h->idx[i] = h->idx[j];
		h->e[h->idx[i].slot].ipos = i;
		i = j;
	}
	h->idx[i].slot = TM_TOPK_NONE;
}

/* --- heap ----------------------------------------------------------------- */

/* Does a belong above b?  The sifts are lib/heap.h's, instantiated once
 * per order and tie rule with these as constants, so each kind of heap gets
 * its own branch-lean loop (callgrind: sift_down 20% fewer instructions
 * than with the order tested per step). */
static inline __attribute__((always_inline)) bool
above_o(enum tm_topk_order order, enum tm_topk_ties ties,
	const struct hent *a, const struct hent *b)
{
	bool by_key = ties == TM_TOPK_TIES_KEY && a->value == b->value;

	if (order == TM_TOPK_MAX)
		return a->value > b->value || (by_key && a->key < b->key);
	return a->value < b->value || (by_key && a->key > b->key);
}

static inline bool above(const struct tm_topk *h, const struct hent *a,
			 const struct hent *b)
{
	return above_o(h->order, h->ties, a, b);
}

/* Store x in slot i and point its index cell there (lib/heap's set hook). */
#define TOPK_SET(h, v, i, x) \
	((v)[i] = (x), (h)->idx[(x).ipos].slot = (uint32_t)(i))
#define ABOVE_MAX_KEY(h, a, b) above_o(TM_TOPK_MAX, TM_TOPK_TIES_KEY, a, b)
#define ABOVE_MIN_KEY(h, a, b) above_o(TM_TOPK_MIN, TM_TOPK_TIES_KEY, a, b)
#define ABOVE_MAX_ANY(h, a, b) above_o(TM_TOPK_MAX, TM_TOPK_TIES_ANY, a, b)
#define ABOVE_MIN_ANY(h, a, b) above_o(TM_TOPK_MIN, TM_TOPK_TIES_ANY, a, b)

TM_HEAP_DEFINE_IDX(hmax_key, struct hent, uint32_t, struct tm_topk *,
		    ABOVE_MAX_KEY, TOPK_SET)
TM_HEAP_DEFINE_IDX(hmin_key, struct hent, uint32_t, struct tm_topk *,
		    ABOVE_MIN_KEY, TOPK_SET)
TM_HEAP_DEFINE_IDX(hmax_any, struct hent, uint32_t, struct tm_topk *,
		    ABOVE_MAX_ANY, TOPK_SET)
TM_HEAP_DEFINE_IDX(hmin_any, struct hent, uint32_t, struct tm_topk *,
		    ABOVE_MIN_ANY, TOPK_SET)

static void sift_up(struct tm_topk *h, uint32_t i)
{
	if (h->ties == TM_TOPK_TIES_KEY) {
		if (h->order == TM_TOPK_MAX)
			hmax_key_sift_up(h, h->e, i);
		else
			hmin_key_sift_up(h, h->e, i);
	} else {
		if (h->order == TM_TOPK_MAX)
			hmax_any_sift_up(h, h->e, i);
		else
			hmin_any_sift_up(h, h->e, i);
	}
}

static void sift_down(struct tm_topk *h, uint32_t i)
{
	if (h->ties == TM_TOPK_TIES_KEY) {
		if (h->order == TM_TOPK_MAX)
			hmax_key_sift_down(h, h->e, h->nr, i);
		else
			hmin_key_sift_down(h, h->e, h->nr, i);
	} else {
		if (h->order == TM_TOPK_MAX)
			hmax_any_sift_down(h, h->e, h->nr, i);
		else
			hmin_any_sift_down(h, h->e, h->nr, i);
	}
}

static void fix(struct tm_topk *h, uint32_t i)
{
	if (i > 0 && above(h, &h->e[i], &h->e[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}

/* --- public operations --------------------------------------------------- */

uint32_t tm_topk_find(const struct tm_topk *h, uint64_t key)
{
	return tm_topk_find_hash(h, key, tm_topk_hash(key));
}

bool tm_topk_contains(const struct tm_topk *h, uint64_t key)
{
	return ifind(h, key) != TM_TOPK_NONE;
}

bool tm_topk_get(const struct tm_topk *h, uint64_t key, uint64_t *value)
{
	uint32_t s = tm_topk_find(h, key);

	if (s == TM_TOPK_NONE)
		return false;
	*value = h->e[s].value;
	return true;
}

struct tm_topk_entry tm_topk_at(const struct tm_topk *h, uint32_t slot)
{
	struct tm_topk_entry r;

	assert(slot < h->nr);
	r.key = h->e[slot].key;
	r.value = h->e[slot].value;
	return r;
}

bool tm_topk_push(struct tm_topk *h, uint64_t key, uint64_t value)
{
	uint32_t slot;

	if (h->nr == h->cap || ifind(h, key) != TM_TOPK_NONE)
		return false;
	slot = h->nr++;
	h->e[slot].key = key;
	h->e[slot].value = value;
	h->e[slot].ipos = iinsert(h, key, slot);
	sift_up(h, slot);
	return true;
}

void tm_topk_update_at(struct tm_topk *h, uint32_t slot, uint64_t value)
{
	uint64_t old;

	assert(slot < h->nr);
	old = h->e[slot].value;
	if (old == value)
		return;
	h->e[slot].value = value;
	/* The key is unchanged, so the entry moves one way only: away from
	 * the top when it became less top-worthy (SDH's common case, a count
	 * rising in the min-heap: sift_down with no parent test). */
	if ((value > old) == (h->order == TM_TOPK_MIN))
		sift_down(h, slot);
	else
		sift_up(h, slot);
}

bool tm_topk_update(struct tm_topk *h, uint64_t key, uint64_t value)
{
	uint32_t s = tm_topk_find(h, key);

	if (s == TM_TOPK_NONE)
		return false;
	tm_topk_update_at(h, s, value);
	return true;
}

bool tm_topk_increase(struct tm_topk *h, uint64_t key, uint64_t delta)
{
	uint32_t s = tm_topk_find(h, key);
	uint64_t v;

	if (s == TM_TOPK_NONE)
		return false;
	v = h->e[s].value;
	tm_topk_update_at(h, s, v > UINT64_MAX - delta ? UINT64_MAX : v + delta);
	return true;
}

bool tm_topk_decrease(struct tm_topk *h, uint64_t key, uint64_t delta)
{
	uint32_t s = tm_topk_find(h, key);
	uint64_t v;

	if (s == TM_TOPK_NONE)
		return false;
	v = h->e[s].value;
	tm_topk_update_at(h, s, v < delta ? 0 : v - delta);
	return true;
}

void tm_topk_remove_at(struct tm_topk *h, uint32_t slot)
{
	uint32_t last;

	assert(slot < h->nr);
	idelete(h, h->e[slot].ipos);
	last = --h->nr;
	if (slot == last)
		return;
	TOPK_SET(h, h->e, slot, h->e[last]);
	fix(h, slot);
}

bool tm_topk_remove(struct tm_topk *h, uint64_t key)
{
	uint32_t s = tm_topk_find(h, key);

	if (s == TM_TOPK_NONE)
		return false;
	tm_topk_remove_at(h, s);
	return true;
}

bool tm_topk_top(const struct tm_topk *h, struct tm_topk_entry *out)
{
	if (h->nr == 0)
		return false;
	*out = tm_topk_at(h, 0);
	return true;
}

bool tm_topk_pop(struct tm_topk *h, struct tm_topk_entry *out)
{
	if (!tm_topk_top(h, out))
		return false;
	tm_topk_remove_at(h, 0);
	return true;
}

void tm_topk_replace_top(struct tm_topk *h, uint64_t key, uint64_t value)
{
	assert(h->nr > 0 && ifind(h, key) == TM_TOPK_NONE);
	idelete(h, h->e[0].ipos);
	h->e[0].key = key;
	h->e[0].value = value;
	h->e[0].ipos = iinsert(h, key, 0);
	sift_down(h, 0);
}

uint32_t tm_topk_copy(const struct tm_topk *h, struct tm_topk_entry *out)
{
	for (uint32_t i = 0; i < h->nr; i++) {
		out[i].key = h->e[i].key;
		out[i].value = h->e[i].value;
	}
	return h->nr;
}

size_t tm_topk_memory_bytes(const struct tm_topk *h)
{
	return sizeof(*h) + (size_t)h->cap * sizeof(*h->e) +
	       ((size_t)h->imask + 1) * sizeof(*h->idx);
}

bool tm_topk_check(const struct tm_topk *h)
{
	uint32_t nr_used = 0;

	if (h->nr > h->cap)
		return false;
	for (uint32_t i = 0; i < h->nr; i++) {
		const struct hent *x = &h->e[i];

		if (i > 0 && above(h, x, &h->e[(i - 1) / 2]))
			return false;
		if (x->ipos > h->imask || h->idx[x->ipos].slot != i ||
		    h->idx[x->ipos].tag != tm_topk_tag(tm_topk_hash(x->key)))
			return false;
		/* reachable by probing, and no duplicate earlier on the path */
		if (ifind(h, x->key) != x->ipos)
			return false;
	}
	for (uint32_t i = 0; i <= h->imask; i++)
		nr_used += h->idx[i].slot != TM_TOPK_NONE;
	return nr_used == h->nr;
}

/* --- sorting without allocation ------------------------------------------ */

/* The coldest entry on top: heapsort leaves the array hottest first. */
#define COLDER_ABOVE(ctx, a, b) tm_topk_hotter(b, a)
TM_HEAP_DEFINE(coldtop, struct tm_topk_entry, const void *, COLDER_ABOVE,
	       TM_HEAP_SET)

void tm_topk_sort_hottest(struct tm_topk_entry *e, size_t n)
{
	coldtop_sort(NULL, e, n);
}
