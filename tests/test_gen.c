/*
 * test_gen.c - synthetic generators (traces/gen/gen.c): the statistics match the
 * spec (Zipf slope, hot-set share, mixture weights, phase and move times),
 * tm_gen_page_prob is a distribution that agrees with the draws, specs are
 * validated with messages naming the field, and the same seed gives the
 * same records and the same .tmt bytes.  The stream's MT19937
 * (lib/mt19937.h) gives the numbers GSL's gsl_rng_mt19937 gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "lib/alloc.h"
#include "lib/mt19937.h"
#include "sim/cli/cli.h"
#include "traces/gen/gen.h"
#include "traces/tmt.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Store v as p's key without its bounds (the checks are under test). */
static void set(struct tm_gen_part *p, const char *key, double v)
{
	const struct tm_cfg_key *k = tm_gen_part_key(p, key);
	unsigned char *f;

	assert_non_null(k);
	f = p->cfg + k->off;
	if (k->field == TM_CFG_F_DBL)
		*(double *)(void *)f = v;
	else
		*(uint64_t *)(void *)f = (uint64_t)v;
}

/* Append a hotset move without the list's checks. */
static void move(struct tm_gen_part *p, uint64_t at_ns, uint64_t off)
{
	const struct tm_gen_list *l = p->gen->list;
	uint32_t *nr = (uint32_t *)(void *)(p->cfg + l->off_nr);
	struct tm_gen_move *m = (struct tm_gen_move *)(void *)(p->cfg +
				l->off_items + *nr * l->sz_item);

	m->at_ns = at_ns;
	m->sz_offset = off;
	(*nr)++;
}

static struct tm_gen_part *part0(struct tm_gen_spec *s)
{
	return &s->phases[0].parts[0];
}

/* Make p a part of generator name, keeping its weight, range and seed
 * (scan: stride 64, the stride these tests were pinned with). */
static void use(struct tm_gen_part *p, const char *name)
{
	struct tm_gen_part keep = *p;

	tm_gen_part_init(p, tm_generator_find(name));
	p->weight = keep.weight;
	p->base = keep.base;
	p->sz_footprint = keep.sz_footprint;
	p->seed = keep.seed;
	if (!strcmp(name, "scan"))
		set(p, "stride", 64);
}

static struct tm_stream *open_gen(const struct tm_gen_spec *spec, uint64_t seed)
{
	struct tm_stream *s;
	struct tm_error err;

	if (tm_gen_stream_new(spec, seed, &s, &err))
		fail_msg("tm_gen_stream_new: %s", err.msg);
	return s;
}

/* Read up to nr records into a new array; *got is the count. */
static struct tm_record *draw(const struct tm_gen_spec *spec, uint64_t seed,
			      size_t nr, size_t *got)
{
	struct tm_stream *s = open_gen(spec, seed);
	struct tm_record *r = malloc(nr * sizeof(*r));
	struct tm_error err;
	size_t n = 0;
	ssize_t k;

	while (n < nr && (k = tm_stream_read(s, r + n, nr - n < 4096 ? nr - n : 4096,
					     &err)) > 0)
		n += (size_t)k;
	tm_stream_free(s);
	*got = n;
	return r;
}

/* ---- validation -------------------------------------------------------------- */

struct bad_case {
	const char *field; /* expected at the start of the message */
	void (*breakit)(struct tm_gen_spec *s);
};

static void two_phases(struct tm_gen_spec *s)
{
	s->nr_phases = 2;
	s->phases[1] = s->phases[0];
	s->phases[1].start_ns = 1000;
}

static void hotset(struct tm_gen_part *p)
{
	use(p, "hotset");
	p->sz_footprint = 512 * MiB;
	set(p, "hot", 64 * MiB);
	set(p, "hot_share", 0.9);
}

