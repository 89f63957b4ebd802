/*
 * ranges.c - Demeter's final range-based classifier (DESIGN.md §6.2, §13;
 * docs/identifiers.md).  Sources, as reference/sdh-and-demeter.md names
 * them: P = the artifact's guest patch (mm/demeter/range_tree.h, core.c,
 * module.h), PDF-S = the SOSP'25 paper §3.2.1.
 *
 * The guest's address space is cut into ranges that only ever split (or,
 * with merge on, merge back); counts are per range, not per page.
 *
 * Rules:
 * - Initial ranges (P core.c, RMT_INITIAL_SIZE_FACTOR): C = coverage x RAM
 *   rounded up to 1 GiB; one range [align_down(start_brk, 1 GiB), + C) and
 *   one [align_up(mmap_base, 1 GiB) - C, align_up(mmap_base, 1 GiB)).
 * - Per sample (P rt_count): the range holding the sample's page gets
 *   + weight (1 unweighted; weight 0 does not count); a sample outside
 *   every range is discarded.  Lookup is a binary search over the ranges,
 *   kept sorted by address in an array of max_ranges entries allocated in
 *   new() (P uses a maple tree).
 * - Epoch (P rt_split; PDF-S §3.2.1): first halve every count; then scan
 *   the ranges in address order while there are fewer than max_ranges, and
 *   split a range if all hold:
 *     size >= 2 x granularity                       (RTREE_SPLIT_N = 2)
 *     count >= tau_split x vcpus
 *     neighbour rule, m = alpha x tau_split x vcpus:
 *       any:  no neighbour at all, or count > prev + m, or count > next + m
 *       both: count > n + m for every neighbour n it has
 *   A split cuts at align_down(start + size / 2, granularity); each half gets
 *   count / 2 and age = ++splits.  Neighbours are the previous and next
 *   ranges in address order, contiguous or not (the maple-tree walk); the
 *   previous one is the second half when it has just split, so a range
 *   splits at most once per epoch.
 * - Merge (PDF-S §3.2.1, the blog; not in P), `merge: on`: after halving
 *   and before splitting, address-contiguous neighbours whose counts are
 *   both 0 and that were both made at least tau_merge splits ago become one
 *   range (age: the older).  tau_merge is unpublished.
 * - Rank (P rt_rank, rt_rank_cmp, policy_send_exch_reqs): hotter = larger
 *   freq = count x granularity / size, then larger count, then larger age
 *   (newer); walking hottest first, the leading ranges made within the
 *   last cool_age splits (age + cool_age > splits) are held out, unless
 *   that is every range (P then holds out none); ranges with count 0 are
 *   not placed; nothing at all until some range has been as small as the
 *   granularity (P: min_range <= RTREE_EXCH_THRESH).  Regions are the
 *   ranges, hottest first; the engine maps them to pages and cuts them to
 *   the FMEM capacity (Demeter's fit).
 * - estimate(idx, page) = the freq of the range holding page (0 outside):
 *   the coldness Demeter demotes by, "coldest ranges upward".
 *
 * Notes (what a sample stream does not give, and what tmsim assumes):
 * - start_brk, mmap_base: keys heap_start and mmap_base.  The defaults (0
 *   and none) give one initial range from address 0, where tmsim's
 *   generators put their footprint; for a recorded trace set both from the
 *   process's layout.  An mmap range overlapping the heap range is cut
 *   where the heap range begins or ends.
 * - RAM (si_meminfo totalram) is not in the identifier's params: key `ram`;
 *   its default 0 takes 5 x the VM's FMEM, Demeter's evaluation VM
 *   (16 GiB, 20% FMEM) (assumption).
 * - vCPUs (num_online_cpus) are not passed either: key `vcpus`, default 4,
 *   the evaluation VM's (assumption).
 * - Sample filters (foreign pid, code/data/stack, outside [mmap_legacy_base,
 *   mmap_base)) and the anonymous-page filter of the fit are not modelled:
 *   every sample of a trace is taken to be an anonymous data access.
 * - Timing: the split epoch (t_split, 500 ms) is the run's `epoch`.  The
 *   engine calls rank() before epoch_end(), so an epoch's placement uses the
 *   ranges as split one epoch earlier (Demeter splits, then ranks): one
 *   split level coarser and one epoch later to open the 2 MiB gate.
 *   Demeter also sends exchange requests only after an epoch in which
 *   something split; here the engine plans every epoch.
 * - freq in P divides by (end - start + 1) bytes, so a 2 MiB range with
 *   count c has freq c - 1; we use the size, as the paper's formula does.
 * - Fan-out is fixed at 2 (RTREE_SPLIT_N).
 */
