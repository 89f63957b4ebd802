/*
 * sweep.c - sweep files, their expansion into points, point folders and the
 * merge into sweep.csv (DESIGN.md §11; see sweep.h for the model and
 * docs/sweeps.md for the file format).
 *
 * The file is read by the config module's YAML front-end (sim/config/yaml.h),
 * the one that reads run configs: it keeps every node's line and column, so
 * each error names file:line:col, the key and what was expected, in the
 * run loader's words.  Values stay strings: they are handed to `tmsim run
 * --set` verbatim, so the config loader (one bounds table) remains the only
 * judge of what a value means; tm_sweep_check() asks it before anything
 * runs.
 *
 * Notes:
 * - sweep.csv is rebuilt from the point folders only, never appended to, so
 *   its bytes depend on the sweep and the point results, not on -j, shards
 *   or the order in which points finished.
 * - Every point's summary.json is held in memory during a merge (to size the
 *   identifier columns first); a sweep of 10^5 points with a few VMs each
 *   needs a few hundred MB.  A two-pass read would lift that if needed.
 * - As in a run config, YAML aliases and a second document are refused.
 */
#include "sweep.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "sim/config/config.h"
#include "sim/config/yaml.h"
#include "lib/units.h"

/* Largest `seeds: N` count and seed value (2^53 - 1, as config `seed`). */
#define SWEEP_MAX_SEED_COUNT 100000u
#define SWEEP_MAX_SEED 9007199254740991ull
/* Largest sweep file read (assumption, as the config loader's 64 MiB). */
#define SWEEP_MAX_FILE_BYTES (64u << 20)

/* Parser state: the tree (it holds the error sink) and the sweep built. */
struct sweep_parse {
	const char *path;
	struct tm_ydoc *y;
	struct tm_sweep *sw;
	struct tm_error *err;
};

/* "file:line:col: key: message" at node n. */
#define perr(p, n, key, ...) \
	tm_ydoc_fail((p)->y, (n), TM_ERR_CONFIG, (key), __VA_ARGS__)

/* A key's text (the front-end takes only scalar keys). */
static const char *key_str(const struct tm_ynode *map, uint32_t i)
{
	return tm_ynode_str(tm_ynode_key(map, i));
}

/* A non-empty scalar value, or an error "key: expected WHAT". */
static int want_scalar(struct sweep_parse *p, const struct tm_ynode *n,
		       const char *key, const char *what, const char **out)
{
	*out = tm_ynode_str(n);
	if (!*out || !**out)
		return perr(p, n, key, "expected %s", what);
	return 0;
}

/* A --set key path: letters, digits, _ - . [ ] (config.md "--set"). */
static int check_key_path(struct sweep_parse *p, const struct tm_ynode *n)
{
	const char *k = tm_ynode_str(n);

	if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_-.[]") != strlen(k) || strlen(k) > 255)
		return perr(p, n, k, "expected a config key path like "
			    "defaults.sampler.load_period");
	return 0;
}

/* Refuse a key already fixed or swept: each key has one source. */
static int check_unique(struct sweep_parse *p, const struct tm_ynode *n)
{
	const struct tm_sweep *sw = p->sw;
	const char *k = tm_ynode_str(n);
	size_t len = strlen(k);

	for (uint32_t i = 0; i < sw->nr_params; i++)
		if (!strcmp(sw->params[i], k))
			return perr(p, n, k, "swept twice; expected each key "
				    "once across set, grid and zip");
	for (uint32_t i = 0; i < sw->nr_fixed; i++)
		if (!strncmp(sw->fixed[i], k, len) && sw->fixed[i][len] == '=')
			return perr(p, n, k, "given twice; expected each key "
				    "once across set, grid and zip");
	if (!strcmp(k, "seed") && sw->has_seeds)
		return perr(p, n, k, "set by seeds:; expected it in one place");
	if (sw->nr_params + sw->nr_fixed >= TM_SWEEP_MAX_PARAMS)
		return perr(p, n, k, "expected at most %u keys in set, grid "
			    "and zip", TM_SWEEP_MAX_PARAMS);
	return 0;
}

