/*
 * config.h - the validated configuration of one run (DESIGN.md §10).
 *
 * STYLE.md habit 5: the YAML file (plus --set overrides) is parsed and
 * validated once against one bounds table (config.c); what comes out is this
 * plain struct, which models trust.  Every size is in bytes, every time in ns.
 *
 * YAML schema (docs/config.md is the reference):
 *   name, seed, duration, epoch, snapshot, page_size, latency{fmem,smem},
 *   memory_boundness, truth{enabled, vms}, defaults{<vm keys>},
 *   hosts[{name, fmem, smem, rebalancer{...}, vms[{name, replicate, <vm keys>}]}]
 * VM keys: vcpus, memory, fmem (size or percent of memory), trace{...},
 *   sampler{...}, identifier{...}, shadow_identifiers[...], migration{...},
 *   fmem_floor, fmem_ceiling, target_hit, priority.
 */
#ifndef TM_CONFIG_H
#define TM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "models/ident/identifier.h"
#include "models/migrate.h"
#include "models/rebalance/rebalancer.h"
#include "models/sampler.h"
#include "traces/gen/gen.h"
#include "lib/error.h"

#define TM_NAME_MAX 64
#define TM_PATH_MAX 1024
/* Shadow identifiers per VM: room for one of every identifier kind beside
 * the main one (a zoo run; tests/test_config.c checks the built-in kinds
 * fit).  Each costs a struct tm_ident_config (~560 bytes) per VM config. */
#define TM_MAX_SHADOW 15
/* vCPUs of a simulated VM (and of its generated trace): the sampler keeps
 * a ring per vCPU (~512 KB at the default 21845 entries), so 1024 vCPUs
 * already cost ~512 MiB per VM (assumption: far above any VM studied).  A
 * trace file may carry up to TM_TRACE_VCPUS_MAX (its cpu field's range). */
#define TM_VM_VCPUS_MAX 1024

/* Where a config value came from, for messages after parsing. */
struct tm_src_loc {
	char file[TM_PATH_MAX];
	uint32_t line, col;
};

enum tm_trace_source { TM_SRC_GEN = 0, TM_SRC_FILE };

struct tm_trace_config {
	enum tm_trace_source source;
	char path[TM_PATH_MAX];   /* FILE: resolved against the config's folder */
	struct tm_gen_spec gen;   /* GEN */
	uint64_t addr_offset;     /* reuse: added to every address */
	uint64_t time_offset_ns;  /* reuse: added to every time */
	double time_scale;        /* reuse: times multiplied by this (1.0) */
	bool loop;                /* reuse: restart at the end, shifted in time */
};

struct tm_vm_config {
	char name[TM_NAME_MAX];
	uint32_t nr_vcpus;
	uint64_t sz_mem;
	uint64_t sz_fmem;          /* initial FMEM capacity (share) */
	uint64_t sz_fmem_floor;
	uint64_t sz_fmem_ceiling;  /* 0: sz_mem */
	double target_hit;         /* desired FMEM hit ratio (rebalancer) */
	uint32_t priority;
	struct tm_trace_config trace;
	struct tm_sampler_config sampler;
	struct tm_ident_config ident;
	uint32_t nr_shadow;
	struct tm_ident_config shadow[TM_MAX_SHADOW];
	struct tm_migration_config migration;
	bool truth;                /* keep a truth tracker for this VM */
	struct tm_src_loc loc;
};

struct tm_host_config {
	char name[TM_NAME_MAX];
	uint64_t sz_fmem;
	uint64_t sz_smem;
	struct tm_rebalancer_config rebalancer;
	uint32_t nr_vms;
	struct tm_vm_config *vms;
	struct tm_src_loc loc;
};

struct tm_config {
	char name[TM_NAME_MAX];    /* default: config file name without .yaml */
	char path[TM_PATH_MAX];
	uint64_t seed;
	uint64_t duration_ns;
	uint64_t epoch_ns;
	uint64_t snapshot_ns;
	uint32_t page_shift;
	uint64_t fmem_latency_ns;
	uint64_t smem_latency_ns;
	double memory_boundness;   /* share of time stalled on memory, for slowdown */
	uint32_t nr_hosts;
	struct tm_host_config *hosts;
};

/* Load path, apply overrides ("key.path=value", in order), validate.
 * On error returns -1 with err->msg "file:line:col: key: expected ..."
 * (or "--set key.path: ..." for an override). */
int tm_config_load(const char *path, const char *const *overrides,
		   unsigned nr_overrides, struct tm_config **out,
		   struct tm_error *err);
void tm_config_free(struct tm_config *cfg);

/* The resolved configuration as a JSON object (new reference): the config
 * echo in summary.json.  Sizes in bytes, times in ns, keys as in YAML. */
json_t *tm_config_to_json(const struct tm_config *cfg);

#endif
