/*
 * test_import.c - the trace importers (traces/import/) on real fixtures
 * made by perf and valgrind (tests/fixtures/README.md says how) and on
 * broken inputs (synthetic perf.data files: test_perfdata_synthetic.c);
 * the importer family: every importer's schema, a toy importer registered
 * from this file alone, `tmsim import --help` and docs/importers.md
 * generated from the schemas.
 *
 * Run from the repository root (make check does); TMSIM_FIXTURES overrides
 * the fixture folder.  Neither perf nor valgrind is needed at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dirent.h>
#include <zlib.h>
#include <zstd.h>

#include "models/sampler.h"
#include "lib/alloc.h"
#include "sim/cli/cli.h"
#include "tests/import_util.h"
#include "traces/import/import.h"
#include "traces/tmt.h"

static void check_sorted(const struct tm_record *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		assert_true(r[i - 1].time_ns <= r[i].time_ns);
}

static void test_perfdata_fixture(void **state)
{
	struct topts o;
	struct tm_import_stats st;
	struct tm_trace_info info;
	size_t n, per_cpu[2] = { 0, 0 };
	struct tm_record *r;

	(void)state;
	topts_init(&o);
	o.o.stats = &st;
	r = import("perf-data", fixture(PERF_DATA), &o.perf, &o.o, &n, &info);
	assert_int_equal(n, NR_FIXTURE_SAMPLES);
	assert_int_equal(st.nr_samples, NR_FIXTURE_SAMPLES);
	assert_int_equal(st.nr_addr0, 0);
	assert_true(st.nr_skipped > 0); /* COMM, MMAP2, ... */
	assert_int_equal(info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(info.space, TM_ADDR_GVA);
	assert_int_equal(info.load_period, 1); /* -c 1 */
	assert_int_equal(info.nr_vcpus, 2);
	assert_int_equal(r[0].time_ns, 0);
	check_sorted(r, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].cpu < 2);
		per_cpu[r[i].cpu]++;
		assert_int_equal(r[i].op, TM_OP_LOAD); /* data_src mem_op N/A */
		assert_int_not_equal(r[i].addr, 0);
	}
	/* pagetouch pins a thread to each CPU; each touches 32 pages. */
	assert_true(per_cpu[0] >= 32 && per_cpu[1] >= 32);
	free(r);
}

/* The two perf importers agree record for record on one recording. */
static void agree(enum tm_import_addr addr, size_t want)
{
	struct topts o;
	struct tm_trace_info ia, ib;
	struct tm_record *a, *b;
	size_t na, nb;

	topts_init(&o);
	o.perf.addr = addr;
	a = import("perf-data", fixture(PERF_DATA), &o.perf, &o.o, &na, &ia);
	b = import("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, &nb, &ib);
	assert_int_equal(na, want);
	assert_int_equal(nb, want);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].time_ns, b[i].time_ns);
		assert_int_equal(a[i].addr, b[i].addr);
		assert_int_equal(a[i].cpu, b[i].cpu);
		assert_int_equal(a[i].op, b[i].op);
		assert_int_equal(a[i].weight, b[i].weight);
	}
	assert_int_equal(ia.load_period, ib.load_period);
	assert_int_equal(ia.space, ib.space);
	free(a);
	free(b);
}

static void test_perf_importers_agree(void **state)
{
	(void)state;
	agree(TM_IMPORT_VIRT, NR_FIXTURE_SAMPLES);
	/* Only 2 of the 90 page-fault samples had a physical address (the
	 * page is not mapped yet when it faults): see the phys_addr column. */
	agree(TM_IMPORT_PHYS, 2);
}

