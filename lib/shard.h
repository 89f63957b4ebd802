/*
 * shard.h - slices of a numbered set for runs spread over machines
 * (DESIGN.md §11): item i belongs to shard I of N when i % N == I, with a
 * 0-based I.  `tmsim sweep --shard I/N` slices sweep points this way and
 * `tmsim run --shard I/N` slices the hosts of a cluster; both parse I/N here,
 * so a Slurm array index means the same thing to every command.
 *
 * Round-robin rather than contiguous blocks: the slices of a config whose
 * large hosts (or expensive points) are adjacent stay balanced.
 */
#ifndef TM_SHARD_H
#define TM_SHARD_H

#include <stdint.h>

#include "error.h"

/* Most shards of a run (assumption: far beyond any job array). */
#define TM_SHARD_MAX_COUNT 1000000u

/* "I/N" with 0 <= I < N <= max_n; TM_ERR_USAGE naming the text otherwise
 * (the bound is an assumption of the caller: far beyond any job array). */
int tm_shard_parse(const char *s, uint32_t max_n, uint32_t *shard_i,
		   uint32_t *shard_n, struct tm_error *err);

/* 1 when item i belongs to shard shard_i of shard_n. */
static inline int tm_shard_has(uint32_t i, uint32_t shard_i, uint32_t shard_n)
{
	return i % shard_n == shard_i;
}

#endif
