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
		.rate = 9900, .est = { cum_a, 1000, 9900 },
		.truth = { cum_a, 1000, 9900 },
	};
}

static struct tm_rb_vm vm_b(uint64_t cap, double measured)
{
	return (struct tm_rb_vm){
		.cap_pages = cap, .floor_pages = 0, .ceil_pages = 1000,
		.target_hit = 0.5, .priority = 1, .measured_hit = measured,
		.measured_last = measured,
		.rate = 4000, .est = { cum_b, 400, 4000 },
		.truth = { cum_b, 400, 4000 },
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
	struct tm_curve a = { cum_a, 1000, 9900, NULL, 0 };
	struct tm_curve e = { NULL, 0, 0, NULL, 0 };

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
	/* In the band [target, target + 2 hyst]: hold in its upper half... */
	v[0] = vm_a(120, 0.88);
	v[1] = vm_b(200, 0.53);
	decide("target-hit", v, 2, 400, 64, t);
	assert_int_equal(t[0], 120);
	assert_int_equal(t[1], 200);
	/* ...and in its lower half take a step of an idle pool (headroom):
	 * 80 pages free, a step of 64; a step of 96 does not fit. */
	v[0] = vm_a(120, 0.86);
	v[1] = vm_b(200, 0.53);
	decide("target-hit", v, 2, 400, 64, t);
	assert_int_equal(t[0], 120 + 64);
	assert_int_equal(t[1], 200);
	v[0] = vm_a(120, 0.86);
	decide("target-hit", v, 2, 400, 96, t);
	assert_int_equal(t[0], 120);
	/* No free pages and no donor: the grower gets nothing. */
	v[0] = vm_a(100, 0.40);
	v[1] = vm_b(300, 0.51);
	decide("target-hit", v, 2, 400, 64, t);
	assert_int_equal(t[0], 100);
	assert_int_equal(t[1], 300);
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
	v[0].est = (struct tm_curve){ cum_b, 400, 4000, NULL, 0 };
	v[0].rate = 9900;
	decide("oracle", v, 2, 400, 1000, t);
	assert_true(t[0] >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curve),
		cmocka_unit_test(test_static_keeps),
		cmocka_unit_test(test_target_hit_feedback_keys),
		cmocka_unit_test(test_target_hit),
		cmocka_unit_test(test_promise_no_shrink_below),
		cmocka_unit_test(test_promise_no_idle_shrink),
		cmocka_unit_test(test_bounds_all),
		cmocka_unit_test(test_utility_oracle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