static struct tm_sweep_dim *add_dim(struct tm_sweep *sw, uint32_t nr_keys,
				    uint32_t nr_values)
{
	struct tm_sweep_dim *d;

	sw->dims = tm_xrealloc(sw->dims, (sw->nr_dims + 1) * sizeof(*d));
	d = &sw->dims[sw->nr_dims++];
	memset(d, 0, sizeof(*d));
	d->nr_keys = nr_keys;
	d->first_param = sw->nr_params;
	d->nr_values = nr_values;
	/* The seeds dim has no key but one value per seed. */
	d->values = tm_xcalloc((size_t)(nr_keys ? nr_keys : 1) * nr_values,
			       sizeof(char *));
	d->lines = tm_xcalloc((size_t)(nr_keys ? nr_keys : 1) * nr_values,
			      sizeof(uint32_t));
	d->cols = tm_xcalloc((size_t)(nr_keys ? nr_keys : 1) * nr_values,
			     sizeof(uint32_t));
	return d;
}

static void add_param(struct tm_sweep *sw, const char *key)
{
	sw->params = tm_xrealloc(sw->params, (sw->nr_params + 1) *
				 sizeof(char *));
	sw->params[sw->nr_params++] = tm_xstrdup(key);
}

/* `set: {key: value, ...}`: overrides applied to every point. */
static int parse_set(struct sweep_parse *p, const struct tm_ynode *map)
{
	struct tm_sweep *sw = p->sw;

	if (tm_ynode_kind(map) != TM_YNODE_MAP)
		return perr(p, map, "set", "expected a mapping of key: value");
	for (uint32_t i = 0; i < tm_ynode_nr(map); i++) {
		const struct tm_ynode *k = tm_ynode_key(map, i);
		const char *key = tm_ynode_str(k), *val = NULL;
		size_t len;

		if (check_key_path(p, k) || check_unique(p, k) ||
		    want_scalar(p, tm_ynode_at(map, i), key, "a scalar value",
				&val))
			return -1;
		len = strlen(key) + strlen(val) + 2;
		sw->fixed = tm_xrealloc(sw->fixed, (sw->nr_fixed + 1) *
					sizeof(char *));
		sw->fixed[sw->nr_fixed] = tm_xmalloc(len);
		snprintf(sw->fixed[sw->nr_fixed++], len, "%s=%s", key, val);
	}
	return 0;
}

/* The list of values of swept key i of map; *n must match when > 0 (zip). */
static int parse_values(struct sweep_parse *p, const struct tm_ynode *map,
			uint32_t i, uint32_t *n, const char *section)
{
	const struct tm_ynode *k = tm_ynode_key(map, i);
	const struct tm_ynode *list = tm_ynode_at(map, i);
	uint32_t len = tm_ynode_nr(list);

	if (check_key_path(p, k) || check_unique(p, k))
		return -1;
	if (tm_ynode_kind(list) != TM_YNODE_SEQ || len == 0)
		return perr(p, list, tm_ynode_str(k), "expected a non-empty "
			    "list of values, like [997, 4093]");
	if (*n && len != *n)
		return perr(p, list, tm_ynode_str(k), "expected %u values like "
			    "the other keys of this %s group, got %u", *n,
			    section, len);
	*n = len;
	return 0;
}

/* Copy the values of key i of map (the k-th key of its dim) into the dim. */
static int fill_values(struct sweep_parse *p, struct tm_sweep_dim *d,
		       uint32_t k, const struct tm_ynode *map, uint32_t i)
{
	const struct tm_ynode *list = tm_ynode_at(map, i);

	add_param(p->sw, key_str(map, i));
	for (uint32_t v = 0; v < d->nr_values; v++) {
		const struct tm_ynode *item = tm_ynode_at(list, v);
		size_t at = (size_t)v * d->nr_keys + k;
		const char *s = NULL;

		if (want_scalar(p, item, key_str(map, i), "a scalar value", &s))
			return -1;
		d->values[at] = tm_xstrdup(s);
		d->lines[at] = tm_ynode_line(item);
		d->cols[at] = tm_ynode_col(item);
	}
	return 0;
}

