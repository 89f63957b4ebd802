/*
 * perfscript.c - the "perf-script" importer: the text `perf script` prints,
 * with its default fields or any -F list that holds time and addr (or
 * phys_addr): for instance
 *   perf script -F pid,tid,cpu,time,event,ip,addr,phys_addr,period,weight,data_src --ns
 *
 * The columns are found by their shape (perfscript_shape.c): perf prints
 * them in one fixed order whatever the -F order, each with a shape of its
 * own or a printf width that tells it apart.  Without --fields, the first
 * PS_WINDOW sample lines choose the shape: of every set of columns perf can
 * print, those that read all of them; of these, the one with the fewest
 * words left to the decoded data_src text, then the most columns at perf's
 * widths, then (text that lost perf's spacing) addr before phys_addr
 * before ip before weight, and ip's sym and dso before addr's.  With
 * --fields (any order: a set) only that set is tried.  Every later line
 * must have the chosen shape; one that does not is an error at its line
 * and column that names the shape.
 *
 * Values become records as in perfdata.c (op from data_src, time relative
 * to the earliest sample, addr 0 dropped and counted), so both importers
 * agree record for record on the same recording.  The text may be gzip or
 * zstd compressed, or "-" for standard input (textin.c).  With --split,
 * samples are grouped by the pid, tid, comm or cpu column.
 *
 * Notes (simplifications): a text of several events whose -F defaults
 * differ (say page-faults and a PEBS event) has a shape per event; give
 * perf script one -F list so that all lines share it.  Without --ns perf
 * prints microseconds, and times are exact to the microsecond only.
 * Without a period column the header's periods are 1.  Callchain lines
 * (a recording made with -g) are refused: run perf script with -G.
 */
#include "perfscript_internal.h"
#include "import_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define PS_WINDOW 32 /* sample lines that choose the shape */
#define NR_BODIES (1u << NR_PC) /* indexed by body mask (sparse) */

/* --fields names: a -F list's names and the columns they add. */
static const struct {
	const char *name;
	uint32_t cols;
} ps_names[] = {
	{ "comm", PC(PC_COMM) }, { "pid", PC(PC_PID) }, { "tid", PC(PC_TID) },
	{ "cpu", PC(PC_CPU) }, { "time", PC(PC_TIME) },
	{ "period", PC(PC_PERIOD) }, { "event", PC(PC_EVENT) },
	{ "addr", PC(PC_ADDR) }, { "data_src", PC(PC_DATA_SRC) },
	{ "weight", PC(PC_WEIGHT) }, { "ip", PC(PC_IP) },
	{ "sym", PC(PC_SYM) }, { "symoff", 0 }, { "dso", PC(PC_DSO) },
	{ "phys_addr", PC(PC_PHYS) },
};
#define NR_NAMES (sizeof(ps_names) / sizeof(ps_names[0]))
#define PS_FIELD_NAMES "comm,pid,tid,cpu,time,period,event,addr,data_src," \
		       "weight,ip,sym,symoff,dso,phys_addr"

struct ps {
	const char *path;
	const struct tm_import_opts *o;
	const struct tm_import_perf_opts *po;
	struct tm_error *err;
	struct ps_parser p;
	uint32_t given;            /* --fields as columns; 0: find them */
	uint32_t shape;
	char *win[PS_WINDOW];      /* the first sample lines */
	uint64_t win_line[PS_WINDOW];
	size_t nr_win;
	struct tm_import_stats st;
	struct tm_import_periods per;
	struct tm_import_vec vec;
	struct tm_import_grouper gp;
};

/* A shape's rank on the window: fewer decoded words, more widths, value. */
struct rank {
	bool alive;
	uint64_t nr_gap, nr_width;
	int value;
};

static int parse_fields(struct ps *ps, const char *list)
{
	const char *s = list;

	if (!strcmp(list, "auto"))
		return 0;
	while (*s) {
		size_t n = strcspn(s, ","), f;

		for (f = 0; f < NR_NAMES; f++)
			if (strlen(ps_names[f].name) == n && !strncmp(s, ps_names[f].name, n))
				break;
		if (f == NR_NAMES)
			return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: '%.*s' "
					    "is not read; expected auto or names of %s",
					    (int)n, s, PS_FIELD_NAMES);
		ps->given |= ps_names[f].cols;
		s += n + (s[n] == ',');
	}
	if ((ps->given & PC(PC_PID)) && (ps->given & PC(PC_TID)))
		ps->given = (ps->given & ~(PC(PC_PID) | PC(PC_TID))) | PC(PC_PIDTID);
	if (!(ps->given & PC(PC_TIME)))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: expected time "
				    "in the perf script -F list");
	return 0;
}

/* Whether body is a shape to try: every one perf can print, or the ones
 * --fields allows (sym and dso after addr only for some events). */
