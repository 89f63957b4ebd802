/*
 * rebalancer.c - the registry of rebalancing policies (DESIGN.md §6.4,
 * §12; STYLE.md habit 3) and what the built-in ones share.  Adding a policy
 * is adding its file and one row to the table below.
 *
 * All policies are tmsim's own design, and so are the rules below: no
 * rebalancer for the double balloon is published (reference/
 * sdh-and-demeter.md §5).  Each dynamic policy computes a desired capacity
 * per VM, then the shared rules apply (rebalance_internal.h), in this
 * order:
 *   1. bounded step: a VM moves from its capacity toward the desired one by
 *      at most step_pages per interval, within [floor, ceiling];
 *   3. the promise (policies that promise each VM its target: target-hit,
 *      proportional): a VM measured below its target, over the window or
 *      in the last interval alone, is never shrunk, and grows by at least
 *      a step in the same interval (from the free pool, rule 2);
 *   4. no idle shrink (every resizing policy): the pages shrinks free this
 *      interval are at most what growers ask beyond the free pool, plus
 *      what refills the pool to the host's `reserve` (default 0):
 *        Σ shrink ≤ max(0, Σ growth + reserve − free)
 *      the VMs of least urgency (most surplus) give first; the others hold.
 *      Shrinking only to park FMEM in an idle pool saves nothing a VM can
 *      use and risks the shrunk VM's target;
 *   2. grant: decreases are granted (the pages go to the host's free pool);
 *      increases are served from the pool (free pages now plus this
 *      interval's decreases) by priority, then largest urgency, then index,
 *      so Σ targets <= host FMEM.
 * and a test a policy makes before it shrinks on its estimated curve:
 *   5. measurement over the curve: the curve's "pages needed" is believed
 *      for shrinking only if the marginal page it names (the last page
 *      counted in) holds at least `min_samples` samples in the window
 *      (decayed counts; default 4, an assumption: a Poisson count below 4
 *      is ±50% noise, so the page's rank, and the curve's tail beyond it,
 *      are noise).  A curve that rests on fewer is not believed: the VM
 *      holds, and the measured hit ratio decides.  A Zipf footprint still
 *      being touched, sampled at 1 in 4093, gives one or two samples to
 *      most pages of its tail; its curve then claims far fewer pages than
 *      the VM needs.
 * Each policy's file has its control law in one line.
 */
#include "rebalancer.h"
#include "rebalance_internal.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

static const struct tm_kind *const builtin[] = {
	&tm_rb_static_ops.kind,
	&tm_rb_proportional_ops.kind,
	&tm_rb_target_hit_ops.kind,
	&tm_rb_utility_ops.kind,
	&tm_rb_oracle_ops.kind,
};

struct tm_kinds tm_policy_kinds = {
	.family = "policy",
	.builtin = builtin,
	.nr_builtin = sizeof(builtin) / sizeof(builtin[0]),
};

/* kind is the first member of the ops table. */
const struct tm_rebalancer_ops *tm_rebalancer_find(const char *name)
{
	return (const struct tm_rebalancer_ops *)tm_kinds_find(
		&tm_policy_kinds, name);
}

int tm_rebalancer_register(const struct tm_rebalancer_ops *ops,
			   struct tm_error *e)
{
	return tm_kinds_add(&tm_policy_kinds, &ops->kind, e);
}

typedef struct tm_rebalancer_config REBAL;

/* Keys every policy takes; `policy` selects the schema of the rest.  The
 * 1 s interval is Demeter's stats interval (reference §5), the balloon rate
 * its measured inflate rate; the rest are assumptions. */
