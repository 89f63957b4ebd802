/*
 * sdh_internal.h - SDH internals for tests and benchmarks only.
 *
 * Direct bucket access and the decay table let tests check the rules
 * bucket by bucket; variants reproduce other published choices or plant a
 * fault.  Nothing in the simulator includes this header.
 */
#ifndef TM_SDH_INTERNAL_H
#define TM_SDH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sdh.h"

struct tm_sdh_bucket {
	uint16_t fp;
	uint16_t count;
};

/* Alternative rules, all off by default.  Set before the first update. */
struct tm_sdh_variant {
	/* Column = hash mod w, as S3 (sds.c) does.  With w a power of two the
	 * column then repeats log2(w) of the 16 fingerprint bits. */
	bool s3_column;
	/* HeavyKeeper's heap rules: a present key takes max(estimate, old);
	 * a newcomer enters a full heap only if estimate == min + 1 (Opt. I). */
	bool hk_heap;
	/* Planted fault: decay stops at 1, so a bucket is never taken over
	 * once claimed.  Tests assert that this breaks accuracy. */
	bool fault_no_takeover;
};

void tm_sdh_set_variant(void *st, const struct tm_sdh_variant *v);

/* An sdh config for tests and benchmarks: DESIGN.md §6.2's defaults (b =
 * 1.08, paper decay, max over matching rows, min_entries 512, max_requests
 * 16384) with HeavyKeeper's selective increment on, and d, w, K given. */
void tm_sdh_test_config(struct tm_ident_config *c, uint32_t depth,
			uint32_t width, uint64_t k);

/* Probability that a mismatching sample decrements a counter at c,
 * as the precomputed table stores it (exact to 2^-63). */
double tm_sdh_decay_probability(const void *st, uint32_t c);

/* The bucket of key in row, and key's fingerprint in that row. */
struct tm_sdh_bucket *tm_sdh_bucket(void *st, uint64_t key, uint32_t row,
				    uint16_t *fp);

/* K: the capacity of the (each) heap. */
uint32_t tm_sdh_heap_cap(const void *st);

/* The heap value of page, if tracked: *tier says which heap (TM_TIER_FMEM
 * for the one-heap mode's only heap). */
bool tm_sdh_heap_get(const void *st, uint64_t page, uint64_t *value,
		     int *tier);

#endif
