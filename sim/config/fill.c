/*
 * fill.c - step 4 of the loader: defaults: merged under each VM,
 * replicate: expanded, derived defaults, the kinded scopes filled from
 * their kinds' schemas, hosts and VMs checked across keys (names, FMEM
 * shares and capacities, truth).
 */
#include "config.h"
#include "config_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/strbuf.h"
#include "lib/units.h"

/* fmem, fmem_floor, fmem_ceiling: a size, or a share of memory rounded
 * down to whole pages. */
static int resolve_fmem(struct ctx *c, const struct cnode *m, const char *key,
			const char *path, uint64_t *out)
{
	uint64_t mem = *out, page = UINT64_C(1) << c->cfg->page_shift;
	const struct cnode *n;
	char p[512], b[32];
	struct tm_cfg_val v;

	if (value_of(c, m, "vm", key, path, &v, &n) < 0)
		return -1;
	join(p, sizeof(p), path, key);
	if (v.pct) {
		*out = (uint64_t)(v.d * (double)mem) / page * page;
		return 0;
	}
	tm_format_size(page, b, sizeof(b));
	if (v.u % page)
		return fail_at(c, or_node(n, m), TM_ERR_BOUNDS, p,
			       "expected a multiple of the page size %s, got "
			       "\"%s\"", b, v.s);
	tm_format_size(mem, b, sizeof(b));
	if (v.u > mem)
		return fail_at(c, or_node(n, m), TM_ERR_BOUNDS, p,
			       "expected at most the VM's memory (%s), got "
			       "\"%s\"", b, v.s);
	*out = v.u;
	return 0;
}

static int fill_fmem(struct ctx *c, const struct cnode *m, const char *path,
		     struct tm_vm_config *vm)
{
	const struct cnode *f = map_get(m, "fmem"), *n = or_node(f, m);
	const char *text = f ? f->str : find_key("vm", "fmem")->def;
	char p[512], lo[32], hi[32];

	vm->sz_fmem = vm->sz_fmem_floor = vm->sz_fmem_ceiling = vm->sz_mem;
	if (resolve_fmem(c, m, "fmem", path, &vm->sz_fmem) < 0 ||
	    resolve_fmem(c, m, "fmem_floor", path, &vm->sz_fmem_floor) < 0 ||
	    resolve_fmem(c, m, "fmem_ceiling", path, &vm->sz_fmem_ceiling) < 0)
		return -1;
	tm_format_size(vm->sz_fmem_floor, lo, sizeof(lo));
	tm_format_size(vm->sz_fmem_ceiling, hi, sizeof(hi));
	join(p, sizeof(p), path, "fmem");
	if (vm->sz_fmem < vm->sz_fmem_floor || vm->sz_fmem > vm->sz_fmem_ceiling)
		return fail_at(c, n, TM_ERR_BOUNDS, p,
			       "expected between fmem_floor (%s) and "
			       "fmem_ceiling (%s), got \"%s\"", lo, hi, text);
	return 0;
}

/* identifier: {kind, common keys, the kind's own keys}.  The ops table
 * begins with its kind, so the kind's address is the table's. */
static int fill_ident(struct ctx *c, const struct cnode *m, const char *path,
		      struct tm_ident_config *ic)
{
	const struct tm_kind *k = fill_kinded(c, m, "identifier", path, ic,
					      ic->kind, ic->own.bytes);

	ic->ops = (const struct tm_identifier_ops *)k;
	if (k && !map_get(m, "cost_per_update"))
		ic->cost_ns_per_update = ic->ops->cost_ns;
	return k ? 0 : -1;
}

/* rebalancer: {policy, common keys, the policy's own keys}. */
static int fill_policy(struct ctx *c, const struct cnode *m, const char *path,
		       struct tm_rebalancer_config *rc)
{
	const struct tm_kind *k = fill_kinded(c, m, "rebalancer", path, rc,
					      rc->policy, rc->own.bytes);

	rc->ops = (const struct tm_rebalancer_ops *)k;
	return k ? 0 : -1;
}