/* `grid: {key: [values], ...}`: one dimension per key. */
static int parse_grid(struct sweep_parse *p, const struct tm_ynode *map)
{
	if (tm_ynode_kind(map) != TM_YNODE_MAP)
		return perr(p, map, "grid", "expected a mapping of key: "
			    "[values]");
	for (uint32_t i = 0; i < tm_ynode_nr(map); i++) {
		uint32_t n = 0;

		if (parse_values(p, map, i, &n, "grid") ||
		    fill_values(p, add_dim(p->sw, 1, n), 0, map, i))
			return -1;
	}
	return 0;
}

/* One zip group: a mapping of keys with equally long lists. */
static int parse_zip_group(struct sweep_parse *p, const struct tm_ynode *map,
			   const char *path)
{
	uint32_t nr = tm_ynode_nr(map), n = 0;
	struct tm_sweep_dim *d;

	if (tm_ynode_kind(map) != TM_YNODE_MAP)
		return perr(p, map, path, "expected a mapping of key: [values]");
	if (nr == 0)
		return perr(p, map, path, "expected at least one key");
	for (uint32_t i = 0; i < nr; i++)
		if (parse_values(p, map, i, &n, "zip"))
			return -1;
	d = add_dim(p->sw, nr, n);
	for (uint32_t i = 0; i < nr; i++)
		if (fill_values(p, d, i, map, i))
			return -1;
	return 0;
}

/* `zip:` one group (a mapping) or several (a list of mappings). */
static int parse_zip(struct sweep_parse *p, const struct tm_ynode *n)
{
	char path[32];

	if (tm_ynode_kind(n) == TM_YNODE_MAP)
		return parse_zip_group(p, n, "zip");
	if (tm_ynode_kind(n) != TM_YNODE_SEQ)
		return perr(p, n, "zip", "expected a mapping of key: [values] "
			    "or a list of such mappings");
	for (uint32_t i = 0; i < tm_ynode_nr(n); i++) {
		tm_ydoc_join_idx(path, sizeof(path), "zip", i);
		if (parse_zip_group(p, tm_ynode_at(n, i), path))
			return -1;
	}
	return 0;
}

static int parse_seed(struct sweep_parse *p, const struct tm_ynode *n,
		      uint64_t *seed)
{
	const char *s = tm_ynode_str(n);
	struct tm_error e;

	if (!s || tm_parse_u64(s, seed, &e) || *seed > SWEEP_MAX_SEED)
		return perr(p, n, "seeds", "expected a seed from 0 to 2^53-1");
	return 0;
}

/* `seeds: N` (seeds 1..N) or `seeds: [s, ...]`; the fastest dimension. */
static int parse_seeds(struct sweep_parse *p, const struct tm_ynode *n)
{
	uint32_t nr = tm_ynode_nr(n);
	struct tm_sweep_dim *d;
	struct tm_error e;
	uint64_t v;

	if (tm_ynode_kind(n) == TM_YNODE_SCALAR) {
		if (tm_parse_u64(tm_ynode_str(n), &v, &e) || v < 1 ||
		    v > SWEEP_MAX_SEED_COUNT)
			return perr(p, n, "seeds", "expected a count from 1 to "
				    "%u or a list of seeds", SWEEP_MAX_SEED_COUNT);
		d = add_dim(p->sw, 0, (uint32_t)v);
		for (uint32_t i = 0; i < d->nr_values; i++) {
			d->values[i] = tm_xmalloc(24);
			snprintf(d->values[i], 24, "%u", i + 1);
		}
		return 0;
	}
	if (tm_ynode_kind(n) != TM_YNODE_SEQ || nr == 0)
		return perr(p, n, "seeds", "expected a count or a non-empty "
			    "list of seeds");
	d = add_dim(p->sw, 0, nr);
	for (uint32_t i = 0; i < nr; i++) {
		if (parse_seed(p, tm_ynode_at(n, i), &v))
			return -1;
		d->values[i] = tm_xmalloc(24);
		snprintf(d->values[i], 24, "%llu", (unsigned long long)v);
	}
	return 0;
}

