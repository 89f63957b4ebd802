/*
 * identifier.h - the hotness-identifier interface v2 (DESIGN.md §6.2).
 *
 * An identifier consumes samples and, once per epoch, ranks pages or
 * regions.  Each backend is one file and one row of the table in
 * identifier.c (STYLE.md habit 3): an ops table that begins with its kind
 * (lib/cfg.h: name, one-line help, its own config schema, flags).  The
 * config loader validates a kind's keys from its schema and fills the
 * kind's own config struct; the engine never compares a kind's name.
 *
 * Keys: sample-driven identifiers may key their state by the dense page
 * index (first-touch order, a bijection of the VM's page numbers, so
 * hashing behaves the same) or by the page number or address; rank(),
 * estimate() and moved() name pages by dense index, or rank() returns
 * regions of page numbers that the engine maps to pages.
 *
 * Per-sample update() allocates nothing and takes no lock.
 */
#ifndef TM_IDENTIFIER_H
#define TM_IDENTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "traces/record.h"

/* Tier of a page as the identifier is told it (two-heap mode needs it). */
enum tm_tier { TM_TIER_NONE = 0, TM_TIER_FMEM = 1, TM_TIER_SMEM = 2 };

/* Keys every identifier takes (the kind's own follow its schema). */
struct tm_ident_config {
	char kind[16];            /* the kind's name */
	const struct tm_identifier_ops *ops;
	bool weighted;            /* increment by load/store weight, else by 1 */
	uint32_t load_weight, store_weight; /* S3 used 3 and 1 */
	double cost_ns_per_update; /* classification CPU per sample: the
				    * config's, else the kind's cost_ns */
	struct tm_kind_config own; /* the kind's own config struct */
};

/* One sample as the engine hands it to an identifier: the PEBS record
 * (byte address, time, cpu, op, latency weight) and what the engine knows
 * of it.  16 bytes, passed by value: on x86-64 it travels in two
 * registers and is never stored (callgrind, 4 M-sample Zipf replay, 1 VM,
 * sdh + truth + exchange: 3.201 G instructions, where a 40-byte struct
 * passed by pointer took 3.238 G and copying the record's fields 3.281 G).
 * The page number in the trace's address space is tm_sample_page(s,
 * page_shift), page_shift from the identifier's params. */
struct tm_sample {
	const struct tm_record *rec; /* addr, time_ns, cpu, op (enum tm_op) */
	uint32_t idx;       /* dense page index (first-touch order) */
	uint16_t weight;    /* this identifier's increment for the op (its
			     * own load/store weight, or 1 if unweighted);
			     * 0: the sample does not count */
	uint8_t tier;       /* enum tm_tier: where the page lives now */
	uint8_t unused;
};

static inline uint64_t tm_sample_page(struct tm_sample s, uint32_t page_shift)
{
	return s.rec->addr >> page_shift;
}

/* A ranked region: pages [start, end) of the trace's page numbers. */
struct tm_region {
	uint64_t start, end;
	uint64_t score;     /* higher is hotter (for reports) */
};

struct tm_rank {
	uint64_t *hot;         /* dense indexes, hottest first; cap entries */
	size_t cap;
	size_t nr_hot;
	/* TM_IDENT_REGIONS kinds fill regions instead of hot, hottest first
	 * (non-overlapping); the engine turns them into hot pages. */
	struct tm_region *regions;
	size_t cap_regions, nr_regions;
	/* TM_IDENT_PAIRS kinds: exchange candidates promote[i] <-> demote[i]
	 * (dense indexes).  NULL when the engine will not plan with pairs this
	 * epoch: a kind may change its own state for the pairs it hands out
	 * (SDH's two heaps swap them), so it hands none out then. */
	uint64_t *promote;
	uint64_t *demote;
	size_t nr_pairs;
	/* TM_IDENT_COLD kinds: pages to demote now in `migrate` mode, coldest
	 * first (dense indexes, cap entries); the engine demotes those still
	 * in FMEM and not on the hot list, within the epoch's limits. */
	uint64_t *cold;
	size_t nr_cold;
	/* Set by the engine before rank(): the VM's FMEM capacity and its
	 * resident pages (watermark rules). */
	uint64_t nr_fmem_cap_pages, nr_fmem_pages;
	/* Scratch lent to rank(), sz_scratch bytes: at least what the kind's
	 * rank_scratch() asked for (tm_ident_rank), else NULL.  Its contents
	 * need not survive the call. */
	void *scratch;
	size_t sz_scratch;
};