static int fill_vm_models(struct ctx *c, const struct cnode *m,
			  const char *path, struct tm_vm_config *vm)
{
	const struct cnode *sh = map_get(m, "shadow_identifiers");
	char p[512], sp[512];
	uint32_t i;

	join(p, sizeof(p), path, "sampler");
	if (fill_scope(c, map_get(m, "sampler"), "sampler", &vm->sampler, p) < 0)
		return -1;
	join(p, sizeof(p), path, "identifier");
	if (fill_ident(c, map_get(m, "identifier"), p, &vm->ident) < 0)
		return -1;
	join(p, sizeof(p), path, "migration");
	if (fill_scope(c, map_get(m, "migration"), "migration", &vm->migration,
		       p) < 0)
		return -1;
	join(sp, sizeof(sp), path, "shadow_identifiers");
	for (i = 0; sh && i < sh->nr; i++) {
		join_idx(p, sizeof(p), sp, i);
		if (fill_ident(c, sh->kids[i], p, &vm->shadow[i]) < 0)
			return -1;
	}
	vm->nr_shadow = sh ? sh->nr : 0;
	return 0;
}

/* One VM from its merged mapping m (defaults under the element el). */
static int fill_vm(struct ctx *c, const struct cnode *m, const struct cnode *el,
		   const char *path, uint32_t j, struct tm_vm_config *vm)
{
	const struct cnode *mem = or_node(map_get(m, "memory"), m);
	const struct cnode *t = map_get(m, "trace");
	uint64_t page = UINT64_C(1) << c->cfg->page_shift;
	char p[512], b[32];

	if (fill_scope(c, m, "vm", vm, path) < 0)
		return -1;
	if (!map_get(el, "name"))
		tm_fmt(vm->name, sizeof(vm->name), "vm%u", j);
	tm_format_size(page, b, sizeof(b));
	join(p, sizeof(p), path, "memory");
	if (vm->sz_mem % page)
		return fail_at(c, mem, TM_ERR_BOUNDS, p,
			       "expected a multiple of the page size %s, got "
			       "\"%s\"", b, mem->kind == N_SCALAR ? mem->str : "");
	if (fill_fmem(c, m, path, vm) < 0 || fill_vm_models(c, m, path, vm) < 0)
		return -1;
	if (!t)
		return missing(c, el, path, "trace",
			       "a trace like {file: PATH} or {gen: zipf, ...}");
	join(p, sizeof(p), path, "trace");
	if (fill_trace(c, t, p, vm) < 0)
		return -1;
	vm->truth = true;
	tm_fmt(vm->loc.file, sizeof(vm->loc.file), "%s", c->file);
	vm->loc.line = el->line;
	vm->loc.col = el->col;
	return 0;
}

/* Whether a VM's map under key replaces the default's whole: it selects
 * another kind (identifier: {kind: exact} under a default sdh), whose keys
 * differ. */
static bool kind_switch(const char *key, const struct cnode *def,
			const struct cnode *own)
{
	struct kinded kd;

	return kinded_scope(key, &kd) &&
	       strcmp(kind_of(def, &kd), kind_of(own, &kd)) != 0;
}

/* A VM's trace naming another generator than the defaults' trace: the
 * defaults' keys that the VM's generator does not take (s: for a hotset
 * VM) are dropped; the rest (rate, footprint, kind, ...) still merge. */
static struct cnode *gen_defaults(struct ctx *c, struct cnode *def,
				  const struct cnode *own)
{
	const struct cnode *dg = map_get(def, "gen"), *og = map_get(own, "gen");
	const struct tm_generator_ops *g;
	struct cnode *m;

	if (!dg || !og || dg->kind != N_SCALAR || og->kind != N_SCALAR ||
	    strcmp(dg->str, og->str) == 0 || !(g = tm_generator_find(og->str)))
		return def;
	m = node_new(c, N_MAP, def->line, def->col, def->ov);
	for (uint32_t i = 0; i < def->nr; i++)
		if (!gen_key("gen", def->keys[i]->str) ||
		    tm_cfg_find(g->kind.keys, g->kind.nr_keys, def->keys[i]->str))
			node_add(m, def->keys[i], def->kids[i]);
	return m;
}

