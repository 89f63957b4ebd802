/*
 * cmd_import.c - `tmsim import`: convert a perf.data file, perf script text
 * or valgrind lackey output into a .tmt trace (DESIGN.md §5, §9; formats
 * and field meanings in docs/importers.md).
 *
 * Optionally emulates PEBS at import (--sample-period): a full (accesses)
 * trace goes through the sampler's counters (models/sampler.h) and every
 * sample taken is written, so the output is a samples trace; there is no
 * ring or drain at import, those belong to the run.  The .tmt writer writes
 * a temp file and renames it; on any error it is aborted, nothing is left.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/sampler.h"
#include "traces/import/import.h"
#include "traces/tmt.h"
#include "lib/alloc.h"
#include "cli.h"
#include "lib/error.h"
#include "lib/units.h"
#include "lib/version.h"

#define BATCH 4096                  /* records per read: 96 KiB */
#define PROGRESS_EVERY (1u << 22)   /* records between progress lines */

static const char help[] =
"usage: tmsim import --from FORMAT IN -o OUT.tmt [options]\n"
"\n"
"Convert a recording into a .tmt trace.  FORMAT is one of:\n"
"  perf-data    perf.data (file mode) from perf record -d [--phys-data] ...\n"
"  perf-script  text of: perf script -F " TM_IMPORT_SCRIPT_FIELDS " --ns\n"
"  lackey       valgrind --tool=lackey --trace-mem=yes output (full trace)\n"
"perf inputs give a samples trace (time relative to the first sample);\n"
"lackey gives an accesses trace.\n"
"\n"
"options:\n"
"  -o, --output OUT      the .tmt file to write (required)\n"
"  --addr virt|phys      perf: sample ADDR (gva, default) or PHYS_ADDR (gpa);\n"
"                        samples whose address is 0 are dropped and counted\n"
"  --event NAME|INDEX    perf: keep one event (perf-data: name or attr index\n"
"                        as `perf evlist` lists them; perf-script: name)\n"
"  --fields LIST         perf-script: the -F list perf script was run with\n"
"                        (default " TM_IMPORT_SCRIPT_FIELDS ")\n"
"  --time auto|instr|index\n"
"                        lackey: time from I lines (instr) or from the access\n"
"                        index (index); auto: instr if the trace has I lines\n"
"  --ns-per-instr X      lackey instr: ns per instruction (default 1)\n"
"  --rate R              lackey index: accesses per second, e.g. 1G/s (default)\n"
"  --vcpus N             vCPUs in the header (default: highest cpu + 1)\n"
"  --page-size SIZE      page size in the header, 4KiB (default) .. 1GiB\n"
"  --sample-period P     emulate PEBS on a full trace: sample every P-th load\n"
"  --store-period Q      ... and every Q-th store (default P; 0: no stores)\n"
"  --randomize           randomise each reload uniformly in [P - P/2, P + P/2]\n"
"  --seed S              seed of that randomisation (default 1)\n"
"  --zstd-level L        compression, -100 .. 19 (default -3); lower reads\n"
"                        faster in a replay and writes a larger file\n"
"  -h, --help            this text\n"
"\n"
"Progress goes to stderr when it is a terminal.  Exit status: 0 ok,\n"
"1 runtime failure (e.g. cannot write OUT), 2 bad usage or bad input.\n";

struct import_args {
	const char *from, *in, *out;
	struct tm_import_opts o;
	uint64_t sample_period, store_period, seed;
	int level;               /* zstd level of the written file */
	bool emulate, store_set, randomize;
};

/* "--name VALUE" or "--name=VALUE"; *i advances past what was used. */
static const char *opt_value(int argc, char **argv, int *i, const char *name,
			     bool *matched)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	*matched = false;
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=') {
		*matched = true;
		return a + n + 1;
	}
	if (a[n] || *i + 1 >= argc)
		return NULL;
	*matched = true;
	return argv[++*i];
}

