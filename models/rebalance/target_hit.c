/*
 * target_hit.c - the seed's rule (DESIGN.md §6.4): check whether the
 * desired share of accesses hits FMEM; VMs below their target receive, VMs
 * above donate; predict from the estimated coverage curve, corrected by
 * feedback on the measured hit ratio.  tmsim's own design (no rebalancer
 * is public, reference/sdh-and-demeter.md §5); step, hysteresis, gain,
 * feedback_max and min_samples are its assumptions.
 *
 *   band = [target, target + 2·hyst]; inside it hold (keep the feedback); outside:
 *   fb_v += gain·(hits_at(est_v, cap_v) − measured_v − fb_v), clamped to ±feedback_max
 *   desired_v = pages_for(est_v, target_v + hyst + fb_v)
 *   below the band grow (by a step if the curve says enough; past a step
 *   only into what the pool holds idle), above it shrink
 *
 * then tmsim's shared rules (rebalancer.c): bounded step (1), the promise
 * (3: a VM measured below its target, over the window or in the last
 * interval, never shrinks and grows by at least a step), no idle shrink
 * (4: a shrink only feeds a grower or the host's `reserve`) and the grant
 * (2), with the deficit target − measured as urgency, measured by the
 * lower of the two readings as everywhere here (by the window's alone,
 * `diurnal`'s batch, falling from 0.94 to 0.90, gave a step below its
 * need before web, steady at 0.91 with four times its need).  Above the
 * band a VM shrinks only where its curve is believed (rule 5,
 * `min_samples`).
 * target-hit thus meets every target with the least FMEM only as far as
 * the FMEM it takes serves another VM or the reserve.
 *
 * The feedback is the curve's own error where it can be checked: what it
 * predicts at the VM's capacity against what the VM measured there, so a
 * curve that promises hits the VM does not get asks for more pages.  (It
 * was gain·(target + hyst − measured), which read "far above the band" as
 * "the curve is pessimistic" when the VM simply held more FMEM than it
 * needed, drove the goal to target − 0.18 and shrank the VM far below its
 * target at the next shrink.)
 *
 * Headroom (`headroom`, tmsim's rule): FMEM the pool holds beyond the
 * reserve and this interval's grants serves nobody, so it is lent, a
 * step each, to the VMs that hold at or above their target, closest to
 * their target first: a VM measured in its band, [target, target +
 * 2·hyst], by the lower of its window's and its last interval's reading;
 * and, while no VM of the host is below its target, a VM above its band
 * whose reading is below 1 (it still has SMEM accesses to serve) and
 * whose curve does not ask it to shrink.  The band is then a margin
 * against the measurement's noise rather than a place to sit: holding at
 * 0.82 for a target of 0.8 while its need still grows, the demo's kv read
 * 0.73 the next interval with 1 GiB idle on its host.  Above the band, a
 * VM still touching new pages has them placed in FMEM on first touch
 * instead of waiting for samples to promote them: the `ten` scenario's
 * h06 read 0.91 at t = 1 s with its 12,288 pages full, 0.48 the next
 * interval, and was still filling its new room at 0.79 a second later;
 * lent a step at t = 1 s it never falls below 0.8 after the first
 * window.  A loan never takes FMEM another VM asked for (headroom runs
 * after their requests, from what is left), and it is owed: a VM above
 * its band returns what it borrowed at once, past the step, when another
 * VM is below its target, and that VM may grow by what is owed as by the
 * idle pool.  A VM in its band, closer to its target than any VM above
 * it, takes its step from what a VM above its band owes once the pool is
 * short of one (`noisy`: the neighbour, in its band at t = 9 s as its
 * footprint grew, read 0.85 over the next interval instead of 0.46); so
 * does a VM above its band whose FMEM is full while it touched a step of
 * new pages over the last interval (they went to SMEM: a host sees the
 * first-touch faults).  The neighbour, just above its band at t = 10 s
 * with 49,152 pages for a need of 56,971 and its footprint still
 * growing, then read 0.92 instead of 0.67.  A borrower that falls below
 * its target needed the pages and owes nothing.  Tried and dropped:
 * taking from loans whenever a VM was closer to its target than the
 * lender, growing or not (`ten`: 21 VM-seconds of misses, 4 GiB of
 * balloon churn); loans not owed, which came back a step an interval
 * (`noisy`'s quiet1 had borrowed 65,536 pages when its neighbour's
 * footprint jumped, and the neighbour spent 5 intervals below target
 * instead of 2).
 *
 * Above the band a VM shrinks toward its curve where the curve is
 * believed (rule 5).  Where it is not, it holds while every VM of the
 * host is at or above its target, and offers one step when one is below
 * (rule 4 takes only what that VM asks beyond the pool): the measurement,
 * above the band, is what allows the step, and the next interval checks
 * it.  Holding regardless starved the `diurnal` scenario's web for four
 * intervals at 0.65-0.67 while api held 65,536 pages for a need of 7,282
 * (a 32 MiB hot set whose marginal page had fewer than 4 samples).
 *
 * Notes: a VM with no samples in the window (measured NaN) holds; the
 * curve only predicts, the measurement decides the direction.  Before the
 * shared rules a VM above its band was shrunk toward its curve whatever the
 * pool held: on the demo (configs/cluster.yaml) `web` went from 52,428 pages
 * to 210 in two intervals and spent six seconds below its target with
 * 0.9-1.2 GiB free on its host.
 */
