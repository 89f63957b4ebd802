/*
 * cfg.h - typed configuration keys and backend kinds (DESIGN.md §6.2, §10,
 * §12; STYLE.md habit 5, zstd's parameter table).
 *
 * A key is one row: name, type (which carries the unit), bounds, default,
 * doc line, and where the value lands in a struct.  The YAML loader
 * (sim/config) and the command-line options of `tmsim gen` and `tmsim
 * import` parse, bound-check and store values through the same rows, and
 * --help and docs/config.md print them, so they cannot drift.
 *
 * A backend (identifier, generator, importer, rebalancer policy) is a
 * kind: a name, a one-line help, flags and its own config schema (rows
 * whose `pattern` is the bare key and whose offsets point into the kind's
 * own config struct).  A family of kinds is a table of built-in kinds plus
 * the kinds registered at start-up (tm_kinds_add: a test registers a toy
 * backend from its own file).  The family's extension slots are the one
 * piece of process-wide mutable state in tmsim: written only before any
 * run starts, never by a run, so runs stay deterministic and thread-safe.
 */
#ifndef TM_CFG_H
#define TM_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

enum tm_cfg_type {
	TM_CFG_SIZE,    /* bytes: "4KiB" */
	TM_CFG_TIME,    /* ns: "500ms" */
	TM_CFG_CRATE,   /* per second: "50M/s" */
	TM_CFG_BRATE,   /* bytes per second: "10GB/s" */
	TM_CFG_SHARE,   /* [0, 1]: "20%" or "0.2" */
	TM_CFG_U64,     /* plain integer */
	TM_CFG_DOUBLE,  /* plain number */
	TM_CFG_BOOL,
	TM_CFG_ENUM,    /* one of arg ("a|b|c", in the C enum's order) */
	TM_CFG_STRING,  /* at most max bytes */
	TM_CFG_NAME,    /* host/VM name: [A-Za-z0-9_-], usable in --set paths */
	TM_CFG_FMEM,    /* a size, or "N%" of the VM's memory */
	TM_CFG_NAMES,   /* "all" or a list of VM names */
	TM_CFG_MAP,     /* a mapping of scope arg */
	TM_CFG_LIST,    /* a list (min..max entries) of mappings of scope arg */
};

enum tm_cfg_field {
	TM_CFG_F_NONE,  /* derived or structural: filled by code, not the table */
	TM_CFG_F_U32,
	TM_CFG_F_U64,
	TM_CFG_F_DBL,
	TM_CFG_F_BOOL,
	TM_CFG_F_INT,   /* a C enum: the index of the value in arg */
	TM_CFG_F_STR,   /* a char array */
};

#define TM_CFG_REQUIRED 0x1u      /* no default: the key must be given */
#define TM_CFG_MIN_EXCL 0x2u      /* the lower bound is exclusive */
#define TM_CFG_GEN_ONLY 0x4u      /* trace key: generators only, not files */
#define TM_CFG_DERIVED 0x8u       /* default computed from other keys */
#define TM_CFG_NO_DEFAULTS 0x10u  /* vm key not allowed in defaults: */

struct tm_cfg_key {
	const char *pattern;    /* "<scope>.<key>", or the bare key in a kind */
	enum tm_cfg_type type;
	double min, max;        /* inclusive (see MIN_EXCL); LIST: entries */
	const char *def;        /* default as written in YAML, or NULL */
	const char *arg;        /* ENUM: "a|b|c"; MAP, LIST: child scope */
	unsigned flags;
	enum tm_cfg_field field;
	size_t off, sz;         /* offset and size of the field in the
				 * scope's struct */
	const char *doc;        /* one line (kinds' schemas; NULL in the
				 * run table, documented in docs/config.md) */
};

/* A row of a kind's schema: key, type, bounds, default, enum values,
 * flags, field type, struct and member, doc. */
#define TM_CFG_KEY(key, type, min, max, def, arg, flags, fk, T, m, doc) \
	{ key, type, min, max, def, arg, flags, fk, offsetof(T, m),      \
	  sizeof(((T *)0)->m), doc }