static int parse_enum(const char *v, const char *opt, const char *const *names,
		      int nr, int *out, struct tm_error *err)
{
	for (int k = 0; k < nr; k++)
		if (!strcmp(v, names[k])) {
			*out = k;
			return 0;
		}
	return tm_error_set(err, TM_ERR_USAGE, "%s %s: expected one of %s", opt, v,
			    nr == 2 ? "virt, phys" : "auto, instr, index");
}

static int parse_number_opt(const char *opt, const char *v, struct import_args *a,
			    struct tm_error *err)
{
	uint64_t u = 0;
	int rc = 0;

	if (!strcmp(opt, "--ns-per-instr")) {
		rc = tm_parse_double(v, &a->o.ns_per_instr, err);
	} else if (!strcmp(opt, "--rate")) {
		rc = tm_parse_count_rate(v, &a->o.rate_per_s, err);
	} else if (!strcmp(opt, "--page-size")) {
		rc = tm_parse_size(v, &u, err);
		if (!rc && (u < 4096 || u > (1u << 30) || (u & (u - 1))))
			rc = tm_error_set(err, TM_ERR_USAGE, "expected a power of two "
					  "from 4KiB to 1GiB, got \"%s\"", v);
		a->o.page_shift = rc ? 12 : (uint32_t)__builtin_ctzll(u);
	} else {
		rc = tm_parse_u64(v, &u, err);
		if (!strcmp(opt, "--vcpus")) {
			a->o.nr_vcpus = (uint32_t)(u > 65536 ? 65537 : u);
		} else if (!strcmp(opt, "--sample-period")) {
			a->sample_period = u;
			a->emulate = true;
		} else if (!strcmp(opt, "--store-period")) {
			a->store_period = u;
			a->store_set = true;
		} else {
			a->seed = u;
		}
	}
	if (rc) {
		tm_error_prefix(err, "%s", opt);
		err->code = TM_ERR_USAGE;
	}
	return rc;
}

/* One option at argv[*i]; 1 if it was not an option (a positional). */
static int parse_opt(int argc, char **argv, int *i, struct import_args *a,
		     struct tm_error *err)
{
	static const char *const addrs[] = { "virt", "phys" };
	static const char *const times[] = { "auto", "instr", "index" };
	static const char *const numeric[] = { "--ns-per-instr", "--rate",
		"--page-size", "--vcpus", "--sample-period", "--store-period", "--seed" };
	const char *v;
	bool m;
	int k = 0;

	if (!strcmp(argv[*i], "--randomize"))
		return a->randomize = true, 0;
	if ((v = opt_value(argc, argv, i, "--from", &m)), m)
		return a->from = v, 0;
	if (((v = opt_value(argc, argv, i, "-o", &m)), m) ||
	    ((v = opt_value(argc, argv, i, "--output", &m)), m))
		return a->out = v, 0;
	if ((v = opt_value(argc, argv, i, "--event", &m)), m)
		return a->o.event = v, 0;
	if ((v = opt_value(argc, argv, i, "--fields", &m)), m)
		return a->o.script_fields = v, 0;
	if ((v = opt_value(argc, argv, i, "--addr", &m)), m)
		return parse_enum(v, "--addr", addrs, 2, &k, err) ? -1 :
		       (a->o.addr = (enum tm_import_addr)k, 0);
	if ((v = opt_value(argc, argv, i, "--time", &m)), m)
		return parse_enum(v, "--time", times, 3, &k, err) ? -1 :
		       (a->o.time = (enum tm_import_time)k, 0);
	if ((v = opt_value(argc, argv, i, "--zstd-level", &m)), m) {
		if (!tm_tmt_parse_level(v, &a->level, err))
			return 0;
		tm_error_prefix(err, "--zstd-level");
		return -1;
	}
	for (size_t n = 0; n < sizeof(numeric) / sizeof(numeric[0]); n++)
		if ((v = opt_value(argc, argv, i, numeric[n], &m)), m)
			return parse_number_opt(numeric[n], v, a, err);
	if (argv[*i][0] == '-' && argv[*i][1])
		return tm_error_set(err, TM_ERR_USAGE, "%s: unknown option or "
				    "missing value (tmsim import --help lists "
				    "them)", argv[*i]);
	return 1;
}

