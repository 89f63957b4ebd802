/*
 * balloon.c - the double balloon of each VM and the host's rebalancer loop
 * (DESIGN.md §6.4; reference/sdh-and-demeter.md §5).
 *
 * Every VM has an FMEM and an SMEM balloon over guest nodes sized to its
 * memory; FMEM capacity = FMEM node size − FMEM balloon.  Only the FMEM
 * balloon's size matters to placement, so the model keeps the capacity and
 * moves it in messages of 256 × 4 KiB pages at `balloon_rate` plus
 * `balloon_msg_latency` per message (BALLOON_STEP events).
 *
 * Shrinking FMEM below the VM's resident FMEM first demotes its coldest
 * pages through the migration engine (charged as migration); the pages go to
 * the host's free pool when those demotions land.  Growing moves pages from
 * the pool; the migration engine then promotes into the room.
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
 * - A balloon message is at least one simulated page (2 MiB pages: one page
 *   per message, its time scaled by its bytes).
 * - The SMEM balloon is not modelled: SMEM is assumed large enough.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "sim.h"

#define TM_BALLOON_MSG_4K_PAGES 256  /* PFNs per virtio message (reference §5) */

void tm_vm_balloon_destroy(struct tm_vm_rt *vm)
{
	struct tm_vm_balloon *b = &vm->bl;

	free(b->win_est);
	free(b->win_true);
	free(b->snap_smp);
	free(b->snap_true);
	free(b->curve_est);
	free(b->curve_true);
	free(b->sort_a);
	free(b->sort_b);
}

static uint64_t msg_pages(const struct tm_vm_rt *vm)
{
	uint64_t p = ((uint64_t)TM_BALLOON_MSG_4K_PAGES << 12) >> vm->page_shift;

	return p ? p : 1;
}

/* Time of one message of `pages` simulated pages. */
static uint64_t msg_ns(const struct tm_host_rt *h, const struct tm_vm_rt *vm,
		       uint64_t pages)
{
	const struct tm_rebalancer_config *rc = &h->cfg->rebalancer;
	double bytes = (double)(pages << vm->page_shift);

	return (uint64_t)(bytes * 1e9 / rc->balloon_bytes_per_s) +
	       rc->balloon_msg_ns + 1;
}

static void schedule_step(struct tm_host_rt *h, struct tm_vm_rt *vm,
			  uint64_t at_ns)
{
	vm->bl.active = true;
	tm_eventq_push(h->q, at_ns, TM_EV_BALLOON_STEP, vm->index, 0);
}

/* Inflate the FMEM balloon by one message (capacity shrinks). */
static void shrink_step(struct tm_host_rt *h, struct tm_vm_rt *vm,
			uint64_t now_ns)
{
	uint64_t d = msg_pages(vm), cap = vm->nr_fmem_cap_pages;
	uint64_t t = vm->bl.target_pages;

	if (d > cap - t)
		d = cap - t;
	if (vm->nr_fmem_pages + vm->nr_inflight_promotions <= cap - d) {
		vm->nr_fmem_cap_pages -= d;
		h->pool_pages += d;
		vm->bl.inflated_bytes += d << vm->page_shift;
		vm->bl.busy_ns += msg_ns(h, vm, d);
		schedule_step(h, vm, now_ns + msg_ns(h, vm, d));
		return;
	}
	if (vm->busy) {  /* wait for the batch in flight, then retry */
		schedule_step(h, vm, vm->busy_until_ns);
		return;
	}
	vm->nr_fmem_cap_pages -= d;
	vm->bl.pending_release = d;
	vm->bl.inflated_bytes += d << vm->page_shift;
	vm->bl.busy_ns += msg_ns(h, vm, d);
	if (!tm_vm_plan_migration(vm, now_ns, h->run_cfg->epoch_ns))
		vm->busy_until_ns = now_ns;  /* nothing to move after all */
	tm_eventq_push(h->q, vm->busy ? vm->busy_until_ns : now_ns,
		       TM_EV_MIGRATION_DONE, vm->index, 1);
	vm->bl.active = true;  /* resumed when the demotions land */
}

/* Deflate the FMEM balloon by one message (capacity grows from the pool). */
static void grow_step(struct tm_host_rt *h, struct tm_vm_rt *vm,
		      uint64_t now_ns)
{
	uint64_t d = msg_pages(vm);

	if (d > vm->bl.target_pages - vm->nr_fmem_cap_pages)
		d = vm->bl.target_pages - vm->nr_fmem_cap_pages;
	if (d > h->pool_pages)
		d = h->pool_pages;
	if (!d) {  /* nothing free now: the next rebalance decides again */
		vm->bl.active = false;
		return;
	}
	vm->nr_fmem_cap_pages += d;
	h->pool_pages -= d;
	vm->bl.deflated_bytes += d << vm->page_shift;
	vm->bl.busy_ns += msg_ns(h, vm, d);
	schedule_step(h, vm, now_ns + msg_ns(h, vm, d));
}

