/*
 * test_config.c - the configuration loader (sim/config/config.c, docs/config.md).
 *
 * Good configs are written to a temporary folder and loaded; their fields
 * are checked one by one (defaults, inheritance, replicate, --set).  Bad
 * configs live in tests/bad/config/, each opening with
 *   # expect: <exact message, FILE = the path loaded, DIR = its folder>
 *   # code: <tm_err_name of the code>
 *   # set: <override>            (optional, repeatable)
 * and the test requires exactly that message, so a wrong line or column
 * fails it.  Run from the repository root (make check does).
 */
#include <dirent.h>
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/cli/cli.h"
#include "sim/config/config.h"
#include "sim/config/config_internal.h"
#include "models/ident/sdh.h"
#include "models/ident/exact.h"
#include "lib/strbuf.h"
#include "lib/units.h"

#define BAD_DIR "tests/bad/config"
#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

struct tmp {
	char dir[256];
	char path[512];
};

static void tmp_write(struct tmp *t, const char *name, const char *text)
{
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/tmsim-test-config-XXXXXX");
	if (!t || !mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Write text as name in the temp dir and load it; fails the test on error. */
static struct tm_config *load_ok(struct tmp *t, const char *name,
				 const char *text, const char *const *ov,
				 unsigned nr_ov)
{
	struct tm_config *cfg = NULL;
	struct tm_error e = { TM_OK, "" };

	tmp_write(t, name, text);
	if (tm_config_load(t->path, ov, nr_ov, &cfg, &e) != 0)
		fail_msg("load failed: %s", e.msg);
	assert_non_null(cfg);
	return cfg;
}

static const char *const basic_yaml =
	"name: demo\n"
	"seed: 42\n"
	"duration: 3s\n"
	"epoch: 250ms\n"
	"snapshot: 500ms\n"
	"page_size: 4KiB\n"
	"latency: {fmem: 90ns, smem: 300ns}\n"
	"memory_boundness: 0.7\n"
	"hosts:\n"
	"  - name: h0\n"
	"    fmem: 4GiB\n"
	"    smem: 64GiB\n"
	"    rebalancer: {policy: target-hit, interval: 2s, window: 10s, "
	"step: 128MiB, hysteresis: 5%, balloon_rate: 2GiB/s}\n"
	"    vms:\n"
	"      - name: web\n"
	"        vcpus: 8\n"
	"        memory: 16GiB\n"
	"        fmem: 20%\n"
	"        target_hit: 0.9\n"
	"        priority: 3\n"
	"        sampler: {load_period: 997, store_period: 0, randomize: yes,"
	" drain: 1ms, ring_entries: 4096, cost_per_sample: 250ns}\n"
	"        identifier: {kind: sdh, depth: 2, width: 4096, base: 1.1,"
	" decay_rounding: integer, estimator: min, estimator_rows: all,"
	" two_heap: on, topk: 1000}\n"
	"        shadow_identifiers: [{kind: exact, window_decay: 0.5}]\n"
	"        migration: {mode: migrate, max_pages_per_epoch: 4096,"
	" max_bandwidth: 1GB/s, threads: 2, where: host, batch_flush: true}\n"
	"        trace: {gen: zipf, s: 1.2, footprint: 8GiB, rate: 50M/s,"
	" stores: 10%, kind: accesses, addr_offset: 1GiB, loop: true}\n"
	"      - name: db\n"
	"        memory: 2GiB\n"
	"        fmem: 512MiB\n"
	"        trace: {file: t.tmt, time_scale: 0.5, time_offset: 1s}\n";

static void test_load_fields(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg;
	const struct tm_vm_config *w, *d;
	const struct tm_target_hit_config *th;
	char want[600];

	tmp_write(t, "t.tmt", "");
	cfg = load_ok(t, "basic.yaml", basic_yaml, NULL, 0);
	assert_string_equal(cfg->name, "demo");
	assert_int_equal(cfg->seed, 42);
	assert_int_equal(cfg->duration_ns, 3000000000ull);
	assert_int_equal(cfg->epoch_ns, 250000000ull);
	assert_int_equal(cfg->snapshot_ns, 500000000ull);
	assert_int_equal(cfg->page_shift, 12);
	assert_int_equal(cfg->fmem_latency_ns, 90);
	assert_int_equal(cfg->smem_latency_ns, 300);
	assert_true(cfg->memory_boundness == 0.7);
	assert_int_equal(cfg->nr_hosts, 1);
	assert_string_equal(cfg->hosts[0].name, "h0");
	assert_int_equal(cfg->hosts[0].sz_fmem, 4 * GiB);
	assert_int_equal(cfg->hosts[0].sz_smem, 64 * GiB);
	assert_string_equal(cfg->hosts[0].rebalancer.policy, "target-hit");
	assert_int_equal(cfg->hosts[0].rebalancer.interval_ns, 2000000000ull);
	assert_int_equal(cfg->hosts[0].rebalancer.window_ns, 10000000000ull);
	th = (const struct tm_target_hit_config *)(const void *)
		cfg->hosts[0].rebalancer.own.bytes;
	assert_ptr_equal(cfg->hosts[0].rebalancer.ops,
			 tm_rebalancer_find("target-hit"));
	assert_int_equal(th->sz_step, 128 * MiB);
	assert_true(th->hysteresis == 0.05);
	assert_true(th->gain == 0.5 && th->feedback_max == 0.2);
	assert_true(cfg->hosts[0].rebalancer.balloon_bytes_per_s == 2.0 * GiB);
	assert_int_equal(cfg->hosts[0].loc.line, 10);
	assert_int_equal(cfg->hosts[0].nr_vms, 2);

	w = &cfg->hosts[0].vms[0];
	assert_string_equal(w->name, "web");
	assert_int_equal(w->nr_vcpus, 8);
	assert_int_equal(w->sz_mem, 16 * GiB);
	/* 20% of 16 GiB, rounded down to whole 4 KiB pages */
	assert_int_equal(w->sz_fmem, (uint64_t)(0.2 * 16 * GiB) / 4096 * 4096);
	assert_int_equal(w->sz_fmem_floor, 0);
	assert_int_equal(w->sz_fmem_ceiling, 16 * GiB);
	assert_true(w->target_hit == 0.9);
	assert_int_equal(w->priority, 3);
	assert_int_equal(w->sampler.load_period, 997);
	assert_int_equal(w->sampler.store_period, 0);
	assert_true(w->sampler.randomize);
	assert_int_equal(w->sampler.drain_ns, 1000000);
	assert_int_equal(w->sampler.ring_entries, 4096);
	assert_true(w->sampler.cost_ns_per_sample == 250.0);
	assert_string_equal(w->ident.kind, "sdh");
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->depth, 2);
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->width, 4096);
	assert_true(tm_sdh_cfg_of(&w->ident)->decay_base == 1.1);
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->decay_rounding, TM_DECAY_INTEGER);
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->estimator, TM_EST_MIN);
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->estimator_rows, TM_EST_ALL);
	assert_true(tm_sdh_cfg_of(&w->ident)->two_heap);
	assert_int_equal(tm_sdh_cfg_of(&w->ident)->nr_topk, 1000);
	assert_true(tm_exact_cfg_of(&w->shadow[0])->window_decay == 0.5);
	assert_int_equal(w->migration.mode, TM_MIG_MIGRATE);
	assert_int_equal(w->migration.max_pages_per_epoch, 4096);
	assert_true(w->migration.max_bytes_per_s == 1e9);
	assert_int_equal(w->migration.nr_threads, 2);
	assert_int_equal(w->migration.where, TM_MIG_HOST);
	assert_true(w->migration.batch_flush);
	assert_int_equal(w->nr_shadow, 1);
	assert_int_equal(w->loc.line, 15);
	assert_int_equal(w->loc.col, 9);

	assert_int_equal(w->trace.source, TM_SRC_GEN);
	assert_int_equal(w->trace.gen.nr_phases, 1);
	assert_int_equal(w->trace.gen.phases[0].start_ns, 0);
	assert_int_equal(w->trace.gen.phases[0].nr_parts, 1);
	assert_string_equal(w->trace.gen.phases[0].parts[0].gen->kind.name, "zipf");
	assert_true(tm_gen_part_get(&w->trace.gen.phases[0].parts[0], "s") == 1.2);
	assert_true(tm_gen_part_get(&w->trace.gen.phases[0].parts[0], "permute") == 1);
	assert_true(w->trace.gen.phases[0].parts[0].weight == 1.0);
	assert_int_equal(w->trace.gen.phases[0].parts[0].sz_footprint, 8 * GiB);
	assert_true(w->trace.gen.rate_per_s == 50e6);
	assert_true(w->trace.gen.store_share == 0.1);
	assert_int_equal(w->trace.gen.kind, TM_TRACE_ACCESSES);
	/* derived: run duration, the VM's vcpus and sampler periods */
	assert_int_equal(w->trace.gen.duration_ns, 3000000000ull);
	assert_int_equal(w->trace.gen.nr_vcpus, 8);
	assert_int_equal(w->trace.gen.load_period, 997);
	assert_int_equal(w->trace.gen.store_period, 0);
	assert_int_equal(w->trace.gen.page_shift, 12);
	assert_int_equal(w->trace.addr_offset, GiB);
	assert_true(w->trace.loop);
	assert_true(w->trace.time_scale == 1.0);

	d = &cfg->hosts[0].vms[1];
	assert_int_equal(d->sz_fmem, 512 * MiB);
	assert_int_equal(d->trace.source, TM_SRC_FILE);
	snprintf(want, sizeof(want), "%s/t.tmt", t->dir);
	assert_string_equal(d->trace.path, want);
	assert_true(d->trace.time_scale == 0.5);
	assert_int_equal(d->trace.time_offset_ns, 1000000000ull);
	assert_true(d->truth && w->truth);
	tm_config_free(cfg);
}

