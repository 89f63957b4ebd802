/*
 * table.c - the bounds table of the run configuration (one row per key:
 * type, bounds, default, where it lands) and the lookups of keys by scope,
 * including the kinded scopes whose keys come from a backend family.
 */
#include "config.h"
#include "config_internal.h"

#include <string.h>

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)
#define US 1e3
#define MS 1e6
#define SEC 1e9
#define DAY (86400.0 * SEC)
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
	{ "vm.vcpus", TM_CFG_U64, 1, TM_VM_VCPUS_MAX, "4", NULL, 0, FLD(U32, VM, nr_vcpus), NULL },
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
	{ "trace.rate", TM_CFG_CRATE, 0, TM_GEN_RATE_MAX, "1M/s", NULL, GEN | EXCL,
	  FLD(DBL, TRACE, gen.rate_per_s), NULL },
	/* default: the run's duration */
	{ "trace.duration", TM_CFG_TIME, 0, 30 * DAY, NULL, NULL, GEN | DERIV,
	  FLD(U64, TRACE, gen.duration_ns), NULL },
	{ "trace.records", TM_CFG_U64, 0, TM_GEN_RECORDS_MAX, "0", NULL, GEN,
	  FLD(U64, TRACE, gen.nr_records), NULL },
	/* default: the VM's vcpus */
	{ "trace.vcpus", TM_CFG_U64, 1, TM_VM_VCPUS_MAX, NULL, NULL, GEN | DERIV,
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

bool kinded_scope(const char *scope, struct kinded *kd)
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

/* ---- the bounds table ---------------------------------------------------- */

bool in_scope(const struct tm_cfg_key *k, const char *scope)
{
	size_t n = strlen(scope);

	return strncmp(k->pattern, scope, n) == 0 && k->pattern[n] == '.';
}

const char *key_of(const struct tm_cfg_key *k)
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

const struct tm_cfg_key *find_key_in(const char *scope, const char *key)
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
const struct tm_cfg_key *gen_key(const char *scope, const char *key)
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

const struct tm_cfg_key *find_key(const char *scope, const char *key)
{
	const struct tm_cfg_key *k = find_key_in(scope, key);
	const char *inc = included(scope);

	if (!k && inc)
		k = find_key_in(inc, key);
	return k ? k : gen_key(inc ? inc : scope, key);
}

/* "a, b, c" of every key valid in scope (for "unknown key" messages). */
void list_keys(const char *scope, bool in_defaults, char *buf, size_t sz)
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

/* ---- 3. the walk: keys, types, bounds ------------------------------------ */

/* The kind a kinded map selects: its selector's value, else the
 * selector's default. */
const char *kind_of(const struct cnode *m, const struct kinded *kd)
{
	const struct cnode *n = map_get(m, kd->selector);
	const struct tm_cfg_key *k;

	if (n && n->kind == N_SCALAR)
		return n->str;
	k = tm_cfg_find(kd->common, kd->nr_common, kd->selector);
	return k && k->def ? k->def : "";
}

/* A key of some kind of a kinded scope: its type and bounds are checked
 * once the map's kind is known (after defaults: are merged). */
bool some_kind_takes(const char *scope, const char *key)
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

/* "a, b, c": the keys of a kind's own schema. */
const char *kind_keys(const struct tm_kind *k, char *buf, size_t sz)
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
void common_keys(const char *scope, char *buf, size_t sz)
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
