/*
 * error.c - located error messages (see error.h).
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

int tm_error_set(struct tm_error *e, enum tm_err code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Set *e to "LOC: message": the message is cut first, so that a long one
 * still leaves room for its location (assumption: 64 bytes hold a typical
 * location; a long path is cut at the end of the whole). */
static int set_located(struct tm_error *e, enum tm_err code, const char *loc,
		       const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int set_located(struct tm_error *e, enum tm_err code, const char *loc,
		       const char *fmt, va_list ap)
{
	char msg[TM_ERR_MSG_MAX - 64];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return tm_error_set(e, code, "%s: %s", loc, msg);
}

int tm_error_at_line(struct tm_error *e, enum tm_err code, const char *path,
		     unsigned long long line, size_t col, const char *fmt, ...)
{
	char loc[TM_ERR_MSG_MAX];
	va_list ap;
	int rc;

	snprintf(loc, sizeof(loc), "%s:%llu:%zu", path, line, col);
	va_start(ap, fmt);
	rc = set_located(e, code, loc, fmt, ap);
	va_end(ap);
	return rc;
}

int tm_error_at_off(struct tm_error *e, enum tm_err code, const char *path,
		    unsigned long long off, const char *fmt, ...)
{
	char loc[TM_ERR_MSG_MAX];
	va_list ap;
	int rc;

	snprintf(loc, sizeof(loc), "%s@%llu", path, off);
	va_start(ap, fmt);
	rc = set_located(e, code, loc, fmt, ap);
	va_end(ap);
	return rc;
}

void tm_error_prefix(struct tm_error *e, const char *fmt, ...)
{
	char old[TM_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (!e)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
		memcpy(e->msg + n, old, sizeof(e->msg) - n - 1);
		e->msg[sizeof(e->msg) - 1] = '\0';
	}
}

const char *tm_err_name(enum tm_err code)
{
	static const char *const names[] = {
		[TM_OK] = "ok",
		[TM_ERR_USAGE] = "usage",
		[TM_ERR_CONFIG] = "config",
		[TM_ERR_BOUNDS] = "bounds",
		[TM_ERR_FORMAT] = "format",
		[TM_ERR_NOTFOUND] = "not-found",
		[TM_ERR_IO] = "io",
		[TM_ERR_INTERNAL] = "internal",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[code];
}

int tm_err_exit_status(enum tm_err code)
{
	switch (code) {
	case TM_OK:
		return 0;
	case TM_ERR_IO:
	case TM_ERR_INTERNAL:
		return 1;
	default:
		return 2;
	}
}
