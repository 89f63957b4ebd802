/*
 * hybridtier.c - HybridTier (ASPLOS'25): a blocked 4-bit count-min
 * frequency sketch and a small momentum sketch decide which pages are hot
 * (DESIGN.md §13; reference/identifiers.md §3 "HybridTier";
 * docs/identifiers.md).  Sources: the authors' artifact,
 * kevins981/hybridtier-asplos25-artifact, tiering_runtime/hybridtier.cpp
 * ("HT") and tiering_runtime/frequency_sketch_block.hpp ("FS").
 *
 * Rules implemented:
 * - Sketch (FS, after Caffeine's TinyLFU): 64-bit words of sixteen 4-bit
 *   counters, grouped in blocks of 8 words (one 64-byte line).  A page
 *   hashes to one block; hash i (of 4) picks word block + 2i + (0|1) and a
 *   nibble in it, so the 4 counters are in 4 distinct words of one line.
 *   Estimate = min of the 4 counters.  An add of n raises each counter by
 *   min(n, 15), saturating at 15 (FS try_increase_counter_at).
 * - Sizing (HT m_from_knp): counters m = ceil(n x r), r = -k / ln(1 -
 *   exp(ln(fpp) / k)), k = 4, n = FMEM pages, fpp = 0.001 (r = 20.43);
 *   words = m / 16, rounded up to a power of two (FS change_capacity).
 * - Aging (FS increase_frequency, age): every sample adds its count to the
 *   sketch's size, saturated or not; when size >= W = 160 x FMEM pages
 *   (HT SAMPLE_SIZE = pages x 16 x 10) every counter halves and size
 *   halves too (size /= 2, not a reset: later halvings come every W/2).
 * - Momentum (HT): the same sketch with entries / 100 words (before
 *   rounding) and W = 1.1 M samples; it halves the same way.
 * - Promotion (HT perf_func): a sampled page is hot if frequency >= the hot
 *   threshold (starts at 5) or momentum >= 3, both read after the sample's
 *   update.  hot pages are ranked here; the engine moves them.
 * - Plateau (HT perf_func): samples are taken in batches of 100,000; every
 *   20 batches (batch count % 20 == 19), once more than 500 batches have
 *   passed, <= 25,000 pages promoted in those batches is a plateau.  On a
 *   plateau, if the pages at or above the threshold fill less than 80% of
 *   FMEM the threshold drops by one, unless it is already 3: then, as when
 *   the hot pages fill FMEM, "monitor mode": both sketches halve, the
 *   threshold returns to 5 and the second-chance queue is cleared.  (The
 *   code prints "minimum (2)" but stops at 3: min_hot_threshold 3.)
 *   Promotions are counted from moved() notifications to FMEM.
 * - Demotion (HT handle_virtual_range): an FMEM page with momentum < 1 and
 *   frequency < threshold is cold; with momentum < 1 and frequency >=
 *   threshold it gets a second chance (queue of at most 10,000 pages, its
 *   frequency recorded, a 15 decremented to 14 first); a page with
 *   momentum >= 1 is not demoted.  At least 60 s after the last check,
 *   queued pages whose frequency has not changed are demoted.
 *
 * How this maps onto the interface: rank() returns the tracked pages that
 * are hot and have not failed a second chance, hottest first by the score
 * below; the engine (`migrate`) promotes them and demotes the coldest
 * non-hot FMEM pages by estimate().  estimate() = frequency, plus 16 when
 * momentum >= 1: the code's demotion classes as one order (cold pages,
 * then failed second chances, then momentum pages last), max 31.
 *
 * Notes (what a sample stream does not give, and what is assumed):
 * - Candidates: a sketch has no page list, and the code needs none (it
 *   promotes each batch's hot pages at once and finds cold pages by
 *   walking /proc/pid/pagemap).  tmsim keeps the pages whose sample made
 *   them hot in a preallocated list (nr_candidates, default 2 x FMEM
 *   pages, an assumption; when full, new pages are dropped and counted),
 *   pruned at epoch_end to those still hot, and to the hottest half of
 *   the list, so that pages made hot later find room.  Without the cut a
 *   saturated momentum sketch (below) keeps every page hot and the list
 *   never frees: on a hot set that moves, recall stayed at 0.14.
 * - Small FMEM: the momentum sketch has entries / 100 words, 512 words
 *   (8192 counters) for 128 MiB of FMEM; at 1 M samples/s it saturates and
 *   momentum >= 3 holds for nearly every sampled page, as it would in the
 *   code.  rank() then orders them by frequency, and the engine's cut to
 *   the FMEM capacity keeps the hottest.
 * - Per sample, not per batch: the code aggregates 100,000 samples per page
 *   and adds the count once; here each sample is added when it comes, so
 *   the hot test and halving fall a batch earlier at most.
 * - Second chance runs at every epoch_end for tracked FMEM pages, not only
 *   when free FMEM falls to the allocation watermark (the identifier does
 *   not see free memory); "now" is the last sample's time.
 * - Watermarks (demote to 5% free, start at 1.25% free) and demotion
 *   throttling are the engine's: `migrate` fills FMEM and demotes one page
 *   per further promotion, so it keeps no 5% free.  To model them, give the
 *   VM 95% of the FMEM capacity (docs/identifiers.md).
 * - Monitor mode (perf stat hit-ratio slope, 120 s sleep), sampling-rate
 *   changes and the "two sweeps without cold pages" trigger need bandwidth
 *   counters and a page-table walk: only their sketch effect (halve, reset
 *   threshold) is modelled, on a plateau.  Sampling never pauses.  The
 *   5 s on / 5 s off (check_sleep) is defined in HT but never called.
 * - Hashing: tm_fmix64 of the dense index and the seed, not Jenkins'
 *   one-at-a-time of the virtual address: the block from the low 32 bits,
 *   the 4 counter bytes from the high 32 (as FS spreads and rehashes).
 *   The candidate index takes its home slot from the same hash.
 *
 * Cost (callgrind; 10 M sample Zipf replay, 1 GiB footprint, FMEM 20% of
 * 2 GiB; the run with this shadow minus the run without): 631 -> 352
 * instructions a sample, update() 397 -> 210, rank() 101 -> 32 M and
 * epoch_end() 45 -> 31 M a call, by unrolled counters rotated into place,
 * one hash for both sketches and the index, skipping saturated pages, a
 * countdown for the batches and a rank by counting scores (each at its
 * function).  Sketches are allocated on cache lines (a block is one line;
 * malloc's 16-byte offset put every block's last two words in a second
 * line, which missed the cache past the prefetch), and the candidate
 * index holds the page (struct slot): on a 40 M-sample Zipf replay
 * update() fell from 24% to 9% of a run with a shadow of each kind.
 */
