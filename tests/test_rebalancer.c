/*
 * test_rebalancer.c - the FMEM rebalancing policies on hand-made curves.
 *
 *   VM a: 100 pages hold 90% of its accesses (curve steep, then flat)
 *   VM b: accesses spread evenly over 400 pages
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "models/rebalance/rebalancer.h"
#include "models/rebalance/rebalance_internal.h"

static uint64_t cum_a[1000], cum_b[400];

static void make_curves(void)
{
	uint64_t s = 0;

	for (int i = 0; i < 1000; i++) {  /* 100 pages x 90, 900 pages x 1 */
		s += i < 100 ? 90 : 1;
		cum_a[i] = s;
	}
	s = 0;
	for (int i = 0; i < 400; i++) {
		s += 10;
		cum_b[i] = s;
	}
}

static struct tm_rb_vm vm_a(uint64_t cap, double measured)
{
	return (struct tm_rb_vm){
		.cap_pages = cap, .floor_pages = 10, .ceil_pages = 1000,
		.target_hit = 0.85, .priority = 1, .measured_hit = measured,
		.measured_last = measured,
		.rate = 9900, .est = { .cum = cum_a, .nr = 1000, .total = 9900 },
		.truth = { .cum = cum_a, .nr = 1000, .total = 9900 },
	};
}

static struct tm_rb_vm vm_b(uint64_t cap, double measured)
{
	return (struct tm_rb_vm){
		.cap_pages = cap, .floor_pages = 0, .ceil_pages = 1000,
		.target_hit = 0.5, .priority = 1, .measured_hit = measured,
		.measured_last = measured,
		.rate = 4000, .est = { .cum = cum_b, .nr = 400, .total = 4000 },
		.truth = { .cum = cum_b, .nr = 400, .total = 4000 },
	};
}

/* Run policy name on v with its defaults (hysteresis 0.02), host_pages
 * and a step of step pages (4 KiB pages). */
static void decide(const char *name, struct tm_rb_vm *v, uint32_t nr,
		   uint64_t host_pages, uint64_t step, uint64_t *t)
{
	struct tm_rebalancer_config c;
	const struct tm_cfg_key *k;
	struct tm_rb_params p;

	assert_int_equal(tm_rebalancer_config_default(&c, name), 0);
	k = tm_cfg_find(c.ops->kind.keys, c.ops->kind.nr_keys, "step");
	if (k)
		*(uint64_t *)(void *)(c.own.bytes + k->off) = step << 12;
	p = (struct tm_rb_params){ .cfg = &c, .own = c.own.bytes,
				   .host_pages = host_pages, .page_shift = 12 };
	c.ops->decide(&p, v, nr, t);
}

static void test_curve(void **state)
{
	struct tm_curve a = { .cum = cum_a, .nr = 1000, .total = 9900 };
	struct tm_curve e = { .cum = NULL };

	(void)state;
	make_curves();
	/* 90% of 9900 = 8910 = exactly the first 99 pages (99 x 90). */
	assert_int_equal(tm_curve_pages_for(&a, 0.9), 99);
	assert_int_equal(tm_curve_pages_for(&a, 0.0), 0);
	assert_int_equal(tm_curve_pages_for(&a, 1.0), 1000);
	assert_int_equal(tm_curve_pages_for(&e, 0.5), 0);
	assert_true(fabs(tm_curve_hits_at(&a, 100) - 9000.0 / 9900) < 1e-12);
	assert_true(tm_curve_hits_at(&a, 5000) == 1.0);
	assert_true(isnan(tm_curve_hits_at(&e, 3)));
}

/* Unseen pages of a sampled curve: a hot set of 10,000 equal pages
 * sampled twice each on average (Poisson) has f1 = f2 = 2,707 and
 * 10,000 e^-2 = 1,353 pages unsampled, each as hot as the rest (2). */