void tm_vm_balloon_step(struct tm_host_rt *h, struct tm_vm_rt *vm,
			uint64_t now_ns)
{
	vm->bl.active = false;
	if (vm->bl.pending_release)
		return;  /* resumed by the MIGRATION_DONE that releases it */
	if (vm->bl.target_pages < vm->nr_fmem_cap_pages)
		shrink_step(h, vm, now_ns);
	else if (vm->bl.target_pages > vm->nr_fmem_cap_pages)
		grow_step(h, vm, now_ns);
	assert(tm_host_check(h));
}

int tm_host_check(const struct tm_host_rt *h)
{
	uint64_t sum = h->pool_pages;

	for (uint32_t v = 0; v < h->nr_vms; v++) {
		const struct tm_vm_rt *vm = &h->vms[v];

		sum += vm->nr_fmem_cap_pages + vm->bl.pending_release;
		if (vm->nr_fmem_cap_pages > (vm->cfg->sz_fmem_ceiling >>
					     vm->page_shift) ||
		    vm->nr_fmem_cap_pages < (vm->cfg->sz_fmem_floor >>
					     vm->page_shift))
			return 0;
	}
	return sum == h->host_pages;
}

/* ---- the rebalancer's view of a VM: sliding window and curves ---- */

/* need_est: the estimated curve is kept too (the policy's TM_RB_EST_CURVE;
 * fixed for a host's run).  Other policies never touch those three arrays,
 * so they are not allocated: 24 bytes per page less. */
static void ensure_window(struct tm_vm_rt *vm, bool need_est)
{
	struct tm_vm_balloon *b = &vm->bl;
	uint32_t cap = vm->arr_cap, old = b->win_cap;

	if (cap <= old)
		return;
#define GROW(a) do { \
	b->a = tm_xrealloc(b->a, cap * sizeof(*b->a)); \
	memset(b->a + old, 0, (cap - old) * sizeof(*b->a)); } while (0)
	if (need_est) {
		GROW(win_est);
		GROW(snap_smp);
		GROW(curve_est);
	}
	GROW(win_true);
	GROW(snap_true);
	GROW(curve_true);
	GROW(sort_a);
	GROW(sort_b);
#undef GROW
	b->win_cap = cap;
}

/* LSD radix sort of n keys, descending.  Kept rather than lib/heap.h's
 * heapsort: a curve needs every count sorted, not the k first, and 32-bit
 * counts radix-sort in 4 linear passes.  Callgrind, configs/sweeps/base.yaml
 * replay: 51.6 M instructions here against 177 M for lib/heap's sort in its
 * place (+3.3% of the whole run).  Ties do not matter: only values reach
 * the curve. */
