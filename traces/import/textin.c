/*
 * textin.c - the input of the text importers (perf-script, lackey): a
 * file or standard input ("-"), plain, gzip or zstd, told apart by the
 * first bytes (gzip 1f 8b, zstd frame 28 b5 2f fd; RFC 1952, RFC 8878),
 * never by the name, and read a line at a time.
 *
 * Traces are large and compressed ones are the norm (a public corpus ships
 * *.trace.gz), so nothing is decompressed to disk: input is read 64 KiB at
 * a time, decoded into a 64 KiB window, and lines are cut from the window.
 * Concatenated gzip members (`cat a.gz b.gz`, pigz) and zstd frames are
 * read one after the other, as gzip -dc and zstd -dc do.  A compressed
 * stream that ends inside a member or frame is an error at its byte offset.
 *
 * Notes (simplifications): a gzip member followed by trailing garbage is
 * an error, where gzip -dc warns and stops; no bzip2 or xz.  The zstd
 * window is zstd's default limit (128 MiB), so `zstd --long` files read,
 * and a frame header may make the decoder allocate that much.
 */
#include "import_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "lib/alloc.h"

#define SZ_BUF (64 * 1024) /* read and decode window; a page-cache-friendly size */

enum textin_codec { CODEC_PLAIN, CODEC_GZIP, CODEC_ZSTD };

struct tm_import_text {
	char *path;
	int fd;
	enum textin_codec codec;
	unsigned char in[SZ_BUF];  /* raw bytes: [in_pos, in_len) unread */
	size_t in_pos, in_len;
	uint64_t off_in;           /* raw bytes consumed before in[0] */
	bool in_eof;
	char out[SZ_BUF];          /* decoded bytes: [out_pos, out_len) unread */
	size_t out_pos, out_len;
	bool member_open;          /* inside a gzip member or zstd frame */
	uint64_t frame_off;        /* where the current zstd frame starts */
	z_stream z;
	ZSTD_DCtx *zd;
};

static const char *codec_name[] = { "plain", "gzip", "zstd" };

