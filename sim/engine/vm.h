/*
 * vm.h - one VM of the simulation: its trace, sampler, identifiers, truth,
 * tier map and migration engine (DESIGN.md §3, §4), implemented in vm.c.
 *
 * The VM knows nothing of its host: its FMEM capacity (nr_fmem_cap_pages)
 * is changed from outside by the host's balloons (rebalance.h), and its
 * functions take the event times and return the times of what follows.
 */
#ifndef TM_VM_H
#define TM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "models/ident/identifier.h"
#include "models/migrate.h"
#include "models/sampler.h"
#include "models/truth.h"
#include "traces/stream.h"
#include "sim/config/config.h"
#include "lib/error.h"
#include "lib/strbuf.h"
#include "pagemap.h"

struct tm_gen_dist;

#define TM_VM_MAX_IDENTS (1 + TM_MAX_SHADOW)
#define TM_VM_BUF_RECORDS 4096

/* Counters of accesses; one set for the whole run, one since the last
 * snapshot, one since the last epoch. */
struct tm_hits {
	uint64_t nr_records;   /* records consumed (accesses or samples) */
	uint64_t nr_accesses;  /* accesses represented (samples x period) */
	uint64_t nr_samples;   /* samples fed to the identifiers */
	uint64_t hits_fmem, hits_smem, hits_static_fmem;
	uint64_t samples_fmem;  /* samples whose page was in FMEM */
};

/* One identifier running on a VM, and its accuracy sums over epochs. */
struct tm_ident_rt {
	const struct tm_identifier_ops *ops;
	const struct tm_ident_config *cfg;
	void *st;
	bool shadow;
	bool cum_window;  /* ARE/AAE against cumulative sample counts */
	uint16_t inc[2];  /* its own increment: [0] loads, [1] stores */
	uint64_t *ref, *ref_base; /* its own sample counts when its weights
				   * differ from the main one's (else NULL:
				   * TM_SMP serves) */
	uint64_t nr_scored;   /* epochs with a true set: recall, w-recall */
	uint64_t nr_named;    /* of those, epochs it named pages: precision */
	double sum_precision, sum_recall, sum_wrecall, sum_are, sum_aae;
	uint64_t nr_are;  /* epochs with a defined ARE */
	/* reported pages with a saturated count (ops->saturated), summed
	 * and largest over the scored epochs */
	uint64_t sum_saturated, max_saturated;
	/* error decomposition (docs/metrics.md): sums over epochs where
	 * defined, and their counts */
	double sum_sampling_loss, sum_ident_loss;
	uint64_t nr_sampling_loss, nr_ident_loss;
	/* once released (tm_vm_release: st is NULL), its figures at the end */
	size_t end_memory_bytes;
	uint64_t end_own_cpu_ns;
	struct tm_ident_cost end_cost;
};

/* A page's cumulative counts: its accesses since the start (TM_ACC) and
 * its identifier increments since the start (TM_SMP), each in two halves,
 * count = hi x 2^31 + lo (vm_counts.c). */
#define TM_ACC(vm, idx) tm_vm_acc(vm, idx)
#define TM_SMP(vm, idx) tm_vm_smp(vm, idx)
#define TM_CUM_FOLD (UINT64_C(1) << 31)

/* The low halves, side by side so that one cache line serves both updates
 * of a sample (40 M-sample replay: 3.2 -> 3.0 s). */
struct tm_cum {
	uint32_t acc, smp;
};

struct tm_vm_rt {
	const struct tm_vm_config *cfg;
	uint32_t index;
	char name[TM_NAME_MAX];
	uint32_t page_shift;

	/* trace */
	struct tm_stream *stream;
	uint64_t trace_seed;
	struct tm_record *buf;
	size_t buf_nr, buf_pos;
	bool eof;
	bool samples;               /* the stream holds samples */
	uint64_t load_period, store_period;
	struct tm_sampler *sampler; /* accesses streams only */
	struct tm_record *drain_buf;
	uint64_t next_drain_ns;