static void test_curve_unseen(void **state)
{
	uint64_t pages;
	uint32_t count;

	(void)state;
	tm_curve_unseen(2707, 2707, 1000000, &pages, &count);
	assert_int_equal(pages, 1352);   /* 2707 x 2706 / (2 x 2708) */
	assert_int_equal(count, 2);
	tm_curve_unseen(2707, 2707, 500, &pages, &count);   /* capped */
	assert_int_equal(pages, 500);
	assert_int_equal(count, 5);      /* 2707 / 500 = 5.4 */
	tm_curve_unseen(1, 0, 1000, &pages, &count);
	assert_int_equal(pages, 0);
	tm_curve_unseen(100, 0, 1000, &pages, &count);  /* f2 = 0 */
	assert_int_equal(pages, 1000);   /* 4950, capped */
	assert_int_equal(count, 1);
}

/* A curve of sampled counts gains its unseen pages in place: 5 pages of
 * 3 samples, 6 of 2, 8 of 1 (f1 = 8, f2 = 6): 8 x 7 / 14 = 4 unseen
 * pages of 8 / 4 = 2 samples each, after the pages of 2 or more. */
static void test_curve_add_unseen(void **state)
{
	static const uint32_t counts[] = { 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2,
					   1, 1, 1, 1, 1, 1, 1, 1 };
	uint64_t cum[19], sum = 0;
	struct tm_curve c;

	(void)state;
	for (int i = 0; i < 19; i++)
		cum[i] = sum += counts[i];
	c = (struct tm_curve){ .cum = cum, .nr = 19, .total = sum };
	assert_int_equal(tm_curve_pages_for(&c, 1.0), 19);
	tm_curve_add_unseen(&c, 1000);
	assert_int_equal(c.un_pages, 4);
	assert_int_equal(c.un_count, 2);
	assert_int_equal(c.un_at, 11);
	assert_int_equal(c.nr, 23);
	assert_int_equal(c.total, sum + 8);
	assert_int_equal(tm_curve_cum(&c, 10), 27);     /* 15 + 6 x 2 */
	assert_int_equal(tm_curve_cum(&c, 14), 35);     /* + 4 x 2 */
	assert_int_equal(tm_curve_cum(&c, 15), 36);
	assert_int_equal(tm_curve_cum(&c, 22), sum + 8);
	/* 30 of 43 accesses: 13 pages before, 13 now (27 at 11, 29 at 12, ...) */
	assert_int_equal(tm_curve_pages_for(&c, 30.0 / 43), 13);
	assert_true(fabs(tm_curve_hits_at(&c, 15) - 35.0 / 43) < 1e-12);
	/* again: the same, not twice */
	tm_curve_add_unseen(&c, 1000);
	assert_int_equal(c.nr, 23);
	assert_int_equal(c.total, sum + 8);
	/* capped by the pages the VM has left */
	tm_curve_add_unseen(&c, 2);
	assert_int_equal(c.un_pages, 2);
	assert_int_equal(c.un_count, 4);
	assert_int_equal(c.un_at, 0);    /* 4 samples each: the hottest */
}

static void test_static_keeps(void **state)
{
	struct tm_rb_vm v[2] = { vm_a(50, 0.4), vm_b(300, 0.9) };
	uint64_t t[2];

	(void)state;
	make_curves();
	decide("static", v, 2, 400, 64, t);
	assert_int_equal(t[0], 50);
	assert_int_equal(t[1], 300);
	assert_null(tm_rebalancer_find("nonesuch"));
}

/* target-hit, one decision each: a's capacity and reading over the
 * window and the last interval (0: the window's), b's capacity and
 * reading, the host's pages, the step, and the targets of a and b.
 *  - In the band [target, target + 2 hyst] a VM takes a step of an idle
 *    pool (headroom), closest to its target first: 80 pages free, a step
 *    of 64 for a (0.86 of 0.85) before b (0.53 of 0.50), nothing left for
 *    b; a step of 96 does not fit.  The upper half of the band too; above
 *    it (0.90 > 0.89), hold.  The lower of the window's and the last
 *    interval's reading decides: 0.90 over the window but 0.88 in the
 *    last interval is in the band.
 *  - From an idle pool a VM below its target grows past the step, to
 *    what its curve wants: b at 0.10 of 0.50 with 50 pages; its curve
 *    predicts 0.125 there, so the feedback is 0.0125 and the goal 0.5325:
 *    213 of its 400 even pages (250 idle; a, above its band, holds:
 *    nobody needs its pages).  With the pool at 100 pages, b takes them
 *    all, one step of 64 bounding nothing.
 *  - No free pages and no donor: the grower gets nothing. */
