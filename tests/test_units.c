/*
 * test_units.c - the unit grammar of lib/units.c (docs/config.md "Values
 * and units"), table-driven: every good value with its exact result, every
 * bad value with its error class and exact message.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/units.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))

struct good_u64 {
	const char *in;
	uint64_t want;
};

struct bad {
	const char *in;
	enum tm_err code;
	const char *msg;
};

static void check_bad(int (*fn)(const char *, void *, struct tm_error *),
		      const struct bad *t, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		struct tm_error e = { TM_OK, "" };
		uint64_t out[2] = { 12345, 12345 };

		if (fn(t[i].in, out, &e) != -1)
			fail_msg("\"%s\" was accepted", t[i].in ? t[i].in : "(null)");
		assert_int_equal(e.code, t[i].code);
		assert_string_equal(e.msg, t[i].msg);
		/* the output is untouched on failure */
		assert_true(out[0] == 12345);
	}
}

/* Adapters so one table runner serves every parser. */
static int size_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_size(s, o, e);
}

static int time_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_time_ns(s, o, e);
}

static int u64_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_u64(s, o, e);
}

static int crate_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_count_rate(s, o, e);
}

static int brate_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_byte_rate(s, o, e);
}

static int share_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_share(s, o, e);
}

static int double_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_double(s, o, e);
}

static int bool_fn(const char *s, void *o, struct tm_error *e)
{
	return tm_parse_bool(s, o, e);
}

static void check_good_u64(int (*fn)(const char *, void *, struct tm_error *),
			   const struct good_u64 *t, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		struct tm_error e = { TM_OK, "" };
		uint64_t out = 0;

		if (fn(t[i].in, &out, &e) != 0)
			fail_msg("\"%s\" refused: %s", t[i].in, e.msg);
		if (out != t[i].want)
			fail_msg("\"%s\" -> %llu, want %llu", t[i].in,
				 (unsigned long long)out,
				 (unsigned long long)t[i].want);
	}
}

static void test_size_good(void **state)
{
	static const struct good_u64 t[] = {
		{ "4096", 4096 },
		{ "0", 0 },
		{ "4KiB", 4096 },
		{ "4 KiB", 4096 },
		{ " 4KiB ", 4096 },
		{ "16GiB", 17179869184ull },
		{ "1.5GB", 1500000000ull },
		{ "1.5KiB", 1536 },
		{ "2MiB", 2097152 },
		{ "1TiB", 1099511627776ull },
		{ "1kB", 1000 },
		{ "1KB", 1000 },
		{ "10MB", 10000000 },
		{ "7B", 7 },
		{ "1e3", 1000 },
		{ "1EiB", 1152921504606846976ull },
		{ "15EiB", 17293822569102704640ull },
		/* exact integer path: 2^64 - 1 bytes without rounding */
		{ "18446744073709551615", UINT64_MAX },
		{ "0.1KiB", 102 }, /* 102.4 rounds to the nearest byte */
	};

	(void)state;
	check_good_u64(size_fn, t, NR(t));
}

static void test_size_bad(void **state)
{
	static const struct bad t[] = {
		{ "12 parsecs", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"12 parsecs\"" },
		{ "-4KiB", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"-4KiB\"" },
		{ "", TM_ERR_CONFIG, "expected a size like 4KiB or 16GiB, got \"\"" },
		{ NULL, TM_ERR_CONFIG, "expected a size like 4KiB or 16GiB, got \"\"" },
		{ "KiB", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"KiB\"" },
		{ "4KiBx", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"4KiBx\"" },
		{ "4 KiB x", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"4 KiB x\"" },
		{ "4K", TM_ERR_CONFIG, "expected a size like 4KiB or 16GiB, got \"4K\"" },
		{ "4kib", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"4kib\"" },
		{ ".5GiB", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \".5GiB\"" },
		{ "1.GiB", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"1.GiB\"" },
		{ "+4KiB", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"+4KiB\"" },
		{ "0x1000", TM_ERR_CONFIG,
		  "expected a size like 4KiB or 16GiB, got \"0x1000\"" },
		{ "nan", TM_ERR_CONFIG, "expected a size like 4KiB or 16GiB, got \"nan\"" },
		{ "inf", TM_ERR_CONFIG, "expected a size like 4KiB or 16GiB, got \"inf\"" },
		{ "99999999999TiB", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"99999999999TiB\"" },
		{ "16EiB", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"16EiB\"" },
		{ "18446744073709551616", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"18446744073709551616\"" },
		{ "1e400", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"1e400\"" },
		{ "16.5EiB", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"16.5EiB\"" },
	};

	(void)state;
	check_bad(size_fn, t, NR(t));
}

