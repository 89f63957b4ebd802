/*
 * import_util.h - helpers of the importer tests (test_import.c,
 * test_perfdata_synthetic.c): fixtures, options, import a file whole or
 * expect it to fail, temp files, little-endian writes.
 *
 * Run from the repository root (make check does); TMSIM_FIXTURES overrides
 * the fixture folder.
 */
#ifndef TM_TEST_IMPORT_UTIL_H
#define TM_TEST_IMPORT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/alloc.h"
#include "lib/le.h"
#include "traces/import/import.h"

#define PERF_DATA "pagetouch.perf.data"
#define PERF_SCRIPT "pagetouch.perf-script.txt"
#define LACKEY "lackey_tiny.lackey.txt"
/* perf record reported "90 samples"; `wc -l` of the script text is 90. */
#define NR_FIXTURE_SAMPLES 90
/* `grep -c '^ [LSM]' lackey_tiny.lackey.txt` prints 96 (32 each). */
#define NR_LACKEY_ACCESSES 96

static inline const char *fixture(const char *name)
{
	static char path[4][512];
	static unsigned k;
	const char *dir = getenv("TMSIM_FIXTURES");

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir ? dir : "tests/fixtures", name);
	return path[k];
}

/* Read a whole stream into a malloc'd array. */
static inline struct tm_record *slurp(struct tm_stream *s, size_t *nr)
{
	struct tm_record *all = NULL, buf[37]; /* odd batch size on purpose */
	struct tm_error err = { 0 };
	size_t n = 0;
	ssize_t got;

	while ((got = tm_stream_read(s, buf, 37, &err)) > 0) {
		all = realloc(all, (n + (size_t)got) * sizeof(*all));
		memcpy(all + n, buf, (size_t)got * sizeof(*buf));
		n += (size_t)got;
	}
	assert_int_equal(got, 0);
	*nr = n;
	return all;
}

/* The options of a test: common ones and each importer's own. */
struct topts {
	struct tm_import_opts o;
	struct tm_import_perf_opts perf;
	struct tm_import_lackey_opts lk;
};

static inline void topts_init(struct topts *t)
{
	tm_import_opts_init(&t->o);
	tm_importer_config_init(&tm_importer_perf_script, &t->perf);
	tm_importer_config_init(&tm_importer_lackey, &t->lk);
}

static inline void set_str(char *dst, size_t sz, const char *s)
{
	snprintf(dst, sz, "%s", s);
}

#define SET_EVENT(t, s) set_str((t)->perf.event, sizeof((t)->perf.event), s)
#define SET_FIELDS(t, s) set_str((t)->perf.fields, sizeof((t)->perf.fields), s)

static inline struct tm_record *import(const char *from, const char *path,
				const void *cfg, const struct tm_import_opts *o,
				size_t *nr, struct tm_trace_info *info)
{
	const struct tm_importer_ops *imp = tm_importer_find(from);
	struct tm_stream *s = NULL;
	struct tm_error err = { 0 };
	struct tm_record *r;

	assert_non_null(imp);
	if (imp->open(path, cfg, o, &s, &err))
		fail_msg("%s", err.msg);
	if (info)
		*info = s->info;
	r = slurp(s, nr);
	tm_stream_free(s);
	return r;
}

/* Open must fail with code and a message holding every `want` string. */
static inline void expect_fail(const char *from, const char *path, const void *cfg,
			const struct tm_import_opts *o, enum tm_err code, ...)
{
	struct tm_stream *s = NULL;
	struct tm_error err = { 0 };
	const char *want;
	va_list ap;

	if (!tm_importer_find(from)->open(path, cfg, o, &s, &err)) {
		/* streaming importers report content errors while read */
		struct tm_record buf[64];
		ssize_t got;

		while ((got = tm_stream_read(s, buf, 64, &err)) > 0)
			;
		tm_stream_free(s);
		if (got == 0)
			fail_msg("%s: import of %s succeeded", from, path);
	}
	if (err.code != code)
		fail_msg("code %s, expected %s: %s", tm_err_name(err.code),
			 tm_err_name(code), err.msg);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(err.msg, want))
			fail_msg("message '%s' lacks '%s'", err.msg, want);
	va_end(ap);
}

static inline char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc(*len + 1);
	assert_int_equal(fread(p, 1, *len, f), *len);
	p[*len] = '\0';
	fclose(f);
	return p;
}

static inline void write_all(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static char tmp_path[64];

static inline const char *tmpfile_with(const void *p, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_import.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	close(fd);
	write_all(tmp_path, p, len);
	return tmp_path;
}

#endif
