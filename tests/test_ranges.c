/*
 * test_ranges.c - the ranges identifier (Demeter's range classifier):
 * initial ranges, a known split sequence, halving before the split, the
 * range cap, both neighbour rules, the cool-age hold-out, the 2 MiB gate,
 * merge on/off, rank order, estimate, schema and memory.
 *
 * Unless a test says otherwise: 4 KiB pages, ram 1 GiB, coverage 1 (one
 * initial range [0, 1 GiB) = pages [0, 262144)), vcpus 1, tau_split 15,
 * alpha 2, so a range splits when count >= 15 and count > neighbour + 30.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/ident/identifier.h"
#include "models/ident/ranges.h"
#include "models/ident/ranges_internal.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PG(bytes) ((bytes) >> 12)   /* bytes to 4 KiB page numbers */

static const struct tm_identifier_ops *ops(void)
{
	const struct tm_identifier_ops *o = tm_identifier_find("ranges");

	assert_non_null(o);
	return o;
}

/* Defaults, then the small setting of the file header. */
static void config(struct tm_ident_config *c)
{
	struct tm_ranges_config *rc;

	assert_int_equal(tm_ident_config_default(c, "ranges"), 0);
	rc = tm_ranges_cfg(c);
	rc->sz_ram = GIB;
	rc->coverage = 1;
	rc->nr_vcpus = 1;
}

static void *make_fmem(struct tm_ident_config *c, uint64_t nr_fmem_pages)
{
	struct tm_ident_params p = { .cfg = c, .own = c->own.bytes,
				     .nr_fmem_pages = nr_fmem_pages, .seed = 1,
				     .page_shift = 12 };

	return ops()->new(&p);
}

static void *make(struct tm_ident_config *c)
{
	return make_fmem(c, 1024);
}

/* n samples of weight w at byte address addr. */
static void feed_w(void *st, uint64_t addr, unsigned n, unsigned w)
{
	struct tm_record rec = { .addr = addr };
	struct tm_sample s = { .rec = &rec, .weight = (uint16_t)w };

	for (unsigned i = 0; i < n; i++)
		ops()->update(st, s);
}

static void feed(void *st, uint64_t addr, unsigned n)
{
	feed_w(st, addr, n, 1);
}

/* Range i is [start, end) bytes with count and age. */
static void expect(void *st, size_t i, uint64_t start, uint64_t end,
		   uint64_t count, uint64_t age)
{
	struct tm_ranges_range g = tm_ranges_at(st, i);

	assert_int_equal(g.start, PG(start));
	assert_int_equal(g.end, PG(end));
	assert_int_equal(g.count, count);
	assert_int_equal(g.age, age);
}

/* Rank into a caller's buffer of 64 regions. */
static size_t rank(void *st, struct tm_region *reg)
{
	uint64_t hot[4];
	struct tm_rank r = { .hot = hot, .cap = 4, .regions = reg,
			     .cap_regions = 64 };

	ops()->rank(st, &r);
	assert_int_equal(r.nr_hot, 0);
	assert_int_equal(r.nr_pairs, 0);
	return r.nr_regions;
}

static void expect_region(const struct tm_region *g, uint64_t start,
			  uint64_t end)
{
	assert_int_equal(g->start, PG(start));
	assert_int_equal(g->end, PG(end));
}

