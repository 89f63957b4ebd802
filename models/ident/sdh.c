/*
 * sdh.c - the Streaming Decaying Histogram identifier (DESIGN.md §6.2).
 *
 * Rules, after reference sdh-and-demeter.md §2 (S1 = the 2023 sdh.c,
 * S2/S3 = the 2024 placement/sds code, HK = HeavyKeeper, identifiers.md §1):
 *
 * Layout (S2/S3).  d rows x w buckets of {u16 fingerprint, u16 counter},
 * 4 bytes each.  Row i has its own seeded 64-bit hash (standing for S3's
 * xxh64(key, 0x25BBE08F + i)): h_i = a_i * mix(key) mod 2^64, mix the
 * 64-bit MurmurHash3 finaliser (a bijection) and a_i a random odd
 * multiplier drawn from the seed, i.e. Dietzfelbinger's multiply-shift
 * family over mixed keys, independent across rows because the a_i are.
 * One mix per sample, shared with the heap index, and one multiply per
 * row, where a seeded mix per row took ~25 more instructions per sample
 * (bench_sdh, callgrind).  The column comes from the high 32 bits of h_i,
 * col = (h_i >> 32) * w >> 32, and the fingerprint is bits 16..31 of the
 * same h_i (disjoint from the column's), so it differs per row as in
 * S2/S3.  (S1 instead used one fingerprint hash for every row.)  S3 takes
 * col = h_i mod w and the low 16 bits as fingerprint, which for w = 8192
 * reuses 13 of the 16 fingerprint bits; the variant s3_column in
 * sdh_internal.h reproduces that, with h_i = mix(a_i * mix(key)) so that
 * each row's low bits are its own as with S3's per-row xxh64.
 *
 * counter_bits: 32 (not in any source: 16-bit counters saturate on skewed
 * streams, at 65535 samples of one page).  Buckets are {u32 fingerprint,
 * u32 counter}, 8 bytes, as RedisBloom's topk; the fingerprint is the low
 * 32 bits of h_i (the column keeps the high 32), and counters stop at
 * 2^32 - 2, one below the all-ones value that min-over-matching uses for
 * "no matching row".  Each update path is instantiated per width (enum
 * upd_path, chosen at new() and reached by one indirect call), so no
 * per-sample code tests the width.  Callgrind, a 2 M-sample Zipf replay
 * (docs/identifiers.md): the default one-heap update ~3 instructions
 * fewer than before the wide layout existed (one call where there were
 * three tests), two heaps the same, 32 bits ~3 more than 16.
 *
 * Update, per row (S3; HK Alg. 1):
 *   counter 0 (empty)      -> take the bucket: fp := F, C := delta
 *   fingerprint matches    -> C := min(C + delta, 65535)   (S3 saturation;
 *                             S2 saturated at 32767; 2^32 - 2 at
 *                             counter_bits 32)
 *   otherwise              -> with probability b^-C, C := C - 1; at 0 the
 *                             key takes the bucket with C := delta
 * delta = the sample's weight (the engine passes this identifier's own
 * load_weight or store_weight when `weighted`, else 1; a weight of 0 makes
 * the sample a no-op).  S3 and HK take a bucket over with
 * count 1; with weighted off this is the same.  One decay trial per sample
 * whatever its weight (S3; RedisBloom decays per unit of weight).
 *
 * Decay probability: `paper` uses b^-C exactly; `integer` uses
 * 1/floor(b^C), the table of S3 sds.c, whose entries are 1 for C <= 9 and 2
 * for C = 10..14 (the reference text says "round", but the table values are
 * floors, and "certain for c < 10" only holds for floor).  Both are
 * precomputed as 63-bit thresholds: decay iff (rand64 >> 1) < t[C], so a
 * probability of 1 is exact and the table ends where t underflows to 0
 * (C = 567 for b = 1.08); past it there is no decay.
 *
 * Selective increment (HK Opt. II; S1 guard): a matching bucket is
 * incremented only if the key is in the heap, the heap is not full, or
 * C <= heap min (S1 and HK's code use <=, the HK paper <).  One-heap mode
 * only: S2/S3 have no such guard.
 *
 * Cooling (blog only): decay with probability b^-(C - m), m = the heap
 * minimum (one-heap) or the FMEM heap's coldest count (two-heap,
 * assumption), probability 1 when C <= m.
 *
 * Estimate: {min, max} over {matching rows (0 if none), all rows}.  S1 and
 * the S3 read path: max over matching rows; S2/S3 insert path: max over all
 * rows; the blog: min.  After each update the configured estimate feeds the
 * heap(s).
 *
 * One heap (S1): a min-heap of K entries.  A present key's value is set to
 * the new estimate (removed at 0); an absent key is pushed if the heap has
 * room and the estimate > 0, else it replaces the minimum when
 * min <= estimate.  The heap orders by value alone, as a heap of counts
 * does: among several entries at the minimum the one replaced is the one
 * on top, usually the last newcomer, and a newcomer at the minimum stays
 * on top in O(1).  (Ordering ties by key made each such newcomer sift to
 * the bottom: 23% of samples at K = 10485 over 1M pages, bench_sdh.)
 * HK keeps max(estimate, old) and admits a newcomer to a full heap only at
 * min + 1 (variant hk_heap).
 *
 * Two heaps (S2/S3): each sample goes to the heap of its page's tier.  The
 * FMEM heap is a min-heap (coldest FMEM page on top, the demotion
 * candidate), the SMEM heap a max-heap (hottest SMEM page on top).  A
 * present SMEM entry is removed at estimate 0; a present FMEM entry at 0 is
 * kept with value 0 as the ideal victim (the S3 code comment's intent; its
 * code leaves the stale value).  rank() exchanges tops while both heaps
 * hold at least min_entries (S3 stops below 512) and FMEM-top < SMEM-top, at
 * most max_requests pairs; each page carries its own count into the other
 * heap.  (Read literally, S3 core.c pushes each page with the *other* page's
 * count, which looks like a slip; we follow the stated rule.)  The
 * power-of-two guard stops when floor(log2 smem) <= floor(log2 fmem): later
 * pairs only have smaller SMEM and larger FMEM counts, so skipping the pair
 * means stopping.  rank() hands out pairs only when asked (r->promote set):
 * the engine asks only when it will plan with them (sim/engine/vm.c rank_ident).
 *
 * Notes (simplifications and assumptions):
 * - Heaps have a fixed capacity K each (S2: 10% of DRAM pages; S3's grow).
 *   A newcomer to a full two-heap heap is compared with the less worthy of
 *   two random leaves (SMEM: colder, FMEM: hotter) and replaces it if it is
 *   more worthy (assumption: an O(1) stand-in for evicting the heap's
 *   opposite end, which a binary heap cannot find cheaply).
 * - A sample whose page appears in the other tier's heap first moves out of
 *   it (the engine's tier is the truth); moved() does the same eagerly.
 *   Samples with tier NONE update the sketch only.
 * - Heap values are the estimate at the page's last sample; pages that stop
 *   being sampled keep stale values (the reason SDH was dropped, ref. §2).
 * - epoch_end() does nothing: SDH forgets through decay, and window_decay
 *   (an exact-identifier setting) is ignored.
 * - The decay RNG is splitmix64 seeded from params->seed (one 64-bit state
 *   per identifier, cheap per draw), not GSL.
 */
