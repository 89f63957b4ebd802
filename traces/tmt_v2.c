/*
 * tmt_v2.c - the block codec of .tmt record encoding v2 (see tmt_v2.h;
 * byte layout in docs/trace-format.md §1, chosen by the measurements there).
 *
 * Why columns with a per-block frame of reference: the writer's zstd level
 * (-3) stores literals raw, so it removes repeats but does not entropy-code.
 * Laid out by column, the fields that barely change (time step, cpu
 * pattern, op, a zero weight) become runs that zstd matches or that take
 * width 0, and only the random part of an address is left: 4.3 bytes a
 * record on a Zipf stream against 9.1 for v1's 24-byte rows.  Byte widths
 * (not bits) keep the columns byte-aligned, so zstd still finds repeats in
 * them, and decoding is branch-free: one unaligned 8-byte load, a mask, a
 * shift and an add per field.
 *
 * Notes:
 *  - The decoder checks every record as v1's reader does (time that
 *    overflows, op 3, cpu, weight, page or offset out of range) with one
 *    or-ed test per record; the slow path (tm_tmt_v2_fault_at) says which.
 *  - v2 cannot store flags: the field is reserved and always 0.
 */
#include "tmt_v2.h"

#include <string.h>

#include "lib/le.h"

#define PAGE_SHIFT 12
#define PAGE_MAX_SHIFT (64 - PAGE_SHIFT) /* page numbers below 2^52 */
#define CPUOP_MAX_SHIFT 18               /* cpu < 2^16, op in 2 bits */

static const char *const col_width_name[TM_TMT_V2_NR_COLS] = {
	"time column width", "page column width", "offset column width",
	"weight column width", "cpu/op column width",
};
static const char *const col_shift_name[TM_TMT_V2_NR_COLS] = {
	"time column shift", "page column shift", "offset column shift",
	"weight column shift", "cpu/op column shift",
};

static uint64_t zigzag(uint64_t delta)
{
	return delta << 1 ^ (uint64_t)-(int64_t)(delta >> 63);
}

static uint64_t unzigzag(uint64_t v)
{
	return v >> 1 ^ (uint64_t)-(int64_t)(v & 1);
}

static unsigned bytes_for(uint64_t v)
{
	return v ? (unsigned)(71 - __builtin_clzll(v)) / 8 : 0;
}

size_t tm_tmt_v2_bound(size_t nr)
{
	return TM_TMT_V2_BLOCK_HDR + nr * TM_TMT_V2_NR_COLS * 8 + TM_TMT_V2_PAD;
}

/* One column: the base (smallest value), the shift (trailing zero bits
 * every value has above the base) and the byte width of the rest. */
static unsigned char *encode_col(const uint64_t *v, size_t nr,
				 unsigned char *hdr, unsigned char *out)
{
	uint64_t base = v[0], any = 0, max = 0;
	unsigned shift, width;
	size_t i;

	for (i = 1; i < nr; i++)
		base = v[i] < base ? v[i] : base;
	for (i = 0; i < nr; i++) {
		any |= v[i] - base;
		max = v[i] - base > max ? v[i] - base : max;
	}
	shift = any ? (unsigned)__builtin_ctzll(any) : 0;
	width = bytes_for(max >> shift);
	hdr[0] = (unsigned char)width;
	hdr[1] = (unsigned char)shift;
	tm_put_le64(hdr + 2, base);
	for (i = 0; i < nr; i++) {
		/* 8 bytes written, width kept: the next value overwrites the
		 * rest (tm_tmt_v2_bound leaves room after the last one) */
		tm_put_le64(out, (v[i] - base) >> shift);
		out += width;
	}
	return out;
}

size_t tm_tmt_v2_encode(const struct tm_record *recs, size_t nr,
			struct tm_tmt_v2_state *st, uint64_t *scratch,
			unsigned char *out)
{
	uint64_t *col[TM_TMT_V2_NR_COLS];
	unsigned char *p = out + TM_TMT_V2_BLOCK_HDR;
	size_t i;

	for (int c = 0; c < TM_TMT_V2_NR_COLS; c++)
		col[c] = scratch + (size_t)c * nr;
	for (i = 0; i < nr; i++) {
		uint64_t page = recs[i].addr >> PAGE_SHIFT;

		col[TM_TMT_V2_TIME][i] = recs[i].time_ns - st->time_ns;
		col[TM_TMT_V2_PAGE][i] = zigzag(page - st->page);
		col[TM_TMT_V2_OFFSET][i] = recs[i].addr & ((1u << PAGE_SHIFT) - 1);
		col[TM_TMT_V2_WEIGHT][i] = recs[i].weight;
		col[TM_TMT_V2_CPUOP][i] = (uint64_t)recs[i].cpu << 2 | recs[i].op;
		st->time_ns = recs[i].time_ns;
		st->page = page;
	}
	tm_put_le32(out, (uint32_t)nr);
	for (int c = 0; c < TM_TMT_V2_NR_COLS; c++)
		p = encode_col(col[c], nr, out + 4 + c * TM_TMT_V2_COL_HDR, p);
	return (size_t)(p - out);
}