static const struct th_case {
	uint64_t a_cap;
	double a, a_last;
	uint64_t b_cap;
	double b;
	uint64_t host, step, want_a, want_b;
} th_cases[] = {
	{ 120, 0.86, 0, 200, 0.53, 400, 64, 120 + 64, 200 },
	{ 120, 0.86, 0, 200, 0.53, 400, 96, 120, 200 },
	{ 120, 0.88, 0, 200, 0.55, 400, 64, 120 + 64, 200 },
	{ 120, 0.90, 0, 200, 0.55, 400, 64, 120, 200 },
	{ 120, 0.90, 0.88, 200, 0.55, 400, 64, 120 + 64, 200 },
	{ 300, 0.895, 0, 50, 0.10, 600, 64, 300, 213 },
	{ 300, 0.895, 0, 50, 0.10, 450, 64, 300, 150 },
	{ 100, 0.40, 0, 300, 0.51, 400, 64, 100, 300 },
};

/* a is below its target: it grows by at most a step, from the pool and b's
 * donation; b is far above its band: it shrinks toward its need. */
static void test_target_hit(void **state)
{
	struct tm_rb_vm v[2] = { vm_a(50, 0.40), vm_b(300, 0.90) };
	uint64_t t[2];

	(void)state;
	make_curves();
	decide("target-hit", v, 2, 400, 64, t);
	assert_int_equal(t[0], 50 + 64);
	assert_int_equal(t[1], 300 - 14);  /* only what a needs beyond the 50 free */
	assert_true(v[0].feedback > 0 && v[1].feedback < 0);
	for (size_t i = 0; i < sizeof(th_cases) / sizeof(th_cases[0]); i++) {
		const struct th_case *tc = &th_cases[i];

		v[0] = vm_a(tc->a_cap, tc->a);
		v[0].measured_last = tc->a_last ? tc->a_last : tc->a;
		v[1] = vm_b(tc->b_cap, tc->b);
		decide("target-hit", v, 2, tc->host, tc->step, t);
		assert_int_equal(t[0], tc->want_a);
		assert_int_equal(t[1], tc->want_b);
	}
}

/* gain and feedback_max are target-hit's own keys (0.5 and 0.2 by
 * default).  The feedback is the curve's error at the capacity: a's curve
 * predicts 4500/9900 = 0.4545 at 50 pages against 0.40 measured, so
 * 0.5 x 0.0545 = 0.0273; b's predicts 0.75 at 300 pages against 0.90,
 * so -0.075.  feedback_max 0.02 clamps both; gain 0 keeps both at 0. */
static void test_target_hit_feedback_keys(void **state)
{
	struct tm_rebalancer_config c;
	struct tm_target_hit_config *th = (void *)c.own.bytes;
	struct tm_rb_params p = { .cfg = &c, .own = c.own.bytes,
				  .host_pages = 400, .page_shift = 12 };
	struct tm_rb_vm v[2] = { vm_a(50, 0.40), vm_b(300, 0.90) };
	uint64_t t[2];

	(void)state;
	make_curves();
	assert_int_equal(tm_rebalancer_config_default(&c, "target-hit"), 0);
	assert_true(th->gain == 0.5 && th->feedback_max == 0.2);
	c.ops->decide(&p, v, 2, t);
	assert_true(fabs(v[0].feedback - 0.5 * (4500.0 / 9900 - 0.40)) < 1e-12);
	assert_true(fabs(v[1].feedback + 0.075) < 1e-12);
	th->feedback_max = 0.02;
	v[0] = vm_a(50, 0.40);
	v[1] = vm_b(300, 0.90);
	c.ops->decide(&p, v, 2, t);
	assert_true(v[0].feedback == 0.02 && v[1].feedback == -0.02);
	th->gain = 0;
	v[0] = vm_a(50, 0.40);
	v[1] = vm_b(300, 0.90);
	c.ops->decide(&p, v, 2, t);
	assert_true(v[0].feedback == 0 && v[1].feedback == 0);
}

