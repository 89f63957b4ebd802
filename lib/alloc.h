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
/* p (old_nr objects of sz bytes, or NULL) grown to new_nr objects, the new
 * ones zero.  The new part is fresh zeroed memory (calloc), not written: a
 * large array sized ahead of its use (per-page arrays sized to a
 * footprint) costs resident memory only where it is used, where realloc
 * and memset would fault in every page of it. */
void *tm_xgrow_zeroed(void *p, size_t old_nr, size_t new_nr, size_t sz);
/* The same for an array named once: p = its grown self, sized by *p. */
#define TM_XGROW_ZEROED(p, old_nr, new_nr) \
	((p) = tm_xgrow_zeroed((p), (old_nr), (new_nr), sizeof(*(p))))

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
