/*
 * config.c - load, override and validate a run configuration (DESIGN.md §10,
 * STYLE.md habit 5; docs/config.md is the user's reference).
 *
 * Pipeline, each step finishing before the next starts:
 *   1. libyaml events -> a small node tree that keeps line:col (1-based) of
 *      every key and value (libyaml's marks are 0-based);
 *   2. --set overrides edit that tree in order (path segments are map keys,
 *      list indexes, or for hosts/vms the element's name);
 *   3. one walk checks every key against the bounds table tm_cfg_keys[]
 *      (unknown and duplicate keys, types, units, bounds) before anything is
 *      sized from the input, so absurd counts are refused before allocating;
 *   4. fill: defaults: are deep-merged under each VM, replicate: expands VMs,
 *      defaults that depend on other keys are derived, and cross-key rules
 *      (fmem shares, phase order, trace files) are checked.
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

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "lib/alloc.h"
#include "lib/units.h"
#include "lib/hash.h"

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)
#define US 1e3
#define MS 1e6
#define SEC 1e9
#define DAY (86400.0 * SEC)

/* Resource bounds (assumptions: far above any planned experiment, far below
 * what would exhaust a 24 GiB machine).  A tm_vm_config is ~47 KB because
 * of its inline generator spec, so the whole cluster is capped too. */
#define MAX_HOSTS 4096
#define MAX_VMS_PER_HOST 4096
#define MAX_VMS_TOTAL 16384     /* ~0.8 GB of VM configs */
#define MAX_DEPTH 32            /* YAML nesting; the schema needs 13 */
#define MAX_FILE_BYTES (64u << 20)
#define MAX_ADDR 72057594037927936.0 /* 2^56: 57-bit (5-level) VA space */
#define SEED_MAX 9007199254740991.0  /* 2^53 - 1: exact in any JSON reader */

#define FLD(fk, T, m) fk, offsetof(T, m), sizeof(((T *)0)->m)
#define NOFLD TM_CFG_F_NONE, 0, 0
#define U32 TM_CFG_F_U32
#define U64 TM_CFG_F_U64
#define DBL TM_CFG_F_DBL
#define BOOL TM_CFG_F_BOOL
#define INT TM_CFG_F_INT
#define STR TM_CFG_F_STR
#define REQ TM_CFG_REQUIRED
#define EXCL TM_CFG_MIN_EXCL
#define GEN TM_CFG_GEN_ONLY
#define DERIV TM_CFG_DERIVED

typedef struct tm_config ROOT;
typedef struct tm_host_config HOST;
typedef struct tm_vm_config VM;
typedef struct tm_sampler_config SAMP;
typedef struct tm_ident_config IDENT;
typedef struct tm_migration_config MIG;
typedef struct tm_trace_config TRACE;
typedef struct tm_gen_part PART;

/* The one bounds table.  Sources of defaults: "Demeter" is
 * reference/sdh-and-demeter.md (section), "assumption" is ours and labelled
 * so in docs/config.md too. */
