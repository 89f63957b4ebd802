/*
 * fuzz_split.c - libFuzzer target for the split path: the input is imported
 * with --split (tm_import_opts.split, traces/import/import.c's grouper) as a
 * perf.data file (by pid) and as perf script text (by tid), and read as the
 * index.json of a trace set (traces/traceset.c, what `traces: DIR` reads).
 *
 * Properties (fuzz_common.h): no crash, leak or sanitizer report; a
 * rejected input gets an error that starts with the file's path; an
 * accepted split has groups whose record counts add up to the import's
 * record count, each group's stream in non-decreasing time within
 * [first_ns, last_ns] of its group, and the groups together hold the
 * records of the same import without --split (same count, same sum of
 * addresses and times); an accepted index has 1 to TM_TRACESET_MAX_STREAMS
 * streams with names unique, non-empty and without '.'.
 * Seeds: tests/fuzz/corpus/split/.
 */
#include "fuzz_common.h"

#include "traces/traceset.h"

int tm_fuzz_split(const uint8_t *data, size_t size);

/* Count and checksum of a stream's records. */
struct sums {
	uint64_t nr, addr, time;
};

static void add_sums(struct sums *s, const struct tm_fuzz_recs *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		s->nr++;
		s->addr += r->recs[i].addr;
		s->time += r->recs[i].time_ns;
	}
}

/* The import without --split: its sums, or -1 when it is refused. */
static int whole(const struct tm_importer_ops *imp, const void *cfg,
		 const char *path, struct sums *s)
{
	struct tm_import_opts o;
	struct tm_fuzz_recs r = { 0 };
	struct tm_stream *st;
	int rc;

	tm_import_opts_init(&o);
	if (!(st = tm_fuzz_open(imp, cfg, &o, path)))
		return -1;
	rc = tm_fuzz_read_stream(st, "split", path, 0, &r);
	add_sums(s, &r);
	tm_stream_free(st);
	free(r.recs);
	return rc;
}

static void split_as(const struct tm_importer_ops *imp, enum tm_import_split by,
		     const char *path)
{
	struct tm_import_opts o;
	struct tm_kind_config cfg;
	struct tm_import_groups gs = { 0 };
	struct tm_import_stats st = { 0 };
	struct tm_error err = { 0 };
	struct tm_stream *none = NULL;
	struct sums got = { 0 }, want = { 0 };

	tm_import_opts_init(&o);
	tm_importer_config_init(imp, cfg.bytes);
	o.split = by;
	o.groups = &gs;
	o.stats = &st;
	if (imp->open(path, cfg.bytes, &o, &none, &err)) {
		tm_fuzz_check_error(&err, path);
		TM_FUZZ_ASSERT(!gs.nr && !gs.g, "a refused split left groups");
		return;
	}
	TM_FUZZ_ASSERT(!none, "a split import returned a stream");
	for (size_t g = 0; g < gs.nr; g++) {
		struct tm_fuzz_recs r = { 0 };

		TM_FUZZ_ASSERT(tm_fuzz_drain(gs.g[g].stream, &r, &err) == 0,
			       "group %zu: %s", g, err.msg);
		TM_FUZZ_ASSERT(r.nr == gs.g[g].nr_records, "group %zu: %zu records, "
			       "counted %llu", g, r.nr,
			       (unsigned long long)gs.g[g].nr_records);
		TM_FUZZ_ASSERT(!r.nr || (r.recs[0].time_ns == gs.g[g].first_ns &&
					 r.recs[r.nr - 1].time_ns == gs.g[g].last_ns),
			       "group %zu: span differs from its records", g);
		add_sums(&got, &r);
		free(r.recs);
	}
	TM_FUZZ_ASSERT(got.nr == st.nr_records, "groups hold %llu records, the "
		       "import %llu", (unsigned long long)got.nr,
		       (unsigned long long)st.nr_records);
	tm_import_groups_free(&gs);
	if (whole(imp, cfg.bytes, path, &want) == 0)
		TM_FUZZ_ASSERT(got.nr == want.nr && got.addr == want.addr &&
			       got.time == want.time, "the groups differ from the "
			       "import without --split");
}

static void index_of(const uint8_t *data, size_t size)
{
	struct tm_traceset ts;
	struct tm_error err = { 0 };

	if (tm_traceset_parse("index.json", (const char *)data, size, &ts, &err)) {
		tm_fuzz_check_error(&err, "index.json");
		TM_FUZZ_ASSERT(!ts.s && !ts.nr, "a refused index left streams");
		return;
	}
	TM_FUZZ_ASSERT(ts.nr >= 1 && ts.nr <= TM_TRACESET_MAX_STREAMS, "%zu streams",
		       ts.nr);
	for (size_t i = 0; i < ts.nr; i++) {
		TM_FUZZ_ASSERT(ts.s[i].name[0] && !strchr(ts.s[i].name, '.'),
			       "stream %zu: name '%s'", i, ts.s[i].name);
		for (size_t j = 0; j < i; j++)
			TM_FUZZ_ASSERT(strcmp(ts.s[i].name, ts.s[j].name), "stream "
				       "%zu: name '%s' twice", i, ts.s[i].name);
	}
	tm_traceset_free(&ts);
}

int tm_fuzz_split(const uint8_t *data, size_t size)
{
	char path[256];

	if (size > TM_FUZZ_MAX_INPUT)
		return 0;
	tm_fuzz_path(path, sizeof(path), "split", ".in");
	tm_fuzz_write_file(path, data, size);
	split_as(&tm_importer_perf_data, TM_IMPORT_SPLIT_PID, path);
	split_as(&tm_importer_perf_script, TM_IMPORT_SPLIT_TID, path);
	unlink(path);
	index_of(data, size);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_split(data, size);
}
#endif
