/*
 * sdh.c - the Streaming Decaying Histogram identifier (DESIGN.md §6.2).
 *
 * Rules, after reference sdh-and-demeter.md §2 (S1 = the 2023 sdh.c,
 * S2/S3 = the 2024 placement/sds code, HK = HeavyKeeper, identifiers.md §1):
 *
 * Layout (S2/S3).  d rows x w buckets of {u16 fingerprint, u16 counter},
 * 4 bytes each.  Row i has its own seeded 64-bit hash (standing for S3's
 * xxh64(key, 0x25BBE08F + i)): h_i = a_i * mix(key) mod 2^64, mix the
 * 64-bit MurmurHash3 finaliser (a bijection) and a_i a random odd
 * multiplier drawn from the seed, i.e. Dietzfelbinger's multiply-shift
 * family over mixed keys, independent across rows because the a_i are.
 * One mix per sample, shared with the heap index, and one multiply per
 * row, where a seeded mix per row took ~25 more instructions per sample
 * (bench_sdh, callgrind).  The column comes from the high 32 bits of h_i,
 * col = (h_i >> 32) * w >> 32, and the fingerprint is bits 16..31 of the
 * same h_i (disjoint from the column's), so it differs per row as in
 * S2/S3.  (S1 instead used one fingerprint hash for every row.)  S3 takes
 * col = h_i mod w and the low 16 bits as fingerprint, which for w = 8192
 * reuses 13 of the 16 fingerprint bits; the variant s3_column in
 * sdh_internal.h reproduces that, with h_i = mix(a_i * mix(key)) so that
 * each row's low bits are its own as with S3's per-row xxh64.
 *
 * Update, per row (S3; HK Alg. 1):
 *   counter 0 (empty)      -> take the bucket: fp := F, C := delta
 *   fingerprint matches    -> C := min(C + delta, 65535)   (S3 saturation;
 *                             S2 saturated at 32767)
 *   otherwise              -> with probability b^-C, C := C - 1; at 0 the
 *                             key takes the bucket with C := delta
 * delta = the sample's weight (the engine passes this identifier's own
 * load_weight or store_weight when `weighted`, else 1; a weight of 0 makes
 * the sample a no-op).  S3 and HK take a bucket over with
 * count 1; with weighted off this is the same.  One decay trial per sample
 * whatever its weight (S3; RedisBloom decays per unit of weight).
 *
 * Decay probability: `paper` uses b^-C exactly; `integer` uses
 * 1/floor(b^C), the table of S3 sds.c, whose entries are 1 for C <= 9 and 2
 * for C = 10..14 (the reference text says "round", but the table values are
 * floors, and "certain for c < 10" only holds for floor).  Both are
 * precomputed as 63-bit thresholds: decay iff (rand64 >> 1) < t[C], so a
 * probability of 1 is exact and the table ends where t underflows to 0
 * (C = 567 for b = 1.08); past it there is no decay.
 *
 * Selective increment (HK Opt. II; S1 guard): a matching bucket is
 * incremented only if the key is in the heap, the heap is not full, or
 * C <= heap min (S1 and HK's code use <=, the HK paper <).  One-heap mode
 * only: S2/S3 have no such guard.
 *
 * Cooling (blog only): decay with probability b^-(C - m), m = the heap
 * minimum (one-heap) or the FMEM heap's coldest count (two-heap,
 * assumption), probability 1 when C <= m.
 *
 * Estimate: {min, max} over {matching rows (0 if none), all rows}.  S1 and
 * the S3 read path: max over matching rows; S2/S3 insert path: max over all
 * rows; the blog: min.  After each update the configured estimate feeds the
 * heap(s).
 *
 * One heap (S1): a min-heap of K entries.  A present key's value is set to
 * the new estimate (removed at 0); an absent key is pushed if the heap has
 * room and the estimate > 0, else it replaces the minimum when
 * min <= estimate.  The heap orders by value alone, as a heap of counts
 * does: among several entries at the minimum the one replaced is the one
 * on top, usually the last newcomer, and a newcomer at the minimum stays
 * on top in O(1).  (Ordering ties by key made each such newcomer sift to
 * the bottom: 23% of samples at K = 10485 over 1M pages, bench_sdh.)
 * HK keeps max(estimate, old) and admits a newcomer to a full heap only at
 * min + 1 (variant hk_heap).
 *
 * Two heaps (S2/S3): each sample goes to the heap of its page's tier.  The
 * FMEM heap is a min-heap (coldest FMEM page on top, the demotion
 * candidate), the SMEM heap a max-heap (hottest SMEM page on top).  A
 * present SMEM entry is removed at estimate 0; a present FMEM entry at 0 is
 * kept with value 0 as the ideal victim (the S3 code comment's intent; its
 * code leaves the stale value).  rank() exchanges tops while both heaps
 * hold at least min_entries (S3 stops below 512) and FMEM-top < SMEM-top, at
 * most max_requests pairs; each page carries its own count into the other
 * heap.  (Read literally, S3 core.c pushes each page with the *other* page's
 * count, which looks like a slip; we follow the stated rule.)  The
 * power-of-two guard stops when floor(log2 smem) <= floor(log2 fmem): later
 * pairs only have smaller SMEM and larger FMEM counts, so skipping the pair
 * means stopping.  rank() hands out pairs only when asked (r->promote set):
 * the engine asks only when it will plan with them (sim/engine/vm.c rank_ident).
 *
 * Notes (simplifications and assumptions):
 * - Heaps have a fixed capacity K each (S2: 10% of DRAM pages; S3's grow).
 *   A newcomer to a full two-heap heap is compared with the less worthy of
 *   two random leaves (SMEM: colder, FMEM: hotter) and replaces it if it is
 *   more worthy (assumption: an O(1) stand-in for evicting the heap's
 *   opposite end, which a binary heap cannot find cheaply).
 * - A sample whose page appears in the other tier's heap first moves out of
 *   it (the engine's tier is the truth); moved() does the same eagerly.
 *   Samples with tier NONE update the sketch only.
 * - Heap values are the estimate at the page's last sample; pages that stop
 *   being sampled keep stale values (the reason SDH was dropped, ref. §2).
 * - epoch_end() does nothing: SDH forgets through decay, and window_decay
 *   (an exact-identifier setting) is ignored.
 * - The decay RNG is splitmix64 seeded from params->seed (one 64-bit state
 *   per identifier, cheap per draw), not GSL.
 */
