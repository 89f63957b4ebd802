/*
 * vm.c - one VM of the simulation: its trace, sampler, identifiers, truth,
 * tier map and migration engine (DESIGN.md §3).
 *
 * Per record (the hot path, tm_vm_advance): look the page up, place it on
 * first touch (FMEM while the VM has free FMEM capacity, else SMEM), count
 * the hit by its tier now, add to the truth window, and either feed the
 * identifiers (samples streams: pass-through) or offer the access to the
 * PEBS sampler (accesses streams), whose rings are drained into the
 * identifiers every drain interval.  Nothing here allocates per record except
 * the amortised growth of the page arrays on a page's first touch.
 *
 * Notes (simplifications):
 * - A sample stands for `period` accesses of its op; a lackey "modify" counts
 *   as one access.
 * - The identifiers are keyed by the VM's dense page index (first-touch
 *   order), a bijection of page numbers, so hashing behaves the same.
 * - A migration batch still in flight at the next epoch makes the VM skip
 *   that epoch's plan (counted as epochs_skipped_busy).
 */
#include "vm.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "traces/gen/dist.h"
#include "traces/gen/gen.h"
#include "traces/reuse.h"
#include "traces/tmt.h"
#include "lib/alloc.h"
#include "lib/hash.h"

enum { SEED_TRACE = 1, SEED_SAMPLER = 2, SEED_IDENT = 16 };

uint64_t tm_seed_for(uint64_t seed, uint32_t host, uint32_t vm,
		     uint32_t component)
{
	uint64_t parts[4] = { seed, host, vm, component }, z = 0;

	/* SplitMix64 over the parts: well-mixed, order-sensitive. */
	for (unsigned i = 0; i < 4; i++)
		z = tm_splitmix64_of(z + parts[i]);
	return z;
}

static int open_trace(void *ctx, struct tm_stream **out, struct tm_error *err)
{
	const struct tm_vm_rt *vm = ctx;
	const struct tm_trace_config *tc = &vm->cfg->trace;

	if (tc->source == TM_SRC_FILE)
		return tm_tmt_open(tc->path, out, err);
	return tm_gen_stream_new(&tc->gen, vm->trace_seed, out, err);
}

/* Distribution truth (DESIGN.md §7) for a generated trace: the inline
 * generator's spec, or the one a .tmt header's provenance describes; seen
 * through the VM's trace reuse. */
/* The distribution of a generated trace (a generator, or a .tmt with its
 * provenance): the truth's (only if the VM keeps truth) and the
 * rebalancer's true curves' (always: they do not depend on the truth
 * tracker, so truth.enabled changes no decision). */
static void vm_open_dist(struct tm_vm_rt *vm, const struct tm_stream *s)
{
	const struct tm_trace_config *tc = &vm->cfg->trace;
	struct tm_gen_dist_map map = {
		.addr_offset = tc->addr_offset,
		.time_offset_ns = tc->time_offset_ns,
		.time_scale = tc->time_scale,
		.loop = tc->loop,
	};
	struct tm_gen_spec *spec = NULL;
	const struct tm_gen_spec *g = &tc->gen;

	if (tc->source == TM_SRC_FILE) {
		spec = tm_xmalloc(sizeof(*spec));
		g = tm_gen_spec_of_stream(s, spec) ? NULL : spec;
	}
	if (g && g->page_shift == vm->page_shift) {
		vm->dist_rb = tm_gen_dist_new(g, &map);
		if (vm->truth)
			vm->dist = tm_gen_dist_new(g, &map);
	}
	free(spec);
}

static int vm_open_stream(struct tm_vm_rt *vm, uint64_t seed,
			  struct tm_error *err)
{
	const struct tm_trace_config *tc = &vm->cfg->trace;
	struct tm_reuse_opts ro = {
		.addr_offset = tc->addr_offset,
		.time_offset_ns = tc->time_offset_ns,
		.time_scale = tc->time_scale,
		.loop = tc->loop,
		.reopen = open_trace,
		.reopen_ctx = vm,
	};
	struct tm_stream *s;

	vm->trace_seed = seed;
	if (open_trace(vm, &s, err))
		return -1;
	vm_open_dist(vm, s);
	vm->stream = tm_reuse_wrap(s, &ro);
	vm->samples = s->info.kind == TM_TRACE_SAMPLES;
	vm->load_period = s->info.load_period ? s->info.load_period : 1;
	vm->store_period = s->info.store_period ? s->info.store_period :
			   vm->load_period;
	vm->acc_w_max = !vm->samples ? 1 :
			vm->load_period > vm->store_period ? vm->load_period :
			vm->store_period;
	if (vm->acc_w_max > TM_CUM_FOLD)   /* a record's accesses: vm.h */
		return tm_error_set(err, TM_ERR_BOUNDS, "%s: sample period "
				    "%llu is over 2^31 (2147483648), the most "
				    "one sample may stand for",
				    tc->source == TM_SRC_FILE ? tc->path :
				    "the generated trace",
				    (unsigned long long)vm->acc_w_max);
	return 0;
}

/* An identifier whose weights differ from the main one's keeps its own
 * sample counts (cumulative, and at the epoch's start) for its ARE/AAE. */
static void ident_ref_grow(struct tm_ident_rt *id, size_t old, size_t cap)
{
	TM_XGROW_ZEROED(id->ref, old, cap);
	TM_XGROW_ZEROED(id->ref_base, old, cap);
}

