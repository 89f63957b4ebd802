/*
 * test_dist.c - the distribution truth (traces/gen/dist.c) against its
 * exact twin: brute force over every page of a small footprint, each
 * record's chance from tm_gen_page_prob() (the generators' page_prob,
 * written apart from the rank orders), summed over the epoch's records.
 *
 *   pages   0 ........................................ 999
 *   epoch   [t0, t1) of stream time: the records in it, each a draw
 *   brute   E[page] = per_record × Σ_records page_prob(t_record, page)
 *   T       the C pages of largest E (ties: any); mass(T) = Σ_T E
 *
 * Every generator kind, a mixture of disjoint parts (exact path), and the
 * overlap approximation (overlapping mixture, a phase change and a hot-set
 * move inside the epoch) whose loss against brute force is bounded here.
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

#include "traces/gen/dist.h"
#include "traces/gen/gen.h"
#include "traces/reuse.h"

#define NR_PAGES 1000u
#define RATE 40e3            /* records/s: 25 us apart */

static double brute[NR_PAGES];

static void set(struct tm_gen_part *p, const char *key, const char *v)
{
	struct tm_error e;

	assert_int_equal(tm_gen_part_set(p, key, v, &e), 0);
}

static struct tm_gen_part *part(struct tm_gen_spec *s, uint32_t ph,
				uint32_t j, const char *gen, uint64_t base_pg,
				uint64_t nr_pg)
{
	struct tm_gen_part *p = &s->phases[ph].parts[j];

	tm_gen_part_init(p, tm_generator_find(gen));
	p->base = base_pg << 12;
	p->sz_footprint = nr_pg << 12;
	p->seed = 0x9e3779b97f4a7c15ull;
	if (s->phases[ph].nr_parts <= j)
		s->phases[ph].nr_parts = j + 1;
	return p;
}

static void spec_init(struct tm_gen_spec *s)
{
	tm_gen_spec_init(s);
	s->rate_per_s = RATE;
	s->phases[0].nr_parts = 0;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x > y ? -1 : x < y;
}

static double sorted[NR_PAGES];

/* Brute-force E per page over stream time [t0, t1), sorted hottest first
 * into sorted[]. */
static void brute_force(const struct tm_gen_spec *s, uint64_t t0, uint64_t t1)
{
	double per = tm_gen_dist_per_record(s), ns = 1e9 / s->rate_per_s;

	memset(brute, 0, sizeof(brute));
	for (uint64_t i = (uint64_t)ceil((double)t0 / ns);; i++) {
		uint64_t t = (uint64_t)((double)i * ns);

		if (t >= t1)
			break;
		if (t < t0)
			continue;
		for (uint32_t pg = 0; pg < NR_PAGES; pg++)
			brute[pg] += per * tm_gen_page_prob(s, t, (uint64_t)pg << 12);
	}
	memcpy(sorted, brute, sizeof(sorted));
	qsort(sorted, NR_PAGES, sizeof(double), cmp_desc);
}

/* The total, and the top-c mass in *top, of sorted[]. */
static double brute_top(uint64_t c, double *top)
{
	double total = 0;

	*top = 0;
	for (uint32_t pg = 0; pg < NR_PAGES; pg++) {
		total += sorted[pg];
		if (pg < c)
			*top += sorted[pg];
	}
	return total;
}

struct sum_ctx {
	const struct tm_gen_dist *d;
	double mass;
	uint64_t nr;
};

static void add_top(void *ctx, uint64_t page)
{
	struct sum_ctx *x = ctx;

	assert_true(tm_gen_dist_in_top(x->d, page));
	x->mass += tm_gen_dist_expected(x->d, page);
	x->nr++;
}

/* dist against brute force at capacities 5%, 20% and 60%: totals within
 * one record, T's mass within tol (relative; 1e-3 on the exact path: the
 * records are discrete, the distribution's time continuous), and T's
 * listing, membership and expectations agree with its mass. */
