/*
 * test_inspect.c - trace statistics (traces/inspect.c) on hand-made traces
 * whose answers are worked out below, through an in-memory stream and
 * through a .tmt file (header, JSON output, heatmap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "traces/inspect.h"
#include "traces/tmt.h"

/* A stream over an array, handing out at most 7 records per read so that
 * batching is exercised. */
struct array_src {
	const struct tm_record *r;
	size_t nr, pos;
};

static ssize_t array_read(void *state, struct tm_record *buf, size_t cap,
			  struct tm_error *err)
{
	struct array_src *a = state;
	size_t n = a->nr - a->pos;

	(void)err;
	if (n > cap)
		n = cap;
	if (n > 7)
		n = 7;
	if (n)
		memcpy(buf, a->r + a->pos, n * sizeof(*buf));
	a->pos += n;
	return (ssize_t)n;
}

static void array_free(void *state)
{
	free(state);
}

static const struct tm_stream_ops array_ops = { "array", array_read, array_free };

static struct tm_stream *array_stream(const struct tm_record *r, size_t nr,
				      enum tm_trace_kind kind)
{
	struct tm_stream *s = calloc(1, sizeof(*s));
	struct array_src *a = calloc(1, sizeof(*a));

	a->r = r;
	a->nr = nr;
	s->ops = &array_ops;
	s->state = a;
	s->info.kind = kind;
	s->info.page_shift = 12;
	s->info.nr_vcpus = 2;
	return s;
}

/*
 * 100 accesses, 10 ns apart, over four 4 KiB pages:
 *
 *   0x000000 A 60 |0x001000 B 30 |0x002000 C 9 | ... |0x200000 D 1
 *   \_______________ 2 MiB page 0: 99 ______________/ \ page 1: 1 /
 *
 * 4 KiB, sorted 60 30 9 1:  50% -> 1 page, 90% -> 2, 95% -> 3, 99% -> 3,
 *                           99.9% -> 4.
 * 2 MiB, sorted 99 1:       50..99% -> 1 page, 99.9% -> 2.
 * Ops: records 0..69 load, 70..89 store, 90..99 modify.
 */
static struct tm_record *known_trace(size_t *nr)
{
	struct tm_record *r = calloc(100, sizeof(*r));

	for (size_t i = 0; i < 100; i++) {
		size_t k = (i * 37) % 100; /* interleave the pages over time */

		r[i].time_ns = 1000 + 10 * i;
		r[i].addr = k < 60 ? 0x10 : k < 90 ? 0x1040 : k < 99 ? 0x2fff : 0x200123;
		r[i].op = i < 70 ? TM_OP_LOAD : i < 90 ? TM_OP_STORE : TM_OP_MODIFY;
		r[i].cpu = (uint16_t)(i % 2);
	}
	*nr = 100;
	return r;
}

static void check_known(const struct tm_inspect *in)
{
	static const uint64_t want4k[] = { 1, 2, 3, 3, 4 }, want2m[] = { 1, 1, 1, 1, 2 };

	assert_int_equal(in->nr_records, 100);
	assert_int_equal(in->nr_accesses, 100);
	assert_int_equal(in->nr_ops[TM_OP_LOAD], 70);
	assert_int_equal(in->nr_ops[TM_OP_STORE], 20);
	assert_int_equal(in->nr_ops[TM_OP_MODIFY], 10);
	assert_int_equal(in->first_ns, 1000);
	assert_int_equal(in->last_ns, 1990);
	assert_int_equal(in->addr_min, 0x10);
	assert_int_equal(in->addr_max, 0x200123);
	assert_int_equal(in->coverage[0].page_shift, 12);
	assert_int_equal(in->coverage[0].nr_pages, 4);
	assert_int_equal(in->coverage[1].page_shift, 21);
	assert_int_equal(in->coverage[1].nr_pages, 2);
	for (int l = 0; l < TM_INSPECT_NR_LEVELS; l++) {
		assert_int_equal(in->coverage[0].nr_pages_at[l], want4k[l]);
		assert_int_equal(in->coverage[1].nr_pages_at[l], want2m[l]);
	}
}

static void test_known_coverage(void **state)
{
	struct tm_inspect *in;
	struct tm_record *r;
	struct tm_stream *s;
	struct tm_error err;
	size_t nr;

	(void)state;
	r = known_trace(&nr);
	s = array_stream(r, nr, TM_TRACE_ACCESSES);
	assert_int_equal(tm_inspect_stream(s, &in, &err), 0);
	tm_stream_free(s);
	check_known(in);
	assert_null(in->header_json);
	assert_null(in->heat.counts);
	/* the heatmap pass: 100 time bins of 10 ns; 513 pages in 86 bins of 6 */
	s = array_stream(r, nr, TM_TRACE_ACCESSES);
	assert_int_equal(tm_inspect_heatmap(in, s, &err), 0);
	tm_stream_free(s);
	assert_int_equal(in->heat.nr_time_bins, 100);
	assert_int_equal(in->heat.bin_ns, 10);
	assert_int_equal(in->heat.start_ns, 1000);
	assert_int_equal(in->heat.addr_start, 0);
	assert_int_equal(in->heat.bin_bytes, 6 * 4096);
	assert_int_equal(in->heat.nr_addr_bins, 86);
	for (size_t i = 0; i < nr; i++) {
		size_t t = i, a = r[i].addr / (6 * 4096);

		assert_int_equal(in->heat.counts[t * 86 + a], 1);
	}
	tm_inspect_free(in);
	tm_inspect_free(NULL);
	free(r);
}