	/* pages */
	struct tm_pagemap pm;
	uint32_t arr_cap;           /* capacity of the per-page arrays below */
	uint64_t *true_base;        /* TM_ACC at the epoch's start (NULL
				     * with distribution truth) */
	uint64_t *epoch_cnt;        /* scratch: accesses this epoch */
	/* The cumulative counts (TM_ACC, TM_SMP): their low halves in cum,
	 * their high halves, in units of 2^31, in acc_hi and smp_hi.  A
	 * record adds to the low halves only (a 32-bit add, as the 64-bit
	 * counts took); before a run of records could take a low half to
	 * 2^32, the halves at or above 2^31 are folded into the high ones
	 * (tm_vm_counts_room), so the high halves are written for the pages
	 * that gained 2^31 since the start only, and their memory stays
	 * untouched, not resident, for the others (fresh zeroed memory,
	 * tm_xgrow_zeroed): 8 bytes a page where the 64-bit counts took 16.
	 * acc_fold_at: total.nr_accesses at the last fold (no page gained
	 * more since); smp_gain: the most any page's increments gained since
	 * theirs; acc_w_max: the most one record adds to TM_ACC (1, or the
	 * larger sample period, at most 2^31). */
	struct tm_cum *cum;
	uint32_t *acc_hi, *smp_hi;
	uint64_t acc_fold_at, smp_gain, acc_w_max;
	/* TM_SMP at the epoch's start: its low 32 bits (smp_base32) while no
	 * page can gain 2^32 increments in one epoch, else all 64 (smp_base;
	 * one of the two is NULL).  Bound: a page gains at most the epoch's
	 * samples x the largest increment; vm.c widens before a run of
	 * samples could cross it (tm_vm_smp_epoch stays exact). */
	uint64_t *smp_base;
	uint32_t *smp_base32;
	uint16_t smp_inc_max;       /* the main identifier's larger increment */
	/* TM_SMP at the rebalancer's last tick (its estimated window,
	 * rebalance.c), kept here so that the same checks cover it: its low
	 * 32 bits (smp_tick32) while no page can gain 2^32 increments between
	 * two ticks, else all 64 (smp_tick); both NULL until the rebalancer
	 * asks for it (tm_vm_smp_tick_use).  smp_tick_samples: the VM's
	 * samples when it was taken. */
	uint32_t *smp_tick32;
	uint64_t *smp_tick;
	uint64_t smp_tick_samples;
	uint8_t *mark;              /* scratch: page is in T */
	uint64_t *fnew;             /* bit idx: page idx entered FMEM this
				     * epoch (truth only; placement_changed) */
	uint64_t *scratch;          /* scratch: counts of one half, or samples;
				     * lent by tm_vm_epoch's caller */
	uint64_t *half_base;        /* estimated truth: TM_ACC at the epoch's
				     * midpoint (cross-fitted oracle) */
	uint64_t half_ns;           /* that midpoint, 0 once taken */
	uint32_t nr_pages_epoch0;   /* pages touched before the epoch */
	uint64_t nr_fmem_cap_pages;
	uint64_t nr_fmem_pages, nr_smem_pages, nr_static_fmem;
	uint64_t nr_fmem_cap_initial;
	uint64_t nr_fmem_cap_max_epoch; /* the largest capacity this epoch */

	/* identifiers: [0] drives migration, the rest are shadows */
	struct tm_ident_rt idents[TM_VM_MAX_IDENTS];
	uint32_t nr_idents;
	/* What feed() reads of each identifier per sample, side by side (the
	 * tm_ident_rt structs are ~200 bytes apart with their score sums) */
	struct tm_feed {
		void (*update)(void *st, struct tm_sample s);
		void *st;
		uint64_t *ref;
		uint16_t inc[2];
	} feed[TM_VM_MAX_IDENTS];
	/* the identifiers with a prefetch op, for the replay's lookahead */
	uint32_t nr_prefetch;
	uint8_t prefetch[TM_VM_MAX_IDENTS];
	/* scan-driven identifiers (identifier.h "Scan and fault events"):
	 * pbits[idx] bit k = accessed for scan_id[k], bit 8 + k = unmapped;
	 * NULL when the VM has none */
	uint16_t *pbits;
	uint16_t scan_amask;        /* every scan kind's accessed bit */
	uint32_t nr_scan;
	uint8_t scan_id[TM_SCAN_MAX];   /* index into idents[] */
	uint64_t scan_at_ns[TM_SCAN_MAX]; /* its next scan */
	uint64_t next_scan_ns;      /* the earliest of them, UINT64_MAX: none */
	uint64_t scan_end_ns;       /* no scan after the run's end */
	uint64_t run_end_ns;
	uint64_t nr_scans, nr_faults;
	/* PML write log (identifier.h "Write logging"): pdirty[idx] is the
	 * page's EPT dirty bit; one log of TM_PML_ENTRIES per vCPU; NULL
	 * when the VM has no PML kind */
	uint8_t *pdirty;
	uint32_t *pml_buf;          /* vCPU c's log at c x TM_PML_ENTRIES */
	uint32_t *pml_nr;           /* entries in each log */
	uint32_t nr_pml_cpus;
	uint32_t nr_pml;
	uint8_t pml_id[TM_SCAN_MAX];    /* index into idents[] */
	uint64_t nr_pml_drains, nr_pml_entries;
	struct tm_rank rank;
	uint32_t *hot_idx;          /* rank output as dense indexes */
	uint32_t *pair_p, *pair_d;
	uint32_t *cold_idx;         /* rank.cold as dense indexes */
	struct tm_truth_sel truth_sel;
	size_t nr_sel;              /* T's touched pages in truth_sel.idx */
	/* distribution truth: T's signature (tm_gen_dist_top_sig) when its
	 * marks and truth_sel were built in page order over pages
	 * [0, top_nr_pages), and kept for the next epoch; 0: rebuild */
	uint64_t top_sig;
	uint32_t top_nr_pages;
	/* ... and the signature of its expectations (tm_gen_dist_value_sig)
	 * while epoch_cnt caches those of pages [0, value_nr_pages) */
	uint64_t value_sig;
	uint32_t value_nr_pages;
	struct tm_truth_sel xsel;   /* scratch selection (halves, samples);
				     * lent like scratch */
	bool truth;
	enum tm_truth_source truth_src;
	struct tm_gen_dist *dist;   /* distribution truth, or NULL */
	struct tm_gen_dist *dist_rb; /* the same distribution, for the
				      * rebalancer's intervals (true curves) */
	uint64_t epoch_start_ns;

