/*
 * arms.c - ARMS (arXiv 2508.04417, 2025): two EWMAs of each page's samples
 * per policy interval, a score that weighs them with a bias a Page-Hinkley
 * detector switches, rank by score with no hot threshold, and exchanges
 * that must pay for themselves (DESIGN.md §13; docs/identifiers.md).
 *
 * Rules (reference/identifiers.md §3 "ARMS"; the authors' code, HeMem-based,
 * SujayYadalam94/tiering_solutions src/pebs.h and src/pebs.c):
 * - Unit: a 2 MiB page (the code's PAGE_SIZE, HeMem huge pages); 4 KiB on
 *   request.  The ARMS page of a sample is page >> (21 - page_shift).
 * - Per page, the samples of each policy interval (PEBS_KSWAPD_INTERVAL_BIG,
 *   500 ms; _SMALL 100 ms for small memories) feed two EWMAs,
 *   w := (1 - a) w + a x, with a = 2 / (window / 500 ms + 1) for a 1 s and a
 *   10 s window (SHORT/LONG_TERM_WND_ALPHA: 2/3 and 2/21; integer division
 *   of the window by the interval in ms, and the code keeps 500 ms in the
 *   formula in its 100 ms mode too).
 * - Score = b_s w_short + b_l w_long: history bias (0.4, 0.6) (HIST_BIAS),
 *   recency bias (0.731, 0.269) (RECN_BIAS) once the detector fires.
 * - Detector (policy thread): every 1 s, x = slow-tier bandwidth of that
 *   second; mean := 0.7 mean + 0.3 x (HCD_EWMA_ALPHA); std := sqrt(max(0.9
 *   std^2 + 0.1 (x - mean)^2, 1e-12)) (HCD_STD_ALPHA); cusum := max(0, cusum
 *   + x - mean - 0.1 std) (HCD_PH_DRIFT); if cusum > 3.0 std
 *   (HCD_PH_THRESHOLD) then cusum := 0 and, if the bias is history and x >
 *   HCD_RECN_MIN_NVM_BW, switch to recency; otherwise, under recency, count
 *   a period and go back to history once 20 (HCD_RECN_MAX_PERIODS) have
 *   passed and cusum <= 0.
 * - Rank: every page by score, hottest first, no hot threshold
 *   (calculate_scores_map_and_sort).  A page in the top C (C = FMEM pages)
 *   with a non-zero score ages (hot_age++) and may be promoted once
 *   hot_age > 1 and its score has not fallen since the last interval
 *   (can_promote); below the top C both reset.
 * - Moves (issue_migrations, continue_migration): walk promotion candidates
 *   (SMEM, top C, can_promote) hottest first and demotion candidates (FMEM,
 *   ranked below position C) coldest first; a pair goes only if min(EWMAs of
 *   the hot page) >= max(EWMAs of the cold one) and the benefit pays 1.5
 *   times the cost: (score_p - score_d) x hot_age_p x sample period x
 *   latency difference >= CB_MULTIPLIER x (promotion + demotion cost); the
 *   first pair that fails stops the walk.  At most interval / (promotion +
 *   demotion cost) x batch pairs per interval (batch = NUM_MIGRATION_THREADS
 *   at low slow-tier bandwidth).
 *
 * What a sample stream does not give, and what tmsim assumes instead:
 * - Time: intervals are cut by the samples' own time (s.rec->time_ns,
 *   counted from the first sample's interval), not by a timer.  A page's
 *   interval is folded lazily when its next sample lands in a later
 *   interval: a page not sampled for k intervals decays k times at once,
 *   w := ((1 - a) w + a x) (1 - a)^(k - 1).  rank() and estimate() read the
 *   EWMAs as if the latest sample's interval had just ended, without
 *   storing that fold, so an epoch equal to the interval reads what the
 *   policy thread reads at its wake-up.
 * - Bandwidth: a trace has no memory-controller counter.  The detector's x
 *   is the number of samples whose page is in SMEM (s.tier) per detector
 *   period; the 0.3 GB/s floor becomes recency_min_smem samples (default 0,
 *   assumption).  The loaded-latency model and the bandwidth-aware batch
 *   size the code derives from the same counters are replaced by the
 *   unloaded latency difference and NUM_MIGRATION_THREADS.
 * - Sampling mode: under recency the code halves the PEBS period (5003 for
 *   10007) and rescales counts; the engine's sampler period is fixed, so
 *   only the bias switches.  Counts are not rescaled: the code's counts at
 *   high-fidelity scale times 5003 equal the default counts times 10006,
 *   so sample_period (10007) times our counts prices the same accesses.
 * - Migration cost: the code's promotion and demotion costs are EWMAs of
 *   measured migration times floored at MIN_PROMOTION/DEMOTION_COST; the
 *   identifier sees no migration times and uses the floor.
 * - Per interval vs per epoch: hot_age, can_promote and the previous score
 *   advance at each rank(), i.e. per epoch (equal to the interval by
 *   default); the pair limit scales with the intervals since the last rank.
 * - Tracked pages: the code scores every allocated page; the identifier
 *   knows only pages it has sampled, so a never-sampled FMEM page is no
 *   demotion candidate for its pairs.
 * - Pairs need one ARMS page = one VM page (page_size not above the VM's);
 *   with 2 MiB ARMS pages over 4 KiB VM pages rank() gives regions only and
 *   the engine's exchange pairs them by estimate().  Free FMEM: the code
 *   promotes into free DRAM first (benefit >= 1.5 x cost); the engine's
 *   pair planner does not fill free FMEM, its migrate mode does (without
 *   the cost test).
 * - "No pair pays" has no word in the interface: a kind that hands out no
 *   pairs gets the engine's own exchange of its hot list, which would
 *   promote every hot SMEM page at once and bypass can_promote and the
 *   cost test.  So when asked for pairs and none pays, rank() hands out one
 *   pair promote == demote, which the planner skips as stale (a page is
 *   never in both tiers): no exchange, as in the code.  (1 GiB hot-set VM,
 *   4 KiB pages, exchange: 446k moves and 81% FMEM hits without it, 14k
 *   and 88% with it.)  In migrate mode the engine moves the hot list
 *   (promote into free FMEM, then one demotion of the coldest non-hot FMEM
 *   page by estimate() per promotion); none of the pair rules apply.
 *
 * - Output: rank() hands out the pages with a score > 0 as regions (an
 *   ARMS page's VM pages), hottest first, ties to the lower page number.
 *   estimate() = round(score x estimate_scale), in samples per interval, so
 *   comparable with an epoch's counts when the epoch is the interval; with
 *   2 MiB pages over 4 KiB VM pages every VM page reads its huge page's
 *   score.  Arithmetic is in double where the code uses float; EWMAs and
 *   scores are stored as float as in the code.
 *
 * Layout: one 40-byte entry per tracked ARMS page.  When an ARMS page is
 * one VM page the entries are indexed by dense page index (direct); else
 * (2 MiB over 4 KiB) they sit in a dense array found through an
 * open-addressing table of u32 entry numbers (load <= 1/2, Fibonacci
 * hashing).  Arrays double on a new page's first sample (amortised O(1),
 * as exact.c); a steady working set allocates nothing in update().
 * update() keeps the window where the open interval and detector period
 * overlap, so a sample inside it to a page already sampled in the open
 * interval costs one time comparison, one probe and two stores; anything
 * else (first sample, fold, new interval or period) goes out of line.
 * rank() scores every tracked page, selects with lib/select.h and
 * allocates its scratch only when the page count grew.
 *
 * Cost (callgrind, 10 M-sample 1 GiB Zipf replay at 2 M/s, 4 vCPUs, 5 s,
 * 500 ms epochs; arms_update inclusive): 2 MiB pages 99 -> 50
 * instructions per sample (Fibonacci hash for tm_fmix64, one window test
 * for the interval's and the detector's, rare paths out of line so the
 * fast path saves no registers); 4 KiB pages 80 -> 56.
 */
