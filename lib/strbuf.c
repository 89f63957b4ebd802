/*
 * strbuf.c - growable text buffer (see strbuf.h).
 */
#include "strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void tm_strbuf_printf(struct tm_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 4096;
		while (b->cap - b->len <= (size_t)n)
			b->cap *= 2;
		b->p = tm_xrealloc(b->p, b->cap);
	}
}

void tm_strbuf_num(struct tm_strbuf *b, double v)
{
	if (isnan(v))
		return;
	tm_strbuf_printf(b, "%.6f", v);
}

void tm_strbuf_move(struct tm_strbuf *b, struct tm_strbuf *src)
{
	if (!src->len)
		return;
	if (b->cap - b->len < src->len + 1) {
		b->cap = b->cap ? b->cap : 4096;
		while (b->cap - b->len < src->len + 1)
			b->cap *= 2;
		b->p = tm_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, src->p, src->len);
	b->len += src->len;
	b->p[b->len] = '\0';
	src->len = 0;
}

void tm_strbuf_free(struct tm_strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void tm_fmt(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}
