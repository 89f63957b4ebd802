/*
 * import.c - the importer family (the built-in table, registration, lookup,
 * options through each importer's schema) and the helpers importers share:
 * a record vector, a stable sort by time, the period bookkeeping behind the
 * trace header, and a stream over a sorted in-memory array.
 *
 * The perf importers hold every kept sample in memory (24 bytes each) because
 * perf writes per-CPU buffers out of time order (reference/peers.md (a) 3)
 * and a stream must be non-decreasing.  Notes: a merge of FINISHED_ROUND
 * rounds would bound memory; it is not done because recordings of the size
 * tmsim replays (tens of millions of samples) fit comfortably.
 */
#include "import_internal.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

/* The built-in importers, in --help order. */
static const struct tm_kind *const builtin[] = {
	&tm_importer_perf_data.kind,
	&tm_importer_perf_script.kind,
	&tm_importer_lackey.kind,
};

struct tm_kinds tm_importer_kinds = {
	.family = "importer",
	.builtin = builtin,
	.nr_builtin = sizeof(builtin) / sizeof(builtin[0]),
};

#define DEFAULT_PAGE_SHIFT 12

/* kind is the first member of the ops (C11 6.7.2.1: a pointer to a struct
 * converts to and from a pointer to its first member). */
static const struct tm_importer_ops *ops_of(const struct tm_kind *k)
{
	return (const struct tm_importer_ops *)k;
}

int tm_importer_register(const struct tm_importer_ops *imp, struct tm_error *err)
{
	TM_RETURN_IF(!imp->kind.name || !imp->kind.help || !imp->open, err,
		     TM_ERR_INTERNAL, "importer '%s': expected a name, a help "
		     "line and an open operation",
		     imp->kind.name ? imp->kind.name : "(unnamed)");
	return tm_kinds_add(&tm_importer_kinds, &imp->kind, err);
}

void tm_import_opts_init(struct tm_import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->page_shift = DEFAULT_PAGE_SHIFT;
}

const struct tm_importer_ops *tm_importer_find(const char *name)
{
	const struct tm_kind *k = tm_kinds_find(&tm_importer_kinds, name);

	return k ? ops_of(k) : NULL;
}

const struct tm_importer_ops *tm_importer_at(size_t i)
{
	if (i >= tm_kinds_count(&tm_importer_kinds))
		return NULL;
	return ops_of(tm_kinds_at(&tm_importer_kinds, i));
}

size_t tm_importer_count(void)
{
	return tm_kinds_count(&tm_importer_kinds);
}

void tm_importer_config_init(const struct tm_importer_ops *imp, void *config)
{
	memset(config, 0, imp->kind.config_size);
	tm_cfg_set_defaults(imp->kind.keys, imp->kind.nr_keys, config);
}

int tm_importer_set(const struct tm_importer_ops *imp, void *config,
		    const char *key, const char *value, struct tm_error *err)
{
	const struct tm_cfg_key *k = tm_cfg_find(imp->kind.keys,
						 imp->kind.nr_keys, key);
	struct tm_cfg_val v;

	TM_RETURN_IF(!k, err, TM_ERR_USAGE, "%s: not an option of importer %s",
		     key, imp->kind.name);
	if (tm_cfg_parse(k, value, &v, err)) {
		tm_error_prefix(err, "%s", key);
		err->code = TM_ERR_USAGE;
		return -1;
	}
	tm_cfg_store(k, config, &v);
	return 0;
}

