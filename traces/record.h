/*
 * record.h - one memory-access record, the unit every trace source yields.
 *
 * DESIGN.md §2, §5: a record is either a true access (full traces, generators)
 * or a PEBS sample standing for `period` accesses.  Time is in nanoseconds.
 * The same 24-byte layout is stored little-endian in .tmt files
 * (docs/trace-format.md).
 */
#ifndef TM_RECORD_H
#define TM_RECORD_H

#include <stdint.h>

enum tm_op {
	TM_OP_LOAD = 0,
	TM_OP_STORE = 1,
	TM_OP_MODIFY = 2, /* lackey 'M': a load and a store to one address */
};

struct tm_record {
	uint64_t time_ns;
	uint64_t addr;    /* byte address (gVA or gPA, per the trace header) */
	uint32_t weight;  /* PEBS weight (latency) or 0; also access size for lackey */
	uint16_t cpu;     /* vCPU that made the access */
	uint8_t op;       /* enum tm_op */
	uint8_t flags;    /* reserved, 0 */
};

#define TM_RECORD_DISK_SIZE 24

/* Bounds of a trace's header, the one source for the .tmt reader and
 * writer, the generators, `tmsim gen` and `tmsim import`
 * (docs/trace-format.md):
 *  - vCPUs: record.cpu is a uint16_t, so at most 65536 can be told apart;
 *  - page size: 4 KiB to 1 GiB, the x86-64 page sizes. */
#define TM_TRACE_VCPUS_MAX 65536u
#define TM_TRACE_PAGE_SHIFT_MIN 12u
#define TM_TRACE_PAGE_SHIFT_MAX 30u

enum tm_trace_kind {
	TM_TRACE_ACCESSES = 0, /* every record is one true access */
	TM_TRACE_SAMPLES = 1,  /* every record is a sample standing for a period */
};

enum tm_addr_space {
	TM_ADDR_GVA = 0,
	TM_ADDR_GPA = 1,
};

#endif