/* The promise (rebalancer.c rules 3-5) as a checker: VMs measured below
 * target whose target is lower than their capacity. */
static int shrunk_below(const struct tm_rb_vm *v, uint32_t nr,
			const uint64_t *t)
{
	int n = 0;

	for (uint32_t i = 0; i < nr; i++)
		n += (v[i].measured_hit < v[i].target_hit ||
		      v[i].measured_last < v[i].target_hit) &&
		     t[i] < v[i].cap_pages;
	return n;
}

/* The planted fault: the rules before the promise (bounded step toward
 * the curve, then the grant), which shrink a VM below its target. */
static void fault_decide(const struct tm_rb_params *p, struct tm_rb_vm *v,
			 uint32_t nr, uint64_t *t)
{
	double urg[8] = { 0 };

	for (uint32_t i = 0; i < nr; i++)
		t[i] = tm_rb_bounded(&v[i], tm_curve_pages_for(&v[i].est,
				     v[i].target_hit), 64);
	tm_rb_grant(v, nr, p->host_pages, urg, t);
}

/*   a: 0.40 < 0.85, grows          b: 0.45 < 0.50 (below), 300 pages
 * host 400 pages, 50 free: a asks a step of 64, 14 beyond the pool; b is
 * the only VM that could give them, and it must not.  The checker catches
 * the fault, so it can fail. */
static void test_promise_no_shrink_below(void **state)
{
	static const char *names[] = { "target-hit", "proportional" };
	struct tm_rebalancer_config c;
	struct tm_rb_params p;
	uint64_t t[2];

	(void)state;
	make_curves();
	for (int k = 0; k < 2; k++) {
		struct tm_rb_vm v[2] = { vm_a(50, 0.40), vm_b(300, 0.45) };

		decide(names[k], v, 2, 400, 64, t);
		assert_int_equal(shrunk_below(v, 2, t), 0);
		assert_true(t[1] >= 300 && t[0] + t[1] <= 400);
		/* below in the last interval only: still below */
		v[0] = vm_a(50, 0.40);
		v[1] = vm_b(300, 0.90);
		v[1].measured_last = 0.45;
		decide(names[k], v, 2, 400, 64, t);
		assert_int_equal(shrunk_below(v, 2, t), 0);
	}
	assert_int_equal(tm_rebalancer_config_default(&c, "target-hit"), 0);
	p = (struct tm_rb_params){ .cfg = &c, .own = c.own.bytes,
				   .host_pages = 400, .page_shift = 12 };
	{
		struct tm_rb_vm v[2] = { vm_a(50, 0.40), vm_b(300, 0.45) };

		fault_decide(&p, v, 2, t);
		assert_int_equal(shrunk_below(v, 2, t), 1);
	}
}

/* Rule 4: with 300 of 700 pages free and no VM in need, b (far above its
 * band) holds; a reserve of 350 pages lets it give the 50 that refill the
 * pool to the reserve. Rule 5: b's curve is not believed (a marginal page
 * of 10 samples against min_samples 20): it holds even with the reserve. */