/* The memory tm_ident_rank lends: the engine keeps one per thread of a
 * host (sim/engine/vm.h, struct tm_vm_scratch), so that a kind's ranking
 * scratch is not every identifier's, alive all run. */
struct tm_rank_scratch {
	void *mem;
	size_t sz;
};

struct tm_ident_params {
	const struct tm_ident_config *cfg;
	const void *own;         /* the kind's own config struct (cfg->own) */
	uint64_t nr_fmem_pages;  /* the VM's FMEM capacity, for K defaults */
	uint64_t seed;           /* per (run, host, vm, identifier) */
	uint32_t page_shift;     /* page = addr >> page_shift */
};

/* Flags of a kind (struct tm_kind.flags). */
#define TM_IDENT_SAMPLES 0x1u  /* sample-driven (every kind so far) */
#define TM_IDENT_REGIONS 0x2u  /* rank() returns regions */
#define TM_IDENT_PAIRS 0x4u    /* rank() can return exchange pairs */
#define TM_IDENT_TIER 0x8u     /* update() reads the sample's tier */
#define TM_IDENT_COUNTS 0x10u  /* estimate() counts the page's samples in
				* the identifier's weights, so ARE/AAE
				* against sample counts mean something (a
				* rate, a score or an order does not) */
#define TM_IDENT_SCAN 0x20u    /* scan-driven: scan() at the times it asks,
				* reading the pages' accessed bits; needs a
				* full trace (below) */
#define TM_IDENT_FAULTS 0x40u  /* fault() on hint faults of pages its
				* scans unmapped (with TM_IDENT_SCAN) */
#define TM_IDENT_COLD 0x80u    /* rank() may fill cold: pages to demote
				* now, without a promotion needing room */
#define TM_IDENT_PML 0x100u    /* pml() on drains of the VM's write log
				* (with TM_IDENT_SCAN; below) */
#define TM_IDENT_HOST 0x200u   /* runs in the hypervisor (needs EPT): only
				* on a VM whose migration.where is host */

/*
 * Scan and fault events (DESIGN.md §6.2).  On a full trace the engine marks
 * every access of the VM (before the PEBS sampler thins it) in one 16-bit
 * word per dense page index: bit k is the accessed bit of the VM's k-th
 * scan-driven identifier, bit 8 + k its "unmapped" bit.  scan() reads and
 * clears its own accessed bits, as the kernel's page-table walk reads and
 * clears the PTE's Accessed bit (mkold), and may unmap pages; the next
 * access to an unmapped page clears the bit and raises one fault() carrying
 * the access's time.  Events reach a kind in time order: samples at their
 * drain, scans at their time (after every access before it), faults at
 * their access; at equal times a drain comes before a scan.  Nothing is
 * allocated per access.  The words exist only on a VM with a scan-driven
 * identifier, so the others pay nothing.
 *
 * On a samples trace a scan-driven kind is refused (config error) unless
 * its config says `approximate: sampled`: then each sample marks its page
 * accessed, and raises the fault of an unmapped page, as one access would.
 */
#define TM_SCAN_MAX 8   /* scan-driven identifiers per VM (bits per word) */

/* How a scan-driven kind runs on a samples trace: its config struct's
 * first member (the `approximate` key, TM_SCAN_APPROX_KEY). */
enum tm_scan_approx { TM_SCAN_EXACT = 0, TM_SCAN_SAMPLED };

/* The `approximate` key of a scan-driven kind's schema (TYPE's first
 * member is `enum tm_scan_approx approximate`). */
#define TM_SCAN_APPROX_KEY(TYPE) \
	TM_CFG_KEY("approximate", TM_CFG_ENUM, 0, 0, "none", "none|sampled", \
		   0, TM_CFG_F_INT, TYPE, approximate, \
		   "on a samples trace: refuse (none), or count each sampled " \
		   "page as accessed (sampled; docs/identifiers.md)")

