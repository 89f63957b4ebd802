/*
 * tmt_write.c - the .tmt writer (DESIGN.md §5; byte layout in
 * docs/trace-format.md): preamble, JSON header and records, version 1
 * (24-byte rows) or version 2 (blocks of columns, tmt_v2.c), into one
 * zstd frame with a content checksum.
 *
 * The writer compresses into "<dir>/.<name>.tmp.<pid>", and on close fsyncs and
 * renames it into place, so no reader ever sees a half-written trace.
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

#include "lib/alloc.h"
#include "lib/le.h"
#include "lib/tmpname.h"
#include "tmt_internal.h"
#include "tmt_v2.h"

/* Writer zstd settings, chosen with tests/bench/bench_trace.c on a 2-core
 * machine (all levels measured there): level -3 (TM_TMT_LEVEL_DEFAULT) keeps
 * the reader above 50M records/s (59M; level 1 gives 42M) at 8.8
 * bytes/record, and two workers keep the writer above 20M records/s (30M;
 * 19M single-threaded).  With a fixed worker count the bytes are
 * deterministic for one zstd version.  Other levels (--zstd-level) trade
 * size for replay speed (docs/bench.md).  The window is 512 KiB at every
 * level, so readers need the same memory whatever the level (records are
 * independent: a wider window compresses them no better). */
#define TMT_ZSTD_WORKERS 2
#define TMT_WINDOW_LOG 19
#define TMT_WRITE_BUF (256u << 10)

#if !TM_NATIVE_LE
static void rec_to_disk(const struct tm_record *rec, unsigned char *p)
{
	tm_put_le64(p, rec->time_ns);
	tm_put_le64(p + 8, rec->addr);
	tm_put_le32(p + 16, rec->weight);
	tm_put_le16(p + 20, rec->cpu);
	p[22] = rec->op;
	p[23] = rec->flags;
}
#endif

static const char *kind_name(enum tm_trace_kind k)
{
	return k == TM_TRACE_SAMPLES ? "samples" : "accesses";
}

static const char *space_name(enum tm_addr_space s)
{
	return s == TM_ADDR_GPA ? "gpa" : "gva";
}

int tm_tmt_zstd_level(void)
{
	return TM_TMT_LEVEL_DEFAULT;
}

int tm_tmt_parse_level(const char *v, int *out, struct tm_error *err)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (!*v || *end || errno || l < TM_TMT_LEVEL_MIN || l > TM_TMT_LEVEL_MAX)
		return tm_error_set(err, TM_ERR_USAGE, "expected an integer from %d "
				    "to %d, got \"%s\"", TM_TMT_LEVEL_MIN,
				    TM_TMT_LEVEL_MAX, v);
	*out = (int)l;
	return 0;
}

/* ---- writer --------------------------------------------------------------- */

struct tm_tmt_writer {
	char *path;
	char *tmp_path;
	int fd;
	ZSTD_CCtx *cctx;
	unsigned char *out_buf;
	size_t out_cap;
	uint64_t nr_records;
	uint64_t last_time_ns;
	int failed;
	int version;
	/* version 2: records waiting for a full block, and its encoding */
	struct tm_record *blk;
	size_t nr_blk;
	uint64_t *scratch;
	unsigned char *enc;
	struct tm_tmt_v2_state v2;
#if !TM_NATIVE_LE
	unsigned char *enc_buf; /* TMT_WRITE_BUF bytes of encoded records */
#endif
};

static void writer_free(struct tm_tmt_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	free(w->out_buf);
	free(w->blk);
	free(w->scratch);
	free(w->enc);
#if !TM_NATIVE_LE
	free(w->enc_buf);
#endif
	free(w->tmp_path);
	free(w->path);
	free(w);
}

void tm_tmt_writer_abort(struct tm_tmt_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	unlink(w->tmp_path);
	writer_free(w);
}