#include "hybridtier.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hash.h"
#include "lib/select.h"

#define HT_NR_HASHES 4            /* FS: one counter per 16-bit group */
#define HT_BLOCK_WORDS 8          /* FS: blocks of 8 words, one line */
#define HT_COUNTER_MAX 15u        /* FS: 4-bit counters */
#define HT_MIN_CANDIDATES 1024u   /* assumption: small lists are cheap */
#define HT_MAX_CANDIDATES (1u << 28) /* the `candidates` key's bound */

enum { CAND_QUEUED = 1, CAND_FAILED = 2 };

struct ht_sketch {
	uint64_t *w;
	uint64_t nr_words;
	uint64_t block_mask;      /* blocks - 1 */
	uint64_t size;            /* samples since the last halving (halved) */
	uint64_t sample_size;     /* W: halve when size reaches it */
};

/* The candidate index, open addressing by page hash: the page and its
 * position + 1 (0: an empty slot), with the candidate's CAND_FAILED flag
 * copied in the top bit.  A hot sample, which finds its page here on
 * every sample, reads only its slot, prefetched: with the position alone
 * it read the candidate too, a second miss that took 21-29% of update()
 * (40 M-sample Zipf replay, cycles). */
struct slot {
	uint32_t idx;
	uint32_t pos;
};

#define SLOT_FAILED 0x80000000u

/* A tracked page (8 bytes). */
struct cand {
	uint32_t idx;
	uint8_t tier;             /* enum tm_tier, last seen */
	uint8_t flags;            /* CAND_* */
	uint8_t sc_freq;          /* frequency when queued */
	uint8_t score;            /* score_of(): scratch of rank() and prune() */
};

struct tm_hybridtier {
	struct tm_hybridtier_config cfg;
	uint64_t seed;
	uint64_t nr_fmem_pages;
	struct ht_sketch freq, mom;
	uint32_t threshold;
	/* Candidates and their index (struct slot). */
	struct cand *cand;
	uint64_t nr_cand, cap_cand, nr_dropped;
	struct slot *set;
	uint64_t set_mask;
	/* Plateau: samples left in this batch (a countdown, not a modulo:
	 * no division per sample), batches, promotions. */
	uint64_t batch_left, nr_batches, nr_promoted;
	bool plateau;
	/* Second chance. */
	uint64_t now_ns, sc_check_ns, nr_queued;
	/* rank() scratch. */
	uint64_t *sel;            /* (31 - score, index) keys */
	size_t cap_sel;
};

uint64_t tm_hybridtier_sketch_entries(uint64_t nr_pages, double fpp)
{
	double k = HT_NR_HASHES;
	double r = -k / log(1.0 - exp(log(fpp) / k));

	return (uint64_t)ceil((double)nr_pages * r) / 16;
}

uint64_t tm_hybridtier_sketch_words(uint64_t entries)
{
	uint64_t w = HT_BLOCK_WORDS;

	while (w < entries)
		w <<= 1;
	return w;
}

