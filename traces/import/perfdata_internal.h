/*
 * perfdata_internal.h - what perfdata.c (header, attrs, features, samples)
 * and perfdata_stream.c (the record stream: pipe-mode records, -z
 * decompression, lost samples, COMM/FORK) share; the formats are described
 * in perfdata.c.
 */
#ifndef TM_PERFDATA_INTERNAL_H
#define TM_PERFDATA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <zstd.h>

#include "lib/le.h"

#include "import_internal.h"

/* PERF_SAMPLE_* bits, include/uapi/linux/perf_event.h. */
#define S_IP (1ULL << 0)
#define S_TID (1ULL << 1)
#define S_TIME (1ULL << 2)
#define S_ADDR (1ULL << 3)
#define S_READ (1ULL << 4)
#define S_CALLCHAIN (1ULL << 5)
#define S_ID (1ULL << 6)
#define S_CPU (1ULL << 7)
#define S_PERIOD (1ULL << 8)
#define S_STREAM_ID (1ULL << 9)
#define S_RAW (1ULL << 10)
#define S_BRANCH_STACK (1ULL << 11)
#define S_REGS_USER (1ULL << 12)
#define S_STACK_USER (1ULL << 13)
#define S_WEIGHT (1ULL << 14)
#define S_DATA_SRC (1ULL << 15)
#define S_IDENTIFIER (1ULL << 16)
#define S_TRANSACTION (1ULL << 17)
#define S_REGS_INTR (1ULL << 18)
#define S_PHYS_ADDR (1ULL << 19)
#define S_WEIGHT_STRUCT (1ULL << 24)

/* PERF_FORMAT_* (read_format) bits. */
#define F_TOTAL_TIME_ENABLED (1ULL << 0)
#define F_TOTAL_TIME_RUNNING (1ULL << 1)
#define F_ID (1ULL << 2)
#define F_GROUP (1ULL << 3)
#define F_LOST (1ULL << 4)

/* PERF_SAMPLE_BRANCH_HW_INDEX and _COUNTERS (branch_sample_type). */
#define B_HW_INDEX (1ULL << 17)
#define B_COUNTERS (1ULL << 19)

/* Record types, perf_event.h and tools/perf/util/event.h. */
#define REC_LOST 2
#define REC_COMM 3
#define REC_FORK 7
#define REC_SAMPLE 9
#define REC_LOST_SAMPLES 13
#define REC_HEADER_ATTR 64
#define REC_TRACING_DATA 66
#define REC_FINISHED_ROUND 68
#define REC_AUXTRACE 71
#define REC_HEADER_FEATURE 80
#define REC_COMPRESSED 81
#define REC_COMPRESSED2 83
#define REC_USER_FIRST 64 /* user (tool) records: never inside compressed data */

/* Feature bits, tools/perf/util/header.h. */
#define FEAT_EVENT_DESC 12
#define FEAT_DIR_FORMAT 24

#define HEADER_SZ 104      /* sizeof(struct perf_file_header) */
#define HEADER_SZ_OLD 72   /* before the feature bitmap (perf still accepts it) */
#define PIPE_HEADER_SZ 16  /* pipe mode: {magic, size} only */
#define ATTR_SZ_VER0 64    /* PERF_ATTR_SIZE_VER0, the smallest attr */
#define ATTR_SZ_MAX 4096   /* assumption: sanity bound, attrs are ~136 bytes */
#define BRANCH_ENTRY_SZ 24 /* struct perf_branch_entry */
#define NAME_MAX_LEN 128

/* Offsets in struct perf_event_attr. */
#define A_SIZE 4
#define A_PERIOD 16
#define A_SAMPLE_TYPE 24
#define A_READ_FORMAT 32
#define A_FLAGS 40
#define A_BRANCH_TYPE 72
#define A_REGS_USER 80
#define A_REGS_INTR 96
#define A_FLAG_FREQ (1ULL << 10)

#define ZBUF_MIN (1u << 16) /* decompressed bytes held: a record is < 64 KiB */

enum id_mode { ID_SINGLE = 0, ID_IDENTIFIER, ID_COMMON };

/* A thread as COMM and FORK records describe it (for --split). */
struct pd_thread {
	uint32_t pid, tid;
	char comm[TM_IMPORT_COMM_MAX];
};

struct pd_attr {
	uint64_t sample_type, read_format, period, branch_type, regs_user, regs_intr;
	bool freq;
	bool checked;              /* check_attr() passed at its first sample */
	uint64_t off;              /* of the attr in the file, for messages */
	uint64_t ids_off, nr_ids;
	char name[NAME_MAX_LEN];
};

struct pd_id {
	uint64_t id;
	uint32_t idx;
};

