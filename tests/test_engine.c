/*
 * test_engine.c - the engine end to end on a hand-made trace whose every
 * outcome is known: first-touch placement, hit accounting by tier, one
 * exchange with its exact cost, the tier change at MIGRATION_DONE, and the
 * invariants (capacity, conservation).
 *
 *   pages:  0 ── 1 ── 2        FMEM capacity: 1 page, 1 vCPU, period 1
 *   t=0     touch 0            -> FMEM (first touch, FMEM free)
 *   t=1us   touch 1            -> SMEM
 *   t=2us.. touch 2 x10        -> SMEM, 10 SMEM hits
 *   t=10ms  EPOCH: exact ranks [2]; exchange 2 <-> 0
 *           cost: copy 8192 B at 4.096 GB/s = 2000 ns, remap 2 x 1000 ns,
 *           1 flush x 1 vCPU x 3000 ns  => cpu 7000 ns, done at 10.007 ms
 *   t=20ms  touch 2 x5         -> FMEM hits
 *   t=21ms  touch 0            -> SMEM hit
 */
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "models/ident/sdh_internal.h"
#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "sim/output/output_internal.h"
#include "traces/tmt.h"

#include "engine_harness.h"

/* The trace file: a samples trace, period 1 (or `period`), one vCPU. */
static void write_records_period(const struct tm_record *r, size_t n,
				 uint64_t period)
{
	hx_write(TM_TRACE_SAMPLES, 1, period, r, n);
}

static void write_records(const struct tm_record *r, size_t n)
{
	write_records_period(r, n, 1);
}

/* The same, with opts.release (what tmsim run does). */
static struct tm_sim *run_released(struct tm_config *cfg)
{
	struct tm_run_opts opts = { .threads = 1, .release = true };
	struct tm_error err = { 0 };
	struct tm_sim *sim;

	assert_int_equal(tm_sim_new(cfg, &sim, &err), 0);
	assert_int_equal(tm_sim_run(sim, &opts, &err), 0);
	return sim;
}

static void test_three_pages(void **state)
{
	struct tm_record r[32];
	size_t n = 0;
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_vm_rt *vm;
	const struct tm_mig_stats *m;

	(void)state;
	memset(r, 0, sizeof(r));
	r[n++] = (struct tm_record){ .time_ns = 0, .addr = 0 };
	r[n++] = (struct tm_record){ .time_ns = 1000, .addr = 4096 };
	for (int i = 0; i < 10; i++)
		r[n++] = (struct tm_record){ .time_ns = 2000 + 100 * i,
					     .addr = 8192 + 8 };
	for (int i = 0; i < 5; i++)
		r[n++] = (struct tm_record){ .time_ns = 20000000 + i,
					     .addr = 8192 + 64 };
	r[n++] = (struct tm_record){ .time_ns = 21000000, .addr = 100 };
	write_records(r, n);
	sim = hx_run("name: engine\nduration: 30ms\nepoch: 10ms\nsnapshot: 10ms\n"
		     "hosts:\n"
		     "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
		     "      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		     "        fmem: 4KiB\n"
		     "        trace: {file: t.tmt}\n"
		     "        identifier: {kind: exact}\n"
		     "        migration: {mode: exchange, copy_bandwidth: 4096MB/s,\n"
		     "                    remap: 1us, tlb_flush: 3us}\n", &cfg);
	vm = &sim->hosts[0].vms[0];

	assert_int_equal(vm->pm.nr, 3);
	assert_int_equal(vm->pm.tier[0], TM_TIER_SMEM);
	assert_int_equal(vm->pm.tier[1], TM_TIER_SMEM);
	assert_int_equal(vm->pm.tier[2], TM_TIER_FMEM);
	assert_int_equal(vm->nr_fmem_pages, 1);
	assert_int_equal(vm->nr_smem_pages, 2);
	assert_true(tm_vm_check(vm));

	assert_int_equal(vm->total.nr_accesses, 18);
	assert_int_equal(vm->total.hits_fmem, 1 + 5);
	assert_int_equal(vm->total.hits_smem, 1 + 10 + 1);
	assert_int_equal(vm->total.hits_static_fmem, 2);
	assert_int_equal(vm->nr_epochs, 3);

	m = tm_migrator_stats(vm->mig);
	assert_int_equal(m->nr_exchanges, 1);
	assert_int_equal(m->nr_promotions, 1);
	assert_int_equal(m->nr_demotions, 1);
	assert_int_equal(m->sz_bytes, 8192);
	assert_int_equal(m->cpu_ns, 7000);
	assert_int_equal(m->nr_tlb_flushes, 1);
	assert_int_equal(vm->last_done_ns, 10007000);

	/* Epoch 1: T = {2} and exact's H = {2}: precision 1. */
	assert_int_equal(vm->idents[0].nr_scored, 2);
	assert_true(vm->idents[0].sum_precision == 2.0);
	hx_finish(sim, cfg);
}

