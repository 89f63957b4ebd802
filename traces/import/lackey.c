/*
 * lackey.c - the "lackey" importer: the full access trace printed by
 *   valgrind --tool=lackey --trace-mem=yes --log-file=OUT PROGRAM
 * (reference/peers.md (b); valgrind lackey/lk_main.c prints
 * "I  %08lx,%lu", " L %08lx,%lu", " S ...", " M ..." - hex address,
 * decimal size).
 *
 * Every L, S, M line is one access record: op load, store or modify, weight
 * = access size, cpu 0.  Filtered forms are read too: any indentation
 * before the op letter (lackey's one space, or none after awk), addresses
 * with or without 0x, and a missing ",size" (weight 0: unknown, as
 * traces/record.h allows).  `==PID==` lines (valgrind's own messages), blank
 * lines and `SB` lines (--trace-superblocks) are skipped; I lines only
 * advance the clock.  Time comes from one of:
 *   instr  access time = (number of I lines so far - 1) × ns_per_instr,
 *          i.e. the time its instruction issued (default 1 ns: assumption
 *          of a 1 GHz core at IPC 1);
 *   index  access j (0-based) at j × 1e9 / rate_per_s (default 1e9/s);
 *   auto   instr if the first trace line is an I line, else index.
 * The stream reads the file as it is consumed (traces are large), so
 * errors surface from tm_stream_read() with file:line:col.  The file may
 * be gzip or zstd compressed, or "-" for standard input (textin.c).
 *
 * Notes (simplifications): one thread (lackey serialises threads and does
 * not say which one made an access); no instruction-fetch records.
 */
#include "import_internal.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define NS_PER_S 1e9

struct lk {
	char *path;
	struct tm_import_text *in;
	char *line;
	size_t cap;
	uint64_t lineno;
	enum tm_import_time time;
	double ns_per_instr, ns_per_access;
	uint64_t nr_access;
	bool eof;
	struct tm_import_stats st;
	struct tm_import_stats *stats_out;
};

/* A format error at column col of the current line. */
#define lk_err(lk, err, col, ...)                                            \
	tm_error_at_line((err), TM_ERR_FORMAT, (lk)->path, (lk)->lineno,     \
			 (col), __VA_ARGS__)

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The character found where another was expected, for a message: the end
 * of the line is named, not printed (a raw newline would split the message). */
static const char *found(char c, char q[4])
{
	if (c == '\0' || c == '\n' || c == '\r')
		return "end of line";
	q[0] = '\'';
	q[1] = (unsigned char)c < ' ' ? '?' : c;
	q[2] = '\'';
	q[3] = '\0';
	return q;
}

static bool line_end(char c)
{
	return c == '\0' || strchr(" \t\r\n", c) != NULL;
}

/* Only blanks from line[col - 1] to the end of the line. */
static int end_of_line(struct lk *lk, struct tm_error *err, size_t col,
		       const char *what)
{
	const char *p = lk->line + col - 1;
	size_t nb = strspn(p, " \t");
	char q[4];

	if (p[nb] && !strchr("\r\n", p[nb]))
		return lk_err(lk, err, col + nb, "%s; expected %s", found(p[nb], q),
			      what);
	return 0;
}

/* "[0x]hex[,decimal]" then only line-end whitespace, starting at
 * line[col - 1]; *size is 0 when the ",size" part is absent. */
