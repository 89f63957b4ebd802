/*
 * perfdata_stream.c - the record stream of a perf.data (file or pipe mode):
 * walking records by their size, the pipe-mode user records (HEADER_ATTR,
 * HEADER_FEATURE, TRACING_DATA and AUXTRACE payloads), `perf record -z`
 * COMPRESSED/COMPRESSED2 records decoded in stream with libzstd, LOST and
 * LOST_SAMPLES counts, and COMM/FORK for the threads --split names.
 * Formats: perfdata.c's header comment.
 */
#include "perfdata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/le.h"

static struct pd_thread *set_thread(struct pd *pd, uint32_t pid, uint32_t tid)
{
	struct pd_thread *t = pd_find_thread(pd, tid);

	if (!t) {
		if (pd->nr_threads == pd->cap_threads) {
			pd->cap_threads = pd->cap_threads ? 2 * pd->cap_threads : 64;
			pd->threads = tm_xrealloc(pd->threads, pd->cap_threads *
						  sizeof(*pd->threads));
		}
		t = &pd->threads[pd->nr_threads++];
		memset(t, 0, sizeof(*t));
	}
	t->pid = pid;
	t->tid = tid;
	return t;
}

/* COMM {u32 pid, tid; char comm[]; sample_id}. */
static int pd_read_comm(struct pd *pd, uint64_t off, uint32_t size)
{
	struct pd_thread *t;
	size_t n;

	if (size < 16)
		return pd_err(pd, off + 6, "COMM record of %u bytes; expected at "
			      "least 16", size);
	if (!pd->gp.by)
		return 0;
	t = set_thread(pd, tm_le32(pd->p + off + 8), tm_le32(pd->p + off + 12));
	n = strnlen((const char *)pd->p + off + 16, size - 16);
	if (n >= sizeof(t->comm))
		n = sizeof(t->comm) - 1;
	memcpy(t->comm, pd->p + off + 16, n);
	t->comm[n] = '\0';
	return 0;
}

/* FORK {u32 pid, ppid, tid, ptid; u64 time}: the child has its parent's comm. */
static int pd_read_fork(struct pd *pd, uint64_t off, uint32_t size)
{
	const struct pd_thread *parent;
	char comm[TM_IMPORT_COMM_MAX] = "";

	if (size < 32)
		return pd_err(pd, off + 6, "FORK record of %u bytes; expected at "
			      "least 32", size);
	if (!pd->gp.by)
		return 0;
	parent = pd_find_thread(pd, tm_le32(pd->p + off + 20));
	if (parent)
		memcpy(comm, parent->comm, sizeof(comm));
	memcpy(set_thread(pd, tm_le32(pd->p + off + 8), tm_le32(pd->p + off + 16))->comm,
	       comm, sizeof(comm));
	return 0;
}

/* LOST {id, lost} or LOST_SAMPLES {lost}: the count sits at off + at. */
static int read_lost(struct pd *pd, uint64_t off, uint32_t size, uint32_t at)
{
	uint64_t n;

	if (size < at + 8)
		return pd_err(pd, off + 6, "lost-samples record of %u bytes; "
			      "expected at least %u", size, at + 8);
	n = tm_le64(pd->p + off + at);
	pd->st.nr_lost = n > UINT64_MAX - pd->st.nr_lost ? UINT64_MAX : pd->st.nr_lost + n;
	pd->st.nr_lost_records++;
	return 0;
}

/* Pipe mode: HEADER_FEATURE {u64 feature, contents as in file mode}. */
static int read_feature_rec(struct pd *pd, uint64_t off, uint32_t size)
{
	if (size < 16)
		return pd_err(pd, off + 6, "HEADER_FEATURE record of %u bytes; "
			      "expected at least 16", size);
	if (tm_le64(pd->p + off + 8) == FEAT_EVENT_DESC)
		return pd_read_event_desc(pd, off + 16, size - 16);
	return 0;
}

/* TRACING_DATA {u32 size} and AUXTRACE {u64 size, ...} are followed by
 * size bytes that their record size does not count. */
static int payload(struct pd *pd, uint64_t off, uint32_t size, bool u64,
		   uint64_t *extra)
{
	if (size < (u64 ? 16u : 12u))
		return pd_err(pd, off + 6, "record of %u bytes; expected room for "
			      "its payload size", size);
	*extra = u64 ? tm_le64(pd->p + off + 8) : tm_le32(pd->p + off + 8);
	return 0;
}

static int walk(struct pd *pd, uint64_t off, uint64_t end, bool partial_ok,
		uint64_t *done);

/* Parse the complete records decoded so far; keep a partial one. */
static int walk_zbuf(struct pd *pd)
{
	const uint8_t *p = pd->p;
	uint64_t sz = pd->sz, done = 0;
	int rc;

	pd->p = pd->zbuf;
	pd->sz = pd->zlen;
	pd->in_z = true;
	rc = walk(pd, 0, pd->zlen, true, &done);
	pd->p = p;
	pd->sz = sz;
	pd->in_z = false;
	if (rc)
		return -1;
	memmove(pd->zbuf, pd->zbuf + done, pd->zlen - done);
	pd->zlen -= done;
	pd->zpos += done;
	return 0;
}

/* COMPRESSED {header, zstd bytes} or COMPRESSED2 {header, u64 data_size,
 * zstd bytes, padding}: decoded in stream, at most ZBUF_MIN bytes a step. */