static int fill_in(struct tm_import_text *t, struct tm_error *err)
{
	ssize_t got;

	if (t->in_pos == t->in_len) {
		t->off_in += t->in_len;
		t->in_pos = t->in_len = 0;
	}
	while (!t->in_eof && t->in_len < sizeof(t->in)) {
		got = read(t->fd, t->in + t->in_len, sizeof(t->in) - t->in_len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return tm_error_set(err, TM_ERR_IO, "%s: read error: %s",
					    t->path, strerror(errno));
		if (!got)
			t->in_eof = true;
		t->in_len += (size_t)got;
		if (got)
			break;
	}
	return 0;
}

/* Offset of the next unread raw byte, for messages. */
static unsigned long long raw_off(const struct tm_import_text *t)
{
	return (unsigned long long)(t->off_in + t->in_pos);
}

static int gzip_step(struct tm_import_text *t, struct tm_error *err)
{
	int zrc;

	if (!t->member_open) {
		if (inflateReset(&t->z) != Z_OK)
			return tm_error_set(err, TM_ERR_INTERNAL, "%s: zlib reset "
					    "failed", t->path);
		t->member_open = true;
	}
	t->z.next_in = t->in + t->in_pos;
	t->z.avail_in = (uInt)(t->in_len - t->in_pos);
	t->z.next_out = (Bytef *)t->out;
	t->z.avail_out = sizeof(t->out);
	zrc = inflate(&t->z, Z_NO_FLUSH);
	t->in_pos = t->in_len - t->z.avail_in;
	t->out_len = sizeof(t->out) - t->z.avail_out;
	/* Z_BUF_ERROR: no progress, i.e. nothing left to flush (not fatal) */
	if (zrc == Z_STREAM_END)
		t->member_open = false;
	else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
		return tm_error_at_off(err, TM_ERR_FORMAT, t->path, raw_off(t),
				       "corrupt gzip data (%s); expected a gzip "
				       "stream", t->z.msg ? t->z.msg : "no progress");
	return 0;
}

static int zstd_step(struct tm_import_text *t, struct tm_error *err)
{
	ZSTD_inBuffer in = { t->in + t->in_pos, t->in_len - t->in_pos, 0 };
	ZSTD_outBuffer out = { t->out, sizeof(t->out), 0 };
	size_t zrc;

	/* zstd decodes whole blocks and does not say where in one the damage
	 * is, so errors name the start of the frame holding it. */
	if (!t->member_open)
		t->frame_off = raw_off(t);
	zrc = ZSTD_decompressStream(t->zd, &out, &in);
	if (ZSTD_isError(zrc))
		return tm_error_at_off(err, TM_ERR_FORMAT, t->path, t->frame_off,
				       "corrupt zstd frame starting here (%s); "
				       "expected a whole zstd frame",
				       ZSTD_getErrorName(zrc));
	t->in_pos += in.pos;
	t->out_len = out.pos;
	t->member_open = zrc != 0;
	return 0;
}

/* Refill out[]; on return out_len == 0 only at the end of the input.  At
 * the end of the raw input a decoder may still hold output (a window that
 * out[] could not take), so an open member is stepped dry until it yields
 * nothing: then it is truncated. */
static int fill_out(struct tm_import_text *t, struct tm_error *err)
{
	bool dry;

	t->out_pos = t->out_len = 0;
	while (!t->out_len) {
		if (t->in_pos == t->in_len && fill_in(t, err))
			return -1;
		dry = t->in_pos == t->in_len;
		if (dry && !t->member_open)
			return 0;
		if (t->codec == CODEC_PLAIN) {
			memcpy(t->out, t->in + t->in_pos, t->in_len - t->in_pos);
			t->out_len = t->in_len - t->in_pos;
			t->in_pos = t->in_len;
		} else if ((t->codec == CODEC_GZIP ? gzip_step : zstd_step)(t, err)) {
			return -1;
		}
		if (dry && !t->out_len && t->member_open)
			return tm_error_at_off(err, TM_ERR_FORMAT, t->path, raw_off(t),
					       "end of file inside a %s stream; "
					       "expected the rest (truncated file?)",
					       codec_name[t->codec]);
	}
	return 0;
}

ssize_t tm_import_text_getline(struct tm_import_text *t, char **line, size_t *cap,
			       struct tm_error *err)
{
	size_t n = 0, k;
	char *nl;

	for (;;) {
		if (t->out_pos == t->out_len) {
			if (fill_out(t, err))
				return -1;
			if (!t->out_len)
				break;
		}
		nl = memchr(t->out + t->out_pos, '\n', t->out_len - t->out_pos);
		k = nl ? (size_t)(nl - (t->out + t->out_pos)) + 1 : t->out_len - t->out_pos;
		if (n + k + 1 > *cap) {
			*cap = 2 * (n + k + 1) > 128 ? 2 * (n + k + 1) : 128;
			*line = tm_xrealloc(*line, *cap);
		}
		memcpy(*line + n, t->out + t->out_pos, k);
		n += k;
		t->out_pos += k;
		if (nl)
			break;
	}
	if (n)
		(*line)[n] = '\0';
	return (ssize_t)n;
}

static int detect(struct tm_import_text *t, struct tm_error *err)
{
	static const unsigned char gz[2] = { 0x1f, 0x8b };
	static const unsigned char zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	while (!t->in_eof && t->in_len < sizeof(zs))
		if (fill_in(t, err))
			return -1;
	if (t->in_len >= 2 && !memcmp(t->in, gz, 2)) {
		t->codec = CODEC_GZIP;
		if (inflateInit2(&t->z, 15 + 16) != Z_OK) /* 16: gzip wrapper only */
			return tm_error_set(err, TM_ERR_INTERNAL, "%s: zlib init "
					    "failed", t->path);
	} else if (t->in_len >= 4 && !memcmp(t->in, zs, 4)) {
		t->codec = CODEC_ZSTD;
		t->zd = ZSTD_createDCtx();
		if (!t->zd)
			return tm_error_set(err, TM_ERR_INTERNAL, "%s: cannot create "
					    "a zstd context", t->path);
	}
	return 0;
}

int tm_import_text_open(const char *path, struct tm_import_text **out,
			struct tm_error *err)
{
	struct tm_import_text *t;
	bool in = !strcmp(path, "-");

	*out = NULL;
	t = tm_xcalloc(1, sizeof(*t));
	t->fd = in ? STDIN_FILENO : open(path, O_RDONLY);
	t->path = tm_xstrdup(path);
	if (t->fd < 0) {
		tm_error_set(err, TM_ERR_NOTFOUND, "%s: cannot open: %s", path,
			     strerror(errno));
		tm_import_text_free(t);
		return -1;
	}
	if (detect(t, err)) {
		tm_import_text_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

const char *tm_import_text_codec(const struct tm_import_text *t)
{
	return codec_name[t->codec];
}

void tm_import_text_free(struct tm_import_text *t)
{
	if (!t)
		return;
	if (t->codec == CODEC_GZIP)
		inflateEnd(&t->z);
	ZSTD_freeDCtx(t->zd);
	if (t->fd > STDIN_FILENO)
		close(t->fd);
	free(t->path);
	free(t);
}