#include "arms.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/select.h"

#define ARMS_MIN_SLOTS_LOG2 10    /* assumption: small tables are cheap */
#define ARMS_MIN_SLOTS (1u << ARMS_MIN_SLOTS_LOG2)
#define ARMS_BIG_INTERVAL_NS 500000000ull  /* PEBS_KSWAPD_INTERVAL_BIG */
#define ARMS_STD_FLOOR 1e-12      /* pebs.c: fmaxf(var, 1e-12f) */
#define ARMS_NR_POW 64            /* (1 - a)^n precomputed below this n */
#define ARMS_NO_KEY UINT64_MAX    /* an unused entry (direct layout) */
/* out of line, so update()'s fast path saves no registers */
#define ARMS_RARE static __attribute__((noinline, cold))
/* pebs.h (SCAILP): MAX_NVM_RD_BW, MAX_NVM_WR_BW in GB/s, copy time in us
 * = page bytes / (GB/s x 1024), plus MIGRATION_METADATA_COST 500 us */
#define ARMS_RD_GBS 6.6
#define ARMS_WR_GBS 2.3
#define ARMS_META_US 500.0

struct ent {
	uint64_t key;       /* ARMS page number: page >> group_shift */
	float w[2];         /* short, long EWMA, folded through last - 1 */
	float prev_score;   /* score at the previous rank() */
	uint32_t nr;        /* samples (weights) in interval `last` */
	uint32_t last;      /* the interval nr counts */
	uint32_t idx;       /* dense index of the page's first sample (the
			     * page's own when direct; pairs need no other) */
	uint16_t hot_age;   /* rank()s in a row in the top C, score > 0 */
	uint8_t tier;       /* enum tm_tier of the latest sample or move */
	uint8_t can_promote;
};

/* One page of a ranking. */
struct scored {
	double score;
	uint64_t key;
	uint32_t e;
};