static void test_perfdata_event_filter(void **state)
{
	struct topts o;
	size_t n;

	(void)state;
	topts_init(&o);
	SET_EVENT(&o, "page-faults"); /* from HEADER_EVENT_DESC */
	free(import("perf-data", fixture(PERF_DATA), &o.perf, &o.o, &n, NULL));
	assert_int_equal(n, NR_FIXTURE_SAMPLES);
	SET_EVENT(&o, "0");
	free(import("perf-data", fixture(PERF_DATA), &o.perf, &o.o, &n, NULL));
	assert_int_equal(n, NR_FIXTURE_SAMPLES);
	SET_EVENT(&o, "page-faults");
	free(import("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, &n, NULL));
	assert_int_equal(n, NR_FIXTURE_SAMPLES);
	SET_EVENT(&o, "minor-faults");
	free(import("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, &n, NULL));
	assert_int_equal(n, 0);
	SET_EVENT(&o, "cycles");
	expect_fail("perf-data", fixture(PERF_DATA), &o.perf, &o.o, TM_ERR_USAGE,
		    "--event cycles", "page-faults", NULL);
	SET_EVENT(&o, "1");
	expect_fail("perf-data", fixture(PERF_DATA), &o.perf, &o.o, TM_ERR_USAGE,
		    "expected 0..0", NULL);
}

/* Every truncation of the real file is a located format error. */
static void test_perfdata_truncated(void **state)
{
	size_t len;
	char *p = read_all(fixture(PERF_DATA), &len);
	struct topts o;
	static const size_t cuts[] = { 0, 10, 20, 103, 150, 264, 300, 1000, 5000 };

	(void)state;
	topts_init(&o);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_fail("perf-data", tmpfile_with(p, cuts[i]), &o.perf, &o.o, TM_ERR_FORMAT,
			    tmp_path, NULL);
	expect_fail("perf-data", tmpfile_with(p, 150), &o.perf, &o.o, TM_ERR_FORMAT,
		    "@24: attrs section", "past the end of the file", NULL);
	expect_fail("perf-data", tmpfile_with(p, len - 1), &o.perf, &o.o, TM_ERR_FORMAT,
		    "feature section", NULL);
	for (size_t cut = 0; cut < len; cut += 13)
		expect_fail("perf-data", tmpfile_with(p, cut), &o.perf, &o.o, TM_ERR_FORMAT,
			    "@", NULL);
	unlink(tmp_path);
	free(p);
}

static void test_perfdata_malformed(void **state)
{
	size_t len, data_off;
	char *p = read_all(fixture(PERF_DATA), &len);
	char *q = malloc(len);
	struct topts o;

	(void)state;
	topts_init(&o);
	data_off = tm_le64(p + 40);
#define MUTATE(stmt, ...)                                                      \
	do {                                                                   \
		memcpy(q, p, len);                                             \
		stmt;                                                          \
		expect_fail("perf-data", tmpfile_with(q, len), &o.perf, &o.o, \
			    TM_ERR_FORMAT, __VA_ARGS__, NULL);                 \
	} while (0)
	MUTATE(memcpy(q, "PERFILE3", 8), "@0: bad magic");
	MUTATE(memcpy(q, "2ELIFREP", 8), "@0:", "byte order");
	/* read as pipe mode: the file header's attr_size is the first record */
	MUTATE(tm_put_le64(q + 8, 16), "@22: record size 0; expected at least 8");
	MUTATE(tm_put_le64(q + 16, 7), "@16: attr_size 7; expected");
	MUTATE(tm_put_le64(q + 16, 5000), "@16: attr_size 5000");
	MUTATE(tm_put_le64(q + 16, 100), "@32: attrs section of 144 bytes");
	MUTATE(q[data_off + 6] = q[data_off + 7] = 0, "record size 0; expected at least 8");
	MUTATE(q[data_off] = 81, "zstd: ", "expected the zstd stream of perf record -z");
	MUTATE(tm_put_le64(q + 48, 0), "@48: empty data section");
#undef MUTATE
	unlink(tmp_path);
	free(p);
	free(q);
}

static void test_perfscript_errors(void **state)
{
	size_t len;
	char *p = read_all(fixture(PERF_SCRIPT), &len);
	char *line2 = strchr(p, '\n') + 1;
	char *bad = malloc(len + 64);
	struct topts o;
	size_t n1 = (size_t)(line2 - p);

	(void)state;
	topts_init(&o);
	/* line 2 replaced by garbage */
	memcpy(bad, p, n1);
	strcpy(bad + n1, "hello world\n");
	expect_fail("perf-script", tmpfile_with(bad, strlen(bad)), &o.perf, &o.o, TM_ERR_FORMAT,
		    ":2:1: 'hello'; expected pid/tid", NULL);
	/* a bad hex address in column 61 of line 1 */
	memcpy(bad, p, n1 + 1);
	bad[n1] = '\0';
	memcpy(strstr(bad, "4bb2b0"), "4bx2b0", 6);
	expect_fail("perf-script", tmpfile_with(bad, n1), &o.perf, &o.o, TM_ERR_FORMAT,
		    ":1:", "'4bx2b0'; expected a hex addr", NULL);
	/* callchain lines after a sample (perf script without -G): the sample
	 * line lacks ip and phys_addr, which perf printed on the next lines */
	memcpy(bad, p, n1);
	bad[n1 - 1] = '\0';
	for (int drop = 0; drop < 2; drop++) { /* phys_addr, then ip */
		*strrchr(bad, ' ') = '\0';
		while (bad[strlen(bad) - 1] == ' ')
			bad[strlen(bad) - 1] = '\0';
	}
	strcat(bad, "\n\tffffffff817554ea\n");
	expect_fail("perf-script", tmpfile_with(bad, strlen(bad)), &o.perf, &o.o, TM_ERR_FORMAT,
		    ":2:1: a callchain line", "run perf script with -G", NULL);
	/* a -F list that does not match the text */
	SET_FIELDS(&o, "tid,cpu,time,event,addr,period");
	expect_fail("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, TM_ERR_FORMAT,
		    ":1:2: '7735/7735'; expected a tid", NULL);
	SET_FIELDS(&o, "pid,tid,time,addr,iregs");
	expect_fail("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, TM_ERR_USAGE,
		    "'iregs' is not read", NULL);
	SET_FIELDS(&o, "pid,tid,cpu,time,event,addr,period");
	o.perf.addr = TM_IMPORT_PHYS;
	expect_fail("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, TM_ERR_USAGE,
		    "phys_addr", NULL);
	unlink(tmp_path);
	free(p);
	free(bad);
}

static size_t count_lackey_accesses(const char *text)
{
	size_t n = 0;

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (l[0] == ' ' && (l[1] == 'L' || l[1] == 'S' || l[1] == 'M'))
			n++;
	return n;
}

static void test_lackey_fixture(void **state)
{
	size_t len, n, ops[3] = { 0 };
	char *text = read_all(fixture(LACKEY), &len);
	struct topts o;
	struct tm_import_stats st;
	struct tm_trace_info info;
	struct tm_record *r;

	(void)state;
	topts_init(&o);
	o.o.stats = &st;
	r = import("lackey", fixture(LACKEY), &o.lk, &o.o, &n, &info);
	assert_int_equal(n, count_lackey_accesses(text));
	assert_int_equal(n, NR_LACKEY_ACCESSES);
	assert_int_equal(st.nr_records, n);
	assert_true(st.nr_instr > n);
	assert_int_equal(info.kind, TM_TRACE_ACCESSES);
	check_sorted(r, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].op <= TM_OP_MODIFY);
		ops[r[i].op]++;
		assert_true(r[i].time_ns < st.nr_instr); /* 1 ns per instruction */
	}
	assert_int_equal(ops[TM_OP_LOAD], 32);
	assert_int_equal(ops[TM_OP_STORE], 32);
	assert_int_equal(ops[TM_OP_MODIFY], 32);
	/* the first access is a 1-byte store by the 4th instruction */
	assert_int_equal(r[0].op, TM_OP_STORE);
	assert_int_equal(r[0].addr, 0x403000);
	assert_int_equal(r[0].time_ns, 3);
	assert_int_equal(r[0].weight, 1);
	free(r);

	o.lk.time = TM_IMPORT_TIME_INDEX;
	o.lk.rate_per_s = 1e6; /* one access per microsecond */
	r = import("lackey", fixture(LACKEY), &o.lk, &o.o, &n, NULL);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r[i].time_ns, 1000 * i);
	free(r);
	free(text);
}

static void test_lackey_without_I_lines(void **state)
{
	size_t len, k = 0, n;
	char *text = read_all(fixture(LACKEY), &len);
	char *out = malloc(len + 1);
	struct topts o;
	struct tm_record *r;

	(void)state;
	for (const char *l = text; *l;) {
		size_t ll = strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n');

		if (l[0] != 'I') {
			memcpy(out + k, l, ll);
			k += ll;
		}
		l += ll;
	}
	topts_init(&o);
	r = import("lackey", tmpfile_with(out, k), &o.lk, &o.o, &n, NULL);
	assert_int_equal(n, NR_LACKEY_ACCESSES);
	assert_int_equal(r[n - 1].time_ns, n - 1); /* auto: index at 1e9/s */
	free(r);
	o.lk.time = TM_IMPORT_TIME_INSTR;
	expect_fail("lackey", tmp_path, &o.lk, &o.o, TM_ERR_FORMAT, "access before any I line",
		    "--time index", NULL);
	unlink(tmp_path);
	free(text);
	free(out);
}

/* The fixture as a filter leaves it: each line's first two words, as
 * `awk '{print $1, $2}'` prints them; with sizeless, the ",size" cut off
 * and the address written with 0x (`L 0x04001c60`). */
static char *lackey_filtered(const char *text, bool sizeless, size_t *len)
{
	char *out = malloc(2 * strlen(text) + 1), *o = out;

	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		const char *w1 = l + strspn(l, " "), *w2;
		size_t n1 = strcspn(w1, " \n"), n2;

		w2 = w1 + n1 + strspn(w1 + n1, " ");
		n2 = strcspn(w2, " \n");
		if (sizeless && strchr("ILSM", w1[0]) && n1 == 1) {
			n2 = strcspn(w2, ",\n");
			o += sprintf(o, "%c 0x%.*s\n", w1[0], (int)n2, w2);
			continue;
		}
		o += sprintf(o, "%.*s %.*s\n", (int)n1, w1, (int)n2, w2);
	}
	*len = (size_t)(o - out);
	return out;
}

