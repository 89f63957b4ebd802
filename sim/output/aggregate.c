/*
 * aggregate.c - cluster totals and rebalancing metrics from per-VM
 * aggregates (see aggregate.h; definitions in docs/rebalancing.md).
 */
#include "aggregate.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

static json_t *num_or_null(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

void tm_agg_params_of(const struct tm_config *cfg, struct tm_agg_params *p)
{
	p->fmem_latency_ns = cfg->fmem_latency_ns;
	p->smem_latency_ns = cfg->smem_latency_ns;
	p->page_shift = cfg->page_shift;
}

static void vm_agg_of(struct tm_vm_agg *a, const struct tm_vm_rt *vm,
		      const struct tm_rebalance_vm *b)
{
	double hit = ratio(vm->total.hits_fmem, vm->total.nr_accesses);

	a->hits = vm->total;
	a->slo_miss_ns = b->slo_miss_ns;
	a->need_max_pages = b->need_max_pages;
	a->max_recover_ns = b->max_recover_ns;
	a->balloon_bytes = b->bl.inflated_bytes + b->bl.deflated_bytes;
	a->balloon_busy_ns = b->bl.busy_ns;
	a->below_end = b->in_miss;
	a->fair_x = isnan(hit) ? 0 : fmin(1.0, hit / vm->cfg->target_hit);
	a->mean_fmem_pages = b->nr_ticks ? b->sum_cap_pages /
					   (double)b->nr_ticks : 0;
}

void tm_agg_host_of(struct tm_host_agg *a, const struct tm_host_rt *hr)
{
	a->index = hr->index;
	a->nr_vms = hr->nr_vms;
	a->need_sum_max = hr->fm.need_sum_max;
	a->vms = tm_xcalloc(hr->nr_vms ? hr->nr_vms : 1, sizeof(*a->vms));
	for (uint32_t v = 0; v < hr->nr_vms; v++)
		vm_agg_of(&a->vms[v], &hr->vms[v], &hr->fm.vm[v]);
}

void tm_agg_host_free(struct tm_host_agg *a)
{
	if (!a)
		return;
	free(a->vms);
	a->vms = NULL;
	a->nr_vms = 0;
}

/* ---- the figures ----------------------------------------------------- */

static void add_hits(struct tm_hits *a, const struct tm_hits *b)
{
	a->nr_records += b->nr_records;
	a->nr_accesses += b->nr_accesses;
	a->nr_samples += b->nr_samples;
	a->hits_fmem += b->hits_fmem;
	a->hits_smem += b->hits_smem;
	a->hits_static_fmem += b->hits_static_fmem;
}

static json_t *hits_json(const struct tm_agg_params *p,
			 const struct tm_hits *t)
{
	double lf = (double)p->fmem_latency_ns;
	double ls = (double)p->smem_latency_ns;
	double amat = t->nr_accesses ? ((double)t->hits_fmem * lf +
					(double)t->hits_smem * ls) /
					       (double)t->nr_accesses : NAN;

	return json_pack("{s:I, s:I, s:o, s:o, s:o}",
		"accesses", (json_int_t)t->nr_accesses,
		"hits_fmem", (json_int_t)t->hits_fmem,
		"fmem_hit_ratio", num_or_null(ratio(t->hits_fmem, t->nr_accesses)),
		"static_hit_ratio", num_or_null(ratio(t->hits_static_fmem,
						      t->nr_accesses)),
		"amat_ns", num_or_null(amat));
}

/* Rebalancing sums over a set of VMs (a host, or all). */
struct rb_sum {
	uint64_t slo_miss_ns, need_static, need_dynamic, max_recover_ns;
	uint64_t balloon_bytes, balloon_busy_ns, nr_below_end;
	double sum_x, sum_x2, mean_fmem_pages;
	uint32_t nr_vms;
};

static void rb_add_vm(struct rb_sum *r, const struct tm_vm_agg *a)
{
	r->slo_miss_ns += a->slo_miss_ns;
	r->need_static += a->need_max_pages;
	if (a->max_recover_ns > r->max_recover_ns)
		r->max_recover_ns = a->max_recover_ns;
	r->balloon_bytes += a->balloon_bytes;
	r->balloon_busy_ns += a->balloon_busy_ns;
	r->nr_below_end += a->below_end;
	r->mean_fmem_pages += a->mean_fmem_pages;
	r->sum_x += a->fair_x;
	r->sum_x2 += a->fair_x * a->fair_x;
	r->nr_vms++;
}

static void rb_add_host(struct rb_sum *r, const struct tm_host_agg *a)
{
	for (uint32_t v = 0; v < a->nr_vms; v++)
		rb_add_vm(r, &a->vms[v]);
	r->need_dynamic += a->need_sum_max;
}

static json_t *rb_json(const struct tm_agg_params *p, const struct rb_sum *r,
		       const char *policy)
{
	double jain = r->sum_x2 > 0 ? r->sum_x * r->sum_x /
				      ((double)r->nr_vms * r->sum_x2) : NAN;
	uint64_t page = 1ULL << p->page_shift;

	return json_pack("{s:s?, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:o}",
		"policy", policy,
		"slo_miss_vm_seconds", json_real((double)r->slo_miss_ns * 1e-9),
		"vms_below_target_at_end", (json_int_t)r->nr_below_end,
		"max_time_to_recover_ns", (json_int_t)r->max_recover_ns,
		"balloon_bytes", (json_int_t)r->balloon_bytes,
		"balloon_busy_s", json_real((double)r->balloon_busy_ns * 1e-9),
		"fmem_needed_static_bytes", (json_int_t)(r->need_static * page),
		"fmem_needed_dynamic_bytes", (json_int_t)(r->need_dynamic * page),
		"fmem_mean_allocated_bytes",
			(json_int_t)(r->mean_fmem_pages * (double)page),
		"fmem_saving_vs_static", num_or_null(r->need_static ?
			1.0 - (double)r->need_dynamic /
			      (double)r->need_static : NAN),
		"jain_fairness", num_or_null(jain));
}

json_t *tm_agg_host_totals_json(const struct tm_agg_params *p,
				const struct tm_host_agg *a)
{
	struct tm_hits t = { 0 };

	for (uint32_t v = 0; v < a->nr_vms; v++)
		add_hits(&t, &a->vms[v].hits);
	return hits_json(p, &t);
}

json_t *tm_agg_host_rebalancing_json(const struct tm_agg_params *p,
				     const struct tm_host_agg *a,
				     const char *policy)
{
	struct rb_sum r = { 0 };

	rb_add_host(&r, a);
	return rb_json(p, &r, policy);
}

json_t *tm_agg_cluster_json(const struct tm_agg_params *p,
			    const struct tm_host_agg *hosts, uint32_t nr)
{
	struct tm_hits t = { 0 };
	struct rb_sum r = { 0 };
	json_t *cluster;

	for (uint32_t h = 0; h < nr; h++) {
		for (uint32_t v = 0; v < hosts[h].nr_vms; v++)
			add_hits(&t, &hosts[h].vms[v].hits);
		rb_add_host(&r, &hosts[h]);
	}
	cluster = hits_json(p, &t);
	json_object_set_new(cluster, "rebalancing", rb_json(p, &r, NULL));
	return cluster;
}

/* ---- the exact form of a partial folder --------------------------- */

struct u64_field {
	const char *name;
	size_t off;
};

#define VM_U64(name, member) { name, offsetof(struct tm_vm_agg, member) }
static const struct u64_field vm_u64[] = {
	VM_U64("records", hits.nr_records),
	VM_U64("accesses", hits.nr_accesses),
	VM_U64("samples", hits.nr_samples),
	VM_U64("hits_fmem", hits.hits_fmem),
	VM_U64("hits_smem", hits.hits_smem),
	VM_U64("hits_static_fmem", hits.hits_static_fmem),
	VM_U64("samples_fmem", hits.samples_fmem),
	VM_U64("slo_miss_ns", slo_miss_ns),
	VM_U64("need_max_pages", need_max_pages),
	VM_U64("max_recover_ns", max_recover_ns),
	VM_U64("balloon_bytes", balloon_bytes),
	VM_U64("balloon_busy_ns", balloon_busy_ns),
	VM_U64("below_end", below_end),
};
#define NR_VM_U64 (sizeof(vm_u64) / sizeof(vm_u64[0]))

static json_t *vm_agg_json(const struct tm_vm_agg *a)
{
	json_t *o = json_object();

	for (size_t i = 0; i < NR_VM_U64; i++)
		json_object_set_new(o, vm_u64[i].name, json_integer((json_int_t)
			*(const uint64_t *)((const char *)a + vm_u64[i].off)));
	json_object_set_new(o, "fair_x", json_real(a->fair_x));
	json_object_set_new(o, "mean_fmem_pages",
			    json_real(a->mean_fmem_pages));
	return o;
}

json_t *tm_agg_host_to_json(const struct tm_host_agg *a)
{
	json_t *vms = json_array();

	for (uint32_t v = 0; v < a->nr_vms; v++)
		json_array_append_new(vms, vm_agg_json(&a->vms[v]));
	return json_pack("{s:I, s:I, s:o}", "index", (json_int_t)a->index,
			 "need_sum_max", (json_int_t)a->need_sum_max,
			 "vms", vms);
}

static int get_u64(const json_t *o, const char *key, uint64_t *out,
		   const char *where, struct tm_error *err)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return tm_error_set(err, TM_ERR_FORMAT, "%s: %s: expected a "
				    "whole number >= 0", where, key);
	*out = (uint64_t)json_integer_value(j);
	return 0;
}