struct tm_arms {
	/* hot path first: what update() reads on a sample inside the window */
	uint64_t win_start_ns;  /* [win_start_ns, + win_ns): the open interval */
	uint64_t win_ns;        /* and detector period both; 0: none yet */
	uint32_t *tab;          /* entry number + 1; 0: empty (hashed) */
	struct ent *ent;        /* by dense index when direct */
	uint64_t mask;          /* slots - 1 */
	uint32_t hash_shift;    /* 64 - log2(slots) */
	uint32_t nr_ent, cap_ent;
	uint32_t cur;           /* interval of the latest sample */
	uint32_t addr_shift;    /* page_shift + group_shift */
	uint32_t group_shift;   /* VM pages per ARMS page: 1 << this */
	uint64_t det_x;         /* SMEM samples of the open detector period */
	bool direct;            /* one ARMS page = one VM page */
	bool started;
	bool recency;

	/* intervals: cur, as the open interval [iv_start_ns, + interval_ns) */
	uint64_t interval_ns;
	uint64_t k0;            /* absolute interval of the first sample */
	uint64_t iv_start_ns;
	double alpha[2];
	double pow1m[2][ARMS_NR_POW];   /* (1 - alpha)^n */

	/* detector (file header) */
	uint64_t det_ns, det_k, det_start_ns;
	double ph_mean, ph_std, cusum;
	uint32_t since_recn;
	uint32_t last_rank;     /* cur at the last rank() */
	struct tm_arms_config cfg;

	/* rank() */
	uint64_t nr_fmem;
	double pair_cost_us;
	struct scored *sel, *cold;
	size_t cap_sel, cap_cold;
};

/* ---- EWMAs ---- */

static inline double pow1m(const struct tm_arms *a, int i, uint32_t n)
{
	return n < ARMS_NR_POW ? a->pow1m[i][n] : pow(1.0 - a->alpha[i], n);
}

/* The EWMAs of e with every interval through k folded (k >= e->last):
 * w' = ((1 - a) w + a x) (1 - a)^(k - last). */
static inline void ewma_at(const struct tm_arms *a, const struct ent *e,
			   uint32_t k, double w[2])
{
	for (int i = 0; i < 2; i++)
		w[i] = ((1.0 - a->alpha[i]) * e->w[i] + a->alpha[i] * e->nr) *
		       pow1m(a, i, k - e->last);
}

/* Close e's open interval and the k - last - 1 empty ones after it. */
static inline void fold_to(struct tm_arms *a, struct ent *e, uint32_t k)
{
	double w[2];

	if (k <= e->last)
		return;
	ewma_at(a, e, k - 1, w);
	e->w[0] = (float)w[0];
	e->w[1] = (float)w[1];
	e->nr = 0;
	e->last = k;
}

static inline const double *bias_of(const struct tm_arms *a, double b[2])
{
	double s = a->recency ? a->cfg.recency_short : a->cfg.history_short;

	b[0] = s;
	b[1] = 1.0 - s;
	return b;
}

static inline double score_of(const struct tm_arms *a, const struct ent *e)
{
	double w[2], b[2];

	ewma_at(a, e, a->cur, w);
	bias_of(a, b);
	return b[0] * w[0] + b[1] * w[1];
}

/* ---- Page-Hinkley detector ---- */

/* One detector period with x SMEM samples (file header). */
static void ph_close(struct tm_arms *a, uint64_t x_smem)
{
	const struct tm_arms_config *c = &a->cfg;
	double x = (double)x_smem, var, dev;

	a->ph_mean = (1.0 - c->ph_mean_alpha) * a->ph_mean +
		     c->ph_mean_alpha * x;
	dev = x - a->ph_mean;
	var = (1.0 - c->ph_std_alpha) * a->ph_std * a->ph_std +
	      c->ph_std_alpha * dev * dev;
	a->ph_std = sqrt(var > ARMS_STD_FLOOR ? var : ARMS_STD_FLOOR);
	a->cusum += dev - c->ph_drift * a->ph_std;
	if (a->cusum < 0)
		a->cusum = 0;
	if (a->cusum > c->ph_threshold * a->ph_std) {
		if (!a->recency && x_smem > c->recency_min_smem) {
			a->recency = true;
			a->since_recn = 0;
		}
		a->cusum = 0;
	} else if (a->recency) {
		a->since_recn++;
		if (a->since_recn >= c->recency_periods && a->cusum <= 0) {
			a->recency = false;
			a->since_recn = 0;
		}
	}
}

/* Count a sample into the detector's period; close the periods it passed. */
static inline void ph_sample(struct tm_arms *a, uint64_t t_ns, uint8_t tier)
{
	uint64_t dk;

	if (t_ns - a->det_start_ns < a->det_ns)
		goto count;   /* the open period (no division) */
	dk = t_ns / a->det_ns;
	if (dk > a->det_k) {
		ph_close(a, a->det_x);
		a->det_x = 0;
		for (uint64_t k = a->det_k + 1; k < dk; k++)
			ph_close(a, 0);   /* a silent period: x = 0 */
		a->det_k = dk;
		a->det_start_ns = dk * a->det_ns;
	}
count:
	a->det_x += tier == TM_TIER_SMEM;
}

/* ---- the page table ---- */

