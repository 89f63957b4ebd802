/*
 * test_scan.c - scan and fault events in the engine (DESIGN.md §6.2;
 * identifier.h "Scan and fault events"), on hand-made traces whose every
 * event is stated below.  A toy scan-driven kind, "scanlog", defined and
 * registered here, logs what the engine hands it: each scan's time and the
 * pages accessed since its last scan, each fault's page and time, each
 * sample's time; at every scan it unmaps every page touched so far.
 *
 * Full trace (1 vCPU, 4 KiB pages A = idx 0, B = idx 1, C = idx 2), scan
 * period 10 ms, duration 30 ms, sampler period 1 (every access a sample),
 * drain 2 ms:
 *
 *   t     0    1ms  2ms  3ms  10ms 12ms 13ms 15ms 20ms 20ms 30ms
 *         scan A    B    A    scan B    B    C    scan A    scan
 *         {}                  {A,B}          new  {B,C}     {A}
 *                             unmap A,B           unmap A,B,C
 *                                  fault B             fault A (at 20ms:
 *                                                      after the scan)
 *
 * Each access is also a sample, delivered at the next drain after it: the
 * one of 1 ms at the drain of 2 ms (due before the access at 2 ms is
 * replayed), those of 2 and 3 ms at the drain due before the scan of
 * 10 ms (a drain before a scan when both are due), and so on.
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

#define MS 1000000ull
#define LOG_MAX 64

enum { EV_SCAN = 1, EV_PAGE, EV_FAULT, EV_SAMPLE };

struct ev {
	int type;
	uint64_t time_ns;
	uint32_t idx;
};

struct scanlog_config {
	enum tm_scan_approx approximate;
	uint64_t period_ns;
	bool unmap;
};

struct scanlog {
	uint64_t period_ns;
	bool unmap;
	struct ev log[LOG_MAX];
	size_t nr;
};

static void logev(struct scanlog *t, int type, uint64_t time_ns, uint32_t idx)
{
	assert_true(t->nr < LOG_MAX);
	t->log[t->nr++] = (struct ev){ type, time_ns, idx };
}

static void *scanlog_new(const struct tm_ident_params *p)
{
	const struct scanlog_config *c = p->own;
	struct scanlog *t = tm_xcalloc(1, sizeof(*t));

	t->period_ns = c->period_ns;
	t->unmap = c->unmap;
	return t;
}

static void scanlog_update(void *st, struct tm_sample s)
{
	logev(st, EV_SAMPLE, s.rec->time_ns, s.idx);
}

static uint64_t scanlog_scan(void *st, struct tm_scan *sc)
{
	struct scanlog *t = st;

	logev(t, EV_SCAN, sc->now_ns, sc->nr_pages);
	for (uint32_t i = tm_scan_next_accessed(sc, 0); i < sc->nr_pages;
	     i = tm_scan_next_accessed(sc, i + 1))
		logev(t, EV_PAGE, sc->now_ns, i);
	for (uint32_t i = 0; t->unmap && i < sc->nr_pages; i++)
		tm_scan_unmap(sc, i);
	return sc->now_ns + t->period_ns;
}

static void scanlog_fault(void *st, const struct tm_fault *f)
{
	logev(st, EV_FAULT, f->time_ns, f->idx);
}

static void scanlog_rank(void *st, struct tm_rank *r)
{
	(void)st;
	r->nr_hot = 0;
}

static void scanlog_epoch_end(void *st)
{
	(void)st;
}

static uint64_t scanlog_estimate(const void *st, uint32_t idx, uint64_t page)
{
	(void)st;
	(void)idx;
	(void)page;
	return 0;
}

static size_t scanlog_memory_bytes(const void *st)
{
	(void)st;
	return sizeof(struct scanlog);
}

typedef struct scanlog_config SCANLOG;

static const struct tm_cfg_key scanlog_keys[] = {
	TM_SCAN_APPROX_KEY(SCANLOG),
	TM_CFG_KEY("period", TM_CFG_TIME, 1, 1e12, "10ms", NULL, 0,
		   TM_CFG_F_U64, SCANLOG, period_ns, "scan period"),
	TM_CFG_KEY("unmap", TM_CFG_BOOL, 0, 0, "true", NULL, 0, TM_CFG_F_BOOL,
		   SCANLOG, unmap, "unmap every page at each scan"),
};

static const struct tm_identifier_ops scanlog_ops = {
	.kind = {
		.name = "scanlog",
		.help = "toy: logs scans, faults and samples",
		.keys = scanlog_keys,
		.nr_keys = sizeof(scanlog_keys) / sizeof(scanlog_keys[0]),
		.config_size = sizeof(struct scanlog_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_SCAN | TM_IDENT_FAULTS,
	},
	.new = scanlog_new,
	.update = scanlog_update,
	.scan = scanlog_scan,
	.fault = scanlog_fault,
	.rank = scanlog_rank,
	.epoch_end = scanlog_epoch_end,
	.estimate = scanlog_estimate,
	.memory_bytes = scanlog_memory_bytes,
	.free = free,
};

static void write_trace(enum tm_trace_kind kind, const struct tm_record *r,
			size_t n)
{
	hx_write(kind, 1, 1, r, n);
}

static const char *const config_fmt =
	"name: scan\nduration: 30ms\nepoch: 10ms\nsnapshot: 10ms\n"
	"hosts:\n"
	"  - name: h\n    fmem: 4KiB\n    smem: 1GiB\n    vms:\n"
	"      - name: v\n        vcpus: 1\n        memory: 1MiB\n"
	"        fmem: 4KiB\n"
	"        trace: {file: t.tmt}\n"
	"        sampler: {load_period: 1, store_period: 1, drain: 2ms}\n"
	"        identifier: {kind: scanlog%s}\n";

/* config_fmt with ident_extra, loaded: tm_sim_new's result. */
static int load(const char *ident_extra, struct tm_config **cfg,
		struct tm_sim **sim, struct tm_error *err)
{
	char text[1024];

