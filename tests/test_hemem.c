/*
 * test_hemem.c - the hemem identifier against HeMem's published rules
 * (webglider/hemem@sosp-submission src/pebs.h, pebs.c; reference
 * identifiers.md §3): read and write thresholds, the global cooling clock
 * and its lazy shift, FIFO order of rank, 2 MiB aggregation, tier lists
 * after moved(), schema defaults and bounds, memory.
 *
 * Samples carry a record (the identifier keys HeMem pages by address):
 * trace pages of 4 KiB (page_shift 12) unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/hemem.h"
#include "models/ident/identifier.h"
#include "lib/alloc.h"

#define CAP 64

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("hemem");

	assert_non_null(o);
	return o;
}

/* A hemem identifier over trace pages of 2^page_shift bytes. */
static void *make(struct tm_ident_config *c, enum tm_hemem_page_size sz,
		  uint32_t page_shift)
{
	struct tm_ident_params p = { .cfg = c, .own = c->own.bytes,
				       .nr_fmem_pages = 64, .seed = 1,
				       .page_shift = page_shift };

	tm_ident_config_default(c, "hemem");
	tm_hemem_cfg(c)->page_size = sz;
	return ops()->new(&p);
}

/* n samples of op on trace page `page` (4 KiB pages), in tier. */
static void feed_n(void *st, uint64_t page, enum tm_op op, enum tm_tier tier,
		   int n)
{
	struct tm_record rec = { .addr = page << 12, .op = (uint8_t)op };
	struct tm_sample s = { .rec = &rec, .idx = (uint32_t)page,
			       .weight = 1, .tier = (uint8_t)tier };

	for (int i = 0; i < n; i++)
		ops()->update(st, s);
}

static struct tm_hemem_peek peek(void *st, uint64_t page)
{
	struct tm_hemem_peek pk;

	tm_hemem_peek(st, page, &pk);
	return pk;
}

/* rank() into regions; returns how many. */
static size_t rank(void *st, struct tm_region *g, size_t cap)
{
	uint64_t hot[CAP];
	struct tm_rank r = { .hot = hot, .cap = CAP, .regions = g,
			     .cap_regions = cap };

	ops()->rank(st, &r);
	assert_int_equal(r.nr_pairs, 0);
	return r.nr_regions;
}

static void test_defaults_and_bounds(void **state)
{
	struct tm_ident_config c;
	const struct tm_kind *k;
	struct tm_cfg_val v;
	struct tm_error e;

	(void)state;
	assert_int_equal(tm_ident_config_default(&c, "hemem"), 0);
	assert_int_equal(tm_hemem_cfg(&c)->hot_reads, 8);
	assert_int_equal(tm_hemem_cfg(&c)->hot_writes, 4);
	assert_int_equal(tm_hemem_cfg(&c)->cooling_threshold, 10);
	assert_int_equal(tm_hemem_cfg(&c)->page_size, TM_HEMEM_PAGE_2MIB);
	k = &ops()->kind;
	assert_true(k->flags & TM_IDENT_REGIONS);
	assert_true(k->flags & TM_IDENT_TIER);
	assert_int_equal(tm_cfg_parse(tm_cfg_find(k->keys, k->nr_keys,
						  "hot_reads"), "0", &v, &e), -1);
	assert_int_equal(tm_cfg_parse(tm_cfg_find(k->keys, k->nr_keys,
						  "cooling_threshold"), "18",
				      &v, &e), 0);
	assert_int_equal(tm_cfg_parse(tm_cfg_find(k->keys, k->nr_keys,
						  "page_size"), "1GiB", &v, &e),
			 -1);
	assert_int_equal(tm_cfg_parse(tm_cfg_find(k->keys, k->nr_keys,
						  "page_size"), "4KiB", &v, &e),
			 0);
	assert_int_equal(v.u, TM_HEMEM_PAGE_4KIB);
}

/* Hot if reads >= 8 (loads and modifies are reads, of either tier) or
 * writes >= 4; reads and writes are separate counters, never summed. */
