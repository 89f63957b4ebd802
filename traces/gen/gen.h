/*
 * gen.h - synthetic access generators (DESIGN.md §5, §12): one file per
 * generator (uniform.c, zipf.c, hotset.c, scan.c), phases and mixtures of
 * them, and the stream that draws records from a spec.
 *
 * A generator is a backend kind (lib/cfg.h): a name, a one-line help, its
 * own config schema (the keys only that generator takes, with units,
 * bounds, defaults and a doc line) and the operations of struct
 * tm_generator_ops.  The built-in generators and any registered at start-up
 * (tm_generator_register: a test registers a toy generator from its own
 * file) form the family tm_generator_kinds; `tmsim gen`, the config loader
 * and the docs take every generator name and key from it.
 *
 * A spec is plain data (filled by the config loader or `tmsim gen`); a
 * generator stream built from a spec and a seed yields the same records for
 * the same inputs.  Generators know their exact distribution
 * (tm_gen_page_prob, each generator's page_prob) so ground truth for them
 * can be exact.
 *
 * Addresses: a part covers [base, base + footprint) of the VM's address space.
 */
#ifndef TM_GEN_H
#define TM_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "lib/error.h"
#include "traces/record.h"
#include "traces/stream.h"

#define TM_GEN_MAX_PARTS 8
#define TM_GEN_MAX_PHASES 16
#define TM_GEN_MAX_MOVES 16
/* Bytes of a generator's config struct and of a part's stream state, held
 * inline so a spec copies as plain data and a stream allocates once. */
#define TM_GEN_CONFIG_MAX 320
#define TM_GEN_STATE_MAX 192

/* Kind flag: draw returns a byte offset into the footprint (scan); without
 * it draw returns a page index and the stream adds a random 64-byte
 * aligned offset inside that page. */
#define TM_GEN_EXACT_ADDR 0x1u

/* Bounds of a generated stream, shared by `tmsim gen` and the config
 * (assumptions: far above any real PEBS or access rate, and a record count
 * that stays exact in a double). */
#define TM_GEN_RATE_MAX 1e12        /* records per second */
#define TM_GEN_RECORDS_MAX 9e15

struct tm_generator_ops;
struct tm_gen_rng;              /* the stream's RNG (opaque) */
struct json_t;

/* One entry of hotset's moves (a generator's list key, see tm_gen_list). */
struct tm_gen_move {
	uint64_t at_ns;        /* time of the move, from the stream start */
	uint64_t sz_offset;    /* new start of the hot set inside the footprint */
};

/* One distribution over one address range. */
struct tm_gen_part {
	const struct tm_generator_ops *gen;
	double weight;         /* share of accesses in a mixture (normalised) */
	uint64_t base;         /* first byte address of the footprint */
	uint64_t sz_footprint; /* bytes */
	uint64_t seed;         /* the part's own seed, from the run seed, phase
				* and part (zipf: its rank permutation) */
	/* the generator's config struct, laid out by its schema's offsets */
	_Alignas(16) unsigned char cfg[TM_GEN_CONFIG_MAX];
};

/* Pages [page, page + n) of a part, each visited `visits` times. */
struct tm_gen_run {
	uint64_t page, n;
	double visits;
};

/* Parts active from start_ns until the next phase's start_ns. */
struct tm_gen_phase {
	uint64_t start_ns;
	uint32_t nr_parts;
	struct tm_gen_part parts[TM_GEN_MAX_PARTS];
};

struct tm_gen_spec {
	uint32_t nr_phases;             /* >= 1; phases[0].start_ns == 0 */
	struct tm_gen_phase phases[TM_GEN_MAX_PHASES];
	double rate_per_s;              /* records per second (all vCPUs) */
	uint64_t duration_ns;           /* stream length; 0: unbounded */
	uint64_t nr_records;            /* stop after this many; 0: unbounded */
	uint32_t nr_vcpus;              /* records are spread round-robin-ish */
	double store_share;             /* fraction of records that are stores */
	uint32_t page_shift;            /* 12 for 4 KiB */
	enum tm_trace_kind kind;        /* ACCESSES, or SAMPLES standing for period */
	uint64_t load_period;           /* SAMPLES: period carried in the header */
	uint64_t store_period;
};

