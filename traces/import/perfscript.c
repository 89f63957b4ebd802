/*
 * perfscript.c - the "perf-script" importer: the text printed by
 *   perf script -F pid,tid,cpu,time,event,ip,addr,phys_addr,period,weight,data_src --ns
 * (the -F list is an option, TM_IMPORT_SCRIPT_FIELDS by default; any subset
 * holding time, period and the address field is accepted).
 *
 * perf prints the fields in its own fixed order, not in -F order (observed
 * with perf 6.1; tools/perf/builtin-script.c process_event):
 *   pid/tid  [cpu]  secs.nsecs:  period  event:  addr  data_src |OP ..|BLK ..  weight  ip  phys_addr
 * The text after the data_src hex value (its decoded form) has a number of
 * words that varies with the perf version and the value, so the fields
 * before it are read from the left and weight, ip, phys_addr from the right.
 * Values become records as in import_perfdata.c (op from data_src, time
 * relative to the earliest sample, addr 0 dropped and counted), so both
 * importers agree record for record on the same recording.  The text may
 * be gzip or zstd compressed, or "-" for standard input (textin.c).
 *
 * Notes (simplifications): comm, sym, dso and callchain output are not
 * parsed (leave them out of -F; for a recording made with -g, run perf
 * script with -G); without --ns perf prints microseconds and times are
 * only that exact.
 */
#include "import_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

/* Fields in perf's print order (pid and tid share one token). */
enum ps_field {
	PS_PID, PS_TID, PS_CPU, PS_TIME, PS_PERIOD, PS_EVENT, PS_ADDR,
	PS_DATA_SRC, PS_WEIGHT, PS_IP, PS_PHYS_ADDR, NR_PS_FIELDS
};

static const char *const ps_names[NR_PS_FIELDS] = {
	"pid", "tid", "cpu", "time", "period", "event", "addr", "data_src",
	"weight", "ip", "phys_addr",
};

#define MAX_TOKENS 64 /* a line has ~25 words; the decoded data_src ~15 */
#define NS_PER_S 1000000000ULL

struct tok {
	const char *s;
	size_t len;
	size_t col; /* 1-based */
};

struct ps {
	const char *path;
	const struct tm_import_opts *o;
	const struct tm_import_perf_opts *po;
	struct tm_error *err;
	bool has[NR_PS_FIELDS];
	uint64_t lineno;
	struct tok toks[MAX_TOKENS];
	size_t nr_toks;
	struct tm_import_stats st;
	struct tm_import_periods per;
	struct tm_import_vec vec;
};

/* One sample line's values. */
struct ps_line {
	uint64_t time_ns, period, addr, phys, weight, data_src;
	uint32_t cpu;
	const struct tok *event;
};

/* A format error at column col of the current line. */
#define ps_err(ps, col, ...)                                                 \
	tm_error_at_line((ps)->err, TM_ERR_FORMAT, (ps)->path, (ps)->lineno, \
			 (col), __VA_ARGS__)

static int parse_fields(struct ps *ps, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ","), f;

		for (f = 0; f < NR_PS_FIELDS; f++)
			if (strlen(ps_names[f]) == n && !strncmp(p, ps_names[f], n))
				break;
		if (f == NR_PS_FIELDS)
			return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: '%.*s' "
					    "is not supported; expected a subset of %s",
					    (int)n, p, TM_IMPORT_SCRIPT_FIELDS);
		ps->has[f] = true;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int check_fields(struct ps *ps)
{
	bool phys = ps->po->addr == TM_IMPORT_PHYS;
	const char *ev = tm_import_perf_event(ps->po);

	if (!ps->has[PS_TIME] || !ps->has[PS_PERIOD])
		return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: expected time "
				    "and period in the perf script -F list");
	if (!ps->has[phys ? PS_PHYS_ADDR : PS_ADDR])
		return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: --addr %s needs "
				    "%s in the perf script -F list",
				    phys ? "phys" : "virt", phys ? "phys_addr" : "addr");
	if (ev && strspn(ev, "0123456789") == strlen(ev))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--event %s: perf script "
				    "text has no attr index; expected an event name",
				    ev);
	return 0;
}