/* The perf importers' provenance: address space, event and counts. */
void tm_import_perf_provenance(const void *config, const struct tm_import_stats *st,
			       json_t *p)
{
	const struct tm_import_perf_opts *o = config;

	json_object_set_new(p, "addr", json_string(o->addr == TM_IMPORT_PHYS ?
						   "phys" : "virt"));
	if (strcmp(o->event, TM_IMPORT_ALL_EVENTS))
		json_object_set_new(p, "event", json_string(o->event));
	json_object_set_new(p, "nr_samples", json_integer((json_int_t)st->nr_samples));
	json_object_set_new(p, "nr_dropped_addr0", json_integer((json_int_t)st->nr_addr0));
	json_object_set_new(p, "nr_other_events", json_integer((json_int_t)st->nr_filtered));
	/* perf-data only, and only when there is something to say, so that
	 * older imports' headers are unchanged */
	if (st->nr_lost_records) {
		json_object_set_new(p, "nr_lost", json_integer(st->nr_lost > INT64_MAX ?
			INT64_MAX : (json_int_t)st->nr_lost));
		json_object_set_new(p, "nr_lost_records",
				    json_integer((json_int_t)st->nr_lost_records));
	}
	if (st->pipe)
		json_object_set_new(p, "pipe_mode", json_true());
	if (st->columns[0])
		json_object_set_new(p, "columns", json_string(st->columns));
	if (st->nr_compressed)
		json_object_set_new(p, "nr_compressed_records",
				    json_integer((json_int_t)st->nr_compressed));
}

/* The one event a perf importer keeps, or NULL for all. */
const char *tm_import_perf_event(const struct tm_import_perf_opts *o)
{
	return strcmp(o->event, TM_IMPORT_ALL_EVENTS) ? o->event : NULL;
}

void tm_import_vec_push(struct tm_import_vec *v, const struct tm_record *r)
{
	if (v->nr == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 4096;
		v->recs = tm_xrealloc(v->recs, v->cap * sizeof(*v->recs));
	}
	v->recs[v->nr++] = *r;
}

void tm_import_vec_free(struct tm_import_vec *v)
{
	free(v->recs);
	memset(v, 0, sizeof(*v));
}

/* Bottom-up merge sort: stable, O(n log n), one scratch array. */
void tm_import_sort(struct tm_record *recs, size_t nr)
{
	struct tm_record *tmp, *src = recs, *dst;
	size_t i;

	for (i = 1; i < nr && recs[i - 1].time_ns <= recs[i].time_ns; i++)
		;
	if (i >= nr)
		return; /* already sorted: the common case within one CPU */
	dst = tmp = tm_xmalloc(nr * sizeof(*tmp));
	for (size_t width = 1; width < nr; width *= 2) {
		for (size_t lo = 0; lo < nr; lo += 2 * width) {
			size_t mid = lo + width < nr ? lo + width : nr;
			size_t hi = lo + 2 * width < nr ? lo + 2 * width : nr;
			size_t a = lo, b = mid, k = lo;

			while (a < mid && b < hi)
				dst[k++] = src[b].time_ns < src[a].time_ns ? src[b++] : src[a++];
			while (a < mid)
				dst[k++] = src[a++];
			while (b < hi)
				dst[k++] = src[b++];
		}
		struct tm_record *t = src;
		src = dst;
		dst = t;
	}
	if (src != recs)
		memcpy(recs, src, nr * sizeof(*recs));
	free(tmp);
}

void tm_import_periods_add(struct tm_import_periods *p, uint8_t op, uint64_t period)
{
	if (op == TM_OP_STORE) {
		p->nr_store++;
		p->sum_store += period;
	} else {
		p->nr_load++;
		p->sum_load += period;
	}
}

static uint64_t mean_period(long double sum, uint64_t nr)
{
	uint64_t m = (uint64_t)(sum / nr + 0.5L);

	return m ? m : 1;
}

void tm_import_periods_info(const struct tm_import_periods *p,
			    uint64_t fallback_period, struct tm_trace_info *info)
{
	info->store_period = p->nr_store ? mean_period(p->sum_store, p->nr_store) : 0;
	if (p->nr_load)
		info->load_period = mean_period(p->sum_load, p->nr_load);
	else if (p->nr_store)
		info->load_period = info->store_period;
	else
		info->load_period = fallback_period ? fallback_period : 1;
}