static void b_footprint(struct tm_gen_spec *s) { part0(s)->sz_footprint = 0; }
static void b_footprint_align(struct tm_gen_spec *s) { part0(s)->sz_footprint = 5000; }
static void b_base(struct tm_gen_spec *s) { part0(s)->base = 100; }
static void b_hot(struct tm_gen_spec *s)
{
	two_phases(s);
	hotset(&s->phases[1].parts[0]);
	set(&s->phases[1].parts[0], "hot", GiB);
}
static void b_hot_share(struct tm_gen_spec *s) { hotset(part0(s)); set(part0(s), "hot_share", 1.5); }
static void b_hot_offset(struct tm_gen_spec *s)
{
	hotset(part0(s));
	set(part0(s), "hot_offset", 480 * MiB);
}
static void b_moves_sorted(struct tm_gen_spec *s)
{
	hotset(part0(s));
	move(part0(s), 2000, 0);
	move(part0(s), 1000, 0);
}
static void b_move_offset(struct tm_gen_spec *s)
{
	hotset(part0(s));
	move(part0(s), 2000, 500 * MiB);
}
static void b_s_zero(struct tm_gen_spec *s) { use(part0(s), "zipf"); set(part0(s), "s", 0); }
static void b_s_big(struct tm_gen_spec *s) { use(part0(s), "zipf"); set(part0(s), "s", 10.5); }
static void b_stride(struct tm_gen_spec *s) { use(part0(s), "scan"); set(part0(s), "stride", 0); }
static void b_weight(struct tm_gen_spec *s) { part0(s)->weight = 0; }
static void b_weight_neg(struct tm_gen_spec *s)
{
	s->phases[0].nr_parts = 2;
	s->phases[0].parts[1] = *part0(s);
	s->phases[0].parts[1].weight = -1;
}
static void b_kind(struct tm_gen_spec *s) { part0(s)->gen = NULL; }
static void b_nr_parts(struct tm_gen_spec *s) { s->phases[0].nr_parts = 0; }
static void b_nr_phases(struct tm_gen_spec *s) { s->nr_phases = 0; }
static void b_first_phase(struct tm_gen_spec *s) { s->phases[0].start_ns = 5; }
static void b_phase_order(struct tm_gen_spec *s)
{
	two_phases(s);
	s->nr_phases = 3;
	s->phases[2] = s->phases[0];
	s->phases[2].start_ns = 1000;
}
static void b_rate(struct tm_gen_spec *s) { s->rate_per_s = 0; }
static void b_vcpus(struct tm_gen_spec *s) { s->nr_vcpus = 0; }
static void b_stores(struct tm_gen_spec *s) { s->store_share = -0.1; }
static void b_page(struct tm_gen_spec *s) { s->page_shift = 11; }
static void b_period(struct tm_gen_spec *s) { s->kind = TM_TRACE_SAMPLES; }

static void test_spec_check(void **state)
{
	static const struct bad_case cases[] = {
		{ "phases[0].parts[0].footprint: ", b_footprint },
		{ "phases[0].parts[0].footprint: ", b_footprint_align },
		{ "phases[0].parts[0].base: ", b_base },
		{ "phases[1].parts[0].hot: ", b_hot },
		{ "phases[0].parts[0].hot_share: ", b_hot_share },
		{ "phases[0].parts[0].hot_offset: ", b_hot_offset },
		{ "phases[0].parts[0].moves[1].at: ", b_moves_sorted },
		{ "phases[0].parts[0].moves[0].offset: ", b_move_offset },
		{ "phases[0].parts[0].s: ", b_s_zero },
		{ "phases[0].parts[0].s: ", b_s_big },
		{ "phases[0].parts[0].stride: ", b_stride },
		{ "phases[0].parts[0].weight: ", b_weight },
		{ "phases[0].parts[1].weight: ", b_weight_neg },
		{ "phases[0].parts[0].gen: ", b_kind },
		{ "phases[0].nr_parts: ", b_nr_parts },
		{ "nr_phases: ", b_nr_phases },
		{ "phases[0].start: ", b_first_phase },
		{ "phases[2].start: ", b_phase_order },
		{ "rate: ", b_rate },
		{ "vcpus: ", b_vcpus },
		{ "store_share: ", b_stores },
		{ "page_shift: ", b_page },
		{ "load_period: ", b_period },
	};
	struct tm_gen_spec spec;
	struct tm_stream *s;
	struct tm_error err;

	(void)state;
	tm_gen_spec_init(&spec);
	assert_int_equal(tm_gen_spec_check(&spec, &err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tm_gen_spec_init(&spec);
		cases[i].breakit(&spec);
		memset(&err, 0, sizeof(err));
		assert_int_equal(tm_gen_spec_check(&spec, &err), -1);
		assert_int_equal(err.code, TM_ERR_BOUNDS);
		if (strncmp(err.msg, cases[i].field, strlen(cases[i].field)) != 0 ||
		    !strstr(err.msg, "expected"))
			fail_msg("case %zu: \"%s\" should start with \"%s\"", i, err.msg,
				 cases[i].field);
		/* the stream constructor refuses the same spec */
		assert_int_equal(tm_gen_stream_new(&spec, 1, &s, &err), -1);
		assert_null(s);
	}
}

static void test_describe(void **state)
{
	struct tm_gen_spec spec;
	char buf[256];

	(void)state;
	tm_gen_spec_init(&spec);
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "uniform(64MiB) @ 1M/s");
	use(part0(&spec), "zipf");
	set(part0(&spec), "s", 1.2);
	part0(&spec)->sz_footprint = 512 * MiB;
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "zipf(s=1.2, 512MiB) @ 1M/s");
	two_phases(&spec);
	spec.phases[1].start_ns = 5000000000ull;
	hotset(&spec.phases[1].parts[0]);
	spec.phases[1].nr_parts = 2;
	spec.phases[1].parts[1] = spec.phases[0].parts[0];
	spec.phases[1].parts[1].weight = 3;
	spec.rate_per_s = 2.5e5;
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "phases(0s: zipf(s=1.2, 512MiB); 5s: mix(0.25 hotset("
			    "64MiB hot of 512MiB, share 0.9, 0 moves), 0.75 zipf(s=1.2, "
			    "512MiB))) @ 250k/s");
	tm_gen_spec_describe(&spec, buf, 10); /* truncates, stays terminated */
	assert_int_equal(strlen(buf), 9);
}

