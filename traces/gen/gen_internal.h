/*
 * gen_internal.h - what the built-in generators share with gen.c (the
 * family's table); not for users of generators, who include gen.h.
 */
#ifndef TM_GEN_INTERNAL_H
#define TM_GEN_INTERNAL_H

#include "gen.h"

/* Assumption: offsets inside a page are cache-line (64-byte) aligned. */
#define TM_GEN_LINE_BYTES 64u

extern const struct tm_generator_ops tm_gen_uniform;
extern const struct tm_generator_ops tm_gen_zipf;
extern const struct tm_generator_ops tm_gen_hotset;
extern const struct tm_generator_ops tm_gen_scan;

/* "expected a multiple of the page size 4KiB" into e, key into key. */
int tm_gen_fail_key(char *key, size_t sz_key, struct tm_error *e,
		    enum tm_err code, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