uint8_t tm_import_op_from_data_src(uint64_t data_src)
{
	/* include/uapi/linux/perf_event.h: mem_op is bits 0-4, PERF_MEM_OP_STORE
	 * is 0x04 (NA 0x01, LOAD 0x02, PFETCH 0x08, EXEC 0x10). */
	return (data_src & 0x04) ? TM_OP_STORE : TM_OP_LOAD;
}

void tm_import_info_init(struct tm_trace_info *info, const struct tm_import_opts *o,
			 const char *path)
{
	memset(info, 0, sizeof(*info));
	info->kind = TM_TRACE_SAMPLES;
	info->space = TM_ADDR_GVA;
	info->page_shift = o->page_shift ? o->page_shift : DEFAULT_PAGE_SHIFT;
	info->nr_vcpus = o->nr_vcpus;
	snprintf(info->source, sizeof(info->source), "%s", path);
}

/* The stream over a sorted array. */
struct vec_stream {
	struct tm_import_vec v;
	size_t pos;
};

static ssize_t vec_read(void *state, struct tm_record *buf, size_t cap,
			struct tm_error *err)
{
	struct vec_stream *vs = state;
	size_t n = vs->v.nr - vs->pos;

	(void)err;
	if (n > cap)
		n = cap;
	if (!n)
		return 0;
	memcpy(buf, vs->v.recs + vs->pos, n * sizeof(*buf));
	vs->pos += n;
	return (ssize_t)n;
}

static void vec_free(void *state)
{
	struct vec_stream *vs = state;

	if (!vs)
		return;
	tm_import_vec_free(&vs->v);
	free(vs);
}

static const struct tm_stream_ops vec_stream_ops = {
	.name = "import",
	.read = vec_read,
	.free = vec_free,
};

/* Wrap v (times already relative) into a stream; sorted here. */
static struct tm_stream *vec_stream_new(struct tm_import_vec *v,
					const struct tm_trace_info *info)
{
	struct vec_stream *vs = tm_xcalloc(1, sizeof(*vs));
	struct tm_stream *s = tm_xcalloc(1, sizeof(*s));
	uint32_t max_cpu = 0;

	for (size_t i = 0; i < v->nr; i++)
		if (v->recs[i].cpu > max_cpu)
			max_cpu = v->recs[i].cpu;
	tm_import_sort(v->recs, v->nr);
	vs->v = *v;
	memset(v, 0, sizeof(*v));
	s->ops = &vec_stream_ops;
	s->state = vs;
	s->info = *info;
	if (!s->info.nr_vcpus)
		s->info.nr_vcpus = max_cpu + 1;
	return s;
}

static uint64_t min_time(const struct tm_import_vec *v)
{
	uint64_t t0 = UINT64_MAX;

	for (size_t i = 0; i < v->nr; i++)
		if (v->recs[i].time_ns < t0)
			t0 = v->recs[i].time_ns;
	return t0;
}

void tm_import_vec_stream(struct tm_import_vec *v, const struct tm_trace_info *info,
			  struct tm_stream **out)
{
	uint64_t t0 = min_time(v);

	for (size_t i = 0; i < v->nr; i++)
		v->recs[i].time_ns -= t0;
	*out = vec_stream_new(v, info);
}

void tm_import_grouper_init(struct tm_import_grouper *gp, enum tm_import_split by)
{
	memset(gp, 0, sizeof(*gp));
	gp->by = by;
}

static bool group_match(const struct tm_import_grouper *gp, size_t i, uint64_t key,
			const char *comm)
{
	if (gp->by == TM_IMPORT_SPLIT_COMM)
		return !strcmp(gp->g[i].comm, comm);
	return gp->g[i].key == key;
}

