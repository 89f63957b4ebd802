/*
 * dist.c - the distribution truth of a generated trace (see dist.h; the
 * rules are DESIGN.md §7 and docs/metrics.md "Ground truth").
 *
 * An epoch of VM time becomes stretches of stream time (trace reuse
 * inverted: t_stream = (t_vm - time_offset - pass start) / time_scale), a
 * stretch becomes components (phase, part, stretch between two hot-set
 * moves), and components with the same (phase, part, stretch start) add
 * their expected records, so a looped trace costs no more per epoch than
 * one pass.  T is selected over the components' rank orders (gen.h: rank_of,
 * page_at, rank_prob, top_prob).
 *
 * Notes (simplifications, all in docs/metrics.md):
 *  - Records arrive at a constant rate over a pass (the generators'
 *    fixed inter-arrival times), so expected records of a stretch =
 *    rate × length; a part of a mixture gets its normalised weight of them.
 *  - A sample stands for the mean period, (1 - stores) × load_period +
 *    stores × store_period, since load/store is drawn apart from the page.
 *  - An address offset that is not page aligned is taken down to a page.
 *  - A deterministic part (scan) alone in its phase is the window of its
 *    draws in the epoch (gen.h: window); in a mixture, or with a stride
 *    that knows no window, its long-run share per page (page_prob).
 */
#include "dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "lib/alloc.h"
#include "lib/hash.h"

/* Assumption: no epoch meets more distinct (phase, part, stretch) than
 * this; beyond it, further stretches add to the last component. */
#define DIST_MAX_COMP 256
/* Windows of deterministic parts per epoch, and runs per window; beyond,
 * the part's long-run share. */
#define DIST_MAX_WIN 16
#define DIST_WIN_RUNS 16

struct comp {
	const struct tm_gen_part *p;
	const struct tm_generator_ops *g;   /* its rank order */
	const void *st;         /* the part's truth state, or its window */
	uint64_t t_ns;          /* stream time of its distribution */
	uint64_t lo, n;         /* VM pages [lo, lo + n) */
	double w;               /* expected accesses in the epoch */
	uint64_t take;          /* its ranks [0, take) are in T (disjoint case) */
	uint32_t phase, part;
	bool win;               /* a window of a deterministic part */
};

/* A window's rank order: its runs by visits (then page), ranks before. */
struct win {
	struct tm_gen_run run[DIST_WIN_RUNS];
	uint64_t rank[DIST_WIN_RUNS];
	uint32_t nr;
	double nr_draws;
};

/* Pages [page, page + n), each with expected accesses mass. */
struct cand_seg {
	uint64_t page, n;
	double mass;
};

struct tm_gen_dist {
	struct tm_gen_spec spec;
	struct tm_gen_dist_map map;
	double per_record;          /* accesses per record */
	double ns_per_record;
	uint64_t pass_ns;           /* stream time one pass covers */
	uint64_t period_ns;         /* loop: VM time between pass starts */
	struct comp comp[DIST_MAX_COMP];
	uint32_t nr_comp;
	struct win win[DIST_MAX_WIN];
	uint32_t nr_win;
	bool overlap;
	struct cand_seg *top;       /* overlap: T's segments sorted by page */
	size_t nr_top, cap_top;
	uint64_t nr_top_pages;
	struct cand_seg *seg;       /* overlap: scratch */
	size_t nr_seg, cap_seg;
	_Alignas(16) unsigned char st[TM_GEN_MAX_PHASES][TM_GEN_MAX_PARTS]
				     [TM_GEN_STATE_MAX];
};

double tm_gen_dist_per_record(const struct tm_gen_spec *s)
{
	double sp;

	if (s->kind != TM_TRACE_SAMPLES)
		return 1.0;
	sp = (double)(s->store_period ? s->store_period : s->load_period);
	return (1 - s->store_share) * (double)s->load_period + s->store_share * sp;
}

