/*
 * gen.c - synthetic access generators (DESIGN.md §5, spec in gen.h).
 *
 * A generator stream draws, for each record: the phase active at the
 * record's time, one part of that phase (by weight), a page from the part's
 * distribution, an offset inside the page, and load or store.  Distributions:
 *
 *   uniform  every page of the footprint equally likely
 *   zipf     page of rank k has probability k^-s / H(N,s); ranks map to pages
 *            through a seeded permutation (identity when zipf_seed is 0)
 *   hotset   GUPS-style: hot_share of the accesses are uniform over the hot
 *            pages, the rest uniform over the other pages; the hot set moves
 *            at the given times (times are from the stream start)
 *   scan     a sequential walk: base + (i * stride) mod footprint for the
 *            part's i-th record
 *
 * Zipf uses rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions", ACM
 * TOMACS 6(3), 1996): O(1) expected time per draw, no tables, exact.  Its
 * normaliser H(N,s) for tm_gen_page_prob is an exact sum of the first terms
 * plus an Euler-Maclaurin tail whose truncation error is below 1e-15.
 *
 * The rank permutation is a bijection on [0, 2^b) (odd multiply, xorshift,
 * add; three rounds), restricted to [0, N) by cycle walking, so it needs no
 * table and can be inverted for tm_gen_page_prob.
 *
 * Notes (simplifications, all documented in docs/trace-format.md):
 *  - Inter-arrival times are fixed: record i is at floor(i * 1e9 / rate) ns.
 *    This keeps streams deterministic and easy to reason about; bursts are
 *    not modelled.
 *  - cpu = record index mod nr_vcpus; weight = 0; flags = 0.
 *  - Addresses of uniform, zipf and hotset parts are the page start plus a
 *    random 64-byte-aligned offset inside the page; scan addresses are exact.
 *  - A hot set with no cold pages (hot == footprint) takes every access of
 *    its part; an empty hot set (hot == 0) leaves the part uniform.
 *  - All randomness comes from one gsl_rng_mt19937 seeded from the seed.
 */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "lib/alloc.h"
#include "lib/hash.h"

/* Assumption: offsets inside a page are cache-line (64-byte) aligned. */
#define GEN_LINE_BYTES 64u
/* Assumption: 2^40 pages (4 PiB at 4 KiB) bounds any simulated footprint. */
#define GEN_MAX_PAGES (1ull << 40)
/* Assumption: a trillion records per second is beyond any real machine. */
#define GEN_MAX_RATE 1e12
/* Euler-Maclaurin for H(N,s): exact sum below this rank, tail above. */
#define ZIPF_EXACT_TERMS 100u
#define PERM_ROUNDS 3

/* ---- small helpers ---------------------------------------------------------- */

