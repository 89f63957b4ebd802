/*
 * hybridtier.h - HybridTier's frequency and momentum sketches with its
 * promotion and second-chance rules (hybridtier.c; DESIGN.md §13;
 * docs/identifiers.md) and its own config struct.
 */
#ifndef TM_HYBRIDTIER_H
#define TM_HYBRIDTIER_H

#include "identifier.h"

struct tm_hybridtier_config {
	double fpp;                   /* sketch sizing: false-positive prob. */
	uint64_t sample_factor;       /* W = sample_factor x FMEM pages */
	double momentum_ratio;        /* momentum sketch size / frequency's */
	uint64_t momentum_samples;    /* momentum sketch ages at this size */
	uint32_t hot_threshold;       /* starting hot threshold */
	uint32_t min_hot_threshold;   /* plateau lowering stops here */
	uint32_t momentum_threshold;  /* momentum >= this is hot */
	uint64_t batch_samples;       /* samples per batch (plateau count) */
	uint32_t plateau_batches;     /* batches per plateau check */
	uint64_t plateau_warmup;      /* batches before a plateau may fire */
	uint64_t plateau_promotions;  /* <= this many promotions: plateau */
	double plateau_fill;          /* hot pages < this share of FMEM */
	uint64_t second_chance_ns;    /* between second-chance checks */
	uint32_t second_chance_max;   /* pages queued for a second chance */
	uint64_t nr_candidates;       /* tracked hot pages; 0: 2 x FMEM */
};

extern const struct tm_identifier_ops tm_hybridtier_ops;

/* The hybridtier part of an identifier config (valid for that kind). */
static inline struct tm_hybridtier_config *
tm_hybridtier_cfg(struct tm_ident_config *c)
{
	return (struct tm_hybridtier_config *)(void *)c->own.bytes;
}

/* 64-bit words of the frequency sketch before rounding: the code's
 * NUM_CBF_ENTRIES = ceil(n x r(fpp, 4)) / 16 (hybridtier.c header). */
uint64_t tm_hybridtier_sketch_entries(uint64_t nr_pages, double fpp);
/* The words a sketch of `entries` really holds: the next power of two,
 * at least one 64-byte block of 8 words. */
uint64_t tm_hybridtier_sketch_words(uint64_t entries);

/* Introspection for tests: the frequency and momentum estimates of page
 * idx, the current hot threshold, and the samples since the frequency
 * sketch's last halving (its size). */
uint32_t tm_hybridtier_freq(const void *st, uint32_t idx);
uint32_t tm_hybridtier_momentum(const void *st, uint32_t idx);
uint32_t tm_hybridtier_threshold(const void *st);
uint64_t tm_hybridtier_size(const void *st);
/* The 64-byte block of page idx in the frequency sketch (tests pick pages
 * in distinct blocks, so that no counters collide). */
uint64_t tm_hybridtier_block(const void *st, uint32_t idx);

#endif
