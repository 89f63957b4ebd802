/*
 * config_internal.h - the bounds table of the configuration loader, shared
 * with its tests (tests/test_config.c checks the table is consistent with
 * the structs and that docs/config.md documents every key), and what the
 * loader's files share: the node tree, the context, and the functions one
 * file calls in another.  Those keep short names in the code and link as
 * tm_config_<name> (the #defines below), so no short name leaves the
 * module.
 *
 * Files, in pipeline order: tree.c (YAML -> tree, --set overrides,
 * messages), traceset.c (`traces: DIR` entries into VM entries),
 * table.c (the bounds table and scope lookups), value.c (a
 * key's value, a scope's keys, a kinded map: shared by the walk and the
 * fill), walk.c (keys, types, bounds), trace.c and fill.c (the struct
 * tm_config), echo.c (JSON), config.c (the public entry points).  Calls
 * point one way: fill -> trace -> value -> table, tree; walk -> value.
 * yaml.c lends tree.c's tree and messages to readers of other YAML files
 * (yaml.h: sweep files).
 *
 * STYLE.md habit 5 / zstd's parameter table: every key of the YAML schema is
 * one row, naming its type, bounds, default and where it lands in struct
 * tm_config.  The loader walks the YAML tree against this table once; models
 * never re-validate.
 *
 * A row's pattern is "<scope>.<key>".  A scope names where a mapping occurs:
 *   root        the top level
 *   latency     root.latency               truth       root.truth
 *   host        hosts[]                    rebalancer  hosts[].rebalancer
 *   vm          defaults, hosts[].vms[]
 *   sampler     vm.sampler                 migration   vm.migration
 *   identifier  vm.identifier, vm.shadow_identifiers[]
 *   trace       vm.trace (also holds every "gen" key for a single generator)
 *   gen         one generator part (keys allowed in trace, mixpart and phase)
 *   mixpart     trace.mix[], phase.mix[]   phase   trace.phases[]
 *   move        gen.moves[]
 */
#ifndef TM_CONFIG_INTERNAL_H
#define TM_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "yaml.h"
#include "lib/cfg.h"
#include "lib/error.h"

extern const struct tm_cfg_key tm_cfg_keys[];
extern const size_t tm_cfg_nr_keys;

/* Resource bounds (assumptions: far above any planned experiment, far below
 * what would exhaust a 24 GiB machine).  A tm_vm_config is ~47 KB because
 * of its inline generator spec, so the whole cluster is capped too. */
#define MAX_HOSTS 4096
#define MAX_VMS_PER_HOST 4096
#define MAX_VMS_TOTAL 16384     /* ~0.8 GB of VM configs */
#define MAX_DEPTH 32            /* YAML nesting; the schema needs 13 */
#define MAX_FILE_BYTES (64u << 20)

/* Scopes whose keys come from a backend family: the keys every kind takes
 * (bare rows into the scope's struct), the key that selects the kind, and
 * the family, whose kinds each bring their own schema (lib/cfg.h). */
struct kinded {
	const char *selector;
	const struct tm_cfg_key *common;
	size_t nr_common;
	struct tm_kinds *family;
};

/* ---- the node tree ------------------------------------------------------ */

/* The node is yaml.h's struct tm_ynode (opaque there); the loader's files
 * keep the short name. */
#define cnode tm_ynode

enum nkind {
	N_SCALAR = TM_YNODE_SCALAR,
	N_MAP = TM_YNODE_MAP,
	N_SEQ = TM_YNODE_SEQ,
};

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
	const char *alias_hint;  /* ends the refusal of an alias, or NULL */
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

/* Context a generator part needs from its VM and run. */
struct part_env {
	const struct tm_config *cfg;
	const struct tm_vm_config *vm;
	uint32_t phase, part;
};

/* ---- shared by the loader's files ---- */

