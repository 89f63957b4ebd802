/*
 * test_perfdata_synthetic.c - the perf-data importer on synthetic
 * perf.data files written byte by byte here: fields it must skip, samples
 * out of time order, several events, and the errors of each.
 */
#include "tests/import_util.h"

#include <zstd.h>

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
	tm_put_le64(b->p + b->len, v);
	b->len += 8;
}

static void b32(struct buf *b, uint32_t v)
{
	tm_put_le32(b->p + b->len, v);
	b->len += 4;
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
	tm_put_le16(b->p + b->len, 0); /* misc */
	tm_put_le16(b->p + b->len + 2, (uint16_t)(body->len + 8));
	b->len += 4;
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
	tm_put_le64(f->p + 8, 104);
	tm_put_le64(f->p + 16, ATTR_SZ + 16);
	tm_put_le64(f->p + 24, attrs_off);
	tm_put_le64(f->p + 32, nr_attrs * (ATTR_SZ + 16));
	for (size_t i = 0; i < nr_attrs; i++) {
		size_t a = attrs_off + i * (ATTR_SZ + 16);

		f->p[a + 4] = (char)(uint8_t)ATTR_SZ;
		tm_put_le64(f->p + a + 16, attrs[i].period);
		tm_put_le64(f->p + a + 24, attrs[i].sample_type);
		tm_put_le64(f->p + a + 32, PERF_FORMAT_ID_GROUP);
		tm_put_le64(f->p + a + 72, BRANCH_HW_INDEX);
		tm_put_le64(f->p + a + ATTR_SZ, ids_off + 8 * i);
		tm_put_le64(f->p + a + ATTR_SZ + 8, 8);
		tm_put_le64(f->p + ids_off + 8 * i, attrs[i].id);
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
	tm_put_le64(f->p + 40, data_off);
	tm_put_le64(f->p + 48, f->len - data_off);
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
	tm_put_le64(f->p + data_off + 8, 4242);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "sample id 4242", NULL);
	/* a callchain longer than the record */
	syn_file(f, syn_attrs, 2, syn_samples, 1);
	tm_put_le64(f->p + data_off + 8 + 8 * 7 + 8 * 5, 1000);
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

/*
 * `perf record -z` writes the ring-buffer data zstd-compressed into
 * COMPRESSED (81: {header, zstd bytes}) or, since perf 6.15, COMPRESSED2
 * records (83: {header, u64 data_size, zstd bytes, zero padding to 8 bytes};
 * tools/lib/perf/include/perf/event.h struct perf_record_compressed2,
 * builtin-record.c record__pushfn).  perf 6.1 here writes COMPRESSED only,
 * so COMPRESSED2 is built here: the synthetic file's data section is
 * compressed as one zstd frame, cut into two records (a record boundary
 * inside the frame, as perf's streaming compressor makes them).
 */
#define REC_COMPRESSED 81
#define REC_COMPRESSED2 83

/* f's data section (from data_off) replaced by compressed records. */
static void compress_data(struct buf *f, size_t data_off, uint32_t type, size_t pad)
{
	size_t n = f->len - data_off, cap = ZSTD_compressBound(n), z, cut;
	char *zb = malloc(cap);
	struct buf *out = calloc(1, sizeof(*out));

	z = ZSTD_compress(zb, cap, f->p + data_off, n, 3);
	assert_false(ZSTD_isError(z));
	cut = z / 2;
	for (int part = 0; part < 2; part++) {
		size_t from = part ? cut : 0, len = part ? z - cut : cut;
		size_t hdr = type == REC_COMPRESSED2 ? 16 : 8;
		size_t size = hdr + len, padded = type == REC_COMPRESSED2 ?
			      (size + 7) / 8 * 8 + pad : size;

		b32(out, type);
		tm_put_le16(out->p + out->len, 0);
		tm_put_le16(out->p + out->len + 2, (uint16_t)padded);
		out->len += 4;
		if (type == REC_COMPRESSED2)
			b64(out, len);
		memcpy(out->p + out->len, zb + from, len);
		out->len += len;
		memset(out->p + out->len, 0, padded - size);
		out->len += padded - size;
	}
	memcpy(f->p + data_off, out->p, out->len);
	f->len = data_off + out->len;
	tm_put_le64(f->p + 48, out->len);
	free(zb);
	free(out);
}

static void test_perfdata_compressed_records(void **state)
{
	struct buf *f = malloc(sizeof(*f));
	struct tm_import_stats st;
	struct topts o;
	struct tm_record *a, *b;
	size_t na, nb, data_off;
	uint32_t types[2] = { REC_COMPRESSED, REC_COMPRESSED2 };

	(void)state;
	topts_init(&o);
	o.o.stats = &st;
	syn_file(f, syn_attrs, 2, syn_samples, 6);
	a = import("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, &na, NULL);
	assert_int_equal(na, 5);
	for (int t = 0; t < 2; t++) {
		data_off = syn_file(f, syn_attrs, 2, syn_samples, 6);
		compress_data(f, data_off, types[t], 0);
		b = import("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, &nb, NULL);
		assert_int_equal(st.nr_compressed, 2);
		assert_int_equal(nb, na);
		for (size_t i = 0; i < na; i++) {
			assert_int_equal(a[i].time_ns, b[i].time_ns);
			assert_int_equal(a[i].addr, b[i].addr);
			assert_int_equal(a[i].op, b[i].op);
			assert_int_equal(a[i].weight, b[i].weight);
		}
		free(b);
	}
	/* more padding than the 8-byte alignment needs: data_size rules */
	data_off = syn_file(f, syn_attrs, 2, syn_samples, 6);
	compress_data(f, data_off, REC_COMPRESSED2, 8);
	free(import("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, &nb, NULL));
	assert_int_equal(nb, na);
	/* a data_size past its record */
	data_off = syn_file(f, syn_attrs, 2, syn_samples, 6);
	compress_data(f, data_off, REC_COMPRESSED2, 0);
	tm_put_le64(f->p + data_off + 8, 1u << 20);
	expect_fail("perf-data", tmpfile_with(f->p, f->len), &o.perf, &o.o, TM_ERR_FORMAT,
		    "data_size 1048576 in a record of", NULL);
	/* the file cut inside the second record */
	data_off = syn_file(f, syn_attrs, 2, syn_samples, 6);
	compress_data(f, data_off, REC_COMPRESSED2, 0);
	expect_fail("perf-data", tmpfile_with(f->p, f->len - 8), &o.perf, &o.o,
		    TM_ERR_FORMAT, "@", NULL);
	unlink(tmp_path);
	free(a);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfdata_synthetic_sorted),
		cmocka_unit_test(test_perfdata_synthetic_errors),
		cmocka_unit_test(test_perfdata_compressed_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
