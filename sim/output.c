/*
 * output.c - summary.json, timeseries.csv and epochs.csv (see output.h).
 *
 * summary.json holds no wall-clock figure, so the same config and seed give
 * byte-identical files; wall time is printed on stderr only.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "strbuf.h"
#include "version.h"

static const char ts_header[] =
	"time_ns,host,vm,records,accesses,samples,hits_fmem,hits_smem,"
	"fmem_hit_ratio,static_hit_ratio,fmem_capacity_pages,"
	"fmem_resident_pages,smem_resident_pages,pages_touched,promotions,"
	"demotions,exchanges,migrated_bytes,migration_cpu_ns,tlb_flushes,"
	"samples_dropped,sampling_cpu_ns\n";

static const char ep_header[] =
	"epoch,time_ns,host,vm,identifier,role,nr_hot,nr_true,precision,"
	"recall,weighted_recall,are,aae,fmem_hit_ratio,oracle_hit_ratio,truth\n";

int tm_mkdir_p(const char *dir, struct tm_error *err)
{
	char buf[TM_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return tm_error_set(err, TM_ERR_USAGE, "bad output folder '%s'",
				    dir);
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0777) && errno != EEXIST)
				return tm_error_set(err, TM_ERR_IO,
						    "%s: cannot create folder: %s",
						    buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int tm_write_atomic(const char *path, const char *data, size_t len,
		    struct tm_error *err)
{
	char tmp[TM_PATH_MAX + 64];
	const char *slash = strrchr(path, '/');
	int fd;
	size_t off = 0;

	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp.%ld",
			 (int)(slash - path), path, slash + 1, (long)getpid());
	else
		snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		return tm_error_set(err, TM_ERR_IO, "%s: cannot write: %s", tmp,
				    strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			tm_error_set(err, TM_ERR_IO, "%s: write failed: %s",
				     tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd)) {
		tm_error_set(err, TM_ERR_IO, "%s: fsync failed: %s", tmp,
			     strerror(errno));
		goto fail;
	}
	close(fd);
	if (rename(tmp, path)) {
		tm_error_set(err, TM_ERR_IO, "%s: rename failed: %s", path,
			     strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

static json_t *num_or_null(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

static json_t *ident_json(const struct tm_vm_rt *vm, const struct tm_ident_rt *id)
{
	double n = (double)id->nr_scored;

	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
		"kind", id->cfg->kind, "role", id->shadow ? "shadow" : "main",
		"memory_bytes", (json_int_t)id->ops->memory_bytes(id->st),
		"epochs_scored", (json_int_t)id->nr_scored,
		"precision", num_or_null(n ? id->sum_precision / n : NAN),
		"recall", num_or_null(n ? id->sum_recall / n : NAN),
		"weighted_recall", num_or_null(n ? id->sum_wrecall / n : NAN),
		"are", num_or_null(id->nr_are ? id->sum_are /
				   (double)id->nr_are : NAN),
		"aae", num_or_null(n ? id->sum_aae / n : NAN));
	(void)vm;
}

/* Performance proxy (docs/metrics.md): AMAT and slowdown vs all-FMEM. */
static void perf_proxy(const struct tm_config *cfg, const struct tm_hits *t,
		       double *amat_ns, double *slowdown)
{
	double lf = (double)cfg->fmem_latency_ns;
	double ls = (double)cfg->smem_latency_ns;

	*amat_ns = t->nr_accesses ? ((double)t->hits_fmem * lf +
				     (double)t->hits_smem * ls) /
					    (double)t->nr_accesses : NAN;
	*slowdown = 1.0 + cfg->memory_boundness * (*amat_ns / lf - 1.0);
}

static json_t *migration_json(const struct tm_vm_rt *vm)
{
	const struct tm_mig_stats *m = tm_migrator_stats(vm->mig);

	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"mode", vm->cfg->migration.mode == TM_MIG_EXCHANGE ? "exchange" :
			vm->cfg->migration.mode == TM_MIG_MIGRATE ? "migrate" :
								    "none",
		"promotions", (json_int_t)m->nr_promotions,
		"demotions", (json_int_t)m->nr_demotions,
		"exchanges", (json_int_t)m->nr_exchanges,
		"bytes", (json_int_t)m->sz_bytes,
		"cpu_ns", (json_int_t)m->cpu_ns,
		"tlb_flushes", (json_int_t)m->nr_tlb_flushes,
		"ept_flushes", (json_int_t)m->nr_ept_flushes,
		"pingpong_pages", (json_int_t)m->nr_pingpong,
		"unpaid_moves", (json_int_t)m->nr_unpaid,
		"epochs_capped", (json_int_t)m->nr_capped,
		"epochs_skipped_busy", (json_int_t)vm->nr_epochs_skipped_busy);
}