#include "sdh.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "sdh_internal.h"
#include "sdh_sketch.h"
#include "topk.h"
#include "topk_internal.h"
#include "lib/hash.h"

/* --- decay table ---------------------------------------------------------- */

/* t[c] = P(decay at c) * 2^63; stops at the first zero.  Returns length. */
static uint32_t build_decay_table(uint64_t *t, double b,
				  enum tm_decay_rounding rounding)
{
	uint32_t n = 0;

	for (uint32_t c = 0; c < SDH_DECAY_TABLE_MAX; c++) {
		double p = rounding == TM_DECAY_INTEGER ? 1.0 / floor(pow(b, c))
							: pow(b, -(double)c);
		double x = ldexp(p, 63);
		uint64_t v = x >= ldexp(1.0, 63) ? UINT64_C(1) << 63
						 : (uint64_t)x;

		if (v == 0)
			break;
		t[n++] = v;
	}
	return n;
}

/* --- heaps ---------------------------------------------------------------- */

/* S1 heap rule (HK's with hk_heap).  slot: key's slot before the update.
 * Inlined by force: as a call it cost ~15 more instructions per update
 * (bench_sdh's loop under callgrind, d = 4, w = 8192, K = 1000). */
static inline __attribute__((always_inline)) void one_heap_feed(struct tm_sdh *s, uint64_t key,
				 uint32_t slot, uint64_t est)
{
	struct tm_topk *h = s->heap;
	uint64_t min;

	if (slot != TM_TOPK_NONE) {
		uint64_t old = tm_topk_value_at(h, slot);

		/* HK: max(n^, old), kept at n^ = 0 */
		if (s->var.hk_heap && (est > 0 || !s->var.fault_drop_at_zero))
			tm_topk_set_at(h, slot, old > est ? old : est);
		else if (est == 0)
			tm_topk_remove_at(h, slot);
		else    /* est == old too: no test to mispredict */
			tm_topk_set_at(h, slot, est);
		return;
	}
	if (est == 0)
		return;
	if (h->nr < h->cap) {
		tm_topk_push(h, key, est);
		return;
	}
	min = tm_topk_top_value(h);
	if (s->var.hk_heap && !s->var.fault_admit_any ? est == min + 1
						       : min <= est)
		tm_topk_replace_top(h, key, est);
}