static int read_compressed(struct pd *pd, uint64_t off, uint32_t type, uint32_t size)
{
	uint64_t hdr = type == REC_COMPRESSED2 ? 16 : 8, len;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;

	if (size < hdr)
		return pd_err(pd, off + 6, "COMPRESSED2 record of %u bytes; "
			      "expected at least 16", size);
	len = size - hdr;
	if (type == REC_COMPRESSED2 && tm_le64(pd->p + off + 8) > len)
		return pd_err(pd, off + 8, "data_size %llu in a record of %u bytes; "
			      "expected at most %llu", (unsigned long long)
			      tm_le64(pd->p + off + 8), size, (unsigned long long)len);
	if (type == REC_COMPRESSED2)
		len = tm_le64(pd->p + off + 8);
	if (!pd->zds) {
		pd->zds = ZSTD_createDStream();
		if (!pd->zds || ZSTD_isError(ZSTD_initDStream(pd->zds)))
			return tm_error_set(pd->err, TM_ERR_INTERNAL, "%s: cannot "
					    "start a zstd decoder", pd->path);
	}
	pd->zrec_off = off;
	pd->st.nr_compressed++;
	in = (ZSTD_inBuffer){ pd->p + off + hdr, (size_t)len, 0 };
	do {
		if (pd->zcap - pd->zlen < ZBUF_MIN) {
			pd->zcap = pd->zlen + 2 * ZBUF_MIN;
			pd->zbuf = tm_xrealloc(pd->zbuf, pd->zcap);
		}
		out = (ZSTD_outBuffer){ pd->zbuf + pd->zlen, ZBUF_MIN, 0 };
		size_t r = ZSTD_decompressStream(pd->zds, &out, &in);

		if (ZSTD_isError(r))
			return pd_err(pd, off + hdr + in.pos, "zstd: %s; expected the "
				      "zstd stream of perf record -z",
				      ZSTD_getErrorName(r));
		pd->zlen += out.pos;
		if (walk_zbuf(pd))
			return -1;
	} while (in.pos < in.size || out.pos == out.size);
	return 0;
}

static int read_record(struct pd *pd, uint64_t off, uint32_t type, uint32_t size,
		       uint64_t *extra)
{
	if (type >= REC_USER_FIRST && pd->in_z)
		return pd_err(pd, off, "record type %u inside compressed data; "
			      "expected kernel records only", type);
	if (type != REC_SAMPLE && type != REC_COMPRESSED && type != REC_COMPRESSED2)
		pd->st.nr_skipped++;
	switch (type) {
	case REC_SAMPLE:
		return pd_read_sample(pd, off, size);
	case REC_LOST:
		return read_lost(pd, off, size, 16);
	case REC_LOST_SAMPLES:
		return read_lost(pd, off, size, 8);
	case REC_COMM:
		return pd_read_comm(pd, off, size);
	case REC_FORK:
		return pd_read_fork(pd, off, size);
	case REC_FINISHED_ROUND:
		pd->st.nr_rounds++;
		return 0;
	case REC_HEADER_ATTR:
		return pd->pipe ? pd_read_header_attr(pd, off, size) : 0;
	case REC_HEADER_FEATURE:
		return pd->pipe ? read_feature_rec(pd, off, size) : 0;
	case REC_TRACING_DATA:
		return payload(pd, off, size, false, extra);
	case REC_AUXTRACE:
		return payload(pd, off, size, true, extra);
	case REC_COMPRESSED:
	case REC_COMPRESSED2:
		return read_compressed(pd, off, type, size);
	default:
		return 0;
	}
}

/* Records in [off, end); partial_ok: stop before an incomplete one. */
static int walk(struct pd *pd, uint64_t off, uint64_t end, bool partial_ok,
		uint64_t *done)
{
	while (off < end) {
		uint64_t extra = 0;
		uint32_t type;
		uint16_t size;

		if (end - off < 8) {
			if (partial_ok)
				break;
			return pd_err(pd, off, "%llu bytes left in the data; expected "
				      "an 8-byte record header",
				      (unsigned long long)(end - off));
		}
		type = tm_le32(pd->p + off);
		size = tm_le16(pd->p + off + 6);
		if (size < 8)
			return pd_err(pd, off + 6, "record size %u; expected at least 8 "
				      "(the record header)", size);
		if (size > end - off) {
			if (partial_ok)
				break;
			return pd_err(pd, off + 6, "record of %u bytes runs past the end "
				      "of the data at @%llu; expected a complete "
				      "record (truncated recording?)", size,
				      (unsigned long long)end);
		}
		if (read_record(pd, off, type, size, &extra))
			return -1;
		if (extra > end - off - size)
			return pd_err(pd, off + 8, "payload of %llu bytes after the "
				      "record runs past the end of the data at "
				      "@%llu; expected a complete recording",
				      (unsigned long long)extra, (unsigned long long)end);
		off += size + extra;
	}
	*done = off;
	return 0;
}

int pd_read_data(struct pd *pd)
{
	uint64_t done;

	if (walk(pd, pd->data_off, pd->data_end, false, &done))
		return -1;
	if (pd->zlen)
		return pd_err(pd, pd->data_end, "the zstd stream ends inside a record "
			      "(%zu bytes of it decoded); expected whole records "
			      "(truncated -z recording?)", pd->zlen);
	if (!pd->nr_attrs)
		return pd_err(pd, pd->data_off, "no HEADER_ATTR record; expected a "
			      "pipe-mode perf.data to describe its events");
	return pd->ready ? 0 : pd_prepare(pd, pd->data_off);
}
