/*
 * rebalance.c - the FMEM of one host: balloon steps and the rebalancer loop
 * (DESIGN.md §6.4; reference/sdh-and-demeter.md §5).
 *
 * BALLOON_STEP events move each VM's FMEM capacity toward its target by the
 * rules of models/balloon.c, one message per step; this file applies a
 * step's move to the VM's capacity and the host's free pool and schedules
 * what follows.  A shrink below the VM's resident FMEM first demotes its
 * coldest pages through the migration engine (charged as migration); the
 * pages go to the pool when those demotions land (MIGRATION_DONE, arg 1).
 * Conservation: Σ (capacity + pages being released) + pool = host FMEM.
 *
 * Every REBALANCE interval the host gathers per-VM stats over a sliding
 * window and asks its policy (models/rebalance/, tmsim's own design) for
 * target capacities; the policy's flags say which stats it reads.
 *
 * Notes (simplifications):
 * - The window of per-page counts is exponentially decayed: each interval
 *   multiplies it by 1 − interval/window, then adds the interval's counts.
 *   Hit ratios use an exact ring of the last window/interval intervals.
 * - True curves of a generated trace with distribution truth (DESIGN.md §7)
 *   are each touched page's expected accesses over the last interval, not
 *   its decayed counts, and their total is the distribution's (pages not
 *   touched yet included, though not on the curve: until a page is touched
 *   the VM has no slot for it).  A sample count is one noisy draw: it makes
 *   a flat distribution look steep.
 */
#include "rebalance.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "traces/gen/dist.h"

int tm_rebalance_init(struct tm_rebalance *r, const struct tm_config *cfg,
		      const struct tm_host_config *hc, struct tm_vm_rt *vms,
		      struct tm_eventq *q, struct tm_error *err)
{
	memset(r, 0, sizeof(*r));
	r->cfg = &hc->rebalancer;
	r->balloon = (struct tm_balloon_cfg){
		.page_shift = cfg->page_shift,
		.bytes_per_s = hc->rebalancer.balloon_bytes_per_s,
		.msg_latency_ns = hc->rebalancer.balloon_msg_ns,
	};
	r->epoch_ns = cfg->epoch_ns;
	r->vms = vms;
	r->nr_vms = hc->nr_vms;
	r->q = q;
	r->vm = tm_xcalloc(hc->nr_vms, sizeof(*r->vm));
	r->host_pages = hc->sz_fmem >> cfg->page_shift;
	r->pool_pages = r->host_pages;
	for (uint32_t v = 0; v < hc->nr_vms; v++) {
		tm_balloon_init(&r->vm[v].bl, vms[v].nr_fmem_cap_pages);
		r->pool_pages -= vms[v].nr_fmem_cap_pages;
	}
	r->ops = hc->rebalancer.ops;   /* the loader found the policy */
	if (!r->ops)
		return tm_error_set(err, TM_ERR_CONFIG,
				    "host %s: no rebalancer policy '%s'",
				    hc->name, hc->rebalancer.policy);
	r->rb_vms = tm_xcalloc(hc->nr_vms, sizeof(*r->rb_vms));
	r->rb_target = tm_xcalloc(hc->nr_vms, sizeof(*r->rb_target));
	return 0;
}

void tm_rebalance_release(struct tm_rebalance *r)
{
	for (uint32_t v = 0; r->vm && v < r->nr_vms; v++) {
		struct tm_rebalance_vm *b = &r->vm[v];

		free(b->win_est);
		free(b->win_true);
		free(b->snap_true);
		free(b->curve_est.mem);
		free(b->curve_true.mem);
		b->win_est = b->win_true = NULL;
		b->snap_true = NULL;
		b->win_cap = 0;
		b->curve_est = b->curve_true = (struct tm_rb_curve){ 0 };
	}
}

void tm_rebalance_destroy(struct tm_rebalance *r)
{
	tm_rebalance_release(r);
	free(r->vm);
	free(r->rb_vms);
	free(r->rb_target);
	memset(r, 0, sizeof(*r));
}

static void schedule_step(struct tm_rebalance *r, uint32_t v, uint64_t at_ns)
{
	tm_eventq_push(r->q, at_ns, TM_EV_BALLOON_STEP, v, 0);
}

