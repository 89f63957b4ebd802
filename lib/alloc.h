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

/* Number of tm_x* allocation calls made by this thread so far.  Tests use it
 * to prove that a hot loop allocates nothing. */
unsigned long tm_alloc_count(void);

#endif
