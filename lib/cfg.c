/*
 * cfg.c - typed configuration keys and backend kinds (cfg.h).
 *
 * Parsing and bounds of one value of a key, shared by the YAML loader and
 * the command-line options; the help and Markdown lines printed from the
 * same rows; the registry of a family of backend kinds.
 */
#include "cfg.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "units.h"

/* What a scalar of this type looks like, for messages. */
const char *tm_cfg_type_desc(const struct tm_cfg_key *k)
{
	switch (k->type) {
	case TM_CFG_SIZE: return "a size like 4KiB or 16GiB";
	case TM_CFG_TIME: return "a time like 500ms or 2s";
	case TM_CFG_CRATE: return "a rate like 50M/s or 1000/s";
	case TM_CFG_BRATE: return "a byte rate like 10GB/s or 1GiB/s";
	case TM_CFG_SHARE: return "a share like 20% or 0.2";
	case TM_CFG_U64: return "a non-negative integer";
	case TM_CFG_DOUBLE: return "a non-negative number";
	case TM_CFG_BOOL: return "true or false";
	case TM_CFG_ENUM: return "one of the listed values";
	case TM_CFG_STRING: return "a string";
	case TM_CFG_NAME: return "a name of letters, digits, '_' or '-'";
	case TM_CFG_FMEM: return "a size like 4GiB or a share of memory like 20%";
	case TM_CFG_NAMES: return "\"all\" or a list of VM names";
	case TM_CFG_MAP: return "a mapping";
	case TM_CFG_LIST: return "a list";
	}
	return "a value";
}
/* Bound noun: "expected <noun> between <min> and <max>". */
static const char *bound_noun(enum tm_cfg_type t)
{
	switch (t) {
	case TM_CFG_SIZE: case TM_CFG_FMEM: return "a size";
	case TM_CFG_TIME: return "a time";
	case TM_CFG_CRATE: return "a rate";
	case TM_CFG_BRATE: return "a byte rate";
	case TM_CFG_SHARE: return "a share";
	case TM_CFG_U64: return "an integer";
	default: return "a number";
	}
}
static void fmt_bound(enum tm_cfg_type t, double x, char *buf, size_t sz)
{
	switch (t) {
	case TM_CFG_SIZE: case TM_CFG_FMEM:
		tm_format_size((uint64_t)x, buf, (unsigned)sz);
		break;
	case TM_CFG_TIME:
		tm_format_time((uint64_t)x, buf, sz);
		break;
	case TM_CFG_BRATE:
		tm_format_size((uint64_t)x, buf, (unsigned)sz);
		strncat(buf, "/s", sz - strlen(buf) - 1);
		break;
	case TM_CFG_CRATE:
		tm_fmt(buf, sz, "%g/s", x);
		break;
	case TM_CFG_U64:
		tm_fmt(buf, sz, "%.0f", x);
		break;
	default:
		tm_fmt(buf, sz, "%g", x);
	}
}
/* The index of s in an "a|b|c" list, or -1. */
int tm_cfg_enum_index(const char *arg, const char *s)
{
	size_t len = strlen(s);
	int i = 0;

	for (;;) {
		const char *bar = strchr(arg, '|');
		size_t n = bar ? (size_t)(bar - arg) : strlen(arg);

		if (n == len && strncmp(arg, s, n) == 0)
			return i;
		if (!bar)
			return -1;
		arg = bar + 1;
		i++;
	}
}
/* The i-th name of an "a|b|c" list into buf. */
void tm_cfg_enum_name(const char *arg, int i, char *buf, size_t sz)
{
	while (i-- > 0 && strchr(arg, '|'))
		arg = strchr(arg, '|') + 1;
	tm_fmt(buf, sz, "%.*s", (int)strcspn(arg, "|"), arg);
}
bool tm_cfg_name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}
static int check_bounds(const struct tm_cfg_key *k, double x, const char *s,
			struct tm_error *e)
{
	char lo[32], hi[32];
	bool excl = k->flags & TM_CFG_MIN_EXCL;

