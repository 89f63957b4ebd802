/*
 * hash.h - the two 64-bit mixers every module uses, in one place.
 *
 * tm_fmix64: MurmurHash3's finaliser (full avalanche), for hash tables and
 * sketches keyed by page numbers.  tm_splitmix64: Steele, Lea & Flood's
 * SplitMix64 generator step, for deriving seeds and cheap random streams.
 * Header-only, depends on nothing: data-structure modules may include it.
 */
#ifndef TM_HASH_H
#define TM_HASH_H

#include <stdint.h>

static inline uint64_t tm_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64_C(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

/* Advance *state and return the next SplitMix64 output. */
static inline uint64_t tm_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The SplitMix64 output for state x (a stateless mix of x). */
static inline uint64_t tm_splitmix64_of(uint64_t x)
{
	return tm_splitmix64(&x);
}

#endif
