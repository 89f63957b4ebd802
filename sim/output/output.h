/*
 * output.h - the results directory of a run (DESIGN.md §8; docs/outputs.md
 * documents every key and column, which are contracts: STYLE.md habit 12).
 *
 * Every file is written to "<dir>/.<name>.tmp.<pid>", flushed, fsynced and
 * renamed into place; summary.json is renamed last, so its presence means
 * the results are complete.
 */
#ifndef TM_OUTPUT_H
#define TM_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "lib/error.h"
#include "sim/engine/sim.h"

#define TM_OUTPUT_FORMAT_VERSION 1

/* Create dir (and parents) and write all result files into it. */
int tm_output_write(const struct tm_sim *sim, const char *dir,
		    struct tm_error *err);

/* A partial results folder: shard shard_i of shard_n of a run whose sim
 * holds only that shard's hosts (tm_sim_new_shard); timeseries.part.csv,
 * epochs.part.csv, then part.json (docs/outputs.md).  Refuses a folder
 * holding a run's summary.json. */
int tm_output_write_part(const struct tm_sim *sim, uint32_t shard_i,
			 uint32_t shard_n, const char *dir,
			 struct tm_error *err);

/* Merge the partial folders dirs[0..nr) into dir: the summary.json,
 * timeseries.csv and epochs.csv one unsharded run writes.  Errors (exit 2)
 * name the folder: not a part, parts of different configs or splits, a
 * shard missing or given twice, a damaged part. */
int tm_output_merge(const char *const *dirs, uint32_t nr, const char *dir,
		    struct tm_error *err);

/* Write data[0..len) to path atomically (temp file + fsync + rename). */
int tm_write_atomic(const char *path, const char *data, size_t len,
		    struct tm_error *err);

/* mkdir -p */
int tm_mkdir_p(const char *dir, struct tm_error *err);

/* The compact result table printed at the end of a run. */
void tm_output_table(const struct tm_sim *sim, FILE *f);

#endif