/* Time of record i, as the stream computes it. */
static uint64_t record_ns(const struct tm_gen_dist *d, uint64_t i)
{
	return (uint64_t)((double)i * d->ns_per_record);
}

/* Records in one pass: up to nr_records, and before duration. */
static uint64_t pass_records(const struct tm_gen_dist *d)
{
	const struct tm_gen_spec *s = &d->spec;
	uint64_t n = s->nr_records ? s->nr_records : UINT64_MAX;

	if (s->duration_ns) {
		uint64_t m = (uint64_t)ceil((double)s->duration_ns /
					    d->ns_per_record);

		while (m > 0 && record_ns(d, m - 1) >= s->duration_ns)
			m--;
		while (record_ns(d, m) < s->duration_ns)
			m++;
		n = m < n ? m : n;
	}
	return n;
}

/* The pass length and, for a loop, the VM time between pass starts as
 * traces/reuse.c computes it (last record + the mean gap). */
static void init_passes(struct tm_gen_dist *d)
{
	uint64_t n = pass_records(d), last, gap;
	double v;

	d->pass_ns = n == UINT64_MAX ? UINT64_MAX :
		     (uint64_t)((double)n * d->ns_per_record);
	if (!d->map.loop || n == UINT64_MAX || n == 0)
		return;
	last = record_ns(d, n - 1);
	v = (double)last * d->map.time_scale;
	last = v >= 1.8e19 ? UINT64_MAX / 2 : (uint64_t)v;
	gap = n > 1 ? last / (n - 1) : 1;
	d->period_ns = last + (gap ? gap : 1);
}

struct tm_gen_dist *tm_gen_dist_new(const struct tm_gen_spec *spec,
				    const struct tm_gen_dist_map *map)
{
	struct tm_gen_dist *d;

	for (uint32_t i = 0; i < spec->nr_phases; i++)
		for (uint32_t j = 0; j < spec->phases[i].nr_parts; j++) {
			const struct tm_generator_ops *g =
				spec->phases[i].parts[j].gen;

			if (!g->rank_of || !g->page_at || !g->rank_prob ||
			    !g->top_prob)
				return NULL;
		}
	d = tm_xcalloc(1, sizeof(*d));
	d->spec = *spec;
	d->map = *map;
	if (!(d->map.time_scale > 0))
		d->map.time_scale = 1.0;
	d->per_record = tm_gen_dist_per_record(spec);
	d->ns_per_record = 1e9 / spec->rate_per_s;
	for (uint32_t i = 0; i < spec->nr_phases; i++)
		for (uint32_t j = 0; j < spec->phases[i].nr_parts; j++) {
			const struct tm_gen_part *p = &d->spec.phases[i].parts[j];

			p->gen->init(d->st[i][j], p, spec->page_shift);
		}
	init_passes(d);
	return d;
}

void tm_gen_dist_free(struct tm_gen_dist *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->spec.nr_phases; i++)
		for (uint32_t j = 0; j < d->spec.phases[i].nr_parts; j++)
			if (d->spec.phases[i].parts[j].gen->free)
				d->spec.phases[i].parts[j].gen->free(d->st[i][j]);
	free(d->top);
	free(d->seg);
	free(d);
}

/* ---- components -------------------------------------------------------- */

static void add_comp(struct tm_gen_dist *d, uint32_t ph, uint32_t j,
		     uint64_t t_ns, double w)
{
	const struct tm_gen_part *p = &d->spec.phases[ph].parts[j];
	uint32_t shift = d->spec.page_shift;
	struct comp *c;

	for (uint32_t k = 0; k < d->nr_comp; k++)
		if (!d->comp[k].win && d->comp[k].phase == ph &&
		    d->comp[k].part == j && d->comp[k].t_ns == t_ns) {
			d->comp[k].w += w;
			return;
		}
	if (d->nr_comp == DIST_MAX_COMP) {
		d->comp[d->nr_comp - 1].w += w;
		return;
	}
	c = &d->comp[d->nr_comp++];
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->g = p->gen;
	c->st = d->st[ph][j];
	c->t_ns = t_ns;
	c->lo = (p->base + d->map.addr_offset) >> shift;
	c->n = p->sz_footprint >> shift;
	c->w = w;
	c->phase = ph;
	c->part = j;
}

