/*
 * strbuf.h - a growable text buffer for CSV rows built during a run.
 */
#ifndef TM_STRBUF_H
#define TM_STRBUF_H

#include <stddef.h>

struct tm_strbuf {
	char *p;
	size_t len, cap;
};

void tm_strbuf_printf(struct tm_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a double as %.6f, or nothing for NaN (an empty CSV field). */
void tm_strbuf_num(struct tm_strbuf *b, double v);
/* Append src's text to b and empty src (keeping its room). */
void tm_strbuf_move(struct tm_strbuf *b, struct tm_strbuf *src);
void tm_strbuf_free(struct tm_strbuf *b);

/* snprintf into buf where cutting a long value is acceptable (names are
 * bounded by their tables; paths and messages only lose their tail). */
void tm_fmt(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