static void grow_arrays(struct tm_vm_rt *vm)
{
	uint32_t cap = tm_pagemap_cap(&vm->pm);
	size_t old = vm->arr_cap;

#define GROW(a) TM_XGROW_ZEROED(vm->a, old, cap)
	GROW(cum);
	GROW(acc_hi);
	GROW(smp_hi);
	if (vm->truth) {   /* the truth tracker's own arrays (DESIGN.md §7) */
		if (!vm->dist)   /* distribution truth counts no window */
			GROW(true_base);
		GROW(epoch_cnt);
		if (vm->smp_base)
			GROW(smp_base);
		else
			GROW(smp_base32);
		GROW(mark);
		TM_XGROW_ZEROED(vm->fnew, (old + 63) / 64,
				((size_t)cap + 63) / 64);
		if (vm->truth_src == TM_TRUTH_ESTIMATED)
			GROW(half_base);
	}
	if (vm->smp_tick32)
		GROW(smp_tick32);
	if (vm->smp_tick)
		GROW(smp_tick);
	if (vm->pbits)
		GROW(pbits);
	if (vm->pdirty)
		GROW(pdirty);
	for (uint32_t i = 0; i < vm->nr_idents; i++)
		if (vm->idents[i].ref) {
			ident_ref_grow(&vm->idents[i], old, cap);
			vm->feed[i].ref = vm->idents[i].ref;
		}
#undef GROW
	vm->arr_cap = cap;
}

static void ident_weights(struct tm_ident_rt *id)
{
	const struct tm_ident_config *ic = id->cfg;

	id->inc[0] = (uint16_t)(ic->weighted ? ic->load_weight : 1); /* loads, modifies */
	id->inc[1] = (uint16_t)(ic->weighted ? ic->store_weight : 1); /* stores */
}

/* The scan-driven identifiers: a bit pair each in the per-page words, a
 * first scan at time 0.  On a samples trace only with `approximate:
 * sampled` (identifier.h). */
static int vm_init_scan(struct tm_vm_rt *vm, struct tm_error *err)
{
	const struct tm_src_loc *l = &vm->cfg->loc;

	for (uint32_t i = 0; i < vm->nr_idents; i++) {
		const struct tm_ident_rt *id = &vm->idents[i];
		const enum tm_scan_approx *approx =
			(const void *)id->cfg->own.bytes;

		if (!(id->ops->kind.flags & TM_IDENT_SCAN))
			continue;
		if ((id->ops->kind.flags & TM_IDENT_HOST) &&
		    vm->cfg->migration.where != TM_MIG_HOST)
			return tm_error_set(err, TM_ERR_CONFIG,
					    "%s:%u:%u: vm %s: identifier '%s' "
					    "runs in the hypervisor (it needs "
					    "EPT and PML), but the VM places "
					    "pages in the guest; set its "
					    "`migration: {where: host}`",
					    l->file, l->line, l->col, vm->name,
					    id->cfg->kind);
		if (id->ops->kind.flags & TM_IDENT_PML)
			vm->pml_id[vm->nr_pml++] = (uint8_t)i;
		if (vm->nr_scan == TM_SCAN_MAX)
			return tm_error_set(err, TM_ERR_CONFIG,
					    "%s:%u:%u: vm %s: more than %u "
					    "scan-driven identifiers", l->file,
					    l->line, l->col, vm->name,
					    TM_SCAN_MAX);
		if (vm->samples && *approx != TM_SCAN_SAMPLED)
			return tm_error_set(err, TM_ERR_CONFIG,
					    "%s:%u:%u: vm %s: identifier '%s' "
					    "is scan-driven and needs a full "
					    "trace (kind: accesses), but the "
					    "trace holds samples; set its "
					    "`approximate: sampled` to count "
					    "each sampled page as accessed",
					    l->file, l->line, l->col, vm->name,
					    id->cfg->kind);
		vm->scan_id[vm->nr_scan] = (uint8_t)i;
		vm->scan_at_ns[vm->nr_scan] = 0;
		vm->scan_amask |= (uint16_t)(1u << vm->nr_scan);
		vm->nr_scan++;
	}
	if (vm->nr_scan)
		vm->pbits = tm_xcalloc(vm->arr_cap, sizeof(*vm->pbits));
	if (vm->nr_pml)
		tm_vm_pml_init(vm);
	vm->next_scan_ns = vm->nr_scan ? 0 : UINT64_MAX;
	vm->scan_end_ns = vm->run_end_ns;
	return 0;
}

static int vm_init_idents(struct tm_vm_rt *vm, uint64_t seed,
			  struct tm_error *err)
{
	const struct tm_vm_config *vc = vm->cfg;

