/*
 * tree.c - steps 1 and 2 of the loader: libyaml events into a node tree
 * that keeps line:col of every key and value, the --set overrides applied
 * to that tree, and the located error messages of every step.
 */
#include "config.h"
#include "config_internal.h"

#include <ctype.h>
#include <sys/stat.h>

#include <yaml.h>

#include "lib/alloc.h"
#include "lib/strbuf.h"

struct cnode *node_new(struct ctx *c, enum nkind kind, uint32_t line,
			      uint32_t col, int ov)
{
	struct cnode *n = tm_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->col = col;
	n->ov = ov;
	if (c->nr_nodes == c->cap_nodes) {
		c->cap_nodes = c->cap_nodes ? 2 * c->cap_nodes : 64;
		c->nodes = tm_xrealloc(c->nodes,
				       c->cap_nodes * sizeof(*c->nodes));
	}
	c->nodes[c->nr_nodes++] = n;
	return n;
}

static struct cnode *scalar_new(struct ctx *c, const char *s, size_t len,
				uint32_t line, uint32_t col, int ov)
{
	struct cnode *n = node_new(c, N_SCALAR, line, col, ov);

	n->str = tm_xmalloc(len + 1);
	memcpy(n->str, s, len);
	n->str[len] = '\0';
	return n;
}

/* Append a child (and for maps its key). */
void node_add(struct cnode *p, struct cnode *key, struct cnode *kid)
{
	if (p->nr == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		p->kids = tm_xrealloc(p->kids, p->cap * sizeof(*p->kids));
		if (p->kind == N_MAP)
			p->keys = tm_xrealloc(p->keys,
					      p->cap * sizeof(*p->keys));
	}
	if (p->kind == N_MAP)
		p->keys[p->nr] = key;
	p->kids[p->nr++] = kid;
}

int map_find(const struct cnode *m, const char *key)
{
	uint32_t i;

	if (!m || m->kind != N_MAP)
		return -1;
	for (i = 0; i < m->nr; i++)
		if (strcmp(m->keys[i]->str, key) == 0)
			return (int)i;
	return -1;
}

const struct cnode *map_get(const struct cnode *m, const char *key)
{
	int i = map_find(m, key);

	return i < 0 ? NULL : m->kids[i];
}

void ctx_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nr_nodes; i++) {
		free(c->nodes[i]->str);
		free(c->nodes[i]->keys);
		free(c->nodes[i]->kids);
		free(c->nodes[i]);
	}
	free(c->nodes);
	for (i = 0; i < c->nr_ov; i++)
		free(c->ov_paths[i]);
	free(c->ov_paths);
	free(c->vm_base);
}

int fail_at(struct ctx *c, const struct cnode *n, enum tm_err code,
		   const char *path, const char *fmt, ...)
{
	char msg[TM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n && n->ov >= 0)
		return tm_error_set(c->err, code, "--set %s: %s",
				    c->ov_paths[n->ov], msg);
	return tm_error_set(c->err, code, "%s:%u:%u: %s: %s", c->file,
			    n ? n->line : 1, n ? n->col : 1, path, msg);
}

/* A key path that did not fit ends in "..." (paths come from the file, so
 * a 10 KB key must not overflow anything). */
static void mark_cut(char *buf, size_t sz, int n)
{
	if (n >= 0 && (size_t)n < sz)
		return;
	if (sz > 4)
		memcpy(buf + sz - 4, "...", 4);
}

void join(char *buf, size_t sz, const char *path, const char *key)
{
	mark_cut(buf, sz, snprintf(buf, sz, "%s%s%s", path, *path ? "." : "",
				   key));
}

void join_idx(char *buf, size_t sz, const char *path, uint32_t i)
{
	mark_cut(buf, sz, snprintf(buf, sz, "%s[%u]", path, i));
}

/* ---- 1. YAML -> tree ---------------------------------------------------- */

struct builder {
	struct cnode *stack[MAX_DEPTH];
	struct cnode *pending[MAX_DEPTH]; /* a map's key awaiting its value */
	int depth;
	struct cnode *root;
	int nr_docs;
};

static int yaml_fail(struct ctx *c, const yaml_parser_t *p, int ov)
{
	char where[TM_PATH_MAX + 64];

	if (ov >= 0)
		tm_fmt(where, sizeof(where), "--set %s", c->ov_paths[ov]);
	else if (p->error == YAML_READER_ERROR)
		tm_fmt(where, sizeof(where), "%s@%zu", c->file,
			 p->problem_offset);
	else
		tm_fmt(where, sizeof(where), "%s:%zu:%zu", c->file,
			 p->problem_mark.line + 1, p->problem_mark.column + 1);
	if (p->context && ov < 0)
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "%s: malformed YAML: %s (%s that starts at "
				    "line %zu)", where,
				    p->problem ? p->problem : "error",
				    p->context, p->context_mark.line + 1);
	return tm_error_set(c->err, TM_ERR_CONFIG, "%s: malformed YAML: %s",
			    where, p->problem ? p->problem : "error");
}