/* In a samples trace each record stands for its period. */
static void test_samples_use_periods(void **state)
{
	struct tm_record r[3] = {
		{ 10, 0x1000, 0, 0, TM_OP_LOAD, 0 },   /* 100 accesses on page 1 */
		{ 20, 0x1008, 0, 0, TM_OP_LOAD, 0 },   /* 100 more on page 1 */
		{ 30, 0x5000, 0, 0, TM_OP_STORE, 0 },  /* 1000 on page 5 */
	};
	struct tm_inspect *in;
	struct tm_stream *s;
	struct tm_error err;

	(void)state;
	s = array_stream(r, 3, TM_TRACE_SAMPLES);
	s->info.load_period = 100;
	s->info.store_period = 1000;
	assert_int_equal(tm_inspect_stream(s, &in, &err), 0);
	tm_stream_free(s);
	assert_int_equal(in->nr_accesses, 1200);
	/* 50% of 1200 = 600 <= 1000 on page 5 alone; 90% needs both */
	assert_int_equal(in->coverage[0].nr_pages_at[0], 1);
	assert_int_equal(in->coverage[0].nr_pages_at[1], 2);
	tm_inspect_free(in);
}

static void test_empty_trace(void **state)
{
	struct tm_inspect *in;
	struct tm_stream *s;
	struct tm_error err;
	char *text;

	(void)state;
	s = array_stream(NULL, 0, TM_TRACE_ACCESSES);
	assert_int_equal(tm_inspect_stream(s, &in, &err), 0);
	tm_stream_free(s);
	assert_int_equal(in->nr_records, 0);
	assert_int_equal(in->coverage[0].nr_pages, 0);
	assert_int_equal(in->coverage[0].nr_pages_at[4], 0);
	s = array_stream(NULL, 0, TM_TRACE_ACCESSES);
	assert_int_equal(tm_inspect_heatmap(in, s, &err), 0);
	tm_stream_free(s);
	assert_int_equal(in->heat.nr_time_bins, 0);
	text = tm_inspect_json(in, NULL);
	assert_non_null(text);
	free(text);
	tm_inspect_free(in);
}

static void test_file_and_json(void **state)
{
	char dir[] = "/tmp/inspect-test-XXXXXX", path[64];
	struct tm_trace_info info = { 0 };
	struct tm_tmt_writer *w;
	struct tm_inspect *in;
	struct tm_error err;
	struct tm_record *r;
	json_t *j, *lv, *rows;
	char *text;
	size_t nr;
	FILE *mem;
	char *printed = NULL;
	size_t printed_len = 0;
	uint64_t sum = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.tmt", dir);
	info.page_shift = 12;
	info.nr_vcpus = 2;
	snprintf(info.source, sizeof(info.source), "hand-made");
	r = known_trace(&nr);
	w = tm_tmt_writer_new(path, &info, "{\"by\":\"test_inspect\"}", &err);
	assert_non_null(w);
	assert_int_equal(tm_tmt_writer_add(w, r, nr, &err), 0);
	assert_int_equal(tm_tmt_writer_close(w, &err), 0);
	assert_int_equal(tm_inspect_file(path, true, &in, &err), 0);
	check_known(in);
	assert_non_null(in->header_json);
	text = tm_inspect_json(in, path);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "file")), path);
	assert_int_equal(json_integer_value(json_object_get(j, "records")), 100);
	assert_int_equal(json_integer_value(json_object_get(j, "footprint_bytes")), 4 * 4096);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "address"),
							      "max")), "0x200123");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(j, "header"), "provenance"), "by")), "test_inspect");
	lv = json_object_get(json_array_get(json_object_get(j, "coverage"), 0), "levels");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(lv, 1), "pages")), 2);
	assert_true(json_real_value(json_object_get(json_array_get(lv, 1),
						    "share_of_pages")) == 0.5);
	rows = json_object_get(json_object_get(j, "heatmap"), "counts");
	assert_int_equal(json_array_size(rows), 100);
	for (size_t t = 0; t < json_array_size(rows); t++)
		for (size_t a = 0; a < json_array_size(json_array_get(rows, t)); a++)
			sum += (uint64_t)json_integer_value(json_array_get(json_array_get(rows, t), a));
	assert_int_equal(sum, 100);
	json_decref(j);
	free(text);
	mem = open_memstream(&printed, &printed_len);
	tm_inspect_print(in, path, mem);
	fclose(mem);
	assert_non_null(strstr(printed, "records       100\n"));
	assert_non_null(strstr(printed, "provenance    {\"by\":\"test_inspect\"}"));
	assert_non_null(strstr(printed, "\n  90%       50.00% (2)               50.00% (1)\n"));
	free(printed);
	tm_inspect_free(in);
	/* errors pass through */
	unlink(path);
	assert_int_equal(tm_inspect_file(path, true, &in, &err), -1);
	assert_int_equal(err.code, TM_ERR_NOTFOUND);
	assert_null(in);
	rmdir(dir);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_coverage),
		cmocka_unit_test(test_samples_use_periods),
		cmocka_unit_test(test_empty_trace),
		cmocka_unit_test(test_file_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
