/*
 * pool.c - fork-join help between a run's threads (see pool.h).
 *
 * A call of tm_pool_for() with idle helpers publishes a job on a list
 * (under the pool's lock, once per call, never per item); the caller and
 * the helpers take items with one atomic increment each.  The caller waits
 * for the helpers that joined its job before it returns (the job lives on
 * its stack).  A helper that finds every item of a job taken unlinks it,
 * so helpers never spin on a finished job.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "alloc.h"

struct job {
	void (*fn)(void *ctx, size_t i, unsigned slot);
	void *ctx;
	size_t n;
	atomic_size_t next;     /* next item to take */
	unsigned nr_helpers;    /* helpers inside run_items (under lock) */
	unsigned nr_joined;     /* helpers that joined: their slots 1.. */
	bool linked;            /* on the pool's list (under lock) */
	struct job *link;
};

struct tm_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;    /* a job was published, or the pool closed */
	pthread_cond_t left;    /* a helper left a job */
	struct job *jobs;
	bool closed;
	atomic_uint nr_idle;    /* helpers waiting for a job */
	unsigned nr_threads;
};

struct tm_pool *tm_pool_new(unsigned nr_threads)
{
	struct tm_pool *p = tm_xcalloc(1, sizeof(*p));

	p->nr_threads = nr_threads ? nr_threads : 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->left, NULL);
	return p;
}

void tm_pool_free(struct tm_pool *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->left);
	free(p);
}

unsigned tm_pool_slots(const struct tm_pool *p)
{
	return p ? p->nr_threads : 1;
}

static void run_items(struct job *j, unsigned slot)
{
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n)
		j->fn(j->ctx, i, slot);
}

/* Under the lock. */
static void unlink_job(struct tm_pool *p, struct job *j)
{
	struct job **at = &p->jobs;

	if (!j->linked)
		return;
	while (*at != j)
		at = &(*at)->link;
	*at = j->link;
	j->linked = false;
}

void tm_pool_for(struct tm_pool *p, size_t n,
		 void (*fn)(void *ctx, size_t i, unsigned slot), void *ctx)
{
	struct job j = { .fn = fn, .ctx = ctx, .n = n };

	if (!p || n < 2 || atomic_load(&p->nr_idle) == 0) {
		for (size_t i = 0; i < n; i++)
			fn(ctx, i, 0);
		return;
	}
	atomic_init(&j.next, 0);
	pthread_mutex_lock(&p->lock);
	j.link = p->jobs;
	j.linked = true;
	p->jobs = &j;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	run_items(&j, 0);
	pthread_mutex_lock(&p->lock);
	unlink_job(p, &j);
	while (j.nr_helpers)
		pthread_cond_wait(&p->left, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void tm_pool_help(struct tm_pool *p)
{
	pthread_mutex_lock(&p->lock);
	atomic_fetch_add(&p->nr_idle, 1);
	for (;;) {
		struct job *j;
		unsigned slot;

		while (!p->jobs && !p->closed)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->closed)
			break;
		j = p->jobs;
		j->nr_helpers++;
		slot = ++j->nr_joined;   /* < nr_threads: one per helper */
		if (slot + 1 >= p->nr_threads)
			unlink_job(p, j);   /* no other thread may join it */
		atomic_fetch_sub(&p->nr_idle, 1);
		pthread_mutex_unlock(&p->lock);
		run_items(j, slot);
		pthread_mutex_lock(&p->lock);
		atomic_fetch_add(&p->nr_idle, 1);
		unlink_job(p, j);   /* every item is taken */
		if (--j->nr_helpers == 0)
			pthread_cond_broadcast(&p->left);
	}
	atomic_fetch_sub(&p->nr_idle, 1);
	pthread_mutex_unlock(&p->lock);
}

void tm_pool_close(struct tm_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}