/* Two-heap SDH (main and shadow) with migration off (and the static
 * rebalancer ticking, which keeps no estimated curve).  Page 0 (1 sample) is
 * in FMEM, page 1 (10 samples) in SMEM: each SDH sees the pair (1 up, 0
 * down) at every epoch.  Nothing will move them, so nothing may ask for
 * that pair: S3's exchange swaps the two pages' heap entries as it hands
 * the pair out, and each page would then sit in the other tier's heap. */
static void test_unplanned_pairs(void **state)
{
	struct tm_record r[11];
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_vm_rt *vm;

	(void)state;
	memset(r, 0, sizeof(r));
	for (int i = 1; i < 11; i++)
		r[i] = (struct tm_record){ .time_ns = 1000 * (uint64_t)i,
					   .addr = 4096 };
	write_records(r, 11);
	sim = hx_run("name: pairs\nduration: 30ms\nepoch: 10ms\n"
		     "hosts:\n"
		     "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n"
		     "    rebalancer: {policy: static, interval: 10ms, window: 10ms}\n"
		     "    vms:\n"
		     "      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		     "        fmem: 4KiB\n"
		     "        trace: {file: t.tmt}\n"
		     "        identifier: {kind: sdh, two_heap: true, min_entries: 1}\n"
		     "        shadow_identifiers:\n"
		     "          - {kind: sdh, two_heap: true, min_entries: 1}\n"
		     "        migration: {mode: none}\n", &cfg);
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(vm->nr_epochs, 3);
	assert_int_equal(vm->pm.tier[0], TM_TIER_FMEM);
	assert_int_equal(vm->pm.tier[1], TM_TIER_SMEM);
	/* the static policy's ticks keep the true curve only */
	assert_true(sim->hosts[0].fm.vm[0].nr_ticks > 0);
	assert_non_null(sim->hosts[0].fm.vm[0].win_true);
	assert_null(sim->hosts[0].fm.vm[0].win_est);
	assert_null(sim->hosts[0].fm.vm[0].curve_est.mem);
	for (uint32_t k = 0; k < vm->nr_idents; k++) {
		for (uint32_t page = 0; page < 2; page++) {
			uint64_t v;
			int tier;

			assert_true(tm_sdh_heap_get(vm->idents[k].st, page, &v,
						    &tier));
			assert_int_equal(tier, vm->pm.tier[page]);
			assert_int_equal(v, page ? 10 : 1);
		}
	}
	hx_finish(sim, cfg);
}

/* Each identifier counts with its own load/store weights (DESIGN.md §6.2).
 * Regression: the main identifier's weights were applied to every shadow
 * (and a shadow's own `weighted` could only turn them off).
 *   page 0: 2 stores    page 1: 3 loads
 *   main    exact, weighted, load 2, store 1   -> page 0: 2, page 1: 6
 *   shadow  exact, weighted, load 1, store 3   -> page 0: 6, page 1: 3
 *   shadow  exact, unweighted                  -> page 0: 2, page 1: 3
 * Each one's estimates are exact against its own weighted sample counts,
 * so its ARE is 0 in every epoch. */
