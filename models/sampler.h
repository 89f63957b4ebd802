/*
 * sampler.h - PEBS emulation: turns a full access stream into the samples a
 * PMU would deliver (DESIGN.md §6.1; collection facts in
 * reference/sdh-and-demeter.md §1).
 *
 * Two layers:
 *   take()   the PMU counter: per CPU, a load counter and a store counter
 *            count qualifying accesses down from their period; an access
 *            that brings one to zero is sampled and the counter reloads
 *            (with the same period, or a randomised one).
 *   push() / drain()   the delivery path: a taken sample goes into its CPU's
 *            bounded ring (ring_entries); a full ring drops it (counted);
 *            every drain_ns the caller drains all rings, CPU 0 first, each
 *            oldest first, into its own buffer.
 * Which op counts where: a load ticks the load counter, a store the store
 * counter, a MODIFY (lackey 'M', one read-modify-write instruction) ticks
 * both and is sampled once if either fires.  A period of 0 disables that
 * counter (store_period 0: no store samples; a MODIFY then ticks only the
 * load counter).
 *
 * A trace that already holds samples needs no emulation (pass-through); a
 * caller that still wants the ring and drain model for it can use periods
 * of 1.  Everything is allocated by _new; take/push/drain allocate nothing,
 * take no lock and are O(1) per record (drain O(samples delivered + CPUs)).
 */
#ifndef TM_SAMPLER_H
#define TM_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Configuration (validated by sim/config, trusted here). */
struct tm_sampler_config {
	uint64_t load_period;      /* 4093 (Demeter, reference §1) */
	uint64_t store_period;     /* 65535; 0 disables store sampling */
	bool randomize;            /* randomise the reload value, as the PMU may */
	uint64_t drain_ns;         /* 2 ms */
	uint32_t ring_entries;     /* per-CPU ring; 1 MiB / 48 B records */
	double cost_ns_per_sample; /* assumption, see docs/metrics.md */
};
#include "traces/record.h"

struct tm_sampler;

struct tm_sampler_stats {
	uint64_t nr_accesses; /* records offered to take() or push() */
	uint64_t nr_samples;  /* samples taken, including those dropped later */
	uint64_t nr_dropped;  /* taken, then dropped: the CPU's ring was full */
	uint64_t nr_drains;   /* completed drains, at distinct times */
	double cpu_ns;        /* nr_samples × cost_ns_per_sample (an assumption) */
};

/* cfg is copied.  Records whose cpu >= nr_cpus are folded onto
 * cpu % nr_cpus (a trace with more CPUs than the VM has vCPUs). */
struct tm_sampler *tm_sampler_new(const struct tm_sampler_config *cfg,
				  uint32_t nr_cpus, uint64_t seed);
/* NULL is a no-op. */
void tm_sampler_free(struct tm_sampler *s);

/* Count one access; true if it is sampled. */
bool tm_sampler_take(struct tm_sampler *s, const struct tm_record *r);

/* take(), then queue the sample in its CPU's ring.  Returns 1 if queued, 0
 * if not sampled or dropped (ring full). */
size_t tm_sampler_push(struct tm_sampler *s, const struct tm_record *r);

/* Move up to cap queued samples into out, CPU by CPU in CPU order, each
 * ring oldest first, and return how many.  A drain empties the rings
 * whatever now_ns is (call it when now_ns >= tm_sampler_next_drain_ns(),
 * and once at the end of the stream); when fewer than cap come back the
 * rings are empty, the drain is complete and the next one is scheduled at
 * the first multiple of drain_ns after now_ns.  A drain that fills out
 * exactly resumes where it stopped at the next call. */
size_t tm_sampler_drain(struct tm_sampler *s, uint64_t now_ns,
			struct tm_record *out, size_t cap);

/* When the next drain is due (drain_ns at first; 0 with drain_ns 0: always). */
uint64_t tm_sampler_next_drain_ns(const struct tm_sampler *s);

/* Samples waiting in the rings. */
size_t tm_sampler_pending(const struct tm_sampler *s);

void tm_sampler_get_stats(const struct tm_sampler *s, struct tm_sampler_stats *out);

#endif