/* Place a finished or opened node in its parent. */
static int attach(struct ctx *c, struct builder *b, struct cnode *n)
{
	struct cnode *top;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	if (top->kind == N_SEQ) {
		node_add(top, NULL, n);
	} else if (!b->pending[b->depth - 1]) {
		if (n->kind != N_SCALAR)
			return fail_at(c, n, TM_ERR_CONFIG, "(key)",
				       "expected a plain key, got a %s",
				       n->kind == N_MAP ? "mapping" : "list");
		b->pending[b->depth - 1] = n;
	} else {
		node_add(top, b->pending[b->depth - 1], n);
		b->pending[b->depth - 1] = NULL;
	}
	return 0;
}

static int push(struct ctx *c, struct builder *b, struct cnode *n)
{
	if (b->depth == MAX_DEPTH)
		return fail_at(c, n, TM_ERR_BOUNDS, "(document)",
			       "expected at most %d nested levels", MAX_DEPTH);
	if (attach(c, b, n) < 0)
		return -1;
	b->pending[b->depth] = NULL;
	b->stack[b->depth++] = n;
	return 0;
}

/* Handle one event; returns 1 at the end of the stream. */
static int on_event(struct ctx *c, struct builder *b, const yaml_event_t *ev,
		    int ov)
{
	uint32_t line = (uint32_t)ev->start_mark.line + 1;
	uint32_t col = (uint32_t)ev->start_mark.column + 1;
	struct cnode tmp = { .line = line, .col = col, .ov = ov };

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->nr_docs++)
			return fail_at(c, &tmp, TM_ERR_CONFIG, "(document)",
				       "expected one YAML document, got more");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(c, &tmp, TM_ERR_CONFIG, "(document)",
			       "expected plain values; aliases (*%s) are not "
			       "supported%s", (const char *)ev->data.alias.anchor,
			       c->alias_hint ? c->alias_hint : "");
	case YAML_SCALAR_EVENT:
		return attach(c, b, scalar_new(c, (const char *)ev->data.scalar.value,
					       ev->data.scalar.length, line, col, ov));
	case YAML_SEQUENCE_START_EVENT:
		return push(c, b, node_new(c, N_SEQ, line, col, ov));
	case YAML_MAPPING_START_EVENT:
		return push(c, b, node_new(c, N_MAP, line, col, ov));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* Parse a whole YAML stream; *out is NULL for an empty one. */
static int build_tree(struct ctx *c, yaml_parser_t *p, int ov,
		      struct cnode **out)
{
	struct builder b = { .depth = 0 };
	yaml_event_t ev;
	int r;

	for (;;) {
		if (!yaml_parser_parse(p, &ev))
			return yaml_fail(c, p, ov);
		r = on_event(c, &b, &ev, ov);
		yaml_event_delete(&ev);
		if (r < 0)
			return -1;
		if (r == 1)
			break;
	}
	*out = b.root;
	return 0;
}