#include "rebalance_internal.h"

#include <math.h>
#include <stdlib.h>

#include "lib/alloc.h"

/* The lower of the window's and the last interval's measured hit ratio
 * (NaN if neither): a VM is above its band, or in it for headroom, by
 * the lower reading. */
static double measured_low(const struct tm_rb_vm *v)
{
	double w = v->measured_hit, l = v->measured_last;

	if (isnan(w))
		return l;
	return isnan(l) || w < l ? w : l;
}

/* What a VM's decision reads of its host: whether any VM is below its
 * target, and the pages idle: in the pool beyond the reserve, or lent as
 * headroom to VMs above their band (theirs to return on demand). */
struct host_view {
	bool starving;
	uint64_t idle;
};

static bool above_band(const struct tm_target_hit_config *c,
		       const struct tm_rb_vm *v)
{
	return measured_low(v) > v->target_hit + 2 * c->hysteresis;
}

/* Growth of a VM below its target: to the curve's want, or a step if the
 * curve says it has enough; by at most a step, or by what the pool holds
 * idle when that is more (FMEM no VM holds needs no bound: rule 1 keeps
 * a VM from taking much from the others in one interval). */
static uint64_t grow_to(const struct tm_rb_vm *v, uint64_t want,
			uint64_t step, const struct host_view *h)
{
	uint64_t up = step > h->idle ? step : h->idle;
	uint64_t t = want > v->cap_pages ? want : v->cap_pages + step;

	if (t > v->cap_pages + up)
		t = v->cap_pages + up;
	return t > v->ceil_pages ? v->ceil_pages : t;
}

/* One VM's desired target (its capacity if it holds). */
static uint64_t vm_target(const struct tm_target_hit_config *c,
			  struct tm_rb_vm *v, uint64_t step,
			  const struct host_view *h)
{
	double mid = v->target_hit + c->hysteresis, goal, pred;
	bool below, above;
	uint64_t want;

	if (isnan(v->measured_hit))
		return v->cap_pages;
	below = v->measured_hit < v->target_hit;
	above = above_band(c, v);
	if (!below && !above)
		return v->cap_pages;  /* in the band: hold, keep the feedback */
	pred = tm_curve_hits_at(&v->est, v->cap_pages);
	if (!isnan(pred))
		v->feedback += c->gain * (pred - v->measured_hit - v->feedback);
	v->feedback = fmin(c->feedback_max, fmax(-c->feedback_max, v->feedback));
	goal = fmin(1.0, fmax(0.0, mid + v->feedback));
	want = tm_curve_pages_for(&v->est, goal);
	if (below)
		return grow_to(v, want, step, h);
	/* While a VM of the host is below its target, headroom lent to
	 * this one goes back at once, a step at least */
	if (h->starving && v->lent_pages > step)
		step = v->lent_pages;
	if (want < v->cap_pages &&
	    tm_rb_curve_believed(&v->est, want, c->min_samples))
		return tm_rb_bounded(v, want, step);
	/* Not believed: hold, unless a VM of the host is below its target;
	 * then the measurement, above the band, offers that step (rule 4
	 * takes only what that VM asks beyond the pool) */
	if (!h->starving)
		return v->cap_pages;
	return tm_rb_bounded(v, v->cap_pages > step ? v->cap_pages - step : 0,
			     step);
}

