/*
 * trace.c - step 4 for a VM's trace: a trace file, or generator parts,
 * mixtures and phases, each part checked against its generator's schema
 * (traces/gen/).
 */
#include "config.h"
#include "config_internal.h"

#include <string.h>
#include <sys/stat.h>

#include "lib/hash.h"
#include "lib/strbuf.h"
#include "lib/units.h"

/* Generator sizes are whole pages (the generator counts pages). */
static int page_aligned(struct ctx *c, const struct cnode *m, const char *path,
			const char *key, uint64_t v)
{
	uint64_t page = UINT64_C(1) << c->cfg->page_shift;
	const struct cnode *n = map_get(m, key);
	char p[512], b[32];

	if (v % page == 0)
		return 0;
	tm_format_size(page, b, sizeof(b));
	join(p, sizeof(p), path, key);
	return fail_at(c, or_node(n, m), TM_ERR_BOUNDS, p,
		       "expected a multiple of the page size %s, got \"%s\"", b,
		       n && n->kind == N_SCALAR ? n->str : "");
}

/* The generator named by the part's gen key. */
static int part_gen(struct ctx *c, const struct cnode *m, const char *path,
		    const struct tm_generator_ops **out)
{
	const struct cnode *n = map_get(m, "gen");
	char names[256], what[300], p[512];

	tm_kinds_names(&tm_generator_kinds, ", ", names, sizeof(names));
	tm_fmt(what, sizeof(what), "one of %s", names);
	if (!n)
		return missing(c, m, path, "gen", what);
	if ((*out = tm_generator_find(n->str)))
		return 0;
	tm_kinds_names(&tm_generator_kinds, ",", names, sizeof(names));
	join(p, sizeof(p), path, "gen");
	return fail_at(c, n, TM_ERR_CONFIG, p, "expected one of %s, got \"%s\"",
		       names, n->str);
}

/* A key of another generator on a part of g ("s" on a hotset part). */
static int foreign_keys(struct ctx *c, const struct cnode *m, const char *path,
			const struct tm_generator_ops *g)
{
	char p[512], own[256];

	for (uint32_t i = 0; i < m->nr; i++) {
		const char *key = m->keys[i]->str;

		if (!gen_key("gen", key) ||
		    tm_cfg_find(g->kind.keys, g->kind.nr_keys, key))
			continue;
		join(p, sizeof(p), path, key);
		return fail_at(c, m->keys[i], TM_ERR_CONFIG, p, "not a key of "
			       "generator '%s' (its keys: %s)", g->kind.name,
			       kind_keys(&g->kind, own, sizeof(own)));
	}
	return 0;
}

/* Parse the scalar of row k in m (or its default) and store it at base. */
static int fill_row(struct ctx *c, const struct cnode *m, const char *path,
		    const struct tm_cfg_key *k, void *base, const char *kind)
{
	const struct cnode *n = map_get(m, k->pattern);
	struct tm_cfg_val v;
	struct tm_error e;
	char p[512], what[128];

	tm_fmt(what, sizeof(what), "%s for gen %s", tm_cfg_type_desc(k), kind);
	if (!n && (k->flags & TM_CFG_REQUIRED))
		return missing(c, m, path, k->pattern, what);
	if (!n)
		return 0;       /* tm_gen_part_init stored the default */
	join(p, sizeof(p), path, k->pattern);
	if (n->kind != N_SCALAR)
		return fail_at(c, n, TM_ERR_CONFIG, p, "expected %s",
			       tm_cfg_type_desc(k));
	if (tm_cfg_parse(k, n->str, &v, &e) < 0)
		return fail_at(c, n, e.code, p, "%s", e.msg);
	tm_cfg_store(k, base, &v);
	return 0;
}

/* The entries of the generator's list key (hotset: moves). */
static int fill_list(struct ctx *c, const struct cnode *m, const char *path,
		     struct tm_gen_part *g)
{
	const struct tm_gen_list *l = g->gen->list;
	const struct cnode *ms = map_get(m, l->key);
	char p[512], lp[512];
	uint32_t i;

	join(lp, sizeof(lp), path, l->key);
	for (i = 0; ms && i < ms->nr && i < l->max; i++) {
		unsigned char *item = g->cfg + l->off_items + i * l->sz_item;

		join_idx(p, sizeof(p), lp, i);
		for (size_t r = 0; r < l->nr_keys; r++)
			if (fill_row(c, ms->kids[i], p, &l->keys[r], item,
				     g->gen->kind.name) < 0)
				return -1;
	}
	*(uint32_t *)(void *)(g->cfg + l->off_nr) = i;
	return 0;
}

/* Every key of the part's generator schema. */
static int fill_gen_own(struct ctx *c, const struct cnode *m, const char *path,
			struct tm_gen_part *g)
{
	const struct tm_kind *k = &g->gen->kind;

