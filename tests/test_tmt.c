/*
 * test_tmt.c - the .tmt reader and writer (traces/tmt.c, docs/trace-format.md).
 *
 * Round trips are bit-exact (10M records, every record compared) in both
 * record encodings, and v1 -> v2 -> v1 gives back the same bytes; a v1 file
 * written by the release before v2 (tests/fixtures/syswide.v1.tmt) still
 * reads; every kind of damage gives a TM_ERR_FORMAT message naming the file
 * and, where it can be known, the exact byte offset; the writer never leaves
 * a temp file.  Damaged files are built by hand: a decompressed payload
 * (preamble, header, records or blocks) compressed here with zstd, so each
 * case breaks exactly one rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "lib/alloc.h"
#include "lib/le.h"
#include "lib/tmpname.h"
#include "traces/import/import.h"
#include "traces/tmt.h"
#include "traces/tmt_internal.h"
#include "traces/tmt_v2.h"

#define NR_ROUND_TRIP 10000000ull
#define HDR_OK "{\"kind\":\"accesses\",\"address_space\":\"gva\",\"page_size\":4096," \
	"\"load_period\":0,\"store_period\":0,\"vcpus\":4,\"time_unit\":\"ns\","      \
	"\"footprint_hint\":0,\"source\":\"test\"}"

struct fixture {
	char dir[64];
	char path[128];
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Record i of the round-trip trace: non-decreasing time with ties, mostly
 * compressible fields, and every 1000th record with full-width values. */
static struct tm_record rec_at(uint64_t i)
{
	uint64_t h = mix64(i), h2 = mix64(h);
	struct tm_record r;

	r.time_ns = (1ull << 40) + 5 * (i / 2);
	r.addr = 0x7f0000000000ull + ((h % (1u << 20)) << 12) + (h2 & 0xfc0);
	r.weight = (uint32_t)(h2 >> 40) % 1000;
	r.cpu = (uint16_t)(i % 4);
	r.op = (uint8_t)(h2 % 3);
	r.flags = 0;
	if (i % 1000 == 999) {
		r.addr = h;
		r.weight = (uint32_t)h2;
		r.cpu = (uint16_t)(h2 >> 32);
	}
	return r;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/tmt-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.tmt", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int nr_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void info_default(struct tm_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = TM_TRACE_ACCESSES;
	info->space = TM_ADDR_GVA;
	info->page_shift = 12;
	info->nr_vcpus = 4;
	snprintf(info->source, sizeof(info->source), "test_tmt");
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static unsigned char *read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Compress payload into path as one zstd frame (checksum on unless told). */
static size_t write_zstd(const char *path, const void *payload, size_t len,
			 int checksum)
{
	size_t cap = ZSTD_compressBound(len), n;
	void *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	n = ZSTD_compress2(c, out, cap, payload, len);
	assert_false(ZSTD_isError(n));
	write_file(path, out, n);
	ZSTD_freeCCtx(c);
	free(out);
	return n;
}

/* A decompressed payload: preamble, header text, nr records (time 100*i,
 * valid fields) then `extra` raw bytes.  Returns its length. */
static size_t payload(unsigned char *buf, const char *magic, uint32_t version,
		      const char *hdr, uint32_t hdr_len_field, size_t nr,
		      size_t extra)
{
	size_t len = strlen(hdr), off = 16 + len, i;

	memcpy(buf, magic, 8);
	tm_put_le32(buf + 8, version);
	tm_put_le32(buf + 12, hdr_len_field);
	memcpy(buf + 16, hdr, len);
	for (i = 0; i < nr; i++, off += 24) {
		tm_put_le64(buf + off, 100 * i);
		tm_put_le64(buf + off + 8, 0x1000 * (i + 1));
		tm_put_le32(buf + off + 16, 7);
		buf[off + 20] = (unsigned char)i;
		buf[off + 21] = 0;
		buf[off + 22] = (unsigned char)(i % 3);
		buf[off + 23] = 0;
	}
	memset(buf + off, 0xab, extra);
	return off + extra;
}

/* Open path and read every record; return -1 and err on failure. */
static long long read_all(const char *path, size_t batch, struct tm_error *err)
{
	struct tm_stream *s;
	struct tm_record *buf = malloc(batch * sizeof(*buf));
	long long total = 0;
	ssize_t n;

	memset(err, 0, sizeof(*err));
	if (tm_tmt_open(path, &s, err)) {
		free(buf);
		return -1;
	}
	while ((n = tm_stream_read(s, buf, batch, err)) > 0)
		total += n;
	if (n < 0) {
		/* a failed stream keeps failing with the same message */
		struct tm_error again;

		assert_int_equal(tm_stream_read(s, buf, batch, &again), -1);
		assert_string_equal(again.msg, err->msg);
		total = -1;
	}
	tm_stream_free(s);
	free(buf);
	return total;
}

/* The file fails with TM_ERR_FORMAT; the message names the file, the
 * expected location (if off_text is not NULL) and contains `what`. */
static void expect_format(const char *path, const char *off_text, const char *what)
{
	struct tm_error err;
	char loc[256];

	assert_int_equal(read_all(path, 1000, &err), -1);
	print_message("%s\n", err.msg);
	assert_int_equal(err.code, TM_ERR_FORMAT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "expected"));
	if (off_text) {
		snprintf(loc, sizeof(loc), "%s@%s", path, off_text);
		if (!strstr(err.msg, loc))
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, loc);
	}
	if (what && !strstr(err.msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, what);
}