static bool candidate(const struct ps *ps, uint32_t body)
{
	uint32_t g = ps->given & PC_BODY, asym = 0;

	if (!tm_ps_body_valid(body))
		return false;
	if (!ps->given) /* perf's one sym/dso option prints both blocks */
		return !(body & PC(PC_IP)) ||
		       ((!(body & PC(PC_ASYM)) || (body & PC(PC_SYM))) &&
			(!(body & PC(PC_ADSO)) || (body & PC(PC_DSO))));
	if (g & PC(PC_ADDR))
		asym = (g & PC(PC_SYM) ? PC(PC_ASYM) : 0) | (g & PC(PC_DSO) ? PC(PC_ADSO) : 0);
	if (!(g & PC(PC_IP)))
		g &= ~(PC(PC_SYM) | PC(PC_DSO));
	return body == g || (asym && body == (g | asym));
}

static int value_of(uint32_t body)
{
	return 8 * !!(body & PC(PC_ADDR)) + 4 * !!(body & PC(PC_PHYS)) +
	       2 * !!(body & PC(PC_IP)) + !!(body & PC(PC_WEIGHT)) -
	       16 * !!(body & (PC(PC_ASYM) | PC(PC_ADSO)));
}

static bool better(const struct rank *a, const struct rank *b)
{
	if (a->nr_gap != b->nr_gap)
		return a->nr_gap < b->nr_gap;
	if (a->nr_width != b->nr_width)
		return a->nr_width > b->nr_width;
	return a->value > b->value;
}

/* The best alive body, or NR_BODIES. */
static uint32_t best_body(const struct rank *r)
{
	uint32_t best = NR_BODIES;

	for (uint32_t b = 0; b < NR_BODIES; b++)
		if (r[b].alive && (best == NR_BODIES || better(&r[b], &r[best])))
			best = b;
	return best;
}

/* The body that read most of a line none reads, of those alive before. */
static uint32_t furthest(struct ps *ps, uint32_t head, const struct rank *r)
{
	uint32_t best = NR_BODIES;
	size_t far = 0;
	struct ps_line l;

	for (uint32_t b = 0; b < NR_BODIES; b++) {
		if (!r[b].alive || !tm_ps_parse(&ps->p, head | b, &l, NULL))
			continue;
		if (best == NR_BODIES || ps->p.fail_tok > far ||
		    (ps->p.fail_tok == far && better(&r[b], &r[best])))
			best = b, far = ps->p.fail_tok;
	}
	return best;
}

/* Window line j under every alive body; 0 when one still reads it. */
static size_t window_line(struct ps *ps, uint32_t head, struct rank *r)
{
	struct ps_line l;
	struct ps_fit fit;
	size_t alive = 0;

	for (uint32_t b = 0; b < NR_BODIES; b++) {
		if (!r[b].alive)
			continue;
		if (tm_ps_parse(&ps->p, head | b, &l, &fit)) {
			r[b].alive = false;
			continue;
		}
		r[b].nr_gap += fit.nr_gap;
		r[b].nr_width += fit.nr_width;
		alive++;
	}
	return alive;
}

/* The shape of the window's lines, or a located error at the first line
 * no shape reads (as read by the best shape of the lines before it). */
static int choose_shape(struct ps *ps)
{
	struct rank *r = tm_xcalloc(NR_BODIES, sizeof(*r)), *saved;
	uint32_t head, best = NR_BODIES, on, off;
	struct ps_line l;
	int rc = -1;

	ps->p.lineno = ps->win_line[0];
	if (tm_ps_tokenize(&ps->p, ps->win[0]) ||
	    (ps->given ? (head = ps->given & ~PC_BODY, 0) : tm_ps_detect_head(&ps->p, &head)))
		goto out;
	tm_ps_forced(&ps->p, &on, &off);
	if (ps->given) /* told: its shape is tried even if line 1 disagrees */
		on = off = 0;
	for (uint32_t b = PC_BODY;; b = (b - 1) & PC_BODY) { /* every subset */
		r[b].alive = candidate(ps, b) && (b & on) == on && !(b & off);
		r[b].value = value_of(b);
		if (!b)
			break;
	}
	saved = tm_xmalloc(NR_BODIES * sizeof(*saved));
	ps->p.err = NULL; /* many shapes fail; only the last word counts */
	for (size_t j = 0; j < ps->nr_win; j++) {
		ps->p.lineno = ps->win_line[j];
		memcpy(saved, r, NR_BODIES * sizeof(*r));
		if (!tm_ps_tokenize(&ps->p, ps->win[j]) && window_line(ps, head, r))
			continue;
		/* line j fits no shape: say why, as the best shape so far
		 * (or the one that read most of a first line) reads it */
		best = j ? best_body(saved) : furthest(ps, head, saved);
		ps->p.err = ps->err;
		ps->p.guess = !j && !ps->given;
		if (!tm_ps_tokenize(&ps->p, ps->win[j]))
			tm_ps_parse(&ps->p, head | (best == NR_BODIES ? 0 : best), &l, NULL);
		free(saved);
		goto out;
	}
	free(saved);
	ps->p.err = ps->err;
	ps->shape = head | best_body(r);
	rc = 0;
out:
	free(r);
	return rc;
}