/* A generator's list key (hotset: moves): a count and an array of
 * fixed-size entries in its config struct, each entry a time and a value.
 * YAML: key: [{at: T, <value>: V}, ...]; command line: --option AT:VALUE,
 * repeated in time order. */
struct tm_gen_list {
	const char *key;                /* "moves" */
	const char *scope;              /* the entries' scope: "move" */
	const char *option;             /* "move" for --move AT:OFFSET */
	const struct tm_cfg_key *keys;  /* an entry's keys: the time, the value */
	size_t nr_keys;
	uint32_t max;                   /* entries */
	size_t off_nr;                  /* uint32_t count in the config struct */
	size_t off_items, sz_item;      /* the array and one entry's size */
};

/* A generator.  Every per-part operation gets the part (its generic fields
 * and its config in p->cfg) and the page size as a shift. */
struct tm_generator_ops {
	struct tm_kind kind;            /* name, help, schema, config size, flags */
	const struct tm_gen_list *list; /* its list key, or NULL */
	size_t state_size;              /* bytes of a part's stream state */
	/* Defaults that depend on the page size (NULL: none). */
	void (*derive)(void *cfg, uint32_t page_shift);
	/* Rules between keys beyond each key's bounds (e.g. hot within the
	 * footprint).  On failure -1, key names the key at fault ("hot",
	 * "moves[1].at") and e says what was expected.  NULL: none. */
	int (*check)(const struct tm_gen_part *p, uint32_t page_shift,
		     char *key, size_t sz_key, struct tm_error *e);
	/* Set up a part's stream state (state_size zeroed bytes). */
	void (*init)(void *state, const struct tm_gen_part *p,
		     uint32_t page_shift);
	/* The next page index (or byte offset with TM_GEN_EXACT_ADDR) of a
	 * record at t_ns.  Per-record path: allocates nothing. */
	uint64_t (*draw)(void *state, const struct tm_gen_part *p,
			 struct tm_gen_rng *rng, uint64_t t_ns);
	/* Release what init took beyond the state bytes (NULL: nothing). */
	void (*free)(void *state);
	/* Exact probability that one record of this part at t_ns falls on
	 * page pg of its footprint (deterministic kinds: the long-run share). */
	double (*page_prob)(const struct tm_gen_part *p, uint32_t page_shift,
			    uint64_t t_ns, uint64_t pg);
	/* ---- distribution truth (DESIGN.md §7, traces/gen/dist.c) ----
	 * The part's pages in rank order while its distribution is the one
	 * of t_ns: rank 0 is the likeliest page, probabilities never increase
	 * with the rank, ties go by page index.  `state` is one that init()
	 * set up and draw() never touched.  All four, or none (then traces of
	 * the generator are scored on their records, not on a distribution). */
	uint64_t (*rank_of)(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t pg);
	uint64_t (*page_at)(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t rank);
	double (*rank_prob)(const void *state, const struct tm_gen_part *p,
			    uint64_t t_ns, uint64_t rank);
	/* Σ rank_prob over ranks [0, c), in closed form. */
	double (*top_prob)(const void *state, const struct tm_gen_part *p,
			   uint64_t t_ns, uint64_t c);
	/* Deterministic kinds (scan): the pages that draws [k0, k0 + nr) of
	 * the part visit (k counted from its first draw), as up to max runs
	 * of pages with equal visits covering the footprint, in page order;
	 * the count of runs, or 0 where no window is known (then the part's
	 * truth is its long-run share).  NULL: never. */
	uint32_t (*window)(const void *state, const struct tm_gen_part *p,
			   uint64_t k0, uint64_t nr, struct tm_gen_run *runs,
			   uint32_t max);
	/* The first time after t_ns at which the distribution changes (hotset:
	 * a move); NULL or UINT64_MAX: never. */
	uint64_t (*next_change)(const struct tm_gen_part *p, uint64_t t_ns);
	/* "zipf(s=1.2, 512MiB)" (NULL: "name(footprint)"); snprintf's result. */
	int (*describe)(const struct tm_gen_part *p, char *buf, size_t sz);
	/* The part's own keys into a trace header's provenance (NULL: none). */
	void (*provenance)(const struct tm_gen_part *p, struct json_t *o);
	/* The inverse: the part's own keys back from a provenance object
	 * (-1: a key is missing or malformed).  NULL: the kind has no keys of
	 * its own beyond its schema's defaults. */
	int (*restore)(struct tm_gen_part *p, const struct json_t *o);
};

