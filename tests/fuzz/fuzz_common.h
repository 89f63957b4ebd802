/*
 * fuzz_common.h - helpers shared by the libFuzzer targets tests/fuzz/fuzz_*.c
 * (STYLE.md habit 10: every parser is fuzzed, its corpus committed).
 *
 * Each target is a function `int tm_fuzz_<target>(const uint8_t *, size_t)`
 * that returns 0 and calls abort() when a property is violated, so that
 * libFuzzer (built with -DTM_FUZZ_MAIN, see the Makefile's fuzz rule) and the
 * corpus replay test (tests/test_fuzz_corpus.c, built without it) both report
 * the violation.  The parsers take paths, not buffers, so a target writes its
 * input to a per-process file in a memory-backed folder (TM_FUZZ_TMPDIR, else
 * /dev/shm, else /tmp): the .tmt writer fsyncs, which costs nothing on tmpfs.
 *
 * Properties checked for every stream a parser accepts (fuzz_check_stream):
 * records in non-decreasing time, op <= 2, flags 0; and the stream written
 * with the .tmt writer (in both record encodings) and read back gives the
 * same records and trace info.
 * The importers also decode each input a second time, one record per read,
 * and must end the same way with the same records (tm_fuzz_redecode).
 *
 * The .tmt round trip is the expensive part: the writer sets up a
 * two-thread zstd context and fsyncs, about ten times the cost of a parse
 * under ASan (measured with fuzz_perfscript).  The replay test does it for
 * every accepted stream; a fuzzer build does it for one input in
 * TM_FUZZ_RT_EVERY, picked by a hash of the input bytes so that an input
 * always gets the same checks and a crash reproduces.  It is done once per
 * input, never once per option variant.
 */
#ifndef TM_FUZZ_COMMON_H
#define TM_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/error.h"
#include "traces/import/import.h"
#include "traces/stream.h"
#include "traces/tmt.h"

/* Inputs larger than this are ignored: the parsers' cost is linear in the
 * input and large inputs only slow the search (assumption, libFuzzer's own
 * default max_len is 4096). */
#define TM_FUZZ_MAX_INPUT (1u << 20)

/* Records read per batch; small so that batch boundaries are exercised. */
#define TM_FUZZ_BATCH 7

/* One accepted input in this many gets the .tmt round trip in a fuzzer
 * build (assumption: keeps the round trip's cost near that of the parse;
 * see the header comment); every one in the replay test. */
#ifdef TM_FUZZ_MAIN
#define TM_FUZZ_RT_EVERY 16
#else
#define TM_FUZZ_RT_EVERY 1
#endif

#define TM_FUZZ_ASSERT(cond, ...)                                          \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz property violated: %s: ",    \
				#cond);                                    \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

/* A records array owned by the caller. */
struct tm_fuzz_recs {
	struct tm_record *recs;
	size_t nr, cap;
};

static inline void tm_fuzz_path(char *buf, size_t n, const char *tag,
				const char *ext)
{
	const char *dir = getenv("TM_FUZZ_TMPDIR");

	if (!dir || !*dir)
		dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(buf, n, "%s/tmfuzz-%s-%ld%s", dir, tag, (long)getpid(), ext);
}

/* Write data to path; failure is the environment's, not the input's. */
static inline void tm_fuzz_write_file(const char *path, const uint8_t *data,
				      size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0) {
			perror(path);
			abort();
		}
		off += (size_t)w;
	}
	close(fd);
}

/* Read s to the end into r, checking the record invariants every stream
 * promises (stream.h, record.h).  Returns 0 at a clean end, -1 on a
 * reported error (err set, which must then carry a code and a message). */
static inline int tm_fuzz_drain_by(struct tm_stream *s,
				   struct tm_fuzz_recs *r, size_t batch,
				   struct tm_error *err)
{
	struct tm_record buf[TM_FUZZ_BATCH];
	ssize_t got;

	while ((got = tm_stream_read(s, buf, batch, err)) > 0) {
		TM_FUZZ_ASSERT((size_t)got <= batch, "read %zd > cap", got);
		if (r->nr + (size_t)got > r->cap) {
			r->cap = r->cap ? 2 * r->cap + (size_t)got : 64;
			r->recs = tm_xrealloc(r->recs, r->cap * sizeof(*r->recs));
		}
		memcpy(r->recs + r->nr, buf, (size_t)got * sizeof(*buf));
		r->nr += (size_t)got;
	}
	if (got < 0) {
		TM_FUZZ_ASSERT(err->code != TM_OK && err->msg[0],
			       "stream failed without an error code or message");
		return -1;
	}
	for (size_t i = 0; i < r->nr; i++) {
		TM_FUZZ_ASSERT(r->recs[i].op <= TM_OP_MODIFY, "record %zu op %u",
			       i, r->recs[i].op);
		TM_FUZZ_ASSERT(r->recs[i].flags == 0, "record %zu flags", i);
		TM_FUZZ_ASSERT(i == 0 || r->recs[i].time_ns >= r->recs[i - 1].time_ns,
			       "record %zu time goes backwards", i);
	}
	return 0;
}