const struct tm_cfg_key tm_rb_common_keys[] = {
	TM_CFG_KEY("policy", TM_CFG_STRING, 1, 15, "static", NULL, 0,
		   TM_CFG_F_STR, REBAL, policy,
		   "the policy (one of the policies below)"),
	TM_CFG_KEY("interval", TM_CFG_TIME, 1e6, 3600e9, "1s", NULL, 0,
		   TM_CFG_F_U64, REBAL, interval_ns,
		   "how often the policy runs (Demeter's stats interval)"),
	TM_CFG_KEY("window", TM_CFG_TIME, 1e6, 86400e9, "5s", NULL, 0,
		   TM_CFG_F_U64, REBAL, window_ns,
		   "sliding window of per-VM stats, at least interval "
		   "(assumption)"),
	TM_CFG_KEY("balloon_rate", TM_CFG_BRATE, 0, 1e13, "1GiB/s", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, REBAL, balloon_bytes_per_s,
		   "balloon resize rate (Demeter: inflate ~0.9-1.1 GiB/s)"),
	TM_CFG_KEY("balloon_msg_latency", TM_CFG_TIME, 0, 1e9, "50us", NULL, 0,
		   TM_CFG_F_U64, REBAL, balloon_msg_ns,
		   "latency per 256-page balloon message (assumption)"),
	TM_CFG_KEY("reserve", TM_CFG_SIZE, 0, 1125899906842624.0, "0", NULL,
		   0, TM_CFG_F_U64, REBAL, sz_reserve,
		   "FMEM a shrink may return to the host's free pool while no "
		   "VM needs it (rule 4; static ignores it)"),
	TM_CFG_KEY("unseen", TM_CFG_BOOL, 0, 0, "true", NULL, 0,
		   TM_CFG_F_BOOL, REBAL, unseen,
		   "estimated curves add the pages the samples did not show "
		   "(Chao1 pages, Good-Turing share; policies on estimated "
		   "curves only)"),
};
const size_t tm_rb_nr_common_keys =
	sizeof(tm_rb_common_keys) / sizeof(tm_rb_common_keys[0]);

int tm_rebalancer_config_default(struct tm_rebalancer_config *c,
				 const char *policy)
{
	const struct tm_rebalancer_ops *ops = tm_rebalancer_find(policy);

	memset(c, 0, sizeof(*c));
	if (!ops)
		return -1;
	tm_cfg_set_defaults(tm_rb_common_keys, tm_rb_nr_common_keys, c);
	strncpy(c->policy, policy, sizeof(c->policy) - 1);
	c->ops = ops;
	tm_cfg_set_defaults(ops->kind.keys, ops->kind.nr_keys, c->own.bytes);
	return 0;
}

/* ---- curves ------------------------------------------------------------- */

/* cum of the seen pages alone, i < nr - un_pages: the array, or the
 * first run that ends after i. */
static uint64_t seen_cum(const struct tm_curve *c, size_t i)
{
	const struct tm_curve_run *r;
	size_t lo = 0, hi;

	if (c->cum)
		return c->cum[i];
	hi = c->nr_runs - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->runs[mid].end > i)
			hi = mid;
		else
			lo = mid + 1;
	}
	r = &c->runs[lo];
	return r->cum_end - (uint64_t)(r->end - 1 - i) * r->count;
}

uint64_t tm_curve_cum(const struct tm_curve *c, size_t i)
{
	uint64_t before;

	assert(i < c->nr);
	if (i < c->un_at)
		return seen_cum(c, i);
	before = c->un_at ? seen_cum(c, c->un_at - 1) : 0;
	if (i < c->un_at + c->un_pages)
		return before + (uint64_t)(i - c->un_at + 1) * c->un_count;
	return seen_cum(c, i - c->un_pages) + c->un_pages * c->un_count;
}