static void sketch_init(struct ht_sketch *sk, uint64_t entries,
			uint64_t sample_size)
{
	sk->nr_words = tm_hybridtier_sketch_words(entries);
	sk->w = tm_xcalloc_lines(sk->nr_words, sizeof(*sk->w)); /* a block a line */
	sk->block_mask = sk->nr_words / HT_BLOCK_WORDS - 1;
	sk->size = 0;
	sk->sample_size = sample_size < 1 ? 1 : sample_size;
}

/* The 64-byte block of hash h: its first word. */
static inline uint64_t *block_of(const struct ht_sketch *sk, uint64_t h)
{
	return sk->w + (h & sk->block_mask) * HT_BLOCK_WORDS;
}

/* Where hash h's counter i sits in a block: word 2i + (b & 1), nibble
 * (b >> 1) & 15, b the i-th byte of the high 32 bits (FS: one counter per
 * word pair, so the 4 are in 4 distinct words).  The same places serve
 * both sketches; only the block differs. */
static inline unsigned counter_word(uint64_t h, unsigned i)
{
	return ((unsigned)(h >> (32 + 8 * i)) & 1) + 2 * i;
}

static inline unsigned counter_shift(uint64_t h, unsigned i)
{
	return ((unsigned)(h >> (32 + 8 * i)) << 1) & 60;  /* 4 x bits 1-4 */
}

/* Estimate = min of the 4 counters of hash h in block w. */
static inline uint32_t block_freq(const uint64_t *w, uint64_t h)
{
	uint64_t f = HT_COUNTER_MAX;

#pragma GCC unroll 4
	for (unsigned i = 0; i < HT_NR_HASHES; i++) {
		uint64_t c = w[counter_word(h, i)] >> counter_shift(h, i) & 15;

		f = c < f ? c : f;
	}
	return (uint32_t)f;
}

static uint32_t sketch_freq(const struct ht_sketch *sk, uint64_t h)
{
	return block_freq(block_of(sk, h), h);
}

/* FS age(): every counter halves, and so does the size. */
static void sketch_age(struct ht_sketch *sk)
{
	for (uint64_t i = 0; i < sk->nr_words; i++)
		sk->w[i] = (sk->w[i] >> 1) & UINT64_C(0x7777777777777777);
	sk->size /= 2;
}

/* FS try_increase_counter_at: add `add` (<= 15) to the counter at nibble
 * shift of *p, saturating at 15; returns the new counter.  The word is
 * rotated so that the counter is its low nibble, and back: two rotations
 * by one count, where a shift out and a shift in took more moves. */
static inline uint64_t counter_add(uint64_t *p, unsigned shift, uint64_t add)
{
	uint64_t v = *p >> shift | *p << (-shift & 63);
	uint64_t c = v & 15, c2 = c + add > HT_COUNTER_MAX ? HT_COUNTER_MAX :
			       c + add;

	v += c2 - c;
	*p = v << shift | v >> (-shift & 63);
	return c2;
}

/* FS increase_frequency, the rest: add n to the size and halve at W.  f
 * is the min of the page's new counters; returns its estimate afterwards,
 * halved with them (FS: updated_freq / 2), which saves reading them again
 * (callgrind, 4 M samples: 553 -> 418 instructions a sample, the bench
 * loop included). */
static inline uint32_t sketch_added(struct ht_sketch *sk, uint64_t f,
				    uint32_t n)
{
	sk->size += n;
	if (sk->size >= sk->sample_size) {
		sketch_age(sk);
		f /= 2;
	}
	return (uint32_t)f;
}

/* Whether the 4 counters of hash h in block w are all 15, so that an add
 * changes nothing (FS try_increase_counter_at saturates). */
static inline bool block_saturated(const uint64_t *w, uint64_t h)
{
	uint64_t all = HT_COUNTER_MAX;

#pragma GCC unroll 4
	for (unsigned i = 0; i < HT_NR_HASHES; i++) {
		all &= w[counter_word(h, i)] >> counter_shift(h, i);
	}
	return all == HT_COUNTER_MAX;
}

/* Add `add` to the 4 counters of hash h in block w; returns their min. */
static inline uint64_t block_add(uint64_t *w, uint64_t h, uint64_t add)
{
	uint64_t f = HT_COUNTER_MAX;

#pragma GCC unroll 4
	for (unsigned i = 0; i < HT_NR_HASHES; i++) {
		uint64_t c = counter_add(&w[counter_word(h, i)],
					 counter_shift(h, i), add);

		f = c < f ? c : f;
	}
	return f;
}

/* FS increase_frequency on both sketches: add n to the page's 4 counters
 * in each (saturating at 15); *f and *m the estimates afterwards.  A hot
 * page's counters are mostly all 15 (W is 80 x FMEM samples between
 * halvings), so a read that finds them so skips the add. */