static void check(const struct tm_gen_spec *s, uint64_t t0, uint64_t t1,
		  double tol, bool approx)
{
	static const uint64_t caps[] = { 50, 200, 600 };
	struct tm_gen_dist_map map = { .time_scale = 1.0 };
	struct tm_gen_dist *d = tm_gen_dist_new(s, &map);
	struct tm_error e;

	assert_int_equal(tm_gen_spec_check(s, &e), 0);
	assert_non_null(d);
	brute_force(s, t0, t1);
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct tm_gen_top top;
		struct sum_ctx x = { .d = d };
		double want, total = brute_top(caps[k], &want);
		double per = tm_gen_dist_per_record(s);

		tm_gen_dist_epoch(d, t0, t1, caps[k], &top);
		assert_true(fabs(top.total - total) <= 1.01 * per);
		assert_true(top.mass <= want * (1 + 1e-3) + per);
		assert_true(top.mass >= want * (1 - tol) - per);
		assert_int_equal(top.approx, approx);
		tm_gen_dist_each_top(d, add_top, &x);
		assert_int_equal(x.nr, top.nr_true);
		assert_true(fabs(x.mass - top.mass) <= 1e-6 * top.mass + 1e-9);
	}
	tm_gen_dist_free(d);
}

static void test_uniform(void **state)
{
	struct tm_gen_spec s;

	(void)state;
	spec_init(&s);
	part(&s, 0, 0, "uniform", 0, NR_PAGES);
	check(&s, 0, 10000000, 1e-3, false);
}

static void test_zipf(void **state)
{
	static const char *const exps[] = { "0.6", "1.0", "1.4" };
	struct tm_gen_spec s;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		spec_init(&s);
		set(part(&s, 0, 0, "zipf", 0, NR_PAGES), "s", exps[i]);
		check(&s, 5000000, 10000000, 1e-3, false);
	}
}

static void test_hotset(void **state)
{
	static const char *const shares[] = { "0.9", "0.05" };  /* hot, cold first */
	struct tm_gen_spec s;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct tm_gen_part *p;

		spec_init(&s);
		p = part(&s, 0, 0, "hotset", 0, NR_PAGES);
		set(p, "hot", "400KiB");           /* 100 pages */
		set(p, "hot_offset", "1MiB");
		set(p, "hot_share", shares[i]);
		check(&s, 0, 10000000, 1e-3, false);
	}
}

/* A move before the epoch (exact path), then one inside it (overlap). */
static void test_hotset_moved(void **state)
{
	struct tm_gen_spec s;
	struct tm_gen_part *p;
	struct tm_error e;

	(void)state;
	spec_init(&s);
	p = part(&s, 0, 0, "hotset", 0, NR_PAGES);
	set(p, "hot", "800KiB");                   /* 200 pages */
	assert_int_equal(tm_gen_part_add_entry(p, "3ms:2MiB", &e), 0);
	check(&s, 5000000, 10000000, 1e-3, false);
	check(&s, 0, 10000000, 0.01, true);
}

/* tm_gen_dist_value_sig: two windows of one stretch and one length share
 * a signature and every page's expectation; a longer window, one across
 * the hot-set move (3 ms) or after it has another; a scan's none. */
static void test_value_sig(void **state)
{
	struct tm_gen_dist_map map = { .time_scale = 1.0 };
	struct tm_gen_spec s;
	struct tm_gen_part *p;
	struct tm_gen_dist *d;
	struct tm_error e;
	uint64_t a;
	double ea;

	(void)state;
	spec_init(&s);
	p = part(&s, 0, 0, "hotset", 0, NR_PAGES);
	set(p, "hot", "800KiB");
	assert_int_equal(tm_gen_part_add_entry(p, "3ms:2MiB", &e), 0);
	d = tm_gen_dist_new(&s, &map);
	tm_gen_dist_window(d, 0, 1000000);
	a = tm_gen_dist_value_sig(d);
	ea = tm_gen_dist_expected(d, 7);
	tm_gen_dist_window(d, 1000000, 2000000);
	assert_true(a != 0 && tm_gen_dist_value_sig(d) == a);
	assert_true(tm_gen_dist_expected(d, 7) == ea);
	tm_gen_dist_window(d, 1000000, 2500000);
	assert_true(tm_gen_dist_value_sig(d) != a);
	assert_true(tm_gen_dist_expected(d, 7) != ea);
	tm_gen_dist_window(d, 2500000, 3500000);
	assert_true(tm_gen_dist_value_sig(d) != a);
	tm_gen_dist_window(d, 4000000, 5000000);
	assert_true(tm_gen_dist_value_sig(d) != a);
	tm_gen_dist_free(d);
	spec_init(&s);
	set(part(&s, 0, 0, "scan", 0, NR_PAGES), "stride", "4KiB");
	tm_gen_spec_derive(&s);
	d = tm_gen_dist_new(&s, &map);
	tm_gen_dist_window(d, 5000000, 6000000);
	assert_int_equal(tm_gen_dist_value_sig(d), 0);
	tm_gen_dist_free(d);
}