static int parse_name(struct sweep_parse *p, const struct tm_ynode *n)
{
	const char *s;

	if (want_scalar(p, n, "name", "a name of 1-63 letters, digits, _ "
			"or -", &s))
		return -1;
	if (strlen(s) > 63 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(s))
		return perr(p, n, "name", "expected a name of 1-63 letters, "
			    "digits, _ or -, got \"%s\"", s);
	free(p->sw->name);
	p->sw->name = tm_xstrdup(s);
	return 0;
}

/* Top-level key i.  Order matters for columns, so sections are handled
 * in file order; seeds must come after grid and zip (it is the last dim). */
static int parse_top(struct sweep_parse *p, const struct tm_ynode *root,
		     uint32_t i)
{
	struct tm_sweep *sw = p->sw;
	const char *key = key_str(root, i), *s = NULL;
	const struct tm_ynode *v = tm_ynode_at(root, i);

	if (sw->has_seeds && (!strcmp(key, "grid") || !strcmp(key, "zip")))
		return perr(p, tm_ynode_key(root, i), key, "expected after "
			    "grid: and zip:, seeds: must come last");
	if (!strcmp(key, "name"))
		return parse_name(p, v);
	if (!strcmp(key, "base") || !strcmp(key, "output")) {
		char **dst = key[0] == 'b' ? &sw->base : &sw->output;

		if (want_scalar(p, v, key, "a path", &s))
			return -1;
		free(*dst);
		*dst = tm_xstrdup(s);
		return 0;
	}
	if (!strcmp(key, "set"))
		return parse_set(p, v);
	if (!strcmp(key, "grid"))
		return parse_grid(p, v);
	if (!strcmp(key, "zip"))
		return parse_zip(p, v);
	if (!strcmp(key, "seeds")) {
		sw->has_seeds = 1;
		return parse_seeds(p, v);
	}
	return perr(p, tm_ynode_key(root, i), key, "unknown key; expected one "
		    "of: name, base, output, set, grid, zip, seeds");
}

/* Refuse top-level key i given before (the tree keeps both), in the run
 * loader's words. */
static int check_dup_top(struct sweep_parse *p, const struct tm_ynode *root,
			 uint32_t i)
{
	const char *key = key_str(root, i);

	for (uint32_t j = 0; j < i; j++)
		if (!strcmp(key_str(root, j), key))
			return perr(p, tm_ynode_key(root, i), key, "duplicate key "
				    "(first at line %u)",
				    tm_ynode_line(tm_ynode_key(root, j)));
	return 0;
}

static int parse_root(struct sweep_parse *p)
{
	const struct tm_ynode *root = tm_ydoc_root(p->y);

	if (!root)
		return perr(p, NULL, "sweep", "expected a mapping with base:, "
			    "got an empty file");
	if (tm_ynode_kind(root) != TM_YNODE_MAP)
		return perr(p, root, "sweep", "expected a mapping with base:");
	for (uint32_t i = 0; i < tm_ynode_nr(root); i++)
		if (check_dup_top(p, root, i) || parse_top(p, root, i))
			return -1;
	if (!p->sw->base)
		return perr(p, root, "base", "missing; expected the path of "
			    "the base config");
	return 0;
}

/* Count points; refuse an expansion above TM_SWEEP_MAX_POINTS. */
static int count_points(struct sweep_parse *p)
{
	uint64_t n = 1;

	for (uint32_t d = 0; d < p->sw->nr_dims; d++) {
		n *= p->sw->dims[d].nr_values;
		if (n > TM_SWEEP_MAX_POINTS)
			return tm_error_set(p->err, TM_ERR_BOUNDS, "%s: sweep: "
					    "expected at most %u points, the "
					    "expansion has more", p->path,
					    TM_SWEEP_MAX_POINTS);
	}
	p->sw->nr_points = (uint32_t)n;
	return 0;
}