static void test_promise_no_idle_shrink(void **state)
{
	struct tm_rebalancer_config c;
	struct tm_target_hit_config *th = (void *)c.own.bytes;
	struct tm_rb_params p;
	struct tm_rb_vm v[2] = { vm_a(100, 0.86), vm_b(300, 0.90) };
	uint64_t t[2];

	(void)state;
	make_curves();
	assert_int_equal(tm_rebalancer_config_default(&c, "target-hit"), 0);
	p = (struct tm_rb_params){ .cfg = &c, .own = c.own.bytes,
				   .host_pages = 700, .page_shift = 12 };
	c.ops->decide(&p, v, 2, t);
	assert_int_equal(t[0], 100);
	assert_int_equal(t[1], 300);
	c.sz_reserve = 350 << 12;
	v[1] = vm_b(300, 0.90);
	c.ops->decide(&p, v, 2, t);
	assert_int_equal(t[1], 250);
	th->min_samples = 20;
	v[1] = vm_b(300, 0.90);
	c.ops->decide(&p, v, 2, t);
	assert_int_equal(t[1], 300);
	/* ...but not while a VM is below its target with the pool empty:
	 * then b, measured above its band, gives a step (64) at most, and
	 * only what a asks beyond the pool (a step of 64 from 100 free: 0;
	 * with 30 free: 34). */
	c.sz_reserve = 0;
	th->sz_step = 64 << 12;
	v[0] = vm_a(370, 0.40);
	v[1] = vm_b(300, 0.90);
	c.ops->decide(&p, v, 2, t);
	assert_int_equal(t[0], 370 + 64);
	assert_int_equal(t[1], 300 - 34);
}

/* Headroom is lent (target-hit): idle FMEM goes, a step each, to every
 * VM that holds, is at or above its target and still has SMEM accesses
 * to serve, closest to its target first; a VM above its band that
 * borrowed gives the loan back at once when another VM is below target.
 *  - Pool of 200 (host 600): a in its band (0.86 of 0.85) borrows 64,
 *    then b, above its band (0.95 of 0.50) and holding (its curve wants
 *    128 of its 100 pages), borrows 64.  b measured at 1.0 (no SMEM
 *    access) does not borrow.
 *  - a below target, the pool empty, b above its band owing 200 with a
 *    curve not believed: b returns the 200 in one interval, and a grows
 *    by them, past its step of 64 (a step each, before loans: 364/236).
 *  - A borrower below its target owes nothing: it needed the pages (both
 *    below, the pool empty: neither moves).
 *  - The pool empty (host 400), a in its band takes its step from what
 *    b, above its band and holding, owes (100): a 164, b 236, b owes 36.
 *  - Donors give by the lower of their two readings: with a below target
 *    and the pool empty, b1 (0.95 over the window, 0.90 in the last
 *    interval) keeps its pages and b2 (0.92 steady) gives the step.
 *  - A VM above its band takes from a loan too while its footprint grows
 *    into SMEM: a at 0.95 (curves not believed at min_samples 100, so
 *    both hold), its FMEM full, 64 pages first touched over the interval
 *    (a step), takes 64 of b's 100; at 63 new pages, or with room left
 *    in its FMEM, it does not.
 * Rows: the host's pages, min_samples, a's capacity, reading and loan,
 * b's, then both targets and both loans after the decision. */
static const struct loan_case {
	uint64_t host;
	double min_samples;
	uint64_t a_cap;
	double a;
	uint64_t a_lent, b_cap;
	double b;
	uint64_t b_lent, want_a, want_b, owe_a, owe_b;
} loan_cases[] = {
	{ 600, 4, 300, 0.86, 0, 100, 0.95, 0, 364, 164, 64, 64 },
	{ 600, 4, 300, 0.86, 0, 100, 1.0, 0, 364, 100, 64, 0 },
	/* b's marginal page holds 10 samples: not believed at 20 */
	{ 600, 20, 300, 0.40, 0, 300, 0.95, 200, 500, 100, 0, 0 },
	{ 600, 20, 300, 0.40, 64, 300, 0.45, 64, 300, 300, 0, 0 },
	{ 400, 20, 100, 0.86, 0, 300, 0.95, 100, 164, 236, 64, 36 },
};

