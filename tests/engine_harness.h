/*
 * engine_harness.h - what the tests that run the engine on a hand-made
 * trace share: a temporary folder holding the trace (t.tmt) and the
 * config (c.yaml) that names it, the trace's writer, the config's load
 * and run, and the clean-up.  Include once per test program, after
 * cmocka.h.
 */
#ifndef TM_TESTS_ENGINE_HARNESS_H
#define TM_TESTS_ENGINE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/config/config.h"
#include "sim/engine/sim.h"
#include "traces/tmt.h"

/* <dir>/t.tmt and <dir>/c.yaml */
static struct {
	char dir[64], trace[300], cfgp[300];
} hx;

/* The folder /tmp/tmsim-<name>-XXXXXX; -1 if it cannot be made. */
static inline int hx_setup(const char *name)
{
	snprintf(hx.dir, sizeof(hx.dir), "/tmp/tmsim-%s-XXXXXX", name);
	if (!mkdtemp(hx.dir))
		return -1;
	snprintf(hx.trace, sizeof(hx.trace), "%s/t.tmt", hx.dir);
	snprintf(hx.cfgp, sizeof(hx.cfgp), "%s/c.yaml", hx.dir);
	return 0;
}

static inline int hx_teardown(void)
{
	return rmdir(hx.dir);
}

/* t.tmt: n records of kind, 4 KiB pages, nr_vcpus, both periods `period`. */
static inline void hx_write(enum tm_trace_kind kind, uint32_t nr_vcpus,
			    uint64_t period, const struct tm_record *r,
			    size_t n)
{
	struct tm_trace_info info = {
		.kind = kind, .space = TM_ADDR_GVA, .page_shift = 12,
		.load_period = period, .store_period = period,
		.nr_vcpus = nr_vcpus,
	};
	struct tm_error err;
	struct tm_tmt_writer *w = tm_tmt_writer_new(hx.trace, &info, NULL,
						    &err);

	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_add(w, r, n, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
}

/* c.yaml := text, loaded (a load error fails the test); then tm_sim_new's
 * result, which a test may expect to fail. */
static inline int hx_load(const char *text, struct tm_config **cfg,
			  struct tm_sim **sim, struct tm_error *err)
{
	FILE *f = fopen(hx.cfgp, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (tm_config_load(hx.cfgp, NULL, 0, cfg, err))
		fail_msg("%s", err->msg);
	return tm_sim_new(*cfg, sim, err);
}

/* Run the config text to the end on one thread; *cfg for freeing. */
static inline struct tm_sim *hx_run(const char *text, struct tm_config **cfg)
{
	struct tm_run_opts opts = { .threads = 1 };
	struct tm_error err = { 0 };
	struct tm_sim *sim;

	if (hx_load(text, cfg, &sim, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(tm_sim_run(sim, &opts, &err), 0);
	return sim;
}

static inline void hx_finish(struct tm_sim *sim, struct tm_config *cfg)
{
	tm_sim_free(sim);
	tm_config_free(cfg);
	unlink(hx.trace);
	unlink(hx.cfgp);
}

#endif
