/*
 * test_import_real.c - the real perf recordings of tests/fixtures (a -z
 * recording, a pipe-mode recording and a system-wide one of three programs;
 * commands in tests/fixtures/README.md) imported by the perf-data importer
 * and compared sample for sample with the `perf script` text of the same
 * file, which perf itself wrote.  The text is parsed here with sscanf, not
 * by the perf-script importer, so the two sides share no code.
 *
 * Compared per sample: time (relative to the earliest), pid (through
 * --split pid: each group holds exactly the lines of its pid), cpu, addr,
 * and phys_addr (--addr phys) where the recording has it.
 */
#include "tests/import_util.h"

struct ps_line {
	uint64_t time_ns, addr, phys;
	uint32_t pid, tid, cpu;
};

struct real {
	const char *data, *text;
	bool phys;              /* the text has a phys_addr column */
	bool pipe;              /* pipe-mode recording */
	bool compressed;        /* -z recording */
	size_t nr_lines;        /* `wc -l` of the text */
	size_t nr_pids;         /* distinct pids in the text */
};

/* `wc -l` and `awk '{split($2,a,"/"); print a[1]}' | sort -u | wc -l`. */
static const struct real reals[] = {
	{ "zstd_dd.perf.data", "zstd_dd.perf-script.txt", true, false, true, 145, 1 },
	{ "pipe_dd.perf.data", "pipe_dd.perf-script.txt", true, true, false, 113, 1 },
	{ "syswide.perf.data", "syswide.perf-script.txt", false, false, false, 572, 7 },
};

/* "comm pid/tid [cpu] secs.nsecs: addr [phys]" (-F comm,pid,tid,cpu,time,
 * addr[,phys_addr] --ns); comm is one word in these recordings. */
static struct ps_line *read_text(const char *path, bool phys, size_t *nr)
{
	FILE *f = fopen(path, "r");
	struct ps_line *v = NULL;
	char line[512];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct ps_line l = { 0 };
		unsigned long long s, ns, a, p = 0;
		int want = phys ? 7 : 6;

		assert_int_equal(sscanf(line, "%*s %u/%u [%u] %llu.%llu: %llx %llx",
					&l.pid, &l.tid, &l.cpu, &s, &ns, &a, &p), want);
		l.time_ns = s * 1000000000ULL + ns;
		l.addr = a;
		l.phys = p;
		v = tm_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = l;
	}
	fclose(f);
	*nr = n;
	return v;
}

/* Every group of --split pid equals the text's lines of that pid, in order. */
static void check_split_pid(const struct real *rc, const struct ps_line *l, size_t nr)
{
	struct topts o;
	struct tm_import_groups gs = { 0 };
	struct tm_import_stats st = { 0 };
	struct tm_stream *s = NULL;
	struct tm_error err = { 0 };
	uint64_t t0 = UINT64_MAX;
	size_t total = 0;

	topts_init(&o);
	o.o.split = TM_IMPORT_SPLIT_PID;
	o.o.groups = &gs;
	o.o.stats = &st;
	if (tm_importer_perf_data.open(fixture(rc->data), &o.perf, &o.o, &s, &err))
		fail_msg("%s", err.msg);
	assert_null(s);
	assert_int_equal(st.pipe, rc->pipe);
	assert_int_equal(st.nr_compressed > 0, rc->compressed);
	assert_int_equal(st.nr_lost, 0);
	assert_int_equal(gs.nr, rc->nr_pids);
	for (size_t i = 0; i < nr; i++)
		if (l[i].time_ns < t0)
			t0 = l[i].time_ns;
	for (size_t g = 0; g < gs.nr; g++) {
		size_t n, k = 0;
		struct tm_record *r = slurp(gs.g[g].stream, &n);

		assert_int_equal(n, gs.g[g].nr_records);
		for (size_t i = 0; i < nr; i++) {
			if (l[i].pid != gs.g[g].key)
				continue;
			assert_true(k < n);
			assert_int_equal(r[k].time_ns, l[i].time_ns - t0);
			assert_int_equal(r[k].cpu, l[i].cpu);
			assert_int_equal(r[k].addr, l[i].addr);
			k++;
		}
		assert_int_equal(k, n);
		assert_int_equal(gs.g[g].first_ns, r[0].time_ns);
		assert_int_equal(gs.g[g].last_ns, r[n - 1].time_ns);
		total += n;
		free(r);
	}
	assert_int_equal(total, nr);
	tm_import_groups_free(&gs);
}

/* --addr phys: the samples with a physical address, in order. */
static void check_phys(const struct real *rc, const struct ps_line *l, size_t nr)
{
	struct topts o;
	struct tm_record *r;
	uint64_t t0 = UINT64_MAX;
	size_t n, k = 0;

	topts_init(&o);
	o.perf.addr = TM_IMPORT_PHYS;
	r = import("perf-data", fixture(rc->data), &o.perf, &o.o, &n, NULL);
	for (size_t i = 0; i < nr; i++)
		if (l[i].phys && l[i].time_ns < t0)
			t0 = l[i].time_ns;
	for (size_t i = 0; i < nr; i++) {
		if (!l[i].phys)
			continue;
		assert_true(k < n);
		assert_int_equal(r[k].time_ns, l[i].time_ns - t0);
		assert_int_equal(r[k].addr, l[i].phys);
		assert_int_equal(r[k].cpu, l[i].cpu);
		k++;
	}
	assert_true(k > 0); /* the recording has some: the test can fail */
	assert_int_equal(k, n);
	free(r);
}

static void test_real_recordings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		size_t nr;
		struct ps_line *l = read_text(fixture(reals[i].text), reals[i].phys, &nr);

		assert_int_equal(nr, reals[i].nr_lines);
		check_split_pid(&reals[i], l, nr);
		if (reals[i].phys)
			check_phys(&reals[i], l, nr);
		free(l);
	}
}

/* A planted fault: one address changed in a copy of the text is found. */
static void test_real_planted_fault(void **state)
{
	size_t nr, n;
	struct ps_line *l = read_text(fixture(reals[0].text), true, &nr);
	struct topts o;
	struct tm_record *r;
	size_t diff = 0;

	(void)state;
	topts_init(&o);
	r = import("perf-data", fixture(reals[0].data), &o.perf, &o.o, &n, NULL);
	assert_int_equal(n, nr);
	l[nr / 2].addr ^= 0x1000;
	for (size_t i = 0; i < nr; i++)
		diff += r[i].addr != l[i].addr;
	assert_int_equal(diff, 1);
	free(r);
	free(l);
}

/* Truncated copies of the -z and pipe recordings fail with a location. */
static void test_real_truncated(void **state)
{
	struct topts o;

	(void)state;
	topts_init(&o);
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *p = read_all(fixture(reals[i].data), &len);

		for (size_t cut = 16; cut < len; cut += len / 37 + 1) {
			struct tm_stream *s = NULL;
			struct tm_error err = { 0 };

			if (!tm_importer_perf_data.open(tmpfile_with(p, cut), &o.perf,
							&o.o, &s, &err)) {
				/* a cut between records of a pipe file is a
				 * shorter valid recording */
				assert_true(reals[i].pipe);
				tm_stream_free(s);
				continue;
			}
			assert_int_equal(err.code, TM_ERR_FORMAT);
			assert_non_null(strstr(err.msg, "@"));
		}
		unlink(tmp_path);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_recordings),
		cmocka_unit_test(test_real_planted_fault),
		cmocka_unit_test(test_real_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
