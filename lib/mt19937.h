/*
 * mt19937.h - the Mersenne Twister MT19937 (Matsumoto and Nishimura, ACM
 * TOMACS 8(1), 1998; the 2002 initialisation by init_genrand), drawn as
 * GSL's gsl_rng_mt19937 draws it, inline.
 *
 * The generators' streams were drawn from gsl_rng_mt19937 through
 * gsl_rng_get, gsl_rng_uniform and gsl_rng_uniform_int: two indirect calls
 * a draw, and a draw or two per record, 15% of a generated cluster's
 * instructions (callgrind, one host of the cluster bench).  These give the
 * same numbers (tests/test_gen.c draws millions against GSL's for several
 * seeds), so every generated trace is unchanged:
 *  - seeding: a seed of 0 means 4357 (GSL's default); mt[0] = seed,
 *    mt[i] = 1812433253 (mt[i-1] ^ (mt[i-1] >> 30)) + i;
 *  - tm_mt_uniform: a draw / 2^32, in [0, 1);
 *  - tm_mt_below(n), 0 < n <= 2^32 - 1: scale = (2^32 - 1) / n, draws
 *    divided by scale until one is below n.
 */
#ifndef TM_MT19937_H
#define TM_MT19937_H

#include <assert.h>
#include <stdint.h>

#define TM_MT_N 624
#define TM_MT_M 397

struct tm_mt {
	uint32_t mt[TM_MT_N];
	uint32_t mti;
};

static inline void tm_mt_seed(struct tm_mt *s, uint32_t seed)
{
	s->mt[0] = seed ? seed : 4357;
	for (uint32_t i = 1; i < TM_MT_N; i++) {
		uint32_t p = s->mt[i - 1];

		s->mt[i] = 1812433253u * (p ^ (p >> 30)) + i;
	}
	s->mti = TM_MT_N;
}

static inline uint32_t tm_mt_twist(uint32_t a, uint32_t b, uint32_t m)
{
	uint32_t y = (a & 0x80000000u) | (b & 0x7fffffffu);

	return m ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
}

/* The next N words (outside the inline path: once per 624 draws). */
static inline void tm_mt_refill(struct tm_mt *s)
{
	uint32_t *mt = s->mt, k;

	for (k = 0; k < TM_MT_N - TM_MT_M; k++)
		mt[k] = tm_mt_twist(mt[k], mt[k + 1], mt[k + TM_MT_M]);
	for (; k < TM_MT_N - 1; k++)
		mt[k] = tm_mt_twist(mt[k], mt[k + 1],
				    mt[k + TM_MT_M - TM_MT_N]);
	mt[TM_MT_N - 1] = tm_mt_twist(mt[TM_MT_N - 1], mt[0],
				      mt[TM_MT_M - 1]);
	s->mti = 0;
}

static inline uint32_t tm_mt_get(struct tm_mt *s)
{
	uint32_t y;

	if (__builtin_expect(s->mti >= TM_MT_N, 0))
		tm_mt_refill(s);
	y = s->mt[s->mti++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	return y ^ (y >> 18);
}

static inline double tm_mt_uniform(struct tm_mt *s)
{
	return tm_mt_get(s) / 4294967296.0;
}

static inline uint32_t tm_mt_below(struct tm_mt *s, uint32_t n)
{
	uint32_t scale, k;

	assert(n > 0);
	scale = UINT32_MAX / n;
	do
		k = tm_mt_get(s) / scale;
	while (k >= n);
	return k;
}

#endif
