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

#include "../traces/gen.h"
#include "error.h"

#define TM_NAME_MAX 64
#define TM_PATH_MAX 1024
#define TM_MAX_SHADOW 4

/* Where a config value came from, for messages after parsing. */
struct tm_src_loc {
	char file[TM_PATH_MAX];
	uint32_t line, col;
};

struct tm_sampler_config {
	uint64_t load_period;      /* 4093 (Demeter, reference §1) */
	uint64_t store_period;     /* 65535; 0 disables store sampling */
	bool randomize;            /* randomise the reload value, as the PMU may */
	uint64_t drain_ns;         /* 2 ms */
	uint32_t ring_entries;     /* per-CPU ring; 1 MiB / 48 B records */
	double cost_ns_per_sample; /* assumption, see docs/metrics.md */
};

enum tm_decay_rounding { TM_DECAY_PAPER = 0, TM_DECAY_INTEGER };
enum tm_est_fn { TM_EST_MAX = 0, TM_EST_MIN };
enum tm_est_rows { TM_EST_MATCHING = 0, TM_EST_ALL };

struct tm_ident_config {
	char kind[16];            /* "sdh" | "exact" */
	/* sdh */
	uint32_t depth;           /* d = 4 */
	uint32_t width;           /* w = 8192 */
	double decay_base;        /* b = 1.08 */
	bool decay;               /* decay on/off */
	enum tm_decay_rounding decay_rounding;
	enum tm_est_fn estimator;
	enum tm_est_rows estimator_rows;
	bool selective_increment;
	bool weighted;            /* increment by the sample's weight, else by 1 */
	uint32_t load_weight, store_weight; /* S3 used 3 and 1 */
	uint64_t nr_topk;         /* K; 0 means 10% of the VM's FMEM pages */
	bool two_heap;
	uint32_t min_entries;     /* 512 */
	uint32_t max_requests;    /* 16384 */
	bool cooling;
	bool pow2_guard;
	/* exact (and the window of sdh counts, where meaningful) */
	double window_decay;      /* counts *= window_decay at each epoch; 0: reset */
	double cost_ns_per_update; /* classification CPU per sample (assumption) */
};

enum tm_mig_mode { TM_MIG_NONE = 0, TM_MIG_EXCHANGE, TM_MIG_MIGRATE };
enum tm_mig_where { TM_MIG_GUEST = 0, TM_MIG_HOST };

struct tm_migration_config {
	enum tm_mig_mode mode;
	uint64_t max_pages_per_epoch; /* 0: unbounded */
	double max_bytes_per_s;       /* 0: unbounded */
	uint32_t nr_threads;
	double copy_bytes_per_s;      /* page copy bandwidth */
	uint64_t remap_ns;            /* unmap + remap per page */
	uint64_t tlb_flush_ns;        /* one shootdown (IPI per vCPU) */
	uint64_t ept_flush_ns;        /* host mode: EPT invalidation */
	bool batch_flush;
	bool fill_free;               /* exchange: promote into free FMEM first */
	bool thrash_guard;            /* skip moves whose gap is noise */
	enum tm_mig_where where;
	uint64_t pingpong_window_ns;
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

struct tm_rebalancer_config {
	char policy[16];           /* static | proportional | target-hit | utility | oracle */
	uint64_t interval_ns;      /* 1 s */
	uint64_t window_ns;        /* sliding window of stats */
	uint64_t sz_step;          /* bounded step per interval */
	double hysteresis;
	double balloon_bytes_per_s;/* ~1 GiB/s (reference §5) */
	uint64_t balloon_msg_ns;   /* per 256-page message latency */
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