/* Fibonacci hashing (Knuth, TAOCP 6.4): the top log2(slots) bits of
 * key x 2^64/phi.  ARMS page numbers are mostly consecutive, which this
 * spreads with almost no collisions, at one multiply (tm_fmix64: five
 * steps; bench below). */
static inline uint64_t slot_of(const struct tm_arms *a, uint64_t key)
{
	return (key * UINT64_C(0x9e3779b97f4a7c15)) >> a->hash_shift;
}

static inline uint64_t probe(const struct tm_arms *a, uint64_t key)
{
	uint64_t i = slot_of(a, key);

	while (a->tab[i] && a->ent[a->tab[i] - 1].key != key)
		i = (i + 1) & a->mask;
	return i;
}

static void grow_tab(struct tm_arms *a)
{
	uint64_t slots = 2 * (a->mask + 1);

	free(a->tab);
	a->tab = tm_xcalloc(slots, sizeof(*a->tab));
	a->mask = slots - 1;
	a->hash_shift--;
	for (uint32_t e = 0; e < a->nr_ent; e++)
		a->tab[probe(a, a->ent[e].key)] = e + 1;
}

/* The entry of dense index idx, ARMS page key, or NULL. */
static inline struct ent *find(const struct tm_arms *a, uint32_t idx,
			       uint64_t key)
{
	uint32_t e;

	if (a->direct)
		return idx < a->nr_ent && a->ent[idx].key != ARMS_NO_KEY ?
		       &a->ent[idx] : NULL;
	e = a->tab[probe(a, key)];
	return e ? &a->ent[e - 1] : NULL;
}

/* Direct layout: entries up to idx, the new ones unused. */
static void grow_direct(struct tm_arms *a, uint32_t idx)
{
	uint32_t cap = a->cap_ent;

	a->cap_ent = idx >= 2 * (uint64_t)cap ? idx + 1 :
		     (cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * cap);
	a->ent = tm_xrealloc(a->ent, a->cap_ent * sizeof(*a->ent));
	for (uint32_t i = cap; i < a->cap_ent; i++)
		a->ent[i].key = ARMS_NO_KEY;
}

static void init_ent(struct ent *e, uint64_t key, uint32_t idx, uint32_t k)
{
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->idx = idx;
	e->last = k;
}

/* A page's first sample, in interval k (direct layout). */
static struct ent *add_direct(struct tm_arms *a, uint32_t idx, uint64_t key,
			      uint32_t k)
{
	struct ent *e;

	if (idx >= a->cap_ent)
		grow_direct(a, idx);
	e = &a->ent[idx];
	init_ent(e, key, idx, k);
	if (idx >= a->nr_ent)
		a->nr_ent = idx + 1;
	return e;
}

/* An ARMS page's first sample, in interval k (hashed layout). */
static struct ent *add_hashed(struct tm_arms *a, uint32_t idx, uint64_t key,
			      uint32_t k)
{
	struct ent *e;

	if (a->nr_ent == a->cap_ent) {
		a->cap_ent *= 2;
		a->ent = tm_xrealloc(a->ent, a->cap_ent * sizeof(*a->ent));
	}
	if (2 * ((uint64_t)a->nr_ent + 1) > a->mask + 1)
		grow_tab(a);   /* load <= 1/2 */
	e = &a->ent[a->nr_ent];
	init_ent(e, key, idx, k);
	a->tab[probe(a, key)] = ++a->nr_ent;
	return e;
}

/* The entry of (idx, key), new ones first seen in interval k. */
static struct ent *lookup(struct tm_arms *a, uint32_t idx, uint64_t key,
			  uint32_t k)
{
	uint32_t n;

	if (a->direct)
		return idx < a->nr_ent && a->ent[idx].key != ARMS_NO_KEY ?
		       &a->ent[idx] : add_direct(a, idx, key, k);
	n = a->tab[probe(a, key)];
	return n ? &a->ent[n - 1] : add_hashed(a, idx, key, k);
}

/* The window update() tests each sample against: the open interval
 * [iv_start_ns, + interval_ns) and, under the auto bias, the open
 * detector period too.  Empty (every sample goes out of line) when they
 * do not meet or their end overflows. */
static void set_window(struct tm_arms *a)
{
	uint64_t start = a->iv_start_ns, end = start + a->interval_ns;

	if (a->cfg.bias == TM_ARMS_AUTO) {
		if (a->det_start_ns > start)
			start = a->det_start_ns;
		if (a->det_start_ns + a->det_ns < end)
			end = a->det_start_ns + a->det_ns;
	}
	a->win_start_ns = start;
	a->win_ns = end > start ? end - start : 0;
}

/* A sample at t outside the window: the first sample, a new interval or
 * detector period, or one out of time order.  Returns its interval. */
