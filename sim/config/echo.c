/*
 * echo.c - the resolved configuration as JSON: the config echo of
 * summary.json (sizes in bytes, times in ns, keys as in YAML).
 */
#include "config.h"
#include "config_internal.h"

#include <math.h>
#include <string.h>

/* ---- JSON echo ---------------------------------------------------------- */

static json_t *field_json(const struct tm_cfg_key *k, const void *base)
{
	const char *p = (const char *)base + k->off;
	char name[32];

	switch (k->field) {
	case TM_CFG_F_U32: return json_integer(*(const uint32_t *)p);
	case TM_CFG_F_U64: return json_integer((json_int_t)*(const uint64_t *)p);
	case TM_CFG_F_DBL: return json_real(*(const double *)p);
	case TM_CFG_F_BOOL: return json_boolean(*(const bool *)p);
	case TM_CFG_F_INT:
		tm_cfg_enum_name(k->arg, *(const int *)p, name, sizeof(name));
		return json_string(name);
	case TM_CFG_F_STR: return json_string(p);
	case TM_CFG_F_NONE: break;
	}
	return json_null();
}

/* Every table-mapped key of scope, in table order. */
static void emit_scope(json_t *obj, const char *scope, const void *base,
		       bool skip_gen_only)
{
	size_t i;

	for (i = 0; i < tm_cfg_nr_keys; i++) {
		const struct tm_cfg_key *k = &tm_cfg_keys[i];

		if (!in_scope(k, scope) || k->field == TM_CFG_F_NONE ||
		    (skip_gen_only && (k->flags & TM_CFG_GEN_ONLY)))
			continue;
		json_object_set_new(obj, key_of(k), field_json(k, base));
	}
}

/* A kinded map (identifier, rebalancer): its selector and kind name, the
 * kind's own keys (schema order), then the keys every kind takes. */
static json_t *kinded_json(const char *selector, const char *name,
			   const struct tm_kind *k, const void *own,
			   const struct tm_cfg_key *common, size_t nr_common,
			   const void *base)
{
	json_t *o = json_object();

	json_object_set_new(o, selector, json_string(name));
	for (size_t i = 0; i < k->nr_keys; i++)
		if (k->keys[i].field != TM_CFG_F_NONE)
			json_object_set_new(o, k->keys[i].pattern,
					    field_json(&k->keys[i], own));
	for (size_t i = 0; i < nr_common; i++)
		if (strcmp(common[i].pattern, selector) != 0)
			json_object_set_new(o, common[i].pattern,
					    field_json(&common[i], base));
	return o;
}

static json_t *ident_json(const struct tm_ident_config *ic)
{
	return kinded_json("kind", ic->kind, &ic->ops->kind, ic->own.bytes,
			   tm_ident_common_keys, tm_ident_nr_common_keys, ic);
}

static json_t *policy_json(const struct tm_rebalancer_config *rc)
{
	return kinded_json("policy", rc->policy, &rc->ops->kind, rc->own.bytes,
			   tm_rb_common_keys, tm_rb_nr_common_keys, rc);
}

/* A parsed value of row k as JSON (for defaults that are not stored). */
static json_t *val_json(const struct tm_cfg_key *k, const struct tm_cfg_val *v)
{
	switch (k->field) {
	case TM_CFG_F_U32: case TM_CFG_F_U64:
		return json_integer((json_int_t)v->u);
	case TM_CFG_F_DBL: return json_real(v->d);
	case TM_CFG_F_BOOL: return json_boolean(v->u != 0);
	default: return json_null();
	}
}

/* summary.json's part echo predates per-generator schemas: every part
 * shows these keys in this order, a key its generator does not take with
 * the value version 1 showed (stride: the page size); then the entries of
 * its list (moves, [] without one) and any other key of its generator. */
static const struct { const char *key, *absent; } echo_v1[] = {
	{ "s", "1.0" }, { "hot", "0" }, { "hot_share", "0.9" },
	{ "hot_offset", "0" }, { "stride", NULL }, { "permute", "false" },
};

static json_t *list_json(const struct tm_gen_part *g)
{
	const struct tm_gen_list *l = g->gen->list;
	json_t *a = json_array(), *e;
	uint32_t nr = l ? *(const uint32_t *)(const void *)(g->cfg + l->off_nr) : 0;

	for (uint32_t i = 0; i < nr; i++) {
		e = json_object();
		for (size_t r = 0; r < l->nr_keys; r++)
			json_object_set_new(e, l->keys[r].pattern,
					    field_json(&l->keys[r], g->cfg +
						       l->off_items + i * l->sz_item));
		json_array_append_new(a, e);
	}
	return a;
}

