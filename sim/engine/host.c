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

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

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
	tm_eventq_free(h->q);
	tm_strbuf_free(&h->ts);
	tm_strbuf_free(&h->ep);
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
		tm_strbuf_printf(&h->ts, ",%llu,%llu,%llu,%llu\n",
				 (unsigned long long)b->target_pages,
				 (unsigned long long)inflated,
				 (unsigned long long)deflated,
				 (unsigned long long)h->fm.pool_pages);
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
		if (ev->arg)  /* a balloon's demotions landed */
			tm_rebalance_released(&h->fm, ev->vm, ev->time_ns);
		break;
	case TM_EV_REBALANCE:
		tm_rebalance_tick(&h->fm, ev->time_ns);
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