/* Defaults that depend on the file: name, output, the resolved base. */
static void fill_defaults(struct tm_sweep *sw)
{
	const char *slash = strrchr(sw->path, '/');
	const char *file = slash ? slash + 1 : sw->path;
	size_t len;

	if (!sw->name) {
		const char *dot = strrchr(file, '.');

		len = dot && dot > file ? (size_t)(dot - file) : strlen(file);
		sw->name = tm_xmalloc(len + 1);
		memcpy(sw->name, file, len);
		sw->name[len] = '\0';
	}
	if (!sw->output) {
		len = strlen(sw->name) + sizeof("results/sweeps/");
		sw->output = tm_xmalloc(len);
		snprintf(sw->output, len, "results/sweeps/%s", sw->name);
	}
	len = strlen(sw->path) + strlen(sw->base) + 2;
	sw->base_path = tm_xmalloc(len);
	if (sw->base[0] == '/' || !slash)
		snprintf(sw->base_path, len, "%s", sw->base);
	else
		snprintf(sw->base_path, len, "%.*s/%s", (int)(slash - sw->path),
			 sw->path, sw->base);
}

int tm_sweep_parse(const char *path, const char *text, size_t len,
		   struct tm_sweep **out, struct tm_error *err)
{
	struct sweep_parse p = { .path = path, .err = err };
	int rc;

	*out = NULL;
	if (tm_ydoc_parse(path, text, len, &p.y, err))
		return -1;
	p.sw = tm_xcalloc(1, sizeof(*p.sw));
	p.sw->path = tm_xstrdup(path);
	rc = parse_root(&p);
	tm_ydoc_free(p.y);
	if (!rc)
		rc = count_points(&p);
	if (rc) {
		tm_sweep_free(p.sw);
		return -1;
	}
	fill_defaults(p.sw);
	*out = p.sw;
	return 0;
}

int tm_sweep_load(const char *path, struct tm_sweep **out,
		  struct tm_error *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if (!f)
		return tm_error_set(err, errno == ENOENT ? TM_ERR_NOTFOUND :
				    TM_ERR_CONFIG, "%s: cannot open sweep "
				    "file: %s", path, strerror(errno));
	text = tm_xmalloc(SWEEP_MAX_FILE_BYTES + 1);
	len = fread(text, 1, SWEEP_MAX_FILE_BYTES + 1, f);
	fclose(f);
	if (len > SWEEP_MAX_FILE_BYTES) {
		free(text);
		return tm_error_set(err, TM_ERR_BOUNDS, "%s: expected a sweep "
				    "file of at most 64 MiB", path);
	}
	rc = tm_sweep_parse(path, text, len, out, err);
	free(text);
	return rc;
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void tm_sweep_free(struct tm_sweep *sw)
{
	if (!sw)
		return;
	for (uint32_t d = 0; d < sw->nr_dims; d++) {
		free_strv(sw->dims[d].values, (size_t)(sw->dims[d].nr_keys ?
			  sw->dims[d].nr_keys : 1) * sw->dims[d].nr_values);
		free(sw->dims[d].lines);
		free(sw->dims[d].cols);
	}
	free(sw->dims);
	free_strv(sw->params, sw->nr_params);
	free_strv(sw->fixed, sw->nr_fixed);
	free(sw->path);
	free(sw->name);
	free(sw->base);
	free(sw->base_path);
	free(sw->output);
	free(sw);
}

void tm_sweep_point_values(const struct tm_sweep *sw, uint32_t i,
			   const char **values, uint64_t *seed, int *has_seed)
{
	*has_seed = 0;
	*seed = 0;
	for (uint32_t d = sw->nr_dims; d-- > 0;) {
		const struct tm_sweep_dim *dim = &sw->dims[d];
		uint32_t v = i % dim->nr_values;

		i /= dim->nr_values;
		if (dim->nr_keys == 0) {
			*has_seed = 1;
			*seed = strtoull(dim->values[v], NULL, 10);
			continue;
		}
		for (uint32_t k = 0; k < dim->nr_keys; k++)
			values[dim->first_param + k] =
				dim->values[(size_t)v * dim->nr_keys + k];
	}
}

static char *join_set(const char *key, const char *value)
{
	size_t len = strlen(key) + strlen(value) + 2;
	char *s = tm_xmalloc(len);

	snprintf(s, len, "%s=%s", key, value);
	return s;
}

uint32_t tm_sweep_point_sets(const struct tm_sweep *sw, uint32_t i,
			     char **sets)
{
	const char *values[TM_SWEEP_MAX_PARAMS];
	uint32_t n = 0;
	uint64_t seed;
	int has_seed;
	char buf[32];

	tm_sweep_point_values(sw, i, values, &seed, &has_seed);
	for (uint32_t f = 0; f < sw->nr_fixed; f++)
		sets[n++] = tm_xstrdup(sw->fixed[f]);
	for (uint32_t k = 0; k < sw->nr_params; k++)
		sets[n++] = join_set(sw->params[k], values[k]);
	if (has_seed) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)seed);
		sets[n++] = join_set("seed", buf);
	}
	return n;
}