/* The chosen shape has what the options ask for. */
static int check_shape(struct ps *ps)
{
	static const char *const keys[] = { "none", "pid", "tid", "comm", "cpu" };
	static const uint32_t need[] = {
		0, PC(PC_PIDTID) | PC(PC_PID), PC(PC_PIDTID) | PC(PC_TID),
		PC(PC_COMM), PC(PC_CPU),
	};
	bool phys = ps->po->addr == TM_IMPORT_PHYS;
	const char *ev = tm_import_perf_event(ps->po);
	char d[320];

	tm_ps_describe(ps->shape, d, sizeof(d));
	if (!(ps->shape & PC(phys ? PC_PHYS : PC_ADDR)))
		return tm_error_set(ps->err, TM_ERR_FORMAT, "%s: no %s column in the "
				    "text (its shape: %s); expected perf script -F "
				    "with %s%s", ps->path, phys ? "phys_addr" : "addr", d,
				    phys ? "phys_addr" : "addr", phys ? "" : " (perf's "
				    "default fields show a software event's ip, not "
				    "its data address: perf script -F +addr)");
	if (ev && !(ps->shape & PC(PC_EVENT)))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--event %s: no event "
				    "column in %s (its shape: %s); expected perf "
				    "script -F with event", ev, ps->path, d);
	if (ps->o->split && !(ps->shape & need[ps->o->split]))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--split %s: no %s column "
				    "in %s (its shape: %s; a lone number is perf's "
				    "tid); expected perf script -F with %s",
				    keys[ps->o->split], keys[ps->o->split], ps->path, d,
				    keys[ps->o->split]);
	return 0;
}

static void keep(struct ps *ps, const struct ps_line *l)
{
	struct tm_record r = { 0 };
	bool tid = ps->shape & (PC(PC_PIDTID) | PC(PC_TID));

	r.addr = ps->po->addr == TM_IMPORT_PHYS ? l->phys : l->addr;
	if (!r.addr) {
		ps->st.nr_addr0++;
		return;
	}
	r.time_ns = l->time_ns;
	r.cpu = (uint16_t)l->cpu;
	r.weight = l->weight > UINT32_MAX ? UINT32_MAX : (uint32_t)l->weight;
	r.op = ps->shape & PC(PC_DATA_SRC) ? tm_import_op_from_data_src(l->data_src)
					   : TM_OP_LOAD;
	if (ps->shape & PC(PC_PERIOD))
		tm_import_periods_add(&ps->per, r.op, l->period);
	tm_import_vec_push(&ps->vec, &r);
	if (ps->o->split)
		tm_import_grouper_add(&ps->gp, l->pid, tid ? l->tid : l->pid, l->cpu,
				      ps->shape & PC(PC_COMM) ? l->comm : NULL);
}

/* One tokenized sample line under the chosen shape. */
static int sample(struct ps *ps)
{
	struct ps_line l;
	const char *ev = tm_import_perf_event(ps->po);

	if (tm_ps_parse(&ps->p, ps->shape, &l, NULL))
		return -1;
	if (l.period > INT64_MAX) /* the .tmt header stores periods below 2^63 */
		return tm_error_at_line(ps->err, TM_ERR_FORMAT, ps->path, ps->p.lineno,
					l.period_col + 1, "period %llu; expected at "
					"most 2^63 - 1", (unsigned long long)l.period);
	ps->st.nr_samples++;
	if (ev && (strlen(ev) != l.event->len - 1 ||
		   strncmp(ev, l.event->s, l.event->len - 1))) {
		ps->st.nr_filtered++;
		return 0;
	}
	if (ps->o->nr_vcpus && l.cpu >= ps->o->nr_vcpus)
		return tm_error_at_line(ps->err, TM_ERR_FORMAT, ps->path, ps->p.lineno,
					1, "cpu %u; expected a cpu below --vcpus %u",
					l.cpu, ps->o->nr_vcpus);
	keep(ps, &l);
	return 0;
}

/* The window, once its lines chose the shape. */
static int flush_window(struct ps *ps)
{
	if (choose_shape(ps) || check_shape(ps))
		return -1;
	for (size_t j = 0; j < ps->nr_win; j++) {
		ps->p.lineno = ps->win_line[j];
		if (tm_ps_tokenize(&ps->p, ps->win[j]) || sample(ps))
			return -1;
	}
	return 0;
}

