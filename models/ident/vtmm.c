/*
 * vtmm.c - vTMM (Sha, Li, Luo, Wang, Wang: "vTMM: Tiered Memory Management
 * for Virtual Machines", EuroSys'23; DESIGN.md §13; reference/
 * identifiers.md §3 "vTMM"; docs/identifiers.md).
 *
 * What the paper states (its abstract; no public code): the hypervisor
 * tracks a VM's memory accesses with page-modification logging (PML) and
 * a multi-level queue design, quantifies each page's "temperature",
 * classifies pages with a bucket sort, and migrates them through the
 * two-dimensional (EPT) page tables.  It needs EPT and PML, so it runs in
 * the host only: the engine refuses it on a VM whose migration.where is not
 * host (TM_IDENT_HOST).
 *
 * Rules as tmsim models them (each beyond the abstract is an assumption,
 * listed in docs/identifiers.md):
 * - Writes: the engine's PML log (identifier.h "Write logging": 512
 *   entries per vCPU, drained when full and before each round) marks the
 *   pages written since the last round.
 * - Reads: every scan_period (100 ms) a tracking round reads and clears
 *   the EPT accessed bits of the pages whose queue is due.
 * - Multi-level queues: nr_levels queues, 0 the hottest; queue q is due
 *   every 2^q rounds (hot pages are checked each round, cold ones less
 *   often: the saving the queues buy).  A due page that was accessed
 *   (accessed bit or a PML entry) moves one queue hotter, an idle due page
 *   one queue colder; a page not due but written moves one queue hotter
 *   (PML sees it without a scan).  A new page starts in the coldest queue.
 * - Temperature = nr_levels - 1 - queue.  Classification: a bucket sort by
 *   temperature, hottest first (within a bucket, first-touch order); the
 *   engine fills FMEM from the top (`migrate`: promote into free FMEM,
 *   demote the coldest non-hot page per further promotion).
 *
 * Notes: the do-not-disturb windows the paper is said to use, its
 * temperature formula and its migration batching are not public; a drain
 * (periodic or full) is charged as one VM exit; EPT invalidations of the
 * host-mode migrations are the migration engine's (docs/metrics.md).
 */
#include "vtmm.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

struct tm_vtmm {
	struct tm_vtmm_config c;
	uint32_t nr, cap;            /* dense indexes [0, nr) */
	uint8_t *queue;              /* 0 hottest .. nr_levels - 1 */
	uint8_t *written;            /* logged by PML since the last round */
	uint64_t round;              /* rounds done */
	uint32_t nr_bucket[TM_VTMM_MAX_LEVELS];
	struct tm_vtmm_stats st;
};

static void grow(struct tm_vtmm *v, uint32_t nr)
{
	uint32_t cap = v->cap ? v->cap : 1024;

	while (cap < nr)
		cap *= 2;
	if (cap == v->cap)
		return;
	v->queue = tm_xrealloc(v->queue, cap);
	v->written = tm_xrealloc(v->written, cap);
	v->cap = cap;
}

/* Take in the pages touched since the last round: the coldest queue. */
static void sync_pages(struct tm_vtmm *v, uint32_t nr)
{
	uint8_t cold = (uint8_t)(v->c.nr_levels - 1);

	if (nr <= v->nr)
		return;
	grow(v, nr);
	memset(v->queue + v->nr, cold, nr - v->nr);
	memset(v->written + v->nr, 0, nr - v->nr);
	v->st.nr_queue[cold] += nr - v->nr;
	v->nr = nr;
}

static void requeue(struct tm_vtmm *v, uint32_t idx, int step)
{
	unsigned q = v->queue[idx];
	unsigned to = step < 0 ? (q ? q - 1 : 0) :
		      (q + 1 < v->c.nr_levels ? q + 1 : q);

	v->st.nr_queue[q]--;
	v->st.nr_queue[to]++;
	v->queue[idx] = (uint8_t)to;
}

/* One PML drain: mark its pages written (pages touched after the last
 * round are taken in first). */
static void vtmm_pml(void *st, const struct tm_pml *log)
{
	struct tm_vtmm *v = st;

	for (uint32_t i = 0; i < log->nr; i++) {
		uint32_t idx = log->idx[i];

		if (idx >= v->nr)
			sync_pages(v, idx + 1);
		v->written[idx] = 1;
	}
	v->st.nr_pml += log->nr;
	v->st.nr_pml_drains += log->nr > 0;
	v->st.nr_pml_full += log->full;
}

/* A tracking round: the engine has drained the PML logs just before. */
static uint64_t vtmm_scan(void *st, struct tm_scan *sc)
{
	struct tm_vtmm *v = st;

	if (sc->now_ns == 0)
		return v->c.scan_period_ns;
	sync_pages(v, sc->nr_pages);
	for (uint32_t i = 0; i < v->nr; i++) {
		unsigned q = v->queue[i];
		bool due = (v->round & ((UINT64_C(1) << q) - 1)) == 0;
		bool hit = v->written[i] != 0;

		if (due) {
			hit |= tm_scan_test_clear(sc, i);
			v->st.nr_ptes++;
			requeue(v, i, hit ? -1 : +1);
		} else if (hit) {
			requeue(v, i, -1);
		}
		v->written[i] = 0;
	}
	v->round++;
	v->st.nr_rounds++;
	return sc->now_ns + v->c.scan_period_ns;
}

static void vtmm_fault(void *st, const struct tm_fault *f)
{
	(void)st;
	(void)f;   /* it unmaps nothing */
}

