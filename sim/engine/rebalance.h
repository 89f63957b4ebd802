/*
 * rebalance.h - the FMEM of one host: its free pool, its VMs' balloons
 * driven by BALLOON_STEP events, and the REBALANCE tick that gathers per-VM
 * stats over a sliding window and asks the host's policy for targets
 * (DESIGN.md §6.4), implemented in rebalance.c.
 *
 * The balloon's rules are models/balloon.c's, the policies are
 * models/rebalance/'s; this is the glue between them, the VMs (vm.h) and
 * the host's event queue.  It knows nothing of the host's run loop.
 */
#ifndef TM_REBALANCE_H
#define TM_REBALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/balloon.h"
#include "models/rebalance/rebalancer.h"
#include "sim/config/config.h"
#include "lib/error.h"
#include "eventq.h"
#include "vm.h"

#define TM_RB_RING 64

/* One rebalance interval's counters, for the sliding window. */
struct tm_rb_interval {
	uint64_t samples, samples_fmem, accesses, hits_fmem;
};

/* A coverage curve kept from one tick to the next: built in the scratch
 * the host lends the tick (sorted counts), kept in mem as runs of equal
 * counts, or as the plain array when that is smaller (struct tm_curve). */
struct tm_rb_curve {
	struct tm_curve c;
	void *mem;
	size_t sz_mem;
};

/* Keep the curve of val[0, n), sorted descending, in cv (its memory
 * reused): as runs of equal counts, or as the plain array of cumulative
 * counts when that is smaller.  Free cv->mem when done. */
void tm_rb_curve_keep(struct tm_rb_curve *cv, const uint32_t *val, size_t n);

/* A VM's balloon and the rebalancer's view of it. */
struct tm_rebalance_vm {
	struct tm_balloon bl;
	/* sliding window */
	struct tm_rb_interval ring[TM_RB_RING];
	uint32_t ring_pos, ring_nr;
	struct tm_hits at_tick;     /* totals at the previous tick */
	double *win_est, *win_true; /* decayed per-page counts (win_true
				     * NULL with distribution truth) */
	uint64_t *snap_true; /* TM_ACC at the last tick (NULL with
			      * distribution truth; TM_SMP's: the VM's) */
	uint32_t win_cap;
	uint32_t pages_at_tick;     /* touched pages at the last tick */
	uint32_t new_pages;         /* first touched over the last interval */
	/* the last tick's curves, compact (tm_rb_curve_keep) */
	struct tm_rb_curve curve_est, curve_true;
	double dist_total;  /* the interval's expected accesses (distribution) */
	uint64_t dist_sig;        /* its expectations' signature
				   * (tm_gen_dist_value_sig) */
	uint32_t dist_nr_valued;  /* pages whose values curve_true holds */
	double feedback;
	uint64_t lent_pages;        /* the policy's, as feedback */
	/* SLO and cost metrics */
	uint64_t slo_miss_ns;
	bool in_miss;
	uint64_t miss_start_ns, nr_episodes, max_recover_ns, sum_recover_ns;
	uint64_t nr_recovered;
	uint64_t need_max_pages;    /* max over ticks of true pages needed */
	uint64_t need_now_pages;
	double sum_cap_pages;       /* Σ capacity over ticks (mean FMEM) */
	uint64_t nr_ticks;
};

struct tm_rebalance {
	const struct tm_rebalancer_config *cfg;
	const struct tm_rebalancer_ops *ops;
	struct tm_balloon_cfg balloon;
	uint64_t epoch_ns;          /* the run's epoch (balloon demotions) */
	struct tm_vm_rt *vms;       /* the host's VMs */
	struct tm_rebalance_vm *vm; /* per VM */
	uint32_t nr_vms;
	struct tm_eventq *q;        /* the host's queue */
	uint64_t host_pages;        /* FMEM of the host, in pages */
	uint64_t pool_pages;        /* free FMEM of the host */
	struct tm_rb_vm *rb_vms;
	uint64_t *rb_target;
	uint64_t need_sum_max;      /* max over ticks of Σ true pages needed */
	uint64_t nr_rebalances;
};

/* After the VMs' init: the pool is what their capacities leave free. */
int tm_rebalance_init(struct tm_rebalance *r, const struct tm_config *cfg,
		      const struct tm_host_config *hc, struct tm_vm_rt *vms,
		      struct tm_eventq *q, struct tm_error *err);
void tm_rebalance_destroy(struct tm_rebalance *r);
/* The host's run has ended: free the per-page windows and curves (the
 * metrics stay). */
void tm_rebalance_release(struct tm_rebalance *r);
/* REBALANCE: close the interval, ask the policy, start the balloons;
 * tm_rebalance_tick_vm() for every VM, then tm_rebalance_tick_host(). */
void tm_rebalance_tick(struct tm_rebalance *r, uint64_t now_ns,
		       struct tm_vm_scratch *sc);
/* VM v's part of a tick: its interval closed, its window and curves
 * rebuilt, the curves sorted in sc (lent by the host: one per thread, as
 * for tm_vm_epoch).  Touches VM v's state and sc only, so the VMs' parts
 * may run in parallel (host.c). */
void tm_rebalance_tick_vm(struct tm_rebalance *r, uint32_t v, uint64_t now_ns,
			  struct tm_vm_scratch *sc);
/* The host's part, after every VM's: the policy and the balloons. */
void tm_rebalance_tick_host(struct tm_rebalance *r, uint64_t now_ns);
/* BALLOON_STEP of VM v: one message toward its target. */
void tm_rebalance_balloon_step(struct tm_rebalance *r, uint32_t v,
			       uint64_t now_ns);
/* A balloon's demotions landed (MIGRATION_DONE with arg 1): release its
 * pages to the pool and step on. */
void tm_rebalance_released(struct tm_rebalance *r, uint32_t v,
			   uint64_t now_ns);
/* Host FMEM conservation: Σ VM FMEM + free pool = host FMEM. */
int tm_rebalance_check(const struct tm_rebalance *r);

#endif