static void test_thresholds(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_region g[CAP];

	(void)state;
	feed_n(h, 1, TM_OP_LOAD, TM_TIER_FMEM, 7);
	assert_false(peek(h, 1).hot);           /* 7 reads: not hot */
	assert_int_equal(rank(h, g, CAP), 0);
	feed_n(h, 1, TM_OP_LOAD, TM_TIER_FMEM, 1);
	assert_true(peek(h, 1).hot);            /* 8 reads: hot */
	feed_n(h, 2, TM_OP_MODIFY, TM_TIER_SMEM, 4);
	feed_n(h, 2, TM_OP_LOAD, TM_TIER_FMEM, 3);
	assert_false(peek(h, 2).hot);
	feed_n(h, 2, TM_OP_MODIFY, TM_TIER_SMEM, 1);
	assert_true(peek(h, 2).hot);            /* 4 + 3 + 1 reads */
	feed_n(h, 3, TM_OP_STORE, TM_TIER_SMEM, 3);
	feed_n(h, 3, TM_OP_LOAD, TM_TIER_SMEM, 7);
	assert_false(peek(h, 3).hot);           /* 3 writes, 7 reads */
	feed_n(h, 3, TM_OP_STORE, TM_TIER_SMEM, 1);
	assert_true(peek(h, 3).hot);            /* 4 writes: hot */
	assert_int_equal(peek(h, 3).writes, 4);
	assert_int_equal(peek(h, 3).reads, 7);
	assert_int_equal(peek(h, 3).clock, 0);  /* no count above 10 yet */
	assert_int_equal(rank(h, g, CAP), 3);
	ops()->free(h);
}

/* The cooling clock.  Page 5 takes 6 reads; page 7 takes 11: the 11th
 * exceeds the threshold 10 and ticks the global clock (the 10th does not).
 * Page 5's stored count is still 6 (the shift is lazy) but reads as
 * 6 >> 1 = 3; its next sample makes 7 and is shifted by the clock delta
 * to 3.  Page 9 had 7 reads before the tick: its 8th read is tested before
 * the shift (pebs.c), so it becomes hot with a stored count of 4; the
 * cooling pass of the next rank() finds 4 < 8 and cools it, and page 7
 * too (11 >> 1 = 5). */
static void test_cooling_clock(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_region g[CAP];
	struct tm_hemem_peek pk;

	(void)state;
	feed_n(h, 5, TM_OP_LOAD, TM_TIER_FMEM, 6);
	feed_n(h, 9, TM_OP_LOAD, TM_TIER_FMEM, 7);
	feed_n(h, 7, TM_OP_LOAD, TM_TIER_FMEM, 10);
	assert_int_equal(peek(h, 7).clock, 0);
	feed_n(h, 7, TM_OP_LOAD, TM_TIER_FMEM, 1);
	pk = peek(h, 5);
	assert_int_equal(pk.clock, 1);
	assert_int_equal(pk.reads, 6);          /* not shifted yet */
	assert_int_equal(pk.cooled_reads, 3);   /* as read for ranking */
	feed_n(h, 5, TM_OP_LOAD, TM_TIER_FMEM, 1);
	pk = peek(h, 5);
	assert_int_equal(pk.reads, 3);          /* (6 + 1) >> 1 */
	assert_int_equal(pk.cooled_reads, 3);
	assert_false(pk.hot);
	feed_n(h, 9, TM_OP_LOAD, TM_TIER_FMEM, 1);
	pk = peek(h, 9);
	assert_true(pk.hot);                    /* 8 before the shift */
	assert_int_equal(pk.reads, 4);
	assert_true(peek(h, 7).hot);
	assert_int_equal(peek(h, 7).cooled_reads, 5);
	assert_int_equal(rank(h, g, CAP), 0);   /* the pass cools 9 and 7 */
	assert_false(peek(h, 9).hot);
	assert_false(peek(h, 7).hot);
	ops()->free(h);
}

/* rank(): the FMEM hot list, then the SMEM hot list, each in the order the
 * pages became hot (FIFO, head first); cold pages are not ranked.  No page
 * exceeds 10 samples, so the clock never ticks. */
static void test_fifo_rank(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_region g[CAP];
	static const uint64_t want[] = { 21, 20, 11, 10, 12 };

	(void)state;
	feed_n(h, 10, TM_OP_LOAD, TM_TIER_SMEM, 7);
	feed_n(h, 12, TM_OP_LOAD, TM_TIER_SMEM, 7);
	feed_n(h, 11, TM_OP_LOAD, TM_TIER_SMEM, 8);   /* hot first */
	feed_n(h, 20, TM_OP_LOAD, TM_TIER_FMEM, 7);
	feed_n(h, 10, TM_OP_LOAD, TM_TIER_SMEM, 1);
	feed_n(h, 21, TM_OP_STORE, TM_TIER_FMEM, 4);
	feed_n(h, 12, TM_OP_LOAD, TM_TIER_SMEM, 1);
	feed_n(h, 20, TM_OP_LOAD, TM_TIER_FMEM, 1);
	feed_n(h, 30, TM_OP_LOAD, TM_TIER_FMEM, 1);   /* cold */
	feed_n(h, 31, TM_OP_LOAD, TM_TIER_FMEM, 1);   /* cold, later */
	assert_int_equal(rank(h, g, CAP), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(g[i].start, want[i]);
		assert_int_equal(g[i].end, want[i] + 1);
	}
	assert_int_equal(rank(h, g, 3), 3);           /* cut at the cap */
	assert_int_equal(g[2].start, 11);
	/* estimate: unknown 0 < cold list head < its tail < any hot page */
	assert_int_equal(ops()->estimate(h, 99, 99), 0);
	assert_true(ops()->estimate(h, 30, 30) > 0);
	assert_true(ops()->estimate(h, 30, 30) < ops()->estimate(h, 31, 31));
	assert_true(ops()->estimate(h, 31, 31) < ops()->estimate(h, 11, 11));
	assert_true(ops()->estimate(h, 11, 11) < ops()->estimate(h, 10, 10));
	ops()->free(h);
}

