/*
 * test_import.c - the trace importers (traces/import*.c) on real fixtures
 * made by perf and valgrind (tests/fixtures/README.md says how), on
 * synthetic perf.data files written byte by byte here, and on broken inputs.
 *
 * Run from the repository root (make check does); TMSIM_FIXTURES overrides
 * the fixture folder.  Neither perf nor valgrind is needed at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dirent.h>

#include "models/sampler.h"
#include "lib/alloc.h"
#include "sim/cli/cli.h"
#include "traces/import/import.h"
#include "traces/tmt.h"

#define PERF_DATA "pagetouch.perf.data"
#define PERF_SCRIPT "pagetouch.perf-script.txt"
#define LACKEY "lackey_tiny.lackey.txt"
/* perf record reported "90 samples"; `wc -l` of the script text is 90. */
#define NR_FIXTURE_SAMPLES 90
/* `grep -c '^ [LSM]' lackey_tiny.lackey.txt` prints 96 (32 each). */
#define NR_LACKEY_ACCESSES 96

static const char *fixture(const char *name)
{
	static char path[4][512];
	static unsigned k;
	const char *dir = getenv("TMSIM_FIXTURES");

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir ? dir : "tests/fixtures", name);
	return path[k];
}

/* Read a whole stream into a malloc'd array. */
static struct tm_record *slurp(struct tm_stream *s, size_t *nr)
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

static void topts_init(struct topts *t)
{
	tm_import_opts_init(&t->o);
	tm_importer_config_init(&tm_importer_perf_script, &t->perf);
	tm_importer_config_init(&tm_importer_lackey, &t->lk);
}

static void set_str(char *dst, size_t sz, const char *s)
{
	snprintf(dst, sz, "%s", s);
}

#define SET_EVENT(t, s) set_str((t)->perf.event, sizeof((t)->perf.event), s)
#define SET_FIELDS(t, s) set_str((t)->perf.fields, sizeof((t)->perf.fields), s)