/* Regression: describe printed sizes with 3 significant digits, so a
 * 100.5MiB footprint was "100MiB" and 10.25MiB "10.2MiB"; it now uses
 * tm_format_size like every other size tmsim prints. */
static void test_describe_odd_size(void **state)
{
	struct tm_gen_spec spec;
	char buf[256];

	(void)state;
	tm_gen_spec_init(&spec);
	part0(&spec)->sz_footprint = 201 * MiB / 2;
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "uniform(100.5MiB) @ 1M/s");
	part0(&spec)->sz_footprint = 41 * MiB / 4;
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "uniform(10.25MiB) @ 1M/s");
}

/* ---- the stream's shape ---------------------------------------------------------- */

static void test_times_cpus_ops(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n, nr_stores = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	part0(&spec)->base = 0x100000000ull;
	spec.rate_per_s = 3e6; /* 333.3 ns apart: floor(i * 1e9 / rate) */
	spec.nr_vcpus = 3;
	spec.store_share = 0.3;
	spec.duration_ns = 1000000; /* 1 ms: 3000 records */
	r = draw(&spec, 5, 100000, &n);
	assert_int_equal(n, 3000);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].time_ns, (uint64_t)((double)i * (1e9 / 3e6)));
		assert_int_equal(r[i].cpu, i % 3);
		assert_true(r[i].op == TM_OP_LOAD || r[i].op == TM_OP_STORE);
		assert_int_equal(r[i].flags, 0);
		assert_int_equal(r[i].weight, 0);
		assert_true(r[i].addr >= 0x100000000ull &&
			    r[i].addr < 0x100000000ull + 64 * MiB);
		assert_int_equal(r[i].addr % 64, 0);
		nr_stores += r[i].op == TM_OP_STORE;
	}
	assert_true(fabs((double)nr_stores / (double)n - 0.3) < 0.03);
	free(r);
	spec.duration_ns = 0;
	spec.nr_records = 1234; /* stop by count */
	r = draw(&spec, 5, 100000, &n);
	assert_int_equal(n, 1234);
	free(r);
}

