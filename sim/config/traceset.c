/*
 * traceset.c - step 2b of the loader: a `traces: DIR` entry in a host's VM
 * list becomes one VM entry per stream of DIR/index.json (a folder written
 * by `tmsim import --split`; traces/traceset.h), before the walk checks
 * keys, so each VM is then checked like one written out by hand.
 *
 * The entry's other keys are every VM's: its `trace:` holds reuse keys
 * (addr_offset, time_offset, time_scale, loop) and gets `file: DIR/<file>`;
 * `name:`, when given, prefixes the stream's name (`<name>-<stem>`), else
 * the VM is named after its file (`<comm>-<pid>`, `cpu3`: the file stem,
 * '.' as '_'); `memory:`, unless given here or in defaults:, is twice the
 * stream's footprint in whole MiB, at least 16MiB, as in the cluster.yaml
 * the split writes.  New nodes carry the line:col of the `traces:` key, so
 * an error about them points there.  DIR, if relative, is the config
 * file's folder's, like a trace file.
 */
#include "config.h"
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/strbuf.h"
#include "traces/traceset.h"

#define MIN_MEMORY (16ULL << 20) /* the split's cluster.yaml: 16MiB at least */

static struct cnode *scalar(struct ctx *c, const struct cnode *at, const char *s)
{
	struct cnode *n = node_new(c, N_SCALAR, at->line, at->col, at->ov);

	n->str = tm_xstrdup(s);
	return n;
}

static void add(struct ctx *c, struct cnode *m, const struct cnode *at,
		const char *key, const char *value)
{
	node_add(m, scalar(c, at, key), scalar(c, at, value));
}

/* The entry's keys that no VM of the set may hold, located. */
static int check_entry(struct ctx *c, const struct cnode *el, const char *path)
{
	const struct cnode *t = map_get(el, "traces"), *tr = map_get(el, "trace");
	static const char *const sources[] = { "file", "gen", "mix", "phases" };
	char p[512], tp[512];

	join(p, sizeof(p), path, "traces");
	if (t->kind != N_SCALAR || !t->str[0])
		return fail_at(c, t, TM_ERR_CONFIG, p, "expected a directory "
			       "written by tmsim import --split");
	if (map_get(el, "replicate")) {
		join(p, sizeof(p), path, "replicate");
		return fail_at(c, map_get(el, "replicate"), TM_ERR_CONFIG, p,
			       "expected no replicate with traces: (one VM per "
			       "stream already)");
	}
	for (unsigned i = 0; tr && tr->kind == N_MAP && i < 4; i++)
		if (map_get(tr, sources[i])) {
			join(tp, sizeof(tp), path, "trace");
			join(p, sizeof(p), tp, sources[i]);
			return fail_at(c, tr->keys[map_find(tr, sources[i])],
				       TM_ERR_CONFIG, p, "expected only reuse keys "
				       "(addr_offset, time_offset, time_scale, "
				       "loop) with traces:; the streams are the "
				       "source");
		}
	return 0;
}

/* One VM entry for stream s of the set at dir (as written). */
static struct cnode *stream_vm(struct ctx *c, const struct cnode *el,
			       const char *dir, const struct tm_traceset_stream *s)
{
	const struct cnode *at = map_get(el, "traces"), *name = map_get(el, "name");
	const struct cnode *tr = map_get(el, "trace"), *defs = map_get(c->root, "defaults");
	struct cnode *m = node_new(c, N_MAP, el->line, el->col, el->ov);
	struct cnode *t = node_new(c, N_MAP, at->line, at->col, at->ov);
	char buf[4096 + 128];
	uint64_t mem;

	for (uint32_t i = 0; i < el->nr; i++) {
		const char *k = el->keys[i]->str;

		if (strcmp(k, "traces") && strcmp(k, "name") && strcmp(k, "trace"))
			node_add(m, el->keys[i], el->kids[i]);
	}
	if (name && name->kind == N_SCALAR)
		tm_fmt(buf, sizeof(buf), "%s-%s", name->str, s->name);
	else
		tm_fmt(buf, sizeof(buf), "%s", s->name);
	add(c, m, at, "name", buf);
	for (uint32_t i = 0; tr && tr->kind == N_MAP && i < tr->nr; i++)
		node_add(t, tr->keys[i], tr->kids[i]);
	tm_fmt(buf, sizeof(buf), "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
	       s->file);
	add(c, t, at, "file", buf);
	node_add(m, scalar(c, at, "trace"), t);
	if (!map_get(el, "memory") && !map_get(defs, "memory")) {
		/* twice the pages it touched, whole MiB (the split's rule) */
		mem = s->sz_footprint > (1ULL << 50) ? 1ULL << 51 : /* the walk refuses it */
		      (2 * s->sz_footprint + (1u << 20) - 1) >> 20 << 20;
		tm_fmt(buf, sizeof(buf), "%lluMiB", (unsigned long long)
		       ((mem < MIN_MEMORY ? MIN_MEMORY : mem) >> 20));
		add(c, m, at, "memory", buf);
	}
	return m;
}

/* Replace vms->kids[j] by the set's VMs; *nr: how many. */
static int expand_one(struct ctx *c, struct cnode *vms, uint32_t j,
		      const char *path, uint32_t *nr)
{
	const struct cnode *el = vms->kids[j], *t = map_get(el, "traces");
	struct tm_traceset ts;
	struct tm_error e = { 0 };
	struct cnode **kids;
	char dir[TM_PATH_MAX + 8], p[512];

	if (check_entry(c, el, path) < 0)
		return -1;
	tm_fmt(dir, sizeof(dir), "%s%s", t->str[0] == '/' ? "" : c->dir, t->str);
	join(p, sizeof(p), path, "traces");
	if (tm_traceset_read(dir, &ts, &e) < 0)
		return fail_at(c, t, e.code, p, "%s", e.msg);
	kids = tm_xcalloc(vms->nr + ts.nr, sizeof(*kids));
	memcpy(kids, vms->kids, j * sizeof(*kids));
	for (size_t i = 0; i < ts.nr; i++)
		kids[j + i] = stream_vm(c, el, t->str, &ts.s[i]);
	memcpy(kids + j + ts.nr, vms->kids + j + 1, (vms->nr - j - 1) * sizeof(*kids));
	free(vms->kids);
	vms->kids = kids;
	vms->nr += (uint32_t)ts.nr - 1;
	vms->cap = vms->nr + 1;
	*nr = (uint32_t)ts.nr;
	tm_traceset_free(&ts);
	return 0;
}

int expand_tracesets(struct ctx *c)
{
	const struct cnode *hosts = map_get(c->root, "hosts");
	char path[96];

	for (uint32_t i = 0; hosts && hosts->kind == N_SEQ && i < hosts->nr; i++) {
		struct cnode *vms = (struct cnode *)map_get(hosts->kids[i], "vms");
		uint32_t j = 0, nr;

		while (vms && vms->kind == N_SEQ && j < vms->nr) {
			const struct cnode *el = vms->kids[j];

			tm_fmt(path, sizeof(path), "hosts[%u].vms[%u]", i, j);
			nr = 1;
			if (el->kind == N_MAP && map_get(el, "traces") &&
			    expand_one(c, vms, j, path, &nr) < 0)
				return -1;
			j += nr;
		}
	}
	return 0;
}