/* A shrink below the resident pages: the capacity is already lowered, so
 * the migrator demotes the excess coldest pages. */
static void demote_for(struct tm_rebalance *r, struct tm_vm_rt *vm,
		       uint32_t v, uint64_t now_ns)
{
	if (!tm_vm_plan_migration(vm, now_ns, r->epoch_ns))
		vm->busy_until_ns = now_ns;  /* nothing to move after all */
	tm_eventq_push(r->q, vm->busy ? vm->busy_until_ns : now_ns,
		       TM_EV_MIGRATION_DONE, v, 1);
}

/* Pages reached the pool: a grower that found it empty resumes now, not
 * at the next rebalance (a shrink and the growth it serves are decided
 * in the same interval, rule 4). */
static void wake_growers(struct tm_rebalance *r, uint64_t now_ns)
{
	for (uint32_t u = 0; u < r->nr_vms; u++) {
		struct tm_balloon *bl = &r->vm[u].bl;

		if (bl->target_pages > r->vms[u].nr_fmem_cap_pages &&
		    tm_balloon_retarget(bl, bl->target_pages,
					r->vms[u].nr_fmem_cap_pages))
			schedule_step(r, u, now_ns);
	}
}

void tm_rebalance_balloon_step(struct tm_rebalance *r, uint32_t v,
			       uint64_t now_ns)
{
	struct tm_vm_rt *vm = &r->vms[v];
	struct tm_balloon_view view = {
		.cap_pages = vm->nr_fmem_cap_pages,
		.resident_pages = tm_vm_fmem_held(vm),
		.pool_pages = r->pool_pages,
		.migrating = vm->busy,
	};
	struct tm_balloon_move m = tm_balloon_step(&r->vm[v].bl, &r->balloon,
						   &view);

	switch (m.op) {
	case TM_BALLOON_INFLATE:
		vm->nr_fmem_cap_pages -= m.nr_pages;
		vm->cap_changed_this_epoch |= m.nr_pages > 0;
		r->pool_pages += m.nr_pages;
		schedule_step(r, v, now_ns + m.msg_ns);
		wake_growers(r, now_ns);
		break;
	case TM_BALLOON_DEFLATE:
		vm->nr_fmem_cap_pages += m.nr_pages;
		vm->cap_changed_this_epoch |= m.nr_pages > 0;
		if (vm->nr_fmem_cap_pages > vm->nr_fmem_cap_max_epoch)
			vm->nr_fmem_cap_max_epoch = vm->nr_fmem_cap_pages;
		r->pool_pages -= m.nr_pages;
		schedule_step(r, v, now_ns + m.msg_ns);
		break;
	case TM_BALLOON_WAIT:
		schedule_step(r, v, vm->busy_until_ns);
		break;
	case TM_BALLOON_DEMOTE:
		vm->nr_fmem_cap_pages -= m.nr_pages;
		demote_for(r, vm, v, now_ns);
		break;
	case TM_BALLOON_NONE:
		break;
	}
	assert(tm_rebalance_check(r));
}

void tm_rebalance_released(struct tm_rebalance *r, uint32_t v,
			   uint64_t now_ns)
{
	uint64_t d = tm_balloon_release(&r->vm[v].bl);

	if (!d)
		return;
	r->pool_pages += d;
	wake_growers(r, now_ns);
	tm_rebalance_balloon_step(r, v, now_ns);
}

int tm_rebalance_check(const struct tm_rebalance *r)
{
	uint64_t sum = r->pool_pages;

	for (uint32_t v = 0; v < r->nr_vms; v++) {
		const struct tm_vm_rt *vm = &r->vms[v];

		sum += vm->nr_fmem_cap_pages + r->vm[v].bl.pending_release;
		if (vm->nr_fmem_cap_pages > (vm->cfg->sz_fmem_ceiling >>
					     vm->page_shift) ||
		    vm->nr_fmem_cap_pages < (vm->cfg->sz_fmem_floor >>
					     vm->page_shift))
			return 0;
	}
	return sum == r->host_pages;
}

/* ---- the rebalancer's view of a VM: sliding window and curves ---- */