/* Start of the stretch without a change that holds u (>= from). */
static uint64_t stretch_start(const struct tm_gen_part *p, uint64_t from,
			      uint64_t u, uint64_t *next)
{
	uint64_t cur = from, nc;

	for (;;) {
		nc = p->gen->next_change ? p->gen->next_change(p, cur) : UINT64_MAX;
		if (nc > u)
			break;
		cur = nc;
	}
	*next = nc;
	return cur;
}

/* ---- windows of deterministic parts (scan) ---------------------------- */

/* The first record at or after stream time t. */
static uint64_t first_record(const struct tm_gen_dist *d, uint64_t t)
{
	double x = ceil((double)t / d->ns_per_record);
	uint64_t m;

	if (x >= 1.8e19)
		return UINT64_MAX / 2;
	m = (uint64_t)x;
	while (m > 0 && record_ns(d, m - 1) >= t)
		m--;
	while (record_ns(d, m) < t)
		m++;
	return m;
}

static int cmp_run(const void *a, const void *b)
{
	const struct tm_gen_run *x = a, *y = b;

	if (x->visits != y->visits)
		return x->visits > y->visits ? -1 : 1;
	return x->page < y->page ? -1 : x->page > y->page;
}

static uint64_t win_rank_of(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t pg)
{
	const struct win *w = state;

	(void)p;
	(void)t_ns;
	for (uint32_t i = 0; i < w->nr; i++)
		if (pg - w->run[i].page < w->run[i].n && pg >= w->run[i].page)
			return w->rank[i] + (pg - w->run[i].page);
	return 0;
}

static uint32_t win_run_at(const struct win *w, uint64_t rank)
{
	uint32_t i = 0;

	while (i + 1 < w->nr && w->rank[i + 1] <= rank)
		i++;
	return i;
}

static uint64_t win_page_at(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t rank)
{
	const struct win *w = state;
	uint32_t i = win_run_at(w, rank);

	(void)p;
	(void)t_ns;
	return w->run[i].page + (rank - w->rank[i]);
}

static double win_rank_prob(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t rank)
{
	const struct win *w = state;

	(void)p;
	(void)t_ns;
	return w->run[win_run_at(w, rank)].visits / w->nr_draws;
}

static double win_top_prob(const void *state, const struct tm_gen_part *p,
			   uint64_t t_ns, uint64_t c)
{
	const struct win *w = state;
	double v = 0;

	(void)p;
	(void)t_ns;
	for (uint32_t i = 0; i < w->nr && w->rank[i] < c; i++) {
		uint64_t k = c - w->rank[i] < w->run[i].n ? c - w->rank[i] :
			     w->run[i].n;

		v += (double)k * w->run[i].visits;
	}
	return v / w->nr_draws;
}

static const struct tm_generator_ops win_ops = {
	.rank_of = win_rank_of,
	.page_at = win_page_at,
	.rank_prob = win_rank_prob,
	.top_prob = win_top_prob,
};

/* Part j of phase ph over stream time [a, b) as the window of its draws;
 * false where the part knows no window.  Alone in its phase, the part
 * draws every record; in a mixture, the draws of part j (share s) before
 * record i are s x i in expectation (a binomial count: its standard
 * deviation, sqrt(i s (1 - s)), moves the window's edges by a few hundred
 * draws in a million), so the window is taken at the expected draws. */
