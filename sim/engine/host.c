/*
 * host.c - the run loop of one host (DESIGN.md §4).
 *
 * Each host owns an event queue.  The loop is an outline of named steps:
 * peek the next event, let every VM consume its trace up to that instant,
 * pop and dispatch the event.  Trace records are not events.  The host's
 * FMEM (pool, balloons, rebalancer) is rebalance.c's; its rows are kept per
 * host so that sim.c can assemble them in host order.
 */
#include "host.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/pool.h"

int tm_host_init(struct tm_host_rt *h, const struct tm_config *cfg,
		 uint32_t index, struct tm_error *err)
{
	const struct tm_host_config *hc = &cfg->hosts[index];

	memset(h, 0, sizeof(*h));
	h->cfg = hc;
	h->index = index;
	h->run_cfg = cfg;
	h->nr_vms = hc->nr_vms;
	h->vms = tm_xcalloc(hc->nr_vms, sizeof(*h->vms));
	h->par = tm_xcalloc(hc->nr_vms, sizeof(*h->par));
	h->run = tm_xcalloc(hc->nr_vms ? hc->nr_vms : 1, sizeof(*h->run));
	h->order = tm_xcalloc(hc->nr_vms ? hc->nr_vms : 1, sizeof(*h->order));
	for (uint32_t v = 0; v < hc->nr_vms; v++)
		if (tm_vm_init(&h->vms[v], cfg, &hc->vms[v], index, v, err))
			return -1;
	h->q = tm_eventq_new(4 * (size_t)hc->nr_vms + 8);
	if (tm_rebalance_init(&h->fm, cfg, hc, h->vms, h->q, err))
		return -1;
	tm_eventq_push(h->q, hc->rebalancer.interval_ns, TM_EV_REBALANCE, 0, 0);
	for (uint32_t v = 0; v < hc->nr_vms; v++)
		tm_eventq_push(h->q, cfg->epoch_ns, TM_EV_EPOCH, v, 1);
	tm_eventq_push(h->q, cfg->snapshot_ns, TM_EV_SNAPSHOT, 0, 0);
	tm_eventq_push(h->q, cfg->duration_ns, TM_EV_END, 0, 0);
	return 0;
}

void tm_host_destroy(struct tm_host_rt *h)
{
	tm_rebalance_destroy(&h->fm);
	for (uint32_t v = 0; v < h->nr_vms; v++)
		tm_vm_destroy(&h->vms[v]);
	free(h->vms);
	for (uint32_t v = 0; h->par && v < h->nr_vms; v++)
		tm_strbuf_free(&h->par[v].ep);
	free(h->par);
	free(h->run);
	free(h->order);
	for (unsigned k = 0; k < h->nr_scratch; k++)
		tm_vm_scratch_free(&h->scratch[k]);
	free(h->scratch);
	tm_eventq_free(h->q);
	tm_strbuf_free(&h->ts);
	tm_strbuf_free(&h->ep);
}

void tm_host_release(struct tm_host_rt *h)
{
	for (uint32_t v = 0; v < h->nr_vms; v++)
		tm_vm_release(&h->vms[v]);
	tm_rebalance_release(&h->fm);
	for (unsigned k = 0; k < h->nr_scratch; k++)
		tm_vm_scratch_free(&h->scratch[k]);
}

/* One timeseries row per VM: the VM's columns, then its balloon state. */
static void host_snapshot(struct tm_host_rt *h, uint64_t now_ns)
{
	for (uint32_t v = 0; v < h->nr_vms; v++) {
		struct tm_balloon *b = &h->fm.vm[v].bl;
		uint64_t inflated, deflated;

		tm_vm_snapshot(&h->vms[v], h->run_cfg, now_ns, h->cfg->name,
			       &h->ts);
		tm_balloon_snap(b, &inflated, &deflated);
		tm_strbuf_printf(&h->ts, ",%llu,%llu,%llu,%llu,%llu\n",
				 (unsigned long long)b->target_pages,
				 (unsigned long long)inflated,
				 (unsigned long long)deflated,
				 (unsigned long long)h->fm.pool_pages,
				 (unsigned long long)
				 h->fm.vm[v].need_now_pages);
	}
}

struct step {
	struct tm_host_rt *h;
	uint64_t t_ns;
};

/* h->order[0, n): the items of a parallel step, largest VM (most touched
 * pages) first, so that the biggest pieces of work are not the last ones
 * taken (the step ends with its slowest thread).  key(i) is item i's VM. */
static void order_items(struct tm_host_rt *h, size_t n,
			const struct tm_event *run)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v = run ? run[i].vm : (uint32_t)i;
		uint32_t nr = h->vms[v].pm.nr;
		size_t k = i;

		for (; k > 0; k--) {
			uint32_t u = run ? run[h->order[k - 1]].vm :
				     h->order[k - 1];

			if (h->vms[u].pm.nr >= nr)
				break;
			h->order[k] = h->order[k - 1];
		}
		h->order[k] = (uint32_t)i;
	}
}

static void advance_one(void *ctx, size_t v, unsigned slot)
{
	const struct step *s = ctx;
	struct tm_host_vm *p;

	(void)slot;
	v = s->h->order[v];
	p = &s->h->par[v];
	p->rc = tm_vm_advance(&s->h->vms[v], s->t_ns, &p->err);
}

