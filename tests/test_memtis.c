/*
 * test_memtis.c - the memtis identifier against Memtis's published rules
 * (reference/identifiers.md §3; the authors' mm/htmm_core.c): +512 per
 * sample, the huge-page counters, the log2 histogram, the hot threshold
 * fitting FMEM minus the promotion watermark, the warm rule, cooling by
 * halving, adaptation exactly every adapt_samples, rank order, defaults
 * and bounds, memory_bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/identifier.h"
#include "models/ident/memtis.h"
#include "lib/alloc.h"
#include "lib/cfg.h"

#define SHIFT 12   /* 4 KiB pages: a 2 MiB page holds 512 */

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("memtis");

	assert_non_null(o);
	return o;
}

/* Defaults, except: no watermark clamp (so the room is exactly 97% of
 * FMEM), no cooling by allocation, and cooling only when a test asks. */
static void config(struct tm_ident_config *c)
{
	struct tm_memtis_config *m;

	assert_int_equal(tm_ident_config_default(c, "memtis"), 0);
	m = tm_memtis_cfg(c);
	m->sz_promotion_wmark_min = 0;
	m->sz_cooling_alloc = 0;
	m->cooling_samples = 1000000000;
}

static void *make(struct tm_ident_config *c, uint64_t nr_fmem_pages)
{
	struct tm_ident_params p = { .cfg = c, .own = c->own.bytes,
				     .nr_fmem_pages = nr_fmem_pages, .seed = 1,
				     .page_shift = SHIFT };

	return ops()->new(&p);
}

/* nr samples of page (dense index = page number), weight 1. */
static void feed(void *st, uint64_t page, uint32_t nr)
{
	struct tm_record rec = { .addr = page << SHIFT };
	struct tm_sample s = { .rec = &rec, .idx = (uint32_t)page,
			       .weight = 1, .tier = TM_TIER_SMEM };

	for (uint32_t i = 0; i < nr; i++)
		ops()->update(st, s);
}

static struct tm_memtis_stat stat_of(const void *st)
{
	struct tm_memtis_stat s;

	tm_memtis_stat(st, &s);
	return s;
}

