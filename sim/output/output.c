/*
 * output.c - summary.json, timeseries.csv and epochs.csv (see output.h).
 *
 * summary.json holds no wall-clock figure, so the same config and seed give
 * byte-identical files; wall time is printed on stderr only.  The figures
 * over several hosts come from aggregate.c, which tmsim merge shares
 * (part.c).
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

#include "lib/alloc.h"
#include "lib/strbuf.h"
#include "lib/tmpname.h"
#include "lib/version.h"
#include "aggregate.h"
#include "output_internal.h"

const char tm_output_ts_header[] =
	"time_ns,host,vm,records,accesses,samples,hits_fmem,hits_smem,"
	"fmem_hit_ratio,static_hit_ratio,fmem_capacity_pages,"
	"fmem_resident_pages,smem_resident_pages,pages_touched,promotions,"
	"demotions,exchanges,migrated_bytes,migration_cpu_ns,tlb_flushes,"
	"samples_dropped,sampling_cpu_ns,classification_cpu_ns,fmem_target_pages,"
	"balloon_inflated_bytes,balloon_deflated_bytes,host_free_pages,"
	"fmem_need_pages\n";

const char tm_output_ep_header[] =
	"epoch,time_ns,host,vm,identifier,role,nr_hot,nr_true,precision,"
	"recall,weighted_recall,are,aae,fmem_hit_ratio,oracle_hit_ratio,truth,"
	"sampling_loss,identifier_loss,single_sample_share,placement_changed,"
	"new_fmem_share,memory_bytes,saturated\n";

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
	char *tmp = tm_tmp_path(path);
	int fd;
	size_t off = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		tm_error_set(err, TM_ERR_IO, "%s: cannot write: %s", tmp,
			     strerror(errno));
		free(tmp);
		return -1;
	}
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
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
fail:
	close(fd);
	unlink(tmp);
	free(tmp);
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

/* What collecting id's input cost (docs/outputs.md, docs/identifiers.md
 * "Collection cost"): a sample-driven kind pays the PEBS sampling and its
 * per-sample update, a scan-driven kind its own scans, faults and PML. */
static json_t *collection_json(const struct tm_vm_rt *vm,
			       const struct tm_ident_rt *id)
{
	struct tm_ident_cost c = { 0 };
	bool smp = (id->ops->kind.flags & TM_IDENT_SAMPLES) != 0;
	uint64_t nr_smp = smp ? vm->total.nr_samples : 0;
	double smp_ns = (smp ? tm_vm_sampling_cpu_ns(vm) : 0) +
			(double)tm_ident_cpu_ns(id, vm->total.nr_samples);
	double total, secs = (double)vm->run_end_ns / 1e9;

	tm_ident_cost_of(id, &c);
	total = smp_ns + c.scan_ns + c.fault_ns + c.pml_ns;
	return json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I}",
		"site", vm->cfg->migration.where == TM_MIG_HOST ? "host" :
								 "guest",
		"cpu_ns", (json_int_t)total,
		"cpu_ns_per_s", num_or_null(secs > 0 ? total / secs : NAN),
		"samples", (json_int_t)nr_smp,
		"samples_cpu_ns", (json_int_t)smp_ns,
		"ptes", (json_int_t)c.nr_ptes,
		"scan_cpu_ns", (json_int_t)c.scan_ns,
		"faults", (json_int_t)c.nr_faults,
		"fault_cpu_ns", (json_int_t)c.fault_ns,
		"pml_entries", (json_int_t)c.nr_pml,
		"pml_full", (json_int_t)c.nr_pml_full,
		"pml_cpu_ns", (json_int_t)c.pml_ns);
}