static void test_schema_defaults(void **state)
{
	struct tm_ident_config c;
	const struct tm_ranges_config *rc;
	const struct tm_cfg_key *k;
	struct tm_cfg_val v;
	struct tm_error e;

	(void)state;
	assert_int_equal(tm_ident_config_default(&c, "ranges"), 0);
	assert_true(ops()->kind.flags & TM_IDENT_SAMPLES);
	assert_true(ops()->kind.flags & TM_IDENT_REGIONS);
	rc = tm_ranges_cfg_of(&c);
	assert_int_equal(rc->sz_ram, 0);
	assert_int_equal(rc->coverage, 2);
	assert_int_equal(rc->heap_start, 0);
	assert_int_equal(rc->mmap_base, 0);
	assert_int_equal(rc->sz_granularity, 2 * MIB);
	assert_int_equal(rc->nr_vcpus, 4);
	assert_int_equal(rc->tau_split, 15);
	assert_int_equal(rc->alpha, 2);
	assert_int_equal(rc->neighbour, TM_RANGES_ANY);
	assert_int_equal(rc->max_ranges, 2048);
	assert_int_equal(rc->cool_age, 3);
	assert_int_equal(rc->merge, TM_RANGES_MERGE_OFF);
	assert_int_equal(rc->tau_merge, 8);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "max_ranges");
	assert_non_null(k);
	assert_int_equal(tm_cfg_parse(k, "1", &v, &e), -1);
	assert_int_equal(tm_cfg_parse(k, "2048", &v, &e), 0);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "vcpus");
	assert_int_equal(tm_cfg_parse(k, "0", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "neighbour");
	assert_int_equal(tm_cfg_parse(k, "both", &v, &e), 0);
	assert_int_equal(v.u, TM_RANGES_BOTH);
	assert_int_equal(tm_cfg_parse(k, "all", &v, &e), -1);
	k = tm_cfg_find(ops()->kind.keys, ops()->kind.nr_keys, "granularity");
	assert_int_equal(tm_cfg_parse(k, "1KiB", &v, &e), -1);
}

/* Initial ranges (P core.c): C = coverage x RAM rounded up to 1 GiB.
 *  - default RAM = 5 x FMEM: 256 MiB FMEM -> 1.25 GiB -> 2 GiB, C = 4 GiB:
 *    [0, 4 GiB);
 *  - the artifact's example layout, RAM 3 GiB, coverage 2, C = 6 GiB:
 *    heap [align_down(0x555558200000, 1G), + 6G) = [0x555540000000, ...),
 *    mmap [align_up(0x7f34ab400000, 1G) - 6G, 0x7f34c0000000);
 *  - an mmap range overlapping the heap range is cut (here: dropped). */
static void test_initial_ranges(void **state)
{
	struct tm_ident_config c;
	void *x;

	(void)state;
	config(&c);
	tm_ranges_cfg(&c)->sz_ram = 0;
	tm_ranges_cfg(&c)->coverage = 2;
	x = make_fmem(&c, PG(256 * MIB));
	assert_int_equal(tm_ranges_nr(x), 1);
	expect(x, 0, 0, 4 * GIB, 0, 0);
	ops()->free(x);

	config(&c);
	tm_ranges_cfg(&c)->sz_ram = 3 * GIB;
	tm_ranges_cfg(&c)->coverage = 2;
	tm_ranges_cfg(&c)->heap_start = 0x555558200000ull;
	tm_ranges_cfg(&c)->mmap_base = 0x7f34ab400000ull;
	x = make(&c);
	assert_int_equal(tm_ranges_nr(x), 2);
	expect(x, 0, 0x555540000000ull, 0x555540000000ull + 6 * GIB, 0, 0);
	expect(x, 1, 0x7f34c0000000ull - 6 * GIB, 0x7f34c0000000ull, 0, 0);
	/* a sample between the two ranges is discarded */
	feed(x, 0x600000000000ull, 3);
	feed(x, 0x555540000000ull + 5, 2);
	assert_int_equal(tm_ranges_discarded(x), 3);
	expect(x, 0, 0x555540000000ull, 0x555540000000ull + 6 * GIB, 2, 0);
	ops()->free(x);

	config(&c);
	/* mmap_base 512M rounds up to 1G: [0, 1G), the heap range again */
	tm_ranges_cfg(&c)->mmap_base = 512 * MIB;
	x = make(&c);
	assert_int_equal(tm_ranges_nr(x), 1);
	expect(x, 0, 0, GIB, 0, 0);
	ops()->free(x);
}