static inline bool worthier(const struct tm_topk *h, uint64_t a, uint64_t b)
{
	return tm_topk_order(h) == TM_TOPK_MAX ? a > b : a < b;
}

/* Insert into a two-heap heap; when full, challenge the less worthy of two
 * random leaves (see Notes). */
static void admit(struct tm_sdh *s, struct tm_topk *h, uint64_t key,
		  uint64_t value)
{
	uint32_t n = h->nr, first, span, l1, l2, victim;
	struct tm_topk_entry e1, e2;
	bool e1_better;

	if (tm_topk_push(h, key, value))
		return;
	first = n / 2;
	span = n - first;
	/* multiply-shift range reduction: no division per admission */
	l1 = first + (uint32_t)(((tm_splitmix64(&s->rng) >> 32) * span) >> 32);
	l2 = first + (uint32_t)(((tm_splitmix64(&s->rng) >> 32) * span) >> 32);
	e1 = (struct tm_topk_entry){ h->e[l1].key, h->e[l1].value };
	e2 = (struct tm_topk_entry){ h->e[l2].key, h->e[l2].value };
	e1_better = h->order == TM_TOPK_MAX ? tm_topk_hotter(&e1, &e2)
					    : tm_topk_hotter(&e2, &e1);
	victim = e1_better ? l2 : l1;
	if (!worthier(h, value, h->e[victim].value))
		return;
	tm_topk_remove_at(h, victim);
	tm_topk_push(h, key, value);
}

static struct tm_topk *heap_of(struct tm_sdh *s, enum tm_tier tier)
{
	return tier == TM_TIER_FMEM ? s->fheap : s->sheap;
}

static void two_heap_feed(struct tm_sdh *s, enum tm_tier tier, uint64_t key,
			  uint32_t slot, uint64_t est)
{
	struct tm_topk *h = heap_of(s, tier);

	if (slot == TM_TOPK_NONE) {
		if (est > 0)
			admit(s, h, key, est);
	} else if (est > 0 || tier == TM_TIER_FMEM) {
		tm_topk_set_at(h, slot, est);
	} else {
		tm_topk_remove_at(h, slot);
	}
}

/* --- operations ----------------------------------------------------------- */

/* One sample, one-heap mode.  fast: the configuration defaults (d = 4,
 * max over matching rows, no cooling, multiply-shift columns) with every
 * bound a constant, so the row loops unroll and the located buckets stay
 * in registers (bench_sdh: 24.5 -> 31 M updates/s with the shared key mix);
 * otherwise any configuration, the estimator chosen by a switch (an
 * instance per estimator made a 20 KB function that ran slower).  wide:
 * counter_bits 32; a constant, so each width has its own instance. */
static inline __attribute__((always_inline)) void
update_one_heap_x(struct tm_sdh *s, uint64_t page, uint32_t delta, bool fast,
		  bool wide)
{
	struct tm_topk *h = s->heap;
	uint64_t hh = tm_topk_hash(page);   /* once, for prefetch and find */
	struct sketch_loc l;
	uint32_t slot, inc_limit = NO_LIMIT, cool = 0, est;

	/* prefetched before hashing the rows: +20% at K = 83886, bench_sdh */
	tm_topk_prefetch_hash(h, hh);
	if (fast)
		locate_rows(s, page, &l, 4, wide);
	else
		sketch_locate(s, page, &l, wide);
	slot = tm_topk_find_hash(h, page, hh);
	if (s->selective && slot == TM_TOPK_NONE && h->nr == h->cap) {
		inc_limit = (uint32_t)tm_topk_top_value(h);
		/* the paper's C < n_min: C <= n_min - 1, never at n_min = 0 */
		if (!fast && s->var.selective_strict)
			inc_limit = inc_limit ? inc_limit - 1 : 0;
	}
	if (!fast && s->cooling)
		cool = (uint32_t)tm_topk_top_value(h);
	if (fast)
		est = sketch_apply_m(s, &l, delta, inc_limit, 0, EST_MAX_MATCH,
				     4, wide);
	else
		est = sketch_apply(s, &l, delta, inc_limit, cool, wide);
	one_heap_feed(s, page, slot, est);
}

