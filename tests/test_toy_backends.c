/*
 * test_toy_backends.c - backends are one file and one table row (DESIGN.md
 * §12): a toy identifier defined in this file alone is registered at start
 * and runs end to end through config validation (its own schema), replay,
 * region ranking and the output files.
 *
 * test_all_toys_end_to_end adds a toy generator, a toy importer and a toy
 * rebalancer policy, all defined and registered here, and runs the four
 * through an import, config validation, replay and the outputs.
 *
 * The toy "blocks" counts samples per block of `span` pages and ranks
 * blocks (regions) by count, hottest first:
 *
 *   pages   0 1 | 2 3 | 4 5 | 6 7      span 2
 *   samples 1 0 | 0 9 | 5 0 | 0 0      -> regions [2,4) 9, [4,6) 5, [0,2) 1
 *
 * A toy rebalancer policy "halves", from this file too, runs the same way
 * through its own schema (key fraction), the host's rebalance ticks and
 * summary.json: every interval each VM's target is fraction (0.5) of its
 * capacity, within its floor and ceiling:
 *
 *   tick      2ms  4ms  6ms  8ms
 *   capacity   8 -> 4 -> 2 -> 2 -> 2 pages   (floor 2 pages)
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

#include "lib/alloc.h"
#include "models/ident/identifier.h"
#include "models/rebalance/rebalancer.h"
#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "sim/cli/cli.h"
#include "sim/output/output.h"
#include "traces/gen/gen.h"
#include "traces/import/import.h"
#include "traces/tmt.h"

#define TOY_BLOCKS 64

struct toy_config {
	uint32_t span;
};

struct toy {
	uint32_t span, page_shift;
	uint64_t count[TOY_BLOCKS];
};

static void *toy_new(const struct tm_ident_params *p)
{
	const struct toy_config *c = p->own;
	struct toy *t = tm_xcalloc(1, sizeof(*t));

	t->span = c->span;
	t->page_shift = p->page_shift;
	return t;
}

static void toy_update(void *st, struct tm_sample s)
{
	struct toy *t = st;
	uint64_t b = tm_sample_page(s, t->page_shift) / t->span;

	if (b < TOY_BLOCKS)
		t->count[b] += s.weight;
}

static void toy_rank(void *st, struct tm_rank *r)
{
	struct toy *t = st;
	uint8_t used[TOY_BLOCKS] = { 0 };

	r->nr_regions = 0;
	while (r->nr_regions < r->cap_regions) {
		size_t best = TOY_BLOCKS;

		for (size_t b = 0; b < TOY_BLOCKS; b++)
			if (!used[b] && t->count[b] &&
			    (best == TOY_BLOCKS || t->count[b] > t->count[best]))
				best = b;
		if (best == TOY_BLOCKS)
			break;
		used[best] = 1;
		r->regions[r->nr_regions++] = (struct tm_region){
			.start = best * t->span, .end = (best + 1) * t->span,
			.score = t->count[best] };
	}
}

static void toy_epoch_end(void *st)
{
	(void)st;
}

static uint64_t toy_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct toy *t = st;

	(void)idx;
	return page / t->span < TOY_BLOCKS ? t->count[page / t->span] : 0;
}

static size_t toy_memory_bytes(const void *st)
{
	return sizeof(struct toy) + 0 * sizeof(st);
}

static const struct tm_cfg_key toy_keys[] = {
	TM_CFG_KEY("span", TM_CFG_U64, 1, 64, "2", NULL, 0, TM_CFG_F_U32,
		   struct toy_config, span, "pages per block"),
};

static const struct tm_identifier_ops toy_ops = {
	.kind = {
		.name = "blocks",
		.help = "toy: samples per block of span pages",
		.keys = toy_keys,
		.nr_keys = 1,
		.config_size = sizeof(struct toy_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_REGIONS,
	},
	.new = toy_new,
	.update = toy_update,
	.rank = toy_rank,
	.epoch_end = toy_epoch_end,
	.estimate = toy_estimate,
	.memory_bytes = toy_memory_bytes,
	.free = free,
};

struct halves_config {
	double fraction;
};

static void halves_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			  uint32_t nr, uint64_t *target)
{
	const struct halves_config *c = p->own;

	for (uint32_t i = 0; i < nr; i++) {
		uint64_t t = (uint64_t)((double)vms[i].cap_pages * c->fraction);

		t = t < vms[i].floor_pages ? vms[i].floor_pages : t;
		target[i] = t > vms[i].ceil_pages ? vms[i].ceil_pages : t;
	}
}

static const struct tm_cfg_key halves_keys[] = {
	TM_CFG_KEY("fraction", TM_CFG_SHARE, 0, 1, "0.5", NULL, 0,
		   TM_CFG_F_DBL, struct halves_config, fraction,
		   "share of its capacity each VM keeps per interval"),
};

static const struct tm_rebalancer_ops halves_ops = {
	.kind = {
		.name = "halves",
		.help = "toy: every VM keeps a fraction of its FMEM",
		.keys = halves_keys,
		.nr_keys = 1,
		.config_size = sizeof(struct halves_config),
		.flags = TM_RB_RESIZES,
	},
	.decide = halves_decide,
};


/* ---- a toy generator: "every4", every fourth page of the footprint in
 * order (0, 4, 8, ...), with one key of its own, `skip` ------------------ */