struct tm_scan {
	uint64_t now_ns;
	uint32_t nr_pages;          /* dense indexes [0, nr_pages) touched */
	/* page number of each dense index (tm_scan_page): page[i], or
	 * without page, page_base + page32[i] */
	const uint64_t *page;
	const uint32_t *page32;
	uint64_t page_base;
	const uint8_t *tier;        /* enum tm_tier of each */
	uint64_t nr_fmem_cap_pages; /* the VM's FMEM capacity now */
	uint64_t nr_fmem_pages;     /* FMEM resident, and promotions in flight */
	uint16_t *bits;             /* the engine's per-page words (above) */
	uint16_t abit, ubit;        /* this kind's accessed and unmapped bit */
	/* dense index of page number `page`, or UINT32_MAX if untouched */
	uint32_t (*find)(const void *ctx, uint64_t page);
	const void *find_ctx;
};

static inline uint64_t tm_scan_page(const struct tm_scan *sc, uint32_t i)
{
	return sc->page ? sc->page[i] : sc->page_base + sc->page32[i];
}

/* One hint fault: the first access to a page after a scan unmapped it. */
struct tm_fault {
	uint64_t time_ns;           /* the access's time */
	uint64_t page;              /* its page number */
	uint32_t idx;               /* its dense index */
	uint8_t tier;               /* enum tm_tier of the page now */
	uint64_t nr_fmem_free_pages; /* free FMEM capacity now */
	uint64_t nr_fmem_cap_pages;  /* the VM's FMEM capacity now */
};

/*
 * Write logging (Intel PML, page-modification logging), for TM_IDENT_PML
 * kinds: when a store first dirties a page (its EPT dirty bit goes 0 -> 1)
 * the page is appended to its vCPU's log of TM_PML_ENTRIES entries; a full
 * log is drained at once (the PML-full VM exit), and every log is drained
 * before the scan of a PML kind (the hypervisor's periodic drain).  A drain
 * hands the entries to every PML kind, then clears their dirty bits, so a
 * page is logged again at its next store.  Like the scan words, the log
 * exists only on a VM with a PML kind; the others pay nothing.  On an
 * approximated samples trace a sampled store dirties its page.
 */
#define TM_PML_ENTRIES 512   /* the PML buffer: one 4 KiB page of GPAs
			      * (Intel SDM vol. 3C, 29.3.6) */

struct tm_pml {
	uint64_t time_ns;           /* the drain's time */
	const uint32_t *idx;        /* dense indexes, in log order */
	uint32_t nr;
	uint32_t cpu;               /* the vCPU whose log this is */
	bool full;                  /* drained because full (a VM exit) */
};

/* What a kind's own collection did since the start, and its modelled CPU
 * (DESIGN.md §6.2; docs/identifiers.md "Collection cost"). */
struct tm_ident_cost {
	uint64_t nr_ptes;           /* page-table entries read or rewritten */
	uint64_t nr_faults;         /* hint faults taken */
	uint64_t nr_pml;            /* PML entries consumed */
	uint64_t nr_pml_full;       /* PML-full exits among its drains */
	double scan_ns, fault_ns, pml_ns;
};

/* Test and clear the accessed bit of page idx (the kernel's
 * young-test + mkold). */
static inline bool tm_scan_test_clear(struct tm_scan *s, uint32_t idx)
{
	bool young = (s->bits[idx] & s->abit) != 0;

	s->bits[idx] &= (uint16_t)~s->abit;
	return young;
}

/* The first page at or after idx accessed since this kind last cleared it,
 * its bit cleared; s->nr_pages if none.  Skips four clear words per load:
 * a scan of an idle 1 GiB footprint reads 512 KiB. */
uint32_t tm_scan_next_accessed(struct tm_scan *s, uint32_t idx);

/* Unmap page idx: its next access raises one fault(). */
static inline void tm_scan_unmap(struct tm_scan *s, uint32_t idx)
{
	s->bits[idx] |= s->ubit;
}

static inline bool tm_scan_unmapped(const struct tm_scan *s, uint32_t idx)
{
	return (s->bits[idx] & s->ubit) != 0;
}