/*
 * Known split sequence: 100 samples at address 0 each epoch, one initial
 * range [0, 1G).  Each epoch halves, then splits (size >= 4M, count >= 15,
 * no neighbour or count > neighbour + 30):
 *   epoch 1: 100 -> 50; no neighbour: [0,512M) 25 a1 | [512M,1G) 25 a1
 *   epoch 2: 125, 25 -> 62, 12; 62 > 12 + 30: [0,256M) 31 a2 |
 *            [256M,512M) 31 a2 | [512M,1G) 12 a1
 *   epoch 3: 131, 31, 12 -> 65, 15, 6; the first splits (65 > 15 + 30);
 *            [256M,512M) has 15 >= 15 but beats neither 32 + 30 nor 6 + 30:
 *            [0,128M) 32 a3 | [128M,256M) 32 a3 | [256M,512M) 15 a2 |
 *            [512M,1G) 6 a1
 *   epoch k <= 9: the range at 0 halves to 66 and splits into two of 33
 *            with age k: [0, 1G >> k), [1G >> k, 1G >> (k-1)), ...
 *   epoch 10: [0, 2M) is too small to split; nothing else splits.
 * The range at 0 has no left neighbour, so the sequence is the same under
 * `neighbour: both`.
 */
static void run_sequence(void *x, unsigned nr_epochs)
{
	for (unsigned e = 1; e <= nr_epochs; e++) {
		feed(x, 0, 100);
		ops()->epoch_end(x);
	}
}

static void check_sequence(int neighbour)
{
	struct tm_ident_config c;
	void *x;

	config(&c);
	tm_ranges_cfg(&c)->neighbour = neighbour;
	x = make(&c);
	run_sequence(x, 1);
	assert_int_equal(tm_ranges_nr(x), 2);
	expect(x, 0, 0, 512 * MIB, 25, 1);
	expect(x, 1, 512 * MIB, GIB, 25, 1);
	run_sequence(x, 1);
	assert_int_equal(tm_ranges_nr(x), 3);
	expect(x, 0, 0, 256 * MIB, 31, 2);
	expect(x, 1, 256 * MIB, 512 * MIB, 31, 2);
	expect(x, 2, 512 * MIB, GIB, 12, 1);
	run_sequence(x, 1);
	assert_int_equal(tm_ranges_nr(x), 4);
	expect(x, 0, 0, 128 * MIB, 32, 3);
	expect(x, 1, 128 * MIB, 256 * MIB, 32, 3);
	expect(x, 2, 256 * MIB, 512 * MIB, 15, 2);
	expect(x, 3, 512 * MIB, GIB, 6, 1);
	for (unsigned k = 4; k <= 9; k++) {
		run_sequence(x, 1);
		assert_int_equal(tm_ranges_nr(x), k + 1);
		assert_int_equal(tm_ranges_splits(x), k);
		expect(x, 0, 0, GIB >> k, 33, k);
		expect(x, 1, GIB >> k, GIB >> (k - 1), 33, k);
	}
	run_sequence(x, 1);
	assert_int_equal(tm_ranges_nr(x), 10);
	assert_int_equal(tm_ranges_splits(x), 9);
	expect(x, 0, 0, 2 * MIB, 66, 9);
	ops()->free(x);
}

static void test_split_sequence(void **state)
{
	(void)state;
	check_sequence(TM_RANGES_ANY);
	check_sequence(TM_RANGES_BOTH);
}

/* Halving comes before the split: 20 samples reach tau_split (15) but halve
 * to 10 first, so the range does not split and keeps 10.  (Halving after
 * the split would split it.) */
static void test_halve_before_split(void **state)
{
	struct tm_ident_config c;
	void *x;

	(void)state;
	config(&c);
	x = make(&c);
	feed(x, 0, 20);
	ops()->epoch_end(x);
	assert_int_equal(tm_ranges_nr(x), 1);
	expect(x, 0, 0, GIB, 10, 0);
	feed(x, 0, 20);             /* 30 -> 15 >= 15: splits into 7 and 7 */
	ops()->epoch_end(x);
	assert_int_equal(tm_ranges_nr(x), 2);
	expect(x, 0, 0, 512 * MIB, 7, 1);
	ops()->free(x);
}

/*
 * The cap stops the scan, mid-epoch too.  tau_split 0, alpha 0: a range
 * splits when its count beats a neighbour's.  Epoch 1 splits [0,1G) (no
 * neighbour).  Epoch 2: A = [0,512M) 100 -> 50, B = [512M,1G) 60 -> 30; A
 * beats B and splits (25 | 25); B then beats A's second half (30 > 25) and
 * splits too, unless the cap of 3 ranges was reached by A's split.
 */