#include "ranges.h"
#include "ranges_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/select.h"

#define GIB (1ull << 30)
#define RAM_PER_FMEM 5       /* assumption: 16 GiB VM, 20% FMEM (ref. §6) */
#define RANGES_MAP_MAX (1u << 20) /* granules find()'s map covers (4 MiB) */

struct tm_ranges {
	struct tm_ranges_range *r;   /* sorted by start, non-overlapping */
	struct tm_ranges_range *tmp; /* the split pass writes here, then swap */
	struct tm_ranges_range *sel; /* rank(): sorted copy */
	uint64_t *starts;            /* r[i].start: search()'s keys */
	/* find()'s direct map, granule -> range index, over the granules of
	 * the initial ranges (spans; the ranges tile them) when they are few
	 * and the granularity is a power of two; else NULL. */
	uint32_t *map;
	struct { uint64_t first, nr, off; } span[2];
	unsigned nr_span, gran_shift;
	size_t nr, cap;              /* cap = max_ranges */
	uint64_t splits;             /* global split counter (ages) */
	uint64_t min_size;           /* smallest range ever made, pages */
	uint64_t gran;               /* granularity, pages */
	uint64_t thresh;             /* tau_split x vcpus */
	uint64_t margin;             /* alpha x tau_split x vcpus */
	uint64_t cool_age, tau_merge;
	uint64_t nr_discarded;
	uint32_t page_shift;
	enum tm_ranges_neighbour neighbour;
	bool merge;
};

static inline uint64_t align_down(uint64_t x, uint64_t a)
{
	return x / a * a;
}

static inline uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The index of the range holding page, or x->nr, by a branchless binary
 * search (the step compiles to a conditional move): random addresses over
 * 2048 ranges took 69 ns per update with a branching search, mostly
 * mispredictions, and 17 ns with this one (docs/identifiers.md).  It
 * searches the starts alone (16 KiB for 2048 ranges, where the ranges take
 * 64 KiB), so its 11 dependent loads stay in the level-1 cache. */
static inline size_t search(const struct tm_ranges *x, uint64_t page)
{
	const uint64_t *base = x->starts;
	size_t n = x->nr, i;

	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= page ? base + half : base;
		n -= half;
	}
	i = (size_t)(base - x->starts);
	if (page < *base || page >= x->r[i].end)
		return x->nr;
	return i;
}

/* The index of the range holding page, or x->nr: one load from the direct
 * map where there is one.  The search's chain of 11 loads was 9% of a
 * replay with every zoo kind as a shadow (40 M-sample Zipf, cycles). */
static inline size_t find(const struct tm_ranges *x, uint64_t page)
{
	uint64_t g;

	if (!x->map)
		return search(x, page);
	g = page >> x->gran_shift;
	for (unsigned k = 0; k < x->nr_span; k++) {
		uint64_t o = g - x->span[k].first;

		if (o < x->span[k].nr)
			return x->map[x->span[k].off + o];
	}
	return x->nr;
}

