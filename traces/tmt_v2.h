/*
 * tmt_v2.h - record encoding v2 of the .tmt format: the block codec
 * (DESIGN.md §5; byte layout in docs/trace-format.md §1).  Internal to
 * traces/: tmt.c frames the blocks in the zstd stream and reports errors.
 *
 * A block holds 1 to TM_TMT_V2_BLOCK_MAX records as five columns, each a
 * frame of reference: value = base + (stored << shift), stored in `width`
 * bytes (0 to 8) little-endian.  The columns are: time delta from the
 * previous record, zigzag delta of the 4 KiB page number, offset in the
 * page, weight, and cpu << 2 | op.  The previous record carries across
 * blocks (struct tm_tmt_v2_state), starting from time 0, page 0.
 */
#ifndef TM_TMT_V2_H
#define TM_TMT_V2_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define TM_TMT_V2_NR_COLS 5
#define TM_TMT_V2_COL_HDR 10 /* u8 width, u8 shift, u64 base */
#define TM_TMT_V2_BLOCK_HDR (4 + TM_TMT_V2_NR_COLS * TM_TMT_V2_COL_HDR)
#define TM_TMT_V2_BLOCK_MAX 65536u
/* Records per block the writer makes: measured with 1024, 4096 and 16384
 * (docs/trace-format.md): sizes within 1%; 4096 keeps a block's columns
 * (at most 160 KiB) in the L2 cache. */
#define TM_TMT_V2_BLOCK_WRITE 4096u
/* The decoder loads 8 bytes at a value of any width: a block buffer has
 * this many readable bytes after its data. */
#define TM_TMT_V2_PAD 8

enum tm_tmt_v2_col_id {
	TM_TMT_V2_TIME = 0,   /* time_ns minus the previous record's */
	TM_TMT_V2_PAGE = 1,   /* zigzag of (addr >> 12) minus the previous */
	TM_TMT_V2_OFFSET = 2, /* addr & 4095 */
	TM_TMT_V2_WEIGHT = 3,
	TM_TMT_V2_CPUOP = 4,  /* cpu << 2 | op */
};

struct tm_tmt_v2_col {
	uint8_t width, shift;
	uint64_t base, mask;
	const unsigned char *data; /* column start in the block buffer */
};

struct tm_tmt_v2_block {
	uint32_t nr;   /* records in the block */
	uint32_t next; /* records decoded so far */
	struct tm_tmt_v2_col col[TM_TMT_V2_NR_COLS];
};

/* The previous record, as the next one is coded against it. */
struct tm_tmt_v2_state {
	uint64_t time_ns;
	uint64_t page;
};

/* What is wrong in a block header or record: the field, the value found,
 * what was expected, and the byte offset from the block start. */
struct tm_tmt_v2_fault {
	const char *field;
	const char *expected;
	uint64_t value;
	uint64_t off;
};

/* Bytes a block of nr records may take, header included. */
size_t tm_tmt_v2_bound(size_t nr);

/* Encode recs[0..nr) (1 <= nr <= TM_TMT_V2_BLOCK_MAX, valid records in
 * time order after st) into out; scratch holds 5 * nr values.  Advances
 * st; returns the bytes written. */
size_t tm_tmt_v2_encode(const struct tm_record *recs, size_t nr,
			struct tm_tmt_v2_state *st, uint64_t *scratch,
			unsigned char *out);

/* Parse a block header: 0, or -1 with f naming the bad field.  On success
 * *sz_data is the bytes of column data that follow the header. */
int tm_tmt_v2_parse(const unsigned char *hdr, struct tm_tmt_v2_block *b,
		    size_t *sz_data, struct tm_tmt_v2_fault *f);

/* Point the columns of a parsed block at its data (TM_TMT_V2_PAD bytes
 * readable after it). */
void tm_tmt_v2_bind(struct tm_tmt_v2_block *b, const unsigned char *data);

/* Decode up to n of the block's remaining records into out, advancing
 * b->next and st.  Returns how many were decoded: fewer than asked only
 * when the next record is bad (tm_tmt_v2_fault_at then says why). */
size_t tm_tmt_v2_decode(struct tm_tmt_v2_block *b, struct tm_tmt_v2_state *st,
			struct tm_record *out, size_t n);

/* Why record b->next is bad, given st. */
void tm_tmt_v2_fault_at(const struct tm_tmt_v2_block *b,
			const struct tm_tmt_v2_state *st,
			struct tm_tmt_v2_fault *f);

#endif