/* Bucket sort by temperature, hottest first, into r->hot. */
static void vtmm_rank(void *st, struct tm_rank *r)
{
	struct tm_vtmm *v = st;
	uint64_t pos[TM_VTMM_MAX_LEVELS], at = 0;

	r->nr_hot = r->nr_pairs = r->nr_regions = 0;
	for (unsigned q = 0; q < v->c.nr_levels; q++) {
		pos[q] = at;
		at += v->st.nr_queue[q];
	}
	for (uint32_t i = 0; i < v->nr; i++) {
		uint64_t p = pos[v->queue[i]]++;

		if (p < r->cap)
			r->hot[p] = i;
	}
	r->nr_hot = at < r->cap ? at : r->cap;
}

static void vtmm_update(void *st, struct tm_sample s)
{
	(void)st;
	(void)s;
}

static void vtmm_epoch_end(void *st)
{
	(void)st;
}

/* Temperature + 1 (0: not known yet). */
static uint64_t vtmm_estimate(const void *st, uint32_t idx, uint64_t page)
{
	const struct tm_vtmm *v = st;

	(void)page;
	return idx < v->nr ? v->c.nr_levels - v->queue[idx] : 0;
}

static size_t vtmm_memory_bytes(const void *st)
{
	const struct tm_vtmm *v = st;

	return sizeof(*v) + (size_t)v->cap * 2;
}

static void vtmm_cost(const void *st, struct tm_ident_cost *out)
{
	const struct tm_vtmm *v = st;

	out->nr_ptes = v->st.nr_ptes;
	out->scan_ns = (double)v->st.nr_ptes * v->c.cost_ns_per_pte;
	out->nr_pml = v->st.nr_pml;
	out->nr_pml_full = v->st.nr_pml_full;
	out->pml_ns = (double)v->st.nr_pml * v->c.cost_ns_per_pml +
		      (double)v->st.nr_pml_drains * v->c.cost_ns_per_pml_exit;
}

static void vtmm_free(void *st)
{
	struct tm_vtmm *v = st;

	if (!v)
		return;
	free(v->queue);
	free(v->written);
	free(v);
}

static void *vtmm_new(const struct tm_ident_params *p)
{
	const struct tm_vtmm_config *c = p->own;
	struct tm_vtmm *v = tm_xcalloc(1, sizeof(*v));

	assert(c->nr_levels >= 1 && c->nr_levels <= TM_VTMM_MAX_LEVELS);
	v->c = *c;
	grow(v, 1024);
	return v;
}

void tm_vtmm_get_stats(const void *st, struct tm_vtmm_stats *out)
{
	*out = ((const struct tm_vtmm *)st)->st;
}

unsigned tm_vtmm_queue(const void *st, uint32_t idx)
{
	const struct tm_vtmm *v = st;

	assert(idx < v->nr);
	return v->queue[idx];
}

typedef struct tm_vtmm_config VTMM;

/* The paper publishes no parameter: every default is an assumption. */
static const struct tm_cfg_key vtmm_keys[] = {
	TM_SCAN_APPROX_KEY(VTMM),
	TM_CFG_KEY("scan_period", TM_CFG_TIME, 1000, 1e12, "100ms", NULL, 0,
		   TM_CFG_F_U64, VTMM, scan_period_ns,
		   "one tracking round (PML drain, accessed-bit scan) per "
		   "this (assumption)"),
	TM_CFG_KEY("levels", TM_CFG_U64, 1, TM_VTMM_MAX_LEVELS, "4", NULL, 0,
		   TM_CFG_F_U32, VTMM, nr_levels,
		   "queues; queue q is scanned every 2^q rounds (assumption)"),
	/* a host EPT walk reads an entry in a few ns (tpp's PTE figure);
	 * a PML entry is one GPA read and a queue update; a drain is a VM
	 * exit round trip, about 1-2 us on current x86 (assumption) */
	TM_CFG_KEY("cost_per_pte", TM_CFG_TIME, 0, 1e6, "10ns", NULL, 0,
		   TM_CFG_F_DBL, VTMM, cost_ns_per_pte,
		   "modelled CPU per EPT entry a round reads (assumption)"),
	TM_CFG_KEY("cost_per_pml", TM_CFG_TIME, 0, 1e6, "20ns", NULL, 0,
		   TM_CFG_F_DBL, VTMM, cost_ns_per_pml,
		   "modelled CPU per PML entry consumed (assumption)"),
	TM_CFG_KEY("cost_per_pml_exit", TM_CFG_TIME, 0, 1e9, "2us", NULL, 0,
		   TM_CFG_F_DBL, VTMM, cost_ns_per_pml_exit,
		   "modelled CPU per PML drain, one VM exit (assumption)"),
};

const struct tm_identifier_ops tm_vtmm_ops = {
	.kind = {
		.name = "vtmm",
		.help = "vTMM (EuroSys'23): PML write logging and EPT "
			"accessed bits, multi-level queues, bucket sort; "
			"full traces, host mode only",
		.keys = vtmm_keys,
		.nr_keys = sizeof(vtmm_keys) / sizeof(vtmm_keys[0]),
		.config_size = sizeof(struct tm_vtmm_config),
		.flags = TM_IDENT_SCAN | TM_IDENT_PML | TM_IDENT_HOST,
	},
	/* it takes no samples: its CPU is per EPT entry and PML entry */
	.cost_ns = 0,
	.new = vtmm_new,
	.update = vtmm_update,
	.scan = vtmm_scan,
	.fault = vtmm_fault,
	.pml = vtmm_pml,
	.rank = vtmm_rank,
	.epoch_end = vtmm_epoch_end,
	.estimate = vtmm_estimate,
	.memory_bytes = vtmm_memory_bytes,
	.cost = vtmm_cost,
	.free = vtmm_free,
};
