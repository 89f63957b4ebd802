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
 *
 * Each policy is one file and one row of the table in rebalancer.c
 * (STYLE.md habit 3, DESIGN.md §12): an ops table that begins with its kind
 * (lib/cfg.h: name, one-line help, its own config schema, flags).  The
 * config loader takes the common keys below for every policy and only the
 * chosen policy's own keys besides; the engine asks a policy's flags what
 * to gather for it and never compares its name.
 */
#ifndef TM_REBALANCER_H
#define TM_REBALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

/* Keys every policy takes: the balloon mechanics and the stats window
 * (validated by sim/config, trusted here); the policy's own follow its
 * schema into `own`. */
struct tm_rebalancer_config {
	char policy[16];           /* the policy's name */
	const struct tm_rebalancer_ops *ops;
	uint64_t interval_ns;      /* 1 s */
	uint64_t window_ns;        /* sliding window of stats */
	double balloon_bytes_per_s;/* ~1 GiB/s (reference §5) */
	uint64_t balloon_msg_ns;   /* per 256-page message latency */
	uint64_t sz_reserve;       /* FMEM a shrink may return to the pool */
	bool unseen;               /* estimated curves add their unseen pages
				    * (tm_curve_add_unseen) */
	struct tm_kind_config own; /* the policy's own config struct */
};

/* A coverage curve: cum[i] = accesses to the i+1 hottest pages of the
 * window (non-decreasing), total = accesses to all pages.  Held as the
 * array cum, or (cum NULL) as nr_runs runs of pages of equal accesses,
 * hottest first: a curve has far fewer distinct counts than pages (the
 * cluster bench: at most 5,847 runs for 26,043 pages), so the engine
 * keeps each VM's curves as runs between its ticks (16 bytes a run
 * against 8 a page).  Read cum[i] through tm_curve_cum(). */
struct tm_curve_run {
	uint64_t cum_end;  /* cum[end - 1] */
	uint32_t end;      /* one past the run's last page */
	uint32_t count;    /* accesses of each of its pages */
};

struct tm_curve {
	const uint64_t *cum;
	size_t nr;
	uint64_t total;
	const struct tm_curve_run *runs;
	size_t nr_runs;
	/* Pages the samples did not show (tm_curve_add_unseen; 0: none):
	 * un_pages more of un_count accesses each, in the curve from index
	 * un_at on (the first seen page of fewer accesses), counted in nr
	 * and total; cum or runs hold the nr - un_pages seen pages only. */
	uint64_t un_pages;
	uint32_t un_count;
	size_t un_at;
};

/* cum[i] of the curve with its unseen pages in place, i < nr (exact
 * either way). */
uint64_t tm_curve_cum(const struct tm_curve *c, size_t i);

/* Smallest number of pages whose accesses reach share h of the total
 * (nr if never; 0 if the curve is empty). */
uint64_t tm_curve_pages_for(const struct tm_curve *c, double h);
/* Share of accesses the hottest `pages` pages hold (NaN if empty). */
double tm_curve_hits_at(const struct tm_curve *c, uint64_t pages);

/* The pages a sampled curve does not show: with f1 pages sampled once and
 * f2 twice, Chao1's bias-corrected estimate of the pages accessed but not
 * sampled, f0 = f1 (f1 - 1) / (2 (f2 + 1)), at most max_pages, holding
 * Good-Turing's estimate of their accesses, f1 samples' worth.  *count is
 * each such page's count (rounded, at least 1); 0 pages if f1 < 2. */
void tm_curve_unseen(uint64_t f1, uint64_t f2, uint64_t max_pages,
		     uint64_t *pages, uint32_t *count);
/* Add to a curve of sampled counts the unseen pages tm_curve_unseen()
 * estimates from its own pages of one and two samples, at most
 * max_pages of them (the VM's pages not on the curve). */
void tm_curve_add_unseen(struct tm_curve *c, uint64_t max_pages);

