/*
 * hk_twin.h - HeavyKeeper restated plainly: the reference SDH is held to
 * (tests/test_hk_twin.c, tests/bench/bench_sdh.c).
 *
 * Rules: Gong et al., ATC'18, Algorithm 1 (the Parallel version) with both
 * optimisations, as summarised in reference identifiers.md §1.2.  For each
 * of the d rows, key k with fingerprint F lands in one bucket {FP, C}:
 *
 *   C == 0                 -> FP := F, C := 1                   (claim)
 *   FP == F                -> C := C + 1 if k is in the heap, the heap is
 *                             not full, or C < n_min (Opt. II, selective
 *                             increment); at count_max C stays
 *   otherwise              -> with probability P(C): C := C - 1, and at 0
 *                             FP := F, C := 1                   (decay)
 *
 * n^ = max C over the buckets holding F afterwards.  Heap (k entries):
 * a monitored key's value := max(n^, old); a newcomer with n^ > 0 enters
 * if there is room, else only if n^ == n_min + 1, replacing a minimum
 * (Opt. I).  The n^ > 0 guard is the paper's reading; the authors' code
 * lacks it and can freeze its heap (reference §1.3).
 *
 * Options (struct hk_twin_rules):
 * - integer_decay: P(C) = 1/floor(b^C), the authors' code (§1.3); default
 *   P(C) = b^-C, the paper.  The authors' int overflow past C ~ 279 (no
 *   decay there) is not reproduced: past that point both follow P(C).
 * - selective_le: C <= n_min, the authors' code; default C < n_min.
 * - correlated_rows: the authors' hashing: one 64-bit hash H, FP = H >> 48,
 *   row j's column = H mod (w - 2d + 2j + 3); default: a caller's hash, or
 *   an independent seeded hash per row.  The last row's modulus is w + 1,
 *   so rows then hold w + 1 buckets (one more than the memory split gave).
 * - s1_heap: Demeter S1's heap instead of HeavyKeeper's: a monitored key's
 *   value := n^ and it leaves at n^ = 0; a newcomer replaces a minimum
 *   when n_min <= n^ (reference sdh-and-demeter.md §2).
 * - wide: 32-bit fingerprints and counters (SDH's counter_bits: 32) where
 *   the paper has 16 + 16; counts stop at count_max (65535, or 2^32 - 2 as
 *   SDH's), and the own hashes take 32 fingerprint bits instead of 16.
 *
 * Decay draws: a 63-bit uniform u from splitmix64; decay iff
 * u < floor(P(C) * 2^63), and no draw at all when that is 0 (P < 2^-63).
 * A twin seeded with SDH's RNG state and given SDH's hash therefore makes
 * SDH's draws when the rules agree (tm_sdh_rng_state, tm_sdh_column).
 *
 * Kept obviously correct rather than fast: buckets as two plain arrays,
 * the heap as an unsorted array with a key -> slot table over a bounded key
 * space and its minimum cached with the number of entries holding it,
 * found again by a scan when the last of them rises or leaves; decay
 * probabilities computed once per count below HK_TWIN_NR_THR.  Which of
 * several minima a newcomer replaces is left open by the paper: the first
 * slot, or the caller's victim().  Header-only (static functions): tests
 * link one object file each.
 */
#ifndef TM_HK_TWIN_H
#define TM_HK_TWIN_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/alloc.h"

#define HK_TWIN_NONE UINT32_MAX
#define HK_TWIN_NR_THR 1024u   /* decay thresholds kept for C below this */

struct hk_twin_rules {
	bool integer_decay;
	bool selective_le;
	bool correlated_rows;
	bool s1_heap;
	bool wide;
};

struct hk_twin;

/* Where key lands in row: its column and fingerprint. */
typedef void hk_twin_hash_fn(void *ctx, uint64_t key, uint32_t row,
			     uint32_t *col, uint32_t *fp);
/* The slot a newcomer replaces, among those holding the minimum. */
typedef uint32_t hk_twin_victim_fn(void *ctx, const struct hk_twin *t);