const struct tm_cfg_key tm_cfg_keys[] = {
	{ "root.name", TM_CFG_STRING, 1, TM_NAME_MAX - 1, NULL, NULL, DERIV,
	  FLD(STR, ROOT, name), NULL }, /* default: file name without extension */
	{ "root.seed", TM_CFG_U64, 0, SEED_MAX, "1", NULL, 0, FLD(U64, ROOT, seed), NULL },
	{ "root.duration", TM_CFG_TIME, 1 * MS, 30 * DAY, "10s", NULL, 0,
	  FLD(U64, ROOT, duration_ns), NULL },
	/* Demeter's split/migration epoch, §3 and §4 */
	{ "root.epoch", TM_CFG_TIME, 1 * MS, 3600 * SEC, "500ms", NULL, 0,
	  FLD(U64, ROOT, epoch_ns), NULL },
	{ "root.snapshot", TM_CFG_TIME, 1 * MS, 30 * DAY, "1s", NULL, 0,
	  FLD(U64, ROOT, snapshot_ns), NULL },
	/* only 4 KiB or 2 MiB pages (DESIGN.md §2); checked in fill_root */
	{ "root.page_size", TM_CFG_SIZE, 4 * KiB, 2 * MiB, "4KiB", NULL, 0, NOFLD, NULL },
	{ "root.latency", TM_CFG_MAP, 0, 0, NULL, "latency", 0, NOFLD, NULL },
	/* assumption: half of the time stalls on memory */
	{ "root.memory_boundness", TM_CFG_SHARE, 0, 1, "0.5", NULL, 0,
	  FLD(DBL, ROOT, memory_boundness), NULL },
	{ "root.truth", TM_CFG_MAP, 0, 0, NULL, "truth", 0, NOFLD, NULL },
	{ "root.defaults", TM_CFG_MAP, 0, 0, NULL, "vm", 0, NOFLD, NULL },
	{ "root.hosts", TM_CFG_LIST, 1, MAX_HOSTS, NULL, "host", REQ, NOFLD, NULL },

	/* assumption: DRAM vs CXL/PMem load-to-use latency */
	{ "latency.fmem", TM_CFG_TIME, 1, 100 * US, "80ns", NULL, 0,
	  FLD(U64, ROOT, fmem_latency_ns), NULL },
	{ "latency.smem", TM_CFG_TIME, 1, 100 * US, "250ns", NULL, 0,
	  FLD(U64, ROOT, smem_latency_ns), NULL },

	{ "truth.enabled", TM_CFG_BOOL, 0, 0, "true", NULL, 0, NOFLD, NULL },
	{ "truth.vms", TM_CFG_NAMES, 0, 0, "all", NULL, 0, NOFLD, NULL },

	{ "host.name", TM_CFG_NAME, 1, TM_NAME_MAX - 1, NULL, NULL, DERIV,
	  FLD(STR, HOST, name), NULL }, /* default host<i> */
	/* defaults: Σ of the VMs' fmem; Σ of their memory (double balloon,
	 * Demeter §5: each VM's SMEM node spans its whole memory) */
	{ "host.fmem", TM_CFG_SIZE, 0, 64 * TiB, NULL, NULL, DERIV, NOFLD, NULL },
	{ "host.smem", TM_CFG_SIZE, 0, 64 * TiB, NULL, NULL, DERIV, NOFLD, NULL },
	{ "host.rebalancer", TM_CFG_MAP, 0, 0, NULL, "rebalancer", 0, NOFLD, NULL },
	{ "host.vms", TM_CFG_LIST, 1, MAX_VMS_PER_HOST, NULL, "vm", REQ, NOFLD, NULL },

	/* rebalancer.*: the keys every policy takes are tm_rb_common_keys
	 * (models/rebalance/rebalancer.c), the rest are the chosen policy's
	 * own schema (kinded scopes below) */

	{ "vm.name", TM_CFG_NAME, 1, TM_NAME_MAX - 1, NULL, NULL,
	  DERIV | TM_CFG_NO_DEFAULTS, FLD(STR, VM, name), NULL }, /* default vm<j> */
	{ "vm.replicate", TM_CFG_U64, 1, MAX_VMS_PER_HOST, "1", NULL,
	  TM_CFG_NO_DEFAULTS, NOFLD, NULL },
	/* Demeter §6: 4 vCPUs per VM */
	{ "vm.vcpus", TM_CFG_U64, 1, 1024, "4", NULL, 0, FLD(U32, VM, nr_vcpus), NULL },
	{ "vm.memory", TM_CFG_SIZE, 1 * MiB, TiB, "1GiB", NULL, 0,
	  FLD(U64, VM, sz_mem), NULL },
	/* Demeter §6: 20% FMEM */
	{ "vm.fmem", TM_CFG_FMEM, 0, TiB, "20%", NULL, 0, NOFLD, NULL },
	{ "vm.fmem_floor", TM_CFG_FMEM, 0, TiB, "0", NULL, 0, NOFLD, NULL },
	{ "vm.fmem_ceiling", TM_CFG_FMEM, 0, TiB, "100%", NULL, 0, NOFLD, NULL },
	/* Demeter §5: S2 gated on a 95% FMEM sample share */
	{ "vm.target_hit", TM_CFG_SHARE, 0, 1, "0.95", NULL, 0,
	  FLD(DBL, VM, target_hit), NULL },
	{ "vm.priority", TM_CFG_U64, 1, 1000000, "1", NULL, 0,
	  FLD(U32, VM, priority), NULL },
	{ "vm.trace", TM_CFG_MAP, 0, 0, NULL, "trace", REQ, NOFLD, NULL },
	{ "vm.sampler", TM_CFG_MAP, 0, 0, NULL, "sampler", 0, NOFLD, NULL },
	{ "vm.identifier", TM_CFG_MAP, 0, 0, NULL, "identifier", 0, NOFLD, NULL },
	{ "vm.shadow_identifiers", TM_CFG_LIST, 0, TM_MAX_SHADOW, NULL,
	  "identifier", 0, NOFLD, NULL },
	{ "vm.migration", TM_CFG_MAP, 0, 0, NULL, "migration", 0, NOFLD, NULL },

	/* Demeter §1: periods 4093/65535, ~2 ms drain, 1 MiB ring per CPU of
	 * 48-byte records (= 21845 entries); cost per sample: assumption */
	{ "sampler.load_period", TM_CFG_U64, 1, 1e9, "4093", NULL, 0,
	  FLD(U64, SAMP, load_period), NULL },
	{ "sampler.store_period", TM_CFG_U64, 0, 1e9, "65535", NULL, 0,
	  FLD(U64, SAMP, store_period), NULL },
	{ "sampler.randomize", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
	  FLD(BOOL, SAMP, randomize), NULL },
	{ "sampler.drain", TM_CFG_TIME, 1 * US, 1 * SEC, "2ms", NULL, 0,
	  FLD(U64, SAMP, drain_ns), NULL },
	{ "sampler.ring_entries", TM_CFG_U64, 16, 1 << 24, "21845", NULL, 0,
	  FLD(U32, SAMP, ring_entries), NULL },
	{ "sampler.cost_per_sample", TM_CFG_TIME, 0, 1 * MS, "100ns", NULL, 0,
	  FLD(DBL, SAMP, cost_ns_per_sample), NULL },

	/* identifier.*: the keys every identifier takes are
	 * tm_ident_common_keys (models/ident/identifier.c), the rest are the
	 * chosen kind's own schema (kinded scopes below) */

	/* Demeter §4: exchange, per-pair flushes, unbounded lists; costs are
	 * assumptions (no per-page time is published) */
	{ "migration.mode", TM_CFG_ENUM, 0, 0, "exchange",
	  "none|exchange|migrate", 0, FLD(INT, MIG, mode), NULL },
	{ "migration.max_pages_per_epoch", TM_CFG_U64, 0, 1099511627776.0, "0",
	  NULL, 0, FLD(U64, MIG, max_pages_per_epoch), NULL },
	{ "migration.max_bandwidth", TM_CFG_BRATE, 0, 1e13, "0", NULL, 0,
	  FLD(DBL, MIG, max_bytes_per_s), NULL },
	{ "migration.threads", TM_CFG_U64, 1, 64, "1", NULL, 0,
	  FLD(U32, MIG, nr_threads), NULL },
	{ "migration.copy_bandwidth", TM_CFG_BRATE, 0, 1e13, "10GB/s", NULL,
	  EXCL, FLD(DBL, MIG, copy_bytes_per_s), NULL },
	{ "migration.remap", TM_CFG_TIME, 0, 1 * MS, "1us", NULL, 0,
	  FLD(U64, MIG, remap_ns), NULL },
	{ "migration.tlb_flush", TM_CFG_TIME, 0, 1 * MS, "2us", NULL, 0,
	  FLD(U64, MIG, tlb_flush_ns), NULL },
	{ "migration.ept_flush", TM_CFG_TIME, 0, 1 * MS, "5us", NULL, 0,
	  FLD(U64, MIG, ept_flush_ns), NULL },
	{ "migration.batch_flush", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
	  FLD(BOOL, MIG, batch_flush), NULL },
	{ "migration.fill_free", TM_CFG_BOOL, 0, 0, "true", NULL, 0,
	  FLD(BOOL, MIG, fill_free), NULL },
	{ "migration.thrash_guard", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
	  FLD(BOOL, MIG, thrash_guard), NULL },
	{ "migration.where", TM_CFG_ENUM, 0, 0, "guest", "guest|host", 0,
	  FLD(INT, MIG, where), NULL },
	{ "migration.pingpong_window", TM_CFG_TIME, 0, 3600 * SEC, "2s", NULL, 0,
	  FLD(U64, MIG, pingpong_window_ns), NULL },

	{ "trace.file", TM_CFG_STRING, 1, TM_PATH_MAX - 1, NULL, NULL, 0, NOFLD, NULL },
	{ "trace.mix", TM_CFG_LIST, 1, TM_GEN_MAX_PARTS, NULL, "mixpart", GEN,
	  NOFLD, NULL },
	{ "trace.phases", TM_CFG_LIST, 1, TM_GEN_MAX_PHASES, NULL, "phase", GEN,
	  NOFLD, NULL },
	{ "trace.rate", TM_CFG_CRATE, 0, 1e10, "1M/s", NULL, GEN | EXCL,
	  FLD(DBL, TRACE, gen.rate_per_s), NULL },
	/* default: the run's duration */
	{ "trace.duration", TM_CFG_TIME, 0, 30 * DAY, NULL, NULL, GEN | DERIV,
	  FLD(U64, TRACE, gen.duration_ns), NULL },
	{ "trace.records", TM_CFG_U64, 0, 1e15, "0", NULL, GEN,
	  FLD(U64, TRACE, gen.nr_records), NULL },
	/* default: the VM's vcpus */
	{ "trace.vcpus", TM_CFG_U64, 1, 1024, NULL, NULL, GEN | DERIV,
	  FLD(U32, TRACE, gen.nr_vcpus), NULL },
	{ "trace.stores", TM_CFG_SHARE, 0, 1, "0", NULL, GEN,
	  FLD(DBL, TRACE, gen.store_share), NULL },
	{ "trace.kind", TM_CFG_ENUM, 0, 0, "samples", "accesses|samples", GEN,
	  FLD(INT, TRACE, gen.kind), NULL },
	/* default: the VM's sampler periods */
	{ "trace.load_period", TM_CFG_U64, 1, 1e9, NULL, NULL, GEN | DERIV,
	  FLD(U64, TRACE, gen.load_period), NULL },
	{ "trace.store_period", TM_CFG_U64, 0, 1e9, NULL, NULL, GEN | DERIV,
	  FLD(U64, TRACE, gen.store_period), NULL },
	{ "trace.addr_offset", TM_CFG_SIZE, 0, MAX_ADDR, "0", NULL, 0,
	  FLD(U64, TRACE, addr_offset), NULL },
	{ "trace.time_offset", TM_CFG_TIME, 0, 30 * DAY, "0", NULL, 0,
	  FLD(U64, TRACE, time_offset_ns), NULL },
	{ "trace.time_scale", TM_CFG_DOUBLE, 0, 1000, "1.0", NULL, EXCL,
	  FLD(DBL, TRACE, time_scale), NULL },
	{ "trace.loop", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
	  FLD(BOOL, TRACE, loop), NULL },

	/* a generator's name (traces/gen/gen.h); its own keys come from its
	 * schema (gen_key), checked against the part's generator in fill_part */
	{ "gen.gen", TM_CFG_STRING, 1, 31, NULL, NULL, GEN, NOFLD, NULL },
	/* default: the VM's memory */
	{ "gen.footprint", TM_CFG_SIZE, 4 * KiB, TiB, NULL, NULL, GEN | DERIV,
	  FLD(U64, PART, sz_footprint), NULL },
	{ "gen.base", TM_CFG_SIZE, 0, MAX_ADDR, "0", NULL, GEN,
	  FLD(U64, PART, base), NULL },

	{ "mixpart.weight", TM_CFG_DOUBLE, 0, 1e6, "1", NULL, GEN | EXCL,
	  FLD(DBL, PART, weight), NULL },
	{ "phase.at", TM_CFG_TIME, 0, 30 * DAY, NULL, NULL, GEN | REQ, NOFLD, NULL },
	{ "phase.mix", TM_CFG_LIST, 1, TM_GEN_MAX_PARTS, NULL, "mixpart", GEN,
	  NOFLD, NULL },
};