static void test_time(void **state)
{
	static const struct good_u64 good[] = {
		{ "500ms", 500000000ull },
		{ "2s", 2000000000ull },
		{ "10us", 10000 },
		{ "10\xc2\xb5s", 10000 },
		{ "100ns", 100 },
		{ "1.5s", 1500000000ull },
		{ "0.1s", 100000000ull },
		{ "2m", 120000000000ull },
		{ "2min", 120000000000ull },
		{ "1h", 3600000000000ull },
		{ "0", 0 },
		{ "0s", 0 },
		{ "5 s", 5000000000ull },
	};
	static const struct bad bad[] = {
		{ "500", TM_ERR_CONFIG, "expected a time like 500ms or 2s, got \"500\"" },
		{ "-1s", TM_ERR_CONFIG, "expected a time like 500ms or 2s, got \"-1s\"" },
		{ "2 seconds", TM_ERR_CONFIG,
		  "expected a time like 500ms or 2s, got \"2 seconds\"" },
		{ "1S", TM_ERR_CONFIG, "expected a time like 500ms or 2s, got \"1S\"" },
		{ "", TM_ERR_CONFIG, "expected a time like 500ms or 2s, got \"\"" },
		{ "5ms ms", TM_ERR_CONFIG,
		  "expected a time like 500ms or 2s, got \"5ms ms\"" },
		{ "999999999999h", TM_ERR_BOUNDS,
		  "expected a value that fits in 64 bits, got \"999999999999h\"" },
	};

	(void)state;
	check_good_u64(time_fn, good, NR(good));
	check_bad(time_fn, bad, NR(bad));
}

static void test_u64(void **state)
{
	static const struct good_u64 good[] = {
		{ "0", 0 }, { "4093", 4093 }, { "18446744073709551615", UINT64_MAX },
	};
	static const struct bad bad[] = {
		{ "4k", TM_ERR_CONFIG, "expected a non-negative integer, got \"4k\"" },
		{ "1.5", TM_ERR_CONFIG, "expected a non-negative integer, got \"1.5\"" },
		{ "1e3", TM_ERR_CONFIG, "expected a non-negative integer, got \"1e3\"" },
		{ "-1", TM_ERR_CONFIG, "expected a non-negative integer, got \"-1\"" },
		{ "", TM_ERR_CONFIG, "expected a non-negative integer, got \"\"" },
		{ "18446744073709551616", TM_ERR_BOUNDS,
		  "expected an integer below 2^64, got \"18446744073709551616\"" },
	};

	(void)state;
	check_good_u64(u64_fn, good, NR(good));
	check_bad(u64_fn, bad, NR(bad));
}

struct good_dbl {
	const char *in;
	double want;
};

static void check_good_dbl(int (*fn)(const char *, void *, struct tm_error *),
			   const struct good_dbl *t, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		struct tm_error e = { TM_OK, "" };
		double out = -1;

		if (fn(t[i].in, &out, &e) != 0)
			fail_msg("\"%s\" refused: %s", t[i].in, e.msg);
		if (fabs(out - t[i].want) > 1e-9 * fabs(t[i].want))
			fail_msg("\"%s\" -> %.17g, want %.17g", t[i].in, out,
				 t[i].want);
	}
}

static void test_rates(void **state)
{
	static const struct good_dbl crate[] = {
		{ "50M/s", 50e6 }, { "2k/s", 2000 }, { "2K/s", 2000 },
		{ "1000/s", 1000 }, { "1.5G/s", 1.5e9 }, { "0", 0 }, { "0/s", 0 },
	};
	static const struct good_dbl brate[] = {
		{ "10GB/s", 10e9 }, { "1GiB/s", 1073741824.0 },
		{ "500MB/s", 500e6 }, { "4KiB/s", 4096 }, { "100B/s", 100 },
		{ "0", 0 },
	};
	static const struct bad cbad[] = {
		{ "50M", TM_ERR_CONFIG,
		  "expected a rate like 50M/s or 1000/s, got \"50M\"" },
		{ "50", TM_ERR_CONFIG, "expected a rate like 50M/s or 1000/s, got \"50\"" },
		{ "50Mi/s", TM_ERR_CONFIG,
		  "expected a rate like 50M/s or 1000/s, got \"50Mi/s\"" },
		{ "5/ms", TM_ERR_CONFIG,
		  "expected a rate like 50M/s or 1000/s, got \"5/ms\"" },
		{ "-5/s", TM_ERR_CONFIG,
		  "expected a rate like 50M/s or 1000/s, got \"-5/s\"" },
		{ "1e30G/s", TM_ERR_BOUNDS,
		  "expected a rate below 2^64/s, got \"1e30G/s\"" },
	};
	static const struct bad bbad[] = {
		{ "10GB", TM_ERR_CONFIG,
		  "expected a byte rate like 10GB/s or 1GiB/s, got \"10GB\"" },
		{ "10G/s", TM_ERR_CONFIG,
		  "expected a byte rate like 10GB/s or 1GiB/s, got \"10G/s\"" },
		{ "/s", TM_ERR_CONFIG,
		  "expected a byte rate like 10GB/s or 1GiB/s, got \"/s\"" },
	};

	(void)state;
	check_good_dbl(crate_fn, crate, NR(crate));
	check_good_dbl(brate_fn, brate, NR(brate));
	check_bad(crate_fn, cbad, NR(cbad));
	check_bad(brate_fn, bbad, NR(bbad));
}