struct every4_config {
	uint32_t skip;
};

struct every4_state {
	uint64_t nr_pages, next, step;
};

static void every4_init(void *state, const struct tm_gen_part *p,
			uint32_t page_shift)
{
	const struct every4_config *c = (const void *)p->cfg;
	struct every4_state *st = state;

	st->nr_pages = p->sz_footprint >> page_shift;
	st->step = c->skip;
}

static uint64_t every4_draw(void *state, const struct tm_gen_part *p,
			    struct tm_gen_rng *rng, uint64_t t_ns)
{
	struct every4_state *st = state;
	uint64_t pg = st->next;

	(void)p;
	(void)rng;
	(void)t_ns;
	st->next = (st->next + st->step) % st->nr_pages;
	return pg;
}

static double every4_page_prob(const struct tm_gen_part *p,
			       uint32_t page_shift, uint64_t t_ns, uint64_t pg)
{
	const struct every4_config *c = (const void *)p->cfg;
	uint64_t n = p->sz_footprint >> page_shift;

	(void)t_ns;
	return pg % c->skip ? 0 : 1.0 / (double)((n + c->skip - 1) / c->skip);
}

static const struct tm_cfg_key every4_keys[] = {
	TM_CFG_KEY("skip", TM_CFG_U64, 1, 64, "4", NULL, 0, TM_CFG_F_U32,
		   struct every4_config, skip, "pages between two drawn pages"),
};

static const struct tm_generator_ops every4_ops = {
	.kind = {
		.name = "every4", .help = "toy: every skip-th page, in order",
		.keys = every4_keys, .nr_keys = 1,
		.config_size = sizeof(struct every4_config),
	},
	.state_size = sizeof(struct every4_state),
	.init = every4_init,
	.draw = every4_draw,
	.page_prob = every4_page_prob,
};

/* ---- a toy importer: "pairs", lines "TIME_NS PAGE" into samples of
 * period 1 on cpu 0 ----------------------------------------------------- */

struct pairs_opts {
	uint32_t cpu;
};

static const struct tm_cfg_key pairs_keys[] = {
	TM_CFG_KEY("cpu", TM_CFG_U64, 0, 1023, "0", NULL, 0, TM_CFG_F_U32,
		   struct pairs_opts, cpu, "the vCPU of every sample"),
};

struct pairs_stream {
	struct tm_record r[64];
	size_t nr, pos;
};

static ssize_t pairs_read(void *state, struct tm_record *buf, size_t cap,
			  struct tm_error *err)
{
	struct pairs_stream *ps = state;
	size_t n = ps->nr - ps->pos < cap ? ps->nr - ps->pos : cap;

	(void)err;
	memcpy(buf, ps->r + ps->pos, n * sizeof(*buf));
	ps->pos += n;
	return (ssize_t)n;
}

