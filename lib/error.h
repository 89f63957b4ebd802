/*
 * error.h - the one error enum of tmsim and a located error message.
 *
 * STYLE.md habit 6: bad user input yields a stable code and a message that
 * names where (file:line:col or file@offset) and what was expected; main()
 * prints it and exits 2.  Runtime failures (I/O on output, etc.) exit 1.
 */
#ifndef TM_ERROR_H
#define TM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum tm_err {
	TM_OK = 0,
	TM_ERR_USAGE,     /* bad command line */
	TM_ERR_CONFIG,    /* bad configuration file or --set override */
	TM_ERR_BOUNDS,    /* a value outside the bounds table */
	TM_ERR_FORMAT,    /* malformed input file (trace, perf.data, text) */
	TM_ERR_NOTFOUND,  /* an input file that does not exist */
	TM_ERR_IO,        /* an I/O failure while writing outputs (runtime) */
	TM_ERR_INTERNAL,  /* a runtime failure that is not the user's input */
};

#define TM_ERR_MSG_MAX 1024

struct tm_error {
	enum tm_err code;
	char msg[TM_ERR_MSG_MAX];
};

/* Set *e (if e is not NULL) and return -1, so callers can write
 * `return tm_error_set(e, TM_ERR_FORMAT, "%s@%llu: ...", ...);` */
int tm_error_set(struct tm_error *e, enum tm_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A message located in an input file, the two forms habit 6 names:
 * "path:line:col: message" for text, "path@offset: message" for binary
 * (offset in bytes).  Both set *e like tm_error_set and return -1. */
int tm_error_at_line(struct tm_error *e, enum tm_err code, const char *path,
		     unsigned long long line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int tm_error_at_off(struct tm_error *e, enum tm_err code, const char *path,
		    unsigned long long off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Prefix an existing message: "prefix: old message". */
void tm_error_prefix(struct tm_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *tm_err_name(enum tm_err code);

/* Process exit status for an error code: 2 for bad input, 1 otherwise. */
int tm_err_exit_status(enum tm_err code);

/* Propagate a failure: RETURN_IF(cond, e, code, fmt, ...). */
#define TM_RETURN_IF(cond, e, code, ...)                                     \
	do {                                                                 \
		if (cond)                                                    \
			return tm_error_set((e), (code), __VA_ARGS__);       \
	} while (0)

#endif
