/*
 * test_kept_truth.c - what distribution truth keeps from one epoch or
 * rebalance tick to the next is what a rebuild would give.
 *
 * select_dist (sim/engine/epoch.c) keeps T's marks and selection while
 * T's signature (tm_gen_dist_top_sig) is unchanged and looks up only the
 * pages touched since, and keeps the pages' cached expectations while
 * their signature (tm_gen_dist_value_sig) is; dist_curve
 * (sim/engine/rebalance.c) merges the new pages' expectations into the
 * last true curve when the interval's are the same as the last one's,
 * and keeps no per-page window.  Each is checked against a rebuild after
 * every epoch of a run whose T changes: capacities the rebalancer moves
 * (target-hit over VMs that do not fit), a phase change that grows and
 * moves a hot set, a VM with a time_scale of 3, whose epochs' stream
 * spans alternate between two lengths 1 ns apart, and a VM whose trace
 * starts 250 ms into the run.
 *
 * Planted faults, each caught here: a signature without the components'
 * take (T kept across a capacity change); a value signature without the
 * components' expected accesses; the merge appending the new values
 * after the old ones.  (The curve kept over an interval 1 ns longer or
 * shorter moves no value across its rounding here: the check of equal
 * expected accesses keeps it exact.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "models/rebalance/rebalancer.h"
#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "traces/gen/dist.h"

static char dir[] = "/tmp/tmsim-kept-XXXXXX";
static char cfgp[256];

/* FMEM near each footprint, so that T (at most C pages) often holds more
 * pages than have been touched: the case where T is marked page by page,
 * and kept. */
static const char *const config =
	"name: kept\nseed: 5\nduration: 6s\nepoch: 100ms\nsnapshot: 1s\n"
	"defaults: {vcpus: 1, memory: 64MiB, fmem: 4MiB, target_hit: 0.9,\n"
	"           identifier: {kind: exact, window_decay: 0.5}}\n"
	"hosts:\n"
	"  - name: h0\n    fmem: 64MiB\n    smem: 1GiB\n"
	"    rebalancer: {policy: target-hit, interval: 200ms, window: 400ms,\n"
	"                 step: 4MiB}\n"
	"    vms:\n"
	"      - name: mover\n        trace:\n          phases:\n"
	"            - {at: 0s, gen: hotset, footprint: 64MiB, hot: 4MiB,\n"
	"               hot_share: 0.9}\n"
	"            - {at: 3s, gen: hotset, footprint: 64MiB, hot: 8MiB,\n"
	"               hot_offset: 32MiB, hot_share: 0.9}\n"
	"          rate: 2k/s\n"
	"      - name: zipf\n"
	"        trace: {gen: zipf, s: 0.9, footprint: 64MiB, rate: 6k/s,\n"
	"                time_scale: 3}\n"
	"      - name: hot\n"
	"        trace: {gen: hotset, footprint: 64MiB, hot: 6MiB,\n"
	"                hot_share: 0.95, rate: 2k/s, time_offset: 250ms}\n";

/* Epochs marked page by page: kept (the same T as the epoch before) and
 * rebuilt (a T that changed). */
struct counts {
	uint64_t pages, curves, caps, kept, changed, merged, values;
};

/* T's marks of the pages touched before the last epoch ended are the
 * distribution's T, and the selection lists exactly the marked pages. */
static void check_marks(const struct tm_vm_rt *vm, uint64_t *last_sig,
			struct counts *n)
{
	size_t marked = 0;

	if (!vm->truth || !vm->dist)
		return;
	if (vm->top_sig && *last_sig && vm->top_sig == *last_sig)
		n->kept++;
	else if (vm->top_sig && *last_sig)
		n->changed++;
	*last_sig = vm->top_sig;
	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		bool in = i < vm->nr_pages_epoch0 &&
			  tm_gen_dist_in_top(vm->dist,
					     tm_pagemap_page(&vm->pm, i));

		if (vm->mark[i] != in)
			fail_msg("%s: page %u marked %d, in T %d", vm->name, i,
				 vm->mark[i], in);
		marked += in;
	}
	assert_int_equal(marked, vm->nr_sel);
	/* every cached expectation is the epoch's */
	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		double e;

		if (vm->epoch_cnt[i] == UINT64_MAX || i >= vm->value_nr_pages)
			continue;
		memcpy(&e, &vm->epoch_cnt[i], sizeof(e));
		if (e != tm_gen_dist_expected(vm->dist,
					      tm_pagemap_page(&vm->pm, i)))
			fail_msg("%s: page %u cached %.17g, expected %.17g",
				 vm->name, i, e,
				 tm_gen_dist_expected(vm->dist,
						      tm_pagemap_page(&vm->pm,
								      i)));
		n->values++;
	}
	for (size_t k = 0; k < vm->nr_sel; k++)
		assert_int_equal(vm->mark[vm->truth_sel.idx[k]], 1);
	n->pages += vm->nr_pages_epoch0;
}