static int write_all(struct tm_tmt_writer *w, size_t len, struct tm_error *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(w->fd, w->out_buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		TM_RETURN_IF(n < 0, err, TM_ERR_IO, "%s: write: %s", w->tmp_path,
			     strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

static int compress_bytes(struct tm_tmt_writer *w, const void *src, size_t len,
			  ZSTD_EndDirective mode, struct tm_error *err)
{
	ZSTD_inBuffer in = { src, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { w->out_buf, w->out_cap, 0 };

		left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		TM_RETURN_IF(ZSTD_isError(left), err, TM_ERR_INTERNAL,
			     "%s: zstd: %s", w->tmp_path, ZSTD_getErrorName(left));
		if (write_all(w, out.pos, err))
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int info_check(const char *path, const struct tm_trace_info *info,
		      struct tm_error *err)
{
	TM_RETURN_IF(info->kind != TM_TRACE_ACCESSES && info->kind != TM_TRACE_SAMPLES,
		     err, TM_ERR_BOUNDS, "%s: kind %d; expected accesses or samples",
		     path, (int)info->kind);
	TM_RETURN_IF(info->space != TM_ADDR_GVA && info->space != TM_ADDR_GPA, err,
		     TM_ERR_BOUNDS, "%s: address space %d; expected gva or gpa", path,
		     (int)info->space);
	TM_RETURN_IF(info->page_shift < TM_TRACE_PAGE_SHIFT_MIN ||
		     info->page_shift > TM_TRACE_PAGE_SHIFT_MAX, err,
		     TM_ERR_BOUNDS, "%s: page shift %u; expected %u to %u", path,
		     info->page_shift, TM_TRACE_PAGE_SHIFT_MIN,
		     TM_TRACE_PAGE_SHIFT_MAX);
	TM_RETURN_IF(info->nr_vcpus < 1 || info->nr_vcpus > TM_TRACE_VCPUS_MAX, err,
		     TM_ERR_BOUNDS, "%s: vcpus %u; expected 1 to %u", path,
		     info->nr_vcpus, TM_TRACE_VCPUS_MAX);
	TM_RETURN_IF(info->kind == TM_TRACE_SAMPLES && info->load_period == 0, err,
		     TM_ERR_BOUNDS, "%s: load period 0; expected at least 1 in a "
		     "samples trace", path);
	TM_RETURN_IF(info->load_period > INT64_MAX || info->store_period > INT64_MAX ||
		     info->sz_footprint_hint > INT64_MAX, err, TM_ERR_BOUNDS,
		     "%s: period or footprint hint above 2^63; expected less", path);
	return 0;
}

/* info->source as a JSON string; bytes that are not valid UTF-8 (a file
 * name in another encoding) become '?' rather than failing the write. */
static json_t *source_json(const struct tm_trace_info *info)
{
	size_t n = strnlen(info->source, sizeof(info->source));
	char ascii[sizeof(info->source)];
	json_t *v = json_stringn(info->source, n);

	if (v)
		return v;
	for (size_t i = 0; i < n; i++)
		ascii[i] = (unsigned char)info->source[i] < 0x80 ? info->source[i] : '?';
	return json_stringn(ascii, n);
}

/* The header text, keys in the documented order; NULL on bad provenance. */
static char *header_text(const char *path, const struct tm_trace_info *info,
			 const char *provenance_json, struct tm_error *err)
{
	json_t *h = json_object(), *prov = NULL;
	json_error_t jerr;
	char *text;

	if (provenance_json) {
		prov = json_loads(provenance_json, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(prov)) {
			tm_error_set(err, TM_ERR_FORMAT, "%s: provenance: %s; expected "
				     "a JSON object", path, prov ? "not an object" : jerr.text);
			json_decref(prov);
			json_decref(h);
			return NULL;
		}
	}
	json_object_set_new(h, "kind", json_string(kind_name(info->kind)));
	json_object_set_new(h, "address_space", json_string(space_name(info->space)));
	json_object_set_new(h, "page_size", json_integer((json_int_t)1 << info->page_shift));
	json_object_set_new(h, "load_period", json_integer((json_int_t)info->load_period));
	json_object_set_new(h, "store_period", json_integer((json_int_t)info->store_period));
	json_object_set_new(h, "vcpus", json_integer(info->nr_vcpus));
	json_object_set_new(h, "time_unit", json_string("ns"));
	json_object_set_new(h, "footprint_hint",
			    json_integer((json_int_t)info->sz_footprint_hint));
	json_object_set_new(h, "source", source_json(info));
	if (prov)
		json_object_set_new(h, "provenance", prov);
	/* 15 digits print 0.3 as 0.3 and keep any 15-digit decimal input */
	text = json_dumps(h, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(h);
	return text;
}

static int writer_setup_zstd(struct tm_tmt_writer *w, int level,
			     struct tm_error *err)
{
	w->cctx = ZSTD_createCCtx();
	TM_RETURN_IF(!w->cctx, err, TM_ERR_INTERNAL, "%s: cannot create a zstd context",
		     w->path);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
						level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_windowLog,
						TMT_WINDOW_LOG)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)))
		return tm_error_set(err, TM_ERR_INTERNAL, "%s: zstd rejected the "
				    "writer parameters", w->path);
	/* A libzstd built without threads refuses; single-threaded is fine. */
	(void)ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, TMT_ZSTD_WORKERS);
	w->out_cap = TMT_WRITE_BUF;
	w->out_buf = tm_xmalloc(w->out_cap);
#if !TM_NATIVE_LE
	w->enc_buf = tm_xmalloc(TMT_WRITE_BUF);
#endif
	return 0;
}

static int writer_put_header(struct tm_tmt_writer *w, const char *text,
			     struct tm_error *err)
{
	size_t len = strlen(text);
	unsigned char *buf;
	int rc;

	TM_RETURN_IF(len > TMT_HEADER_MAX, err, TM_ERR_BOUNDS,
		     "%s: header of %zu bytes; expected at most %u", w->path, len,
		     TMT_HEADER_MAX);
	buf = tm_xmalloc(TMT_PREAMBLE_LEN + len);
	memcpy(buf, TM_TMT_MAGIC, TMT_MAGIC_LEN); /* includes the NUL */
	tm_put_le32(buf + 8, (uint32_t)w->version);
	tm_put_le32(buf + 12, (uint32_t)len);
	memcpy(buf + TMT_PREAMBLE_LEN, text, len);
	rc = compress_bytes(w, buf, TMT_PREAMBLE_LEN + len, ZSTD_e_continue, err);
	free(buf);
	return rc;
}

struct tm_tmt_writer *tm_tmt_writer_new(const char *path,
					const struct tm_trace_info *info,
					const char *provenance_json,
					struct tm_error *err)
{
	return tm_tmt_writer_new_level(path, info, provenance_json,
				       TM_TMT_LEVEL_DEFAULT, err);
}

struct tm_tmt_writer *tm_tmt_writer_new_level(const char *path,
					      const struct tm_trace_info *info,
					      const char *provenance_json,
					      int level, struct tm_error *err)
{
	return tm_tmt_writer_new_format(path, info, provenance_json, level,
					TM_TMT_VERSION_DEFAULT, err);
}

int tm_tmt_parse_format(const char *v, int *out, struct tm_error *err)
{
	if ((v[0] == '1' || v[0] == '2') && !v[1]) {
		*out = v[0] - '0';
		return 0;
	}
	return tm_error_set(err, TM_ERR_USAGE, "expected %d or %d (the record "
			    "encoding), got \"%s\"", TM_TMT_VERSION_MIN,
			    TM_TMT_VERSION_MAX, v);
}

static void writer_setup_v2(struct tm_tmt_writer *w)
{
	w->blk = tm_xmalloc(TM_TMT_V2_BLOCK_WRITE * sizeof(*w->blk));
	w->scratch = tm_xmalloc(TM_TMT_V2_NR_COLS * TM_TMT_V2_BLOCK_WRITE *
				sizeof(*w->scratch));
	w->enc = tm_xmalloc(tm_tmt_v2_bound(TM_TMT_V2_BLOCK_WRITE));
}

struct tm_tmt_writer *tm_tmt_writer_new_format(const char *path,
					       const struct tm_trace_info *info,
					       const char *provenance_json,
					       int level, int version,
					       struct tm_error *err)
{
	struct tm_tmt_writer *w;
	char *text;

	if (version < TM_TMT_VERSION_MIN || version > TM_TMT_VERSION_MAX) {
		tm_error_set(err, TM_ERR_USAGE, "%s: format %d: expected %d or %d",
			     path, version, TM_TMT_VERSION_MIN, TM_TMT_VERSION_MAX);
		return NULL;
	}

	if (level < TM_TMT_LEVEL_MIN || level > TM_TMT_LEVEL_MAX) {
		tm_error_set(err, TM_ERR_USAGE, "%s: zstd level %d: expected %d "
			     "to %d", path, level, TM_TMT_LEVEL_MIN,
			     TM_TMT_LEVEL_MAX);
		return NULL;
	}
	if (info_check(path, info, err))
		return NULL;
	text = header_text(path, info, provenance_json, err);
	if (!text)
		return NULL;
	w = tm_xcalloc(1, sizeof(*w));
	w->version = version;
	if (version == 2)
		writer_setup_v2(w);
	w->path = tm_xstrdup(path);
	w->tmp_path = tm_tmp_path(path);
	w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		tm_error_set(err, TM_ERR_IO, "%s: cannot create %s: %s", w->path,
			     w->tmp_path, strerror(errno));
		free(text);
		writer_free(w);
		return NULL;
	}
	if (writer_setup_zstd(w, level, err) || writer_put_header(w, text, err)) {
		free(text);
		tm_tmt_writer_abort(w);
		return NULL;
	}
	free(text);
	return w;
}

