/*
 * fuzz_tmt.c - libFuzzer target for the .tmt reader (traces/tmt.c; format in
 * docs/trace-format.md).
 *
 * The first input byte picks what the rest is:
 *   2     record encoding v2 blocks: the target puts a valid preamble
 *         (version 2) and header before them and compresses the whole, so
 *         that every mutation lands in the block codec (tmt_v2.c);
 *   other even  the file's bytes as they are (exercises the zstd layer:
 *         magic, checksum flag, truncation, data after the frame);
 *   odd   the decompressed content (preamble, JSON header, records of
 *         either version), which the target compresses into one
 *         checksummed zstd frame first, so that mutations reach the header
 *         and record checks instead of dying in the zstd checksum.
 * Properties (fuzz_common.h): no crash, leak or sanitizer report; a rejected
 * file gets an error that starts with its path; an accepted one yields
 * records in non-decreasing time with op <= 2 and flags 0, and re-written
 * with the writer in both record encodings and re-read gives the same trace
 * info and records (for one input in TM_FUZZ_RT_EVERY in a fuzzer build,
 * fuzz_common.h).
 * Cost cap: a raw input whose zstd frame header declares a window above
 * TM_FUZZ_TMT_MAX_WINDOW is skipped.  The reader accepts zstd's default
 * limit (128 MB windows), and ASan poisons the shadow of such a buffer on
 * every allocation and free: a few such mutants slowed the target from
 * ~5500 to ~2000 inputs a second.
 * Seeds: tests/fuzz/corpus/tmt/.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "fuzz_common.h"
#include "lib/le.h"

/* Largest declared window fuzzed (assumption: 1 MB is above what the
 * .tmt writer and fuzz_tmt_compress declare for inputs of max_len 4096). */
#define TM_FUZZ_TMT_MAX_WINDOW (1u << 20)

int tm_fuzz_tmt(const uint8_t *data, size_t size);

#define FUZZ_TMT_BLOCKS 2 /* first byte: v2 blocks after a canned header */
static const char fuzz_tmt_hdr[] =
	"{\"kind\":\"samples\",\"address_space\":\"gva\",\"page_size\":4096,"
	"\"load_period\":1,\"store_period\":0,\"vcpus\":4,\"time_unit\":\"ns\","
	"\"footprint_hint\":0,\"source\":\"fuzz\"}";

/* True for a zstd frame header that declares a window above the cap. */
static int fuzz_tmt_big_window(const uint8_t *raw, size_t n)
{
	ZSTD_frameHeader zfh;

	return ZSTD_getFrameHeader(&zfh, raw, n) == 0 &&
	       zfh.windowSize > TM_FUZZ_TMT_MAX_WINDOW;
}

/* One frame with a content checksum, as the reader requires; level 1 is
 * enough, the ratio does not matter here. */
static uint8_t *fuzz_tmt_compress(const uint8_t *raw, size_t n, size_t *out_n)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *out = tm_xmalloc(cap);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t got;

	TM_FUZZ_ASSERT(cctx, "ZSTD_createCCtx");
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	got = ZSTD_compress2(cctx, out, cap, raw, n);
	TM_FUZZ_ASSERT(!ZSTD_isError(got), "zstd: %s", ZSTD_getErrorName(got));
	ZSTD_freeCCtx(cctx);
	*out_n = got;
	return out;
}

int tm_fuzz_tmt(const uint8_t *data, size_t size)
{
	struct tm_error err = { 0 };
	struct tm_stream *s = NULL;
	char path[256];

	if (size < 1 || size > TM_FUZZ_MAX_INPUT ||
	    (!(data[0] & 1) && fuzz_tmt_big_window(data + 1, size - 1)))
		return 0;
	tm_fuzz_path(path, sizeof(path), "tmt", ".in.tmt");
	if (data[0] == FUZZ_TMT_BLOCKS) {
		size_t h = sizeof(fuzz_tmt_hdr) - 1, n;
		uint8_t *raw = tm_xmalloc(16 + h + size - 1), *z;

		memcpy(raw, "TMTRACE", 8);
		tm_put_le32(raw + 8, 2);
		tm_put_le32(raw + 12, (uint32_t)h);
		memcpy(raw + 16, fuzz_tmt_hdr, h);
		memcpy(raw + 16 + h, data + 1, size - 1);
		z = fuzz_tmt_compress(raw, 16 + h + size - 1, &n);
		tm_fuzz_write_file(path, z, n);
		free(z);
		free(raw);
	} else if (data[0] & 1) {
		size_t n;
		uint8_t *z = fuzz_tmt_compress(data + 1, size - 1, &n);

		tm_fuzz_write_file(path, z, n);
		free(z);
	} else {
		tm_fuzz_write_file(path, data + 1, size - 1);
	}
	if (tm_tmt_open(path, &s, &err)) {
		TM_FUZZ_ASSERT(!s, "open failed but returned a stream");
		tm_fuzz_check_error(&err, path);
	} else {
		tm_fuzz_check_stream(s, "tmt", path,
				     tm_fuzz_pick_rt(data, size));
		tm_stream_free(s);
	}
	unlink(path);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_tmt(data, size);
}
#endif