static inline void sketches_add(struct tm_hybridtier *x, uint64_t h,
				uint32_t n, uint32_t *f, uint32_t *m)
{
	uint64_t *fw = block_of(&x->freq, h), *mw = block_of(&x->mom, h);
	uint64_t add = n > HT_COUNTER_MAX ? HT_COUNTER_MAX : n;
	uint64_t fmin = HT_COUNTER_MAX, mmin = HT_COUNTER_MAX;

	if (!block_saturated(fw, h))
		fmin = block_add(fw, h, add);
	if (!block_saturated(mw, h))
		mmin = block_add(mw, h, add);
	*f = sketch_added(&x->freq, fmin, n);
	*m = sketch_added(&x->mom, mmin, n);
}

/* FS decrement_frequency (called only at 15: every counter is 15). */
static void sketch_decrement(struct ht_sketch *sk, uint64_t h)
{
	uint64_t *w = block_of(sk, h);

	for (unsigned i = 0; i < HT_NR_HASHES; i++) {
		uint64_t *p = &w[counter_word(h, i)];

		if (*p >> counter_shift(h, i) & 15)
			*p -= UINT64_C(1) << counter_shift(h, i);
	}
}

static inline uint64_t page_hash(const struct tm_hybridtier *x, uint32_t idx)
{
	return tm_fmix64((uint64_t)idx ^ x->seed);
}

/* Both estimates of a page; returns its hash. */
static inline uint64_t page_freqs(const struct tm_hybridtier *x, uint32_t idx,
				  uint32_t *f, uint32_t *m)
{
	uint64_t h = page_hash(x, idx);

	*f = block_freq(block_of(&x->freq, h), h);
	*m = block_freq(block_of(&x->mom, h), h);
	return h;
}

/* The epoch's passes over the candidates read each one's sketch block
 * and index slot, scattered over megabytes: they start loading those of
 * the candidate HT_AHEAD places on (40 M-sample Zipf replay: rank() and
 * epoch_end() waited on them for 6% of a zoo run's cycles). */
#define HT_AHEAD 16

static inline __attribute__((always_inline)) void
prefetch_cand(const struct tm_hybridtier *x, uint64_t i)
{
	if (i < x->nr_cand)
		__builtin_prefetch(block_of(&x->freq,
					    page_hash(x, x->cand[i].idx)));
}

/* The candidate index's home slot of a page of hash h: bits the sketches
 * use too, which costs nothing since a slot holds no counter. */
static inline uint64_t set_home(const struct tm_hybridtier *x, uint64_t h)
{
	return (h >> 20) & x->set_mask;
}

/* The slot of idx (hash h) in the candidate index, or the empty slot
 * where it would go. */
static struct slot *cand_slot(const struct tm_hybridtier *x, uint32_t idx,
			      uint64_t h)
{
	uint64_t i = set_home(x, h);

	while (x->set[i].pos && x->set[i].idx != idx)
		i = (i + 1) & x->set_mask;
	return &x->set[i];
}

/* Position + 1 of idx (hash h) in the candidates, or 0. */
static uint64_t cand_find(const struct tm_hybridtier *x, uint32_t idx,
			  uint64_t h)
{
	return cand_slot(x, idx, h)->pos & ~SLOT_FAILED;
}

/* Track idx (a sample made it hot); drops it when the list is full.  A
 * candidate's tier is the sample's when it is made, then moved()'s (the
 * only way a page changes tier after its first touch). */
static void cand_touch(struct tm_hybridtier *x, uint32_t idx, uint64_t h,
		       uint8_t tier)
{
	struct slot *sl = cand_slot(x, idx, h);
	struct cand *c;

	if (sl->pos) {
		if (sl->pos & SLOT_FAILED) {   /* hot again: promote again */
			sl->pos &= ~SLOT_FAILED;
			x->cand[sl->pos - 1].flags &= (uint8_t)~CAND_FAILED;
		}
		return;
	}
	if (x->nr_cand == x->cap_cand) {
		x->nr_dropped++;
		return;
	}
	*sl = (struct slot){ .idx = idx, .pos = (uint32_t)++x->nr_cand };
	c = &x->cand[sl->pos - 1];
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	if (tier != TM_TIER_NONE)
		c->tier = tier;
}

/* A batch of samples done: mark a plateau (HT). */
static void batch_done(struct tm_hybridtier *x)
{
	const struct tm_hybridtier_config *c = &x->cfg;

	x->batch_left = c->batch_samples;
	x->nr_batches++;
	if (x->nr_batches % c->plateau_batches != c->plateau_batches - 1)
		return;
	if (x->nr_batches > c->plateau_warmup &&
	    x->nr_promoted <= c->plateau_promotions)
		x->plateau = true;
	x->nr_promoted = 0;
}

static void ht_update(void *st, struct tm_sample s)
{
	struct tm_hybridtier *x = st;
	uint64_t h;
	uint32_t f, m;

	if (s.rec)
		x->now_ns = s.rec->time_ns;
	if (s.weight == 0)
		return;
	h = page_hash(x, s.idx);
	__builtin_prefetch(&x->set[set_home(x, h)]);  /* read when hot */
	sketches_add(x, h, s.weight, &f, &m);
	if (f >= x->threshold || m >= x->cfg.momentum_threshold)
		cand_touch(x, s.idx, h, s.tier);
	if (--x->batch_left == 0)
		batch_done(x);
}

