/*
 * host.c - the run loop of one host and the parallel run of all hosts
 * (DESIGN.md §4).
 *
 * Each host owns an event queue.  The loop is an outline of named steps:
 * peek the next event, let every VM consume its trace up to that instant,
 * pop and dispatch the event.  Trace records are not events.  Hosts never
 * interact, so they run on a pool of threads, each host start to end on one
 * thread; all output rows are kept per host and assembled in host order, so
 * the output is byte-identical for any thread count.
 */
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "sim.h"

uint64_t tm_seed_for(uint64_t seed, uint32_t host, uint32_t vm,
		     uint32_t component)
{
	uint64_t parts[4] = { seed, host, vm, component }, z = 0;

	/* SplitMix64 over the parts: well-mixed, order-sensitive. */
	for (unsigned i = 0; i < 4; i++)
		z = tm_splitmix64_of(z + parts[i]);
	return z;
}

static int host_init(struct tm_host_rt *h, const struct tm_config *cfg,
		     uint32_t index, struct tm_error *err)
{
	const struct tm_host_config *hc = &cfg->hosts[index];

	memset(h, 0, sizeof(*h));
	h->cfg = hc;
	h->index = index;
	h->run_cfg = cfg;
	h->nr_vms = hc->nr_vms;
	h->vms = tm_xcalloc(hc->nr_vms, sizeof(*h->vms));
	for (uint32_t v = 0; v < hc->nr_vms; v++)
		if (tm_vm_init(&h->vms[v], cfg, &hc->vms[v], index, v, err))
			return -1;
	h->host_pages = hc->sz_fmem >> cfg->page_shift;
	h->pool_pages = h->host_pages;
	for (uint32_t v = 0; v < hc->nr_vms; v++)
		h->pool_pages -= h->vms[v].nr_fmem_cap_pages;
	h->rb = hc->rebalancer.ops;   /* the loader found the policy */
	if (!h->rb)
		return tm_error_set(err, TM_ERR_CONFIG,
				    "host %s: no rebalancer policy '%s'",
				    hc->name, hc->rebalancer.policy);
	h->rb_vms = tm_xcalloc(hc->nr_vms, sizeof(*h->rb_vms));
	h->rb_target = tm_xcalloc(hc->nr_vms, sizeof(*h->rb_target));
	h->q = tm_eventq_new(4 * (size_t)hc->nr_vms + 8);
	tm_eventq_push(h->q, hc->rebalancer.interval_ns, TM_EV_REBALANCE, 0, 0);
	for (uint32_t v = 0; v < hc->nr_vms; v++)
		tm_eventq_push(h->q, cfg->epoch_ns, TM_EV_EPOCH, v, 1);
	tm_eventq_push(h->q, cfg->snapshot_ns, TM_EV_SNAPSHOT, 0, 0);
	tm_eventq_push(h->q, cfg->duration_ns, TM_EV_END, 0, 0);
	return 0;
}

static void host_destroy(struct tm_host_rt *h)
{
	for (uint32_t v = 0; v < h->nr_vms; v++)
		tm_vm_destroy(&h->vms[v]);
	free(h->vms);
	free(h->rb_vms);
	free(h->rb_target);
	tm_eventq_free(h->q);
	tm_strbuf_free(&h->ts);
	tm_strbuf_free(&h->ep);
}

/* One timeseries row per VM: the VM's columns, then its balloon state. */
static void host_snapshot(struct tm_host_rt *h, uint64_t now_ns)
{
	for (uint32_t v = 0; v < h->nr_vms; v++) {
		struct tm_vm_rt *vm = &h->vms[v];
		struct tm_vm_balloon *b = &vm->bl;

		tm_vm_snapshot(vm, h->run_cfg, now_ns, h->cfg->name, &h->ts);
		tm_strbuf_printf(&h->ts, ",%llu,%llu,%llu,%llu\n",
				 (unsigned long long)b->target_pages,
				 (unsigned long long)(b->inflated_bytes -
						      b->snap_inflated),
				 (unsigned long long)(b->deflated_bytes -
						      b->snap_deflated),
				 (unsigned long long)h->pool_pages);
		b->snap_inflated = b->inflated_bytes;
		b->snap_deflated = b->deflated_bytes;
	}
}