static void test_defaults_when_absent(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg = load_ok(t, "tiny.run.yaml",
					"hosts:\n  - vms:\n"
					"      - trace: {gen: uniform}\n",
					NULL, 0);
	const struct tm_host_config *h = &cfg->hosts[0];
	const struct tm_vm_config *v = &h->vms[0];

	assert_string_equal(cfg->name, "tiny.run"); /* basename less ".yaml" */
	assert_int_equal(cfg->seed, 1);
	assert_int_equal(cfg->duration_ns, 10000000000ull);
	assert_int_equal(cfg->epoch_ns, 500000000ull);
	assert_int_equal(cfg->snapshot_ns, 1000000000ull);
	assert_int_equal(cfg->page_shift, 12);
	assert_int_equal(cfg->fmem_latency_ns, 80);
	assert_int_equal(cfg->smem_latency_ns, 250);
	assert_true(cfg->memory_boundness == 0.5);
	assert_string_equal(h->name, "host0");
	assert_string_equal(h->rebalancer.policy, "static");
	assert_int_equal(h->rebalancer.interval_ns, 1000000000ull);
	assert_int_equal(h->rebalancer.window_ns, 5000000000ull);
	assert_ptr_equal(h->rebalancer.ops, tm_rebalancer_find("static"));
	assert_true(h->rebalancer.balloon_bytes_per_s == (double)GiB);
	assert_int_equal(h->rebalancer.balloon_msg_ns, 50000);
	assert_string_equal(v->name, "vm0");
	assert_int_equal(v->nr_vcpus, 4);
	assert_int_equal(v->sz_mem, GiB);
	assert_int_equal(v->sz_fmem, 214745088); /* 20% of 1 GiB, whole pages */
	assert_int_equal(h->sz_fmem, v->sz_fmem); /* host: Σ of the VMs */
	assert_int_equal(h->sz_smem, GiB);
	assert_int_equal(v->sz_fmem_floor, 0);
	assert_int_equal(v->sz_fmem_ceiling, GiB);
	assert_true(v->target_hit == 0.95);
	assert_int_equal(v->priority, 1);
	assert_int_equal(v->sampler.load_period, 4093);
	assert_int_equal(v->sampler.store_period, 65535);
	assert_false(v->sampler.randomize);
	assert_int_equal(v->sampler.drain_ns, 2000000);
	assert_int_equal(v->sampler.ring_entries, 21845);
	assert_true(v->sampler.cost_ns_per_sample == 100.0);
	assert_string_equal(v->ident.kind, "sdh");
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->depth, 4);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->width, 8192);
	assert_true(tm_sdh_cfg_of(&v->ident)->decay_base == 1.08);
	assert_true(tm_sdh_cfg_of(&v->ident)->decay);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->decay_rounding, TM_DECAY_PAPER);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->estimator, TM_EST_MAX);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->estimator_rows, TM_EST_MATCHING);
	assert_false(tm_sdh_cfg_of(&v->ident)->selective_increment || v->ident.weighted ||
		     tm_sdh_cfg_of(&v->ident)->two_heap || tm_sdh_cfg_of(&v->ident)->cooling || tm_sdh_cfg_of(&v->ident)->pow2_guard);
	assert_int_equal(v->ident.load_weight, 1);
	assert_int_equal(v->ident.store_weight, 1);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->nr_topk, 0);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->min_entries, 512);
	assert_int_equal(tm_sdh_cfg_of(&v->ident)->max_requests, 16384);
	assert_int_equal(v->migration.mode, TM_MIG_EXCHANGE);
	assert_int_equal(v->migration.max_pages_per_epoch, 0);
	assert_true(v->migration.max_bytes_per_s == 0.0);
	assert_int_equal(v->migration.nr_threads, 1);
	assert_true(v->migration.copy_bytes_per_s == 10e9);
	assert_int_equal(v->migration.remap_ns, 1000);
	assert_int_equal(v->migration.tlb_flush_ns, 2000);
	assert_int_equal(v->migration.ept_flush_ns, 5000);
	assert_false(v->migration.batch_flush);
	assert_int_equal(v->migration.where, TM_MIG_GUEST);
	assert_int_equal(v->migration.pingpong_window_ns, 2000000000ull);
	assert_true(v->truth);
	/* generator defaults */
	assert_true(v->trace.gen.rate_per_s == 1e6);
	assert_int_equal(v->trace.gen.kind, TM_TRACE_SAMPLES);
	assert_int_equal(v->trace.gen.duration_ns, 10000000000ull);
	assert_int_equal(v->trace.gen.nr_vcpus, 4);
	assert_int_equal(v->trace.gen.phases[0].parts[0].sz_footprint, GiB);
	/* a uniform part takes no stride (scan's default is tested below) */
	assert_true(isnan(tm_gen_part_get(&v->trace.gen.phases[0].parts[0], "stride")));
	assert_true(v->trace.time_scale == 1.0);
	assert_false(v->trace.loop);
	tm_config_free(cfg);
}