/* One sample, two-heap mode; fast and wide as in update_one_heap_x. */
static inline __attribute__((always_inline)) void
update_two_heap_x(struct tm_sdh *s, uint64_t page, uint32_t delta,
		  enum tm_tier tier, bool fast, bool wide)
{
	uint32_t cool = !fast && s->cooling ?
			(uint32_t)tm_topk_top_value(s->fheap) : 0;
	uint64_t hh = tm_topk_hash(page);   /* once, for prefetch and finds */
	struct tm_topk *h = heap_of(s, tier), *o;
	struct sketch_loc l;
	uint32_t slot, est;

	if (tier != TM_TIER_NONE)
		tm_topk_prefetch_hash(h, hh);
	if (fast)
		locate_rows(s, page, &l, 4, wide);
	else
		sketch_locate(s, page, &l, wide);
	if (tier == TM_TIER_NONE) {
		sketch_apply(s, &l, delta, NO_LIMIT, cool, wide);
		return;
	}
	o = h == s->fheap ? s->sheap : s->fheap;
	slot = tm_topk_find_hash(h, page, hh);
	if (slot == TM_TOPK_NONE) {
		uint32_t os = tm_topk_find_hash(o, page, hh);

		if (os != TM_TOPK_NONE)
			tm_topk_remove_at(o, os);
	}
	if (fast)
		est = sketch_apply_m(s, &l, delta, NO_LIMIT, 0, EST_MAX_MATCH,
				     4, wide);
	else
		est = sketch_apply(s, &l, delta, NO_LIMIT, cool, wide);
	two_heap_feed(s, tier, page, slot, est);
}

/* The update paths, one instance each, chosen once at new() (set_fast):
 * the per-sample code never tests the counter width. */
enum upd_path { P_ONE_FAST16, P_ONE16, P_TWO_FAST16, P_TWO16, P_ONE_FAST32,
		P_ONE32, P_TWO_FAST32, P_TWO32 };

/* The update paths, each its own function, reached by one indirect call.
 * Each takes the sample as it came, so the compiler still knows the key is
 * a 32-bit dense index and the weight a 16-bit one (as 64-bit and 32-bit
 * arguments they cost ~5 instructions more per update; inlined into one
 * switch, each path spilled the registers of all eight: +6; callgrind).
 * Weights fit a 16-bit counter's increment (the sample's weight is a
 * uint16_t), so nothing clamps them. */
#define SDH_PATH(name, two, fast, wide)                                       \
	static __attribute__((noinline)) void                                 \
	name(struct tm_sdh *s, struct tm_sample smp)                          \
	{                                                                     \
		enum tm_tier tier = (enum tm_tier)smp.tier;                   \
		uint32_t delta = smp.weight;                                  \
									      \
		if (delta == 0)   /* store_weight: 0 does not count */       \
			return;                                               \
		if (two)                                                      \
			update_two_heap_x(s, smp.idx, delta, tier, fast,      \
					  wide);                              \
		else                                                          \
			update_one_heap_x(s, smp.idx, delta, fast, wide);     \
	}
SDH_PATH(upd_one_fast16, false, true, false)
SDH_PATH(upd_one16, false, false, false)
SDH_PATH(upd_two_fast16, true, true, false)
SDH_PATH(upd_two16, true, false, false)
SDH_PATH(upd_one_fast32, false, true, true)
SDH_PATH(upd_one32, false, false, true)
SDH_PATH(upd_two_fast32, true, true, true)
SDH_PATH(upd_two32, true, false, true)

/* By enum upd_path. */
static void (*const upd_paths[])(struct tm_sdh *, struct tm_sample) = {
	[P_ONE_FAST16] = upd_one_fast16, [P_ONE16] = upd_one16,
	[P_TWO_FAST16] = upd_two_fast16, [P_TWO16] = upd_two16,
	[P_ONE_FAST32] = upd_one_fast32, [P_ONE32] = upd_one32,
	[P_TWO_FAST32] = upd_two_fast32, [P_TWO32] = upd_two32,
};