static uint32_t leave_window(struct tm_arms *a, uint64_t t, uint8_t tier)
{
	uint32_t k = a->cur;
	uint64_t ka;

	if (!a->started) {
		a->started = true;
		a->k0 = t / a->interval_ns;
		a->det_k = t / a->det_ns;
		a->det_start_ns = a->det_k * a->det_ns;
		a->iv_start_ns = a->k0 * a->interval_ns;
	}
	if (t - a->iv_start_ns >= a->interval_ns) {
		ka = t / a->interval_ns;
		k = ka > a->k0 ? (uint32_t)(ka - a->k0) : 0;
		if (k > a->cur) {
			a->cur = k;
			a->iv_start_ns = ka * a->interval_ns;
		}
	}
	if (a->cfg.bias == TM_ARMS_AUTO)
		ph_sample(a, t, tier);
	set_window(a);
	return k;
}

/* Count s into its page in interval k (the whole rule, out of line). */
static void count_in(struct tm_arms *a, struct tm_sample s, uint32_t k)
{
	struct ent *e = lookup(a, s.idx, tm_sample_page(s, a->addr_shift), k);

	fold_to(a, e, k);
	e->nr += s.weight;
	if (s.tier != TM_TIER_NONE)
		e->tier = s.tier;
}

/* update() when its fast path does not apply: a sample outside the
 * window, a page's first sample, or its first of an interval. */
ARMS_RARE void update_rare(struct tm_arms *a, struct tm_sample s, bool inside)
{
	if (inside)
		count_in(a, s, a->cur);
	else
		count_in(a, s, leave_window(a, s.rec->time_ns, s.tier));
}

/* The entry of a sampled page whose interval is open (last == cur; a
 * closed one has last < cur), or NULL. */
static inline struct ent *hit(const struct tm_arms *a, uint32_t idx,
			      uint64_t key)
{
	struct ent *e;
	uint32_t n;
	uint64_t i;

	if (a->direct) {
		if (idx >= a->nr_ent || a->ent[idx].key == ARMS_NO_KEY)
			return NULL;
		e = &a->ent[idx];
	} else {
		for (i = slot_of(a, key); (n = a->tab[i]) != 0;
		     i = (i + 1) & a->mask)
			if (a->ent[n - 1].key == key)
				break;
		if (!n)
			return NULL;
		e = &a->ent[n - 1];
	}
	return e->last == a->cur ? e : NULL;
}

/* Samples come in time order, mostly inside the window, to a page already
 * sampled in the open interval: one subtraction and one comparison place
 * a sample in the open interval and detector period (the period's SMEM
 * count is kept under a fixed bias too, unread), a probe finds the entry,
 * and the rest goes out of line (cost: file header). */
static void arms_update(void *st, struct tm_sample s)
{
	struct tm_arms *a = st;
	struct ent *e;

	if (s.weight == 0)
		return;   /* weight 0 (store_weight: 0) does not count */
	if (s.rec->time_ns - a->win_start_ns >= a->win_ns) {
		update_rare(a, s, false);
		return;
	}
	a->det_x += s.tier == TM_TIER_SMEM;
	e = hit(a, s.idx, tm_sample_page(s, a->addr_shift));
	if (!e) {
		update_rare(a, s, true);
		return;
	}
	e->nr += s.weight;
	if (s.tier != TM_TIER_NONE)
		e->tier = s.tier;
}

/* ---- rank ---- */

/* Hotter: a larger score, ties to the lower ARMS page number. */
static inline bool hotter(const void *ctx, const struct scored *x,
			  const struct scored *y)
{
	(void)ctx;
	return x->score > y->score || (x->score == y->score && x->key < y->key);
}

static inline bool colder(const void *ctx, const struct scored *x,
			  const struct scored *y)
{
	(void)ctx;
	return x->score < y->score || (x->score == y->score && x->key < y->key);
}

TM_SELECT_DEFINE(hottest, struct scored, const void *, hotter)
TM_SELECT_DEFINE(coldest, struct scored, const void *, colder)

static void *reserve(void *p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return p;
	*cap = need > 2 * *cap ? need : 2 * *cap;
	return tm_xrealloc(p, *cap * sz);
}

/* hot_age and can_promote (calculate_scores_map_and_sort): in the top C
 * with a score, age and allow promotion from the second time on if the
 * score has not fallen; below the top C, reset.  Then remember scores. */
static void age_pages(struct tm_arms *a, size_t n, size_t nr_top)
{
	for (size_t i = 0; i < n; i++) {
		struct ent *e = &a->ent[a->sel[i].e];
		float sc = (float)a->sel[i].score;

		if (i >= nr_top) {
			e->hot_age = 0;
			e->can_promote = 0;
		} else if (sc != 0) {
			if (e->hot_age < UINT16_MAX)
				e->hot_age++;
			if (e->hot_age > 1 && sc >= e->prev_score)
				e->can_promote = 1;
		}
		e->prev_score = sc;
	}
}

/* continue_migration: the hot page's smallest EWMA reaches the cold page's
 * largest, and (S_p - S_d) x hot_age x period x latency difference >=
 * cost_benefit x (promotion + demotion cost). */
