/*
 * identifier.c - the registry of identifier backends (DESIGN.md §6.2;
 * STYLE.md habit 3).  Adding a backend is adding its file and one line to
 * the table below.
 */
#include "identifier.h"

#include <string.h>

#include "exact.h"
#include "sdh.h"

static const struct tm_identifier_ops *const backends[] = {
	&tm_sdh_ops,
	&tm_exact_ops,
};

const struct tm_identifier_ops *tm_identifier_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, kind) == 0)
			return backends[i];
	return NULL;
}
