/*
 * fuzz_units.c - libFuzzer target for the value parsers of lib/units.c
 * (grammar in docs/config.md "Values and units").
 *
 * The first input byte picks the parser (size, time, count rate, byte rate,
 * share, u64, double, bool); the rest, up to its first NUL, is the text.
 * Properties: no crash or sanitizer report; a parse is deterministic; a
 * rejected text gets TM_ERR_CONFIG or TM_ERR_BOUNDS and a message "expected
 * ..."; an accepted value is in the parser's range, and printed back in a
 * canonical form (decimal with the base unit, "%.17g" for doubles, and for
 * sizes also tm_format_size) it parses to the same value — tm_format_size
 * rounds to two decimals, so its form must only agree within 0.5%.
 * Seeds: tests/fuzz/corpus/units/.
 */
#include <inttypes.h>
#include <math.h>

#include "fuzz_common.h"

#include "lib/units.h"

int tm_fuzz_units(const uint8_t *data, size_t size);

enum fuzz_unit_kind {
	FU_SIZE, FU_TIME, FU_CRATE, FU_BRATE, FU_SHARE, FU_U64, FU_DOUBLE,
	FU_BOOL, FU_NR
};

/* One parse of s by kind k: integer results in *u, real ones in *d. */
static int fuzz_units_parse(int k, const char *s, uint64_t *u, double *d,
			    struct tm_error *err)
{
	int b = 0, rc;

	*u = 0;
	*d = 0;
	switch (k) {
	case FU_SIZE: return tm_parse_size(s, u, err);
	case FU_TIME: return tm_parse_time_ns(s, u, err);
	case FU_CRATE: return tm_parse_count_rate(s, d, err);
	case FU_BRATE: return tm_parse_byte_rate(s, d, err);
	case FU_SHARE: return tm_parse_share(s, d, err);
	case FU_U64: return tm_parse_u64(s, u, err);
	case FU_DOUBLE: return tm_parse_double(s, d, err);
	default:
		rc = tm_parse_bool(s, &b, err);
		*u = (uint64_t)b;
		return rc;
	}
}

/* The canonical text of a value of kind k. */
static void fuzz_units_print(int k, uint64_t u, double d, char *buf, size_t n)
{
	switch (k) {
	case FU_SIZE: snprintf(buf, n, "%" PRIu64 "B", u); break;
	case FU_TIME: snprintf(buf, n, "%" PRIu64 "ns", u); break;
	case FU_CRATE: snprintf(buf, n, "%.17g/s", d); break;
	case FU_BRATE: snprintf(buf, n, "%.17gB/s", d); break;
	case FU_U64: snprintf(buf, n, "%" PRIu64, u); break;
	case FU_BOOL: snprintf(buf, n, "%s", u ? "true" : "false"); break;
	default: snprintf(buf, n, "%.17g", d); break;
	}
}

static void fuzz_units_check_value(int k, uint64_t u, double d)
{
	TM_FUZZ_ASSERT(isfinite(d) && d >= 0, "kind %d gave %g", k, d);
	if (k == FU_SHARE)
		TM_FUZZ_ASSERT(d <= 1.0, "share %g above 1", d);
	if (k == FU_BOOL)
		TM_FUZZ_ASSERT(u <= 1, "bool %" PRIu64, u);
}

/* tm_format_size prints a multiple of its unit exactly, anything else
 * rounded to two decimals (so 4092 bytes prints as "4KiB"). */
static void fuzz_units_check_format_size(uint64_t u)
{
	struct tm_error err = { 0 };
	char buf[64];
	uint64_t back;
	unsigned sh = 0; /* log2 of the unit tm_format_size picks */

	tm_format_size(u, buf, sizeof(buf));
	/* rounding near 2^64 may print "16EiB", which does not fit */
	if ((double)u >= 0.995 * 18446744073709551616.0 &&
	    tm_parse_size(buf, &back, &err) && err.code == TM_ERR_BOUNDS)
		return;
	TM_FUZZ_ASSERT(tm_parse_size(buf, &back, &err) == 0,
		       "tm_format_size(%" PRIu64 ") = \"%s\" does not parse: %s",
		       u, buf, err.msg);
	while (sh + 10 <= 60 && (u >> (sh + 10)))
		sh += 10;
	if ((u & ((UINT64_C(1) << sh) - 1)) == 0)
		TM_FUZZ_ASSERT(back == u, "\"%s\" is %" PRIu64 ", not %" PRIu64,
			       buf, back, u);
	else
		TM_FUZZ_ASSERT(fabs((double)back - (double)u) <= 0.005 * (double)u,
			       "\"%s\" is %" PRIu64 ", far from %" PRIu64, buf,
			       back, u);
}

int tm_fuzz_units(const uint8_t *data, size_t size)
{
	struct tm_error err = { 0 }, err2 = { 0 };
	char text[256], canon[64];
	uint64_t u, u2;
	double d, d2;
	size_t n;
	int k, rc;

	if (size < 1)
		return 0;
	k = data[0] % FU_NR;
	n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	rc = fuzz_units_parse(k, text, &u, &d, &err);
	TM_FUZZ_ASSERT(fuzz_units_parse(k, text, &u2, &d2, &err2) == rc &&
		       u2 == u && (d2 == d || (isnan(d) && isnan(d2))),
		       "two parses of \"%s\" differ", text);
	if (rc) {
		TM_FUZZ_ASSERT(err.code == TM_ERR_CONFIG || err.code == TM_ERR_BOUNDS,
			       "code %d for \"%s\"", err.code, text);
		TM_FUZZ_ASSERT(!strncmp(err.msg, "expected ", 9), "message %s",
			       err.msg);
		return 0;
	}
	fuzz_units_check_value(k, u, d);
	fuzz_units_print(k, u, d, canon, sizeof(canon));
	TM_FUZZ_ASSERT(fuzz_units_parse(k, canon, &u2, &d2, &err2) == 0,
		       "\"%s\" (from \"%s\") does not parse: %s", canon, text,
		       err2.msg);
	TM_FUZZ_ASSERT(u2 == u && d2 == d, "\"%s\" (from \"%s\") changed value",
		       canon, text);
	if (k == FU_SIZE)
		fuzz_units_check_format_size(u);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_units(data, size);
}
#endif