static bool add_window(struct tm_gen_dist *d, uint32_t ph, uint32_t j,
		       uint64_t a, uint64_t b, double mult, double share)
{
	const struct tm_gen_part *p = &d->spec.phases[ph].parts[j];
	uint64_t k = first_record(d, d->spec.phases[ph].start_ns);
	uint64_t i0 = first_record(d, a), i1 = first_record(d, b);
	struct win *w = &d->win[d->nr_win];
	uint64_t rank = 0;

	if (!p->gen->window || d->nr_win == DIST_MAX_WIN ||
	    d->nr_comp == DIST_MAX_COMP)
		return false;
	if (share < 1) {   /* expected draws of the part, rounded alike */
		i0 = k + (uint64_t)llround(share * (double)(i0 - k));
		i1 = k + (uint64_t)llround(share * (double)(i1 - k));
	}
	if (i1 <= i0)
		return true;
	w->nr = p->gen->window(d->st[ph][j], p, i0 - k, i1 - i0, w->run,
			       DIST_WIN_RUNS);
	if (!w->nr)
		return false;
	qsort(w->run, w->nr, sizeof(w->run[0]), cmp_run);
	for (uint32_t i = 0; i < w->nr; i++, rank += w->run[i - 1].n)
		w->rank[i] = rank;
	w->nr_draws = (double)(i1 - i0);
	add_comp(d, ph, j, a, w->nr_draws * d->per_record * mult);
	d->comp[d->nr_comp - 1].win = true;
	d->comp[d->nr_comp - 1].g = &win_ops;
	d->comp[d->nr_comp - 1].st = w;
	d->nr_win++;
	return true;
}

/* Part j of phase ph over stream time [a, b), times mult passes. */
static void add_part(struct tm_gen_dist *d, uint32_t ph, uint32_t j,
		     uint64_t a, uint64_t b, double share)
{
	const struct tm_gen_part *p = &d->spec.phases[ph].parts[j];
	double per_ns = d->per_record / d->ns_per_record;
	uint64_t u = a, next;

	while (u < b) {
		uint64_t s0 = stretch_start(p, d->spec.phases[ph].start_ns, u,
					    &next);
		uint64_t v = next < b ? next : b;

		add_comp(d, ph, j, s0, (double)(v - u) * per_ns * share);
		u = v;
	}
}

/* Stream time [s0, s1) of one pass, mult times. */
static void add_stretch(struct tm_gen_dist *d, uint64_t s0, uint64_t s1,
			double mult)
{
	const struct tm_gen_spec *s = &d->spec;

	if (s1 > d->pass_ns)
		s1 = d->pass_ns;
	for (uint32_t i = 0; i < s->nr_phases && s0 < s1; i++) {
		const struct tm_gen_phase *ph = &s->phases[i];
		uint64_t end = i + 1 < s->nr_phases ? s->phases[i + 1].start_ns :
			       UINT64_MAX;
		uint64_t a = s0 > ph->start_ns ? s0 : ph->start_ns;
		uint64_t b = s1 < end ? s1 : end;
		double total = 0;

		if (a >= b)
			continue;
		for (uint32_t j = 0; j < ph->nr_parts; j++)
			total += ph->parts[j].weight;
		for (uint32_t j = 0; j < ph->nr_parts; j++)
			if (!add_window(d, i, j, a, b, mult,
					ph->parts[j].weight / total))
				add_part(d, i, j, a, b,
					 mult * ph->parts[j].weight / total);
	}
}

/* VM time [t0, t1) relative to a pass start, into stream time. */
static void add_vm_span(struct tm_gen_dist *d, uint64_t t0, uint64_t t1,
			double mult)
{
	double k = d->map.time_scale;
	uint64_t s0 = (uint64_t)ceil((double)t0 / k);
	uint64_t s1 = (double)t1 / k >= 1.8e19 ? UINT64_MAX :
		      (uint64_t)ceil((double)t1 / k);

	if (s0 < s1)
		add_stretch(d, s0, s1, mult);
}

