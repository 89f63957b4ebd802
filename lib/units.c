/*
 * units.c - values with units, as written in configs and on the command line
 * (DESIGN.md §10; grammar in docs/config.md "Values and units").
 *
 * Every value is a non-negative decimal number ("4", "1.5", "2e3"), optional
 * blanks, then a unit.  The number is lexed here rather than by strtod alone
 * so that "nan", "inf", "0x10", "-1", "+1" and ".5" are refused the same way
 * everywhere; strtod only converts the text already checked.  Integers
 * without a fraction or exponent are converted exactly, so "16EiB - 1 byte"
 * style limits do not depend on double rounding.
 *
 * Unit tables: binary prefixes are powers of 1024, decimal ones powers of
 * 1000 (units.h).  Times: ns, us (or µs), ms, s, m or min, h.  A bare number
 * is bytes for sizes, a plain number for counts; a time or rate must carry a
 * unit unless it is zero, because "500" is ambiguous (ms? ns?).
 *
 * Errors: syntax -> TM_ERR_CONFIG, value outside what the type can hold
 * (overflow, a share above 100%) -> TM_ERR_BOUNDS.  Messages say what was
 * expected and quote what was given, without a location (the caller adds it).
 */
#include "units.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPECT_SIZE "a size like 4KiB or 16GiB"
#define EXPECT_TIME "a time like 500ms or 2s"
#define EXPECT_CRATE "a rate like 50M/s or 1000/s"
#define EXPECT_BRATE "a byte rate like 10GB/s or 1GiB/s"
#define EXPECT_SHARE "a share like 20% or 0.2"
#define EXPECT_U64 "a non-negative integer"
#define EXPECT_DOUBLE "a non-negative number"
#define EXPECT_BOOL "true or false (or yes/no, on/off)"

/* 2^64 as a double: the first value a uint64_t cannot hold. */
#define TWO_POW_64 18446744073709551616.0

/* A lexed value: number text [num, num_end), unit text [unit, unit_end). */
struct lexed {
	const char *num, *num_end;
	const char *unit, *unit_end;
	bool negative;     /* a leading '-' (reported as such, never accepted) */
	bool is_int;       /* digits only: no '.', no exponent */
};

struct unit_mult {
	const char *name;
	double mult;
};