static void test_target_hit_loans(void **state)
{
	struct tm_rebalancer_config c;
	struct tm_target_hit_config *th = (void *)c.own.bytes;
	struct tm_rb_params p;
	struct tm_rb_vm w[3] = { vm_a(100, 0.40), vm_b(300, 0.95),
				 vm_b(300, 0.92) };
	uint64_t t[3];

	(void)state;
	make_curves();
	assert_int_equal(tm_rebalancer_config_default(&c, "target-hit"), 0);
	th->sz_step = 64 << 12;
	p = (struct tm_rb_params){ .cfg = &c, .own = c.own.bytes,
				   .page_shift = 12 };
	for (size_t i = 0; i < sizeof(loan_cases) / sizeof(loan_cases[0]);
	     i++) {
		const struct loan_case *lc = &loan_cases[i];
		struct tm_rb_vm v[2] = { vm_a(lc->a_cap, lc->a),
					 vm_b(lc->b_cap, lc->b) };

		v[0].lent_pages = lc->a_lent;
		v[1].lent_pages = lc->b_lent;
		p.host_pages = lc->host;
		th->min_samples = lc->min_samples;
		c.ops->decide(&p, v, 2, t);
		assert_int_equal(t[0], lc->want_a);
		assert_int_equal(t[1], lc->want_b);
		assert_int_equal(v[0].lent_pages, lc->owe_a);
		assert_int_equal(v[1].lent_pages, lc->owe_b);
	}
	w[1].measured_last = 0.90;
	p.host_pages = 700;
	c.ops->decide(&p, w, 3, t);
	assert_int_equal(t[0], 164);
	assert_int_equal(t[1], 300);
	assert_int_equal(t[2], 236);

	th->min_samples = 100;
	p.host_pages = 400;
	for (int k = 0; k < 3; k++) {
		struct tm_rb_vm v[2] = { vm_a(100, 0.95), vm_b(300, 0.95) };

		v[0].full = k != 2;
		v[0].new_pages = k == 1 ? 63 : 64;
		v[1].lent_pages = 100;
		c.ops->decide(&p, v, 2, t);
		assert_int_equal(t[0], k ? 100 : 164);
		assert_int_equal(t[1], k ? 300 : 236);
	}
}

/* Floors and ceilings bound every policy; Σ targets <= host. */
static void test_bounds_all(void **state)
{
	static const char *names[] = { "static", "proportional", "target-hit",
				       "utility", "oracle" };

	(void)state;
	make_curves();
	for (int k = 0; k < 5; k++) {
		for (uint64_t cap = 10; cap <= 400; cap += 39) {
			struct tm_rb_vm v[2] = { vm_a(cap, 0.3),
						 vm_b(400 - cap, 0.95) };
			uint64_t t[2];

			v[0].ceil_pages = 250;
			if (cap > 250)
				continue;
			decide(names[k], v, 2, 400, 1000, t);
			assert_true(t[0] + t[1] <= 400);
			assert_true(t[0] >= 10 && t[0] <= 250);
		}
	}
}

/* utility gives a's steep first 100 pages first; oracle equals utility
 * when the estimated curves are the truth, and follows the true curve when
 * they differ. */
static void test_utility_oracle(void **state)
{
	struct tm_rb_vm v[2] = { vm_a(200, 0.5), vm_b(200, 0.5) };
	uint64_t t[2];

	(void)state;
	make_curves();
	decide("utility", v, 2, 400, 1000, t);
	assert_true(t[0] >= 100);
	assert_true(t[0] + t[1] <= 400);
	/* est says b is steep, truth says a: oracle follows the truth */
	v[0] = vm_a(200, 0.5);
	v[1] = vm_b(200, 0.5);
	v[0].est = (struct tm_curve){ .cum = cum_b, .nr = 400,
				      .total = 4000 };
	v[0].rate = 9900;
	decide("oracle", v, 2, 400, 1000, t);
	assert_true(t[0] >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curve),
		cmocka_unit_test(test_curve_unseen),
		cmocka_unit_test(test_curve_add_unseen),
		cmocka_unit_test(test_static_keeps),
		cmocka_unit_test(test_target_hit_feedback_keys),
		cmocka_unit_test(test_target_hit_loans),
		cmocka_unit_test(test_target_hit),
		cmocka_unit_test(test_promise_no_shrink_below),
		cmocka_unit_test(test_promise_no_idle_shrink),
		cmocka_unit_test(test_bounds_all),
		cmocka_unit_test(test_utility_oracle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