static bool pair_pays(const struct tm_arms *a, const struct scored *p,
		      const struct scored *d)
{
	const struct ent *ep = &a->ent[p->e], *ed = &a->ent[d->e];
	double wp[2], wd[2], benefit, cost;

	ewma_at(a, ep, a->cur, wp);
	ewma_at(a, ed, a->cur, wd);
	if (fmin(wp[0], wp[1]) < fmax(wd[0], wd[1]))
		return false;
	benefit = (p->score - d->score) * ep->hot_age *
		  (double)a->cfg.sample_period *
		  ((double)a->cfg.latency_diff_ns / 1e3);
	cost = a->cfg.cost_benefit * a->pair_cost_us;
	return benefit >= cost;
}

/* Pairs most this rank() may hand out: interval / pair cost x threads per
 * interval since the last rank() (at least one). */
static size_t pair_limit(const struct tm_arms *a, size_t cap)
{
	uint32_t nr_iv = a->cur > a->last_rank ? a->cur - a->last_rank : 1;
	double lim = (double)a->interval_ns / 1e3 / a->pair_cost_us *
		     a->cfg.migration_threads * nr_iv;

	return lim < (double)cap ? (size_t)lim : cap;
}

/* issue_migrations without its free-DRAM branch (file header): sel[0, C)
 * is sorted hottest first; the demotion candidates are the FMEM pages
 * ranked after position C, coldest first. */
static size_t pairs(struct tm_arms *a, struct tm_rank *r, size_t n, size_t c)
{
	size_t limit = pair_limit(a, r->cap), nr_cold = 0, np = 0, j = 0;

	if (n <= c + 1)
		return 0;
	a->cold = reserve(a->cold, &a->cap_cold, n - c - 1, sizeof(*a->cold));
	for (size_t i = c + 1; i < n; i++)
		if (a->ent[a->sel[i].e].tier == TM_TIER_FMEM)
			a->cold[nr_cold++] = a->sel[i];
	coldest_top_sorted(NULL, a->cold, nr_cold, limit);
	for (size_t i = 0; i < c && np < limit && j < nr_cold &&
			   j < limit; i++) {
		const struct ent *e = &a->ent[a->sel[i].e];

		if (a->sel[i].score == 0)
			break;
		if (e->tier != TM_TIER_SMEM || !e->can_promote)
			continue;
		if (!pair_pays(a, &a->sel[i], &a->cold[j]))
			break;
		r->promote[np] = e->idx;
		r->demote[np] = a->ent[a->cold[j].e].idx;
		np++;
		j++;
	}
	return np;
}

static inline uint64_t est_of(const struct tm_arms *a, double score)
{
	double v = score * (double)a->cfg.estimate_scale + 0.5;

	return v < 18446744073709549568.0 ? (uint64_t)v : UINT64_MAX;
}

static void arms_rank(void *st, struct tm_rank *r)
{
	struct tm_arms *a = st;
	size_t n = 0, c, k;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	a->sel = reserve(a->sel, &a->cap_sel, a->nr_ent ? a->nr_ent : 1,
			 sizeof(*a->sel));
	for (uint32_t i = 0; i < a->nr_ent; i++) {
		if (a->ent[i].key == ARMS_NO_KEY)
			continue;   /* direct: an index never sampled */
		a->sel[n].score = score_of(a, &a->ent[i]);
		a->sel[n].key = a->ent[i].key;
		a->sel[n].e = i;
		n++;
	}
	c = a->nr_fmem < n ? a->nr_fmem : n;
	/* sorted: the regions handed out and the top C + 1 (pairs) */
	k = r->cap_regions > c + 1 ? r->cap_regions : c + 1;
	hottest_top_sorted(NULL, a->sel, n, k);
	age_pages(a, n, c);
	for (size_t i = 0; i < n && i < r->cap_regions; i++) {
		if (a->sel[i].score <= 0)
			break;
		r->regions[i].start = a->sel[i].key << a->group_shift;
		r->regions[i].end = (a->sel[i].key + 1) << a->group_shift;
		r->regions[i].score = est_of(a, a->sel[i].score);
		r->nr_regions = i + 1;
	}
	if (r->promote && r->demote && a->group_shift == 0 && n > 0 &&
	    r->cap > 0) {
		r->nr_pairs = pairs(a, r, n, c);
		if (r->nr_pairs == 0) {
			/* no pair pays: hand out one the engine skips as
			 * stale (a page cannot be in both tiers), since no
			 * pairs at all would make it plan its own exchange */
			r->promote[0] = r->demote[0] = a->ent[a->sel[0].e].idx;
			r->nr_pairs = 1;
		}
	}
	a->last_rank = a->cur;
}

static void arms_epoch_end(void *st)
{
	(void)st;   /* intervals fold by sample time (file header) */
}

static uint64_t arms_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_arms *a = st;
	const struct ent *e = find(a, idx, page >> a->group_shift);

	return e ? est_of(a, score_of(a, e)) : 0;
}

/* A rate per interval, not a count since the run's start. */
static bool arms_cumulative(const void *st)
{
	(void)st;
	return false;
}

static void arms_moved(void *st, uint32_t idx, uint64_t page,
		       enum tm_tier tier)
{
	struct tm_arms *a = st;
	struct ent *e = find(a, idx, page >> a->group_shift);

	if (e && tier != TM_TIER_NONE)
		e->tier = (uint8_t)tier;
}