/* Every VM consumes its records before t_ns; the first error by VM index
 * is the host's. */
static int advance_vms(struct tm_host_rt *h, uint64_t t_ns)
{
	struct step s = { h, t_ns };

	order_items(h, h->nr_vms, NULL);
	tm_pool_for(h->pool, h->nr_vms, advance_one, &s);
	for (uint32_t v = 0; v < h->nr_vms; v++)
		if (h->par[v].rc) {
			h->err = h->par[v].err;
			return -1;
		}
	return 0;
}

/* The scratch lent to the VMs' parallel parts of epochs and ticks: one
 * per pool slot, made on first use (the pool is the run's, set after
 * init). */
static void host_scratch(struct tm_host_rt *h)
{
	if (h->scratch)
		return;
	h->nr_scratch = tm_pool_slots(h->pool);
	h->scratch = tm_xcalloc(h->nr_scratch, sizeof(*h->scratch));
}

static void tick_one(void *ctx, size_t v, unsigned slot)
{
	const struct step *s = ctx;

	tm_rebalance_tick_vm(&s->h->fm, s->h->order[v], s->t_ns,
			     &s->h->scratch[slot]);
}

static void rebalance_tick(struct tm_host_rt *h, uint64_t now_ns)
{
	struct step s = { h, now_ns };

	host_scratch(h);
	order_items(h, h->nr_vms, NULL);
	tm_pool_for(h->pool, h->nr_vms, tick_one, &s);
	tm_rebalance_tick_host(&h->fm, now_ns);
}

/* What an EPOCH schedules: the batch's landing, the next epoch. */
static void epoch_next(struct tm_host_rt *h, const struct tm_event *ev,
		       uint64_t done)
{
	const struct tm_config *cfg = h->run_cfg;

	if (done)
		tm_eventq_push(h->q, done, TM_EV_MIGRATION_DONE, ev->vm, 0);
	if (ev->time_ns + cfg->epoch_ns <= cfg->duration_ns)
		tm_eventq_push(h->q, ev->time_ns + cfg->epoch_ns,
			       TM_EV_EPOCH, ev->vm, ev->arg + 1);
}

static void epoch_one(void *ctx, size_t i, unsigned slot)
{
	struct tm_host_rt *h = ctx;
	const struct tm_event *ev = &h->run[h->order[i]];
	struct tm_host_vm *p = &h->par[ev->vm];

	p->done_ns = tm_vm_epoch(&h->vms[ev->vm], &h->scratch[slot],
				 ev->time_ns, h->run_cfg->epoch_ns,
				 (uint32_t)ev->arg, h->cfg->name, &p->ep);
}

/* The EPOCH ev and the EPOCH events queued right behind it at the same
 * instant (one per VM), in parallel.  Their rows and what they schedule
 * follow in event order: the events they push sort after every event
 * already queued for that instant, as they would have one by one. */
static void epoch_run(struct tm_host_rt *h, const struct tm_event *ev)
{
	const struct tm_event *next;
	size_t n = 0;

	h->run[n++] = *ev;
	while ((next = tm_eventq_peek(h->q)) && next->type == TM_EV_EPOCH &&
	       next->time_ns == ev->time_ns) {
		assert(n < h->nr_vms);
		tm_eventq_pop(h->q, &h->run[n++]);
	}
	host_scratch(h);
	order_items(h, n, h->run);
	tm_pool_for(h->pool, n, epoch_one, h);
	for (size_t i = 0; i < n; i++) {
		struct tm_host_vm *p = &h->par[h->run[i].vm];

		tm_strbuf_move(&h->ep, &p->ep);
		epoch_next(h, &h->run[i], p->done_ns);
	}
}

static void dispatch(struct tm_host_rt *h, const struct tm_event *ev)
{
	const struct tm_config *cfg = h->run_cfg;
	struct tm_vm_rt *vm = &h->vms[ev->vm];

	switch (ev->type) {
	case TM_EV_EPOCH:
		epoch_run(h, ev);
		break;
	case TM_EV_MIGRATION_DONE:
		if (vm->busy && ev->time_ns >= vm->busy_until_ns)
			tm_vm_migration_done(vm, ev->time_ns);
		if (ev->arg)  /* a balloon's demotions landed */
			tm_rebalance_released(&h->fm, ev->vm, ev->time_ns);
		break;
	case TM_EV_REBALANCE:
		rebalance_tick(h, ev->time_ns);
		if (ev->time_ns + h->cfg->rebalancer.interval_ns <=
		    cfg->duration_ns)
			tm_eventq_push(h->q, ev->time_ns +
				       h->cfg->rebalancer.interval_ns,
				       TM_EV_REBALANCE, 0, 0);
		break;
	case TM_EV_BALLOON_STEP:
		tm_rebalance_balloon_step(&h->fm, ev->vm, ev->time_ns);
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

/* Process every event due before until_ns (the END event stops early).
 * Returns 1 once END was reached, 0 otherwise, -1 on a trace error. */
int tm_host_advance(struct tm_host_rt *h, uint64_t until_ns)
{
	struct tm_event ev;

	for (;;) {
		const struct tm_event *next = tm_eventq_peek(h->q);

		if (!next || next->time_ns >= until_ns)
			/* records before until_ns are consumed too */
			return advance_vms(h, until_ns);
		if (advance_vms(h, next->time_ns))
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