const size_t tm_cfg_nr_keys = sizeof(tm_cfg_keys) / sizeof(tm_cfg_keys[0]);

/* Scopes whose mappings also accept another scope's keys. */
static const char *const scope_includes[][2] = {
	{ "trace", "gen" }, { "phase", "gen" }, { "mixpart", "gen" },
};

/* Scopes whose keys come from a backend family: the keys every kind takes
 * (bare rows into the scope's struct), the key that selects the kind, and
 * the family, whose kinds each bring their own schema (lib/cfg.h). */
struct kinded {
	const char *selector;
	const struct tm_cfg_key *common;
	size_t nr_common;
	struct tm_kinds *family;
};

static bool kinded_scope(const char *scope, struct kinded *kd)
{
	if (strcmp(scope, "identifier") == 0) {
		*kd = (struct kinded){ "kind", tm_ident_common_keys,
				       tm_ident_nr_common_keys,
				       &tm_identifier_kinds };
		return true;
	}
	if (strcmp(scope, "rebalancer") == 0) {
		*kd = (struct kinded){ "policy", tm_rb_common_keys,
				       tm_rb_nr_common_keys, &tm_policy_kinds };
		return true;
	}
	return false;
}

/* ---- the node tree ------------------------------------------------------ */

enum nkind { N_SCALAR, N_MAP, N_SEQ };

