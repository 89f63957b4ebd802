/*
 * sdh_sketch.h - the sketch half of sdh.c, private to it: the state
 * struct, bucket access at either counter width, and the row rules, all
 * inline so that each update path in sdh.c is compiled with its bounds and
 * width as constants.  The rules are in sdh.c's header comment.
 */
#ifndef TM_SDH_SKETCH_H
#define TM_SDH_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/hash.h"
#include "sdh.h"
#include "sdh_internal.h"
#include "topk.h"


#define SDH_COUNT_MAX TM_SDH_COUNT_MAX16   /* S3: u16 counter saturates */
#define SDH_DECAY_TABLE_MAX 65536u
#define NO_LIMIT UINT32_MAX

/* Estimator = {max, min} x {matching rows, all rows}; the mode is fixed
 * at new() so the row loops are compiled once per mode. */
enum est_mode { EST_MAX_MATCH, EST_MIN_MATCH, EST_MAX_ALL, EST_MIN_ALL };

struct tm_sdh {
	/* hot path first */
	void *bkt;                   /* depth * width buckets, row-major:
				      * struct tm_sdh_bucket, or _bucket32
				      * when wide */
	uint32_t depth, width;
	uint64_t rng;                /* splitmix64 state */
	uint64_t *decay_t;           /* 63-bit thresholds, nr_decay_t entries */
	uint32_t nr_decay_t;
	uint32_t nr_t;               /* nr_decay_t, or 0 with decay off */
	bool takeover;               /* false only for the planted fault */
	bool fast;                   /* defaults: see update_one_heap_x */
	bool wide;                   /* counter_bits 32 */
	uint8_t path;                /* enum upd_path, chosen at new() */
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

/* Bucket access at either width.  `wide` is a constant wherever these
 * are inlined (every update path is instantiated per width and chosen at
 * new()), so each compiles to the plain field access of one layout. */
static inline __attribute__((always_inline)) uint32_t
bk_count(const void *b, bool wide)
{
	return wide ? ((const struct tm_sdh_bucket32 *)b)->count
		    : ((const struct tm_sdh_bucket *)b)->count;
}

static inline __attribute__((always_inline)) uint32_t
bk_fp(const void *b, bool wide)
{
	return wide ? ((const struct tm_sdh_bucket32 *)b)->fp
		    : ((const struct tm_sdh_bucket *)b)->fp;
}

static inline __attribute__((always_inline)) void
bk_set(void *b, uint32_t fp, uint32_t c, bool wide)
{
	if (wide) {
		((struct tm_sdh_bucket32 *)b)->fp = fp;
		((struct tm_sdh_bucket32 *)b)->count = c;
	} else {
		((struct tm_sdh_bucket *)b)->fp = (uint16_t)fp;
		((struct tm_sdh_bucket *)b)->count = (uint16_t)c;
	}
}

static inline __attribute__((always_inline)) void
bk_set_count(void *b, uint32_t c, bool wide)
{
	if (wide)
		((struct tm_sdh_bucket32 *)b)->count = c;
	else
		((struct tm_sdh_bucket *)b)->count = (uint16_t)c;
}

/* The largest count of a bucket (no field: the struct, and so
 * memory_bytes, stay as they were at 16 bits). */
static inline uint32_t count_max(const struct tm_sdh *s)
{
	return s->wide ? TM_SDH_COUNT_MAX32 : TM_SDH_COUNT_MAX16;
}

static inline size_t bk_size(bool wide)
{
	return wide ? sizeof(struct tm_sdh_bucket32)
		    : sizeof(struct tm_sdh_bucket);
}

/* Where a key lands in each row.  Computing every row's bucket before
 * touching any lets the d loads overlap instead of waiting behind the
 * branches of the previous row (bench_sdh: 18.4 -> 20.1 M updates/s). */
struct sketch_loc {
	void *b[TM_SDH_MAX_DEPTH];
	/* one of the two, by width: u16 kept u16 (compared in memory as
	 * before the wide layout: 5 M fewer instructions per 2 M samples,
	 * callgrind) */
	uint16_t fp16[TM_SDH_MAX_DEPTH];
	uint32_t fp32[TM_SDH_MAX_DEPTH];
};

static inline __attribute__((always_inline)) uint32_t
loc_fp(const struct sketch_loc *l, uint32_t i, bool wide)
{
	return wide ? l->fp32[i] : l->fp16[i];
}

static inline __attribute__((always_inline)) void
loc_set_fp(struct sketch_loc *l, uint32_t i, uint64_t fp, bool wide)
{
	if (wide)
		l->fp32[i] = (uint32_t)fp;
	else
		l->fp16[i] = (uint16_t)fp;
}

static inline __attribute__((always_inline)) void
locate_rows(const struct tm_sdh *s, uint64_t key, struct sketch_loc *l,
	    uint32_t d, bool wide)
{
	const uint64_t w = s->width, m = tm_fmix64(key);
	const size_t bsz = bk_size(wide);
	char *row = s->bkt;

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++, row += w * bsz) {
		uint64_t h = m * s->row_mul[i];

		/* multiply-shift range reduction: no division on the hot path;
		 * the fingerprint takes bits the column does not use */
		l->b[i] = row + (((h >> 32) * w) >> 32) * bsz;
		loc_set_fp(l, i, wide ? h : h >> 16, wide);
		__builtin_prefetch(l->b[i], 1);
	}
}