/* A parsed scalar. */
struct tm_cfg_val {
	uint64_t u;   /* SIZE, TIME, U64, BOOL (0/1), ENUM (index), FMEM size */
	double d;     /* rates, SHARE, DOUBLE, FMEM share */
	bool pct;     /* FMEM given as a share of memory */
	const char *s;
};

/* Parse text s as key k's type with its bounds.  On failure -1 and e
 * says what was expected (no location: the caller adds it). */
int tm_cfg_parse(const struct tm_cfg_key *k, const char *s,
		 struct tm_cfg_val *v, struct tm_error *e);
/* Store v into k's field of base (no-op for TM_CFG_F_NONE). */
void tm_cfg_store(const struct tm_cfg_key *k, void *base,
		  const struct tm_cfg_val *v);
/* Store every row's default (rows with one) into base. */
void tm_cfg_set_defaults(const struct tm_cfg_key *keys, size_t nr,
			 void *base);
/* What a value of k's type looks like ("a size like 4KiB or 16GiB"). */
const char *tm_cfg_type_desc(const struct tm_cfg_key *k);
/* k's bounds in its unit: "4KiB..1TiB" ("" for types without bounds). */
void tm_cfg_format_bounds(const struct tm_cfg_key *k, char *buf, size_t sz);
/* A name of letters, digits, '_' or '-' (host and VM names). */
bool tm_cfg_name_ok(const char *s);
/* The index of s in an "a|b|c" list, or -1; the i-th name into buf. */
int tm_cfg_enum_index(const char *arg, const char *s);
void tm_cfg_enum_name(const char *arg, int i, char *buf, size_t sz);
/* The row of key in keys[0..nr), or NULL. */
const struct tm_cfg_key *tm_cfg_find(const struct tm_cfg_key *keys,
				     size_t nr, const char *key);
/* One "  OPT  doc (default D; bounds B)" line for row k, OPT as the
 * caller spells the option (e.g. "--no-permute"). */
void tm_cfg_print_help_row(FILE *f, const struct tm_cfg_key *k,
			   const char *opt);
/* One "  KEY  VALUE  doc (default D; bounds B)" line per row, each key
 * prefixed with `prefix` ("--" for command-line options). */
void tm_cfg_print_help(FILE *f, const struct tm_cfg_key *keys, size_t nr,
		       const char *prefix);
/* One Markdown table row per key: | key | value | default | bounds | doc |. */
void tm_cfg_print_markdown(FILE *f, const struct tm_cfg_key *keys, size_t nr);

/* ---- backend kinds ---------------------------------------------------- */

#define TM_KIND_CONFIG_MAX 512   /* bytes of a kind's own config struct */

struct tm_kind {
	const char *name;
	const char *help;              /* one line */
	const struct tm_cfg_key *keys; /* the kind's own config schema */
	size_t nr_keys;
	size_t config_size;            /* sizeof its config struct */
	unsigned flags;                /* the family's flags */
};

/* A kind's config: its struct, stored inline and aligned for any type
 * (copied with the config that holds it). */
struct tm_kind_config {
	_Alignas(16) unsigned char bytes[TM_KIND_CONFIG_MAX];
};

#define TM_KINDS_EXTRA 8

/* A family of kinds: the built-in table and start-up registrations. */
struct tm_kinds {
	const char *family;                   /* "identifier" */
	const struct tm_kind *const *builtin;
	size_t nr_builtin;
	const struct tm_kind *extra[TM_KINDS_EXTRA];
	size_t nr_extra;
};

size_t tm_kinds_count(const struct tm_kinds *f);
const struct tm_kind *tm_kinds_at(const struct tm_kinds *f, size_t i);
const struct tm_kind *tm_kinds_find(const struct tm_kinds *f, const char *name);
/* Register k (before any run).  -1 if the name is taken, the table is
 * full or the kind's config does not fit. */
int tm_kinds_add(struct tm_kinds *f, const struct tm_kind *k,
		 struct tm_error *e);
/* "a|b|c" of every kind's name into buf (for messages and --help). */
void tm_kinds_names(const struct tm_kinds *f, const char *sep, char *buf,
		    size_t sz);
/* One "  NAME  help" line per kind, then its keys (tm_cfg_print_help). */
void tm_kinds_print_help(FILE *f, const struct tm_kinds *fam,
			 const char *prefix);

#endif