static inline int tm_fuzz_drain(struct tm_stream *s, struct tm_fuzz_recs *r,
				struct tm_error *err)
{
	return tm_fuzz_drain_by(s, r, TM_FUZZ_BATCH, err);
}

/* FNV-1a (64-bit) of the input: picks the inputs that get the round trip. */
static inline uint64_t tm_fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * UINT64_C(1099511628211);
	return h;
}

static inline int tm_fuzz_pick_rt(const uint8_t *data, size_t size)
{
	return (tm_fuzz_hash(data, size) >> 32) % TM_FUZZ_RT_EVERY == 0;
}

/* Same records, field by field (struct padding is unspecified). */
static inline void tm_fuzz_recs_equal(const struct tm_fuzz_recs *a,
				      const struct tm_fuzz_recs *b,
				      const char *what)
{
	TM_FUZZ_ASSERT(a->nr == b->nr, "%s: %zu records, then %zu", what,
		       a->nr, b->nr);
	for (size_t i = 0; i < a->nr; i++) {
		const struct tm_record *x = &a->recs[i], *y = &b->recs[i];

		TM_FUZZ_ASSERT(x->time_ns == y->time_ns && x->addr == y->addr &&
			       x->weight == y->weight && x->cpu == y->cpu &&
			       x->op == y->op && x->flags == y->flags,
			       "%s: record %zu differs", what, i);
	}
}

static inline void tm_fuzz_info_equal(const struct tm_trace_info *a,
				      const struct tm_trace_info *b)
{
	TM_FUZZ_ASSERT(a->kind == b->kind && a->space == b->space &&
		       a->page_shift == b->page_shift &&
		       a->load_period == b->load_period &&
		       a->store_period == b->store_period &&
		       a->nr_vcpus == b->nr_vcpus &&
		       a->sz_footprint_hint == b->sz_footprint_hint,
		       "trace info differs after a .tmt round trip");
}

/* Write r with the .tmt writer under tag in record encoding `format`, read
 * it back: the same info and the same records, byte for byte (the writer
 * must accept whatever a parser accepted, since `tmsim import` does exactly
 * this). */
static inline void tm_fuzz_tmt_roundtrip_as(const struct tm_trace_info *info,
					    const struct tm_fuzz_recs *r,
					    const char *tag, int format)
{
	struct tm_fuzz_recs back = { 0 };
	struct tm_error err = { 0 };
	struct tm_tmt_writer *w;
	struct tm_stream *s = NULL;
	char path[256];

	tm_fuzz_path(path, sizeof(path), tag, ".tmt");
	w = tm_tmt_writer_new_format(path, info, NULL, TM_TMT_LEVEL_DEFAULT,
				     format, &err);
	TM_FUZZ_ASSERT(w, "writer refused an accepted stream: %s", err.msg);
	for (size_t i = 0; i < r->nr; i += TM_FUZZ_BATCH) {
		size_t n = r->nr - i < TM_FUZZ_BATCH ? r->nr - i : TM_FUZZ_BATCH;

		TM_FUZZ_ASSERT(tm_tmt_writer_add(w, r->recs + i, n, &err) == 0,
			       "writer refused accepted records: %s", err.msg);
	}
	TM_FUZZ_ASSERT(tm_tmt_writer_close(w, &err) == 0, "close: %s", err.msg);
	TM_FUZZ_ASSERT(tm_tmt_open(path, &s, &err) == 0, "reopen: %s", err.msg);
	TM_FUZZ_ASSERT(tm_fuzz_drain(s, &back, &err) == 0, "reread: %s", err.msg);
	tm_fuzz_info_equal(info, &s->info);
	tm_fuzz_recs_equal(r, &back, ".tmt round trip");
	tm_stream_free(s);
	free(back.recs);
	unlink(path);
}

/* The round trip in both record encodings (tmt.h). */
static inline void tm_fuzz_tmt_roundtrip(const struct tm_trace_info *info,
					 const struct tm_fuzz_recs *r,
					 const char *tag)
{
	for (int v = TM_TMT_VERSION_MIN; v <= TM_TMT_VERSION_MAX; v++)
		tm_fuzz_tmt_roundtrip_as(info, r, tag, v);
}

/* A failure must name the input: every message starts with its path
 * (FILE@OFFSET or FILE:LINE:COL, STYLE.md habit 6). */
