/*
 * tmt.h - the native trace format .tmt: reader (as a tm_stream) and writer.
 *
 * DESIGN.md §5; the byte layout is specified in docs/trace-format.md.  One
 * zstd frame with content checksum holding: 8-byte magic "TMTRACE\0",
 * u32 version, u32 header length, JSON header, then 24-byte little-endian
 * records in non-decreasing time.  Writers write "<dir>/.<name>.tmp.<pid>"
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
#define TM_TMT_VERSION 1

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