/* keyed by dense index (identifier.h); the path chosen at new() */
static void sdh_update(void *st, struct tm_sample smp)
{
	struct tm_sdh *s = st;

	upd_paths[s->path](s, smp);
}

/* The replay's lookahead (a few samples ahead): the top-K index cell of
 * the page, whose load each update otherwise waits on (perf: ~10% of the
 * update's cycles, K = 10,485, the 40 M-sample Zipf replay of make
 * bench).  Only the cell: the heap entry it names, prefetched a stage
 * later from the cell, made the replay slower (2.45-2.57 s against
 * 2.26-2.36 s: the prefetches wait for miss buffers); the sketch rows
 * added nothing.  Replay 2.335 -> 2.29 s (medians of 8 interleaved
 * pairs), outputs identical. */
static void sdh_prefetch(const void *st, uint32_t idx)
{
	const struct tm_sdh *s = st;
	uint64_t hh = tm_topk_hash(idx);

	if (s->heap) {
		tm_topk_prefetch_hash(s->heap, hh);
	} else {   /* two heaps: the page is in either */
		tm_topk_prefetch_hash(s->fheap, hh);
		tm_topk_prefetch_hash(s->sheap, hh);
	}
}

static inline int ilog2_or_neg(uint64_t v)
{
	return v == 0 ? -1 : 63 - __builtin_clzll(v);
}

/* S3 exchange rule (file header).  Returns the number of pairs. */
static size_t exchange(struct tm_sdh *s, struct tm_rank *r)
{
	size_t n = 0, limit = r->cap < s->max_requests ? r->cap : s->max_requests;
	struct tm_topk_entry f, m;

	if (!r->promote || !r->demote)
		return 0;
	while (n < limit && tm_topk_size(s->fheap) >= s->min_entries &&
	       tm_topk_size(s->sheap) >= s->min_entries &&
	       tm_topk_top(s->fheap, &f) && tm_topk_top(s->sheap, &m)) {
		if (f.value >= m.value)
			break;
		if (s->pow2_guard && ilog2_or_neg(m.value) <= ilog2_or_neg(f.value))
			break;
		tm_topk_pop(s->fheap, &f);
		tm_topk_pop(s->sheap, &m);
		r->promote[n] = m.key;
		r->demote[n] = f.key;
		n++;
		tm_topk_push(s->fheap, m.key, m.value);  /* room: just popped */
		if (f.value > 0)
			tm_topk_push(s->sheap, f.key, f.value);
	}
	return n;
}

/* r->hot: tracked pages with a count > 0, hottest first, at most r->cap. */
static void fill_hot(struct tm_sdh *s, struct tm_rank *r)
{
	size_t n = 0;

	if (s->two_heap) {
		n = tm_topk_copy(s->fheap, s->sortbuf);
		n += tm_topk_copy(s->sheap, s->sortbuf + n);
	} else {
		n = tm_topk_copy(s->heap, s->sortbuf);
	}
	tm_topk_sort_hottest(s->sortbuf, n);
	r->nr_hot = 0;
	for (size_t i = 0; i < n && r->nr_hot < r->cap; i++) {
		if (s->sortbuf[i].value == 0)
			break;
		r->hot[r->nr_hot++] = s->sortbuf[i].key;
	}
}

static void sdh_rank(void *st, struct tm_rank *r)
{
	struct tm_sdh *s = st;

	/* O(K) per epoch, not per sample */
	assert(s->two_heap ? tm_topk_check(s->fheap) && tm_topk_check(s->sheap)
			   : tm_topk_check(s->heap));
	r->nr_pairs = s->two_heap ? exchange(s, r) : 0;
	if (r->hot)
		fill_hot(s, r);
	else
		r->nr_hot = 0;
}

static void sdh_epoch_end(void *st)
{
	(void)st;   /* streaming: decay is the forgetting (file header) */
}

static uint64_t sdh_estimate(const void *st, uint32_t idx, uint64_t page)
{
	(void)page;
	return sketch_query(st, idx);
}

static void sdh_moved(void *st, uint32_t idx, uint64_t pg, enum tm_tier tier)
{
	uint64_t page = idx;   /* keyed by dense index */
	struct tm_sdh *s = st;
	struct tm_topk *h, *o;
	uint32_t os;
	uint64_t v;

	(void)pg;

	if (!s->two_heap || tier == TM_TIER_NONE)
		return;
	h = heap_of(s, tier);
	o = h == s->fheap ? s->sheap : s->fheap;
	os = tm_topk_find(o, page);
	if (os == TM_TOPK_NONE)
		return;
	v = tm_topk_at(o, os).value;
	tm_topk_remove_at(o, os);
	if (v > 0 || tier == TM_TIER_FMEM)
		admit(s, h, page, v);
}