static void test_share_double(void **state)
{
	static const struct good_dbl share[] = {
		{ "20%", 0.2 }, { "0.2", 0.2 }, { "100%", 1.0 }, { "1", 1.0 },
		{ "0", 0 }, { "12.5 %", 0.125 },
	};
	static const struct good_dbl dbl[] = {
		{ "0.5", 0.5 }, { "1.08", 1.08 }, { "2e-3", 0.002 }, { "7", 7 },
	};
	static const struct bad sbad[] = {
		{ "150%", TM_ERR_BOUNDS,
		  "expected a share between 0 and 1 (0% to 100%), got \"150%\"" },
		{ "1.5", TM_ERR_BOUNDS,
		  "expected a share between 0 and 1 (0% to 100%), got \"1.5\"" },
		{ "-20%", TM_ERR_CONFIG,
		  "expected a share like 20% or 0.2, got \"-20%\"" },
		{ "20 percent", TM_ERR_CONFIG,
		  "expected a share like 20% or 0.2, got \"20 percent\"" },
	};
	static const struct bad dbad[] = {
		{ "nan", TM_ERR_CONFIG, "expected a non-negative number, got \"nan\"" },
		{ "inf", TM_ERR_CONFIG, "expected a non-negative number, got \"inf\"" },
		{ "-0.5", TM_ERR_CONFIG, "expected a non-negative number, got \"-0.5\"" },
		{ "1.0x", TM_ERR_CONFIG, "expected a non-negative number, got \"1.0x\"" },
		{ "1e999", TM_ERR_BOUNDS, "expected a finite number, got \"1e999\"" },
	};

	(void)state;
	check_good_dbl(share_fn, share, NR(share));
	check_good_dbl(double_fn, dbl, NR(dbl));
	check_bad(share_fn, sbad, NR(sbad));
	check_bad(double_fn, dbad, NR(dbad));
}

static void test_bool(void **state)
{
	static const struct { const char *in; int want; } good[] = {
		{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
		{ "on", 1 }, { "off", 0 }, { "True", 1 }, { "OFF", 0 },
	};
	static const struct bad bad[] = {
		{ "maybe", TM_ERR_CONFIG,
		  "expected true or false (or yes/no, on/off), got \"maybe\"" },
		{ "1", TM_ERR_CONFIG,
		  "expected true or false (or yes/no, on/off), got \"1\"" },
		{ "", TM_ERR_CONFIG,
		  "expected true or false (or yes/no, on/off), got \"\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NR(good); i++) {
		struct tm_error e;
		int out = -1;

		assert_int_equal(tm_parse_bool(good[i].in, &out, &e), 0);
		assert_int_equal(out, good[i].want);
	}
	check_bad(bool_fn, bad, NR(bad));
}

static void test_quote_is_bounded(void **state)
{
	char big[600];
	struct tm_error e;
	uint64_t v;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tm_parse_size(big, &v, &e), -1);
	/* the value is quoted, cut to 48 bytes and marked */
	assert_non_null(strstr(e.msg, "xxx...\""));
	assert_true(strlen(e.msg) < 120);
	assert_int_equal(tm_parse_size("4\nKiB", &v, &e), -1);
	assert_string_equal(e.msg,
			    "expected a size like 4KiB or 16GiB, got \"4?KiB\"");
}

static void test_format_size(void **state)
{
	static const struct { uint64_t in; const char *want; } t[] = {
		{ 0, "0B" }, { 1000, "1000B" }, { 4096, "4KiB" },
		{ 1536, "1.5KiB" }, { 1610612736ull, "1.5GiB" },
		{ 2147483648ull, "2GiB" }, { 3221225472ull, "3GiB" },
		{ 1099511627776ull, "1TiB" }, { 1152921504606846976ull, "1EiB" },
		{ UINT64_MAX, "16EiB" }, { 1500000000ull, "1.4GiB" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < NR(t); i++) {
		tm_format_size(t[i].in, buf, sizeof(buf));
		assert_string_equal(buf, t[i].want);
	}
	tm_format_size(4096, buf, 3); /* truncated, still terminated */
	assert_string_equal(buf, "4K");
}

/* Every size tm_format_size prints parses back to within its rounding. */
static void test_format_parse_roundtrip(void **state)
{
	uint64_t sz, back;
	struct tm_error e;
	char buf[32];

	(void)state;
	for (sz = 1; sz < (UINT64_C(1) << 50); sz = sz * 3 + 1) {
		tm_format_size(sz, buf, sizeof(buf));
		assert_int_equal(tm_parse_size(buf, &back, &e), 0);
		assert_true(fabs((double)back - (double)sz) <= 0.005 * (double)sz);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_share_double),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_quote_is_bounded),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_parse_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