static struct tm_record *import(const char *from, const char *path,
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
static void expect_fail(const char *from, const char *path, const void *cfg,
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

static char *read_all(const char *path, size_t *len)
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

static void write_all(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static char tmp_path[64];

static const char *tmpfile_with(const void *p, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_import.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	close(fd);
	write_all(tmp_path, p, len);
	return tmp_path;
}

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(tm_importer_find("perf-data"), &tm_importer_perf_data);
	assert_ptr_equal(tm_importer_find("perf-script"), &tm_importer_perf_script);
	assert_ptr_equal(tm_importer_find("lackey"), &tm_importer_lackey);
	assert_null(tm_importer_find("pin"));
	assert_non_null(tm_importer_at(2));
	assert_null(tm_importer_at(3));
}

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

static void put64(char *p, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[off + (size_t)i] = (char)(v >> (8 * i));
}

static uint64_t get64(const char *p, size_t off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | (uint8_t)p[off + (size_t)i];
	return v;
}

static void test_perfdata_malformed(void **state)
{
	size_t len, data_off;
	char *p = read_all(fixture(PERF_DATA), &len);
	char *q = malloc(len);
	struct topts o;

	(void)state;
	topts_init(&o);
	data_off = get64(p, 40);
#define MUTATE(stmt, ...)                                                      \
	do {                                                                   \
		memcpy(q, p, len);                                             \
		stmt;                                                          \
		expect_fail("perf-data", tmpfile_with(q, len), &o.perf, &o.o, \
			    TM_ERR_FORMAT, __VA_ARGS__, NULL);                 \
	} while (0)
	MUTATE(memcpy(q, "PERFILE3", 8), "@0: bad magic");
	MUTATE(memcpy(q, "2ELIFREP", 8), "@0:", "byte order");
	MUTATE(put64(q, 8, 16), "@8:", "pipe mode", "re-record with -o FILE");
	MUTATE(put64(q, 16, 7), "@16: attr_size 7; expected");
	MUTATE(put64(q, 16, 5000), "@16: attr_size 5000");
	MUTATE(put64(q, 16, 100), "@32: attrs section of 144 bytes");
	MUTATE(q[data_off + 6] = q[data_off + 7] = 0, "record size 0; expected at least 8");
	MUTATE(q[72 + 3] |= 0x08, "-z", "re-record without -z"); /* feature bit 27 */
	MUTATE(q[data_off] = 81, "compressed record");
	MUTATE(put64(q, 48, 0), "@48: empty data section");
#undef MUTATE
	unlink(tmp_path);
	free(p);
	free(q);
}

/*
 * A synthetic perf.data written byte by byte: two events with
 * PERF_SAMPLE_IDENTIFIER, samples out of time order, fields that must be
 * skipped (READ group, CALLCHAIN, RAW, BRANCH_STACK with hw_idx) between
 * the ones kept, and a non-sample record between samples.
 */
#define S_IP (1u << 0)
#define S_TID (1u << 1)
#define S_TIME (1u << 2)
#define S_ADDR (1u << 3)
#define S_READ (1u << 4)
#define S_CALLCHAIN (1u << 5)
#define S_CPU (1u << 7)
#define S_PERIOD (1u << 8)
#define S_RAW (1u << 10)
#define S_BRANCH (1u << 11)
#define S_WEIGHT (1u << 14)
#define S_DATA_SRC (1u << 15)
#define S_IDENT (1u << 16)
#define S_PHYS (1u << 19)
#define S_WEIGHT_STRUCT (1u << 24)

struct syn_attr {
	uint64_t sample_type, period, id;
};

struct syn_sample {
	int attr;
	uint64_t time, addr, cpu, weight, data_src, phys;
};

struct buf {
	char p[1 << 14];
	size_t len;
};

static void b64(struct buf *b, uint64_t v)
{
	put64(b->p, b->len, v);
	b->len += 8;
}

static void b32(struct buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[b->len++] = (char)(v >> (8 * i));
}

static void syn_body(struct buf *b, const struct syn_attr *a, const struct syn_sample *s)
{
	uint64_t st = a->sample_type;

	if (st & S_IDENT) b64(b, a->id);
	if (st & S_IP) b64(b, 0x401000);
	if (st & S_TID) b64(b, 0x0000002a0000002aull);
	if (st & S_TIME) b64(b, s->time);
	if (st & S_ADDR) b64(b, s->addr);
	if (st & S_CPU) { b32(b, (uint32_t)s->cpu); b32(b, 0); }
	if (st & S_PERIOD) b64(b, a->period);
	if (st & S_READ) { b64(b, 2); b64(b, 11); b64(b, 1); b64(b, 22); b64(b, 2); }
	if (st & S_CALLCHAIN) { b64(b, 3); b64(b, 1); b64(b, 2); b64(b, 3); }
	if (st & S_RAW) { b32(b, 12); b64(b, 0); b32(b, 0); }
	if (st & S_BRANCH) { b64(b, 2); b64(b, 7); for (int i = 0; i < 6; i++) b64(b, 9); }
	if (st & (S_WEIGHT | S_WEIGHT_STRUCT)) b64(b, s->weight);
	if (st & S_DATA_SRC) b64(b, s->data_src);
	if (st & S_PHYS) b64(b, s->phys);
}

static void syn_record(struct buf *b, uint32_t type, const struct buf *body)
{
	b32(b, type);
	b->p[b->len++] = 0;
	b->p[b->len++] = 0;
	b->p[b->len++] = (char)((body->len + 8) & 0xff);
	b->p[b->len++] = (char)((body->len + 8) >> 8);
	memcpy(b->p + b->len, body->p, body->len);
	b->len += body->len;
}

#define ATTR_SZ 128
#define PERF_FORMAT_ID_GROUP ((1u << 2) | (1u << 3))
#define BRANCH_HW_INDEX (1u << 17)

/* header | attrs | ids | data; no feature sections. */
static size_t syn_file(struct buf *f, const struct syn_attr *attrs, size_t nr_attrs,
		       const struct syn_sample *ss, size_t nr)
{
	size_t attrs_off = 104, ids_off = attrs_off + nr_attrs * (ATTR_SZ + 16);
	size_t data_off = ids_off + 8 * nr_attrs;

	memset(f, 0, sizeof(*f));
	memcpy(f->p, "PERFILE2", 8);
	put64(f->p, 8, 104);
	put64(f->p, 16, ATTR_SZ + 16);
	put64(f->p, 24, attrs_off);
	put64(f->p, 32, nr_attrs * (ATTR_SZ + 16));
	for (size_t i = 0; i < nr_attrs; i++) {
		size_t a = attrs_off + i * (ATTR_SZ + 16);

		f->p[a + 4] = (char)(uint8_t)ATTR_SZ;
		put64(f->p, a + 16, attrs[i].period);
		put64(f->p, a + 24, attrs[i].sample_type);
		put64(f->p, a + 32, PERF_FORMAT_ID_GROUP);
		put64(f->p, a + 72, BRANCH_HW_INDEX);
		put64(f->p, a + ATTR_SZ, ids_off + 8 * i);
		put64(f->p, a + ATTR_SZ + 8, 8);
		put64(f->p, ids_off + 8 * i, attrs[i].id);
	}
	f->len = data_off;
	for (size_t i = 0; i < nr; i++) {
		struct buf body = { .len = 0 };

		if (i == 1) { /* an MMAP-like record to be skipped */
			b64(&body, 0xdead);
			syn_record(f, 10, &body);
			body.len = 0;
		}
		syn_body(&body, &attrs[ss[i].attr], &ss[i]);
		syn_record(f, 9, &body);
	}
	put64(f->p, 40, data_off);
	put64(f->p, 48, f->len - data_off);
	return data_off;
}

#define ST_ALL (S_IDENT | S_IP | S_TID | S_TIME | S_ADDR | S_CPU | S_PERIOD | \
		S_READ | S_CALLCHAIN | S_RAW | S_BRANCH | S_WEIGHT_STRUCT |     \
		S_DATA_SRC | S_PHYS)
#define DS_LOAD 0x2 /* PERF_MEM_OP_LOAD */
#define DS_STORE 0x4

static const struct syn_attr syn_attrs[] = {
	{ ST_ALL, 100, 1001 }, /* loads, period 100 */
	{ ST_ALL, 1000, 2002 }, /* stores, period 1000 */
};

static const struct syn_sample syn_samples[] = {
	{ 0, 5000, 0x7000, 1, 0x0000000500000040ull, DS_LOAD, 0x9000 },
	{ 1, 3000, 0x8000, 0, 77, DS_STORE, 0xa000 },
	{ 0, 4000, 0x7100, 1, 30, DS_LOAD, 0 },
	{ 0, 3000, 0x7200, 0, 31, DS_LOAD, 0xb000 }, /* ties with sample 1 */
	{ 1, 1000, 0, 0, 1, DS_STORE, 0xc000 },      /* virt addr 0: dropped */
	{ 0, 2000, 0x7300, 1, 32, DS_LOAD | 0x100, 0xd000 },
};

static void test_perfdata_synthetic_sorted(void **state)
{
	struct buf *f = malloc(sizeof(*f));
	struct topts o;
	struct tm_import_stats st;
	struct tm_trace_info info;
	struct tm_record *r;
	size_t n;

	(void)state;
	syn_file(f, syn_attrs, 2, syn_samples, 6);
	topts_init(&o);
	o.o.stats = &st;
	r = import("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, &n, &info);
	assert_int_equal(n, 5);
	assert_int_equal(st.nr_addr0, 1);
	assert_int_equal(st.nr_skipped, 1);
	/* Sorted by time, relative to the earliest kept (2000), ties stable. */
	assert_int_equal(r[0].time_ns, 0);    assert_int_equal(r[0].addr, 0x7300);
	assert_int_equal(r[1].time_ns, 1000); assert_int_equal(r[1].addr, 0x8000);
	assert_int_equal(r[2].time_ns, 1000); assert_int_equal(r[2].addr, 0x7200);
	assert_int_equal(r[3].time_ns, 2000); assert_int_equal(r[3].addr, 0x7100);
	assert_int_equal(r[4].time_ns, 3000); assert_int_equal(r[4].addr, 0x7000);
	assert_int_equal(r[1].op, TM_OP_STORE);
	assert_int_equal(r[1].weight, 77);
	assert_int_equal(r[4].weight, 0x40); /* WEIGHT_STRUCT var1_dw only */
	assert_int_equal(r[4].cpu, 1);
	assert_int_equal(info.load_period, 100);
	assert_int_equal(info.store_period, 1000);
	assert_int_equal(info.nr_vcpus, 2);

	o.perf.addr = TM_IMPORT_PHYS; /* sample 2 has phys 0 now */
	free(r);
	r = import("perf-data", tmp_path, &o.perf, &o.o, &n, NULL);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].addr, 0xc000);
	assert_int_equal(st.nr_addr0, 1);

	o.perf.addr = TM_IMPORT_VIRT;
	SET_EVENT(&o, "1"); /* attr index 1: the stores */
	free(r);
	r = import("perf-data", tmp_path, &o.perf, &o.o, &n, &info);
	assert_int_equal(n, 1);
	assert_int_equal(st.nr_filtered, 4);
	assert_int_equal(info.load_period, 1000);
	free(r);
	unlink(tmp_path);
	free(f);
}

