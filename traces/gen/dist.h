/*
 * dist.h - the distribution truth of a generated trace (DESIGN.md §7,
 * docs/metrics.md "Ground truth"): expected accesses per page over an epoch,
 * the true top-C set T of the epoch and its expected mass, from the
 * generators' rank orders and closed forms, never by walking the footprint.
 *
 * A VM sees the stream through trace reuse (traces/reuse.h): its epoch
 * [t0, t1) of simulated time maps back to stream time (time offset, time
 * scale, loop passes) and its pages are the stream's shifted by the address
 * offset.  tm_gen_dist_epoch() splits the epoch into components, one per
 * (phase, part, stretch without a hot-set move), each with its expected
 * records, and selects T:
 *  - components over disjoint pages: exact, by a threshold on the merged
 *    rank orders (O(components × log pages));
 *  - components that share pages (a phase change or a hot-set move inside
 *    the epoch, overlapping mixture parts): the best C of the union of each
 *    component's own top C, scored by their summed expectation.  This is an
 *    approximation: a page outside every component's top C that still makes
 *    the sum's top C is missed (tests/test_dist.c bounds the loss against
 *    brute force on small footprints).  Taken in runs of equal value and
 *    consecutive pages: O(segments × log pages) for a hot-set move or flat
 *    parts, O(C log C) where a Zipf part is one of them.
 */
#ifndef TM_GEN_DIST_H
#define TM_GEN_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen.h"

struct tm_gen_dist;

/* How the VM sees the stream: the options of traces/reuse.h. */
struct tm_gen_dist_map {
	uint64_t addr_offset;     /* bytes; pages shift by addr_offset >> shift */
	uint64_t time_offset_ns;
	double time_scale;        /* > 0 */
	bool loop;
};

/* The truth of one epoch. */
struct tm_gen_top {
	double total;             /* expected accesses of every page */
	double mass;              /* expected accesses of T's pages */
	uint64_t nr_true;         /* |T| <= C (pages with a positive chance) */
	bool approx;              /* T from the overlap approximation */
	bool changing;            /* the distribution changes within the
				   * epoch: a phase or a hot-set move inside
				   * it, or a scan's moving window */
};

/* The distribution of spec seen through map; NULL if a generator of the
 * spec has no rank order (a registered kind without the truth ops). */
struct tm_gen_dist *tm_gen_dist_new(const struct tm_gen_spec *spec,
				    const struct tm_gen_dist_map *map);
void tm_gen_dist_free(struct tm_gen_dist *d);

/* Select T for the VM time [t0_ns, t1_ns) and capacity c pages.  Epoch
 * work: may grow d's scratch (overlaps only). */
void tm_gen_dist_epoch(struct tm_gen_dist *d, uint64_t t0_ns, uint64_t t1_ns,
		       uint64_t c, struct tm_gen_top *out);
/* Take [t0_ns, t1_ns) as the interval tm_gen_dist_expected() answers for,
 * without selecting T (a rebalancer's interval: T is then empty); returns
 * the interval's expected accesses of every page.  No allocation. */
double tm_gen_dist_window(struct tm_gen_dist *d, uint64_t t0_ns,
			  uint64_t t1_ns);
/* A signature of the last epoch's T (tm_gen_dist_epoch): the same non-zero
 * value for two epochs whose T holds the same pages, so that
 * tm_gen_dist_in_top() answers alike for every page; 0 when no such
 * promise holds (a scan's moving window). */
uint64_t tm_gen_dist_top_sig(const struct tm_gen_dist *d);
/* A signature of the last epoch's or window's expectations: the same
 * non-zero value for two whose tm_gen_dist_expected() answers alike for
 * every page (the same components with the same expected accesses); 0
 * when no such promise holds (a scan's moving window). */
uint64_t tm_gen_dist_value_sig(const struct tm_gen_dist *d);
/* Expected accesses of the VM's page `page` in the last epoch or window. */
double tm_gen_dist_expected(const struct tm_gen_dist *d, uint64_t page);
/* Whether page is in the last epoch's T. */
bool tm_gen_dist_in_top(const struct tm_gen_dist *d, uint64_t page);
/* Call fn for every page of T (unordered). */
void tm_gen_dist_each_top(const struct tm_gen_dist *d,
			  void (*fn)(void *ctx, uint64_t page), void *ctx);

/* Expected accesses each record stands for (1, or the mean sample period). */
double tm_gen_dist_per_record(const struct tm_gen_spec *spec);

#endif
