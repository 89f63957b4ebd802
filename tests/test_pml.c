/*
 * test_pml.c - the engine's PML write log (identifier.h "Write logging";
 * DESIGN.md §6.2), on a hand-made full trace whose every drain is stated
 * below, and the host-only rule (TM_IDENT_HOST).  A toy kind, "pmllog",
 * registered here, records each drain it is handed; it scans every 10 ms.
 *
 * Full trace, 2 vCPUs, 4 KiB pages (page p = dense index p: first touched
 * in that order):
 *
 *   t (ms)      vCPU  op        page
 *   1.000+i us  0     store     i = 0..511     the 512th store fills vCPU
 *                                              0's log: drain (full) at
 *                                              1 ms + 511 us
 *   3           0     store     1              logged again (bit cleared)
 *   4           0     store     1              dirty: not logged
 *   5           0     load      2              a load: not logged
 *   6           1     store     600            vCPU 1's log
 *   7           1     modify    3              a modify writes: logged
 *   10                scan: drains vCPU 0 {1}, then vCPU 1 {600, 3}
 *   12          0     store     1              logged again after the drain
 *   20                scan: drains vCPU 0 {1}
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
#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "traces/tmt.h"

#include "engine_harness.h"

#define US 1000ull
#define MS 1000000ull
#define LOG_MAX 16

struct drain {
	uint64_t time_ns;
	uint32_t cpu, nr, first, last;
	bool full;
};

struct pmllog_config {
	enum tm_scan_approx approximate;
};

struct pmllog {
	struct drain log[LOG_MAX];
	size_t nr;
	uint64_t nr_scans;
};

static void *pmllog_new(const struct tm_ident_params *p)
{
	(void)p;
	return tm_xcalloc(1, sizeof(struct pmllog));
}

static void pmllog_pml(void *st, const struct tm_pml *l)
{
	struct pmllog *t = st;

	assert_true(t->nr < LOG_MAX);
	assert_true(l->nr > 0);
	t->log[t->nr++] = (struct drain){ l->time_ns, l->cpu, l->nr,
					  l->idx[0], l->idx[l->nr - 1],
					  l->full };
}

static uint64_t pmllog_scan(void *st, struct tm_scan *sc)
{
	((struct pmllog *)st)->nr_scans++;
	return sc->now_ns + 10 * MS;
}

static void pmllog_update(void *st, struct tm_sample s)
{
	(void)st;
	(void)s;
}

static void pmllog_rank(void *st, struct tm_rank *r)
{
	(void)st;
	r->nr_hot = 0;
}

static void pmllog_epoch_end(void *st)
{
	(void)st;
}

static uint64_t pmllog_estimate(const void *st, uint32_t idx, uint64_t page)
{
	(void)st;
	(void)idx;
	(void)page;
	return 0;
}

static size_t pmllog_memory_bytes(const void *st)
{
	(void)st;
	return sizeof(struct pmllog);
}

typedef struct pmllog_config PMLLOG;

static const struct tm_cfg_key pmllog_keys[] = {
	TM_SCAN_APPROX_KEY(PMLLOG),
};

static const struct tm_identifier_ops pmllog_ops = {
	.kind = {
		.name = "pmllog",
		.help = "toy: logs PML drains",
		.keys = pmllog_keys,
		.nr_keys = 1,
		.config_size = sizeof(struct pmllog_config),
		.flags = TM_IDENT_SCAN | TM_IDENT_PML | TM_IDENT_HOST,
	},
	.new = pmllog_new,
	.update = pmllog_update,
	.scan = pmllog_scan,
	.pml = pmllog_pml,
	.rank = pmllog_rank,
	.epoch_end = pmllog_epoch_end,
	.estimate = pmllog_estimate,
	.memory_bytes = pmllog_memory_bytes,
	.free = free,
};

static void write_trace(enum tm_trace_kind kind, const struct tm_record *r,
			size_t n)
{
	hx_write(kind, 2, 1, r, n);
}

static const char *const config_fmt =
	"name: pml\nduration: 20ms\nepoch: 10ms\nsnapshot: 10ms\n"
	"hosts:\n"
	"  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
	"      - name: v\n        vcpus: 2\n        memory: 8MiB\n"
	"        fmem: 4KiB\n"
	"        trace: {file: t.tmt}\n"
	"        identifier: {kind: pmllog}\n%s";

/* config_fmt with ident_extra, loaded: tm_sim_new's result. */
static int load(const char *ident_extra, struct tm_config **cfg,
		struct tm_sim **sim, struct tm_error *err)
{
	char text[2048];