/* ---- the family ----------------------------------------------------------- */

/* Built-in generators and start-up registrations (lib/cfg.h: the one piece
 * of process-wide mutable state; written before any run starts). */
extern struct tm_kinds tm_generator_kinds;

/* Register g (before any run); -1 if its name is taken, the family is full
 * or its config or state does not fit. */
int tm_generator_register(const struct tm_generator_ops *g, struct tm_error *e);
/* The generator called name, or NULL. */
const struct tm_generator_ops *tm_generator_find(const char *name);
/* The generator of kind k (a member of tm_generator_kinds). */
const struct tm_generator_ops *tm_generator_of(const struct tm_kind *k);
/* The generator of the i-th kind of the family (i < its count). */
const struct tm_generator_ops *tm_generator_at(size_t i);

/* ---- parts and specs ------------------------------------------------------ */

/* A part of generator g with every default: weight 1, 64 MiB at base 0,
 * its schema's defaults. */
void tm_gen_part_init(struct tm_gen_part *p, const struct tm_generator_ops *g);
/* Parse text as the part's key (its generator's schema) and store it. */
int tm_gen_part_set(struct tm_gen_part *p, const char *key, const char *text,
		    struct tm_error *e);
/* The value of a numeric key of the part's generator, or NAN. */
double tm_gen_part_get(const struct tm_gen_part *p, const char *key);
/* Append an entry "AT:VALUE" to the part's list key (hotset: a move). */
int tm_gen_part_add_entry(struct tm_gen_part *p, const char *text,
			  struct tm_error *e);
/* The row of key in the part's generator schema, or NULL. */
const struct tm_cfg_key *tm_gen_part_key(const struct tm_gen_part *p,
					 const char *key);

/* A spec with one uniform part over 64 MiB at 1M records/s, 1 vCPU, loads. */
void tm_gen_spec_init(struct tm_gen_spec *spec);

/* Fill every part's defaults that depend on the page size (scan: stride). */
void tm_gen_spec_derive(struct tm_gen_spec *spec);

/* Check a spec; on failure err names the field. */
int tm_gen_spec_check(const struct tm_gen_spec *spec, struct tm_error *err);

/* Build a stream; the same spec and seed give the same records. */
int tm_gen_stream_new(const struct tm_gen_spec *spec, uint64_t seed,
		      struct tm_stream **out, struct tm_error *err);

/* Exact probability that one record at time t_ns falls on the page holding
 * byte address addr (page size 1 << spec->page_shift).  SCAN parts are
 * deterministic; their probability is the long-run share per page. */
double tm_gen_page_prob(const struct tm_gen_spec *spec, uint64_t t_ns,
			uint64_t addr);

/* The spec a `tmsim gen` trace header describes (its provenance: spec and
 * seed), into *out; -1 when the header holds none, or one this build
 * cannot read back (a removed provenance, an unknown generator).  Kind,
 * page size and periods come from the stream's info. */
int tm_gen_spec_of_stream(const struct tm_stream *s, struct tm_gen_spec *out);

/* One-line human description, e.g. "zipf(s=1.2, 512MiB) @ 1M/s". */
void tm_gen_spec_describe(const struct tm_gen_spec *spec, char *buf,
			  size_t sz_buf);

/* ---- for generator implementations ---------------------------------------- */

/* Uniform integer in [0, n), n >= 1, without bias; uniform double in [0, 1). */
uint64_t tm_gen_rng_below(struct tm_gen_rng *rng, uint64_t n);
double tm_gen_rng_uniform(struct tm_gen_rng *rng);

#endif