/* A line: skipped (blank, '#'), kept for the window, or read. */
static int one_line(struct ps *ps, const char *line)
{
	const char *s = line + strspn(line, " \t\r\n");

	if (!*s || *s == '#') {
		ps->st.nr_skipped++;
		return 0;
	}
	if (line[0] == '\t') /* perf prints callchains on tab-indented lines */
		return tm_error_at_line(ps->err, TM_ERR_FORMAT, ps->path, ps->p.lineno,
					1, "a callchain line; expected one sample "
					"per line (run perf script with -G)");
	if (!ps->shape && ps->nr_win < PS_WINDOW) {
		ps->win_line[ps->nr_win] = ps->p.lineno;
		ps->win[ps->nr_win++] = tm_xstrdup(line);
		return ps->nr_win == PS_WINDOW ? flush_window(ps) : 0;
	}
	return tm_ps_tokenize(&ps->p, line) || sample(ps) ? -1 : 0;
}

static int read_lines(struct ps *ps, struct tm_import_text *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = 0;

	while ((got = tm_import_text_getline(in, &line, &cap, ps->err)) > 0) {
		ps->p.lineno++;
		if (line[got - 1] != '\n') { /* perf ends every line */
			rc = tm_error_at_line(ps->err, TM_ERR_FORMAT, ps->path,
					      ps->p.lineno, (size_t)got + 1, "the input "
					      "ends inside a line; expected whole lines "
					      "(a truncated text?)");
			break;
		}
		if (one_line(ps, line)) {
			rc = -1;
			break;
		}
	}
	if (got < 0)
		rc = -1;
	if (!rc && !ps->shape && ps->nr_win)
		rc = flush_window(ps);
	free(line);
	return rc;
}

static int check_opts(struct ps *ps)
{
	const char *ev = tm_import_perf_event(ps->po);
	bool phys = ps->po->addr == TM_IMPORT_PHYS;

	if (parse_fields(ps, ps->po->fields))
		return -1;
	if (ps->given && !(ps->given & PC(phys ? PC_PHYS : PC_ADDR)))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--fields: --addr %s needs "
				    "%s in the perf script -F list",
				    phys ? "phys" : "virt", phys ? "phys_addr" : "addr");
	if (ev && strspn(ev, "0123456789") == strlen(ev))
		return tm_error_set(ps->err, TM_ERR_USAGE, "--event %s: perf script "
				    "text has no attr index; expected an event name",
				    ev);
	return 0;
}

static void ps_free(struct ps *ps)
{
	for (size_t j = 0; j < ps->nr_win; j++)
		free(ps->win[j]);
	tm_import_vec_free(&ps->vec);
	tm_import_grouper_free(&ps->gp);
	free(ps);
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
	ps->path = ps->p.path = path;
	ps->o = o;
	ps->po = config;
	ps->err = ps->p.err = err;
	tm_import_grouper_init(&ps->gp, o->split);
	if (check_opts(ps) || tm_import_text_open(path, &in, err) || read_lines(ps, in))
		goto out;
	tm_import_info_init(&info, o, path);
	if (ps->po->addr == TM_IMPORT_PHYS)
		info.space = TM_ADDR_GPA;
	tm_import_periods_info(&ps->per, 1, &info);
	ps->st.nr_records = ps->vec.nr;
	if (ps->shape)
		tm_ps_describe(ps->shape, ps->st.columns, sizeof(ps->st.columns));
	tm_import_finish(&ps->vec, &ps->gp, &info, o, out);
	if (o->stats)
		*o->stats = ps->st;
	rc = 0;
out:
	tm_import_text_free(in);
	ps_free(ps);
	return rc;
}

static const struct tm_cfg_key ps_keys[] = {
	TM_IMPORT_PERF_ROWS,
	TM_CFG_KEY("fields", TM_CFG_STRING, 1, 255, "auto", NULL, 0, TM_CFG_F_STR,
		   struct tm_import_perf_opts, fields,
		   "the -F list perf script ran with, in any order; auto: "
		   "found from the shape of the first lines"),
};

const struct tm_importer_ops tm_importer_perf_script = {
	.kind = {
		.name = "perf-script",
		.help = "text of `perf script`, default fields or any -F list with "
			"time and addr; --ns for exact times (plain, gzip or "
			"zstd; - for standard input)",
		.keys = ps_keys,
		.nr_keys = sizeof(ps_keys) / sizeof(ps_keys[0]),
		.config_size = sizeof(struct tm_import_perf_opts),
		.flags = TM_IMPORT_SPLITS,
	},
	.open = ps_open,
	.provenance = tm_import_perf_provenance,
};