/* ---- round trip ------------------------------------------------------------ */

static void write_format(const char *path, uint64_t nr, int level, int format)
{
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_record *buf = malloc(4096 * sizeof(*buf));
	struct tm_error err;
	uint64_t i = 0;

	info_default(&info);
	w = tm_tmt_writer_new_format(path, &info, "{\"tool\":\"test\",\"n\":1}",
				     level, format, &err);
	assert_non_null(w);
	while (i < nr) {
		size_t n = nr - i < 4096 ? nr - i : 4096;

		for (size_t j = 0; j < n; j++)
			buf[j] = rec_at(i + j);
		assert_int_equal(tm_tmt_writer_add(w, buf, n, &err), 0);
		i += n;
	}
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	free(buf);
}

static void write_at_level(const char *path, uint64_t nr, int level)
{
	write_format(path, nr, level, TM_TMT_VERSION_DEFAULT);
}


/* Every record of path, in order, is rec_at(0 .. nr-1). */
static void check_round_trip(const char *path, uint64_t nr)
{
	struct tm_record buf[4096];
	struct tm_stream *s;
	struct tm_error err;
	uint64_t i = 0;
	ssize_t n;

	assert_int_equal(tm_tmt_open(path, &s, &err), 0);
	while ((n = tm_stream_read(s, buf, 4096, &err)) > 0)
		for (ssize_t j = 0; j < n; j++, i++) {
			struct tm_record want = rec_at(i);

			if (memcmp(&want, &buf[j], sizeof(want)) != 0)
				fail_msg("%s: record %llu differs", path,
					 (unsigned long long)i);
		}
	assert_int_equal(n, 0);
	assert_int_equal(i, nr);
	tm_stream_free(s);
}

static long long file_bytes(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long long)st.st_size;
}

/* --zstd-level: the same records at every level, smaller files at higher
 * levels; levels outside the range are refused before a file is made. */
static void test_levels(void **state)
{
	static const int levels[] = { TM_TMT_LEVEL_MIN, TM_TMT_LEVEL_DEFAULT,
				      TM_TMT_LEVEL_MAX };
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_error err;
	long long size[3];
	char p[3][300];
	int l;

	for (int k = 0; k < 3; k++) {
		snprintf(p[k], sizeof(p[k]), "%s/l%d.tmt", f->dir, k);
		write_at_level(p[k], 200000, levels[k]);
		check_round_trip(p[k], 200000);
		size[k] = file_bytes(p[k]);
		print_message("level %d: %lld bytes\n", levels[k], size[k]);
	}
	assert_true(size[2] < size[1] && size[1] < size[0]);
	info_default(&info);
	assert_null(tm_tmt_writer_new_level(f->path, &info, NULL,
					    TM_TMT_LEVEL_MAX + 1, &err));
	assert_int_equal(err.code, TM_ERR_USAGE);
	assert_null(tm_tmt_writer_new_level(f->path, &info, NULL,
					    TM_TMT_LEVEL_MIN - 1, &err));
	assert_int_equal(nr_files(f->dir), 3);
	assert_int_equal(tm_tmt_parse_level("-3", &l, &err), 0);
	assert_int_equal(l, -3);
	assert_int_equal(tm_tmt_parse_level("19", &l, &err), 0);
	assert_int_equal(l, 19);
	assert_int_equal(tm_tmt_parse_level("-100", &l, &err), 0);
	assert_int_equal(l, -100);
	for (int k = 0; k < 5; k++) {
		static const char *const bad[] = { "20", "-101", "", "1x", "3.0" };

		assert_int_equal(tm_tmt_parse_level(bad[k], &l, &err), -1);
		assert_int_equal(err.code, TM_ERR_USAGE);
		assert_non_null(strstr(err.msg, "-100 to 19"));
	}
	for (int k = 0; k < 3; k++)
		unlink(p[k]);
}

static void round_trip_10m(struct fixture *f, int format)
{
	struct tm_record *buf = malloc(5000 * sizeof(*buf));
	struct tm_stream *s;
	struct tm_error err;
	uint64_t i = 0, batch = 1;
	ssize_t n;

	write_format(f->path, NR_ROUND_TRIP, TM_TMT_LEVEL_DEFAULT, format);
	assert_int_equal(nr_files(f->dir), 1); /* no temp file left */
	assert_int_equal(tm_tmt_open(f->path, &s, &err), 0);
	assert_int_equal(s->info.kind, TM_TRACE_ACCESSES);
	assert_int_equal(s->info.nr_vcpus, 4);
	assert_string_equal(s->info.source, f->path);
	/* batch sizes 1..4999, so records straddle decompression buffers */
	while ((n = tm_stream_read(s, buf, batch, &err)) > 0) {
		for (ssize_t j = 0; j < n; j++, i++) {
			struct tm_record want = rec_at(i);

			if (memcmp(&want, &buf[j], sizeof(want)) != 0)
				fail_msg("record %llu differs", (unsigned long long)i);
		}
		batch = batch * 7 % 4999 + 1;
	}
	assert_int_equal(n, 0);
	assert_int_equal(i, NR_ROUND_TRIP);
	assert_int_equal(tm_stream_read(s, buf, 10, &err), 0); /* stays at end */
	tm_stream_free(s);
	free(buf);
}

