/*
 * sdh.h - the Streaming Decaying Histogram identifier, kind "sdh"
 * (DESIGN.md §6.2; reference sdh-and-demeter.md §2; docs/identifiers.md).
 *
 * A HeavyKeeper-derived sketch (d rows x w buckets of {16-bit fingerprint,
 * 16-bit counter}, probabilistic decay b^-C on a mismatch) feeding either one
 * fixed-size top-K min-heap (S1) or, with two_heap, a coldest-FMEM min-heap
 * and a hottest-SMEM max-heap whose tops are exchanged (S2/S3).  All memory
 * is taken at new(); update() allocates nothing.  Use it through the
 * identifier operation table; tests reach internals through sdh_internal.h.
 */
#ifndef TM_SDH_H
#define TM_SDH_H

#include "identifier.h"

/* Largest depth the update loop supports (assumption: the reference uses 4,
 * HeavyKeeper 2; the config bounds table should not allow more). */
#define TM_SDH_MAX_DEPTH 32

extern const struct tm_identifier_ops tm_sdh_ops;

#endif
