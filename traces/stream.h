/*
 * stream.h - the trace-source interface a VM consumes (DESIGN.md §4, §5).
 *
 * A stream yields records in non-decreasing time, in batches the caller
 * provides storage for, so that per-record work allocates nothing.  Sources
 * are an operation table (STYLE.md habit 3): the .tmt reader, generators,
 * and wrappers (reuse: offset/scale/loop) all implement it.
 */
#ifndef TM_STREAM_H
#define TM_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "record.h"

struct tm_trace_info {
	enum tm_trace_kind kind;
	enum tm_addr_space space;
	uint32_t page_shift;        /* page size the trace was described with */
	uint64_t load_period;       /* samples: accesses each load sample stands for */
	uint64_t store_period;      /* samples: same for stores (0: as load_period) */
	uint32_t nr_vcpus;
	uint64_t sz_footprint_hint; /* expected bytes touched, 0 if unknown */
	char source[256];           /* file path or generator description */
};

struct tm_stream_ops {
	const char *name;
	/* Fill buf with up to cap records.  Returns the number written, 0 at
	 * the end of the stream, -1 on error (err set with a location). */
	ssize_t (*read)(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err);
	void (*free)(void *state);
};

struct tm_stream {
	const struct tm_stream_ops *ops;
	void *state;
	struct tm_trace_info info;
};

static inline ssize_t tm_stream_read(struct tm_stream *s, struct tm_record *buf,
				     size_t cap, struct tm_error *err)
{
	return s->ops->read(s->state, buf, cap, err);
}

/* Free the stream and its state; NULL is a no-op. */
void tm_stream_free(struct tm_stream *s);

#endif