	vm->nr_idents = 1 + vc->nr_shadow;
	for (uint32_t i = 0; i < vm->nr_idents; i++) {
		struct tm_ident_rt *id = &vm->idents[i];
		const struct tm_ident_config *ic = i ? &vc->shadow[i - 1] :
						       &vc->ident;
		struct tm_ident_params p = {
			.cfg = ic,
			.own = ic->own.bytes,
			.nr_fmem_pages = vm->nr_fmem_cap_pages,
			.seed = seed + i,
			.page_shift = vm->page_shift,
		};

		id->ops = ic->ops;
		if (!id->ops)
			return tm_error_set(err, TM_ERR_CONFIG,
					    "vm %s: unknown identifier kind '%s'",
					    vm->name, ic->kind);
		id->cfg = ic;
		id->shadow = i > 0;
		ident_weights(id);
		/* its own sample counts serve ARE/AAE only, which only kinds
		 * that estimate sample counts are scored on */
		if (i > 0 && (id->ops->kind.flags & TM_IDENT_COUNTS) &&
		    (id->inc[0] != vm->idents[0].inc[0] ||
		     id->inc[1] != vm->idents[0].inc[1]))
			ident_ref_grow(id, 0, vm->arr_cap);
		id->st = id->ops->new(&p);
		vm->feed[i] = (struct tm_feed){ id->ops->update, id->st, id->ref,
						{ id->inc[0], id->inc[1] } };
		if (id->ops->prefetch)
			vm->prefetch[vm->nr_prefetch++] = (uint8_t)i;
		id->cum_window = !id->ops->cumulative ||
				 id->ops->cumulative(id->st);
	}
	return vm_init_scan(vm, err);
}

/* The rank arrays hold up to the FMEM ceiling: a balloon may grow the
 * capacity up to it. */
static void vm_init_rank(struct tm_vm_rt *vm)
{
	uint64_t ceil = vm->cfg->sz_fmem_ceiling >> vm->page_shift;
	size_t cap = ceil > vm->nr_fmem_cap_pages ? ceil : vm->nr_fmem_cap_pages;

	if (!cap)
		cap = 1;

	vm->rank.cap = cap;
	vm->rank.hot = tm_xmalloc(cap * sizeof(uint64_t));
	vm->rank.promote = tm_xmalloc(cap * sizeof(uint64_t));
	vm->rank.demote = tm_xmalloc(cap * sizeof(uint64_t));
	vm->hot_idx = tm_xmalloc(cap * sizeof(uint32_t));
	vm->pair_p = tm_xmalloc(cap * sizeof(uint32_t));
	vm->pair_d = tm_xmalloc(cap * sizeof(uint32_t));
	if (vm->idents[0].ops->kind.flags & TM_IDENT_COLD) {
		vm->rank.cold = tm_xmalloc(cap * sizeof(uint64_t));
		vm->cold_idx = tm_xmalloc(cap * sizeof(uint32_t));
	}
	for (uint32_t i = 0; i < vm->nr_idents; i++)
		if (vm->idents[i].ops->kind.flags & TM_IDENT_REGIONS) {
			vm->rank.cap_regions = cap;
			vm->rank.regions = tm_xmalloc(cap *
						      sizeof(*vm->rank.regions));
			break;
		}
}

int tm_vm_init(struct tm_vm_rt *vm, const struct tm_config *cfg,
	       const struct tm_vm_config *vc, uint32_t host, uint32_t index,
	       struct tm_error *err)
{
	uint64_t hint;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = vc;
	vm->index = index;
	snprintf(vm->name, sizeof(vm->name), "%s", vc->name);
	vm->page_shift = cfg->page_shift;
	vm->nr_fmem_cap_pages = vc->sz_fmem >> cfg->page_shift;
	vm->nr_fmem_cap_initial = vm->nr_fmem_cap_pages;
	vm->nr_fmem_cap_max_epoch = vm->nr_fmem_cap_pages;
	vm->truth = vc->truth;
	vm->run_end_ns = cfg->duration_ns;
	if (vm_open_stream(vm, tm_seed_for(cfg->seed, host, index, SEED_TRACE),
			   err)) {
		tm_error_prefix(err, "vm %s", vc->name);
		return -1;
	}
	vm->truth_src = vm->dist ? TM_TRUTH_DISTRIBUTION :
			vm->samples ? TM_TRUTH_ESTIMATED : TM_TRUTH_EXACT;
	vm->half_ns = vm->truth && vm->truth_src == TM_TRUTH_ESTIMATED ?
		      cfg->epoch_ns / 2 : 0;
	hint = vm->stream->info.sz_footprint_hint >> cfg->page_shift;
	if (!hint || hint > (vc->sz_mem >> cfg->page_shift))
		hint = vc->sz_mem >> cfg->page_shift;
	tm_pagemap_init(&vm->pm, hint);
	grow_arrays(vm);
	vm->buf = tm_xmalloc(TM_VM_BUF_RECORDS * sizeof(*vm->buf));
	if (!vm->samples) {
		vm->sampler = tm_sampler_new(&vc->sampler, vc->nr_vcpus,
					     tm_seed_for(cfg->seed, host, index,
							 SEED_SAMPLER));
		vm->drain_buf = tm_xmalloc(TM_VM_BUF_RECORDS *
					   sizeof(*vm->drain_buf));
		vm->next_drain_ns = tm_sampler_next_drain_ns(vm->sampler);
	}
	if (vm_init_idents(vm, tm_seed_for(cfg->seed, host, index, SEED_IDENT),
			   err))
		return -1;
	vm->smp_inc_max = vm->idents[0].inc[0] > vm->idents[0].inc[1] ?
			  vm->idents[0].inc[0] : vm->idents[0].inc[1];
	vm_init_rank(vm);
	vm->mig = tm_migrator_new(&vc->migration, vc->nr_vcpus, cfg->page_shift,
				  cfg->smem_latency_ns > cfg->fmem_latency_ns ?
				  cfg->smem_latency_ns - cfg->fmem_latency_ns : 0);
	return 0;
}