	snprintf(text, sizeof(text), config_fmt, ident_extra);
	return hx_load(text, cfg, sim, err);
}

static const struct pmllog *run(const char *ident_extra,
				 struct tm_config **cfg, struct tm_sim **sim)
{
	char text[2048];

	snprintf(text, sizeof(text), config_fmt, ident_extra);
	*sim = hx_run(text, cfg);
	return (*sim)->hosts[0].vms[0].idents[0].st;
}

static size_t the_trace(struct tm_record *r)
{
	static const struct { uint64_t t; uint16_t cpu; uint8_t op;
			      uint64_t page; } tail[] = {
		{ 3 * MS, 0, TM_OP_STORE, 1 }, { 4 * MS, 0, TM_OP_STORE, 1 },
		{ 5 * MS, 0, TM_OP_LOAD, 2 }, { 6 * MS, 1, TM_OP_STORE, 600 },
		{ 7 * MS, 1, TM_OP_MODIFY, 3 }, { 12 * MS, 0, TM_OP_STORE, 1 },
	};
	size_t n = 0;

	for (uint64_t i = 0; i < 512; i++)
		r[n++] = (struct tm_record){ .time_ns = 1 * MS + i * US,
					     .addr = i * 4096,
					     .op = TM_OP_STORE };
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		r[n++] = (struct tm_record){ .time_ns = tail[i].t,
					     .addr = tail[i].page * 4096,
					     .cpu = tail[i].cpu,
					     .op = tail[i].op };
	return n;
}

static const char *const host_mode = "        migration: {where: host}\n";

/* The picture in the file header. */
static void test_drains(void **state)
{
	static const struct drain want[] = {
		{ 1 * MS + 511 * US, 0, 512, 0, 511, true },
		{ 10 * MS, 0, 1, 1, 1, false },
		{ 10 * MS, 1, 2, 512, 3, false },   /* 600 is dense index 512 */
		{ 20 * MS, 0, 1, 1, 1, false },
	};
	static struct tm_record r[600];
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct pmllog *t;
	const struct tm_vm_rt *vm;

	(void)state;
	write_trace(TM_TRACE_ACCESSES, r, the_trace(r));
	t = run(host_mode, &cfg, &sim);
	assert_int_equal(t->nr, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < t->nr; i++)
		if (t->log[i].time_ns != want[i].time_ns ||
		    t->log[i].cpu != want[i].cpu || t->log[i].nr != want[i].nr ||
		    t->log[i].first != want[i].first ||
		    t->log[i].last != want[i].last ||
		    t->log[i].full != want[i].full)
			fail_msg("drain %zu: t %llu cpu %u nr %u [%u..%u] "
				 "full %d", i,
				 (unsigned long long)t->log[i].time_ns,
				 t->log[i].cpu, t->log[i].nr, t->log[i].first,
				 t->log[i].last, t->log[i].full);
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(vm->nr_pml_drains, 4);
	assert_int_equal(vm->nr_pml_entries, 516);
	hx_finish(sim, cfg);
}

/* A host-only kind on a VM that places in the guest: refused, located,
 * naming the kind and the way out. */
static void test_guest_refused(void **state)
{
	static struct tm_record r[600];
	struct tm_config *cfg;
	struct tm_sim *sim = NULL;
	struct tm_error err = { 0 };

	(void)state;
	write_trace(TM_TRACE_ACCESSES, r, the_trace(r));
	assert_int_equal(load("", &cfg, &sim, &err), -1);
	assert_int_equal(err.code, TM_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "c.yaml:"));
	assert_non_null(strstr(err.msg, "vm v: identifier 'pmllog' runs in "
				       "the hypervisor"));
	assert_non_null(strstr(err.msg, "migration: {where: host}"));
	tm_config_free(cfg);
	unlink(hx.trace);
	unlink(hx.cfgp);
}

static int setup(void **state)
{
	struct tm_error err;

	(void)state;
	if (tm_identifier_register(&pmllog_ops, &err))
		return -1;
	return hx_setup("pml");
}

static int teardown(void **state)
{
	(void)state;
	return hx_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drains),
		cmocka_unit_test(test_guest_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