/* Lackey's own form, the awk form and the sizeless form give the same
 * records (but the sizeless one's weight, unknown: 0). */
static void test_lackey_filtered_forms(void **state)
{
	size_t len, n, nf;
	char *text = read_all(fixture(LACKEY), &len), *f;
	struct topts o;
	struct tm_record *r, *rf;

	(void)state;
	topts_init(&o);
	r = import("lackey", fixture(LACKEY), &o.lk, &o.o, &n, NULL);
	for (int sizeless = 0; sizeless < 2; sizeless++) {
		f = lackey_filtered(text, sizeless, &len);
		assert_null(strstr(f, "\n "));
		rf = import("lackey", tmpfile_with(f, len), &o.lk, &o.o, &nf, NULL);
		assert_int_equal(nf, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(rf[i].time_ns, r[i].time_ns);
			assert_int_equal(rf[i].addr, r[i].addr);
			assert_int_equal(rf[i].op, r[i].op);
			assert_int_equal(rf[i].weight, sizeless ? 0 : r[i].weight);
		}
		unlink(tmp_path);
		free(rf);
		free(f);
	}
	free(r);
	free(text);
}

static void assert_same_records(const struct tm_record *a, size_t na,
				const struct tm_record *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].time_ns, b[i].time_ns);
		assert_int_equal(a[i].addr, b[i].addr);
		assert_int_equal(a[i].cpu, b[i].cpu);
		assert_int_equal(a[i].op, b[i].op);
		assert_int_equal(a[i].weight, b[i].weight);
		assert_int_equal(a[i].flags, b[i].flags);
	}
}