static json_t *ident_json(const struct tm_vm_rt *vm, const struct tm_ident_rt *id)
{
	double n = (double)id->nr_scored, np = (double)id->nr_named;
	size_t bytes = tm_ident_memory_bytes(id);

	bool sat = id->ops->saturated != NULL;

	return json_pack("{s:s, s:s, s:I, s:o, s:I, s:o, s:o, s:I, s:I, s:o, "
			 "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"kind", id->cfg->kind, "role", id->shadow ? "shadow" : "main",
		"memory_bytes", (json_int_t)bytes,
		"memory_bytes_per_page", num_or_null(ratio(bytes, vm->pm.nr)),
		"cpu_ns", (json_int_t)(tm_ident_cpu_ns(id, vm->total.nr_samples) +
				       tm_ident_own_cpu_ns(id)),
		"cpu_ns_per_sample", json_real(id->cfg->cost_ns_per_update),
		"collection", collection_json(vm, id),
		"epochs_scored", (json_int_t)id->nr_scored,
		"epochs_named", (json_int_t)id->nr_named,
		"precision", num_or_null(np ? id->sum_precision / np : NAN),
		"recall", num_or_null(n ? id->sum_recall / n : NAN),
		"weighted_recall", num_or_null(n ? id->sum_wrecall / n : NAN),
		"are", num_or_null(id->nr_are ? id->sum_are /
				   (double)id->nr_are : NAN),
		"aae", num_or_null(n && (id->ops->kind.flags &
					 TM_IDENT_COUNTS) ?
				   id->sum_aae / n : NAN),
		"sampling_loss", num_or_null(id->nr_sampling_loss ?
					     id->sum_sampling_loss /
					     (double)id->nr_sampling_loss : NAN),
		"identifier_loss", num_or_null(id->nr_ident_loss ?
					       id->sum_ident_loss /
					       (double)id->nr_ident_loss : NAN),
		"saturated_mean", num_or_null(sat && n ? (double)id->sum_saturated
					      / n : NAN),
		"saturated_max", sat && n ? json_integer((json_int_t)
							 id->max_saturated)
				 : json_null());
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
		"cpu_ns", (json_int_t)tm_vm_sampling_cpu_ns(vm));
}

/* Per-VM rebalancing metrics (docs/rebalancing.md). */
static json_t *rebalancing_json(const struct tm_vm_rt *vm,
			       const struct tm_rebalance_vm *b)
{

	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:o, s:I}",
		"target_hit", json_real(vm->cfg->target_hit),
		"slo_miss_ns", (json_int_t)b->slo_miss_ns,
		"miss_episodes", (json_int_t)b->nr_episodes,
		"recovered_episodes", (json_int_t)b->nr_recovered,
		"max_time_to_recover_ns", (json_int_t)b->max_recover_ns,
		"mean_time_to_recover_ns", (json_int_t)(b->nr_recovered ?
			b->sum_recover_ns / b->nr_recovered : 0),
		"below_target_at_end", b->in_miss,
		"balloon_inflated_bytes", (json_int_t)b->bl.inflated_bytes,
		"balloon_deflated_bytes", (json_int_t)b->bl.deflated_bytes,
		"balloon_busy_ns", (json_int_t)b->bl.busy_ns,
		"fmem_mean_pages", num_or_null(b->nr_ticks ? b->sum_cap_pages /
					       (double)b->nr_ticks : NAN),
		"fmem_needed_max_pages", (json_int_t)b->need_max_pages);
}

static json_t *vm_json(const struct tm_config *cfg, const struct tm_vm_rt *vm,
		       const struct tm_rebalance_vm *rb)
{
	const struct tm_hits *t = &vm->total;
	double amat, slow, n = (double)vm->nr_ratio_epochs;
	double oracle = n && vm->truth ? vm->sum_oracle_ratio / n : NAN;
	double achieved = n ? vm->sum_epoch_ratio / n : NAN;
	json_t *ids = json_array();

	for (uint32_t i = 0; i < vm->nr_idents; i++)
		json_array_append_new(ids, ident_json(vm, &vm->idents[i]));
	perf_proxy(cfg, t, &amat, &slow);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:{s:b, s:s, s:I}, s:o, s:o, s:o, s:o}",
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
			 "source", tm_truth_source_name(vm->truth_src),
			 "memory_bytes", (json_int_t)tm_vm_truth_memory_bytes(vm),
		"identifiers", ids,
		"migration", migration_json(vm),
		"sampler", sampler_json(vm),
		"rebalancing", rebalancing_json(vm, rb));
}

static json_t *host_json(const struct tm_agg_params *p,
			 const struct tm_host_rt *hr, const struct tm_host_agg *a)
{
	const struct tm_config *cfg = hr->run_cfg;
	json_t *vms = json_array();

	for (uint32_t v = 0; v < hr->nr_vms; v++)
		json_array_append_new(vms, vm_json(cfg, &hr->vms[v],
						   &hr->fm.vm[v]));
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "name", hr->cfg->name,
			 "fmem_bytes", (json_int_t)hr->cfg->sz_fmem,
			 "smem_bytes", (json_int_t)hr->cfg->sz_smem,
			 "totals", tm_agg_host_totals_json(p, a),
			 "rebalancing", tm_agg_host_rebalancing_json(p, a,
					hr->cfg->rebalancer.policy),
			 "vms", vms);
}

void tm_output_hosts_of(const struct tm_sim *sim, json_t *hosts,
			struct tm_host_agg *aggs)
{
	struct tm_agg_params p;

