/*
 * import.h - trace importers: foreign recordings turned into tm_streams
 * (DESIGN.md §5; formats in reference/peers.md parts (a) and (b); the user
 * guide is docs/importers.md).
 *
 * An importer is an operation table chosen by name (STYLE.md habit 3):
 *   "perf-data"    perf.data read directly (PERFILE2 file mode)
 *   "perf-script"  the text of `perf script -F <fields> --ns`
 *   "lackey"       valgrind --tool=lackey --trace-mem=yes output
 * open() checks the input where it enters and yields a stream whose records
 * are in non-decreasing time; after that the records are trusted.
 *
 * Time: perf importers give time_ns relative to the earliest kept sample;
 * lackey gives instruction count × ns_per_instr, or access index / rate.
 */
#ifndef TM_IMPORT_H
#define TM_IMPORT_H

#include <stddef.h>
#include <stdint.h>

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

/* The `perf script -F` list the perf-script importer expects by default. */
#define TM_IMPORT_SCRIPT_FIELDS \
	"pid,tid,cpu,time,event,ip,addr,phys_addr,period,weight,data_src"

/* What an import saw; filled at open (perf) or as the stream is read (lackey). */
struct tm_import_stats {
	uint64_t nr_samples;   /* perf: samples read (before filters) */
	uint64_t nr_records;   /* records the stream yields */
	uint64_t nr_addr0;     /* perf: samples dropped, address 0 in the chosen space */
	uint64_t nr_filtered;  /* perf: samples of other events (--event) */
	uint64_t nr_skipped;   /* perf-data: non-sample records; text: ignored lines */
	uint64_t nr_instr;     /* lackey: I lines */
	uint32_t nr_events;    /* perf-data: attrs in the file */
};

struct tm_import_opts {
	enum tm_import_addr addr;
	/* NULL: all events.  perf-data: an event name (HEADER_EVENT_DESC) or an
	 * attr index (0-based, the order of `perf evlist`); perf-script: a name. */
	const char *event;
	/* perf-script: the -F list perf script was run with; NULL: the default. */
	const char *script_fields;
	enum tm_import_time time;
	double ns_per_instr;      /* lackey INSTR; default 1.0 (assumption: 1 GHz, IPC 1) */
	double rate_per_s;        /* lackey INDEX; default 1e9 accesses/s (assumption) */
	uint32_t nr_vcpus;        /* 0: from the trace (max cpu + 1) */
	uint32_t page_shift;      /* written to the trace info; default 12 */
	/* Optional out: must outlive the stream (lackey updates it while read). */
	struct tm_import_stats *stats;
};

struct tm_importer_ops {
	const char *name;
	const char *help;    /* one line for `tmsim import --help` */
	int (*open)(const char *path, const struct tm_import_opts *o,
		    struct tm_stream **out, struct tm_error *err);
};

extern const struct tm_importer_ops tm_importer_perf_data;
extern const struct tm_importer_ops tm_importer_perf_script;
extern const struct tm_importer_ops tm_importer_lackey;

/* Defaults as documented above. */
void tm_import_opts_init(struct tm_import_opts *o);

/* The importer called name, or NULL. */
const struct tm_importer_ops *tm_importer_find(const char *name);
/* The i-th registered importer, NULL past the end (for --help). */
const struct tm_importer_ops *tm_importer_at(size_t i);

#endif