#include "sdh.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "sdh_internal.h"
#include "topk.h"
#include "topk_internal.h"
#include "lib/hash.h"

#define SDH_COUNT_MAX 65535u     /* S3: u16 counter saturates here */
#define SDH_DECAY_TABLE_MAX 65536u
#define NO_LIMIT UINT32_MAX

/* Estimator = {max, min} x {matching rows, all rows}; the mode is fixed
 * at new() so the row loops are compiled once per mode. */
enum est_mode { EST_MAX_MATCH, EST_MIN_MATCH, EST_MAX_ALL, EST_MIN_ALL };

struct tm_sdh {
	/* hot path first */
	struct tm_sdh_bucket *bkt;   /* depth * width, row-major */
	uint32_t depth, width;
	uint64_t rng;                /* splitmix64 state */
	uint64_t *decay_t;           /* 63-bit thresholds, nr_decay_t entries */
	uint32_t nr_decay_t;
	uint32_t nr_t;               /* nr_decay_t, or 0 with decay off */
	bool takeover;               /* false only for the planted fault */
	bool fast;                   /* defaults: see update_one_heap_x */
	bool decay, selective, cooling, two_heap;
	enum est_mode est_mode;
	struct tm_sdh_variant var;   /* one byte: memory_bytes stays put */
	uint64_t row_mul[TM_SDH_MAX_DEPTH];  /* a_i, odd */
	/* heaps: heap (one-heap mode) or fheap + sheap */
	struct tm_topk *heap, *fheap, *sheap;
	uint32_t k;
	uint32_t min_entries, max_requests;
	bool pow2_guard;
	struct tm_topk_entry *sortbuf;  /* 2K entries, rank() scratch */
};

/* --- decay table ---------------------------------------------------------- */

/* t[c] = P(decay at c) * 2^63; stops at the first zero.  Returns length. */
static uint32_t build_decay_table(uint64_t *t, double b,
				  enum tm_decay_rounding rounding)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < SDH_DECAY_TABLE_MAX; c++) {
		double p = rounding == TM_DECAY_INTEGER ? 1.0 / floor(pow(b, c))
							: pow(b, -(double)c);
		double x = ldexp(p, 63);
		uint64_t v = x >= ldexp(1.0, 63) ? UINT64_C(1) << 63
						 : (uint64_t)x;

		if (v == 0)
			break;
		t[n++] = v;
	}
	return n;
}

/* --- sketch --------------------------------------------------------------- */

static inline uint32_t est_init(enum est_mode m)
{
	return m == EST_MAX_MATCH || m == EST_MAX_ALL ? 0 : UINT32_MAX;
}

/* Fold one row's count (after its update) into the estimate; match: the
 * bucket is non-empty and holds the key's fingerprint. */
static inline uint32_t est_fold(enum est_mode m, uint32_t acc, uint32_t c,
				bool match)
{
	switch (m) {
	case EST_MAX_MATCH:
		c = match ? c : 0;
		return c > acc ? c : acc;
	case EST_MIN_MATCH:
		c = match ? c : UINT32_MAX;
		return c < acc ? c : acc;
	case EST_MAX_ALL:
		return c > acc ? c : acc;
	default:
		return c < acc ? c : acc;
	}
}

/* No matching row leaves min-over-matching at its start value: 0. */
static inline uint32_t est_final(enum est_mode m, uint32_t acc)
{
	return m == EST_MIN_MATCH && acc == UINT32_MAX ? 0 : acc;
}