static void test_round_trip_10m(void **state)
{
	round_trip_10m(*state, 2);
}

static void test_round_trip_10m_v1(void **state)
{
	round_trip_10m(*state, 1);
}

static void test_header_round_trip(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_stream *s;
	struct tm_error err;
	const char *hdr;

	info_default(&info);
	info.kind = TM_TRACE_SAMPLES;
	info.space = TM_ADDR_GPA;
	info.page_shift = 21;
	info.load_period = 4093;
	info.store_period = 65535;
	info.nr_vcpus = 65536;
	info.sz_footprint_hint = 123ull << 30;
	w = tm_tmt_writer_new(f->path, &info, "{\"cmd\":\"perf\",\"x\":[1,2]}", &err);
	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0); /* zero records */
	assert_int_equal(tm_tmt_open(f->path, &s, &err), 0);
	assert_int_equal(s->info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(s->info.space, TM_ADDR_GPA);
	assert_int_equal(s->info.page_shift, 21);
	assert_int_equal(s->info.load_period, 4093);
	assert_int_equal(s->info.store_period, 65535);
	assert_int_equal(s->info.nr_vcpus, 65536);
	assert_int_equal(s->info.sz_footprint_hint, 123ull << 30);
	hdr = tm_tmt_stream_header_json(s);
	assert_non_null(hdr);
	assert_non_null(strstr(hdr, "\"provenance\":{\"cmd\":\"perf\",\"x\":[1,2]}"));
	assert_non_null(strstr(hdr, "\"source\":\"test_tmt\""));
	assert_non_null(strstr(hdr, "\"time_unit\":\"ns\""));
	tm_stream_free(s);
	assert_int_equal(read_all(f->path, 10, &err), 0);
}

/* A source that is not UTF-8 (a file name in another encoding) is kept,
 * with '?' for its bad bytes, instead of producing an unreadable header. */
static void test_source_not_utf8(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_stream *s;
	struct tm_error err;

	info_default(&info);
	snprintf(info.source, sizeof(info.source), "caf\xe9.trace");
	w = tm_tmt_writer_new(f->path, &info, NULL, &err);
	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	assert_int_equal(tm_tmt_open(f->path, &s, &err), 0);
	assert_non_null(strstr(tm_tmt_stream_header_json(s), "\"source\":\"caf?.trace\""));
	tm_stream_free(s);
}