	if ((excl ? x > k->min : x >= k->min) && x <= k->max)
		return 0;
	fmt_bound(k->type, k->min, lo, sizeof(lo));
	fmt_bound(k->type, k->max, hi, sizeof(hi));
	return tm_error_set(e, TM_ERR_BOUNDS,
			    "expected %s %s %s %s %s, got \"%s\"",
			    bound_noun(k->type), excl ? "above" : "between", lo,
			    excl ? "and at most" : "and", hi, s);
}
static int parse_text(const struct tm_cfg_key *k, const char *s, struct tm_cfg_val *v,
		      struct tm_error *e)
{
	int b, r = 0;

	memset(v, 0, sizeof(*v));
	v->s = s;
	switch (k->type) {
	case TM_CFG_SIZE: r = tm_parse_size(s, &v->u, e); break;
	case TM_CFG_TIME: r = tm_parse_time_ns(s, &v->u, e); break;
	case TM_CFG_U64: r = tm_parse_u64(s, &v->u, e); break;
	case TM_CFG_CRATE: r = tm_parse_count_rate(s, &v->d, e); break;
	case TM_CFG_BRATE: r = tm_parse_byte_rate(s, &v->d, e); break;
	case TM_CFG_SHARE: r = tm_parse_share(s, &v->d, e); break;
	case TM_CFG_DOUBLE: r = tm_parse_double(s, &v->d, e); break;
	case TM_CFG_BOOL: r = tm_parse_bool(s, &b, e); v->u = (uint64_t)b; return r;
	default: return -1; /* callers handle the other types */
	}
	if (r < 0)
		return r;
	if (k->type == TM_CFG_SIZE || k->type == TM_CFG_TIME ||
	    k->type == TM_CFG_U64)
		v->d = (double)v->u;
	return check_bounds(k, v->d, s, e);
}
/* A size, or a share of the VM's memory ("20%", or a bare fraction such as
 * "0.2", which as bytes would silently round to nothing); resolved in
 * resolve_fmem. */
static int parse_fmem(const struct tm_cfg_key *k, const char *s, struct tm_cfg_val *v,
		      struct tm_error *e)
{
	size_t n = strlen(s);
	bool fraction = strchr(s, '.') && !strpbrk(s, "BKMGTPEiek");

	memset(v, 0, sizeof(*v));
	v->s = s;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if ((n && s[n - 1] == '%') || fraction) {
		v->pct = true;
		return tm_parse_share(s, &v->d, e);
	}
	if (tm_parse_size(s, &v->u, e) < 0)
		return tm_error_set(e, e->code, "expected %s, got \"%s\"",
				    tm_cfg_type_desc(k), s);
	return check_bounds(k, (double)v->u, s, e);
}
static int parse_string(const struct tm_cfg_key *k, const char *s,
			struct tm_cfg_val *v, struct tm_error *e)
{
	char names[256];
	int i;