static void test_own_weights(void **state)
{
	static const uint64_t want[3][2] = { { 2, 6 }, { 6, 3 }, { 2, 3 } };
	struct tm_record r[5];
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_vm_rt *vm;

	(void)state;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 5; i++)
		r[i] = (struct tm_record){ .time_ns = 1000 * (uint64_t)i,
					   .addr = i < 2 ? 0 : 4096,
					   .op = i < 2 ? TM_OP_STORE : TM_OP_LOAD };
	write_records(r, 5);
	sim = hx_run("name: weights\nduration: 10ms\nepoch: 5ms\n"
		     "hosts:\n"
		     "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
		     "      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		     "        fmem: 4KiB\n"
		     "        trace: {file: t.tmt}\n"
		     "        identifier: {kind: exact, window_decay: 1,\n"
		     "          weighted: true, load_weight: 2, store_weight: 1}\n"
		     "        shadow_identifiers:\n"
		     "          - {kind: exact, window_decay: 1, weighted: true,\n"
		     "             load_weight: 1, store_weight: 3}\n"
		     "          - {kind: exact, window_decay: 1}\n"
		     "        migration: {mode: none}\n", &cfg);
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(vm->nr_idents, 3);
	for (uint32_t k = 0; k < 3; k++) {
		const struct tm_ident_rt *id = &vm->idents[k];

		for (uint32_t page = 0; page < 2; page++)
			assert_int_equal(id->ops->estimate(id->st, page, page),
					 want[k][page]);
		assert_true(id->nr_are > 0);
		assert_true(id->sum_are == 0.0);
	}
	/* Released at its end (tmsim run), the same run keeps every figure
	 * the outputs read, its per-page state and identifiers gone. */
	{
		struct tm_sim *rel = run_released(cfg);
		const struct tm_vm_rt *rv = &rel->hosts[0].vms[0];

		assert_true(rv->released);
		assert_null(rv->cum);
		assert_null(rv->pm.tier);
		assert_null(rv->smp_base);
		assert_int_equal(rv->pm.nr, vm->pm.nr);
		assert_int_equal(rv->total.nr_samples, vm->total.nr_samples);
		assert_true(tm_vm_truth_memory_bytes(vm) > 0);
		assert_int_equal(tm_vm_truth_memory_bytes(rv),
				 tm_vm_truth_memory_bytes(vm));
		for (uint32_t k = 0; k < 3; k++) {
			assert_null(rv->idents[k].st);
			assert_true(tm_ident_memory_bytes(&vm->idents[k]) > 0);
			assert_int_equal(tm_ident_memory_bytes(&rv->idents[k]),
					 tm_ident_memory_bytes(&vm->idents[k]));
			assert_int_equal(tm_ident_own_cpu_ns(&rv->idents[k]),
					 tm_ident_own_cpu_ns(&vm->idents[k]));
			assert_true(rv->idents[k].sum_recall ==
				    vm->idents[k].sum_recall);
		}
		tm_sim_free(rel);
	}
	hx_finish(sim, cfg);
}

/* epochs.csv `saturated`: one page sampled 70,000 times in an epoch,
 * among 20 others.  The main sdh (16-bit counters) reports it and counts
 * it saturated; a shadow sdh at counter_bits 32 reports it unsaturated;
 * exact has no saturated op and leaves the column empty. */
static void test_saturated_column(void **state)
{
	enum { NR = 70000 + 20 * 50 };
	struct tm_record *r = calloc(NR, sizeof(*r));
	const char *want[3] = { ",1\n", ",0\n", ",\n" };
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_vm_rt *vm;
	const char *ep;

	(void)state;
	assert_non_null(r);
	for (uint32_t i = 0; i < NR; i++)
		r[i] = (struct tm_record){ .time_ns = 10 * (uint64_t)i,
					   .addr = i < 70000 ? 0 :
						   4096 * (1 + i % 20),
					   .op = TM_OP_LOAD };
	write_records(r, NR);
	free(r);
	sim = hx_run("name: sat\nduration: 1ms\nepoch: 1ms\n"
		     "hosts:\n"
		     "  - name: h\n    fmem: 64KiB\n    smem: 1GiB\n    vms:\n"
		     "      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		     "        fmem: 64KiB\n"
		     "        trace: {file: t.tmt}\n"
		     "        identifier: {kind: sdh, topk: 8}\n"
		     "        shadow_identifiers:\n"
		     "          - {kind: sdh, topk: 8, counter_bits: 32}\n"
		     "          - {kind: exact}\n"
		     "        migration: {mode: none}\n", &cfg);
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(vm->idents[0].max_saturated, 1);
	assert_int_equal(vm->idents[1].max_saturated, 0);
	assert_int_equal(vm->idents[2].max_saturated, 0);
	assert_int_equal(vm->idents[1].ops->estimate(vm->idents[1].st, 0, 0),
			 70000);
	/* rows: shadows first (exact, sdh-32), then the main one */
	ep = sim->hosts[0].ep.p;
	assert_non_null(ep);
	for (int k = 2; k >= 0; k--) {
		const char *nl = strchr(ep, '\n');

		assert_non_null(nl);
		assert_true(nl - ep >= 3 && !strncmp(nl - strlen(want[k]) + 1,
						   want[k], strlen(want[k])));
		ep = nl + 1;
	}
	hx_finish(sim, cfg);
}