struct cnode {
	enum nkind kind;
	uint32_t line, col;     /* 1-based */
	int ov;                 /* -1: from the file; else the --set index */
	char *str;              /* SCALAR */
	uint32_t nr, cap;
	struct cnode **keys;    /* MAP: key scalars, parallel to kids */
	struct cnode **kids;    /* MAP values; SEQ items */
};

struct ctx {
	const char *file;        /* the config path, for messages */
	char dir[TM_PATH_MAX];   /* its folder ("" when none) */
	struct tm_error *err;
	struct cnode **nodes;    /* every node, freed together */
	size_t nr_nodes, cap_nodes;
	char **ov_paths;         /* key path of each --set, for messages */
	unsigned nr_ov;
	struct cnode *root;
	struct tm_config *cfg;
	char (*vm_base)[TM_NAME_MAX]; /* per VM: its name before replicate */
	uint32_t nr_vms_total;
};


/* snprintf where cutting a long value is acceptable (names are bounded by
 * the table, paths and messages only lose their tail). */
static void fmt_into(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fmt_into(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

static struct cnode *node_new(struct ctx *c, enum nkind kind, uint32_t line,
			      uint32_t col, int ov)
{
	struct cnode *n = tm_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->col = col;
	n->ov = ov;
	if (c->nr_nodes == c->cap_nodes) {
		c->cap_nodes = c->cap_nodes ? 2 * c->cap_nodes : 64;
		c->nodes = tm_xrealloc(c->nodes,
				       c->cap_nodes * sizeof(*c->nodes));
	}
	c->nodes[c->nr_nodes++] = n;
	return n;
}

static struct cnode *scalar_new(struct ctx *c, const char *s, size_t len,
				uint32_t line, uint32_t col, int ov)
{
	struct cnode *n = node_new(c, N_SCALAR, line, col, ov);

	n->str = tm_xmalloc(len + 1);
	memcpy(n->str, s, len);
	n->str[len] = '\0';
	return n;
}

/* Append a child (and for maps its key). */
static void node_add(struct cnode *p, struct cnode *key, struct cnode *kid)
{
	if (p->nr == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		p->kids = tm_xrealloc(p->kids, p->cap * sizeof(*p->kids));
		if (p->kind == N_MAP)
			p->keys = tm_xrealloc(p->keys,
					      p->cap * sizeof(*p->keys));
	}
	if (p->kind == N_MAP)
		p->keys[p->nr] = key;
	p->kids[p->nr++] = kid;
}

static int map_find(const struct cnode *m, const char *key)
{
	uint32_t i;

	if (!m || m->kind != N_MAP)
		return -1;
	for (i = 0; i < m->nr; i++)
		if (strcmp(m->keys[i]->str, key) == 0)
			return (int)i;
	return -1;
}

static const struct cnode *map_get(const struct cnode *m, const char *key)
{
	int i = map_find(m, key);

	return i < 0 ? NULL : m->kids[i];
}

static void ctx_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nr_nodes; i++) {
		free(c->nodes[i]->str);
		free(c->nodes[i]->keys);
		free(c->nodes[i]->kids);
		free(c->nodes[i]);
	}
	free(c->nodes);
	for (i = 0; i < c->nr_ov; i++)
		free(c->ov_paths[i]);
	free(c->ov_paths);
	free(c->vm_base);
}

/* ---- messages ----------------------------------------------------------- */

/* Fail at node n: "file:line:col: path: msg", or "--set P: msg" for a node
 * an override made. */
