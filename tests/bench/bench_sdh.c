/*
 * bench_sdh.c - SDH accuracy in the HeavyKeeper paper's terms, and SDH
 * update throughput (make bench; docs/identifiers.md has the tables).
 *
 * Accuracy (reference identifiers.md §2, "Reproducing on Zipf"): the
 * paper's grid, memory {10, 30, 60, 100} KB x k {100, 1000} where the heap
 * fits x skew {0.6, 0.9, 1.2, 1.5, 3.0}, 3 seeds; streams of Zipf(skew)
 * ranks over NR_KEYS pages, pages = a random permutation of the ranks;
 * memory split as HeavyKeeper's main.cpp does, 4*w*d + 54*k bytes with
 * d = 2 and w forced odd (KB = 1024 bytes).  Over the k reported pages:
 * tie-aware precision (a page counts if its exact count reaches the k-th
 * largest), ARE = mean |n^ - n| / n and AAE = mean |n^ - n| of the heap
 * counts n^ over all of them, saturated pages included and counted.  Every
 * SDH variant (the defaults, S1, HK paper, HK authors, two heaps; S1 and
 * both HK at counter_bits 32, where a bucket takes 8 bytes and w halves)
 * runs beside the HeavyKeeper twin (tests/hk_twin.h) with the same rules,
 * the same counter width and its own hash and RNG; the worst row per
 * variant is printed.  Each stream is run with NR_DRAWS independent
 * hashings and RNG seeds per variant and twin, their means compared: with
 * one draw per stream the hashing alone moves a row's gap by up to 2.4
 * points (standard error), and a grid with no rule difference had a 94%
 * chance of showing some row more than 2 points behind; 8 draws bring the
 * largest SE to 0.84 and that chance to 4% (docs/identifiers.md).  Then
 * one setting changed at a time on one 4M-sample stream.  Environment
 * (main()): BENCH_SDH_RECORDS, BENCH_SDH_SEEDS, BENCH_SDH_DRAWS,
 * BENCH_SDH_CSV, BENCH_SDH_PART.
 *
 * Throughput with the config defaults, d = 4, w = 8192, 15 runs on the
 * 2-core reference VM at load average 2-2.5 (docs/bench.md): one heap,
 * K = 1000: 33.7-38.1 M updates/s; two heaps: 23.6-25.8 M/s; one heap,
 * K = 83886: 18.5-26.3 M/s.  Where the time goes (callgrind, sdh_update
 * and its callees): ~270 instructions per one-heap update (~368
 * two-heap), down from ~480 (~448) by: one key mix shared by the rows
 * and the heap index with one multiply per row (sdh.c header); the default
 * configuration as one function with constant bounds, rows unrolled; heap
 * lookups inline (topk_internal.h), a sparser heap index of 8-byte cells,
 * one-way sifts and, for one heap, ties left unordered (topk.c).
 * Kept from before: all bucket addresses computed and prefetched before any
 * is touched (18.4 -> 20.1 M/s); the heap index cell prefetched first
 * (+20% at K = 83886, none at 1000).  Tried and dropped: a branch-free row
 * rule drawing a random number every row (-10%, also with an LCG); looking
 * the heap up after the rows (-5%); an 8-bit tag array in front of the heap
 * index (no gain); an instance of the update per estimator (a 20 KB
 * function, slower); Fibonacci hashing for the heap index (-3%).  At large
 * K the cost is S1's admission churn: a replace-and-sift for most cold
 * newcomers once the heap minimum is small (23% of samples at K = 10485
 * over 1M pages, 91% of them at estimate == minimum).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/ident/identifier.h"
#include "models/ident/sdh_internal.h"
#include "lib/alloc.h"
#include "tests/hk_twin.h"

#define NR_KEYS 1000000u         /* distinct keys (paper: 1M-10M flows) */
#define NR_SAMPLES 4000000u      /* throughput stream (paper: 10M-32M) */
#define NR_GRID_SAMPLES 1000000u /* accuracy grid: 90 streams, kept short */
#define HK_HEAP_BYTES 54u        /* HeavyKeeper main.cpp: 432 bits per k */
#define SDH_COUNTER_MAX 65535.0  /* u16 counters (S3) */