static void test_cap(void **state)
{
	struct tm_ident_config c;
	void *x;

	(void)state;
	for (uint64_t cap = 3; cap <= 4; cap++) {
		config(&c);
		tm_ranges_cfg(&c)->tau_split = 0;
		tm_ranges_cfg(&c)->alpha = 0;
		tm_ranges_cfg(&c)->max_ranges = cap;
		x = make(&c);
		ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), 2);
		feed(x, 0, 100);
		feed(x, 512 * MIB, 60);
		ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), cap);
		expect(x, 0, 0, 256 * MIB, 25, 2);
		if (cap == 3)
			expect(x, 2, 512 * MIB, GIB, 30, 1);
		else
			expect(x, 3, 768 * MIB, GIB, 15, 3);
		ops()->free(x);
	}
}

/* Splitmix64: a reproducible stream for the default cap. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The default cap, 2048: uniform noise over 8 GiB (4096 ranges of 2 MiB
 * possible) with tau_split 0, alpha 0 splits most ranges each epoch, and
 * the count stops at exactly 2048. */
static void test_cap_default(void **state)
{
	struct tm_ident_config c;
	uint64_t seed = 42;
	void *x;

	(void)state;
	config(&c);
	tm_ranges_cfg(&c)->sz_ram = 8 * GIB;
	tm_ranges_cfg(&c)->tau_split = 0;
	tm_ranges_cfg(&c)->alpha = 0;
	x = make(&c);
	for (int e = 0; e < 40; e++) {
		for (int i = 0; i < 50000; i++)
			feed(x, next_rand(&seed) % (8 * GIB), 1);
		ops()->epoch_end(x);
		assert_true(tm_ranges_nr(x) <= 2048);
		for (size_t i = 1; i < tm_ranges_nr(x); i++)
			assert_int_equal(tm_ranges_at(x, i).start,
					 tm_ranges_at(x, i - 1).end);
	}
	assert_int_equal(tm_ranges_nr(x), 2048);
	ops()->free(x);
}

/*
 * Neighbour rule, both readings.  After two epochs of the split sequence:
 * [0,256M) 31 | [256M,512M) 31 | [512M,1G) 12.  Epoch 3 adds 100 to each
 * of the first two: 131, 131, 12 -> 65, 65, 6.  The first has one
 * neighbour (65) and beats none; the middle one beats its right neighbour
 * (65 > 6 + 30) but not its left (65 + 30):
 *   any (artifact): the middle one splits -> 4 ranges;
 *   both (paper): nothing splits -> 3 ranges.
 */
static void test_neighbour_rule(void **state)
{
	struct tm_ident_config c;
	void *x;

	(void)state;
	for (int nb = TM_RANGES_ANY; nb <= TM_RANGES_BOTH; nb++) {
		config(&c);
		tm_ranges_cfg(&c)->neighbour = nb;
		x = make(&c);
		run_sequence(x, 2);
		feed(x, 0, 100);
		feed(x, 256 * MIB, 100);
		ops()->epoch_end(x);
		if (nb == TM_RANGES_ANY) {
			assert_int_equal(tm_ranges_nr(x), 4);
			expect(x, 1, 256 * MIB, 384 * MIB, 32, 3);
		} else {
			assert_int_equal(tm_ranges_nr(x), 3);
			expect(x, 1, 256 * MIB, 512 * MIB, 65, 2);
		}
		ops()->free(x);
	}
}

/*
 * The margin is alpha x tau_split x vcpus = 30, "more than": epoch 1
 * splits [0,1G) (40 -> 20) into A 10 | B 10.  Epoch 2 adds n at A:
 * (10 + n) / 2 against B's 5: n = 60 gives 35 = 5 + 30, no split; n = 62
 * gives 36, a split.  With vcpus 2 (threshold 30, margin 60; twice the
 * samples): epoch 1 gives 20 | 20, epoch 2 adds 72: 92 -> 46 >= 30 but not
 * more than 10 + 60, no split.
 */
