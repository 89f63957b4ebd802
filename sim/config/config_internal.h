/*
 * config_internal.h - the bounds table of the configuration loader, shared
 * with its tests (tests/test_config.c checks the table is consistent with
 * the structs and that docs/config.md documents every key).
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

#include <stddef.h>

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
	const char *pattern;    /* "<scope>.<key>" */
	enum tm_cfg_type type;
	double min, max;        /* inclusive (see MIN_EXCL); LIST: entries */
	const char *def;        /* default as written in YAML, or NULL */
	const char *arg;        /* ENUM: "a|b|c"; MAP, LIST: child scope */
	unsigned flags;
	enum tm_cfg_field field;
	size_t off, sz;         /* offset and size of the field in the
				 * scope's struct (see config.c) */
};

extern const struct tm_cfg_key tm_cfg_keys[];
extern const size_t tm_cfg_nr_keys;

#endif
