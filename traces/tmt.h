/*
 * tmt.h - the native trace format .tmt: reader (as a tm_stream) and writer.
 *
 * DESIGN.md §5; the byte layout is specified in docs/trace-format.md.  One
 * zstd frame with content checksum holding: 8-byte magic "TMTRACE\0",
 * u32 version, u32 header length, JSON header, then the records in
 * non-decreasing time: 24-byte little-endian rows (version 1) or blocks of
 * delta-coded columns (version 2, the default).  Readers take both and
 * deliver the same struct tm_record.  Writers write "<dir>/.<name>.tmp.<pid>"
 * (lib/tmpname.h) and rename on close, so a reader never sees a half-written file.
 */
#ifndef TM_TMT_H
#define TM_TMT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "record.h"
#include "stream.h"

#define TM_TMT_MAGIC "TMTRACE"
/* Record encodings (the preamble's version): 1 = 24-byte rows, 2 = blocks
 * of columns (smaller and faster to decode; docs/trace-format.md). */
#define TM_TMT_VERSION_MIN 1
#define TM_TMT_VERSION_MAX 2
#define TM_TMT_VERSION_DEFAULT 2

struct tm_tmt_writer;

/* zstd compression levels a writer takes (tm_tmt_writer_new_level).  The
 * default favours a small file that still reads fast; negative levels read
 * faster in a replay and write larger files (docs/bench.md). */
#define TM_TMT_LEVEL_DEFAULT (-3)
#define TM_TMT_LEVEL_MIN (-100)
#define TM_TMT_LEVEL_MAX 19

/* provenance_json: a JSON object text stored under "provenance" (may be NULL). */
struct tm_tmt_writer *tm_tmt_writer_new(const char *path,
					const struct tm_trace_info *info,
					const char *provenance_json,
					struct tm_error *err);
/* The same at zstd level `level` (TM_TMT_LEVEL_MIN .. TM_TMT_LEVEL_MAX). */
struct tm_tmt_writer *tm_tmt_writer_new_level(const char *path,
					      const struct tm_trace_info *info,
					      const char *provenance_json,
					      int level, struct tm_error *err);
/* The same writing record encoding `version` (TM_TMT_VERSION_MIN ..
 * TM_TMT_VERSION_MAX); the two above write TM_TMT_VERSION_DEFAULT. */
struct tm_tmt_writer *tm_tmt_writer_new_format(const char *path,
					       const struct tm_trace_info *info,
					       const char *provenance_json,
					       int level, int version,
					       struct tm_error *err);
/* Parse a --format value: "1" or "2". */
int tm_tmt_parse_format(const char *v, int *out, struct tm_error *err);
/* Parse a --zstd-level value: an integer in the range above. */
int tm_tmt_parse_level(const char *v, int *out, struct tm_error *err);
int tm_tmt_writer_add(struct tm_tmt_writer *w, const struct tm_record *recs,
		      size_t nr, struct tm_error *err);
/* Finish the stream, fsync, rename into place, free w. */
int tm_tmt_writer_close(struct tm_tmt_writer *w, struct tm_error *err);
/* Drop the temp file and free w; NULL is a no-op. */
void tm_tmt_writer_abort(struct tm_tmt_writer *w);

/* Open path as a stream; info comes from the header.  Errors name the file
 * and byte offset (in the decompressed stream). */
int tm_tmt_open(const char *path, struct tm_stream **out, struct tm_error *err);

#endif
