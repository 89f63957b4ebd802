/*
 * perfscript_shape.c - one line of `perf script` text read as a shape (a
 * set of columns, perfscript_internal.h), and the clues that tell shapes
 * apart when no --fields list says which.
 *
 * What perf prints per column (tools/perf/builtin-script.c, perf 6.1:
 * print_sample_start, process_event, perf_sample__fprintf_addr,
 * data_src__fprintf; util/evsel_fprintf.c sample__fprintf_sym):
 *   comm "%16s "   pid/tid "%5d/%-5d " (or one "%5d ")   cpu "[%03d] "
 *   time "%5lu.%09llu: " (--ns) or "%12s: " (µs)   period "%10lu "
 *   event "%*s: "   addr "%16lx" [" sym" " (dso)" when the address is code,
 *   as for page faults]   data_src "%16lx %s" (decoded |OP ...|BLK ...,
 *   padded)   weight "%16lu"   ip " %16lx" [" sym" " (dso)"]
 *   phys_addr "%16lx"
 * Every column but comm is one word, or has a shape a word can be checked
 * against (sym, "(dso)", the decoded data_src), so a line is read left to
 * right; with data_src, the columns after its decoded text (whose word
 * count varies with the value and the perf version) are read from the
 * right end.  Hex and decimal columns look alike: their widths above are
 * the clue (an ip stands one column further from its left neighbour than a
 * "%16" column; period is "%10"), scored per line by struct ps_fit.
 *
 * comm: TASK_COMM_LEN is 16, so perf's "%16s " pads every comm to 16
 * columns and a comm with spaces is whole; a comm not so padded (perf
 * script with callchains) ends at the first word that has the shape of the
 * next column.
 *
 * Notes (simplifications): sym is one word when dso does not follow it
 * (demangled C++ names have spaces: run perf script with --no-demangle);
 * a dso is "(" ... ")"; srcline, iregs, brstack and the other -F fields
 * are not read.
 */
#include "perfscript_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"

#define NS_PER_S 1000000000ULL
#define COMM_WIDTH 16 /* perf's "%16s " */

#define ps_err(p, col, ...)                                                   \
	tm_error_at_line((p)->err, TM_ERR_FORMAT, (p)->path, (p)->lineno,     \
			 (size_t)(col) + 1, __VA_ARGS__)

static inline bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r'); /* isspace's, C locale */
}

int tm_ps_tokenize(struct ps_parser *p, const char *line)
{
	const char *s = line;

	p->line = line;
	p->nr_toks = 0;
	for (;;) {
		while (is_space(*s))
			s++;
		if (!*s)
			return 0;
		if (p->nr_toks == PS_MAX_TOKENS)
			return ps_err(p, s - line, "more than %d words; expected one "
				      "perf script sample per line", PS_MAX_TOKENS);
		p->toks[p->nr_toks].s = s;
		p->toks[p->nr_toks].col = (uint32_t)(s - line);
		while (*s && !is_space(*s))
			s++;
		p->toks[p->nr_toks].len = (uint32_t)(s - p->toks[p->nr_toks].s);
		p->nr_toks++;
	}
}

/* ---- word shapes ---- */

/* All of [s, s + len) as a number in base 10 or 16 (no sign, no 0x: perf
 * prints neither), at most 2^64 - 1.  By hand: strtoull and the copy it
 * needs were half of an import's time (perf record of tmsim import). */
static bool parse_num(const char *s, size_t len, int base, uint64_t *v)
{
	uint64_t x = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i], d;

		if (c - '0' < 10)
			d = c - '0';
		else if (base == 16 && (c | 0x20) - 'a' < 6)
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		if (x > (UINT64_MAX - d) / (unsigned)base)
			return false;
		x = x * (unsigned)base + d;
	}
	*v = x;
	return true;
}

static bool is_num(const struct ps_tok *t, int base)
{
	uint64_t v;

	return parse_num(t->s, t->len, base, &v);
}

/* "secs.frac:" with 1..9 fraction digits. */
static bool tok_time(const struct ps_tok *t, uint64_t *ns, uint32_t *digits)
{
	const char *dot = memchr(t->s, '.', t->len);
	size_t nfrac = dot ? t->len - (size_t)(dot - t->s) - 2 : 0;
	uint64_t secs, frac;

	if (!dot || t->s[t->len - 1] != ':' || nfrac < 1 || nfrac > 9 ||
	    !parse_num(t->s, (size_t)(dot - t->s), 10, &secs) ||
	    !parse_num(dot + 1, nfrac, 10, &frac) || secs > UINT64_MAX / NS_PER_S - 1)
		return false;
	*digits = (uint32_t)nfrac;
	for (size_t i = nfrac; i < 9; i++)
		frac *= 10;
	*ns = secs * NS_PER_S + frac;
	return true;
}