	/* migration */
	struct tm_migrator *mig;
	struct tm_move *inflight;
	size_t nr_inflight, cap_inflight;
	uint64_t nr_inflight_promotions;
	bool busy;
	bool moved_this_epoch;      /* a batch landed since the epoch began */
	bool cap_changed_this_epoch; /* a balloon step changed FMEM capacity */
	bool touched_fmem_this_epoch; /* a first touch went to FMEM */
	uint64_t new_hits;          /* the epoch's FMEM hits on fnew pages */
	struct tm_mig_batch last_batch;
	uint64_t last_done_ns;      /* time the last batch landed */
	uint64_t nr_epochs_skipped_busy;

	uint64_t busy_until_ns;     /* done time of the batch in flight */

	/* counters */
	struct tm_hits total, snap, epoch;
	uint64_t nr_epochs;
	double sum_oracle_ratio, sum_epoch_ratio;
	uint64_t nr_ratio_epochs;
	struct tm_mig_stats mig_snap;  /* migration stats at the last snapshot */
	struct tm_sampler_stats smp_snap;
	uint64_t own_cpu_snap;      /* main identifier's own CPU at it */
	bool released;              /* tm_vm_release: per-page state freed */
	size_t end_truth_bytes;     /* tm_vm_truth_memory_bytes then */
};

/* FMEM the VM's pages hold or are promoted into: what its capacity must
 * cover, and what a first touch, a fault or a balloon step sees. */
static inline uint64_t tm_vm_fmem_held(const struct tm_vm_rt *vm)
{
	return vm->nr_fmem_pages + vm->nr_inflight_promotions;
}

static inline uint64_t tm_vm_acc(const struct tm_vm_rt *vm, uint32_t idx)
{
	return ((uint64_t)vm->acc_hi[idx] << 31) + vm->cum[idx].acc;
}

static inline uint64_t tm_vm_smp(const struct tm_vm_rt *vm, uint32_t idx)
{
	return ((uint64_t)vm->smp_hi[idx] << 31) + vm->cum[idx].smp;
}

/* Page idx's increments of the main identifier since the epoch's start:
 * exact with either base (the 32-bit difference wraps back). */
static inline uint64_t tm_vm_smp_epoch(const struct tm_vm_rt *vm, uint32_t idx)
{
	if (vm->smp_base)
		return TM_SMP(vm, idx) - vm->smp_base[idx];
	return (uint32_t)((uint32_t)TM_SMP(vm, idx) - vm->smp_base32[idx]);
}

/* Page idx's increments of the main identifier since the rebalancer's
 * last tick, and the tick's snapshot of them (exact either way, as for
 * tm_vm_smp_epoch).  tm_vm_smp_tick_use: start keeping the snapshot (0 for
 * every page: the counts since the start); the taker sets
 * smp_tick_samples once every page is taken. */
static inline uint64_t tm_vm_smp_since_tick(const struct tm_vm_rt *vm,
					    uint32_t idx)
{
	if (vm->smp_tick)
		return TM_SMP(vm, idx) - vm->smp_tick[idx];
	return (uint32_t)((uint32_t)TM_SMP(vm, idx) - vm->smp_tick32[idx]);
}

static inline void tm_vm_smp_tick_take(struct tm_vm_rt *vm, uint32_t idx)
{
	if (vm->smp_tick)
		vm->smp_tick[idx] = TM_SMP(vm, idx);
	else
		vm->smp_tick32[idx] = (uint32_t)TM_SMP(vm, idx);
}

