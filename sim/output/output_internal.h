/*
 * output_internal.h - what output.c shares with part.c (the partial folders
 * of tmsim run --shard and tmsim merge): the CSV headers, the host objects
 * and the top level of summary.json, and the atomic file writers.
 */
#ifndef TM_OUTPUT_INTERNAL_H
#define TM_OUTPUT_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "lib/error.h"
#include "sim/engine/sim.h"
#include "aggregate.h"

/* Significant digits of the reals in summary.json. */
#define TM_OUTPUT_REAL_DIGITS 10
/* ... and in part.json: enough for every double to read back exactly. */
#define TM_OUTPUT_EXACT_DIGITS 17

extern const char tm_output_ts_header[];
extern const char tm_output_ep_header[];

/* A new string: the timeseries.csv (ep = 0) or epochs.csv (ep = 1) header,
 * then the rows of sim's hosts in host order; *len its length. */
char *tm_output_rows(const struct tm_sim *sim, int ep, size_t *len);
/* Append summary.json's host objects of sim's hosts to the array hosts and
 * fill aggs[0..sim->nr_hosts) (each needs tm_agg_host_free). */
void tm_output_hosts_of(const struct tm_sim *sim, json_t *hosts,
			struct tm_host_agg *aggs);
/* summary.json's top level; steals cluster, hosts and config. */
json_t *tm_output_summary(const char *name, uint64_t seed,
			  uint64_t duration_ns, json_t *cluster, json_t *hosts,
			  json_t *config);

/* dir/name, atomically (tm_write_atomic). */
int tm_output_write_file(const char *dir, const char *name, const char *data,
			 size_t len, struct tm_error *err);
/* j indented, with `precision` significant digits and a final newline;
 * steals j. */
int tm_output_write_json(const char *dir, const char *name, json_t *j,
			 int precision, struct tm_error *err);

#endif
