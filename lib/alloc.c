/*
 * alloc.c - abort-on-OOM allocation wrappers (see alloc.h).
 *
 * The allocation counter is thread-local so that a test measuring one loop is
 * not disturbed by other threads; it is the only per-thread state here and it
 * is never read by the simulation itself.
 */
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local unsigned long nr_allocs;

static void oom(size_t sz)
{
	fprintf(stderr, "tmsim: out of memory allocating %zu bytes\n", sz);
	abort();
}

void *tm_xmalloc(size_t sz)
{
	void *p = malloc(sz ? sz : 1);

	if (!p)
		oom(sz);
	nr_allocs++;
	return p;
}

void *tm_xcalloc(size_t nr, size_t sz)
{
	void *p = calloc(nr ? nr : 1, sz ? sz : 1);

	if (!p)
		oom(nr * sz);
	nr_allocs++;
	return p;
}

void *tm_xcalloc_lines(size_t nr, size_t sz)
{
	size_t n = nr * sz, rounded;
	void *p;

	if (sz && n / sz != nr)
		oom(SIZE_MAX);
	/* aligned_alloc wants a multiple of the alignment */
	rounded = (n + TM_CACHE_LINE - 1) / TM_CACHE_LINE * TM_CACHE_LINE;
	if (rounded < n)
		oom(SIZE_MAX);
	p = aligned_alloc(TM_CACHE_LINE, rounded ? rounded : TM_CACHE_LINE);
	if (!p)
		oom(n);
	memset(p, 0, rounded ? rounded : TM_CACHE_LINE);
	nr_allocs++;
	return p;
}

void *tm_xrealloc(void *p, size_t sz)
{
	void *q = realloc(p, sz ? sz : 1);

	if (!q)
		oom(sz);
	nr_allocs++;
	return q;
}

void *tm_xgrow_zeroed(void *p, size_t old_nr, size_t new_nr, size_t sz)
{
	void *q = tm_xcalloc(new_nr ? new_nr : 1, sz);

	if (p && old_nr)
		memcpy(q, p, (old_nr < new_nr ? old_nr : new_nr) * sz);
	free(p);
	return q;
}

char *tm_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = tm_xmalloc(n);

	memcpy(p, s, n);
	return p;
}

unsigned long tm_alloc_count(void)
{
	return nr_allocs;
}