	memset(v, 0, sizeof(*v));
	v->s = s;
	if (k->type == TM_CFG_ENUM) {
		if ((i = tm_cfg_enum_index(k->arg, s)) >= 0) {
			v->u = (uint64_t)i;
			return 0;
		}
		tm_fmt(names, sizeof(names), "%s", k->arg);
		for (i = 0; names[i]; i++)
			if (names[i] == '|')
				names[i] = ',';
		return tm_error_set(e, TM_ERR_CONFIG,
				    "expected one of %s, got \"%s\"", names, s);
	}
	if (strlen(s) < k->min || strlen(s) > k->max)
		return tm_error_set(e, TM_ERR_BOUNDS,
				    "expected %s of %.0f to %.0f bytes, got %zu",
				    tm_cfg_type_desc(k), k->min, k->max, strlen(s));
	if (k->type == TM_CFG_NAME && !tm_cfg_name_ok(s))
		return tm_error_set(e, TM_ERR_CONFIG, "expected %s, got \"%s\"",
				    tm_cfg_type_desc(k), s);
	return 0;
}
/* Parse scalar text s as key k's type, with its bounds.  err: no location. */
int tm_cfg_parse(const struct tm_cfg_key *k, const char *s,
		 struct tm_cfg_val *v, struct tm_error *e)
{
	switch (k->type) {
	case TM_CFG_FMEM:
		return parse_fmem(k, s, v, e);
	case TM_CFG_ENUM: case TM_CFG_STRING: case TM_CFG_NAME:
		return parse_string(k, s, v, e);
	default:
		return parse_text(k, s, v, e);
	}
}
void tm_cfg_store(const struct tm_cfg_key *k, void *base,
		  const struct tm_cfg_val *v)
{
	char *p = (char *)base + k->off;

	switch (k->field) {
	case TM_CFG_F_U32: *(uint32_t *)p = (uint32_t)v->u; break;
	case TM_CFG_F_U64: *(uint64_t *)p = v->u; break;
	case TM_CFG_F_DBL:
		*(double *)p = k->type == TM_CFG_TIME ? (double)v->u : v->d;
		break;
	case TM_CFG_F_BOOL: *(bool *)p = v->u != 0; break;
	case TM_CFG_F_INT: *(int *)p = (int)v->u; break;
	case TM_CFG_F_STR: tm_fmt(p, k->sz, "%s", v->s); break;
	case TM_CFG_F_NONE: break;
	}
}

void tm_cfg_set_defaults(const struct tm_cfg_key *keys, size_t nr, void *base)
{
	for (size_t i = 0; i < nr; i++) {
		struct tm_cfg_val v;
		struct tm_error e;

		if (!keys[i].def || keys[i].field == TM_CFG_F_NONE)
			continue;
		if (tm_cfg_parse(&keys[i], keys[i].def, &v, &e) == 0)
			tm_cfg_store(&keys[i], base, &v);
	}
}

void tm_cfg_format_bounds(const struct tm_cfg_key *k, char *buf, size_t sz)
{
	char lo[32], hi[32];

	buf[0] = '\0';
	switch (k->type) {
	case TM_CFG_SIZE: case TM_CFG_TIME: case TM_CFG_CRATE:
	case TM_CFG_BRATE: case TM_CFG_SHARE: case TM_CFG_U64:
	case TM_CFG_DOUBLE: case TM_CFG_FMEM:
		fmt_bound(k->type, k->min, lo, sizeof(lo));
		fmt_bound(k->type, k->max, hi, sizeof(hi));
		tm_fmt(buf, sz, "%s%s..%s",
			 (k->flags & TM_CFG_MIN_EXCL) ? ">" : "", lo, hi);
		break;
	case TM_CFG_ENUM:
		tm_fmt(buf, sz, "%s", k->arg);
		break;
	default:
		break;
	}
}

const struct tm_cfg_key *tm_cfg_find(const struct tm_cfg_key *keys,
				     size_t nr, const char *key)
{
	for (size_t i = 0; i < nr; i++)
		if (strcmp(keys[i].pattern, key) == 0)
			return &keys[i];
	return NULL;
}

/* The value placeholder of a key's type, for help lines. */
static const char *metavar(const struct tm_cfg_key *k)
{
	switch (k->type) {
	case TM_CFG_SIZE: return "SIZE";
	case TM_CFG_TIME: return "TIME";
	case TM_CFG_CRATE: return "N/s";
	case TM_CFG_BRATE: return "BYTES/s";
	case TM_CFG_SHARE: return "SHARE";
	case TM_CFG_U64: return "N";
	case TM_CFG_DOUBLE: return "X";
	case TM_CFG_BOOL: return "BOOL";
	case TM_CFG_ENUM: return "WORD";
	default: return "VALUE";
	}
}

