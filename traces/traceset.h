/*
 * traceset.h - a trace set: the folder `tmsim import --split KEY -o DIR`
 * writes, read back through its DIR/index.json (docs/importers.md
 * "Splitting one recording into streams"), so that a config can name the
 * whole folder (`traces: DIR`, docs/config.md) and get one VM per stream.
 *
 * What is read of the index: "streams", a list of objects each with "file"
 * (a .tmt in DIR, a bare name of letters, digits, '.', '_' or '-') and
 * "footprint_bytes" (an integer >= 0); "samples" when present.  Other keys
 * (input, split, key, comm, first_ns, dropped, ...) are not needed here and
 * are ignored, so later index versions still read.
 */
#ifndef TM_TRACESET_H
#define TM_TRACESET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define TM_TRACESET_NAME_MAX 64      /* a VM name: the file's stem */
#define TM_TRACESET_MAX_STREAMS 4096 /* a host's VMs at most */

struct tm_traceset_stream {
	char name[TM_TRACESET_NAME_MAX]; /* the file's stem, '.' as '_' */
	char file[TM_TRACESET_NAME_MAX + 8]; /* "<stem>.tmt", in DIR */
	uint64_t nr_samples;
	uint64_t sz_footprint;               /* bytes of distinct pages */
};

struct tm_traceset {
	struct tm_traceset_stream *s;
	size_t nr;
};

/* Read dir/index.json into *ts.  -1 with err: TM_ERR_NOTFOUND when dir or
 * its index is missing, TM_ERR_FORMAT (located "dir/index.json:line:col:"
 * for JSON syntax, "dir/index.json: streams[i].file:" for a value) when
 * the index is malformed or lists no stream. */
int tm_traceset_read(const char *dir, struct tm_traceset *ts, struct tm_error *err);

/* Read an index from memory (text of len bytes); name is used in messages. */
int tm_traceset_parse(const char *name, const char *text, size_t len,
		      struct tm_traceset *ts, struct tm_error *err);

/* Free ts's streams; a zeroed ts is fine. */
void tm_traceset_free(struct tm_traceset *ts);

#endif
