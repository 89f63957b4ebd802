/*
 * test_sampler.c - PEBS emulation (models/sampler.c): exact periods per CPU
 * and op, randomised reload with mean P, store period 0, MODIFY counted on
 * both counters, ring overflow, drain order and schedule, no allocation in
 * the hot loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/sampler.h"
#include "lib/alloc.h"

static struct tm_sampler_config cfg_of(uint64_t load, uint64_t store, bool randomize)
{
	struct tm_sampler_config c = {
		.load_period = load,
		.store_period = store,
		.randomize = randomize,
		.drain_ns = 2000000,
		.ring_entries = 1024,
		.cost_ns_per_sample = 250.0,
	};

	return c;
}

static struct tm_record rec(uint64_t t, uint16_t cpu, uint8_t op)
{
	struct tm_record r = { .time_ns = t, .addr = 0x1000 + t, .cpu = cpu, .op = op };

	return r;
}

/* 2 CPUs, loads and stores interleaved: floor(N/P) and floor(N/Q) samples
 * per CPU, taken exactly at the P-th, 2P-th ... access of each stream. */
static void test_exact_periods(void **state)
{
	struct tm_sampler_config c = cfg_of(7, 5, false);
	struct tm_sampler *s = tm_sampler_new(&c, 2, 1);
	uint64_t seen[2][2] = { { 0 } }, taken[2][2] = { { 0 } };
	const uint64_t n = 1000;
	struct tm_sampler_stats st;

	(void)state;
	for (uint64_t i = 0; i < n; i++)
		for (uint16_t cpu = 0; cpu < 2; cpu++)
			for (uint8_t op = TM_OP_LOAD; op <= TM_OP_STORE; op++) {
				struct tm_record r = rec(i, cpu, op);
				uint64_t p = op == TM_OP_LOAD ? 7 : 5;

				seen[cpu][op]++;
				if (tm_sampler_take(s, &r)) {
					taken[cpu][op]++;
					assert_int_equal(seen[cpu][op] % p, 0);
				}
			}
	for (int cpu = 0; cpu < 2; cpu++) {
		assert_int_equal(taken[cpu][TM_OP_LOAD], n / 7);
		assert_int_equal(taken[cpu][TM_OP_STORE], n / 5);
	}
	tm_sampler_get_stats(s, &st);
	assert_int_equal(st.nr_accesses, 4 * n);
	assert_int_equal(st.nr_samples, 2 * (n / 7 + n / 5));
	assert_true(st.cpu_ns == 250.0 * (double)st.nr_samples);
	tm_sampler_free(s);
}

/* Randomised reload: gaps vary, their mean is P (within 3%; the standard
 * error of the mean of ~1000 gaps uniform in [P/2, 3P/2] is ~0.9%). */
static double mean_gap(uint64_t seed, uint64_t *min_gap, uint64_t *max_gap)
{
	const uint64_t p = 4093, n = 4000000;
	struct tm_sampler_config c = cfg_of(p, 0, true);
	struct tm_sampler *s = tm_sampler_new(&c, 1, seed);
	uint64_t last = 0, nr = 0, sum = 0;

	*min_gap = UINT64_MAX;
	*max_gap = 0;
	for (uint64_t i = 1; i <= n; i++) {
		struct tm_record r = rec(i, 0, TM_OP_LOAD);

		if (!tm_sampler_take(s, &r))
			continue;
		if (nr) {
			uint64_t g = i - last;

			sum += g;
			*min_gap = g < *min_gap ? g : *min_gap;
			*max_gap = g > *max_gap ? g : *max_gap;
		}
		last = i;
		nr++;
	}
	tm_sampler_free(s);
	return (double)sum / (double)(nr - 1);
}

static void test_randomised_mean(void **state)
{
	uint64_t lo, hi, lo2, hi2;
	double m = mean_gap(42, &lo, &hi), m2 = mean_gap(43, &lo2, &hi2);

	(void)state;
	assert_true(m > 4093 * 0.97 && m < 4093 * 1.03);
	assert_true(m2 > 4093 * 0.97 && m2 < 4093 * 1.03);
	assert_true(lo >= 4093 - 2046 && hi <= 4093 + 2046);
	assert_true(lo < 4093 - 1000 && hi > 4093 + 1000); /* really spread */
	assert_true(m != m2);                              /* seed matters */
	assert_true(mean_gap(42, &lo2, &hi2) == m);        /* and decides */
}

static void test_store_period_zero(void **state)
{
	struct tm_sampler_config c = cfg_of(3, 0, false);
	struct tm_sampler *s = tm_sampler_new(&c, 1, 1);
	uint64_t stores = 0, modifies = 0;

	(void)state;
	for (uint64_t i = 0; i < 3000; i++) {
		struct tm_record st = rec(i, 0, TM_OP_STORE);
		struct tm_record md = rec(i, 0, TM_OP_MODIFY);

		stores += tm_sampler_take(s, &st);
		modifies += tm_sampler_take(s, &md);
	}
	assert_int_equal(stores, 0);
	assert_int_equal(modifies, 1000); /* a MODIFY still ticks the load counter */
	tm_sampler_free(s);
}

/* A MODIFY ticks both counters and is one sample when either fires. */
static void test_modify_both_counters(void **state)
{
	struct tm_sampler_config c = cfg_of(3, 5, false);
	struct tm_sampler *s = tm_sampler_new(&c, 1, 1);
	const uint64_t n = 3000;
	uint64_t taken = 0;

	(void)state;
	for (uint64_t i = 0; i < n; i++) {
		struct tm_record r = rec(i, 0, TM_OP_MODIFY);

		taken += tm_sampler_take(s, &r);
	}
	assert_int_equal(taken, n / 3 + n / 5 - n / 15);
	tm_sampler_free(s);
}