static bool is_time(const struct ps_tok *t)
{
	uint64_t ns;
	uint32_t d;

	return tok_time(t, &ns, &d);
}

static bool tok_cpu(const struct ps_tok *t, uint32_t *cpu)
{
	uint64_t v;

	if (t->len < 3 || t->s[0] != '[' || t->s[t->len - 1] != ']' ||
	    !parse_num(t->s + 1, t->len - 2, 10, &v) || v >= TM_TRACE_VCPUS_MAX)
		return false;
	*cpu = (uint32_t)v;
	return true;
}

static bool is_cpu(const struct ps_tok *t)
{
	uint32_t c;

	return tok_cpu(t, &c);
}

static bool tok_pidtid(const struct ps_tok *t, uint32_t *pid, uint32_t *tid)
{
	const char *slash = memchr(t->s, '/', t->len);
	uint64_t a, b;

	if (!slash || !parse_num(t->s, (size_t)(slash - t->s), 10, &a) ||
	    !parse_num(slash + 1, t->len - (size_t)(slash - t->s) - 1, 10, &b) ||
	    a > UINT32_MAX || b > UINT32_MAX)
		return false;
	*pid = (uint32_t)a;
	*tid = (uint32_t)b;
	return true;
}

static bool is_pidtid(const struct ps_tok *t)
{
	uint32_t a, b;

	return tok_pidtid(t, &a, &b);
}

/* "name:" (not a time). */
static bool is_event(const struct ps_tok *t)
{
	return t->len >= 2 && t->s[t->len - 1] == ':' && !is_time(t);
}

/* A word of a symbol: not a number, a dso, decoded data_src or an event. */
static bool is_sym(const struct ps_tok *t)
{
	return !is_num(t, 16) && t->s[0] != '(' && t->s[0] != '|' &&
	       t->s[t->len - 1] != ':';
}

/* ---- leading columns ---- */

/* The word at k starts the column after comm in head. */
static bool after_comm(const struct ps_parser *p, size_t k, uint32_t head)
{
	const struct ps_tok *t = &p->toks[k];

	if (head & PC(PC_PIDTID))
		return is_pidtid(t);
	if (head & (PC(PC_PID) | PC(PC_TID)))
		return is_num(t, 10) && k + 1 < p->nr_toks &&
		       (is_cpu(t + 1) || is_time(t + 1));
	if (head & PC(PC_CPU))
		return is_cpu(t);
	return is_time(t);
}

/* Index of the first word after comm: perf's 16 columns, else the first
 * word shaped as the next column; 0 when there is none. */
static size_t comm_end(const struct ps_parser *p, uint32_t head)
{
	const char *l = p->line;
	size_t k;

	if (strlen(l) > COMM_WIDTH && l[COMM_WIDTH] == ' ' && l[COMM_WIDTH - 1] != ' ') {
		for (k = 1; k < p->nr_toks && p->toks[k].col <= COMM_WIDTH; k++)
			;
		if (k < p->nr_toks && after_comm(p, k, head))
			return k;
	}
	for (k = 1; k < p->nr_toks; k++)
		if (after_comm(p, k, head))
			return k;
	return 0;
}

int tm_ps_detect_head(struct ps_parser *p, uint32_t *head)
{
	const struct ps_tok *t = p->toks;
	size_t k = 0;
	uint32_t h = 0;

	if (!(is_pidtid(t) || is_cpu(t) || is_time(t) ||
	      (p->nr_toks > 1 && is_num(t, 10) && (is_cpu(t + 1) || is_time(t + 1))))) {
		for (k = 1; k < p->nr_toks; k++)
			if (is_pidtid(&t[k]) || is_cpu(&t[k]) || is_time(&t[k]) ||
			    (k + 1 < p->nr_toks && is_num(&t[k], 10) &&
			     (is_cpu(&t[k + 1]) || is_time(&t[k + 1]))))
				break;
		h |= PC(PC_COMM);
	}
	if (k < p->nr_toks && is_pidtid(&t[k]))
		h |= PC(PC_PIDTID), k++;
	else if (k < p->nr_toks && is_num(&t[k], 10) && !is_time(&t[k]))
		h |= PC(PC_TID), k++; /* perf's default prints the tid alone */
	if (k < p->nr_toks && is_cpu(&t[k]))
		h |= PC(PC_CPU), k++;
	if (k >= p->nr_toks || !is_time(&t[k]))
		return ps_err(p, k < p->nr_toks ? t[k].col : strcspn(p->line, "\r\n"),
			      "not a perf script sample line; expected [comm] "
			      "[pid/tid] [[cpu]] and the time, secs.fraction: "
			      "(perf script -F must include time)");
	*head = h | PC(PC_TIME);
	return 0;
}