/* The epoch's components: the passes it meets, full passes at once. */
static void components(struct tm_gen_dist *d, uint64_t t0, uint64_t t1)
{
	uint64_t off = d->map.time_offset_ns, p = d->period_ns, k0, k1;

	d->nr_comp = 0;
	d->nr_win = 0;
	if (t1 <= off)
		return;
	t0 = t0 > off ? t0 - off : 0;
	t1 -= off;
	if (!d->map.loop || !p) {
		add_vm_span(d, t0, t1, 1.0);
		return;
	}
	k0 = t0 / p;
	k1 = (t1 - 1) / p;
	if (k0 == k1) {
		add_vm_span(d, t0 - k0 * p, t1 - k0 * p, 1.0);
		return;
	}
	add_vm_span(d, t0 - k0 * p, p, 1.0);
	if (k1 > k0 + 1)
		add_vm_span(d, 0, p, (double)(k1 - k0 - 1));
	add_vm_span(d, 0, t1 - k1 * p, 1.0);
}

/* ---- T over disjoint components: a threshold on the merged orders ------ */

static double value(const struct comp *c, uint64_t r)
{
	return c->w * c->g->rank_prob(c->st, c->p, c->t_ns, r);
}

/* Ranks of c whose expected accesses are >= tau (> 0). */
static uint64_t count_ge(const struct comp *c, double tau)
{
	uint64_t a = 0, b = c->n;

	while (a < b) {
		uint64_t m = a + (b - a) / 2;

		if (value(c, m) >= tau)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static uint64_t sum_ge(const struct tm_gen_dist *d, double tau)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < d->nr_comp; k++)
		n += count_ge(&d->comp[k], tau);
	return n;
}

static double bits_dbl(uint64_t b)
{
	double x;

	memcpy(&x, &b, sizeof(x));
	return x;
}

static uint64_t dbl_bits(double x)
{
	uint64_t b;

	memcpy(&b, &x, sizeof(b));
	return b;
}

/* The C-th largest value tau (positive doubles order as their bits), then
 * every rank above tau and the ties at tau in component order. */
static void select_disjoint(struct tm_gen_dist *d, uint64_t c)
{
	uint64_t lo = 1, hi = 0, left;
	double tau;

	for (uint32_t k = 0; k < d->nr_comp; k++)
		if (d->comp[k].w > 0 && dbl_bits(value(&d->comp[k], 0)) > hi)
			hi = dbl_bits(value(&d->comp[k], 0));
	if (!hi || c == 0 || sum_ge(d, bits_dbl(1)) <= c) {
		for (uint32_t k = 0; k < d->nr_comp; k++)
			d->comp[k].take = c && hi ?
					  count_ge(&d->comp[k], bits_dbl(1)) : 0;
		return;
	}
	while (lo < hi) {   /* the largest tau with sum_ge(tau) >= c */
		uint64_t m = lo + (hi - lo + 1) / 2;

		if (sum_ge(d, bits_dbl(m)) >= c)
			lo = m;
		else
			hi = m - 1;
	}
	tau = bits_dbl(lo);
	left = c;
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		d->comp[k].take = count_ge(&d->comp[k], bits_dbl(lo + 1));
		left -= d->comp[k].take;
	}
	for (uint32_t k = 0; k < d->nr_comp && left; k++) {
		uint64_t ties = count_ge(&d->comp[k], tau) - d->comp[k].take;
		uint64_t t = ties < left ? ties : left;

		d->comp[k].take += t;
		left -= t;
	}
}

/* ---- T over overlapping components: the best C of their own top C -----
 *
 * The candidates are the union of each component's ranks [0, C) with a
 * positive value, a page's value the sum over every component.  Both are
 * taken in runs: ranks of one component with one probability and
 * consecutive pages (gen.h orders ties by page, so a run is found by a
 * galloping search).  The union, cut wherever a component's run ends, is a
 * list of page segments of equal value; T is the best C pages of them
 * (value first, then page).  A hot-set move is a handful of runs per
 * stretch (the two windows: pages in both, in one only, the rest), so the
 * epoch costs O(segments × log N); a Zipf part is one run per page and
 * costs O(C log C) as before.  Measured: tests/bench/bench_truth.c. */

