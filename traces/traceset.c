/*
 * traceset.c - read the index.json of a split import (traceset.h).
 *
 * The index is checked where it enters (STYLE.md habit 5): its JSON syntax
 * located at line:col, each stream's file name and footprint at its key
 * path, so that a config naming the folder gets an exact message; the
 * config loader then checks each file as it checks any trace file.
 */
#include "traceset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "lib/alloc.h"

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 5 || n >= TM_TRACESET_NAME_MAX + 4 || strcmp(s + n - 4, ".tmt") ||
	    s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static int one_stream(const char *name, size_t i, json_t *e,
		      struct tm_traceset_stream *s, struct tm_error *err)
{
	json_t *f = json_object_get(e, "file"), *fp = json_object_get(e, "footprint_bytes");
	json_t *n = json_object_get(e, "samples");
	size_t len;

	if (!json_is_object(e))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: streams[%zu]: expected "
				    "an object", name, i);
	if (!json_is_string(f) || !name_ok(json_string_value(f)))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: streams[%zu].file: "
				    "expected a .tmt file name of letters, digits, "
				    "'.', '_' or '-' (at most %d bytes before .tmt)",
				    name, i, TM_TRACESET_NAME_MAX - 1);
	if (!json_is_integer(fp) || json_integer_value(fp) < 0)
		return tm_error_set(err, TM_ERR_FORMAT, "%s: streams[%zu]."
				    "footprint_bytes: expected an integer >= 0",
				    name, i);
	if (n && (!json_is_integer(n) || json_integer_value(n) < 0))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: streams[%zu].samples: "
				    "expected an integer >= 0", name, i);
	snprintf(s->file, sizeof(s->file), "%s", json_string_value(f));
	len = strlen(s->file) - 4;
	memcpy(s->name, s->file, len);
	s->name[len] = '\0';
	for (char *p = s->name; *p; p++)
		if (*p == '.')
			*p = '_';
	s->sz_footprint = (uint64_t)json_integer_value(fp);
	s->nr_samples = n ? (uint64_t)json_integer_value(n) : 0;
	return 0;
}

/* No two streams with one VM name ("a.b.tmt" and "a_b.tmt"). */
static int unique(const char *name, const struct tm_traceset *ts, struct tm_error *err)
{
	for (size_t i = 1; i < ts->nr; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ts->s[i].name, ts->s[j].name))
				return tm_error_set(err, TM_ERR_FORMAT, "%s: streams[%zu]"
						    ".file: expected a name unique "
						    "without its dots, got \"%s\" "
						    "again (streams[%zu])", name, i,
						    ts->s[i].name, j);
	return 0;
}

int tm_traceset_parse(const char *name, const char *text, size_t len,
		      struct tm_traceset *ts, struct tm_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *st;
	int rc = -1;

	memset(ts, 0, sizeof(*ts));
	if (!root)
		return tm_error_at_line(err, TM_ERR_FORMAT, name, (unsigned long long)
					(je.line > 0 ? je.line : 1), je.column > 0 ?
					(size_t)je.column : 1, "%s", je.text);
	st = json_object_get(root, "streams");
	if (!json_is_array(st) || !json_array_size(st) ||
	    json_array_size(st) > TM_TRACESET_MAX_STREAMS) {
		tm_error_set(err, TM_ERR_FORMAT, "%s: streams: expected a list of 1 to "
			     "%d streams (tmsim import --split writes it)", name,
			     TM_TRACESET_MAX_STREAMS);
		goto out;
	}
	ts->s = tm_xcalloc(json_array_size(st), sizeof(*ts->s));
	for (ts->nr = 0; ts->nr < json_array_size(st); ts->nr++)
		if (one_stream(name, ts->nr, json_array_get(st, ts->nr), &ts->s[ts->nr], err))
			goto out;
	rc = unique(name, ts, err);
out:
	json_decref(root);
	if (rc)
		tm_traceset_free(ts);
	return rc;
}

int tm_traceset_read(const char *dir, struct tm_traceset *ts, struct tm_error *err)
{
	char path[4096 + 16], *text;
	struct stat sb;
	FILE *f;
	long len;
	int rc;

	memset(ts, 0, sizeof(*ts));
	if (stat(dir, &sb))
		return tm_error_set(err, TM_ERR_NOTFOUND, "expected a directory of "
				    "tmsim import --split, \"%s\": %s", dir,
				    errno == ENOENT ? "not found" : strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return tm_error_set(err, TM_ERR_NOTFOUND, "expected a directory of "
				    "tmsim import --split, \"%s\" is not a directory",
				    dir);
	snprintf(path, sizeof(path), "%s/index.json", dir);
	if (!(f = fopen(path, "rb")))
		return tm_error_set(err, TM_ERR_NOTFOUND, "expected %s (written by "
				    "tmsim import --split), not found", path);
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > (64L << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return tm_error_set(err, TM_ERR_FORMAT, "%s: expected an index of at "
				    "most 64MiB", path);
	}
	text = tm_xmalloc((size_t)len + 1);
	rc = fread(text, 1, (size_t)len, f) == (size_t)len ? 0 :
	     tm_error_set(err, TM_ERR_FORMAT, "%s: cannot read", path);
	fclose(f);
	if (!rc)
		rc = tm_traceset_parse(path, text, (size_t)len, ts, err);
	free(text);
	return rc;
}

void tm_traceset_free(struct tm_traceset *ts)
{
	free(ts->s);
	memset(ts, 0, sizeof(*ts));
}
