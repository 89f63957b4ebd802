/*
 * cmd_run.c - `tmsim run` (also `tmsim CONFIG`) and `tmsim validate`
 * (DESIGN.md §9).
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/shard.h"
#include "cli.h"
#include "sim/config/config.h"
#include "sim/output/output.h"
#include "sim/engine/sim.h"
#include "lib/units.h"

#define MAX_SETS 256

static const char run_usage[] =
"usage: tmsim run CONFIG [options]      (or: tmsim CONFIG [options])\n"
"\n"
"Simulate the cluster described by CONFIG (YAML, see docs/config.md) and\n"
"write summary.json, timeseries.csv and epochs.csv into the output folder.\n"
"\n"
"options:\n"
"  -o, --output DIR     results folder (default: results/<config name>)\n"
"  --set KEY=VALUE      override a config value, e.g. --set seed=7,\n"
"                       --set defaults.identifier.width=4096,\n"
"                       --set hosts.host0.vms.web.fmem=25%  (repeatable)\n"
"  --seed N             shorthand for --set seed=N\n"
"  --threads N          simulate hosts, and the VMs of a host between its\n"
"                       events, on N threads (default: the number of\n"
"                       online CPUs); the output is byte-identical for\n"
"                       every N\n"
"  --shard I/N          simulate only the hosts whose index h (0-based, in\n"
"                       config order) has h % N == I, into a partial\n"
"                       folder (default: results/<config name>.shard-I-of-N):\n"
"                       timeseries.part.csv, epochs.part.csv and part.json,\n"
"                       no summary.json; tmsim merge joins the N parts\n"
"                       into exactly what the unsharded run writes\n"
"  -q, --quiet          no result table, no progress line\n"
"  -h, --help           this text\n"
"\n"
"exit status: 0 ok, 1 runtime failure (e.g. cannot write), 2 bad usage or\n"
"bad input (config, trace); errors name file:line:col or file@offset.\n";

static const char validate_usage[] =
"usage: tmsim validate CONFIG [--set KEY=VALUE]...\n"
"\n"
"Load and check CONFIG (and the trace files it names) without running it.\n"
"Prints a one-line summary; exit status 0 if valid, 2 with a located error\n"
"otherwise.\n";

struct run_args {
	const char *config;
	const char *outdir;
	const char *sets[MAX_SETS + 1];
	unsigned nr_sets;
	char seed_set[64];
	unsigned threads;
	int quiet;
	uint32_t shard_i, shard_n;  /* shard_n = 0: not sharded */
};

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

/* One option with its argument; -1 to go on, else the exit status. */
static int take_option(int c, struct run_args *a, const char *usage)
{
	struct tm_error err;
	uint64_t v;

	switch (c) {
	case 'o':
		a->outdir = optarg;
		return -1;
	case 's':
		if (a->nr_sets == MAX_SETS) {
			fprintf(stderr, "tmsim: too many --set (max %d)\n",
				MAX_SETS);
			return 2;
		}
		a->sets[a->nr_sets++] = optarg;
		return -1;
	case 'S':
		if (tm_parse_u64(optarg, &v, &err)) {
			fprintf(stderr, "tmsim: --seed: %s\n", err.msg);
			return 2;
		}
		snprintf(a->seed_set, sizeof(a->seed_set), "seed=%llu",
			 (unsigned long long)v);
		return -1;
	case 't':
		if (tm_parse_u64(optarg, &v, &err) || v < 1 || v > 1024) {
			fprintf(stderr, "tmsim: --threads: expected a whole number "
				"from 1 to 1024, got \"%s\"\n", optarg);
			return 2;
		}
		a->threads = (unsigned)v;
		return -1;
	case 'q':
		a->quiet = 1;
		return -1;
	case 'D':
		if (tm_shard_parse(optarg, TM_SHARD_MAX_COUNT, &a->shard_i,
				   &a->shard_n, &err)) {
			fprintf(stderr, "tmsim: %s\n", err.msg);
			return 2;
		}
		return -1;
	case 'h':
		fputs(usage, stdout);
		return 0;
	default:
		fputs(usage, stderr);
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct run_args *a,
		      const char *usage)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 't' },
		{ "shard", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->threads = online_cpus();
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1)
		if ((rc = take_option(c, a, usage)) >= 0)
			return rc;
	if (optind != argc - 1) {
		fprintf(stderr, "tmsim: expected exactly one CONFIG file\n\n%s",
			usage);
		return 2;
	}
	a->config = argv[optind];
	if (a->seed_set[0])
		a->sets[a->nr_sets++] = a->seed_set;
	return -1;
}

