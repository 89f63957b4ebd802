/*
 * epoch.c - a VM's epoch (DESIGN.md §7): the truth of the epoch's window,
 * every identifier's ranking scored against it into epochs.csv, then the
 * main identifier's ranking handed to the migration planner (vm.c).
 *
 * Truth, by what the trace can give (docs/metrics.md "Ground truth"):
 *  - exact: a full access trace, every access counted (TM_ACC);
 *  - distribution: a generated trace (inline, or a .tmt whose header keeps
 *    its provenance), the generator's expected accesses (traces/gen/dist.h);
 *  - estimated: a recorded sample trace, samples x period.
 */
#include "vm.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "traces/gen/dist.h"
#include "lib/alloc.h"

/* Regions (hottest first) into hot pages: the touched pages of each
 * region, in page order, until the hot list is full.  A region wider than
 * the pages touched so far is matched against the dense page list instead
 * of walked page by page. */
static void regions_to_pages(struct tm_vm_rt *vm)
{
	struct tm_rank *r = &vm->rank;

	r->nr_hot = 0;
	for (size_t i = 0; i < r->nr_regions && r->nr_hot < r->cap; i++) {
		const struct tm_region *g = &r->regions[i];

		if (g->end - g->start > vm->pm.nr) {
			for (uint32_t k = 0; k < vm->pm.nr && r->nr_hot < r->cap; k++)
				if (tm_pagemap_page(&vm->pm, k) >= g->start &&
				    tm_pagemap_page(&vm->pm, k) < g->end)
					r->hot[r->nr_hot++] = k;
			continue;
		}
		for (uint64_t pg = g->start; pg < g->end && r->nr_hot < r->cap;
		     pg++) {
			uint32_t k = tm_pagemap_find(&vm->pm, pg);

			if (k != TM_PAGE_NONE)
				r->hot[r->nr_hot++] = k;
		}
	}
}

/* The identifier's ranking into vm->rank; exchange pairs only if `pairs`:
 * the main identifier, mode exchange, no batch in flight.  A kind may
 * change its own state for the pairs it hands out (identifier.h), so it is
 * asked for none when they would never be moved. */
static void rank_ident(struct tm_vm_rt *vm, struct tm_ident_rt *id,
		       bool pairs, struct tm_rank_scratch *sc)
{
	uint64_t *pro = vm->rank.promote, *dem = vm->rank.demote;

	vm->rank.nr_hot = vm->rank.nr_pairs = vm->rank.nr_regions = 0;
	vm->rank.nr_cold = 0;
	vm->rank.nr_fmem_cap_pages = vm->nr_fmem_cap_pages;
	vm->rank.nr_fmem_pages = tm_vm_fmem_held(vm);
	if (!pairs || !(id->ops->kind.flags & TM_IDENT_PAIRS))
		vm->rank.promote = vm->rank.demote = NULL;
	tm_ident_rank(id->ops, id->st, &vm->rank, sc);
	vm->rank.promote = pro;
	vm->rank.demote = dem;
	if (id->ops->kind.flags & TM_IDENT_REGIONS)
		regions_to_pages(vm);
}

/* The epoch's truth: T (touched pages marked in vm->mark and listed in
 * truth_sel.idx[0, nr_sel)), its accesses and the epoch's. */
struct epoch_truth {
	uint64_t c;             /* the largest FMEM capacity of the epoch */
	size_t nr_true;         /* |T|, touched or not */
	double sum_true;        /* accesses of T (expected, for distribution) */
	double total;           /* accesses of every page */
	double oracle;          /* NaN when undefined */
	size_t smp_k;           /* exact on samples: last k (SIZE_MAX: none) */
	double smp_prec;        /* and its precision */
	double single_share;    /* estimated: T's pages on one sample */
	bool placement_changed; /* achieved may exceed the oracle: below */
	bool changing;          /* distribution truth: it changes in the epoch */
	double new_share;       /* accesses served by pages that entered FMEM
				 * in the epoch, a share of all (NaN: none) */
};