	snprintf(text, sizeof(text), config_fmt, ident_extra);
	return hx_load(text, cfg, sim, err);
}

static const struct scanlog *run(const char *ident_extra,
				 struct tm_config **cfg, struct tm_sim **sim)
{
	char text[1024];

	snprintf(text, sizeof(text), config_fmt, ident_extra);
	*sim = hx_run(text, cfg);
	return (*sim)->hosts[0].vms[0].idents[0].st;
}

static size_t the_trace(struct tm_record *r)
{
	static const uint64_t t[] = { 1, 2, 3, 12, 13, 15, 20 };
	static const uint64_t a[] = { 0, 1, 0, 1, 1, 2, 0 };   /* A B A B B C A */
	size_t n = sizeof(t) / sizeof(t[0]);

	for (size_t i = 0; i < n; i++)
		r[i] = (struct tm_record){ .time_ns = t[i] * MS,
					   .addr = a[i] * 4096 + 8 };
	return n;
}

static void assert_log(const struct scanlog *t, const struct ev *want,
		       size_t nr)
{
	for (size_t i = 0; i < nr && i < t->nr; i++)
		if (t->log[i].type != want[i].type ||
		    t->log[i].time_ns != want[i].time_ns ||
		    t->log[i].idx != want[i].idx)
			fail_msg("event %zu: got %d %llu %u, want %d %llu %u", i,
				 t->log[i].type,
				 (unsigned long long)t->log[i].time_ns,
				 t->log[i].idx, want[i].type,
				 (unsigned long long)want[i].time_ns,
				 want[i].idx);
	assert_int_equal(t->nr, nr);
}

/* The picture in the file header, samples interleaved by delivery. */
static void test_scans_and_faults(void **state)
{
	static const struct ev want[] = {
		{ EV_SCAN, 0, 0 },
		{ EV_SAMPLE, 1 * MS, 0 },            /* drained at 2 ms */
		{ EV_SAMPLE, 2 * MS, 1 },            /* at 4 ms */
		{ EV_SAMPLE, 3 * MS, 0 },
		{ EV_SCAN, 10 * MS, 2 }, { EV_PAGE, 10 * MS, 0 },
		{ EV_PAGE, 10 * MS, 1 },             /* after the drain of 10 ms */
		{ EV_FAULT, 12 * MS, 1 },            /* B: unmapped at 10 ms */
		{ EV_SAMPLE, 12 * MS, 1 },           /* drained at 14 ms */
		{ EV_SAMPLE, 13 * MS, 1 },
		{ EV_SAMPLE, 15 * MS, 2 },           /* at 16 ms */
		{ EV_SCAN, 20 * MS, 3 }, { EV_PAGE, 20 * MS, 1 },
		{ EV_PAGE, 20 * MS, 2 },
		{ EV_FAULT, 20 * MS, 0 },            /* A at the scan's instant */
		{ EV_SAMPLE, 20 * MS, 0 },           /* drained at 22 ms */
		{ EV_SCAN, 30 * MS, 3 }, { EV_PAGE, 30 * MS, 0 },
	};
	struct tm_record r[16];
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct scanlog *t;
	const struct tm_vm_rt *vm;

	(void)state;
	write_trace(TM_TRACE_ACCESSES, r, the_trace(r));
	t = run("", &cfg, &sim);
	assert_log(t, want, sizeof(want) / sizeof(want[0]));
	vm = &sim->hosts[0].vms[0];
	assert_int_equal(vm->nr_scans, 4);
	assert_int_equal(vm->nr_faults, 2);
	hx_finish(sim, cfg);
}

