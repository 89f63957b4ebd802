/*
 * tmt.c - the native trace format .tmt: a streaming reader, a tm_stream
 * (DESIGN.md §5; byte layout in docs/trace-format.md).  The writer is
 * tmt_write.c; record encoding v2's block codec is tmt_v2.c.
 *
 * A .tmt file is one zstd frame with a content checksum.  Decompressed it
 * holds a 16-byte preamble (magic "TMTRACE\0", u32 LE version, u32 LE header
 * length), a JSON header, then the records: 24-byte little-endian rows in
 * version 1, blocks of columns in version 2, in non-decreasing time.
 *
 * The reader works in bounded memory: one compressed input buffer of
 * ZSTD_DStreamInSize() bytes, the zstd window, and a carry of less than one
 * record (v1) or one block of columns (v2).  v1 records are decompressed
 * straight into the caller's batch (on a little-endian host struct
 * tm_record is the disk layout), then checked in one pass; v2 blocks are
 * decoded from the block buffer into the batch.  There are no per-record
 * syscalls.  Every error names the file and the decompressed byte offset of
 * the offending item, or the compressed offset for zstd frame errors, and
 * says what was expected.
 *
 * Notes:
 *  - Records already delivered before a zstd checksum failure (which zstd can
 *    only detect at the end of the frame) are not taken back; the stream
 *    still ends with -1, so callers must treat the run as failed.
 *  - Compressed offsets in zstd errors are where the decoder stopped, which
 *    is at or after the damaged byte (zstd consumes whole blocks).
 */
#include "tmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "lib/alloc.h"
#include "lib/le.h"
#include "tmt_internal.h"
#include "tmt_v2.h"

/* The in-memory record is the disk record on little-endian hosts. */
_Static_assert(sizeof(struct tm_record) == TM_RECORD_DISK_SIZE, "record size");
_Static_assert(offsetof(struct tm_record, addr) == 8, "addr offset");
_Static_assert(offsetof(struct tm_record, weight) == 16, "weight offset");
_Static_assert(offsetof(struct tm_record, cpu) == 20, "cpu offset");
_Static_assert(offsetof(struct tm_record, op) == 22, "op offset");
_Static_assert(offsetof(struct tm_record, flags) == 23, "flags offset");

/* RFC 8878 §3.1.1: frame magic, and bit 2 of the frame header descriptor. */
static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
#define ZSTD_FHD_CHECKSUM_BIT 0x04
/* Largest zstd window the reader accepts (16 MiB; the writer's frames use
 * 512 KiB): assumption, room for files recompressed at higher levels. */
#define TMT_WINDOW_LOG_MAX 24

#if !TM_NATIVE_LE
/* In place: the bytes of *rec are a disk record; make them a struct. */
static void rec_from_disk(struct tm_record *rec)
{
	const unsigned char *p = (const unsigned char *)rec;
	struct tm_record v;

	v.time_ns = tm_le64(p);
	v.addr = tm_le64(p + 8);
	v.weight = tm_le32(p + 16);
	v.cpu = tm_le16(p + 20);
	v.op = p[22];
	v.flags = p[23];
	*rec = v;
}
#endif

/* ---- reader -------------------------------------------------------------- */

struct tmt_reader {
	char *path;
	int fd;
	ZSTD_DCtx *dctx;
	unsigned char *in_buf;
	size_t in_cap;
	ZSTD_inBuffer in;
	uint64_t in_file_off;   /* file offset of in_buf[0] */
	int in_eof;
	int frame_done;
	uint64_t dec_total;     /* decompressed bytes produced so far */
	uint64_t dec_off;       /* decompressed offset of the next unparsed byte */
	unsigned char carry[TM_RECORD_DISK_SIZE];
	size_t nr_carry;        /* bytes of a record split across batches */
	uint64_t nr_records;
	uint64_t last_time_ns;
	uint32_t version;       /* record encoding, 1 or 2 */
	/* version 2: the current block, its column data and its offset */
	struct tm_tmt_v2_block blk;
	struct tm_tmt_v2_state v2;
	unsigned char *blk_buf;
	size_t blk_cap;
	uint64_t blk_off;
	char *header_json;
	int failed;
	struct tm_error saved;  /* replayed on reads after a failure */
};

