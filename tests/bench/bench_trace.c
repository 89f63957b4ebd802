/*
 * bench_trace.c - throughput of the .tmt writer and reader and the size of
 * compressed records (targets from the Traces issue: reader >= 50M
 * records/s, writer >= 20M records/s).
 *
 * The trace is 10M records of a Zipf(s=1.0) generator over 1 GiB, 4 vCPUs,
 * 30% stores, at 10M records/s: random pages, a random offset inside each
 * page, steadily increasing time - a realistic, not a flattering, input.
 * Each figure is the best of 3 runs (page cache warm).  Every
 * traces/data/ *.tmt file is read as well.
 *
 * Measured on the 2-core development VM (AMD EPYC), zstd 1.5.4, this
 * benchmark, best of 3 (writer with 2 zstd workers unless noted):
 *   level  3: writer 16.1M rec/s, reader 34.8M rec/s,  7.58 B/record
 *   level  1: writer 23.5M rec/s, reader 41.9M rec/s,  7.86 B/record
 *   level -1: writer 23.1M rec/s, reader 52.8M rec/s,  9.60 B/record
 *   level -3: writer 30.2M rec/s, reader 58.9M rec/s,  8.81 B/record  <- chosen
 *   level -5: writer 33.4M rec/s, reader 60.3M rec/s, 11.16 B/record
 *   level -3 single-threaded writer: 18.6M rec/s; level 1: 12.8M rec/s
 * Levels 1 and 3 miss the reader target here (zstd's entropy decoding of
 * random page numbers is the bottleneck); -3 meets both targets and is the
 * smallest of the levels that do.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "traces/gen/gen.h"
#include "traces/tmt.h"
#include "traces/tmt_internal.h"

#define NR_RECORDS 10000000ull
#define NR_RUNS 3
#define BATCH 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static struct tm_record *make_zipf(uint64_t nr, struct tm_trace_info *info)
{
	struct tm_gen_spec spec;
	struct tm_stream *s;
	struct tm_error err;
	struct tm_record *recs = malloc(nr * sizeof(*recs));
	uint64_t got = 0;
	ssize_t n;

	tm_gen_spec_init(&spec);
	tm_gen_part_init(&spec.phases[0].parts[0], tm_generator_find("zipf"));
	spec.phases[0].parts[0].seed = 7;
	spec.phases[0].parts[0].sz_footprint = 1ull << 30;
	spec.phases[0].parts[0].base = 0x7f0000000000ull;
	spec.nr_records = nr;
	spec.rate_per_s = 1e7;
	spec.nr_vcpus = 4;
	spec.store_share = 0.3;
	if (!recs || tm_gen_stream_new(&spec, 1, &s, &err)) {
		fprintf(stderr, "bench_trace: %s\n", recs ? err.msg : "out of memory");
		exit(1);
	}
	while (got < nr && (n = tm_stream_read(s, recs + got, nr - got, &err)) > 0)
		got += (uint64_t)n;
	*info = s->info;
	tm_stream_free(s);
	return recs;
}

static double bench_write(const char *path, const struct tm_record *recs,
			  uint64_t nr, const struct tm_trace_info *info)
{
	struct tm_error err;
	double t0 = now_s();
	struct tm_tmt_writer *w = tm_tmt_writer_new(path, info, NULL, &err);
	uint64_t i;

	if (!w)
		goto fail;
	for (i = 0; i < nr; i += BATCH)
		if (tm_tmt_writer_add(w, recs + i, nr - i < BATCH ? nr - i : BATCH, &err))
			goto fail;
	if (tm_tmt_writer_close(w, &err))
		goto fail;
	return (double)nr / (now_s() - t0);
fail:
	fprintf(stderr, "bench_trace: %s\n", err.msg);
	exit(1);
}

/* Read the whole file; returns records/s and the record count in *nr. */
static double bench_read(const char *path, uint64_t *nr)
{
	struct tm_record *buf = malloc(BATCH * sizeof(*buf));
	struct tm_stream *s;
	struct tm_error err;
	uint64_t sum = 0, total = 0;
	double t0 = now_s();
	ssize_t n;

	if (tm_tmt_open(path, &s, &err))
		goto fail;
	while ((n = tm_stream_read(s, buf, BATCH, &err)) > 0) {
		total += (uint64_t)n;
		sum += buf[n - 1].addr; /* keep the loop honest */
	}
	tm_stream_free(s);
	free(buf);
	if (n < 0)
		goto fail;
	*nr = total;
	if (sum == 1)
		fprintf(stderr, " ");
	return (double)total / (now_s() - t0);
fail:
	fprintf(stderr, "bench_trace: %s\n", err.msg);
	exit(1);
}

static void bench_data_files(void)
{
	glob_t g;
	size_t i;

	if (glob("traces/data/*.tmt", 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		uint64_t nr = 0;
		double best = 0, r;

		for (int k = 0; k < NR_RUNS; k++)
			if ((r = bench_read(g.gl_pathv[i], &nr)) > best)
				best = r;
		printf("%-40s %10llu records  reader %6.1fM rec/s  %5.2f B/record\n",
		       g.gl_pathv[i], (unsigned long long)nr, best / 1e6,
		       nr ? (double)file_size(g.gl_pathv[i]) / (double)nr : 0.0);
	}
	globfree(&g);
}

int main(void)
{
	char dir[] = "/tmp/bench-trace-XXXXXX", path[64];
	struct tm_trace_info info;
	struct tm_record *recs;
	double wbest = 0, rbest = 0, gbest, r;
	uint64_t nr = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/zipf.tmt", dir);
	gbest = now_s();
	recs = make_zipf(NR_RECORDS, &info);
	gbest = (double)NR_RECORDS / (now_s() - gbest);
	for (int k = 0; k < NR_RUNS; k++)
		if ((r = bench_write(path, recs, NR_RECORDS, &info)) > wbest)
			wbest = r;
	for (int k = 0; k < NR_RUNS; k++)
		if ((r = bench_read(path, &nr)) > rbest)
			rbest = r;
	printf("zstd level %d, %llu Zipf records\n", tm_tmt_zstd_level(),
	       (unsigned long long)NR_RECORDS);
	printf("gen    %6.1fM records/s (Zipf generator, one run)\n", gbest / 1e6);
	printf("writer %6.1fM records/s (target >= 20M)\n", wbest / 1e6);
	printf("reader %6.1fM records/s (target >= 50M)\n", rbest / 1e6);
	printf("size   %6.2f bytes/record (24 uncompressed)\n",
	       (double)file_size(path) / (double)NR_RECORDS);
	unlink(path);
	rmdir(dir);
	free(recs);
	bench_data_files();
	return nr == NR_RECORDS ? 0 : 1;
}