static inline __attribute__((always_inline)) void
sketch_locate(const struct tm_sdh *s, uint64_t key, struct sketch_loc *l,
	      bool wide)
{
	const uint32_t d = s->depth;

	if (s->var.s3_column) {
		const size_t bsz = bk_size(wide);
		char *row = s->bkt;
		const uint64_t m = tm_fmix64(key);

		/* mixed again: S3 hashes each row with its own xxh64, and the
		 * low bits of a bare product would repeat across rows */
		for (uint32_t i = 0; i < d; i++, row += s->width * bsz) {
			uint64_t h = tm_fmix64(m * s->row_mul[i]);

			l->b[i] = row + (h % s->width) * bsz;
			loc_set_fp(l, i, h, wide);
		}
		return;
	}
	if (d == 4)   /* the default depth, unrolled */
		locate_rows(s, key, l, 4, wide);
	else
		locate_rows(s, key, l, d, wide);
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
row_update(const struct row_ctx *x, void *b, uint32_t fp, uint64_t *rng,
	   bool *match, bool wide)
{
	uint32_t c = bk_count(b, wide), e;

	if (c == 0) {                       /* empty: take it */
		bk_set(b, fp, x->delta, wide);
		*match = true;
		return x->delta;
	}
	if (wide ? bk_fp(b, true) == fp                  /* match: increment */
		 : ((const struct tm_sdh_bucket *)b)->fp == (uint16_t)fp) {
		if (c <= x->inc_limit) {
			if (wide)
				c = c > TM_SDH_COUNT_MAX32 - x->delta ?
				    TM_SDH_COUNT_MAX32 : c + x->delta;
			else
				c = c + x->delta > SDH_COUNT_MAX ?
				    SDH_COUNT_MAX : c + x->delta;
			bk_set_count(b, c, wide);
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
		bk_set(b, (fp & m) | (bk_fp(b, wide) & ~m), c, wide);
		*match = take;
	}
	return c;
}

/* The rows of one sample, d a constant where the default depth is
 * instantiated (unrolled: bench_sdh, callgrind -18% instructions). */
static inline __attribute__((always_inline)) uint32_t
apply_rows(struct tm_sdh *s, const struct sketch_loc *l,
	   const struct row_ctx *x, enum est_mode m, uint32_t d, bool wide)
{
	uint64_t rng = s->rng;
	uint32_t est = est_init(m);

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++) {
		bool match;
		uint32_t c = row_update(x, l->b[i], loc_fp(l, i, wide), &rng,
					&match, wide);

		est = est_fold(m, est, c, match);
	}
	s->rng = rng;
	return est_final(m, est);
}

static inline __attribute__((always_inline)) uint32_t
apply_mode(struct tm_sdh *s, const struct sketch_loc *l,
	   const struct row_ctx *x, enum est_mode m, bool wide)
{
	if (s->depth == 4)
		return apply_rows(s, l, x, m, 4, wide);
	return apply_rows(s, l, x, m, s->depth, wide);
}

/* Update every located row; returns the configured estimate afterwards.
 * d = 0: the depth is read at run time. */
static inline __attribute__((always_inline)) uint32_t
sketch_apply_m(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	       uint32_t inc_limit, uint32_t cool, enum est_mode m, uint32_t d,
	       bool wide)
{
	const struct row_ctx x = {
		.delta = delta,
		.inc_limit = inc_limit,
		.cool = cool,
		.nr_t = s->nr_t,
		.t = s->decay_t,
		.takeover = s->takeover,
	};

	return d ? apply_rows(s, l, &x, m, d, wide)
		 : apply_mode(s, l, &x, m, wide);
}

static inline __attribute__((always_inline)) uint32_t
sketch_apply_w(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	       uint32_t inc_limit, uint32_t cool, bool wide)
{
	switch (s->est_mode) {
	case EST_MAX_MATCH:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MAX_MATCH,
				      0, wide);
	case EST_MIN_MATCH:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MIN_MATCH,
				      0, wide);
	case EST_MAX_ALL:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MAX_ALL,
				      0, wide);
	default:
		return sketch_apply_m(s, l, delta, inc_limit, cool, EST_MIN_ALL,
				      0, wide);
	}
}