static int tokenize(struct ps *ps, const char *line)
{
	const char *p = line;

	ps->nr_toks = 0;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		if (ps->nr_toks == MAX_TOKENS)
			return ps_err(ps, (size_t)(p - line) + 1, "more than %d words; "
				      "expected one perf script sample per line",
				      MAX_TOKENS);
		ps->toks[ps->nr_toks].s = p;
		ps->toks[ps->nr_toks].col = (size_t)(p - line) + 1;
		while (*p && !isspace((unsigned char)*p))
			p++;
		ps->toks[ps->nr_toks].len = (size_t)(p - ps->toks[ps->nr_toks].s);
		ps->nr_toks++;
	}
}

/* Parse all of [s, s + len) as a number in base; false if anything is left. */
static bool parse_num(const char *s, size_t len, int base, uint64_t *v)
{
	char buf[32];
	char *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isxdigit((unsigned char)buf[0]))
		return false;
	errno = 0;
	*v = strtoull(buf, &end, base);
	return !errno && *end == '\0';
}

static int tok_num(struct ps *ps, const struct tok *t, int base, const char *what,
		   uint64_t *v)
{
	if (!parse_num(t->s, t->len, base, v))
		return ps_err(ps, t->col, "%s '%.*s'; expected a %s number", what,
			      (int)t->len, t->s, base == 16 ? "hex" : "decimal");
	return 0;
}

/* "secs.frac:" with 1..9 fraction digits (9 with --ns). */
static int tok_time(struct ps *ps, const struct tok *t, uint64_t *ns)
{
	const char *dot = memchr(t->s, '.', t->len);
	size_t nfrac = dot ? t->len - (size_t)(dot - t->s) - 2 : 0;
	uint64_t secs, frac;

	if (!dot || t->s[t->len - 1] != ':' || nfrac < 1 || nfrac > 9 ||
	    !parse_num(t->s, (size_t)(dot - t->s), 10, &secs) ||
	    !parse_num(dot + 1, nfrac, 10, &frac) || secs > UINT64_MAX / NS_PER_S - 1)
		return ps_err(ps, t->col, "time '%.*s'; expected seconds.fraction: "
			      "(perf script --ns)", (int)t->len, t->s);
	for (size_t i = nfrac; i < 9; i++)
		frac *= 10;
	*ns = secs * NS_PER_S + frac;
	return 0;
}

static int tok_cpu(struct ps *ps, const struct tok *t, uint32_t *cpu)
{
	uint64_t v;

	if (t->len < 3 || t->s[0] != '[' || t->s[t->len - 1] != ']' ||
	    !parse_num(t->s + 1, t->len - 2, 10, &v) || v >= TM_TRACE_VCPUS_MAX)
		return ps_err(ps, t->col, "cpu '%.*s'; expected [N] with N < %u",
			      (int)t->len, t->s, TM_TRACE_VCPUS_MAX);
	*cpu = (uint32_t)v;
	return 0;
}

static int tok_pidtid(struct ps *ps, const struct tok *t)
{
	const char *slash = memchr(t->s, '/', t->len);
	uint64_t v;
	bool ok;

	if (ps->has[PS_PID] && ps->has[PS_TID])
		ok = slash && parse_num(t->s, (size_t)(slash - t->s), 10, &v) &&
		     parse_num(slash + 1, t->len - (size_t)(slash - t->s) - 1, 10, &v);
	else
		ok = parse_num(t->s, t->len, 10, &v);
	if (!ok)
		return ps_err(ps, t->col, "'%.*s'; expected %s (is --fields the list "
			      "perf script was run with?)", (int)t->len, t->s,
			      ps->has[PS_PID] && ps->has[PS_TID] ? "pid/tid" :
			      "a pid or tid");
	return 0;
}