struct pd {
	const char *path;
	const struct tm_import_opts *o;
	const struct tm_import_perf_opts *po;
	struct tm_error *err;
	const uint8_t *p;          /* the bytes records are read from */
	uint64_t sz;
	const uint8_t *file;       /* the whole input */
	uint64_t file_sz;
	bool mapped;               /* file is mmap()ed, else malloc()ed */
	bool pipe;
	uint64_t attr_size, nr_attrs, cap_attrs, attrs_off;
	struct pd_attr *attrs;
	uint64_t data_off, data_end;
	uint8_t feat[32];
	bool ready;                /* id mode and --event chosen for these attrs */
	enum id_mode id_mode;
	struct pd_id *ids;
	size_t nr_ids;
	int64_t selected;          /* attr index, -1: all */
	/* -z: the zstd stream and its output not yet parsed */
	ZSTD_DStream *zds;
	uint8_t *zbuf;
	size_t zlen, zcap;
	uint64_t zrec_off;         /* file offset of the COMPRESSED record read */
	uint64_t zpos;             /* decompressed bytes before zbuf[0] */
	bool in_z;                 /* reading records out of zbuf */
	struct pd_thread *threads;
	size_t nr_threads, cap_threads, last_thread;
	struct tm_import_grouper gp;
	struct tm_import_stats st;
	struct tm_import_periods per;
	struct tm_import_vec vec;
};

/* A bounded cursor over [off, end) of the mapped file. */
struct cur {
	const uint8_t *p;
	uint64_t off, end;
};

struct pd_sample {
	uint64_t id, time, addr, phys, period, weight, data_src;
	uint32_t cpu, pid, tid;
};

/* Inside decompressed data an offset is not a file offset: the error names
 * the COMPRESSED record and the decompressed byte.  Returns rc. */
int pd_zstd_where(const struct pd *pd, uint64_t off, int rc);

/* A format error at byte off of the file (lib/error.h's located form). */
#define pd_err(pd, off, ...)                                                  \
	pd_zstd_where((pd), (off),                                               \
		   tm_error_at_off((pd)->err, TM_ERR_FORMAT, (pd)->path,      \
				   (pd)->in_z ? (pd)->zrec_off : (off),       \
				   __VA_ARGS__))

/* Is [off, off + n) inside the file? (n may come from the file.) */
static inline bool in_file(const struct pd *pd, uint64_t off, uint64_t n)
{
	return off <= pd->sz && n <= pd->sz - off;
}

static inline bool feat_set(const struct pd *pd, unsigned bit)
{
	return pd->feat[bit / 8] & (1u << (bit % 8));
}

/* Advance c by n bytes of field `what`, or fail naming the field. */
static inline int cur_skip(struct pd *pd, struct cur *c, uint64_t n, const char *what)
{
	if (n > c->end - c->off)
		return pd_err(pd, c->off, "%s of %llu bytes runs past the end of its "
			      "record (%llu bytes left); expected a record laid "
			      "out as its header and attr say", what,
			      (unsigned long long)n,
			      (unsigned long long)(c->end - c->off));
	c->off += n;
	return 0;
}

/* Skip nr entries of sz bytes each; nr comes from the file. */
static inline int cur_skip_n(struct pd *pd, struct cur *c, uint64_t nr, uint64_t sz,
		      const char *what)
{
	if (sz && nr > (c->end - c->off) / sz)
		return pd_err(pd, c->off, "%s: %llu entries of %llu bytes run past "
			      "the end of the record (%llu bytes left); expected "
			      "a smaller count", what, (unsigned long long)nr,
			      (unsigned long long)sz,
			      (unsigned long long)(c->end - c->off));
	c->off += nr * sz;
	return 0;
}

static inline int cur_u32(struct pd *pd, struct cur *c, const char *what, uint32_t *v)
{
	if (cur_skip(pd, c, 4, what))
		return -1;
	*v = tm_le32(c->p + c->off - 4);
	return 0;
}

static inline int cur_u64(struct pd *pd, struct cur *c, const char *what, uint64_t *v)
{
	if (cur_skip(pd, c, 8, what))
		return -1;
	*v = tm_le64(c->p + c->off - 8);
	return 0;
}

/* A section {u64 off, size} of the file header at hoff, inside the file. */
static inline int section(struct pd *pd, uint64_t hoff, const char *name,
		   uint64_t *off, uint64_t *size)
{
	*off = tm_le64(pd->p + hoff);
	*size = tm_le64(pd->p + hoff + 8);
	if (!in_file(pd, *off, *size))
		return pd_err(pd, hoff, "%s section [%llu, +%llu) ends past the end "
			      "of the file (%llu bytes); expected a complete "
			      "perf.data (truncated copy?)", name,
			      (unsigned long long)*off, (unsigned long long)*size,
			      (unsigned long long)pd->sz);
	return 0;
}

/* perfdata_event.c (called by perfdata.c and perfdata_stream.c) */
int pd_read_attrs(struct pd *pd);
int pd_read_sample(struct pd *pd, uint64_t off, uint32_t size);
int pd_read_header_attr(struct pd *pd, uint64_t off, uint32_t size);
int pd_read_event_desc(struct pd *pd, uint64_t off, uint64_t size);
int pd_prepare(struct pd *pd, uint64_t off);
struct pd_thread *pd_find_thread(struct pd *pd, uint32_t tid);

/* perfdata_stream.c (called by perfdata.c) */
/* Every record of [data_off, data_end), decompressing -z records. */
int pd_read_data(struct pd *pd);

#endif
