/*
 * inspect.h - statistics of a trace for `tmsim inspect` (DESIGN.md §9):
 * header, record count, time span, load/store mix, distinct pages and the
 * coverage table - the fewest touched pages that hold 50/90/95/99/99.9% of
 * the accesses, for 4 KiB and 2 MiB pages - and, on request, a heatmap of
 * records over time bins x address bins for plotting.
 *
 * Accesses are counted per record in an accesses trace; in a samples trace
 * each record stands for its period (load_period for loads and modifies,
 * store_period - or load_period when 0 - for stores), so coverage is over
 * the estimated accesses.  Memory: the page counters (traces/pagecount.h:
 * 4 bytes per page of the touched stretches of the address space, 1 MiB
 * for a 1 GiB footprint) and 16 bytes per distinct page for the sort.
 * JSON keys are documented in docs/trace-format.md.
 */
#ifndef TM_INSPECT_H
#define TM_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/error.h"
#include "stream.h"

#define TM_INSPECT_NR_LEVELS 5  /* 50, 90, 95, 99, 99.9 % */
#define TM_INSPECT_NR_SIZES 2   /* 4 KiB, 2 MiB */
#define TM_INSPECT_HEAT_BINS 100

/* Coverage levels in thousandths of the accesses: 500, 900, 950, 990, 999. */
extern const uint32_t tm_inspect_level_permille[TM_INSPECT_NR_LEVELS];

struct tm_inspect_coverage {
	uint32_t page_shift;                        /* 12 or 21 */
	uint64_t nr_pages;                          /* distinct pages touched */
	uint64_t nr_pages_at[TM_INSPECT_NR_LEVELS]; /* fewest pages holding the level */
};

/* counts[t * nr_addr_bins + a]: records with time in
 * [start_ns + t * bin_ns, + bin_ns) and address in
 * [addr_start + a * bin_bytes, + bin_bytes). */
struct tm_inspect_heatmap {
	uint32_t nr_time_bins, nr_addr_bins;  /* each at most 100; 0 if no records */
	uint64_t start_ns, bin_ns;
	uint64_t addr_start, bin_bytes;       /* bin_bytes is a multiple of 4 KiB */
	uint64_t *counts;                     /* NULL until a heatmap pass */
};

struct tm_inspect {
	struct tm_trace_info info;
	char *header_json;          /* the .tmt JSON header, NULL for other streams */
	uint64_t nr_records;
	uint64_t nr_ops[3];         /* by enum tm_op: loads, stores, modifies */
	uint64_t nr_accesses;       /* records, or sum of periods for samples */
	uint64_t first_ns, last_ns; /* 0 if no records */
	uint64_t addr_min, addr_max;
	struct tm_inspect_coverage coverage[TM_INSPECT_NR_SIZES];
	struct tm_inspect_heatmap heat;
};

/* One pass over s (to its end): everything but the heatmap. */
int tm_inspect_stream(struct tm_stream *s, struct tm_inspect **out,
		      struct tm_error *err);

/* A second pass over a stream of the same records fills in->heat. */
int tm_inspect_heatmap(struct tm_inspect *in, struct tm_stream *s,
		       struct tm_error *err);

/* Open path (a .tmt file), inspect it, and with heatmap read it twice. */
int tm_inspect_file(const char *path, bool heatmap, struct tm_inspect **out,
		    struct tm_error *err);

/* NULL is a no-op. */
void tm_inspect_free(struct tm_inspect *in);

/* The statistics as a JSON object text (free() it); file may be NULL. */
char *tm_inspect_json(const struct tm_inspect *in, const char *file);

/* A human-readable report. */
void tm_inspect_print(const struct tm_inspect *in, const char *file, FILE *f);

#endif
