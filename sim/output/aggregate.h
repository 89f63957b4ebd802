/*
 * aggregate.h - the cross-host figures of summary.json (DESIGN.md §8, §11):
 * cluster totals and the rebalancing metrics of a host and of the cluster
 * (docs/outputs.md, docs/rebalancing.md).
 *
 * Every such figure is computed here from per-VM aggregates, by one set of
 * functions, whether the VMs were simulated in this process (a run) or read
 * back from partial results folders (tmsim merge): the two paths cannot
 * drift.  Sums of doubles run over hosts in config order, then VMs in host
 * order, so a merge adds the same numbers in the same order as one run and
 * its floating point is byte-identical.  The doubles are kept as computed;
 * a partial folder stores them with 17 significant digits, which read back
 * exactly (IEEE 754 binary64).
 */
#ifndef TM_AGGREGATE_H
#define TM_AGGREGATE_H

#include <stdint.h>

#include <jansson.h>

#include "lib/error.h"
#include "sim/engine/sim.h"

/* What the cross-host figures need of one VM. */
struct tm_vm_agg {
	struct tm_hits hits;
	uint64_t slo_miss_ns, need_max_pages, max_recover_ns;
	uint64_t balloon_bytes;      /* inflated + deflated */
	uint64_t balloon_busy_ns;
	uint64_t below_end;          /* 1: below target_hit at the end */
	double fair_x;               /* min(1, hit ratio / target_hit); 0
				      * without accesses (Jain's input) */
	double mean_fmem_pages;      /* mean capacity over ticks; 0 if none */
};

/* One host: its VMs in host order. */
struct tm_host_agg {
	uint32_t index;              /* in the config */
	uint32_t nr_vms;
	uint64_t need_sum_max;       /* max over ticks of Σ pages needed */
	struct tm_vm_agg *vms;
};

/* The config values the figures use. */
struct tm_agg_params {
	uint64_t fmem_latency_ns, smem_latency_ns;
	uint32_t page_shift;
};

void tm_agg_params_of(const struct tm_config *cfg, struct tm_agg_params *p);
/* Fill *a from a simulated host (allocates a->vms). */
void tm_agg_host_of(struct tm_host_agg *a, const struct tm_host_rt *hr);
void tm_agg_host_free(struct tm_host_agg *a);

/* A host's "totals" and "rebalancing" objects (policy: its rebalancer). */
json_t *tm_agg_host_totals_json(const struct tm_agg_params *p,
				const struct tm_host_agg *a);
json_t *tm_agg_host_rebalancing_json(const struct tm_agg_params *p,
				     const struct tm_host_agg *a,
				     const char *policy);
/* summary.json's "cluster" over hosts[0..nr) in config order. */
json_t *tm_agg_cluster_json(const struct tm_agg_params *p,
			    const struct tm_host_agg *hosts, uint32_t nr);

/* The exact form kept in a partial folder, and back.  from_json names
 * what is wrong after `where` (e.g. "PART/part.json: hosts[2]"); on failure
 * *a still needs tm_agg_host_free. */
json_t *tm_agg_host_to_json(const struct tm_host_agg *a);
int tm_agg_host_from_json(struct tm_host_agg *a, const json_t *j,
			  const char *where, struct tm_error *err);
json_t *tm_agg_params_to_json(const struct tm_agg_params *p);
int tm_agg_params_from_json(struct tm_agg_params *p, const json_t *j,
			    const char *where, struct tm_error *err);

#endif