static size_t arms_memory_bytes(const void *st)
{
	const struct tm_arms *a = st;

	return sizeof(*a) + (size_t)a->cap_ent * sizeof(*a->ent) +
	       (a->tab ? (a->mask + 1) * sizeof(*a->tab) : 0) +
	       (a->cap_sel + a->cap_cold) * sizeof(struct scored);
}

static void arms_free(void *st)
{
	struct tm_arms *a = st;

	if (!a)
		return;
	free(a->tab);
	free(a->ent);
	free(a->sel);
	free(a->cold);
	free(a);
}

/* 2 / (floor(window / 500 ms) + 1) (SHORT/LONG_TERM_WND_ALPHA). */
static double alpha_of(double given, uint64_t window_ns)
{
	if (given > 0)
		return given;
	return 2.0 / ((double)(window_ns / ARMS_BIG_INTERVAL_NS) + 1.0);
}

/* MIN_PROMOTION_COST + MIN_DEMOTION_COST for a page of sz bytes, in us. */
static double min_pair_cost_us(uint64_t sz)
{
	return (double)sz / (ARMS_RD_GBS * 1024) +
	       (double)sz / (ARMS_WR_GBS * 1024) + 2 * ARMS_META_US;
}

static void *arms_new(const struct tm_ident_params *p)
{
	struct tm_arms *a = tm_xcalloc(1, sizeof(*a));
	const struct tm_arms_config *c = p->own;
	uint32_t arms_shift = c->page_size == TM_ARMS_PAGE_2M ? 21 : 12;
	uint64_t slots = ARMS_MIN_SLOTS;
	uint32_t log2_slots = ARMS_MIN_SLOTS_LOG2;

	a->cfg = *c;
	a->group_shift = arms_shift > p->page_shift ? arms_shift - p->page_shift
						    : 0;
	a->addr_shift = p->page_shift + a->group_shift;
	a->interval_ns = c->interval_ns;
	a->det_ns = c->detector_ns;
	a->alpha[0] = alpha_of(c->alpha_short, c->short_window_ns);
	a->alpha[1] = alpha_of(c->alpha_long, c->long_window_ns);
	for (int i = 0; i < 2; i++) {
		a->pow1m[i][0] = 1.0;
		for (int n = 1; n < ARMS_NR_POW; n++)
			a->pow1m[i][n] = a->pow1m[i][n - 1] * (1.0 - a->alpha[i]);
	}
	a->recency = c->bias == TM_ARMS_RECENCY;
	a->nr_fmem = p->nr_fmem_pages >> a->group_shift;
	a->pair_cost_us = c->pair_cost_ns ? (double)c->pair_cost_ns / 1e3 :
			  min_pair_cost_us(1ull << a->addr_shift);
	while (slots < 4 * a->nr_fmem) {
		slots <<= 1;
		log2_slots++;
	}
	a->direct = a->group_shift == 0;
	if (a->direct) {
		grow_direct(a, (uint32_t)(slots / 2 - 1));
		return a;
	}
	a->tab = tm_xcalloc(slots, sizeof(*a->tab));
	a->mask = slots - 1;
	a->hash_shift = 64 - log2_slots;
	a->cap_ent = (uint32_t)(slots / 2);
	a->ent = tm_xmalloc(a->cap_ent * sizeof(*a->ent));
	return a;
}

bool tm_arms_recency(const void *st)
{
	return ((const struct tm_arms *)st)->recency;
}

typedef struct tm_arms_config ARMS;