static void test_inheritance(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg;
	const struct tm_vm_config *a, *b, *c;

	tmp_write(t, "r.tmt", "");
	cfg = load_ok(t, "inh.yaml",
		      "defaults:\n"
		      "  memory: 4GiB\n"
		      "  fmem: 1GiB\n"
		      "  identifier: {width: 4096, depth: 2}\n"
		      "  shadow_identifiers: [{kind: exact}, {width: 512}]\n"
		      "  trace: {gen: zipf, s: 0.9, rate: 2M/s}\n"
		      "hosts:\n"
		      "  - vms:\n"
		      "      - name: a\n"
		      "        identifier: {depth: 3}\n"
		      "      - name: b\n"
		      "        fmem: 25%\n"
		      "        shadow_identifiers: [{kind: sdh, width: 1024}]\n"
		      "        trace: {gen: hotset, hot: 64MiB}\n"
		      "      - name: c\n"
		      "        memory: 8GiB\n"
		      "        trace: {file: r.tmt}\n",
		      NULL, 0);
	a = &cfg->hosts[0].vms[0];
	b = &cfg->hosts[0].vms[1];
	c = &cfg->hosts[0].vms[2];
	/* mappings merge: width from defaults, depth from the VM */
	assert_int_equal(tm_sdh_cfg_of(&a->ident)->width, 4096);
	assert_int_equal(tm_sdh_cfg_of(&a->ident)->depth, 3);
	assert_int_equal(tm_sdh_cfg_of(&b->ident)->depth, 2);
	assert_int_equal(a->sz_mem, 4 * GiB);
	assert_int_equal(a->sz_fmem, GiB);
	assert_int_equal(b->sz_fmem, GiB); /* 25% of the inherited 4 GiB */
	assert_int_equal(c->sz_mem, 8 * GiB);
	/* lists replace */
	assert_int_equal(a->nr_shadow, 2);
	assert_string_equal(a->shadow[0].kind, "exact");
	assert_int_equal(tm_sdh_cfg_of(&a->shadow[1])->width, 512);
	assert_int_equal(tm_sdh_cfg_of(&a->shadow[1])->depth, 4); /* shadows start from defaults */
	assert_int_equal(b->nr_shadow, 1);
	assert_int_equal(tm_sdh_cfg_of(&b->shadow[0])->width, 1024);
	/* traces merge key by key within one source kind */
	assert_string_equal(a->trace.gen.phases[0].parts[0].gen->kind.name, "zipf");
	assert_true(tm_gen_part_get(&a->trace.gen.phases[0].parts[0], "s") == 0.9);
	assert_string_equal(b->trace.gen.phases[0].parts[0].gen->kind.name, "hotset");
	assert_true(tm_gen_part_get(&b->trace.gen.phases[0].parts[0], "hot") == 64 * MiB);
	assert_true(tm_gen_part_get(&b->trace.gen.phases[0].parts[0], "hot_share") == 0.9);
	assert_true(b->trace.gen.rate_per_s == 2e6);
	/* a file trace replaces a generator default whole */
	assert_int_equal(c->trace.source, TM_SRC_FILE);
	tm_config_free(cfg);
}

