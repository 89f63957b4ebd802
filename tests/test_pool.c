/*
 * test_pool.c - lib/pool.h: every item of every tm_pool_for() call runs
 * exactly once, on the caller or a helper, and the call returns only once
 * all of them have finished; helpers do take items; a NULL pool and a
 * closed pool with no helper run the items on the caller.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "lib/pool.h"

#define NR_ITEMS 64
#define NR_CALLS 2000

struct ctx {
	pthread_t caller;
	atomic_int runs[NR_ITEMS];
	atomic_int finished;      /* items whose work is done */
	atomic_int on_helper;     /* items a helper ran */
};

static void item(void *arg, size_t i)
{
	struct ctx *c = arg;
	bool helped = !pthread_equal(pthread_self(), c->caller);
	volatile unsigned spin = 0;

	/* a little work, more on a helper: the caller is then often done
	 * with its items first and must wait for the helper's */
	for (unsigned k = 0; k < (helped ? 50000u : 2000u); k++)
		spin += k;
	atomic_fetch_add(&c->runs[i], 1);
	if (helped)
		atomic_fetch_add(&c->on_helper, 1);
	atomic_fetch_add(&c->finished, 1);
}

static void *helper(void *arg)
{
	tm_pool_help(arg);
	return NULL;
}

static void reset(struct ctx *c)
{
	for (size_t i = 0; i < NR_ITEMS; i++)
		atomic_store(&c->runs[i], 0);
	atomic_store(&c->finished, 0);
}

static void check_once(struct ctx *c)
{
	/* every item done before tm_pool_for returned, each exactly once */
	assert_int_equal(atomic_load(&c->finished), NR_ITEMS);
	for (size_t i = 0; i < NR_ITEMS; i++)
		assert_int_equal(atomic_load(&c->runs[i]), 1);
}

static void test_null_pool(void **state)
{
	struct ctx c = { .caller = pthread_self() };

	(void)state;
	reset(&c);
	tm_pool_for(NULL, NR_ITEMS, item, &c);
	check_once(&c);
	assert_int_equal(atomic_load(&c.on_helper), 0);
}

static void test_helpers(void **state)
{
	struct tm_pool *p = tm_pool_new();
	struct ctx c = { .caller = pthread_self() };
	pthread_t tid[2];
	time_t t0 = time(NULL);

	(void)state;
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&tid[k], NULL, helper, p), 0);
	/* until helpers took items (a loaded machine may be slow to
	 * wake one) 100 times, at least NR_CALLS calls */
	for (int n = 0; n < NR_CALLS || (atomic_load(&c.on_helper) < 100 &&
					 time(NULL) - t0 < 20); n++) {
		reset(&c);
		tm_pool_for(p, NR_ITEMS, item, &c);
		check_once(&c);
	}
	assert_true(atomic_load(&c.on_helper) > 0);
	tm_pool_close(p);
	for (int k = 0; k < 2; k++)
		pthread_join(tid[k], NULL);
	/* closed, no helper: the caller runs everything */
	atomic_store(&c.on_helper, 0);
	reset(&c);
	tm_pool_for(p, NR_ITEMS, item, &c);
	check_once(&c);
	assert_int_equal(atomic_load(&c.on_helper), 0);
	tm_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_pool),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