/* Without unmapping, no fault; the accessed sets are the same. */
static void test_no_unmap_no_fault(void **state)
{
	struct tm_record r[16];
	struct tm_config *cfg;
	struct tm_sim *sim;
	const struct scanlog *t;
	size_t nr_pages = 0, nr_faults = 0;

	(void)state;
	write_trace(TM_TRACE_ACCESSES, r, the_trace(r));
	t = run(", unmap: false", &cfg, &sim);
	for (size_t i = 0; i < t->nr; i++) {
		nr_pages += t->log[i].type == EV_PAGE;
		nr_faults += t->log[i].type == EV_FAULT;
	}
	assert_int_equal(nr_pages, 5);   /* {A,B}, {B,C}, {A} */
	assert_int_equal(nr_faults, 0);
	hx_finish(sim, cfg);
}

/* A samples trace: refused, naming the config file, the VM and the kind;
 * with `approximate: sampled` each sample counts as an access. */
static void test_samples_trace(void **state)
{
	struct tm_record r[16];
	struct tm_config *cfg;
	struct tm_sim *sim = NULL;
	struct tm_error err = { 0 };
	const struct scanlog *t;
	size_t nr_pages = 0, nr_faults = 0;

	(void)state;
	write_trace(TM_TRACE_SAMPLES, r, the_trace(r));
	assert_int_equal(load("", &cfg, &sim, &err), -1);
	assert_int_equal(err.code, TM_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "c.yaml:"));
	assert_non_null(strstr(err.msg, "vm v: identifier 'scanlog' is "
				       "scan-driven"));
	assert_non_null(strstr(err.msg, "approximate: sampled"));
	tm_config_free(cfg);

	t = run(", approximate: sampled", &cfg, &sim);
	for (size_t i = 0; i < t->nr; i++) {
		nr_pages += t->log[i].type == EV_PAGE;
		nr_faults += t->log[i].type == EV_FAULT;
	}
	assert_int_equal(nr_pages, 5);
	assert_int_equal(nr_faults, 2);
	hx_finish(sim, cfg);
}

/* The iterator and test-and-clear on one kind's bits leave the other's:
 *
 *   idx      0  1  2  3  4  5  6  7  8  9
 *   kind 0   x        x              x  x      (bit 0)
 *   kind 1      x     x                 x      (bit 1)
 */
static void test_bits(void **state)
{
	uint16_t bits[10] = { 1, 2, 0, 3, 0, 0, 0, 0, 1, 3 };
	struct tm_scan s = { .nr_pages = 10, .bits = bits, .abit = 1,
			     .ubit = 1u << 8 };
	uint32_t got[10], n = 0;

	(void)state;
	assert_true(tm_scan_test_clear(&s, 3));
	assert_false(tm_scan_test_clear(&s, 3));
	for (uint32_t i = tm_scan_next_accessed(&s, 0); i < s.nr_pages;
	     i = tm_scan_next_accessed(&s, i + 1))
		got[n++] = i;
	assert_int_equal(n, 3);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 8);
	assert_int_equal(got[2], 9);
	assert_int_equal(tm_scan_next_accessed(&s, 0), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(bits[i], (i == 1 || i == 3 || i == 9) ? 2 : 0);
	tm_scan_unmap(&s, 4);
	assert_true(tm_scan_unmapped(&s, 4));
	assert_int_equal(bits[4], 1u << 8);
}

static int setup(void **state)
{
	struct tm_error err;

	(void)state;
	if (tm_identifier_register(&scanlog_ops, &err))
		return -1;
	return hx_setup("scan");
}

static int teardown(void **state)
{
	(void)state;
	return hx_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_scans_and_faults),
		cmocka_unit_test(test_no_unmap_no_fault),
		cmocka_unit_test(test_samples_trace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