static void test_replicate_and_truth(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg;
	const struct tm_host_config *h;
	uint32_t i;

	cfg = load_ok(t, "rep.yaml",
		      "truth: {vms: [kv, solo]}\n"
		      "hosts:\n"
		      "  - name: h0\n"
		      "    vms:\n"
		      "      - name: kv\n"
		      "        replicate: 3\n"
		      "        memory: 2GiB\n"
		      "        trace: {gen: uniform}\n"
		      "      - {name: solo, trace: {gen: scan}}\n"
		      "      - {name: other, trace: {gen: uniform}}\n"
		      "  - name: h1\n"
		      "    vms:\n"
		      "      - {name: kv, replicate: 2, trace: {gen: uniform}}\n",
		      NULL, 0);
	h = &cfg->hosts[0];
	assert_int_equal(h->nr_vms, 5);
	for (i = 0; i < 3; i++) {
		char want[16];

		snprintf(want, sizeof(want), "kv-%u", i);
		assert_string_equal(h->vms[i].name, want);
		assert_int_equal(h->vms[i].sz_mem, 2 * GiB);
		assert_true(h->vms[i].truth);
	}
	assert_string_equal(h->vms[3].name, "solo");
	assert_true(h->vms[3].truth);
	assert_string_equal(h->vms[4].name, "other");
	assert_false(h->vms[4].truth);
	assert_int_equal(h->sz_fmem, 3 * h->vms[0].sz_fmem + h->vms[3].sz_fmem +
					     h->vms[4].sz_fmem);
	assert_int_equal(cfg->hosts[1].nr_vms, 2);
	assert_string_equal(cfg->hosts[1].vms[1].name, "kv-1");
	assert_true(cfg->hosts[1].vms[1].truth);
	tm_config_free(cfg);

	cfg = load_ok(t, "off.yaml",
		      "truth: {enabled: false}\n"
		      "hosts: [{vms: [{trace: {gen: uniform}}]}]\n", NULL, 0);
	assert_false(cfg->hosts[0].vms[0].truth);
	tm_config_free(cfg);
}

static const char *const set_yaml =
	"hosts:\n"
	"  - name: host0\n"
	"    vms:\n"
	"      - name: web\n"
	"        trace: {gen: zipf}\n"
	"      - name: db\n"
	"        identifier: {width: 2048}\n"
	"        trace: {gen: uniform}\n"
	"  - vms:\n"
	"      - trace: {gen: uniform}\n";

static void test_overrides(void **state)
{
	static const char *const ov[] = {
		"hosts.host0.vms.web.identifier.width=4096", /* by name */
		"defaults.sampler.load_period=997",          /* creates defaults */
		"seed=7",
		"duration=5s",
		"hosts.0.vms.1.memory=4GiB",                 /* by index */
		"hosts[1].vms[0].vcpus=2",                   /* brackets */
		"hosts.host1.vms.vm0.fmem=50%",              /* default names */
		"hosts.0.vms.db.identifier.width=1024",
		"hosts.0.vms.db.identifier.width=512",       /* later wins */
		"truth.vms=[db]",                            /* flow value */
		"hosts.0.vms.web.trace={gen: hotset, hot: 16MiB}",
	};
	struct tmp *t = *state;
	struct tm_config *cfg = load_ok(t, "set.yaml", set_yaml, ov,
					sizeof(ov) / sizeof(ov[0]));
	const struct tm_vm_config *web = &cfg->hosts[0].vms[0];
	const struct tm_vm_config *db = &cfg->hosts[0].vms[1];
	const struct tm_vm_config *x = &cfg->hosts[1].vms[0];

	assert_int_equal(tm_sdh_cfg_of(&web->ident)->width, 4096);
	assert_int_equal(tm_sdh_cfg_of(&db->ident)->width, 512);
	assert_int_equal(web->sampler.load_period, 997);
	assert_int_equal(x->sampler.load_period, 997);
	assert_int_equal(cfg->seed, 7);
	assert_int_equal(cfg->duration_ns, 5000000000ull);
	assert_int_equal(web->trace.gen.duration_ns, 5000000000ull);
	assert_int_equal(db->sz_mem, 4 * GiB);
	assert_int_equal(x->nr_vcpus, 2);
	assert_int_equal(x->sz_fmem, GiB / 2);
	assert_false(web->truth);
	assert_true(db->truth);
	assert_string_equal(web->trace.gen.phases[0].parts[0].gen->kind.name, "hotset");
	assert_true(tm_gen_part_get(&web->trace.gen.phases[0].parts[0], "hot") == 16 * MiB);
	tm_config_free(cfg);
}

