/*
 * config.c - load, override and validate a run configuration (DESIGN.md §10,
 * STYLE.md habit 5; docs/config.md is the user's reference).
 *
 * Pipeline, each step finishing before the next starts (the file that does
 * it in brackets; config_internal.h is what they share):
 *   1. libyaml events -> a small node tree that keeps line:col (1-based) of
 *      every key and value (libyaml's marks are 0-based) [tree.c];
 *   2. --set overrides edit that tree in order (path segments are map keys,
 *      list indexes, or for hosts/vms the element's name) [tree.c];
 *   2b. a `traces: DIR` entry in a host's VM list becomes one VM entry per
 *      stream of DIR/index.json (tmsim import --split) [traceset.c];
 *   3. one walk checks every key against the bounds table tm_cfg_keys[]
 *      [table.c] (unknown and duplicate keys, types, units, bounds) before
 *      anything is sized from the input, so absurd counts are refused
 *      before allocating [walk.c, with value.c: a key's value, a kinded
 *      map's own keys];
 *   4. fill: defaults: are deep-merged under each VM, replicate: expands VMs,
 *      defaults that depend on other keys are derived, and cross-key rules
 *      (fmem shares, phase order, trace files) are checked [fill.c,
 *      trace.c].
 * The resolved config is echoed as JSON for summary.json [echo.c].
 * Every failure returns -1 with "file:line:col: key.path: expected ..." or,
 * for a value that came from an override, "--set key.path: ...".
 *
 * Notes (simplifications):
 * - YAML aliases and multi-document files are refused rather than resolved;
 *   defaults: covers the reuse anchors would give.
 * - --set names address hosts/VMs as written (before replicate expands them).
 * - identifier: is a kinded scope: its common keys are tm_ident_common_keys,
 *   the rest come from the chosen kind's own schema (lib/cfg.h) and are
 *   checked once the kind is known: in the walk for a map that names its
 *   kind or sits in defaults:, else after defaults: are merged (fill_own).
 *   A VM's identifier that names another kind than the default's replaces
 *   it whole instead of merging (merge()).  A host's rebalancer: is a
 *   kinded scope the same way: tm_rb_common_keys, then the chosen policy's
 *   own schema (models/rebalance/).
 * - A generator part takes only its generator's own keys (its schema in
 *   traces/gen/): "s" on a hotset part is an error at the key.  A VM whose
 *   trace names another gen than the defaults: trace inherits the defaults'
 *   trace without the keys its generator does not take (and a trace of
 *   another source, file/mix/phases, replaces the defaults' whole).
 */
#include "config.h"
#include "config_internal.h"

#include <string.h>

#include "lib/alloc.h"

/* ---- public API ---------------------------------------------------------- */

static void set_dir(struct ctx *c)
{
	const char *slash = strrchr(c->file, '/');
	size_t n = slash ? (size_t)(slash - c->file) + 1 : 0;

	if (n >= sizeof(c->dir))
		n = 0;
	memcpy(c->dir, c->file, n);
	c->dir[n] = '\0';
}

static int load(struct ctx *c, const char *const *overrides, unsigned nr)
{
	unsigned i;

	c->ov_paths = tm_xcalloc(nr ? nr : 1, sizeof(*c->ov_paths));
	for (i = 0; i < nr; i++) {
		const char *eq = strchr(overrides[i], '=');
		size_t n = eq ? (size_t)(eq - overrides[i]) : strlen(overrides[i]);

		c->ov_paths[i] = tm_xmalloc(n + 1);
		memcpy(c->ov_paths[i], overrides[i], n);
		c->ov_paths[i][n] = '\0';
		c->nr_ov = i + 1;
	}
	if (read_file(c) < 0)
		return -1;
	for (i = 0; i < nr; i++)
		if (apply_override(c, (int)i, overrides[i]) < 0)
			return -1;
	if (expand_tracesets(c) < 0 || walk_root(c) < 0)
		return -1;
	c->cfg = tm_xcalloc(1, sizeof(*c->cfg));
	return fill_root(c);
}

int tm_config_load(const char *path, const char *const *overrides,
		   unsigned nr_overrides, struct tm_config **out,
		   struct tm_error *err)
{
	struct tm_error scratch;
	struct ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	*out = NULL;
	c.err = err ? err : &scratch;
	if (!path || !*path)
		return tm_error_set(c.err, TM_ERR_USAGE,
				    "expected a config file path");
	if (nr_overrides && !overrides)
		return tm_error_set(c.err, TM_ERR_USAGE,
				    "expected %u overrides, got none",
				    nr_overrides);
	c.file = path;
	c.alias_hint = ", use defaults: instead";
	set_dir(&c);
	r = load(&c, overrides, nr_overrides);
	if (r < 0)
		tm_config_free(c.cfg);
	else
		*out = c.cfg;
	ctx_free(&c);
	return r;
}

void tm_config_free(struct tm_config *cfg)
{
	uint32_t i;

	if (!cfg)
		return;
	for (i = 0; cfg->hosts && i < cfg->nr_hosts; i++)
		free(cfg->hosts[i].vms);
	free(cfg->hosts);
	free(cfg);
}
