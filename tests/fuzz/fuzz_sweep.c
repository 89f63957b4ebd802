/*
 * fuzz_sweep.c - libFuzzer target for the sweep-file parser (sim/sweep/,
 * reading YAML through the config module's front-end; docs/sweeps.md).
 *
 * The input is the sweep file's text, parsed from memory
 * (tm_sweep_parse; `base:` is not loaded).  Checked: a refusal is a bad
 * input (exit status 2) with a message located in the file; an accepted
 * sweep has at least one point and prints as JSON, identically when
 * parsed twice; no leak or memory error (ASan in make fuzz).
 */
#include <string.h>

#include "fuzz_common.h"

#include "lib/strbuf.h"
#include "sim/sweep/sweep.h"

int tm_fuzz_sweep(const uint8_t *data, size_t size);

/* Parse; on failure check the error and return NULL, else the JSON text of
 * the sweep (malloc'd). */
static char *fuzz_sweep_parse(const char *path, const uint8_t *data,
			      size_t size)
{
	struct tm_error err = { 0 };
	struct tm_sweep *sw = NULL;
	struct tm_strbuf out = { 0 };

	if (tm_sweep_parse(path, (const char *)data, size, &sw, &err)) {
		TM_FUZZ_ASSERT(!sw, "parse failed but returned a sweep");
		TM_FUZZ_ASSERT(err.msg[0] && tm_err_exit_status(err.code) == 2,
			       "code %d: %s", err.code, err.msg);
		TM_FUZZ_ASSERT(!strncmp(err.msg, path, strlen(path)),
			       "message not located: %s", err.msg);
		return NULL;
	}
	TM_FUZZ_ASSERT(sw, "parse succeeded without a sweep");
	tm_sweep_json(sw, &out);
	TM_FUZZ_ASSERT(out.p && out.len, "empty sweep JSON");
	tm_sweep_free(sw);
	return out.p;
}

int tm_fuzz_sweep(const uint8_t *data, size_t size)
{
	static const char path[] = "fuzz/sweep.yaml";
	char *a, *b;

	if (size > TM_FUZZ_MAX_INPUT)
		return 0;
	a = fuzz_sweep_parse(path, data, size);
	if (a) {
		b = fuzz_sweep_parse(path, data, size);
		TM_FUZZ_ASSERT(b && !strcmp(a, b), "second parse differs");
		free(b);
	}
	free(a);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_sweep(data, size);
}
#endif