/* Sizes: binary prefixes (IEC) and decimal ones (SI); see units.h. */
static const struct unit_mult size_units[] = {
	{ "", 1.0 }, { "B", 1.0 },
	{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
	{ "TiB", 1099511627776.0 }, { "PiB", 1125899906842624.0 },
	{ "EiB", 1152921504606846976.0 },
	{ "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
	{ "TB", 1e12 }, { "PB", 1e15 }, { "EB", 1e18 },
};

static const struct unit_mult time_units[] = {
	{ "ns", 1.0 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
	{ "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
};

/* Count-rate prefixes before "/s" (SI, as in "50M/s"). */
static const struct unit_mult count_units[] = {
	{ "", 1.0 }, { "k", 1e3 }, { "K", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
	{ "T", 1e12 },
};

#define NR(a) (sizeof(a) / sizeof((a)[0]))

/* Copy s for quoting in a message: at most 48 bytes, control chars as '?'. */
static void quote(const char *s, char *buf, size_t sz_buf)
{
	size_t i, n = 0;

	for (i = 0; s && s[i] && n + 4 < sz_buf && i < 48; i++)
		buf[n++] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (s && s[i] && i == 48 && n + 4 < sz_buf) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

static int fail(struct tm_error *err, enum tm_err code, const char *what,
		const char *s)
{
	char q[64];

	quote(s, q, sizeof(q));
	return tm_error_set(err, code, "expected %s, got \"%s\"", what, q);
}

/* Lex "<blanks><digits>[.<digits>][e[+-]<digits>]<blanks><unit><blanks>".
 * Returns false when no number starts the text or the unit holds a blank. */
static bool lex(const char *s, struct lexed *lx)
{
	const char *p = s;

	memset(lx, 0, sizeof(*lx));
	if (!s)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-') {
		lx->negative = true;
		return false;
	}
	lx->num = p;
	lx->is_int = true;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		lx->is_int = false;
		if (!isdigit((unsigned char)*++p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) ||
	     ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
		lx->is_int = false;
		p += 2;
		while (isdigit((unsigned char)*p))
			p++;
	}
	lx->num_end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	lx->unit = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	lx->unit_end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0';
}

static bool unit_is(const struct lexed *lx, const char *name, size_t skip_tail)
{
	size_t n = (size_t)(lx->unit_end - lx->unit);

	if (n < skip_tail)
		return false;
	n -= skip_tail;
	return strlen(name) == n && memcmp(lx->unit, name, n) == 0;
}

/* The multiplier named by the unit (less skip_tail trailing bytes, e.g. the
 * "/s" of a rate), or a negative value when the unit is unknown. */
static double find_mult(const struct lexed *lx, const struct unit_mult *t,
			size_t nr, size_t skip_tail)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (unit_is(lx, t[i].name, skip_tail))
			return t[i].mult;
	return -1.0;
}

static double lexed_value(const struct lexed *lx)
{
	char buf[64];
	size_t n = (size_t)(lx->num_end - lx->num);

	if (n >= sizeof(buf))
		return HUGE_VAL; /* 64 digits overflow every unit anyway */
	memcpy(buf, lx->num, n);
	buf[n] = '\0';
	return strtod(buf, NULL);
}

/* Exact integer conversion of the digits; false on overflow. */
static bool lexed_u64(const struct lexed *lx, uint64_t *out)
{
	const char *p;
	uint64_t v = 0;

	for (p = lx->num; p < lx->num_end; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* value * mult as a uint64_t, exact for integers; false on overflow. */
static bool scale_u64(const struct lexed *lx, double mult, uint64_t *out)
{
	uint64_t v, m = (uint64_t)mult;
	double d;

	if (lx->is_int && (double)m == mult) {
		if (!lexed_u64(lx, &v) || (m && v > UINT64_MAX / m))
			return false;
		*out = v * m;
		return true;
	}
	d = floor(lexed_value(lx) * mult + 0.5); /* nearest whole unit */
	if (!(d < TWO_POW_64))
		return false;
	*out = (uint64_t)d;
	return true;
}

static int parse_scaled(const char *s, const struct unit_mult *t, size_t nr,
			size_t skip_tail, const char *what, uint64_t *out,
			struct tm_error *err)
{
	struct lexed lx;
	double mult;

	if (!lex(s, &lx) || (mult = find_mult(&lx, t, nr, skip_tail)) < 0)
		return fail(err, TM_ERR_CONFIG, what, s);
	if (!scale_u64(&lx, mult, out))
		return fail(err, TM_ERR_BOUNDS, "a value that fits in 64 bits", s);
	return 0;
}

int tm_parse_size(const char *s, uint64_t *out, struct tm_error *err)
{
	return parse_scaled(s, size_units, NR(size_units), 0, EXPECT_SIZE, out,
			    err);
}

/* "0" alone is a time (zero needs no unit); any other bare number is not. */
static bool is_bare_zero(const struct lexed *lx)
{
	return lx->unit == lx->unit_end && lexed_value(lx) == 0.0;
}

int tm_parse_time_ns(const char *s, uint64_t *out, struct tm_error *err)
{
	struct lexed lx;

	if (lex(s, &lx) && is_bare_zero(&lx)) {
		*out = 0;
		return 0;
	}
	return parse_scaled(s, time_units, NR(time_units), 0, EXPECT_TIME, out,
			    err);
}

/* A rate: "<number><prefix>/s", prefixes from t; a bare "0" is allowed. */
static int parse_rate(const char *s, const struct unit_mult *t, size_t nr,
		      const char *what, double *out, struct tm_error *err)
{
	struct lexed lx;
	double mult, v;
	size_t n;

	if (!lex(s, &lx))
		return fail(err, TM_ERR_CONFIG, what, s);
	if (is_bare_zero(&lx)) {
		*out = 0.0;
		return 0;
	}
	n = (size_t)(lx.unit_end - lx.unit);
	if (n < 2 || memcmp(lx.unit_end - 2, "/s", 2) != 0 ||
	    (mult = find_mult(&lx, t, nr, 2)) < 0)
		return fail(err, TM_ERR_CONFIG, what, s);
	v = lexed_value(&lx) * mult;
	if (!isfinite(v) || v >= TWO_POW_64)
		return fail(err, TM_ERR_BOUNDS, "a rate below 2^64/s", s);
	*out = v;
	return 0;
}

int tm_parse_count_rate(const char *s, double *per_s, struct tm_error *err)
{
	return parse_rate(s, count_units, NR(count_units), EXPECT_CRATE, per_s,
			  err);
}

int tm_parse_byte_rate(const char *s, double *bytes_per_s,
		       struct tm_error *err)
{
	return parse_rate(s, size_units, NR(size_units), EXPECT_BRATE,
			  bytes_per_s, err);
}

int tm_parse_share(const char *s, double *out, struct tm_error *err)
{
	struct lexed lx;
	double v;

	if (!lex(s, &lx))
		return fail(err, TM_ERR_CONFIG, EXPECT_SHARE, s);
	v = lexed_value(&lx);
	if (unit_is(&lx, "%", 0))
		v /= 100.0;
	else if (lx.unit != lx.unit_end)
		return fail(err, TM_ERR_CONFIG, EXPECT_SHARE, s);
	if (!(v <= 1.0))
		return fail(err, TM_ERR_BOUNDS,
			    "a share between 0 and 1 (0% to 100%)", s);
	*out = v;
	return 0;
}

int tm_parse_u64(const char *s, uint64_t *out, struct tm_error *err)
{
	struct lexed lx;

	if (!lex(s, &lx) || !lx.is_int || lx.unit != lx.unit_end)
		return fail(err, TM_ERR_CONFIG, EXPECT_U64, s);
	if (!lexed_u64(&lx, out))
		return fail(err, TM_ERR_BOUNDS, "an integer below 2^64", s);
	return 0;
}

int tm_parse_double(const char *s, double *out, struct tm_error *err)
{
	struct lexed lx;
	double v;

	if (!lex(s, &lx) || lx.unit != lx.unit_end)
		return fail(err, TM_ERR_CONFIG, EXPECT_DOUBLE, s);
	v = lexed_value(&lx);
	if (!isfinite(v))
		return fail(err, TM_ERR_BOUNDS, "a finite number", s);
	*out = v;
	return 0;
}

int tm_parse_bool(const char *s, int *out, struct tm_error *err)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; s && i < NR(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail(err, TM_ERR_CONFIG, EXPECT_BOOL, s);
}

void tm_format_size(uint64_t sz, char *buf, unsigned sz_buf)
{
	static const char *const names[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	unsigned u = 0;
	size_t n;

	if (!buf || !sz_buf)
		return;
	while (u + 1 < NR(names) && sz >> (10 * (u + 1)))
		u++;
	if (u == 0 || (sz & ((UINT64_C(1) << (10 * u)) - 1)) == 0) {
		snprintf(buf, sz_buf, "%" PRIu64 "%s", sz >> (10 * u), names[u]);
		return;
	}
	snprintf(buf, sz_buf, "%.2f", (double)sz / (double)(UINT64_C(1) << (10 * u)));
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	snprintf(buf + n, sz_buf - n, "%s", names[u]);
}

/* A time in its largest whole unit ("500ms", "2s", "1h"), else ns. */
void tm_format_time(uint64_t ns, char *buf, size_t sz)
{
	static const struct { const char *unit; uint64_t ns; } u[] = {
		{ "h", 3600000000000ull }, { "m", 60000000000ull },
		{ "s", 1000000000ull }, { "ms", 1000000ull }, { "us", 1000ull },
	};
	size_t i;

	for (i = 0; ns && i < sizeof(u) / sizeof(u[0]); i++)
		if (ns % u[i].ns == 0) {
			snprintf(buf, sz, "%" PRIu64 "%s", ns / u[i].ns, u[i].unit);
			return;
		}
	snprintf(buf, sz, "%" PRIu64 "ns", ns);
}