/* Fields printed before the decoded data_src text, left to right. */
static int parse_left(struct ps *ps, size_t *i, struct ps_line *l)
{
	const struct tok *t = ps->toks;
	size_t n = ps->nr_toks;

#define NEED(what)                                                             \
	do {                                                                   \
		if (*i >= n)                                                   \
			return ps_err(ps, n ? t[n - 1].col + t[n - 1].len : 1, \
				      "line ends; expected %s", what);         \
	} while (0)
	if (ps->has[PS_PID] || ps->has[PS_TID]) {
		NEED("pid/tid");
		if (tok_pidtid(ps, &t[(*i)++]))
			return -1;
	}
	if (ps->has[PS_CPU]) {
		NEED("[cpu]");
		if (tok_cpu(ps, &t[(*i)++], &l->cpu))
			return -1;
	}
	NEED("time");
	if (tok_time(ps, &t[(*i)++], &l->time_ns))
		return -1;
	NEED("period");
	if (tok_num(ps, &t[(*i)++], 10, "period", &l->period))
		return -1;
	/* the .tmt header stores periods as JSON integers below 2^63 */
	if (l->period > INT64_MAX)
		return ps_err(ps, t[*i - 1].col, "period %llu; expected at most "
			      "2^63 - 1", (unsigned long long)l->period);
	if (ps->has[PS_EVENT]) {
		NEED("event:");
		l->event = &t[(*i)++];
		if (l->event->len < 2 || l->event->s[l->event->len - 1] != ':')
			return ps_err(ps, l->event->col, "'%.*s'; expected an event "
				      "name and ':'", (int)l->event->len, l->event->s);
	}
	if (ps->has[PS_ADDR]) {
		NEED("addr");
		if (tok_num(ps, &t[(*i)++], 16, "addr", &l->addr))
			return -1;
	}
	if (ps->has[PS_DATA_SRC]) {
		NEED("data_src");
		if (tok_num(ps, &t[(*i)++], 16, "data_src", &l->data_src))
			return -1;
	}
#undef NEED
	return 0;
}

/* weight, ip, phys_addr from the right end; what lies between the left
 * fields and these is the decoded data_src text (only with data_src). */
static int parse_right(struct ps *ps, size_t left, struct ps_line *l)
{
	size_t nr = ps->has[PS_WEIGHT] + ps->has[PS_IP] + ps->has[PS_PHYS_ADDR];
	size_t i, n = ps->nr_toks;
	uint64_t ip;

	if (n < left + nr)
		return ps_err(ps, n ? ps->toks[n - 1].col : 1, "%zu words; expected "
			      "%zu for the -F fields (is --fields the list perf "
			      "script was run with?)", n, left + nr);
	i = n - nr;
	if (i > left && !ps->has[PS_DATA_SRC])
		return ps_err(ps, ps->toks[left].col, "unexpected '%.*s'; expected "
			      "only the -F fields (is --fields the list perf "
			      "script was run with?)", (int)ps->toks[left].len,
			      ps->toks[left].s);
	if (i > left && ps->toks[left].s[0] != '|')
		return ps_err(ps, ps->toks[left].col, "'%.*s'; expected the decoded "
			      "data_src (|OP ...)", (int)ps->toks[left].len,
			      ps->toks[left].s);
	if ((ps->has[PS_WEIGHT] && tok_num(ps, &ps->toks[i++], 10, "weight", &l->weight)) ||
	    (ps->has[PS_IP] && tok_num(ps, &ps->toks[i++], 16, "ip", &ip)) ||
	    (ps->has[PS_PHYS_ADDR] && tok_num(ps, &ps->toks[i++], 16, "phys_addr", &l->phys)))
		return -1;
	return 0;
}

static void keep(struct ps *ps, const struct ps_line *l)
{
	struct tm_record r = { 0 };

	r.addr = ps->po->addr == TM_IMPORT_PHYS ? l->phys : l->addr;
	if (!r.addr) {
		ps->st.nr_addr0++;
		return;
	}
	r.time_ns = l->time_ns;
	r.cpu = (uint16_t)l->cpu;
	r.weight = l->weight > UINT32_MAX ? UINT32_MAX : (uint32_t)l->weight;
	r.op = ps->has[PS_DATA_SRC] ? tm_import_op_from_data_src(l->data_src)
				    : TM_OP_LOAD;
	tm_import_periods_add(&ps->per, r.op, l->period);
	tm_import_vec_push(&ps->vec, &r);
}