void tm_vm_destroy(struct tm_vm_rt *vm)
{
	for (uint32_t i = 0; i < vm->nr_idents; i++) {
		if (vm->idents[i].st)
			vm->idents[i].ops->free(vm->idents[i].st);
		free(vm->idents[i].ref);
		free(vm->idents[i].ref_base);
	}
	tm_stream_free(vm->stream);
	tm_sampler_free(vm->sampler);
	tm_migrator_free(vm->mig);
	tm_pagemap_destroy(&vm->pm);
	tm_truth_sel_free(&vm->truth_sel);
	tm_gen_dist_free(vm->dist);
	tm_gen_dist_free(vm->dist_rb);
	free(vm->buf);
	free(vm->drain_buf);
	free(vm->true_base);
	free(vm->epoch_cnt);
	free(vm->cum);
	free(vm->acc_hi);
	free(vm->smp_hi);
	free(vm->smp_base);
	free(vm->smp_base32);
	free(vm->smp_tick32);
	free(vm->smp_tick);
	free(vm->mark);
	free(vm->fnew);
	free(vm->half_base);
	free(vm->rank.hot);
	free(vm->rank.promote);
	free(vm->rank.demote);
	free(vm->rank.regions);
	free(vm->hot_idx);
	free(vm->pair_p);
	free(vm->pair_d);
	free(vm->inflight);
	free(vm->pbits);
	free(vm->pdirty);
	free(vm->pml_buf);
	free(vm->pml_nr);
	free(vm->rank.cold);
	free(vm->cold_idx);
	memset(vm, 0, sizeof(*vm));
}

/* First touch (DESIGN.md §3): FMEM while there is free FMEM capacity.
 * Promotions in flight hold their FMEM room already, so a first touch cannot
 * take the space a migrate-mode batch is about to land in. */
static void first_touch(struct tm_vm_rt *vm, uint32_t idx)
{
	if (idx >= vm->arr_cap)
		grow_arrays(vm);
	if (tm_vm_fmem_held(vm) < vm->nr_fmem_cap_pages) {
		vm->pm.tier[idx] = TM_TIER_FMEM;
		vm->nr_fmem_pages++;
		vm->touched_fmem_this_epoch = true;
		if (vm->fnew)
			vm->fnew[idx >> 6] |= 1ull << (idx & 63);
	} else {
		vm->pm.tier[idx] = TM_TIER_SMEM;
		vm->nr_smem_pages++;
	}
	/* Static placement: the first nr_fmem_cap_initial pages touched.  Dense
	 * indexes are first-touch order, so they are exactly the indexes
	 * below nr_static_fmem (no per-page array). */
	if (vm->nr_static_fmem < vm->nr_fmem_cap_initial)
		vm->nr_static_fmem++;
}

/* One sample (record r, dense index idx, its page's tier) reaches the
 * identifiers, each with its own load/store weight (DESIGN.md §6.2).  The
 * callers count it (nr_samples, samples_fmem): per run of records, or in
 * the branch on the tier they take anyway (-4 instructions per sample). */
static inline void feed(struct tm_vm_rt *vm, uint32_t idx,
			const struct tm_record *r, uint8_t tier)
{
	unsigned store = r->op == TM_OP_STORE;
	struct tm_sample smp = {
		.rec = r,
		.idx = idx,
		.weight = vm->idents[0].inc[store],
		.tier = tier,
	};

	vm->cum[idx].smp += smp.weight;   /* the main identifier's weights */
	/* One identifier (no shadows) is the common case: called directly it
	 * costs ~20 instructions per sample less than through the loop, whose
	 * bounds stay live across the indirect call (callgrind; holding them
	 * in locals did not help); 40 M-sample replay -4%. */
	if (vm->nr_idents == 1) {
		const struct tm_ident_rt *id = vm->idents;

		id->ops->update(id->st, smp);
		return;
	}
	for (uint32_t i = 0; i < vm->nr_idents; i++) {
		const struct tm_feed *f = &vm->feed[i];

		smp.weight = f->inc[store];
		if (f->ref)
			f->ref[idx] += smp.weight;
		f->update(f->st, smp);
	}
}

static void drain(struct tm_vm_rt *vm, uint64_t now_ns)
{
	size_t n;

	while ((n = tm_sampler_drain(vm->sampler, now_ns, vm->drain_buf,
				     TM_VM_BUF_RECORDS)) > 0) {
		tm_vm_counts_drain(vm, n);
		for (size_t i = 0; i < n; i++) {
			const struct tm_record *r = &vm->drain_buf[i];
			uint32_t idx = tm_pagemap_find(&vm->pm,
						       r->addr >> vm->page_shift);

			uint8_t tier = vm->pm.tier[idx];

			vm->total.samples_fmem += tier == TM_TIER_FMEM;
			feed(vm, idx, r, tier);
		}
		vm->total.nr_samples += n;
	}
	vm->next_drain_ns = tm_sampler_next_drain_ns(vm->sampler);
}

static uint32_t pagemap_find_cb(const void *ctx, uint64_t page)
{
	return tm_pagemap_find(ctx, page);
}

/* The hint faults of page idx for the scan kinds in `kinds` (bits k of
 * unmapped pages; cleared by the caller). */
