/*
 * test_perfscript_shapes.c - the perf-script importer reads `perf script`
 * text by its shape (traces/import/perfscript_shape.c): perf's default
 * fields, -F lists in another order, with comm, in microseconds, each
 * imported to the records the perf-data importer reads from the same
 * recording (tests/fixtures/README.md says how each text was made); the
 * width clues that tell hex columns apart; --split by the text's columns;
 * lines that do not fit, located.
 */
#include "tests/import_util.h"

#define ZSTD_DATA "zstd_dd.perf.data"

/* Import from with fields ("auto" or a list) and addr; compare with ref. */
static void same_records(const char *text, const char *fields, enum tm_import_addr addr,
			 const char *ref_from, const char *ref, uint64_t tol_ns,
			 size_t want)
{
	struct topts o;
	struct tm_trace_info ia, ib;
	struct tm_record *a, *b;
	size_t na, nb;

	topts_init(&o);
	o.perf.addr = addr;
	a = import(ref_from, fixture(ref), &o.perf, &o.o, &na, &ia);
	SET_FIELDS(&o, fields);
	b = import("perf-script", fixture(text), &o.perf, &o.o, &nb, &ib);
	if (na != want || nb != want)
		fail_msg("%s (--fields %s): %zu and %zu records, expected %zu", text,
			 fields, na, nb, want);
	for (size_t i = 0; i < na; i++) {
		uint64_t dt = a[i].time_ns > b[i].time_ns ? a[i].time_ns - b[i].time_ns
							  : b[i].time_ns - a[i].time_ns;

		if (dt > tol_ns || a[i].addr != b[i].addr || a[i].cpu != b[i].cpu ||
		    a[i].op != b[i].op || a[i].weight != b[i].weight)
			fail_msg("%s (--fields %s): record %zu differs from %s", text,
				 fields, i, ref);
	}
	assert_int_equal(ia.load_period, ib.load_period);
	assert_int_equal(ia.nr_vcpus, ib.nr_vcpus);
	assert_int_equal(ia.space, ib.space);
	free(a);
	free(b);
}

static void test_shapes_of_real_texts(void **state)
{
	(void)state;
	/* perf's default fields with +addr: addr sym (dso) ip sym (dso) */
	same_records("zstd_dd.default-addr.txt", "auto", TM_IMPORT_VIRT, "perf-data",
		     ZSTD_DATA, 0, 145);
	same_records("zstd_dd.default-addr.txt", "dso,sym,ip,addr,event,period,time,"
		     "cpu,tid,comm,symoff", TM_IMPORT_VIRT, "perf-data", ZSTD_DATA, 0, 145);
	/* -F in another order, with comm and data_src */
	same_records("zstd_dd.reordered.txt", "auto", TM_IMPORT_VIRT, "perf-data",
		     ZSTD_DATA, 0, 145);
	same_records("zstd_dd.reordered.txt", "auto", TM_IMPORT_PHYS, "perf-data",
		     ZSTD_DATA, 0, 6);
	same_records("zstd_dd.reordered.txt", "period,comm,phys_addr,data_src,addr,"
		     "event,time,cpu,tid,pid", TM_IMPORT_VIRT, "perf-data", ZSTD_DATA, 0, 145);
	/* the README's list plus comm, in another order, against the README's
	 * list (and so against perf-data: test_import.c) */
	same_records("pagetouch.comm.txt", "auto", TM_IMPORT_VIRT, "perf-script",
		     PERF_SCRIPT, 0, NR_FIXTURE_SAMPLES);
	same_records("pagetouch.comm.txt", "auto", TM_IMPORT_PHYS, "perf-script",
		     PERF_SCRIPT, 0, 2);
	same_records(PERF_SCRIPT, "auto", TM_IMPORT_VIRT, "perf-data", PERF_DATA, 0,
		     NR_FIXTURE_SAMPLES);
	/* without --ns perf prints microseconds: exact to 1us */
	same_records("zstd_dd.default-us.txt", "auto", TM_IMPORT_VIRT, "perf-data",
		     ZSTD_DATA, 999, 145);
}

/* perf's default fields of a software event: ip, not the data address. */
static void test_default_fields_have_no_addr(void **state)
{
	struct topts o;

	(void)state;
	topts_init(&o);
	expect_fail("perf-script", fixture("zstd_dd.default.txt"), &o.perf, &o.o,
		    TM_ERR_FORMAT, "no addr column", "comm tid [cpu] time: period "
		    "event: ip sym (dso)", "perf script -F +addr", NULL);
}