/* The frequency sketch's block and the candidate slot of page idx, a few
 * samples ahead: the 2 MiB sketch of a 100k-page FMEM misses the cache on
 * every sample otherwise. */
static void ht_prefetch(const void *st, uint32_t idx)
{
	const struct tm_hybridtier *x = st;
	uint64_t h = page_hash(x, idx);

	__builtin_prefetch(block_of(&x->freq, h), 1);
	__builtin_prefetch(&x->set[set_home(x, h)], 1);
}

/* Coldness and hotness: frequency, +16 with momentum (file header). */
static inline uint32_t score_of(uint32_t f, uint32_t m)
{
	return f + (m >= 1 ? 16 : 0);
}

/* rank() orders by score, then index: scores are 0..31 (score_of), so it
 * counts pages per score instead of comparing them. */
#define HT_NR_SCORES 32
#define HT_NOT_HOT 0xff           /* cand.score in rank(): not ranked */

/* The need-th smallest index (need >= 1) among the candidates scored s,
 * by radix selection on 11, 11 and 10 bits of the index: three passes
 * over the list, no buffer. */
static uint32_t nth_index(const struct tm_hybridtier *x, uint8_t s,
			  uint64_t need)
{
	static const unsigned shift[] = { 21, 10, 0 };
	uint32_t prefix = 0;

	for (unsigned lv = 0; lv < 3; lv++) {
		unsigned sh = shift[lv], above = lv ? shift[lv - 1] : 32;
		uint32_t nr_at[2048] = { 0 }, d = 0, digit = (1u << (above - sh)) - 1;

		for (uint64_t i = 0; i < x->nr_cand; i++) {
			const struct cand *c = &x->cand[i];

			if (c->score == s &&
			    (uint64_t)c->idx >> above == (uint64_t)prefix >> above)
				nr_at[(c->idx >> sh) & digit]++;
		}
		while (need > nr_at[d])
			need -= nr_at[d++];
		prefix |= d << sh;
	}
	return prefix;
}

/* LSD radix sort of n keys in a, 8 bits a pass over `bits` bits, b the
 * scratch; returns the array that holds the result. */
static uint64_t *radix_sort(uint64_t *a, uint64_t *b, size_t n, unsigned bits)
{
	for (unsigned sh = 0; sh < bits; sh += 8) {
		size_t at[256] = { 0 }, sum = 0;
		uint64_t *t;

		for (size_t k = 0; k < n; k++)
			at[(a[k] >> sh) & 255]++;
		if (at[(a[0] >> sh) & 255] == n)
			continue;  /* one digit: the pass keeps the order */
		for (unsigned d = 0; d < 256; d++) {
			size_t c = at[d];

			at[d] = sum;
			sum += c;
		}
		for (size_t k = 0; k < n; k++)
			b[at[(a[k] >> sh) & 255]++] = a[k];
		t = a;
		a = b;
		b = t;
	}
	return a;
}

/* Score the hot candidates (cand.score; HT_NOT_HOT for the others) and
 * count them per score; returns how many are hot. */
static uint64_t score_hot(struct tm_hybridtier *x,
			  uint64_t nr_at[HT_NR_SCORES], uint32_t *max_idx)
{
	uint64_t nr = 0;

	*max_idx = 0;
	for (uint64_t i = 0; i < x->nr_cand; i++) {
		struct cand *c = &x->cand[i];
		uint32_t f, m;

		prefetch_cand(x, i + HT_AHEAD);
		c->score = HT_NOT_HOT;
		if (c->flags & CAND_FAILED)
			continue;
		(void)page_freqs(x, c->idx, &f, &m);
		if (f < x->threshold && m < x->cfg.momentum_threshold)
			continue;
		c->score = (uint8_t)score_of(f, m);
		nr_at[c->score]++;
		nr++;
		*max_idx = c->idx > *max_idx ? c->idx : *max_idx;
	}
	return nr;
}

/* The hot candidates, the first cap of them by score (higher first),
 * then index (lower first): all pages scored above a cut score, and at
 * the cut the lowest indexes (nth_index), sorted by a radix sort of
 * (31 - score, index) into rank()'s scratch and r->hot.  Callgrind, 10 M
 * sample Zipf replay, FMEM 104857 pages: 101 -> 32 M instructions a
 * rank, where a heap of the kept took log2 cap steps a page. */