/* Strides that do not divide the footprint: the long-run share. */
static void test_scan(void **state)
{
	static const char *const strides[] = { "3000B", "12KiB" };
	struct tm_gen_spec s;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		spec_init(&s);
		set(part(&s, 0, 0, "scan", 0, NR_PAGES), "stride", strides[i]);
		check(&s, 0, 10000000, 1e-3, false);
	}
}

/* Disjoint parts: the exact threshold path; overlapping: the approximation. */
static void test_mixture(void **state)
{
	struct tm_gen_spec s;

	(void)state;
	spec_init(&s);
	set(part(&s, 0, 0, "zipf", 0, 400), "s", "1.2");
	part(&s, 0, 1, "uniform", 400, 600)->weight = 3;
	check(&s, 0, 10000000, 1e-3, false);
	spec_init(&s);
	set(part(&s, 0, 0, "zipf", 0, NR_PAGES), "s", "0.8");
	part(&s, 0, 1, "uniform", 0, NR_PAGES);
	check(&s, 0, 10000000, 0.01, true);
}

/* Zipf, then uniform at 6 ms; epochs around and across the change. */
static void test_phases(void **state)
{
	struct tm_gen_spec s;

	(void)state;
	spec_init(&s);
	s.nr_phases = 2;
	set(part(&s, 0, 0, "zipf", 0, NR_PAGES), "s", "1.0");
	s.phases[1].start_ns = 6000000;
	part(&s, 1, 0, "uniform", 0, NR_PAGES);
	check(&s, 0, 6000000, 1e-3, false);
	check(&s, 6000000, 10000000, 1e-3, false);
	check(&s, 2000000, 10000000, 0.01, true);
}

/* Samples stand for the mean period. */
static void test_samples_period(void **state)
{
	struct tm_gen_spec s;

	(void)state;
	spec_init(&s);
	part(&s, 0, 0, "uniform", 0, NR_PAGES);
	s.kind = TM_TRACE_SAMPLES;
	s.load_period = 100;
	s.store_period = 1000;
	s.store_share = 0.25;
	assert_true(fabs(tm_gen_dist_per_record(&s) - 325) < 1e-9);
	check(&s, 0, 10000000, 1e-3, false);
}

static int reopen(void *ctx, struct tm_stream **out, struct tm_error *er)
{
	return tm_gen_stream_new(ctx, 1, out, er);
}

/* Records of the wrapped stream with a time in [t0, t1). */
static uint64_t count_records(struct tm_gen_spec *s, struct tm_reuse_opts *ro,
			      uint64_t t0, uint64_t t1)
{
	static struct tm_record buf[4096];
	struct tm_stream *st;
	struct tm_error e;
	uint64_t n = 0;

	ro->reopen = reopen;
	ro->reopen_ctx = s;
	assert_int_equal(tm_gen_stream_new(s, 1, &st, &e), 0);
	st = tm_reuse_wrap(st, ro);
	for (;;) {
		ssize_t got = tm_stream_read(st, buf, 4096, &e);

		assert_true(got > 0);
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i].time_ns >= t1) {
				tm_stream_free(st);
				return n;
			}
			n += buf[i].time_ns >= t0;
		}
	}
}

static double counted[NR_PAGES];

/* The records of the spec's stream in [t0, t1), per page, into counted[]. */
static void count_pages(const struct tm_gen_spec *s, uint64_t t0, uint64_t t1)
{
	static struct tm_record buf[4096];
	struct tm_stream *st;
	struct tm_error e;

	memset(counted, 0, sizeof(counted));
	assert_int_equal(tm_gen_stream_new(s, 1, &st, &e), 0);
	for (;;) {
		ssize_t got = tm_stream_read(st, buf, 4096, &e);

		assert_true(got > 0);
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i].time_ns >= t1) {
				tm_stream_free(st);
				return;
			}
			if (buf[i].time_ns >= t0)
				counted[(buf[i].addr >> 12) % NR_PAGES] += 1;
		}
	}
}