static void test_margin(void **state)
{
	static const struct { unsigned n; uint64_t vcpus; size_t nr; } t[] = {
		{ 60, 1, 2 }, { 62, 1, 3 }, { 62, 2, 2 },
	};
	struct tm_ident_config c;
	void *x;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		config(&c);
		tm_ranges_cfg(&c)->nr_vcpus = t[i].vcpus;
		x = make(&c);
		feed(x, 0, t[i].vcpus == 1 ? 40 : 80);
		ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), 2);
		expect(x, 1, 512 * MIB, GIB, t[i].vcpus == 1 ? 10 : 20, 1);
		feed(x, 0, t[i].vcpus == 1 ? t[i].n : t[i].n + 10);
		ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), t[i].nr);
		ops()->free(x);
	}
}

/*
 * Nothing is placed until a range has reached 2 MiB: after 8 epochs of the
 * split sequence the smallest range is 4 MiB (no regions, even with
 * cool_age 0); after 9 it is 2 MiB.  Then, after epoch 9 (splits = 9):
 *   [0,2M) 33 a9 | [2M,4M) 33 a9 | [4M,8M) 16 a8 | [8M,16M) 8 a7 |
 *   [16M,32M) 4 a6 | [32M,64M) 2 a5 | [64M,128M) 1 a4 | older ones at 0.
 * freq (per 2 MiB) 33, 33, 8, 2, 0.5, 0.125, 0.03: that is the rank order,
 * the two at 33 by address; ranges at 0 are not placed.
 *   cool_age 0: all seven;
 *   cool_age 3: ages 7..9 (age + 3 > 9) lead the order and are held out,
 *               so [16M,32M), [32M,64M), [64M,128M);
 *   cool_age 100: every range is "cooling", and then (artifact) none is
 *               held out: all seven.
 */
static void test_gate_and_cool_age(void **state)
{
	static const uint64_t cool[] = { 0, 3, 100 };
	struct tm_region reg[64];
	struct tm_ident_config c;
	void *x;

	(void)state;
	for (size_t t = 0; t < 3; t++) {
		config(&c);
		tm_ranges_cfg(&c)->cool_age = cool[t];
		x = make(&c);
		run_sequence(x, 8);
		assert_int_equal(rank(x, reg), 0);
		run_sequence(x, 1);
		if (cool[t] == 3) {
			assert_int_equal(rank(x, reg), 3);
			expect_region(&reg[0], 16 * MIB, 32 * MIB);
			expect_region(&reg[1], 32 * MIB, 64 * MIB);
			expect_region(&reg[2], 64 * MIB, 128 * MIB);
			assert_int_equal(reg[0].score, 0);  /* floor(0.5) */
		} else {
			assert_int_equal(rank(x, reg), 7);
			expect_region(&reg[0], 0, 2 * MIB);
			expect_region(&reg[1], 2 * MIB, 4 * MIB);
			expect_region(&reg[2], 4 * MIB, 8 * MIB);
			expect_region(&reg[3], 8 * MIB, 16 * MIB);
			expect_region(&reg[6], 64 * MIB, 128 * MIB);
			assert_int_equal(reg[0].score, 33);
			assert_int_equal(reg[2].score, 8);
			assert_int_equal(reg[3].score, 2);
		}
		ops()->free(x);
	}
}

/*
 * Rank order: freq, then count, then age (newer first), then address.
 * granularity 256 MiB (so 256 MiB ranges are final and the gate opens
 * once one exists), cool_age 0.
 *   epoch 1: 40 at 0 -> 20, splits: A [0,512M) 10 a1 | B [512M,1G) 10 a1
 *   epoch 2: 200 more at 0 -> A 210, B 10 -> 105, 5; A splits:
 *            A1 [0,256M) 52 a2 | A2 [256M,512M) 52 a2 | B 5 a1
 *   then B += 99 -> 104: freq(B) = 104 x 256M / 512M = 52 = freq(A1), and
 *   B's count is larger: B, A1, A2 (A1 before A2 by address).
 *   epoch 3: 400 more at 600M: A1 52, A2 52, B 504 -> 26, 26, 252; B
 *            beats A2 (26 + 30 < 252) and splits: B1 [512M,768M) 126 a3 |
 *            B2 [768M,1G) 126 a3; A1 and A2 (256M) are too small to split.
 *   then A1 += 100 -> 126: A1, B1, B2 tie on freq and count; B1, B2 are
 *   newer: B1, B2, A1, A2.
 */