static void radix_desc(uint32_t *a, uint32_t *tmp, size_t n)
{
	for (unsigned shift = 0; shift < 32; shift += 8) {
		size_t count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[255 - ((a[i] >> shift) & 255) + 1]++;
		for (unsigned k = 1; k <= 256; k++)
			count[k] += count[k - 1];
		for (size_t i = 0; i < n; i++)
			tmp[count[255 - ((a[i] >> shift) & 255)]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/* Decay the window, add the interval, and rebuild one curve.  cum: the
 * page's count at cum[2 i] (TM_ACC or, from vm->cum + 1, TM_SMP). */
static size_t window_curve(struct tm_vm_rt *vm, double *win, uint64_t *snap,
			   const uint64_t *cum, double decay, uint64_t *curve,
			   uint64_t *total)
{
	struct tm_vm_balloon *b = &vm->bl;
	size_t n = 0;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		double w = win[i] * decay + (double)(cum[2 * (size_t)i] - snap[i]);

		win[i] = w;
		snap[i] = cum[2 * (size_t)i];
		if (w >= 0.5)
			b->sort_a[n++] = w >= 4e9 ? UINT32_MAX :
					 (uint32_t)(w + 0.5);
	}
	radix_desc(b->sort_a, b->sort_b, n);
	for (size_t i = 0; i < n; i++) {
		sum += b->sort_a[i];
		curve[i] = sum;
	}
	*total = sum;
	return n;
}

/* Close the interval: ring of counters, curves, SLO and need metrics. */
static void vm_tick(struct tm_host_rt *h, struct tm_vm_rt *vm,
		    uint64_t now_ns, bool need_est)
{
	const struct tm_rebalancer_config *rc = &h->cfg->rebalancer;
	struct tm_vm_balloon *b = &vm->bl;
	struct tm_rb_interval *iv = &b->ring[b->ring_pos];
	double decay = 1.0 - (double)rc->interval_ns / (double)rc->window_ns;
	struct tm_curve tc;
	double ratio;

	iv->samples = vm->total.nr_samples - b->at_tick.nr_samples;
	iv->samples_fmem = vm->total.samples_fmem - b->at_tick.samples_fmem;
	iv->accesses = vm->total.nr_accesses - b->at_tick.nr_accesses;
	iv->hits_fmem = vm->total.hits_fmem - b->at_tick.hits_fmem;
	b->at_tick = vm->total;
	b->ring_pos = (b->ring_pos + 1) % TM_RB_RING;
	if (b->ring_nr < TM_RB_RING)
		b->ring_nr++;
	ensure_window(vm, need_est);
	if (decay < 0)
		decay = 0;
	b->nr_true = window_curve(vm, b->win_true, b->snap_true, vm->cum,
				  decay, b->curve_true, &b->tot_true);
	if (need_est)
		b->nr_est = window_curve(vm, b->win_est, b->snap_smp,
					 vm->cum + 1, decay, b->curve_est,
					 &b->tot_est);
	tc = (struct tm_curve){ b->curve_true, b->nr_true, b->tot_true };
	b->need_now_pages = tm_curve_pages_for(&tc, vm->cfg->target_hit);
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
static double window_hit(const struct tm_vm_rt *vm, uint32_t nr_iv)
{
	const struct tm_vm_balloon *b = &vm->bl;
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

static void fill_rb_vm(const struct tm_host_rt *h, struct tm_vm_rt *vm,
		       struct tm_rb_vm *r)
{
	const struct tm_rebalancer_config *rc = &h->cfg->rebalancer;
	uint32_t nr_iv = (uint32_t)(rc->window_ns / rc->interval_ns);
	const struct tm_vm_balloon *b = &vm->bl;

	r->cap_pages = vm->nr_fmem_cap_pages;
	r->floor_pages = vm->cfg->sz_fmem_floor >> vm->page_shift;
	r->ceil_pages = vm->cfg->sz_fmem_ceiling >> vm->page_shift;
	r->target_hit = vm->cfg->target_hit;
	r->priority = vm->cfg->priority;
	r->measured_hit = window_hit(vm, nr_iv ? nr_iv : 1);
	r->rate = (double)b->tot_true * 1e9 / (double)rc->window_ns;
	r->est = (struct tm_curve){ b->curve_est, b->nr_est, b->tot_est };
	r->truth = (struct tm_curve){ b->curve_true, b->nr_true, b->tot_true };
	r->feedback = b->feedback;
}

/* The policy's flags say what to gather: the estimated curve only for a
 * policy that reads it, and nothing more (nor a decide() call) for one that
 * does not resize (static). */
void tm_host_rebalance(struct tm_host_rt *h, uint64_t now_ns)
{
	unsigned flags = h->rb->kind.flags;
	bool need_est = (flags & TM_RB_EST_CURVE) != 0;
	struct tm_rb_params p = {
		.cfg = &h->cfg->rebalancer, .own = h->cfg->rebalancer.own.bytes,
		.host_pages = h->host_pages, .page_shift = h->run_cfg->page_shift,
	};
	uint64_t need = 0;

	for (uint32_t v = 0; v < h->nr_vms; v++) {
		vm_tick(h, &h->vms[v], now_ns, need_est);
		need += h->vms[v].bl.need_now_pages;
	}
	if (need > h->need_sum_max)
		h->need_sum_max = need;
	h->nr_rebalances++;
	if (!(flags & TM_RB_RESIZES))
		return;
	for (uint32_t v = 0; v < h->nr_vms; v++)
		fill_rb_vm(h, &h->vms[v], &h->rb_vms[v]);
	h->rb->decide(&p, h->rb_vms, h->nr_vms, h->rb_target);
	for (uint32_t v = 0; v < h->nr_vms; v++) {
		struct tm_vm_rt *vm = &h->vms[v];

		vm->bl.feedback = h->rb_vms[v].feedback;
		vm->bl.target_pages = h->rb_target[v];
		if (!vm->bl.active && !vm->bl.pending_release &&
		    vm->bl.target_pages != vm->nr_fmem_cap_pages)
			schedule_step(h, vm, now_ns);
	}
}