static void test_stream_info(void **state)
{
	struct tm_gen_spec spec;
	struct tm_stream *s;

	(void)state;
	tm_gen_spec_init(&spec);
	spec.kind = TM_TRACE_SAMPLES;
	spec.load_period = 4093;
	spec.store_period = 65535;
	spec.nr_vcpus = 8;
	spec.page_shift = 21;
	part0(&spec)->sz_footprint = 64 * MiB;
	two_phases(&spec); /* same range: counted once */
	spec.phases[1].nr_parts = 2;
	spec.phases[1].parts[1] = *part0(&spec);
	spec.phases[1].parts[1].base = 32 * MiB; /* overlaps by half */
	s = open_gen(&spec, 1);
	assert_int_equal(s->info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(s->info.load_period, 4093);
	assert_int_equal(s->info.store_period, 65535);
	assert_int_equal(s->info.nr_vcpus, 8);
	assert_int_equal(s->info.page_shift, 21);
	assert_int_equal(s->info.sz_footprint_hint, 96 * MiB);
	assert_non_null(strstr(s->info.source, "phases("));
	tm_stream_free(s);
}

static void test_scan_is_exact(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n;

	(void)state;
	tm_gen_spec_init(&spec);
	use(part0(&spec), "scan");
	part0(&spec)->base = 1 * GiB;
	part0(&spec)->sz_footprint = 1 * MiB;
	set(part0(&spec), "stride", 3000); /* not a divisor: wraps around unevenly */
	spec.nr_records = 10000;
	r = draw(&spec, 1, 10000, &n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r[i].addr, 1 * GiB + (i * 3000) % MiB);
	free(r);
}

/* ---- distributions ------------------------------------------------------------- */

/* Least-squares slope of log(count[k]) against log(k + 1), k < nr. */
static double loglog_slope(const uint64_t *count, size_t nr)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;

	for (size_t k = 0; k < nr; k++) {
		double x = log((double)k + 1), y = log((double)count[k] + 0.5);

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	return ((double)nr * sxy - sx * sy) / ((double)nr * sxx - sx * sx);
}

static void zipf_slope_case(double s_exp)
{
	const size_t nr_pages = 16384, nr_draws = 1000000;
	uint64_t *count = calloc(nr_pages, sizeof(*count));
	struct tm_gen_spec spec;
	struct tm_record *r;
	double slope;
	size_t n;

	tm_gen_spec_init(&spec);
	use(part0(&spec), "zipf");
	set(part0(&spec), "s", s_exp);
	part0(&spec)->sz_footprint = nr_pages * 4096;
	spec.nr_records = nr_draws;
	r = draw(&spec, 11, nr_draws, &n);
	for (size_t i = 0; i < n; i++)
		count[r[i].addr >> 12]++; /* identity ranking: page k has rank k+1 */
	slope = loglog_slope(count, 100);
	print_message("zipf s=%.2f: top-100 log-log slope %.4f\n", s_exp, slope);
	assert_true(fabs(slope + s_exp) <= 0.05);
	free(r);
	free(count);
}

static void test_zipf_slope(void **state)
{
	(void)state;
	zipf_slope_case(0.8);
	zipf_slope_case(1.0);
	zipf_slope_case(1.2);
	zipf_slope_case(2.0);
}

/* With a rank permutation, each page's frequency matches its exact
 * probability (within 5 sigma) and the top ranks are spread out. */
static void test_zipf_permuted_matches_prob(void **state)
{
	const size_t nr_pages = 16384, nr_draws = 1000000;
	uint64_t *count = calloc(nr_pages, sizeof(*count));
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n, checked = 0, top = 0;
	double ptop = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	use(part0(&spec), "zipf");
	set(part0(&spec), "s", 1.1);
	part0(&spec)->seed = 99;
	part0(&spec)->base = 4 * GiB;
	part0(&spec)->sz_footprint = nr_pages * 4096;
	spec.nr_records = nr_draws;
	r = draw(&spec, 3, nr_draws, &n);
	for (size_t i = 0; i < n; i++)
		count[(r[i].addr - 4 * GiB) >> 12]++;
	for (size_t pg = 0; pg < nr_pages; pg++) {
		double p = tm_gen_page_prob(&spec, 0, 4 * GiB + pg * 4096 + 100);
		double mean = p * (double)nr_draws, sd = sqrt(mean * (1 - p));

		if (p > ptop) {
			ptop = p;
			top = pg;
		}
		if (mean < 1000)
			continue;
		checked++;
		if (fabs((double)count[pg] - mean) > 5 * sd)
			fail_msg("page %zu: %llu draws, expected %.0f", pg,
				 (unsigned long long)count[pg], mean);
	}
	assert_true(checked >= 20);
	assert_int_not_equal(top, 0); /* rank 1 is not page 0 */
	free(r);
	free(count);
}

static void test_hotset_share_and_moves(void **state)
{
	struct tm_gen_spec spec;
	struct tm_gen_part *p;
	struct tm_record *r;
	size_t n, hot_before = 0, hot_after = 0, old_after = 0, nr_before = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	p = part0(&spec);
	hotset(p);
	set(p, "hot_offset", 64 * MiB);
	move(p, 500000000ull, 256 * MiB); /* at 0.5 s */
	spec.nr_records = 1000000; /* 1 s at 1M/s */
	r = draw(&spec, 17, 1000000, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = r[i].addr;
		int in_old = a >= 64 * MiB && a < 128 * MiB;
		int in_new = a >= 256 * MiB && a < 320 * MiB;

		if (r[i].time_ns < 500000000ull) {
			nr_before++;
			hot_before += in_old;
		} else {
			hot_after += in_new;
			old_after += in_old;
		}
	}
	print_message("hot share before %.4f after %.4f\n",
		      (double)hot_before / (double)nr_before,
		      (double)hot_after / (double)(n - nr_before));
	assert_int_equal(nr_before, 500000);
	assert_true(fabs((double)hot_before / (double)nr_before - 0.9) <= 0.01);
	assert_true(fabs((double)hot_after / (double)(n - nr_before) - 0.9) <= 0.01);
	/* the old hot range is now cold: 0.1 * 64/448 of the accesses */
	assert_true(fabs((double)old_after / (double)(n - nr_before) - 0.1 / 7) <= 0.003);
	free(r);
}

static void test_phase_switch(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n, nr_after = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	use(part0(&spec), "zipf");
	set(part0(&spec), "s", 1.2);
	two_phases(&spec);
	spec.phases[1].start_ns = 5000000; /* 5 ms */
	use(&spec.phases[1].parts[0], "uniform");
	spec.phases[1].parts[0].base = GiB;
	spec.nr_records = 10000;
	r = draw(&spec, 2, 10000, &n);
	for (size_t i = 0; i < n; i++) {
		int in_phase2 = r[i].addr >= GiB;

		if (r[i].time_ns < 5000000)
			assert_false(in_phase2);
		else
			assert_true(in_phase2);
		nr_after += r[i].time_ns >= 5000000;
	}
	assert_int_equal(nr_after, 5000);
	free(r);
}

static void test_mixture_weights(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n, nr_second = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	spec.phases[0].nr_parts = 2;
	part0(&spec)->weight = 3;
	spec.phases[0].parts[1] = *part0(&spec);
	spec.phases[0].parts[1].weight = 1;
	use(&spec.phases[0].parts[1], "scan");
	spec.phases[0].parts[1].base = GiB;
	spec.nr_records = 200000;
	r = draw(&spec, 8, 200000, &n);
	for (size_t i = 0; i < n; i++)
		nr_second += r[i].addr >= GiB;
	assert_true(fabs((double)nr_second / (double)n - 0.25) < 0.01);
	free(r);
}

/* ---- exact probabilities ------------------------------------------------------ */

static double prob_sum(const struct tm_gen_spec *spec, uint64_t t_ns,
		       uint64_t lo, uint64_t hi)
{
	double sum = 0;

	for (uint64_t a = lo; a < hi; a += 4096)
		sum += tm_gen_page_prob(spec, t_ns, a);
	return sum;
}

static void test_page_prob_sums_to_one(void **state)
{
	static const double s_values[] = { 0.3, 0.999999, 1.0, 1.2, 3.0, 10.0 };
	struct tm_gen_spec spec;
	struct tm_gen_part *p;

	(void)state;
	tm_gen_spec_init(&spec);
	p = part0(&spec);
	p->sz_footprint = 65536 * 4096ull; /* > 200 pages: Euler-Maclaurin tail */
	assert_true(fabs(prob_sum(&spec, 0, 0, p->sz_footprint) - 1) < 1e-9);
	use(p, "zipf");
	for (size_t i = 0; i < sizeof(s_values) / sizeof(s_values[0]); i++) {
		set(p, "s", s_values[i]);
		p->seed = i;
		if (fabs(prob_sum(&spec, 0, 0, p->sz_footprint) - 1) > 1e-9)
			fail_msg("zipf s=%g sums to %.12f", tm_gen_part_get(p, "s"),
				 prob_sum(&spec, 0, 0, p->sz_footprint));
	}
	p->sz_footprint = 150 * 4096; /* exact sum only */
	assert_true(fabs(prob_sum(&spec, 0, 0, p->sz_footprint) - 1) < 1e-12);
	/* hot set, before and after a move; outside the footprint: 0 */
	hotset(p);
	move(p, 1000, 128 * MiB);
	assert_true(fabs(prob_sum(&spec, 0, 0, 512 * MiB) - 1) < 1e-9);
	assert_true(fabs(prob_sum(&spec, 5000, 0, 512 * MiB) - 1) < 1e-9);
	assert_true(tm_gen_page_prob(&spec, 0, 0) > tm_gen_page_prob(&spec, 0, 128 * MiB));
	assert_true(tm_gen_page_prob(&spec, 5000, 0) < tm_gen_page_prob(&spec, 5000, 128 * MiB));
	assert_true(tm_gen_page_prob(&spec, 0, 512 * MiB) == 0);
	/* scan: stride of 3 pages over 9 pages visits pages 0, 3, 6 */
	use(p, "scan");
	p->sz_footprint = 9 * 4096;
	set(p, "stride", 3 * 4096);
	assert_true(fabs(tm_gen_page_prob(&spec, 0, 3 * 4096) - 1.0 / 3) < 1e-12);
	assert_true(tm_gen_page_prob(&spec, 0, 4 * 4096) == 0);
	assert_true(fabs(prob_sum(&spec, 0, 0, 9 * 4096) - 1) < 1e-12);
	set(p, "stride", 3000);
	assert_true(fabs(prob_sum(&spec, 0, 0, 9 * 4096) - 1) < 1e-12);
	/* mixture over overlapping ranges, in two phases */
	spec.phases[0].nr_parts = 2;
	use(&spec.phases[0].parts[1], "zipf");
	set(&spec.phases[0].parts[1], "s", 0.7);
	spec.phases[0].parts[1].weight = 2;
	spec.phases[0].parts[1].sz_footprint = 1000 * 4096;
	two_phases(&spec);
	spec.phases[1].parts[0].base = GiB;
	assert_true(fabs(prob_sum(&spec, 0, 0, 1000 * 4096) - 1) < 1e-9);
	assert_true(fabs(prob_sum(&spec, 2000, 0, 1000 * 4096) - 2.0 / 3) < 1e-9);
}

/* Footprints beyond 2^32 pages use the 64-bit draw path. */
static void test_huge_footprint(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n, high = 0;

	(void)state;
	tm_gen_spec_init(&spec);
	part0(&spec)->sz_footprint = 1ull << 46; /* 2^34 pages */
	spec.nr_records = 10000;
	r = draw(&spec, 4, 10000, &n);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].addr < 1ull << 46);
		high += r[i].addr >= 1ull << 45;
	}
	assert_true(high > 4500 && high < 5500);
	free(r);
	use(part0(&spec), "zipf");
	set(part0(&spec), "s", 0.9);
	part0(&spec)->seed = 5;
	r = draw(&spec, 4, 10000, &n);
	assert_int_equal(n, 10000);
	for (size_t i = 0; i < n; i++)
		assert_true(tm_gen_page_prob(&spec, r[i].time_ns, r[i].addr) > 0);
	free(r);
}