/* ---- reading a line as a shape ---- */

/* Where each column's words are, for the width clues. */
struct cols {
	int32_t first[NR_PC], last[NR_PC]; /* word indices; -1: absent */
};

/* " (the text's shape: ...)" of the shape being read, for a message. */
static const char *shape_note(const struct ps_parser *p, char *buf, size_t sz)
{
	size_t n;

	n = (size_t)snprintf(buf, sz, p->guess ? " (no shape perf prints fits; "
			     "the nearest: " : " (the text's shape: ");
	tm_ps_describe(p->shape, buf + n, sz - n - 1);
	strcat(buf, ")");
	return buf;
}

/* Word i is not what; with_shape: name the shape too. */
static int expect(struct ps_parser *p, size_t i, const char *what, bool with_shape)
{
	char note[320] = "";

	p->fail_tok = i;
	if (!p->err)
		return -1; /* detection tries many shapes: no message */
	if (with_shape)
		shape_note(p, note, sizeof(note));
	if (i >= p->nr_toks)
		return ps_err(p, strcspn(p->line, "\r\n"), "line ends; expected %s%s", what, note);
	return ps_err(p, p->toks[i].col, "'%.*s'; expected %s%s", (int)p->toks[i].len,
		      p->toks[i].s, what, note);
}

static void take_comm(struct ps_parser *p, size_t end, struct ps_line *l)
{
	const struct ps_tok *a = &p->toks[0], *b = &p->toks[end - 1];
	size_t n = b->col + b->len - a->col;

	if (n >= sizeof(l->comm))
		n = sizeof(l->comm) - 1;
	memcpy(l->comm, a->s, n);
	l->comm[n] = '\0';
}

/* comm, pid/tid, cpu, time from the left; *i: the next word. */
static int parse_head(struct ps_parser *p, uint32_t shape, size_t *i,
		      struct ps_line *l, struct cols *c)
{
	const struct ps_tok *t = p->toks;
	uint64_t v;

	if (shape & PC(PC_COMM)) {
		if (!(*i = comm_end(p, shape)))
			return expect(p, p->nr_toks > 1 ? 1 : p->nr_toks, "a command "
				      "name and then pid/tid, [cpu] or time", false);
		take_comm(p, *i, l);
	}
	if (shape & PC(PC_PIDTID)) {
		if (*i >= p->nr_toks || !tok_pidtid(&t[*i], &l->pid, &l->tid))
			return expect(p, *i, "pid/tid", false);
		++*i;
	} else if (shape & (PC(PC_PID) | PC(PC_TID))) {
		if (*i >= p->nr_toks || !parse_num(t[*i].s, t[*i].len, 10, &v) ||
		    v > UINT32_MAX)
			return expect(p, *i, shape & PC(PC_PID) ? "a pid" : "a tid", false);
		l->pid = l->tid = (uint32_t)v;
		++*i;
	}
	if (shape & PC(PC_CPU)) {
		if (*i < p->nr_toks && !tok_cpu(&t[*i], &l->cpu) && p->err)
			return p->fail_tok = *i, ps_err(p, t[*i].col, "cpu '%.*s'; "
				"expected [N] with N < %u", (int)t[*i].len, t[*i].s,
				TM_TRACE_VCPUS_MAX);
		if (*i >= p->nr_toks || !tok_cpu(&t[*i], &l->cpu))
			return expect(p, *i, "[cpu]", false);
		++*i;
	}
	if (*i < p->nr_toks && !tok_time(&t[*i], &l->time_ns, &l->time_digits) && p->err)
		return p->fail_tok = *i, ps_err(p, t[*i].col, "time '%.*s'; expected "
			"seconds.fraction: (1 to 9 digits; perf script --ns)",
			(int)t[*i].len, t[*i].s);
	if (*i >= p->nr_toks || !tok_time(&t[*i], &l->time_ns, &l->time_digits))
		return expect(p, *i, "the time", false);
	c->first[PC_TIME] = c->last[PC_TIME] = (int32_t)(*i)++;
	return 0;
}