/* Any configuration, one function per width: inlined, the four
 * estimators' row loops made every update path several KB larger and
 * slower (two-heap: +40 instructions per update, callgrind). */
static __attribute__((noinline)) uint32_t
sketch_apply16(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	       uint32_t inc_limit, uint32_t cool)
{
	return sketch_apply_w(s, l, delta, inc_limit, cool, false);
}

static __attribute__((noinline)) uint32_t
sketch_apply32(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	       uint32_t inc_limit, uint32_t cool)
{
	return sketch_apply_w(s, l, delta, inc_limit, cool, true);
}

static inline __attribute__((always_inline)) uint32_t
sketch_apply(struct tm_sdh *s, const struct sketch_loc *l, uint32_t delta,
	     uint32_t inc_limit, uint32_t cool, bool wide)
{
	return wide ? sketch_apply32(s, l, delta, inc_limit, cool)
		    : sketch_apply16(s, l, delta, inc_limit, cool);
}

/* The configured estimate of located rows, read only. */
static inline __attribute__((always_inline)) uint32_t
fold_rows(const struct sketch_loc *l, enum est_mode m, uint32_t d, bool wide)
{
	uint32_t est = est_init(m);

#pragma GCC unroll 4
	for (uint32_t i = 0; i < d; i++) {
		uint32_t c = bk_count(l->b[i], wide);

		est = est_fold(m, est, c,
			       c > 0 && bk_fp(l->b[i], wide) == loc_fp(l, i, wide));
	}
	return est_final(m, est);
}

static inline __attribute__((always_inline)) uint32_t
sketch_query_w(const struct tm_sdh *s, uint64_t key, bool wide)
{
	struct sketch_loc l;

	if (s->fast) {   /* the defaults, unrolled as in update_one_heap_x */
		locate_rows(s, key, &l, 4, wide);
		return fold_rows(&l, EST_MAX_MATCH, 4, wide);
	}
	sketch_locate(s, key, &l, wide);
	return fold_rows(&l, s->est_mode, s->depth, wide);
}

static uint32_t sketch_query(const struct tm_sdh *s, uint64_t key)
{
	return s->wide ? sketch_query_w(s, key, true)
		       : sketch_query_w(s, key, false);
}

#endif