/* The shipped compressed fixtures (tests/fixtures/README.md): the trace
 * gzipped after awk, and zstd in lackey's form, give lackey's records. */
static void test_lackey_compressed_fixtures(void **state)
{
	static const char *const names[] = {
		"lackey_tiny.awk.trace.gz", "lackey_tiny.lackey.txt.zst",
	};
	struct topts o;
	struct tm_record *r, *rc;
	size_t n, nc;

	(void)state;
	topts_init(&o);
	r = import("lackey", fixture(LACKEY), &o.lk, &o.o, &n, NULL);
	assert_int_equal(n, NR_LACKEY_ACCESSES);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = import("lackey", fixture(names[i]), &o.lk, &o.o, &nc, NULL);
		assert_same_records(r, n, rc, nc);
		free(rc);
	}
	free(r);
}

/* text as two gzip members (`cat a.gz b.gz`) or two zstd frames. */
static unsigned char *two_members(const char *text, size_t len, bool gz, size_t *out_len)
{
	size_t half = len / 2, cap = 2 * len + 1024, k = 0;
	unsigned char *out = malloc(cap);

	for (int m = 0; m < 2; m++) {
		const char *p = text + (m ? half : 0);
		size_t n = m ? len - half : half;

		if (gz) {
			z_stream z = { 0 };

			assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
						      Z_DEFAULT_STRATEGY), Z_OK);
			z.next_in = (Bytef *)(uintptr_t)p;
			z.avail_in = (uInt)n;
			z.next_out = out + k;
			z.avail_out = (uInt)(cap - k);
			assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
			k = cap - z.avail_out;
			deflateEnd(&z);
		} else {
			/* with a checksum, as the zstd command writes by default */
			ZSTD_CCtx *c = ZSTD_createCCtx();
			size_t got;

			ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
			got = ZSTD_compress2(c, out + k, cap - k, p, n);
			assert_false(ZSTD_isError(got));
			k += got;
			ZSTD_freeCCtx(c);
		}
	}
	*out_len = k;
	return out;
}