static __attribute__((noinline)) void
faults(struct tm_vm_rt *vm, const struct tm_record *r, uint32_t idx,
       unsigned kinds)
{
	uint64_t used = tm_vm_fmem_held(vm);
	struct tm_fault f = {
		.time_ns = r->time_ns,
		.page = tm_pagemap_page(&vm->pm, idx),
		.idx = idx,
		.tier = vm->pm.tier[idx],
		.nr_fmem_free_pages = used < vm->nr_fmem_cap_pages ?
				      vm->nr_fmem_cap_pages - used : 0,
		.nr_fmem_cap_pages = vm->nr_fmem_cap_pages,
	};

	for (uint32_t k = 0; k < vm->nr_scan; k++)
		if (kinds & (1u << k)) {
			const struct tm_ident_rt *id =
				&vm->idents[vm->scan_id[k]];

			vm->nr_faults++;
			id->ops->fault(id->st, &f);
		}
}

/* An access (or, approximated, a sample) seen by the scan kinds: set their
 * accessed bits, clear their unmapped bits and raise those faults. */
static inline __attribute__((always_inline)) void
scan_mark(struct tm_vm_rt *vm, const struct tm_record *r, uint32_t idx)
{
	uint16_t b = vm->pbits[idx];

	vm->pbits[idx] = (uint16_t)((b | vm->scan_amask) & 0xffu);
	if (b >> 8)
		faults(vm, r, idx, b >> 8);
}

/* A store (or a modify) to a clean page: log it; a full log drains. */
static inline __attribute__((always_inline)) void
pml_mark(struct tm_vm_rt *vm, const struct tm_record *r, uint32_t idx)
{
	uint32_t cpu;

	if (r->op == TM_OP_LOAD || vm->pdirty[idx])
		return;
	vm->pdirty[idx] = 1;
	cpu = r->cpu < vm->nr_pml_cpus ? r->cpu : r->cpu % vm->nr_pml_cpus;
	vm->pml_buf[(size_t)cpu * TM_PML_ENTRIES + vm->pml_nr[cpu]++] = idx;
	if (vm->pml_nr[cpu] == TM_PML_ENTRIES)
		tm_vm_pml_drain(vm, cpu, r->time_ns, true);
}

/* One record whose page is already looked up (idx; added on its first
 * touch), its tier read once.  samples and scan are constants in each of
 * access_run's instances (a samples stream or an accesses stream; scan
 * kinds present or not), so their tests cost nothing per record. */
static inline __attribute__((always_inline)) void
access_one(struct tm_vm_rt *vm, const struct tm_record *r, uint32_t idx,
	   int added, const bool samples, const bool scan, const bool pml)
{
	uint64_t w = 1;
	uint8_t tier;

	if (added)
		first_touch(vm, idx);
	tier = vm->pm.tier[idx];
	if (samples)
		w = r->op == TM_OP_STORE ? vm->store_period : vm->load_period;
	vm->total.nr_accesses += w;
	if (tier == TM_TIER_FMEM) {
		vm->total.hits_fmem += w;
		vm->total.samples_fmem += samples;
		if (vm->fnew && vm->fnew[idx >> 6] >> (idx & 63) & 1)
			vm->new_hits += w;   /* placement_changed (epoch.c) */
	} else {
		vm->total.hits_smem += w;
	}
	if (idx < vm->nr_static_fmem)
		vm->total.hits_static_fmem += w;
	vm->cum[idx].acc += (uint32_t)w;   /* w <= 2^31: vm_counts.c */
	if (scan)
		scan_mark(vm, r, idx);
	if (pml)
		pml_mark(vm, r, idx);
	if (samples)
		feed(vm, idx, r, tier);
	else
		tm_sampler_push(vm->sampler, r);
}

/* Start loading what access_one() will touch for page idx.  always_inline:
 * a plain inline function whose only effect is a prefetch is judged pure
 * by GCC 12 and its calls deleted (see tm_pagemap_prefetch). */
static inline __attribute__((always_inline)) void
prefetch_page(const struct tm_vm_rt *vm, uint32_t idx)
{
	if (idx >= vm->arr_cap)
		return;   /* a new page: its arrays grow at first touch */
	__builtin_prefetch(&vm->pm.tier[idx]);
	__builtin_prefetch(&vm->cum[idx], 1);   /* TM_ACC's and TM_SMP's */
}

/*
 * Records [a, b) of the buffer, none due for a drain or past the step's end.
 * Per-record work waits on memory: a page map slot, then the page's tier and
 * counters, scattered over megabytes for a large footprint.  So the run is
 * a three-stage pipeline: while record r is done, record r + L is looked up
 * (in record order, so dense indexes are still given in first-touch order)
 * and its page's state prefetched, and the map slot of record r + 3L is
 * prefetched (2L records before its lookup).
 * Lookups ahead of their record never reorder anything observable: first
 * touch placement and every count happen at the record's own turn.
 */
#define TM_VM_LOOKAHEAD 8   /* assumption: 4, 8 and 16 ran alike */
#define TM_VM_SLOTAHEAD (2 * TM_VM_LOOKAHEAD)