static void ht_rank(void *st, struct tm_rank *r)
{
	struct tm_hybridtier *x = st;
	uint64_t nr_at[HT_NR_SCORES] = { 0 }, nr_hot, want, above = 0;
	uint32_t max_idx, cut_idx = UINT32_MAX;
	unsigned cut = HT_NR_SCORES, idx_bits = 1;
	uint64_t *sorted;
	size_t n = 0;

	r->nr_pairs = 0;
	r->nr_hot = 0;
	if (!r->hot || r->cap == 0)
		return;
	if (r->cap > x->cap_sel) {
		x->cap_sel = r->cap;
		x->sel = tm_xrealloc(x->sel, x->cap_sel * sizeof(*x->sel));
	}
	nr_hot = score_hot(x, nr_at, &max_idx);
	want = nr_hot < r->cap ? nr_hot : r->cap;
	if (want == 0)
		return;
	while (above + nr_at[cut - 1] < want)
		above += nr_at[--cut];
	cut--;
	if (above + nr_at[cut] > want)
		cut_idx = nth_index(x, (uint8_t)cut, want - above);
	while (idx_bits < 32 && max_idx >> idx_bits)
		idx_bits++;
	for (uint64_t i = 0; i < x->nr_cand; i++) {
		const struct cand *c = &x->cand[i];

		if (c->score != HT_NOT_HOT &&
		    (c->score > cut || (c->score == cut && c->idx <= cut_idx)))
			x->sel[n++] = (uint64_t)(HT_NR_SCORES - 1 - c->score)
				      << idx_bits | c->idx;
	}
	assert(n == want);
	sorted = radix_sort(x->sel, r->hot, n, idx_bits + 5);
	for (size_t k = 0; k < n; k++)
		r->hot[k] = sorted[k] & ((UINT64_C(1) << idx_bits) - 1);
	r->nr_hot = n;
}

/* HT monitor mode, as far as the sketches see it: halve both, reset the
 * threshold, clear the second-chance queue. */
static void monitor_mode(struct tm_hybridtier *x)
{
	sketch_age(&x->freq);
	sketch_age(&x->mom);
	x->threshold = x->cfg.hot_threshold;
	for (uint64_t i = 0; i < x->nr_cand; i++)
		x->cand[i].flags = 0;
	x->nr_queued = 0;
}

/* HT promotion plateau: lower the threshold, or go to monitor mode. */
static void on_plateau(struct tm_hybridtier *x)
{
	uint64_t nr_hot = 0;

	x->plateau = false;
	for (uint64_t i = 0; i < x->nr_cand; i++)
		nr_hot += sketch_freq(&x->freq, page_hash(x, x->cand[i].idx)) >=
			  x->threshold;
	if ((double)nr_hot >= x->cfg.plateau_fill * (double)x->nr_fmem_pages)
		monitor_mode(x);
	else if (x->threshold <= x->cfg.min_hot_threshold)
		monitor_mode(x);
	else
		x->threshold--;
}

/* HT: at least second_chance_ns after the last check, queued pages whose
 * frequency did not change fail (become demotable); the queue empties. */
static void second_chance_check(struct tm_hybridtier *x)
{
	if (x->nr_queued == 0 ||
	    x->now_ns - x->sc_check_ns < x->cfg.second_chance_ns)
		return;
	for (uint64_t i = 0; i < x->nr_cand; i++) {
		struct cand *c = &x->cand[i];

		if (!(c->flags & CAND_QUEUED))
			continue;
		c->flags &= (uint8_t)~CAND_QUEUED;
		if (sketch_freq(&x->freq, page_hash(x, c->idx)) == c->sc_freq)
			c->flags |= CAND_FAILED;   /* prune() copies it to the index */
	}
	x->nr_queued = 0;
	x->sc_check_ns = x->now_ns;
}

/* HT handle_virtual_range: an FMEM page with frequency >= threshold and
 * momentum 0 is queued with its frequency (15 decremented to 14). */
static void second_chance_queue(struct tm_hybridtier *x, struct cand *c,
				uint64_t h, uint32_t f, uint32_t m)
{
	if (c->tier != TM_TIER_FMEM || (c->flags & (CAND_QUEUED | CAND_FAILED)) ||
	    f < x->threshold || m >= 1 ||
	    x->nr_queued >= x->cfg.second_chance_max)
		return;
	if (f == HT_COUNTER_MAX) {
		sketch_decrement(&x->freq, h);
		f = HT_COUNTER_MAX - 1;
	}
	c->flags |= CAND_QUEUED;
	c->sc_freq = (uint8_t)f;
	x->nr_queued++;
}

static inline bool cand_hotter(const void *ctx, const struct cand *a,
			       const struct cand *b)
{
	(void)ctx;
	return a->score > b->score || (a->score == b->score && a->idx < b->idx);
}

TM_SELECT_DEFINE(cand, struct cand, const void *, cand_hotter)

/* Keep the candidates still hot (failed ones too, so that they stay
 * failed until a sample makes them hot again), at most half the list, the
 * hottest, so that pages a later sample makes hot find room; queue second
 * chances; rebuild the index. */