/* With distribution truth epoch_cnt caches each page's expectation (the
 * bits of a double), filled on first use: every identifier scores its
 * ranked pages, and a page's expectation (a Zipf rank and a pow) was
 * computed once per identifier (callgrind, an exact shadow on a 1 GiB Zipf
 * VM: 330 M instructions of 770 M).  The cache outlives the epoch while
 * the expectations stay the same (tm_gen_dist_value_sig: a stationary
 * distribution over epochs with the same expected accesses); only pages
 * touched since are unset (one host of the cluster bench: 461 M of its
 * 5.4 G instructions went to recomputing the same values every epoch). */
#define TRUTH_UNSET UINT64_MAX

/* Accesses of touched page idx in the epoch: exact or estimated counts,
 * or the distribution's expectation. */
static double page_truth(struct tm_vm_rt *vm, uint32_t idx)
{
	double e;

	if (!vm->dist)
		return (double)vm->epoch_cnt[idx];
	if (vm->epoch_cnt[idx] != TRUTH_UNSET) {
		memcpy(&e, &vm->epoch_cnt[idx], sizeof(e));
		return e;
	}
	e = tm_gen_dist_expected(vm->dist, tm_pagemap_page(&vm->pm, idx));
	memcpy(&vm->epoch_cnt[idx], &e, sizeof(e));
	return e;
}

/* Pages ahead whose per-page truth score_ident() starts to load: ranked
 * pages are scattered over megabytes of counts, and scoring a zoo's seven
 * rankings every epoch waited on them (40 M-sample Zipf replay: the loop
 * took 9% of the run's cycles, most at that load). */
#define SCORE_AHEAD 16

/* Start loading what page_truth() reads for page idx (a page's
 * expectation is computed from its page number once an epoch). */
static inline __attribute__((always_inline)) void
prefetch_truth(const struct tm_vm_rt *vm, uint32_t idx)
{
	__builtin_prefetch(&vm->epoch_cnt[idx]);
	if (vm->dist)
		__builtin_prefetch(tm_pagemap_page_at(&vm->pm, idx));
}

/* Start loading the sample counts score_ident() reads for page idx. */
static inline __attribute__((always_inline)) void
prefetch_count(const struct tm_vm_rt *vm, const struct tm_ident_rt *id,
	       uint32_t idx)
{
	__builtin_prefetch(id->ref ? (const void *)&id->ref[idx] :
					 (const void *)&vm->cum[idx]);
	if (id->ref)
		__builtin_prefetch(&id->ref_base[idx]);
	else if (vm->smp_base)
		__builtin_prefetch(&vm->smp_base[idx]);
	else
		__builtin_prefetch(&vm->smp_base32[idx]);
	/* estimate()'s argument */
	__builtin_prefetch(tm_pagemap_page_at(&vm->pm, idx));
}

/* Score one identifier's ranking (in vm->rank) against T.  Weighted recall
 * is Σ_{p∈H} a_p / Σ_{p∈T} a_p (docs/metrics.md): it does not depend on
 * how T broke ties, which a uniform distribution is made of. */
static void score_ident(struct tm_vm_rt *vm, struct tm_ident_rt *id,
			const struct epoch_truth *et, uint64_t c,
			struct tm_accuracy *acc)
{
	size_t hit = 0, nr_hot, nr_are = 0;
	double sum_hot = 0, are = 0, aae = 0;
	bool counts = id->ops->kind.flags & TM_IDENT_COUNTS;

