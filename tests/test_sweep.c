/*
 * test_sweep.c - sweep files, expansion order, shards, point folders and
 * the merge into sweep.csv (sim/sweep/sweep.c, docs/sweeps.md).
 *
 * Expansion is checked point by point against a hand-written table, so a
 * swapped dimension or a wrong radix fails.  Merges run on point folders
 * holding hand-written summary.json files in a temporary folder, so the
 * CSV bytes are known exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/alloc.h"
#include "sim/output/output.h"
#include "sim/sweep/sweep.h"

static struct tm_sweep *parse_ok(const char *text)
{
	struct tm_sweep *sw = NULL;
	struct tm_error err = { 0 };

	if (tm_sweep_parse("dir/s.yaml", text, strlen(text), &sw, &err))
		fail_msg("unexpected error: %s", err.msg);
	return sw;
}

static void expect_error(const char *text, const char *msg)
{
	struct tm_sweep *sw = NULL;
	struct tm_error err = { 0 };

	if (tm_sweep_parse("dir/s.yaml", text, strlen(text), &sw, &err) == 0)
		fail_msg("parsed without error: %s", text);
	assert_null(sw);
	assert_string_equal(err.msg, msg);
}

/* grid a:[1,2] x zip {b,c}:[x,y,z] x seeds [7,9]: 2*3*2 = 12 points,
 * grid slowest, seeds fastest. */
static void test_expansion_order(void **state)
{
	static const char *const want[12][4] = {
		{ "1", "x", "X", "7" }, { "1", "x", "X", "9" },
		{ "1", "y", "Y", "7" }, { "1", "y", "Y", "9" },
		{ "1", "z", "Z", "7" }, { "1", "z", "Z", "9" },
		{ "2", "x", "X", "7" }, { "2", "x", "X", "9" },
		{ "2", "y", "Y", "7" }, { "2", "y", "Y", "9" },
		{ "2", "z", "Z", "7" }, { "2", "z", "Z", "9" },
	};
	struct tm_sweep *sw = parse_ok(
		"base: b.yaml\n"
		"set: {duration: 1s}\n"
		"grid: {defaults.a: [1, 2]}\n"
		"zip: {defaults.b: [x, y, z], defaults.c: [X, Y, Z]}\n"
		"seeds: [7, 9]\n");
	const char *values[TM_SWEEP_MAX_PARAMS];
	char *sets[TM_SWEEP_MAX_PARAMS * 2 + 1];

	(void)state;
	assert_int_equal(sw->nr_points, 12);
	assert_int_equal(sw->nr_params, 3);
	assert_string_equal(sw->params[0], "defaults.a");
	assert_string_equal(sw->params[2], "defaults.c");
	assert_string_equal(sw->base_path, "dir/b.yaml");
	assert_string_equal(sw->name, "s");
	assert_string_equal(sw->output, "results/sweeps/s");
	for (uint32_t i = 0; i < 12; i++) {
		uint64_t seed;
		int has_seed;

		tm_sweep_point_values(sw, i, values, &seed, &has_seed);
		assert_true(has_seed);
		for (int k = 0; k < 3; k++)
			assert_string_equal(values[k], want[i][k]);
		assert_int_equal(seed, strtoull(want[i][3], NULL, 10));
	}
	/* --set order: fixed, swept in column order, seed. */
	assert_int_equal(tm_sweep_point_sets(sw, 5, sets), 5);
	assert_string_equal(sets[0], "duration=1s");
	assert_string_equal(sets[1], "defaults.a=1");
	assert_string_equal(sets[2], "defaults.b=z");
	assert_string_equal(sets[3], "defaults.c=Z");
	assert_string_equal(sets[4], "seed=9");
	for (int k = 0; k < 5; k++)
		free(sets[k]);
	tm_sweep_free(sw);
}

/* Two grid keys: the first varies slowest; seeds: N means 1..N; several
 * zip groups cross each other. */