static void test_override_errors(void **state)
{
	static const struct { const char *ov; const char *msg; } t[] = {
		{ "seed", "--set seed: expected key.path=value, with keys like "
			  "hosts.0.vms.web.memory" },
		{ "=3", "--set : expected key.path=value, with keys like "
			"hosts.0.vms.web.memory" },
		{ "hosts..vms=1", "--set hosts..vms: expected key.path=value, "
				  "with keys like hosts.0.vms.web.memory" },
		{ "hosts.7.fmem=1GiB", "--set hosts.7.fmem: expected an index "
				       "below 2 (hosts has 2 entries), got 7" },
		{ "hosts.0.vms.nosuch.fmem=1GiB",
		  "--set hosts.0.vms.nosuch.fmem: expected an index or a name "
		  "into vms, got \"nosuch\"" },
		{ "hosts.0.name.x=1", "--set hosts.0.name.x: expected a mapping "
				      "or a list before \"x\", got a value" },
		{ "seed.x=1", "--set seed.x: expected a non-negative integer, "
			      "got a mapping" },
		{ "seed=-1", "--set seed: expected a non-negative integer, got "
			     "\"-1\"" },
		{ "duration=[1s", "--set duration: malformed YAML: did not find "
				  "expected ',' or ']'" },
		{ "colour=red", "--set colour: unknown key; expected one of: "
				"name, seed, duration, epoch, snapshot, page_size, "
				"latency, memory_boundness, truth, defaults, hosts" },
		{ "hosts.0.vms.web.shadow_identifiers.0.width=4",
		  "--set hosts.0.vms.web.shadow_identifiers.0.width: expected a list, got "
		  "a mapping" },
	};
	struct tmp *tp = *state;
	size_t i;

	tmp_write(tp, "set.yaml", set_yaml);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm_config *cfg = (struct tm_config *)1;
		struct tm_error e = { TM_OK, "" };

		assert_int_equal(tm_config_load(tp->path, &t[i].ov, 1, &cfg, &e),
				 -1);
		assert_null(cfg);
		assert_int_equal(tm_err_exit_status(e.code), 2);
		assert_string_equal(e.msg, t[i].msg);
	}
}

static void test_phases_and_mix(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg;
	const struct tm_gen_spec *g;

	cfg = load_ok(t, "ph.yaml",
		      "page_size: 2MiB\n"
		      "hosts:\n"
		      "  - vms:\n"
		      "      - memory: 4GiB\n"
		      "        trace:\n"
		      "          rate: 10k/s\n"
		      "          phases:\n"
		      "            - {at: 0, gen: hotset, footprint: 1GiB, hot: 64MiB,\n"
		      "               moves: [{at: 1s, offset: 256MiB}, {at: 2s, offset: 512MiB}]}\n"
		      "            - at: 3s\n"
		      "              mix:\n"
		      "                - {weight: 3, gen: zipf, permute: false}\n"
		      "                - {gen: scan, stride: 64, base: 2GiB}\n",
		      NULL, 0);
	g = &cfg->hosts[0].vms[0].trace.gen;
	assert_int_equal(cfg->page_shift, 21);
	assert_int_equal(g->page_shift, 21);
	assert_true(g->rate_per_s == 1e4);
	assert_int_equal(g->nr_phases, 2);
	assert_int_equal(g->phases[0].start_ns, 0);
	assert_int_equal(g->phases[0].nr_parts, 1);
	/* the hot set moved to 512 MiB at 2 s: its pages gain probability */
	assert_true(tm_gen_page_prob(g, 2000000000ull, g->phases[0].parts[0].base +
				     512 * MiB) >
		    tm_gen_page_prob(g, 1999999999ull, g->phases[0].parts[0].base +
				     512 * MiB));
	assert_int_equal(g->phases[1].start_ns, 3000000000ull);
	assert_int_equal(g->phases[1].nr_parts, 2);
	assert_true(g->phases[1].parts[0].weight == 3.0);
	assert_true(tm_gen_part_get(&g->phases[1].parts[0], "permute") == 0); /* permute: false */
	assert_true(g->phases[1].parts[1].weight == 1.0);
	assert_true(tm_gen_part_get(&g->phases[1].parts[1], "stride") == 64);
	assert_int_equal(g->phases[1].parts[1].base, 2 * GiB);
	assert_int_equal(g->phases[1].parts[1].sz_footprint, 4 * GiB);
	tm_config_free(cfg);
}