	nr_hot = vm->rank.nr_hot < c ? vm->rank.nr_hot : (size_t)c;
	for (size_t i = 0; i < nr_hot; i++) {
		uint32_t idx = (uint32_t)vm->rank.hot[i];

		if (i + SCORE_AHEAD < nr_hot)
			prefetch_truth(vm, (uint32_t)vm->rank.hot[i +
								  SCORE_AHEAD]);
		hit += vm->mark[idx];
		sum_hot += page_truth(vm, idx);
	}
	for (size_t i = 0; counts && i < vm->nr_sel; i++) {
		uint32_t idx = vm->truth_sel.idx[i];
		uint64_t now, n, e;
		double d;

		if (i + SCORE_AHEAD < vm->nr_sel)
			prefetch_count(vm, id, vm->truth_sel.idx[i + SCORE_AHEAD]);
		now = id->ref ? id->ref[idx] : TM_SMP(vm, idx);
		n = id->cum_window ? now : id->ref ? now - id->ref_base[idx] :
		    tm_vm_smp_epoch(vm, idx);
		e = id->ops->estimate(id->st, idx,
				      tm_pagemap_page(&vm->pm, idx));
		d = fabs((double)e - (double)n);
		aae += d;
		if (n) {
			are += d / (double)n;
			nr_are++;
		}
	}
	acc->nr_hot = nr_hot;
	acc->nr_true = et->nr_true;
	acc->precision = nr_hot ? (double)hit / (double)nr_hot : NAN;
	acc->recall = et->nr_true ? (double)hit / (double)et->nr_true : NAN;
	acc->wrecall = et->sum_true > 0 ? sum_hot / et->sum_true : NAN;
	acc->aae = counts && vm->nr_sel ? aae / (double)vm->nr_sel : NAN;
	acc->are = nr_are ? are / (double)nr_are : NAN;
	acc->saturated = id->ops->saturated ?
			 (double)id->ops->saturated(id->st, vm->rank.hot,
						    nr_hot) : NAN;
}

static void add_losses(struct tm_ident_rt *id, double smp, double ident)
{
	if (!isnan(smp)) {
		id->sum_sampling_loss += smp;
		id->nr_sampling_loss++;
	}
	if (!isnan(ident)) {
		id->sum_ident_loss += ident;
		id->nr_ident_loss++;
	}
}

/* An epoch where the identifier names no page scores recall 0 (and no
 * precision): a kind that holds back (ranges before a range reaches 2 MiB,
 * hemem with no hot page) is not averaged over its good epochs only. */
static void add_scores(struct tm_ident_rt *id, const struct tm_accuracy *a)
{
	if (isnan(a->recall))
		return;
	id->nr_scored++;
	if (!isnan(a->precision)) {
		id->nr_named++;
		id->sum_precision += a->precision;
	}
	id->sum_recall += a->recall;
	id->sum_wrecall += isnan(a->wrecall) ? 0 : a->wrecall;
	id->sum_aae += isnan(a->aae) ? 0 : a->aae;
	if (!isnan(a->are)) {
		id->sum_are += a->are;
		id->nr_are++;
	}
	if (!isnan(a->saturated)) {
		id->sum_saturated += (uint64_t)a->saturated;
		if ((uint64_t)a->saturated > id->max_saturated)
			id->max_saturated = (uint64_t)a->saturated;
	}
}

static void epoch_row(struct tm_strbuf *rows, const char *host,
		      const struct tm_vm_rt *vm, uint32_t epoch_no,
		      uint64_t now_ns, const struct tm_ident_rt *id,
		      const struct tm_accuracy *a, double hit,
		      const struct epoch_truth *et, const double loss[2])
{
	tm_strbuf_printf(rows, "%u,%llu,%s,%s,%s,%s,%zu,%zu,", epoch_no,
			 (unsigned long long)now_ns, host, vm->name,
			 id->cfg->kind, id->shadow ? "shadow" : "main",
			 a->nr_hot, a->nr_true);
	tm_strbuf_num(rows, a->precision);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, a->recall);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, a->wrecall);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, a->are);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, a->aae);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, hit);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, et->oracle);
	tm_strbuf_printf(rows, ",%s,", tm_truth_source_name(vm->truth_src));
	tm_strbuf_num(rows, loss[0]);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, loss[1]);
	tm_strbuf_printf(rows, ",");
	tm_strbuf_num(rows, et->single_share);
	tm_strbuf_printf(rows, ",%d,", et->placement_changed);
	tm_strbuf_num(rows, et->new_share);
	tm_strbuf_printf(rows, ",%zu,", id->ops->memory_bytes(id->st));
	if (!isnan(a->saturated))   /* a count; empty for a kind without */
		tm_strbuf_printf(rows, "%llu",
				 (unsigned long long)a->saturated);
	tm_strbuf_printf(rows, "\n");
}