/* Where a key lands in each row.  Computing every row's bucket before
 * touching any lets the d loads overlap instead of waiting behind the
 * branches of the previous row (bench_sdh: 18.4 -> 20.1 M updates/s). */
struct sketch_loc {
	struct tm_sdh_bucket *b[TM_SDH_MAX_DEPTH];
	uint16_t fp[TM_SDH_MAX_DEPTH];
};

static inline __attribute__((always_inline)) void
locate_rows(const struct tm_sdh *s, uint64_t key, struct sketch_loc *l,
	    uint32_t d)
{
	const uint64_t w = s->width, m = tm_fmix64(key);
	struct tm_sdh_bucket *row = s->bkt;

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++, row += w) {
		uint64_t h = m * s->row_mul[i];

		/* multiply-shift range reduction: no division on the hot path */
		l->b[i] = row + (((h >> 32) * w) >> 32);
		l->fp[i] = (uint16_t)(h >> 16);
		__builtin_prefetch(l->b[i], 1);
	}
}

static inline __attribute__((always_inline)) void
sketch_locate(const struct tm_sdh *s, uint64_t key, struct sketch_loc *l)
{
	const uint32_t d = s->depth;

	if (s->var.s3_column) {
		struct tm_sdh_bucket *row = s->bkt;
		const uint64_t m = tm_fmix64(key);

		/* mixed again: S3 hashes each row with its own xxh64, and the
		 * low bits of a bare product would repeat across rows */
		for (uint32_t i = 0; i < d; i++, row += s->width) {
			uint64_t h = tm_fmix64(m * s->row_mul[i]);

			l->b[i] = row + h % s->width;
			l->fp[i] = (uint16_t)h;
		}
		return;
	}
	if (d == 4)   /* the default depth, unrolled */
		locate_rows(s, key, l, 4);
	else
		locate_rows(s, key, l, d);
}

/* What the row loop needs, read once per sample into locals: the bucket
 * stores would otherwise make the compiler reload it every row. */
struct row_ctx {
	uint32_t delta;       /* increment, and the count of a taken bucket */
	uint32_t inc_limit;   /* selective increment: only if C <= this */
	uint32_t cool;        /* cooling: decay exponent is C - cool */
	uint32_t nr_t;        /* decay table length; 0 when decay is off */
	const uint64_t *t;    /* decay thresholds */
	bool takeover;        /* false only for the planted fault */
};

/* One row of one sample (rules in the file header); returns the count
 * and, in *match, whether the bucket now holds the key's fingerprint. */
static inline __attribute__((always_inline)) uint32_t
row_update(const struct row_ctx *x, struct tm_sdh_bucket *b, uint32_t fp,
	   uint64_t *rng, bool *match)
{
	uint32_t c = b->count, e;

	if (c == 0) {                       /* empty: take it */
		b->fp = (uint16_t)fp;
		b->count = (uint16_t)x->delta;
		*match = true;
		return x->delta;
	}
	if (b->fp == fp) {                  /* match: increment */
		if (c <= x->inc_limit) {
			c = c + x->delta > SDH_COUNT_MAX ? SDH_COUNT_MAX
							 : c + x->delta;
			b->count = (uint16_t)c;
		}
		*match = true;
		return c;
	}
	*match = false;                     /* mismatch: decay, b^-C */
	e = c > x->cool ? c - x->cool : 0;
	if (e < x->nr_t) {
		/* the trial's outcome, and whether it empties the bucket (then
		 * the key takes it over), are coin flips: combined as 0/1 values
		 * and masks, not branches (~1 mispredicted branch per sample
		 * fewer, callgrind; replay ~7% faster) */
		uint32_t dec = (tm_splitmix64(rng) >> 1) < x->t[e];
		uint32_t one = c == 1;      /* a decay would empty it */
		uint32_t take = dec & one & x->takeover;
		uint32_t m = 0u - take;     /* all ones when taking over */

		/* C - 1 above 1; at 1 without takeover (the planted fault) C
		 * stays */
		c = (x->delta & m) | ((c - (dec & (one ^ 1))) & ~m);
		b->fp = (uint16_t)((fp & m) | (b->fp & ~m));
		b->count = (uint16_t)c;
		*match = take;
	}
	return c;
}

/* The rows of one sample, d a constant where the default depth is
 * instantiated (unrolled: bench_sdh, callgrind -18% instructions). */
static inline __attribute__((always_inline)) uint32_t
apply_rows(struct tm_sdh *s, const struct sketch_loc *l,
	   const struct row_ctx *x, enum est_mode m, uint32_t d)
{
	uint64_t rng = s->rng;
	uint32_t est = est_init(m);

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++) {
		bool match;
		uint32_t c = row_update(x, l->b[i], l->fp[i], &rng, &match);

		est = est_fold(m, est, c, match);
	}
	s->rng = rng;
	return est_final(m, est);
}

static inline __attribute__((always_inline)) uint32_t
apply_mode(struct tm_sdh *s, const struct sketch_loc *l,
	   const struct row_ctx *x, enum est_mode m)
{
	if (s->depth == 4)
		return apply_rows(s, l, x, m, 4);
	return apply_rows(s, l, x, m, s->depth);
}