/* A scan whose stride divides the footprint: its truth is the window it
 * walks in the epoch (wrap-around, full passes, partial pages), every
 * page's expectation equal to the generated trace's count, and T the
 * counted top C.
 *
 *   pages  0 ......... 199 ........ 799 ......... 999
 *   4KiB,  [20, 32) ms: records 800..1279
 *          ######                    ###############   one visit, rest 0
 */
static void test_scan_window(void **state)
{
	static const struct { const char *stride, *phase; uint64_t t0, t1; }
	cases[] = {
		{ "4KiB", NULL, 20000000, 32000000 },     /* wraps */
		{ "4KiB", NULL, 5000000, 60000000 },      /* 2 passes + 200 */
		{ "64B", NULL, 10000000, 20000000 },      /* partial pages */
		{ "4KiB", "7ms", 9000000, 12000000 },     /* counted from 7 ms */
	};
	struct tm_gen_dist_map map = { .time_scale = 1.0 };
	struct tm_gen_spec s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tm_gen_dist *d;
		struct tm_gen_top top;
		double want = 0;

		spec_init(&s);
		part(&s, 0, 0, "uniform", 0, NR_PAGES);
		if (cases[i].phase) {
			s.nr_phases = 2;
			s.phases[1].start_ns = 7000000;
			set(part(&s, 1, 0, "scan", 0, NR_PAGES), "stride",
			    cases[i].stride);
		} else {
			set(part(&s, 0, 0, "scan", 0, NR_PAGES), "stride",
			    cases[i].stride);
		}
		tm_gen_spec_derive(&s);
		count_pages(&s, cases[i].t0, cases[i].t1);
		d = tm_gen_dist_new(&s, &map);
		tm_gen_dist_epoch(d, cases[i].t0, cases[i].t1, 150, &top);
		for (uint32_t pg = 0; pg < NR_PAGES; pg++)
			assert_true(fabs(tm_gen_dist_expected(d, pg) -
					 counted[pg]) < 1e-9);
		memcpy(sorted, counted, sizeof(sorted));
		qsort(sorted, NR_PAGES, sizeof(double), cmp_desc);
		for (uint32_t k = 0; k < 150; k++)
			want += sorted[k];
		assert_true(fabs(top.mass - want) < 1e-9);
		tm_gen_dist_free(d);
	}
}

static void in_shifted(void *ctx, uint64_t page)
{
	uint64_t *nr = ctx;

	assert_true(page >= (1u << 18) && page < (1u << 18) + NR_PAGES);
	(*nr)++;
}

/* Reuse: the records the wrapped stream delivers in a VM epoch against the
 * expected total, with offsets, a time scale and loops (the epoch meets
 * several passes); T's pages shift by the address offset. */
static void test_reuse(void **state)
{
	static struct tm_gen_spec s;
	struct tm_gen_dist_map map = { .addr_offset = 1ull << 30,
				       .time_offset_ns = 3000000,
				       .time_scale = 2.5, .loop = true };
	struct tm_reuse_opts ro = { .addr_offset = map.addr_offset,
				    .time_offset_ns = map.time_offset_ns,
				    .time_scale = map.time_scale, .loop = true };
	static const uint64_t spans[][2] = {
		{ 0, 2000000 }, { 3000000, 9000000 }, { 40000000, 95000000 },
		{ 14000000, 22000000 },
	};
	struct tm_gen_dist *d;

	(void)state;
	spec_init(&s);
	set(part(&s, 0, 0, "zipf", 0, NR_PAGES), "s", "1.0");
	s.duration_ns = 7000000;                  /* 700 records a pass */
	d = tm_gen_dist_new(&s, &map);
	for (size_t k = 0; k < 4; k++) {
		struct tm_gen_top top;
		uint64_t nr = 0, n = count_records(&s, &ro, spans[k][0],
						   spans[k][1]);

		tm_gen_dist_epoch(d, spans[k][0], spans[k][1], 100, &top);
		assert_true(fabs(top.total - (double)n) <= 0.01 * (double)n + 1);
		tm_gen_dist_each_top(d, in_shifted, &nr);
		assert_int_equal(nr, n ? 100 : 0);
	}
	tm_gen_dist_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_zipf),
		cmocka_unit_test(test_hotset),
		cmocka_unit_test(test_hotset_moved),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_value_sig),
		cmocka_unit_test(test_scan_window),
		cmocka_unit_test(test_mixture),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_samples_period),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