static int fail_at(struct ctx *c, const struct cnode *n, enum tm_err code,
		   const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail_at(struct ctx *c, const struct cnode *n, enum tm_err code,
		   const char *path, const char *fmt, ...)
{
	char msg[TM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n && n->ov >= 0)
		return tm_error_set(c->err, code, "--set %s: %s",
				    c->ov_paths[n->ov], msg);
	return tm_error_set(c->err, code, "%s:%u:%u: %s: %s", c->file,
			    n ? n->line : 1, n ? n->col : 1, path, msg);
}

/* A key path that did not fit ends in "..." (paths come from the file, so
 * a 10 KB key must not overflow anything). */
static void mark_cut(char *buf, size_t sz, int n)
{
	if (n >= 0 && (size_t)n < sz)
		return;
	if (sz > 4)
		memcpy(buf + sz - 4, "...", 4);
}

static void join(char *buf, size_t sz, const char *path, const char *key)
{
	mark_cut(buf, sz, snprintf(buf, sz, "%s%s%s", path, *path ? "." : "",
				   key));
}

static void join_idx(char *buf, size_t sz, const char *path, uint32_t i)
{
	mark_cut(buf, sz, snprintf(buf, sz, "%s[%u]", path, i));
}





/* ---- the bounds table ---------------------------------------------------- */

static bool in_scope(const struct tm_cfg_key *k, const char *scope)
{
	size_t n = strlen(scope);

	return strncmp(k->pattern, scope, n) == 0 && k->pattern[n] == '.';
}

static const char *key_of(const struct tm_cfg_key *k)
{
	const char *dot = strchr(k->pattern, '.');

	return dot ? dot + 1 : k->pattern;
}

static const char *included(const char *scope)
{
	size_t i;

	for (i = 0; i < sizeof(scope_includes) / sizeof(scope_includes[0]); i++)
		if (strcmp(scope_includes[i][0], scope) == 0)
			return scope_includes[i][1];
	return NULL;
}

static const struct tm_cfg_key *find_key_in(const char *scope, const char *key)
{
	struct kinded kd;
	size_t i;

	if (kinded_scope(scope, &kd))
		return tm_cfg_find(kd.common, kd.nr_common, key);
	for (i = 0; i < tm_cfg_nr_keys; i++)
		if (in_scope(&tm_cfg_keys[i], scope) &&
		    strcmp(key_of(&tm_cfg_keys[i]), key) == 0)
			return &tm_cfg_keys[i];
	return NULL;
}

/* A generator's own key in scope gen (the first generator that takes it:
 * the walk checks its type and bounds, fill_part that the part's generator
 * takes it), or a key of a generator's list entries (hotset's moves). */
static const struct tm_cfg_key *gen_key(const char *scope, const char *key)
{
	for (size_t i = 0; i < tm_kinds_count(&tm_generator_kinds); i++) {
		const struct tm_generator_ops *g = tm_generator_at(i);
		const struct tm_cfg_key *k = NULL;

		if (strcmp(scope, "gen") == 0)
			k = tm_cfg_find(g->kind.keys, g->kind.nr_keys, key);
		else if (g->list && strcmp(scope, g->list->scope) == 0)
			k = tm_cfg_find(g->list->keys, g->list->nr_keys, key);
		if (k)
			return k;
	}
	return NULL;
}

static const struct tm_cfg_key *find_key(const char *scope, const char *key)
{
	const struct tm_cfg_key *k = find_key_in(scope, key);
	const char *inc = included(scope);

	if (!k && inc)
		k = find_key_in(inc, key);
	return k ? k : gen_key(inc ? inc : scope, key);
}

/* "a, b, c" of every key valid in scope (for "unknown key" messages). */
static void list_keys(const char *scope, bool in_defaults, char *buf, size_t sz)
{
	const char *sc[2] = { scope, included(scope) };
	struct kinded kd;
	size_t i, n = 0;
	int s;

	buf[0] = '\0';
	if (kinded_scope(scope, &kd)) {
		for (i = 0; i < kd.nr_common && n + 1 < sz; i++)
			n += (size_t)snprintf(buf + n, sz - n, "%s%s",
					      n ? ", " : "", kd.common[i].pattern);
		if (n + 1 < sz)
			snprintf(buf + n, sz - n, ", or a key of the chosen %s",
				 kd.family->family);
		return;
	}
	for (s = 0; s < 2 && sc[s]; s++)
		for (i = 0; i < tm_cfg_nr_keys && n + 1 < sz; i++) {
			const struct tm_cfg_key *k = &tm_cfg_keys[i];

			if (!in_scope(k, sc[s]) ||
			    (in_defaults && (k->flags & TM_CFG_NO_DEFAULTS)))
				continue;
			n += (size_t)snprintf(buf + n, sz - n, "%s%s",
					      n ? ", " : "", key_of(k));
		}
}










/* ---- 1. YAML -> tree ---------------------------------------------------- */

struct builder {
	struct cnode *stack[MAX_DEPTH];
	struct cnode *pending[MAX_DEPTH]; /* a map's key awaiting its value */
	int depth;
	struct cnode *root;
	int nr_docs;
};

static int yaml_fail(struct ctx *c, const yaml_parser_t *p, int ov)
{
	char where[TM_PATH_MAX + 64];

	if (ov >= 0)
		fmt_into(where, sizeof(where), "--set %s", c->ov_paths[ov]);
	else if (p->error == YAML_READER_ERROR)
		fmt_into(where, sizeof(where), "%s@%zu", c->file,
			 p->problem_offset);
	else
		fmt_into(where, sizeof(where), "%s:%zu:%zu", c->file,
			 p->problem_mark.line + 1, p->problem_mark.column + 1);
	if (p->context && ov < 0)
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "%s: malformed YAML: %s (%s that starts at "
				    "line %zu)", where,
				    p->problem ? p->problem : "error",
				    p->context, p->context_mark.line + 1);
	return tm_error_set(c->err, TM_ERR_CONFIG, "%s: malformed YAML: %s",
			    where, p->problem ? p->problem : "error");
}

/* Place a finished or opened node in its parent. */
static int attach(struct ctx *c, struct builder *b, struct cnode *n)
{
	struct cnode *top;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	if (top->kind == N_SEQ) {
		node_add(top, NULL, n);
	} else if (!b->pending[b->depth - 1]) {
		if (n->kind != N_SCALAR)
			return fail_at(c, n, TM_ERR_CONFIG, "(key)",
				       "expected a plain key, got a %s",
				       n->kind == N_MAP ? "mapping" : "list");
		b->pending[b->depth - 1] = n;
	} else {
		node_add(top, b->pending[b->depth - 1], n);
		b->pending[b->depth - 1] = NULL;
	}
	return 0;
}

static int push(struct ctx *c, struct builder *b, struct cnode *n)
{
	if (b->depth == MAX_DEPTH)
		return fail_at(c, n, TM_ERR_BOUNDS, "(document)",
			       "expected at most %d nested levels", MAX_DEPTH);
	if (attach(c, b, n) < 0)
		return -1;
	b->pending[b->depth] = NULL;
	b->stack[b->depth++] = n;
	return 0;
}