/* Update every located row; returns the configured estimate afterwards.
 * d = 0: the depth is read at run time. */
static inline __attribute__((always_inline)) uint32_t
sketch_apply_m(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	       uint32_t inc_limit, uint32_t cool, enum est_mode m, uint32_t d)
{
	const struct row_ctx x = {
		.delta = delta,
		.inc_limit = inc_limit,
		.cool = cool,
		.nr_t = s->nr_t,
		.t = s->decay_t,
		.takeover = s->takeover,
	};

	return d ? apply_rows(s, l, &x, m, d) : apply_mode(s, l, &x, m);
}

static uint32_t sketch_apply(struct tm_sdh *s, const struct sketch_loc *l,
			     uint32_t delta, uint32_t inc_limit, uint32_t cool)
{
	switch (s->est_mode) {
	case EST_MAX_MATCH:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MAX_MATCH,
				      0);
	case EST_MIN_MATCH:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MIN_MATCH,
				      0);
	case EST_MAX_ALL:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MAX_ALL,
				      0);
	default:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MIN_ALL,
				      0);
	}
}

/* The configured estimate of located rows, read only. */
static inline __attribute__((always_inline)) uint32_t
fold_rows(const struct sketch_loc *l, enum est_mode m, uint32_t d)
{
	uint32_t est = est_init(m);

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++)
		est = est_fold(m, est, l->b[i]->count,
			       l->b[i]->count > 0 && l->b[i]->fp == l->fp[i]);
	return est_final(m, est);
}

static uint32_t sketch_query(const struct tm_sdh *s, uint64_t key)
{
	struct sketch_loc l;

	if (s->fast) {   /* the defaults, unrolled as in update_one_heap_x */
		locate_rows(s, key, &l, 4);
		return fold_rows(&l, EST_MAX_MATCH, 4);
	}
	sketch_locate(s, key, &l);
	return fold_rows(&l, s->est_mode, s->depth);
}

/* --- heaps ---------------------------------------------------------------- */

/* S1 heap rule (HK's with hk_heap).  slot: key's slot before the update.
 * Inlined by force: as a call it cost ~15 more instructions per update
 * (bench_sdh's loop under callgrind, d = 4, w = 8192, K = 1000). */
static inline __attribute__((always_inline)) void one_heap_feed(struct tm_sdh *s, uint64_t key,
				 uint32_t slot, uint64_t est)
{
	struct tm_topk *h = s->heap;
	uint64_t min;

	if (slot != TM_TOPK_NONE) {
		uint64_t old = tm_topk_value_at(h, slot);

		/* HK: max(n^, old), kept at n^ = 0 */
		if (s->var.hk_heap && (est > 0 || !s->var.fault_drop_at_zero))
			tm_topk_set_at(h, slot, old > est ? old : est);
		else if (est == 0)
			tm_topk_remove_at(h, slot);
		else    /* est == old too: no test to mispredict */
			tm_topk_set_at(h, slot, est);
		return;
	}
	if (est == 0)
		return;
	if (h->nr < h->cap) {
		tm_topk_push(h, key, est);
		return;
	}
	min = tm_topk_top_value(h);
	if (s->var.hk_heap && !s->var.fault_admit_any ? est == min + 1
						       : min <= est)
		tm_topk_replace_top(h, key, est);
}

static inline bool worthier(const struct tm_topk *h, uint64_t a, uint64_t b)
{
	return tm_topk_order(h) == TM_TOPK_MAX ? a > b : a < b;
}

/* Insert into a two-heap heap; when full, challenge the less worthy of two
 * random leaves (see Notes). */
static void admit(struct tm_sdh *s, struct tm_topk *h, uint64_t key,
		  uint64_t value)
{
	uint32_t n = h->nr, first, span, l1, l2, victim;
	struct tm_topk_entry e1, e2;
	bool e1_better;

	if (tm_topk_push(h, key, value))
		return;
	first = n / 2;
	span = n - first;
	/* multiply-shift range reduction: no division per admission */
	l1 = first + (uint32_t)(((tm_splitmix64(&s->rng) >> 32) * span) >> 32);
	l2 = first + (uint32_t)(((tm_splitmix64(&s->rng) >> 32) * span) >> 32);
	e1 = (struct tm_topk_entry){ h->e[l1].key, h->e[l1].value };
	e2 = (struct tm_topk_entry){ h->e[l2].key, h->e[l2].value };
	e1_better = h->order == TM_TOPK_MAX ? tm_topk_hotter(&e1, &e2)
					    : tm_topk_hotter(&e2, &e1);
	victim = e1_better ? l2 : l1;
	if (!worthier(h, value, h->e[victim].value))
		return;
	tm_topk_remove_at(h, victim);
	tm_topk_push(h, key, value);
}

static struct tm_topk *heap_of(struct tm_sdh *s, enum tm_tier tier)
{
	return tier == TM_TIER_FMEM ? s->fheap : s->sheap;
}