void tm_cfg_print_help_row(FILE *f, const struct tm_cfg_key *k,
			   const char *opt)
{
	char b[96];

	tm_cfg_format_bounds(k, b, sizeof(b));
	fprintf(f, "    %-26s %s (", opt, k->doc ? k->doc : "");
	if (k->flags & TM_CFG_REQUIRED)
		fprintf(f, "required");
	else if (k->def)
		fprintf(f, "default %s", k->def);
	else
		fprintf(f, "default derived");
	fprintf(f, "%s%s)\n", *b ? "; " : "", b);
}

void tm_cfg_print_help(FILE *f, const struct tm_cfg_key *keys, size_t nr,
		       const char *prefix)
{
	for (size_t i = 0; i < nr; i++) {
		char opt[64];

		tm_fmt(opt, sizeof(opt), "%s%s %s", prefix, keys[i].pattern,
		       metavar(&keys[i]));
		tm_cfg_print_help_row(f, &keys[i], opt);
	}
}

/* s as a Markdown table cell: '|' (enum values, "a|b") escaped. */
static void md_cell(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc(' ', f);
}

void tm_cfg_print_markdown(FILE *f, const struct tm_cfg_key *keys, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		const struct tm_cfg_key *k = &keys[i];
		char b[96];

		tm_cfg_format_bounds(k, b, sizeof(b));
		fprintf(f, "| `%s` | %s ", k->pattern, metavar(k));
		md_cell(f, (k->flags & TM_CFG_REQUIRED) ? "required" :
			k->def ? k->def : "derived");
		md_cell(f, b);
		md_cell(f, k->doc ? k->doc : "");
		fputs("|\n", f);
	}
}

/* ---- backend kinds ------------------------------------------------------ */

size_t tm_kinds_count(const struct tm_kinds *f)
{
	return f->nr_builtin + f->nr_extra;
}

const struct tm_kind *tm_kinds_at(const struct tm_kinds *f, size_t i)
{
	return i < f->nr_builtin ? f->builtin[i] : f->extra[i - f->nr_builtin];
}

const struct tm_kind *tm_kinds_find(const struct tm_kinds *f, const char *name)
{
	for (size_t i = 0; i < tm_kinds_count(f); i++)
		if (strcmp(tm_kinds_at(f, i)->name, name) == 0)
			return tm_kinds_at(f, i);
	return NULL;
}

int tm_kinds_add(struct tm_kinds *f, const struct tm_kind *k,
		 struct tm_error *e)
{
	TM_RETURN_IF(tm_kinds_find(f, k->name), e, TM_ERR_INTERNAL,
		     "%s kind '%s' is already registered", f->family, k->name);
	TM_RETURN_IF(f->nr_extra == TM_KINDS_EXTRA, e, TM_ERR_INTERNAL,
		     "no room for another %s kind", f->family);
	TM_RETURN_IF(k->config_size > TM_KIND_CONFIG_MAX, e, TM_ERR_INTERNAL,
		     "%s kind '%s': config of %zu bytes (at most %d)",
		     f->family, k->name, k->config_size, TM_KIND_CONFIG_MAX);
	f->extra[f->nr_extra++] = k;
	return 0;
}

void tm_kinds_names(const struct tm_kinds *f, const char *sep, char *buf,
		    size_t sz)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tm_kinds_count(f) && n + 1 < sz; i++) {
		int w = snprintf(buf + n, sz - n, "%s%s", i ? sep : "",
				 tm_kinds_at(f, i)->name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

void tm_kinds_print_help(FILE *f, const struct tm_kinds *fam,
			 const char *prefix)
{
	for (size_t i = 0; i < tm_kinds_count(fam); i++) {
		const struct tm_kind *k = tm_kinds_at(fam, i);

		fprintf(f, "  %-12s %s\n", k->name, k->help);
		tm_cfg_print_help(f, k->keys, k->nr_keys, prefix);
	}
}