static void test_grid_and_counts(void **state)
{
	struct tm_sweep *sw = parse_ok(
		"name: g\nbase: /abs/b.yaml\noutput: out/g\n"
		"grid:\n  k1: [a, b]\n  k2: [p, q, r]\nseeds: 2\n");
	const char *v[TM_SWEEP_MAX_PARAMS];
	uint64_t seed;
	int has;

	(void)state;
	assert_int_equal(sw->nr_points, 12);
	assert_string_equal(sw->base_path, "/abs/b.yaml");
	assert_string_equal(sw->output, "out/g");
	tm_sweep_point_values(sw, 0, v, &seed, &has);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "p");
	assert_int_equal(seed, 1);
	tm_sweep_point_values(sw, 7, v, &seed, &has);   /* b, q... */
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "p");
	assert_int_equal(seed, 2);
	tm_sweep_point_values(sw, 11, v, &seed, &has);
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "r");
	assert_int_equal(seed, 2);
	tm_sweep_free(sw);

	sw = parse_ok("base: b.yaml\nzip:\n  - {x: [1, 2]}\n"
		      "  - {y: [3, 4, 5], z: [6, 7, 8]}\n");
	assert_int_equal(sw->nr_points, 6);
	tm_sweep_point_values(sw, 4, v, &seed, &has);
	assert_false(has);
	assert_string_equal(v[0], "2");
	assert_string_equal(v[1], "4");
	assert_string_equal(v[2], "7");
	tm_sweep_free(sw);

	sw = parse_ok("base: b.yaml\n");          /* no dimension: one point */
	assert_int_equal(sw->nr_points, 1);
	tm_sweep_free(sw);
}

static void test_shards(void **state)
{
	struct tm_error err;
	uint32_t i, n, count[3] = { 0 };

	(void)state;
	assert_int_equal(tm_sweep_parse_shard("2/3", &i, &n, &err), 0);
	assert_int_equal(i, 2);
	assert_int_equal(n, 3);
	/* Shards partition the points: each in exactly one. */
	for (uint32_t p = 0; p < 100; p++) {
		int owners = 0;

		for (uint32_t s = 0; s < 3; s++)
			if (tm_sweep_in_shard(p, s, 3)) {
				owners++;
				count[s]++;
			}
		assert_int_equal(owners, 1);
	}
	assert_int_equal(count[0], 34);
	assert_int_equal(count[2], 33);
	assert_true(tm_sweep_in_shard(5, 2, 3));
	assert_false(tm_sweep_in_shard(5, 1, 3));
	assert_int_equal(tm_sweep_parse_shard("3/3", &i, &n, &err), -1);
	assert_string_equal(err.msg, "--shard: expected I/N with 0 <= I < N "
			    "(0-based), got \"3/3\"");
	assert_int_equal(tm_sweep_parse_shard("1", &i, &n, &err), -1);
	assert_int_equal(tm_sweep_parse_shard("0/0", &i, &n, &err), -1);
	assert_int_equal(tm_sweep_parse_shard("-1/2", &i, &n, &err), -1);
}