static int fail(const struct tm_error *err)
{
	fprintf(stderr, "tmsim: %s\n", err->msg);
	return tm_err_exit_status(err->code);
}

static void output_dir(const struct run_args *a, const struct tm_config *cfg,
		       char *buf, size_t sz)
{
	if (a->outdir)
		snprintf(buf, sz, "%s", a->outdir);
	else if (a->shard_n)
		snprintf(buf, sz, "results/%s.shard-%u-of-%u", cfg->name,
			 a->shard_i, a->shard_n);
	else
		snprintf(buf, sz, "results/%s", cfg->name);
}

int tm_cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct tm_run_opts opts = { 0 };
	struct tm_config *cfg = NULL;
	struct tm_sim *sim = NULL;
	struct tm_error err = { 0 };
	char outdir[TM_PATH_MAX];
	int rc = parse_args(argc, argv, &a, run_usage);

	if (rc >= 0)
		return rc;
	if (tm_config_load(a.config, a.sets, a.nr_sets, &cfg, &err))
		return fail(&err);
	output_dir(&a, cfg, outdir, sizeof(outdir));
	opts.threads = a.threads;
	opts.progress = !a.quiet && isatty(STDERR_FILENO);
	opts.release = true;   /* only the outputs read the hosts after */
#ifdef M_MMAP_THRESHOLD
	/* Large blocks (per-page arrays, page map chunks) always from mmap: a
	 * fixed threshold keeps glibc from raising its own when the first
	 * host's arrays are freed, after which later hosts' arrays would come
	 * from the heap, zero-filled in full and kept by it.  10 hosts of the
	 * cluster bench: peak RSS 236 -> 160 MB for +0.55 s of system time
	 * in 31 s (docs/bench.md). */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
	rc = 0;
	if (tm_sim_new_shard(cfg, a.shard_i, a.shard_n ? a.shard_n : 1, &sim,
			     &err) || tm_sim_run(sim, &opts, &err) ||
	    (a.shard_n ? tm_output_write_part(sim, a.shard_i, a.shard_n,
					      outdir, &err) :
			 tm_output_write(sim, outdir, &err))) {
		rc = fail(&err);
		goto out;
	}
	if (!a.quiet) {
		tm_output_table(sim, stdout);
		if (a.shard_n)
			fprintf(stderr, "tmsim: shard %u/%u (%u of %u hosts) "
				"in %s/ (%.2f s)\n", a.shard_i, a.shard_n,
				sim->nr_hosts, cfg->nr_hosts, outdir,
				sim->wall_s);
		else
			fprintf(stderr, "tmsim: results in %s/ (%.2f s)\n",
				outdir, sim->wall_s);
	}
out:
	tm_sim_free(sim);
	tm_config_free(cfg);
	return rc;
}

int tm_cmd_validate(int argc, char **argv)
{
	struct run_args a;
	struct tm_config *cfg = NULL;
	struct tm_error err = { 0 };
	unsigned nr_vms = 0;
	int rc = parse_args(argc, argv, &a, validate_usage);

	if (rc >= 0)
		return rc;
	if (tm_config_load(a.config, a.sets, a.nr_sets, &cfg, &err))
		return fail(&err);
	for (uint32_t h = 0; h < cfg->nr_hosts; h++)
		nr_vms += cfg->hosts[h].nr_vms;
	printf("%s: ok (%u hosts, %u VMs, %.3f s simulated)\n", a.config,
	       cfg->nr_hosts, nr_vms, (double)cfg->duration_ns * 1e-9);
	tm_config_free(cfg);
	return 0;
}
