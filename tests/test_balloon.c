/*
 * test_balloon.c - the double balloon (DESIGN.md §6.4).
 *
 * models/balloon alone, table-driven: message sizes, message times at a
 * given rate, the move of one step, a shrink that waits for demotions.
 *
 * The engine's balloons: a shrink below the resident pages demotes exactly
 * the excess; a grower stopped by an empty pool resumes when a shrink
 * fills it; random resize sequences conserve host FMEM (Σ VM FMEM + free
 * pool = host FMEM) and keep every VM within its floor and ceiling.
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

#include "models/balloon.h"
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

/* ---- models/balloon alone ---- */

#define GiB (1024.0 * 1024 * 1024)

static void test_msg_pages(void **state)
{
	static const struct { uint32_t shift; uint64_t pages; } t[] = {
		{ 12, 256 },   /* 4 KiB pages: the virtio message, 1 MiB */
		{ 16, 16 },    /* 64 KiB pages: the same 1 MiB */
		{ 20, 1 },     /* 1 MiB pages: one */
		{ 21, 1 },     /* 2 MiB pages: at least one page */
		{ 30, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(tm_balloon_msg_pages(t[i].shift), t[i].pages);
}

/* msg_ns = bytes * 1e9 / rate + latency + 1, truncated. */
static void test_msg_ns(void **state)
{
	static const struct {
		uint32_t shift;
		double rate;
		uint64_t lat_ns, pages, ns;
	} t[] = {
		{ 12, 1 * GiB, 50000, 256, 976562 + 50000 + 1 },  /* 1 MiB */
		{ 12, 1 * GiB, 50000, 3, 11444 + 50000 + 1 },     /* 12 KiB */
		{ 21, 1 * GiB, 50000, 1, 1953125 + 50000 + 1 },   /* 2 MiB */
		{ 12, 2 * GiB, 0, 256, 488281 + 1 },
		{ 12, 1 * GiB, 1000000, 0, 1000000 + 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm_balloon_cfg c = { t[i].shift, t[i].rate, t[i].lat_ns };

		assert_int_equal(tm_balloon_msg_ns(&c, t[i].pages), t[i].ns);
	}
}

/* One step from a fresh balloon.  Capacities in pages:
 *
 *   shrink 1000 -> 600, 100 resident:  |####......[256 out]....|  INFLATE
 *   shrink 1000 -> 600, 900 resident:  |##########[256 out]##..|  DEMOTE
 *                                       the 156 pages over go first
 */
static void test_step_table(void **state)
{
	static const struct {
		const char *what;
		uint32_t shift;
		uint64_t cap, resident, pool;
		bool migrating;
		uint64_t target;
		enum tm_balloon_op op;
		uint64_t nr_pages, ns, pending;
		bool active;
	} t[] = {
		{ "shrink, room", 12, 1000, 100, 0, false, 600,
		  TM_BALLOON_INFLATE, 256, 1026563, 0, true },
		{ "shrink, last part", 12, 744, 100, 0, false, 600,
		  TM_BALLOON_INFLATE, 144, 549316 + 50001, 0, true },
		{ "shrink, resident just fits", 12, 1000, 744, 0, false, 600,
		  TM_BALLOON_INFLATE, 256, 1026563, 0, true },
		{ "shrink, one page over", 12, 1000, 745, 0, false, 600,
		  TM_BALLOON_DEMOTE, 256, 1026563, 256, true },
		{ "shrink, over, batch in flight", 12, 1000, 900, 0, true, 600,
		  TM_BALLOON_WAIT, 0, 0, 0, true },
		{ "grow", 12, 600, 0, 1000, false, 1000,
		  TM_BALLOON_DEFLATE, 256, 1026563, 0, true },
		{ "grow, pool short", 12, 600, 0, 10, false, 1000,
		  TM_BALLOON_DEFLATE, 10, 38146 + 50001, 0, true },
		{ "grow, pool empty", 12, 600, 0, 0, false, 1000,
		  TM_BALLOON_NONE, 0, 0, 0, false },
		{ "at target", 12, 600, 600, 0, false, 600,
		  TM_BALLOON_NONE, 0, 0, 0, false },
		{ "shrink, 2 MiB pages", 21, 10, 0, 0, false, 5,
		  TM_BALLOON_INFLATE, 1, 2003126, 0, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm_balloon_cfg c = { t[i].shift, 1 * GiB, 50000 };
		struct tm_balloon_view v = { t[i].cap, t[i].resident,
					     t[i].pool, t[i].migrating };
		struct tm_balloon b;
		struct tm_balloon_move m;
		uint64_t moved = t[i].nr_pages << t[i].shift;

		tm_balloon_init(&b, t[i].cap);
		b.target_pages = t[i].target;
		m = tm_balloon_step(&b, &c, &v);
		print_message("%s\n", t[i].what);
		assert_int_equal(m.op, t[i].op);
		assert_int_equal(m.nr_pages, t[i].nr_pages);
		assert_int_equal(m.msg_ns, t[i].ns);
		assert_int_equal(b.pending_release, t[i].pending);
		assert_int_equal(b.active, t[i].active);
		assert_int_equal(b.busy_ns, t[i].ns);
		assert_int_equal(b.inflated_bytes,
				 t[i].op == TM_BALLOON_DEFLATE ? 0 : moved);
		assert_int_equal(b.deflated_bytes,
				 t[i].op == TM_BALLOON_DEFLATE ? moved : 0);
	}
}

/* Shrinking 1000 -> 600 with 900 pages resident: each message lowers the
 * capacity, then waits; nothing moves until its demotions land. */
static void test_shrink_waits_for_demotions(void **state)
{
	struct tm_balloon_cfg c = { 12, 1 * GiB, 50000 };
	struct tm_balloon_view v = { 1000, 900, 0, false };
	struct tm_balloon b;
	struct tm_balloon_move m;
	uint64_t inf, def;

	(void)state;
	tm_balloon_init(&b, 1000);
	assert_false(tm_balloon_retarget(&b, 1000, 1000));  /* no change */
	assert_true(tm_balloon_retarget(&b, 600, 1000));
	assert_true(b.active);
	assert_false(tm_balloon_retarget(&b, 500, 1000));   /* already active */
	b.target_pages = 600;
	m = tm_balloon_step(&b, &c, &v);
	assert_int_equal(m.op, TM_BALLOON_DEMOTE);
	assert_int_equal(b.pending_release, 256);
	v.cap_pages = 744;     /* the caller applied the move */
	/* a step before the demotions land moves nothing and goes idle */
	m = tm_balloon_step(&b, &c, &v);
	assert_int_equal(m.op, TM_BALLOON_NONE);
	assert_false(b.active);
	assert_false(tm_balloon_retarget(&b, 600, 744));    /* still pending */
	assert_int_equal(tm_balloon_release(&b), 256);
	assert_int_equal(tm_balloon_release(&b), 0);
	/* the demotions landed: 744 resident, so the last 144 demote too */
	v.resident_pages = 744;
	m = tm_balloon_step(&b, &c, &v);
	assert_int_equal(m.op, TM_BALLOON_DEMOTE);
	assert_int_equal(m.nr_pages, 144);
	assert_int_equal(tm_balloon_release(&b), 144);
	v.cap_pages = v.resident_pages = 600;
	m = tm_balloon_step(&b, &c, &v);
	assert_int_equal(m.op, TM_BALLOON_NONE);   /* at target */
	assert_false(b.active);
	assert_int_equal(b.inflated_bytes, 400 * 4096);
	assert_int_equal(b.busy_ns, 1026563 + 549316 + 50001);
	tm_balloon_snap(&b, &inf, &def);
	assert_int_equal(inf, 400 * 4096);
	assert_int_equal(def, 0);
	tm_balloon_snap(&b, &inf, &def);
	assert_int_equal(inf, 0);
}

/* ---- the engine's balloons ---- */

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

/* A grower that finds the pool empty resumes as soon as another VM's
 * shrink brings pages to it, not at the next rebalance: v1 asks for 12
 * pages with 4 free and stops at 8; v0's shrink to 4 (4 demotions) then
 * carries v1 to 12 with no further call for v1.  (Before, v1 stayed at 8
 * until the policy decided again.) */
static void test_grow_resumes_on_release(void **state)
{
	struct tm_config *cfg;
	struct tm_sim *sim = start(&cfg);
	struct tm_host_rt *h = &sim->hosts[0];

	(void)state;
	resize(h, 1, 12, 100000);
	assert_int_equal(tm_host_advance(h, 200000000), 0);
	assert_int_equal(h->vms[1].nr_fmem_cap_pages, 8);
	assert_int_equal(h->fm.pool_pages, 0);
	resize(h, 0, 4, 200000000);
	assert_int_equal(tm_host_advance(h, 400000000), 0);
	assert_int_equal(h->vms[0].nr_fmem_cap_pages, 4);
	assert_int_equal(h->vms[1].nr_fmem_cap_pages, 12);
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
		cmocka_unit_test(test_msg_pages),
		cmocka_unit_test(test_msg_ns),
		cmocka_unit_test(test_step_table),
		cmocka_unit_test(test_shrink_waits_for_demotions),
		cmocka_unit_test(test_shrink_demotes_excess),
		cmocka_unit_test(test_grow_resumes_on_release),
		cmocka_unit_test(test_random_resizes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