/* Handle one event; returns 1 at the end of the stream. */
static int on_event(struct ctx *c, struct builder *b, const yaml_event_t *ev,
		    int ov)
{
	uint32_t line = (uint32_t)ev->start_mark.line + 1;
	uint32_t col = (uint32_t)ev->start_mark.column + 1;
	struct cnode tmp = { .line = line, .col = col, .ov = ov };

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->nr_docs++)
			return fail_at(c, &tmp, TM_ERR_CONFIG, "(document)",
				       "expected one YAML document, got more");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(c, &tmp, TM_ERR_CONFIG, "(document)",
			       "expected plain values; aliases (*%s) are not "
			       "supported, use defaults: instead",
			       (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return attach(c, b, scalar_new(c, (const char *)ev->data.scalar.value,
					       ev->data.scalar.length, line, col, ov));
	case YAML_SEQUENCE_START_EVENT:
		return push(c, b, node_new(c, N_SEQ, line, col, ov));
	case YAML_MAPPING_START_EVENT:
		return push(c, b, node_new(c, N_MAP, line, col, ov));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* Parse a whole YAML stream; *out is NULL for an empty one. */
static int build_tree(struct ctx *c, yaml_parser_t *p, int ov,
		      struct cnode **out)
{
	struct builder b = { .depth = 0 };
	yaml_event_t ev;
	int r;

	for (;;) {
		if (!yaml_parser_parse(p, &ev))
			return yaml_fail(c, p, ov);
		r = on_event(c, &b, &ev, ov);
		yaml_event_delete(&ev);
		if (r < 0)
			return -1;
		if (r == 1)
			break;
	}
	*out = b.root;
	return 0;
}

static int read_file(struct ctx *c)
{
	yaml_parser_t p;
	struct stat st;
	FILE *f = fopen(c->file, "rb");
	int r;

	if (!f)
		return tm_error_set(c->err, TM_ERR_NOTFOUND,
				    "%s: expected a readable config file, "
				    "cannot open it", c->file);
	if (fstat(fileno(f), &st) == 0 && st.st_size > (off_t)MAX_FILE_BYTES) {
		fclose(f);
		return tm_error_set(c->err, TM_ERR_BOUNDS,
				    "%s: expected a config of at most 64MiB",
				    c->file);
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	r = build_tree(c, &p, -1, &c->root);
	yaml_parser_delete(&p);
	fclose(f);
	return r;
}

/* ---- 2. --set overrides ------------------------------------------------- */

/* The element of list seq that segment seg names: an index, or for hosts
 * and vms an element's name (default names host<i>/vm<i> count too). */
static int find_elem(struct ctx *c, int ov, const struct cnode *seq,
		     const char *list, const char *seg, uint32_t *out)
{
	char def[TM_NAME_MAX], *end;
	unsigned long i = strtoul(seg, &end, 10);
	bool named = strcmp(list, "hosts") == 0 || strcmp(list, "vms") == 0;
	uint32_t k;

	if (isdigit((unsigned char)seg[0]) && !*end) {
		if (i < seq->nr) {
			*out = (uint32_t)i;
			return 0;
		}
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected an index below %u "
				    "(%s has %u entries), got %s",
				    c->ov_paths[ov], seq->nr, list, seq->nr, seg);
	}
	for (k = 0; named && k < seq->nr; k++) {
		const struct cnode *nm = map_get(seq->kids[k], "name");

		fmt_into(def, sizeof(def), "%s%u",
			 strcmp(list, "hosts") == 0 ? "host" : "vm", k);
		if ((nm && nm->kind == N_SCALAR) ? !strcmp(nm->str, seg)
						 : !strcmp(def, seg)) {
			*out = k;
			return 0;
		}
	}
	return tm_error_set(c->err, TM_ERR_CONFIG,
			    "--set %s: expected an index%s into %s, got \"%s\"",
			    c->ov_paths[ov], named ? " or a name" : "", list, seg);
}

/* Split "a.b[2].c" into segments (in place); returns the count or -1 for
 * an empty segment or too many. */
static int split_path(char *p, char **seg, int max)
{
	int n = 0, i;
	char *r, *w;

	for (r = w = p; *r; r++) /* "b[2]" -> "b.2" */
		if (*r == '[')
			*w++ = '.';
		else if (*r != ']')
			*w++ = *r;
	*w = '\0';
	for (;;) {
		if (n == max)
			return -1;
		seg[n++] = p;
		if (!(p = strchr(p, '.')))
			break;
		*p++ = '\0';
	}
	for (i = 0; i < n; i++)
		if (!*seg[i])
			return -1;
	return n;
}

/* Parse an override's value as YAML (a scalar, or a flow list/mapping). */
static int parse_ov_value(struct ctx *c, int ov, const char *text,
			  struct cnode **out)
{
	yaml_parser_t p;
	int r;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	r = build_tree(c, &p, ov, out);
	yaml_parser_delete(&p);
	if (r == 0 && !*out)
		*out = scalar_new(c, "", 0, 1, 1, ov);
	return r;
}

/* Descend one segment from cur, creating a missing map key (the walk then
 * checks that the key exists in the schema).  On the last segment the
 * value replaces what was there. */
static int descend(struct ctx *c, int ov, struct cnode **cur, const char *seg,
		   const char **list, struct cnode *val, bool last)
{
	struct cnode *n = *cur, *kid;
	uint32_t e = 0;
	int k;

	if (n->kind == N_MAP) {
		k = map_find(n, seg);
		if (k < 0) {
			kid = last ? val : node_new(c, N_MAP, 1, 1, ov);
			node_add(n, scalar_new(c, seg, strlen(seg), 1, 1, ov), kid);
		} else if (last) {
			kid = n->kids[k] = val;
		} else {
			kid = n->kids[k];
		}
		*list = seg;
	} else if (n->kind == N_SEQ) {
		if (find_elem(c, ov, n, *list, seg, &e) < 0)
			return -1;
		if (last)
			n->kids[e] = val;
		kid = n->kids[e];
	} else {
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected a mapping or a list "
				    "before \"%s\", got a value",
				    c->ov_paths[ov], seg);
	}
	*cur = kid;
	return 0;
}

static int apply_override(struct ctx *c, int ov, const char *text)
{
	char buf[TM_PATH_MAX], *seg[MAX_DEPTH];
	const char *eq = strchr(text, '='), *list = "";
	struct cnode *val, *cur;
	int i, nr;

	fmt_into(buf, sizeof(buf), "%s", c->ov_paths[ov]);
	if (!eq || eq == text || (nr = split_path(buf, seg, MAX_DEPTH)) < 0)
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected key.path=value, with "
				    "keys like hosts.0.vms.web.memory",
				    c->ov_paths[ov]);
	if (parse_ov_value(c, ov, eq + 1, &val) < 0)
		return -1;
	if (!c->root)
		c->root = node_new(c, N_MAP, 1, 1, ov);
	cur = c->root;
	for (i = 0; i < nr; i++)
		if (descend(c, ov, &cur, seg[i], &list, val, i == nr - 1) < 0)
			return -1;
	return 0;
}