	tm_agg_params_of(sim->cfg, &p);
	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		tm_agg_host_of(&aggs[h], &sim->hosts[h]);
		json_array_append_new(hosts, host_json(&p, &sim->hosts[h],
						       &aggs[h]));
	}
}

json_t *tm_output_summary(const char *name, uint64_t seed,
			  uint64_t duration_ns, json_t *cluster, json_t *hosts,
			  json_t *config)
{
	return json_pack("{s:s, s:i, s:s, s:I, s:I, s:o, s:o, s:o}",
		"tmsim_version", TM_VERSION,
		"format_version", TM_OUTPUT_FORMAT_VERSION,
		"name", name,
		"seed", (json_int_t)seed,
		"duration_ns", (json_int_t)duration_ns,
		"cluster", cluster,
		"hosts", hosts,
		"config", config);
}

static json_t *summary_json(const struct tm_sim *sim)
{
	const struct tm_config *cfg = sim->cfg;
	struct tm_host_agg *aggs = tm_xcalloc(sim->nr_hosts + 1, sizeof(*aggs));
	struct tm_agg_params p;
	json_t *hosts = json_array(), *cluster;

	tm_agg_params_of(cfg, &p);
	tm_output_hosts_of(sim, hosts, aggs);
	cluster = tm_agg_cluster_json(&p, aggs, sim->nr_hosts);
	for (uint32_t h = 0; h < sim->nr_hosts; h++)
		tm_agg_host_free(&aggs[h]);
	free(aggs);
	return tm_output_summary(cfg->name, cfg->seed, cfg->duration_ns,
				 cluster, hosts, tm_config_to_json(cfg));
}

char *tm_output_rows(const struct tm_sim *sim, int ep, size_t *len)
{
	struct tm_strbuf b = { 0 };

	/* Per-host rows in host order: deterministic for any threads. */
	tm_strbuf_printf(&b, "%s", ep ? tm_output_ep_header :
					tm_output_ts_header);
	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		const struct tm_strbuf *s = ep ? &sim->hosts[h].ep :
					    &sim->hosts[h].ts;

		if (s->len)
			tm_strbuf_printf(&b, "%.*s", (int)s->len, s->p);
	}
	*len = b.len;
	return b.p;
}

int tm_output_write_file(const char *dir, const char *name, const char *data,
			 size_t len, struct tm_error *err)
{
	char path[TM_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tm_write_atomic(path, data, len, err);
}

int tm_output_write_json(const char *dir, const char *name, json_t *j,
			 int precision, struct tm_error *err)
{
	char *text = json_dumps(j, JSON_INDENT(2) |
				   JSON_REAL_PRECISION(precision));
	size_t len;
	int rc;

	json_decref(j);
	if (!text)
		return tm_error_set(err, TM_ERR_INTERNAL, "cannot format JSON");
	len = strlen(text);
	text = tm_xrealloc(text, len + 2);
	text[len++] = '\n';
	rc = tm_output_write_file(dir, name, text, len, err);
	free(text);
	return rc;
}

int tm_output_write(const struct tm_sim *sim, const char *dir,
		    struct tm_error *err)
{
	size_t len;
	char *text;
	int rc;

	if (tm_mkdir_p(dir, err))
		return -1;
	text = tm_output_rows(sim, 0, &len);
	rc = tm_output_write_file(dir, "timeseries.csv", text, len, err);
	free(text);
	if (rc)
		return -1;
	text = tm_output_rows(sim, 1, &len);
	rc = tm_output_write_file(dir, "epochs.csv", text, len, err);
	free(text);
	if (rc)
		return -1;
	return tm_output_write_json(dir, "summary.json", summary_json(sim),
				    TM_OUTPUT_REAL_DIGITS, err);
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
			double np = (double)id->nr_named;
			double ne = (double)vm->nr_ratio_epochs;

			fprintf(f, "%-10s %-12s %12llu %8.2f %8.2f %8.2f %-6s %9.3f %9.3f %10llu\n",
				hr->cfg->name, vm->name,
				(unsigned long long)vm->total.nr_accesses,
				100 * ratio(vm->total.hits_fmem,
					    vm->total.nr_accesses),
				ne && vm->truth ? 100 * vm->sum_oracle_ratio / ne
						: NAN,
				100 * ratio(vm->total.hits_static_fmem,
					    vm->total.nr_accesses),
				id->cfg->kind,
				np ? id->sum_precision / np : NAN,
				n ? id->sum_recall / n : NAN,
				(unsigned long long)(m->nr_promotions +
						     m->nr_demotions));
		}
	}
}