/* defaults: under a VM: mappings merge key by key, anything else (scalars,
 * lists) is replaced by the VM's own value.  A trace whose source kind
 * (file/gen/mix/phases) differs from the default's replaces it whole, and
 * so does a kinded map (identifier) that selects another kind. */
static struct cnode *merge(struct ctx *c, struct cnode *def, struct cnode *own,
			   bool is_trace)
{
	const char *a, *b;
	struct cnode *m;
	uint32_t i;
	int j;

	if (!def || !own || def->kind != N_MAP || own->kind != N_MAP)
		return own ? own : def;
	a = source_of(def);
	b = source_of(own);
	if (is_trace && a && b && strcmp(a, b) != 0)
		return own;
	if (is_trace)
		def = gen_defaults(c, def, own);
	m = node_new(c, N_MAP, own->line, own->col, own->ov);
	for (i = 0; i < def->nr; i++) {
		j = map_find(own, def->keys[i]->str);
		if (j >= 0 && def->kids[i]->kind == N_MAP &&
		    own->kids[j]->kind == N_MAP &&
		    kind_switch(def->keys[i]->str, def->kids[i], own->kids[j])) {
			node_add(m, def->keys[i], own->kids[j]);
			continue;
		}
		node_add(m, def->keys[i],
			 j < 0 ? def->kids[i]
			       : merge(c, def->kids[i], own->kids[j],
				       !is_trace && !strcmp(def->keys[i]->str,
							    "trace")));
	}
	for (i = 0; i < own->nr; i++)
		if (map_find(def, own->keys[i]->str) < 0)
			node_add(m, own->keys[i], own->kids[i]);
	return m;
}

/* replicate: N: copies vms[k] into vms[k+1 .. k+N-1], named <name>-<i>. */
static int replicate_vm(struct ctx *c, const struct cnode *el, const char *path,
			struct tm_vm_config *vms, uint64_t nr)
{
	char base[TM_NAME_MAX], p[512];
	int digits = snprintf(NULL, 0, "%" PRIu64, nr - 1);
	uint64_t r;

	tm_fmt(base, sizeof(base), "%s", vms[0].name);
	join(p, sizeof(p), path, "name");
	if (nr > 1 && strlen(base) + 1 + (size_t)digits > TM_NAME_MAX - 1)
		return fail_at(c, or_node(map_get(el, "name"), el), TM_ERR_BOUNDS,
			       p, "expected a name of at most %d bytes with "
			       "replicate %" PRIu64, TM_NAME_MAX - 2 - digits, nr);
	for (r = 0; r < nr; r++) {
		if (r)
			vms[r] = vms[0];
		if (nr > 1)
			tm_fmt(vms[r].name, sizeof(vms[r].name), "%s-%" PRIu64,
				 base, r);
		tm_fmt(c->vm_base[c->nr_vms_total++], TM_NAME_MAX, "%s", base);
	}
	return 0;
}

/* Names must be unique: hosts in the cluster, VMs in their host. */
static int unique_names(struct ctx *c, const char *first, size_t stride,
			uint32_t nr, const struct cnode *const *nodes,
			const char *const *paths, const char *what)
{
	uint32_t i, j;
	char p[512];

	for (i = 1; i < nr; i++)
		for (j = 0; j < i; j++) {
			const char *a = first + (size_t)i * stride;

			if (strcmp(a, first + (size_t)j * stride) != 0)
				continue;
			join(p, sizeof(p), paths[i], "name");
			return fail_at(c, nodes[i], TM_ERR_CONFIG, p,
				       "expected a unique %s name, got \"%s\" "
				       "again (first at %s)", what, a,
				       paths[j]);
		}
	return 0;
}

