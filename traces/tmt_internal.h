/*
 * tmt_internal.h - what the traces module needs from the .tmt reader beyond
 * the public tmt.h: the raw JSON header of an open stream (for `tmsim
 * inspect`, which prints the provenance object the stream info does not
 * carry).  Not for use outside traces/ and the inspect command.
 */
#ifndef TM_TMT_INTERNAL_H
#define TM_TMT_INTERNAL_H

#include "stream.h"

/* The preamble: 8-byte magic (TM_TMT_MAGIC with its NUL), u32 version,
 * u32 header length.  Assumption: a header is a few hundred bytes; 1 MiB
 * bounds reader memory against a corrupt length field. */
#define TMT_MAGIC_LEN 8
#define TMT_PREAMBLE_LEN 16
#define TMT_HEADER_MAX (1u << 20)

/* The JSON header text of a stream opened by tm_tmt_open, owned by the
 * stream; NULL if s is not a .tmt stream. */
const char *tm_tmt_stream_header_json(const struct tm_stream *s);

/* zstd compression level of the writer, chosen by tests/bench/bench_trace.c
 * (see the measurements there). */
int tm_tmt_zstd_level(void);

#endif