static const struct tm_stream_ops pairs_stream_ops = {
	.name = "pairs", .read = pairs_read, .free = free,
};

static int pairs_open(const char *file, const void *config,
		      const struct tm_import_opts *o, struct tm_stream **out,
		      struct tm_error *err)
{
	const struct pairs_opts *po = config;
	struct pairs_stream *ps;
	unsigned long long t, pg;
	FILE *f = fopen(file, "r");

	if (!f)
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: cannot open", file);
	ps = tm_xcalloc(1, sizeof(*ps));
	while (ps->nr < 64 && fscanf(f, "%llu %llu", &t, &pg) == 2)
		ps->r[ps->nr++] = (struct tm_record){ .time_ns = t,
			.addr = pg << o->page_shift, .cpu = (uint16_t)po->cpu };
	fclose(f);
	*out = tm_xcalloc(1, sizeof(**out));
	(*out)->ops = &pairs_stream_ops;
	(*out)->state = ps;
	(*out)->info = (struct tm_trace_info){ .kind = TM_TRACE_SAMPLES,
		.space = TM_ADDR_GVA, .page_shift = o->page_shift,
		.load_period = 1, .store_period = 1, .nr_vcpus = 1 };
	return 0;
}

static const struct tm_importer_ops pairs_ops = {
	.kind = {
		.name = "pairs", .help = "toy: lines of TIME_NS PAGE",
		.keys = pairs_keys, .nr_keys = 1,
		.config_size = sizeof(struct pairs_opts),
	},
	.open = pairs_open,
};

static char dir[] = "/tmp/tmsim-toy-XXXXXX";
static char path[400];

static const char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Samples: page 0 x1, page 3 x9, page 4 x5 (period 1, one vCPU). */
static void write_trace(void)
{
	struct tm_trace_info info = {
		.kind = TM_TRACE_SAMPLES, .space = TM_ADDR_GVA,
		.page_shift = 12, .load_period = 1, .store_period = 1,
		.nr_vcpus = 1,
	};
	static const uint64_t pages[] = { 0, 3, 3, 3, 3, 3, 3, 3, 3, 3,
					  4, 4, 4, 4, 4 };
	struct tm_record r[15];
	struct tm_error err;
	struct tm_tmt_writer *w;

	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < 15; i++)
		r[i] = (struct tm_record){ .time_ns = 1000 * i,
					   .addr = pages[i] << 12 };
	w = tm_tmt_writer_new(at("t.tmt"), &info, NULL, &err);
	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_add(w, r, 15, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
}

static const char *config(const char *ident)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "name: toy\nduration: 10ms\nepoch: 5ms\n"
		 "hosts:\n  - name: h\n    fmem: 8KiB\n    smem: 1GiB\n"
		 "    vms:\n      - name: v\n        vcpus: 1\n"
		 "        memory: 1MiB\n        fmem: 8KiB\n"
		 "        trace: {file: t.tmt}\n"
		 "        identifier: %s\n"
		 "        migration: {mode: none}\n", ident);
	return text;
}