/* Uniform integer in [0, n), n >= 1, without bias. */
static uint64_t draw_below(gsl_rng *rng, uint64_t n)
{
	uint64_t v, limit;

	if (n <= 0xffffffffull)
		return gsl_rng_uniform_int(rng, (unsigned long)n);
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		v = (uint64_t)gsl_rng_get(rng) << 32 | (gsl_rng_get(rng) & 0xffffffffull);
	while (v >= limit);
	return v % n;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

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
static uint64_t zipf_draw(const struct gen_zipf *z, gsl_rng *rng)
{
	for (;;) {
		double u = z->h_n + gsl_rng_uniform(rng) * (z->h_x1 - z->h_n);
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

/* ---- spec: defaults, check, describe ------------------------------------- */

void tm_gen_spec_init(struct tm_gen_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->nr_phases = 1;
	spec->phases[0].nr_parts = 1;
	spec->phases[0].parts[0].kind = TM_GEN_UNIFORM;
	spec->phases[0].parts[0].weight = 1;
	spec->phases[0].parts[0].sz_footprint = 64ull << 20;
	spec->phases[0].parts[0].zipf_s = 1;
	spec->phases[0].parts[0].sz_stride = GEN_LINE_BYTES;
	spec->rate_per_s = 1e6;
	spec->nr_vcpus = 1;
	spec->page_shift = 12;
	spec->kind = TM_TRACE_ACCESSES;
}

#define CHECK(cond, e, ...) TM_RETURN_IF(!(cond), e, TM_ERR_BOUNDS, __VA_ARGS__)

static int check_hot(const char *at, const struct tm_gen_part *p, uint64_t page,
		     struct tm_error *e)
{
	uint32_t i;

	CHECK(p->sz_hot <= p->sz_footprint, e, "%shot: %llu bytes; expected at most "
	      "the footprint (%llu)", at, (unsigned long long)p->sz_hot,
	      (unsigned long long)p->sz_footprint);
	CHECK(p->sz_hot % page == 0, e, "%shot: %llu bytes; expected a multiple of "
	      "the page size (%llu)", at, (unsigned long long)p->sz_hot,
	      (unsigned long long)page);
	CHECK(p->hot_share >= 0 && p->hot_share <= 1, e, "%shot_share: %g; expected "
	      "0 to 1", at, p->hot_share);
	CHECK(p->sz_hot_offset % page == 0 &&
	      p->sz_hot_offset <= p->sz_footprint - p->sz_hot, e, "%shot_offset: %llu; "
	      "expected a page-aligned offset with hot_offset + hot <= footprint",
	      at, (unsigned long long)p->sz_hot_offset);
	CHECK(p->nr_moves <= TM_GEN_MAX_MOVES, e, "%snr_moves: %u; expected at "
	      "most %d", at, p->nr_moves, TM_GEN_MAX_MOVES);
	for (i = 0; i < p->nr_moves; i++) {
		const struct tm_gen_move *m = &p->moves[i];

		CHECK(i == 0 || m->at_ns > p->moves[i - 1].at_ns, e, "%smoves[%u].at: "
		      "%llu ns; expected later than moves[%u].at (sorted)", at, i,
		      (unsigned long long)m->at_ns, i - 1);
		CHECK(m->sz_offset % page == 0 &&
		      m->sz_offset <= p->sz_footprint - p->sz_hot, e, "%smoves[%u]."
		      "offset: %llu; expected a page-aligned offset with offset + hot "
		      "<= footprint", at, i, (unsigned long long)m->sz_offset);
	}
	return 0;
}

static int check_part(const char *at, const struct tm_gen_part *p, uint64_t page,
		      struct tm_error *e)
{
	CHECK(p->kind >= TM_GEN_UNIFORM && p->kind <= TM_GEN_SCAN, e,
	      "%skind: %d; expected uniform, zipf, hotset or scan", at, (int)p->kind);
	CHECK(p->weight > 0 && isfinite(p->weight), e, "%sweight: %g; expected > 0",
	      at, p->weight);
	CHECK(p->sz_footprint > 0 && p->sz_footprint % page == 0 &&
	      p->sz_footprint / page <= GEN_MAX_PAGES, e, "%sfootprint: %llu bytes; "
	      "expected a positive multiple of the page size (%llu), at most 2^40 "
	      "pages", at, (unsigned long long)p->sz_footprint, (unsigned long long)page);
	CHECK(p->base % page == 0 && p->base <= UINT64_MAX - p->sz_footprint, e,
	      "%sbase: 0x%llx; expected a page-aligned address with base + footprint "
	      "< 2^64", at, (unsigned long long)p->base);
	if (p->kind == TM_GEN_ZIPF)
		CHECK(p->zipf_s > 0 && p->zipf_s <= 10, e, "%ss: %g; expected 0 < s <= 10",
		      at, p->zipf_s);
	if (p->kind == TM_GEN_HOTSET && check_hot(at, p, page, e))
		return -1;
	if (p->kind == TM_GEN_SCAN)
		CHECK(p->sz_stride > 0, e, "%sstride: 0; expected > 0 bytes", at);
	return 0;
}

static int check_phases(const struct tm_gen_spec *s, struct tm_error *e)
{
	uint64_t page = 1ull << s->page_shift;
	char at[64];
	uint32_t i, j;

	CHECK(s->nr_phases >= 1 && s->nr_phases <= TM_GEN_MAX_PHASES, e,
	      "nr_phases: %u; expected 1 to %d", s->nr_phases, TM_GEN_MAX_PHASES);
	CHECK(s->phases[0].start_ns == 0, e, "phases[0].start: %llu ns; expected 0",
	      (unsigned long long)s->phases[0].start_ns);
	for (i = 0; i < s->nr_phases; i++) {
		const struct tm_gen_phase *ph = &s->phases[i];

		CHECK(i == 0 || ph->start_ns > s->phases[i - 1].start_ns, e,
		      "phases[%u].start: %llu ns; expected later than phases[%u].start "
		      "(sorted)", i, (unsigned long long)ph->start_ns, i - 1);
		CHECK(ph->nr_parts >= 1 && ph->nr_parts <= TM_GEN_MAX_PARTS, e,
		      "phases[%u].nr_parts: %u; expected 1 to %d", i, ph->nr_parts,
		      TM_GEN_MAX_PARTS);
		for (j = 0; j < ph->nr_parts; j++) {
			snprintf(at, sizeof(at), "phases[%u].parts[%u].", i, j);
			if (check_part(at, &ph->parts[j], page, e))
				return -1;
		}
	}
	return 0;
}

int tm_gen_spec_check(const struct tm_gen_spec *s, struct tm_error *e)
{
	CHECK(s->page_shift >= 12 && s->page_shift <= 30, e,
	      "page_shift: %u; expected 12 (4 KiB) to 30 (1 GiB)", s->page_shift);
	CHECK(s->rate_per_s > 0 && s->rate_per_s <= GEN_MAX_RATE, e,
	      "rate: %g records/s; expected > 0 and at most 1e12", s->rate_per_s);
	CHECK(s->nr_vcpus >= 1 && s->nr_vcpus <= 65536, e,
	      "vcpus: %u; expected 1 to 65536", s->nr_vcpus);
	CHECK(s->store_share >= 0 && s->store_share <= 1, e,
	      "store_share: %g; expected 0 to 1", s->store_share);
	CHECK(s->kind == TM_TRACE_ACCESSES || s->kind == TM_TRACE_SAMPLES, e,
	      "kind: %d; expected accesses or samples", (int)s->kind);
	CHECK(s->kind != TM_TRACE_SAMPLES || s->load_period >= 1, e,
	      "load_period: 0; expected at least 1 for a samples trace");
	return check_phases(s, e);
}

static void fmt_size(uint64_t sz, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;

	while (u < 5 && sz >= (1024ull << (10 * u)))
		u++;
	if (sz % (1ull << (10 * u)) == 0)
		snprintf(buf, n, "%llu%s", (unsigned long long)(sz >> (10 * u)), unit[u]);
	else
		snprintf(buf, n, "%.3g%s", (double)sz / (double)(1ull << (10 * u)), unit[u]);
}

static void fmt_rate(double r, char *buf, size_t n)
{
	if (r >= 1e9)
		snprintf(buf, n, "%gG/s", r / 1e9);
	else if (r >= 1e6)
		snprintf(buf, n, "%gM/s", r / 1e6);
	else if (r >= 1e3)
		snprintf(buf, n, "%gk/s", r / 1e3);
	else
		snprintf(buf, n, "%g/s", r);
}

static int describe_part(const struct tm_gen_part *p, char *buf, size_t n)
{
	char fp[32], a[32], b[32];

	fmt_size(p->sz_footprint, fp, sizeof(fp));
	switch (p->kind) {
	case TM_GEN_ZIPF:
		return snprintf(buf, n, "zipf(s=%g, %s)", p->zipf_s, fp);
	case TM_GEN_HOTSET:
		fmt_size(p->sz_hot, a, sizeof(a));
		return snprintf(buf, n, "hotset(%s hot of %s, share %g, %u move%s)",
				a, fp, p->hot_share, p->nr_moves,
				p->nr_moves == 1 ? "" : "s");
	case TM_GEN_SCAN:
		fmt_size(p->sz_stride, b, sizeof(b));
		return snprintf(buf, n, "scan(stride %s, %s)", b, fp);
	default:
		return snprintf(buf, n, "uniform(%s)", fp);
	}
}

/* Append to buf at *pos, never past n bytes; keeps buf terminated. */
#define APPEND(fmtcall)                                                       \
	do {                                                                  \
		int k_ = (fmtcall);                                           \
		if (k_ > 0)                                                   \
			*pos = *pos + (size_t)k_ < n ? *pos + (size_t)k_ : n - 1; \
	} while (0)

static void describe_phase(const struct tm_gen_phase *ph, char *buf, size_t n,
			   size_t *pos)
{
	double total = 0;
	uint32_t j;

	if (ph->nr_parts == 1) {
		APPEND(describe_part(&ph->parts[0], buf + *pos, n - *pos));
		return;
	}
	for (j = 0; j < ph->nr_parts; j++)
		total += ph->parts[j].weight;
	APPEND(snprintf(buf + *pos, n - *pos, "mix("));
	for (j = 0; j < ph->nr_parts; j++) {
		APPEND(snprintf(buf + *pos, n - *pos, "%s%.3g ", j ? ", " : "",
				ph->parts[j].weight / total));
		APPEND(describe_part(&ph->parts[j], buf + *pos, n - *pos));
	}
	APPEND(snprintf(buf + *pos, n - *pos, ")"));
}

void tm_gen_spec_describe(const struct tm_gen_spec *spec, char *buf,
			  size_t sz_buf)
{
	size_t pos0 = 0, *pos = &pos0, n = sz_buf;
	char rate[32];
	uint32_t i;

	if (!n)
		return;
	buf[0] = '\0';
	if (spec->nr_phases <= 1) {
		describe_phase(&spec->phases[0], buf, n, pos);
	} else {
		APPEND(snprintf(buf + *pos, n - *pos, "phases("));
		for (i = 0; i < spec->nr_phases; i++) {
			APPEND(snprintf(buf + *pos, n - *pos, "%s%gs: ", i ? "; " : "",
					(double)spec->phases[i].start_ns / 1e9));
			describe_phase(&spec->phases[i], buf, n, pos);
		}
		APPEND(snprintf(buf + *pos, n - *pos, ")"));
	}
	fmt_rate(spec->rate_per_s, rate, sizeof(rate));
	APPEND(snprintf(buf + *pos, n - *pos, " @ %s", rate));
}

/* ---- exact page probabilities --------------------------------------------- */

static uint32_t phase_at(const struct tm_gen_spec *spec, uint64_t t_ns)
{
	uint32_t i = 0;

	while (i + 1 < spec->nr_phases && spec->phases[i + 1].start_ns <= t_ns)
		i++;
	return i;
}

static uint64_t hot_offset_at(const struct tm_gen_part *p, uint64_t t_ns)
{
	uint64_t off = p->sz_hot_offset;
	uint32_t i;

	for (i = 0; i < p->nr_moves && p->moves[i].at_ns <= t_ns; i++)
		off = p->moves[i].sz_offset;
	return off;
}

static double scan_page_prob(const struct tm_gen_part *p, uint64_t page_sz,
			     uint64_t pg)
{
	uint64_t f = p->sz_footprint, g = gcd_u64(f, p->sz_stride % f);
	uint64_t lo = pg * page_sz, hi = lo + page_sz;
	/* visited offsets are the multiples of g in [0, f), each g/f of the time */
	uint64_t nr = (hi + g - 1) / g - (lo + g - 1) / g;

	return (double)nr * ((double)g / (double)f);
}

static double part_page_prob(const struct tm_gen_part *p, uint32_t shift,
			     uint64_t t_ns, uint64_t pg)
{
	uint64_t n = p->sz_footprint >> shift, nr_hot, first_hot, rank;
	struct gen_perm perm;

	switch (p->kind) {
	case TM_GEN_ZIPF:
		rank = pg;
		if (p->zipf_seed) {
			perm_init(&perm, p->zipf_seed, n);
			rank = perm_inv(&perm, pg);
		}
		return pow((double)(rank + 1), -p->zipf_s) / zipf_norm(p->zipf_s, n);
	case TM_GEN_HOTSET:
		nr_hot = p->sz_hot >> shift;
		first_hot = hot_offset_at(p, t_ns) >> shift;
		if (nr_hot == 0 || nr_hot == n)
			return 1.0 / (double)n;
		if (pg >= first_hot && pg < first_hot + nr_hot)
			return p->hot_share / (double)nr_hot;
		return (1 - p->hot_share) / (double)(n - nr_hot);
	case TM_GEN_SCAN:
		return scan_page_prob(p, 1ull << shift, pg);
	default:
		return 1.0 / (double)n;
	}
}

double tm_gen_page_prob(const struct tm_gen_spec *spec, uint64_t t_ns,
			uint64_t addr)
{
	const struct tm_gen_phase *ph = &spec->phases[phase_at(spec, t_ns)];
	double total = 0, prob = 0;
	uint32_t j;

	for (j = 0; j < ph->nr_parts; j++)
		total += ph->parts[j].weight;
	for (j = 0; j < ph->nr_parts; j++) {
		const struct tm_gen_part *p = &ph->parts[j];

		if (addr < p->base || addr - p->base >= p->sz_footprint)
			continue;
		prob += p->weight / total *
			part_page_prob(p, spec->page_shift, t_ns,
				       (addr - p->base) >> spec->page_shift);
	}
	return prob;
}

/* ---- the stream ------------------------------------------------------------ */

struct gen_part_rt {
	uint64_t nr_pages;
	double cum_weight;      /* normalised, cumulative over the phase's parts */
	struct gen_zipf zipf;
	struct gen_perm perm;
	int permuted;
	uint64_t nr_hot_pages;
	uint64_t first_hot_page;
	uint32_t next_move;
	uint64_t scan_pos;      /* byte offset of the next scan access */
};

struct gen_state {
	struct tm_gen_spec spec;
	gsl_rng *rng;
	uint64_t idx;           /* records emitted */
	double ns_per_record;
	uint32_t phase;
	uint64_t nr_lines;      /* cache lines per page */
	struct gen_part_rt rt[TM_GEN_MAX_PHASES][TM_GEN_MAX_PARTS];
};

static void part_rt_init(struct gen_part_rt *rt, const struct tm_gen_part *p,
			 uint32_t shift)
{
	rt->nr_pages = p->sz_footprint >> shift;
	if (p->kind == TM_GEN_ZIPF) {
		zipf_init(&rt->zipf, p->zipf_s, rt->nr_pages);
		rt->permuted = p->zipf_seed != 0;
		if (rt->permuted)
			perm_init(&rt->perm, p->zipf_seed, rt->nr_pages);
	}
	rt->nr_hot_pages = p->sz_hot >> shift;
	rt->first_hot_page = p->sz_hot_offset >> shift;
}

static uint64_t hot_page(struct gen_state *g, struct gen_part_rt *rt,
			 const struct tm_gen_part *p, uint64_t t_ns)
{
	uint64_t nr_cold = rt->nr_pages - rt->nr_hot_pages, c;

	while (rt->next_move < p->nr_moves && p->moves[rt->next_move].at_ns <= t_ns)
		rt->first_hot_page = p->moves[rt->next_move++].sz_offset >>
				     g->spec.page_shift;
	if (rt->nr_hot_pages == 0 || nr_cold == 0)
		return draw_below(g->rng, rt->nr_pages);
	if (gsl_rng_uniform(g->rng) < p->hot_share)
		return rt->first_hot_page + draw_below(g->rng, rt->nr_hot_pages);
	c = draw_below(g->rng, nr_cold);
	return c < rt->first_hot_page ? c : c + rt->nr_hot_pages;
}

static uint64_t part_addr(struct gen_state *g, struct gen_part_rt *rt,
			  const struct tm_gen_part *p, uint64_t t_ns)
{
	uint64_t pg, off;

	switch (p->kind) {
	case TM_GEN_SCAN:
		off = rt->scan_pos;
		pg = p->sz_stride % p->sz_footprint; /* step; no overflow near 2^64 */
		rt->scan_pos = off >= p->sz_footprint - pg ? off - (p->sz_footprint - pg) :
			       off + pg;
		return p->base + off;
	case TM_GEN_ZIPF:
		pg = zipf_draw(&rt->zipf, g->rng) - 1;
		if (rt->permuted)
			pg = perm_fwd(&rt->perm, pg);
		break;
	case TM_GEN_HOTSET:
		pg = hot_page(g, rt, p, t_ns);
		break;
	default:
		pg = draw_below(g->rng, rt->nr_pages);
		break;
	}
	off = draw_below(g->rng, g->nr_lines) * GEN_LINE_BYTES;
	return p->base + (pg << g->spec.page_shift) + off;
}

static uint32_t pick_part(struct gen_state *g, const struct tm_gen_phase *ph)
{
	double u;
	uint32_t j;

	if (ph->nr_parts == 1)
		return 0;
	u = gsl_rng_uniform(g->rng);
	for (j = 0; j + 1 < ph->nr_parts; j++)
		if (u < g->rt[g->phase][j].cum_weight)
			break;
	return j;
}

static uint8_t pick_op(struct gen_state *g)
{
	double share = g->spec.store_share;

	if (share <= 0)
		return TM_OP_LOAD;
	if (share >= 1)
		return TM_OP_STORE;
	return gsl_rng_uniform(g->rng) < share ? TM_OP_STORE : TM_OP_LOAD;
}

/* Per-record path: no allocation, no lock. */
static ssize_t gen_read(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err)
{
	struct gen_state *g = state;
	const struct tm_gen_spec *s = &g->spec;
	size_t n;

	(void)err;
	for (n = 0; n < cap; n++) {
		uint64_t t = (uint64_t)((double)g->idx * g->ns_per_record);
		const struct tm_gen_phase *ph;
		uint32_t j;

		if ((s->nr_records && g->idx >= s->nr_records) ||
		    (s->duration_ns && t >= s->duration_ns))
			break;
		while (g->phase + 1 < s->nr_phases && s->phases[g->phase + 1].start_ns <= t)
			g->phase++;
		ph = &s->phases[g->phase];
		j = pick_part(g, ph);
		buf[n].time_ns = t;
		buf[n].addr = part_addr(g, &g->rt[g->phase][j], &ph->parts[j], t);
		buf[n].weight = 0;
		buf[n].cpu = (uint16_t)(g->idx % s->nr_vcpus);
		buf[n].op = pick_op(g);
		buf[n].flags = 0;
		g->idx++;
	}
	return (ssize_t)n;
}

static void gen_free(void *state)
{
	struct gen_state *g = state;

	if (!g)
		return;
	gsl_rng_free(g->rng);
	free(g);
}

static const struct tm_stream_ops gen_ops = {
	.name = "gen",
	.read = gen_read,
	.free = gen_free,
};

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Bytes in the union of every part's [base, base + footprint). */
static uint64_t union_footprint(const struct tm_gen_spec *s)
{
	uint64_t r[TM_GEN_MAX_PHASES * TM_GEN_MAX_PARTS][2], total = 0, end = 0;
	size_t nr = 0, i;
	uint32_t ph, j;

	for (ph = 0; ph < s->nr_phases; ph++)
		for (j = 0; j < s->phases[ph].nr_parts; j++, nr++) {
			r[nr][0] = s->phases[ph].parts[j].base;
			r[nr][1] = r[nr][0] + s->phases[ph].parts[j].sz_footprint;
		}
	qsort(r, nr, sizeof(r[0]), cmp_range);
	for (i = 0; i < nr; i++) {
		uint64_t lo = r[i][0] > end ? r[i][0] : end;

		if (r[i][1] > lo)
			total += r[i][1] - lo;
		if (r[i][1] > end)
			end = r[i][1];
	}
	return total;
}

static void gen_info(const struct tm_gen_spec *spec, struct tm_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = spec->kind;
	info->space = TM_ADDR_GVA;
	info->page_shift = spec->page_shift;
	if (spec->kind == TM_TRACE_SAMPLES) {
		info->load_period = spec->load_period;
		info->store_period = spec->store_period;
	}
	info->nr_vcpus = spec->nr_vcpus;
	info->sz_footprint_hint = union_footprint(spec);
	tm_gen_spec_describe(spec, info->source, sizeof(info->source));
}

int tm_gen_stream_new(const struct tm_gen_spec *spec, uint64_t seed,
		      struct tm_stream **out, struct tm_error *err)
{
	struct gen_state *g;
	struct tm_stream *s;
	uint64_t x = seed;
	uint32_t i, j;

	*out = NULL;
	if (tm_gen_spec_check(spec, err))
		return -1;
	g = tm_xcalloc(1, sizeof(*g));
	g->spec = *spec;
	g->rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!g->rng) {
		free(g);
		return tm_error_set(err, TM_ERR_INTERNAL, "gen: cannot allocate an RNG");
	}
	/* mt19937 takes 32 bits of seed; mix all 64 into them. */
	x = tm_splitmix64(&x);
	gsl_rng_set(g->rng, (unsigned long)((x ^ (x >> 32)) & 0xffffffffull));
	g->ns_per_record = 1e9 / spec->rate_per_s;
	g->nr_lines = (1ull << spec->page_shift) / GEN_LINE_BYTES;
	for (i = 0; i < spec->nr_phases; i++) {
		const struct tm_gen_phase *ph = &spec->phases[i];
		double total = 0, cum = 0;

		for (j = 0; j < ph->nr_parts; j++)
			total += ph->parts[j].weight;
		for (j = 0; j < ph->nr_parts; j++) {
			cum += ph->parts[j].weight / total;
			part_rt_init(&g->rt[i][j], &ph->parts[j], spec->page_shift);
			g->rt[i][j].cum_weight = cum;
		}
	}
	s = tm_xcalloc(1, sizeof(*s));
	s->ops = &gen_ops;
	s->state = g;
	gen_info(spec, &s->info);
	*out = s;
	return 0;
}