/* page_size 2MiB: one count per 2 MiB of address (page >> 9 for 4 KiB
 * pages).  Eight 4 KiB pages of 2 MiB page 1 read once each make it hot;
 * seven reads on 2 MiB page 0 do not; rank() returns page 1 as the region
 * [512, 1024) of 4 KiB pages, and every 4 KiB page in it, sampled or not,
 * has the 2 MiB page's estimate.  With 2 MiB trace pages the HeMem page
 * is the trace page. */
static void test_2mib_aggregation(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_2MIB, 12);
	struct tm_region g[CAP];
	struct tm_record rec = { .addr = 3ull << 21, .op = TM_OP_LOAD };
	struct tm_sample s = { .rec = &rec, .idx = 0, .weight = 1,
			       .tier = TM_TIER_SMEM };

	(void)state;
	for (uint64_t p = 512; p < 520; p++)
		feed_n(h, p, TM_OP_LOAD, TM_TIER_SMEM, 1);
	for (uint64_t p = 0; p < 7; p++)
		feed_n(h, p, TM_OP_LOAD, TM_TIER_SMEM, 1);
	assert_true(peek(h, 515).hot);
	assert_int_equal(peek(h, 1023).reads, 8);
	assert_false(peek(h, 3).hot);
	assert_int_equal(rank(h, g, CAP), 1);
	assert_int_equal(g[0].start, 512);
	assert_int_equal(g[0].end, 1024);
	assert_int_equal(g[0].score, 8);
	assert_int_equal(ops()->estimate(h, 0, 1000),
			 ops()->estimate(h, 0, 512));
	ops()->free(h);

	h = make(&c, TM_HEMEM_PAGE_2MIB, 21);
	for (int i = 0; i < 8; i++)
		ops()->update(h, s);
	assert_int_equal(rank(h, g, CAP), 1);
	assert_int_equal(g[0].start, 3);
	assert_int_equal(g[0].end, 4);
	ops()->free(h);
}

/* Lists per tier after moved(): SMEM pages 40 then 43 become hot, FMEM
 * page 42 is hot: rank 42 | 40, 43.  43 promoted joins the FMEM hot tail
 * (42, 43 | 40); 42 demoted joins the SMEM hot tail (43 | 40, 42).  A cold
 * page moved joins the cold tail of its new tier: it is then the newest
 * FMEM cold page.  A move to the tier the page is listed in changes
 * nothing, and a page never sampled is ignored. */
static void test_moved_lists(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_region g[CAP];
	uint64_t est;

	(void)state;
	feed_n(h, 42, TM_OP_LOAD, TM_TIER_FMEM, 8);
	feed_n(h, 40, TM_OP_LOAD, TM_TIER_SMEM, 8);
	feed_n(h, 43, TM_OP_LOAD, TM_TIER_SMEM, 8);
	feed_n(h, 41, TM_OP_LOAD, TM_TIER_SMEM, 1);   /* SMEM cold */
	feed_n(h, 44, TM_OP_LOAD, TM_TIER_FMEM, 1);   /* FMEM cold, later */
	assert_int_equal(peek(h, 44).tier, TM_TIER_FMEM);
	assert_int_equal(rank(h, g, CAP), 3);
	assert_int_equal(g[0].start, 42);
	assert_int_equal(g[1].start, 40);
	assert_int_equal(g[2].start, 43);
	ops()->moved(h, 43, 43, TM_TIER_FMEM);
	assert_int_equal(peek(h, 43).tier, TM_TIER_FMEM);
	assert_true(peek(h, 43).hot);
	assert_int_equal(rank(h, g, CAP), 3);
	assert_int_equal(g[0].start, 42);
	assert_int_equal(g[1].start, 43);
	assert_int_equal(g[2].start, 40);
	ops()->moved(h, 42, 42, TM_TIER_SMEM);
	est = ops()->estimate(h, 42, 42);
	ops()->moved(h, 42, 42, TM_TIER_SMEM);        /* no change */
	assert_int_equal(ops()->estimate(h, 42, 42), est);
	assert_int_equal(rank(h, g, CAP), 3);
	assert_int_equal(g[0].start, 43);
	assert_int_equal(g[1].start, 40);
	assert_int_equal(g[2].start, 42);
	assert_true(ops()->estimate(h, 41, 41) < ops()->estimate(h, 44, 44));
	ops()->moved(h, 41, 41, TM_TIER_FMEM);
	assert_int_equal(peek(h, 41).tier, TM_TIER_FMEM);
	assert_false(peek(h, 41).hot);
	assert_true(ops()->estimate(h, 44, 44) < ops()->estimate(h, 41, 41));
	ops()->moved(h, 77, 77, TM_TIER_FMEM);
	assert_false(peek(h, 77).known);
	ops()->free(h);
}

