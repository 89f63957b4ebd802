/*
 * exact.h - the exact identifier, kind "exact" (DESIGN.md §6.2, §7).
 *
 * Exact per-page sample counts in an open-addressing hash map, ranked by
 * count (ties: lower page number first), with the epoch window rule of
 * window_decay: 0 resets every epoch, 0 < x < 1 multiplies counts by x,
 * 1 keeps them forever.  It is the upper bound and the test oracle for every
 * approximate identifier.  Use it through the operation table.
 */
#ifndef TM_EXACT_H
#define TM_EXACT_H

#include "identifier.h"

extern const struct tm_identifier_ops tm_exact_ops;

#endif