static void test_ring_overflow(void **state)
{
	struct tm_sampler_config c = cfg_of(1, 1, false);
	struct tm_sampler *s;
	struct tm_sampler_stats st;
	struct tm_record out[16];
	size_t queued = 0;

	(void)state;
	c.ring_entries = 4;
	c.drain_ns = 1000000000; /* long drain interval: nothing drains */
	s = tm_sampler_new(&c, 2, 1);
	for (uint64_t i = 0; i < 10; i++) {
		struct tm_record r = rec(i, 0, TM_OP_LOAD);

		queued += tm_sampler_push(s, &r);
	}
	struct tm_record other = rec(10, 1, TM_OP_STORE);
	queued += tm_sampler_push(s, &other); /* cpu 1's ring is not full */
	tm_sampler_get_stats(s, &st);
	assert_int_equal(queued, 5);
	assert_int_equal(st.nr_samples, 11);
	assert_int_equal(st.nr_dropped, 6);
	assert_int_equal(tm_sampler_pending(s), 5);
	/* the oldest four of cpu 0 survive, then cpu 1's */
	assert_int_equal(tm_sampler_drain(s, 5, out, 16), 5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i].time_ns, i);
	assert_int_equal(out[4].time_ns, 10);
	assert_int_equal(tm_sampler_pending(s), 0);
	tm_sampler_free(s);
}

/* Drains go CPU by CPU, each ring oldest first, in slices of cap; the next
 * drain is the next multiple of drain_ns; one time counts one drain. */
static void test_drain_order(void **state)
{
	struct tm_sampler_config c = cfg_of(1, 1, false);
	struct tm_sampler *s = tm_sampler_new(&c, 3, 1);
	static const uint16_t cpus[] = { 2, 0, 1, 2, 0, 2, 1, 0 };
	static const uint64_t want[] = { 1, 4, 7, 2, 6, 0, 3, 5 };
	struct tm_record out[3], got[8];
	struct tm_sampler_stats st;
	size_t n = 0, k;

	(void)state;
	assert_int_equal(tm_sampler_next_drain_ns(s), 2000000);
	for (uint64_t i = 0; i < 8; i++) {
		struct tm_record r = rec(i, cpus[i], TM_OP_LOAD);

		assert_int_equal(tm_sampler_push(s, &r), 1);
	}
	while ((k = tm_sampler_drain(s, 5000000, out, 3)) > 0) {
		memcpy(got + n, out, k * sizeof(*out));
		n += k;
	}
	assert_int_equal(n, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(got[i].time_ns, want[i]);
		assert_int_equal(got[i].cpu, cpus[want[i]]);
	}
	assert_int_equal(tm_sampler_next_drain_ns(s), 6000000);
	tm_sampler_get_stats(s, &st);
	assert_int_equal(st.nr_drains, 1);
	assert_int_equal(tm_sampler_drain(s, 6000000, out, 3), 0);
	tm_sampler_get_stats(s, &st);
	assert_int_equal(st.nr_drains, 2);
	assert_int_equal(tm_sampler_next_drain_ns(s), 8000000);
	tm_sampler_free(s);
}

static void test_cpu_folding(void **state)
{
	struct tm_sampler_config c = cfg_of(2, 2, false);
	struct tm_sampler *s = tm_sampler_new(&c, 2, 1);
	struct tm_record a = rec(0, 1, TM_OP_LOAD), b = rec(1, 5, TM_OP_LOAD);

	(void)state;
	assert_false(tm_sampler_take(s, &a));
	assert_true(tm_sampler_take(s, &b)); /* cpu 5 counts on cpu 5 % 2 = 1 */
	tm_sampler_free(s);
	tm_sampler_free(NULL);
}

static void test_no_allocation_in_loop(void **state)
{
	struct tm_sampler_config c = cfg_of(17, 65, true);
	struct tm_sampler *s = tm_sampler_new(&c, 4, 7);
	struct tm_record out[256];
	struct tm_sampler_stats st;
	unsigned long before = tm_alloc_count();
	size_t delivered = 0, k;

	(void)state;
	for (uint64_t i = 0; i < 1000000; i++) {
		struct tm_record r = rec(i * 10, (uint16_t)(i % 4), (uint8_t)(i % 3));

		if (r.time_ns >= tm_sampler_next_drain_ns(s))
			do
				k = tm_sampler_drain(s, r.time_ns, out, 256);
			while ((delivered += k, k == 256));
		tm_sampler_push(s, &r);
	}
	do
		k = tm_sampler_drain(s, UINT64_MAX / 2, out, 256);
	while ((delivered += k, k == 256));
	assert_int_equal(tm_alloc_count(), before);
	tm_sampler_get_stats(s, &st);
	assert_int_equal(st.nr_accesses, 1000000);
	assert_true(st.nr_samples > 1000000 / 65);
	assert_true(st.nr_dropped > 0); /* ~2500 samples per CPU per 2 ms > 1024 */
	assert_int_equal(delivered, st.nr_samples - st.nr_dropped);
	assert_true(st.nr_drains >= 5); /* 10 ms of trace, 2 ms drains */
	tm_sampler_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_periods),
		cmocka_unit_test(test_randomised_mean),
		cmocka_unit_test(test_store_period_zero),
		cmocka_unit_test(test_modify_both_counters),
		cmocka_unit_test(test_ring_overflow),
		cmocka_unit_test(test_drain_order),
		cmocka_unit_test(test_cpu_folding),
		cmocka_unit_test(test_no_allocation_in_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