static int check_vm_names(struct ctx *c, const struct cnode *vms,
			  const char *path, struct tm_host_config *h)
{
	const struct cnode **nodes = tm_xcalloc(h->nr_vms, sizeof(*nodes));
	char (*paths)[96] = tm_xcalloc(h->nr_vms, sizeof(*paths));
	const char **pp = tm_xcalloc(h->nr_vms, sizeof(*pp));
	uint32_t j, k = 0, r;
	struct tm_cfg_val v;
	int ret = 0;

	for (j = 0; j < vms->nr && ret == 0; j++) {
		const struct cnode *el = vms->kids[j];

		ret = value_of(c, el, "vm", "replicate", path, &v, NULL);
		for (r = 0; ret == 0 && r < v.u; r++, k++) {
			nodes[k] = or_node(map_get(el, "name"), el);
			tm_fmt(paths[k], sizeof(paths[k]), "%s.vms[%u]", path, j);
			pp[k] = paths[k];
		}
	}
	if (ret == 0)
		ret = unique_names(c, h->vms[0].name, sizeof(h->vms[0]), h->nr_vms,
				   nodes, pp, "VM");
	free(nodes);
	free(paths);
	free(pp);
	return ret;
}

/* Host capacity: given, or the sum the VMs need; the VMs' fmem shares must
 * fit the host's fmem (DESIGN.md §6.4: Σ VM FMEM + free pool = host FMEM). */
static int host_capacity(struct ctx *c, const struct cnode *h, const char *path,
			 struct tm_host_config *hc)
{
	uint64_t sum_fmem = 0, sum_rest = 0, sum_mem = 0;
	const struct cnode *n;
	char a[32], b[32];
	struct tm_cfg_val v;
	uint32_t j;

	for (j = 0; j < hc->nr_vms; j++) {
		sum_fmem += hc->vms[j].sz_fmem;
		sum_mem += hc->vms[j].sz_mem;
		sum_rest += hc->vms[j].sz_mem - hc->vms[j].sz_fmem;
	}
	if (value_of(c, h, "host", "fmem", path, &v, &n) < 0)
		return -1;
	hc->sz_fmem = n ? v.u : sum_fmem;
	tm_format_size(sum_fmem, a, sizeof(a));
	tm_format_size(hc->sz_fmem, b, sizeof(b));
	if (!strcmp(a, b)) {  /* rounding hides the gap: say the bytes */
		snprintf(a, sizeof(a), "%llu bytes", (unsigned long long)sum_fmem);
		snprintf(b, sizeof(b), "%llu bytes",
			 (unsigned long long)hc->sz_fmem);
	}
	if (sum_fmem > hc->sz_fmem)
		return fail_at(c, n, TM_ERR_BOUNDS, path,
			       "VMs' fmem shares %s exceed host fmem %s", a, b);
	if (value_of(c, h, "host", "smem", path, &v, &n) < 0)
		return -1;
	hc->sz_smem = n ? v.u : sum_mem;
	tm_format_size(sum_rest, a, sizeof(a));
	tm_format_size(hc->sz_smem, b, sizeof(b));
	if (sum_rest > hc->sz_smem)
		return fail_at(c, n, TM_ERR_BOUNDS, path,
			       "VMs' memory beyond their fmem shares (%s) "
			       "exceeds host smem %s", a, b);
	return 0;
}

static int fill_host_vms(struct ctx *c, const struct cnode *h, const char *path,
			 struct tm_host_config *hc)
{
	struct cnode *defaults = (struct cnode *)map_get(c->root, "defaults");
	const struct cnode *vms = map_get(h, "vms");
	char vpath[96];
	uint32_t j, k = 0;
	struct tm_cfg_val v;

	for (j = 0; j < vms->nr; j++) {
		struct cnode *el = vms->kids[j];
		const struct cnode *m = merge(c, defaults, el, false);

		tm_fmt(vpath, sizeof(vpath), "%s.vms[%u]", path, j);
		if (value_of(c, el, "vm", "replicate", vpath, &v, NULL) < 0 ||
		    fill_vm(c, m, el, vpath, j, &hc->vms[k]) < 0 ||
		    replicate_vm(c, el, vpath, &hc->vms[k], v.u) < 0)
			return -1;
		k += (uint32_t)v.u;
	}
	return check_vm_names(c, vms, path, hc);
}

