/*
 * yaml.c - the public face of the loader's node tree (yaml.h): a YAML text
 * read by tree.c into the tree a run config is read into, accessors for its
 * nodes, and tree.c's located messages.  Nothing here parses: a reader of
 * another YAML format gets the run loader's rules and message shapes.
 */
#include "yaml.h"
#include "config_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

struct tm_ydoc {
	struct ctx c;       /* file, err and the nodes; no config, no --set */
	char *file;         /* c.file points here */
};

void tm_ydoc_free(struct tm_ydoc *y)
{
	if (!y)
		return;
	ctx_free(&y->c);
	free(y->file);
	free(y);
}

int tm_ydoc_parse(const char *file, const char *text, size_t len,
		  struct tm_ydoc **out, struct tm_error *err)
{
	struct tm_ydoc *y = tm_xcalloc(1, sizeof(*y));

	*out = NULL;
	y->file = tm_xstrdup(file);
	y->c.file = y->file;
	y->c.err = err;
	if (read_text(&y->c, text, len) < 0) {
		tm_ydoc_free(y);
		return -1;
	}
	*out = y;
	return 0;
}

const struct tm_ynode *tm_ydoc_root(const struct tm_ydoc *y)
{
	return y->c.root;
}

enum tm_ynode_kind tm_ynode_kind(const struct tm_ynode *n)
{
	return (enum tm_ynode_kind)n->kind;
}

uint32_t tm_ynode_line(const struct tm_ynode *n)
{
	return n->line;
}

uint32_t tm_ynode_col(const struct tm_ynode *n)
{
	return n->col;
}

const char *tm_ynode_str(const struct tm_ynode *n)
{
	return n->kind == N_SCALAR ? n->str : NULL;
}

uint32_t tm_ynode_nr(const struct tm_ynode *n)
{
	return n->kind == N_SCALAR ? 0 : n->nr;
}

const struct tm_ynode *tm_ynode_key(const struct tm_ynode *n, uint32_t i)
{
	assert(n->kind == N_MAP && i < n->nr);
	return n->keys[i];
}

const struct tm_ynode *tm_ynode_at(const struct tm_ynode *n, uint32_t i)
{
	assert(n->kind != N_SCALAR && i < n->nr);
	return n->kids[i];
}

const struct tm_ynode *tm_ynode_get(const struct tm_ynode *m,
				    const char *key)
{
	return map_get(m, key);
}

int tm_ydoc_fail(struct tm_ydoc *y, const struct tm_ynode *n,
		 enum tm_err code, const char *path, const char *fmt, ...)
{
	char msg[TM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_at(&y->c, n, code, path, "%s", msg);
}

void tm_ydoc_join(char *buf, size_t sz, const char *path, const char *key)
{
	join(buf, sz, path, key);
}

void tm_ydoc_join_idx(char *buf, size_t sz, const char *path, uint32_t i)
{
	join_idx(buf, sz, path, i);
}