static void two_heap_feed(struct tm_sdh *s, enum tm_tier tier, uint64_t key,
			  uint32_t slot, uint64_t est)
{
	struct tm_topk *h = heap_of(s, tier);

	if (slot == TM_TOPK_NONE) {
		if (est > 0)
			admit(s, h, key, est);
	} else if (est > 0 || tier == TM_TIER_FMEM) {
		tm_topk_set_at(h, slot, est);
	} else {
		tm_topk_remove_at(h, slot);
	}
}

/* --- operations ----------------------------------------------------------- */

/* One sample, one-heap mode.  fast: the configuration defaults (d = 4,
 * max over matching rows, no cooling, multiply-shift columns) with every
 * bound a constant, so the row loops unroll and the located buckets stay
 * in registers (bench_sdh: 24.5 -> 31 M updates/s with the shared key mix);
 * otherwise any configuration, the estimator chosen by a switch (an
 * instance per estimator made a 20 KB function that ran slower). */
static inline __attribute__((always_inline)) void
update_one_heap_x(struct tm_sdh *s, uint64_t page, uint32_t delta, bool fast)
{
	struct tm_topk *h = s->heap;
	uint64_t hh = tm_topk_hash(page);   /* once, for prefetch and find */
	struct sketch_loc l;
	uint32_t slot, inc_limit = NO_LIMIT, cool = 0, est;

	/* prefetched before hashing the rows: +20% at K = 83886, bench_sdh */
	tm_topk_prefetch_hash(h, hh);
	if (fast)
		locate_rows(s, page, &l, 4);
	else
		sketch_locate(s, page, &l);
	slot = tm_topk_find_hash(h, page, hh);
	if (s->selective && slot == TM_TOPK_NONE && h->nr == h->cap) {
		inc_limit = (uint32_t)tm_topk_top_value(h);
		/* the paper's C < n_min: C <= n_min - 1, never at n_min = 0 */
		if (!fast && s->var.selective_strict)
			inc_limit = inc_limit ? inc_limit - 1 : 0;
	}
	if (!fast && s->cooling)
		cool = (uint32_t)tm_topk_top_value(h);
	if (fast)
		est = sketch_apply_m(s, &l, delta, inc_limit, 0, EST_MAX_MATCH,
				     4);
	else
		est = sketch_apply(s, &l, delta, inc_limit, cool);
	one_heap_feed(s, page, slot, est);
}

static void update_one_heap_fast(struct tm_sdh *s, uint64_t page,
				 uint32_t delta)
{
	update_one_heap_x(s, page, delta, true);
}

static void update_one_heap(struct tm_sdh *s, uint64_t page, uint32_t delta)
{
	update_one_heap_x(s, page, delta, false);
}

/* One sample, two-heap mode; fast as in update_one_heap_x. */
static inline __attribute__((always_inline)) void
update_two_heap_x(struct tm_sdh *s, uint64_t page, uint32_t delta,
		  enum tm_tier tier, bool fast)
{
	uint32_t cool = !fast && s->cooling ?
			(uint32_t)tm_topk_top_value(s->fheap) : 0;
	uint64_t hh = tm_topk_hash(page);   /* once, for prefetch and finds */
	struct tm_topk *h = heap_of(s, tier), *o;
	struct sketch_loc l;
	uint32_t slot, est;

	if (tier != TM_TIER_NONE)
		tm_topk_prefetch_hash(h, hh);
	if (fast)
		locate_rows(s, page, &l, 4);
	else
		sketch_locate(s, page, &l);
	if (tier == TM_TIER_NONE) {
		sketch_apply(s, &l, delta, NO_LIMIT, cool);
		return;
	}
	o = h == s->fheap ? s->sheap : s->fheap;
	slot = tm_topk_find_hash(h, page, hh);
	if (slot == TM_TOPK_NONE) {
		uint32_t os = tm_topk_find_hash(o, page, hh);

		if (os != TM_TOPK_NONE)
			tm_topk_remove_at(o, os);
	}
	if (fast)
		est = sketch_apply_m(s, &l, delta, NO_LIMIT, 0, EST_MAX_MATCH,
				     4);
	else
		est = sketch_apply(s, &l, delta, NO_LIMIT, cool);
	two_heap_feed(s, tier, page, slot, est);
}

static void update_two_heap_fast(struct tm_sdh *s, uint64_t page,
				 uint32_t delta, enum tm_tier tier)
{
	update_two_heap_x(s, page, delta, tier, true);
}

static void update_two_heap(struct tm_sdh *s, uint64_t page, uint32_t delta,
			    enum tm_tier tier)
{
	update_two_heap_x(s, page, delta, tier, false);
}

