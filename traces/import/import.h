/*
 * import.h - trace importers: foreign recordings turned into tm_streams
 * (DESIGN.md §5, §12; formats in reference/peers.md parts (a) and (b); the
 * user guide is docs/importers.md).
 *
 * An importer is a backend kind (lib/cfg.h) with an open operation
 * (STYLE.md habit 3): a name, a one-line help, flags, and the schema of its
 * own options (bare keys, spelled as on the command line: `tmsim import
 * --ns-per-instr 2` sets key "ns-per-instr").  The family
 * tm_importer_kinds holds the built-in table
 *   "perf-data"    perf.data read directly (PERFILE2, file or pipe mode,
 *                  zstd-compressed records too; "-" reads standard input)
 *   "perf-script"  the text of `perf script`, default fields or any -F
 *                  list with time and addr, read by its shape
 *   "lackey"       valgrind --tool=lackey --trace-mem=yes output
 * and the importers registered at start-up (tm_importer_register).  Adding
 * one is a file under traces/import/ and a row in import.c's table; `tmsim
 * import` finds it by name and parses its options through its schema.
 *
 * open() checks the input where it enters and yields a stream whose records
 * are in non-decreasing time; after that the records are trusted.
 *
 * Time: perf importers give time_ns relative to the earliest kept sample;
 * lackey gives instruction count × ns_per_instr, or access index / rate.
 */
#ifndef TM_IMPORT_H
#define TM_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/cfg.h"
#include "lib/error.h"
#include "traces/stream.h"

enum tm_import_addr {
	TM_IMPORT_VIRT = 0, /* sample ADDR: guest virtual (trace space gva) */
	TM_IMPORT_PHYS,     /* sample PHYS_ADDR: guest physical (gpa) */
};

enum tm_import_time {
	TM_IMPORT_TIME_AUTO = 0, /* lackey: INSTR if the first trace line is an I line */
	TM_IMPORT_TIME_INSTR,    /* lackey: time of an access = its instruction × ns_per_instr */
	TM_IMPORT_TIME_INDEX,    /* lackey: time of access j = j / rate_per_s */
};

/* Schema rows store enums as int (TM_CFG_F_INT). */
_Static_assert(sizeof(enum tm_import_addr) == sizeof(int), "enum as int");
_Static_assert(sizeof(enum tm_import_time) == sizeof(int), "enum as int");

/* --split: one stream per group of samples (`tmsim import --split KEY`). */
enum tm_import_split {
	TM_IMPORT_SPLIT_NONE = 0,
	TM_IMPORT_SPLIT_PID,  /* process: `<comm>-<pid>` */
	TM_IMPORT_SPLIT_TID,  /* thread: `<comm>-<tid>` */
	TM_IMPORT_SPLIT_COMM, /* command name: `<comm>` */
	TM_IMPORT_SPLIT_CPU,  /* cpu: `cpu<N>` */
};

#define TM_IMPORT_COMM_MAX 24 /* TASK_COMM_LEN is 16; ":<tid>" when unknown */

/* One group of a split import.  Its stream keeps the whole recording's
 * time base (time 0 = the earliest kept sample of any group), so streams
 * replayed side by side keep their overlap. */
struct tm_import_group {
	char comm[TM_IMPORT_COMM_MAX]; /* of the group's last sample */
	uint64_t key;                  /* pid, tid or cpu; comm: its index */
	uint64_t nr_records;
	uint64_t first_ns, last_ns;    /* [first_ns, last_ns] of its records */
	struct tm_stream *stream;
};

struct tm_import_groups {
	struct tm_import_group *g;     /* in order of first appearance */
	size_t nr;
};

/* Free every group's stream and the array; NULL members are fine. */
void tm_import_groups_free(struct tm_import_groups *gs);