/* A trace that decompresses to many times the 64 KiB window (the fixture
 * 100 times over: ~900 KiB from a few KiB), as gzip, zstd with and without
 * the frame checksum, reads whole: the last window is flushed even when
 * the compressed input is used up before it. */
static void test_text_compressed_large(void **state)
{
	size_t len, n, zlen;
	char *text = read_all(fixture(LACKEY), &len), *big = malloc(100 * len);
	struct topts o;
	struct tm_record *r;

	(void)state;
	topts_init(&o);
	for (int i = 0; i < 100; i++)
		memcpy(big + (size_t)i * len, text, len);
	for (int k = 0; k < 3; k++) {
		unsigned char *z;

		if (k < 2) {
			z = two_members(big, 100 * len, k, &zlen);
		} else { /* one frame without a checksum: no bytes after the data */
			z = malloc(ZSTD_compressBound(100 * len));
			zlen = ZSTD_compress(z, ZSTD_compressBound(100 * len), big,
					     100 * len, 19);
			assert_false(ZSTD_isError(zlen));
		}
		assert_true(zlen < 100 * len / 16);
		r = import("lackey", tmpfile_with(z, zlen), &o.lk, &o.o, &n, NULL);
		assert_int_equal(n, 100 * NR_LACKEY_ACCESSES);
		unlink(tmp_path);
		free(r);
		free(z);
	}
	free(big);
	free(text);
}

/* Every text importer reads gzip and zstd (by magic, whatever the name),
 * several members or frames, and locates truncated or corrupt data. */
static void test_text_importers_compressed(void **state)
{
	static const struct {
		const char *from, *name;
	} in[] = { { "lackey", LACKEY }, { "perf-script", PERF_SCRIPT } };
	struct topts o;

	(void)state;
	topts_init(&o);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		const void *cfg = !strcmp(in[i].from, "lackey") ? (void *)&o.lk : (void *)&o.perf;
		size_t len, n, nc, zlen;
		char *text = read_all(fixture(in[i].name), &len);
		struct tm_record *r = import(in[i].from, fixture(in[i].name), cfg, &o.o, &n, NULL);

		for (int gz = 0; gz < 2; gz++) {
			unsigned char *z = two_members(text, len, gz, &zlen);
			struct tm_record *rc;

			rc = import(in[i].from, tmpfile_with(z, zlen), cfg, &o.o, &nc, NULL);
			assert_same_records(r, n, rc, nc);
			free(rc);
			expect_fail(in[i].from, tmpfile_with(z, zlen - 9), cfg, &o.o,
				    TM_ERR_FORMAT, "@", "end of file inside a",
				    gz ? "gzip" : "zstd", NULL);
			z[zlen / 4] ^= 0x55;
			z[zlen / 4 + 1] ^= 0xaa;
			expect_fail(in[i].from, tmpfile_with(z, zlen), cfg, &o.o,
				    TM_ERR_FORMAT, "@", NULL);
			unlink(tmp_path);
			free(z);
		}
		free(r);
		free(text);
	}
}

static void test_lackey_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "I  0400,3\n L 04zz,8\n", ":2:6: 'z'; expected ','" },
		{ "I  0400,3\n S ,8\n", ":2:4: ','; expected a hex address" },
		{ "I  0400,3\n M 0400,x\n", ":2:9: 'x'; expected a decimal" },
		{ "I  0400,3\n X 0400,8\n", ":2:1: unrecognised line" },
		{ "I  0400,3\nL0400,8\n", ":2:1: unrecognised line" },
		{ "I  0400,3\n L 0400,\n", ":2:9: end of line; expected a decimal" },
		{ "I  0400,3\n L 0400 8\n", ":2:9: '8'; expected the end of the line" },
		{ "I  0400,3\n L 0400,8 x\n", ":2:11: 'x'; expected the end of the line after" },
		{ "I  0400,3\n L 0x,8\n", ":2:5: 'x'; expected ','" },
		{ "I  0400,3\nhello\n", ":2:1: unrecognised line" },
		{ "I  g400,3\n", ":1:4: 'g'; expected a hex address" },
		{ " L 11112222333344445,8\n", ":1:20: '5'; expected at most 16 hex" },
	};
	struct topts o;

	(void)state;
	topts_init(&o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail("lackey", tmpfile_with(cases[i].text, strlen(cases[i].text)),
			    &o.lk, &o.o, TM_ERR_FORMAT, cases[i].want, NULL);
	unlink(tmp_path);
}