/* fmem, fmem_floor, fmem_ceiling: a size, "N%" or a bare fraction. */
static void test_fmem_forms(void **state)
{
	static const char *const below[] = { "hosts.0.vms.0.fmem=5%" };
	struct tmp *t = *state;
	struct tm_config *cfg;
	struct tm_error e;
	const struct tm_vm_config *v;
	const char *yaml = "hosts:\n  - vms:\n"
			   "      - memory: 4GiB\n"
			   "        fmem: 0.25\n"
			   "        fmem_floor: 10%\n"
			   "        fmem_ceiling: 3GiB\n"
			   "        trace: {gen: uniform}\n";

	cfg = load_ok(t, "fm.yaml", yaml, NULL, 0);
	v = &cfg->hosts[0].vms[0];
	assert_int_equal(v->sz_fmem, GiB);
	assert_int_equal(v->sz_fmem_floor, (uint64_t)(0.1 * 4 * GiB) / 4096 * 4096);
	assert_int_equal(v->sz_fmem_ceiling, 3 * GiB);
	tm_config_free(cfg);
	assert_int_equal(tm_config_load(t->path, below, 1, &cfg, &e), -1);
	assert_int_equal(e.code, TM_ERR_BOUNDS);
	assert_string_equal(e.msg, "--set hosts.0.vms.0.fmem: expected between "
				   "fmem_floor (409.6MiB) and fmem_ceiling (3GiB), "
				   "got \"5%\"");
}

static void test_json(void **state)
{
	struct tmp *t = *state;
	struct tm_config *cfg;
	json_t *j, *vm, *tr;

	tmp_write(t, "t.tmt", "");
	cfg = load_ok(t, "basic.yaml", basic_yaml, NULL, 0);
	j = tm_config_to_json(cfg);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "demo");
	assert_int_equal(json_integer_value(json_object_get(j, "epoch")),
			 250000000);
	assert_int_equal(json_integer_value(json_object_get(j, "page_size")), 4096);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "latency"), "smem")), 300);
	vm = json_array_get(json_object_get(json_array_get(
				    json_object_get(j, "hosts"), 0), "vms"), 0);
	assert_string_equal(json_string_value(json_object_get(vm, "name")), "web");
	assert_int_equal(json_integer_value(json_object_get(vm, "fmem")),
			 cfg->hosts[0].vms[0].sz_fmem);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(vm, "migration"), "mode")),
			    "migrate");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(vm, "identifier"),
				    "decay_rounding")), "integer");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(vm, "sampler"), "drain")), 1000000);
	tr = json_object_get(vm, "trace");
	assert_true(json_real_value(json_object_get(tr, "rate")) == 50e6);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(json_array_get(
					    json_object_get(tr, "phases"), 0),
						    "mix"), 0), "gen")), "zipf");
	/* every VM key of the schema appears in the echo */
	assert_non_null(json_object_get(vm, "fmem_ceiling"));
	assert_non_null(json_object_get(vm, "shadow_identifiers"));
	assert_non_null(json_object_get(vm, "target_hit"));
	/* a file trace echoes its resolved path and no generator keys */
	tr = json_object_get(json_array_get(json_object_get(json_array_get(
				  json_object_get(j, "hosts"), 0), "vms"), 1), "trace");
	assert_non_null(strstr(json_string_value(json_object_get(tr, "file")),
			       "/t.tmt"));
	assert_null(json_object_get(tr, "rate"));
	json_decref(j);
	tm_config_free(cfg);
	assert_null(tm_config_to_json(NULL));
	tm_config_free(NULL);
}

/* ---- bad configs ---------------------------------------------------------- */

struct bad_case {
	char expect[1024];
	char code[32];
	char sets[8][256];
	unsigned nr_sets;
};

/* Copy s into d; a header line that does not fit fails the test. */
static void copy(char *d, size_t sz, const char *s)
{
	if (snprintf(d, sz, "%s", s) >= (int)sz)
		fail_msg("header value too long: %s", s);
}

static void replace_all(char *s, size_t sz, const char *from, const char *to)
{
	char out[2048], *p;
	size_t n = 0;

	for (p = s; *p && n + strlen(to) + 1 < sizeof(out);) {
		if (strncmp(p, from, strlen(from)) == 0) {
			memcpy(out + n, to, strlen(to));
			n += strlen(to);
			p += strlen(from);
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	copy(s, sz, out);
}

static void read_case(const char *path, struct bad_case *bc)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	memset(bc, 0, sizeof(*bc));
	while (fgets(line, sizeof(line), f) && line[0] == '#') {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "# expect: ", 10))
			copy(bc->expect, sizeof(bc->expect), line + 10);
		else if (!strncmp(line, "# code: ", 8))
			copy(bc->code, sizeof(bc->code), line + 8);
		else if (!strncmp(line, "# set: ", 7) && bc->nr_sets < 8)
			copy(bc->sets[bc->nr_sets++], 256, line + 7);
	}
	fclose(f);
	if (!bc->expect[0] || !bc->code[0])
		fail_msg("%s: no '# expect:' or '# code:' header", path);
	replace_all(bc->expect, sizeof(bc->expect), "FILE", path);
	replace_all(bc->expect, sizeof(bc->expect), "DIR", BAD_DIR);
}