static void reader_free(void *state)
{
	struct tmt_reader *r = state;

	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->in_buf);
	free(r->blk_buf);
	free(r->header_json);
	free(r->path);
	free(r);
}

static uint64_t comp_off(const struct tmt_reader *r)
{
	return r->in_file_off + r->in.pos;
}

static int refill(struct tmt_reader *r, struct tm_error *err)
{
	ssize_t n;

	r->in_file_off += r->in.size;
	r->in.pos = 0;
	r->in.size = 0;
	do
		n = read(r->fd, r->in_buf, r->in_cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tm_error_set(err, TM_ERR_IO, "%s@%llu (compressed offset): read: %s",
				    r->path, (unsigned long long)r->in_file_off,
				    strerror(errno));
	if (n == 0)
		r->in_eof = 1;
	r->in.size = (size_t)n;
	return 0;
}

/* The frame ended: anything after it is an error (one frame per file). */
static int check_trailing(struct tmt_reader *r, struct tm_error *err)
{
	if (r->in.pos == r->in.size && !r->in_eof && refill(r, err))
		return -1;
	TM_RETURN_IF(r->in.pos < r->in.size, err, TM_ERR_FORMAT,
		     "%s@%llu (compressed offset): data after the end of the zstd frame; "
		     "expected end of file (a .tmt file is one frame)",
		     r->path, (unsigned long long)comp_off(r));
	return 0;
}

/* Decompress up to cap bytes into dst.  *got < cap only at the frame end. */
static int dec_fill(struct tmt_reader *r, unsigned char *dst, size_t cap,
		    size_t *got, struct tm_error *err)
{
	ZSTD_outBuffer out = { dst, cap, 0 };

	while (out.pos < out.size && !r->frame_done) {
		size_t before = out.pos, ret;

		if (r->in.pos == r->in.size && !r->in_eof) {
			if (refill(r, err))
				return -1;
			continue;
		}
		ret = ZSTD_decompressStream(r->dctx, &out, &r->in);
		r->dec_total += out.pos - before;
		TM_RETURN_IF(ZSTD_getErrorCode(ret) ==
			     ZSTD_error_frameParameter_windowTooLarge, err,
			     TM_ERR_FORMAT, "%s@%llu (compressed offset): zstd frame "
			     "declares a window above %u MiB; expected at most that "
			     "(tmsim writes 512 KiB)", r->path,
			     (unsigned long long)comp_off(r),
			     1u << (TMT_WINDOW_LOG_MAX - 20));
		TM_RETURN_IF(ZSTD_isError(ret), err, TM_ERR_FORMAT,
			     "%s@%llu (compressed offset): zstd frame error: %s; "
			     "expected an intact zstd frame", r->path,
			     (unsigned long long)comp_off(r), ZSTD_getErrorName(ret));
		if (ret == 0) {
			r->frame_done = 1;
			if (check_trailing(r, err))
				return -1;
		} else if (r->in_eof && r->in.pos == r->in.size && out.pos == before) {
			return tm_error_set(err, TM_ERR_FORMAT,
				"%s@%llu (compressed offset): zstd frame truncated after "
				"%llu decompressed bytes; expected the rest of the frame",
				r->path, (unsigned long long)comp_off(r),
				(unsigned long long)r->dec_total);
		}
	}
	*got = out.pos;
	return 0;
}

/* Read exactly n decompressed bytes of the preamble or header. */
static int dec_read_exact(struct tmt_reader *r, unsigned char *dst, size_t n,
			  const char *what, struct tm_error *err)
{
	size_t got;

	if (dec_fill(r, dst, n, &got, err))
		return -1;
	TM_RETURN_IF(got < n, err, TM_ERR_FORMAT,
		     "%s@%llu: data ends inside the %s; expected %zu bytes of it",
		     r->path, (unsigned long long)(r->dec_off + got), what, n);
	r->dec_off += n;
	return 0;
}

/* Before decompressing: is this a zstd frame, and does it carry a checksum? */
static int check_frame_start(struct tmt_reader *r, struct tm_error *err)
{
	const unsigned char *p = r->in_buf;

	if (refill(r, err))
		return -1;
	TM_RETURN_IF(r->in.size == 0, err, TM_ERR_FORMAT,
		     "%s@0: empty file; expected a zstd-compressed .tmt trace", r->path);
	TM_RETURN_IF(r->in.size < 5, err, TM_ERR_FORMAT,
		     "%s@0 (compressed offset): %zu-byte file is too short for a zstd "
		     "frame; expected a zstd-compressed .tmt trace", r->path, r->in.size);
	TM_RETURN_IF(memcmp(p, zstd_magic, 4) != 0, err, TM_ERR_FORMAT,
		     "%s@0 (compressed offset): not a zstd stream (starts with "
		     "%02x %02x %02x %02x); expected the zstd frame magic 28 b5 2f fd",
		     r->path, p[0], p[1], p[2], p[3]);
	TM_RETURN_IF(!(p[4] & ZSTD_FHD_CHECKSUM_BIT), err, TM_ERR_FORMAT,
		     "%s@4 (compressed offset): zstd frame has no content checksum; "
		     "expected a frame written with checksums (ZSTD_c_checksumFlag)",
		     r->path);
	return 0;
}

static int read_preamble(struct tmt_reader *r, uint32_t *hdr_len,
			 struct tm_error *err)
{
	unsigned char pre[TMT_PREAMBLE_LEN];
	uint32_t version;

	if (dec_read_exact(r, pre, sizeof(pre), "16-byte preamble", err))
		return -1;
	TM_RETURN_IF(memcmp(pre, TM_TMT_MAGIC, TMT_MAGIC_LEN) != 0, err,
		     TM_ERR_FORMAT, "%s@0: bad magic; expected \"TMTRACE\\0\"", r->path);
	version = tm_le32(pre + 8);
	TM_RETURN_IF(version < TM_TMT_VERSION_MIN || version > TM_TMT_VERSION_MAX,
		     err, TM_ERR_FORMAT, "%s@8: version %u; expected %u or %u",
		     r->path, version, TM_TMT_VERSION_MIN, TM_TMT_VERSION_MAX);
	r->version = version;
	*hdr_len = tm_le32(pre + 12);
	TM_RETURN_IF(*hdr_len < 2 || *hdr_len > TMT_HEADER_MAX, err, TM_ERR_FORMAT,
		     "%s@12: header length %u; expected 2 to %u bytes", r->path,
		     *hdr_len, TMT_HEADER_MAX);
	return 0;
}

/* ---- header JSON ---------------------------------------------------------- */

static int hdr_missing(const struct tmt_reader *r, const char *key,
		       const char *expected, struct tm_error *err)
{
	return tm_error_set(err, TM_ERR_FORMAT,
			    "%s@%d: header: \"%s\" missing or of the wrong type; expected %s",
			    r->path, TMT_PREAMBLE_LEN, key, expected);
}

static int hdr_uint(const struct tmt_reader *r, json_t *hdr, const char *key,
		    uint64_t min, uint64_t max, uint64_t *out, struct tm_error *err)
{
	json_t *v = json_object_get(hdr, key);
	json_int_t x;

	if (!json_is_integer(v))
		return hdr_missing(r, key, "an integer", err);
	x = json_integer_value(v);
	TM_RETURN_IF(x < 0 || (uint64_t)x < min || (uint64_t)x > max, err,
		     TM_ERR_FORMAT, "%s@%d: header: \"%s\": %lld; expected %llu to %llu",
		     r->path, TMT_PREAMBLE_LEN, key, (long long)x,
		     (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

/* Pick one of two names; *out = 0 for a, 1 for b. */
static int hdr_choice(const struct tmt_reader *r, json_t *hdr, const char *key,
		      const char *a, const char *b, int *out, struct tm_error *err)
{
	const char *s = json_string_value(json_object_get(hdr, key));
	char expected[64];

	if (strcmp(a, b) == 0)
		snprintf(expected, sizeof(expected), "\"%s\"", a);
	else
		snprintf(expected, sizeof(expected), "\"%s\" or \"%s\"", a, b);
	if (!s)
		return hdr_missing(r, key, expected, err);
	TM_RETURN_IF(strcmp(s, a) != 0 && strcmp(s, b) != 0, err, TM_ERR_FORMAT,
		     "%s@%d: header: \"%s\": \"%s\"; expected %s", r->path,
		     TMT_PREAMBLE_LEN, key, s, expected);
	*out = strcmp(s, b) == 0;
	return 0;
}

static int hdr_fields(const struct tmt_reader *r, json_t *hdr,
		      struct tm_trace_info *info, struct tm_error *err)
{
	uint64_t page_size, vcpus;
	int kind, space, ns;

	if (hdr_choice(r, hdr, "kind", "accesses", "samples", &kind, err) ||
	    hdr_choice(r, hdr, "address_space", "gva", "gpa", &space, err) ||
	    hdr_choice(r, hdr, "time_unit", "ns", "ns", &ns, err) ||
	    hdr_uint(r, hdr, "page_size", 1u << TM_TRACE_PAGE_SHIFT_MIN,
		     1u << TM_TRACE_PAGE_SHIFT_MAX, &page_size, err) ||
	    hdr_uint(r, hdr, "load_period", 0, INT64_MAX, &info->load_period, err) ||
	    hdr_uint(r, hdr, "store_period", 0, INT64_MAX, &info->store_period, err) ||
	    hdr_uint(r, hdr, "vcpus", 1, TM_TRACE_VCPUS_MAX, &vcpus, err) ||
	    hdr_uint(r, hdr, "footprint_hint", 0, INT64_MAX,
		     &info->sz_footprint_hint, err))
		return -1;
	TM_RETURN_IF(page_size & (page_size - 1), err, TM_ERR_FORMAT,
		     "%s@%d: header: \"page_size\": %llu; expected a power of two",
		     r->path, TMT_PREAMBLE_LEN, (unsigned long long)page_size);
	TM_RETURN_IF(kind == TM_TRACE_SAMPLES && info->load_period == 0, err,
		     TM_ERR_FORMAT, "%s@%d: header: \"load_period\": 0; expected at "
		     "least 1 in a samples trace", r->path, TMT_PREAMBLE_LEN);
	if (!json_is_string(json_object_get(hdr, "source")))
		return hdr_missing(r, "source", "a string", err);
	if (json_object_get(hdr, "provenance") &&
	    !json_is_object(json_object_get(hdr, "provenance")))
		return hdr_missing(r, "provenance", "an object", err);
	info->kind = kind ? TM_TRACE_SAMPLES : TM_TRACE_ACCESSES;
	info->space = space ? TM_ADDR_GPA : TM_ADDR_GVA;
	info->page_shift = (uint32_t)__builtin_ctzll(page_size);
	info->nr_vcpus = (uint32_t)vcpus;
	return 0;
}

static int read_header(struct tmt_reader *r, struct tm_trace_info *info,
		       struct tm_error *err)
{
	uint32_t len = 0;
	json_error_t jerr;
	json_t *hdr;
	int rc;

	if (read_preamble(r, &len, err))
		return -1;
	r->header_json = tm_xmalloc((size_t)len + 1);
	if (dec_read_exact(r, (unsigned char *)r->header_json, len, "JSON header", err))
		return -1;
	r->header_json[len] = '\0';
	hdr = json_loadb(r->header_json, len, JSON_REJECT_DUPLICATES, &jerr);
	TM_RETURN_IF(!hdr, err, TM_ERR_FORMAT,
		     "%s@%llu: header JSON: %s; expected a JSON object", r->path,
		     (unsigned long long)(TMT_PREAMBLE_LEN + (jerr.position > 0 ? jerr.position : 0)),
		     jerr.text);
	if (!json_is_object(hdr)) {
		json_decref(hdr);
		return tm_error_set(err, TM_ERR_FORMAT,
				    "%s@%d: header JSON is not an object; expected {...}",
				    r->path, TMT_PREAMBLE_LEN);
	}
	rc = hdr_fields(r, hdr, info, err);
	json_decref(hdr);
	return rc;
}

/* ---- reader: records ------------------------------------------------------ */

static int record_error(struct tmt_reader *r, const struct tm_record *rec,
			size_t i, struct tm_error *err)
{
	unsigned long long off = (unsigned long long)(r->dec_off + i * TM_RECORD_DISK_SIZE);
	unsigned long long idx = (unsigned long long)(r->nr_records + i);

	if (rec->op > TM_OP_MODIFY)
		return tm_error_set(err, TM_ERR_FORMAT,
			"%s@%llu: record %llu: op %u; expected 0 (load), 1 (store) "
			"or 2 (modify)", r->path, off, idx, rec->op);
	if (rec->flags)
		return tm_error_set(err, TM_ERR_FORMAT,
			"%s@%llu: record %llu: flags 0x%02x; expected 0 (reserved)",
			r->path, off, idx, rec->flags);
	return tm_error_set(err, TM_ERR_FORMAT,
		"%s@%llu: record %llu: time %llu ns is before the previous "
		"record's %llu ns; expected non-decreasing time", r->path, off, idx,
		(unsigned long long)rec->time_ns,
		(unsigned long long)(i ? rec[-1].time_ns : r->last_time_ns));
}

/* Decode (big-endian hosts) and check nr records in place. */
static int check_records(struct tmt_reader *r, struct tm_record *recs,
			 size_t nr, struct tm_error *err)
{
	uint64_t last = r->last_time_ns;
	size_t i;

	for (i = 0; i < nr; i++) {
#if !TM_NATIVE_LE
		rec_from_disk(&recs[i]);
#endif
		if (recs[i].op > TM_OP_MODIFY || recs[i].flags ||
		    recs[i].time_ns < last)
			return record_error(r, &recs[i], i, err);
		last = recs[i].time_ns;
	}
	r->last_time_ns = last;
	return 0;
}

static ssize_t reader_fail(struct tmt_reader *r, struct tm_error *err)
{
	r->failed = 1;
	if (err)
		r->saved = *err;
	return -1;
}

/* ---- reader: version 2 blocks --------------------------------------------- */

static int block_fault(struct tmt_reader *r, const char *record,
		       const struct tm_tmt_v2_fault *f, struct tm_error *err)
{
	return tm_error_set(err, TM_ERR_FORMAT, "%s@%llu: %s%s %llu; expected %s",
			    r->path, (unsigned long long)(r->blk_off + f->off),
			    record, f->field, (unsigned long long)f->value,
			    f->expected);
}

/* Read the next block into blk_buf: 1, 0 at the end of the records, -1. */
static int block_load(struct tmt_reader *r, struct tm_error *err)
{
	unsigned char hdr[TM_TMT_V2_BLOCK_HDR];
	struct tm_tmt_v2_fault f;
	size_t got, sz;

	r->blk_off = r->dec_off;
	if (dec_fill(r, hdr, sizeof(hdr), &got, err))
		return -1;
	if (got == 0)
		return 0;
	TM_RETURN_IF(got < sizeof(hdr), err, TM_ERR_FORMAT, "%s@%llu: data ends "
		     "inside a block header; expected %d bytes of it", r->path,
		     (unsigned long long)(r->blk_off + got), TM_TMT_V2_BLOCK_HDR);
	if (tm_tmt_v2_parse(hdr, &r->blk, &sz, &f))
		return block_fault(r, "", &f, err);
	if (sz + TM_TMT_V2_PAD > r->blk_cap) {
		r->blk_cap = sz + TM_TMT_V2_PAD;
		free(r->blk_buf);
		r->blk_buf = tm_xmalloc(r->blk_cap);
	}
	if (dec_fill(r, r->blk_buf, sz, &got, err))
		return -1;
	TM_RETURN_IF(got < sz, err, TM_ERR_FORMAT, "%s@%llu: data ends inside a "
		     "block of %u records; expected %zu bytes of columns", r->path,
		     (unsigned long long)(r->blk_off + sizeof(hdr) + got), r->blk.nr, sz);
	memset(r->blk_buf + sz, 0, TM_TMT_V2_PAD);
	tm_tmt_v2_bind(&r->blk, r->blk_buf);
	r->dec_off += sizeof(hdr) + sz;
	return 1;
}

static int block_record_error(struct tmt_reader *r, size_t done,
			      struct tm_error *err)
{
	struct tm_tmt_v2_fault f;
	char record[48];

	tm_tmt_v2_fault_at(&r->blk, &r->v2, &f);
	snprintf(record, sizeof(record), "record %llu: ",
		 (unsigned long long)(r->nr_records + done));
	return block_fault(r, record, &f, err);
}

/* Decode up to cap records from version 2 blocks; as reader_read. */
static ssize_t reader_read_v2(struct tmt_reader *r, struct tm_record *buf,
			      size_t cap, struct tm_error *err)
{
	size_t done = 0;

	while (done < cap) {
		size_t want, got;
		int rc;

		if (r->blk.next == r->blk.nr) {
			rc = block_load(r, err);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		}
		want = r->blk.nr - r->blk.next;
		want = want < cap - done ? want : cap - done;
		got = tm_tmt_v2_decode(&r->blk, &r->v2, buf + done, want);
		done += got;
		if (got < want)
			return block_record_error(r, done, err);
	}
	r->nr_records += done;
	return (ssize_t)done;
}

static ssize_t reader_read(void *state, struct tm_record *buf, size_t cap,
			   struct tm_error *err)
{
	struct tmt_reader *r = state;
	unsigned char *dst = (unsigned char *)buf;
	size_t got, total, nr;

	if (r->failed) {
		if (err)
			*err = r->saved;
		return -1;
	}
	if (cap > SSIZE_MAX / TM_RECORD_DISK_SIZE)
		cap = SSIZE_MAX / TM_RECORD_DISK_SIZE;
	if (cap == 0)
		return 0;
	if (r->version == 2) {
		ssize_t n = reader_read_v2(r, buf, cap, err);

		return n < 0 ? reader_fail(r, err) : n;
	}
	memcpy(dst, r->carry, r->nr_carry);
	if (dec_fill(r, dst + r->nr_carry, cap * TM_RECORD_DISK_SIZE - r->nr_carry,
		     &got, err))
		return reader_fail(r, err);
	if (got == 0 && r->nr_carry) {
		tm_error_set(err, TM_ERR_FORMAT,
			     "%s@%llu: trailing partial record of %zu bytes; expected "
			     "whole %d-byte records", r->path,
			     (unsigned long long)r->dec_off, r->nr_carry,
			     TM_RECORD_DISK_SIZE);
		return reader_fail(r, err);
	}
	total = r->nr_carry + got;
	nr = total / TM_RECORD_DISK_SIZE;
	r->nr_carry = total - nr * TM_RECORD_DISK_SIZE;
	memcpy(r->carry, dst + nr * TM_RECORD_DISK_SIZE, r->nr_carry);
	if (check_records(r, buf, nr, err))
		return reader_fail(r, err);
	r->dec_off += nr * TM_RECORD_DISK_SIZE;
	r->nr_records += nr;
	return (ssize_t)nr;
}

static const struct tm_stream_ops tmt_reader_ops = {
	.name = "tmt",
	.read = reader_read,
	.free = reader_free,
};

const char *tm_tmt_stream_header_json(const struct tm_stream *s)
{
	if (!s || s->ops != &tmt_reader_ops)
		return NULL;
	return ((const struct tmt_reader *)s->state)->header_json;
}

static int reader_open_file(struct tmt_reader *r, struct tm_error *err)
{
	struct stat st;

	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 && errno == ENOENT)
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: no such file", r->path);
	TM_RETURN_IF(r->fd < 0, err, TM_ERR_NOTFOUND, "%s: cannot open: %s",
		     r->path, strerror(errno));
	TM_RETURN_IF(fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode), err,
		     TM_ERR_NOTFOUND, "%s: is a directory; expected a .tmt file",
		     r->path);
	return 0;
}

int tm_tmt_open(const char *path, struct tm_stream **out, struct tm_error *err)
{
	struct tmt_reader *r = tm_xcalloc(1, sizeof(*r));
	struct tm_stream *s;

	*out = NULL;
	r->fd = -1;
	r->path = tm_xstrdup(path);
	if (reader_open_file(r, err))
		goto fail;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		tm_error_set(err, TM_ERR_INTERNAL, "%s: cannot create a zstd context", path);
		goto fail;
	}
	/* A frame header can declare any window up to zstd's default limit
	 * (128 MiB), and the reader would allocate it: cap it near what the
	 * writer makes (512 KiB at level -3) so a few-byte file cannot. */
	(void)ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax,
				     TMT_WINDOW_LOG_MAX);
	r->in_cap = ZSTD_DStreamInSize();
	r->in_buf = tm_xmalloc(r->in_cap);
	r->in.src = r->in_buf;
	s = tm_xcalloc(1, sizeof(*s));
	if (check_frame_start(r, err) || read_header(r, &s->info, err)) {
		free(s);
		goto fail;
	}
	snprintf(s->info.source, sizeof(s->info.source), "%s", path);
	s->ops = &tmt_reader_ops;
	s->state = r;
	*out = s;
	return 0;
fail:
	reader_free(r);
	return -1;
}