static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int run_cmd(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return tm_cmd_import(argc, argv);
}

static struct tm_record *read_tmt(const char *path, size_t *n, struct tm_trace_info *info)
{
	struct tm_stream *s;
	struct tm_error err = { 0 };
	struct tm_record *r;

	if (tm_tmt_open(path, &s, &err))
		fail_msg("%s", err.msg);
	*info = s->info;
	r = slurp(s, n);
	tm_stream_free(s);
	return r;
}

/* tmsim import writes what the importer yields; with --sample-period what
 * the sampler takes; on bad input it exits 2 and leaves no file behind. */
static void test_cmd_import(void **state)
{
	char dir[] = "/tmp/test_import_cmd.XXXXXX", out[128];
	struct topts o;
	struct tm_trace_info info;
	struct tm_record *a, *b;
	size_t na, nb, nt = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/x.tmt", dir);
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "perf-data",
		fixture(PERF_DATA), "-o", out, NULL }), 0);
	topts_init(&o);
	a = import("perf-data", fixture(PERF_DATA), &o.perf, &o.o, &na, NULL);
	b = read_tmt(out, &nb, &info);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(*a));
	assert_int_equal(info.kind, TM_TRACE_SAMPLES);
	free(a);
	free(b);

	assert_int_equal(run_cmd((const char *[]){ "import", "--from=lackey",
		fixture(LACKEY), "--output", out, "--sample-period", "3",
		"--store-period=5", NULL }), 0);
	b = read_tmt(out, &nb, &info);
	assert_int_equal(info.kind, TM_TRACE_SAMPLES);
	assert_int_equal(info.load_period, 3);
	assert_int_equal(info.store_period, 5);
	a = import("lackey", fixture(LACKEY), &o.lk, &o.o, &na, NULL);
	struct tm_sampler_config c = { .load_period = 3, .store_period = 5,
				       .ring_entries = 1 };
	struct tm_sampler *smp = tm_sampler_new(&c, 1, 1);
	for (size_t i = 0; i < na; i++)
		if (tm_sampler_take(smp, &a[i]))
			assert_memory_equal(&a[i], &b[nt++], sizeof(*a));
	assert_int_equal(nt, nb);
	assert_true(nb > 0 && nb < na);
	tm_sampler_free(smp);
	free(a);
	free(b);
	unlink(out);

	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "lackey",
		fixture(PERF_SCRIPT), "-o", out, NULL }), 2);
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "perf-data",
		fixture(PERF_DATA), "-o", out, "--sample-period", "3", NULL }), 2);
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "lackey",
		fixture(LACKEY), NULL }), 2);
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "lackey",
		fixture(LACKEY), "-o", out, "--randomize", NULL }), 2);
	assert_int_equal(dir_entries(dir), 0); /* no output, no temp file */
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A toy importer, defined and registered in this file only (main), to
 * prove that an importer is one ops table and one registration: lines
 * "TIME ADDR" (decimal, hex) become accesses of 1 byte on cpu 0 at
 * TIME × time-scale ns, all of one op.
 */
struct toy_opts {
	uint64_t time_scale;
	int op;
};

static const struct tm_cfg_key toy_keys[] = {
	TM_CFG_KEY("time-scale", TM_CFG_U64, 1, 1e9, "1", NULL, 0, TM_CFG_F_U64,
		   struct toy_opts, time_scale, "ns per unit of TIME"),
	TM_CFG_KEY("op", TM_CFG_ENUM, 0, 0, "load", "load|store", 0,
		   TM_CFG_F_INT, struct toy_opts, op, "the op of every record"),
};

struct toy_stream {
	struct tm_record *recs;
	size_t nr, pos;
};

static ssize_t toy_read(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err)
{
	struct toy_stream *ts = state;
	size_t n = ts->nr - ts->pos < cap ? ts->nr - ts->pos : cap;

	(void)err;
	memcpy(buf, ts->recs + ts->pos, n * sizeof(*buf));
	ts->pos += n;
	return (ssize_t)n;
}

static void toy_free(void *state)
{
	struct toy_stream *ts = state;

	free(ts->recs);
	free(ts);
}

static const struct tm_stream_ops toy_stream_ops = {
	.name = "toy", .read = toy_read, .free = toy_free,
};

static int toy_open(const char *path, const void *config,
		    const struct tm_import_opts *o, struct tm_stream **out,
		    struct tm_error *err)
{
	const struct toy_opts *to = config;
	struct toy_stream *ts;
	unsigned long long t, a;
	FILE *f = fopen(path, "r");

