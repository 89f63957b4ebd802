/*
 * yaml.h - the config module's YAML front-end as a node tree, for readers of
 * YAML files other than run configs (sweep files; DESIGN.md §12: sim/config
 * is "one YAML front-end for runs and sweeps").
 *
 * The text goes through the same code as a run config (tree.c): libyaml
 * events into a tree that keeps the 1-based line:col of every key and value.
 * Its rules are the run loader's: one document, no aliases, at most 32
 * nested levels, plain (scalar) keys.  Values stay strings: no tag is
 * resolved (`~`, `true` and `3` are the strings "~", "true" and "3"); an
 * empty value is the empty string.  Keys are kept in file order and a key
 * given twice is kept twice: the reader decides what a duplicate means.
 *
 * A parsed file is a struct tm_ydoc, its nodes struct tm_ynode.  Messages
 * have the run loader's shape, "file:line:col: key.path: message"
 * (tm_ydoc_fail), and malformed YAML reads "file:line:col: malformed YAML:
 * <libyaml's problem> (<context> that starts at line N)".  An encoding
 * error has no line yet and reads "file@byte: malformed YAML: ...".
 */
#ifndef TM_YAML_H
#define TM_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct tm_ydoc;   /* a parsed file: owns every node and the error sink */
struct tm_ynode;  /* one node, valid while its tm_ydoc lives */

enum tm_ynode_kind { TM_YNODE_SCALAR, TM_YNODE_MAP, TM_YNODE_SEQ };

/* Parse text (len bytes); file names it in messages.  On success *out is a
 * new tree (its root NULL for an empty file) whose later tm_ydoc_fail()
 * messages go to err; on error returns -1 with TM_ERR_CONFIG or
 * TM_ERR_BOUNDS (nesting) in err and *out NULL. */
int tm_ydoc_parse(const char *file, const char *text, size_t len,
		  struct tm_ydoc **out, struct tm_error *err);
void tm_ydoc_free(struct tm_ydoc *y);   /* NULL: no-op */

/* The top node, or NULL for a file without one (empty or comments). */
const struct tm_ynode *tm_ydoc_root(const struct tm_ydoc *y);

enum tm_ynode_kind tm_ynode_kind(const struct tm_ynode *n);
uint32_t tm_ynode_line(const struct tm_ynode *n);   /* 1-based */
uint32_t tm_ynode_col(const struct tm_ynode *n);    /* 1-based */
/* A scalar's text; NULL for a mapping or a list. */
const char *tm_ynode_str(const struct tm_ynode *n);
/* Entries of a mapping (pairs) or a list (items); 0 for a scalar. */
uint32_t tm_ynode_nr(const struct tm_ynode *n);
/* Entry i < tm_ynode_nr(n): a mapping's key (a scalar node), and a
 * mapping's value or a list's item. */
const struct tm_ynode *tm_ynode_key(const struct tm_ynode *n, uint32_t i);
const struct tm_ynode *tm_ynode_at(const struct tm_ynode *n, uint32_t i);
/* The value of a mapping's first key equal to key, or NULL (also for a
 * node that is no mapping). */
const struct tm_ynode *tm_ynode_get(const struct tm_ynode *m,
				    const char *key);

/* Set the tree's error to "file:line:col: path: <fmt>" at node n (1:1 when
 * n is NULL); returns -1.  path is the key path ("grid", "zip[1]"). */
int tm_ydoc_fail(struct tm_ydoc *y, const struct tm_ynode *n,
		 enum tm_err code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Key paths as the run loader writes them: "path.key" ("key" when path is
 * empty) and "path[i]"; a path too long for buf ends in "...". */
void tm_ydoc_join(char *buf, size_t sz, const char *path, const char *key);
void tm_ydoc_join_idx(char *buf, size_t sz, const char *path, uint32_t i);

#endif