/* ---- 3. the walk: keys, types, bounds ------------------------------------ */

/* The kind a kinded map selects: its selector's value, else the
 * selector's default. */
static const char *kind_of(const struct cnode *m, const struct kinded *kd)
{
	const struct cnode *n = map_get(m, kd->selector);
	const struct tm_cfg_key *k;

	if (n && n->kind == N_SCALAR)
		return n->str;
	k = tm_cfg_find(kd->common, kd->nr_common, kd->selector);
	return k && k->def ? k->def : "";
}

static int fill_own(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path, const struct tm_kind *kind, void *own);
static const struct tm_kind *find_kind(struct ctx *c, const struct cnode *m,
				       const char *scope, const char *name,
				       const char *path);

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

/* A key of some kind of a kinded scope: its type and bounds are checked
 * once the map's kind is known (after defaults: are merged). */
static bool some_kind_takes(const char *scope, const char *key)
{
	struct kinded kd;

	if (!kinded_scope(scope, &kd))
		return false;
	for (size_t i = 0; i < tm_kinds_count(kd.family); i++) {
		const struct tm_kind *k = tm_kinds_at(kd.family, i);

		if (tm_cfg_find(k->keys, k->nr_keys, key))
			return true;
	}
	return false;
}

static int walk_map(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path);

static void got_desc(const struct cnode *n, char *buf, size_t sz)
{
	if (n->kind == N_MAP)
		fmt_into(buf, sz, "a mapping");
	else if (n->kind == N_SEQ)
		fmt_into(buf, sz, "a list");
	else
		fmt_into(buf, sz, "\"%.64s\"", n->str);
}