static struct tm_record *import_text(const char *text, const char *fields,
				     enum tm_import_addr addr, size_t *n,
				     struct tm_trace_info *info)
{
	struct topts o;
	struct tm_record *r;

	topts_init(&o);
	o.perf.addr = addr;
	SET_FIELDS(&o, fields);
	r = import("perf-script", tmpfile_with(text, strlen(text)), &o.perf, &o.o, n, info);
	unlink(tmp_path);
	return r;
}

/* Hex columns look alike; perf prints ip one column further from its left
 * neighbour (" %16lx") than addr or phys_addr ("%16lx"), and period "%10lu". */
static void test_width_clues(void **state)
{
	static const char addr_ip[] =
		"  100.000000100:           401000           402000\n";
	static const char addr_phys[] =
		"  100.000000100:           401000          402000\n";
	static const char respaced[] = "100.000000100: 401000 main (/usr/bin/x)\n";
	static const char period_addr[] =
		"  100.000000100:          7           401000\n";
	struct tm_trace_info info;
	struct topts o;
	struct tm_record *r;
	size_t n;

	(void)state;
	r = import_text(addr_phys, "auto", TM_IMPORT_PHYS, &n, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].addr, 0x402000);
	free(r);
	topts_init(&o);
	o.perf.addr = TM_IMPORT_PHYS;
	expect_fail("perf-script", tmpfile_with(addr_ip, strlen(addr_ip)), &o.perf,
		    &o.o, TM_ERR_FORMAT, "no phys_addr column", "time: addr ip", NULL);
	/* the same text, told: ip is phys_addr */
	r = import_text(addr_ip, "time,addr,phys_addr", TM_IMPORT_PHYS, &n, NULL);
	assert_int_equal(r[0].addr, 0x402000);
	free(r);
	/* no widths to go by (spacing lost): a lone hex sym (dso) is ip, as
	 * in perf's default fields */
	topts_init(&o);
	expect_fail("perf-script", tmpfile_with(respaced, strlen(respaced)), &o.perf,
		    &o.o, TM_ERR_FORMAT, "no addr column", "time: ip sym (dso)", NULL);
	r = import_text(period_addr, "auto", TM_IMPORT_VIRT, &n, &info);
	assert_int_equal(r[0].addr, 0x401000);
	assert_int_equal(info.load_period, 7);
	free(r);
	unlink(tmp_path);
}

/* The default fields of a PEBS (raw) event, a comm with a space, a store. */
static const char pebs[] =
	"     Web Content  4242/4243  [002]   100.000000100:        100 cpu/mem-loads/P:"
	"      7f0000001000      1e05080142 |OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit"
	"|LCK No|BLK  N/A              30           401000 main+0x10 (/usr/bin/x)\n"
	"     Web Content  4242/4244  [003]   100.000000200:        100 cpu/mem-loads/P:"
	"      7f0000002000      1e05080144 |OP STORE|LVL L1 hit|SNP None|TLB L1 or L2 hit"
	"|LCK No|BLK  N/A              12           401010 main+0x20 (/usr/bin/x)\n"
	"              sh  4300/4300  [000]   100.000000300:        100 cpu/mem-loads/P:"
	"      7f0000003000      1e05080142 |OP LOAD|LVL L1 hit|SNP None|TLB L1 or L2 hit"
	"|LCK No|BLK  N/A               9           401020 [unknown] ([unknown])\n";

static void test_pebs_default_and_comm(void **state)
{
	struct tm_import_stats st = { 0 };
	struct topts o;
	struct tm_import_groups gs = { 0 };
	struct tm_stream *s = NULL;
	struct tm_error err = { 0 };
	struct tm_record *r;
	size_t n;

	(void)state;
	r = import_text(pebs, "auto", TM_IMPORT_VIRT, &n, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].addr, 0x7f0000001000);
	assert_int_equal(r[1].op, TM_OP_STORE);
	assert_int_equal(r[1].weight, 12);
	assert_int_equal(r[2].cpu, 0);
	assert_int_equal(r[2].time_ns, 200);
	free(r);
	topts_init(&o);
	o.o.split = TM_IMPORT_SPLIT_COMM;
	o.o.groups = &gs;
	o.o.stats = &st;
	if (tm_importer_perf_script.open(tmpfile_with(pebs, strlen(pebs)), &o.perf,
					 &o.o, &s, &err))
		fail_msg("%s", err.msg);
	/* what was read, for the header's provenance */
	assert_string_equal(st.columns, "comm pid/tid [cpu] time: period event: addr "
			    "data_src |decoded| weight ip sym (dso)");
	assert_int_equal(gs.nr, 2);
	assert_string_equal(gs.g[0].comm, "Web Content");
	assert_int_equal(gs.g[0].nr_records, 2);
	assert_string_equal(gs.g[1].comm, "sh");
	tm_import_groups_free(&gs);
	unlink(tmp_path);
}