static void sdh_update(void *st, struct tm_sample smp)
{
	struct tm_sdh *s = st;
	uint64_t page = smp.idx;   /* keyed by dense index (identifier.h) */
	enum tm_tier tier = (enum tm_tier)smp.tier;
	uint32_t delta = smp.weight;

	if (delta == 0)
		return;   /* weight 0 (store_weight: 0) does not count */
	delta = delta > SDH_COUNT_MAX ? SDH_COUNT_MAX : delta;
	if (s->two_heap && s->fast)
		update_two_heap_fast(s, page, delta, tier);
	else if (s->two_heap)
		update_two_heap(s, page, delta, tier);
	else if (s->fast)
		update_one_heap_fast(s, page, delta);
	else
		update_one_heap(s, page, delta);
}

static inline int ilog2_or_neg(uint64_t v)
{
	return v == 0 ? -1 : 63 - __builtin_clzll(v);
}

/* S3 exchange rule (file header).  Returns the number of pairs. */
static size_t exchange(struct tm_sdh *s, struct tm_rank *r)
{
	size_t n = 0, limit = r->cap < s->max_requests ? r->cap : s->max_requests;
	struct tm_topk_entry f, m;

	if (!r->promote || !r->demote)
		return 0;
	while (n < limit && tm_topk_size(s->fheap) >= s->min_entries &&
	       tm_topk_size(s->sheap) >= s->min_entries &&
	       tm_topk_top(s->fheap, &f) && tm_topk_top(s->sheap, &m)) {
		if (f.value >= m.value)
			break;
		if (s->pow2_guard && ilog2_or_neg(m.value) <= ilog2_or_neg(f.value))
			break;
		tm_topk_pop(s->fheap, &f);
		tm_topk_pop(s->sheap, &m);
		r->promote[n] = m.key;
		r->demote[n] = f.key;
		n++;
		tm_topk_push(s->fheap, m.key, m.value);  /* room: just popped */
		if (f.value > 0)
			tm_topk_push(s->sheap, f.key, f.value);
	}
	return n;
}

/* r->hot: tracked pages with a count > 0, hottest first, at most r->cap. */
static void fill_hot(struct tm_sdh *s, struct tm_rank *r)
{
	size_t n = 0;

	if (s->two_heap) {
		n = tm_topk_copy(s->fheap, s->sortbuf);
		n += tm_topk_copy(s->sheap, s->sortbuf + n);
	} else {
		n = tm_topk_copy(s->heap, s->sortbuf);
	}
	tm_topk_sort_hottest(s->sortbuf, n);
	r->nr_hot = 0;
	for (size_t i = 0; i < n && r->nr_hot < r->cap; i++) {
		if (s->sortbuf[i].value == 0)
			break;
		r->hot[r->nr_hot++] = s->sortbuf[i].key;
	}
}

static void sdh_rank(void *st, struct tm_rank *r)
{
	struct tm_sdh *s = st;

	/* O(K) per epoch, not per sample */
	assert(s->two_heap ? tm_topk_check(s->fheap) && tm_topk_check(s->sheap)
			   : tm_topk_check(s->heap));
	r->nr_pairs = s->two_heap ? exchange(s, r) : 0;
	if (r->hot)
		fill_hot(s, r);
	else
		r->nr_hot = 0;
}

static void sdh_epoch_end(void *st)
{
	(void)st;   /* streaming: decay is the forgetting (file header) */
}

static uint64_t sdh_estimate(const void *st, uint32_t idx, uint64_t page)
{
	(void)page;
	return sketch_query(st, idx);
}

static void sdh_moved(void *st, uint32_t idx, uint64_t pg, enum tm_tier tier)
{
	uint64_t page = idx;   /* keyed by dense index */
	struct tm_sdh *s = st;
	struct tm_topk *h, *o;
	uint32_t os;
	uint64_t v;

	(void)pg;

	if (!s->two_heap || tier == TM_TIER_NONE)
		return;
	h = heap_of(s, tier);
	o = h == s->fheap ? s->sheap : s->fheap;
	os = tm_topk_find(o, page);
	if (os == TM_TOPK_NONE)
		return;
	v = tm_topk_at(o, os).value;
	tm_topk_remove_at(o, os);
	if (v > 0 || tier == TM_TIER_FMEM)
		admit(s, h, page, v);
}

static size_t sdh_memory_bytes(const void *st)
{
	const struct tm_sdh *s = st;
	size_t sz = sizeof(*s) +
		    (size_t)s->depth * s->width * sizeof(*s->bkt) +
		    (size_t)s->nr_decay_t * sizeof(*s->decay_t) +
		    (size_t)s->k * (s->two_heap ? 2 : 1) * sizeof(*s->sortbuf);

	if (s->heap)
		sz += tm_topk_memory_bytes(s->heap);
	if (s->fheap)
		sz += tm_topk_memory_bytes(s->fheap) +
		      tm_topk_memory_bytes(s->sheap);
	return sz;
}

static void sdh_free(void *st)
{
	struct tm_sdh *s = st;

	if (!s)
		return;
	free(s->bkt);
	free(s->decay_t);
	free(s->sortbuf);
	tm_topk_free(s->heap);
	tm_topk_free(s->fheap);
	tm_topk_free(s->sheap);
	free(s);
}

