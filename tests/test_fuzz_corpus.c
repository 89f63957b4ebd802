/*
 * test_fuzz_corpus.c - replays every committed fuzz input (seeds and crash
 * reproducers, tests/fuzz/corpus/<target>/) through the fuzz targets without
 * libFuzzer, so `make check` keeps every bug the fuzzers found fixed
 * (STYLE.md habit 10).
 *
 * The targets are compiled into this test: each tests/fuzz/fuzz_<t>.c
 * defines tm_fuzz_<t>(), and LLVMFuzzerTestOneInput only under TM_FUZZ_MAIN,
 * which this file does not define.  A target abort()s on a violated
 * property, which fails this test.  Tests run from the top of the source
 * tree, so the corpus is found by its relative path.
 *
 * The last test plants faults (a stream whose time goes backwards, one with
 * op 3) and checks in a child process that the shared checks abort, so a
 * replay that passes means something.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/fuzz/fuzz_config.c"
#include "tests/fuzz/fuzz_lackey.c"
#include "tests/fuzz/fuzz_perfdata.c"
#include "tests/fuzz/fuzz_perfscript.c"
#include "tests/fuzz/fuzz_split.c"
#include "tests/fuzz/fuzz_sweep.c"
#include "tests/fuzz/fuzz_tmt.c"
#include "tests/fuzz/fuzz_units.c"

#define CORPUS "tests/fuzz/corpus/"

/* Read a whole file; abort-free: a missing file fails the test. */
static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0;

	assert_non_null(f);
	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = tm_xrealloc(buf, cap);
		}
		size_t got = fread(buf + *n, 1, cap - *n, f);

		if (!got)
			break;
		*n += got;
	}
	fclose(f);
	return buf;
}

/* Run fn on every file of the corpus folder; returns how many. */
static unsigned replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
	char dir[256], path[512];
	struct dirent *de;
	unsigned nr = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), CORPUS "%s", target);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n;
		uint8_t *data;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		data = slurp(path, &n);
		print_message("%s\n", path);
		assert_int_equal(fn(data, n), 0);
		free(data);
		nr++;
	}
	closedir(d);
	return nr;
}

/* The minimum counts are the seeds first committed: a corpus that shrank
 * (a lost folder, a bad checkout) fails rather than passing vacuously. */
static void test_units(void **state)
{
	(void)state;
	assert_true(replay("units", tm_fuzz_units) >= 20);
}

static void test_config(void **state)
{
	(void)state;
	assert_true(replay("config", tm_fuzz_config) >= 33);
}

static void test_sweep(void **state)
{
	(void)state;
	assert_true(replay("sweep", tm_fuzz_sweep) >= 10);
}

static void test_tmt(void **state)
{
	(void)state;
	assert_true(replay("tmt", tm_fuzz_tmt) >= 4);
}

static void test_perfdata(void **state)
{
	(void)state;
	assert_true(replay("perfdata", tm_fuzz_perfdata) >= 1);
}

static void test_perfscript(void **state)
{
	(void)state;
	assert_true(replay("perfscript", tm_fuzz_perfscript) >= 7);
}

static void test_split(void **state)
{
	(void)state;
	assert_true(replay("split", tm_fuzz_split) >= 9);
}

static void test_lackey(void **state)
{
	(void)state;
	assert_true(replay("lackey", tm_fuzz_lackey) >= 3);
}

/* A stream of two fixed records, for the planted faults. */
struct two_recs {
	struct tm_record r[2];
	int done;
};

static ssize_t two_read(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err)
{
	struct two_recs *t = state;

	(void)err;
	if (t->done || cap < 2)
		return 0;
	t->done = 1;
	memcpy(buf, t->r, sizeof(t->r));
	return 2;
}

static void two_free(void *state)
{
	(void)state;
}

static const struct tm_stream_ops two_ops = { "two", two_read, two_free };

/* True when tm_fuzz_check_stream aborts on this pair of records. */
static int check_aborts(const struct tm_record *a, const struct tm_record *b)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct two_recs t = { { *a, *b }, 0 };
		struct tm_stream s = { &two_ops, &t, { 0 } };

		s.info.nr_vcpus = 1;
		s.info.page_shift = 12;
		freopen("/dev/null", "w", stderr);
		tm_fuzz_check_stream(&s, "planted", "planted", 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_planted_faults_abort(void **state)
{
	struct tm_record a = { 200, 0x1000, 0, 0, TM_OP_LOAD, 0 };
	struct tm_record b = { 300, 0x2000, 0, 0, TM_OP_STORE, 0 };
	struct tm_record back = b, bad_op = b;

	(void)state;
	back.time_ns = 100;
	bad_op.op = 3;
	assert_false(check_aborts(&a, &b));
	assert_true(check_aborts(&a, &back));
	assert_true(check_aborts(&a, &bad_op));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_tmt),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_perfdata),
		cmocka_unit_test(test_perfscript),
		cmocka_unit_test(test_lackey),
		cmocka_unit_test(test_planted_faults_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