/* Unmark T's pages of the last epoch. */
static void clear_marks(struct tm_vm_rt *vm)
{
	for (size_t i = 0; i < vm->nr_sel; i++)
		vm->mark[vm->truth_sel.idx[i]] = 0;
	vm->nr_sel = 0;
}

static void reset_window(struct tm_vm_rt *vm, uint64_t now_ns)
{
	if (vm->truth) {
		if (!vm->dist)   /* select_dist keeps or clears its own */
			clear_marks(vm);
		for (uint32_t i = 0; vm->true_base && i < vm->pm.nr; i++)
			vm->true_base[i] = TM_ACC(vm, i);
		for (uint32_t i = 0; vm->smp_base && i < vm->pm.nr; i++)
			vm->smp_base[i] = TM_SMP(vm, i);
		for (uint32_t i = 0; vm->smp_base32 && i < vm->pm.nr; i++)
			vm->smp_base32[i] = (uint32_t)TM_SMP(vm, i);
		for (uint32_t k = 0; k < vm->nr_idents; k++)
			if (vm->idents[k].ref)
				memcpy(vm->idents[k].ref_base, vm->idents[k].ref,
				       vm->pm.nr * sizeof(uint64_t));
	}
	for (uint32_t i = 0; i < vm->nr_idents; i++)
		vm->idents[i].ops->epoch_end(vm->idents[i].st);
	vm->epoch = vm->total;
	vm->epoch_start_ns = now_ns;
	vm->nr_fmem_cap_max_epoch = vm->nr_fmem_cap_pages;
	vm->nr_pages_epoch0 = vm->pm.nr;
}

/* T from counts: the epoch's top-C pages by accesses (exact, or samples x
 * period when estimated). */
static void select_counted(struct tm_vm_rt *vm, struct epoch_truth *et)
{
	/* the epoch's window: counts since the last epoch (the per-record path
	 * only adds to the cumulative counts, one array write fewer) */
	for (uint32_t i = 0; i < vm->pm.nr; i++)
		vm->epoch_cnt[i] = TM_ACC(vm, i) - vm->true_base[i];
	vm->nr_sel = tm_truth_top(&vm->truth_sel, vm->epoch_cnt, vm->pm.nr,
				  et->c);
	for (size_t i = 0; i < vm->nr_sel; i++) {
		vm->mark[vm->truth_sel.idx[i]] = 1;
		et->sum_true += (double)vm->epoch_cnt[vm->truth_sel.idx[i]];
	}
	et->nr_true = vm->nr_sel;
	et->total = (double)(vm->total.nr_accesses - vm->epoch.nr_accesses);
}

static void mark_one(struct tm_vm_rt *vm, uint32_t idx)
{
	vm->mark[idx] = 1;
	vm->truth_sel.idx[vm->nr_sel++] = idx;
}

static void mark_page(void *ctx, uint64_t page)
{
	struct tm_vm_rt *vm = ctx;
	uint32_t idx = tm_pagemap_find(&vm->pm, page);

	if (idx != TM_PAGE_NONE)
		mark_one(vm, idx);
}

