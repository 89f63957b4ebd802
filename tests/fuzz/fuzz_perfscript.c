/*
 * fuzz_perfscript.c - libFuzzer target for the "perf-script" importer: the
 * input is the text of `perf script`, read by its shape (traces/import/
 * perfscript.c, perfscript_shape.c).
 *
 * Properties (fuzz_common.h): no crash, leak or sanitizer report; a rejected
 * input gets an error that starts with the file's path; an accepted one
 * yields records in non-decreasing time with op <= 2 and flags 0, the
 * same records when decoded again one record per read, and survives a .tmt
 * write and re-read unchanged (once per input, for one input in
 * TM_FUZZ_RT_EVERY in a fuzzer build).  Each input is imported twice: perf
 * with --addr virt and phys, lackey with --time auto and index.
 * Seeds: tests/fuzz/corpus/perfscript/.
 */
#include "fuzz_common.h"

int tm_fuzz_perfscript(const uint8_t *data, size_t size);

int tm_fuzz_perfscript(const uint8_t *data, size_t size)
{
	static const char *const addrs[2] = { "virt", "phys" };

	tm_fuzz_import(&tm_importer_perf_script, "perfscript", "addr", addrs, data, size);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_perfscript(data, size);
}
#endif