/* ---- determinism and allocation ----------------------------------------------- */

static void mixed_spec(struct tm_gen_spec *spec)
{
	tm_gen_spec_init(spec);
	spec->phases[0].nr_parts = 3;
	use(part0(spec), "zipf");
	set(part0(spec), "s", 1.1);
	part0(spec)->seed = 3;
	spec->phases[0].parts[1] = *part0(spec);
	hotset(&spec->phases[0].parts[1]);
	spec->phases[0].parts[1].base = GiB;
	spec->phases[0].parts[2] = *part0(spec);
	use(&spec->phases[0].parts[2], "scan");
	spec->phases[0].parts[2].base = 2 * GiB;
	spec->store_share = 0.4;
	spec->nr_vcpus = 4;
	spec->nr_records = 200000;
}

static void write_gen(const char *path, const struct tm_gen_spec *spec, uint64_t seed)
{
	struct tm_stream *s = open_gen(spec, seed);
	struct tm_tmt_writer *w;
	struct tm_record buf[1000];
	struct tm_error err;
	ssize_t n;

	w = tm_tmt_writer_new(path, &s->info, "{\"seed\":1}", &err);
	assert_non_null(w);
	while ((n = tm_stream_read(s, buf, 1000, &err)) > 0)
		assert_int_equal(tm_tmt_writer_add(w, buf, (size_t)n, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	tm_stream_free(s);
}

static int files_equal(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = 1;

	assert_non_null(fa);
	assert_non_null(fb);
	do {
		ca = fgetc(fa);
		cb = fgetc(fb);
		same = ca == cb;
	} while (same && ca != EOF);
	fclose(fa);
	fclose(fb);
	return same;
}

static void test_same_seed_same_bytes(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *a, *b, *c;
	size_t na, nb, nc;
	char dir[] = "/tmp/gen-test-XXXXXX", p1[64], p2[64], p3[64];

	(void)state;
	mixed_spec(&spec);
	a = draw(&spec, 42, 200000, &na);
	b = draw(&spec, 42, 200000, &nb);
	c = draw(&spec, 43, 200000, &nc);
	assert_int_equal(na, 200000);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, na * sizeof(*a));
	assert_int_equal(nc, na);
	assert_memory_not_equal(a, c, na * sizeof(*a));
	free(a);
	free(b);
	free(c);
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/a.tmt", dir);
	snprintf(p2, sizeof(p2), "%s/b.tmt", dir);
	snprintf(p3, sizeof(p3), "%s/c.tmt", dir);
	write_gen(p1, &spec, 42);
	write_gen(p2, &spec, 42);
	write_gen(p3, &spec, 43);
	assert_true(files_equal(p1, p2));
	assert_false(files_equal(p1, p3));
	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(dir);
}

static void test_read_allocates_nothing(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record buf[512];
	struct tm_stream *s;
	struct tm_error err;
	unsigned long before;

	(void)state;
	mixed_spec(&spec);
	s = open_gen(&spec, 1);
	before = tm_alloc_count();
	for (int i = 0; i < 200; i++)
		assert_true(tm_stream_read(s, buf, 512, &err) > 0);
	assert_int_equal(tm_alloc_count(), before);
	tm_stream_free(s);
}

/* ---- tmsim gen on the command line ------------------------------------------ */

static int run_cmd(int (*cmd)(int, char **), const char *line)
{
	char buf[1024], *argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return cmd(argc, argv);
}

static void test_cmd_gen(void **state)
{
	static const char *const bad[] = {
		"gen", "gen --records 5 -o X", "gen zipf -o X",
		"gen zipf --records 5", "gen frob --records 5 -o X",
		"gen zipf --bogus 1 --records 5 -o X", "gen zipf --s 0 --records 5 -o X",
		"gen zipf --footprint 12XB --records 5 -o X",
		"gen hotset --records 5 -o X", "gen zipf --move 5s --records 5 -o X",
		"gen zipf --rate 1M --records 5 -o X", "gen zipf --vcpus 0 --records 5 -o X",
		"gen zipf --page-size 3KiB --records 5 -o X",
		"gen zipf --phase 1s:uniform --phase 0s:zipf --records 5 -o X",
		"gen zipf --records 5 -o",
	};
	char dir[] = "/tmp/gen-cmd-XXXXXX", line[1024], a[64], b[64], c[64];
	const char *opts = "hotset --footprint 512MiB --hot 64MiB --hot-share 0.8 "
		"--move 1ms:256MiB --part zipf --s 1.2 --base 1GiB --weight 0.5 "
		"--phase 2ms:scan --stride 64B --rate 1M/s --duration 3ms --vcpus 4 "
		"--stores 0.3 --kind samples --period 100";
	struct tm_stream *s;
	struct tm_error err;
	struct tm_record buf[4000];
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *x = strstr(strcpy(line, bad[i]), " X");

		if (x)
			snprintf(x, sizeof(line) - (size_t)(x - line), " %s/x.tmt", dir);
		if (run_cmd(tm_cmd_gen, line) != 2)
			fail_msg("\"%s\" should exit 2", bad[i]);
	}
	assert_int_equal(run_cmd(tm_cmd_gen, "gen --help"), 0);
	snprintf(a, sizeof(a), "%s/a.tmt", dir);
	snprintf(b, sizeof(b), "%s/b.tmt", dir);
	snprintf(c, sizeof(c), "%s/c.tmt", dir);
	snprintf(line, sizeof(line), "gen %s --seed 9 -o %s", opts, a);
	assert_int_equal(run_cmd(tm_cmd_gen, line), 0);
	snprintf(line, sizeof(line), "gen %s --seed=9 --output=%s", opts, b);
	assert_int_equal(run_cmd(tm_cmd_gen, line), 0);
	snprintf(line, sizeof(line), "gen %s --seed 10 -o %s", opts, c);
	assert_int_equal(run_cmd(tm_cmd_gen, line), 0);
	assert_true(files_equal(a, b));
	assert_false(files_equal(a, c));
	/* what the options asked for is in the file */
	assert_int_equal(tm_tmt_open(a, &s, &err), 0);
	assert_int_equal(s->info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(s->info.load_period, 100);
	assert_int_equal(s->info.nr_vcpus, 4);
	n = tm_stream_read(s, buf, 4000, &err);
	assert_int_equal(n, 3000); /* 3 ms at 1M/s */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i].time_ns >= 2000000) /* phase 2: one scan part from 0 */
			assert_int_equal(buf[i].addr, (uint64_t)(i - 2000) * 64);
		else
			assert_true(buf[i].addr < 512 * MiB ||
				    (buf[i].addr >= GiB && buf[i].addr < GiB + 64 * MiB));
	}
	assert_int_equal(tm_stream_read(s, buf, 4000, &err), 0);
	tm_stream_free(s);
	snprintf(line, sizeof(line), "inspect %s --json", a);
	assert_int_equal(run_cmd(tm_cmd_inspect, line), 0);
	snprintf(line, sizeof(line), "inspect %s/none.tmt", dir);
	assert_int_equal(run_cmd(tm_cmd_inspect, line), 2);
	assert_int_equal(run_cmd(tm_cmd_inspect, "inspect"), 2);
	assert_int_equal(run_cmd(tm_cmd_inspect, "inspect --frob x"), 2);
	unlink(a);
	unlink(b);
	unlink(c);
	assert_int_equal(rmdir(dir), 0); /* nothing else was left behind */
}


