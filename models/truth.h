/*
 * truth.h - ground truth and identification accuracy (DESIGN.md §7).
 *
 * The truth of an epoch is the exact per-page access count over the epoch's
 * window.  T is the true top-C (C = the VM's FMEM capacity in pages); H is an
 * identifier's hot set (|H| <= C).  From reference/identifiers.md §4:
 *   precision = |H∩T|/|H|, recall = |H∩T|/|T|,
 *   access-weighted recall = Σ_{p∈H} a_p / Σ_{p∈T} a_p,
 *   ARE = mean |n̂−n|/n and AAE = mean |n̂−n| over T's pages (n: exact sample
 *   count over the identifier's window, n > 0 for ARE).
 * Ties in T are broken by lower dense index (first touched), the same rule
 * the exact identifier uses, so exact's window equal to truth's gives
 * precision 1.
 */
#ifndef TM_TRUTH_H
#define TM_TRUTH_H

#include <stddef.h>
#include <stdint.h>

/* Where an epoch's truth comes from (DESIGN.md §7, docs/metrics.md). */
enum tm_truth_source {
	TM_TRUTH_EXACT,         /* a full access trace: every access counted */
	TM_TRUTH_ESTIMATED,     /* a recorded sample trace: samples x period */
	TM_TRUTH_DISTRIBUTION,  /* a generated trace: expected accesses */
};

static inline const char *tm_truth_source_name(enum tm_truth_source s)
{
	return s == TM_TRUTH_DISTRIBUTION ? "distribution" :
	       s == TM_TRUTH_ESTIMATED ? "estimated" : "exact";
}

struct tm_truth_sel {
	uint32_t *idx;      /* scratch and result: T's dense indexes */
	size_t cap;
};

/* Select T = the top c pages by cnt (cnt > 0 only) among [0, nr) into
 * sel->idx[0..ret).  Grows sel as needed (epoch-level work).  O(nr). */
size_t tm_truth_top(struct tm_truth_sel *sel, const uint64_t *cnt, uint32_t nr,
		    uint64_t c);
/* Room for n indexes in sel->idx (epoch-level work). */
void tm_truth_sel_reserve(struct tm_truth_sel *sel, size_t n);
void tm_truth_sel_free(struct tm_truth_sel *sel);

static inline size_t tm_truth_sel_memory_bytes(const struct tm_truth_sel *sel)
{
	return sel->cap * sizeof(*sel->idx);
}

struct tm_accuracy {
	double precision, recall, wrecall, are, aae;  /* NaN when undefined */
	double saturated;  /* of the nr_hot pages, saturated ones (NaN: the
			    * kind has no saturated op) */
	size_t nr_hot, nr_true;
};

#endif