static void test_errors_located(void **state)
{
	(void)state;
	expect_error("grid: {a: [1]}\n",
		     "dir/s.yaml:1:1: base: missing; expected the path of the "
		     "base config");
	expect_error("base: b.yaml\ngrdi: {a: [1]}\n",
		     "dir/s.yaml:2:1: grdi: unknown key; expected one of: name, "
		     "base, output, set, grid, zip, seeds");
	expect_error("base: b.yaml\ngrid:\n  a: 3\n",
		     "dir/s.yaml:3:6: a: expected a non-empty list of values, "
		     "like [997, 4093]");
	expect_error("base: b.yaml\ngrid:\n  a: []\n",
		     "dir/s.yaml:3:6: a: expected a non-empty list of values, "
		     "like [997, 4093]");
	expect_error("base: b.yaml\nzip:\n  a: [1, 2]\n  b: [1, 2, 3]\n",
		     "dir/s.yaml:4:6: b: expected 2 values like the other keys "
		     "of this zip group, got 3");
	expect_error("base: b.yaml\ngrid: {a: [1]}\nzip: {a: [2]}\n",
		     "dir/s.yaml:3:7: a: swept twice; expected each key once "
		     "across set, grid and zip");
	expect_error("base: b.yaml\nset: {a: 1}\ngrid: {a: [2]}\n",
		     "dir/s.yaml:3:8: a: given twice; expected each key once "
		     "across set, grid and zip");
	expect_error("base: b.yaml\nseeds: 0\n",
		     "dir/s.yaml:2:8: seeds: expected a count from 1 to 100000 "
		     "or a list of seeds");
	expect_error("base: b.yaml\nseeds: [1, x]\n",
		     "dir/s.yaml:2:12: seeds: expected a seed from 0 to 2^53-1");
	expect_error("base: b.yaml\nseeds: 2\ngrid: {a: [1]}\n",
		     "dir/s.yaml:3:1: grid: expected after grid: and zip:, "
		     "seeds: must come last");
	expect_error("base: b.yaml\ngrid: {\"a b\": [1]}\n",
		     "dir/s.yaml:2:8: a b: expected a config key path like "
		     "defaults.sampler.load_period");
	expect_error("base: b.yaml\ngrid: {a: [[1]]}\n",
		     "dir/s.yaml:2:12: a: expected a scalar value");
	expect_error("base: b.yaml\nbase: c.yaml\n",
		     "dir/s.yaml:2:1: base: duplicate key (first at line 1)");
	expect_error("base: b.yaml\nname: no/slash\n",
		     "dir/s.yaml:2:7: name: expected a name of 1-63 letters, "
		     "digits, _ or -, got \"no/slash\"");
	expect_error("base: [b\n",
		     "dir/s.yaml:2:1: malformed YAML: did not find expected ',' "
		     "or ']' (while parsing a flow sequence that starts at "
		     "line 1)");
	expect_error("base: b.yaml\ngrid: {a: [1,2,3,4,5,6,7,8,9,10], "
		     "b: [1,2,3,4,5,6,7,8,9,10], c: [1,2,3,4,5,6,7,8,9,10], "
		     "d: [1,2,3,4,5,6,7,8,9,10], e: [1,2,3,4,5,6,7,8,9,10], "
		     "f: [1,2,3,4,5,6,7,8,9,10], g: [1, 2]}\n",
		     "dir/s.yaml: sweep: expected at most 1000000 points, the "
		     "expansion has more");
}

/* Malformed files are refused by the config module's YAML front-end with
 * the run loader's located messages (file:line:col, the key, what was
 * expected); the line and column are those of the offending token. */
static void test_malformed_located(void **state)
{
	(void)state;
	/* bad indentation: "b" is neither in grid: nor a top-level key */
	expect_error("base: b.yaml\ngrid:\n  a: [1, 2]\n b: [3]\n",
		     "dir/s.yaml:4:2: malformed YAML: did not find expected key "
		     "(while parsing a block mapping that starts at line 1)");
	expect_error("base: b.yaml\ngrid:\n  a: [1]\n   b: [3]\n",
		     "dir/s.yaml:4:4: malformed YAML: did not find expected key "
		     "(while parsing a block mapping that starts at line 3)");
	/* duplicate keys: at the top level, and inside a section */
	expect_error("name: x\nseeds: 2\nname: y\n",
		     "dir/s.yaml:3:1: name: duplicate key (first at line 1)");
	expect_error("base: b.yaml\ngrid:\n  a: [1]\n  a: [2]\n",
		     "dir/s.yaml:4:3: a: swept twice; expected each key once "
		     "across set, grid and zip");
	/* values of the wrong type */
	expect_error("base: b.yaml\nset: [a]\n",
		     "dir/s.yaml:2:6: set: expected a mapping of key: value");
	expect_error("base: b.yaml\nseeds: {a: 1}\n",
		     "dir/s.yaml:2:8: seeds: expected a count or a non-empty "
		     "list of seeds");
	expect_error("base:\n  - b.yaml\n",
		     "dir/s.yaml:2:3: base: expected a path");
	expect_error("base: b.yaml\nset:\n  duration: {a: 1}\n",
		     "dir/s.yaml:3:13: duration: expected a scalar value");
	expect_error("base: b.yaml\nzip:\n  - {a: [1]}\n  - [b]\n",
		     "dir/s.yaml:4:5: zip[1]: expected a mapping of key: "
		     "[values]");
	/* what the front-end refuses in every file it reads */
	expect_error("base: b.yaml\ngrid:\n  ? [a]\n  : [1]\n",
		     "dir/s.yaml:3:5: (key): expected a plain key, got a list");
	expect_error("base: b.yaml\nzip:\n  a: &l [1, 2]\n  b: *l\n",
		     "dir/s.yaml:4:6: (document): expected plain values; "
		     "aliases (*l) are not supported");
	expect_error("base: b.yaml\n---\nbase: c.yaml\n",
		     "dir/s.yaml:2:1: (document): expected one YAML document, "
		     "got more");
	expect_error("# nothing\n",
		     "dir/s.yaml:1:1: sweep: expected a mapping with base:, got "
		     "an empty file");
}

