/*
 * perfscript_internal.h - the shape of `perf script` text (perfscript_shape.c),
 * used by the perf-script importer (perfscript.c); not a public interface.
 *
 * A shape is the set of columns a text holds.  perf prints them in one
 * fixed order whatever the order of its -F list (tools/perf/builtin-script.c
 * process_event, perf 6.1), which is the order of enum ps_col; so a set is
 * enough to read a line.
 */
#ifndef TM_PERFSCRIPT_INTERNAL_H
#define TM_PERFSCRIPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import.h"

/* Columns in perf's print order.  PIDTID is "pid/tid"; PID or TID a lone
 * number.  ASYM/ADSO are the symbol and dso perf prints after addr for
 * events whose address is code (page faults); SYM/DSO those after ip. */
enum ps_col {
	PC_COMM, PC_PIDTID, PC_PID, PC_TID, PC_CPU, PC_TIME, PC_PERIOD,
	PC_EVENT, PC_ADDR, PC_ASYM, PC_ADSO, PC_DATA_SRC, PC_WEIGHT, PC_IP,
	PC_SYM, PC_DSO, PC_PHYS, NR_PC
};

#define PC(c) (1u << (c))
/* The columns after time, found by their shape when not given. */
#define PC_BODY (PC(PC_PERIOD) | PC(PC_EVENT) | PC(PC_ADDR) | PC(PC_ASYM) | \
		 PC(PC_ADSO) | PC(PC_DATA_SRC) | PC(PC_WEIGHT) | PC(PC_IP) |  \
		 PC(PC_SYM) | PC(PC_DSO) | PC(PC_PHYS))

#define PS_MAX_TOKENS 64 /* a line has ~25 words; the decoded data_src ~15 */

struct ps_tok {
	const char *s;
	uint32_t len, col; /* col: 0-based */
};

/* One sample line's values. */
struct ps_line {
	uint64_t time_ns, period, addr, phys, weight, data_src;
	uint32_t pid, tid, cpu;
	uint32_t time_digits;          /* fraction digits: 9 (--ns) or 6 (µs) */
	uint32_t period_col;           /* 0-based column of the period */
	char comm[TM_IMPORT_COMM_MAX];
	const struct ps_tok *event;
};

/* How a line fitted a shape, to choose among shapes (detection). */
struct ps_fit {
	uint32_t nr_gap;   /* words of decoded data_src text */
	uint32_t nr_width; /* columns at perf's printf widths */
};

struct ps_parser {
	const char *path;
	uint64_t lineno;
	struct tm_error *err;
	const char *line;
	struct ps_tok toks[PS_MAX_TOKENS];
	size_t nr_toks;
	size_t fail_tok;   /* the word a failed tm_ps_parse stopped at */
	bool guess;        /* errors: the shape is a guess (a first line) */
	uint32_t shape;    /* the shape being read, for messages */
};

/* Split line into words; -1 (format error) past PS_MAX_TOKENS. */
int tm_ps_tokenize(struct ps_parser *p, const char *line);

/* The leading columns (comm, pid/tid, cpu) of the first sample line, or
 * -1 with a format error when it has no time column. */
int tm_ps_detect_head(struct ps_parser *p, uint32_t *head);

/* Read the tokenized line as shape; fit may be NULL.  -1 with a located
 * format error naming what was expected. */
int tm_ps_parse(struct ps_parser *p, uint32_t shape, struct ps_line *l,
		struct ps_fit *fit);

/* Body columns the tokenized line must have (*on) or cannot have (*off),
 * from words only one column can be: "|..." (decoded data_src), "name:"
 * (event), "(..." (a dso).  Detection tries only shapes that agree. */
void tm_ps_forced(const struct ps_parser *p, uint32_t *on, uint32_t *off);

/* Whether body (columns of PC_BODY) is a shape perf can print. */
bool tm_ps_body_valid(uint32_t body);

/* The shape as perf prints it, e.g. "comm pid/tid [cpu] time: addr". */
void tm_ps_describe(uint32_t shape, char *buf, size_t sz);

#endif