static int parse_line(struct ps *ps, const char *line)
{
	struct ps_line l = { 0 };
	size_t left = 0;
	const char *ev = tm_import_perf_event(ps->po);

	if (tokenize(ps, line))
		return -1;
	if (!ps->nr_toks || ps->toks[0].s[0] == '#') {
		ps->st.nr_skipped++;
		return 0;
	}
	if (parse_left(ps, &left, &l) || parse_right(ps, left, &l))
		return -1;
	ps->st.nr_samples++;
	if (ev && l.event && (strlen(ev) != l.event->len - 1 ||
			      strncmp(ev, l.event->s, l.event->len - 1))) {
		ps->st.nr_filtered++;
		return 0;
	}
	if (ps->o->nr_vcpus && l.cpu >= ps->o->nr_vcpus)
		return ps_err(ps, ps->toks[ps->has[PS_PID] || ps->has[PS_TID]].col,
			      "cpu %u; expected a cpu below --vcpus %u", l.cpu,
			      ps->o->nr_vcpus);
	keep(ps, &l);
	return 0;
}

static void hint_callchain(struct tm_error *err)
{
	static const char hint[] = " (the next line is a callchain: run perf "
				   "script with -G)";
	size_t n = strlen(err->msg);

	if (n + sizeof(hint) <= sizeof(err->msg))
		memcpy(err->msg + n, hint, sizeof(hint));
}

static int read_lines(struct ps *ps, struct tm_import_text *in)
{
	struct tm_error next_err;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = 0;

	while ((got = tm_import_text_getline(in, &line, &cap, ps->err)) > 0) {
		ps->lineno++;
		if (parse_line(ps, line)) {
			/* perf prints callchains on tab-indented lines after ip */
			if (tm_import_text_getline(in, &line, &cap, &next_err) > 0 &&
			    line[0] == '\t')
				hint_callchain(ps->err);
			break;
		}
	}
	if (got != 0)
		rc = -1;
	free(line);
	return rc;
}

static int ps_open(const char *path, const void *config,
		   const struct tm_import_opts *o, struct tm_stream **out,
		   struct tm_error *err)
{
	struct ps *ps = tm_xcalloc(1, sizeof(*ps));
	struct tm_trace_info info;
	struct tm_import_text *in = NULL;
	int rc = -1;

	*out = NULL;
	ps->path = path;
	ps->o = o;
	ps->po = config;
	ps->err = err;
	if (parse_fields(ps, ps->po->fields) ||
	    check_fields(ps))
		goto out;
	if (tm_import_text_open(path, &in, err) || read_lines(ps, in))
		goto out;
	tm_import_info_init(&info, o, path);
	if (ps->po->addr == TM_IMPORT_PHYS)
		info.space = TM_ADDR_GPA;
	tm_import_periods_info(&ps->per, 1, &info);
	ps->st.nr_records = ps->vec.nr;
	tm_import_vec_stream(&ps->vec, &info, out);
	if (o->stats)
		*o->stats = ps->st;
	rc = 0;
out:
	tm_import_text_free(in);
	tm_import_vec_free(&ps->vec);
	free(ps);
	return rc;
}

static const struct tm_cfg_key ps_keys[] = {
	TM_IMPORT_PERF_ROWS,
	TM_CFG_KEY("fields", TM_CFG_STRING, 1, 255, TM_IMPORT_SCRIPT_FIELDS, NULL,
		   0, TM_CFG_F_STR, struct tm_import_perf_opts, fields,
		   "the -F list perf script was run with"),
};

const struct tm_importer_ops tm_importer_perf_script = {
	.kind = {
		.name = "perf-script",
		.help = "text of `perf script -F " TM_IMPORT_SCRIPT_FIELDS " --ns` "
			"(plain, gzip or zstd; - for standard input)",
		.keys = ps_keys,
		.nr_keys = sizeof(ps_keys) / sizeof(ps_keys[0]),
		.config_size = sizeof(struct tm_import_perf_opts),
	},
	.open = ps_open,
	.provenance = tm_import_perf_provenance,
};