static int want_kind(struct ctx *c, const struct tm_cfg_key *k,
		     const struct cnode *n, enum nkind kind, const char *path)
{
	char got[80];

	if (n->kind == kind)
		return 0;
	got_desc(n, got, sizeof(got));
	return fail_at(c, n, TM_ERR_CONFIG, path, "expected %s, got %s",
		       tm_cfg_type_desc(k), got);
}

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
	char p[512], keys[768];
	uint32_t i, j;

	for (i = 0; i < m->nr; i++) {
		const struct cnode *key = m->keys[i];
		const struct tm_cfg_key *k = find_key(scope, key->str);

		join(p, sizeof(p), path, key->str);
		/* a key of some kind: checked against its kind in fill_own */
		if ((!k && !some_kind_takes(scope, key->str)) ||
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

static int walk_root(struct ctx *c)
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

/* ---- 4. fill ------------------------------------------------------------- */

static const struct cnode *or_node(const struct cnode *n, const struct cnode *m)
{
	return n ? n : m;
}

static int missing(struct ctx *c, const struct cnode *m, const char *path,
		   const char *key, const char *what)
{
	char p[512];

	join(p, sizeof(p), path, key);
	return fail_at(c, m, TM_ERR_CONFIG, p, "expected %s, the key is missing",
		       what);
}

/* The value of key in map m (or its default).  *pn: the node, NULL when the
 * default was used or there is none (v is then zero). */
static int value_of(struct ctx *c, const struct cnode *m, const char *scope,
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
static int fill_scope(struct ctx *c, const struct cnode *m, const char *scope,
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

/* Context a generator part needs from its VM and run. */
struct part_env {
	const struct tm_config *cfg;
	const struct tm_vm_config *vm;
	uint32_t phase, part;
};

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
	fmt_into(what, sizeof(what), "one of %s", names);
	if (!n)
		return missing(c, m, path, "gen", what);
	if ((*out = tm_generator_find(n->str)))
		return 0;
	tm_kinds_names(&tm_generator_kinds, ",", names, sizeof(names));
	join(p, sizeof(p), path, "gen");
	return fail_at(c, n, TM_ERR_CONFIG, p, "expected one of %s, got \"%s\"",
		       names, n->str);
}

/* "hot, hot_share, hot_offset, moves": g's own keys, for messages. */
static void own_keys(const struct tm_generator_ops *g, char *buf, size_t sz)
{
	size_t n = 0;

	fmt_into(buf, sz, "none");
	for (size_t i = 0; i < g->kind.nr_keys && n + 1 < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", i ? ", " : "",
				      g->kind.keys[i].pattern);
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
		own_keys(g, own, sizeof(own));
		join(p, sizeof(p), path, key);
		return fail_at(c, m->keys[i], TM_ERR_CONFIG, p, "generator %s "
			       "does not take this key; its own keys: %s",
			       g->kind.name, own);
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

	fmt_into(what, sizeof(what), "%s for gen %s", tm_cfg_type_desc(k), kind);
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
	fmt_into(name, sizeof(name), "%.*s", (int)(br - key), key);
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

static int fill_trace(struct ctx *c, const struct cnode *t, const char *path,
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

/* "a, b, c": the keys of a kind's own schema. */
static const char *kind_keys(const struct tm_kind *k, char *buf, size_t sz)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k->nr_keys && n + 1 < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", i ? ", " : "",
				      k->keys[i].pattern);
	if (!k->nr_keys)
		snprintf(buf, sz, "none");
	return buf;
}

/* "a, b, c": the keys every kind of a kinded scope takes. */
static void common_keys(const char *scope, char *buf, size_t sz)
{
	struct kinded kd;
	size_t n = 0;

	buf[0] = '\0';
	if (!kinded_scope(scope, &kd))
		return;
	for (size_t i = 0; i < kd.nr_common && n + 1 < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", i ? ", " : "",
				      kd.common[i].pattern);
}

/* A kinded map's own keys (every key that is not common) against its
 * kind's schema, into own (defaults first). */
static int fill_own(struct ctx *c, const struct cnode *m, const char *scope,
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
static const struct tm_kind *find_kind(struct ctx *c, const struct cnode *m,
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

/* identifier: {kind, common keys, the kind's own keys}. */
static int fill_ident(struct ctx *c, const struct cnode *m, const char *path,
		      struct tm_ident_config *ic)
{
	const struct tm_kind *k;

	if (fill_scope(c, m, "identifier", ic, path) < 0 ||
	    !(k = find_kind(c, m, "identifier", ic->kind, path)))
		return -1;
	ic->ops = (const struct tm_identifier_ops *)k;   /* kind: 1st member */
	return fill_own(c, m, "identifier", path, k, ic->own.bytes);
}

/* rebalancer: {policy, common keys, the policy's own keys}. */
static int fill_policy(struct ctx *c, const struct cnode *m, const char *path,
		       struct tm_rebalancer_config *rc)
{
	const struct tm_kind *k;

	if (fill_scope(c, m, "rebalancer", rc, path) < 0 ||
	    !(k = find_kind(c, m, "rebalancer", rc->policy, path)))
		return -1;
	rc->ops = (const struct tm_rebalancer_ops *)k;   /* kind: 1st member */
	return fill_own(c, m, "rebalancer", path, k, rc->own.bytes);
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
		fmt_into(vm->name, sizeof(vm->name), "vm%u", j);
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
	fmt_into(vm->loc.file, sizeof(vm->loc.file), "%s", c->file);
	vm->loc.line = el->line;
	vm->loc.col = el->col;
	return 0;
}

static bool is_trace_source(const char *key)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (strcmp(key, trace_sources[i]) == 0)
			return true;
	return false;
}

static const char *source_of(const struct cnode *t)
{
	uint32_t i;

	for (i = 0; i < t->nr; i++)
		if (is_trace_source(t->keys[i]->str))
			return t->keys[i]->str;
	return NULL;
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

	fmt_into(base, sizeof(base), "%s", vms[0].name);
	join(p, sizeof(p), path, "name");
	if (nr > 1 && strlen(base) + 1 + (size_t)digits > TM_NAME_MAX - 1)
		return fail_at(c, or_node(map_get(el, "name"), el), TM_ERR_BOUNDS,
			       p, "expected a name of at most %d bytes with "
			       "replicate %" PRIu64, TM_NAME_MAX - 2 - digits, nr);
	for (r = 0; r < nr; r++) {
		if (r)
			vms[r] = vms[0];
		if (nr > 1)
			fmt_into(vms[r].name, sizeof(vms[r].name), "%s-%" PRIu64,
				 base, r);
		fmt_into(c->vm_base[c->nr_vms_total++], TM_NAME_MAX, "%s", base);
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
			fmt_into(paths[k], sizeof(paths[k]), "%s.vms[%u]", path, j);
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

		fmt_into(vpath, sizeof(vpath), "%s.vms[%u]", path, j);
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

	fmt_into(path, sizeof(path), "hosts[%u]", i);
	if (fill_scope(c, h, "host", hc, path) < 0)
		return -1;
	if (!map_get(h, "name"))
		fmt_into(hc->name, sizeof(hc->name), "host%u", i);
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
	fmt_into(hc->loc.file, sizeof(hc->loc.file), "%s", c->file);
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

		fmt_into(path, sizeof(path), "hosts[%u]", i);
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
		fmt_into(p, sizeof(p), "truth.vms[%u]", i);
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
	fmt_into(name, sz, "%.*s", (int)(dot - base), base);
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
		fmt_into(paths[i], sizeof(paths[i]), "hosts[%u]", i);
		pp[i] = paths[i];
	}
	r = unique_names(c, c->cfg->hosts[0].name, sizeof(c->cfg->hosts[0]),
			 hosts->nr, nodes, pp, "host");
	free(nodes);
	free(paths);
	free(pp);
	return r;
}

static int fill_root(struct ctx *c)
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
	fmt_into(cfg->path, sizeof(cfg->path), "%s", c->file);
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
	if (walk_root(c) < 0)
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

/* An identifier: kind, its own keys (schema order), the common keys. */
static json_t *ident_json(const struct tm_ident_config *ic)
{
	const struct tm_kind *k = &ic->ops->kind;
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(ic->kind));
	for (size_t i = 0; i < k->nr_keys; i++)
		if (k->keys[i].field != TM_CFG_F_NONE)
			json_object_set_new(o, k->keys[i].pattern,
					    field_json(&k->keys[i],
						       ic->own.bytes));
	for (size_t i = 0; i < tm_ident_nr_common_keys; i++)
		if (strcmp(tm_ident_common_keys[i].pattern, "kind") != 0)
			json_object_set_new(o, tm_ident_common_keys[i].pattern,
					    field_json(&tm_ident_common_keys[i],
						       ic));
	return o;
}

/* A rebalancer: policy, its own keys (schema order), the common keys. */
static json_t *policy_json(const struct tm_rebalancer_config *rc)
{
	const struct tm_kind *k = &rc->ops->kind;
	json_t *o = json_object();

	json_object_set_new(o, "policy", json_string(rc->policy));
	for (size_t i = 0; i < k->nr_keys; i++)
		if (k->keys[i].field != TM_CFG_F_NONE)
			json_object_set_new(o, k->keys[i].pattern,
					    field_json(&k->keys[i],
						       rc->own.bytes));
	for (size_t i = 0; i < tm_rb_nr_common_keys; i++)
		if (strcmp(tm_rb_common_keys[i].pattern, "policy") != 0)
			json_object_set_new(o, tm_rb_common_keys[i].pattern,
					    field_json(&tm_rb_common_keys[i],
						       rc));
	return o;
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