/* Whether ranks [r, e) of q are one run. */
static bool one_run(const struct comp *q, uint64_t r, uint64_t e)
{
	const struct tm_generator_ops *g = q->p->gen;

	return g->rank_prob(q->st, q->p, q->t_ns, e - 1) ==
	       g->rank_prob(q->st, q->p, q->t_ns, r) &&
	       g->page_at(q->st, q->p, q->t_ns, e - 1) -
	       g->page_at(q->st, q->p, q->t_ns, r) == e - 1 - r;
}

/* The end of the run of q that starts at rank r < m, at most m. */
static uint64_t run_end(const struct comp *q, uint64_t r, uint64_t m)
{
	uint64_t good = r + 1, bad = m + 1, step = 1;

	while (good + step < bad) {       /* gallop, then bisect */
		if (!one_run(q, r, good + step)) {
			bad = good + step;
			break;
		}
		good += step;
		step *= 2;
	}
	while (good + 1 < bad) {
		uint64_t mid = good + (bad - good) / 2;

		if (one_run(q, r, mid))
			good = mid;
		else
			bad = mid;
	}
	return good;
}

static struct cand_seg *push_seg(struct tm_gen_dist *d, uint64_t page,
				 uint64_t n)
{
	if (d->nr_seg == d->cap_seg) {
		d->cap_seg = d->cap_seg ? 2 * d->cap_seg : 64;
		d->seg = tm_xrealloc(d->seg, d->cap_seg * sizeof(*d->seg));
	}
	d->seg[d->nr_seg].page = page;
	d->seg[d->nr_seg].n = n;
	d->seg[d->nr_seg].mass = 0;
	return &d->seg[d->nr_seg++];
}

static int cmp_page(const void *a, const void *b)
{
	const struct cand_seg *x = a, *y = b;

	return x->page < y->page ? -1 : x->page > y->page;
}

static int cmp_hot(const void *a, const void *b)
{
	const struct cand_seg *x = a, *y = b;

	if (x->mass != y->mass)
		return x->mass > y->mass ? -1 : 1;
	return x->page < y->page ? -1 : x->page > y->page;
}

/* The candidates as page intervals, sorted and merged: d->seg[0..n). */
static size_t gather(struct tm_gen_dist *d, uint64_t c)
{
	size_t u = 0;

	d->nr_seg = 0;
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];
		uint64_t m = q->n < c ? q->n : c, r = 0, e;

		for (; r < m && value(q, r) > 0; r = e) {
			e = run_end(q, r, m);
			push_seg(d, q->lo + q->g->page_at(q->st, q->p,
							       q->t_ns, r), e - r);
		}
	}
	qsort(d->seg, d->nr_seg, sizeof(*d->seg), cmp_page);
	for (size_t i = 0; i < d->nr_seg; i++) {
		struct cand_seg *x = &d->seg[i], *y = u ? &d->seg[u - 1] : NULL;

		if (y && x->page <= y->page + y->n) {
			if (x->page + x->n > y->page + y->n)
				y->n = x->page + x->n - y->page;
		} else {
			d->seg[u++] = *x;
		}
	}
	d->nr_seg = u;
	return u;
}

/* The end of the segment of equal value from page x, at most b. */
static uint64_t seg_end(const struct tm_gen_dist *d, uint64_t x, uint64_t b)
{
	uint64_t end = b;

	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];
		uint64_t r, e;

		if (q->lo > x) {
			end = q->lo < end ? q->lo : end;
			continue;
		}
		if (x - q->lo >= q->n)
			continue;
		r = q->g->rank_of(q->st, q->p, q->t_ns, x - q->lo);
		e = run_end(q, r, q->n);
		end = x + (e - r) < end ? x + (e - r) : end;
	}
	return end;
}