/* The n-th (0-based) comma-separated field of line (up to its newline). */
static double ep_field(const char *line, int n)
{
	for (int i = 0; i < n; i++) {
		line = strchr(line, ',');
		assert_non_null(line);
		line++;
	}
	return strtod(line, NULL);
}

/* Index of column name in the epochs.csv header. */
static int ep_column(const char *name)
{
	const char *p = strstr(tm_output_ep_header, name);
	int n = 0;

	assert_non_null(p);
	for (const char *q = tm_output_ep_header; q < p; q++)
		n += *q == ',';
	return n;
}

/* placement_changed under counted truth (epoch.c): three_pages' exchange
 * 2 <-> 0 lands at 10.007 ms, in epoch 2, after five FMEM hits on page 0.
 * If page 2, which entered FMEM, is then hit five times, both pages served
 * hits with one page of FMEM: achieved 1.0 beats the best single page
 * (0.5), so the epoch is flagged and new_fmem_share is 0.5.  If page 0 is
 * hit instead (now in SMEM), no entered page served a hit: every hit was
 * on the epoch's first FMEM set, achieved 0.5 <= 0.5, and the landed batch
 * alone does not flag the epoch. */
static void test_placement_changed(void **state)
{
	const int col = ep_column("placement_changed");

	(void)state;
	for (int entered = 1; entered >= 0; entered--) {
		struct tm_record r[32];
		size_t n = 0;
		struct tm_config *cfg;
		struct tm_sim *sim;
		const char *ep;

		memset(r, 0, sizeof(r));
		r[n++] = (struct tm_record){ .time_ns = 0, .addr = 0 };
		r[n++] = (struct tm_record){ .time_ns = 1000, .addr = 4096 };
		for (int i = 0; i < 10; i++)
			r[n++] = (struct tm_record){ .time_ns = 2000 + 100 * i,
						     .addr = 8192 };
		for (int i = 0; i < 5; i++)
			r[n++] = (struct tm_record){
				.time_ns = 10000001 + 100 * (uint64_t)i };
		for (int i = 0; i < 5; i++)
			r[n++] = (struct tm_record){
				.time_ns = 12000000 + (uint64_t)i,
				.addr = entered ? 8192 : 0 };
		write_records(r, n);
		sim = hx_run("name: flag\nduration: 20ms\nepoch: 10ms\n"
			     "hosts:\n"
			     "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n"
			     "    vms:\n"
			     "      - name: v\n        vcpus: 1\n"
			     "        memory: 1MiB\n        fmem: 4KiB\n"
			     "        trace: {file: t.tmt}\n"
			     "        identifier: {kind: exact}\n"
			     "        migration: {mode: exchange}\n", &cfg);
		assert_true(tm_migrator_stats(sim->hosts[0].vms[0].mig)->
			    nr_exchanges >= 1);
		ep = sim->hosts[0].ep.p;   /* epoch 1's row, then epoch 2's */
		assert_non_null(ep);
		assert_true(ep_field(ep, col) == 0.0);
		ep = strchr(ep, '\n') + 1;
		assert_true(ep_field(ep, col) == (entered ? 1.0 : 0.0));
		assert_true(ep_field(ep, col + 1) == (entered ? 0.5 : 0.0));
		assert_true(ep_field(ep, ep_column("fmem_hit_ratio")) ==
			    (entered ? 1.0 : 0.5));
		hx_finish(sim, cfg);
	}
}

/* n loads of page 0 from t0 (10 ns apart), then one of page 1; and the
 * VM that counts them with an exact identifier weighting each 65535. */
