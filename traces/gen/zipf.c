/*
 * zipf.c - the Zipf(s) generator (DESIGN.md §5): the page of rank k has
 * probability k^-s / H(N,s); ranks map to pages through a seeded
 * permutation (identity when permute is false or the part's seed is 0).
 *
 * Zipf uses rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions", ACM
 * TOMACS 6(3), 1996): O(1) expected time per draw, no tables, exact.  Its
 * normaliser H(N,s) for page_prob is an exact sum of the first terms plus
 * an Euler-Maclaurin tail whose truncation error is below 1e-15.
 *
 * The rank permutation is a bijection on [0, 2^b) (odd multiply, xorshift,
 * add; three rounds), restricted to [0, N) by cycle walking, so it needs no
 * table and can be inverted for page_prob.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gen_internal.h"
#include "lib/hash.h"
#include "lib/units.h"

/* Euler-Maclaurin for H(N,s): exact sum below this rank, tail above. */
#define ZIPF_EXACT_TERMS 100u
#define PERM_ROUNDS 3

struct zipf_config {
	double s;
	bool permute;
};

/* ---- rank permutation ------------------------------------------------------- */

struct gen_perm {
	uint64_t n, mask;
	unsigned bits, shift;
	uint64_t mul[PERM_ROUNDS], mul_inv[PERM_ROUNDS], add[PERM_ROUNDS];
};

static void perm_init(struct gen_perm *p, uint64_t seed, uint64_t n)
{
	uint64_t x = seed;
	int r, i;

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->bits = 1;
	while (p->bits < 64 && (1ull << p->bits) < n)
		p->bits++;
	p->mask = (1ull << p->bits) - 1;
	p->shift = p->bits / 2 ? p->bits / 2 : 1;
	for (r = 0; r < PERM_ROUNDS; r++) {
		uint64_t m = tm_splitmix64(&x) | 1, inv = m;

		for (i = 0; i < 6; i++) /* Newton: 3 -> 192 correct low bits */
			inv *= 2 - m * inv;
		p->mul[r] = m & p->mask;
		p->mul_inv[r] = inv & p->mask;
		p->add[r] = tm_splitmix64(&x) & p->mask;
	}
}

static uint64_t perm_step(const struct gen_perm *p, uint64_t x)
{
	int r;

	for (r = 0; r < PERM_ROUNDS; r++) {
		x = (x * p->mul[r]) & p->mask;
		x ^= x >> p->shift;
		x = (x + p->add[r]) & p->mask;
	}
	return x;
}

static uint64_t perm_unstep(const struct gen_perm *p, uint64_t x)
{
	int r;

	for (r = PERM_ROUNDS - 1; r >= 0; r--) {
		uint64_t y = (x - p->add[r]) & p->mask, z = y;
		unsigned i;

		for (i = 0; i <= p->bits / p->shift; i++) /* undo y ^= y >> shift */
			z = y ^ (z >> p->shift);
		x = (z * p->mul_inv[r]) & p->mask;
	}
	return x;
}

/* Rank index -> page index; cycle walking stays inside [0, n). */
static uint64_t perm_fwd(const struct gen_perm *p, uint64_t x)
{
	do
		x = perm_step(p, x);
	while (x >= p->n);
	return x;
}

static uint64_t perm_inv(const struct gen_perm *p, uint64_t x)
{
	do
		x = perm_unstep(p, x);
	while (x >= p->n);
	return x;
}

/* ---- Zipf: rejection-inversion ----------------------------------------------- */

struct gen_zipf {
	uint64_t n;
	double s, one_minus_s, h_x1, h_n, squeeze;
};

static double expm1_over_x(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2 * (1 + x / 3);
}

static double log1p_over_x(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x / 3);
}

/* H(x) = integral of t^-s from 1 to x; continuous in s at s = 1. */
static double zipf_H(const struct gen_zipf *z, double x)
{
	double lx = log(x);

	return lx * expm1_over_x(z->one_minus_s * lx);
}

static double zipf_H_inv(const struct gen_zipf *z, double u)
{
	return exp(u * log1p_over_x(z->one_minus_s * u));
}