static void test_missing_file(void **state)
{
	struct tm_sweep *sw = NULL;
	struct tm_error err = { 0 };

	(void)state;
	assert_int_equal(tm_sweep_load("/nonexistent/s.yaml", &sw, &err), -1);
	assert_int_equal(err.code, TM_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/s.yaml"));
}

/* A summary.json with one host "h", VMs named in vms[], the first with
 * two identifiers and the second with one. */
static void write_summary(const char *out, uint32_t point, int seed,
			  double ratio)
{
	char dir[TM_PATH_MAX], path[TM_PATH_MAX + 32], text[2048];
	struct tm_error err;

	tm_sweep_point_dir(out, point, dir, sizeof(dir));
	assert_int_equal(tm_mkdir_p(dir, &err), 0);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	snprintf(text, sizeof(text),
		 "{\"seed\": %d, \"hosts\": [{\"name\": \"h\", \"vms\": ["
		 "{\"name\": \"a\", \"accesses\": 10, \"fmem_hit_ratio\": %.2f,"
		 " \"oracle_hit_ratio\": 1.0, \"static_hit_ratio\": 0.25,"
		 " \"efficiency\": null, \"amat_ns\": 80.5,"
		 " \"truth\": {\"source\": \"distribution\"},"
		 " \"identifiers\": [{\"kind\": \"sdh\", \"role\": \"main\","
		 " \"precision\": 0.5, \"recall\": 0.25, \"weighted_recall\": 1,"
		 " \"are\": 0.125, \"aae\": 2.0, \"sampling_loss\": 0.125,"
		 " \"identifier_loss\": 0.375}, {\"kind\": \"exact\","
		 " \"role\": \"shadow\", \"precision\": 1.0, \"recall\": 1.0,"
		 " \"weighted_recall\": 1.0, \"are\": 0.0, \"aae\": 0.0}],"
		 " \"migration\": {\"promotions\": 3, \"demotions\": 4,"
		 " \"exchanges\": 5, \"bytes\": 4096, \"cpu_ns\": 77},"
		 " \"sampler\": {\"samples\": 9, \"cpu_ns\": 900}},"
		 "{\"name\": \"b\", \"accesses\": 20, \"identifiers\": ["
		 "{\"kind\": \"exact\", \"role\": \"main\"}]}]}]}\n",
		 seed, ratio);
	assert_int_equal(tm_write_atomic(path, text, strlen(text), &err), 0);
}

static void test_merge_columns(void **state)
{
	char tmpl[] = "/tmp/test_sweep.XXXXXX";
	char *out = mkdtemp(tmpl), *missing = NULL;
	struct tm_sweep *sw = parse_ok(
		"base: b.yaml\ngrid: {\"defaults.fmem\": [\"10%\", \"a,b\"]}\n"
		"seeds: 2\n");
	struct tm_strbuf csv = { 0 };
	struct tm_error err;
	uint32_t nr_missing;
	char cmd[128];
	const char *want =
		"point,seed,defaults.fmem,host,vm,accesses,fmem_hit_ratio,"
		"oracle_hit_ratio,static_hit_ratio,efficiency,amat_ns,promotions,"
		"demotions,exchanges,migrated_bytes,migration_cpu_ns,samples,"
		"sampling_cpu_ns,truth,ident0_kind,ident0_role,ident0_precision,"
		"ident0_recall,ident0_weighted_recall,ident0_are,ident0_aae,"
		"ident0_sampling_loss,ident0_identifier_loss,"
		"ident1_kind,ident1_role,ident1_precision,ident1_recall,"
		"ident1_weighted_recall,ident1_are,ident1_aae,"
		"ident1_sampling_loss,ident1_identifier_loss\n"
		"1,2,10%,h,a,10,0.500000,1.000000,0.250000,,80.500000,3,4,5,"
		"4096,77,9,900,distribution,sdh,main,0.500000,0.250000,1,"
		"0.125000,2.000000,0.125000,0.375000,"
		"exact,shadow,1.000000,1.000000,1.000000,0.000000,0.000000,,\n"
		"1,2,10%,h,b,20,,,,,,,,,,,,,,exact,main,,,,,,,,,,,,,,,,\n"
		"3,2,\"a,b\",h,a,10,0.750000,1.000000,0.250000,,80.500000,3,4,5,"
		"4096,77,9,900,distribution,sdh,main,0.500000,0.250000,1,"
		"0.125000,2.000000,0.125000,0.375000,"
		"exact,shadow,1.000000,1.000000,1.000000,0.000000,0.000000,,\n"
		"3,2,\"a,b\",h,b,20,,,,,,,,,,,,,,exact,main,,,,,,,,,,,,,,,,\n";

	(void)state;
	assert_non_null(out);
	/* Written out of order: rows still follow the point index. */
	write_summary(out, 3, 2, 0.75);
	write_summary(out, 1, 2, 0.5);
	assert_true(tm_sweep_point_done(out, 1));
	assert_false(tm_sweep_point_done(out, 0));
	assert_int_equal(tm_sweep_merge(sw, out, &csv, &nr_missing, &missing,
					&err), 0);
	assert_int_equal(nr_missing, 2);
	assert_string_equal(missing, "p0000, p0002");
	assert_string_equal(csv.p, want);
	free(missing);
	tm_strbuf_free(&csv);
	tm_sweep_free(sw);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	assert_int_equal(system(cmd), 0);
}

/* A value the base config refuses is reported at the value's line:col. */
static void test_check_located(void **state)
{
	char tmpl[] = "/tmp/test_sweep.XXXXXX";
	char *dir = mkdtemp(tmpl), path[128], cmd[320];
	const char *base =
		"name: mini\nduration: 1s\n"
		"hosts:\n  - name: h0\n    vms:\n      - name: web\n"
		"        trace: {gen: uniform, footprint: 64MiB, rate: 1k/s}\n";
	const char *text = "base: base.yaml\n"
			   "grid:\n  defaults.fmem: [10%, 300%]\n";
	struct tm_sweep *sw = NULL;
	struct tm_error err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/base.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(base, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/s.yaml", dir);
	assert_int_equal(tm_sweep_parse(path, text, strlen(text), &sw, &err), 0);
	assert_int_equal(tm_sweep_check(sw, &err), -1);
	assert_int_equal(err.code, TM_ERR_BOUNDS);
	snprintf(cmd, sizeof(cmd), "%s:3:24: defaults.fmem: value \"300%%\" "
		 "refused by base base.yaml: --set defaults.fmem: ", path);
	assert_memory_equal(err.msg, cmd, strlen(cmd));
	tm_sweep_free(sw);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_point_dir(void **state)
{
	char buf[64];

	(void)state;
	tm_sweep_point_dir("out", 7, buf, sizeof(buf));
	assert_string_equal(buf, "out/points/p0007");
	tm_sweep_point_dir("o", 12345, buf, sizeof(buf));
	assert_string_equal(buf, "o/points/p12345");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expansion_order),
		cmocka_unit_test(test_grid_and_counts),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_errors_located),
		cmocka_unit_test(test_malformed_located),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_merge_columns),
		cmocka_unit_test(test_check_located),
		cmocka_unit_test(test_point_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