static void prune(struct tm_hybridtier *x)
{
	uint64_t n = 0, keep = x->cap_cand / 2;

	for (uint64_t i = 0; i < x->nr_cand; i++) {
		struct cand c = x->cand[i];
		uint32_t f, m;
		uint64_t h;

		prefetch_cand(x, i + HT_AHEAD);
		h = page_freqs(x, c.idx, &f, &m);
		if (f < x->threshold && m < x->cfg.momentum_threshold) {
			x->nr_queued -= (c.flags & CAND_QUEUED) != 0;
			continue;  /* no longer hot: a cold page again */
		}
		second_chance_queue(x, &c, h, f, m);
		c.score = (uint8_t)score_of(f, m);
		x->cand[n++] = c;
	}
	if (n > keep) {
		cand_top(NULL, x->cand, n, keep);
		n = keep;
		x->nr_queued = 0;
		for (uint64_t i = 0; i < n; i++)
			x->nr_queued += (x->cand[i].flags & CAND_QUEUED) != 0;
	}
	x->nr_cand = n;
	memset(x->set, 0, (x->set_mask + 1) * sizeof(*x->set));
	for (uint64_t i = 0; i < n; i++) {
		const struct cand *c = &x->cand[i];

		if (i + HT_AHEAD < n)
			__builtin_prefetch(&x->set[set_home(x, page_hash(x,
					   x->cand[i + HT_AHEAD].idx))], 1);
		*cand_slot(x, c->idx, page_hash(x, c->idx)) = (struct slot){
			.idx = c->idx,
			.pos = (uint32_t)(i + 1) |
			       (c->flags & CAND_FAILED ? SLOT_FAILED : 0) };
	}
}

static void ht_epoch_end(void *st)
{
	struct tm_hybridtier *x = st;

	if (x->plateau)
		on_plateau(x);
	second_chance_check(x);
	prune(x);
}

static uint64_t ht_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_hybridtier *x = st;
	uint32_t f, m;

	(void)page;
	(void)page_freqs(x, idx, &f, &m);
	return score_of(f, m);
}

/* Promotions feed the plateau rule; a tracked page learns its tier. */
static void ht_moved(void *st, uint32_t idx, uint64_t page, enum tm_tier tier)
{
	struct tm_hybridtier *x = st;
	uint64_t pos = cand_find(x, idx, page_hash(x, idx));

	(void)page;
	if (tier == TM_TIER_FMEM)
		x->nr_promoted++;
	if (pos)
		x->cand[pos - 1].tier = (uint8_t)tier;
}

static size_t ht_memory_bytes(const void *st)
{
	const struct tm_hybridtier *x = st;

	return sizeof(*x) + (x->freq.nr_words + x->mom.nr_words) * 8 +
	       x->cap_cand * sizeof(*x->cand) +
	       (x->set_mask + 1) * sizeof(*x->set) +
	       x->cap_sel * sizeof(*x->sel);
}

static void ht_free(void *st)
{
	struct tm_hybridtier *x = st;

	if (!x)
		return;
	free(x->freq.w);
	free(x->mom.w);
	free(x->cand);
	free(x->set);
	free(x->sel);
	free(x);
}

static void *ht_new(const struct tm_ident_params *p)
{
	struct tm_hybridtier *x = tm_xcalloc(1, sizeof(*x));
	const struct tm_hybridtier_config *c = p->own;
	uint64_t n = p->nr_fmem_pages < 1 ? 1 : p->nr_fmem_pages;
	uint64_t entries = tm_hybridtier_sketch_entries(n, c->fpp);
	uint64_t slots = 2;

	x->cfg = *c;
	x->seed = tm_splitmix64_of(p->seed);
	x->nr_fmem_pages = n;
	x->threshold = c->hot_threshold;
	x->batch_left = c->batch_samples;
	sketch_init(&x->freq, entries, c->sample_factor * n);
	sketch_init(&x->mom, (uint64_t)((double)entries * c->momentum_ratio),
		    c->momentum_samples);
	x->cap_cand = c->nr_candidates ? c->nr_candidates : 2 * n;
	if (x->cap_cand < HT_MIN_CANDIDATES)
		x->cap_cand = HT_MIN_CANDIDATES;
	if (x->cap_cand > HT_MAX_CANDIDATES)
		x->cap_cand = HT_MAX_CANDIDATES;
	x->cand = tm_xmalloc(x->cap_cand * sizeof(*x->cand));
	while (slots < 2 * x->cap_cand)
		slots <<= 1;
	x->set = tm_xcalloc(slots, sizeof(*x->set));
	x->set_mask = slots - 1;
	x->cap_sel = n;
	x->sel = tm_xmalloc(x->cap_sel * sizeof(*x->sel));
	return x;
}

uint32_t tm_hybridtier_freq(const void *st, uint32_t idx)
{
	const struct tm_hybridtier *x = st;

	return sketch_freq(&x->freq, page_hash(x, idx));
}

uint32_t tm_hybridtier_momentum(const void *st, uint32_t idx)
{
	const struct tm_hybridtier *x = st;

	return sketch_freq(&x->mom, page_hash(x, idx));
}

uint32_t tm_hybridtier_threshold(const void *st)
{
	return ((const struct tm_hybridtier *)st)->threshold;
}

