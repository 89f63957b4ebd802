/*
 * test_eventq.c - the event queue pops in (time, seq) order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/eventq.h"

static void test_order_simple(void **state)
{
	struct tm_eventq *q = tm_eventq_new(2);
	struct tm_event ev;
	static const uint64_t times[] = { 50, 10, 30, 20, 40 };

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		tm_eventq_push(q, times[i], TM_EV_EPOCH, i, 0);
	assert_int_equal(tm_eventq_len(q), 5);
	assert_int_equal(tm_eventq_peek(q)->time_ns, 10);
	for (uint64_t t = 10; t <= 50; t += 10) {
		assert_int_equal(tm_eventq_pop(q, &ev), 0);
		assert_int_equal(ev.time_ns, t);
	}
	assert_int_equal(tm_eventq_pop(q, &ev), -1);
	assert_null(tm_eventq_peek(q));
	tm_eventq_free(q);
}

/* Events at the same instant pop in scheduling order, whatever their type. */
static void test_ties_fifo(void **state)
{
	struct tm_eventq *q = tm_eventq_new(0);
	struct tm_event ev;

	(void)state;
	for (uint32_t i = 0; i < 100; i++)
		tm_eventq_push(q, 7, (i * 7) % TM_EV_NR_TYPES, i, i);
	tm_eventq_push(q, 6, TM_EV_END, 999, 0);
	assert_int_equal(tm_eventq_pop(q, &ev), 0);
	assert_int_equal(ev.vm, 999);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(tm_eventq_pop(q, &ev), 0);
		assert_int_equal(ev.vm, i);
		assert_int_equal(ev.arg, i);
	}
	tm_eventq_free(q);
}

/* One million events with random times (many ties), interleaved pops:
 * the popped sequence is non-decreasing in (time, seq) and complete. */
static void test_million(void **state)
{
	struct tm_eventq *q = tm_eventq_new(16);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tm_event ev, last = { 0 };
	uint64_t popped = 0, pushed = 0, base = 0;

	(void)state;
	gsl_rng_set(r, 12345);
	for (unsigned round = 0; round < 100; round++) {
		for (unsigned i = 0; i < 10000; i++, pushed++)
			tm_eventq_push(q, base + gsl_rng_uniform_int(r, 5000),
				       TM_EV_EPOCH, 0, pushed);
		assert_true(tm_eventq_check(q));
		/* Pop half; later pushes are never earlier than `base`. */
		for (unsigned i = 0; i < 5000; i++, popped++) {
			assert_int_equal(tm_eventq_pop(q, &ev), 0);
			if (popped)
				assert_true(ev.time_ns > last.time_ns ||
					    (ev.time_ns == last.time_ns &&
					     ev.seq > last.seq));
			last = ev;
		}
		base = last.time_ns;
	}
	while (tm_eventq_pop(q, &ev) == 0) {
		assert_true(ev.time_ns > last.time_ns ||
			    (ev.time_ns == last.time_ns && ev.seq > last.seq));
		last = ev;
		popped++;
	}
	assert_int_equal(popped, 1000000);
	assert_int_equal(pushed, 1000000);
	gsl_rng_free(r);
	tm_eventq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_simple),
		cmocka_unit_test(test_ties_fifo),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