/* Load the base with the fixed overrides plus extra (may be NULL). */
static int check_load(const struct tm_sweep *sw, char **extra,
		      uint32_t nr_extra, struct tm_error *err)
{
	const char *sets[TM_SWEEP_MAX_PARAMS * 2 + 1];
	struct tm_config *cfg = NULL;
	uint32_t n = 0;
	int rc;

	for (uint32_t f = 0; f < sw->nr_fixed; f++)
		sets[n++] = sw->fixed[f];
	for (uint32_t e = 0; e < nr_extra; e++)
		sets[n++] = extra[e];
	rc = tm_config_load(sw->base_path, sets, n, &cfg, err);
	tm_config_free(cfg);
	return rc;
}

int tm_sweep_check(const struct tm_sweep *sw, struct tm_error *err)
{
	char *sets[TM_SWEEP_MAX_PARAMS];

	if (check_load(sw, NULL, 0, err)) {
		tm_error_prefix(err, "%s: base %s", sw->path, sw->base);
		return -1;
	}
	for (uint32_t d = 0; d < sw->nr_dims; d++) {
		const struct tm_sweep_dim *dim = &sw->dims[d];

		for (uint32_t v = 0; v < dim->nr_values && dim->nr_keys; v++) {
			int rc;

			for (uint32_t k = 0; k < dim->nr_keys; k++)
				sets[k] = join_set(sw->params[dim->first_param + k],
						   dim->values[(size_t)v *
							       dim->nr_keys + k]);
			rc = check_load(sw, sets, dim->nr_keys, err);
			for (uint32_t k = 0; k < dim->nr_keys; k++)
				free(sets[k]);
			if (rc) {
				size_t at = (size_t)v * dim->nr_keys;

				tm_error_prefix(err, "%s:%u:%u: %s: value \"%s\" "
						"refused by base %s", sw->path,
						dim->lines[at], dim->cols[at],
						sw->params[dim->first_param],
						dim->values[at], sw->base);
				return -1;
			}
		}
	}
	return 0;
}

void tm_sweep_point_dir(const char *outdir, uint32_t i, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/points/p%04u", outdir, i);
}

int tm_sweep_point_done(const char *outdir, uint32_t i)
{
	char path[TM_PATH_MAX + 64];
	struct stat st;
	size_t n;

	tm_sweep_point_dir(outdir, i, path, sizeof(path));
	n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "/summary.json");
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tm_sweep_parse_shard(const char *s, uint32_t *shard_i, uint32_t *shard_n,
			 struct tm_error *err)
{
	return tm_shard_parse(s, TM_SWEEP_MAX_POINTS, shard_i, shard_n, err);
}

/* ---- merge ---------------------------------------------------------- */

/* The per-VM metric columns after point, seed, parameters, host, vm:
 * column name, then the JSON path inside a VM object ("a" or "a.b"). */
static const char *const merge_cols[][2] = {
	{ "accesses", "accesses" },
	{ "fmem_hit_ratio", "fmem_hit_ratio" },
	{ "oracle_hit_ratio", "oracle_hit_ratio" },
	{ "static_hit_ratio", "static_hit_ratio" },
	{ "efficiency", "efficiency" },
	{ "amat_ns", "amat_ns" },
	{ "promotions", "migration.promotions" },
	{ "demotions", "migration.demotions" },
	{ "exchanges", "migration.exchanges" },
	{ "migrated_bytes", "migration.bytes" },
	{ "migration_cpu_ns", "migration.cpu_ns" },
	{ "samples", "sampler.samples" },
	{ "sampling_cpu_ns", "sampler.cpu_ns" },
	{ "truth", "truth.source" },
};
#define NR_MERGE_COLS (sizeof(merge_cols) / sizeof(merge_cols[0]))