/* find()'s keys and map, after the ranges changed. */
static void index_ranges(struct tm_ranges *x)
{
	unsigned k = 0;

	for (size_t i = 0; i < x->nr; i++)
		x->starts[i] = x->r[i].start;
	if (!x->map)
		return;
	/* ranges are sorted and tile the spans; a merge may join two
	 * spans that touch */
	for (size_t i = 0; i < x->nr; i++) {
		uint64_t b = x->r[i].end >> x->gran_shift;

		for (uint64_t a = x->r[i].start >> x->gran_shift; a < b; a++) {
			while (a - x->span[k].first >= x->span[k].nr)
				k++;
			assert(k < x->nr_span);
			x->map[x->span[k].off + a - x->span[k].first] =
				(uint32_t)i;
		}
	}
}

/* The direct map over the initial ranges, when the granularity is a power
 * of two (then every range boundary is a granule boundary) and they hold
 * at most RANGES_MAP_MAX granules. */
static void map_init(struct tm_ranges *x)
{
	uint64_t total = 0;

	if (x->gran & (x->gran - 1))
		return;
	x->gran_shift = (unsigned)__builtin_ctzll(x->gran);
	for (size_t i = 0; i < x->nr; i++) {
		const struct tm_ranges_range *g = &x->r[i];

		if (g->start % x->gran || g->end % x->gran)
			return;
		x->span[i].first = g->start >> x->gran_shift;
		x->span[i].nr = (g->end - g->start) >> x->gran_shift;
		x->span[i].off = total;
		total += x->span[i].nr;
	}
	if (total > RANGES_MAP_MAX)
		return;
	x->nr_span = (unsigned)x->nr;
	x->map = tm_xmalloc(total * sizeof(*x->map));
}

/* freq = count x granularity / size, floored (P mrange_freq). */
static inline uint64_t freq(const struct tm_ranges *x,
			    const struct tm_ranges_range *g)
{
	return (uint64_t)((unsigned __int128)g->count * x->gran /
			  (g->end - g->start));
}

/* Hotter (P rt_rank_cmp): larger freq, compared exactly as
 * count_a x size_b > count_b x size_a; then larger count; then newer; then
 * the lower address, so that the order is total. */
static inline bool hotter(const void *ctx, const struct tm_ranges_range *a,
			  const struct tm_ranges_range *b)
{
	unsigned __int128 fa = (unsigned __int128)a->count * (b->end - b->start);
	unsigned __int128 fb = (unsigned __int128)b->count * (a->end - a->start);

	(void)ctx;
	if (fa != fb)
		return fa > fb;
	if (a->count != b->count)
		return a->count > b->count;
	if (a->age != b->age)
		return a->age > b->age;
	return a->start < b->start;
}

TM_SELECT_DEFINE(hottest, struct tm_ranges_range, const void *, hotter)

static void ranges_update(void *st, struct tm_sample s)
{
	struct tm_ranges *x = st;
	size_t i;

	if (s.weight == 0)
		return;
	i = find(x, tm_sample_page(s, x->page_shift));
	if (i == x->nr) {
		x->nr_discarded++;
		return;
	}
	x->r[i].count += s.weight;
}

/* g beats neighbour n by more than the margin (NULL: no neighbour). */
static inline bool beats(const struct tm_ranges *x,
			 const struct tm_ranges_range *g,
			 const struct tm_ranges_range *n)
{
	return n->count + x->margin < g->count;
}

/* The split conditions of P rt_split (file header). */
static bool should_split(const struct tm_ranges *x,
			 const struct tm_ranges_range *g,
			 const struct tm_ranges_range *prev,
			 const struct tm_ranges_range *next)
{
	if (g->end - g->start < 2 * x->gran || g->count < x->thresh)
		return false;
	if (x->neighbour == TM_RANGES_BOTH)
		return (!prev || beats(x, g, prev)) &&
		       (!next || beats(x, g, next));
	return (!prev && !next) || (prev && beats(x, g, prev)) ||
	       (next && beats(x, g, next));
}

/* Contiguous neighbours both at 0 and both older than tau_merge splits
 * become one range, in place. */