struct hk_twin {
	uint32_t d, w, k;
	double b;
	struct hk_twin_rules r;
	uint32_t count_max;       /* 65535 for 16-bit counters */
	uint32_t stride;          /* buckets per row: w, or w + 1 (above) */
	uint32_t *fp;             /* d * stride, row-major */
	uint32_t *count;
	uint64_t rng;             /* splitmix64 state */
	uint64_t *thr;            /* hk_twin_threshold(t, C) for small C: pow()
				   * was a fifth of bench_sdh's grid time */
	uint64_t hash_seed;
	hk_twin_hash_fn *hash;    /* NULL: own hash */
	hk_twin_victim_fn *victim;   /* NULL: first slot at the minimum */
	void *ctx;
	/* heap */
	uint64_t *key, *val;      /* k slots, nr used */
	uint32_t nr;
	uint32_t *slot_of;        /* key -> slot, or HK_TWIN_NONE */
	uint64_t nr_keys;         /* keys are < nr_keys */
	uint64_t min;             /* the heap minimum when !min_stale */
	uint32_t nr_at_min;       /* entries holding it */
	bool min_stale;
	uint64_t nr_saturated;    /* increments refused at count_max */
};

static inline uint64_t hk_twin_splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* floor(P(C) * 2^63), P(C) by the rules (header); 2^63 for P = 1. */
static inline uint64_t hk_twin_threshold(const struct hk_twin *t,
					 uint32_t c)
{
	double p = t->r.integer_decay ? 1.0 / floor(pow(t->b, c))
				      : pow(t->b, -(double)c);
	double x = ldexp(p, 63);

	return x >= ldexp(1.0, 63) ? UINT64_C(1) << 63 : (uint64_t)x;
}

static inline void hk_twin_init(struct hk_twin *t, uint32_t d, uint32_t w,
				uint32_t k, uint64_t nr_keys,
				struct hk_twin_rules r, uint64_t seed)
{
	*t = (struct hk_twin){ .d = d, .w = w, .k = k, .b = 1.08, .r = r,
			       .count_max = r.wide ? 0xfffffffeu : 65535,
			       .nr_keys = nr_keys };
	t->stride = r.correlated_rows ? w + 1 : w;
	t->fp = tm_xcalloc((size_t)d * t->stride, sizeof(*t->fp));
	t->count = tm_xcalloc((size_t)d * t->stride, sizeof(*t->count));
	t->key = tm_xcalloc(k, sizeof(*t->key));
	t->val = tm_xcalloc(k, sizeof(*t->val));
	t->slot_of = tm_xmalloc(nr_keys * sizeof(*t->slot_of));
	for (uint64_t i = 0; i < nr_keys; i++)
		t->slot_of[i] = HK_TWIN_NONE;
	t->min = UINT64_MAX;   /* of an empty heap */
	t->thr = tm_xmalloc(HK_TWIN_NR_THR * sizeof(*t->thr));
	for (uint32_t c = 0; c < HK_TWIN_NR_THR; c++)
		t->thr[c] = hk_twin_threshold(t, c);
	t->hash_seed = hk_twin_splitmix(&seed);
	t->rng = hk_twin_splitmix(&seed);
}

static inline void hk_twin_free(struct hk_twin *t)
{
	free(t->fp);
	free(t->count);
	free(t->key);
	free(t->val);
	free(t->slot_of);
	free(t->thr);
}

static inline void hk_twin_locate(struct hk_twin *t, uint64_t key,
				  uint32_t row, uint32_t *col, uint32_t *fp)
{
	const unsigned fp_shift = t->r.wide ? 32 : 48;   /* top 32 or 16 bits */
	uint64_t h;

	if (t->r.correlated_rows) {
		uint64_t s = t->hash_seed ^ key;

		h = hk_twin_splitmix(&s);
		*fp = (uint32_t)(h >> fp_shift);
		*col = (uint32_t)(h % (t->w - 2 * t->d + 2 * row + 3));
		return;
	}
	if (t->hash) {
		t->hash(t->ctx, key, row, col, fp);
		return;
	}
	h = t->hash_seed ^ (key * 0x100000001b3u + row);
	h = hk_twin_splitmix(&h);
	*col = (uint32_t)(h % t->w);
	*fp = (uint32_t)(h >> fp_shift);
}

/* --- heap ----------------------------------------------------------------- */

static inline uint64_t hk_twin_min(struct hk_twin *t)
{
	if (t->min_stale) {
		t->min = UINT64_MAX;
		t->nr_at_min = 0;
		for (uint32_t i = 0; i < t->nr; i++) {
			if (t->val[i] < t->min)
				t->min = t->val[i], t->nr_at_min = 0;
			t->nr_at_min += t->val[i] == t->min;
		}
		t->min_stale = false;
	}
	return t->nr ? t->min : 0;
}

/* An entry's value goes from old to v (UINT64_MAX: absent).  The cached
 * minimum goes stale only when the last entry holding it rises or leaves;
 * a lower value simply becomes the minimum. */