/* ---- a toy generator registered from this file alone (DESIGN.md §12) --- */

/* "stride2": every other page of the footprint, in order: 0, 2, 4, ... */
struct stride2_state {
	uint64_t nr_pages, next;
};

static void stride2_init(void *state, const struct tm_gen_part *p,
			 uint32_t page_shift)
{
	struct stride2_state *st = state;

	st->nr_pages = p->sz_footprint >> page_shift;
}

static uint64_t stride2_draw(void *state, const struct tm_gen_part *p,
			     struct tm_gen_rng *rng, uint64_t t_ns)
{
	struct stride2_state *st = state;
	uint64_t pg = st->next;

	(void)p;
	(void)rng;
	(void)t_ns;
	st->next = (st->next + 2) % st->nr_pages;
	return pg;
}

static double stride2_page_prob(const struct tm_gen_part *p,
				uint32_t page_shift, uint64_t t_ns, uint64_t pg)
{
	(void)t_ns;
	return pg % 2 ? 0 : 2.0 / (double)(p->sz_footprint >> page_shift);
}

static const struct tm_generator_ops stride2 = {
	.kind = { .name = "stride2", .help = "every other page, in order" },
	.state_size = sizeof(struct stride2_state),
	.init = stride2_init,
	.draw = stride2_draw,
	.page_prob = stride2_page_prob,
};

