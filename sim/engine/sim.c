/*
 * sim.c - the parallel run of all hosts (DESIGN.md §4).
 *
 * Hosts never interact, so they run on a pool of threads, each host start to
 * end on one thread; all output rows are kept per host and assembled in host
 * order, so the output is byte-identical for any thread count.  A thread
 * that finds no host left to start helps the hosts still running with their
 * VMs' parallel steps (lib/pool.h, host.c) until the last host ends, so one
 * large host, or the last hosts of a run, use every thread.
 *
 * A shard (tmsim run --shard I/N, DESIGN.md §11) builds only the hosts whose
 * index h has h % N == I; each keeps its index in the whole config, which
 * seeds its RNGs, so a host simulates the same in any shard.
 */
#include "sim.h"

#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/pool.h"
#include "lib/shard.h"

static int host_run(struct tm_host_rt *h)
{
	int rc = tm_host_advance(h, UINT64_MAX);

	return rc < 0 ? -1 : 0;
}

struct pool {
	struct tm_sim *sim;
	struct tm_pool *help;   /* VMs' parallel steps; NULL on one thread */
	bool release;           /* tm_run_opts.release */
	atomic_uint next;
	atomic_uint nr_done;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		unsigned i = atomic_fetch_add(&p->next, 1);
		struct tm_host_rt *h;

		if (i >= p->sim->nr_hosts) {
			if (p->help)
				tm_pool_help(p->help);
			return NULL;
		}
		h = &p->sim->hosts[i];
		h->failed = host_run(h);
		if (p->release)
			tm_host_release(h);
		if (atomic_fetch_add(&p->nr_done, 1) + 1 == p->sim->nr_hosts &&
		    p->help)
			tm_pool_close(p->help);   /* the last host ended */
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Progress line on stderr: simulated seconds done over all hosts. */
static void monitor(struct pool *p, const struct tm_config *cfg)
{
	double total = (double)cfg->duration_ns * p->sim->nr_hosts;

	while (atomic_load(&p->nr_done) < p->sim->nr_hosts) {
		double done = 0;
		struct timespec nap = { 0, 200 * 1000 * 1000 };

		for (uint32_t i = 0; i < p->sim->nr_hosts; i++)
			done += (double)atomic_load_explicit(
				&p->sim->hosts[i].sim_done_ns,
				memory_order_relaxed);
		fprintf(stderr, "\rtmsim: %5.1f%%  hosts %u/%u done", 100.0 *
			done / total, atomic_load(&p->nr_done), p->sim->nr_hosts);
		nanosleep(&nap, NULL);
	}
	fprintf(stderr, "\r%60s\r", "");
}

int tm_sim_new_shard(const struct tm_config *cfg, uint32_t shard_i,
		     uint32_t shard_n, struct tm_sim **out, struct tm_error *err)
{
	struct tm_sim *sim = tm_xcalloc(1, sizeof(*sim));
	uint32_t nr = 0;

	for (uint32_t i = 0; i < cfg->nr_hosts; i++)
		nr += (uint32_t)tm_shard_has(i, shard_i, shard_n);
	sim->cfg = cfg;
	sim->hosts = tm_xcalloc(nr ? nr : 1, sizeof(*sim->hosts));
	for (uint32_t i = 0; i < cfg->nr_hosts; i++) {
		if (!tm_shard_has(i, shard_i, shard_n))
			continue;
		/* Counted before init, so a failed host is destroyed too. */
		if (tm_host_init(&sim->hosts[sim->nr_hosts++], cfg, i, err)) {
			tm_sim_free(sim);
			return -1;
		}
	}
	*out = sim;
	return 0;
}

int tm_sim_new(const struct tm_config *cfg, struct tm_sim **out,
	       struct tm_error *err)
{
	return tm_sim_new_shard(cfg, 0, 1, out, err);
}

int tm_sim_run(struct tm_sim *sim, const struct tm_run_opts *opts,
	       struct tm_error *err)
{
	unsigned nr = opts->threads ? opts->threads : 1;
	struct pool p = { .sim = sim, .release = opts->release };
	pthread_t *tids;
	double t0 = now_s();
	uint64_t nr_vms = 0;

	for (uint32_t i = 0; i < sim->nr_hosts; i++)
		nr_vms += sim->hosts[i].nr_vms;
	if (nr > nr_vms)
		nr = nr_vms ? (unsigned)nr_vms : 1;
	if (nr > 1 && sim->nr_hosts) {
		p.help = tm_pool_new(nr);
		for (uint32_t i = 0; i < sim->nr_hosts; i++)
			sim->hosts[i].pool = p.help;
	}
	tids = tm_xcalloc(nr, sizeof(*tids));
	for (unsigned i = 0; i < nr; i++)
		if (pthread_create(&tids[i], NULL, worker, &p)) {
			/* the threads started run every host */
			if (i == 0) {
				free(tids);
				tm_pool_free(p.help);
				return tm_error_set(err, TM_ERR_INTERNAL,
						    "cannot start a thread");
			}
			nr = i;
			break;
		}
	if (opts->progress)
		monitor(&p, sim->cfg);
	for (unsigned i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	for (uint32_t i = 0; i < sim->nr_hosts; i++)
		sim->hosts[i].pool = NULL;
	tm_pool_free(p.help);
	sim->wall_s = now_s() - t0;
	for (uint32_t i = 0; i < sim->nr_hosts; i++)
		if (sim->hosts[i].failed) {
			*err = sim->hosts[i].err;
			return -1;
		}
	return 0;
}

void tm_sim_free(struct tm_sim *sim)
{
	if (!sim)
		return;
	for (uint32_t i = 0; i < sim->nr_hosts; i++)
		tm_host_destroy(&sim->hosts[i]);
	free(sim->hosts);
	free(sim);
}