int read_file(struct ctx *c)
{
	yaml_parser_t p;
	struct stat st;
	FILE *f = fopen(c->file, "rb");
	int r;

	if (!f)
		return tm_error_set(c->err, TM_ERR_NOTFOUND,
				    "%s: expected a readable config file, "
				    "cannot open it", c->file);
	if (fstat(fileno(f), &st) == 0 && st.st_size > (off_t)MAX_FILE_BYTES) {
		fclose(f);
		return tm_error_set(c->err, TM_ERR_BOUNDS,
				    "%s: expected a config of at most 64MiB",
				    c->file);
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	r = build_tree(c, &p, -1, &c->root);
	yaml_parser_delete(&p);
	fclose(f);
	return r;
}

/* The same from text in memory (a sweep file, yaml.c). */
int read_text(struct ctx *c, const char *text, size_t len)
{
	yaml_parser_t p;
	int r;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	r = build_tree(c, &p, -1, &c->root);
	yaml_parser_delete(&p);
	return r;
}

/* ---- 2. --set overrides ------------------------------------------------- */

/* The element of list seq that segment seg names: an index, or for hosts
 * and vms an element's name (default names host<i>/vm<i> count too). */
static int find_elem(struct ctx *c, int ov, const struct cnode *seq,
		     const char *list, const char *seg, uint32_t *out)
{
	char def[TM_NAME_MAX], *end;
	unsigned long i = strtoul(seg, &end, 10);
	bool named = strcmp(list, "hosts") == 0 || strcmp(list, "vms") == 0;
	uint32_t k;

	if (isdigit((unsigned char)seg[0]) && !*end) {
		if (i < seq->nr) {
			*out = (uint32_t)i;
			return 0;
		}
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected an index below %u "
				    "(%s has %u entries), got %s",
				    c->ov_paths[ov], seq->nr, list, seq->nr, seg);
	}
	for (k = 0; named && k < seq->nr; k++) {
		const struct cnode *nm = map_get(seq->kids[k], "name");

		tm_fmt(def, sizeof(def), "%s%u",
			 strcmp(list, "hosts") == 0 ? "host" : "vm", k);
		if ((nm && nm->kind == N_SCALAR) ? !strcmp(nm->str, seg)
						 : !strcmp(def, seg)) {
			*out = k;
			return 0;
		}
	}
	return tm_error_set(c->err, TM_ERR_CONFIG,
			    "--set %s: expected an index%s into %s, got \"%s\"",
			    c->ov_paths[ov], named ? " or a name" : "", list, seg);
}

/* Split "a.b[2].c" into segments (in place); returns the count or -1 for
 * an empty segment or too many. */
static int split_path(char *p, char **seg, int max)
{
	int n = 0, i;
	char *r, *w;

	for (r = w = p; *r; r++) /* "b[2]" -> "b.2" */
		if (*r == '[')
			*w++ = '.';
		else if (*r != ']')
			*w++ = *r;
	*w = '\0';
	for (;;) {
		if (n == max)
			return -1;
		seg[n++] = p;
		if (!(p = strchr(p, '.')))
			break;
		*p++ = '\0';
	}
	for (i = 0; i < n; i++)
		if (!*seg[i])
			return -1;
	return n;
}

/* Parse an override's value as YAML (a scalar, or a flow list/mapping). */
static int parse_ov_value(struct ctx *c, int ov, const char *text,
			  struct cnode **out)
{
	yaml_parser_t p;
	int r;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	r = build_tree(c, &p, ov, out);
	yaml_parser_delete(&p);
	if (r == 0 && !*out)
		*out = scalar_new(c, "", 0, 1, 1, ov);
	return r;
}

/* Descend one segment from cur, creating a missing map key (the walk then
 * checks that the key exists in the schema).  On the last segment the
 * value replaces what was there. */
static int descend(struct ctx *c, int ov, struct cnode **cur, const char *seg,
		   const char **list, struct cnode *val, bool last)
{
	struct cnode *n = *cur, *kid;
	uint32_t e = 0;
	int k;

	if (n->kind == N_MAP) {
		k = map_find(n, seg);
		if (k < 0) {
			kid = last ? val : node_new(c, N_MAP, 1, 1, ov);
			node_add(n, scalar_new(c, seg, strlen(seg), 1, 1, ov), kid);
		} else if (last) {
			kid = n->kids[k] = val;
		} else {
			kid = n->kids[k];
		}
		*list = seg;
	} else if (n->kind == N_SEQ) {
		if (find_elem(c, ov, n, *list, seg, &e) < 0)
			return -1;
		if (last)
			n->kids[e] = val;
		kid = n->kids[e];
	} else {
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected a mapping or a list "
				    "before \"%s\", got a value",
				    c->ov_paths[ov], seg);
	}
	*cur = kid;
	return 0;
}

int apply_override(struct ctx *c, int ov, const char *text)
{
	char buf[TM_PATH_MAX], *seg[MAX_DEPTH];
	const char *eq = strchr(text, '='), *list = "";
	struct cnode *val, *cur;
	int i, nr;

	tm_fmt(buf, sizeof(buf), "%s", c->ov_paths[ov]);
	if (!eq || eq == text || (nr = split_path(buf, seg, MAX_DEPTH)) < 0)
		return tm_error_set(c->err, TM_ERR_CONFIG,
				    "--set %s: expected key.path=value, with "
				    "keys like hosts.0.vms.web.memory",
				    c->ov_paths[ov]);
	if (parse_ov_value(c, ov, eq + 1, &val) < 0)
		return -1;
	if (!c->root)
		c->root = node_new(c, N_MAP, 1, 1, ov);
	cur = c->root;
	for (i = 0; i < nr; i++)
		if (descend(c, ov, &cur, seg[i], &list, val, i == nr - 1) < 0)
			return -1;
	return 0;
}