static int fill_host(struct ctx *c, const struct cnode *h, uint32_t i,
		     struct tm_host_config *hc)
{
	const struct cnode *win;
	char path[32], p[64], wp[80], a[32], w[32];

	tm_fmt(path, sizeof(path), "hosts[%u]", i);
	if (fill_scope(c, h, "host", hc, path) < 0)
		return -1;
	if (!map_get(h, "name"))
		tm_fmt(hc->name, sizeof(hc->name), "host%u", i);
	join(p, sizeof(p), path, "rebalancer");
	if (fill_policy(c, map_get(h, "rebalancer"), p, &hc->rebalancer) < 0)
		return -1;
	win = map_get(map_get(h, "rebalancer"), "window");
	tm_format_time(hc->rebalancer.interval_ns, a, sizeof(a));
	tm_format_time(hc->rebalancer.window_ns, w, sizeof(w));
	join(wp, sizeof(wp), p, "window");
	if (hc->rebalancer.window_ns < hc->rebalancer.interval_ns)
		return fail_at(c, or_node(win, h), TM_ERR_BOUNDS, wp,
			       "expected a window of at least the interval "
			       "(%s), got %s", a, w);
	tm_fmt(hc->loc.file, sizeof(hc->loc.file), "%s", c->file);
	hc->loc.line = h->line;
	hc->loc.col = h->col;
	if (fill_host_vms(c, h, path, hc) < 0)
		return -1;
	return host_capacity(c, h, path, hc);
}

/* Count VMs after replicate and allocate, refusing absurd totals first. */
static int alloc_hosts(struct ctx *c, const struct cnode *hosts)
{
	struct tm_config *cfg = c->cfg;
	uint64_t total = 0, nr;
	char path[64], vp[80];
	struct tm_cfg_val v;
	uint32_t i, j;

	cfg->hosts = tm_xcalloc(hosts->nr, sizeof(*cfg->hosts));
	cfg->nr_hosts = hosts->nr;
	for (i = 0; i < hosts->nr; i++) {
		const struct cnode *h = hosts->kids[i], *vms = map_get(h, "vms");

		tm_fmt(path, sizeof(path), "hosts[%u]", i);
		if (!vms)
			return missing(c, h, path, "vms", "a list of VMs");
		for (j = 0, nr = 0; j < vms->nr; j++, nr += v.u)
			if (value_of(c, vms->kids[j], "vm", "replicate", path,
				     &v, NULL) < 0)
				return -1;
		join(vp, sizeof(vp), path, "vms");
		if (nr > MAX_VMS_PER_HOST)
			return fail_at(c, vms, TM_ERR_BOUNDS, vp,
				       "expected at most %d VMs per host after "
				       "replicate, got %" PRIu64,
				       MAX_VMS_PER_HOST, nr);
		cfg->hosts[i].nr_vms = (uint32_t)nr;
		total += nr;
	}
	if (total > MAX_VMS_TOTAL)
		return fail_at(c, hosts, TM_ERR_BOUNDS, "hosts",
			       "expected at most %d VMs in all after replicate, "
			       "got %" PRIu64, MAX_VMS_TOTAL, total);
	for (i = 0; i < hosts->nr; i++)
		cfg->hosts[i].vms = tm_xcalloc(cfg->hosts[i].nr_vms,
					       sizeof(*cfg->hosts[i].vms));
	c->vm_base = tm_xcalloc(total ? total : 1, sizeof(*c->vm_base));
	return 0;
}

static bool listed(const struct cnode *names, const char *a, const char *b)
{
	uint32_t i;

	for (i = 0; i < names->nr; i++)
		if (!strcmp(names->kids[i]->str, a) || !strcmp(names->kids[i]->str, b))
			return true;
	return false;
}

/* truth: {enabled, vms: all | [names]} -> each VM's truth flag.  A name
 * matches a VM or, for replicate, all its copies. */