static void test_perfdata_synthetic_errors(void **state)
{
	struct buf *f = malloc(sizeof(*f));
	struct syn_attr a[2] = { syn_attrs[0], syn_attrs[1] };
	struct topts o;
	size_t data_off;

	(void)state;
	topts_init(&o);
	/* a sample whose id is in no attr */
	data_off = syn_file(f, syn_attrs, 2, syn_samples, 1);
	put64(f->p, data_off + 8, 4242);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "sample id 4242", NULL);
	/* a callchain longer than the record */
	syn_file(f, syn_attrs, 2, syn_samples, 1);
	put64(f->p, data_off + 8 + 8 * 7 + 8 * 5, 1000);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "CALLCHAIN: 1000 entries", NULL);
	/* samples without TIME */
	a[0].sample_type &= ~(uint64_t)S_TIME;
	syn_file(f, a, 1, syn_samples, 1);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "no TIME", NULL);
	/* --addr phys without PHYS_ADDR */
	a[0] = syn_attrs[0];
	a[0].sample_type &= ~(uint64_t)S_PHYS;
	syn_file(f, a, 1, syn_samples, 1);
	o.perf.addr = TM_IMPORT_PHYS;
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "no PHYS_ADDR", "--phys-data", NULL);
	/* two events that cannot be told apart */
	a[0].sample_type = a[1].sample_type = S_TIME | S_ADDR;
	a[1].sample_type |= S_CPU;
	syn_file(f, a, 2, syn_samples, 1);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "cannot be told apart", NULL);
	unlink(tmp_path);
	free(f);
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
		    ":1:", "addr '4bx2b0'; expected a hex number", NULL);
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
		    ":1:", "run perf script with -G", NULL);
	/* a -F list that does not match the text */
	SET_FIELDS(&o, "tid,cpu,time,event,addr,period");
	expect_fail("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, TM_ERR_FORMAT,
		    ":1:2: '", "expected a pid or tid", NULL);
	SET_FIELDS(&o, "pid,tid,time,addr,sym");
	expect_fail("perf-script", fixture(PERF_SCRIPT), &o.perf, &o.o, TM_ERR_USAGE,
		    "'sym' is not supported", NULL);
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

static void test_lackey_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "I  0400,3\n L 04zz,8\n", ":2:6: 'z'; expected ','" },
		{ "I  0400,3\n S ,8\n", ":2:4: ','; expected a hex address" },
		{ "I  0400,3\n M 0400,x\n", ":2:9: 'x'; expected a decimal" },
		{ "I  0400,3\n X 0400,8\n", ":2:1: unrecognised line" },
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_perfdata_fixture),
		cmocka_unit_test(test_perf_importers_agree),
		cmocka_unit_test(test_perfdata_event_filter),
		cmocka_unit_test(test_perfdata_truncated),
		cmocka_unit_test(test_perfdata_malformed),
		cmocka_unit_test(test_perfdata_synthetic_sorted),
		cmocka_unit_test(test_perfdata_synthetic_errors),
		cmocka_unit_test(test_perfscript_errors),
		cmocka_unit_test(test_lackey_fixture),
		cmocka_unit_test(test_lackey_without_I_lines),
		cmocka_unit_test(test_lackey_errors),
		cmocka_unit_test(test_cmd_import),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
