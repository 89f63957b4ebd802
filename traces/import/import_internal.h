/*
 * import_internal.h - helpers shared by the importers (import.c); not part
 * of the public interface in import.h.
 */
#ifndef TM_IMPORT_INTERNAL_H
#define TM_IMPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "import.h"

/* A growing array of records (the perf importers sort before yielding). */
struct tm_import_vec {
	struct tm_record *recs;
	size_t nr, cap;
};

void tm_import_vec_push(struct tm_import_vec *v, const struct tm_record *r);
void tm_import_vec_free(struct tm_import_vec *v);

/* Sort by time_ns; records with equal times keep their input order. */
void tm_import_sort(struct tm_record *recs, size_t nr);

/* Sum of the sampling periods of kept samples, by op, to derive the trace
 * header's load_period and store_period (see tm_import_periods_info). */
struct tm_import_periods {
	uint64_t nr_load, nr_store;
	long double sum_load, sum_store;
};

void tm_import_periods_add(struct tm_import_periods *p, uint8_t op, uint64_t period);
/* load_period = mean period of load (and modify) samples, store_period =
 * mean of store samples (0 when there are none: "as load_period");
 * fallback_period when there are no samples at all. */
void tm_import_periods_info(const struct tm_import_periods *p,
			    uint64_t fallback_period, struct tm_trace_info *info);

/* Shift times so that the earliest is 0, sort, and wrap v into a stream
 * that owns the array (v is emptied).  info is copied. */
void tm_import_vec_stream(struct tm_import_vec *v, const struct tm_trace_info *info,
			  struct tm_stream **out);

/* The groups of a split import (tm_import_opts.split): one group index per
 * pushed record, in push order.  Lookup is a linear search behind a
 * one-entry cache (samples come in runs of one thread); recordings of a few
 * hundred threads cost little, thousands would want a hash. */
struct tm_import_grouper {
	enum tm_import_split by;
	uint32_t *tags;
	size_t nr_tags, cap_tags;
	struct tm_import_group *g;
	size_t nr, cap, last;
};

void tm_import_grouper_init(struct tm_import_grouper *gp, enum tm_import_split by);
/* The record pushed last belongs to the group of (pid, tid, cpu, comm);
 * comm may be NULL (unknown: ":<tid>"). */
void tm_import_grouper_add(struct tm_import_grouper *gp, uint32_t pid, uint32_t tid,
			   uint32_t cpu, const char *comm);
void tm_import_grouper_free(struct tm_import_grouper *gp);

/* End of an import: v into one stream (*out), or with gp->by set into
 * o->groups (*out NULL).  v is emptied. */
void tm_import_finish(struct tm_import_vec *v, struct tm_import_grouper *gp,
		      const struct tm_trace_info *info, const struct tm_import_opts *o,
		      struct tm_stream **out);

/* The op a PERF_SAMPLE_DATA_SRC value stands for: mem_op STORE -> store,
 * anything else (LOAD, NA, PFETCH, EXEC) -> load. */
uint8_t tm_import_op_from_data_src(uint64_t data_src);

/* --event's default: keep every event. */
#define TM_IMPORT_ALL_EVENTS "all"

/* The perf importers' schema rows and provenance (import.c). */
#define TM_IMPORT_PERF_ROWS                                                   \
	TM_CFG_KEY("addr", TM_CFG_ENUM, 0, 0, "virt", "virt|phys", 0,         \
		   TM_CFG_F_INT, struct tm_import_perf_opts, addr,            \
		   "sample ADDR (gva) or PHYS_ADDR (gpa); address 0 is "      \
		   "dropped and counted"),                                    \
	TM_CFG_KEY("event", TM_CFG_STRING, 1, 127, TM_IMPORT_ALL_EVENTS, NULL, \
		   0, TM_CFG_F_STR, struct tm_import_perf_opts, event,        \
		   "the event to keep, or all: a name, or (perf-data) an "    \
		   "attr index as `perf evlist` lists them")
void tm_import_perf_provenance(const void *config, const struct tm_import_stats *st,
			       json_t *p);
const char *tm_import_perf_event(const struct tm_import_perf_opts *o);

/* The input of a text importer (textin.c): path, or "-" for standard
 * input, plain or gzip or zstd by its first bytes, read a line at a time. */
struct tm_import_text;

int tm_import_text_open(const char *path, struct tm_import_text **out,
			struct tm_error *err);
/* Like getline(3): the next line with its '\n' (none on a last line
 * without one) into *line, NUL-terminated; returns its length, 0 at the
 * end of the input, -1 with err set (I/O error, corrupt or truncated
 * compressed data, located at its byte offset). */
ssize_t tm_import_text_getline(struct tm_import_text *t, char **line, size_t *cap,
			       struct tm_error *err);
/* "plain", "gzip" or "zstd". */
const char *tm_import_text_codec(const struct tm_import_text *t);
void tm_import_text_free(struct tm_import_text *t);

/* Defaults shared by every importer's trace info (space gva). */
void tm_import_info_init(struct tm_trace_info *info, const struct tm_import_opts *o,
			 const char *path);

#endif