static int register_toy(void **state)
{
	struct tm_error err;

	(void)state;
	if (tm_generator_register(&stride2, &err))
		fail_msg("register: %s", err.msg);
	return 0;
}

static void test_toy_generator(void **state)
{
	struct tm_gen_spec spec;
	struct tm_record *r;
	size_t n;
	char buf[128];

	(void)state;
	assert_ptr_equal(tm_generator_find("stride2"), &stride2);
	tm_gen_spec_init(&spec);
	tm_gen_part_init(part0(&spec), tm_generator_find("stride2"));
	part0(&spec)->sz_footprint = 8 * 4096;
	spec.nr_records = 10;
	r = draw(&spec, 1, 10, &n);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r[i].addr >> 12, (2 * i) % 8);
	free(r);
	assert_true(tm_gen_page_prob(&spec, 0, 2 * 4096) == 0.25);
	assert_true(tm_gen_page_prob(&spec, 0, 3 * 4096) == 0);
	tm_gen_spec_describe(&spec, buf, sizeof(buf));
	assert_string_equal(buf, "stride2(32KiB) @ 1M/s");
	/* tmsim gen knows it too, and says so in --help */
	assert_int_equal(run_cmd(tm_cmd_gen, "gen stride2 --records 10 --s 2 "
				 "-o /dev/null"), 2);
}