static int get_double(const json_t *o, const char *key, double *out,
		      const char *where, struct tm_error *err)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_number(j))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: %s: expected a "
				    "number", where, key);
	*out = json_number_value(j);
	return 0;
}

static int vm_agg_from_json(struct tm_vm_agg *a, const json_t *j,
			    const char *where, struct tm_error *err)
{
	if (!json_is_object(j))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: expected an "
				    "object", where);
	for (size_t i = 0; i < NR_VM_U64; i++)
		if (get_u64(j, vm_u64[i].name, (uint64_t *)((char *)a +
			    vm_u64[i].off), where, err))
			return -1;
	if (get_double(j, "fair_x", &a->fair_x, where, err) ||
	    get_double(j, "mean_fmem_pages", &a->mean_fmem_pages, where, err))
		return -1;
	return 0;
}

int tm_agg_host_from_json(struct tm_host_agg *a, const json_t *j,
			  const char *where, struct tm_error *err)
{
	const json_t *vms = json_object_get(j, "vms");
	uint64_t index, need;
	char at[TM_ERR_MSG_MAX / 2];

	memset(a, 0, sizeof(*a));
	if (!json_is_object(j) || !json_is_array(vms))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: expected an object "
				    "with index, need_sum_max and vms[]", where);
	if (get_u64(j, "index", &index, where, err) ||
	    get_u64(j, "need_sum_max", &need, where, err))
		return -1;
	TM_RETURN_IF(index > UINT32_MAX, err, TM_ERR_FORMAT,
		     "%s: index: out of range", where);
	a->index = (uint32_t)index;
	a->need_sum_max = need;
	a->vms = tm_xcalloc(json_array_size(vms) + 1, sizeof(*a->vms));
	for (size_t v = 0; v < json_array_size(vms); v++) {
		snprintf(at, sizeof(at), "%s.vms[%zu]", where, v);
		if (vm_agg_from_json(&a->vms[v], json_array_get(vms, v), at,
				     err))
			return -1;
		a->nr_vms++;
	}
	return 0;
}

json_t *tm_agg_params_to_json(const struct tm_agg_params *p)
{
	return json_pack("{s:I, s:I, s:i}",
			 "fmem_latency_ns", (json_int_t)p->fmem_latency_ns,
			 "smem_latency_ns", (json_int_t)p->smem_latency_ns,
			 "page_shift", (int)p->page_shift);
}

int tm_agg_params_from_json(struct tm_agg_params *p, const json_t *j,
			    const char *where, struct tm_error *err)
{
	uint64_t shift;

	if (!json_is_object(j))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: expected an "
				    "object", where);
	if (get_u64(j, "fmem_latency_ns", &p->fmem_latency_ns, where, err) ||
	    get_u64(j, "smem_latency_ns", &p->smem_latency_ns, where, err) ||
	    get_u64(j, "page_shift", &shift, where, err))
		return -1;
	TM_RETURN_IF(shift < 9 || shift > 40, err, TM_ERR_FORMAT,
		     "%s: page_shift: expected 9 to 40, got %llu", where,
		     (unsigned long long)shift);
	p->page_shift = (uint32_t)shift;
	return 0;
}