/* T from the distribution (traces/gen/dist.h); its touched pages are
 * marked by whichever is shorter: T, or the touched pages.  Marked by the
 * touched pages, in page order, T's marks and selection are kept for the
 * next epoch: when its T is the same set (tm_gen_dist_top_sig, e.g. a
 * stationary distribution at the same capacity) only the pages touched
 * since are looked up, and the selection is what a rebuild would give,
 * in the same order.  (A Zipf page's membership is a rank lookup: 15% of
 * the cluster bench's instructions when every epoch looked up every
 * page.) */
static void select_dist(struct tm_vm_rt *vm, uint64_t now_ns,
			struct epoch_truth *et)
{
	struct tm_gen_top top;
	uint64_t sig;
	uint32_t nr = vm->pm.nr, from = 0;

	tm_gen_dist_epoch(vm->dist, vm->epoch_start_ns, now_ns, et->c, &top);
	sig = tm_gen_dist_value_sig(vm->dist);
	if (!sig || sig != vm->value_sig)
		vm->value_nr_pages = 0;
	memset(vm->epoch_cnt + vm->value_nr_pages, 0xff,
	       (nr - vm->value_nr_pages) * sizeof(*vm->epoch_cnt));
	vm->value_sig = sig;
	vm->value_nr_pages = nr;
	sig = tm_gen_dist_top_sig(vm->dist);
	if (nr < top.nr_true && sig && sig == vm->top_sig)
		from = vm->top_nr_pages;
	else
		clear_marks(vm);
	tm_truth_sel_reserve(&vm->truth_sel, top.nr_true < nr ?
				(size_t)top.nr_true : nr);
	vm->top_sig = 0;
	if (nr < top.nr_true) {
		struct tm_pagenums pn = tm_pagemap_nums(&vm->pm);
		const struct tm_gen_dist *dist = vm->dist;

		for (uint32_t i = from; i < nr; i++)
			if (tm_gen_dist_in_top(dist, tm_pagenums_at(pn, i)))
				mark_one(vm, i);
		vm->top_sig = sig;
		vm->top_nr_pages = nr;
	} else {
		tm_gen_dist_each_top(vm->dist, mark_page, vm);
	}
	et->nr_true = top.nr_true;
	et->sum_true = top.mass;
	et->total = top.total;
	et->changing = top.changing;
}

/* Precision against T of a perfect counter of the delivered samples
 * ("exact on samples") naming as many pages as the identifier does (k):
 * the epoch's top-k pages by their sample counts in the main identifier's
 * weights (TM_SMP).  The last k is kept: shadows often share it. */
static double samples_precision(struct tm_vm_rt *vm, struct epoch_truth *et,
				size_t k)
{
	size_t n, hit = 0;

	if (et->smp_k == k)
		return et->smp_prec;
	if (et->smp_k == SIZE_MAX)
		for (uint32_t i = 0; i < vm->pm.nr; i++)
			vm->scratch[i] = tm_vm_smp_epoch(vm, i);
	n = tm_truth_top(&vm->xsel, vm->scratch, vm->pm.nr, k);
	for (size_t i = 0; i < n; i++)
		hit += vm->mark[vm->xsel.idx[i]];
	et->smp_k = k;
	et->smp_prec = n ? (double)hit / (double)n : NAN;
	return et->smp_prec;
}

/* Sampling and identifier loss of one identifier (docs/metrics.md):
 * precision 1 (truth) - exact on samples - the identifier. */
static void losses(struct tm_vm_rt *vm, struct epoch_truth *et,
		   const struct tm_accuracy *a, double *smp, double *ident)
{
	double p = samples_precision(vm, et, a->nr_hot);

	*smp = vm->truth_src == TM_TRUTH_ESTIMATED ? NAN : 1 - p;
	*ident = p - a->precision;
}

/* A non-negative count as the bits of a float: order-preserving, so two
 * counts fit one 64-bit sort key (24 bits of precision is plenty for a
 * tie-break between counts; equal-looking counts fall to the lower half). */