#define apply_override tm_config_apply_override
#define common_keys tm_config_common_keys
#define ctx_free tm_config_ctx_free
#define expand_tracesets tm_config_expand_tracesets
#define fail_at tm_config_fail_at
#define fill_own tm_config_fill_own
#define fill_kinded tm_config_fill_kinded
#define fill_root tm_config_fill_root
#define fill_scope tm_config_fill_scope
#define fill_trace tm_config_fill_trace
#define find_key tm_config_find_key
#define find_key_in tm_config_find_key_in
#define find_kind tm_config_find_kind
#define gen_key tm_config_gen_key
#define in_scope tm_config_in_scope
#define join tm_config_join
#define join_idx tm_config_join_idx
#define key_of tm_config_key_of
#define kind_keys tm_config_kind_keys
#define kind_of tm_config_kind_of
#define kinded_scope tm_config_kinded_scope
#define list_keys tm_config_list_keys
#define map_find tm_config_map_find
#define map_get tm_config_map_get
#define missing tm_config_missing
#define node_add tm_config_node_add
#define node_new tm_config_node_new
#define or_node tm_config_or_node
#define read_file tm_config_read_file
#define read_text tm_config_read_text
#define some_kind_takes tm_config_some_kind_takes
#define source_of tm_config_source_of
#define value_of tm_config_value_of
#define walk_root tm_config_walk_root
#define want_kind tm_config_want_kind

int apply_override(struct ctx *c, int ov, const char *text);
void common_keys(const char *scope, char *buf, size_t sz);
void ctx_free(struct ctx *c);
int expand_tracesets(struct ctx *c);
int fail_at(struct ctx *c, const struct cnode *n, enum tm_err code,
		   const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const struct tm_kind *fill_kinded(struct ctx *c, const struct cnode *m,
				  const char *scope, const char *path,
				  void *base, const char *name, void *own);
int fill_own(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *path, const struct tm_kind *kind, void *own);
int fill_root(struct ctx *c);
int fill_scope(struct ctx *c, const struct cnode *m, const char *scope,
		      void *base, const char *path);
int fill_trace(struct ctx *c, const struct cnode *t, const char *path,
		      struct tm_vm_config *vm);
const struct tm_cfg_key *find_key(const char *scope, const char *key);
const struct tm_cfg_key *find_key_in(const char *scope, const char *key);
const struct tm_kind *find_kind(struct ctx *c, const struct cnode *m,
				       const char *scope, const char *name,
				       const char *path);
const struct tm_cfg_key *gen_key(const char *scope, const char *key);
bool in_scope(const struct tm_cfg_key *k, const char *scope);
void join(char *buf, size_t sz, const char *path, const char *key);
void join_idx(char *buf, size_t sz, const char *path, uint32_t i);
const char *key_of(const struct tm_cfg_key *k);
const char *kind_keys(const struct tm_kind *k, char *buf, size_t sz);
const char *kind_of(const struct cnode *m, const struct kinded *kd);
bool kinded_scope(const char *scope, struct kinded *kd);
void list_keys(const char *scope, bool in_defaults, char *buf, size_t sz);
int map_find(const struct cnode *m, const char *key);
const struct cnode *map_get(const struct cnode *m, const char *key);
int missing(struct ctx *c, const struct cnode *m, const char *path,
		   const char *key, const char *what);
void node_add(struct cnode *p, struct cnode *key, struct cnode *kid);
struct cnode *node_new(struct ctx *c, enum nkind kind, uint32_t line,
			      uint32_t col, int ov);
const struct cnode *or_node(const struct cnode *n, const struct cnode *m);
int read_file(struct ctx *c);
int read_text(struct ctx *c, const char *text, size_t len);
bool some_kind_takes(const char *scope, const char *key);
const char *source_of(const struct cnode *t);
int value_of(struct ctx *c, const struct cnode *m, const char *scope,
		    const char *key, const char *path, struct tm_cfg_val *v,
		    const struct cnode **pn);
int walk_root(struct ctx *c);
int want_kind(struct ctx *c, const struct tm_cfg_key *k,
		     const struct cnode *n, enum nkind kind, const char *path);

#endif
