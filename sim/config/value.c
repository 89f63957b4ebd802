/*
 * value.c - reading a mapping's keys, shared by the walk (walk.c) and the
 * fill (fill.c, trace.c): the shape a node must have, one key's value or
 * its default, every table-mapped key of a scope, and a kinded scope's
 * map (common keys, then the chosen kind's own schema).
 */
#include "config.h"
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

static void got_desc(const struct cnode *n, char *buf, size_t sz)
{
	if (n->kind == N_MAP)
		tm_fmt(buf, sz, "a mapping");
	else if (n->kind == N_SEQ)
		tm_fmt(buf, sz, "a list");
	else
		tm_fmt(buf, sz, "\"%.64s\"", n->str);
}

int want_kind(struct ctx *c, const struct tm_cfg_key *k,
		     const struct cnode *n, enum nkind kind, const char *path)
{
	char got[80];

	if (n->kind == kind)
		return 0;
	got_desc(n, got, sizeof(got));
	return fail_at(c, n, TM_ERR_CONFIG, path, "expected %s, got %s",
		       tm_cfg_type_desc(k), got);
}

const struct cnode *or_node(const struct cnode *n, const struct cnode *m)
{
	return n ? n : m;
}

int missing(struct ctx *c, const struct cnode *m, const char *path,
		   const char *key, const char *what)
{
	char p[512];

	join(p, sizeof(p), path, key);
	return fail_at(c, m, TM_ERR_CONFIG, p, "expected %s, the key is missing",
		       what);
}

/* The value of key in map m (or its default).  *pn: the node, NULL when the
 * default was used or there is none (v is then zero). */
int value_of(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *key, const char *path, struct tm_cfg_val *v,
		    const struct cnode **pn)
{
	const struct tm_cfg_key *k = find_key(scope, key);
	const struct cnode *n = map_get(m, key);
	struct tm_error e;
	char p[512];

	memset(v, 0, sizeof(*v));
	if (pn)
		*pn = n;
	if (!n && (k->flags & TM_CFG_REQUIRED))
		return missing(c, m, path, key, tm_cfg_type_desc(k));
	if (!n && !k->def)
		return 0;
	if (tm_cfg_parse(k, n ? n->str : k->def, v, &e) == 0)
		return 0;
	join(p, sizeof(p), path, key);
	return fail_at(c, or_node(n, m), e.code, p, "%s", e.msg);
}

/* Store every table-mapped key of scope (given or default) into base. */
int fill_scope(struct ctx *c, const struct cnode *m, const char *scope,
		      void *base, const char *path)
{
	const struct cnode *n;
	struct tm_cfg_val v;
	struct kinded kd;
	bool kinded = kinded_scope(scope, &kd);
	size_t i, nr = kinded ? kd.nr_common : tm_cfg_nr_keys;

	for (i = 0; i < nr; i++) {
		const struct tm_cfg_key *k = kinded ? &kd.common[i] :
						      &tm_cfg_keys[i];

		if (!kinded && (!in_scope(k, scope) || k->field == TM_CFG_F_NONE))
			continue;
		if (value_of(c, m, scope, key_of(k), path, &v, &n) < 0)
			return -1;
		if (n || k->def)
			tm_cfg_store(k, base, &v);
	}
	return 0;
}

/* A kinded map's own keys (every key that is not common) against its
 * kind's schema, into own (defaults first). */
int fill_own(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path, const struct tm_kind *kind, void *own)
{
	char p[512], keys[512], own_keys[512];

	memset(own, 0, kind->config_size);
	tm_cfg_set_defaults(kind->keys, kind->nr_keys, own);
	for (uint32_t i = 0; m && i < m->nr; i++) {
		const struct tm_cfg_key *k;
		struct tm_cfg_val v;
		struct tm_error e;

		if (find_key(scope, m->keys[i]->str))
			continue;   /* common: fill_scope stored it */
		join(p, sizeof(p), path, m->keys[i]->str);
		k = tm_cfg_find(kind->keys, kind->nr_keys, m->keys[i]->str);
		if (!k) {
			common_keys(scope, keys, sizeof(keys));
			return fail_at(c, m->keys[i], TM_ERR_CONFIG, p,
				       "not a key of %s '%s' (its keys: %s; "
				       "every %s takes: %s)", scope, kind->name,
				       kind_keys(kind, own_keys, sizeof(own_keys)),
				       scope, keys);
		}
		if (want_kind(c, k, m->kids[i], N_SCALAR, p) < 0)
			return -1;
		if (tm_cfg_parse(k, m->kids[i]->str, &v, &e) < 0)
			return fail_at(c, m->kids[i], e.code, p, "%s", e.msg);
		tm_cfg_store(k, own, &v);
	}
	return 0;
}

/* The kind named by a kinded map (after its common keys are filled). */
const struct tm_kind *find_kind(struct ctx *c, const struct cnode *m,
				       const char *scope, const char *name,
				       const char *path)
{
	const struct cnode *n;
	struct kinded kd;
	const struct tm_kind *k;
	char names[256], p[512];

	if (!kinded_scope(scope, &kd))
		abort();   /* callers pass kinded scopes only */
	if ((k = tm_kinds_find(kd.family, name)))
		return k;
	n = map_get(m, kd.selector);
	tm_kinds_names(kd.family, ", ", names, sizeof(names));
	join(p, sizeof(p), path, kd.selector);
	fail_at(c, or_node(n, m), TM_ERR_CONFIG, p,
		"expected one of %s, got \"%s\"", names, name);
	return NULL;
}

/* A kinded map: its common keys into base, then the kind its selector
 * names (name: base's copy of it) and that kind's own keys into own.
 * Returns the kind, or NULL after reporting the error. */
const struct tm_kind *fill_kinded(struct ctx *c, const struct cnode *m,
				  const char *scope, const char *path,
				  void *base, const char *name, void *own)
{
	const struct tm_kind *k;

	if (fill_scope(c, m, scope, base, path) < 0 ||
	    !(k = find_kind(c, m, scope, name, path)) ||
	    fill_own(c, m, scope, path, k, own) < 0)
		return NULL;
	return k;
}