/* The writer's bytes decompress to exactly the documented layout. */
static void test_layout_is_documented(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_record r = { 0x0102030405060708ull, 0x1112131415161718ull,
			       0x21222324u, 0x3132, 2, 0 };
	struct tm_error err;
	unsigned char *z, out[4096];
	size_t zlen, n;
	uint32_t hlen;

	info_default(&info);
	w = tm_tmt_writer_new_format(f->path, &info, NULL, TM_TMT_LEVEL_DEFAULT, 1,
				     &err);
	assert_int_equal(tm_tmt_writer_add(w, &r, 1, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	z = read_whole(f->path, &zlen);
	assert_true(z[4] & 0x04); /* content checksum flag */
	n = ZSTD_decompress(out, sizeof(out), z, zlen);
	assert_false(ZSTD_isError(n));
	assert_memory_equal(out, "TMTRACE\0", 8);
	assert_int_equal(tm_le32(out + 8), 1);
	hlen = tm_le32(out + 12);
	assert_int_equal(n, 16 + hlen + 24);
	assert_int_equal(out[16], '{');
	assert_memory_equal(out + 16 + hlen,
			    "\x08\x07\x06\x05\x04\x03\x02\x01\x18\x17\x16\x15\x14\x13\x12\x11"
			    "\x24\x23\x22\x21\x32\x31\x02\x00", 24);
	free(z);
}

/* ---- writer hygiene ---------------------------------------------------------- */

static void test_writer_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_record r = rec_at(0);
	struct tm_error err;
	char tmp[256];
	struct stat st;

	info_default(&info);
	w = tm_tmt_writer_new(f->path, &info, NULL, &err);
	assert_non_null(w);
	{
		char *t = tm_tmp_path(f->path);

		snprintf(tmp, sizeof(tmp), "%s", t);
		free(t);
	}
	assert_int_equal(stat(tmp, &st), 0); /* writing goes to the temp name */
	assert_int_not_equal(stat(f->path, &st), 0);
	assert_int_equal(tm_tmt_writer_add(w, &r, 1, &err), 0);
	tm_tmt_writer_abort(w);
	assert_int_equal(nr_files(f->dir), 0);
	tm_tmt_writer_abort(NULL);
}

static void test_writer_rejects_bad_records(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_record r[3] = { rec_at(10), rec_at(20), rec_at(30) };
	struct tm_error err;
	struct tm_tmt_writer *w;

	info_default(&info);
	for (int c = 0; c < 3; c++) {
		struct tm_record bad[3];

		memcpy(bad, r, sizeof(r));
		if (c == 0)
			bad[2].time_ns = bad[1].time_ns - 1;
		else if (c == 1)
			bad[1].op = 3;
		else
			bad[2].flags = 1;
		w = tm_tmt_writer_new(f->path, &info, NULL, &err);
		assert_int_equal(tm_tmt_writer_add(w, bad, 3, &err), -1);
		assert_int_equal(err.code, TM_ERR_FORMAT);
		assert_non_null(strstr(err.msg, c == 1 ? "record 1" : "record 2"));
		assert_int_equal(tm_tmt_writer_close(w, &err), -1);
		assert_int_equal(nr_files(f->dir), 0);
	}
	/* time order is checked across add() calls too */
	w = tm_tmt_writer_new(f->path, &info, NULL, &err);
	assert_int_equal(tm_tmt_writer_add(w, &r[2], 1, &err), 0);
	assert_int_equal(tm_tmt_writer_add(w, &r[0], 1, &err), -1);
	assert_non_null(strstr(err.msg, "non-decreasing"));
	tm_tmt_writer_abort(w);
	assert_int_equal(nr_files(f->dir), 0);
}

static void test_writer_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_error err;
	char p[256];

	info_default(&info);
	assert_null(tm_tmt_writer_new(f->path, &info, "{not json", &err));
	assert_non_null(strstr(err.msg, "provenance"));
	assert_null(tm_tmt_writer_new(f->path, &info, "[1]", &err));
	info.nr_vcpus = 0;
	assert_null(tm_tmt_writer_new(f->path, &info, NULL, &err));
	assert_int_equal(err.code, TM_ERR_BOUNDS);
	info_default(&info);
	snprintf(p, sizeof(p), "%s/no/such/dir/x.tmt", f->dir);
	assert_null(tm_tmt_writer_new(p, &info, NULL, &err));
	assert_int_equal(err.code, TM_ERR_IO);
	assert_non_null(strstr(err.msg, p));
	assert_int_equal(nr_files(f->dir), 0);
}

/* ---- damaged files ------------------------------------------------------------ */

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct tm_error err;
	char want[256];

	assert_int_equal(read_all(f->path, 10, &err), -1);
	assert_int_equal(err.code, TM_ERR_NOTFOUND);
	snprintf(want, sizeof(want), "%s: no such file", f->path);
	assert_string_equal(err.msg, want);
	assert_int_equal(read_all(f->dir, 10, &err), -1); /* a directory */
	assert_int_equal(err.code, TM_ERR_NOTFOUND);
}

static void test_not_zstd(void **state)
{
	struct fixture *f = *state;
	unsigned char buf[4096];
	size_t n;

	write_file(f->path, "", 0);
	expect_format(f->path, "0: ", "empty file");
	write_file(f->path, "hello, this is not a trace\n", 27);
	expect_format(f->path, "0 (compressed offset)", "not a zstd stream");
	write_file(f->path, "\x28\xb5", 2);
	expect_format(f->path, "0 (compressed offset)", "too short");
	/* a valid zstd frame without the content checksum */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)strlen(HDR_OK), 2, 0);
	write_zstd(f->path, buf, n, 0);
	expect_format(f->path, "4 (compressed offset)", "checksum");
}

static void test_bad_preamble(void **state)
{
	struct fixture *f = *state;
	uint32_t len = (uint32_t)strlen(HDR_OK);
	unsigned char buf[4096];
	char off[32];
	size_t n;

	n = payload(buf, "TMTRACX", 1, HDR_OK, len, 2, 0);
	write_zstd(f->path, buf, n, 1);
	expect_format(f->path, "0: ", "bad magic");
	n = payload(buf, "TMTRACE", 3, HDR_OK, len, 2, 0);
	write_zstd(f->path, buf, n, 1);
	expect_format(f->path, "8: ", "version 3; expected 1 or 2");
	n = payload(buf, "TMTRACE", 0, HDR_OK, len, 2, 0);
	write_zstd(f->path, buf, n, 1);
	expect_format(f->path, "8: ", "version 0");
	n = payload(buf, "TMTRACE", 1, HDR_OK, 0, 0, 0);
	write_zstd(f->path, buf, 16, 1);
	expect_format(f->path, "12: ", "header length 0");
	n = payload(buf, "TMTRACE", 1, HDR_OK, 0x7fffffff, 0, 0);
	write_zstd(f->path, buf, n, 1);
	expect_format(f->path, "12: ", "header length");
	/* header length beyond the end of the data: the data ends at byte n */
	n = payload(buf, "TMTRACE", 1, HDR_OK, len + 500, 1, 0);
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", n);
	expect_format(f->path, off, "JSON header");
	/* preamble itself cut short */
	write_zstd(f->path, "TMTRACE\0\1\0", 10, 1);
	expect_format(f->path, "10: ", "preamble");
}

