/*
 * rebalancer.h - FMEM rebalancing policies of a host (DESIGN.md §6.4).
 *
 * No rebalancing policy was ever published for the double balloon
 * (reference/sdh-and-demeter.md §5: "Rebalancer: none public"); every policy
 * here is tmsim's own design, built on the blog's stated intent: check
 * whether the desired share of accesses hits FMEM, grow FMEM of VMs below it
 * and shrink it for VMs above, predicting with the coverage curve and
 * correcting by feedback.  Parameters (step, hysteresis, window, gain) are
 * tmsim's, labelled as such in docs/rebalancing.md.
 *
 * A policy sees, per VM, its current FMEM capacity, bounds, target, the
 * measured FMEM hit ratio over the window and coverage curves, and returns
 * a target capacity per VM.  Σ targets never exceeds the host's FMEM.
 * Backends are an operation table chosen by name (STYLE.md habit 3).
 */
#ifndef TM_REBALANCER_H
#define TM_REBALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Configuration (validated by sim/config, trusted here). */
struct tm_rebalancer_config {
	char policy[16];           /* static | proportional | target-hit | utility | oracle */
	uint64_t interval_ns;      /* 1 s */
	uint64_t window_ns;        /* sliding window of stats */
	uint64_t sz_step;          /* bounded step per interval */
	double hysteresis;
	double balloon_bytes_per_s;/* ~1 GiB/s (reference §5) */
	uint64_t balloon_msg_ns;   /* per 256-page message latency */
};

/* A coverage curve: cum[i] = accesses to the i+1 hottest pages of the
 * window (non-decreasing), total = accesses to all pages. */
struct tm_curve {
	const uint64_t *cum;
	size_t nr;
	uint64_t total;
};

/* Smallest number of pages whose accesses reach share h of the total
 * (nr if never; 0 if the curve is empty). */
uint64_t tm_curve_pages_for(const struct tm_curve *c, double h);
/* Share of accesses the hottest `pages` pages hold (NaN if empty). */
double tm_curve_hits_at(const struct tm_curve *c, uint64_t pages);

struct tm_rb_vm {
	uint64_t cap_pages;          /* current FMEM capacity */
	uint64_t floor_pages, ceil_pages;
	double target_hit;
	uint32_t priority;           /* higher receives first */
	double measured_hit;         /* sampled FMEM hit ratio, window; NaN: none */
	double rate;                 /* accesses per second over the window */
	struct tm_curve est;         /* from samples (what the host can know) */
	struct tm_curve truth;       /* from every access (oracle only) */
	double feedback;             /* target-hit state, kept between calls */
};

struct tm_rebalancer_ops {
	const char *name;
	/* Fill target[i] for each VM; Σ target <= host_pages. */
	void (*decide)(const struct tm_rebalancer_config *cfg,
		       struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		       uint64_t step_pages, uint64_t *target);
};

const struct tm_rebalancer_ops *tm_rebalancer_find(const char *name);

/* Feedback gain of target-hit (assumption, tmsim's own). */
#define TM_RB_FEEDBACK_GAIN 0.5
#define TM_RB_FEEDBACK_MAX 0.2

#endif