int tm_tmt_v2_parse(const unsigned char *hdr, struct tm_tmt_v2_block *b,
		    size_t *sz_data, struct tm_tmt_v2_fault *f)
{
	uint32_t nr = tm_le32(hdr);
	size_t per = 0;

	if (nr < 1 || nr > TM_TMT_V2_BLOCK_MAX) {
		*f = (struct tm_tmt_v2_fault){ "block of records", "1 to 65536",
					       nr, 0 };
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->nr = nr;
	for (int c = 0; c < TM_TMT_V2_NR_COLS; c++) {
		const unsigned char *h = hdr + 4 + c * TM_TMT_V2_COL_HDR;
		struct tm_tmt_v2_col *col = &b->col[c];

		if (h[0] > 8 || h[1] > 63) {
			*f = h[0] > 8 ?
			     (struct tm_tmt_v2_fault){ col_width_name[c], "0 to 8 bytes",
						       h[0], (uint64_t)(h - hdr) } :
			     (struct tm_tmt_v2_fault){ col_shift_name[c], "0 to 63",
						       h[1], (uint64_t)(h - hdr) + 1 };
			return -1;
		}
		col->width = h[0];
		col->shift = h[1];
		col->base = tm_le64(h + 2);
		col->mask = h[0] == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * h[0])) - 1;
		per += h[0];
	}
	*sz_data = per * nr;
	return 0;
}

void tm_tmt_v2_bind(struct tm_tmt_v2_block *b, const unsigned char *data)
{
	for (int c = 0; c < TM_TMT_V2_NR_COLS; c++) {
		b->col[c].data = data;
		data += (size_t)b->col[c].width * b->nr;
	}
}

static inline uint64_t col_value(const struct tm_tmt_v2_col *c, size_t i)
{
	return c->base + ((tm_le64(c->data + i * c->width) & c->mask) << c->shift);
}

size_t tm_tmt_v2_decode(struct tm_tmt_v2_block *b, struct tm_tmt_v2_state *st,
			struct tm_record *out, size_t n)
{
	const struct tm_tmt_v2_col *c = b->col;
	uint64_t time_ns = st->time_ns, page = st->page;
	size_t i, at = b->next;

	if (n > b->nr - at)
		n = b->nr - at;
	for (i = 0; i < n; i++, at++) {
		uint64_t t = time_ns + col_value(&c[TM_TMT_V2_TIME], at);
		uint64_t pg = page + unzigzag(col_value(&c[TM_TMT_V2_PAGE], at));
		uint64_t off = col_value(&c[TM_TMT_V2_OFFSET], at);
		uint64_t w = col_value(&c[TM_TMT_V2_WEIGHT], at);
		uint64_t co = col_value(&c[TM_TMT_V2_CPUOP], at);

		if ((t < time_ns) | (pg >> PAGE_MAX_SHIFT) | (off >> PAGE_SHIFT) |
		    (w >> 32) | (co >> CPUOP_MAX_SHIFT) | ((co & 3) == 3))
			break;
		time_ns = t;
		page = pg;
		out[i].time_ns = t;
		out[i].addr = pg << PAGE_SHIFT | off;
		out[i].weight = (uint32_t)w;
		out[i].cpu = (uint16_t)(co >> 2);
		out[i].op = (uint8_t)(co & 3);
		out[i].flags = 0;
	}
	st->time_ns = time_ns;
	st->page = page;
	b->next = (uint32_t)at;
	return i;
}

void tm_tmt_v2_fault_at(const struct tm_tmt_v2_block *b,
			const struct tm_tmt_v2_state *st,
			struct tm_tmt_v2_fault *f)
{
	const struct tm_tmt_v2_col *c = b->col;
	size_t at = b->next;
	uint64_t v[TM_TMT_V2_NR_COLS];
	int k;

	for (k = 0; k < TM_TMT_V2_NR_COLS; k++)
		v[k] = col_value(&c[k], at);
	if (st->time_ns + v[TM_TMT_V2_TIME] < st->time_ns) {
		k = TM_TMT_V2_TIME;
		*f = (struct tm_tmt_v2_fault){ "time delta", "a time below 2^64 ns",
					       v[k], 0 };
	} else if ((st->page + unzigzag(v[TM_TMT_V2_PAGE])) >> PAGE_MAX_SHIFT) {
		k = TM_TMT_V2_PAGE;
		*f = (struct tm_tmt_v2_fault){ "page delta (zigzag)",
			"a page number below 2^52", v[k], 0 };
	} else if (v[TM_TMT_V2_OFFSET] >> PAGE_SHIFT) {
		k = TM_TMT_V2_OFFSET;
		*f = (struct tm_tmt_v2_fault){ "offset in the page", "0 to 4095",
					       v[k], 0 };
	} else if (v[TM_TMT_V2_WEIGHT] >> 32) {
		k = TM_TMT_V2_WEIGHT;
		*f = (struct tm_tmt_v2_fault){ "weight", "0 to 4294967295", v[k], 0 };
	} else if (v[TM_TMT_V2_CPUOP] >> CPUOP_MAX_SHIFT) {
		k = TM_TMT_V2_CPUOP;
		*f = (struct tm_tmt_v2_fault){ "cpu", "0 to 65535", v[k] >> 2, 0 };
	} else {
		k = TM_TMT_V2_CPUOP;
		*f = (struct tm_tmt_v2_fault){ "op", "0 (load), 1 (store) or 2 (modify)",
					       v[k] & 3, 0 };
	}
	f->off = TM_TMT_V2_BLOCK_HDR + (uint64_t)(c[k].data - c[0].data) +
		 (uint64_t)at * c[k].width;
}