static int parse_args(int argc, char **argv, struct import_args *a,
		      struct tm_error *err)
{
	int rc;

	memset(a, 0, sizeof(*a));
	tm_import_opts_init(&a->o);
	a->seed = 1;
	a->level = TM_TMT_LEVEL_DEFAULT;
	for (int i = 1; i < argc; i++) {
		rc = parse_opt(argc, argv, &i, a, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && a->in)
			return tm_error_set(err, TM_ERR_USAGE, "%s: one input "
					    "file only", argv[i]);
		if (rc == 1)
			a->in = argv[i];
	}
	if (!a->from || !tm_importer_find(a->from))
		return tm_error_set(err, TM_ERR_USAGE, "--from %s: expected "
				    "perf-data, perf-script or lackey",
				    a->from ? a->from : "(missing)");
	if (!a->in || !a->out)
		return tm_error_set(err, TM_ERR_USAGE, "%s: expected an input "
				    "file and -o OUT.tmt",
				    !a->in ? "missing input" : "missing -o");
	if ((a->store_set || a->randomize) && !a->emulate)
		return tm_error_set(err, TM_ERR_USAGE, "%s: only with "
				    "--sample-period", a->store_set ?
				    "--store-period" : "--randomize");
	if (a->emulate && !a->sample_period)
		return tm_error_set(err, TM_ERR_USAGE, "--sample-period 0: "
				    "expected at least 1");
	if (a->o.nr_vcpus > 65536)
		return tm_error_set(err, TM_ERR_USAGE, "--vcpus: expected 1 to "
				    "65536");
	return 0;
}

