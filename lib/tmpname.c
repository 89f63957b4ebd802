/*
 * tmpname.c - temporary names of outputs (see tmpname.h).
 */
#include "tmpname.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

char *tm_tmp_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = strlen(path) + 32;
	char *tmp = tm_xmalloc(n);

	if (slash)
		snprintf(tmp, n, "%.*s/.%s.tmp.%ld", (int)(slash - path), path,
			 slash + 1, (long)getpid());
	else
		snprintf(tmp, n, ".%s.tmp.%ld", path, (long)getpid());
	return tmp;
}
