/*
 * test_pool.c - lib/pool.h: every item of every tm_pool_for() call runs
 * exactly once, on the caller or a helper, and the call returns only once
 * all of them have finished; helpers do take items; the caller's items
 * have slot 0 and a helper's a slot of its own below tm_pool_slots(); a
 * NULL pool and a closed pool with no helper run the items on the caller.
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
	unsigned nr_slots;
	atomic_int bad_slot;      /* items whose slot broke the rules */
	pthread_t slot_owner[3];  /* per slot, the thread seen with it */
	atomic_int slot_seen[3];
};

/* A slot is the caller's iff it is 0; one thread per slot in a call. */
static void check_slot(struct ctx *c, unsigned slot, bool helped)
{
	if (slot >= c->nr_slots || (slot == 0) == helped) {
		atomic_fetch_add(&c->bad_slot, 1);
		return;
	}
	if (atomic_exchange(&c->slot_seen[slot], 1) == 0)
		c->slot_owner[slot] = pthread_self();
	else if (!pthread_equal(c->slot_owner[slot], pthread_self()))
		atomic_fetch_add(&c->bad_slot, 1);
}

static void item(void *arg, size_t i, unsigned slot)
{
	struct ctx *c = arg;
	bool helped = !pthread_equal(pthread_self(), c->caller);
	volatile unsigned spin = 0;

	/* a little work, more on a helper: the caller is then often done
	 * with its items first and must wait for the helper's */
	for (unsigned k = 0; k < (helped ? 50000u : 2000u); k++)
		spin += k;
	check_slot(c, slot, helped);
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
	for (size_t k = 0; k < 3; k++)
		atomic_store(&c->slot_seen[k], 0);
	atomic_store(&c->finished, 0);
}

static void check_once(struct ctx *c)
{
	/* every item done before tm_pool_for returned, each exactly once */
	assert_int_equal(atomic_load(&c->finished), NR_ITEMS);
	for (size_t i = 0; i < NR_ITEMS; i++)
		assert_int_equal(atomic_load(&c->runs[i]), 1);
	assert_int_equal(atomic_load(&c->bad_slot), 0);
}

static void test_null_pool(void **state)
{
	struct ctx c = { .caller = pthread_self(), .nr_slots = 1 };

	(void)state;
	assert_int_equal(tm_pool_slots(NULL), 1);
	reset(&c);
	tm_pool_for(NULL, NR_ITEMS, item, &c);
	check_once(&c);
	assert_int_equal(atomic_load(&c.on_helper), 0);
}

static void test_helpers(void **state)
{
	struct tm_pool *p = tm_pool_new(3);   /* the caller and two helpers */
	struct ctx c = { .caller = pthread_self(), .nr_slots = 3 };
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