static char *provenance(const struct import_args *a, const struct tm_import_stats *st)
{
	json_t *p = json_object();
	char *text;

	json_object_set_new(p, "tool", json_string("tmsim import " TM_VERSION));
	json_object_set_new(p, "from", json_string(a->from));
	json_object_set_new(p, "input", json_string(a->in));
	json_object_set_new(p, "addr", json_string(a->o.addr == TM_IMPORT_PHYS ? "phys" : "virt"));
	if (a->o.event)
		json_object_set_new(p, "event", json_string(a->o.event));
	if (strcmp(a->from, "lackey")) {
		json_object_set_new(p, "nr_samples", json_integer((json_int_t)st->nr_samples));
		json_object_set_new(p, "nr_dropped_addr0", json_integer((json_int_t)st->nr_addr0));
		json_object_set_new(p, "nr_other_events", json_integer((json_int_t)st->nr_filtered));
	} else {
		json_object_set_new(p, "ns_per_instr", json_real(a->o.ns_per_instr));
		json_object_set_new(p, "rate_per_s", json_real(a->o.rate_per_s));
	}
	if (a->emulate) {
		json_t *e = json_object();

		json_object_set_new(e, "load_period", json_integer((json_int_t)a->sample_period));
		json_object_set_new(e, "store_period", json_integer((json_int_t)a->store_period));
		json_object_set_new(e, "randomize", json_boolean(a->randomize));
		json_object_set_new(e, "seed", json_integer((json_int_t)a->seed));
		json_object_set_new(p, "pebs_emulation", e);
	}
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

/* The sampler for --sample-period, and the output header it implies. */
static struct tm_sampler *emulation(struct import_args *a, struct tm_trace_info *info,
				    struct tm_error *err)
{
	struct tm_sampler_config c = { 0 };

	if (info->kind != TM_TRACE_ACCESSES) {
		tm_error_set(err, TM_ERR_USAGE, "--sample-period: %s already holds "
			     "samples; expected a full (accesses) trace, i.e. "
			     "--from lackey", a->in);
		return NULL;
	}
	if (!a->store_set)
		a->store_period = a->sample_period;
	c.load_period = a->sample_period;
	c.store_period = a->store_period;
	c.randomize = a->randomize;
	c.ring_entries = 1; /* unused: import calls take() only */
	info->kind = TM_TRACE_SAMPLES;
	info->load_period = a->sample_period;
	info->store_period = a->store_period;
	return tm_sampler_new(&c, info->nr_vcpus, a->seed);
}

/* Keep only the records the sampler takes; returns the new count. */
static size_t sample(struct tm_sampler *s, struct tm_record *r, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (tm_sampler_take(s, &r[i]))
			r[k++] = r[i];
	return k;
}

struct copy_ctx {
	struct tm_stream *in;
	struct tm_tmt_writer *w;
	struct tm_sampler *sampler;
	uint64_t nr_read, nr_written;
};

static int copy_records(struct copy_ctx *c, struct tm_error *err)
{
	struct tm_record *buf = tm_xmalloc(BATCH * sizeof(*buf));
	bool tty = isatty(STDERR_FILENO);
	uint64_t next_progress = PROGRESS_EVERY;
	ssize_t got;
	int rc = 0;

	while ((got = tm_stream_read(c->in, buf, BATCH, err)) > 0) {
		size_t n = (size_t)got;

		c->nr_read += n;
		if (c->sampler)
			n = sample(c->sampler, buf, n);
		if (n && tm_tmt_writer_add(c->w, buf, n, err)) {
			rc = -1;
			break;
		}
		c->nr_written += n;
		if (tty && c->nr_read >= next_progress) {
			fprintf(stderr, "\rtmsim import: %llu records read",
				(unsigned long long)c->nr_read);
			next_progress += PROGRESS_EVERY;
		}
	}
	if (got < 0)
		rc = -1;
	if (tty && next_progress > PROGRESS_EVERY)
		fputc('\n', stderr);
	free(buf);
	return rc;
}

static int run_import(struct import_args *a, struct tm_error *err)
{
	struct tm_import_stats st = { 0 };
	struct copy_ctx c = { 0 };
	struct tm_trace_info info;
	char *prov = NULL;
	int rc = -1;

	a->o.stats = &st;
	if (tm_importer_find(a->from)->open(a->in, &a->o, &c.in, err))
		return -1;
	info = c.in->info;
	if (a->emulate && !(c.sampler = emulation(a, &info, err)))
		goto out;
	prov = provenance(a, &st);
	c.w = tm_tmt_writer_new_level(a->out, &info, prov, a->level, err);
	if (!c.w || copy_records(&c, err))
		goto out;
	rc = tm_tmt_writer_close(c.w, err);
	c.w = NULL;
	if (!rc)
		fprintf(stderr, "tmsim import: %s: %llu %s written (%llu read; %llu "
			"dropped for address 0, %llu of other events)\n", a->out,
			(unsigned long long)c.nr_written,
			info.kind == TM_TRACE_SAMPLES ? "samples" : "accesses",
			(unsigned long long)c.nr_read, (unsigned long long)st.nr_addr0,
			(unsigned long long)st.nr_filtered);
out:
	tm_tmt_writer_abort(c.w);
	tm_sampler_free(c.sampler);
	tm_stream_free(c.in);
	free(prov);
	return rc;
}

int tm_cmd_import(int argc, char **argv)
{
	struct import_args a;
	struct tm_error err = { 0 };

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(help, stdout);
			return 0;
		}
	if (parse_args(argc, argv, &a, &err) || run_import(&a, &err)) {
		fprintf(stderr, "tmsim import: %s\n", err.msg);
		return tm_err_exit_status(err.code);
	}
	return 0;
}