static void merge_pass(struct tm_ranges *x)
{
	size_t out = 0;

	for (size_t i = 0; i < x->nr; i++) {
		struct tm_ranges_range *last = out ? &x->r[out - 1] : NULL;
		const struct tm_ranges_range *g = &x->r[i];

		if (last && last->end == g->start && last->count == 0 &&
		    g->count == 0 && last->age + x->tau_merge <= x->splits &&
		    g->age + x->tau_merge <= x->splits) {
			last->end = g->end;
			last->age = min_u64(last->age, g->age);
			continue;
		}
		x->r[out++] = *g;
	}
	x->nr = out;
}

/* One scan in address order from r into tmp, then swap (P rt_split). */
static void split_pass(struct tm_ranges *x)
{
	size_t out = 0, len = x->nr;

	for (size_t i = 0; i < x->nr; i++) {
		struct tm_ranges_range g = x->r[i];
		const struct tm_ranges_range *prev = out ? &x->tmp[out - 1] : NULL;
		const struct tm_ranges_range *next =
			i + 1 < x->nr ? &x->r[i + 1] : NULL;
		uint64_t mid;

		if (len >= x->cap || !should_split(x, &g, prev, next)) {
			x->tmp[out++] = g;
			continue;
		}
		mid = align_down(g.start + (g.end - g.start) / 2, x->gran);
		assert(mid > g.start && mid < g.end);
		x->splits++;
		x->tmp[out++] = (struct tm_ranges_range){ g.start, mid,
							  g.count / 2, x->splits };
		x->tmp[out++] = (struct tm_ranges_range){ mid, g.end,
							  g.count / 2, x->splits };
		x->min_size = min_u64(x->min_size,
				      min_u64(mid - g.start, g.end - mid));
		len++;
	}
	assert(out == len && len <= x->cap);
	{
		struct tm_ranges_range *t = x->r;

		x->r = x->tmp;
		x->tmp = t;
	}
	x->nr = len;
}

static void ranges_epoch_end(void *st)
{
	struct tm_ranges *x = st;

	for (size_t i = 0; i < x->nr; i++)
		x->r[i].count /= 2;   /* decay before the split (P) */
	if (x->merge)
		merge_pass(x);
	split_pass(x);
	index_ranges(x);
}

/* The leading ranges (hottest first) made within the last cool_age splits;
 * all of them means none (P rt_rank leaves the length unchanged). */
static size_t held_out(const struct tm_ranges *x)
{
	size_t i = 0;

	while (i < x->nr && x->sel[i].age + x->cool_age > x->splits)
		i++;
	return i == x->nr ? 0 : i;
}

static void ranges_rank(void *st, struct tm_rank *r)
{
	struct tm_ranges *x = st;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	if (!r->regions || r->cap_regions == 0 || x->min_size > x->gran)
		return;
	memcpy(x->sel, x->r, x->nr * sizeof(*x->sel));
	hottest_top_sorted(NULL, x->sel, x->nr, x->nr);
	for (size_t i = held_out(x); i < x->nr; i++) {
		const struct tm_ranges_range *g = &x->sel[i];

		if (g->count == 0 || r->nr_regions == r->cap_regions)
			break;   /* sorted: the rest are at 0 too */
		r->regions[r->nr_regions++] = (struct tm_region){
			.start = g->start, .end = g->end, .score = freq(x, g) };
	}
}

static uint64_t ranges_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_ranges *x = st;
	size_t i = find(x, page);

	(void)idx;
	return i == x->nr ? 0 : freq(x, &x->r[i]);
}

/* Counts are halved each epoch: neither one epoch nor the whole run. */
static bool ranges_cumulative(const void *st)
{
	(void)st;
	return false;
}

static size_t ranges_memory_bytes(const void *st)
{
	const struct tm_ranges *x = st;
	uint64_t map = 0;

	for (unsigned k = 0; k < x->nr_span; k++)
		map += x->span[k].nr;
	return sizeof(*x) + x->cap * (3 * sizeof(*x->r) + sizeof(*x->starts)) +
	       map * sizeof(*x->map);
}

