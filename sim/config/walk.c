/*
 * walk.c - step 3 of the loader: one walk of the tree against the bounds
 * table (unknown and duplicate keys, types, units, bounds) before anything
 * is sized from the input; a kinded map that names its kind has its own
 * keys checked against the kind's schema here.
 */
#include "config.h"
#include "config_internal.h"

#include <string.h>

#include "lib/strbuf.h"

/* A kinded map that names its kind, or sits in defaults: (where the
 * default kind applies), has its own keys checked now; a VM's map without
 * a selector inherits the kind from defaults:, so fill_own checks it. */
static int walk_own(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path)
{
	struct tm_kind_config scratch;
	const struct tm_kind *k;
	struct kinded kd;
	const struct cnode *sel;

	if (!kinded_scope(scope, &kd))
		return 0;
	sel = map_get(m, kd.selector);
	if (!sel && strncmp(path, "defaults", 8) != 0)
		return 0;
	if (sel && sel->kind != N_SCALAR)
		return 0;   /* walk_value reported it */
	k = find_kind(c, m, scope, kind_of(m, &kd), path);
	return k ? fill_own(c, m, scope, path, k, scratch.bytes) : -1;
}

static int walk_map(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path);

static int walk_list(struct ctx *c, const struct tm_cfg_key *k,
		     const struct cnode *n, const char *path)
{
	static const struct tm_cfg_key item = { .type = TM_CFG_MAP };
	char p[512];
	uint32_t i;

	if (want_kind(c, k, n, N_SEQ, path) < 0)
		return -1;
	if (n->nr < k->min || n->nr > k->max)
		return fail_at(c, n, TM_ERR_BOUNDS, path,
			       "expected %.0f to %.0f entries, got %u", k->min,
			       k->max, n->nr);
	for (i = 0; i < n->nr; i++) {
		join_idx(p, sizeof(p), path, i);
		if (want_kind(c, &item, n->kids[i], N_MAP, p) < 0 ||
		    walk_map(c, n->kids[i], k->arg, p) < 0)
			return -1;
	}
	return 0;
}

/* truth.vms: "all" or a list of names. */
static int walk_names(struct ctx *c, const struct tm_cfg_key *k,
		      const struct cnode *n, const char *path)
{
	static const struct tm_cfg_key name = { .type = TM_CFG_NAME, .min = 1,
						.max = TM_NAME_MAX - 1 };
	char p[512];
	uint32_t i;

	if (n->kind == N_SCALAR && strcmp(n->str, "all") == 0)
		return 0;
	if (want_kind(c, k, n, N_SEQ, path) < 0)
		return -1;
	for (i = 0; i < n->nr; i++) {
		struct tm_error e;
		struct tm_cfg_val v;

		join_idx(p, sizeof(p), path, i);
		if (want_kind(c, &name, n->kids[i], N_SCALAR, p) < 0)
			return -1;
		if (tm_cfg_parse(&name, n->kids[i]->str, &v, &e) < 0)
			return fail_at(c, n->kids[i], e.code, p, "%s", e.msg);
	}
	return 0;
}

static int walk_value(struct ctx *c, const struct tm_cfg_key *k,
		      const struct cnode *n, const char *path)
{
	struct tm_error e;
	struct tm_cfg_val v;

	switch (k->type) {
	case TM_CFG_MAP:
		if (want_kind(c, k, n, N_MAP, path) < 0)
			return -1;
		return walk_map(c, n, k->arg, path);
	case TM_CFG_LIST:
		return walk_list(c, k, n, path);
	case TM_CFG_NAMES:
		return walk_names(c, k, n, path);
	default:
		if (want_kind(c, k, n, N_SCALAR, path) < 0)
			return -1;
		if (tm_cfg_parse(k, n->str, &v, &e) < 0)
			return fail_at(c, n, e.code, path, "%s", e.msg);
		return 0;
	}
}

static int walk_map(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path)
{
	bool in_defaults = strcmp(path, "defaults") == 0;
	struct kinded kd;
	/* a kinded map that names its kind: walk_own checks the keys that are
	 * not common against that kind, and names it in the error */
	bool own_named = kinded_scope(scope, &kd) && map_get(m, kd.selector);
	char p[512], keys[768];
	uint32_t i, j;

	for (i = 0; i < m->nr; i++) {
		const struct cnode *key = m->keys[i];
		const struct tm_cfg_key *k = find_key(scope, key->str);

		join(p, sizeof(p), path, key->str);
		/* a key of some kind: checked against its kind in fill_own */
		if ((!k && !own_named && !some_kind_takes(scope, key->str)) ||
		    (k && in_defaults && (k->flags & TM_CFG_NO_DEFAULTS))) {
			list_keys(scope, in_defaults, keys, sizeof(keys));
			return fail_at(c, key, TM_ERR_CONFIG, p,
				       "unknown key%s; expected one of: %s",
				       k ? " in defaults (it names one VM)" : "",
				       keys);
		}
		for (j = 0; j < i; j++)
			if (strcmp(m->keys[j]->str, key->str) == 0)
				return fail_at(c, key, TM_ERR_CONFIG, p,
					       "duplicate key (first at line %u)",
					       m->keys[j]->line);
		if (k && walk_value(c, k, m->kids[i], p) < 0)
			return -1;
	}
	return walk_own(c, m, scope, path);
}

int walk_root(struct ctx *c)
{
	static const struct tm_cfg_key top = { .type = TM_CFG_MAP };

	if (!c->root)
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "%s:1:1: hosts: expected a list of hosts, "
				    "got an empty file", c->file);
	if (want_kind(c, &top, c->root, N_MAP, "(document)") < 0)
		return -1;
	return walk_map(c, c->root, "root", "");
}