static void expect_header_error(const char *path, const char *hdr,
				const char *off, const char *what)
{
	unsigned char buf[4096];
	size_t n = payload(buf, "TMTRACE", 1, hdr, (uint32_t)strlen(hdr), 1, 0);

	write_zstd(path, buf, n, 1);
	expect_format(path, off, what);
}

static void test_bad_header(void **state)
{
	struct fixture *f = *state;
	struct tm_error err;
	unsigned char buf[4096];
	const char *bad = "{\"kind\":\"accesses\",,}";
	unsigned long long off;
	const char *at;
	size_t n;

	/* JSON syntax error: offset inside the header, past the preamble */
	n = payload(buf, "TMTRACE", 1, bad, (uint32_t)strlen(bad), 0, 0);
	write_zstd(f->path, buf, n, 1);
	assert_int_equal(read_all(f->path, 10, &err), -1);
	at = strstr(err.msg, "@");
	assert_non_null(at);
	off = strtoull(at + 1, NULL, 10);
	assert_true(off >= 16 + 18 && off <= 16 + strlen(bad));
	assert_non_null(strstr(err.msg, "header JSON"));

	expect_header_error(f->path, "[1,2]", "16: ", "not an object");
	expect_header_error(f->path, "{\"kind\":\"mystery\",\"address_space\":\"gva\"}",
			    "16: ", "\"kind\": \"mystery\"");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"address_space\":\"hva\"}",
			    "16: ", "address_space");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"address_space\":\"gva\","
			    "\"time_unit\":\"us\"}", "16: ", "time_unit");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"address_space\":\"gva\","
			    "\"time_unit\":\"ns\",\"page_size\":3000}", "16: ", "page_size");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"address_space\":\"gva\","
			    "\"time_unit\":\"ns\",\"page_size\":4096,\"load_period\":0,"
			    "\"store_period\":0,\"vcpus\":0}", "16: ", "vcpus");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"address_space\":\"gva\","
			    "\"time_unit\":\"ns\",\"page_size\":4096,\"load_period\":0,"
			    "\"store_period\":0,\"vcpus\":1,\"footprint_hint\":0}", "16: ",
			    "source");
	expect_header_error(f->path, "{\"kind\":\"samples\",\"address_space\":\"gva\","
			    "\"time_unit\":\"ns\",\"page_size\":4096,\"load_period\":0,"
			    "\"store_period\":0,\"vcpus\":1,\"footprint_hint\":0,"
			    "\"source\":\"x\"}", "16: ", "load_period");
	expect_header_error(f->path, "{\"kind\":\"accesses\",\"kind\":\"accesses\"}",
			    NULL, "duplicate");
}

static void test_bad_records(void **state)
{
	struct fixture *f = *state;
	size_t len = strlen(HDR_OK), first = 16 + len, n;
	unsigned char *buf = malloc(16 + len + 24 * 200001 + 64);
	char off[32];

	/* time going backwards at record 3 */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 10, 0);
	tm_put_le64(buf + first + 3 * 24, 150);
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", first + 3 * 24);
	expect_format(f->path, off, "record 3: time 150 ns");
	/* op out of range at record 5 */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 10, 0);
	buf[first + 5 * 24 + 22] = 3;
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", first + 5 * 24);
	expect_format(f->path, off, "record 5: op 3");
	/* flags non-zero at record 0 */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 10, 0);
	buf[first + 23] = 0x40;
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", first);
	expect_format(f->path, off, "flags 0x40");
	/* trailing partial record after 4 whole ones */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 4, 10);
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", first + 4 * 24);
	expect_format(f->path, off, "partial record of 10 bytes");
	/* far into the file, past many buffer refills: offsets still exact */
	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 200000, 0);
	tm_put_le64(buf + first + 123457 * 24, 5);
	write_zstd(f->path, buf, n, 1);
	snprintf(off, sizeof(off), "%zu: ", first + 123457 * 24);
	expect_format(f->path, off, "record 123457");
	free(buf);
}

static void test_after_the_frame(void **state)
{
	struct fixture *f = *state;
	size_t len = strlen(HDR_OK), n, zlen, flen;
	unsigned char buf[4096], *z, *two;
	char off[32];

	n = payload(buf, "TMTRACE", 1, HDR_OK, (uint32_t)len, 3, 0);
	zlen = write_zstd(f->path, buf, n, 1);
	assert_int_equal(read_all(f->path, 10, &(struct tm_error){ 0 }), 3);
	/* junk after the frame */
	z = read_whole(f->path, &flen);
	two = malloc(2 * flen);
	memcpy(two, z, flen);
	memcpy(two + flen, "junk", 4);
	write_file(f->path, two, flen + 4);
	snprintf(off, sizeof(off), "%zu (compressed offset)", zlen);
	expect_format(f->path, off, "after the end of the zstd frame");
	/* a second frame */
	memcpy(two + flen, z, flen);
	write_file(f->path, two, 2 * flen);
	expect_format(f->path, off, "after the end of the zstd frame");
	/* damaged content checksum (the last 4 bytes of the frame) */
	z[flen - 1] ^= 0x5a;
	write_file(f->path, z, flen);
	expect_format(f->path, "", "checksum");
	free(two);
	free(z);
}

