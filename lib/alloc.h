/*
 * alloc.h - allocation wrappers that abort on out-of-memory.
 *
 * STYLE.md habit 6: out of memory is not a user error; the wrappers print a
 * message naming the size and abort, so callers never check for NULL.
 */
#ifndef TM_ALLOC_H
#define TM_ALLOC_H

#include <stddef.h>

void *tm_xmalloc(size_t sz);
void *tm_xcalloc(size_t nr, size_t sz);
void *tm_xrealloc(void *p, size_t sz);
char *tm_xstrdup(const char *s);

/* Zeroed memory for nr objects of sz bytes, aligned to a 64-byte cache
 * line (TM_CACHE_LINE), for structures read a line at a time: malloc
 * returns large blocks 16 bytes past a page start, so a 64-byte block of
 * them would span two lines.  Free it with free(). */
#define TM_CACHE_LINE 64
void *tm_xcalloc_lines(size_t nr, size_t sz);

/* Number of tm_x* allocation calls made by this thread so far.  Tests use it
 * to prove that a hot loop allocates nothing. */
unsigned long tm_alloc_count(void);

#endif