/* Words of a sym (up to a dso's "(" when dso follows) or a dso. */
static size_t span(const struct ps_parser *p, size_t i, size_t end, bool dso,
		   bool dso_follows)
{
	size_t k = i;

	if (dso) {
		if (k >= end || p->toks[k].s[0] != '(')
			return 0;
		while (k < end && p->toks[k].s[p->toks[k].len - 1] != ')')
			k++;
		return k < end ? k - i + 1 : 0;
	}
	if (k >= end || !is_sym(&p->toks[k]))
		return 0;
	if (!dso_follows)
		return 1;
	while (k < end && p->toks[k].s[0] != '(')
		if (!is_sym(&p->toks[k++]))
			return 0;
	return k - i;
}

static const char *const col_what[NR_PC] = {
	[PC_PERIOD] = "a decimal period", [PC_EVENT] = "an event name and ':'",
	[PC_ADDR] = "a hex addr", [PC_ASYM] = "addr's symbol",
	[PC_ADSO] = "addr's (dso)", [PC_DATA_SRC] = "a hex data_src",
	[PC_WEIGHT] = "a decimal weight", [PC_IP] = "a hex ip",
	[PC_SYM] = "ip's symbol", [PC_DSO] = "ip's (dso)",
	[PC_PHYS] = "a hex phys_addr",
};

/* Column col at words [i, i + n): check its shape and keep its value. */
static bool take_value(const struct ps_parser *p, unsigned col, size_t i,
		       struct ps_line *l)
{
	const struct ps_tok *t = &p->toks[i];
	uint64_t ip;

	switch (col) {
	case PC_PERIOD: /* its bound is the importer's (a value, not a shape) */
		l->period_col = t->col;
		return parse_num(t->s, t->len, 10, &l->period);
	case PC_EVENT:
		l->event = t;
		return is_event(t);
	case PC_ADDR: return parse_num(t->s, t->len, 16, &l->addr);
	case PC_DATA_SRC: return parse_num(t->s, t->len, 16, &l->data_src);
	case PC_WEIGHT: return parse_num(t->s, t->len, 10, &l->weight);
	case PC_IP: return parse_num(t->s, t->len, 16, &ip);
	case PC_PHYS: return parse_num(t->s, t->len, 16, &l->phys);
	default: return true; /* sym, dso: span() checked them */
	}
}

/* Columns [from, to) of shape left to right from word *i (up to end). */
static int parse_ltr(struct ps_parser *p, uint32_t shape, unsigned from,
		     unsigned to, size_t *i, size_t end, struct ps_line *l,
		     struct cols *c)
{
	for (unsigned col = from; col < to; col++) {
		bool dso = col == PC_ADSO || col == PC_DSO;
		size_t n = 1;

		if (!(shape & PC(col)))
			continue;
		if (col == PC_ASYM || col == PC_SYM || dso)
			n = span(p, *i, end, dso, shape & PC(col + 1));
		if (!n || *i >= end || !take_value(p, col, *i, l))
			return expect(p, *i < end ? *i : p->nr_toks, col_what[col], true);
		c->first[col] = (int32_t)*i;
		c->last[col] = (int32_t)(*i + n - 1);
		*i += n;
	}
	return 0;
}

/* Columns (from, to] of shape right to left from word *end - 1 down to
 * word lo; *end: the first word they took. */
static int parse_rtl(struct ps_parser *p, uint32_t shape, unsigned from,
		     unsigned to, size_t lo, size_t *end, struct ps_line *l,
		     struct cols *c)
{
	for (unsigned col = to; col > from; col--) {
		size_t n = 1, k;

		if (!(shape & PC(col)))
			continue;
		if (col == PC_DSO) {
			for (k = *end; k > lo && p->toks[k - 1].s[0] != '('; k--)
				;
			n = k > lo ? *end - k + 1 : 0;
			if (!n || p->toks[*end - 1].s[p->toks[*end - 1].len - 1] != ')')
				n = 0;
		} else if (col == PC_SYM && *end > lo && !is_sym(&p->toks[*end - 1])) {
			n = 0;
		}
		if (!n || *end - lo < n || !take_value(p, col, *end - n, l))
			return expect(p, *end > lo ? *end - 1 : lo, col_what[col], true);
		*end -= n;
		c->first[col] = (int32_t)*end;
		c->last[col] = (int32_t)(*end + n - 1);
	}
	return 0;
}