	if (!f)
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: cannot open", path);
	ts = tm_xcalloc(1, sizeof(*ts));
	while (fscanf(f, "%llu %llx", &t, &a) == 2) {
		ts->recs = tm_xrealloc(ts->recs, (ts->nr + 1) * sizeof(*ts->recs));
		ts->recs[ts->nr++] = (struct tm_record){
			.time_ns = t * to->time_scale, .addr = a, .weight = 1,
			.op = (uint8_t)(to->op ? TM_OP_STORE : TM_OP_LOAD) };
	}
	fclose(f);
	*out = tm_xcalloc(1, sizeof(**out));
	(*out)->ops = &toy_stream_ops;
	(*out)->state = ts;
	(*out)->info = (struct tm_trace_info){ .kind = TM_TRACE_ACCESSES,
		.space = TM_ADDR_GVA, .page_shift = o->page_shift,
		.load_period = 1, .nr_vcpus = o->nr_vcpus ? o->nr_vcpus : 1 };
	snprintf((*out)->info.source, sizeof((*out)->info.source), "%s", path);
	return 0;
}

static const struct tm_importer_ops toy_importer = {
	.kind = {
		.name = "toy",
		.help = "lines of TIME ADDR (a test importer)",
		.keys = toy_keys,
		.nr_keys = sizeof(toy_keys) / sizeof(toy_keys[0]),
		.config_size = sizeof(struct toy_opts),
		.flags = TM_IMPORT_FULL,
	},
	.open = toy_open,
};

/* tmsim import --from toy, end to end: options through the toy's schema,
 * records into a .tmt and back. */
static void test_toy_importer(void **state)
{
	char dir[] = "/tmp/test_import_toy.XXXXXX", in[128], out[128];
	static const char text[] = "1 1000\n2 2000\n2 3fff\n7 abc000\n";
	struct tm_trace_info info;
	struct tm_record *r;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/x.toy", dir);
	snprintf(out, sizeof(out), "%s/x.tmt", dir);
	write_all(in, text, strlen(text));
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "toy", in,
		"-o", out, "--time-scale", "1000", "--op=store", "--vcpus", "3",
		NULL }), 0);
	r = read_tmt(out, &n, &info);
	assert_int_equal(n, 4);
	assert_int_equal(info.kind, TM_TRACE_ACCESSES);
	assert_int_equal(info.nr_vcpus, 3);
	assert_int_equal(r[0].time_ns, 1000);
	assert_int_equal(r[2].addr, 0x3fff);
	assert_int_equal(r[3].time_ns, 7000);
	assert_int_equal(r[3].addr, 0xabc000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(r[i].op, TM_OP_STORE);
	free(r);
	/* the toy's options are the toy's: a bad value, another's option */
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "toy", in,
		"-o", out, "--time-scale", "0", NULL }), 2);
	assert_int_equal(run_cmd((const char *[]){ "import", "--from", "toy", in,
		"-o", out, "--rate", "1M/s", NULL }), 2);
	unlink(out);
	unlink(in);
	assert_int_equal(rmdir(dir), 0);
}

/* Every importer, built in or registered, is complete: a name, a help
 * line, an open operation, and a schema whose rows are documented, fit
 * its options struct and whose defaults parse. */
static void test_importer_schemas(void **state)
{
	struct tm_error err = { 0 };

	(void)state;
	assert_true(tm_importer_count() >= 1);
	for (size_t i = 0; i < tm_importer_count(); i++) {
		const struct tm_importer_ops *imp = tm_importer_at(i);
		const struct tm_kind *k = &imp->kind;

		assert_true(k->name && k->name[0] && k->help && k->help[0]);
		assert_non_null(imp->open);
		assert_ptr_equal(tm_importer_find(k->name), imp);
		assert_true(k->config_size <= TM_KIND_CONFIG_MAX);
		for (size_t j = 0; j < k->nr_keys; j++) {
			const struct tm_cfg_key *row = &k->keys[j];
			struct tm_cfg_val v;

			assert_true(row->doc && row->doc[0]);
			assert_true(row->off + row->sz <= k->config_size);
			assert_ptr_equal(tm_cfg_find(k->keys, k->nr_keys,
						     row->pattern), row);
			if (row->def && tm_cfg_parse(row, row->def, &v, &err))
				fail_msg("%s --%s: default %s: %s", k->name,
					 row->pattern, row->def, err.msg);
			assert_true(row->def || (row->flags & TM_CFG_REQUIRED));
		}
	}
	assert_null(tm_importer_at(tm_importer_count()));
	assert_null(tm_importer_find("pin"));
	assert_int_equal(tm_importer_register(&tm_importer_lackey, &err), -1);
	assert_true(strstr(err.msg, "'lackey' is already registered") != NULL);
}