static inline void tm_fuzz_check_error(const struct tm_error *err,
				       const char *path)
{
	TM_FUZZ_ASSERT(err->code != TM_OK && err->msg[0], "no error set");
	TM_FUZZ_ASSERT(!strncmp(err->msg, path, strlen(path)),
		       "message does not start with the file: %s", err->msg);
}

/* Drain s (opened from path) into r (emptied first) and, if it ends
 * without an error and rt is set, round-trip it; an error while reading
 * must name the file.  Returns 0 at a clean end, -1 after an error. */
static inline int tm_fuzz_read_stream(struct tm_stream *s, const char *tag,
				      const char *path, int rt,
				      struct tm_fuzz_recs *r)
{
	struct tm_error err = { 0 };

	r->nr = 0;
	if (tm_fuzz_drain(s, r, &err) == 0) {
		if (rt)
			tm_fuzz_tmt_roundtrip(&s->info, r, tag);
		return 0;
	}
	tm_fuzz_check_error(&err, path);
	return -1;
}

static inline void tm_fuzz_check_stream(struct tm_stream *s, const char *tag,
					const char *path, int rt)
{
	struct tm_fuzz_recs r = { 0 };

	tm_fuzz_read_stream(s, tag, path, rt, &r);
	free(r.recs);
}

/* Open path with imp, its options cfg and the common options o: NULL when
 * rejected (error checked). */
static inline struct tm_stream *tm_fuzz_open(const struct tm_importer_ops *imp,
					     const void *cfg,
					     const struct tm_import_opts *o,
					     const char *path)
{
	struct tm_error err = { 0 };
	struct tm_stream *s = NULL;

	if (imp->open(path, cfg, o, &s, &err)) {
		TM_FUZZ_ASSERT(!s, "open failed but returned a stream");
		tm_fuzz_check_error(&err, path);
		return NULL;
	}
	return s;
}

/* Decode path again, one record per read: the same outcome (clean end or
 * error) and, at a clean end, the same records, whatever the batch size
 * (stream.h).  After an error the records are not compared: stream.h does
 * not say whether a batch cut short by an error is delivered. */
static inline void tm_fuzz_redecode(const struct tm_importer_ops *imp,
				    const void *cfg,
				    const struct tm_import_opts *o,
				    const char *path, int first_rc,
				    const struct tm_fuzz_recs *first)
{
	struct tm_fuzz_recs again = { 0 };
	struct tm_error err = { 0 };
	struct tm_stream *s = tm_fuzz_open(imp, cfg, o, path);
	int rc;

	TM_FUZZ_ASSERT(s, "second open of the same input failed");
	rc = tm_fuzz_drain_by(s, &again, 1, &err);
	TM_FUZZ_ASSERT(rc == first_rc, "second decode ends with %d, first %d",
		       rc, first_rc);
	if (rc == 0)
		tm_fuzz_recs_equal(first, &again, "decode by 1 vs by 7");
	tm_stream_free(s);
	free(again.recs);
}

/* Import data (as a file) with imp, once per value of its option key
 * (vals[0], vals[1]: each changes what a sample yields), and check every
 * accepted stream.  The first variant is decoded twice (tm_fuzz_redecode);
 * the first accepted stream with records gets the .tmt round trip if the
 * input is picked for it. */
static inline void tm_fuzz_import(const struct tm_importer_ops *imp,
				  const char *tag, const char *key,
				  const char *const vals[2], const uint8_t *data,
				  size_t size)
{
	struct tm_fuzz_recs r = { 0 };
	int rt = tm_fuzz_pick_rt(data, size);
	char path[256];

	if (size > TM_FUZZ_MAX_INPUT)
		return;
	tm_fuzz_path(path, sizeof(path), tag, ".in");
	tm_fuzz_write_file(path, data, size);
	for (int v = 0; v < 2; v++) {
		struct tm_import_opts o;
		struct tm_kind_config cfg;
		struct tm_error err = { 0 };
		struct tm_stream *s;
		int rc;

		tm_import_opts_init(&o);
		tm_importer_config_init(imp, cfg.bytes);
		TM_FUZZ_ASSERT(!tm_importer_set(imp, cfg.bytes, key, vals[v], &err),
			       "%s", err.msg);
		s = tm_fuzz_open(imp, cfg.bytes, &o, path);
		if (!s)
			continue;
		rc = tm_fuzz_read_stream(s, tag, path, 0, &r);
		if (rc == 0 && rt && r.nr) {
			tm_fuzz_tmt_roundtrip(&s->info, &r, tag);
			rt = 0;
		}
		if (v == 0)
			tm_fuzz_redecode(imp, cfg.bytes, &o, path, rc, &r);
		tm_stream_free(s);
	}
	free(r.recs);
	unlink(path);
}

#endif
