/*
 * rebalancer.c - FMEM rebalancing policies (see rebalancer.h).
 *
 * All policies are tmsim's own design (no public rebalancer exists,
 * reference/sdh-and-demeter.md §5).  Each computes a desired capacity per
 * VM, then two shared rules apply:
 *   1. bounded step: a VM moves from its capacity toward the desired one by
 *      at most step_pages per interval, within [floor, ceiling];
 *   2. grant: decreases are always granted (the pages go to the host's free
 *      pool); increases are served from the pool (free pages now plus this
 *      interval's decreases) by priority, then largest deficit, then index,
 *      so Σ targets <= host FMEM.
 *
 * Control laws, one line each:
 *   static:       desired = capacity
 *   proportional: desired_v = host × hs_v / Σ hs,   hs_v = pages_for(est_v, target_v)
 *   target-hit:   band = [target, target + 2·hyst]; outside it:
 *                 fb_v += g·(target_v + hyst − measured_v);  desired_v = pages_for(est_v, target_v + hyst + fb_v)
 *                 below the band grow (by a step if the curve says enough), above it shrink
 *   utility:      greedy chunks to the VM of largest rate_v·Δhits_v(est) until no gain
 *   oracle:       utility on the true curves (an upper bound)
 */
#include "rebalancer.h"