static void run_bad(const char *path)
{
	const char *sets[8];
	struct tm_config *cfg = (struct tm_config *)1;
	struct tm_error e = { TM_OK, "" };
	struct bad_case bc;
	unsigned i;

	read_case(path, &bc);
	for (i = 0; i < bc.nr_sets; i++)
		sets[i] = bc.sets[i];
	if (tm_config_load(path, sets, bc.nr_sets, &cfg, &e) != -1)
		fail_msg("%s: loaded, expected: %s", path, bc.expect);
	assert_null(cfg);
	if (strcmp(e.msg, bc.expect) != 0)
		fail_msg("%s:\n  got:    %s\n  wanted: %s", path, e.msg, bc.expect);
	if (strcmp(tm_err_name(e.code), bc.code) != 0)
		fail_msg("%s: code %s, wanted %s", path, tm_err_name(e.code),
			 bc.code);
	assert_int_equal(tm_err_exit_status(e.code), 2);
}

static void test_bad_configs(void **state)
{
	struct dirent *de;
	unsigned nr = 0;
	DIR *d = opendir(BAD_DIR);
	char path[512];

	(void)state;
	if (!d)
		fail_msg("cannot open %s (run from the repository root)", BAD_DIR);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BAD_DIR, de->d_name);
		run_bad(path);
		nr++;
	}
	closedir(d);
	/* the suite must not pass by finding nothing */
	assert_true(nr >= 16);
}

static void test_missing_file(void **state)
{
	struct tm_config *cfg;
	struct tm_error e;

	(void)state;
	assert_int_equal(tm_config_load("no/such/config.yaml", NULL, 0, &cfg, &e),
			 -1);
	assert_int_equal(e.code, TM_ERR_NOTFOUND);
	assert_string_equal(e.msg, "no/such/config.yaml: expected a readable "
				   "config file, cannot open it");
	assert_int_equal(tm_config_load(NULL, NULL, 0, &cfg, &e), -1);
	assert_int_equal(e.code, TM_ERR_USAGE);
}

/* ---- the bounds table itself ---------------------------------------------- */

static size_t field_size(enum tm_cfg_field f)
{
	switch (f) {
	case TM_CFG_F_U32: return 4;
	case TM_CFG_F_U64: return 8;
	case TM_CFG_F_DBL: return sizeof(double);
	case TM_CFG_F_BOOL: return sizeof(bool);
	case TM_CFG_F_INT: return sizeof(int);
	default: return 0;
	}
}

static bool scope_exists(const char *scope)
{
	size_t i, n = strlen(scope);

	if (!strcmp(scope, "identifier") || !strcmp(scope, "rebalancer"))
		return true;   /* kinded: common keys + each kind's own */
	for (i = 0; i < tm_cfg_nr_keys; i++)
		if (!strncmp(tm_cfg_keys[i].pattern, scope, n) &&
		    tm_cfg_keys[i].pattern[n] == '.')
			return true;
	return false;
}

/* Each default parses as its own type and lies within its own bounds. */
static void check_default(const struct tm_cfg_key *k)
{
	struct tm_error e;
	uint64_t u = 0;
	double d = 0;
	int b;

	switch (k->type) {
	case TM_CFG_SIZE: assert_int_equal(tm_parse_size(k->def, &u, &e), 0); d = (double)u; break;
	case TM_CFG_TIME: assert_int_equal(tm_parse_time_ns(k->def, &u, &e), 0); d = (double)u; break;
	case TM_CFG_U64: assert_int_equal(tm_parse_u64(k->def, &u, &e), 0); d = (double)u; break;
	case TM_CFG_CRATE: assert_int_equal(tm_parse_count_rate(k->def, &d, &e), 0); break;
	case TM_CFG_BRATE: assert_int_equal(tm_parse_byte_rate(k->def, &d, &e), 0); break;
	case TM_CFG_SHARE: assert_int_equal(tm_parse_share(k->def, &d, &e), 0); break;
	case TM_CFG_DOUBLE: assert_int_equal(tm_parse_double(k->def, &d, &e), 0); break;
	case TM_CFG_BOOL: assert_int_equal(tm_parse_bool(k->def, &b, &e), 0); return;
	default: return;
	}
	if ((k->flags & TM_CFG_MIN_EXCL) ? !(d > k->min) : !(d >= k->min))
		fail_msg("%s: default %s below its minimum", k->pattern, k->def);
	if (d > k->max)
		fail_msg("%s: default %s above its maximum", k->pattern, k->def);
}

static void test_table(void **state)
{
	size_t i, j;

	(void)state;
	/* the rebalancer's rows moved to the policies' schemas */
	assert_true(tm_cfg_nr_keys > 70);
	for (i = 0; i < tm_cfg_nr_keys; i++) {
		const struct tm_cfg_key *k = &tm_cfg_keys[i];

		for (j = 0; j < i; j++)
			if (!strcmp(k->pattern, tm_cfg_keys[j].pattern))
				fail_msg("%s twice in the table", k->pattern);
		if (k->field != TM_CFG_F_NONE && k->field != TM_CFG_F_STR &&
		    k->sz != field_size(k->field))
			fail_msg("%s: field size %zu", k->pattern, k->sz);
		if (k->type == TM_CFG_MAP || k->type == TM_CFG_LIST)
			assert_true(scope_exists(k->arg));
		if (k->def && k->type == TM_CFG_ENUM) {
			char bars[160];

			snprintf(bars, sizeof(bars), "|%s|", k->arg);
			assert_non_null(strstr(bars, k->def));
		}
		if (k->def)
			check_default(k);
		if (k->flags & TM_CFG_REQUIRED)
			assert_null(k->def);
	}
}

/* A family's common rows and every kind's schema: defaults within their
 * own bounds, field sizes, no own key that shadows a common one. */