static inline __attribute__((always_inline)) void
access_run_x(struct tm_vm_rt *vm, size_t a, size_t b, const bool samples,
	     const bool prefetch, const bool scan, const bool pml)
{
	const struct tm_record *buf = vm->buf;
	const unsigned shift = vm->page_shift;
	uint32_t ring[TM_VM_LOOKAHEAD];
	uint8_t fresh[TM_VM_LOOKAHEAD];
	const size_t L = TM_VM_LOOKAHEAD;

	for (size_t i = a; i < b + L; i++) {
		/* record i - L first: its ring cell is record i's */
		if (i >= a + L)
			access_one(vm, &buf[i - L], ring[i % L], fresh[i % L],
				   samples, scan, pml);
		if (i + TM_VM_SLOTAHEAD < b)
			tm_pagemap_prefetch(&vm->pm,
					    buf[i + TM_VM_SLOTAHEAD].addr >> shift);
		if (i < b) {
			int added;
			uint32_t idx = tm_pagemap_get(&vm->pm,
						      buf[i].addr >> shift,
						      &added);

			ring[i % L] = idx;
			fresh[i % L] = (uint8_t)added;
			prefetch_page(vm, idx);
			if (prefetch)
				for (uint32_t k = 0; k < vm->nr_prefetch; k++) {
					const struct tm_ident_rt *id =
						&vm->idents[vm->prefetch[k]];

					id->ops->prefetch(id->st, idx);
				}
		}
	}
	vm->total.nr_records += b - a;   /* once per run, not per record */
	if (samples)
		vm->total.nr_samples += b - a;   /* every record is a sample */
}

static void access_run(struct tm_vm_rt *vm, size_t a, size_t b)
{
	/* instantiated per stream kind and per lookahead of the identifiers'
	 * state: the loop over none cost 4 instructions a sample */
	/* ... and per scan kinds present, whose instances skip the
	 * lookahead (it changes nothing observable) */
	/* ... and per PML kinds present (a write log) */
	if (vm->pdirty)
		if (vm->samples)
			access_run_x(vm, a, b, true, false, true, true);
		else
			access_run_x(vm, a, b, false, false, true, true);
	else if (vm->pbits)
		if (vm->samples)
			access_run_x(vm, a, b, true, false, true, false);
		else
			access_run_x(vm, a, b, false, false, true, false);
	else if (vm->samples && vm->nr_prefetch)
		access_run_x(vm, a, b, true, true, false, false);
	else if (vm->samples)
		access_run_x(vm, a, b, true, false, false, false);
	else
		access_run_x(vm, a, b, false, false, false, false);
}

/* The scans due at the earliest scan time: each kind whose time it is, in
 * the VM's identifier order. */
static void scan_due(struct tm_vm_rt *vm)
{
	uint64_t now = vm->next_scan_ns, next = UINT64_MAX;
	struct tm_scan sc = {
		.now_ns = now,
		.nr_pages = vm->pm.nr,
		.page = vm->pm.page64,
		.page32 = vm->pm.page32,
		.page_base = vm->pm.page_base,
		.tier = vm->pm.tier,
		.nr_fmem_cap_pages = vm->nr_fmem_cap_pages,
		.nr_fmem_pages = tm_vm_fmem_held(vm),
		.bits = vm->pbits,
		.find = pagemap_find_cb,
		.find_ctx = &vm->pm,
	};

	for (uint32_t k = 0; k < vm->nr_scan; k++) {
		const struct tm_ident_rt *id = &vm->idents[vm->scan_id[k]];

		if (vm->scan_at_ns[k] == now) {
			if (id->ops->kind.flags & TM_IDENT_PML)
				tm_vm_pml_drain_all(vm, now);
			sc.abit = (uint16_t)(1u << k);
			sc.ubit = (uint16_t)(1u << (8 + k));
			vm->scan_at_ns[k] = id->ops->scan(id->st, &sc);
			assert(vm->scan_at_ns[k] > now);
			vm->nr_scans++;
		}
		if (vm->scan_at_ns[k] < next)
			next = vm->scan_at_ns[k];
	}
	/* none after the run's end (a trace may end long before it) */
	vm->next_scan_ns = next <= vm->scan_end_ns ? next : UINT64_MAX;
}

/* What is due at or before t, before a record at t: the drain and the
 * scans, in time order (a drain before a scan at the same time). */
static void run_due(struct tm_vm_rt *vm, uint64_t t)
{
	while (vm->next_scan_ns <= t &&
	       !(vm->sampler && vm->next_drain_ns <= vm->next_scan_ns))
		scan_due(vm);
	if (vm->sampler && vm->next_drain_ns <= t)
		drain(vm, t);
	while (vm->next_scan_ns <= t)
		scan_due(vm);
}

static int refill(struct tm_vm_rt *vm, struct tm_error *err)
{
	ssize_t n;

	if (vm->eof)
		return 0;
	n = tm_stream_read(vm->stream, vm->buf, TM_VM_BUF_RECORDS, err);
	if (n < 0) {
		tm_error_prefix(err, "vm %s", vm->name);
		return -1;
	}
	vm->buf_nr = (size_t)n;
	vm->buf_pos = 0;
	vm->eof = n == 0;
	return n > 0;
}