struct tm_rb_vm {
	uint64_t cap_pages;          /* current FMEM capacity */
	uint64_t floor_pages, ceil_pages;
	double target_hit;
	uint32_t priority;           /* higher receives first */
	double measured_hit;         /* sampled FMEM hit ratio, window; NaN: none */
	double measured_last;        /* the same over the last interval only */
	double rate;                 /* accesses per second over the window */
	struct tm_curve est;         /* from samples (TM_RB_EST_CURVE) */
	struct tm_curve truth;       /* from every access (TM_RB_TRUE_CURVE) */
	uint64_t new_pages;          /* pages first touched over the last
				      * interval (a host sees the faults) */
	bool full;                   /* its FMEM pages fill its capacity: a
				      * new page lands in SMEM */
	double feedback;             /* target-hit state, kept between calls */
	uint64_t lent_pages;         /* target-hit: idle FMEM lent to it as
				      * headroom, kept between calls */
};

/* What a policy decides with besides the VMs. */
struct tm_rb_params {
	const struct tm_rebalancer_config *cfg;
	const void *own;             /* the policy's own config (cfg->own) */
	uint64_t host_pages;         /* the host's FMEM */
	uint32_t page_shift;         /* sizes in the own config -> pages */
};

/* Flags of a policy (struct tm_kind.flags): what it needs from the
 * engine.  Without TM_RB_RESIZES the engine keeps the configured split and
 * never calls decide(); the curves are built only for policies that read
 * them (the estimated one costs 12 bytes per page).  The engine builds the
 * true curve for every policy anyway (the need metrics of docs/
 * rebalancing.md), so TM_RB_TRUE_CURVE states a dependency, not a cost. */
#define TM_RB_RESIZES 0x1u     /* decide() every interval on per-VM stats */
#define TM_RB_EST_CURVE 0x2u   /* reads tm_rb_vm.est */
#define TM_RB_TRUE_CURVE 0x4u  /* reads tm_rb_vm.truth (an oracle) */

struct tm_rebalancer_ops {
	struct tm_kind kind;
	/* Fill target[i] for each VM; Σ target <= p->host_pages.  May keep
	 * state in vms[i].feedback and vms[i].lent_pages, which the engine
	 * hands back next time. */
	void (*decide)(const struct tm_rb_params *p, struct tm_rb_vm *vms,
		       uint32_t nr, uint64_t *target);
};

/* The policy family (rebalancer.c) and the keys every policy takes (rows
 * with bare keys into struct tm_rebalancer_config). */
extern struct tm_kinds tm_policy_kinds;
extern const struct tm_cfg_key tm_rb_common_keys[];
extern const size_t tm_rb_nr_common_keys;

/* The policy of a name; NULL if unknown. */
const struct tm_rebalancer_ops *tm_rebalancer_find(const char *name);
/* Register a policy before any run (a test's toy policy). */
int tm_rebalancer_register(const struct tm_rebalancer_ops *ops,
			   struct tm_error *e);
/* Fill c with policy's defaults (common keys and its schema); -1 if the
 * policy is unknown. */
int tm_rebalancer_config_default(struct tm_rebalancer_config *c,
				 const char *policy);

/* ---- the built-in policies' own config structs -------------------------- */

/* utility, oracle: the bounded step only. */
struct tm_rb_step_config {
	uint64_t sz_step;          /* largest change per VM per interval */
};

/* proportional: the bounded step and rule 5's threshold. */
struct tm_rb_prop_config {
	uint64_t sz_step;
	double min_samples;        /* rule 5 (rebalancer.c) */
};

/* target-hit (its file header has the control law). */
struct tm_target_hit_config {
	uint64_t sz_step;
	double hysteresis;         /* band [target, target + 2 hysteresis] */
	double gain;               /* feedback gain (assumption) */
	double feedback_max;       /* |feedback| clamp (assumption) */
	double min_samples;        /* rule 5 (rebalancer.c) */
	bool headroom;             /* idle FMEM to the lower half of a band */
};

#endif
