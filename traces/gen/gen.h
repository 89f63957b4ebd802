/*
 * gen.h - synthetic access generators (DESIGN.md §5): uniform, Zipf(s),
 * GUPS-style hot set (with moves), sequential scan, phases and mixtures.
 *
 * A spec is plain data (filled by the config loader or `tmsim gen`); a
 * generator stream built from a spec and a seed yields the same records for
 * the same inputs.  Generators know their exact distribution
 * (tm_gen_page_prob) so ground truth for them can be exact.
 *
 * Addresses: a part covers [base, base + footprint) of the VM's address space.
 */
#ifndef TM_GEN_H
#define TM_GEN_H

#include <stdint.h>

#include "lib/error.h"
#include "traces/record.h"
#include "traces/stream.h"

#define TM_GEN_MAX_PARTS 8
#define TM_GEN_MAX_PHASES 16
#define TM_GEN_MAX_MOVES 16

enum tm_gen_kind {
	TM_GEN_UNIFORM = 0,
	TM_GEN_ZIPF,
	TM_GEN_HOTSET,
	TM_GEN_SCAN,
};

struct tm_gen_move {
	uint64_t at_ns;        /* time of the move, from the stream start */
	uint64_t sz_offset;    /* new start of the hot set inside the footprint */
};

/* One distribution over one address range. */
struct tm_gen_part {
	enum tm_gen_kind kind;
	double weight;         /* share of accesses in a mixture (normalised) */
	uint64_t base;         /* first byte address of the footprint */
	uint64_t sz_footprint; /* bytes */
	double zipf_s;         /* ZIPF: exponent s > 0 */
	uint64_t zipf_seed;    /* ZIPF: rank -> page permutation seed (0: identity) */
	uint64_t sz_hot;       /* HOTSET: bytes of the hot set */
	double hot_share;      /* HOTSET: share of accesses that hit the hot set */
	uint64_t sz_hot_offset;/* HOTSET: start of the hot set in the footprint */
	uint32_t nr_moves;     /* HOTSET: the hot set moves at these times */
	struct tm_gen_move moves[TM_GEN_MAX_MOVES];
	uint64_t sz_stride;    /* SCAN: bytes between consecutive accesses */
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

/* A spec with one uniform part over 64 MiB at 1M records/s, 1 vCPU, loads. */
void tm_gen_spec_init(struct tm_gen_spec *spec);

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

/* One-line human description, e.g. "zipf(s=1.2, 512MiB) @ 1M/s". */
void tm_gen_spec_describe(const struct tm_gen_spec *spec, char *buf,
			  size_t sz_buf);

#endif