static double zipf_h(const struct gen_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static void zipf_init(struct gen_zipf *z, double s, uint64_t n)
{
	z->n = n;
	z->s = s;
	z->one_minus_s = 1 - s;
	z->h_x1 = zipf_H(z, 1.5) - 1;
	z->h_n = zipf_H(z, (double)n + 0.5);
	z->squeeze = 2 - zipf_H_inv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
}

/* A rank in [1, n] with probability k^-s / H(n,s). */
static uint64_t zipf_draw(const struct gen_zipf *z, struct tm_gen_rng *rng)
{
	for (;;) {
		double u = z->h_n + tm_gen_rng_uniform(rng) * (z->h_x1 - z->h_n);
		double x = zipf_H_inv(z, u);
		uint64_t k = (uint64_t)(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > z->n)
			k = z->n;
		if ((double)k - x <= z->squeeze ||
		    u >= zipf_H(z, (double)k + 0.5) - zipf_h(z, (double)k))
			return k;
	}
}

/* H(n,s) = sum of k^-s for k = 1..n: exact head, Euler-Maclaurin tail
 * (terms up to B6 f^(5); the next term is below 1e-17 for a = 100). */
static double zipf_norm(double s, uint64_t n)
{
	const double a = ZIPF_EXACT_TERMS;
	double sum = 0, N, integral, d1, d3, d5, l;
	uint64_t k, head = n <= 2 * ZIPF_EXACT_TERMS ? n : ZIPF_EXACT_TERMS - 1;

	for (k = head; k >= 1; k--) /* small terms first */
		sum += pow((double)k, -s);
	if (head == n)
		return sum;
	N = (double)n;
	l = log(N / a);
	integral = pow(a, 1 - s) * l * expm1_over_x((1 - s) * l);
	d1 = -s * (pow(N, -s - 1) - pow(a, -s - 1));
	d3 = -s * (s + 1) * (s + 2) * (pow(N, -s - 3) - pow(a, -s - 3));
	d5 = -s * (s + 1) * (s + 2) * (s + 3) * (s + 4) *
	     (pow(N, -s - 5) - pow(a, -s - 5));
	return sum + integral + (pow(a, -s) + pow(N, -s)) / 2 + d1 / 12 -
	       d3 / 720 + d5 / 30240;
}

/* ---- the generator ----------------------------------------------------------- */

struct zipf_state {
	struct gen_zipf zipf;
	struct gen_perm perm;
	double norm;            /* H(N,s), for the truth ops */
	bool permuted;
};

_Static_assert(sizeof(struct zipf_state) <= TM_GEN_STATE_MAX, "zipf state");

static const struct zipf_config *config_of(const struct tm_gen_part *p)
{
	return (const struct zipf_config *)p->cfg;
}

/* The permutation is on when asked for and the part has a seed. */
static bool permuted(const struct tm_gen_part *p)
{
	return config_of(p)->permute && p->seed != 0;
}

static void zipf_part_init(void *state, const struct tm_gen_part *p,
			   uint32_t page_shift)
{
	struct zipf_state *st = state;
	uint64_t n = p->sz_footprint >> page_shift;

	zipf_init(&st->zipf, config_of(p)->s, n);
	st->norm = zipf_norm(config_of(p)->s, n);
	st->permuted = permuted(p);
	if (st->permuted)
		perm_init(&st->perm, p->seed, n);
}

static uint64_t zipf_part_draw(void *state, const struct tm_gen_part *p,
			       struct tm_gen_rng *rng, uint64_t t_ns)
{
	struct zipf_state *st = state;
	uint64_t pg = zipf_draw(&st->zipf, rng) - 1;

	(void)p;
	(void)t_ns;
	return st->permuted ? perm_fwd(&st->perm, pg) : pg;
}

static double zipf_page_prob(const struct tm_gen_part *p, uint32_t page_shift,
			     uint64_t t_ns, uint64_t pg)
{
	uint64_t n = p->sz_footprint >> page_shift, rank = pg;
	double s = config_of(p)->s;
	struct gen_perm perm;

	(void)t_ns;
	if (permuted(p)) {
		perm_init(&perm, p->seed, n);
		rank = perm_inv(&perm, pg);
	}
	return pow((double)(rank + 1), -s) / zipf_norm(s, n);
}

/* Rank order: the rank permutation's inverse (ranks are 0-based here). */
static uint64_t zipf_rank_of(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t pg)
{
	const struct zipf_state *st = state;

	(void)p;
	(void)t_ns;
	return st->permuted ? perm_inv(&st->perm, pg) : pg;
}

static uint64_t zipf_page_at(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t rank)
{
	const struct zipf_state *st = state;

	(void)p;
	(void)t_ns;
	return st->permuted ? perm_fwd(&st->perm, rank) : rank;
}

static double zipf_rank_prob(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t rank)
{
	const struct zipf_state *st = state;

	(void)p;
	(void)t_ns;
	return pow((double)(rank + 1), -st->zipf.s) / st->norm;
}

/* Σ_{i<=c} i^-s / Σ_{i<=N} i^-s */
static double zipf_top_prob(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t c)
{
	const struct zipf_state *st = state;

	(void)p;
	(void)t_ns;
	if (c >= st->zipf.n)
		return 1.0;
	return c ? zipf_norm(st->zipf.s, c) / st->norm : 0.0;
}

static int zipf_restore(struct tm_gen_part *p, const json_t *o)
{
	struct zipf_config *c = (struct zipf_config *)(void *)p->cfg;
	const json_t *s = json_object_get(o, "s");
	const json_t *seed = json_object_get(o, "zipf_seed");

	if (!json_is_number(s) || !json_is_integer(seed))
		return -1;
	c->s = json_number_value(s);
	p->seed = (uint64_t)json_integer_value(seed);
	c->permute = p->seed != 0;
	return 0;
}

static int zipf_describe(const struct tm_gen_part *p, char *buf, size_t n)
{
	char fp[32];

	tm_format_size(p->sz_footprint, fp, sizeof(fp));
	return snprintf(buf, n, "zipf(s=%g, %s)", config_of(p)->s, fp);
}

static void zipf_provenance(const struct tm_gen_part *p, json_t *o)
{
	json_object_set_new(o, "s", json_real(config_of(p)->s));
	json_object_set_new(o, "zipf_seed",
			    json_integer((json_int_t)(permuted(p) ? p->seed : 0)));
}

static const struct tm_cfg_key zipf_keys[] = {
	TM_CFG_KEY("s", TM_CFG_DOUBLE, 0, 10, "1.0", NULL,
		   TM_CFG_GEN_ONLY | TM_CFG_MIN_EXCL, TM_CFG_F_DBL,
		   struct zipf_config, s,
		   "exponent: the page of rank k gets k^-s / H(N,s) of the accesses"),
	TM_CFG_KEY("permute", TM_CFG_BOOL, 0, 0, "true", NULL, TM_CFG_GEN_ONLY,
		   TM_CFG_F_BOOL, struct zipf_config, permute,
		   "spread the ranks over the footprint by a permutation seeded "
		   "from the seed (false: rank 1 is the first page)"),
};

const struct tm_generator_ops tm_gen_zipf = {
	.kind = {
		.name = "zipf",
		.help = "Zipf(s) over the pages of the footprint (skewed, e.g. a "
			"key-value store)",
		.keys = zipf_keys,
		.nr_keys = sizeof(zipf_keys) / sizeof(zipf_keys[0]),
		.config_size = sizeof(struct zipf_config),
	},
	.state_size = sizeof(struct zipf_state),
	.init = zipf_part_init,
	.draw = zipf_part_draw,
	.page_prob = zipf_page_prob,
	.rank_of = zipf_rank_of,
	.page_at = zipf_page_at,
	.rank_prob = zipf_rank_prob,
	.top_prob = zipf_top_prob,
	.describe = zipf_describe,
	.provenance = zipf_provenance,
	.restore = zipf_restore,
};