static uint64_t order_bits(uint64_t v)
{
	float f = (float)v;
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

/* The top-C pages of one half (the first by time, or the second), scored
 * by their accesses in the other half, as a share of that half's
 * (docs/metrics.md).  Pages are chosen by their count in the choosing half,
 * ties broken by their accesses before the epoch; a half of a flat or
 * long-tailed distribution names fewer than C pages, and the rest of the
 * choice goes to the pages most accessed before the epoch: history the
 * scoring half cannot have touched.  A page first touched in the scoring
 * half is never chosen.  Slots still free after that hold arbitrary pages
 * of the VM's memory: they are credited with the mean scoring-half share
 * of a page not chosen (the expected hits of a random fill). */
static double half_score(struct tm_vm_rt *vm, uint64_t c, bool first)
{
	uint64_t nr_mem = vm->cfg->sz_mem >> vm->page_shift;
	double hits = 0, all = 0;
	size_t n;

	for (uint32_t i = 0; i < vm->pm.nr; i++) {   /* pick on one half */
		uint64_t a = first ? vm->half_base[i] - vm->true_base[i] :
			     TM_ACC(vm, i) - vm->half_base[i];
		uint64_t h = vm->true_base[i] ? vm->true_base[i] :
			     i < vm->nr_pages_epoch0;

		vm->scratch[i] = order_bits(a) << 32 | order_bits(h);
	}
	n = tm_truth_top(&vm->xsel, vm->scratch, vm->pm.nr, c);
	for (uint32_t i = 0; i < vm->pm.nr; i++)   /* score on the other */
		all += (double)(first ? TM_ACC(vm, i) - vm->half_base[i] :
				vm->half_base[i] - vm->true_base[i]);
	for (size_t i = 0; i < n; i++) {
		uint32_t k = vm->xsel.idx[i];

		hits += (double)(first ? TM_ACC(vm, k) - vm->half_base[k] :
				 vm->half_base[k] - vm->true_base[k]);
	}
	if (nr_mem < vm->pm.nr)
		nr_mem = vm->pm.nr;
	if (n < c && nr_mem > n) {
		uint64_t free = c - n < nr_mem - n ? c - n : nr_mem - n;

		hits += (all - hits) * (double)free / (double)(nr_mem - n);
	}
	return all > 0 ? hits / all : NAN;
}

/* The cross-fitted oracle of estimated truth (DESIGN.md §7): top-C chosen
 * on the epoch's first half (by time), hits scored on the second, and the
 * reverse, averaged.  Never scored on the samples it was chosen from. */
static double xfit_oracle(struct tm_vm_rt *vm, uint64_t c)
{
	double ab, ba;

	if (vm->half_ns) {   /* the midpoint was never reached: one half */
		for (uint32_t i = 0; i < vm->pm.nr; i++)
			vm->half_base[i] = TM_ACC(vm, i);
		vm->half_ns = 0;
	}
	ab = half_score(vm, c, true);
	ba = half_score(vm, c, false);
	if (isnan(ab))
		return ba;
	return isnan(ba) ? ab : (ab + ba) / 2;
}

/* Share of T's pages that rest on one sample: an epoch count of one load
 * or one store period (estimated truth). */
static double single_share(const struct tm_vm_rt *vm)
{
	size_t n = 0;

	for (size_t i = 0; i < vm->nr_sel; i++) {
		uint64_t a = vm->epoch_cnt[vm->truth_sel.idx[i]];

		n += a == vm->load_period || a == vm->store_period;
	}
	return vm->nr_sel ? (double)n / (double)vm->nr_sel : NAN;
}

/* Oracle and error decomposition of the epoch (docs/metrics.md). */
static void epoch_figures(struct tm_vm_rt *vm, uint64_t sum_all,
			  struct epoch_truth *et)
{
	et->smp_k = SIZE_MAX;
	et->single_share = NAN;
	et->oracle = sum_all && et->total > 0 ? et->sum_true / et->total : NAN;
	if (vm->truth_src != TM_TRUTH_ESTIMATED)
		return;
	et->single_share = single_share(vm);
	et->oracle = sum_all ? xfit_oracle(vm, et->c) : NAN;
}

/* Whether achieved may exceed the oracle this epoch (DESIGN.md §7;
 * docs/metrics.md, "placement_changed"): the oracle is the best static
 * placement at the epoch's largest capacity C.  S0, the FMEM set at the
 * epoch's start, holds at most C pages; every other hit is on a page that
 * entered FMEM during the epoch (first touch or a landed promotion), and
 * vm->new_hits sums those (et->new_share of the accesses).
 *  - Counted truth (exact, estimated): if no batch landed and the capacity
 *    did not change, pages only entered FMEM, so the FMEM set at the end
 *    (<= C pages) holds every hit page; if no entered page was hit, every
 *    hit is on S0.  Either way hits <= the best C pages' accesses: flag
 *    only when a page left or may have left FMEM and an entered page hit.
 *  - Distribution truth: with no first touch to FMEM and a distribution
 *    that stays put, a placement that does not look ahead cannot beat the
 *    top C in expectation, whatever it moves.  Otherwise E[hits] <= the
 *    oracle + new_hits (S0's expected accesses are at most the top C's),
 *    and the records are one draw with standard deviation
 *    sigma = sqrt(o (1 - o) / records) of the ratio: flag when the entered
 *    pages served more than PC_SIGMAS sigma, what could lift achieved
 *    above the oracle beyond the draw's own noise. */
#define PC_SIGMAS 3.0

static bool placement_changed(const struct tm_vm_rt *vm, uint64_t records,
			      const struct epoch_truth *et)
{
	double o, sigma;

	if (!vm->truth || !vm->new_hits)
		return false;
	if (!vm->dist)
		return vm->moved_this_epoch || vm->cap_changed_this_epoch;
	if (!vm->touched_fmem_this_epoch && !et->changing)
		return false;
	o = isnan(et->oracle) ? 0.0 : et->oracle;
	sigma = records ? sqrt(o * (1.0 - o) / (double)records) : 0.0;
	return et->new_share > PC_SIGMAS * sigma;
}

/* DESIGN.md §7 invariant: achieved <= oracle in every epoch that
 * placement_changed does not flag, for counted truth (above).  Against a
 * distribution it holds in expectation only (the records are a draw).
 * Inline: only assert() calls it. */
static inline bool achieved_ok(const struct tm_vm_rt *vm, uint64_t hits,
			       const struct epoch_truth *et)
{
	return !vm->truth || vm->dist || et->placement_changed ||
	       (double)hits <= et->sum_true;
}

/* The epoch's truth: T, the oracle and placement_changed. */
static void epoch_oracle(struct tm_vm_rt *vm, uint64_t now_ns,
			 uint64_t sum_all, uint64_t hits,
			 struct epoch_truth *et)
{
	if (vm->truth && vm->dist)
		select_dist(vm, now_ns, et);
	else if (vm->truth)
		select_counted(vm, et);
	if (vm->truth)
		epoch_figures(vm, sum_all, et);
	et->new_share = sum_all ? (double)vm->new_hits / (double)sum_all : NAN;
	et->placement_changed = placement_changed(vm, vm->total.nr_records -
						  vm->epoch.nr_records, et);
	assert(achieved_ok(vm, hits, et));
	(void)hits;   /* NDEBUG */
}

/* What placement_changed reads starts afresh each epoch. */
static void clear_placement(struct tm_vm_rt *vm)
{
	vm->moved_this_epoch = false;
	vm->cap_changed_this_epoch = false;
	vm->touched_fmem_this_epoch = false;
	vm->new_hits = 0;
	if (vm->fnew)
		memset(vm->fnew, 0, ((size_t)vm->arr_cap + 63) / 64 *
		       sizeof(*vm->fnew));
}

void tm_vm_scratch_free(struct tm_vm_scratch *sc)
{
	free(sc->cnt);
	tm_truth_sel_free(&sc->sel);
	tm_rank_scratch_free(&sc->rank);
	memset(sc, 0, sizeof(*sc));
}

uint64_t *tm_vm_scratch_counts(struct tm_vm_scratch *sc,
			       const struct tm_vm_rt *vm)
{
	if (!sc->cnt || sc->cap < vm->pm.nr) {   /* arr_cap >= 64 */
		free(sc->cnt);
		sc->cap = vm->arr_cap;
		sc->cnt = tm_xmalloc(sc->cap * sizeof(*sc->cnt));
	}
	return sc->cnt;
}

/* Lend sc to vm for one epoch (its contents need not survive one); only
 * the truth tracker uses it. */
static void borrow_scratch(struct tm_vm_rt *vm, struct tm_vm_scratch *sc)
{
	if (!vm->truth)
		return;
	vm->scratch = tm_vm_scratch_counts(sc, vm);
	vm->xsel = sc->sel;
}

static void return_scratch(struct tm_vm_rt *vm, struct tm_vm_scratch *sc)
{
	if (!vm->truth)
		return;
	sc->sel = vm->xsel;   /* a selection may have grown */
	vm->xsel = (struct tm_truth_sel){ 0 };
	vm->scratch = NULL;
}

uint64_t tm_vm_epoch(struct tm_vm_rt *vm, struct tm_vm_scratch *sc,
		     uint64_t now_ns, uint64_t epoch_ns, uint32_t epoch_no,
		     const char *host_name, struct tm_strbuf *rows)
{
	uint64_t c = vm->nr_fmem_cap_pages, sum_all, done = 0;
	uint64_t hits = vm->total.hits_fmem - vm->epoch.hits_fmem;
	struct epoch_truth et = { .c = c > vm->nr_fmem_cap_max_epoch ? c :
				  vm->nr_fmem_cap_max_epoch };
	double hit_ratio;

	sum_all = vm->total.nr_accesses - vm->epoch.nr_accesses;
	borrow_scratch(vm, sc);
	epoch_oracle(vm, now_ns, sum_all, hits, &et);
	hit_ratio = sum_all ? (double)hits / (double)sum_all : NAN;
	if (sum_all) {
		vm->sum_epoch_ratio += hit_ratio;
		vm->sum_oracle_ratio += vm->truth && !isnan(et.oracle) ?
					et.oracle : 0;
		vm->nr_ratio_epochs++;
	}
	/* Shadows first, so the main identifier's rank stays in vm->rank;
	 * without truth only the main one, which plans the migration, ranks. */
	for (uint32_t i = vm->nr_idents; i-- > 0;) {
		struct tm_accuracy a;
		bool pairs = i == 0 && !vm->busy &&
			     vm->cfg->migration.mode == TM_MIG_EXCHANGE;

		if (!vm->truth && i > 0)
			continue;
		rank_ident(vm, &vm->idents[i], pairs, &sc->rank);
		if (!vm->truth)
			continue;
		score_ident(vm, &vm->idents[i], &et, c, &a);
		if (sum_all) {
			double loss[2];

			losses(vm, &et, &a, &loss[0], &loss[1]);
			add_scores(&vm->idents[i], &a);
			add_losses(&vm->idents[i], loss[0], loss[1]);
			epoch_row(rows, host_name, vm, epoch_no, now_ns,
				  &vm->idents[i], &a, hit_ratio, &et, loss);
		}
	}
	return_scratch(vm, sc);
	if (vm->busy)
		vm->nr_epochs_skipped_busy++;
	else
		done = tm_vm_plan_migration(vm, now_ns, epoch_ns);
	reset_window(vm, now_ns);
	if (vm->half_base)
		vm->half_ns = now_ns + epoch_ns / 2;
	clear_placement(vm);
	vm->nr_epochs++;
	return done;
}