/* ---- docs and --help list every generator and key ---------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	return buf;
}

/* Every row of rows[0..nr) as "| `key` |" in each doc. */
static void documented(const struct tm_cfg_key *rows, size_t nr,
		       char *const *docs, const char *const *names, size_t nr_docs)
{
	char want[80];

	for (size_t i = 0; i < nr; i++) {
		snprintf(want, sizeof(want), "| `%s` |", rows[i].pattern);
		for (size_t d = 0; d < nr_docs; d++)
			if (!strstr(docs[d], want))
				fail_msg("%s does not document %s", names[d], want);
	}
}

static void test_schema_documented(void **state)
{
	static const char *const names[] = { "docs/trace-format.md",
					     "docs/config.md" };
	char *docs[2] = { slurp(names[0]), slurp(names[1]) };
	char *help, opt[64];
	FILE *f;

	(void)state;
	f = tmpfile();
	assert_non_null(f);
	tm_cmd_gen_help(f);
	rewind(f);
	help = calloc(1, 1 << 16);
	assert_true(fread(help, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	for (size_t i = 0; i < tm_kinds_count(&tm_generator_kinds); i++) {
		const struct tm_generator_ops *g = tm_generator_at(i);

		snprintf(opt, sizeof(opt), "\n  %s ", g->kind.name);
		if (!strstr(help, opt))
			fail_msg("--help does not list generator %s", g->kind.name);
		for (size_t k = 0; k < g->kind.nr_keys; k++) {
			size_t n = 0;

			for (const char *c = g->kind.keys[k].pattern; *c && n < 60; c++)
				opt[n++] = *c == '_' ? '-' : *c;
			opt[n] = '\0';
			if (!strstr(help, opt))
				fail_msg("--help does not list %s's %s", g->kind.name,
					 g->kind.keys[k].pattern);
		}
		if (!strcmp(g->kind.name, "stride2"))
			continue;       /* the toy lives in this file only */
		documented(g->kind.keys, g->kind.nr_keys, docs, names, 2);
		if (g->list)
			documented(g->list->keys, g->list->nr_keys, docs, names, 2);
	}
	free(help);
	free(docs[0]);
	free(docs[1]);
}

/* lib/mt19937.h against GSL's gsl_rng_mt19937, draw for draw: raw words,
 * uniforms and bounded integers (small, odd, large and the largest n),
 * interleaved as the generators interleave them, for seeds including 0
 * (GSL's 4357) and 2^32 - 1, across many refills of the state. */
static void test_mt_matches_gsl(void **state)
{
	static const uint32_t seeds[] = { 0, 1, 4357, 12345, 0x9e3779b9u,
					  UINT32_MAX };
	static const uint32_t ns[] = { 1, 2, 3, 64, 1000, 262144, 2147483648u,
				       UINT32_MAX };
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	struct tm_mt *m = tm_xmalloc(sizeof(*m));

	(void)state;
	assert_non_null(g);
	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		gsl_rng_set(g, seeds[k]);
		tm_mt_seed(m, seeds[k]);
		for (uint32_t i = 0; i < 300000; i++) {
			uint32_t n = ns[i % (sizeof(ns) / sizeof(ns[0]))];

			switch (i % 3) {
			case 0:
				assert_int_equal(tm_mt_get(m), gsl_rng_get(g));
				break;
			case 1:
				assert_true(tm_mt_uniform(m) ==
					    gsl_rng_uniform(g));
				break;
			default:
				assert_int_equal(tm_mt_below(m, n),
						 gsl_rng_uniform_int(g, n));
			}
		}
	}
	free(m);
	gsl_rng_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mt_matches_gsl),
		cmocka_unit_test(test_spec_check),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_describe_odd_size),
		cmocka_unit_test(test_times_cpus_ops),
		cmocka_unit_test(test_stream_info),
		cmocka_unit_test(test_scan_is_exact),
		cmocka_unit_test(test_zipf_slope),
		cmocka_unit_test(test_zipf_permuted_matches_prob),
		cmocka_unit_test(test_hotset_share_and_moves),
		cmocka_unit_test(test_phase_switch),
		cmocka_unit_test(test_mixture_weights),
		cmocka_unit_test(test_page_prob_sums_to_one),
		cmocka_unit_test(test_huge_footprint),
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_read_allocates_nothing),
		cmocka_unit_test(test_cmd_gen),
		cmocka_unit_test_setup(test_toy_generator, register_toy),
		cmocka_unit_test(test_schema_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