static json_t *sampler_json(const struct tm_vm_rt *vm)
{
	struct tm_sampler_stats s = { 0 };

	if (vm->sampler)
		tm_sampler_get_stats(vm->sampler, &s);
	return json_pack("{s:s, s:I, s:I, s:I, s:I}",
		"mode", vm->samples ? "pass-through" : "pebs-emulation",
		"samples", (json_int_t)vm->total.nr_samples,
		"dropped", (json_int_t)s.nr_dropped,
		"drains", (json_int_t)s.nr_drains,
		"cpu_ns", (json_int_t)(vm->samples ?
			(double)vm->total.nr_samples *
			vm->cfg->sampler.cost_ns_per_sample : s.cpu_ns));
}

static json_t *vm_json(const struct tm_config *cfg, const struct tm_vm_rt *vm)
{
	const struct tm_hits *t = &vm->total;
	double amat, slow, n = (double)vm->nr_ratio_epochs;
	double oracle = n ? vm->sum_oracle_ratio / n : NAN;
	double achieved = n ? vm->sum_epoch_ratio / n : NAN;
	json_t *ids = json_array();

	for (uint32_t i = 0; i < vm->nr_idents; i++)
		json_array_append_new(ids, ident_json(vm, &vm->idents[i]));
	perf_proxy(cfg, t, &amat, &slow);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:{s:b, s:s, s:I}, s:o, s:o, s:o}",
		"name", vm->name,
		"records", (json_int_t)t->nr_records,
		"accesses", (json_int_t)t->nr_accesses,
		"samples", (json_int_t)t->nr_samples,
		"hits_fmem", (json_int_t)t->hits_fmem,
		"hits_smem", (json_int_t)t->hits_smem,
		"fmem_hit_ratio", num_or_null(ratio(t->hits_fmem, t->nr_accesses)),
		"static_hit_ratio", num_or_null(ratio(t->hits_static_fmem,
						      t->nr_accesses)),
		"epoch_hit_ratio", num_or_null(achieved),
		"oracle_hit_ratio", num_or_null(oracle),
		"efficiency", num_or_null(oracle > 0 ? achieved / oracle : NAN),
		"amat_ns", num_or_null(amat),
		"slowdown", num_or_null(slow),
		"pages_touched", (json_int_t)vm->pm.nr,
		"fmem_capacity_pages", (json_int_t)vm->nr_fmem_cap_pages,
		"epochs", (json_int_t)vm->nr_epochs,
		"truth", "enabled", vm->truth,
			 "source", vm->truth_estimated ? "estimated" : "exact",
			 "memory_bytes", (json_int_t)(vm->arr_cap * 34ULL +
				vm->truth_sel.cap * 4ULL),
		"identifiers", ids,
		"migration", migration_json(vm),
		"sampler", sampler_json(vm));
}

static void add_hits(struct tm_hits *a, const struct tm_hits *b)
{
	a->nr_records += b->nr_records;
	a->nr_accesses += b->nr_accesses;
	a->nr_samples += b->nr_samples;
	a->hits_fmem += b->hits_fmem;
	a->hits_smem += b->hits_smem;
	a->hits_static_fmem += b->hits_static_fmem;
}

static json_t *hits_json(const struct tm_config *cfg, const struct tm_hits *t)
{
	double amat, slow;

	perf_proxy(cfg, t, &amat, &slow);
	return json_pack("{s:I, s:I, s:o, s:o, s:o}",
		"accesses", (json_int_t)t->nr_accesses,
		"hits_fmem", (json_int_t)t->hits_fmem,
		"fmem_hit_ratio", num_or_null(ratio(t->hits_fmem, t->nr_accesses)),
		"static_hit_ratio", num_or_null(ratio(t->hits_static_fmem,
						      t->nr_accesses)),
		"amat_ns", num_or_null(amat));
}

