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

#include <stdio.h>

#include "lib/error.h"
#include "sim/engine/sim.h"

#define TM_OUTPUT_FORMAT_VERSION 1

/* Create dir (and parents) and write all result files into it. */
int tm_output_write(const struct tm_sim *sim, const char *dir,
		    struct tm_error *err);

/* Write data[0..len) to path atomically (temp file + fsync + rename). */
int tm_write_atomic(const char *path, const char *data, size_t len,
		    struct tm_error *err);

/* mkdir -p */
int tm_mkdir_p(const char *dir, struct tm_error *err);

/* The compact result table printed at the end of a run. */
void tm_output_table(const struct tm_sim *sim, FILE *f);

#endif