static void check_family(const struct tm_kinds *fam,
			 const struct tm_cfg_key *common, size_t nr_common)
{
	for (size_t i = 0; i < nr_common; i++)
		if (common[i].def)
			check_default(&common[i]);
	for (size_t i = 0; i < tm_kinds_count(fam); i++) {
		const struct tm_kind *k = tm_kinds_at(fam, i);

		assert_true(k->config_size <= TM_KIND_CONFIG_MAX);
		for (size_t j = 0; j < k->nr_keys; j++) {
			const struct tm_cfg_key *r = &k->keys[j];

			if (tm_cfg_find(common, nr_common, r->pattern))
				fail_msg("%s '%s': own key %s is common",
					 fam->family, k->name, r->pattern);
			if (r->field != TM_CFG_F_STR &&
			    r->sz != field_size(r->field))
				fail_msg("%s: field size %zu", r->pattern, r->sz);
			assert_true(r->off + r->sz <= k->config_size);
			if (r->def)
				check_default(r);
		}
	}
}

static void test_kind_schemas(void **state)
{
	(void)state;
	check_family(&tm_identifier_kinds, tm_ident_common_keys,
		     tm_ident_nr_common_keys);
	check_family(&tm_policy_kinds, tm_rb_common_keys, tm_rb_nr_common_keys);
	/* static takes none; the dynamic ones at least a step */
	assert_int_equal(tm_rebalancer_find("static")->kind.nr_keys, 0);
	assert_non_null(tm_cfg_find(tm_rebalancer_find("utility")->kind.keys,
				    tm_rebalancer_find("utility")->kind.nr_keys,
				    "step"));
}

/* A VM takes a shadow of every built-in identifier kind (a zoo run), and
 * each identifier's cost_per_update is its kind's modelled cost unless the
 * config sets one. */
static void test_shadow_every_kind(void **state)
{
	struct tmp *t = *state;
	struct tm_strbuf y = { 0 };
	size_t nr = tm_kinds_count(&tm_identifier_kinds);
	struct tm_config *cfg;
	const struct tm_vm_config *vm;

	assert_true(nr <= TM_MAX_SHADOW + 1);
	tm_strbuf_printf(&y, "duration: 1s\nepoch: 500ms\nhosts:\n  - vms:\n"
			 "      - trace: {gen: uniform, footprint: 64MiB}\n"
			 "        identifier: {kind: sdh, cost_per_update: 5ns}\n"
			 "        shadow_identifiers:\n");
	for (size_t i = 0; i < nr; i++)
		tm_strbuf_printf(&y, "          - {kind: %s}\n",
				 tm_kinds_at(&tm_identifier_kinds, i)->name);
	cfg = load_ok(t, "zoo.yaml", y.p, NULL, 0);
	vm = &cfg->hosts[0].vms[0];
	assert_int_equal(vm->nr_shadow, nr);
	assert_true(vm->ident.cost_ns_per_update == 5.0);
	for (size_t i = 0; i < nr; i++) {
		const struct tm_ident_config *sh = &vm->shadow[i];

		assert_string_equal(sh->kind,
				    tm_kinds_at(&tm_identifier_kinds, i)->name);
		/* a scan-driven kind takes no samples: no cost per sample */
		assert_true(sh->ops->cost_ns > 0 ||
			    (sh->ops->kind.flags & TM_IDENT_SCAN));
		assert_true(sh->cost_ns_per_update == sh->ops->cost_ns);
	}
	tm_config_free(cfg);
	tm_strbuf_free(&y);
}

/* docs/config.md documents every key of the table. */
static void test_docs_cover_keys(void **state)
{
	FILE *f = fopen("docs/config.md", "r");
	static char doc[1 << 17];
	size_t i, n;
	char needle[64];

	(void)state;
	if (!f)
		fail_msg("cannot open docs/config.md (run from the repo root)");
	n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);
	for (i = 0; i < tm_cfg_nr_keys; i++) {
		const char *key = strchr(tm_cfg_keys[i].pattern, '.') + 1;

		snprintf(needle, sizeof(needle), "`%s`", key);
		if (!strstr(doc, needle))
			fail_msg("docs/config.md does not document %s",
				 tm_cfg_keys[i].pattern);
	}
}

/* What `tmsim identifiers --markdown` and `tmsim policies --markdown`
 * print from the schemas is in docs/config.md, verbatim and whole (each
 * kind's table under its own heading); a missing row is named. */
static void docs_cover(const char *doc, const char *command)
{
	char *md = NULL, *line, *save = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&md, &sz);

	assert_int_equal(tm_cmd_kinds_markdown(m, command), 0);
	fclose(m);
	if (!strstr(doc, md)) {
		for (line = strtok_r(md, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (!strstr(doc, line))
				fail_msg("docs/config.md lacks the line %s", line);
		fail_msg("docs/config.md lacks `tmsim %s --markdown` as printed",
			 command);
	}
	free(md);
}

static void test_docs_cover_kinds(void **state)
{
	static char doc[1 << 17];
	size_t n;
	FILE *f = fopen("docs/config.md", "r");

	(void)state;
	assert_non_null(f);
	n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);
	docs_cover(doc, "identifiers");
	docs_cover(doc, "policies");
	assert_int_equal(tm_cmd_kinds_markdown(stdout, "nonesuch"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_when_absent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inheritance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replicate_and_truth, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_phases_and_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fmem_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_kind_schemas),
		cmocka_unit_test_setup_teardown(test_shadow_every_kind, setup,
						teardown),
		cmocka_unit_test(test_docs_cover_keys),
		cmocka_unit_test(test_docs_cover_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