static void write_heavy(struct tm_record *r, uint32_t n, uint64_t t0)
{
	for (uint32_t i = 0; i <= n; i++)
		r[i] = (struct tm_record){ .time_ns = t0 + 10 * (uint64_t)i,
					   .addr = i < n ? 0 : 4096 };
	write_records(r, n + 1);
}

#define HEAVY_VM \
	"      - name: v\n        vcpus: 1\n        memory: 1MiB\n" \
	"        fmem: 4KiB\n" \
	"        trace: {file: t.tmt}\n" \
	"        identifier: {kind: exact, window_decay: 0,\n" \
	"          weighted: true, load_weight: 65535}\n" \
	"        migration: {mode: none}\n"

/* A 2 ms run of the heavy VM, its loads from t0, on a host whose config
 * lines host_extra (a rebalancer, or "") add: once with 1,000 loads
 * (narrow) and once with 70,000 (wide, 4.59e9 increments), each checked
 * by check(sim, loads, wide). */
static void each_heavy(uint64_t t0, const char *host_extra,
		       void (*check)(const struct tm_sim *, uint32_t, bool))
{
	static const uint32_t nr[2] = { 1000, 70000 };
	struct tm_record *r = calloc(70001, sizeof(*r));
	char text[1024];

	assert_non_null(r);
	snprintf(text, sizeof(text),
		 "name: heavy\nduration: 2ms\nepoch: 1ms\n"
		 "hosts:\n"
		 "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n%s"
		 "    vms:\n" HEAVY_VM, host_extra);
	for (int k = 0; k < 2; k++) {
		struct tm_config *cfg;
		struct tm_sim *sim;

		write_heavy(r, nr[k], t0);
		sim = hx_run(text, &cfg);
		check(sim, nr[k], k == 1);
		hx_finish(sim, cfg);
	}
	free(r);
}

/* The epoch's sample base is kept in 32 bits while no page can gain 2^32
 * increments in an epoch, and widened before it could (vm.c).  70,000
 * loads of page 0 weighted 65535 in one epoch are 4.59e9 increments: the
 * base must have been widened (smp_base), and the epoch's counts it gives
 * stay exact (an exact identifier of one epoch has ARE 0 against them;
 * a base that wrapped would be off by 2^32).  A 1,000-sample run stays
 * narrow. */
static void check_sample_base(const struct tm_sim *sim, uint32_t nr,
			      bool wide)
{
	const struct tm_vm_rt *vm = &sim->hosts[0].vms[0];

	assert_int_equal(TM_SMP(vm, 0), (uint64_t)nr * 65535);
	/* 4.59e9 increments, more than a low half holds: folded into the
	 * high half (vm_counts.c) */
	assert_int_equal(vm->smp_hi[0] > 0, wide);
	if (!wide) {
		assert_non_null(vm->smp_base32);
		assert_null(vm->smp_base);
	} else {
		assert_null(vm->smp_base32);
		assert_non_null(vm->smp_base);
	}
	assert_true(vm->idents[0].nr_are > 0);
	assert_true(vm->idents[0].sum_are == 0.0);
	assert_true(vm->idents[0].sum_aae == 0.0);
}

static void test_wide_sample_base(void **state)
{
	(void)state;
	each_heavy(0, "", check_sample_base);
}

/* A VM's curves are kept from tick to tick as runs of equal counts, or as
 * the plain array of cumulative counts when that is smaller
 * (tm_rb_curve_keep); through tm_curve_cum either answers every query as
 * its exact twin, the plain array, does.
 *   counts 9 9 9 5 5 1 1 1 1  ->  runs (27, 3, 9) (37, 5, 5) (41, 9, 1)
 *   cum     9 18 27 32 37 38 39 40 41
 * then random descending counts: few distinct (runs), all distinct (the
 * plain array), into the same curve memory. */