static int advance_to(struct tm_vm_rt *vm, uint64_t until_ns,
		      struct tm_error *err)
{
	for (;;) {
		uint64_t stop = until_ns;
		size_t end;

		if (vm->buf_pos == vm->buf_nr) {
			int rc = refill(vm, err);

			if (rc <= 0) {
				if (rc == 0 && vm->sampler)
					drain(vm, until_ns);
				while (rc == 0 && vm->next_scan_ns <= until_ns)
					scan_due(vm);
				return rc;
			}
		}
		if (vm->sampler && vm->next_drain_ns < stop)
			stop = vm->next_drain_ns;
		if (vm->next_scan_ns < stop)
			stop = vm->next_scan_ns;
		for (end = vm->buf_pos; end < vm->buf_nr &&
		     vm->buf[end].time_ns < stop; end++)
			;
		if (end == vm->buf_pos) {
			if (vm->buf[end].time_ns >= until_ns)
				break;
			run_due(vm, vm->buf[end].time_ns);  /* due before it */
			end++;
		}
		end = vm->buf_pos + tm_vm_counts_room(vm, end - vm->buf_pos);
		access_run(vm, vm->buf_pos, end);
		vm->buf_pos = end;
	}
	run_due(vm, until_ns);
	return 0;
}

/* With estimated truth the epoch's counts are split in two halves by time
 * for the cross-fitted oracle (epoch.c): the replay stops at the midpoint
 * once to note every page's count.  Epoch-level work, O(touched pages);
 * the per-record path is untouched. */
int tm_vm_advance(struct tm_vm_rt *vm, uint64_t until_ns, struct tm_error *err)
{
	if (vm->half_ns && until_ns > vm->half_ns) {
		if (advance_to(vm, vm->half_ns, err))
			return -1;
		for (uint32_t i = 0; i < vm->pm.nr; i++)
			vm->half_base[i] = TM_ACC(vm, i);
		vm->half_ns = 0;
	}
	return advance_to(vm, until_ns, err);
}

/* ---- epoch: accuracy against truth, then the migration plan ---- */

/* The main identifier's estimate of page idx (the migrator's coldness). */
static uint64_t est_cb(void *ctx, uint32_t idx)
{
	const struct tm_vm_rt *vm = ctx;
	const struct tm_ident_rt *id = &vm->idents[0];

	return id->ops->estimate(id->st, idx, tm_pagemap_page(&vm->pm, idx));
}

/* A page's samples over the run: among pages the identifier scores alike
 * the least sampled is demoted first (docs/rebalancing.md, "Demotion
 * among equals"), not the first touched, the hottest of a hot set. */
static uint64_t hist_cb(void *ctx, uint32_t idx)
{
	const struct tm_vm_rt *vm = ctx;

	return TM_SMP(vm, idx);
}

/* Plan moves from the main identifier's last rank (at an epoch, or when a
 * balloon shrinks FMEM below its resident pages: the migrator then demotes
 * the excess coldest pages first). */
uint64_t tm_vm_plan_migration(struct tm_vm_rt *vm, uint64_t now_ns,
			      uint64_t epoch_ns)
{
	size_t nr_hot = vm->rank.nr_hot < vm->rank.cap ? vm->rank.nr_hot :
			vm->rank.cap;
	struct tm_mig_view v = {
		.now_ns = now_ns,
		.epoch_ns = epoch_ns,
		.tier = vm->pm.tier,
		.nr_pages = vm->pm.nr,
		.nr_fmem_cap_pages = vm->nr_fmem_cap_pages,
		.nr_fmem_pages = vm->nr_fmem_pages,
		.hot = vm->hot_idx,
		.nr_hot = nr_hot,
		.pair_promote = vm->pair_p,
		.pair_demote = vm->pair_d,
		.nr_pairs = vm->rank.nr_pairs,
		.cold = vm->cold_idx,
		.nr_cold = vm->cold_idx ? vm->rank.nr_cold : 0,
		.estimate = est_cb,
		.estimate_ctx = vm,
		.history = hist_cb,
	};

	for (size_t i = 0; i < nr_hot; i++)
		vm->hot_idx[i] = (uint32_t)vm->rank.hot[i];
	for (size_t i = 0; i < vm->rank.nr_pairs; i++) {
		vm->pair_p[i] = (uint32_t)vm->rank.promote[i];
		vm->pair_d[i] = (uint32_t)vm->rank.demote[i];
	}
	for (size_t i = 0; vm->cold_idx && i < vm->rank.nr_cold; i++)
		vm->cold_idx[i] = (uint32_t)vm->rank.cold[i];
	tm_migrator_plan(vm->mig, &v, &vm->last_batch);
	if (!vm->last_batch.nr_moves)
		return 0;
	if (vm->cap_inflight < vm->last_batch.nr_moves) {
		vm->cap_inflight = vm->last_batch.nr_moves;
		vm->inflight = tm_xrealloc(vm->inflight, vm->cap_inflight *
					   sizeof(*vm->inflight));
	}
	memcpy(vm->inflight, vm->last_batch.moves,
	       vm->last_batch.nr_moves * sizeof(*vm->inflight));
	vm->nr_inflight = vm->last_batch.nr_moves;
	vm->nr_inflight_promotions = vm->last_batch.nr_promotions;
	vm->busy = true;
	vm->busy_until_ns = vm->last_batch.done_ns > now_ns ?
			    vm->last_batch.done_ns : now_ns;
	return vm->busy_until_ns;
}

/* Page idx's accesses since the start (the migrator's payback). */
static uint64_t acc_cb(const void *ctx, uint32_t idx)
{
	return TM_ACC((const struct tm_vm_rt *)ctx, idx);
}

