/*
 * pool.h - fork-join help between the threads of one run (DESIGN.md §4),
 * implemented in pool.c.
 *
 * The run's threads each simulate a host; the VMs of one host may advance
 * in parallel between the host's own events.  tm_pool_for() runs fn(ctx,
 * i) for every i in [0, n) on the calling thread and on any thread that is
 * idle in tm_pool_help() (one that has no host left to start), and returns
 * once every i is done.  Items are taken in index order by whichever
 * thread is free (dynamic), so they must not depend on each other: what
 * they write is theirs, and whatever combines them runs after the join.
 *
 * Each item also gets a slot in [0, tm_pool_slots(p)), the same for every
 * item a thread runs in one call and different between the threads of one
 * call (the caller's is 0): the index of scratch memory the caller keeps
 * per slot, so that parallel items need no scratch of their own.
 *
 * When no thread is idle, tm_pool_for() runs the items in a plain loop on
 * the calling thread and takes no lock: two threads busy with two hosts pay
 * one atomic load per call.  A NULL pool always runs the plain loop, slot 0.
 */
#ifndef TM_POOL_H
#define TM_POOL_H

#include <stddef.h>

struct tm_pool;

/* A pool for nr_threads threads: the callers and the helpers together. */
struct tm_pool *tm_pool_new(unsigned nr_threads);
/* After tm_pool_close() and once every helper has returned. */
void tm_pool_free(struct tm_pool *p);
/* Slots an item may get: the pool's threads (1 for NULL). */
unsigned tm_pool_slots(const struct tm_pool *p);
void tm_pool_for(struct tm_pool *p, size_t n,
		 void (*fn)(void *ctx, size_t i, unsigned slot), void *ctx);
/* Help with other threads' tm_pool_for() calls until tm_pool_close(). */
void tm_pool_help(struct tm_pool *p);
/* No more calls will come: every helper returns. */
void tm_pool_close(struct tm_pool *p);

#endif