static void test_rank_order(void **state)
{
	struct tm_region reg[64];
	struct tm_ident_config c;
	void *x;

	(void)state;
	config(&c);
	tm_ranges_cfg(&c)->sz_granularity = 256 * MIB;
	tm_ranges_cfg(&c)->cool_age = 0;
	x = make(&c);
	feed(x, 0, 40);
	ops()->epoch_end(x);
	feed(x, 0, 200);
	ops()->epoch_end(x);
	expect(x, 0, 0, 256 * MIB, 52, 2);
	expect(x, 2, 512 * MIB, GIB, 5, 1);
	feed(x, 512 * MIB, 99);
	assert_int_equal(rank(x, reg), 3);
	expect_region(&reg[0], 512 * MIB, GIB);
	expect_region(&reg[1], 0, 256 * MIB);
	expect_region(&reg[2], 256 * MIB, 512 * MIB);
	assert_int_equal(reg[0].score, 52);
	assert_int_equal(ops()->estimate(x, 0, PG(600 * MIB)), 52);
	feed(x, 600 * MIB, 400);
	ops()->epoch_end(x);
	assert_int_equal(tm_ranges_nr(x), 4);
	expect(x, 2, 512 * MIB, 768 * MIB, 126, 3);
	feed(x, 0, 100);
	assert_int_equal(rank(x, reg), 4);
	expect_region(&reg[0], 512 * MIB, 768 * MIB);
	expect_region(&reg[1], 768 * MIB, GIB);
	expect_region(&reg[2], 0, 256 * MIB);
	expect_region(&reg[3], 256 * MIB, 512 * MIB);
	ops()->free(x);
}

/*
 * Merge.  Nine epochs of the split sequence, then epochs without samples:
 * counts 33, 33, 16, 8, 4, 2, 1, 0, 0, 0 (10 ranges, splits = 9) halve to
 * 0 within six epochs; no split happens, so splits stays 9.
 *   off (artifact): still 10 ranges.
 *   on, tau_merge 0: after 5 empty epochs [0,2M) and [2M,4M) hold 1 and
 *      the eight ranges from 4M up (all 0) are one: 3 ranges; after 6, one
 *      range [0,1G) with the oldest age, 1.
 *   on, tau_merge 5: only ranges made at split <= 4 merge ([64M,1G), age
 *      1); the six younger ones stay: 7 ranges after 6 empty epochs.
 */
static void test_merge(void **state)
{
	static const struct { int merge; uint64_t tau; size_t nr5, nr6; } t[] = {
		{ TM_RANGES_MERGE_OFF, 0, 10, 10 },
		{ TM_RANGES_MERGE_ON, 0, 3, 1 },
		{ TM_RANGES_MERGE_ON, 5, 7, 7 },
	};
	struct tm_ident_config c;
	void *x;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		config(&c);
		tm_ranges_cfg(&c)->merge = t[i].merge;
		tm_ranges_cfg(&c)->tau_merge = t[i].tau;
		x = make(&c);
		run_sequence(x, 9);
		for (int e = 0; e < 5; e++)
			ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), t[i].nr5);
		ops()->epoch_end(x);
		assert_int_equal(tm_ranges_nr(x), t[i].nr6);
		assert_int_equal(tm_ranges_splits(x), 9);
		if (t[i].nr6 == 1)
			expect(x, 0, 0, GIB, 0, 1);
		if (t[i].tau == 5)
			expect(x, 6, 64 * MIB, GIB, 0, 1);
		ops()->free(x);
	}
}

/* Weights: +weight per sample, 0 does not count; estimate = freq of the
 * page's range (count x 2M / size), 0 outside every range. */
static void test_weights_estimate(void **state)
{
	struct tm_ident_config c;
	void *x;

	(void)state;
	config(&c);
	x = make(&c);
	feed_w(x, 4096, 10, 3);
	feed_w(x, 8192, 5, 0);
	expect(x, 0, 0, GIB, 30, 0);
	/* 30 x 2M / 1G = 0.06 -> 0; 1024 more: 1054 x 2M / 1G = 2.06 -> 2 */
	assert_int_equal(ops()->estimate(x, 7, 5), 0);
	feed(x, 0, 1024);
	assert_int_equal(ops()->estimate(x, 7, 5), 2);
	assert_int_equal(ops()->estimate(x, 7, PG(GIB)), 0);
	assert_false(ops()->cumulative(x));
	ops()->free(x);
}