/* Truncation anywhere and flipped bytes anywhere give a located error. */
static void truncated_and_flipped(struct fixture *f, int format)
{
	char whole[160];
	unsigned char *z, *c;
	size_t zlen;
	uint64_t h = 42;

	snprintf(whole, sizeof(whole), "%s.whole", f->path);
	write_format(whole, 300000, TM_TMT_LEVEL_DEFAULT, format);
	z = read_whole(whole, &zlen);
	c = malloc(zlen);
	for (int i = 0; i < 12; i++) {
		size_t cut = (size_t)(mix64(h++) % (zlen - 1)) + 1;

		write_file(f->path, z, cut);
		expect_format(f->path, NULL, NULL);
	}
	write_file(f->path, z, zlen - 1); /* a checksum byte short */
	expect_format(f->path, NULL, "truncated");
	for (int i = 0; i < 12; i++) {
		/* skip the 6-byte frame header, whose window field is harmless */
		size_t at = 6 + (size_t)(mix64(h++) % (zlen - 6));

		memcpy(c, z, zlen);
		c[at] ^= (unsigned char)(1u << (i % 8));
		write_file(f->path, c, zlen);
		expect_format(f->path, NULL, NULL);
	}
	free(c);
	free(z);
}

static void test_truncated_and_flipped(void **state)
{
	truncated_and_flipped(*state, 1);
	truncated_and_flipped(*state, 2);
}

/* ---- record encoding v2 -------------------------------------------------------- */

/* The whole decompressed content of a .tmt file. */
static unsigned char *decompress_all(const char *path, size_t *len)
{
	size_t zlen, cap = 1 << 20;
	unsigned char *z = read_whole(path, &zlen), *out = malloc(cap);
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer in = { z, zlen, 0 };
	ZSTD_outBuffer o = { out, cap, 0 };

	while (in.pos < in.size) {
		size_t rc = ZSTD_decompressStream(d, &o, &in);

		assert_false(ZSTD_isError(rc));
		if (o.pos == o.size) {
			cap *= 2;
			out = realloc(out, cap);
			o.dst = out;
			o.size = cap;
		}
	}
	ZSTD_freeDCtx(d);
	free(z);
	*len = o.pos;
	return out;
}

/* Copy the records of src into dst in record encoding `format`, with the
 * info of src but a fixed source, and the provenance write_format uses. */
static void copy_as(const char *src, const char *dst, int format)
{
	struct tm_record buf[777];
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_stream *s;
	struct tm_error err;
	ssize_t n;

	assert_int_equal(tm_tmt_open(src, &s, &err), 0);
	info = s->info;
	snprintf(info.source, sizeof(info.source), "test_tmt");
	w = tm_tmt_writer_new_format(dst, &info, "{\"tool\":\"test\",\"n\":1}",
				     TM_TMT_LEVEL_DEFAULT, format, &err);
	assert_non_null(w);
	while ((n = tm_stream_read(s, buf, 777, &err)) > 0)
		assert_int_equal(tm_tmt_writer_add(w, buf, (size_t)n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	tm_stream_free(s);
}

/* v1 -> v2 -> v1: the same records, and the last file decompresses to
 * exactly the bytes of the first. */
static void test_v1_v2_v1_exact(void **state)
{
	struct fixture *f = *state;
	char a[160], b[160], c[160];
	unsigned char *ba, *bc;
	size_t la, lc;

	snprintf(a, sizeof(a), "%s/a.tmt", f->dir);
	snprintf(b, sizeof(b), "%s/b.tmt", f->dir);
	snprintf(c, sizeof(c), "%s/c.tmt", f->dir);
	write_format(a, 300000, TM_TMT_LEVEL_DEFAULT, 1);
	copy_as(a, b, 2);
	check_round_trip(b, 300000);
	copy_as(b, c, 1);
	ba = decompress_all(a, &la);
	bc = decompress_all(c, &lc);
	assert_int_equal(ba[8], 1);
	assert_int_equal(la, lc);
	assert_memory_equal(ba, bc, la);
	free(ba);
	free(bc);
}

/* Read every record of stream s into a new array; *nr gets the count. */
static struct tm_record *drain(struct tm_stream *s, size_t *nr)
{
	struct tm_record *all = malloc(4096 * sizeof(*all));
	struct tm_error err;
	size_t cap = 4096;
	ssize_t n;

	*nr = 0;
	while ((n = tm_stream_read(s, all + *nr, cap - *nr, &err)) > 0) {
		*nr += (size_t)n;
		if (*nr == cap)
			all = realloc(all, (cap *= 2) * sizeof(*all));
	}
	assert_int_equal(n, 0);
	return all;
}

/* tests/fixtures/syswide.v1.tmt was written by `tmsim import --from
 * perf-data tests/fixtures/syswide.perf.data` of the release before record
 * encoding v2: it still reads, record for record what the importer makes
 * of the same perf.data today. */
static void test_v1_release_fixture(void **state)
{
	const char *fx = "tests/fixtures/syswide.v1.tmt";
	const struct tm_importer_ops *imp = tm_importer_find("perf-data");
	struct tm_kind_config cfg;
	struct tm_import_opts o;
	struct tm_stream *s, *t;
	struct tm_record *a, *b;
	struct tm_error err;
	unsigned char *raw;
	size_t na, nb, len;

	(void)state;
	raw = decompress_all(fx, &len);
	assert_int_equal(tm_le32(raw + 8), 1);
	free(raw);
	assert_int_equal(tm_tmt_open(fx, &s, &err), 0);
	assert_int_equal(s->info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(s->info.nr_vcpus, 2);
	a = drain(s, &na);
	assert_non_null(imp);
	tm_import_opts_init(&o);
	tm_importer_config_init(imp, cfg.bytes);
	assert_int_equal(imp->open("tests/fixtures/syswide.perf.data", cfg.bytes, &o,
				   &t, &err), 0);
	b = drain(t, &nb);
	assert_int_equal(na, 572);
	assert_int_equal(nb, na);
	for (size_t i = 0; i < na; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i])) != 0)
			fail_msg("record %zu differs from the importer's", i);
	tm_stream_free(s);
	tm_stream_free(t);
	free(a);
	free(b);
}