/* Reported pages whose estimate reads the counter maximum: a count that
 * can rise no further, so its error grows with every sample.  O(nr * d),
 * once per epoch. */
static size_t sdh_saturated(const void *st, const uint64_t *hot, size_t nr)
{
	const struct tm_sdh *s = st;
	size_t n = 0;

	for (size_t i = 0; i < nr; i++)
		n += sketch_query(s, hot[i]) >= count_max(s);
	return n;
}

static size_t sdh_memory_bytes(const void *st)
{
	const struct tm_sdh *s = st;
	size_t sz = sizeof(*s) +
		    (size_t)s->depth * s->width * bk_size(s->wide) +
		    (size_t)s->nr_decay_t * sizeof(*s->decay_t) +
		    (size_t)s->k * (s->two_heap ? 2 : 1) * sizeof(*s->sortbuf);

	if (s->heap)
		sz += tm_topk_memory_bytes(s->heap);
	if (s->fheap)
		sz += tm_topk_memory_bytes(s->fheap) +
		      tm_topk_memory_bytes(s->sheap);
	return sz;
}

static void sdh_free(void *st)
{
	struct tm_sdh *s = st;

	if (!s)
		return;
	free(s->bkt);
	free(s->decay_t);
	free(s->sortbuf);
	tm_topk_free(s->heap);
	tm_topk_free(s->fheap);
	tm_topk_free(s->sheap);
	free(s);
}

static void set_fast(struct tm_sdh *s)
{
	s->fast = s->depth == 4 && s->est_mode == EST_MAX_MATCH && !s->cooling &&
		  !s->var.s3_column && !s->var.selective_strict;
	s->path = (uint8_t)((s->wide ? P_ONE_FAST32 : P_ONE_FAST16) +
			    (s->two_heap ? 2 : 0) + (s->fast ? 0 : 1));
}

static uint32_t heap_k(const struct tm_ident_params *p)
{
	const struct tm_sdh_config *c = p->own;
	uint64_t k = c->nr_topk ? c->nr_topk : p->nr_fmem_pages / 10;

	if (k < 1)
		k = 1;   /* DESIGN.md §6.2: K = 10% of FMEM pages, at least 1 */
	return k > TM_TOPK_MAX_CAP ? TM_TOPK_MAX_CAP : (uint32_t)k;
}

static void copy_config(struct tm_sdh *s, const struct tm_sdh_config *c)
{
	s->depth = c->depth;
	s->width = c->width;
	s->decay = c->decay;
	s->selective = c->selective_increment && !c->two_heap;
	s->cooling = c->cooling;
	s->two_heap = c->two_heap;
	s->est_mode = c->estimator_rows == TM_EST_ALL ?
		      (c->estimator == TM_EST_MIN ? EST_MIN_ALL : EST_MAX_ALL) :
		      (c->estimator == TM_EST_MIN ? EST_MIN_MATCH : EST_MAX_MATCH);
	s->min_entries = c->min_entries;
	s->max_requests = c->max_requests;
	s->pow2_guard = c->pow2_guard;
	s->wide = c->counter_bits == TM_SDH_COUNTER_32;
}

static void *sdh_new(const struct tm_ident_params *p)
{
	const struct tm_sdh_config *c = p->own;
	struct tm_sdh *s;
	uint64_t seed = p->seed;

	assert(c->depth >= 1 && c->depth <= TM_SDH_MAX_DEPTH);
	assert(c->width >= 1 && c->decay_base > 1.0);
	s = tm_xcalloc(1, sizeof(*s));
	copy_config(s, c);
	s->bkt = tm_xcalloc((size_t)s->depth * s->width, bk_size(s->wide));
	for (uint32_t i = 0; i < s->depth; i++)
		s->row_mul[i] = tm_splitmix64(&seed) | 1;
	s->rng = tm_splitmix64(&seed);
	s->decay_t = tm_xmalloc(SDH_DECAY_TABLE_MAX * sizeof(*s->decay_t));
	s->nr_decay_t = build_decay_table(s->decay_t, c->decay_base,
					  c->decay_rounding);
	s->decay_t = tm_xrealloc(s->decay_t, (size_t)s->nr_decay_t *
				 sizeof(*s->decay_t));
	s->nr_t = s->decay ? s->nr_decay_t : 0;
	s->takeover = true;
	set_fast(s);
	s->k = heap_k(p);
	if (s->two_heap) {
		s->fheap = tm_topk_new(s->k, TM_TOPK_MIN);
		s->sheap = tm_topk_new(s->k, TM_TOPK_MAX);
	} else {
		s->heap = tm_topk_new(s->k, TM_TOPK_MIN);
		/* S1 replaces "the minimum": any of equal ones (topk.h) */
		tm_topk_set_ties(s->heap, TM_TOPK_TIES_ANY);
	}
	s->sortbuf = tm_xmalloc((size_t)s->k * (s->two_heap ? 2 : 1) *
				sizeof(*s->sortbuf));
	return s;
}