/* A line that does not fit the shape of the first ones, located. */
static void test_line_off_shape(void **state)
{
	char text[sizeof(pebs) + 256];
	struct topts o;

	(void)state;
	topts_init(&o);
	snprintf(text, sizeof(text), "%s%s", pebs, "              sh  4300/4300  [000]"
		 "   100.000000400:        100 cpu/mem-loads/P:      1e05080142 |OP "
		 "LOAD|LVL L1 hit              9           401020 [unknown] ([unknown])\n");
	expect_fail("perf-script", tmpfile_with(text, strlen(text)), &o.perf, &o.o,
		    TM_ERR_FORMAT, ":4:97: '|OP'; expected a hex data_src", "the text's shape: "
		    "comm pid/tid [cpu] time: period event: addr data_src |decoded| "
		    "weight ip sym (dso)", NULL);
	/* callchains, an unknown --fields name, a first line of no shape */
	snprintf(text, sizeof(text), "%.*s\t 401000 main\n", (int)(strchr(pebs, '\n') - pebs + 1), pebs);
	expect_fail("perf-script", tmpfile_with(text, strlen(text)), &o.perf, &o.o,
		    TM_ERR_FORMAT, ":2:1: a callchain line", "-G", NULL);
	SET_FIELDS(&o, "time,addr,srcline");
	expect_fail("perf-script", tmpfile_with(pebs, strlen(pebs)), &o.perf, &o.o,
		    TM_ERR_USAGE, "'srcline' is not read", NULL);
	SET_FIELDS(&o, "auto");
	snprintf(text, sizeof(text), "  100.000000100: hello world\n");
	expect_fail("perf-script", tmpfile_with(text, strlen(text)), &o.perf, &o.o,
		    TM_ERR_FORMAT, ":1:18: 'hello'; expected", "no shape perf prints "
		    "fits; the nearest: time:", NULL);
	snprintf(text, sizeof(text), "sh 12 hello world\n");
	expect_fail("perf-script", tmpfile_with(text, strlen(text)), &o.perf, &o.o,
		    TM_ERR_FORMAT, ":1:", "expected [comm] [pid/tid] [[cpu]] and the time",
		    NULL);
	unlink(tmp_path);
}

/* --split pid of the system-wide text: each group has as many samples as
 * the text has lines of its pid (awk's count). */
static void test_split_pid_of_text(void **state)
{
	struct topts o;
	struct tm_import_groups gs = { 0 };
	struct tm_stream *s = NULL;
	struct tm_error err = { 0 };
	size_t len, total = 0;
	char *text = read_all(fixture("syswide.perf-script.txt"), &len);

	(void)state;
	topts_init(&o);
	o.o.split = TM_IMPORT_SPLIT_PID;
	o.o.groups = &gs;
	if (tm_importer_perf_script.open(fixture("syswide.perf-script.txt"), &o.perf,
					 &o.o, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(gs.nr, 7);
	for (size_t g = 0; g < gs.nr; g++) {
		char key[32];
		size_t want = 0;

		snprintf(key, sizeof(key), " %llu/", (unsigned long long)gs.g[g].key);
		for (const char *p = text; (p = strstr(p, key)); p++)
			want++;
		assert_int_equal(gs.g[g].nr_records, want);
		total += want;
	}
	assert_int_equal(total, 572);
	tm_import_groups_free(&gs);
	/* the default fields print the tid alone: no pid to split by */
	expect_fail("perf-script", fixture("zstd_dd.default-addr.txt"), &o.perf, &o.o,
		    TM_ERR_USAGE, "--split pid: no pid column", "a lone number is "
		    "perf's tid", NULL);
	o.o.split = TM_IMPORT_SPLIT_CPU;
	expect_fail("perf-script", tmpfile_with("  1.000000001:           401000\n", 32),
		    &o.perf, &o.o, TM_ERR_USAGE, "--split cpu: no cpu column", NULL);
	unlink(tmp_path);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes_of_real_texts),
		cmocka_unit_test(test_default_fields_have_no_addr),
		cmocka_unit_test(test_width_clues),
		cmocka_unit_test(test_pebs_default_and_comm),
		cmocka_unit_test(test_line_off_shape),
		cmocka_unit_test(test_split_pid_of_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
