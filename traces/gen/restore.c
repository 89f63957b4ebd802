/*
 * restore.c - a generator spec back from a trace header's provenance (the
 * object `tmsim gen` writes: sim/cli/cmd_gen.c), so that a generated
 * `.tmt` file keeps its distribution truth (DESIGN.md §7).  A header whose
 * provenance was removed, or names a generator this build does not have,
 * describes no distribution: the trace is then scored on its records.
 */
#include <string.h>

#include <jansson.h>

#include "gen_internal.h"
#include "traces/tmt_internal.h"

static int get_u64(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_dbl(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int restore_part(const json_t *o, struct tm_gen_part *p)
{
	const json_t *name = json_object_get(o, "gen");
	const struct tm_generator_ops *g =
		json_is_string(name) ? tm_generator_find(json_string_value(name)) :
				       NULL;

	if (!g)
		return -1;
	tm_gen_part_init(p, g);
	if (get_dbl(o, "weight", &p->weight) || get_u64(o, "base", &p->base) ||
	    get_u64(o, "footprint", &p->sz_footprint))
		return -1;
	return g->restore ? g->restore(p, o) : 0;
}

static int restore_phases(const json_t *phases, struct tm_gen_spec *s)
{
	size_t n = json_array_size(phases);

	if (!json_is_array(phases) || n < 1 || n > TM_GEN_MAX_PHASES)
		return -1;
	s->nr_phases = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		const json_t *ph = json_array_get(phases, i);
		const json_t *parts = json_object_get(ph, "parts");
		size_t m = json_array_size(parts);

		if (get_u64(ph, "start_ns", &s->phases[i].start_ns) ||
		    !json_is_array(parts) || m < 1 || m > TM_GEN_MAX_PARTS)
			return -1;
		s->phases[i].nr_parts = (uint32_t)m;
		for (size_t j = 0; j < m; j++)
			if (restore_part(json_array_get(parts, j),
					 &s->phases[i].parts[j]))
				return -1;
	}
	return 0;
}

static int restore_spec(const json_t *prov, const struct tm_trace_info *info,
			struct tm_gen_spec *s)
{
	const json_t *tool = json_object_get(prov, "tool");
	struct tm_error e;

	if (!json_is_string(tool) ||
	    strncmp(json_string_value(tool), "tmsim gen", 9) != 0)
		return -1;
	tm_gen_spec_init(s);
	if (get_dbl(prov, "rate_per_s", &s->rate_per_s) ||
	    get_u64(prov, "duration_ns", &s->duration_ns) ||
	    get_u64(prov, "records", &s->nr_records) ||
	    get_dbl(prov, "stores", &s->store_share) ||
	    restore_phases(json_object_get(prov, "phases"), s))
		return -1;
	s->kind = info->kind;
	s->page_shift = info->page_shift;
	s->nr_vcpus = info->nr_vcpus ? info->nr_vcpus : 1;
	s->load_period = info->load_period;
	s->store_period = info->store_period;
	return tm_gen_spec_check(s, &e);
}

int tm_gen_spec_of_stream(const struct tm_stream *s, struct tm_gen_spec *out)
{
	const char *text = tm_tmt_stream_header_json(s);
	json_t *hdr;
	int rc = -1;

	if (!text)
		return -1;
	hdr = json_loads(text, 0, NULL);
	if (hdr && json_is_object(json_object_get(hdr, "provenance")))
		rc = restore_spec(json_object_get(hdr, "provenance"), &s->info,
				  out);
	json_decref(hdr);
	return rc;
}