/* Cut the merged candidates d->seg[0..u) into segments of equal value,
 * appended after them; returns the first segment. */
static size_t cut(struct tm_gen_dist *d, size_t u)
{
	for (size_t i = 0; i < u; i++) {
		uint64_t x = d->seg[i].page, b = x + d->seg[i].n;

		while (x < b) {
			uint64_t e = seg_end(d, x, b);

			push_seg(d, x, e - x)->mass = tm_gen_dist_expected(d, x);
			x = e;
		}
	}
	return u;
}

static void select_overlap(struct tm_gen_dist *d, uint64_t c)
{
	size_t first = cut(d, gather(d, c)), n = d->nr_seg - first;
	struct cand_seg *s = d->seg + first;
	uint64_t left = c;

	qsort(s, n, sizeof(*s), cmp_hot);
	d->nr_top = 0;
	for (size_t i = 0; i < n && left; i++) {
		uint64_t t = s[i].n < left ? s[i].n : left;

		if (d->nr_top == d->cap_top) {
			d->cap_top = d->cap_top ? 2 * d->cap_top : 16;
			d->top = tm_xrealloc(d->top, d->cap_top * sizeof(*d->top));
		}
		d->top[d->nr_top] = s[i];
		d->top[d->nr_top++].n = t;
		left -= t;
	}
	d->nr_top_pages = c - left;
	qsort(d->top, d->nr_top, sizeof(*d->top), cmp_page);
}

static bool overlapping(const struct tm_gen_dist *d)
{
	for (uint32_t a = 0; a < d->nr_comp; a++)
		for (uint32_t b = a + 1; b < d->nr_comp; b++)
			if (d->comp[a].lo < d->comp[b].lo + d->comp[b].n &&
			    d->comp[b].lo < d->comp[a].lo + d->comp[a].n)
				return true;
	return false;
}

/* Whether the epoch's components are more than one distribution in time:
 * two phases, or two stretches of one part (a hot-set move), or a
 * deterministic part (a scan walks a window, whether the truth follows it
 * or keeps the part's long-run share). */
static bool changing(const struct tm_gen_dist *d)
{
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *a = &d->comp[k];

		if (a->win || a->g->window)
			return true;
		for (uint32_t j = 0; j < k; j++)
			if (!d->comp[j].win && (d->comp[j].phase != a->phase ||
						d->comp[j].t_ns != a->t_ns))
				return true;
	}
	return false;
}

void tm_gen_dist_epoch(struct tm_gen_dist *d, uint64_t t0_ns, uint64_t t1_ns,
		       uint64_t c, struct tm_gen_top *out)
{
	memset(out, 0, sizeof(*out));
	components(d, t0_ns, t1_ns);
	d->overlap = overlapping(d);
	out->changing = changing(d);
	d->nr_top = 0;
	d->nr_top_pages = 0;
	for (uint32_t k = 0; k < d->nr_comp; k++)
		out->total += d->comp[k].w;
	if (d->overlap) {
		select_overlap(d, c);
		for (size_t i = 0; i < d->nr_top; i++)
			out->mass += (double)d->top[i].n * d->top[i].mass;
		out->nr_true = d->nr_top_pages;
		out->approx = true;
		return;
	}
	select_disjoint(d, c);
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];

		out->nr_true += q->take;
		if (q->take)
			out->mass += q->w * q->g->top_prob(q->st, q->p,
								 q->t_ns, q->take);
	}
}

double tm_gen_dist_window(struct tm_gen_dist *d, uint64_t t0_ns,
			  uint64_t t1_ns)
{
	double total = 0;

	components(d, t0_ns, t1_ns);
	d->overlap = false;
	d->nr_top = 0;
	d->nr_top_pages = 0;
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		d->comp[k].take = 0;
		total += d->comp[k].w;
	}
	return total;
}