/* May VM v borrow headroom?  In its band; above it (reading below 1: it
 * has SMEM accesses to serve) only while no VM of the host is below its
 * target. */
static bool may_borrow(const struct tm_target_hit_config *c,
		       const struct tm_rb_vm *v, uint64_t target,
		       bool starving)
{
	double m = measured_low(v);

	if (isnan(m) || m < v->target_hit || target != v->cap_pages ||
	    v->cap_pages >= v->ceil_pages)
		return false;
	return !above_band(c, v) || (!starving && m < 1.0);
}

/* The VM above its band, holding, that owes the most: it lends on to a
 * VM in its band (nr if none). */
static uint32_t next_lender(const struct tm_target_hit_config *c,
			    const struct tm_rb_vm *vms, uint32_t nr,
			    const uint64_t *target, uint32_t except)
{
	uint32_t best = nr;

	for (uint32_t j = 0; j < nr; j++) {
		if (j == except || !vms[j].lent_pages ||
		    target[j] != vms[j].cap_pages || !above_band(c, &vms[j]))
			continue;
		if (best == nr || vms[j].lent_pages > vms[best].lent_pages)
			best = j;
	}
	return best;
}

/* A VM whose new pages land in SMEM: its FMEM full, a step of pages
 * first touched over the last interval. */
static bool spilling(const struct tm_rb_vm *v, uint64_t step)
{
	return v->full && v->new_pages >= step;
}

/* Headroom (above): idle pool pages, a step each, lent to the VMs that
 * may borrow, closest to their target first; a VM in its band, or
 * spilling, once the pool is short of a step, takes it from what a VM
 * above its band owes.  borrowed[i]: VM i was lent to. */
static void headroom(const struct tm_target_hit_config *c,
		     const struct tm_rb_vm *vms, uint32_t nr,
		     uint64_t host_pages, uint64_t reserve, uint64_t step,
		     bool starving, uint64_t *target, bool *borrowed)
{
	uint64_t used = reserve, pool;

	for (uint32_t i = 0; i < nr; i++)
		used += target[i] > vms[i].cap_pages ? target[i] :
						       vms[i].cap_pages;
	pool = host_pages > used ? host_pages - used : 0;
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t best = nr, from;
		uint64_t take;

		for (uint32_t i = 0; i < nr; i++) {
			double m = measured_low(&vms[i]);

			if (!may_borrow(c, &vms[i], target[i], starving))
				continue;
			if (best == nr || m - vms[i].target_hit <
					  measured_low(&vms[best]) -
					  vms[best].target_hit)
				best = i;
		}
		if (best == nr)
			break;
		from = nr;   /* the pool */
		take = step;
		if (pool < step) {
			from = above_band(c, &vms[best]) &&
			       !spilling(&vms[best], step) ?
			       nr : next_lender(c, vms, nr, target, best);
			if (from == nr)
				break;
			if (vms[from].lent_pages < step)
				take = vms[from].lent_pages;
		}
		/* above its capacity now: may_borrow() passes it over */
		target[best] = tm_rb_bounded(&vms[best],
					     vms[best].cap_pages + take, step);
		take = target[best] - vms[best].cap_pages;   /* the ceiling */
		if (from == nr)
			pool -= take;
		else
			target[from] -= take;
		borrowed[best] = true;
	}
}

/* The loans after the grant: a borrower owes what it was granted; a
 * shrink repays; a VM below its target needed what it holds, and owes
 * nothing. */