void tm_vm_migration_done(struct tm_vm_rt *vm, uint64_t now_ns)
{
	for (size_t i = 0; i < vm->nr_inflight; i++) {
		const struct tm_move *mv = &vm->inflight[i];
		uint64_t page;

		if (vm->pm.tier[mv->idx] == mv->to_tier)
			continue;
		if (mv->to_tier == TM_TIER_FMEM) {
			if (vm->fnew)
				vm->fnew[mv->idx >> 6] |=
					1ull << (mv->idx & 63);
			vm->nr_fmem_pages++;
			vm->nr_smem_pages--;
		} else {
			vm->nr_fmem_pages--;
			vm->nr_smem_pages++;
		}
		vm->pm.tier[mv->idx] = mv->to_tier;
		page = tm_pagemap_page(&vm->pm, mv->idx);
		for (uint32_t k = 0; k < vm->nr_idents; k++)
			if (vm->idents[k].ops->moved)
				vm->idents[k].ops->moved(vm->idents[k].st,
							 mv->idx, page,
							 mv->to_tier);
	}
	tm_migrator_done(vm->mig, &vm->last_batch, acc_cb, vm, now_ns);
	vm->last_done_ns = now_ns;
	vm->nr_inflight = 0;
	vm->nr_inflight_promotions = 0;
	vm->moved_this_epoch = true;
	vm->busy = false;
	assert(tm_vm_check(vm));
}

int tm_vm_check(const struct tm_vm_rt *vm)
{
	uint64_t nf = 0, ns = 0;

	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		nf += vm->pm.tier[i] == TM_TIER_FMEM;
		ns += vm->pm.tier[i] == TM_TIER_SMEM;
	}
	return nf == vm->nr_fmem_pages && ns == vm->nr_smem_pages &&
	       nf + ns == vm->pm.nr && nf <= vm->nr_fmem_cap_pages;
}

/* ---- snapshot: one timeseries.csv row (columns in docs/outputs.md) ---- */

/* Collection CPU since the start: the sampler's for full traces; for
 * sample traces (pass-through) samples x cost_per_sample. */
double tm_vm_sampling_cpu_ns(const struct tm_vm_rt *vm)
{
	struct tm_sampler_stats ss = { 0 };

	if (vm->samples)
		return (double)vm->total.nr_samples *
		       vm->cfg->sampler.cost_ns_per_sample;
	tm_sampler_get_stats(vm->sampler, &ss);
	return ss.cpu_ns;
}

void tm_vm_snapshot(struct tm_vm_rt *vm, const struct tm_config *cfg,
		    uint64_t now_ns, const char *host_name, struct tm_strbuf *rows)
{
	const struct tm_hits *t = &vm->total, *s = &vm->snap;
	const struct tm_mig_stats *m = tm_migrator_stats(vm->mig);
	struct tm_sampler_stats ss = { 0 };
	uint64_t acc = t->nr_accesses - s->nr_accesses;
	uint64_t hf = t->hits_fmem - s->hits_fmem;
	uint64_t hst = t->hits_static_fmem - s->hits_static_fmem;
	double smp_cpu = tm_vm_sampling_cpu_ns(vm);
	uint64_t own;

	(void)cfg;
	if (vm->sampler)
		tm_sampler_get_stats(vm->sampler, &ss);
	tm_strbuf_printf(rows, "%llu,%s,%s,%llu,%llu,%llu,%llu,%llu,",
			 (unsigned long long)now_ns, host_name, vm->name,
			 (unsigned long long)(t->nr_records - s->nr_records),
			 (unsigned long long)acc,
			 (unsigned long long)(t->nr_samples - s->nr_samples),
			 (unsigned long long)hf,
			 (unsigned long long)(t->hits_smem - s->hits_smem));
	tm_strbuf_num(rows, acc ? (double)hf / (double)acc : NAN);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, acc ? (double)hst / (double)acc : NAN);
	tm_strbuf_printf(rows,
			 ",%llu,%llu,%llu,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu",
			 (unsigned long long)vm->nr_fmem_cap_pages,
			 (unsigned long long)vm->nr_fmem_pages,
			 (unsigned long long)vm->nr_smem_pages, vm->pm.nr,
			 (unsigned long long)(m->nr_promotions -
					      vm->mig_snap.nr_promotions),
			 (unsigned long long)(m->nr_demotions -
					      vm->mig_snap.nr_demotions),
			 (unsigned long long)(m->nr_exchanges -
					      vm->mig_snap.nr_exchanges),
			 (unsigned long long)(m->sz_bytes - vm->mig_snap.sz_bytes),
			 (unsigned long long)(m->cpu_ns - vm->mig_snap.cpu_ns),
			 (unsigned long long)(m->nr_tlb_flushes -
					      vm->mig_snap.nr_tlb_flushes),
			 (unsigned long long)(ss.nr_dropped -
					      vm->smp_snap.nr_dropped),
			 (unsigned long long)(smp_cpu - vm->smp_snap.cpu_ns));
	own = tm_ident_own_cpu_ns(&vm->idents[0]);
	tm_strbuf_printf(rows, ",%llu", (unsigned long long)
			 (tm_ident_cpu_ns(&vm->idents[0],
					  t->nr_samples - s->nr_samples) +
			  own - vm->own_cpu_snap));
	vm->own_cpu_snap = own;
	/* the last four columns are appended by the host (balloon state) */
	vm->snap = vm->total;
	vm->mig_snap = *m;
	vm->smp_snap = ss;
	vm->smp_snap.cpu_ns = smp_cpu;
}