static int desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The true curve is the sorted expectations, over the last tick's
 * interval, of the pages valued at the tick. */
static void check_curve(const struct tm_vm_rt *vm,
			const struct tm_rebalance_vm *b, uint32_t *last_nr,
			struct counts *cn)
{
	const struct tm_curve *c = &b->curve_true.c;
	uint32_t *v, n = 0;
	uint64_t sum = 0;

	if (!vm->dist_rb || !b->dist_nr_valued)
		return;
	assert_null(b->win_true);   /* no per-page window is kept */
	v = malloc((b->dist_nr_valued + 1) * sizeof(*v));
	assert_non_null(v);
	for (uint32_t i = 0; i < b->dist_nr_valued; i++) {
		double w = tm_gen_dist_expected(vm->dist_rb,
						tm_pagemap_page(&vm->pm, i));

		if (w >= 0.5)
			v[n++] = w >= 4e9 ? UINT32_MAX : (uint32_t)(w + 0.5);
	}
	qsort(v, n, sizeof(*v), desc);
	assert_int_equal(c->nr, n);
	for (uint32_t i = 0; i < n; i++) {
		sum += v[i];
		if (tm_curve_cum(c, i) != sum)
			fail_msg("%s: curve cum[%u] %llu, rebuilt %llu",
				 vm->name, i,
				 (unsigned long long)tm_curve_cum(c, i),
				 (unsigned long long)sum);
	}
	free(v);
	cn->curves++;
	/* a tick that valued new pages over a window of the same shape */
	cn->merged += *last_nr && b->dist_nr_valued > *last_nr;
	*last_nr = b->dist_nr_valued;
}

static void test_kept_equals_rebuilt(void **state)
{
	struct tm_error err = { 0 };
	struct tm_config *cfg;
	struct tm_sim *sim;
	struct tm_host_rt *h;
	struct counts n = { 0 };
	uint64_t cap0[3], sig[3] = { 0 };
	uint32_t valued[3] = { 0 };

	(void)state;
	if (tm_config_load(cfgp, NULL, 0, &cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(tm_sim_new(cfg, &sim, &err), 0);
	h = &sim->hosts[0];
	assert_int_equal(h->nr_vms, 3);
	for (uint32_t k = 0; k < h->nr_vms; k++)
		cap0[k] = h->vms[k].nr_fmem_cap_pages;
	for (uint64_t t = 100000000; t <= 6000000000; t += 100000000) {
		assert_true(tm_host_advance(h, t) >= 0);
		for (uint32_t k = 0; k < h->nr_vms; k++) {
			check_marks(&h->vms[k], &sig[k], &n);
			check_curve(&h->vms[k], &h->fm.vm[k], &valued[k], &n);
			n.caps += h->vms[k].nr_fmem_cap_pages != cap0[k];
		}
	}
	/* the runs did what they are here for: epochs that kept T and
	 * epochs whose T changed (capacity, phase), both marked page by
	 * page; ticks that merged new pages into a curve; capacities moved */
	print_message("pages %llu kept %llu changed %llu curves %llu "
		      "merged %llu moved %llu values %llu\n",
		      (unsigned long long)n.pages, (unsigned long long)n.kept,
		      (unsigned long long)n.changed,
		      (unsigned long long)n.curves,
		      (unsigned long long)n.merged, (unsigned long long)n.caps,
		      (unsigned long long)n.values);
	assert_true(n.kept >= 20);
	assert_true(n.changed >= 5);
	assert_true(n.merged >= 10);
	assert_true(n.caps > 0);
	assert_true(n.values > 10000);
	tm_sim_free(sim);
	tm_config_free(cfg);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cfgp, sizeof(cfgp), "%s/c.yaml", dir);
	f = fopen(cfgp, "w");
	if (!f)
		return -1;
	fputs(config, f);
	return fclose(f);
}

static int teardown(void **state)
{
	(void)state;
	unlink(cfgp);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_equals_rebuilt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