#include "lib/alloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint64_t tm_curve_pages_for(const struct tm_curve *c, double h)
{
	double want;
	size_t lo = 0, hi;

	if (!c->nr || !c->total)
		return 0;
	if (h <= 0)
		return 0;
	want = h * (double)c->total;
	if ((double)c->cum[c->nr - 1] < want)
		return c->nr;
	hi = c->nr - 1;
	while (lo < hi) {  /* first i with cum[i] >= want */
		size_t mid = lo + (hi - lo) / 2;

		if ((double)c->cum[mid] >= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo + 1;
}

double tm_curve_hits_at(const struct tm_curve *c, uint64_t pages)
{
	if (!c->nr || !c->total)
		return NAN;
	if (!pages)
		return 0;
	if (pages > c->nr)
		pages = c->nr;
	return (double)c->cum[pages - 1] / (double)c->total;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Rule 1: move toward desired by at most step, within [floor, ceiling]. */
static uint64_t bounded(const struct tm_rb_vm *v, uint64_t desired,
			uint64_t step)
{
	uint64_t t = desired;

	if (t > v->cap_pages + step)
		t = v->cap_pages + step;
	if (t + step < v->cap_pages)
		t = v->cap_pages - step;
	return clamp_u64(t, v->floor_pages, v->ceil_pages);
}

/* Rule 2: grant decreases, serve increases from the pool in order. */
static void grant(const struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		  const double *urgency, uint64_t *target)
{
	uint64_t used = 0, pool;
	bool *done = tm_xcalloc(nr, sizeof(*done));

	for (uint32_t i = 0; i < nr; i++)
		used += target[i] > vms[i].cap_pages ? vms[i].cap_pages :
						       target[i];
	pool = host_pages > used ? host_pages - used : 0;
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t best = nr;

		for (uint32_t i = 0; i < nr; i++) {
			if (done[i] || target[i] <= vms[i].cap_pages)
				continue;
			if (best == nr || vms[i].priority > vms[best].priority ||
			    (vms[i].priority == vms[best].priority &&
			     urgency[i] > urgency[best]))
				best = i;
		}
		if (best == nr)
			break;
		done[best] = true;
		if (target[best] - vms[best].cap_pages > pool)
			target[best] = vms[best].cap_pages + pool;
		pool -= target[best] - vms[best].cap_pages;
	}
	free(done);
}

static void rb_static(const struct tm_rebalancer_config *cfg,
		      struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		      uint64_t step, uint64_t *target)
{
	(void)cfg;
	(void)host_pages;
	(void)step;
	for (uint32_t i = 0; i < nr; i++)
		target[i] = vms[i].cap_pages;
}

static void rb_proportional(const struct tm_rebalancer_config *cfg,
			    struct tm_rb_vm *vms, uint32_t nr,
			    uint64_t host_pages, uint64_t step, uint64_t *target)
{
	double sum = 0, *urg = tm_xcalloc(nr, sizeof(*urg));
	uint64_t *hs = tm_xcalloc(nr, sizeof(*hs));

	(void)cfg;
	for (uint32_t i = 0; i < nr; i++) {
		hs[i] = tm_curve_pages_for(&vms[i].est, vms[i].target_hit);
		sum += (double)hs[i];
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t want = sum > 0 ? (uint64_t)((double)host_pages *
					  (double)hs[i] / sum) : vms[i].cap_pages;

		target[i] = bounded(&vms[i], want, step);
		urg[i] = (double)want - (double)vms[i].cap_pages;
	}
	grant(vms, nr, host_pages, urg, target);
	free(hs);
	free(urg);
}

static void rb_target_hit(const struct tm_rebalancer_config *cfg,
			  struct tm_rb_vm *vms, uint32_t nr,
			  uint64_t host_pages, uint64_t step, uint64_t *target)
{
	double *urg = tm_xcalloc(nr, sizeof(*urg));

	for (uint32_t i = 0; i < nr; i++) {
		struct tm_rb_vm *v = &vms[i];
		double mid = v->target_hit + cfg->hysteresis, goal;
		bool below, above;
		uint64_t want;

		target[i] = v->cap_pages;
		if (isnan(v->measured_hit))
			continue;
		below = v->measured_hit < v->target_hit;
		above = v->measured_hit > v->target_hit + 2 * cfg->hysteresis;
		urg[i] = v->target_hit - v->measured_hit;
		if (!below && !above)
			continue;  /* in the band: hold, keep the feedback */
		v->feedback += TM_RB_FEEDBACK_GAIN * (mid - v->measured_hit);
		v->feedback = fmin(TM_RB_FEEDBACK_MAX,
				   fmax(-TM_RB_FEEDBACK_MAX, v->feedback));
		goal = fmin(1.0, fmax(0.0, mid + v->feedback));
		want = tm_curve_pages_for(&v->est, goal);
		if (below)  /* grow; if the curve says enough, probe a step */
			target[i] = bounded(v, want > v->cap_pages ? want :
					    v->cap_pages + step, step);
		else if (want < v->cap_pages)
			target[i] = bounded(v, want, step);
	}
	grant(vms, nr, host_pages, urg, target);
	free(urg);
}

/* Greedy allocation by marginal hits per chunk, from the floors up. */
static void greedy(struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		   bool truth, uint64_t *alloc)
{
	uint64_t left = host_pages, chunk = host_pages / 1024 + 1;

	for (uint32_t i = 0; i < nr; i++) {
		alloc[i] = vms[i].floor_pages < left ? vms[i].floor_pages : left;
		left -= alloc[i];
	}
	while (left) {
		uint32_t best = nr;
		double best_gain = 0;

		for (uint32_t i = 0; i < nr; i++) {
			const struct tm_curve *c = truth ? &vms[i].truth :
							   &vms[i].est;
			uint64_t n = alloc[i] + chunk;
			double gain;

			if (alloc[i] >= vms[i].ceil_pages)
				continue;
			if (n > vms[i].ceil_pages)
				n = vms[i].ceil_pages;
			gain = vms[i].rate * (tm_curve_hits_at(c, n) -
					      tm_curve_hits_at(c, alloc[i]));
			if (gain > best_gain) {
				best_gain = gain;
				best = i;
			}
		}
		if (best == nr)
			break;
		chunk = chunk < left ? chunk : left;
		if (alloc[best] + chunk > vms[best].ceil_pages)
			chunk = vms[best].ceil_pages - alloc[best];
		alloc[best] += chunk;
		left -= chunk;
		chunk = host_pages / 1024 + 1;
	}
}

static void rb_greedy(struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		      uint64_t step, uint64_t *target, bool truth)
{
	uint64_t *alloc = tm_xcalloc(nr, sizeof(*alloc));
	double *urg = tm_xcalloc(nr, sizeof(*urg));

	greedy(vms, nr, host_pages, truth, alloc);
	for (uint32_t i = 0; i < nr; i++) {
		target[i] = bounded(&vms[i], alloc[i], step);
		urg[i] = (double)alloc[i] - (double)vms[i].cap_pages;
	}
	grant(vms, nr, host_pages, urg, target);
	free(alloc);
	free(urg);
}

static void rb_utility(const struct tm_rebalancer_config *cfg,
		       struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		       uint64_t step, uint64_t *target)
{
	(void)cfg;
	rb_greedy(vms, nr, host_pages, step, target, false);
}

static void rb_oracle(const struct tm_rebalancer_config *cfg,
		      struct tm_rb_vm *vms, uint32_t nr, uint64_t host_pages,
		      uint64_t step, uint64_t *target)
{
	(void)cfg;
	rb_greedy(vms, nr, host_pages, step, target, true);
}

static const struct tm_rebalancer_ops policies[] = {
	{ "static", rb_static },
	{ "proportional", rb_proportional },
	{ "target-hit", rb_target_hit },
	{ "utility", rb_utility },
	{ "oracle", rb_oracle },
};

const struct tm_rebalancer_ops *tm_rebalancer_find(const char *name)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (!strcmp(policies[i].name, name))
			return &policies[i];
	return NULL;
}
