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

/* A bucket at counter_bits 16 (S2/S3) and at 32 (sdh.c's header). */
struct tm_sdh_bucket {
	uint16_t fp;
	uint16_t count;
};

struct tm_sdh_bucket32 {
	uint32_t fp;
	uint32_t count;
};

/* The largest count of a bucket at each width (sdh.c's header). */
#define TM_SDH_COUNT_MAX16 65535u
#define TM_SDH_COUNT_MAX32 0xfffffffeu

/* Alternative rules, all off by default.  Set before the first update.
 * Bit-fields: the struct lives in struct tm_sdh, whose size summary.json's
 * memory_bytes reports. */
struct tm_sdh_variant {
	/* Column = hash mod w, as S3 (sds.c) does.  With w a power of two the
	 * column then repeats log2(w) of the 16 fingerprint bits. */
	bool s3_column : 1;
	/* HeavyKeeper's heap rules: a present key takes max(estimate, old),
	 * so it stays at estimate 0; a newcomer enters a full heap only if
	 * estimate == min + 1 (Opt. I). */
	bool hk_heap : 1;
	/* The HK paper's selective increment, C < n_min (the default is the
	 * authors' and S1's C <= n_min). */
	bool selective_strict : 1;
	/* Planted fault: decay stops at 1, so a bucket is never taken over
	 * once claimed.  Tests assert that this breaks accuracy. */
	bool fault_no_takeover : 1;
	/* Planted faults of hk_heap: a monitored key leaves at estimate 0;
	 * a newcomer enters a full heap at min <= estimate, without the +1
	 * rule.  tests/test_hk_twin.c asserts that the twin catches both. */
	bool fault_drop_at_zero : 1;
	bool fault_admit_any : 1;
};

/* Initialisers of struct tm_sdh_variant for tests and benchmarks. */
#define TM_SDH_S1 ((struct tm_sdh_variant){ .hk_heap = false })
#define TM_SDH_HK_PAPER \
	((struct tm_sdh_variant){ .hk_heap = true, .selective_strict = true })
#define TM_SDH_HK_AUTHORS ((struct tm_sdh_variant){ .hk_heap = true })

void tm_sdh_set_variant(void *st, const struct tm_sdh_variant *v);

/* An sdh config for tests and benchmarks: DESIGN.md §6.2's defaults (b =
 * 1.08, paper decay, max over matching rows, min_entries 512, max_requests
 * 16384) with HeavyKeeper's selective increment on, and d, w, K given. */
void tm_sdh_test_config(struct tm_ident_config *c, uint32_t depth,
			uint32_t width, uint64_t k);

/* Probability that a mismatching sample decrements a counter at c,
 * as the precomputed table stores it (exact to 2^-63). */
double tm_sdh_decay_probability(const void *st, uint32_t c);

/* The bucket of key in row, and key's fingerprint in that row
 * (counter_bits 16 only). */
struct tm_sdh_bucket *tm_sdh_bucket(void *st, uint64_t key, uint32_t row,
				    uint16_t *fp);

/* Bucket col of row at any width: its fingerprint and count, read or
 * written. */
void tm_sdh_cell_get(const void *st, uint32_t row, uint32_t col,
		     uint32_t *fp, uint32_t *count);
void tm_sdh_cell_set(void *st, uint32_t row, uint32_t col, uint32_t fp,
		     uint32_t count);

/* The largest count a bucket holds: TM_SDH_COUNT_MAX16 or _MAX32. */
uint32_t tm_sdh_count_max(const void *st);

/* K: the capacity of the (each) heap. */
uint32_t tm_sdh_heap_cap(const void *st);

/* The heap value of page, if tracked: *tier says which heap (TM_TIER_FMEM
 * for the one-heap mode's only heap). */
bool tm_sdh_heap_get(const void *st, uint64_t page, uint64_t *value,
		     int *tier);

/* Column of key in row, and its fingerprint there (the twin's shared
 * hash, tests/hk_twin.h). */
uint32_t tm_sdh_column(void *st, uint64_t key, uint32_t row, uint32_t *fp);

/* The decay RNG's splitmix64 state: a twin seeded with it draws the same
 * numbers as long as it draws at the same points. */
uint64_t tm_sdh_rng_state(const void *st);

#endif