/* need_est: the estimated window is kept too (the policy's
 * TM_RB_EST_CURVE; fixed for a host's run), and the VM keeps the snapshot
 * of its sample counts at the tick (tm_vm_smp_tick_use).  Other policies
 * never touch either, so neither is allocated: 12 bytes per page less.
 * With distribution truth neither the true window nor its snapshot is
 * kept (16 more): a page's expectation is looked up when it is first
 * valued or when the window's shape changes, and the curve holds the
 * values (window_curve).  The curves are no per-page arrays
 * (tm_rb_curve_keep). */
static void ensure_window(struct tm_vm_rt *vm, struct tm_rebalance_vm *b,
			  bool need_est)
{
	uint32_t cap = vm->arr_cap, old = b->win_cap;

	if (cap <= old)
		return;
#define GROW(a) TM_XGROW_ZEROED(b->a, old, cap)
	if (need_est) {
		GROW(win_est);
		tm_vm_smp_tick_use(vm);   /* its snapshot: the VM's (vm.h) */
	}
	if (!vm->dist_rb) {   /* expectations need no window */
		GROW(win_true);
		GROW(snap_true);
	}
#undef GROW
	b->win_cap = cap;
}

/* LSD radix sort of n keys, descending.  Kept rather than lib/heap.h's
 * heapsort: a curve needs every count sorted, not the k first, and 32-bit
 * counts radix-sort in 4 linear passes.  Callgrind, configs/sweeps/base.yaml
 * replay: 51.6 M instructions here against 177 M for lib/heap's sort in its
 * place (+3.3% of the whole run).  Ties do not matter: only values reach
 * the curve.  The four bytes' counts are taken in one read, and a byte
 * that is the same in every key is skipped (its pass, stable, would
 * change nothing): a window's counts are mostly below 2^16, and one host
 * of the cluster bench spent 6% of its instructions here with every pass
 * run. */