void tm_vm_smp_tick_use(struct tm_vm_rt *vm);

/* The counts' checks, once per run of records (vm_counts.c): before n
 * records of the trace (samples or accesses), fold the counts' halves and
 * widen the epoch's sample base where needed, and return how many of the
 * n (at least 1) may be taken before the next check; before n samples
 * drained from the sampler, the same for their increments. */
size_t tm_vm_counts_room(struct tm_vm_rt *vm, size_t n);
void tm_vm_counts_drain(struct tm_vm_rt *vm, size_t n);

/* Scratch of an epoch's scoring (vm->scratch, vm->xsel) and of its
 * identifiers' rankings (rank), lent to tm_vm_epoch by its caller: one per
 * thread of a host (host.c) rather than one per VM, 12 bytes a page of the
 * largest VM instead of of every VM; cnt also serves the sort of a
 * rebalance tick's curves. */
struct tm_vm_scratch {
	uint64_t *cnt;
	size_t cap;
	struct tm_truth_sel sel;
	struct tm_rank_scratch rank;
};

void tm_vm_scratch_free(struct tm_vm_scratch *sc);
/* sc's counts, room for vm's touched pages at least (grown to its array
 * capacity: epoch-level work). */
uint64_t *tm_vm_scratch_counts(struct tm_vm_scratch *sc,
			       const struct tm_vm_rt *vm);

/* Per-component seeds from (run seed, host, vm, component): splitmix64. */
uint64_t tm_seed_for(uint64_t seed, uint32_t host, uint32_t vm,
		     uint32_t component);

int tm_vm_init(struct tm_vm_rt *vm, const struct tm_config *cfg,
	       const struct tm_vm_config *vc, uint32_t host, uint32_t index,
	       struct tm_error *err);
void tm_vm_destroy(struct tm_vm_rt *vm);
/* A VM whose run has ended: free its trace, per-page state and identifiers,
 * keeping every figure the outputs read (counters, scores, stats; the
 * identifiers' memory and CPU and the truth's memory as they were), so
 * that a long run holds the per-page state of the hosts in progress only.
 * Only the outputs and tm_vm_destroy may follow. */
void tm_vm_release(struct tm_vm_rt *vm);
/* Consume records with time < until_ns.  -1 on a trace error. */
int tm_vm_advance(struct tm_vm_rt *vm, uint64_t until_ns, struct tm_error *err);
/* EPOCH: score identifiers against truth, plan migration; returns the
 * batch's done time, or 0 when nothing moves. */
uint64_t tm_vm_epoch(struct tm_vm_rt *vm, struct tm_vm_scratch *sc,
		     uint64_t now_ns, uint64_t epoch_ns, uint32_t epoch_no,
		     const char *host_name, struct tm_strbuf *rows);
void tm_vm_migration_done(struct tm_vm_rt *vm, uint64_t now_ns);
void tm_vm_snapshot(struct tm_vm_rt *vm, const struct tm_config *cfg,
		    uint64_t now_ns, const char *host_name, struct tm_strbuf *rows);
/* Plan a migration batch now (epoch or balloon); returns its done time, 0
 * if nothing moves. */
uint64_t tm_vm_plan_migration(struct tm_vm_rt *vm, uint64_t now_ns,
			      uint64_t epoch_ns);

/* Invariants of DESIGN.md §7: tiers within capacity, pages conserved. */
int tm_vm_check(const struct tm_vm_rt *vm);
size_t tm_vm_truth_memory_bytes(const struct tm_vm_rt *vm);
double tm_vm_sampling_cpu_ns(const struct tm_vm_rt *vm);
uint64_t tm_ident_cpu_ns(const struct tm_ident_rt *id, uint64_t nr_samples);
/* PML write logs (pml.c): allocate them for the VM's PML kinds; drain
 * vCPU cpu's log into every PML kind and clear its pages' dirty bytes
 * (full: the log filled up); drain every vCPU's. */
void tm_vm_pml_init(struct tm_vm_rt *vm);
void tm_vm_pml_drain(struct tm_vm_rt *vm, uint32_t cpu, uint64_t now_ns,
		     bool full);
void tm_vm_pml_drain_all(struct tm_vm_rt *vm, uint64_t now_ns);
/* The CPU of id's own scans and faults since the start (ops->cost). */
uint64_t tm_ident_own_cpu_ns(const struct tm_ident_rt *id);
/* Its memory_bytes() (at the end, once released). */
size_t tm_ident_memory_bytes(const struct tm_ident_rt *id);
/* What id's own scans, faults and write logs did (ops->cost; zero for a
 * kind without them), also once its VM is released. */
void tm_ident_cost_of(const struct tm_ident_rt *id, struct tm_ident_cost *c);

#endif