/* The migration loop's re-check: an SMEM hot page whose stored counts are
 * below the thresholds goes to the cold list at the next round even with
 * no tick since.  Page 50 (SMEM) has 7 reads, page 51 ticks the clock,
 * rank() runs the pass; page 50's 8th read is hot before the shift (stored
 * 4); the next rank (no tick) re-checks the stored 4 and cools it.  The
 * same page in FMEM stays hot: that loop only dequeues SMEM hot pages. */
static void test_smem_recheck(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_region g[CAP];

	(void)state;
	feed_n(h, 50, TM_OP_LOAD, TM_TIER_SMEM, 7);
	feed_n(h, 52, TM_OP_LOAD, TM_TIER_FMEM, 7);
	feed_n(h, 51, TM_OP_LOAD, TM_TIER_FMEM, 11);
	rank(h, g, CAP);
	feed_n(h, 50, TM_OP_LOAD, TM_TIER_SMEM, 1);
	feed_n(h, 52, TM_OP_LOAD, TM_TIER_FMEM, 1);
	assert_true(peek(h, 50).hot);
	assert_true(peek(h, 52).hot);
	assert_int_equal(rank(h, g, CAP), 1);
	assert_int_equal(g[0].start, 52);
	assert_false(peek(h, 50).hot);
	ops()->free(h);
}

/* Weight 0 does not count; a weight adds itself (weighted identifiers). */
static void test_weights(void **state)
{
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	struct tm_record rec = { .addr = 60ull << 12, .op = TM_OP_STORE };
	struct tm_sample s = { .rec = &rec, .idx = 60, .weight = 0,
			       .tier = TM_TIER_SMEM };

	(void)state;
	ops()->update(h, s);
	assert_false(peek(h, 60).known);
	s.weight = 3;
	ops()->update(h, s);
	assert_int_equal(peek(h, 60).writes, 3);
	assert_false(peek(h, 60).hot);
	s.weight = 1;
	ops()->update(h, s);
	assert_true(peek(h, 60).hot);
	ops()->free(h);
}

/* memory_bytes: 48 B per page and 4 B per hash slot; a page's first
 * sample may grow the tables, later samples allocate nothing. */
static void test_memory(void **state)
{
	enum { PAGES = 5000 };
	struct tm_ident_config c;
	void *h = make(&c, TM_HEMEM_PAGE_4KIB, 12);
	size_t m0 = ops()->memory_bytes(h), m1;
	unsigned long n;

	(void)state;
	assert_true(m0 >= 256 * 48);
	for (uint64_t p = 0; p < PAGES; p++)
		feed_n(h, p * 7, TM_OP_LOAD, TM_TIER_SMEM, 1);
	m1 = ops()->memory_bytes(h);
	assert_true(m1 >= PAGES * (48 + 4));
	assert_true(m1 <= 2 * PAGES * 48 + 8 * PAGES * 4 + 1024);
	n = tm_alloc_count();
	for (int k = 0; k < 3; k++)
		for (uint64_t p = 0; p < PAGES; p++)
			feed_n(h, p * 7, TM_OP_LOAD, TM_TIER_SMEM, 1);
	assert_int_equal(tm_alloc_count(), n);
	assert_int_equal(ops()->memory_bytes(h), m1);
	ops()->free(h);
	ops()->free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_bounds),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_cooling_clock),
		cmocka_unit_test(test_fifo_rank),
		cmocka_unit_test(test_2mib_aggregation),
		cmocka_unit_test(test_moved_lists),
		cmocka_unit_test(test_smem_recheck),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