typedef struct tm_sdh_config SDH;

/* The schema of kind sdh (DESIGN.md §6.2; defaults: Demeter §2, reference
 * sdh-and-demeter.md: d = 4, w = 8192, b = 1.08, min 512, 16384 requests). */
static const struct tm_cfg_key sdh_keys[] = {
	TM_CFG_KEY("depth", TM_CFG_U64, 1, 16, "4", NULL, 0,
		   TM_CFG_F_U32, SDH, depth, "rows d of the sketch"),
	TM_CFG_KEY("width", TM_CFG_U64, 16, 1 << 24, "8192", NULL, 0,
		   TM_CFG_F_U32, SDH, width, "buckets w per row"),
	TM_CFG_KEY("base", TM_CFG_DOUBLE, 1, 16, "1.08", NULL, TM_CFG_MIN_EXCL,
		   TM_CFG_F_DBL, SDH, decay_base,
		   "decay base b: a mismatch decays with probability b^-C"),
	TM_CFG_KEY("decay", TM_CFG_BOOL, 0, 0, "true", NULL, 0, TM_CFG_F_BOOL,
		   SDH, decay, "decay mismatching buckets (off: no takeover)"),
	TM_CFG_KEY("decay_rounding", TM_CFG_ENUM, 0, 0, "paper",
		   "paper|integer", 0, TM_CFG_F_INT, SDH, decay_rounding,
		   "b^-C exactly (paper) or 1/floor(b^C) (the authors' code)"),
	TM_CFG_KEY("estimator", TM_CFG_ENUM, 0, 0, "max", "max|min", 0,
		   TM_CFG_F_INT, SDH, estimator, "estimate: max or min of rows"),
	TM_CFG_KEY("estimator_rows", TM_CFG_ENUM, 0, 0, "matching",
		   "matching|all", 0, TM_CFG_F_INT, SDH, estimator_rows,
		   "rows the estimate reads: matching fingerprints or all"),
	TM_CFG_KEY("selective_increment", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, selective_increment,
		   "HeavyKeeper's guard: increment only heap keys or C <= min"),
	TM_CFG_KEY("topk", TM_CFG_U64, 0, 1 << 24, "0", NULL, 0, TM_CFG_F_U64,
		   SDH, nr_topk, "heap capacity K; 0: 10% of the VM's FMEM pages"),
	TM_CFG_KEY("two_heap", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, two_heap,
		   "coldest-FMEM and hottest-SMEM heaps, exchange pairs (S3)"),
	TM_CFG_KEY("min_entries", TM_CFG_U64, 0, 1 << 24, "512", NULL, 0,
		   TM_CFG_F_U32, SDH, min_entries,
		   "two-heap: pairs only while both heaps hold this many"),
	TM_CFG_KEY("max_requests", TM_CFG_U64, 1, 1 << 24, "16384", NULL, 0,
		   TM_CFG_F_U32, SDH, max_requests,
		   "two-heap: at most this many pairs per epoch"),
	TM_CFG_KEY("cooling", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, cooling,
		   "decay with probability b^-(C - heap minimum) (blog)"),
	TM_CFG_KEY("pow2_guard", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, SDH, pow2_guard,
		   "exchange only pairs a power of two apart (thrashing guard)"),
	TM_CFG_KEY("counter_bits", TM_CFG_ENUM, 0, 0, "16", "16|32", 0,
		   TM_CFG_F_INT, SDH, counter_bits,
		   "bucket width: u16 fingerprint + counter (S3), or u32 + u32"),
};