static int parse_addr_size(struct lk *lk, struct tm_error *err, size_t col,
			   uint64_t *addr, uint64_t *size)
{
	const char *s = lk->line + col - 1, *p = s;
	size_t nd = 0;
	char q[4];

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hexval(p[2]) >= 0)
		p += 2;
	for (*addr = 0; hexval(*p) >= 0 && nd < 16; p++, nd++)
		*addr = (*addr << 4) | (uint64_t)hexval(*p);
	*size = 0;
	if (nd && line_end(*p))
		return end_of_line(lk, err, col + (size_t)(p - s), "the end of "
				   "the line"); /* size-less: `cut -d, -f1` */
	if (!nd || *p != ',')
		return lk_err(lk, err, col + (size_t)(p - s), "%s; expected %s",
			      found(*p, q), hexval(*p) >= 0 ? "at most 16 hex digits" :
			      nd ? "',' and the access size, or the end of the "
			      "line, after the hex address" : "a hex address");
	p++;
	for (nd = 0; *p >= '0' && *p <= '9' && nd < 10; p++, nd++)
		*size = *size * 10 + (uint64_t)(*p - '0');
	if (!nd || !line_end(*p))
		return lk_err(lk, err, col + (size_t)(p - s), "%s; expected a "
			      "decimal access size and the end of the line",
			      found(*p, q));
	return end_of_line(lk, err, col + (size_t)(p - s), "the end of the "
			   "line after the access size");
}

/* Time of the access about to be emitted. */
static int access_time(struct lk *lk, struct tm_error *err, uint64_t *t)
{
	double ns;

	if (lk->time == TM_IMPORT_TIME_INSTR) {
		if (!lk->st.nr_instr)
			return lk_err(lk, err, 1, "access before any I line; expected "
				      "an I line first with --time instr (use "
				      "--time index for traces without I lines)");
		ns = (double)(lk->st.nr_instr - 1) * lk->ns_per_instr;
	} else {
		ns = (double)lk->nr_access * lk->ns_per_access;
	}
	/* A huge --ns-per-instr or tiny --rate: converting a double of 2^64
	 * or more to uint64_t is undefined, so refuse it here. */
	if (!(ns < 18446744073709551616.0))
		return lk_err(lk, err, 1, "access %llu: time beyond 2^64 ns; "
			      "expected less (lower --ns-per-instr or raise --rate)",
			      (unsigned long long)lk->nr_access);
	*t = (uint64_t)ns;
	lk->nr_access++;
	return 0;
}

/* One line: returns 1 and fills r for an access, 0 for any other line.
 * The op letter may follow any indentation (lackey indents L, S, M by one
 * space; `awk '{print $1, $2}'` and the like remove it). */
static int parse_line(struct lk *lk, struct tm_error *err, struct tm_record *r)
{
	const char *l = lk->line;
	size_t ind = strspn(l, " \t");
	uint64_t addr, size;
	static const char ops[] = "LSM";
	const char *op = NULL;

	if (line_end(l[ind]) || !strncmp(l, "==", 2) || !strncmp(l + ind, "SB ", 3)) {
		lk->st.nr_skipped++;
		return 0;
	}
	if ((l[ind] != 'I' && !(op = strchr(ops, l[ind]))) || !l[ind] ||
	    (l[ind + 1] != ' ' && l[ind + 1] != '\t'))
		return lk_err(lk, err, 1, "unrecognised line; expected a lackey "
			      "--trace-mem line ('I|L|S|M addr[,size]', hex addr, "
			      "decimal size, any leading space) or a '==pid==' "
			      "message");
	if (parse_addr_size(lk, err, ind + 2 + strspn(l + ind + 1, " \t"), &addr,
			    &size))
		return -1;
	if (!op) {
		if (lk->time == TM_IMPORT_TIME_AUTO)
			lk->time = TM_IMPORT_TIME_INSTR;
		lk->st.nr_instr++;
		return 0;
	}
	if (lk->time == TM_IMPORT_TIME_AUTO)
		lk->time = TM_IMPORT_TIME_INDEX;
	if (access_time(lk, err, &r->time_ns))
		return -1;
	r->addr = addr;
	r->weight = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	r->cpu = 0;
	r->op = (uint8_t)(op - ops); /* L, S, M: TM_OP_LOAD, _STORE, _MODIFY */
	r->flags = 0;
	return 1;
}

static ssize_t lk_read(void *state, struct tm_record *buf, size_t cap,
		       struct tm_error *err)
{
	struct lk *lk = state;
	size_t n = 0;
	ssize_t got;
	int rc;