/* The writer's v2 bytes are the example of docs/trace-format.md. */
static void test_layout_v2_is_documented(void **state)
{
	static const unsigned char want[72] = {
		0x02, 0x00, 0x00, 0x00,                                     /* 2 records */
		0x01, 0x02, 0x64, 0, 0, 0, 0, 0, 0, 0,                      /* time */
		0x05, 0x01, 0x04, 0, 0, 0, 0, 0, 0, 0,                      /* page */
		0x01, 0x06, 0x40, 0, 0, 0, 0, 0, 0, 0,                      /* offset */
		0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0,                      /* weight */
		0x01, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0,                      /* cpu/op */
		0xe1, 0x00,                                                 /* time */
		0xff, 0xff, 0xff, 0xef, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, /* page */
		0x00, 0x01, 0x00, 0x05, 0x00, 0x03,             /* offset, weight, cpu/op */
	};
	struct fixture *f = *state;
	struct tm_record r[2] = {
		{ 1000, 0x7f0000001040ull, 0, 1, 1, 0 },
		{ 1100, 0x7f0000003080ull, 5, 2, 0, 0 },
	};
	struct tm_record back[2];
	struct tm_trace_info info;
	struct tm_tmt_writer *w;
	struct tm_stream *s;
	struct tm_error err;
	unsigned char *out;
	size_t n;

	info_default(&info);
	w = tm_tmt_writer_new(f->path, &info, NULL, &err);
	assert_int_equal(tm_tmt_writer_add(w, r, 2, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	out = decompress_all(f->path, &n);
	assert_int_equal(tm_le32(out + 8), 2); /* the default writes v2 */
	assert_int_equal(n, 16 + tm_le32(out + 12) + sizeof(want));
	assert_memory_equal(out + 16 + tm_le32(out + 12), want, sizeof(want));
	free(out);
	assert_int_equal(tm_tmt_open(f->path, &s, &err), 0);
	assert_int_equal(tm_stream_read(s, back, 2, &err), 2);
	assert_memory_equal(back, r, sizeof(r));
	tm_stream_free(s);
}

/* A hand-made v2 block: every column `width` bytes wide with shift 0 and
 * the given bases, stored values vals[c * nr + i].  Returns its length. */
static size_t v2_block(unsigned char *p, uint32_t nr, unsigned width,
		       const uint64_t base[5], const uint64_t *vals)
{
	size_t off = TM_TMT_V2_BLOCK_HDR;

	tm_put_le32(p, nr);
	for (int c = 0; c < 5; c++) {
		p[4 + c * 10] = (unsigned char)width;
		p[5 + c * 10] = 0;
		tm_put_le64(p + 6 + c * 10, base[c]);
		for (uint32_t i = 0; i < nr; i++, off += width) {
			unsigned char b[8];

			tm_put_le64(b, vals[c * nr + i]);
			memcpy(p + off, b, width);
		}
	}
	return off;
}

/* Ten valid records: time +10, page +1, offset 0x40, weight 7, cpu i % 4,
 * op i % 3 (all stored in one byte). */
static void v2_valid(uint64_t vals[50])
{
	for (int i = 0; i < 10; i++) {
		vals[i] = 10;
		vals[10 + i] = 2;
		vals[20 + i] = 0x40;
		vals[30 + i] = 7;
		vals[40 + i] = (uint64_t)(i % 4) << 2 | (uint64_t)(i % 3);
	}
}

/* Preamble (version 2), HDR_OK, then `len` bytes of blocks. */
static void write_v2(const char *path, const unsigned char *blocks, size_t len)
{
	unsigned char *buf = malloc(16 + strlen(HDR_OK) + len);
	size_t n = payload(buf, "TMTRACE", 2, HDR_OK, (uint32_t)strlen(HDR_OK), 0, 0);

	memcpy(buf + n, blocks, len);
	write_zstd(path, buf, n + len, 1);
	free(buf);
}

static void expect_v2(const char *path, const unsigned char *blocks, size_t len,
		      size_t off, const char *what)
{
	char at[32];

	write_v2(path, blocks, len);
	snprintf(at, sizeof(at), "%zu: ", 16 + strlen(HDR_OK) + off);
	expect_format(path, at, what);
}

static void test_v2_bad_blocks(void **state)
{
	static const uint64_t zero[5];
	struct fixture *f = *state;
	unsigned char blk[2][1024];
	uint64_t vals[50];
	size_t n, n2;
	struct tm_error err;

	v2_valid(vals);
	n = v2_block(blk[0], 10, 1, zero, vals);
	write_v2(f->path, blk[0], n);
	assert_int_equal(read_all(f->path, 3, &err), 10);
	memcpy(blk[1], blk[0], n);
	tm_put_le32(blk[1], 0);
	expect_v2(f->path, blk[1], n, 0, "block of records 0; expected 1 to 65536");
	tm_put_le32(blk[1], 65537);
	expect_v2(f->path, blk[1], n, 0, "block of records 65537");
	memcpy(blk[1], blk[0], n);
	blk[1][4 + 2 * 10] = 9;
	expect_v2(f->path, blk[1], n, 4 + 2 * 10, "offset column width 9; expected 0 to 8");
	memcpy(blk[1], blk[0], n);
	blk[1][5] = 64;
	expect_v2(f->path, blk[1], n, 5, "time column shift 64; expected 0 to 63");
	expect_v2(f->path, blk[0], 20, 20, "data ends inside a block header");
	expect_v2(f->path, blk[0], TM_TMT_V2_BLOCK_HDR + 7, TM_TMT_V2_BLOCK_HDR + 7,
		  "data ends inside a block of 10 records; expected 50 bytes");
	/* a second block cut short: offsets count from the start */
	memcpy(blk[0] + n, blk[0], n);
	expect_v2(f->path, blk[0], n + 30, n + 30, "inside a block header");
	n2 = n + TM_TMT_V2_BLOCK_HDR + 3;
	expect_v2(f->path, blk[0], n2, n2, "inside a block of 10 records");
	write_v2(f->path, blk[0], 2 * n);
	assert_int_equal(read_all(f->path, 7, &err), 20);
}

/* One bad value per case: the record index and the byte offset of the
 * value in its column. */
static void test_v2_bad_records(void **state)
{
	struct fixture *f = *state;
	unsigned char blk[2048];
	uint64_t vals[50], base[5];
	const size_t data = TM_TMT_V2_BLOCK_HDR;
	size_t n;

	v2_valid(vals);
	vals[40 + 5] = 3;
	memset(base, 0, sizeof(base));
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 40 + 5, "record 5: op 3; expected 0 (load)");
	v2_valid(vals);
	base[4] = 1u << 18;
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 40, "record 0: cpu 65536; expected 0 to 65535");
	base[4] = 0;
	base[2] = 4096 - 0x40 + 1;
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 20, "record 0: offset in the page 4097");
	base[2] = 0;
	base[3] = 1ull << 32;
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 30, "record 0: weight 4294967303");
	base[3] = 0;
	base[1] = 2ull << 52; /* zigzag of +2^52 pages */
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 10, "record 0: page delta (zigzag)");
	base[1] = 0;
	base[0] = UINT64_MAX - 30; /* record 0 at 2^64 - 21, record 1 overflows */
	n = v2_block(blk, 10, 1, base, vals);
	expect_v2(f->path, blk, n, data + 1, "record 1: time delta");
	/* far into the records: the second block's record 3 is record 13 */
	base[0] = 0;
	n = v2_block(blk, 10, 1, base, vals);
	vals[40 + 3] = 3;
	v2_block(blk + n, 10, 1, base, vals);
	expect_v2(f->path, blk, 2 * n, n + data + 40 + 3, "record 13: op 3");
}

/* --format: 1 or 2; the writer refuses others before making a file. */
static void test_format_option(void **state)
{
	static const char *const bad[] = { "0", "3", "", "12", "2x", "-1" };
	struct fixture *f = *state;
	struct tm_trace_info info;
	struct tm_error err;
	int v;

	assert_int_equal(tm_tmt_parse_format("1", &v, &err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(tm_tmt_parse_format("2", &v, &err), 0);
	assert_int_equal(v, 2);
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		assert_int_equal(tm_tmt_parse_format(bad[k], &v, &err), -1);
		assert_int_equal(err.code, TM_ERR_USAGE);
		assert_non_null(strstr(err.msg, "expected 1 or 2"));
	}
	info_default(&info);
	assert_null(tm_tmt_writer_new_format(f->path, &info, NULL,
					     TM_TMT_LEVEL_DEFAULT, 3, &err));
	assert_int_equal(err.code, TM_ERR_USAGE);
	assert_int_equal(nr_files(f->dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_10m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_10m_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_v2_v1_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_release_fixture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_v2_is_documented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_bad_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_option, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_is_documented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_rejects_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_zstd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_preamble, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_the_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_flipped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