uint64_t tm_hybridtier_size(const void *st)
{
	return ((const struct tm_hybridtier *)st)->freq.size;
}

uint64_t tm_hybridtier_block(const void *st, uint32_t idx)
{
	const struct tm_hybridtier *x = st;

	return page_hash(x, idx) & x->freq.block_mask;
}

typedef struct tm_hybridtier_config HT;

static const struct tm_cfg_key ht_keys[] = {
	TM_CFG_KEY("fpp", TM_CFG_DOUBLE, 0, 0.5, "0.001", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, HT, fpp,
		   "false-positive probability sizing the sketch for FMEM"),
	TM_CFG_KEY("sample_factor", TM_CFG_U64, 1, 1 << 20, "160", NULL, 0,
		   TM_CFG_F_U64, HT, sample_factor,
		   "counters halve at W = this x FMEM pages samples"),
	TM_CFG_KEY("momentum_ratio", TM_CFG_DOUBLE, 0, 1, "0.01", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, HT, momentum_ratio,
		   "momentum sketch size as a share of the frequency sketch"),
	TM_CFG_KEY("momentum_samples", TM_CFG_U64, 1, 1e12, "1100000", NULL, 0,
		   TM_CFG_F_U64, HT, momentum_samples,
		   "momentum counters halve at this many samples"),
	TM_CFG_KEY("hot_threshold", TM_CFG_U64, 1, 15, "5", NULL, 0,
		   TM_CFG_F_U32, HT, hot_threshold,
		   "starting hot threshold: frequency >= this is hot"),
	TM_CFG_KEY("min_hot_threshold", TM_CFG_U64, 1, 15, "3", NULL, 0,
		   TM_CFG_F_U32, HT, min_hot_threshold,
		   "plateaus lower the threshold down to this (code: 3)"),
	TM_CFG_KEY("momentum_threshold", TM_CFG_U64, 1, 16, "3", NULL, 0,
		   TM_CFG_F_U32, HT, momentum_threshold,
		   "momentum >= this is hot (16: never)"),
	TM_CFG_KEY("batch_samples", TM_CFG_U64, 1, 1e9, "100000", NULL, 0,
		   TM_CFG_F_U64, HT, batch_samples,
		   "samples per batch (the plateau rule counts batches)"),
	TM_CFG_KEY("plateau_batches", TM_CFG_U64, 1, 1e6, "20", NULL, 0,
		   TM_CFG_F_U32, HT, plateau_batches,
		   "batches per plateau check"),
	TM_CFG_KEY("plateau_warmup", TM_CFG_U64, 0, 1e9, "500", NULL, 0,
		   TM_CFG_F_U64, HT, plateau_warmup,
		   "batches before a plateau may be detected"),
	TM_CFG_KEY("plateau_promotions", TM_CFG_U64, 0, 1e12, "25000", NULL, 0,
		   TM_CFG_F_U64, HT, plateau_promotions,
		   "at most this many promotions in a check's batches: plateau"),
	TM_CFG_KEY("plateau_fill", TM_CFG_SHARE, 0, 1, "0.8", NULL, 0,
		   TM_CFG_F_DBL, HT, plateau_fill,
		   "on a plateau, lower the threshold if hot pages < this x FMEM"),
	TM_CFG_KEY("second_chance", TM_CFG_TIME, 0, 1e13, "60s", NULL, 0,
		   TM_CFG_F_U64, HT, second_chance_ns,
		   "between second-chance checks of hot FMEM pages"),
	TM_CFG_KEY("second_chance_max", TM_CFG_U64, 0, 1 << 24, "10000", NULL,
		   0, TM_CFG_F_U32, HT, second_chance_max,
		   "pages queued for a second chance at most"),
	TM_CFG_KEY("candidates", TM_CFG_U64, 0, 1 << 28, "0", NULL, 0,
		   TM_CFG_F_U64, HT, nr_candidates,
		   "tracked hot pages (assumption); 0: 2 x FMEM pages"),
};

const struct tm_identifier_ops tm_hybridtier_ops = {
	.kind = {
		.name = "hybridtier",
		.help = "HybridTier: blocked 4-bit count-min frequency sketch "
			"and momentum sketch, thresholds, second chance",
		.keys = ht_keys,
		.nr_keys = sizeof(ht_keys) / sizeof(ht_keys[0]),
		.config_size = sizeof(struct tm_hybridtier_config),
		.flags = TM_IDENT_SAMPLES | TM_IDENT_TIER,
	},
	/* assumption: the paper gives none; this model's
	 * update (two sketch adds, a candidate probe) measured 70 ns at
	 * 128 MiB of FMEM (docs/identifiers.md) */
	.cost_ns = 70,
	.new = ht_new,
	.update = ht_update,
	.prefetch = ht_prefetch,
	.rank = ht_rank,
	.epoch_end = ht_epoch_end,
	.estimate = ht_estimate,
	.memory_bytes = ht_memory_bytes,
	.free = ht_free,
	.moved = ht_moved,
};