static void check_curve_twin(struct tm_rb_curve *cv, const uint32_t *val,
			     size_t n, bool want_runs)
{
	uint64_t *cum = calloc(n ? n : 1, sizeof(*cum)), s = 0;
	struct tm_curve twin;

	assert_non_null(cum);
	for (size_t i = 0; i < n; i++)
		cum[i] = s += val[i];
	twin = (struct tm_curve){ .cum = cum, .nr = n, .total = s };
	tm_rb_curve_keep(cv, val, n);
	assert_int_equal(cv->c.runs != NULL, want_runs);
	assert_int_equal(cv->c.cum != NULL, !want_runs);
	assert_int_equal(cv->c.nr, n);
	assert_int_equal(cv->c.total, s);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tm_curve_cum(&cv->c, i), cum[i]);
	for (int k = 0; k <= 100; k++) {
		double h = k / 100.0;
		uint64_t pages = (uint64_t)k * n / 100;

		assert_int_equal(tm_curve_pages_for(&cv->c, h),
				 tm_curve_pages_for(&twin, h));
		assert_true(tm_curve_hits_at(&cv->c, pages) ==
			    tm_curve_hits_at(&twin, pages) ||
			    (isnan(tm_curve_hits_at(&cv->c, pages)) &&
			     isnan(tm_curve_hits_at(&twin, pages))));
	}
	free(cum);
}

static void test_curve_runs(void **state)
{
	static const uint32_t small[] = { 9, 9, 9, 5, 5, 1, 1, 1, 1 };
	struct tm_rb_curve cv = { 0 };
	uint32_t *val = calloc(20000, sizeof(*val));
	uint64_t x = 42;

	(void)state;
	assert_non_null(val);
	check_curve_twin(&cv, small, 9, true);
	assert_int_equal(cv.c.nr_runs, 3);
	assert_int_equal(cv.c.runs[1].cum_end, 37);
	assert_int_equal(cv.c.runs[1].end, 5);
	assert_int_equal(cv.c.runs[1].count, 5);
	for (int t = 0; t < 6; t++) {
		size_t n = t % 3 == 0 ? 20000 : t % 3 == 1 ? 777 : 1;
		uint32_t v = t < 3 ? 300 : 4000000000u;

		for (size_t i = 0; i < n; i++) {   /* descending */
			x = x * 6364136223846793005u + 1442695040888963407u;
			if (t >= 3 || (x >> 60) == 0)
				v -= t < 3 ? (v > 1) : (uint32_t)(1 + (x >> 50));
			val[i] = v;
		}
		check_curve_twin(&cv, val, n, t < 3 ? n > 1 : false);
	}
	check_curve_twin(&cv, val, 0, false);
	free(cv.mem);
	free(val);
}

/* The cumulative counts are 32-bit low halves folded into high halves
 * before a run of records could wrap one (vm_counts.c).  Page 0 sampled
 * three times at the largest period, 2^31, is 6.44e9 accesses: exact, its
 * high half written (three folds of 2^31); page 1, sampled once after it,
 * holds 2^31 in its low half only.  A period over 2^31 is refused, naming
 * the trace. */
static void test_count_halves(void **state)
{
	static const char *text =
		"name: halves\nduration: 2ms\nepoch: 1ms\n"
		"truth: {enabled: false}\n"   /* the counts alone */
		"hosts:\n"
		"  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
		"      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		"        fmem: 4KiB\n"
		"        trace: {file: t.tmt}\n"
		"        migration: {mode: none}\n";
	struct tm_record r[4];
	struct tm_config *cfg;
	struct tm_sim *sim;
	struct tm_error err = { 0 };
	const struct tm_vm_rt *vm;

	(void)state;
	for (int i = 0; i < 4; i++)
		r[i] = (struct tm_record){ .time_ns = 10 * (uint64_t)i,
					   .addr = i < 3 ? 0 : 4096 };
	write_records_period(r, 4, UINT64_C(1) << 31);
	sim = hx_run(text, &cfg);
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(TM_ACC(vm, 0), UINT64_C(3) << 31);
	assert_int_equal(vm->acc_hi[0], 3);
	assert_int_equal(TM_ACC(vm, 1), UINT64_C(1) << 31);
	assert_int_equal(vm->acc_hi[1], 0);
	assert_int_equal(vm->total.nr_accesses, UINT64_C(4) << 31);
	hx_finish(sim, cfg);

	write_records_period(r, 4, (UINT64_C(1) << 31) + 1);
	assert_int_not_equal(hx_load(text, &cfg, &sim, &err), 0);
	assert_int_equal(err.code, TM_ERR_BOUNDS);
	assert_non_null(strstr(err.msg, "t.tmt: sample period 2147483649 is "
				"over 2^31"));
	tm_config_free(cfg);
	unlink(hx.trace);
	unlink(hx.cfgp);
}