static void test_toy_identifier(void **state)
{
	struct tm_run_opts opts = { .threads = 1 };
	struct tm_error err = { 0 };
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_vm_rt *vm;
	char buf[4096];
	size_t n;
	FILE *f;

	(void)state;
	write_trace();
	write_file("c.yaml", config("{kind: blocks, span: 2}"));
	if (tm_config_load(at("c.yaml"), NULL, 0, &cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(tm_sim_new(cfg, &sim, &err), 0);
	assert_int_equal(tm_sim_run(sim, &opts, &err), 0);
	vm = &sim->hosts[0].vms[0];
	/* regions hottest first, each as its touched pages: [2,4) gives
	 * page 3, [4,6) page 4, [0,2) page 0; the epoch scores the first
	 * C = 2 of them */
	assert_int_equal(vm->rank.nr_hot, 3);
	assert_int_equal(tm_pagemap_page(&vm->pm, vm->rank.hot[0]), 3);
	assert_int_equal(tm_pagemap_page(&vm->pm, vm->rank.hot[1]), 4);
	assert_int_equal(tm_pagemap_page(&vm->pm, vm->rank.hot[2]), 0);
	assert_int_equal(tm_output_write(sim, at("out"), &err), 0);
	f = fopen(at("out/epochs.csv"), "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, ",h,v,blocks,main,2,"));
	tm_sim_free(sim);
	tm_config_free(cfg);
}

/* The toy's schema is checked like any kind's: a key it does not take,
 * and a value out of its bounds. */
static void test_toy_schema(void **state)
{
	struct tm_error err = { 0 };
	struct tm_config *cfg;

	(void)state;
	write_file("bad.yaml", config("{kind: blocks, width: 8}"));
	assert_int_equal(tm_config_load(at("bad.yaml"), NULL, 0, &cfg, &err),
			 -1);
	assert_non_null(strstr(err.msg, ":14:36: hosts[0].vms[0].identifier."
				       "width: not a key of identifier "
				       "'blocks' (its keys: span;"));
	write_file("bad.yaml", config("{kind: blocks, span: 65}"));
	assert_int_equal(tm_config_load(at("bad.yaml"), NULL, 0, &cfg, &err),
			 -1);
	assert_non_null(strstr(err.msg, "identifier.span: expected an integer "
				       "between 1 and 64"));
}

static const char *policy_config(const char *rebalancer)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "name: toy\nduration: 10ms\nepoch: 5ms\n"
		 "hosts:\n  - name: h\n    fmem: 32KiB\n    smem: 1GiB\n"
		 "    rebalancer: %s\n"
		 "    vms:\n      - name: v\n        vcpus: 1\n"
		 "        memory: 1MiB\n        fmem: 32KiB\n"
		 "        fmem_floor: 8KiB\n"
		 "        trace: {file: t.tmt}\n"
		 "        identifier: {kind: exact}\n", rebalancer);
	return text;
}

static void read_file(const char *name, char *buf, size_t sz)
{
	FILE *f = fopen(at(name), "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sz - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_toy_policy(void **state)
{
	struct tm_run_opts opts = { .threads = 1 };
	struct tm_error err = { 0 };
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct tm_host_rt *h;
	static char buf[1 << 16];

	(void)state;
	write_trace();
	write_file("p.yaml", policy_config("{policy: halves, fraction: 0.5, "
					   "interval: 2ms, window: 2ms}"));
	if (tm_config_load(at("p.yaml"), NULL, 0, &cfg, &err))
		fail_msg("%s", err.msg);
	assert_ptr_equal(cfg->hosts[0].rebalancer.ops, &halves_ops);
	assert_int_equal(tm_sim_new(cfg, &sim, &err), 0);
	assert_int_equal(tm_sim_run(sim, &opts, &err), 0);
	h = &sim->hosts[0];
	assert_true(h->fm.nr_rebalances >= 4);
	assert_int_equal(h->vms[0].nr_fmem_cap_pages, 2);   /* the floor */
	assert_int_equal(h->fm.pool_pages, 6);
	assert_true(h->fm.vm[0].bl.inflated_bytes == 6 * 4096);
	assert_int_equal(tm_output_write(sim, at("pout"), &err), 0);
	read_file("pout/summary.json", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"policy\": \"halves\""));
	assert_non_null(strstr(buf, "\"fraction\": 0.5"));
	tm_sim_free(sim);
	tm_config_free(cfg);
}

/* The toy policy's schema is checked like any policy's. */
static void test_toy_policy_schema(void **state)
{
	struct tm_error err = { 0 };
	struct tm_config *cfg;

	(void)state;
	write_file("pbad.yaml", policy_config("{policy: halves, step: 1MiB}"));
	assert_int_equal(tm_config_load(at("pbad.yaml"), NULL, 0, &cfg, &err),
			 -1);
	assert_non_null(strstr(err.msg, ":8:34: hosts[0].rebalancer.step: "
				       "not a key of rebalancer 'halves' (its "
				       "keys: fraction;"));
	write_file("pbad.yaml", policy_config("{policy: halves, fraction: 2}"));
	assert_int_equal(tm_config_load(at("pbad.yaml"), NULL, 0, &cfg, &err),
			 -1);
	assert_non_null(strstr(err.msg, "rebalancer.fraction: expected a share"));
}


/* All four toys at once, from this file alone: "pairs" imports a text file
 * into a .tmt, VM b replays it, VM a replays the "every4" generator inline,
 * both rank with "blocks", the host rebalances with "halves", and the
 * outputs name each of them. */
static void test_all_toys_end_to_end(void **state)
{
	struct tm_run_opts opts = { .threads = 1 };
	struct tm_error err = { 0 };
	struct tm_config *cfg;
	struct tm_sim *sim;
	static char in[400], tmt[400], text[1024], buf[1 << 16];
	char *argv[] = { "import", "--from", "pairs", in, "--cpu", "1", "-o",
			 tmt, NULL };

	(void)state;
	write_file("p.txt", "0 7\n1000 7\n2000 7\n3000 9\n4000 7\n");
	snprintf(in, sizeof(in), "%s", at("p.txt"));
	snprintf(tmt, sizeof(tmt), "%s", at("p.tmt"));
	assert_int_equal(tm_cmd_import(8, argv), 0);
	snprintf(text, sizeof(text),
		 "name: toys\nduration: 10ms\nepoch: 5ms\n"
		 "hosts:\n  - name: h\n    fmem: 64KiB\n    smem: 1GiB\n"
		 "    rebalancer: {policy: halves, interval: 5ms, window: 5ms}\n"
		 "    vms:\n"
		 "      - name: a\n        vcpus: 1\n        memory: 1MiB\n"
		 "        fmem: 32KiB\n        fmem_floor: 8KiB\n"
		 "        identifier: {kind: blocks, span: 2}\n"
		 "        trace: {gen: every4, skip: 4, footprint: 256KiB,\n"
		 "                rate: 1M/s}\n"
		 "      - name: b\n        vcpus: 1\n        memory: 1MiB\n"
		 "        fmem: 32KiB\n        fmem_floor: 8KiB\n"
		 "        identifier: {kind: blocks, span: 4}\n"
		 "        trace: {file: p.tmt}\n");
	write_file("toys.yaml", text);
	if (tm_config_load(at("toys.yaml"), NULL, 0, &cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(tm_sim_new(cfg, &sim, &err), 0);
	assert_int_equal(tm_sim_run(sim, &opts, &err), 0);
	/* VM b: page 7 (4 samples) and 9 (1) in the imported trace */
	assert_int_equal(sim->hosts[0].vms[1].total.nr_samples, 5);
	assert_int_equal(sim->hosts[0].vms[1].pm.nr, 2);
	/* VM a: every4 touches only pages 0, 4, 8, ... */
	for (uint32_t k = 0; k < sim->hosts[0].vms[0].pm.nr; k++)
		assert_int_equal(tm_pagemap_page(&sim->hosts[0].vms[0].pm,
						 k) % 4, 0);
	assert_int_equal(tm_output_write(sim, at("toys"), &err), 0);
	read_file("toys/epochs.csv", buf, sizeof(buf));
	assert_non_null(strstr(buf, ",h,a,blocks,main,"));
	assert_non_null(strstr(buf, ",h,b,blocks,main,"));
	read_file("toys/summary.json", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"halves\""));
	assert_non_null(strstr(buf, "\"every4\""));
	assert_non_null(strstr(buf, "\"skip\": 4"));
	tm_sim_free(sim);
	tm_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toy_identifier),
		cmocka_unit_test(test_toy_schema),
		cmocka_unit_test(test_toy_policy),
		cmocka_unit_test(test_toy_policy_schema),
		cmocka_unit_test(test_all_toys_end_to_end),
	};
	struct tm_error err;
	int rc;

	if (!mkdtemp(dir))
		return 1;
	if (tm_identifier_register(&toy_ops, &err) ||
	    tm_rebalancer_register(&halves_ops, &err) ||
	    tm_generator_register(&every4_ops, &err) ||
	    tm_importer_register(&pairs_ops, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (fork() == 0)
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
	return rc;
}
