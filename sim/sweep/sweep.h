/*
 * sweep.h - parameter sweeps (DESIGN.md §11): the sweep file, its expansion
 * into numbered points, point folders, shards and the merge of every point's
 * summary.json into sweep.csv.  The command line (fork/exec pool, --list,
 * --merge) is in cmd_sweep.c; docs/sweeps.md documents the file format.
 *
 * A sweep file names a base config, fixed overrides (`set:`), parameters to
 * vary by --set key path (`grid:` cartesian product, `zip:` lists advanced
 * together) and `seeds:`.  Point i of the expansion is a mixed-radix number
 * over the dimensions in file order: grid keys first (the first key varies
 * slowest), then each zip group, then seeds (fastest).  The index is the
 * point's identity: its folder is OUT/points/p%04u and it stays the same
 * whatever -j, --shard or the machine that runs it.
 *
 * A point is complete when OUT/points/pNNNN/summary.json exists: `tmsim run`
 * renames it into place last (output.h), so a folder without it holds a
 * run that died and is rerun from scratch.
 */
#ifndef TM_SWEEP_H
#define TM_SWEEP_H

#include <stdint.h>

#include "lib/error.h"
#include "lib/shard.h"
#include "lib/strbuf.h"

/* Most points one sweep may expand to (assumption: far beyond any array a
 * scheduler accepts; catches a grid typed with one zero too many). */
#define TM_SWEEP_MAX_POINTS 1000000u
/* Most swept parameters and fixed overrides (assumption). */
#define TM_SWEEP_MAX_PARAMS 64u

/* One dimension of the expansion: a grid key (nr_keys = 1), a zip group
 * (nr_keys >= 1, every key with nr_values values) or the seeds (nr_keys = 0,
 * values are the seed numbers). */
struct tm_sweep_dim {
	uint32_t nr_keys;
	uint32_t first_param;      /* index of its first key in sw->params */
	uint32_t nr_values;
	char **values;             /* [nr_keys * nr_values], value v of key k
				    * at [v * nr_keys + k] */
	uint32_t *lines, *cols;    /* where each value is in the file (1-based,
				    * same indexing; 0 for seeds) */
};

struct tm_sweep {
	char *path;                /* the sweep file as given */
	char *name;                /* `name:`, default file name w/o extension */
	char *base;                /* `base:` as written */
	char *base_path;           /* base resolved against the file's folder */
	char *output;              /* `output:` or results/sweeps/<name> */
	uint32_t nr_fixed;
	char **fixed;              /* "key=value" from `set:` */
	uint32_t nr_params;
	char **params;             /* swept key paths = sweep.csv columns */
	uint32_t nr_dims;
	struct tm_sweep_dim *dims;
	int has_seeds;             /* the last dim is the seeds */
	uint32_t nr_points;
};

/* Parse a sweep file.  Errors: "file:line:col: key: expected ..." with
 * TM_ERR_CONFIG or TM_ERR_BOUNDS, TM_ERR_NOTFOUND for a missing file. */
int tm_sweep_load(const char *path, struct tm_sweep **out,
		  struct tm_error *err);
/* The same from text; path names the file in errors and anchors `base:`. */
int tm_sweep_parse(const char *path, const char *text, size_t len,
		   struct tm_sweep **out, struct tm_error *err);
void tm_sweep_free(struct tm_sweep *sw);

/* Load the base config once per swept value (with the fixed overrides) so
 * a bad key or value is reported before any point runs. */
int tm_sweep_check(const struct tm_sweep *sw, struct tm_error *err);

/* Point i's swept values, in sw->params order (pointers into sw), and its
 * seed (*has_seed = 0 when the sweep names no seeds). */
void tm_sweep_point_values(const struct tm_sweep *sw, uint32_t i,
			   const char **values, uint64_t *seed, int *has_seed);

/* The --set arguments of point i ("key=value"): fixed, swept, then seed.
 * Returns the count; sets[] must hold TM_SWEEP_MAX_PARAMS * 2 + 1 entries,
 * each a new string the caller frees. */
uint32_t tm_sweep_point_sets(const struct tm_sweep *sw, uint32_t i,
			     char **sets);

/* "OUT/points/p0007" */
void tm_sweep_point_dir(const char *outdir, uint32_t i, char *buf,
			size_t sz);
/* 1 when the point's summary.json exists. */
int tm_sweep_point_done(const char *outdir, uint32_t i);

/* "I/N" with 0 <= I < N; point i belongs to shard I when i % N == I
 * (lib/shard.h: the rule `tmsim run --shard` applies to hosts). */
int tm_sweep_parse_shard(const char *s, uint32_t *shard_i, uint32_t *shard_n,
			 struct tm_error *err);
static inline int tm_sweep_in_shard(uint32_t i, uint32_t shard_i,
				    uint32_t shard_n)
{
	return tm_shard_has(i, shard_i, shard_n);
}

/* Build sweep.csv from the point folders under outdir into *csv.  Missing
 * points are listed in *missing ("p0003, p0005", caller frees) and counted
 * in *nr_missing; they are skipped, so the caller decides whether a partial
 * merge is acceptable.  Errors (a summary.json that cannot be read) return
 * -1. */
int tm_sweep_merge(const struct tm_sweep *sw, const char *outdir,
		   struct tm_strbuf *csv, uint32_t *nr_missing,
		   char **missing, struct tm_error *err);

/* sweep.json: name, base, parameters and every point (index, folder, seed,
 * values). */
void tm_sweep_json(const struct tm_sweep *sw, struct tm_strbuf *out);

#endif