struct stream {
	uint32_t *keys;          /* NR_SAMPLES page numbers */
	uint64_t *count;         /* exact count per page */
	uint32_t *top;           /* pages by count, descending (first 1000) */
	uint32_t nr_seen;        /* pages with a count > 0 */
	uint32_t nr;             /* samples in keys */
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static const uint64_t *g_count;   /* qsort comparator context (bench only) */

static int by_count_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (g_count[x] != g_count[y])
		return g_count[x] > g_count[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Zipf(skew) by inverse CDF over ranks, ranks mapped to pages by a random
 * permutation; exact counts and the true order alongside. */
static void gen_stream(struct stream *st, double skew, uint64_t seed,
		       uint32_t nr)
{
	double *cdf = tm_xmalloc(NR_KEYS * sizeof(*cdf));
	uint32_t *perm = tm_xmalloc(NR_KEYS * sizeof(*perm));
	uint32_t *order = tm_xmalloc(NR_KEYS * sizeof(*order));
	double sum = 0;

	for (uint32_t i = 0; i < NR_KEYS; i++) {
		sum += pow(i + 1.0, -skew);
		cdf[i] = sum;
		perm[i] = i;
	}
	for (uint32_t i = NR_KEYS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(splitmix(&seed) % (i + 1)), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	memset(st->count, 0, NR_KEYS * sizeof(*st->count));
	st->nr = nr;
	for (uint32_t n = 0; n < nr; n++) {
		double u = (double)(splitmix(&seed) >> 11) * 0x1p-53 * sum;
		uint32_t lo = 0, hi = NR_KEYS - 1;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		st->keys[n] = perm[lo];
		st->count[perm[lo]]++;
	}
	for (uint32_t i = 0; i < NR_KEYS; i++)
		order[i] = i;
	g_count = st->count;
	qsort(order, NR_KEYS, sizeof(*order), by_count_desc);
	memcpy(st->top, order, 1000 * sizeof(*order));
	st->nr_seen = 0;
	for (uint32_t i = 0; i < NR_KEYS; i++)
		st->nr_seen += st->count[i] > 0;
	free(cdf);
	free(perm);
	free(order);
}


struct result {
	double precision, are, aae;
	double nr_true_sat;      /* reported pages whose true count > 65535 */
	double nr_saturated;     /* reported pages whose counter is at its
				  * maximum (sdh's saturated(); the twin's
				  * heap value at count_max) */
};

/* Scores the reported pages hot[0..n) with heap values val[]: tie-aware
 * precision (a page counts if its exact count reaches the k-th largest,
 * out of min(k, pages seen): at skew 3.0 fewer than 1000 pages are seen),
 * ARE and AAE over all of them, saturated ones included. */
static struct result score(const struct stream *st, uint32_t k,
			   const uint64_t *hot, const uint64_t *val, size_t n)
{
	struct result res = { 0, 0, 0, 0, 0 };
	uint32_t want = k < st->nr_seen ? k : st->nr_seen;
	uint64_t kth = st->count[st->top[want - 1]];

	for (size_t i = 0; i < n; i++) {
		double c = (double)st->count[hot[i]];

		res.precision += c >= (double)kth && c > 0;
		res.nr_true_sat += c > SDH_COUNTER_MAX;
		res.aae += fabs((double)val[i] - c);
		res.are += c > 0 ? fabs((double)val[i] - c) / c : 0;
	}
	res.precision /= want;
	if (n) {
		res.are /= (double)n;
		res.aae /= (double)n;
	}
	return res;
}

/* One SDH run over the stream; all samples SMEM when two_heap (its
 * hottest-SMEM heap is then the top-k), else FMEM (the one heap). */
static struct result run_cfg(const struct stream *st, uint32_t k,
			     const struct tm_ident_config *c,
			     const struct tm_sdh_variant *var, uint64_t seed)
{
	const struct tm_identifier_ops *o = tm_identifier_find("sdh");
	struct tm_ident_params p = { .cfg = c, .own = (*c).own.bytes,
				       .nr_fmem_pages = 0, .seed = seed };
	enum tm_tier tier = tm_sdh_cfg_of(c)->two_heap ? TM_TIER_SMEM
						       : TM_TIER_FMEM;
	uint64_t hot[1000], val[1000];
	struct tm_rank r = { .hot = hot, .cap = k, .nr_hot = 0, .promote = NULL,
				.demote = NULL, .nr_pairs = 0 };
	void *s = o->new(&p);
	struct result res;
	int t;

	tm_sdh_set_variant(s, var);
	for (uint32_t n = 0; n < st->nr; n++)
		tm_ident_feed(o, s, st->keys[n], 1, tier);
	o->rank(s, &r);
	for (size_t i = 0; i < r.nr_hot; i++)
		tm_sdh_heap_get(s, hot[i], &val[i], &t);
	res = score(st, k, hot, val, r.nr_hot);
	res.nr_saturated = (double)o->saturated(s, hot, r.nr_hot);
	o->free(s);
	return res;
}

/* HeavyKeeper's memory split: w = (MEM - 54k) / (d * bucket bytes), forced
 * odd (HK: 4-byte buckets; 8 at counter_bits 32); 0 if the heap alone
 * does not fit. */
static uint32_t hk_width(uint32_t kb, uint32_t k, bool wide)
{
	int64_t w = ((int64_t)kb * 1024 - (int64_t)HK_HEAP_BYTES * k) /
		    (2 * (wide ? 8 : 4));

	return w < 3 ? 0 : (uint32_t)(w | 1);   /* HK: 605, 6051 */
}

/* One twin run (its own hash and RNG) over the stream. */
static struct result run_twin(const struct stream *st, uint32_t k,
			      uint32_t w, struct hk_twin_rules rules,
			      uint64_t seed)
{
	struct hk_twin t;
	uint64_t hot[1000], val[1000];
	struct result res;
	size_t n, nr_sat = 0;

	hk_twin_init(&t, 2, w, k, NR_KEYS, rules, seed);
	for (uint32_t i = 0; i < st->nr; i++) {
		/* the twin's key -> slot table spans every key (4 MB): its
		 * cell fetched ahead, or a miss stalls each sample */
		if (i + 16 < st->nr)
			__builtin_prefetch(&t.slot_of[st->keys[i + 16]]);
		hk_twin_update(&t, st->keys[i]);
	}
	n = t.nr;
	for (size_t i = 0; i < n; i++) {
		hot[i] = t.key[i];
		val[i] = t.val[i];
		nr_sat += t.val[i] >= t.count_max;
	}
	res = score(st, k, hot, val, n);
	res.nr_saturated = (double)nr_sat;
	hk_twin_free(&t);
	return res;
}

/* The grid's columns: SDH variants, then twins.  pair: the twin running
 * the same rules (-1: none; the variant's rules are Demeter's S2/S3 or
 * the config defaults, which no HeavyKeeper twin restates).  rules: what
 * the variant follows (docs/identifiers.md). */
enum { V_DEFAULT, V_S1, V_HK_PAPER, V_HK_AUTHORS, V_TWO_HEAP, V_S1_32,
       V_HK_PAPER_32, V_HK_AUTHORS_32,
       V_T_S1, V_T_PAPER, V_T_AUTHORS, V_T_AUTHORS_HASH, V_T_S1_32,
       V_T_PAPER_32, V_T_AUTHORS_32, NR_V };
#define NR_SDH_V V_T_S1

static const struct {
	const char *name;
	int pair;
	bool wide;
	const char *rules;
} vdesc[NR_V] = {
	[V_DEFAULT] = { "sdh-default", -1, false, "defaults" },
	[V_S1] = { "sdh-s1", V_T_S1, false, "S1" },
	[V_HK_PAPER] = { "sdh-hk-paper", V_T_PAPER, false, "HK paper" },
	[V_HK_AUTHORS] = { "sdh-hk-authors", V_T_AUTHORS, false, "HK authors" },
	[V_TWO_HEAP] = { "sdh-two-heap", -1, false, "S2/S3" },
	[V_S1_32] = { "sdh-s1-32", V_T_S1_32, true, "S1" },
	[V_HK_PAPER_32] = { "sdh-hk-paper-32", V_T_PAPER_32, true, "HK paper" },
	[V_HK_AUTHORS_32] = { "sdh-hk-auth-32", V_T_AUTHORS_32, true,
			      "HK authors" },
	[V_T_S1] = { "twin-s1", -1, false, "S1" },
	[V_T_PAPER] = { "twin-paper", -1, false, "HK paper" },
	[V_T_AUTHORS] = { "twin-authors", -1, false, "HK authors" },
	[V_T_AUTHORS_HASH] = { "twin-auth-hash", -1, false,
			       "HK authors hashing" },
	[V_T_S1_32] = { "twin-s1-32", -1, true, "S1" },
	[V_T_PAPER_32] = { "twin-paper-32", -1, true, "HK paper" },
	[V_T_AUTHORS_32] = { "twin-authors-32", -1, true, "HK authors" },
};

static struct hk_twin_rules twin_rules(int v)
{
	switch (v) {
	case V_T_S1: case V_T_S1_32:
		return (struct hk_twin_rules){ .selective_le = true,
					       .s1_heap = true,
					       .wide = vdesc[v].wide };
	case V_T_PAPER: case V_T_PAPER_32:
		return (struct hk_twin_rules){ .wide = vdesc[v].wide };
	case V_T_AUTHORS_HASH:
		return (struct hk_twin_rules){ .selective_le = true,
					       .integer_decay = true,
					       .correlated_rows = true };
	default:
		return (struct hk_twin_rules){ .selective_le = true,
					       .integer_decay = true,
					       .wide = vdesc[v].wide };
	}
}

static struct result run_variant(const struct stream *st, uint32_t k,
				 uint32_t kb, int v, uint64_t seed)
{
	struct tm_ident_config c;
	struct tm_sdh_variant var = TM_SDH_S1;
	uint32_t w = hk_width(kb, k, vdesc[v].wide);

	if (v >= NR_SDH_V)
		return run_twin(st, k, w, twin_rules(v), ~seed);
	tm_sdh_test_config(&c, 2, w, k);
	if (vdesc[v].wide)
		tm_sdh_cfg(&c)->counter_bits = TM_SDH_COUNTER_32;
	switch (v) {
	case V_DEFAULT:   /* the config defaults: no selective increment */
		tm_sdh_cfg(&c)->selective_increment = false;
		break;
	case V_TWO_HEAP:  /* S2/S3: no selective increment (sdh.c) */
		tm_sdh_cfg(&c)->two_heap = true;
		break;
	case V_HK_PAPER: case V_HK_PAPER_32:
		var = TM_SDH_HK_PAPER;
		break;
	case V_HK_AUTHORS: case V_HK_AUTHORS_32:
		var = TM_SDH_HK_AUTHORS;
		tm_sdh_cfg(&c)->decay_rounding = TM_DECAY_INTEGER;
		break;
	default:
		break;
	}
	return run_cfg(st, k, &c, &var, seed);
}

/* seeds per grid point: 3 (the paper's grid), or BENCH_SDH_SEEDS; hash
 * and RNG draws per stream and variant: BENCH_SDH_DRAWS, default
 * NR_DRAWS (docs/identifiers.md: the measured spread that chose it) */
#define NR_DRAWS 8u
#define MAX_DRAWS 256u
static uint32_t nr_seeds = 3;
static uint32_t nr_draws = NR_DRAWS;
static const uint32_t grid_kb[] = { 10, 30, 60, 100 };
static const uint32_t grid_k[] = { 100, 1000 };
static const double grid_skew[] = { 0.6, 0.9, 1.2, 1.5, 3.0 };
#define NR_KB (sizeof(grid_kb) / sizeof(grid_kb[0]))
#define NR_K (sizeof(grid_k) / sizeof(grid_k[0]))
#define NR_SKEW (sizeof(grid_skew) / sizeof(grid_skew[0]))

/* Mean of nr_seeds x nr_draws runs per grid point and variant; ss: the
 * squared deviations of a draw's precision from its stream's mean, summed
 * over streams (the spread of hashings, stream by stream); sat_true:
 * reported pages (S1) whose true count exceeds a 16-bit counter. */
static struct result grid[NR_KB][NR_K][NR_SKEW][NR_V];
static double grid_ss[NR_KB][NR_K][NR_SKEW][NR_V];
static double sat_true[NR_KB][NR_K][NR_SKEW];

static void add(struct result *a, struct result r, double n)
{
	a->precision += r.precision / n;
	a->are += r.are / n;
	a->aae += r.aae / n;
	a->nr_saturated += r.nr_saturated / n;
	a->nr_true_sat += r.nr_true_sat / n;
}

/* The standard error of a row's mean precision over its hash draws, given
 * its streams: the pooled within-stream variance of one draw, s^2 =
 * ss / (seeds (draws - 1)), over seeds x draws; -1 with one draw. */
static double prec_se(size_t ki, size_t kj, size_t si, int v)
{
	double n = (double)nr_seeds * nr_draws;

	if (nr_draws < 2)
		return -1;
	return sqrt(grid_ss[ki][kj][si][v] / (nr_seeds * (nr_draws - 1.0)) / n);
}

/* The SE of twin - SDH on a row: independent hashings, so the variances
 * add (the stream is shared, and cancels); -1 with one draw. */
static double gap_se(size_t ki, size_t kj, size_t si, int v)
{
	double a = prec_se(ki, kj, si, v),
	       b = prec_se(ki, kj, si, vdesc[v].pair);

	return a < 0 ? -1 : sqrt(a * a + b * b);
}

/* A draw's seed: draw 0 is the stream's seed (BENCH_SDH_DRAWS=1 is the
 * grid as it was with one hashing per stream), the others above 2^32. */
static uint64_t draw_seed(uint64_t seed, uint32_t j)
{
	return seed + ((uint64_t)j << 32);
}

/* One variant on one stream: nr_draws independent hashings and RNGs,
 * their mean into the grid, their spread into grid_ss. */
static void run_draws(const struct stream *st, size_t ki, size_t kj,
		      size_t si, int v, uint64_t seed)
{
	double prec[MAX_DRAWS], mean = 0, ss = 0;
	struct result m = { 0, 0, 0, 0, 0 };

	for (uint32_t j = 0; j < nr_draws; j++) {
		struct result r = run_variant(st, grid_k[kj], grid_kb[ki], v,
					      draw_seed(seed, j));

		add(&m, r, nr_draws);
		prec[j] = r.precision;
	}
	mean = m.precision;
	for (uint32_t j = 0; j < nr_draws; j++)
		ss += (prec[j] - mean) * (prec[j] - mean);
	grid_ss[ki][kj][si][v] += ss;
	add(&grid[ki][kj][si][v], m, nr_seeds);
	if (v == V_S1)
		sat_true[ki][kj][si] += m.nr_true_sat / nr_seeds;
}

/* A grid point exists where the 16-bit sketch fits beside the heap. */
static bool point(size_t ki, size_t kj)
{
	return hk_width(grid_kb[ki], grid_k[kj], false) &&
	       hk_width(grid_kb[ki], grid_k[kj], true);
}

static void run_grid(struct stream *st, uint32_t nr_records)
{
	for (size_t si = 0; si < NR_SKEW; si++) {
		for (uint64_t seed = 1; seed <= nr_seeds; seed++) {
			gen_stream(st, grid_skew[si], 1000 * si + seed, nr_records);
			for (size_t ki = 0; ki < NR_KB; ki++)
				for (size_t kj = 0; kj < NR_K; kj++)
					for (int v = 0; point(ki, kj) && v < NR_V; v++)
						run_draws(st, ki, kj, si, v, seed);
		}
	}
}

/* One table of the grid: precision, or ARE and AAE. */
static void print_table(bool errors)
{
	printf("%4s %5s %4s %5s", "KB", "k", "skew", "sat");
	for (int v = 0; v < NR_V; v++)
		printf(errors ? " %15s" : " %7.7s", errors ? vdesc[v].name
							  : vdesc[v].name + 
							    (v < NR_SDH_V ? 4 : 0));
	printf("\n");
	for (size_t ki = 0; ki < NR_KB; ki++)
		for (size_t kj = 0; kj < NR_K; kj++)
			for (size_t si = 0; si < NR_SKEW; si++) {
				const struct result *g = grid[ki][kj][si];

				if (!point(ki, kj))
					continue;
				printf("%4u %5u %4.1f %5.1f", grid_kb[ki],
				       grid_k[kj], grid_skew[si],
				       sat_true[ki][kj][si]);
				for (int v = 0; v < NR_V; v++)
					if (errors)
						printf("  %6.0e %7.0f", g[v].are,
						       g[v].aae);
					else
						printf(" %7.3f", g[v].precision);
				printf("\n");
			}
}

static void print_grid(uint32_t nr_records)
{
	printf("\nGrid (d = 2, 4wd + 54k bytes (8wd at 32 bits), w odd, %u "
	       "samples per stream over %u keys,\nmean of %u seeds x %u hash "
	       "draws; sat: reported pages (sdh-s1) whose true count exceeds a "
	       "16-bit counter)\n\nPrecision (tie-aware)\n", nr_records,
	       NR_KEYS, nr_seeds, nr_draws);
	print_table(false);
	printf("\nARE and AAE of the heap counts over all reported pages, "
	       "saturated ones included\n");
	print_table(true);
}
/* One variant's extremes over the grid's rows: its lowest precision, and
 * for an SDH variant with a twin the row where it trails the twin most,
 * that gap's SE and the root mean square of the gap's SE over all rows. */
struct worst {
	double lo, gap, se, pooled_se;
	size_t lo_at[3], gap_at[3];
};

static struct worst find_worst(int v)
{
	struct worst w = { .lo = 2, .gap = -2, .se = -1 };
	double sum_se2 = 0;
	size_t nr = 0;

	for (size_t ki = 0; ki < NR_KB; ki++)
		for (size_t kj = 0; kj < NR_K; kj++)
			for (size_t si = 0; point(ki, kj) && si < NR_SKEW; si++) {
				const struct result *g = grid[ki][kj][si];
				double d, se;

				if (g[v].precision < w.lo) {
					w.lo = g[v].precision;
					w.lo_at[0] = ki, w.lo_at[1] = kj, w.lo_at[2] = si;
				}
				if (vdesc[v].pair < 0)
					continue;
				d = g[vdesc[v].pair].precision - g[v].precision;
				se = gap_se(ki, kj, si, v);
				sum_se2 += se * se;
				nr++;
				if (d > w.gap) {
					w.gap = d, w.se = se;
					w.gap_at[0] = ki, w.gap_at[1] = kj, w.gap_at[2] = si;
				}
			}
	w.pooled_se = nr_draws > 1 && nr ? sqrt(sum_se2 / nr) : -1;
	return w;
}

/* Per variant: its lowest-precision row, and for the SDH variants with a
 * twin the row where it trails the twin most (acceptance: <= 2 points),
 * with the standard errors of the gap from the hash draws. */
static void print_worst(void)
{
	printf("\nWorst grid row per variant (precision; gap = twin - SDH, "
	       "points, mean of %u seeds x %u hash draws;\nSE: its standard "
	       "error from the draws' spread, pooled: over every row)\n",
	       nr_seeds, nr_draws);
	for (int v = 0; v < NR_V; v++) {
		struct worst w = find_worst(v);

		printf("%-16s lowest %.3f at %u KB k=%u skew %.1f", vdesc[v].name,
		       w.lo, grid_kb[w.lo_at[0]], grid_k[w.lo_at[1]],
		       grid_skew[w.lo_at[2]]);
		if (vdesc[v].pair >= 0) {
			printf("; largest gap to %s %+.1f", vdesc[vdesc[v].pair].name,
			       100 * w.gap);
			if (w.se >= 0)
				printf(" (SE %.1f, pooled %.2f)", 100 * w.se,
				       100 * w.pooled_se);
			printf(" at %u KB k=%u skew %.1f (%s)", grid_kb[w.gap_at[0]],
			       grid_k[w.gap_at[1]], grid_skew[w.gap_at[2]],
			       w.gap <= 0.02 + 1e-9 ? "within 2" : "NOT within 2");
		} else if (v < NR_SDH_V) {
			printf("; no twin (%s rules)", vdesc[v].rules);
		}
		printf("\n");
	}
}

/* A number for the CSV, or an empty field where it has none (x < 0: one
 * draw gives no spread). */
static void csv_num(FILE *f, double x)
{
	if (x >= 0)
		fprintf(f, ",%.6f", x);
	else
		fprintf(f, ",");
}

/* One CSV row: grid point (ki, kj, si), variant v. */
static void csv_row(FILE *f, size_t ki, size_t kj, size_t si, int v,
		    uint32_t nr_records)
{
	const struct result *g = &grid[ki][kj][si][v];
	int pair = vdesc[v].pair;

	fprintf(f, "%u,%u,%.1f,%u,%u,%s,%s,%s,%d,%u,%s,%.6f,%.6g,%.6g,%.4f,"
		"%.4f,%u", grid_kb[ki], grid_k[kj], grid_skew[si], nr_records,
		nr_seeds, vdesc[v].name, v < NR_SDH_V ? "sdh" : "twin",
		vdesc[v].rules, vdesc[v].wide ? 32 : 16,
		hk_width(grid_kb[ki], grid_k[kj], vdesc[v].wide),
		pair >= 0 ? vdesc[pair].name : "", g->precision, g->are, g->aae,
		g->nr_saturated, sat_true[ki][kj][si], nr_draws);
	csv_num(f, prec_se(ki, kj, si, v));
	if (pair >= 0) {
		fprintf(f, ",%.6f", grid[ki][kj][si][pair].precision -
				    g->precision);
		csv_num(f, gap_se(ki, kj, si, v));
	} else {
		fprintf(f, ",,");
	}
	fprintf(f, "\n");
}

/* The grid as CSV at path (BENCH_SDH_CSV), written to a temporary name
 * and renamed: one row per grid point and variant, means of the seeds and
 * draws, the SE of the mean precision and, for an SDH variant with a
 * twin, the gap twin - SDH and its SE (analysis/sdh_grid.py draws it). */
static int write_csv(const char *path, uint32_t nr_records)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "memory_kb,k,skew,records,seeds,variant,kind,rules,"
		"counter_bits,width,pair,precision,are,aae,saturated,"
		"true_over_16bit,draws,precision_se,gap,gap_se\n");
	for (size_t ki = 0; ki < NR_KB; ki++)
		for (size_t kj = 0; kj < NR_K; kj++)
			for (size_t si = 0; si < NR_SKEW; si++)
				for (int v = 0; point(ki, kj) && v < NR_V; v++)
					csv_row(f, ki, kj, si, v, nr_records);
	if ((ferror(f) | fclose(f)) || rename(tmp, path)) {
		remove(tmp);
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Updates per second with the config defaults (selective increment off),
 * best of three, on the pre-generated stream; tiers: 1 page in 8 FMEM. */
static void throughput(const struct stream *st, uint64_t k, bool two_heap,
		       bool wide)
{
	const struct tm_identifier_ops *o = tm_identifier_find("sdh");
	struct tm_ident_config c;
	struct tm_ident_params p = { .cfg = &c, .own = c.own.bytes,
				       .nr_fmem_pages = 0, .seed = 7 };
	double best = 0;

	tm_sdh_test_config(&c, 4, 8192, k);
	tm_sdh_cfg(&c)->selective_increment = false;
	tm_sdh_cfg(&c)->two_heap = two_heap;
	tm_sdh_cfg(&c)->counter_bits = wide ? TM_SDH_COUNTER_32
					    : TM_SDH_COUNTER_16;
	for (int rep = 0; rep < 3; rep++) {
		void *s = o->new(&p);
		double t0 = now_s(), dt;

		for (uint32_t n = 0; n < NR_SAMPLES; n++)
			tm_ident_feed(o, s, st->keys[n], 1,
				  (st->keys[n] & 7) ? TM_TIER_SMEM : TM_TIER_FMEM);
		dt = now_s() - t0;
		if (NR_SAMPLES / dt > best)
			best = NR_SAMPLES / dt;
		o->free(s);
	}
	printf("throughput d=4 w=8192 K=%-6lu %-9s %2d-bit %6.1f M updates/s\n",
	       (unsigned long)k, two_heap ? "two-heap" : "one-heap",
	       wide ? 32 : 16, best / 1e6);
}

enum edit { E_NONE, E_INTEGER, E_NO_SELECTIVE, E_MIN, E_ALL_ROWS,
	    E_COOLING, E_NO_DECAY };

static void apply_edit(struct tm_ident_config *c, enum edit e)
{
	switch (e) {
	case E_INTEGER: tm_sdh_cfg(c)->decay_rounding = TM_DECAY_INTEGER; break;
	case E_NO_SELECTIVE: tm_sdh_cfg(c)->selective_increment = false; break;
	case E_MIN: tm_sdh_cfg(c)->estimator = TM_EST_MIN; break;
	case E_ALL_ROWS: tm_sdh_cfg(c)->estimator_rows = TM_EST_ALL; break;
	case E_COOLING: tm_sdh_cfg(c)->cooling = true; break;
	case E_NO_DECAY: tm_sdh_cfg(c)->decay = false; break;
	default: break;
	}
}

/* One setting changed at a time from the bench baseline (k = 100, 30 KB,
 * d = 2, skew 1.0). */
static void variants(const struct stream *st)
{
	static const struct tm_sdh_variant s1 = { .hk_heap = false };
	static const struct tm_sdh_variant s3col = { .s3_column = true };
	static const struct tm_sdh_variant hk = { .hk_heap = true };
	static const struct tm_sdh_variant fault = { .fault_no_takeover = true };
	static const struct {
		const char *label;
		enum edit edit;
		const struct tm_sdh_variant *var;
	} rows[] = {
		{ "baseline (paper decay, max/matching)", E_NONE, &s1 },
		{ "decay_rounding: integer (S3 table)", E_INTEGER, &s1 },
		{ "column = hash mod w (S3)", E_NONE, &s3col },
		{ "HeavyKeeper heap rules", E_NONE, &hk },
		{ "selective_increment: false", E_NO_SELECTIVE, &s1 },
		{ "estimator: min, matching rows", E_MIN, &s1 },
		{ "estimator: max, all rows", E_ALL_ROWS, &s1 },
		{ "cooling: true", E_COOLING, &s1 },
		{ "decay: false", E_NO_DECAY, &s1 },
		{ "planted fault: no takeover", E_NONE, &fault },
	};
	uint32_t w = ((30 * 1024 - HK_HEAP_BYTES * 100) / 8) | 1;

	printf("\nVariants, k = 100, 30 KB (d = 2, w = %u), skew 1.0\n", w);
	printf("%-40s %6s %8s %8s %4s\n", "", "prec", "ARE", "AAE", "sat");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tm_ident_config c;
		struct result r;

		tm_sdh_test_config(&c, 2, w, 100);
		apply_edit(&c, rows[i].edit);
		r = run_cfg(st, 100, &c, rows[i].var, 7);
		printf("%-40s %6.4f %8.2e %8.2f %4.0f\n", rows[i].label,
		       r.precision, r.are, r.aae, r.nr_saturated);
	}
}

/* A positive integer from the environment, or def; exits 2 on junk. */
static uint32_t env_u32(const char *name, uint32_t def, uint32_t max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return def;
	x = strtoull(v, &end, 10);
	if (*end || x == 0 || x > max) {
		fprintf(stderr, "bench_sdh: %s=%s: expected an integer in 1..%u\n",
			name, v, max);
		exit(2);
	}
	return (uint32_t)x;
}

/* Environment: BENCH_SDH_RECORDS (grid stream length, default 1M),
 * BENCH_SDH_SEEDS (seeds per grid point, default 3), BENCH_SDH_DRAWS (hash
 * and RNG draws per stream, default NR_DRAWS), BENCH_SDH_CSV (also
 * write the grid there), BENCH_SDH_PART (throughput or grid: only that
 * part). */
int main(void)
{
	uint32_t nr_records = env_u32("BENCH_SDH_RECORDS", NR_GRID_SAMPLES,
				      1u << 30);
	const char *csv = getenv("BENCH_SDH_CSV");
	const char *part = getenv("BENCH_SDH_PART");
	bool tput = !part || !strcmp(part, "throughput");
	bool grid_on = !part || !strcmp(part, "grid");
	struct stream st;
	int status = 0;

	nr_seeds = env_u32("BENCH_SDH_SEEDS", nr_seeds, 100);
	nr_draws = env_u32("BENCH_SDH_DRAWS", nr_draws, MAX_DRAWS);
	if (!tput && !grid_on) {
		fprintf(stderr, "bench_sdh: BENCH_SDH_PART=%s: expected "
			"throughput or grid\n", part);
		return 2;
	}
	st.keys = tm_xmalloc((nr_records > NR_SAMPLES ? nr_records : NR_SAMPLES) *
			     sizeof(*st.keys));
	st.count = tm_xmalloc(NR_KEYS * sizeof(*st.count));
	st.top = tm_xmalloc(1000 * sizeof(*st.top));

	if (tput) {
		gen_stream(&st, 1.0, 1, NR_SAMPLES);
		printf("SDH update throughput, Zipf 1.0 over %u pages (target >= "
		       "30M/s)\n", NR_KEYS);
		throughput(&st, 1000, false, false);
		throughput(&st, 1000, true, false);
		/* K = 10% of a 3.2 GiB FMEM in 4 KiB pages (Demeter's VM, §6) */
		throughput(&st, 83886, false, false);
		throughput(&st, 1000, false, true);
		variants(&st);
	}
	if (grid_on) {
		printf("\nGrid streams: %u samples each (BENCH_SDH_RECORDS)\n",
		       nr_records);
		run_grid(&st, nr_records);
		print_grid(nr_records);
		print_worst();
		if (csv && write_csv(csv, nr_records)) {
			fprintf(stderr, "bench_sdh: %s: cannot write\n", csv);
			status = 2;
		}
	}
	free(st.keys);
	free(st.count);
	free(st.top);
	return status;
}