static int writer_check(struct tm_tmt_writer *w, const struct tm_record *recs,
			size_t nr, struct tm_error *err)
{
	uint64_t last = w->last_time_ns;
	size_t i;

	for (i = 0; i < nr; i++) {
		const struct tm_record *r = &recs[i];
		unsigned long long idx = (unsigned long long)(w->nr_records + i);

		TM_RETURN_IF(r->op > TM_OP_MODIFY, err, TM_ERR_FORMAT,
			     "%s: record %llu: op %u; expected 0, 1 or 2", w->path,
			     idx, r->op);
		TM_RETURN_IF(r->flags, err, TM_ERR_FORMAT,
			     "%s: record %llu: flags 0x%02x; expected 0", w->path, idx,
			     r->flags);
		TM_RETURN_IF(r->time_ns < last, err, TM_ERR_FORMAT,
			     "%s: record %llu: time %llu ns is before the previous "
			     "record's %llu ns; expected non-decreasing time", w->path,
			     idx, (unsigned long long)r->time_ns,
			     (unsigned long long)last);
		last = r->time_ns;
	}
	w->last_time_ns = last;
	return 0;
}

/* Encode and compress the waiting records as one version 2 block. */
static int writer_flush_block(struct tm_tmt_writer *w, struct tm_error *err)
{
	size_t len;

	if (w->nr_blk == 0)
		return 0;
	len = tm_tmt_v2_encode(w->blk, w->nr_blk, &w->v2, w->scratch, w->enc);
	w->nr_blk = 0;
	return compress_bytes(w, w->enc, len, ZSTD_e_continue, err);
}