uint64_t tm_curve_pages_for(const struct tm_curve *c, double h)
{
	double want;
	size_t lo = 0, hi;

	if (!c->nr || !c->total)
		return 0;
	if (h <= 0)
		return 0;
	want = h * (double)c->total;
	if ((double)tm_curve_cum(c, c->nr - 1) < want)
		return c->nr;
	hi = c->nr - 1;
	while (lo < hi) {  /* first i with cum[i] >= want */
		size_t mid = lo + (hi - lo) / 2;

		if ((double)tm_curve_cum(c, mid) >= want)
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
	return (double)tm_curve_cum(c, pages - 1) / (double)c->total;
}

/* Chao 1987 (bias-corrected form, Chao 2005) and Good 1953: the classic
 * estimators of unseen species and of their share of a sample.  A sampled
 * curve ends where the samples end; a hot set sampled twice per page on
 * average leaves about 1 page in 7 unseen, and a Zipf tail still being
 * touched far more, which made the curves claim too few pages. */
void tm_curve_unseen(uint64_t f1, uint64_t f2, uint64_t max_pages,
		     uint64_t *pages, uint32_t *count)
{
	double f0, c;

	*pages = 0;
	*count = 0;
	if (f1 < 2 || !max_pages)
		return;
	f0 = (double)f1 * (double)(f1 - 1) / (2.0 * (double)(f2 + 1));
	if (f0 > (double)max_pages)
		f0 = (double)max_pages;
	if (f0 < 1)
		return;
	*pages = (uint64_t)f0;
	c = (double)f1 / (double)*pages + 0.5;
	*count = c >= 4e9 ? UINT32_MAX : (c < 1 ? 1 : (uint32_t)c);
}

/* Seen pages (of the first nr) with more than k accesses each: the
 * counts do not increase along the curve. */
static size_t seen_above(const struct tm_curve *c, size_t nr, uint64_t k)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t n = seen_cum(c, mid) - (mid ? seen_cum(c, mid - 1) : 0);

		if (n > k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void tm_curve_add_unseen(struct tm_curve *c, uint64_t max_pages)
{
	size_t nr = c->nr - c->un_pages;
	size_t a1 = seen_above(c, nr, 1), a2 = seen_above(c, nr, 2);

	c->nr = nr;
	c->total -= c->un_pages * c->un_count;
	c->un_pages = 0;
	c->un_count = 0;
	c->un_at = nr;
	tm_curve_unseen(nr - a1, a1 - a2, max_pages, &c->un_pages,
			&c->un_count);
	if (!c->un_pages)
		return;
	c->un_at = seen_above(c, nr, c->un_count - 1);
	c->nr += c->un_pages;
	c->total += c->un_pages * c->un_count;
}

/* ---- the shared rules --------------------------------------------------- */

uint64_t tm_rb_step_pages(uint64_t sz_step, uint32_t page_shift)
{
	uint64_t step = sz_step >> page_shift;

	return step ? step : 1;
}

uint64_t tm_rb_reserve_pages(const struct tm_rb_params *p)
{
	return p->cfg->sz_reserve >> p->page_shift;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint64_t tm_rb_bounded(const struct tm_rb_vm *v, uint64_t desired,
		       uint64_t step)
{
	uint64_t t = desired;

	if (t > v->cap_pages + step)
		t = v->cap_pages + step;
	if (t + step < v->cap_pages)
		t = v->cap_pages - step;
	return clamp_u64(t, v->floor_pages, v->ceil_pages);
}

void tm_rb_grant(const struct tm_rb_vm *vms, uint32_t nr,
		 uint64_t host_pages, const double *urgency, uint64_t *target)
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

bool tm_rb_below(const struct tm_rb_vm *v)
{
	return v->measured_hit < v->target_hit ||
	       v->measured_last < v->target_hit;   /* NaN compares false */
}

void tm_rb_promise(const struct tm_rb_vm *vms, uint32_t nr, uint64_t step,
		   uint64_t *target)
{
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t grow = vms[i].cap_pages + step;

		if (!tm_rb_below(&vms[i]))
			continue;
		if (grow > vms[i].ceil_pages)
			grow = vms[i].ceil_pages;
		if (target[i] < grow)
			target[i] = grow > vms[i].cap_pages ? grow :
				    vms[i].cap_pages;
	}
}

/* The shrinking VM of least urgency not yet served (nr if none). */
static uint32_t next_donor(const struct tm_rb_vm *vms, uint32_t nr,
			   const double *urgency, const bool *done,
			   const uint64_t *target)
{
	uint32_t best = nr;

	for (uint32_t i = 0; i < nr; i++) {
		if (done[i] || target[i] >= vms[i].cap_pages)
			continue;
		if (best == nr || urgency[i] < urgency[best])
			best = i;
	}
	return best;
}

void tm_rb_no_idle_shrink(const struct tm_rb_vm *vms, uint32_t nr,
			  uint64_t host_pages, uint64_t reserve_pages,
			  const double *urgency, uint64_t *target)
{
	uint64_t used = 0, grow = 0, free_pages, allow;
	bool *done = tm_xcalloc(nr, sizeof(*done));

	for (uint32_t i = 0; i < nr; i++) {
		used += vms[i].cap_pages;
		if (target[i] > vms[i].cap_pages)
			grow += target[i] - vms[i].cap_pages;
	}
	free_pages = host_pages > used ? host_pages - used : 0;
	allow = grow + reserve_pages > free_pages ?
		grow + reserve_pages - free_pages : 0;
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t d = next_donor(vms, nr, urgency, done, target);
		uint64_t give;

		if (d == nr)
			break;
		done[d] = true;
		give = vms[d].cap_pages - target[d];
		if (give > allow)
			give = allow;
		target[d] = vms[d].cap_pages - give;
		allow -= give;
	}
	free(done);
}

bool tm_rb_curve_believed(const struct tm_curve *c, uint64_t pages,
			  double min_samples)
{
	uint64_t last;

	if (min_samples <= 0)
		return true;
	if (!pages || pages > c->nr)
		return false;
	last = tm_curve_cum(c, pages - 1) -
	       (pages > 1 ? tm_curve_cum(c, pages - 2) : 0);
	return (double)last >= min_samples;
}

/* ---- greedy (utility, oracle) ------------------------------------------- */

/* The VM whose next chunk gains the most hits (nr if none gains). */
static uint32_t best_gain(const struct tm_rb_vm *vms, uint32_t nr,
			  const uint64_t *alloc, uint64_t chunk, bool truth)
{
	uint32_t best = nr;
	double best_gain = 0;

	for (uint32_t i = 0; i < nr; i++) {
		const struct tm_curve *c = truth ? &vms[i].truth : &vms[i].est;
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
	return best;
}

/* Greedy allocation by marginal hits per chunk, from the floors up. */
static void greedy(const struct tm_rb_vm *vms, uint32_t nr,
		   uint64_t host_pages, bool truth, uint64_t *alloc)
{
	uint64_t left = host_pages, chunk = host_pages / 1024 + 1;

	for (uint32_t i = 0; i < nr; i++) {
		alloc[i] = vms[i].floor_pages < left ? vms[i].floor_pages : left;
		left -= alloc[i];
	}
	while (left) {
		uint32_t best = best_gain(vms, nr, alloc, chunk, truth);

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

void tm_rb_greedy_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			 uint32_t nr, uint64_t step, bool truth,
			 uint64_t *target)
{
	uint64_t *alloc = tm_xcalloc(nr, sizeof(*alloc));
	double *urg = tm_xcalloc(nr, sizeof(*urg));

	greedy(vms, nr, p->host_pages, truth, alloc);
	for (uint32_t i = 0; i < nr; i++) {
		target[i] = tm_rb_bounded(&vms[i], alloc[i], step);
		urg[i] = (double)alloc[i] - (double)vms[i].cap_pages;
	}
	tm_rb_no_idle_shrink(vms, nr, p->host_pages, tm_rb_reserve_pages(p),
			     urg, target);
	tm_rb_grant(vms, nr, p->host_pages, urg, target);
	free(alloc);
	free(urg);
}