struct tm_identifier_ops {
	struct tm_kind kind;
	/* Modelled classification CPU per sample (ns): cost_per_update's
	 * default for this kind; its source is in the kind's doc. */
	double cost_ns;
	void *(*new)(const struct tm_ident_params *p);
	void (*update)(void *st, struct tm_sample s);
	/* TM_IDENT_SCAN: a scan at sc->now_ns; returns the time of the next
	 * one (> now).  The engine calls it first at time 0, before any
	 * access. */
	uint64_t (*scan)(void *st, struct tm_scan *sc);
	/* TM_IDENT_FAULTS: a hint fault on a page this kind unmapped. */
	void (*fault)(void *st, const struct tm_fault *f);
	/* TM_IDENT_PML: one drained write log. */
	void (*pml)(void *st, const struct tm_pml *log);
	/* Optional: start loading what update() will touch for page idx; the
	 * engine calls it a few samples ahead (the replay's lookahead).  Must
	 * change nothing observable.  May be NULL. */
	void (*prefetch)(const void *st, uint32_t idx);
	/* Fill r (file header).  Does not change counts, so estimate()
	 * afterwards still sees this epoch. */
	void (*rank)(void *st, struct tm_rank *r);
	/* Optional: the bytes of scratch the next rank() needs, lent in
	 * r->scratch (tm_ident_rank).  NULL: none. */
	size_t (*rank_scratch)(const void *st);
	/* End of an epoch: apply the window rule (reset or decay). */
	void (*epoch_end)(void *st);
	/* The current estimate of page idx's count (0 if unknown). */
	uint64_t (*estimate)(const void *st, uint32_t idx, uint64_t page);
	/* Whether estimate() counts since the start of the run (true) or
	 * since the last epoch_end (false); NULL means since the start. */
	bool (*cumulative)(const void *st);
	/* A page changed tier (migration done); may be NULL. */
	void (*moved)(void *st, uint32_t idx, uint64_t page, enum tm_tier tier);
	size_t (*memory_bytes)(const void *st);
	/* Optional: what the kind's own scans, hint faults and write logs
	 * did since the start and their modelled CPU (out is zeroed first);
	 * added to its samples x cost_per_update.  NULL: none. */
	void (*cost)(const void *st, struct tm_ident_cost *out);
	/* Optional: how many of the pages hot[0, nr) (dense indexes: the
	 * pages a rank() reported) hold a count the identifier can raise no
	 * further, its counter saturated (epochs.csv `saturated`).  NULL: the
	 * kind's counts do not saturate, and the column stays empty. */
	size_t (*saturated)(const void *st, const uint64_t *hot, size_t nr);
	void (*free)(void *st);
};

/* The modelled CPU of a kind's own collection since the start (ns). */
static inline uint64_t tm_ident_cost_ns(const struct tm_identifier_ops *ops,
					const void *st)
{
	struct tm_ident_cost c = { 0 };

	if (ops->cost)
		ops->cost(st, &c);
	return (uint64_t)(c.scan_ns + c.fault_ns + c.pml_ns);
}

/* The identifier family (identifier.c) and the keys every kind takes
 * (rows with bare keys into struct tm_ident_config). */
extern struct tm_kinds tm_identifier_kinds;
extern const struct tm_cfg_key tm_ident_common_keys[];
extern const size_t tm_ident_nr_common_keys;

/* The backend of a kind name; NULL if unknown. */
const struct tm_identifier_ops *tm_identifier_find(const char *kind);
/* Register a backend before any run (a test's toy identifier). */
int tm_identifier_register(const struct tm_identifier_ops *ops,
			   struct tm_error *e);
/* Fill c with kind's defaults (common keys and the kind's schema); -1 if
 * the kind is unknown. */
int tm_ident_config_default(struct tm_ident_config *c, const char *kind);

/* rank() with the scratch the kind asks for, lent from sc (grown to it:
 * epoch-level work). */
void tm_ident_rank(const struct tm_identifier_ops *ops, void *st,
		   struct tm_rank *r, struct tm_rank_scratch *sc);
void tm_rank_scratch_free(struct tm_rank_scratch *sc);

/* One sample with only a key, weight and tier (tests and benchmarks). */
static inline void tm_ident_feed(const struct tm_identifier_ops *ops,
				 void *st, uint32_t idx, uint32_t weight,
				 enum tm_tier tier)
{
	static const struct tm_record none;
	struct tm_sample s = { .rec = &none, .idx = idx,
			       .weight = (uint16_t)weight, .tier = (uint8_t)tier };

	ops->update(st, s);
}

#endif
