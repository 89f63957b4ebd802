/*
 * sim.h - the simulation of one run: hosts of VMs driven by per-host event
 * queues (DESIGN.md §3, §4); the engine's public header.
 *
 * tm_sim_run() builds the runtime from a validated config, runs every host
 * (in parallel on `threads` threads: hosts never interact), and keeps what
 * the outputs need.  Outputs are produced by sim/output/output.c.
 *
 * The engine's headers include each other one way only:
 *   sim.h -> host.h -> rebalance.h -> vm.h -> pagemap.h
 *                   -> eventq.h
 */
#ifndef TM_SIM_H
#define TM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/config/config.h"
#include "lib/error.h"
#include "host.h"

struct tm_run_opts {
	unsigned threads;
	bool progress;              /* progress line on stderr */
	bool release;               /* free each host's per-page state as it
				     * ends (tm_host_release): only the
				     * outputs may read the hosts after */
};

struct tm_sim {
	const struct tm_config *cfg;
	struct tm_host_rt *hosts;  /* the simulated hosts, by config index;
				    * hosts[k].index is the index in cfg */
	uint32_t nr_hosts;
	double wall_s;
};

int tm_sim_new(const struct tm_config *cfg, struct tm_sim **out,
	       struct tm_error *err);
/* Only the hosts h of cfg with h % shard_n == shard_i (lib/shard.h); may
 * be none.  tm_sim_new is shard 0 of 1. */
int tm_sim_new_shard(const struct tm_config *cfg, uint32_t shard_i,
		     uint32_t shard_n, struct tm_sim **out,
		     struct tm_error *err);
int tm_sim_run(struct tm_sim *sim, const struct tm_run_opts *opts,
	       struct tm_error *err);
void tm_sim_free(struct tm_sim *sim);

#endif
