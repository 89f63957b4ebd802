/*
 * ranges_internal.h - a read-only view of the ranges identifier's state for
 * its tests (tests/test_ranges.c); not part of the identifier interface.
 */
#ifndef TM_RANGES_INTERNAL_H
#define TM_RANGES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* One range: pages [start, end) of the trace's page numbers. */
struct tm_ranges_range {
	uint64_t start, end;
	uint64_t count;           /* samples (or weights), halved per epoch */
	uint64_t age;             /* the split counter when it was made */
};

/* The number of ranges, the i-th in address order, the split counter. */
size_t tm_ranges_nr(const void *st);
struct tm_ranges_range tm_ranges_at(const void *st, size_t i);
uint64_t tm_ranges_splits(const void *st);
/* Samples outside every range (discarded, as the artifact's rt_count). */
uint64_t tm_ranges_discarded(const void *st);

#endif