static void ranges_free(void *st)
{
	struct tm_ranges *x = st;

	if (!x)
		return;
	free(x->r);
	free(x->tmp);
	free(x->sel);
	free(x->starts);
	free(x->map);
	free(x);
}

/* Insert [start, end) (pages) into the sorted, non-overlapping set of at
 * most two initial ranges, cut where it overlaps one. */
static void add_initial(struct tm_ranges *x, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < x->nr; i++) {
		const struct tm_ranges_range *g = &x->r[i];

		if (end <= g->start || start >= g->end)
			continue;
		if (start < g->start)
			end = g->start;
		else
			start = g->end;
	}
	if (start >= end)
		return;
	if (x->nr && x->r[0].start > start)
		x->r[1] = x->r[0], x->r[0] = (struct tm_ranges_range){ start, end,
								       0, 0 };
	else
		x->r[x->nr] = (struct tm_ranges_range){ start, end, 0, 0 };
	x->nr++;
	x->min_size = min_u64(x->min_size, end - start);
}

static void *ranges_new(const struct tm_ident_params *p)
{
	const struct tm_ranges_config *c = p->own;
	struct tm_ranges *x = tm_xcalloc(1, sizeof(*x));
	uint64_t ram = c->sz_ram ? c->sz_ram :
		       RAM_PER_FMEM * (p->nr_fmem_pages << p->page_shift);
	uint64_t gib = GIB >> p->page_shift ? GIB >> p->page_shift : 1;
	uint64_t cov, heap, mmap_end;

	assert(c->max_ranges >= 2 && c->nr_vcpus >= 1);
	x->cap = c->max_ranges;
	x->r = tm_xcalloc(x->cap, sizeof(*x->r));
	x->tmp = tm_xcalloc(x->cap, sizeof(*x->tmp));
	x->sel = tm_xcalloc(x->cap, sizeof(*x->sel));
	x->starts = tm_xcalloc(x->cap, sizeof(*x->starts));
	x->page_shift = p->page_shift;
	x->gran = c->sz_granularity >> p->page_shift ?
		  c->sz_granularity >> p->page_shift : 1;
	x->thresh = c->tau_split * c->nr_vcpus;
	x->margin = c->alpha * x->thresh;
	x->cool_age = c->cool_age;
	x->tau_merge = c->tau_merge;
	x->neighbour = c->neighbour;
	x->merge = c->merge == TM_RANGES_MERGE_ON;
	x->min_size = UINT64_MAX;
	/* C = coverage x RAM rounded up to a GiB (P core.c) */
	cov = c->coverage * align_up(align_up(ram, GIB) >> p->page_shift, gib);
	heap = align_down(c->heap_start >> p->page_shift, gib);
	add_initial(x, heap, heap + cov);
	if (c->mmap_base) {
		mmap_end = align_up(c->mmap_base >> p->page_shift, gib);
		add_initial(x, mmap_end > cov ? mmap_end - cov : 0, mmap_end);
	}
	assert(x->nr >= 1 && x->nr <= 2);
	map_init(x);
	index_ranges(x);
	return x;
}

size_t tm_ranges_nr(const void *st)
{
	return ((const struct tm_ranges *)st)->nr;
}

struct tm_ranges_range tm_ranges_at(const void *st, size_t i)
{
	const struct tm_ranges *x = st;

	assert(i < x->nr);
	return x->r[i];
}

uint64_t tm_ranges_splits(const void *st)
{
	return ((const struct tm_ranges *)st)->splits;
}

uint64_t tm_ranges_discarded(const void *st)
{
	return ((const struct tm_ranges *)st)->nr_discarded;
}

typedef struct tm_ranges_config RANGES;

#define ADDR_MAX 144115188075855872.0   /* 2^57: 5-level paging */