static void set_fast(struct tm_sdh *s)
{
	s->fast = s->depth == 4 && s->est_mode == EST_MAX_MATCH && !s->cooling &&
		  !s->var.s3_column && !s->var.selective_strict;
}

static uint32_t heap_k(const struct tm_ident_params *p)
{
	const struct tm_sdh_config *c = p->own;
	uint64_t k = c->nr_topk ? c->nr_topk : p->nr_fmem_pages / 10;

	if (k < 1)
		k = 1;   /* DESIGN.md §6.2: K = 10% of FMEM pages, at least 1 */
	return k > TM_TOPK_MAX_CAP ? TM_TOPK_MAX_CAP : (uint32_t)k;
}

static void copy_config(struct tm_sdh *s, const struct tm_sdh_config *c)
{
	s->depth = c->depth;
	s->width = c->width;
	s->decay = c->decay;
	s->selective = c->selective_increment && !c->two_heap;
	s->cooling = c->cooling;
	s->two_heap = c->two_heap;
	s->est_mode = c->estimator_rows == TM_EST_ALL ?
		      (c->estimator == TM_EST_MIN ? EST_MIN_ALL : EST_MAX_ALL) :
		      (c->estimator == TM_EST_MIN ? EST_MIN_MATCH : EST_MAX_MATCH);
	s->min_entries = c->min_entries;
	s->max_requests = c->max_requests;
	s->pow2_guard = c->pow2_guard;
}

static void *sdh_new(const struct tm_ident_params *p)
{
	const struct tm_sdh_config *c = p->own;
	struct tm_sdh *s;
	uint64_t seed = p->seed;

	assert(c->depth >= 1 && c->depth <= TM_SDH_MAX_DEPTH);
	assert(c->width >= 1 && c->decay_base > 1.0);
	s = tm_xcalloc(1, sizeof(*s));
	copy_config(s, c);
	s->bkt = tm_xcalloc((size_t)s->depth * s->width, sizeof(*s->bkt));
	for (uint32_t i = 0; i < s->depth; i++)
		s->row_mul[i] = tm_splitmix64(&seed) | 1;
	s->rng = tm_splitmix64(&seed);
	s->decay_t = tm_xmalloc(SDH_DECAY_TABLE_MAX * sizeof(*s->decay_t));
	s->nr_decay_t = build_decay_table(s->decay_t, c->decay_base,
					  c->decay_rounding);
	s->decay_t = tm_xrealloc(s->decay_t, (size_t)s->nr_decay_t *
				 sizeof(*s->decay_t));
	s->nr_t = s->decay ? s->nr_decay_t : 0;
	s->takeover = true;
	set_fast(s);
	s->k = heap_k(p);
	if (s->two_heap) {
		s->fheap = tm_topk_new(s->k, TM_TOPK_MIN);
		s->sheap = tm_topk_new(s->k, TM_TOPK_MAX);
	} else {
		s->heap = tm_topk_new(s->k, TM_TOPK_MIN);
		/* S1 replaces "the minimum": any of equal ones (topk.h) */
		tm_topk_set_ties(s->heap, TM_TOPK_TIES_ANY);
	}
	s->sortbuf = tm_xmalloc((size_t)s->k * (s->two_heap ? 2 : 1) *
				sizeof(*s->sortbuf));
	return s;
}

typedef struct tm_sdh_config SDH;

/* The schema of kind sdh (DESIGN.md §6.2; defaults: Demeter §2, reference
 * sdh-and-demeter.md: d = 4, w = 8192, b = 1.08, min 512, 16384 requests). */
