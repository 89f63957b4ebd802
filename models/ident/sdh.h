/*
 * sdh.h - the Streaming Decaying Histogram identifier (sdh.c; DESIGN.md
 * §6.2) and its own config struct, filled from its schema.
 */
#ifndef TM_SDH_H
#define TM_SDH_H

#include "identifier.h"

/* Largest depth the update loop supports (assumption: the reference uses 4,
 * HeavyKeeper 2; the schema allows at most 16). */
#define TM_SDH_MAX_DEPTH 32

enum tm_decay_rounding { TM_DECAY_PAPER = 0, TM_DECAY_INTEGER };
enum tm_est_fn { TM_EST_MAX = 0, TM_EST_MIN };
enum tm_est_rows { TM_EST_MATCHING = 0, TM_EST_ALL };
/* Bucket layout: {u16 fingerprint, u16 counter} (S2/S3) or {u32, u32}. */
enum tm_sdh_counter_bits { TM_SDH_COUNTER_16 = 0, TM_SDH_COUNTER_32 };

struct tm_sdh_config {
	uint32_t depth;           /* d = 4 */
	uint32_t width;           /* w = 8192 */
	double decay_base;        /* b = 1.08 */
	bool decay;               /* decay on/off */
	enum tm_decay_rounding decay_rounding;
	enum tm_est_fn estimator;
	enum tm_est_rows estimator_rows;
	bool selective_increment;
	uint64_t nr_topk;         /* K; 0 means 10% of the VM's FMEM pages */
	bool two_heap;
	uint32_t min_entries;     /* 512 */
	uint32_t max_requests;    /* 16384 */
	bool cooling;
	bool pow2_guard;
	enum tm_sdh_counter_bits counter_bits;   /* 16 */
};

extern const struct tm_identifier_ops tm_sdh_ops;

/* The sdh part of an identifier config (valid when its kind is sdh). */
static inline struct tm_sdh_config *tm_sdh_cfg(struct tm_ident_config *c)
{
	return (struct tm_sdh_config *)(void *)c->own.bytes;
}

static inline const struct tm_sdh_config *
tm_sdh_cfg_of(const struct tm_ident_config *c)
{
	return (const struct tm_sdh_config *)(const void *)c->own.bytes;
}

#endif