static void settle_loans(struct tm_rb_vm *vms, uint32_t nr,
			 const uint64_t *target, const bool *borrowed)
{
	for (uint32_t i = 0; i < nr; i++) {
		struct tm_rb_vm *v = &vms[i];

		if (tm_rb_below(v))
			v->lent_pages = 0;
		else if (target[i] < v->cap_pages)
			v->lent_pages -= v->lent_pages < v->cap_pages - target[i] ?
					 v->lent_pages :
					 v->cap_pages - target[i];
		else if (borrowed[i])
			v->lent_pages += target[i] - v->cap_pages;
	}
}

static void target_hit_decide(const struct tm_rb_params *p,
			      struct tm_rb_vm *vms, uint32_t nr,
			      uint64_t *target)
{
	const struct tm_target_hit_config *c = p->own;
	uint64_t step = tm_rb_step_pages(c->sz_step, p->page_shift);
	double *urg = tm_xcalloc(nr, sizeof(*urg));
	bool *lend = tm_xcalloc(nr, sizeof(*lend));
	struct host_view h = { false, 0 };
	uint64_t held = tm_rb_reserve_pages(p), owed = 0;

	for (uint32_t i = 0; i < nr; i++) {
		h.starving |= tm_rb_below(&vms[i]);
		held += vms[i].cap_pages;
		if (above_band(c, &vms[i]))
			owed += vms[i].lent_pages;
	}
	h.idle = (p->host_pages > held ? p->host_pages - held : 0) + owed;
	for (uint32_t i = 0; i < nr; i++) {
		target[i] = vm_target(c, &vms[i], step, &h);
		if (!isnan(vms[i].measured_hit))
			urg[i] = vms[i].target_hit - measured_low(&vms[i]);
	}
	tm_rb_promise(vms, nr, step, target);
	if (c->headroom)
		headroom(c, vms, nr, p->host_pages, tm_rb_reserve_pages(p),
			 step, h.starving, target, lend);
	tm_rb_no_idle_shrink(vms, nr, p->host_pages, tm_rb_reserve_pages(p),
			     urg, target);
	tm_rb_grant(vms, nr, p->host_pages, urg, target);
	settle_loans(vms, nr, target, lend);
	free(lend);
	free(urg);
}

typedef struct tm_target_hit_config TH;

static const struct tm_cfg_key target_hit_keys[] = {
	TM_RB_STEP_KEY(TH),
	TM_CFG_KEY("hysteresis", TM_CFG_SHARE, 0, 1, "0.02", NULL, 0,
		   TM_CFG_F_DBL, TH, hysteresis,
		   "hold while the hit ratio is in [target, target + 2 x this] "
		   "(assumption)"),
	TM_CFG_KEY("gain", TM_CFG_DOUBLE, 0, 10, "0.5", NULL, 0, TM_CFG_F_DBL,
		   TH, gain,
		   "feedback += gain x (curve's hit ratio at the capacity - "
		   "measured - feedback) (assumption)"),
	TM_CFG_KEY("feedback_max", TM_CFG_SHARE, 0, 1, "0.2", NULL, 0,
		   TM_CFG_F_DBL, TH, feedback_max,
		   "the feedback is clamped to +-this (assumption)"),
	TM_RB_MIN_SAMPLES_KEY(TH),
	TM_CFG_KEY("headroom", TM_CFG_BOOL, 0, 0, "true", NULL, 0,
		   TM_CFG_F_BOOL, TH, headroom,
		   "idle FMEM lent, a step at a time, to VMs at or above "
		   "target, owed back on demand (tmsim's rule)"),
};

const struct tm_rebalancer_ops tm_rb_target_hit_ops = {
	.kind = {
		.name = "target-hit",
		.help = "VMs below their target_hit receive, VMs above donate; "
			"predicted by the estimated curve, corrected by feedback",
		.keys = target_hit_keys,
		.nr_keys = sizeof(target_hit_keys) / sizeof(target_hit_keys[0]),
		.config_size = sizeof(struct tm_target_hit_config),
		.flags = TM_RB_RESIZES | TM_RB_EST_CURVE,
	},
	.decide = target_hit_decide,
};
