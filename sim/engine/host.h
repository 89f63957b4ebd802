/*
 * host.h - one host of the simulation: its VMs, its FMEM (rebalance.h) and
 * the event queue that drives them (DESIGN.md §4), implemented in host.c.
 */
#ifndef TM_HOST_H
#define TM_HOST_H

#include <stdatomic.h>
#include <stdint.h>

#include "sim/config/config.h"
#include "lib/error.h"
#include "lib/strbuf.h"
#include "eventq.h"
#include "rebalance.h"
#include "vm.h"

struct tm_pool;

/* What one VM's part of a parallel step leaves for the host to combine
 * after the join, in VM or event order (host.c). */
struct tm_host_vm {
	int rc;                     /* tm_vm_advance's */
	struct tm_error err;
	struct tm_strbuf ep;        /* its epochs rows of the step */
	uint64_t done_ns;           /* tm_vm_epoch's */
};

struct tm_host_rt {
	const struct tm_host_config *cfg;
	uint32_t index;
	const struct tm_config *run_cfg;
	struct tm_vm_rt *vms;
	uint32_t nr_vms;
	struct tm_eventq *q;
	uint64_t now_ns;
	struct tm_rebalance fm;     /* FMEM pool, balloons, rebalancer */
	struct tm_strbuf ts;        /* timeseries rows */
	struct tm_strbuf ep;        /* epochs rows */
	struct tm_error err;
	int failed;
	struct tm_pool *pool;       /* the run's threads, or NULL: serial */
	struct tm_host_vm *par;     /* per VM */
	struct tm_event *run;       /* a run of EPOCH events, nr_vms long */
	uint32_t *order;            /* a parallel step's items, largest first */
	struct tm_vm_scratch *scratch; /* per pool slot (tm_pool_slots) */
	unsigned nr_scratch;
	_Atomic uint64_t sim_done_ns; /* progress, read by the monitor */
};

int tm_host_init(struct tm_host_rt *h, const struct tm_config *cfg,
		 uint32_t index, struct tm_error *err);
void tm_host_destroy(struct tm_host_rt *h);
/* After its run: free the per-page state of the host and its VMs, keeping
 * what the outputs read (tm_vm_release). */
void tm_host_release(struct tm_host_rt *h);
/* Run one host's events due before until_ns; 1 at END, -1 on a trace error
 * (h->err). */
int tm_host_advance(struct tm_host_rt *h, uint64_t until_ns);

#endif
