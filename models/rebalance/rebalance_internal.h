/*
 * rebalance_internal.h - what the built-in policies share (rebalancer.c):
 * the rules every dynamic policy ends with, the greedy allocation of
 * utility and oracle, and the `step` row of their schemas, so its default
 * and bounds live in one place.  Not for the engine: it includes
 * rebalancer.h only.
 */
#ifndef TM_REBALANCE_INTERNAL_H
#define TM_REBALANCE_INTERNAL_H

#include "rebalancer.h"

/* step: 64 MiB (assumption), 4 KiB .. 1 TiB, into T's sz_step. */
#define TM_RB_STEP_KEY(T)                                                   \
	TM_CFG_KEY("step", TM_CFG_SIZE, 4096.0, 1099511627776.0, "64MiB",   \
		   NULL, 0, TM_CFG_F_U64, T, sz_step,                       \
		   "largest FMEM change per VM per interval (assumption)")

/* sz_step in pages of the run (at least 1). */
uint64_t tm_rb_step_pages(uint64_t sz_step, uint32_t page_shift);

/* Rule 1: move from the VM's capacity toward desired by at most step,
 * within [floor, ceiling]. */
uint64_t tm_rb_bounded(const struct tm_rb_vm *v, uint64_t desired,
		       uint64_t step);

/* Rule 2: decreases are granted (the pages go to the host's free
 * pool); increases are served from the pool (free pages now plus this
 * interval's decreases) by priority, then largest urgency, then index, so
 * Σ targets <= host_pages. */
void tm_rb_grant(const struct tm_rb_vm *vms, uint32_t nr,
		 uint64_t host_pages, const double *urgency, uint64_t *target);

/* The host's reserve in pages (the common key `reserve`). */
uint64_t tm_rb_reserve_pages(const struct tm_rb_params *p);

/* Measured below target, over the window or in the last interval. */
bool tm_rb_below(const struct tm_rb_vm *v);

/* Rule 3, the promise: a VM below its target (tm_rb_below) never shrinks
 * and asks for at least step more pages, within its ceiling. */
void tm_rb_promise(const struct tm_rb_vm *vms, uint32_t nr, uint64_t step,
		   uint64_t *target);

/* Rule 4, no idle shrink: Σ shrink ≤ max(0, Σ growth + reserve − free);
 * the shrinking VMs of least urgency give first, the rest hold. */
void tm_rb_no_idle_shrink(const struct tm_rb_vm *vms, uint32_t nr,
			  uint64_t host_pages, uint64_t reserve_pages,
			  const double *urgency, uint64_t *target);

/* Rule 5, measurement over the curve: true if the curve's `pages`-th page
 * holds at least min_samples samples (always with min_samples 0). */
bool tm_rb_curve_believed(const struct tm_curve *c, uint64_t pages,
			  double min_samples);

/* min_samples: rule 5's threshold, 4 samples (assumption), into T's
 * min_samples. */
#define TM_RB_MIN_SAMPLES_KEY(T)                                            \
	TM_CFG_KEY("min_samples", TM_CFG_DOUBLE, 0, 1e9, "4", NULL, 0,       \
		   TM_CFG_F_DBL, T, min_samples,                             \
		   "the estimated curve is believed for shrinking only if "  \
		   "its marginal page holds this many samples in the window " \
		   "(assumption)")

/* Greedy chunks of host FMEM / 1024 pages by marginal hits (rate × Δhits
 * on the estimated, or with truth the true, curve) from the floors up,
 * then rules 1, 4 and 2 with step pages. */
void tm_rb_greedy_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			 uint32_t nr, uint64_t step, bool truth,
			 uint64_t *target);

extern const struct tm_rebalancer_ops tm_rb_static_ops;
extern const struct tm_rebalancer_ops tm_rb_proportional_ops;
extern const struct tm_rebalancer_ops tm_rb_target_hit_ops;
extern const struct tm_rebalancer_ops tm_rb_utility_ops;
extern const struct tm_rebalancer_ops tm_rb_oracle_ops;

#endif
