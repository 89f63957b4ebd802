/*
 * test_balloon.c - the double balloon: a shrink below the resident pages
 * demotes exactly the excess; random resize sequences conserve host FMEM
 * (Σ VM FMEM + free pool = host FMEM) and keep every VM within its floor and
 * ceiling (DESIGN.md §6.4).
 *
 *   host FMEM 16 pages:  v0 [8 pages, floor 2, ceiling 16]
 *                        v1 [4 pages, floor 0, ceiling 16]   pool 4
 *   both VMs touch pages 0..9 at t < 10 us: v0 has 8 in FMEM, v1 has 4.
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

#include <gsl/gsl_rng.h>

#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "traces/tmt.h"

static char dir[] = "/tmp/tmsim-balloon-XXXXXX";
static char trace[256], cfgp[256];

static void write_files(void)
{
	struct tm_trace_info info = {
		.kind = TM_TRACE_SAMPLES, .page_shift = 12, .load_period = 1,
		.store_period = 1, .nr_vcpus = 1,
	};
	struct tm_record r[10];
	struct tm_error err;
	struct tm_tmt_writer *w;
	FILE *f;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 10; i++)
		r[i] = (struct tm_record){ .time_ns = 1000 * (uint64_t)i,
					   .addr = 4096 * (uint64_t)i };
	w = tm_tmt_writer_new(trace, &info, NULL, &err);
	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_add(w, r, 10, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	f = fopen(cfgp, "w");
	assert_non_null(f);
	fputs("duration: 10s\nepoch: 5s\n"
	      "defaults: {vcpus: 1, memory: 1MiB, identifier: {kind: exact},\n"
	      "           fmem_ceiling: 64KiB, trace: {file: t.tmt}}\n"
	      "hosts:\n  - name: h\n    fmem: 64KiB\n    smem: 1GiB\n"
	      "    rebalancer: {policy: static, interval: 5s, window: 5s}\n"
	      "    vms:\n"
	      "      - {name: v0, fmem: 32KiB, fmem_floor: 8KiB}\n"
	      "      - {name: v1, fmem: 16KiB}\n", f);
	fclose(f);
}

static struct tm_sim *start(struct tm_config **cfg)
{
	struct tm_error err = { 0 };
	struct tm_sim *sim;

	if (tm_config_load(cfgp, NULL, 0, cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(tm_sim_new(*cfg, &sim, &err), 0);
	assert_int_equal(tm_host_advance(&sim->hosts[0], 100000), 0);
	return sim;
}

static void resize(struct tm_host_rt *h, uint32_t v, uint64_t target,
		   uint64_t now_ns)
{
	struct tm_balloon *b = &h->fm.vm[v].bl;

	b->target_pages = target;
	if (!b->active && !b->pending_release)
		tm_rebalance_balloon_step(&h->fm, v, now_ns);
}

static void test_shrink_demotes_excess(void **state)
{
	struct tm_config *cfg;
	struct tm_sim *sim = start(&cfg);
	struct tm_host_rt *h = &sim->hosts[0];
	struct tm_vm_rt *v0 = &h->vms[0];
	const struct tm_mig_stats *m = tm_migrator_stats(v0->mig);

	(void)state;
	assert_int_equal(h->fm.host_pages, 16);
	assert_int_equal(h->fm.pool_pages, 4);
	assert_int_equal(v0->nr_fmem_pages, 8);
	assert_int_equal(v0->nr_smem_pages, 2);
	resize(h, 0, 5, 100000);
	assert_int_equal(tm_host_advance(h, 200000000), 0);
	assert_int_equal(v0->nr_fmem_cap_pages, 5);
	assert_int_equal(v0->nr_fmem_pages, 5);
	assert_int_equal(m->nr_demotions, 3);
	assert_int_equal(m->nr_promotions, 0);
	assert_int_equal(m->sz_bytes, 3 * 4096);
	assert_int_equal(h->fm.pool_pages, 7);
	assert_int_equal(h->fm.vm[0].bl.inflated_bytes, 3 * 4096);
	assert_true(tm_rebalance_check(&h->fm));
	assert_true(tm_vm_check(v0));
	/* Growing takes pages from the pool, no more than it holds. */
	resize(h, 1, 16, 200000000);
	assert_int_equal(tm_host_advance(h, 400000000), 0);
	assert_int_equal(h->vms[1].nr_fmem_cap_pages, 11);
	assert_int_equal(h->fm.pool_pages, 0);
	assert_true(tm_rebalance_check(&h->fm));
	tm_sim_free(sim);
	tm_config_free(cfg);
}

static void test_random_resizes(void **state)
{
	struct tm_config *cfg;
	struct tm_sim *sim = start(&cfg);
	struct tm_host_rt *h = &sim->hosts[0];
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	uint64_t now = 100000;

	(void)state;
	gsl_rng_set(r, 2024);
	for (int i = 0; i < 2000; i++) {
		uint32_t v = (uint32_t)gsl_rng_uniform_int(r, 2);
		struct tm_vm_rt *vm = &h->vms[v];
		uint64_t lo = vm->cfg->sz_fmem_floor >> 12;
		uint64_t hi = vm->cfg->sz_fmem_ceiling >> 12;

		resize(h, v, lo + gsl_rng_uniform_int(r, hi - lo + 1), now);
		now += 1 + gsl_rng_uniform_int(r, 3000000);
		assert_true(tm_host_advance(h, now) >= 0);
		assert_true(tm_rebalance_check(&h->fm));
		for (uint32_t k = 0; k < 2; k++) {
			assert_true(tm_vm_check(&h->vms[k]));
			assert_true(h->vms[k].nr_fmem_cap_pages >= (k ? 0 : 2));
			assert_true(h->vms[k].nr_fmem_cap_pages <= 16);
		}
	}
	gsl_rng_free(r);
	tm_sim_free(sim);
	tm_config_free(cfg);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(trace, sizeof(trace), "%s/t.tmt", dir);
	snprintf(cfgp, sizeof(cfgp), "%s/c.yaml", dir);
	write_files();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(trace);
	unlink(cfgp);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrink_demotes_excess),
		cmocka_unit_test(test_random_resizes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