/* The range a page falls in, by a linear scan of the ranges; nr if none. */
static size_t scan_find(const void *x, uint64_t page)
{
	size_t nr = tm_ranges_nr(x);

	for (size_t i = 0; i < nr; i++) {
		struct tm_ranges_range g = tm_ranges_at(x, i);

		if (page >= g.start && page < g.end)
			return i;
	}
	return nr;
}

/* Every sample lands in the range a linear scan names (its count grows by
 * the weight), and one outside both initial ranges is discarded: with the
 * direct map over two spans (power-of-two granularity), after splits and
 * merges, and with the binary search (granularity 3 MiB). */
static void check_find(uint64_t granularity, bool merge)
{
	struct tm_ident_config c;
	uint64_t rng = 12345;
	void *x;

	config(&c);
	tm_ranges_cfg(&c)->sz_granularity = granularity;
	tm_ranges_cfg(&c)->heap_start = 4 * GIB;
	tm_ranges_cfg(&c)->mmap_base = 64 * GIB;
	tm_ranges_cfg(&c)->merge = merge;
	tm_ranges_cfg(&c)->tau_merge = 1;
	tm_ranges_cfg(&c)->tau_split = 2;
	x = make(&c);
	assert_int_equal(tm_ranges_nr(x), 2);
	for (unsigned e = 0; e < 12; e++) {
		for (unsigned i = 0; i < 4000; i++) {
			/* half the samples in a hot 64 MiB of each span */
			uint64_t off, addr, page;
			size_t at, nr = tm_ranges_nr(x);
			uint64_t before, disc = tm_ranges_discarded(x);

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			off = (rng >> 20) % (i & 1 ? 64 * MIB : GIB);
			addr = (rng >> 63 ? 4 * GIB : 63 * GIB) + off;
			if (i % 97 == 0)
				addr = 2 * GIB + off;   /* in no range */
			page = addr >> 12;
			at = scan_find(x, page);
			before = at < nr ? tm_ranges_at(x, at).count : 0;
			feed_w(x, addr, 1, 3);
			if (at == nr) {
				assert_int_equal(tm_ranges_discarded(x), disc + 1);
				continue;
			}
			assert_int_equal(tm_ranges_at(x, at).count, before + 3);
			assert_int_equal(tm_ranges_discarded(x), disc);
		}
		ops()->epoch_end(x);
		if (e == 5 && merge) {
			/* quiet epochs: counts halve to 0, ranges merge */
			size_t nr = tm_ranges_nr(x);

			for (unsigned q = 0; q < 16; q++)
				ops()->epoch_end(x);
			assert_true(tm_ranges_nr(x) < nr);
		}
	}
	assert_true(tm_ranges_nr(x) > 16);
	ops()->free(x);
}

static void test_find(void **state)
{
	(void)state;
	check_find(2 * MIB, false);
	check_find(2 * MIB, true);
	check_find(3 * MIB, false);
}

/* State: three arrays of max_ranges 32-byte ranges and their 8-byte starts,
 * allocated in new(), and a 4-byte map entry per 2 MiB of the initial
 * ranges (1 GiB here). */
static void test_memory_bytes(void **state)
{
	struct tm_ident_config c;
	size_t arrays = 2048 * (3 * sizeof(struct tm_ranges_range) + 8) +
			512 * 4;
	void *x;

	(void)state;
	assert_int_equal(sizeof(struct tm_ranges_range), 32);
	config(&c);
	x = make(&c);
	assert_true(ops()->memory_bytes(x) >= arrays);
	assert_true(ops()->memory_bytes(x) < arrays + 256);
	run_sequence(x, 9);
	assert_true(ops()->memory_bytes(x) < arrays + 256);
	ops()->free(x);
	ops()->free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_defaults),
		cmocka_unit_test(test_initial_ranges),
		cmocka_unit_test(test_split_sequence),
		cmocka_unit_test(test_halve_before_split),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_default),
		cmocka_unit_test(test_neighbour_rule),
		cmocka_unit_test(test_margin),
		cmocka_unit_test(test_gate_and_cool_age),
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_weights_estimate),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_memory_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