/* What an import saw; filled at open (perf) or as the stream is read (lackey). */
struct tm_import_stats {
	uint64_t nr_samples;   /* perf: samples read (before filters) */
	uint64_t nr_records;   /* records the stream yields */
	uint64_t nr_addr0;     /* perf: samples dropped, address 0 in the chosen space */
	uint64_t nr_filtered;  /* perf: samples of other events (--event) */
	uint64_t nr_skipped;   /* perf-data: non-sample records; text: ignored lines */
	uint64_t nr_instr;     /* lackey: I lines */
	uint32_t nr_events;    /* perf-data: attrs in the file */
	uint64_t nr_lost;      /* perf-data: samples the kernel lost (LOST,
				* LOST_SAMPLES records), not in the trace */
	uint64_t nr_lost_records; /* perf-data: LOST and LOST_SAMPLES records */
	uint64_t nr_rounds;    /* perf-data: FINISHED_ROUND records */
	uint64_t nr_compressed; /* perf-data: COMPRESSED(2) records decoded */
	bool pipe;             /* perf-data: the input was in pipe mode */
	char columns[192];     /* perf-script: the text's shape as read, "" if
				* no sample line */
};

/* What every importer is given, whatever its kind (`tmsim import`'s
 * common options). */
struct tm_import_opts {
	uint32_t nr_vcpus;        /* 0: from the trace (max cpu + 1) */
	uint32_t page_shift;      /* written to the trace info; default 12 */
	/* Optional out: must outlive the stream (lackey updates it while read). */
	struct tm_import_stats *stats;
	/* With split set (importers flagged TM_IMPORT_SPLITS only), open()
	 * fills *groups instead of *out (left NULL). */
	enum tm_import_split split;
	struct tm_import_groups *groups;
};

/* The options of the perf importers (perf-data has no `fields` row). */
struct tm_import_perf_opts {
	enum tm_import_addr addr;
	/* "all", or one event: perf-data: a name (HEADER_EVENT_DESC) or an attr
	 * index (0-based, the order of `perf evlist`); perf-script: a name. */
	char event[128];
	char fields[256];         /* perf-script: the -F list perf script ran
				   * with, or "auto" (found by shape) */
};

/* The options of the lackey importer. */
struct tm_import_lackey_opts {
	enum tm_import_time time;
	double ns_per_instr;      /* INSTR; default 1 (assumption: 1 GHz, IPC 1) */
	double rate_per_s;        /* INDEX; default 1e9 accesses/s (assumption) */
};

/* tm_kind.flags of an importer. */
#define TM_IMPORT_FULL 0x1u   /* yields every access (an accesses trace);
			       * without it, samples */
#define TM_IMPORT_SPLITS 0x2u /* honours tm_import_opts.split */

struct tm_importer_ops {
	struct tm_kind kind;  /* name, help, schema of its options, flags */
	/* config: the kind's own options struct, filled from its schema. */
	int (*open)(const char *path, const void *config,
		    const struct tm_import_opts *o, struct tm_stream **out,
		    struct tm_error *err);
	/* Optional: what the import did, into the trace header's provenance
	 * (after tool, from and input; stats as filled by open and reads). */
	void (*provenance)(const void *config, const struct tm_import_stats *st,
			   json_t *prov);
};

extern const struct tm_importer_ops tm_importer_perf_data;
extern const struct tm_importer_ops tm_importer_perf_script;
extern const struct tm_importer_ops tm_importer_lackey;

/* The importer family: the built-in table and start-up registrations. */
extern struct tm_kinds tm_importer_kinds;

/* Register an importer (before any import; a test registers a toy one).
 * -1 if the name is taken, the table is full, open is missing or its
 * options do not fit a struct tm_kind_config. */
int tm_importer_register(const struct tm_importer_ops *imp, struct tm_error *err);

/* Defaults of the common options. */
void tm_import_opts_init(struct tm_import_opts *o);

/* The importer called name, or NULL. */
const struct tm_importer_ops *tm_importer_find(const char *name);
/* The i-th importer, NULL past the end (for --help). */
const struct tm_importer_ops *tm_importer_at(size_t i);
size_t tm_importer_count(void);

/* Zero config (kind.config_size bytes) and store every default of imp's
 * schema into it. */
void tm_importer_config_init(const struct tm_importer_ops *imp, void *config);
/* Set option key of imp's schema from text; on failure -1 and err says
 * "KEY: what was expected" (TM_ERR_USAGE). */
int tm_importer_set(const struct tm_importer_ops *imp, void *config,
		    const char *key, const char *value, struct tm_error *err);

#endif