static inline void hk_twin_note(struct hk_twin *t, uint64_t old, uint64_t v)
{
	if (t->min_stale || old == v)
		return;
	if (v < t->min)
		t->min = v, t->nr_at_min = 1;
	else if (v == t->min)
		t->nr_at_min++;
	if (old == t->min && --t->nr_at_min == 0)
		t->min_stale = true;
}

static inline void hk_twin_set(struct hk_twin *t, uint32_t slot, uint64_t v)
{
	hk_twin_note(t, t->val[slot], v);
	t->val[slot] = v;
}

static inline void hk_twin_remove(struct hk_twin *t, uint32_t slot)
{
	hk_twin_note(t, t->val[slot], UINT64_MAX);
	t->slot_of[t->key[slot]] = HK_TWIN_NONE;
	t->nr--;
	t->key[slot] = t->key[t->nr];
	t->val[slot] = t->val[t->nr];
	t->slot_of[t->key[slot]] = slot == t->nr ? HK_TWIN_NONE : slot;
}

static inline void hk_twin_insert(struct hk_twin *t, uint64_t key,
				  uint64_t v)
{
	t->key[t->nr] = key;
	t->val[t->nr] = v;
	t->slot_of[key] = t->nr++;
	hk_twin_note(t, UINT64_MAX, v);
}

static inline uint32_t hk_twin_first_min(const struct hk_twin *t,
					 uint64_t min)
{
	for (uint32_t i = 0; i < t->nr; i++)
		if (t->val[i] == min)
			return i;
	return HK_TWIN_NONE;
}

static inline void hk_twin_replace_min(struct hk_twin *t, uint64_t key,
				       uint64_t v)
{
	uint64_t min = hk_twin_min(t);
	uint32_t slot = t->victim ? t->victim(t->ctx, t)
				  : hk_twin_first_min(t, min);

	if (slot >= t->nr || t->val[slot] != min)
		abort();   /* a victim must hold the minimum */
	hk_twin_remove(t, slot);
	hk_twin_insert(t, key, v);
}

static inline bool hk_twin_get(const struct hk_twin *t, uint64_t key,
			       uint64_t *v)
{
	uint32_t slot = t->slot_of[key];

	if (slot == HK_TWIN_NONE)
		return false;
	*v = t->val[slot];
	return true;
}

/* --- one sample ----------------------------------------------------------- */

static inline bool hk_twin_decays(struct hk_twin *t, uint32_t c)
{
	uint64_t threshold = c < HK_TWIN_NR_THR ? t->thr[c]
						: hk_twin_threshold(t, c);

	if (threshold == 0)
		return false;   /* P < 2^-63: no draw */
	return (hk_twin_splitmix(&t->rng) >> 1) < threshold;
}

static inline void hk_twin_update(struct hk_twin *t, uint64_t key)
{
	uint32_t slot = t->slot_of[key];
	bool monitored = slot != HK_TWIN_NONE, full = t->nr == t->k;
	uint64_t nmin = hk_twin_min(t), est = 0;

	for (uint32_t row = 0; row < t->d; row++) {
		uint32_t col, f;
		size_t i;

		hk_twin_locate(t, key, row, &col, &f);
		i = (size_t)row * t->stride + col;
		if (t->count[i] == 0) {
			t->fp[i] = f;
			t->count[i] = 1;
		} else if (t->fp[i] == f) {
			bool may = monitored || !full ||
				   (t->r.selective_le ? t->count[i] <= nmin
						      : t->count[i] < nmin);

			if (may && t->count[i] == t->count_max)
				t->nr_saturated++;
			else if (may)
				t->count[i]++;
		} else if (hk_twin_decays(t, t->count[i])) {
			if (--t->count[i] == 0) {
				t->fp[i] = f;
				t->count[i] = 1;
			}
		}
		if (t->count[i] > 0 && t->fp[i] == f && t->count[i] > est)
			est = t->count[i];
	}
	if (monitored && t->r.s1_heap) {
		if (est == 0)
			hk_twin_remove(t, slot);
		else
			hk_twin_set(t, slot, est);
	} else if (monitored) {
		if (est > t->val[slot])
			hk_twin_set(t, slot, est);
	} else if (est > 0 && !full) {
		hk_twin_insert(t, key, est);
	} else if (est > 0 && (t->r.s1_heap ? nmin <= est : est == nmin + 1)) {
		hk_twin_replace_min(t, key, est);
	}
}

#endif