/* A component's rank order (part, generator, truth state, stream time)
 * and pages, into h; false for a window (its state changes in place). */
static bool comp_sig(const struct comp *c, uint64_t *h)
{
	if (c->win)
		return false;
	*h = tm_fmix64(*h ^ (uint64_t)(uintptr_t)c->p);
	*h = tm_fmix64(*h ^ (uint64_t)(uintptr_t)c->g);
	*h = tm_fmix64(*h ^ (uint64_t)(uintptr_t)c->st);
	*h = tm_fmix64(*h ^ c->t_ns);
	*h = tm_fmix64(*h ^ c->lo);
	*h = tm_fmix64(*h ^ c->n);
	return true;
}

/* In the disjoint case a page's membership is its component's rank order
 * and pages against the component's take; in the overlap case, the pages
 * of the top segments. */
uint64_t tm_gen_dist_top_sig(const struct tm_gen_dist *d)
{
	uint64_t h = tm_fmix64(0x243f6a8885a308d3u ^ d->nr_comp ^
			       (uint64_t)d->overlap << 40);

	for (uint32_t k = 0; k < d->nr_comp; k++) {
		if (!comp_sig(&d->comp[k], &h))
			return 0;
		h = tm_fmix64(h ^ (d->overlap ? 0 : d->comp[k].take));
	}
	for (size_t i = 0; d->overlap && i < d->nr_top; i++) {
		h = tm_fmix64(h ^ d->top[i].page);
		h = tm_fmix64(h ^ d->top[i].n);
	}
	return h ? h : 1;
}

/* A page's expectation is the sum over the components holding it of w
 * times its rank's probability. */
uint64_t tm_gen_dist_value_sig(const struct tm_gen_dist *d)
{
	uint64_t h = tm_fmix64(0x13198a2e03707344u ^ d->nr_comp);

	for (uint32_t k = 0; k < d->nr_comp; k++) {
		uint64_t bits;

		if (!comp_sig(&d->comp[k], &h))
			return 0;
		memcpy(&bits, &d->comp[k].w, sizeof(bits));
		h = tm_fmix64(h ^ bits);
	}
	return h ? h : 1;
}

/* ---- queries ------------------------------------------------------------- */

double tm_gen_dist_expected(const struct tm_gen_dist *d, uint64_t page)
{
	double e = 0;

	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];

		if (page >= q->lo && page - q->lo < q->n)
			e += value(q, q->g->rank_of(q->st, q->p, q->t_ns,
							 page - q->lo));
	}
	return e;
}

bool tm_gen_dist_in_top(const struct tm_gen_dist *d, uint64_t page)
{
	if (d->overlap) {
		size_t a = 0, b = d->nr_top;   /* the last segment at or below */

		while (a < b) {
			size_t m = a + (b - a) / 2;

			if (d->top[m].page <= page)
				a = m + 1;
			else
				b = m;
		}
		return a && page - d->top[a - 1].page < d->top[a - 1].n;
	}
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];

		if (q->take && page >= q->lo && page - q->lo < q->n)
			return q->g->rank_of(q->st, q->p, q->t_ns,
						  page - q->lo) < q->take;
	}
	return false;
}

void tm_gen_dist_each_top(const struct tm_gen_dist *d,
			  void (*fn)(void *ctx, uint64_t page), void *ctx)
{
	if (d->overlap) {
		for (size_t i = 0; i < d->nr_top; i++)
			for (uint64_t j = 0; j < d->top[i].n; j++)
				fn(ctx, d->top[i].page + j);
		return;
	}
	for (uint32_t k = 0; k < d->nr_comp; k++) {
		const struct comp *q = &d->comp[k];

		for (uint64_t r = 0; r < q->take; r++)
			fn(ctx, q->lo + q->g->page_at(q->st, q->p, q->t_ns, r));
	}
}