static int writer_add_v2(struct tm_tmt_writer *w, const struct tm_record *recs,
			 size_t nr, struct tm_error *err)
{
	while (nr) {
		size_t n = TM_TMT_V2_BLOCK_WRITE - w->nr_blk;

		n = n < nr ? n : nr;
		memcpy(w->blk + w->nr_blk, recs, n * sizeof(*recs));
		w->nr_blk += n;
		recs += n;
		nr -= n;
		if (w->nr_blk == TM_TMT_V2_BLOCK_WRITE && writer_flush_block(w, err))
			return -1;
	}
	return 0;
}

static int writer_compress_records(struct tm_tmt_writer *w,
				   const struct tm_record *recs, size_t nr,
				   struct tm_error *err)
{
	if (w->version == 2)
		return writer_add_v2(w, recs, nr, err);
#if TM_NATIVE_LE
	return compress_bytes(w, recs, nr * TM_RECORD_DISK_SIZE, ZSTD_e_continue, err);
#else
	const size_t per = TMT_WRITE_BUF / TM_RECORD_DISK_SIZE;
	size_t i, j, n;

	for (i = 0; i < nr; i += n) {
		n = nr - i < per ? nr - i : per;
		for (j = 0; j < n; j++)
			rec_to_disk(&recs[i + j], w->enc_buf + j * TM_RECORD_DISK_SIZE);
		if (compress_bytes(w, w->enc_buf, n * TM_RECORD_DISK_SIZE,
				   ZSTD_e_continue, err))
			return -1;
	}
	return 0;
#endif
}

int tm_tmt_writer_add(struct tm_tmt_writer *w, const struct tm_record *recs,
		      size_t nr, struct tm_error *err)
{
	TM_RETURN_IF(w->failed, err, TM_ERR_INTERNAL,
		     "%s: writer used after a failure; expected abort", w->path);
	if (writer_check(w, recs, nr, err) ||
	    writer_compress_records(w, recs, nr, err)) {
		w->failed = 1;
		return -1;
	}
	w->nr_records += nr;
	return 0;
}

/* Make the rename durable; best effort (some file systems refuse). */
static void fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = tm_xstrdup(".");
	else if (slash == path)
		dir = tm_xstrdup("/");
	else {
		dir = tm_xmalloc((size_t)(slash - path) + 1);
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int tm_tmt_writer_close(struct tm_tmt_writer *w, struct tm_error *err)
{
	int rc;

	if (w->failed) {
		tm_error_set(err, TM_ERR_INTERNAL, "%s: writer closed after a "
			     "failure; expected abort", w->path);
		goto fail;
	}
	if (writer_flush_block(w, err) ||
	    compress_bytes(w, NULL, 0, ZSTD_e_end, err))
		goto fail;
	if (fsync(w->fd) != 0) {
		tm_error_set(err, TM_ERR_IO, "%s: fsync: %s", w->tmp_path, strerror(errno));
		goto fail;
	}
	rc = close(w->fd);
	w->fd = -1;
	if (rc != 0 || rename(w->tmp_path, w->path) != 0) {
		tm_error_set(err, TM_ERR_IO, "%s: %s: %s", w->path,
			     rc ? "close" : "rename", strerror(errno));
		goto fail;
	}
	fsync_parent_dir(w->path);
	writer_free(w);
	return 0;
fail:
	tm_tmt_writer_abort(w);
	return -1;
}