const struct tm_identifier_ops tm_sdh_ops = {
	.kind = {
		.name = "sdh",
		.help = "Streaming Decaying Histogram: HeavyKeeper-style sketch "
			"with a top-K heap (Demeter)",
		.keys = sdh_keys,
		.nr_keys = sizeof(sdh_keys) / sizeof(sdh_keys[0]),
		.config_size = sizeof(struct tm_sdh_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_PAIRS | TM_IDENT_TIER |
			 TM_IDENT_COUNTS,
	},
	/* assumption: SDH's update time in bench_sdh on the reference
	 * machine (33 M updates/s, one heap, K = 1000; docs/bench.md) */
	.cost_ns = 30,
	.new = sdh_new,
	.update = sdh_update,
	.prefetch = sdh_prefetch,
	.rank = sdh_rank,
	.epoch_end = sdh_epoch_end,
	.estimate = sdh_estimate,
	.moved = sdh_moved,
	.memory_bytes = sdh_memory_bytes,
	.saturated = sdh_saturated,
	.free = sdh_free,
};

/* --- internal interface (sdh_internal.h) --------------------------------- */

void tm_sdh_set_variant(void *st, const struct tm_sdh_variant *v)
{
	struct tm_sdh *s = st;

	s->var = *v;
	s->takeover = !v->fault_no_takeover;
	set_fast(s);
}

double tm_sdh_decay_probability(const void *st, uint32_t c)
{
	const struct tm_sdh *s = st;

	return c < s->nr_decay_t ? ldexp((double)s->decay_t[c], -63) : 0.0;
}

struct tm_sdh_bucket *tm_sdh_bucket(void *st, uint64_t key, uint32_t row,
				    uint16_t *fp)
{
	struct tm_sdh *s = st;
	struct sketch_loc l;

	assert(row < s->depth && !s->wide);
	sketch_locate(s, key, &l, false);
	*fp = l.fp16[row];
	return l.b[row];
}

static void *cell(const struct tm_sdh *s, uint32_t row, uint32_t col)
{
	assert(row < s->depth && col < s->width);
	return (char *)s->bkt +
	       ((size_t)row * s->width + col) * bk_size(s->wide);
}

void tm_sdh_cell_get(const void *st, uint32_t row, uint32_t col,
		     uint32_t *fp, uint32_t *count)
{
	const struct tm_sdh *s = st;
	const void *b = cell(s, row, col);

	*fp = s->wide ? bk_fp(b, true) : bk_fp(b, false);
	*count = s->wide ? bk_count(b, true) : bk_count(b, false);
}

void tm_sdh_cell_set(void *st, uint32_t row, uint32_t col, uint32_t fp,
		     uint32_t count)
{
	const struct tm_sdh *s = st;

	assert(count <= count_max(s));
	if (s->wide)
		bk_set(cell(s, row, col), fp, count, true);
	else
		bk_set(cell(s, row, col), fp, count, false);
}

uint32_t tm_sdh_count_max(const void *st)
{
	return count_max(st);
}

void tm_sdh_test_config(struct tm_ident_config *c, uint32_t depth,
			uint32_t width, uint64_t k)
{
	struct tm_sdh_config *o = tm_sdh_cfg(c);

	tm_ident_config_default(c, "sdh");
	o->depth = depth;
	o->width = width;
	o->selective_increment = true;
	o->nr_topk = k;
}

uint32_t tm_sdh_heap_cap(const void *st)
{
	return ((const struct tm_sdh *)st)->k;
}

bool tm_sdh_heap_get(const void *st, uint64_t page, uint64_t *value,
		     int *tier)
{
	const struct tm_sdh *s = st;

	if (!s->two_heap) {
		*tier = TM_TIER_FMEM;
		return tm_topk_get(s->heap, page, value);
	}
	*tier = TM_TIER_FMEM;
	if (tm_topk_get(s->fheap, page, value))
		return true;
	*tier = TM_TIER_SMEM;
	return tm_topk_get(s->sheap, page, value);
}

uint32_t tm_sdh_column(void *st, uint64_t key, uint32_t row, uint32_t *fp)
{
	const struct tm_sdh *s = st;
	struct sketch_loc l;

	assert(row < s->depth);
	if (s->wide)
		sketch_locate(s, key, &l, true);
	else
		sketch_locate(s, key, &l, false);
	*fp = s->wide ? loc_fp(&l, row, true) : loc_fp(&l, row, false);
	return (uint32_t)(((char *)l.b[row] - (char *)cell(s, row, 0)) /
			  bk_size(s->wide));
}

uint64_t tm_sdh_rng_state(const void *st)
{
	return ((const struct tm_sdh *)st)->rng;
}