static void radix_desc(uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t count[4][257] = { { 0 } };
	uint32_t *src = a, *dst = tmp;

	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < 4; b++)
			count[b][255 - ((a[i] >> (8 * b)) & 255) + 1]++;
	for (unsigned b = 0; b < 4; b++) {
		size_t *at = count[b];
		unsigned shift = 8 * b;
		uint32_t *t;

		if (n && at[255 - ((a[0] >> shift) & 255) + 1] == n)
			continue;   /* one value of this byte: in order */
		for (unsigned k = 1; k <= 256; k++)
			at[k] += at[k - 1];
		for (size_t i = 0; i < n; i++)
			dst[at[255 - ((src[i] >> shift) & 255)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* cv's memory for sz bytes at least (its contents kept). */
static void curve_room(struct tm_rb_curve *cv, size_t sz)
{
	if (sz <= cv->sz_mem)
		return;
	cv->sz_mem = sz > 2 * cv->sz_mem ? sz : 2 * cv->sz_mem;
	cv->mem = tm_xrealloc(cv->mem, cv->sz_mem);
}

/* Runs pay: one host of the cluster bench (10 VMs, 60 s) has at most
 * 5,847 runs for 26,043 pages on a true curve, 173 for 19,900 on an
 * estimated one, two on a hot set's true curve.  The curves were two
 * per-page arrays alive all run (their sort in their own memory: 4-8 bytes
 * a touched page each); now the sort's memory is the host's, lent per
 * thread. */
void tm_rb_curve_keep(struct tm_rb_curve *cv, const uint32_t *val, size_t n)
{
	const size_t run_sz = sizeof(struct tm_curve_run);
	uint64_t sum = 0;
	size_t k = 0;

	cv->c = (struct tm_curve){ .nr = n };
	/* runs, in one pass, while they take less room than the array */
	for (size_t i = 0; i < n && 2 * k < n; i++) {
		sum += val[i];
		if (i + 1 < n && val[i] == val[i + 1])
			continue;
		curve_room(cv, (k + 1) * run_sz);
		((struct tm_curve_run *)cv->mem)[k++] =
			(struct tm_curve_run){ sum, (uint32_t)(i + 1), val[i] };
	}
	if (2 * k < n) {   /* every page in a run, and 16 k < 8 n */
		cv->c.runs = cv->mem;
		cv->c.nr_runs = k;
		cv->c.total = sum;
		return;
	}
	curve_room(cv, n * sizeof(uint64_t));
	sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += val[i];
		((uint64_t *)cv->mem)[i] = sum;
	}
	cv->c.cum = cv->mem;
	cv->c.total = sum;
}

/* The values of cv's curve, descending, merged with add[0, m) (sorted
 * descending) into out: the array tm_rb_curve_keep() was given, and the
 * new values in it. */
static size_t curve_merge(const struct tm_rb_curve *cv, const uint32_t *add,
			  size_t m, uint32_t *out)
{
	const struct tm_curve *c = &cv->c;
	size_t n = 0, j = 0, run = 0;

	for (size_t i = 0; i < c->nr; i++) {
		uint32_t v;

		if (c->runs) {
			while (i >= c->runs[run].end)
				run++;
			v = c->runs[run].count;
		} else {
			v = (uint32_t)(c->cum[i] - (i ? c->cum[i - 1] : 0));
		}
		while (j < m && add[j] > v)
			out[n++] = add[j++];
		out[n++] = v;
	}
	while (j < m)
		out[n++] = add[j++];
	return n;
}

/* The true curve of distribution truth, over the interval dist is set to
 * (tm_gen_dist_window): every touched page's expected accesses, sorted
 * (the true curve of a generated trace: a sample count would be one noisy
 * draw of it, which a window smooths; an expectation needs no smoothing).
 * It lists touched pages only; the caller sets its total to the
 * distribution's, which counts the pages not touched yet.  Over a
 * window whose expectations are the last one's (tm_gen_dist_value_sig,
 * the signature select_dist keeps its cache by: a stationary distribution
 * over intervals of equal length) the pages valued at the last tick keep
 * their values, so the curve is the last one
 * with the new pages' values merged in, the same values in the same order
 * as a sort of them all (the radix sort and the loop over every page were
 * 25% of the cluster bench's instructions); the new pages are then at
 * most half of them, so their values and the radix passes' scratch fit
 * the upper half of sort.  Otherwise every page is looked up (a Zipf
 * page's expectation is a rank lookup and a pow).  No per-page window is
 * kept: the curve holds the values. */
static void dist_curve(struct tm_vm_rt *vm, struct tm_rebalance_vm *b,
		       const struct tm_gen_dist *dist, uint32_t *sort,
		       struct tm_rb_curve *cv)
{
	uint64_t sig = tm_gen_dist_value_sig(dist);
	uint32_t from = sig && sig == b->dist_sig &&
			2 * (size_t)(vm->pm.nr - b->dist_nr_valued) <=
			vm->pm.nr ? b->dist_nr_valued : 0;
	uint32_t *val = from ? sort + vm->pm.nr : sort;
	size_t m = 0;

	for (uint32_t i = from; i < vm->pm.nr; i++) {
		double w = tm_gen_dist_expected(dist,
						tm_pagemap_page(&vm->pm, i));

		if (w >= 0.5)
			val[m++] = w >= 4e9 ? UINT32_MAX : (uint32_t)(w + 0.5);
	}
	b->dist_sig = sig;
	b->dist_nr_valued = vm->pm.nr;
	if (!from) {
		radix_desc(val, sort + vm->pm.nr, m);
		tm_rb_curve_keep(cv, val, m);
	} else if (m) {   /* else the curve is the last one */
		radix_desc(val, val + m, m);
		tm_rb_curve_keep(cv, sort, curve_merge(cv, val, m, sort));
	}
}

/* Decay the window, add the interval, and rebuild one curve of the
 * page's counts: TM_ACC since snap (snap_true), or without snap TM_SMP
 * since the VM's snapshot of the last tick (tm_vm_smp_since_tick).  The
 * curve lists touched pages only.  sort: room for two 32-bit entries per
 * touched page, lent by the host (the values, then the radix passes'
 * scratch). */
static void window_curve(struct tm_vm_rt *vm, double *win, uint64_t *snap,
			 double decay, uint32_t *sort, struct tm_rb_curve *cv)
{
	uint32_t *val = sort, *tmp = sort + vm->pm.nr;
	size_t n = 0;

	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		uint64_t gain = snap ? TM_ACC(vm, i) - snap[i] :
				tm_vm_smp_since_tick(vm, i);
		double w = win[i] * decay + (double)gain;

		win[i] = w;
		if (snap)
			snap[i] = TM_ACC(vm, i);
		else
			tm_vm_smp_tick_take(vm, i);
		if (w >= 0.5)
			val[n++] = w >= 4e9 ? UINT32_MAX : (uint32_t)(w + 0.5);
	}
	radix_desc(val, tmp, n);
	tm_rb_curve_keep(cv, val, n);
}

/* The interval's counters into the ring (returned), and the pages first
 * touched in it. */
static const struct tm_rb_interval *ring_close(const struct tm_vm_rt *vm,
					       struct tm_rebalance_vm *b)
{
	struct tm_rb_interval *iv = &b->ring[b->ring_pos];

	iv->samples = vm->total.nr_samples - b->at_tick.nr_samples;
	iv->samples_fmem = vm->total.samples_fmem - b->at_tick.samples_fmem;
	iv->accesses = vm->total.nr_accesses - b->at_tick.nr_accesses;
	iv->hits_fmem = vm->total.hits_fmem - b->at_tick.hits_fmem;
	b->at_tick = vm->total;
	b->new_pages = vm->pm.nr - b->pages_at_tick;
	b->pages_at_tick = vm->pm.nr;
	b->ring_pos = (b->ring_pos + 1) % TM_RB_RING;
	if (b->ring_nr < TM_RB_RING)
		b->ring_nr++;
	return iv;
}

/* Close the interval: ring of counters, curves, SLO and need metrics. */
static void vm_tick(const struct tm_rebalance *r, struct tm_vm_rt *vm,
		    struct tm_rebalance_vm *b, uint64_t now_ns, bool need_est,
		    uint32_t *sort)
{
	const struct tm_rebalancer_config *rc = r->cfg;
	double decay = 1.0 - (double)rc->interval_ns / (double)rc->window_ns;
	const struct tm_rb_interval *iv = ring_close(vm, b);
	struct tm_curve *tc;
	double ratio;

	ensure_window(vm, b, need_est);
	if (decay < 0)
		decay = 0;
	if (vm->dist_rb)   /* the total counts the pages not touched yet */
		b->dist_total = tm_gen_dist_window(vm->dist_rb,
			now_ns > rc->interval_ns ? now_ns - rc->interval_ns : 0,
			now_ns);
	if (vm->dist_rb)
		dist_curve(vm, b, vm->dist_rb, sort, &b->curve_true);
	else
		window_curve(vm, b->win_true, b->snap_true, decay, sort,
			     &b->curve_true);
	tc = &b->curve_true.c;
	if (vm->dist_rb && b->dist_total > (double)tc->total)
		tc->total = (uint64_t)(b->dist_total + 0.5);
	if (need_est) {
		window_curve(vm, b->win_est, NULL, decay, sort,
			     &b->curve_est);
		vm->smp_tick_samples = vm->total.nr_samples;
	}
	b->need_now_pages = tm_curve_pages_for(tc, vm->cfg->target_hit);
	if (b->need_now_pages > b->need_max_pages)
		b->need_max_pages = b->need_now_pages;
	b->sum_cap_pages += (double)vm->nr_fmem_cap_pages;
	b->nr_ticks++;
	/* SLO: the interval's true FMEM hit ratio against the target. */
	if (!iv->accesses)
		return;
	ratio = (double)iv->hits_fmem / (double)iv->accesses;
	if (ratio < vm->cfg->target_hit) {
		b->slo_miss_ns += rc->interval_ns;
		if (!b->in_miss) {
			b->in_miss = true;
			b->miss_start_ns = now_ns - rc->interval_ns;
			b->nr_episodes++;
		}
	} else if (b->in_miss) {
		uint64_t d = now_ns - b->miss_start_ns;

		b->in_miss = false;
		b->sum_recover_ns += d;
		b->nr_recovered++;
		if (d > b->max_recover_ns)
			b->max_recover_ns = d;
	}
}

/* The sampled FMEM hit ratio over the window's intervals. */
static double window_hit(const struct tm_rebalance_vm *b, uint32_t nr_iv)
{
	uint64_t s = 0, f = 0;

	if (nr_iv > b->ring_nr)
		nr_iv = b->ring_nr;
	for (uint32_t k = 1; k <= nr_iv; k++) {
		const struct tm_rb_interval *iv =
			&b->ring[(b->ring_pos + TM_RB_RING - k) % TM_RB_RING];

		s += iv->samples;
		f += iv->samples_fmem;
	}
	return s ? (double)f / (double)s : NAN;
}

static void fill_rb_vm(const struct tm_rebalancer_config *rc,
		       const struct tm_vm_rt *vm,
		       const struct tm_rebalance_vm *b, struct tm_rb_vm *r)
{
	uint32_t nr_iv = (uint32_t)(rc->window_ns / rc->interval_ns);
	uint64_t mem;

	r->cap_pages = vm->nr_fmem_cap_pages;
	r->floor_pages = vm->cfg->sz_fmem_floor >> vm->page_shift;
	r->ceil_pages = vm->cfg->sz_fmem_ceiling >> vm->page_shift;
	r->target_hit = vm->cfg->target_hit;
	r->priority = vm->cfg->priority;
	r->measured_hit = window_hit(b, nr_iv ? nr_iv : 1);
	r->measured_last = window_hit(b, 1);
	r->rate = (double)b->curve_true.c.total * 1e9 / (double)rc->window_ns;
	r->est = b->curve_est.c;
	mem = vm->cfg->sz_mem >> vm->page_shift;
	if (rc->unseen && r->est.nr && mem > r->est.nr)
		tm_curve_add_unseen(&r->est, mem - r->est.nr);
	r->truth = b->curve_true.c;
	r->feedback = b->feedback;
	r->lent_pages = b->lent_pages;
	r->new_pages = b->new_pages;
	r->full = tm_vm_fmem_held(vm) >= vm->nr_fmem_cap_pages;
}

void tm_rebalance_tick_vm(struct tm_rebalance *r, uint32_t v, uint64_t now_ns,
			  struct tm_vm_scratch *sc)
{
	bool need_est = (r->ops->kind.flags & TM_RB_EST_CURVE) != 0;
	uint64_t *sort = tm_vm_scratch_counts(sc, &r->vms[v]);

	vm_tick(r, &r->vms[v], &r->vm[v], now_ns, need_est, (uint32_t *)sort);
}

/* The policy's flags say what to gather: the estimated curve only for a
 * policy that reads it, and nothing more (nor a decide() call) for one that
 * does not resize (static). */
void tm_rebalance_tick_host(struct tm_rebalance *r, uint64_t now_ns)
{
	unsigned flags = r->ops->kind.flags;
	struct tm_rb_params p = {
		.cfg = r->cfg, .own = r->cfg->own.bytes,
		.host_pages = r->host_pages, .page_shift = r->balloon.page_shift,
	};
	uint64_t need = 0;

	for (uint32_t v = 0; v < r->nr_vms; v++)
		need += r->vm[v].need_now_pages;
	if (need > r->need_sum_max)
		r->need_sum_max = need;
	r->nr_rebalances++;
	if (!(flags & TM_RB_RESIZES))
		return;
	for (uint32_t v = 0; v < r->nr_vms; v++)
		fill_rb_vm(r->cfg, &r->vms[v], &r->vm[v], &r->rb_vms[v]);
	r->ops->decide(&p, r->rb_vms, r->nr_vms, r->rb_target);
	for (uint32_t v = 0; v < r->nr_vms; v++) {
		r->vm[v].feedback = r->rb_vms[v].feedback;
		r->vm[v].lent_pages = r->rb_vms[v].lent_pages;
		if (tm_balloon_retarget(&r->vm[v].bl, r->rb_target[v],
					r->vms[v].nr_fmem_cap_pages))
			schedule_step(r, v, now_ns);
	}
}

void tm_rebalance_tick(struct tm_rebalance *r, uint64_t now_ns,
		       struct tm_vm_scratch *sc)
{
	for (uint32_t v = 0; v < r->nr_vms; v++)
		tm_rebalance_tick_vm(r, v, now_ns, sc);
	tm_rebalance_tick_host(r, now_ns);
}