static size_t group_find(struct tm_import_grouper *gp, uint64_t key, const char *comm)
{
	if (gp->nr && group_match(gp, gp->last, key, comm))
		return gp->last;
	for (size_t i = 0; i < gp->nr; i++)
		if (group_match(gp, i, key, comm))
			return gp->last = i;
	if (gp->nr == gp->cap) {
		gp->cap = gp->cap ? 2 * gp->cap : 16;
		gp->g = tm_xrealloc(gp->g, gp->cap * sizeof(*gp->g));
	}
	memset(&gp->g[gp->nr], 0, sizeof(gp->g[0]));
	gp->g[gp->nr].key = gp->by == TM_IMPORT_SPLIT_COMM ? gp->nr : key;
	return gp->last = gp->nr++;
}

void tm_import_grouper_add(struct tm_import_grouper *gp, uint32_t pid, uint32_t tid,
			   uint32_t cpu, const char *comm)
{
	char unknown[TM_IMPORT_COMM_MAX];
	uint64_t key = gp->by == TM_IMPORT_SPLIT_PID ? pid :
		       gp->by == TM_IMPORT_SPLIT_TID ? tid : cpu;
	size_t i;

	if (!comm || !comm[0]) {
		snprintf(unknown, sizeof(unknown), ":%u", tid); /* as perf script */
		comm = unknown;
	}
	i = group_find(gp, key, comm);
	snprintf(gp->g[i].comm, sizeof(gp->g[i].comm), "%s", comm);
	gp->g[i].nr_records++;
	if (gp->nr_tags == gp->cap_tags) {
		gp->cap_tags = gp->cap_tags ? 2 * gp->cap_tags : 4096;
		gp->tags = tm_xrealloc(gp->tags, gp->cap_tags * sizeof(*gp->tags));
	}
	gp->tags[gp->nr_tags++] = (uint32_t)i;
}

void tm_import_grouper_free(struct tm_import_grouper *gp)
{
	free(gp->tags);
	free(gp->g);
	memset(gp, 0, sizeof(*gp));
}

void tm_import_groups_free(struct tm_import_groups *gs)
{
	if (!gs)
		return;
	for (size_t i = 0; i < gs->nr; i++)
		tm_stream_free(gs->g[i].stream);
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

/* Deal v's records to their groups (input order kept), one stream each. */
static void split_groups(struct tm_import_vec *v, struct tm_import_grouper *gp,
			 const struct tm_trace_info *info, struct tm_import_groups *gs)
{
	struct tm_import_vec *per = tm_xcalloc(gp->nr ? gp->nr : 1, sizeof(*per));
	uint64_t t0 = min_time(v);

	assert(gp->nr_tags == v->nr);
	for (size_t i = 0; i < v->nr; i++) {
		v->recs[i].time_ns -= t0;
		tm_import_vec_push(&per[gp->tags[i]], &v->recs[i]);
	}
	gs->nr = gp->nr;
	gs->g = tm_xcalloc(gp->nr ? gp->nr : 1, sizeof(*gs->g));
	for (size_t k = 0; k < gp->nr; k++) {
		struct tm_import_vec *pv = &per[k];

		gs->g[k] = gp->g[k];
		gs->g[k].stream = vec_stream_new(pv, info);
		pv = &((struct vec_stream *)gs->g[k].stream->state)->v;
		gs->g[k].first_ns = pv->nr ? pv->recs[0].time_ns : 0;
		gs->g[k].last_ns = pv->nr ? pv->recs[pv->nr - 1].time_ns : 0;
	}
	free(per);
	tm_import_vec_free(v);
}

void tm_import_finish(struct tm_import_vec *v, struct tm_import_grouper *gp,
		      const struct tm_trace_info *info, const struct tm_import_opts *o,
		      struct tm_stream **out)
{
	*out = NULL;
	if (!gp || gp->by == TM_IMPORT_SPLIT_NONE) {
		tm_import_vec_stream(v, info, out);
		return;
	}
	split_groups(v, gp, info, o->groups);
}