static const struct tm_cfg_key sdh_keys[] = {
	TM_CFG_KEY("depth", TM_CFG_U64, 1, 16, "4", NULL, 0,
		   TM_CFG_F_U32, SDH, depth, "rows d of the sketch"),
	TM_CFG_KEY("width", TM_CFG_U64, 16, 1 << 24, "8192", NULL, 0,
		   TM_CFG_F_U32, SDH, width, "buckets w per row"),
	TM_CFG_KEY("base", TM_CFG_DOUBLE, 1, 16, "1.08", NULL, TM_CFG_MIN_EXCL,
		   TM_CFG_F_DBL, SDH, decay_base,
		   "decay base b: a mismatch decays with probability b^-C"),
	TM_CFG_KEY("decay", TM_CFG_BOOL, 0, 0, "true", NULL, 0, TM_CFG_F_BOOL,
		   SDH, decay, "decay mismatching buckets (off: no takeover)"),
	TM_CFG_KEY("decay_rounding", TM_CFG_ENUM, 0, 0, "paper",
		   "paper|integer", 0, TM_CFG_F_INT, SDH, decay_rounding,
		   "b^-C exactly (paper) or 1/floor(b^C) (the authors' code)"),
	TM_CFG_KEY("estimator", TM_CFG_ENUM, 0, 0, "max", "max|min", 0,
		   TM_CFG_F_INT, SDH, estimator, "estimate: max or min of rows"),
	TM_CFG_KEY("estimator_rows", TM_CFG_ENUM, 0, 0, "matching",
		   "matching|all", 0, TM_CFG_F_INT, SDH, estimator_rows,
		   "rows the estimate reads: matching fingerprints or all"),
	TM_CFG_KEY("selective_increment", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, selective_increment,
		   "HeavyKeeper's guard: increment only heap keys or C <= min"),
	TM_CFG_KEY("topk", TM_CFG_U64, 0, 1 << 24, "0", NULL, 0, TM_CFG_F_U64,
		   SDH, nr_topk, "heap capacity K; 0: 10% of the VM's FMEM pages"),
	TM_CFG_KEY("two_heap", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, two_heap,
		   "coldest-FMEM and hottest-SMEM heaps, exchange pairs (S3)"),
	TM_CFG_KEY("min_entries", TM_CFG_U64, 0, 1 << 24, "512", NULL, 0,
		   TM_CFG_F_U32, SDH, min_entries,
		   "two-heap: pairs only while both heaps hold this many"),
	TM_CFG_KEY("max_requests", TM_CFG_U64, 1, 1 << 24, "16384", NULL, 0,
		   TM_CFG_F_U32, SDH, max_requests,
		   "two-heap: at most this many pairs per epoch"),
	TM_CFG_KEY("cooling", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, cooling,
		   "decay with probability b^-(C - heap minimum) (blog)"),
	TM_CFG_KEY("pow2_guard", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, pow2_guard,
		   "exchange only pairs a power of two apart (thrashing guard)"),
};

const struct tm_identifier_ops tm_sdh_ops = {
	.kind = {
		.name = "sdh",
		.help = "Streaming Decaying Histogram: HeavyKeeper-style sketch "
			"with a top-K heap (Demeter)",
		.keys = sdh_keys,
		.nr_keys = sizeof(sdh_keys) / sizeof(sdh_keys[0]),
		.config_size = sizeof(struct tm_sdh_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_PAIRS | TM_IDENT_TIER |
			 TM_IDENT_COUNTS,
	},
	/* assumption: SDH's update time in bench_sdh on the reference
	 * machine (33 M updates/s, one heap, K = 1000; docs/bench.md) */
	.cost_ns = 30,
	.new = sdh_new,
	.update = sdh_update,
	.rank = sdh_rank,
	.epoch_end = sdh_epoch_end,
	.estimate = sdh_estimate,
	.moved = sdh_moved,
	.memory_bytes = sdh_memory_bytes,
	.free = sdh_free,
};

/* --- internal interface (sdh_internal.h) --------------------------------- */

void tm_sdh_set_variant(void *st, const struct tm_sdh_variant *v)
{
	struct tm_sdh *s = st;

	s->var = *v;
	s->takeover = !v->fault_no_takeover;
	set_fast(s);
}

double tm_sdh_decay_probability(const void *st, uint32_t c)
{
	const struct tm_sdh *s = st;

	return c < s->nr_decay_t ? ldexp((double)s->decay_t[c], -63) : 0.0;
}

struct tm_sdh_bucket *tm_sdh_bucket(void *st, uint64_t key, uint32_t row,
				    uint16_t *fp)
{
	struct tm_sdh *s = st;
	struct sketch_loc l;

	assert(row < s->depth);
	sketch_locate(s, key, &l);
	*fp = l.fp[row];
	return l.b[row];
}

void tm_sdh_test_config(struct tm_ident_config *c, uint32_t depth,
			uint32_t width, uint64_t k)
{
	struct tm_sdh_config *o = tm_sdh_cfg(c);

	tm_ident_config_default(c, "sdh");
	o->depth = depth;
	o->width = width;
	o->selective_increment = true;
	o->nr_topk = k;
}

uint32_t tm_sdh_heap_cap(const void *st)
{
	return ((const struct tm_sdh *)st)->k;
}

bool tm_sdh_heap_get(const void *st, uint64_t page, uint64_t *value,
		     int *tier)
{
	const struct tm_sdh *s = st;

	if (!s->two_heap) {
		*tier = TM_TIER_FMEM;
		return tm_topk_get(s->heap, page, value);
	}
	*tier = TM_TIER_FMEM;
	if (tm_topk_get(s->fheap, page, value))
		return true;
	*tier = TM_TIER_SMEM;
	return tm_topk_get(s->sheap, page, value);
}

uint32_t tm_sdh_column(void *st, uint64_t key, uint32_t row, uint16_t *fp)
{
	const struct tm_sdh *s = st;

	return (uint32_t)(tm_sdh_bucket(st, key, row, fp) -
			  (s->bkt + (size_t)row * s->width));
}

struct tm_sdh_bucket *tm_sdh_row(void *st, uint32_t row)
{
	struct tm_sdh *s = st;

	assert(row < s->depth);
	return s->bkt + (size_t)row * s->width;
}

uint64_t tm_sdh_rng_state(const void *st)
{
	return ((const struct tm_sdh *)st)->rng;
}