static void test_defaults_and_bounds(void **state)
{
	struct tm_ident_config c;
	const struct tm_memtis_config *m;
	const struct tm_cfg_key *k;
	struct tm_cfg_val v;
	struct tm_error e;

	(void)state;
	assert_int_equal(tm_ident_config_default(&c, "memtis"), 0);
	m = tm_memtis_cfg_of(&c);
	assert_int_equal(m->base_increment, 512);
	assert_false(m->huge_pages);
	assert_int_equal(m->adapt_samples, 100000);
	assert_int_equal(m->cooling_samples, 2000000);
	assert_int_equal(m->sz_cooling_alloc, 10ull << 30);
	assert_true(m->promotion_watermark > 0.0299 &&
		    m->promotion_watermark < 0.0301);
	assert_int_equal(m->sz_promotion_wmark_min, 100ull << 20);
	assert_int_equal(m->sz_promotion_wmark_max, 1500ull << 20);
	assert_true(m->warm);
	assert_true(m->warm_ratio > 0.7499 && m->warm_ratio < 0.7501);
	assert_int_equal(m->min_threshold, 1);
	assert_true(ops()->kind.flags & TM_IDENT_REGIONS);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "min_threshold");
	assert_non_null(k);
	assert_int_equal(tm_cfg_parse(k, "15", &v, &e), 0);
	assert_int_equal(tm_cfg_parse(k, "16", &v, &e), -1);
	assert_int_equal(tm_cfg_parse(k, "0", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "warm_ratio");
	assert_int_equal(tm_cfg_parse(k, "1.5", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "adapt_samples");
	assert_int_equal(tm_cfg_parse(k, "0", &v, &e), -1);
}

/* Base pages: +512 per sample (update_base_page), times the sample's
 * weight, none for weight 0; bins floor(log2(count + 1)): 512 -> 9,
 * 1536 -> 10. */
static void test_increment_base(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_record rec = { .addr = 9ull << SHIFT };
	struct tm_sample s = { .rec = &rec, .idx = 9, .weight = 0 };

	(void)state;
	config(&c);
	m = make(&c, 1000);
	feed(m, 7, 1);
	feed(m, 8, 3);
	ops()->update(m, s);          /* weight 0: not counted */
	s.weight = 2;
	ops()->update(m, s);          /* weight 2: +1024 */
	assert_int_equal(ops()->estimate(m, 7, 7), 512);
	assert_int_equal(ops()->estimate(m, 8, 8), 1536);
	assert_int_equal(ops()->estimate(m, 9, 9), 1024);
	assert_int_equal(ops()->estimate(m, 5, 5), 0);
	assert_int_equal(stat_of(m).nr_samples, 5);
	assert_int_equal(stat_of(m).hist[9], 1);    /* page 7 */
	assert_int_equal(stat_of(m).hist[10], 2);   /* pages 8, 9 */
	ops()->free(m);
	ops()->free(NULL);
}

/* Huge pages (update_huge_page): pages 512..1023 are 2 MiB page 1.  Three
 * samples (page 512 twice, page 700 once): meta 3, subpage 512 at 1024,
 * subpage 700 at 512, the rest 0; every subpage's estimate is the meta
 * count; the histogram holds 512 pages in bin floor(log2(4)) = 2; rank
 * returns the whole 2 MiB page. */
static void test_huge_pages(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_region reg[4];
	struct tm_rank r = { .regions = reg, .cap_regions = 4 };

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->huge_pages = true;
	m = make(&c, 4096);
	feed(m, 512, 2);
	feed(m, 700, 1);
	assert_int_equal(tm_memtis_subpage_count(m, 512), 1024);
	assert_int_equal(tm_memtis_subpage_count(m, 700), 512);
	assert_int_equal(tm_memtis_subpage_count(m, 513), 0);
	assert_int_equal(tm_memtis_subpage_count(m, 5), 0);
	assert_int_equal(ops()->estimate(m, 0, 1023), 3);
	assert_int_equal(ops()->estimate(m, 0, 1024), 0);
	assert_int_equal(stat_of(m).hist[2], 512);
	ops()->rank(m, &r);   /* threshold 1 (initial): bin 2 is hot */
	assert_int_equal(r.nr_regions, 1);
	assert_int_equal(reg[0].start, 512);
	assert_int_equal(reg[0].end, 1024);
	assert_int_equal(r.nr_hot, 0);
	ops()->free(m);
}

/*
 * The threshold from a known histogram (__adjust_active_threshold).
 * FMEM C = 1000 pages, watermark 3% (no clamp): room = 970 pages.
 *   bin 15: pages 0..99,     64 samples each (32768)   100
 *   bin 12: pages 100..399,   8 samples each (4096)    300
 *   bin 10: pages 400..999,   2 samples each (1024)    600
 *   bin  9: pages 1000..2999, 1 sample each  (512)    2000
 * Walking from 15 down: 100, 400 (bins 14..11 add none) fit, 1000 > 970
 * does not: the lowest fitting bin is 11.  Hot = 400 pages < 75% of 970
 * (727): warm = 10.  12,000 samples; adaptation set to 12,000 runs once,
 * on the last sample.
 */
static void *known_histogram(struct tm_ident_config *c)
{
	void *m;

	tm_memtis_cfg(c)->adapt_samples = 12000;
	m = make(c, 1000);
	for (uint64_t p = 0; p < 3000; p++)
		feed(m, p, p < 100 ? 64 : p < 400 ? 8 : p < 1000 ? 2 : 1);
	return m;
}

static void test_threshold_from_histogram(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_memtis_stat s;
	struct tm_region *reg = tm_xcalloc(1000, sizeof(*reg));
	struct tm_rank r = { .regions = reg, .cap_regions = 1000 };

	(void)state;
	config(&c);
	m = known_histogram(&c);
	s = stat_of(m);
	assert_int_equal(s.hist[15], 100);
	assert_int_equal(s.hist[12], 300);
	assert_int_equal(s.hist[10], 600);
	assert_int_equal(s.hist[9], 2000);
	assert_int_equal(s.nr_adaptations, 1);
	assert_int_equal(s.hot_threshold, 11);
	assert_int_equal(s.warm_threshold, 10);
	/* rank: the 400 hot pages, bin 15 first, ties by page number */
	ops()->rank(m, &r);
	assert_int_equal(r.nr_regions, 400);
	assert_int_equal(reg[0].start, 0);
	assert_int_equal(reg[0].end, 1);
	assert_int_equal(reg[99].start, 99);
	assert_int_equal(reg[100].start, 100);
	assert_int_equal(reg[399].start, 399);
	assert_true(reg[99].score > reg[100].score);
	/* a cap cuts the hottest first */
	r.cap_regions = 50;
	ops()->rank(m, &r);
	assert_int_equal(r.nr_regions, 50);
	assert_int_equal(reg[49].start, 49);
	ops()->free(m);
	free(reg);
}

/*
 * Edges of the walk: if bin 15 alone exceeds the room, the threshold is
 * 15 (the code increments only below 15); with nothing sampled at all
 * every bin fits, the walk ends below 0 and the minimum (1) holds.
 */
static void test_threshold_edges(void **state)
{
	struct tm_ident_config c;
	void *m;

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->adapt_samples = 64 * 20;
	m = make(&c, 10);   /* room: 10 - floor(0.3) = 10 pages */
	for (uint64_t p = 0; p < 20; p++)
		feed(m, p, 64);   /* 20 pages in bin 15 */
	assert_int_equal(stat_of(m).hot_threshold, 15);
	ops()->free(m);

	tm_memtis_cfg(&c)->adapt_samples = 4;
	m = make(&c, 1000);
	feed(m, 1, 4);      /* one page, bin 11: fits; the walk passes 0 */
	assert_int_equal(stat_of(m).nr_adaptations, 1);
	assert_int_equal(stat_of(m).hot_threshold, 1);
	assert_int_equal(stat_of(m).warm_threshold, 0);
	ops()->free(m);
}

/*
 * Warm rule: hot pages filling at least 75% of the room leave no warm set.
 * 800 pages at 8 samples (bin 12) and 600 at 2 (bin 10), room 970: 800
 * fit, 1400 do not; threshold 11; 800 >= 727: warm = hot = 11.  The same
 * with warm: false, and the known histogram with warm: false: warm = hot.
 */
static void test_warm_rule(void **state)
{
	struct tm_ident_config c;
	void *m;

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->adapt_samples = 800 * 8 + 600 * 2;
	m = make(&c, 1000);
	for (uint64_t p = 0; p < 1400; p++)
		feed(m, p, p < 800 ? 8 : 2);
	assert_int_equal(stat_of(m).nr_adaptations, 1);
	assert_int_equal(stat_of(m).hot_threshold, 11);
	assert_int_equal(stat_of(m).warm_threshold, 11);
	ops()->free(m);

	config(&c);
	tm_memtis_cfg(&c)->warm = false;
	m = known_histogram(&c);
	assert_int_equal(stat_of(m).hot_threshold, 11);
	assert_int_equal(stat_of(m).warm_threshold, 11);
	ops()->free(m);
}

/*
 * Adaptation exactly every adapt_samples (10), except on a cooling sample
 * (every 50; update_pginfo's if/else): after 9 samples none, after 10 one,
 * after 49 four, after 50 still four (cooling instead), after 60 five.
 */
static void test_adapt_period(void **state)
{
	struct tm_ident_config c;
	void *m;

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->adapt_samples = 10;
	tm_memtis_cfg(&c)->cooling_samples = 50;
	m = make(&c, 1000);
	feed(m, 3, 9);
	assert_int_equal(stat_of(m).nr_adaptations, 0);
	feed(m, 3, 1);
	assert_int_equal(stat_of(m).nr_adaptations, 1);
	feed(m, 4, 39);
	assert_int_equal(stat_of(m).nr_adaptations, 4);
	assert_int_equal(stat_of(m).cooling_clock, 0);
	feed(m, 4, 1);
	assert_int_equal(stat_of(m).nr_adaptations, 4);
	assert_int_equal(stat_of(m).cooling_clock, 1);
	feed(m, 4, 10);
	assert_int_equal(stat_of(m).nr_adaptations, 5);
	ops()->free(m);
}

/*
 * Cooling after cooling_samples samples: every count halves (lazily: the
 * estimate already shows it), the histogram is cleared and refilled as
 * pages are sampled or walked (rank), and the first adaptation after it
 * lowers the threshold by one at most.
 * From the known histogram (threshold 11), cooling_samples = 12,001: the
 * sample after the adaptation (page 5000, 512) cools.  Page 0: 32768 ->
 * 16384; page 400: 1024 -> 512; pages 2999 and 5000: 512 -> 256.  The
 * histogram is then empty.  11,999 samples of page 6000 reach the next
 * adaptation (24,000) before any walk: the histogram holds page 6000 only,
 * every bin fits, the candidate is 1, but cooled the threshold only drops
 * to 10.  rank() walks: bins 14 (100 pages), 11 (300), 9 (600), 8 (2001)
 * and 15 (page 6000); it ranks the 401 pages of bin >= 10, page 6000
 * first.
 */
static void test_cooling(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_memtis_stat s;
	struct tm_region *reg = tm_xcalloc(1000, sizeof(*reg));
	struct tm_rank r = { .regions = reg, .cap_regions = 1000 };
	uint64_t total = 0;

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->cooling_samples = 12001;
	m = known_histogram(&c);
	feed(m, 5000, 1);
	s = stat_of(m);
	assert_int_equal(s.cooling_clock, 1);
	for (int b = 0; b < TM_MEMTIS_NR_BINS; b++)
		total += s.hist[b];
	assert_int_equal(total, 0);
	assert_int_equal(ops()->estimate(m, 0, 0), 16384);
	assert_int_equal(ops()->estimate(m, 400, 400), 512);
	assert_int_equal(ops()->estimate(m, 2999, 2999), 256);
	assert_int_equal(ops()->estimate(m, 5000, 5000), 256);
	feed(m, 6000, 11999);   /* the sample count reaches 24,000 */
	s = stat_of(m);
	assert_int_equal(s.nr_adaptations, 2);
	assert_int_equal(s.hot_threshold, 10);
	assert_int_equal(s.hist[15], 1);
	ops()->rank(m, &r);     /* the walk */
	s = stat_of(m);
	assert_int_equal(s.hist[15], 1);      /* page 6000 */
	assert_int_equal(s.hist[14], 100);    /* 16384 */
	assert_int_equal(s.hist[11], 300);    /* 2048 */
	assert_int_equal(s.hist[9], 600);     /* 512 */
	assert_int_equal(s.hist[8], 2001);    /* 256 */
	assert_int_equal(ops()->estimate(m, 0, 0), 16384);   /* unchanged */
	assert_int_equal(r.nr_regions, 401);
	assert_int_equal(reg[0].start, 6000);
	assert_int_equal(reg[1].start, 0);
	ops()->free(m);
	free(reg);
}

/*
 * Between coolings the threshold only rises (no split: the code lowers it
 * in the normal path only after a split).  Known histogram (threshold 11),
 * coolings every 12,001 samples, page 6000 sampled from then on: cooling
 * at 12,001; the cooled adaptation at 24,000 drops to 10; the cooling at
 * 24,002 finds the walk pending and only ticks the clock, so the known
 * pages halve twice at the walk (rank): bins 13 (100 pages), 10 (300),
 * 8 (600), 7 (2001), page 6000 in 15.  At 36,000 the candidate is 9 (101
 * + 300 + 1 fit in 970, 1001 do not) but the threshold stays 10; warm 9.
 */
static void test_threshold_only_rises(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_memtis_stat s;
	struct tm_region *reg = tm_xcalloc(1000, sizeof(*reg));
	struct tm_rank r = { .regions = reg, .cap_regions = 1000 };

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->cooling_samples = 12001;
	m = known_histogram(&c);
	feed(m, 5000, 1);
	feed(m, 6000, 12001);   /* to 24,002 */
	s = stat_of(m);
	assert_int_equal(s.cooling_clock, 2);
	assert_int_equal(s.hot_threshold, 10);
	ops()->rank(m, &r);
	s = stat_of(m);
	assert_int_equal(s.hist[13], 100);
	assert_int_equal(s.hist[10], 300);
	assert_int_equal(s.hist[8], 600);
	assert_int_equal(s.hist[7], 2001);
	assert_int_equal(s.hist[15], 1);
	feed(m, 6000, 36000 - 24002);
	s = stat_of(m);
	assert_int_equal(s.nr_adaptations, 3);
	assert_int_equal(s.hot_threshold, 10);
	assert_int_equal(s.warm_threshold, 9);
	ops()->free(m);
	free(reg);
}

/* Two coolings before the walk: the clock ticks twice, counts quarter,
 * the histogram is cleared once. */
static void test_cooling_twice(void **state)
{
	struct tm_ident_config c;
	void *m;
	struct tm_region reg[4];
	struct tm_rank r = { .regions = reg, .cap_regions = 4 };

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->cooling_samples = 8;
	m = make(&c, 1000);
	feed(m, 1, 8);                     /* 4096, cooled at sample 8 */
	feed(m, 2, 8);                     /* 4096, cooled at 16 */
	assert_int_equal(stat_of(m).cooling_clock, 2);
	assert_int_equal(ops()->estimate(m, 1, 1), 1024);
	assert_int_equal(ops()->estimate(m, 2, 2), 2048);
	ops()->rank(m, &r);
	assert_int_equal(stat_of(m).hist[10], 1);    /* page 1: 1024 */
	assert_int_equal(stat_of(m).hist[11], 1);    /* page 2: 2048 */
	ops()->free(m);
}

/* Cooling by allocation: 10 pages of new memory (40 KiB) since the last. */
static void test_cooling_alloc(void **state)
{
	struct tm_ident_config c;
	void *m;

	(void)state;
	config(&c);
	tm_memtis_cfg(&c)->sz_cooling_alloc = 10 << SHIFT;
	m = make(&c, 1000);
	for (uint64_t p = 0; p < 9; p++)
		feed(m, p, 1);
	assert_int_equal(stat_of(m).cooling_clock, 0);
	feed(m, 9, 1);
	assert_int_equal(stat_of(m).cooling_clock, 1);
	feed(m, 9, 5);                    /* no new memory: no cooling */
	assert_int_equal(stat_of(m).cooling_clock, 1);
	ops()->free(m);
}

/* Watermark clamp: 3% of 10,000 pages is 300, below 100 MiB (25,600 pages
 * of 4 KiB), so the room is 0: the empty bins 15..10 fit it, bin 9 (one
 * page) does not, and the threshold is 10, not the 1 a 3% watermark
 * would give. */
static void test_watermark_clamp(void **state)
{
	struct tm_ident_config c;
	void *m;

	(void)state;
	assert_int_equal(tm_ident_config_default(&c, "memtis"), 0);
	tm_memtis_cfg(&c)->adapt_samples = 1;
	m = make(&c, 10000);
	feed(m, 1, 1);
	assert_int_equal(stat_of(m).hot_threshold, 10);
	ops()->free(m);
}

/* memory_bytes: 16 bytes per tracked base page; the array doubles when a
 * dense index beyond it appears. */
static void test_memory_bytes(void **state)
{
	struct tm_ident_config c;
	void *m;
	size_t before;

	(void)state;
	config(&c);
	m = make(&c, 1000);   /* 2048 slots */
	before = ops()->memory_bytes(m);
	assert_true(before >= 2048 * 16);
	feed(m, 5000, 1);
	assert_true(ops()->memory_bytes(m) >= before + (8192 - 2048) * 16);
	assert_int_equal(ops()->estimate(m, 5000, 5000), 512);
	ops()->free(m);
	config(&c);
	tm_memtis_cfg(&c)->huge_pages = true;
	m = make(&c, 4096);
	assert_true(ops()->memory_bytes(m) >= 8 * 512 * sizeof(uint32_t));
	ops()->free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_bounds),
		cmocka_unit_test(test_increment_base),
		cmocka_unit_test(test_huge_pages),
		cmocka_unit_test(test_threshold_from_histogram),
		cmocka_unit_test(test_threshold_edges),
		cmocka_unit_test(test_warm_rule),
		cmocka_unit_test(test_adapt_period),
		cmocka_unit_test(test_cooling),
		cmocka_unit_test(test_threshold_only_rises),
		cmocka_unit_test(test_cooling_twice),
		cmocka_unit_test(test_cooling_alloc),
		cmocka_unit_test(test_watermark_clamp),
		cmocka_unit_test(test_memory_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