static int apply_truth(struct ctx *c)
{
	const struct cnode *t = map_get(c->root, "truth");
	const struct cnode *names = map_get(t, "vms");
	struct tm_config *cfg = c->cfg;
	uint32_t h, j, i, k = 0;
	char p[64];
	struct tm_cfg_val en;

	if (value_of(c, t, "truth", "enabled", "truth", &en, NULL) < 0)
		return -1;
	if (names && names->kind != N_SEQ)
		names = NULL; /* "all" */
	for (i = 0; names && i < names->nr; i++) {
		bool found = false;

		for (h = 0, k = 0; h < cfg->nr_hosts; h++)
			for (j = 0; j < cfg->hosts[h].nr_vms; j++, k++)
				found |= !strcmp(names->kids[i]->str, cfg->hosts[h].vms[j].name) ||
					 !strcmp(names->kids[i]->str, c->vm_base[k]);
		tm_fmt(p, sizeof(p), "truth.vms[%u]", i);
		if (!found)
			return fail_at(c, names->kids[i], TM_ERR_CONFIG, p,
				       "expected the name of a VM, got \"%s\"",
				       names->kids[i]->str);
	}
	for (h = 0, k = 0; h < cfg->nr_hosts; h++)
		for (j = 0; j < cfg->hosts[h].nr_vms; j++, k++)
			cfg->hosts[h].vms[j].truth =
				en.u && (!names ||
					 listed(names, cfg->hosts[h].vms[j].name,
						c->vm_base[k]));
	return 0;
}

static void default_name(const char *path, char *name, size_t sz)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	tm_fmt(name, sz, "%.*s", (int)(dot - base), base);
}

static int check_host_names(struct ctx *c, const struct cnode *hosts)
{
	const struct cnode **nodes = tm_xcalloc(hosts->nr, sizeof(*nodes));
	char (*paths)[32] = tm_xcalloc(hosts->nr, sizeof(*paths));
	const char **pp = tm_xcalloc(hosts->nr, sizeof(*pp));
	uint32_t i;
	int r;

	for (i = 0; i < hosts->nr; i++) {
		nodes[i] = or_node(map_get(hosts->kids[i], "name"), hosts->kids[i]);
		tm_fmt(paths[i], sizeof(paths[i]), "hosts[%u]", i);
		pp[i] = paths[i];
	}
	r = unique_names(c, c->cfg->hosts[0].name, sizeof(c->cfg->hosts[0]),
			 hosts->nr, nodes, pp, "host");
	free(nodes);
	free(paths);
	free(pp);
	return r;
}

int fill_root(struct ctx *c)
{
	const struct cnode *r = c->root, *hosts = map_get(r, "hosts"), *n;
	struct tm_config *cfg = c->cfg;
	struct tm_cfg_val v;
	uint32_t i;

	if (fill_scope(c, r, "root", cfg, "") < 0 ||
	    fill_scope(c, map_get(r, "latency"), "latency", cfg, "latency") < 0 ||
	    value_of(c, r, "root", "page_size", "", &v, &n) < 0)
		return -1;
	if (!map_get(r, "name"))
		default_name(c->file, cfg->name, sizeof(cfg->name));
	tm_fmt(cfg->path, sizeof(cfg->path), "%s", c->file);
	if (v.u != 4096 && v.u != 2097152)
		return fail_at(c, n, TM_ERR_BOUNDS, "page_size",
			       "expected 4KiB or 2MiB, got \"%s\"", v.s);
	cfg->page_shift = v.u == 4096 ? 12 : 21;
	if (!hosts)
		return missing(c, r, "", "hosts", "a list of hosts");
	if (alloc_hosts(c, hosts) < 0)
		return -1;
	for (i = 0; i < hosts->nr; i++)
		if (fill_host(c, hosts->kids[i], i, &cfg->hosts[i]) < 0)
			return -1;
	if (check_host_names(c, hosts) < 0)
		return -1;
	return apply_truth(c);
}