static json_t *summary_json(const struct tm_sim *sim)
{
	const struct tm_config *cfg = sim->cfg;
	struct tm_hits all = { 0 };
	json_t *hosts = json_array();

	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		const struct tm_host_rt *hr = &sim->hosts[h];
		struct tm_hits hh = { 0 };
		json_t *vms = json_array(), *hj;

		for (uint32_t v = 0; v < hr->nr_vms; v++) {
			json_array_append_new(vms, vm_json(cfg, &hr->vms[v]));
			add_hits(&hh, &hr->vms[v].total);
		}
		add_hits(&all, &hh);
		hj = json_pack("{s:s, s:I, s:I, s:o, s:o}", "name", hr->cfg->name,
			       "fmem_bytes", (json_int_t)hr->cfg->sz_fmem,
			       "smem_bytes", (json_int_t)hr->cfg->sz_smem,
			       "totals", hits_json(cfg, &hh), "vms", vms);
		json_array_append_new(hosts, hj);
	}
	return json_pack("{s:s, s:i, s:s, s:I, s:I, s:o, s:o, s:o}",
		"tmsim_version", TM_VERSION,
		"format_version", TM_OUTPUT_FORMAT_VERSION,
		"name", cfg->name,
		"seed", (json_int_t)cfg->seed,
		"duration_ns", (json_int_t)cfg->duration_ns,
		"cluster", hits_json(cfg, &all),
		"hosts", hosts,
		"config", tm_config_to_json(cfg));
}

/* Concatenate per-host rows in host order (deterministic for any threads). */
static char *join_rows(const struct tm_sim *sim, const char *header, int ep,
		       size_t *len)
{
	struct tm_strbuf b = { 0 };

	tm_strbuf_printf(&b, "%s", header);
	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		const struct tm_strbuf *s = ep ? &sim->hosts[h].ep :
					    &sim->hosts[h].ts;

		if (s->len)
			tm_strbuf_printf(&b, "%.*s", (int)s->len, s->p);
	}
	*len = b.len;
	return b.p;
}

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len, struct tm_error *err)
{
	char path[TM_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tm_write_atomic(path, data, len, err);
}

int tm_output_write(const struct tm_sim *sim, const char *dir,
		    struct tm_error *err)
{
	size_t len;
	char *text;
	json_t *j;
	int rc;

	if (tm_mkdir_p(dir, err))
		return -1;
	text = join_rows(sim, ts_header, 0, &len);
	rc = write_file(dir, "timeseries.csv", text, len, err);
	free(text);
	if (rc)
		return -1;
	text = join_rows(sim, ep_header, 1, &len);
	rc = write_file(dir, "epochs.csv", text, len, err);
	free(text);
	if (rc)
		return -1;
	j = summary_json(sim);
	text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(j);
	if (!text)
		return tm_error_set(err, TM_ERR_INTERNAL, "cannot format JSON");
	len = strlen(text);
	text = tm_xrealloc(text, len + 2);
	text[len++] = '\n';
	rc = write_file(dir, "summary.json", text, len, err);
	free(text);
	return rc;
}

void tm_output_table(const struct tm_sim *sim, FILE *f)
{
	fprintf(f, "%-10s %-12s %12s %8s %8s %8s %-6s %9s %9s %10s\n", "host",
		"vm", "accesses", "fmem%", "oracle%", "static%", "ident",
		"precision", "recall", "moves");
	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		const struct tm_host_rt *hr = &sim->hosts[h];

		for (uint32_t v = 0; v < hr->nr_vms; v++) {
			const struct tm_vm_rt *vm = &hr->vms[v];
			const struct tm_ident_rt *id = &vm->idents[0];
			const struct tm_mig_stats *m = tm_migrator_stats(vm->mig);
			double n = (double)id->nr_scored;
			double ne = (double)vm->nr_ratio_epochs;

			fprintf(f, "%-10s %-12s %12llu %8.2f %8.2f %8.2f %-6s %9.3f %9.3f %10llu\n",
				hr->cfg->name, vm->name,
				(unsigned long long)vm->total.nr_accesses,
				100 * ratio(vm->total.hits_fmem,
					    vm->total.nr_accesses),
				ne ? 100 * vm->sum_oracle_ratio / ne : NAN,
				100 * ratio(vm->total.hits_static_fmem,
					    vm->total.nr_accesses),
				id->cfg->kind,
				n ? id->sum_precision / n : NAN,
				n ? id->sum_recall / n : NAN,
				(unsigned long long)(m->nr_promotions +
						     m->nr_demotions));
		}
	}
}