	while (n < cap && !lk->eof) {
		got = tm_import_text_getline(lk->in, &lk->line, &lk->cap, err);
		if (got < 0)
			return -1;
		if (!got) {
			lk->eof = true;
			break;
		}
		lk->lineno++;
		rc = parse_line(lk, err, &buf[n]);
		if (rc < 0)
			return -1;
		n += (size_t)rc;
	}
	lk->st.nr_records += n;
	if (lk->stats_out)
		*lk->stats_out = lk->st;
	return (ssize_t)n;
}

static void lk_free(void *state)
{
	struct lk *lk = state;

	if (!lk)
		return;
	tm_import_text_free(lk->in);
	free(lk->line);
	free(lk->path);
	free(lk);
}

static const struct tm_stream_ops lk_stream_ops = {
	.name = "lackey",
	.read = lk_read,
	.free = lk_free,
};

static int lk_open(const char *path, const void *config,
		   const struct tm_import_opts *o, struct tm_stream **out,
		   struct tm_error *err)
{
	const struct tm_import_lackey_opts *lo = config;
	struct lk *lk;
	struct tm_stream *s;
	struct tm_import_text *in;

	*out = NULL;
	assert(lo->ns_per_instr > 0 && lo->rate_per_s > 0); /* schema bounds */
	if (tm_import_text_open(path, &in, err))
		return -1;
	lk = tm_xcalloc(1, sizeof(*lk));
	lk->path = tm_xstrdup(path);
	lk->in = in;
	lk->time = lo->time;
	lk->ns_per_instr = lo->ns_per_instr;
	lk->ns_per_access = NS_PER_S / lo->rate_per_s;
	lk->stats_out = o->stats;
	if (lk->stats_out)
		*lk->stats_out = lk->st;
	s = tm_xcalloc(1, sizeof(*s));
	s->ops = &lk_stream_ops;
	s->state = lk;
	tm_import_info_init(&s->info, o, path);
	s->info.kind = TM_TRACE_ACCESSES;
	s->info.load_period = 1;
	s->info.nr_vcpus = o->nr_vcpus ? o->nr_vcpus : 1;
	*out = s;
	return 0;
}

static void lk_provenance(const void *config, const struct tm_import_stats *st,
			  json_t *p)
{
	const struct tm_import_lackey_opts *lo = config;

	(void)st;
	json_object_set_new(p, "addr", json_string("virt"));
	json_object_set_new(p, "ns_per_instr", json_real(lo->ns_per_instr));
	json_object_set_new(p, "rate_per_s", json_real(lo->rate_per_s));
}

/* Bounds: any positive number (a huge time is refused per access, in
 * access_time).  Defaults are assumptions, see the file header. */
static const struct tm_cfg_key lk_keys[] = {
	TM_CFG_KEY("time", TM_CFG_ENUM, 0, 0, "auto", "auto|instr|index", 0,
		   TM_CFG_F_INT, struct tm_import_lackey_opts, time,
		   "time from I lines (instr) or from the access index "
		   "(index); auto: instr if the trace has I lines"),
	TM_CFG_KEY("ns-per-instr", TM_CFG_DOUBLE, 0, DBL_MAX, "1", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, struct tm_import_lackey_opts,
		   ns_per_instr, "--time instr: ns per instruction"),
	TM_CFG_KEY("rate", TM_CFG_CRATE, 0, DBL_MAX, "1G/s", NULL,
		   TM_CFG_MIN_EXCL, TM_CFG_F_DBL, struct tm_import_lackey_opts,
		   rate_per_s, "--time index: accesses per second"),
};

const struct tm_importer_ops tm_importer_lackey = {
	.kind = {
		.name = "lackey",
		.help = "valgrind --tool=lackey --trace-mem=yes output (full trace; "
			"plain, gzip or zstd; - for standard input)",
		.keys = lk_keys,
		.nr_keys = sizeof(lk_keys) / sizeof(lk_keys[0]),
		.config_size = sizeof(struct tm_import_lackey_opts),
		.flags = TM_IMPORT_FULL,
	},
	.open = lk_open,
	.provenance = lk_provenance,
};
