/*
 * le.h - little-endian loads and stores: the one set of byte-order helpers
 * for every binary format tmsim reads or writes (.tmt preamble and records,
 * perf.data headers and samples; docs/trace-format.md).
 *
 * Each load reads n bytes at p, least significant first, with no alignment
 * requirement; each store writes v the same way.  They are written as shifts
 * and ors, which GCC and clang at -O1 and above turn into one (unaligned)
 * load or store on a little-endian host and a load plus byte swap on a
 * big-endian one, so they may be used on hot paths.
 *
 * TM_NATIVE_LE is 1 when the host is little-endian, so a caller may use a
 * struct that has the disk layout as it is (the .tmt reader decodes records
 * in place only when it is 0).  Building with -DTM_NATIVE_LE=0 exercises
 * the big-endian code paths on a little-endian host.
 */
#ifndef TM_LE_H
#define TM_LE_H

#include <stdint.h>

#ifndef TM_NATIVE_LE /* -DTM_NATIVE_LE=0 tests the portable paths */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TM_NATIVE_LE 1
#else
#define TM_NATIVE_LE 0
#endif
#endif

static inline uint16_t tm_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t tm_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t tm_le64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)tm_le32(b) | (uint64_t)tm_le32(b + 4) << 32;
}

static inline void tm_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void tm_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void tm_put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;

	tm_put_le32(b, (uint32_t)v);
	tm_put_le32(b + 4, (uint32_t)(v >> 32));
}

#endif