/* Per identifier i: ident<i>_<key>. */
static const char *const ident_cols[] = {
	"kind", "role", "precision", "recall", "weighted_recall", "are", "aae",
	"sampling_loss", "identifier_loss",
};
#define NR_IDENT_COLS (sizeof(ident_cols) / sizeof(ident_cols[0]))

/* A CSV field: quoted only when it holds a comma, quote or newline. */
static void csv_str(struct tm_strbuf *b, const char *s)
{
	if (!s[strcspn(s, ",\"\n\r")]) {
		tm_strbuf_printf(b, "%s", s);
		return;
	}
	tm_strbuf_printf(b, "\"");
	for (; *s; s++)
		tm_strbuf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
	tm_strbuf_printf(b, "\"");
}

/* A JSON value as a CSV field: integers as is, reals %.6f, null empty. */
static void csv_json(struct tm_strbuf *b, const json_t *v)
{
	if (json_is_integer(v))
		tm_strbuf_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		tm_strbuf_num(b, json_real_value(v));
	else if (json_is_string(v))
		csv_str(b, json_string_value(v));
	else if (json_is_true(v) || json_is_false(v))
		tm_strbuf_printf(b, "%s", json_is_true(v) ? "true" : "false");
}

static const json_t *json_path(const json_t *obj, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];

	if (!dot)
		return json_object_get(obj, path);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
	return json_object_get(json_object_get(obj, head), dot + 1);
}

static void merge_header(const struct tm_sweep *sw, size_t nr_ident,
			 struct tm_strbuf *csv)
{
	tm_strbuf_printf(csv, "point,seed");
	for (uint32_t k = 0; k < sw->nr_params; k++) {
		tm_strbuf_printf(csv, ",");
		csv_str(csv, sw->params[k]);
	}
	tm_strbuf_printf(csv, ",host,vm");
	for (size_t c = 0; c < NR_MERGE_COLS; c++)
		tm_strbuf_printf(csv, ",%s", merge_cols[c][0]);
	for (size_t i = 0; i < nr_ident; i++)
		for (size_t c = 0; c < NR_IDENT_COLS; c++)
			tm_strbuf_printf(csv, ",ident%zu_%s", i, ident_cols[c]);
	tm_strbuf_printf(csv, "\n");
}

/* One row: a VM of point i (values = its swept values). */
static void merge_row(const struct tm_sweep *sw, uint32_t i,
		      const char **values, const json_t *summary,
		      const json_t *host, const json_t *vm, size_t nr_ident,
		      struct tm_strbuf *csv)
{
	const json_t *ids = json_object_get(vm, "identifiers");

	tm_strbuf_printf(csv, "%u,", i);
	csv_json(csv, json_object_get(summary, "seed"));
	for (uint32_t k = 0; k < sw->nr_params; k++) {
		tm_strbuf_printf(csv, ",");
		csv_str(csv, values[k]);
	}
	tm_strbuf_printf(csv, ",");
	csv_json(csv, json_object_get(host, "name"));
	tm_strbuf_printf(csv, ",");
	csv_json(csv, json_object_get(vm, "name"));
	for (size_t c = 0; c < NR_MERGE_COLS; c++) {
		tm_strbuf_printf(csv, ",");
		csv_json(csv, json_path(vm, merge_cols[c][1]));
	}
	for (size_t n = 0; n < nr_ident; n++)
		for (size_t c = 0; c < NR_IDENT_COLS; c++) {
			tm_strbuf_printf(csv, ",");
			csv_json(csv, json_object_get(json_array_get(ids, n),
						      ident_cols[c]));
		}
	tm_strbuf_printf(csv, "\n");
}

static size_t max_identifiers(const json_t *summary)
{
	const json_t *host, *vm;
	size_t h, v, n = 0;

	json_array_foreach(json_object_get(summary, "hosts"), h, host)
		json_array_foreach(json_object_get(host, "vms"), v, vm)
			if (json_array_size(json_object_get(vm, "identifiers")) > n)
				n = json_array_size(json_object_get(vm,
								    "identifiers"));
	return n;
}