static void echo_v1_keys(json_t *o, const struct tm_gen_part *g, uint32_t shift)
{
	struct tm_cfg_key r;   /* the row without bounds: "hot": 0 */
	struct tm_cfg_val v;
	struct tm_error e;

	for (size_t i = 0; i < sizeof(echo_v1) / sizeof(echo_v1[0]); i++) {
		const struct tm_cfg_key *own = tm_gen_part_key(g, echo_v1[i].key);
		const struct tm_cfg_key *any = gen_key("gen", echo_v1[i].key);

		if (own)
			json_object_set_new(o, own->pattern, field_json(own, g->cfg));
		else if (any && !echo_v1[i].absent)
			json_object_set_new(o, any->pattern,
					    json_integer((json_int_t)1 << shift));
		else if (any && (r = *any, r.min = 0, r.max = HUGE_VAL,
				 tm_cfg_parse(&r, echo_v1[i].absent, &v, &e) == 0))
			json_object_set_new(o, any->pattern, val_json(any, &v));
	}
}

static json_t *part_json(const struct tm_gen_part *g, uint32_t shift)
{
	const struct tm_kind *k = &g->gen->kind;
	json_t *o = json_object();

	emit_scope(o, "mixpart", g, false);
	json_object_set_new(o, "gen", json_string(k->name));
	emit_scope(o, "gen", g, false);
	echo_v1_keys(o, g, shift);
	json_object_set_new(o, g->gen->list ? g->gen->list->key : "moves",
			    list_json(g));
	for (size_t i = 0; i < k->nr_keys; i++)
		if (k->keys[i].field != TM_CFG_F_NONE &&
		    !json_object_get(o, k->keys[i].pattern))
			json_object_set_new(o, k->keys[i].pattern,
					    field_json(&k->keys[i], g->cfg));
	return o;
}

static json_t *trace_json(const struct tm_trace_config *t)
{
	json_t *o = json_object(), *phases, *ph, *mix;
	uint32_t i, j;

	if (t->source == TM_SRC_FILE)
		json_object_set_new(o, "file", json_string(t->path));
	emit_scope(o, "trace", t, t->source == TM_SRC_FILE);
	if (t->source == TM_SRC_FILE)
		return o;
	phases = json_array();
	for (i = 0; i < t->gen.nr_phases; i++) {
		ph = json_object();
		json_object_set_new(ph, "at",
				    json_integer((json_int_t)t->gen.phases[i].start_ns));
		mix = json_array();
		for (j = 0; j < t->gen.phases[i].nr_parts; j++)
			json_array_append_new(mix,
					      part_json(&t->gen.phases[i].parts[j],
							t->gen.page_shift));
		json_object_set_new(ph, "mix", mix);
		json_array_append_new(phases, ph);
	}
	json_object_set_new(o, "phases", phases);
	return o;
}

static json_t *vm_json(const struct tm_vm_config *vm)
{
	json_t *o = json_object(), *sh = json_array(), *x;
	uint32_t i;

	emit_scope(o, "vm", vm, false);
	json_object_set_new(o, "fmem", json_integer((json_int_t)vm->sz_fmem));
	json_object_set_new(o, "fmem_floor",
			    json_integer((json_int_t)vm->sz_fmem_floor));
	json_object_set_new(o, "fmem_ceiling",
			    json_integer((json_int_t)vm->sz_fmem_ceiling));
	json_object_set_new(o, "truth", json_boolean(vm->truth));
	json_object_set_new(o, "trace", trace_json(&vm->trace));
	x = json_object();
	emit_scope(x, "sampler", &vm->sampler, false);
	json_object_set_new(o, "sampler", x);
	json_object_set_new(o, "identifier", ident_json(&vm->ident));
	for (i = 0; i < vm->nr_shadow; i++)
		json_array_append_new(sh, ident_json(&vm->shadow[i]));
	json_object_set_new(o, "shadow_identifiers", sh);
	x = json_object();
	emit_scope(x, "migration", &vm->migration, false);
	json_object_set_new(o, "migration", x);
	return o;
}

static json_t *host_json(const struct tm_host_config *h)
{
	json_t *o = json_object(), *vms = json_array();
	uint32_t j;

	emit_scope(o, "host", h, false);
	json_object_set_new(o, "fmem", json_integer((json_int_t)h->sz_fmem));
	json_object_set_new(o, "smem", json_integer((json_int_t)h->sz_smem));
	json_object_set_new(o, "rebalancer", policy_json(&h->rebalancer));
	for (j = 0; j < h->nr_vms; j++)
		json_array_append_new(vms, vm_json(&h->vms[j]));
	json_object_set_new(o, "vms", vms);
	return o;
}

json_t *tm_config_to_json(const struct tm_config *cfg)
{
	json_t *o, *lat, *hosts;
	uint32_t i;

	if (!cfg)
		return NULL;
	o = json_object();
	lat = json_object();
	hosts = json_array();
	emit_scope(o, "root", cfg, false);
	json_object_set_new(o, "page_size",
			    json_integer((json_int_t)1 << cfg->page_shift));
	emit_scope(lat, "latency", cfg, false);
	json_object_set_new(o, "latency", lat);
	for (i = 0; i < cfg->nr_hosts; i++)
		json_array_append_new(hosts, host_json(&cfg->hosts[i]));
	json_object_set_new(o, "hosts", hosts);
	return o;
}