/* The schema of kind arms (file header; pebs.h names in the docs). */
static const struct tm_cfg_key arms_keys[] = {
	TM_CFG_KEY("page_size", TM_CFG_ENUM, 0, 0, "2MiB", "2MiB|4KiB", 0,
		   TM_CFG_F_INT, ARMS, page_size,
		   "ARMS page: 2MiB (HeMem huge pages) or 4KiB"),
	TM_CFG_KEY("interval", TM_CFG_TIME, 1e6, 3.6e12, "500ms", NULL, 0,
		   TM_CFG_F_U64, ARMS, interval_ns,
		   "policy interval (100ms: the code's small-memory mode)"),
	TM_CFG_KEY("short_window", TM_CFG_TIME, 5e8, 3.6e12, "1s", NULL, 0,
		   TM_CFG_F_U64, ARMS, short_window_ns,
		   "short EWMA window (alpha_short 0: 2/(window/500ms+1))"),
	TM_CFG_KEY("long_window", TM_CFG_TIME, 5e8, 3.6e12, "10s", NULL, 0,
		   TM_CFG_F_U64, ARMS, long_window_ns,
		   "long EWMA window (alpha_long 0: 2/(window/500ms+1))"),
	TM_CFG_KEY("alpha_short", TM_CFG_DOUBLE, 0, 1, "0", NULL, 0,
		   TM_CFG_F_DBL, ARMS, alpha_short,
		   "short EWMA weight; 0: from short_window (2/3)"),
	TM_CFG_KEY("alpha_long", TM_CFG_DOUBLE, 0, 1, "0", NULL, 0,
		   TM_CFG_F_DBL, ARMS, alpha_long,
		   "long EWMA weight; 0: from long_window (2/21)"),
	TM_CFG_KEY("bias", TM_CFG_ENUM, 0, 0, "auto", "auto|history|recency",
		   0, TM_CFG_F_INT, ARMS, bias,
		   "score weights: auto (the detector switches), or fixed"),
	TM_CFG_KEY("history_short", TM_CFG_DOUBLE, 0, 1, "0.4", NULL, 0,
		   TM_CFG_F_DBL, ARMS, history_short,
		   "history bias: weight of the short EWMA (long: 1 - it)"),
	TM_CFG_KEY("recency_short", TM_CFG_DOUBLE, 0, 1, "0.731", NULL, 0,
		   TM_CFG_F_DBL, ARMS, recency_short,
		   "recency bias: weight of the short EWMA (long: 1 - it)"),
	TM_CFG_KEY("detector_period", TM_CFG_TIME, 1e6, 3.6e12, "1s", NULL, 0,
		   TM_CFG_F_U64, ARMS, detector_ns,
		   "Page-Hinkley period over SMEM samples"),
	TM_CFG_KEY("ph_mean_alpha", TM_CFG_DOUBLE, 0, 1, "0.3", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, ARMS, ph_mean_alpha,
		   "detector: EWMA weight of the SMEM sample mean"),
	TM_CFG_KEY("ph_std_alpha", TM_CFG_DOUBLE, 0, 1, "0.1", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, ARMS, ph_std_alpha,
		   "detector: EWMA weight of the variance"),
	TM_CFG_KEY("drift", TM_CFG_DOUBLE, 0, 100, "0.1", NULL, 0,
		   TM_CFG_F_DBL, ARMS, ph_drift,
		   "Page-Hinkley drift, in standard deviations"),
	TM_CFG_KEY("threshold", TM_CFG_DOUBLE, 0, 1000, "3.0", NULL, 0,
		   TM_CFG_F_DBL, ARMS, ph_threshold,
		   "Page-Hinkley threshold, in standard deviations"),
	TM_CFG_KEY("recency_periods", TM_CFG_U64, 0, 1 << 20, "20", NULL, 0,
		   TM_CFG_F_U32, ARMS, recency_periods,
		   "detector periods at least in recency bias after a fire"),
	TM_CFG_KEY("recency_min_smem", TM_CFG_U64, 0, 1ull << 40, "0", NULL, 0,
		   TM_CFG_F_U64, ARMS, recency_min_smem,
		   "SMEM samples of the period a switch needs (assumption)"),
	TM_CFG_KEY("cost_benefit", TM_CFG_DOUBLE, 0, 1000, "1.5", NULL, 0,
		   TM_CFG_F_DBL, ARMS, cost_benefit,
		   "a pair goes if its benefit >= this x its cost"),
	TM_CFG_KEY("pair_cost", TM_CFG_TIME, 0, 3.6e12, "0", NULL, 0,
		   TM_CFG_F_U64, ARMS, pair_cost_ns,
		   "promotion + demotion cost; 0: the code's minimum for the page"),
	TM_CFG_KEY("latency_diff", TM_CFG_TIME, 0, 1e9, "100ns", NULL, 0,
		   TM_CFG_F_U64, ARMS, latency_diff_ns,
		   "SMEM minus FMEM latency per access (benefit)"),
	TM_CFG_KEY("sample_period", TM_CFG_U64, 1, 1ull << 32, "10007", NULL,
		   0, TM_CFG_F_U64, ARMS, sample_period,
		   "accesses one sample stands for (benefit)"),
	TM_CFG_KEY("migration_threads", TM_CFG_U64, 1, 1024, "4", NULL, 0,
		   TM_CFG_F_U32, ARMS, migration_threads,
		   "batch: pairs per interval = interval / pair_cost x this"),
	TM_CFG_KEY("estimate_scale", TM_CFG_U64, 1, 1ull << 32, "1", NULL, 0,
		   TM_CFG_F_U64, ARMS, estimate_scale,
		   "estimate() = round(score x this) (assumption)"),
};

const struct tm_identifier_ops tm_arms_ops = {
	.kind = {
		.name = "arms",
		.help = "ARMS: short and long EWMAs per 2 MiB page, a bias a "
			"Page-Hinkley detector switches, cost/benefit pairs",
		.keys = arms_keys,
		.nr_keys = sizeof(arms_keys) / sizeof(arms_keys[0]),
		.config_size = sizeof(struct tm_arms_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_REGIONS | TM_IDENT_PAIRS |
			 TM_IDENT_TIER,
	},
	/* assumption: the paper gives none; this model's
	 * update measured 20-40 ns with 2 MiB pages (docs/identifiers.md) */
	.cost_ns = 30,
	.new = arms_new,
	.update = arms_update,
	.rank = arms_rank,
	.epoch_end = arms_epoch_end,
	.estimate = arms_estimate,
	.cumulative = arms_cumulative,
	.moved = arms_moved,
	.memory_bytes = arms_memory_bytes,
	.free = arms_free,
};
