/*
 * reuse.c - address/time transformation and looping of a trace stream.
 *
 * Notes (simplifications): a looped pass starts one mean inter-record gap
 * after the previous pass's last record; an empty pass ends the stream
 * (looping an empty trace would never advance time).
 */
#include "reuse.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

struct reuse {
	struct tm_stream *inner;
	struct tm_reuse_opts o;
	uint64_t pass_base_ns;  /* added to (scaled) times of this pass */
	uint64_t first_ns;      /* scaled time of the pass's first record */
	uint64_t first_out_ns;  /* output time of the pass's first record */
	uint64_t last_ns, nr_pass;
	bool seen_first;
};

static uint64_t scale_time(const struct reuse *r, uint64_t t)
{
	double v = (double)t * r->o.time_scale;

	return v >= 1.8e19 ? UINT64_MAX : (uint64_t)v;
}

static int next_pass(struct reuse *r, struct tm_error *err)
{
	uint64_t span, gap;
	struct tm_stream *s;

	if (!r->o.loop || !r->nr_pass || !r->o.reopen)
		return 0;
	span = r->last_ns - r->first_out_ns;
	gap = r->nr_pass > 1 ? span / (r->nr_pass - 1) : 1;
	if (!gap)
		gap = 1;
	if (r->o.reopen(r->o.reopen_ctx, &s, err))
		return -1;
	tm_stream_free(r->inner);
	r->inner = s;
	r->pass_base_ns = r->last_ns + gap;
	r->nr_pass = 0;
	r->seen_first = false;
	return 1;
}

static ssize_t reuse_read(void *state, struct tm_record *buf, size_t cap,
			  struct tm_error *err)
{
	struct reuse *r = state;
	ssize_t n;

	for (;;) {
		int rc;

		n = tm_stream_read(r->inner, buf, cap, err);
		if (n != 0)
			break;
		rc = next_pass(r, err);
		if (rc <= 0)
			return rc;
	}
	if (n < 0)
		return n;
	if (!r->seen_first) {
		r->first_ns = scale_time(r, buf[0].time_ns);
		r->first_out_ns = r->pass_base_ns ? r->pass_base_ns :
				  r->o.time_offset_ns + r->first_ns;
		r->seen_first = true;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint64_t t = scale_time(r, buf[i].time_ns) - r->first_ns;

		/* The first pass keeps its origin (plus the offset); later
		 * passes start at their base. */
		buf[i].time_ns = r->first_out_ns + t;
		buf[i].addr += r->o.addr_offset;
	}
	r->last_ns = buf[n - 1].time_ns;
	r->nr_pass += (uint64_t)n;
	return n;
}

static void reuse_free(void *state)
{
	struct reuse *r = state;

	tm_stream_free(r->inner);
	free(r);
}

static const struct tm_stream_ops reuse_ops = {
	.name = "reuse",
	.read = reuse_read,
	.free = reuse_free,
};

struct tm_stream *tm_reuse_wrap(struct tm_stream *inner,
				const struct tm_reuse_opts *opts)
{
	struct tm_stream *s;
	struct reuse *r;

	if (!opts->addr_offset && !opts->time_offset_ns &&
	    opts->time_scale == 1.0 && !opts->loop)
		return inner;
	r = tm_xcalloc(1, sizeof(*r));
	r->inner = inner;
	r->o = *opts;
	if (r->o.time_scale <= 0)
		r->o.time_scale = 1.0;
	s = tm_xcalloc(1, sizeof(*s));
	s->ops = &reuse_ops;
	s->state = r;
	s->info = inner->info;
	return s;
}
