/*
 * sampler.c - PEBS emulation (see sampler.h; DESIGN.md §6.1).
 *
 * The PMU model: a PEBS event counts qualifying retired instructions in a
 * counter preloaded with -period; on overflow the next qualifying one is
 * recorded and the counter is reloaded (Intel SDM vol. 3B, PEBS; Linux
 * perf sets the reload value to the sample period).  Demeter samples loads
 * and stores with separate events and periods, 4093 and 65535 by default
 * (reference/sdh-and-demeter.md §1).  Its records land in a per-CPU PEBS
 * buffer and are drained at context switch or buffer-full PMI, measured
 * every 1.9-2.6 ms (same reference), which the drain_ns tick stands for.
 *
 * Notes (simplifications):
 *  - Randomised reload (cfg.randomize) is an assumption, not what x86 PEBS
 *    does: each reload is uniform in [P - h, P + h] with h = floor(P / 2),
 *    so the mean period is exactly P; it breaks aliasing between a fixed
 *    period and strided loops.  AMD IBS randomises only the low 4 bits.
 *  - No skid: the sampled access is the one that overflowed the counter.
 *  - No latency/cache filter (the ldlat threshold): every access qualifies,
 *    because full traces carry no latency; sim/config/config.h has no key for it.
 *  - The ring is a bounded FIFO that drops new samples when full (the
 *    reference's ring overwrites; for counting drops the effect is alike).
 *  - Collection CPU cost is nr_samples × cost_ns_per_sample, a parameter:
 *    no per-sample cost is published (reference §1, "Costs").
 */
#include "sampler.h"

#include <assert.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "lib/alloc.h"

/* gsl_rng_uniform_int(mt19937, n) needs n <= 2^32: bounds the jitter. */
#define MAX_JITTER ((1ULL << 31) - 1)

enum { CNT_LOAD = 0, CNT_STORE = 1 };

struct sampler_cpu {
	uint64_t left[2];  /* accesses until the next load / store sample; 0: off */
	uint32_t head, nr; /* ring: oldest at head, nr queued */
};

struct tm_sampler {
	struct tm_sampler_config cfg;
	uint64_t period[2];
	uint32_t nr_cpus;
	struct sampler_cpu *cpus;
	struct tm_record *rings; /* nr_cpus × cfg.ring_entries */
	gsl_rng *rng;
	uint64_t next_drain_ns, last_drain_ns;
	uint32_t drain_cpu;      /* where an unfinished drain resumes */
	size_t nr_pending;
	struct tm_sampler_stats st;
};

static uint64_t reload(struct tm_sampler *s, uint64_t period)
{
	uint64_t h = period / 2;

	if (!s->cfg.randomize || !h)
		return period;
	if (h > MAX_JITTER)
		h = MAX_JITTER;
	return period - h + gsl_rng_uniform_int(s->rng, (unsigned long)(2 * h + 1));
}

struct tm_sampler *tm_sampler_new(const struct tm_sampler_config *cfg,
				  uint32_t nr_cpus, uint64_t seed)
{
	struct tm_sampler *s = tm_xcalloc(1, sizeof(*s));

	assert(nr_cpus > 0 && cfg->ring_entries > 0);
	s->cfg = *cfg;
	s->period[CNT_LOAD] = cfg->load_period;
	s->period[CNT_STORE] = cfg->store_period;
	s->nr_cpus = nr_cpus;
	s->cpus = tm_xcalloc(nr_cpus, sizeof(*s->cpus));
	s->rings = tm_xcalloc((size_t)nr_cpus * cfg->ring_entries, sizeof(*s->rings));
	s->rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!s->rng)
		abort(); /* GSL allocation failure is out of memory */
	gsl_rng_set(s->rng, (unsigned long)seed);
	for (uint32_t c = 0; c < nr_cpus; c++)
		for (int k = 0; k < 2; k++)
			s->cpus[c].left[k] = s->period[k] ? reload(s, s->period[k]) : 0;
	s->next_drain_ns = cfg->drain_ns;
	return s;
}

void tm_sampler_free(struct tm_sampler *s)
{
	if (!s)
		return;
	gsl_rng_free(s->rng);
	free(s->rings);
	free(s->cpus);
	free(s);
}

static inline uint32_t cpu_of(const struct tm_sampler *s, const struct tm_record *r)
{
	return r->cpu < s->nr_cpus ? r->cpu : r->cpu % s->nr_cpus;
}

/* One qualifying access on counter k: true when it overflows. */
static inline bool tick(struct tm_sampler *s, struct sampler_cpu *c, int k)
{
	if (!c->left[k] || --c->left[k])
		return false;
	c->left[k] = reload(s, s->period[k]);
	return true;
}

bool tm_sampler_take(struct tm_sampler *s, const struct tm_record *r)
{
	struct sampler_cpu *c = &s->cpus[cpu_of(s, r)];
	bool hit = false;

	s->st.nr_accesses++;
	if (r->op != TM_OP_STORE)
		hit |= tick(s, c, CNT_LOAD);
	if (r->op != TM_OP_LOAD)
		hit |= tick(s, c, CNT_STORE);
	s->st.nr_samples += hit;
	return hit;
}

size_t tm_sampler_push(struct tm_sampler *s, const struct tm_record *r)
{
	uint32_t cpu = cpu_of(s, r), slot;
	struct sampler_cpu *c = &s->cpus[cpu];

	if (!tm_sampler_take(s, r))
		return 0;
	if (c->nr == s->cfg.ring_entries) {
		s->st.nr_dropped++;
		return 0;
	}
	slot = c->head + c->nr;
	if (slot >= s->cfg.ring_entries)
		slot -= s->cfg.ring_entries;
	s->rings[(size_t)cpu * s->cfg.ring_entries + slot] = *r;
	c->nr++;
	s->nr_pending++;
	return 1;
}

static void drain_done(struct tm_sampler *s, uint64_t now_ns)
{
	s->drain_cpu = 0;
	/* Several calls at one time (a caller's buffer filled) are one drain. */
	if (!s->st.nr_drains || now_ns != s->last_drain_ns)
		s->st.nr_drains++;
	s->last_drain_ns = now_ns;
	if (s->cfg.drain_ns)
		s->next_drain_ns = (now_ns / s->cfg.drain_ns + 1) * s->cfg.drain_ns;
	else
		s->next_drain_ns = now_ns;
}

size_t tm_sampler_drain(struct tm_sampler *s, uint64_t now_ns,
			struct tm_record *out, size_t cap)
{
	size_t n = 0;

	while (s->drain_cpu < s->nr_cpus) {
		struct sampler_cpu *c = &s->cpus[s->drain_cpu];
		const struct tm_record *ring =
			s->rings + (size_t)s->drain_cpu * s->cfg.ring_entries;

		if (!c->nr) {
			s->drain_cpu++;
			continue;
		}
		if (n == cap)
			return n;
		out[n++] = ring[c->head];
		c->head = c->head + 1 == s->cfg.ring_entries ? 0 : c->head + 1;
		c->nr--;
		s->nr_pending--;
	}
	drain_done(s, now_ns);
	return n;
}

uint64_t tm_sampler_next_drain_ns(const struct tm_sampler *s)
{
	return s->next_drain_ns;
}

size_t tm_sampler_pending(const struct tm_sampler *s)
{
	return s->nr_pending;
}

void tm_sampler_get_stats(const struct tm_sampler *s, struct tm_sampler_stats *out)
{
	*out = s->st;
	out->cpu_ns = (double)s->st.nr_samples * s->cfg.cost_ns_per_sample;
}