/* The width clue of column col after column prev (perf's printf widths). */
static bool at_width(const struct ps_parser *p, const struct cols *c,
		     unsigned prev, unsigned col)
{
	const struct ps_tok *pt = &p->toks[c->last[prev]];
	const struct ps_tok *t = &p->toks[c->first[col]];
	uint32_t pend = pt->col + pt->len, end = t->col + t->len;

	if (prev == PC_TIME || prev == PC_PERIOD || prev == PC_EVENT)
		pend++; /* they print a trailing space */
	switch (col) {
	case PC_PERIOD: return t->len <= 10 && end == pend + 10;
	case PC_IP: return t->len <= 16 && end == pend + 17;
	case PC_ASYM: case PC_ADSO: case PC_SYM: case PC_DSO:
		return t->col == pend + 1;
	default: return t->len <= 16 && end == pend + 16;
	}
}

static uint32_t width_score(const struct ps_parser *p, const struct cols *c)
{
	uint32_t n = 0;
	unsigned prev = PC_TIME;

	for (unsigned col = PC_PERIOD; col < NR_PC; col++) {
		if (c->first[col] < 0)
			continue;
		/* the decoded data_src text is padded: no clue after it */
		if (prev != PC_DATA_SRC)
			n += at_width(p, c, prev, col);
		prev = col;
	}
	return n;
}

int tm_ps_parse(struct ps_parser *p, uint32_t shape, struct ps_line *l,
		struct ps_fit *fit)
{
	char note[320];
	struct cols c;
	size_t i = 0, end = p->nr_toks;

	memset(l, 0, sizeof(*l));
	memset(&c, 0xff, sizeof(c));
	p->shape = shape;
	if (parse_head(p, shape, &i, l, &c))
		return -1;
	if (!(shape & PC(PC_DATA_SRC))) {
		if (parse_ltr(p, shape, PC_PERIOD, NR_PC, &i, end, l, &c))
			return -1;
		if (i < end && !p->err)
			return p->fail_tok = i, -1;
		if (i < end)
			return p->fail_tok = i, ps_err(p, p->toks[i].col, "'%.*s'; "
				"expected the end of the line%s", (int)p->toks[i].len,
				p->toks[i].s, shape_note(p, note, sizeof(note)));
	} else {
		if (parse_ltr(p, shape, PC_PERIOD, PC_DATA_SRC + 1, &i, end, l, &c))
			return -1;
		if (i >= end || p->toks[i].s[0] != '|')
			return expect(p, i, "the decoded data_src (|OP ...)", true);
		if (parse_rtl(p, shape, PC_DATA_SRC, NR_PC - 1, i + 1, &end, l, &c))
			return -1;
	}
	if (fit) {
		fit->nr_gap = (uint32_t)(end - i);
		fit->nr_width = width_score(p, &c);
	}
	return 0;
}

void tm_ps_forced(const struct ps_parser *p, uint32_t *on, uint32_t *off)
{
	bool bar = false, event = false, paren = false;
	size_t k;

	for (k = 0; k < p->nr_toks && !is_time(&p->toks[k]); k++)
		;
	for (k++; k < p->nr_toks; k++) {
		bar |= p->toks[k].s[0] == '|';
		paren |= p->toks[k].s[0] == '(';
		event |= is_event(&p->toks[k]) && !bar;
	}
	*on = (bar ? PC(PC_DATA_SRC) : 0) | (event ? PC(PC_EVENT) : 0);
	*off = (bar ? 0 : PC(PC_DATA_SRC)) | (event ? 0 : PC(PC_EVENT)) |
	       (paren ? 0 : PC(PC_DSO) | PC(PC_ADSO));
}

bool tm_ps_body_valid(uint32_t body)
{
	if ((body & (PC(PC_ASYM) | PC(PC_ADSO))) && !(body & PC(PC_ADDR)))
		return false;
	if ((body & (PC(PC_SYM) | PC(PC_DSO))) && !(body & PC(PC_IP)))
		return false;
	return true;
}

void tm_ps_describe(uint32_t shape, char *buf, size_t sz)
{
	static const char *const what[NR_PC] = {
		"comm", "pid/tid", "pid", "tid", "[cpu]", "time:", "period",
		"event:", "addr", "sym", "(dso)", "data_src |decoded|", "weight",
		"ip", "sym", "(dso)", "phys_addr",
	};
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned col = 0; col < NR_PC && n < sz; col++)
		if (shape & PC(col))
			n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? " " : "",
					      what[col]);
}
