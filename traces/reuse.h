/*
 * reuse.h - trace reuse (DESIGN.md §5): map one recording to many VMs with a
 * per-VM address offset, time offset, time scale and looping.
 *
 * The wrapper takes ownership of the inner stream.  Looping needs to reopen
 * the source, so the caller passes a reopen callback; each pass is shifted in
 * time by the previous pass's end (last record time + the mean gap).
 */
#ifndef TM_REUSE_H
#define TM_REUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "stream.h"

struct tm_reuse_opts {
	uint64_t addr_offset;
	uint64_t time_offset_ns;
	double time_scale;  /* > 0; 1.0 keeps times */
	bool loop;
	/* Reopen the source for another pass (loop only). */
	int (*reopen)(void *ctx, struct tm_stream **out, struct tm_error *err);
	void *reopen_ctx;
};

/* Wrap inner; returns inner itself when opts change nothing. */
struct tm_stream *tm_reuse_wrap(struct tm_stream *inner,
				const struct tm_reuse_opts *opts);

#endif