/* The defaults of the built-in importers are the documented ones (and the
 * ones every shipped .tmt was imported with). */
static void test_importer_defaults(void **state)
{
	struct tm_import_perf_opts p;
	struct tm_import_lackey_opts l;

	(void)state;
	tm_importer_config_init(&tm_importer_perf_script, &p);
	assert_int_equal(p.addr, TM_IMPORT_VIRT);
	assert_string_equal(p.event, "all");
	assert_string_equal(p.fields, "auto");
	tm_importer_config_init(&tm_importer_lackey, &l);
	assert_int_equal(l.time, TM_IMPORT_TIME_AUTO);
	assert_true(l.ns_per_instr == 1.0);
	assert_true(l.rate_per_s == 1e9);
}

/* What fn writes to stdout, as a malloc'd string. */
static char *capture_stdout(const char *const *args)
{
	char path[] = "/tmp/test_import_out.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	size_t len;
	char *text;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	assert_int_equal(run_cmd(args), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	text = read_all(path, &len);
	unlink(path);
	return text;
}

/* tmsim import --help names every importer (the toy too: it is generated
 * from the family) and every option of each. */
static void test_help_lists_importers(void **state)
{
	char *help = capture_stdout((const char *[]){ "import", "--help", NULL });
	char want[96];

	(void)state;
	for (size_t i = 0; i < tm_importer_count(); i++) {
		const struct tm_kind *k = &tm_importer_at(i)->kind;

		snprintf(want, sizeof(want), "\n  %-12s %s\n", k->name, k->help);
		if (!strstr(help, want))
			fail_msg("--help lacks importer %s", k->name);
		for (size_t j = 0; j < k->nr_keys; j++) {
			snprintf(want, sizeof(want), " --%s ", k->keys[j].pattern);
			if (!strstr(help, want))
				fail_msg("--help lacks %s's %s", k->name, want);
		}
	}
	assert_non_null(strstr(help, " --ns-per-instr X "));
	assert_non_null(strstr(help, "lackey, toy give a full (accesses) trace"));
	free(help);
}

/* docs/importers.md holds each built-in importer's options table as its
 * schema prints it (tm_cfg_print_markdown): every row, verbatim. */
static void test_docs_match_schemas(void **state)
{
	size_t len;
	char *doc = read_all("docs/importers.md", &len);

	(void)state;
	for (size_t i = 0; i < tm_importer_kinds.nr_builtin; i++) {
		const struct tm_kind *k = tm_importer_kinds.builtin[i];
		char *rows = NULL, *line;
		size_t sz = 0;
		FILE *f = open_memstream(&rows, &sz);

		tm_cfg_print_markdown(f, k->keys, k->nr_keys);
		fclose(f);
		for (line = strtok(rows, "\n"); line; line = strtok(NULL, "\n"))
			if (!strstr(doc, line))
				fail_msg("docs/importers.md lacks %s's row\n%s",
					 k->name, line);
		free(rows);
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_importer_schemas),
		cmocka_unit_test(test_importer_defaults),
		cmocka_unit_test(test_toy_importer),
		cmocka_unit_test(test_help_lists_importers),
		cmocka_unit_test(test_docs_match_schemas),
		cmocka_unit_test(test_perfdata_fixture),
		cmocka_unit_test(test_perf_importers_agree),
		cmocka_unit_test(test_perfdata_event_filter),
		cmocka_unit_test(test_perfdata_truncated),
		cmocka_unit_test(test_perfdata_malformed),
		cmocka_unit_test(test_perfscript_errors),
		cmocka_unit_test(test_lackey_fixture),
		cmocka_unit_test(test_lackey_without_I_lines),
		cmocka_unit_test(test_lackey_filtered_forms),
		cmocka_unit_test(test_lackey_compressed_fixtures),
		cmocka_unit_test(test_text_importers_compressed),
		cmocka_unit_test(test_text_compressed_large),
		cmocka_unit_test(test_lackey_errors),
		cmocka_unit_test(test_cmd_import),
	};

	struct tm_error err = { 0 };

	if (tm_importer_register(&toy_importer, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