static void dispatch(struct tm_host_rt *h, const struct tm_event *ev)
{
	const struct tm_config *cfg = h->run_cfg;
	struct tm_vm_rt *vm = &h->vms[ev->vm];
	uint64_t done;

	switch (ev->type) {
	case TM_EV_EPOCH:
		done = tm_vm_epoch(vm, ev->time_ns, cfg->epoch_ns,
				   (uint32_t)ev->arg, h->cfg->name, &h->ep);
		if (done)
			tm_eventq_push(h->q, done, TM_EV_MIGRATION_DONE,
				       ev->vm, 0);
		if (ev->time_ns + cfg->epoch_ns <= cfg->duration_ns)
			tm_eventq_push(h->q, ev->time_ns + cfg->epoch_ns,
				       TM_EV_EPOCH, ev->vm, ev->arg + 1);
		break;
	case TM_EV_MIGRATION_DONE:
		if (vm->busy && ev->time_ns >= vm->busy_until_ns)
			tm_vm_migration_done(vm, ev->time_ns);
		if (ev->arg && vm->bl.pending_release) {
			/* a balloon's demotions landed: release its pages */
			h->pool_pages += vm->bl.pending_release;
			vm->bl.pending_release = 0;
			tm_vm_balloon_step(h, vm, ev->time_ns);
		}
		break;
	case TM_EV_REBALANCE:
		tm_host_rebalance(h, ev->time_ns);
		if (ev->time_ns + h->cfg->rebalancer.interval_ns <=
		    cfg->duration_ns)
			tm_eventq_push(h->q, ev->time_ns +
				       h->cfg->rebalancer.interval_ns,
				       TM_EV_REBALANCE, 0, 0);
		break;
	case TM_EV_BALLOON_STEP:
		tm_vm_balloon_step(h, vm, ev->time_ns);
		break;
	case TM_EV_SNAPSHOT:
		host_snapshot(h, ev->time_ns);
		if (ev->time_ns + cfg->snapshot_ns <= cfg->duration_ns)
			tm_eventq_push(h->q, ev->time_ns + cfg->snapshot_ns,
				       TM_EV_SNAPSHOT, 0, 0);
		break;
	default:
		break;
	}
}

/* Run one host to the END event. */
/* Process every event due before until_ns (the END event stops early).
 * Returns 1 once END was reached, 0 otherwise, -1 on a trace error. */
int tm_host_advance(struct tm_host_rt *h, uint64_t until_ns)
{
	struct tm_event ev;

	for (;;) {
		const struct tm_event *next = tm_eventq_peek(h->q);

		if (!next || next->time_ns >= until_ns) {
			/* records before until_ns are consumed too */
			for (uint32_t v = 0; v < h->nr_vms; v++)
				if (tm_vm_advance(&h->vms[v], until_ns,
						  &h->err))
					return -1;
			return 0;
		}
		for (uint32_t v = 0; v < h->nr_vms; v++)
			if (tm_vm_advance(&h->vms[v], next->time_ns, &h->err))
				return -1;
		tm_eventq_pop(h->q, &ev);
		h->now_ns = ev.time_ns;
		atomic_store_explicit(&h->sim_done_ns, ev.time_ns,
				      memory_order_relaxed);
		if (ev.type == TM_EV_END)
			break;
		dispatch(h, &ev);
	}
	/* Events due at the END instant itself (the last epoch and snapshot)
	 * still run; nothing after them. */
	while (tm_eventq_peek(h->q) &&
	       tm_eventq_peek(h->q)->time_ns == ev.time_ns) {
		struct tm_event late;

		tm_eventq_pop(h->q, &late);
		dispatch(h, &late);
	}
	/* A final partial snapshot if the duration is not a multiple. */
	if (h->run_cfg->duration_ns % h->run_cfg->snapshot_ns)
		host_snapshot(h, h->now_ns);
	return 1;
}

static int host_run(struct tm_host_rt *h)
{
	int rc = tm_host_advance(h, UINT64_MAX);

	return rc < 0 ? -1 : 0;
}

struct pool {
	struct tm_sim *sim;
	atomic_uint next;
	atomic_uint nr_done;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		unsigned i = atomic_fetch_add(&p->next, 1);
		struct tm_host_rt *h;

		if (i >= p->sim->nr_hosts)
			return NULL;
		h = &p->sim->hosts[i];
		h->failed = host_run(h);
		atomic_fetch_add(&p->nr_done, 1);
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

int tm_sim_new(const struct tm_config *cfg, struct tm_sim **out,
	       struct tm_error *err)
{
	struct tm_sim *sim = tm_xcalloc(1, sizeof(*sim));

	sim->cfg = cfg;
	sim->hosts = tm_xcalloc(cfg->nr_hosts, sizeof(*sim->hosts));
	for (uint32_t i = 0; i < cfg->nr_hosts; i++) {
		sim->nr_hosts = i + 1;
		if (host_init(&sim->hosts[i], cfg, i, err)) {
			tm_sim_free(sim);
			return -1;
		}
	}
	*out = sim;
	return 0;
}

int tm_sim_run(struct tm_sim *sim, const struct tm_run_opts *opts,
	       struct tm_error *err)
{
	unsigned nr = opts->threads ? opts->threads : 1;
	struct pool p = { .sim = sim };
	pthread_t *tids;
	double t0 = now_s();

	if (nr > sim->nr_hosts)
		nr = sim->nr_hosts;
	tids = tm_xcalloc(nr, sizeof(*tids));
	for (unsigned i = 0; i < nr; i++)
		if (pthread_create(&tids[i], NULL, worker, &p)) {
			free(tids);
			return tm_error_set(err, TM_ERR_INTERNAL,
					    "cannot start thread %u", i);
		}
	if (opts->progress)
		monitor(&p, sim->cfg);
	for (unsigned i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	free(tids);
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
		host_destroy(&sim->hosts[i]);
	free(sim->hosts);
	free(sim);
}