static const struct tm_cfg_key ranges_keys[] = {
	TM_CFG_KEY("ram", TM_CFG_SIZE, 0, 1ull << 46, "0", NULL, 0,
		   TM_CFG_F_U64, RANGES, sz_ram,
		   "RAM the initial ranges cover; 0: 5 x FMEM (assumption)"),
	TM_CFG_KEY("coverage", TM_CFG_U64, 1, 64, "2", NULL, 0, TM_CFG_F_U64,
		   RANGES, coverage,
		   "initial range size in RAMs, RAM rounded up to 1 GiB (artifact)"),
	TM_CFG_KEY("heap_start", TM_CFG_SIZE, 0, ADDR_MAX, "0", NULL, 0,
		   TM_CFG_F_U64, RANGES, heap_start,
		   "start_brk: the heap range starts here (generated traces: 0)"),
	TM_CFG_KEY("mmap_base", TM_CFG_SIZE, 0, ADDR_MAX, "0", NULL, 0,
		   TM_CFG_F_U64, RANGES, mmap_base,
		   "mmap_base: the mmap range ends here; 0: no mmap range"),
	TM_CFG_KEY("granularity", TM_CFG_SIZE, 4096, 1 << 30, "2MiB", NULL, 0,
		   TM_CFG_F_U64, RANGES, sz_granularity,
		   "smallest range, split alignment and freq unit (artifact)"),
	TM_CFG_KEY("vcpus", TM_CFG_U64, 1, 1024, "4", NULL, 0, TM_CFG_F_U64,
		   RANGES, nr_vcpus,
		   "guest vCPUs in the thresholds (assumption: the paper's VM)"),
	TM_CFG_KEY("tau_split", TM_CFG_U64, 0, 1 << 20, "15", NULL, 0,
		   TM_CFG_F_U64, RANGES, tau_split,
		   "split if count >= tau_split x vcpus (paper, artifact)"),
	TM_CFG_KEY("alpha", TM_CFG_U64, 0, 1 << 10, "2", NULL, 0, TM_CFG_F_U64,
		   RANGES, alpha,
		   "and count > neighbour + alpha x tau_split x vcpus (paper)"),
	TM_CFG_KEY("neighbour", TM_CFG_ENUM, 0, 0, "any", "any|both", 0,
		   TM_CFG_F_INT, RANGES, neighbour,
		   "neighbours to beat: any one (artifact) or both (paper)"),
	TM_CFG_KEY("max_ranges", TM_CFG_U64, 2, 1 << 20, "2048", NULL, 0,
		   TM_CFG_F_U64, RANGES, max_ranges,
		   "no split once this many ranges exist (artifact)"),
	TM_CFG_KEY("cool_age", TM_CFG_U64, 0, 1 << 20, "3", NULL, 0,
		   TM_CFG_F_U64, RANGES, cool_age,
		   "hold out the hottest ranges made within this many splits (artifact)"),
	TM_CFG_KEY("merge", TM_CFG_ENUM, 0, 0, "off", "off|on", 0,
		   TM_CFG_F_INT, RANGES, merge,
		   "merge contiguous ranges at 0 (paper; not in the artifact)"),
	TM_CFG_KEY("tau_merge", TM_CFG_U64, 0, 1 << 20, "8", NULL, 0,
		   TM_CFG_F_U64, RANGES, tau_merge,
		   "merge only ranges this many splits old (assumption)"),
};

const struct tm_identifier_ops tm_ranges_ops = {
	.kind = {
		.name = "ranges",
		.help = "Demeter's range classifier: address ranges split and "
			"halved each epoch, ranked by frequency per 2 MiB",
		.keys = ranges_keys,
		.nr_keys = sizeof(ranges_keys) / sizeof(ranges_keys[0]),
		.config_size = sizeof(struct tm_ranges_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_REGIONS,
	},
	/* assumption: Demeter publishes none; this model's
	 * branchless range lookup measured 17 ns (docs/identifiers.md) */
	.cost_ns = 20,
	.new = ranges_new,
	.update = ranges_update,
	.rank = ranges_rank,
	.epoch_end = ranges_epoch_end,
	.estimate = ranges_estimate,
	.cumulative = ranges_cumulative,
	.memory_bytes = ranges_memory_bytes,
	.free = ranges_free,
};