	for (size_t i = 0; i < k->nr_keys; i++) {
		if (k->keys[i].type == TM_CFG_LIST) {
			if (g->gen->list && fill_list(c, m, path, g) < 0)
				return -1;
		} else if (fill_row(c, m, path, &k->keys[i], g->cfg, k->name) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The node of a key path "hot" or "moves[1].offset" in m, or NULL. */
static const struct cnode *key_node(const struct cnode *m, const char *key)
{
	const char *br = strchr(key, '['), *dot;
	const struct cnode *l;
	char name[64];
	unsigned long i;

	if (!br)
		return map_get(m, key);
	tm_fmt(name, sizeof(name), "%.*s", (int)(br - key), key);
	i = strtoul(br + 1, NULL, 10);
	dot = strchr(br, '.');
	l = map_get(m, name);
	if (!l || l->kind != N_SEQ || i >= l->nr)
		return NULL;
	return dot ? map_get(l->kids[i], dot + 1) : l->kids[i];
}

/* The generator's rules between keys (check op), located at the key. */
static int check_part(struct ctx *c, const struct cnode *m, const char *path,
		      const struct tm_gen_part *g)
{
	const struct cnode *n;
	struct tm_error e = { 0 };
	char key[64], p[512];

	if (!g->gen->check ||
	    g->gen->check(g, c->cfg->page_shift, key, sizeof(key), &e) == 0)
		return 0;
	n = key_node(m, key);
	join(p, sizeof(p), path, key);
	if (n && n->kind == N_SCALAR)
		return fail_at(c, n, e.code, p, "%s, got \"%s\"", e.msg, n->str);
	return fail_at(c, or_node(n, m), e.code, p, "%s", e.msg);
}

static int fill_part(struct ctx *c, const struct cnode *m, const char *path,
		     const struct part_env *env, struct tm_gen_part *g)
{
	const struct tm_generator_ops *gen;

	if (part_gen(c, m, path, &gen) < 0 || foreign_keys(c, m, path, gen) < 0)
		return -1;
	tm_gen_part_init(g, gen);
	if (fill_scope(c, m, "gen", g, path) < 0 || fill_gen_own(c, m, path, g) < 0)
		return -1;
	if (!map_get(m, "footprint"))
		g->sz_footprint = env->vm->sz_mem;
	if (gen->derive)
		gen->derive(g->cfg, env->cfg->page_shift);
	/* the part's seed (zipf: its rank permutation, unless permute: false) */
	g->seed = tm_splitmix64_of(env->cfg->seed ^ ((uint64_t)env->phase << 32 |
						      env->part)) | 1;
	if (page_aligned(c, m, path, "footprint", g->sz_footprint) < 0 ||
	    page_aligned(c, m, path, "base", g->base) < 0)
		return -1;
	return check_part(c, m, path, g);
}

/* With mix (or phases) the generator keys belong in the entries. */
static int no_part_keys(struct ctx *c, const struct cnode *m, const char *path,
			const char *where)
{
	char p[512];
	uint32_t i;

	for (i = 0; i < m->nr; i++) {
		if (!find_key_in("gen", m->keys[i]->str) &&
		    !gen_key("gen", m->keys[i]->str))
			continue;
		join(p, sizeof(p), path, m->keys[i]->str);
		return fail_at(c, m->keys[i], TM_ERR_CONFIG, p,
			       "expected this key inside the %s entries", where);
	}
	return 0;
}

/* The parts of one phase: m has gen keys (one part) or a mix list. */
static int fill_parts(struct ctx *c, const struct cnode *m, const char *path,
		      struct part_env *env, struct tm_gen_phase *ph)
{
	const struct cnode *mix = map_get(m, "mix");
	char mp[512], p[512];
	uint32_t i;

	if (!mix) {
		ph->nr_parts = 1;
		env->part = 0;
		return fill_part(c, m, path, env, &ph->parts[0]);
	}
	if (no_part_keys(c, m, path, "mix") < 0)
		return -1;
	join(mp, sizeof(mp), path, "mix");
	for (i = 0; i < mix->nr; i++) {
		join_idx(p, sizeof(p), mp, i);
		env->part = i;
		if (fill_part(c, mix->kids[i], p, env, &ph->parts[i]) < 0 ||
		    fill_scope(c, mix->kids[i], "mixpart", &ph->parts[i], p) < 0)
			return -1;
	}
	ph->nr_parts = mix->nr;
	return 0;
}

static int fill_phases(struct ctx *c, const struct cnode *ps, const char *path,
		       struct part_env *env, struct tm_gen_spec *g)
{
	const struct cnode *at, *it;
	char p[512], ap[512], prev[32];
	struct tm_cfg_val v;
	uint32_t i;

	for (i = 0; i < ps->nr; i++) {
		it = ps->kids[i];
		join_idx(p, sizeof(p), path, i);
		join(ap, sizeof(ap), p, "at");
		if (value_of(c, it, "phase", "at", p, &v, &at) < 0)
			return -1;
		tm_format_time(i ? g->phases[i - 1].start_ns : 0, prev, sizeof(prev));
		if (i == 0 && v.u != 0)
			return fail_at(c, at, TM_ERR_CONFIG, ap,
				       "expected 0 for the first phase, got "
				       "\"%s\"", at->str);
		if (i && v.u <= g->phases[i - 1].start_ns)
			return fail_at(c, at, TM_ERR_CONFIG, ap,
				       "expected a time after the previous "
				       "phase (%s), got \"%s\"", prev, at->str);
		if (map_get(it, "mix") && map_get(it, "gen"))
			return fail_at(c, it, TM_ERR_CONFIG, p,
				       "expected either gen or mix, got both");
		g->phases[i].start_ns = v.u;
		env->phase = i;
		if (fill_parts(c, it, p, env, &g->phases[i]) < 0)
			return -1;
	}
	g->nr_phases = ps->nr;
	return 0;
}

static int fill_gen_spec(struct ctx *c, const struct cnode *t, const char *path,
			 const struct tm_vm_config *vm, struct tm_trace_config *tc)
{
	struct part_env env = { .cfg = c->cfg, .vm = vm };
	struct tm_gen_spec *g = &tc->gen;
	const struct cnode *ps = map_get(t, "phases");
	char p[512];

	tc->source = TM_SRC_GEN;
	g->page_shift = c->cfg->page_shift;
	if (!map_get(t, "duration"))
		g->duration_ns = c->cfg->duration_ns;
	if (!map_get(t, "vcpus"))
		g->nr_vcpus = vm->nr_vcpus;
	if (!map_get(t, "load_period"))
		g->load_period = vm->sampler.load_period;
	if (!map_get(t, "store_period"))
		g->store_period = vm->sampler.store_period;
	if (!ps) {
		g->nr_phases = 1;
		return fill_parts(c, t, path, &env, &g->phases[0]);
	}
	if (no_part_keys(c, t, path, "phases") < 0)
		return -1;
	join(p, sizeof(p), path, "phases");
	return fill_phases(c, ps, p, &env, g);
}

static int fill_trace_file(struct ctx *c, const struct cnode *t,
			   const char *path, struct tm_trace_config *tc)
{
	const struct cnode *f = map_get(t, "file");
	struct stat st;
	char p[512];
	uint32_t i;
	int n;

	for (i = 0; i < t->nr; i++) {
		const struct tm_cfg_key *k = find_key("trace", t->keys[i]->str);

		join(p, sizeof(p), path, t->keys[i]->str);
		if (k->flags & TM_CFG_GEN_ONLY)
			return fail_at(c, t->keys[i], TM_ERR_CONFIG, p,
				       "expected no generator keys in a trace "
				       "that reads a file");
	}
	tc->source = TM_SRC_FILE;
	n = snprintf(tc->path, sizeof(tc->path), "%s%s",
		     f->str[0] == '/' ? "" : c->dir, f->str);
	join(p, sizeof(p), path, "file");
	if (n < 0 || (size_t)n >= sizeof(tc->path))
		return fail_at(c, f, TM_ERR_BOUNDS, p,
			       "expected a path of at most %d bytes",
			       TM_PATH_MAX - 1);
	if (stat(tc->path, &st) < 0)
		return fail_at(c, f, TM_ERR_NOTFOUND, p,
			       "expected an existing trace file, \"%s\" "
			       "not found", tc->path);
	if (!S_ISREG(st.st_mode))
		return fail_at(c, f, TM_ERR_NOTFOUND, p,
			       "expected a trace file, \"%s\" is not a "
			       "regular file", tc->path);
	return 0;
}

static const char *const trace_sources[] = { "file", "gen", "mix", "phases" };

int fill_trace(struct ctx *c, const struct cnode *t, const char *path,
		      struct tm_vm_config *vm)
{
	const char *found[4];
	unsigned i, nr = 0;

	for (i = 0; i < 4; i++)
		if (map_get(t, trace_sources[i]))
			found[nr++] = trace_sources[i];
	if (nr == 0)
		return fail_at(c, t, TM_ERR_CONFIG, path,
			       "expected one of file, gen, mix or phases");
	if (nr > 1)
		return fail_at(c, t, TM_ERR_CONFIG, path,
			       "expected only one of file, gen, mix or phases, "
			       "got %s and %s", found[0], found[1]);
	if (fill_scope(c, t, "trace", &vm->trace, path) < 0)
		return -1;
	if (map_get(t, "file"))
		return fill_trace_file(c, t, path, &vm->trace);
	return fill_gen_spec(c, t, path, vm, &vm->trace);
}

static bool is_trace_source(const char *key)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (strcmp(key, trace_sources[i]) == 0)
			return true;
	return false;
}

const char *source_of(const struct cnode *t)
{
	uint32_t i;

	for (i = 0; i < t->nr; i++)
		if (is_trace_source(t->keys[i]->str))
			return t->keys[i]->str;
	return NULL;
}