static void merge_point(const struct tm_sweep *sw, uint32_t i,
			const json_t *summary, size_t nr_ident,
			struct tm_strbuf *csv)
{
	const char *values[TM_SWEEP_MAX_PARAMS];
	const json_t *host, *vm;
	uint64_t seed;
	int has_seed;
	size_t h, v;

	tm_sweep_point_values(sw, i, values, &seed, &has_seed);
	json_array_foreach(json_object_get(summary, "hosts"), h, host)
		json_array_foreach(json_object_get(host, "vms"), v, vm)
			merge_row(sw, i, values, summary, host, vm, nr_ident,
				  csv);
}

/* Read every complete point's summary.json; list the missing ones. */
static int merge_load(const struct tm_sweep *sw, const char *outdir,
		      json_t **sums, struct tm_strbuf *missing,
		      uint32_t *nr_missing, struct tm_error *err)
{
	char path[TM_PATH_MAX + 64];

	for (uint32_t i = 0; i < sw->nr_points; i++) {
		json_error_t je;
		size_t n;

		if (!tm_sweep_point_done(outdir, i)) {
			tm_strbuf_printf(missing, "%sp%04u",
					 *nr_missing ? ", " : "", i);
			(*nr_missing)++;
			continue;
		}
		tm_sweep_point_dir(outdir, i, path, sizeof(path));
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "/summary.json");
		sums[i] = json_load_file(path, 0, &je);
		if (!sums[i])
			return tm_error_set(err, TM_ERR_FORMAT, "%s:%d:%d: "
					    "cannot read point summary: %s",
					    path, je.line, je.column, je.text);
	}
	return 0;
}

int tm_sweep_merge(const struct tm_sweep *sw, const char *outdir,
		   struct tm_strbuf *csv, uint32_t *nr_missing,
		   char **missing, struct tm_error *err)
{
	json_t **sums = tm_xcalloc(sw->nr_points, sizeof(*sums));
	struct tm_strbuf miss = { 0 };
	size_t nr_ident = 0;
	int rc;

	*nr_missing = 0;
	tm_strbuf_printf(&miss, "%s", "");
	rc = merge_load(sw, outdir, sums, &miss, nr_missing, err);
	for (uint32_t i = 0; !rc && i < sw->nr_points; i++)
		if (sums[i] && max_identifiers(sums[i]) > nr_ident)
			nr_ident = max_identifiers(sums[i]);
	if (!rc) {
		merge_header(sw, nr_ident, csv);
		for (uint32_t i = 0; i < sw->nr_points; i++)
			if (sums[i])
				merge_point(sw, i, sums[i], nr_ident, csv);
	}
	for (uint32_t i = 0; i < sw->nr_points; i++)
		json_decref(sums[i]);
	free(sums);
	*missing = miss.p;
	return rc;
}

void tm_sweep_json(const struct tm_sweep *sw, struct tm_strbuf *out)
{
	const char *values[TM_SWEEP_MAX_PARAMS];
	json_t *root = json_object(), *params = json_array(), *pts = json_array();
	char folder[32];
	char *text;

	for (uint32_t k = 0; k < sw->nr_params; k++)
		json_array_append_new(params, json_string(sw->params[k]));
	for (uint32_t i = 0; i < sw->nr_points; i++) {
		json_t *pt = json_object(), *set = json_object();
		uint64_t seed;
		int has_seed;

		tm_sweep_point_values(sw, i, values, &seed, &has_seed);
		snprintf(folder, sizeof(folder), "points/p%04u", i);
		for (uint32_t k = 0; k < sw->nr_params; k++)
			json_object_set_new(set, sw->params[k],
					    json_string(values[k]));
		json_object_set_new(pt, "index", json_integer(i));
		json_object_set_new(pt, "folder", json_string(folder));
		json_object_set_new(pt, "seed", has_seed ?
				    json_integer((json_int_t)seed) : json_null());
		json_object_set_new(pt, "parameters", set);
		json_array_append_new(pts, pt);
	}
	json_object_set_new(root, "name", json_string(sw->name));
	json_object_set_new(root, "base", json_string(sw->base));
	json_object_set_new(root, "parameters", params);
	json_object_set_new(root, "points", pts);
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	tm_strbuf_printf(out, "%s\n", text);
	free(text);
	json_decref(root);
}
