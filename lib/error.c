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