/* The migrator's payback points are 32 bits, settled at the folds of the
 * counts (vm_counts.c).  Period 2^30, FMEM one page, exact of one epoch:
 *   epoch 1   page 0 x 1 (first touch: FMEM), page 1 x 2  -> 1 up, 0 down
 *   epoch 2   page 1 x 4: 2^32 accesses in FMEM, far past its payback;
 *             page 0 x 5                                  -> 0 up, 1 down
 * Page 1 paid back: no unpaid move.  Unsettled, its point would be read
 * against accesses that moved by exactly 2^32 (the same low 32 bits) and
 * counted unpaid. */
static void test_payback_settled(void **state)
{
	struct tm_record r[12];
	size_t n = 0;
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_mig_stats *m;

	(void)state;
	memset(r, 0, sizeof(r));
	r[n++] = (struct tm_record){ .time_ns = 0, .addr = 0 };
	for (int i = 0; i < 2; i++)
		r[n++] = (struct tm_record){ .time_ns = 10000 + 1000 * i,
					     .addr = 4096 };
	for (int i = 0; i < 4; i++)
		r[n++] = (struct tm_record){ .time_ns = 1100000 + 1000 * i,
					     .addr = 4096 };
	for (int i = 0; i < 5; i++)
		r[n++] = (struct tm_record){ .time_ns = 1500000 + 1000 * i,
					     .addr = 0 };
	write_records_period(r, n, UINT64_C(1) << 30);
	sim = hx_run("name: payback\nduration: 3ms\nepoch: 1ms\n"
		     "hosts:\n"
		     "  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
		     "      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
		     "        fmem: 4KiB\n"
		     "        trace: {file: t.tmt}\n"
		     "        identifier: {kind: exact, window_decay: 0}\n"
		     "        migration: {mode: exchange}\n", &cfg);
	m = tm_migrator_stats(sim->hosts[0].vms[0].mig);
	assert_int_equal(m->nr_exchanges, 2);
	assert_int_equal(m->nr_unpaid, 0);
	hx_finish(sim, cfg);
}

/* The rebalancer's snapshot of TM_SMP at its last tick is the VM's, kept
 * like the sample base: 32 bits while no page can gain 2^32 increments
 * between two ticks, widened before one could (vm_counts.c).  With the
 * window one interval long the estimated window of page 0 is its
 * increments of the interval, exactly: 70,000 samples weighted 65535 in
 * the second interval are 4.59e9 (widened after the first tick took the
 * snapshot in 32 bits), 1,000 are 6.55e7 (kept narrow). */
static void check_tick_snapshot(const struct tm_sim *sim, uint32_t nr,
				bool wide)
{
	const struct tm_vm_rt *vm = &sim->hosts[0].vms[0];
	const struct tm_rebalance_vm *b = &sim->hosts[0].fm.vm[0];

	assert_int_equal(b->nr_ticks, 2);
	assert_true(b->win_est[0] == (double)nr * 65535);
	assert_true(b->win_est[1] == 65535.0);
	assert_int_equal(vm->smp_tick32 != NULL, !wide);
	assert_int_equal(vm->smp_tick != NULL, wide);
}

static void test_wide_tick_snapshot(void **state)
{
	(void)state;
	each_heavy(1000000, "    rebalancer: {policy: target-hit, "
		   "interval: 1ms, window: 1ms}\n", check_tick_snapshot);
}

static int setup(void **state)
{
	(void)state;
	return hx_setup("engine");
}

static int teardown(void **state)
{
	(void)state;
	return hx_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_pages),
		cmocka_unit_test(test_unplanned_pairs),
		cmocka_unit_test(test_own_weights),
		cmocka_unit_test(test_saturated_column),
		cmocka_unit_test(test_placement_changed),
		cmocka_unit_test(test_wide_sample_base),
		cmocka_unit_test(test_curve_runs),
		cmocka_unit_test(test_count_halves),
		cmocka_unit_test(test_payback_settled),
		cmocka_unit_test(test_wide_tick_snapshot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
