/*
 * inspect.c - trace statistics for `tmsim inspect` (see inspect.h).
 *
 * One pass counts records, ops, time and address range, and accesses per
 * 4 KiB page in an open-addressing hash table; at the end the 2 MiB counts
 * are folded from the 4 KiB ones and each set of counts is sorted
 * descending to read off the coverage levels exactly (integer arithmetic,
 * no rounding).  The heatmap needs the time and address range first, so it
 * is a second pass over the same records.
 *
 * Notes:
 *  - Coverage is "the fewest pages that hold at least P of the accesses",
 *    i.e. the hottest pages first; reported as a count and a share of the
 *    touched pages.
 *  - Heatmap cells count records (samples in a samples trace), not periods.
 */
#include "inspect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/alloc.h"
#include "lib/units.h"
#include "tmt.h"
#include "tmt_internal.h"

const uint32_t tm_inspect_level_permille[TM_INSPECT_NR_LEVELS] = {
	500, 900, 950, 990, 999
};

static const uint32_t size_shift[TM_INSPECT_NR_SIZES] = { 12, 21 };

#define READ_BATCH 4096
#define MAP_EMPTY UINT64_MAX /* page numbers are < 2^52, never this */

/* ---- page -> count hash table ---------------------------------------------- */

struct page_slot {
	uint64_t page;
	uint64_t count;
};

struct page_map {
	struct page_slot *slots;
	size_t cap;  /* power of two */
	size_t nr;
};

static size_t page_hash(uint64_t page, size_t mask)
{
	page ^= page >> 33;
	page *= 0xff51afd7ed558ccdull; /* MurmurHash3 fmix64 constant */
	page ^= page >> 33;
	return (size_t)page & mask;
}

static void map_init(struct page_map *m, size_t cap)
{
	m->cap = cap;
	m->nr = 0;
	m->slots = tm_xmalloc(cap * sizeof(*m->slots));
	for (size_t i = 0; i < cap; i++)
		m->slots[i].page = MAP_EMPTY;
}

static void map_add(struct page_map *m, uint64_t page, uint64_t count);

static void map_grow(struct page_map *m)
{
	struct page_map bigger;

	map_init(&bigger, m->cap * 2);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].page != MAP_EMPTY)
			map_add(&bigger, m->slots[i].page, m->slots[i].count);
	free(m->slots);
	*m = bigger;
}

static void map_add(struct page_map *m, uint64_t page, uint64_t count)
{
	size_t mask = m->cap - 1, i = page_hash(page, mask);

	while (m->slots[i].page != MAP_EMPTY && m->slots[i].page != page)
		i = (i + 1) & mask;
	if (m->slots[i].page == page) {
		m->slots[i].count += count;
		return;
	}
	m->slots[i].page = page;
	m->slots[i].count = count;
	if (++m->nr * 2 > m->cap) /* load factor <= 1/2 keeps probes short */
		map_grow(m);
}

/* ---- coverage -------------------------------------------------------------- */

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void coverage_from_map(const struct page_map *m, uint32_t shift,
			      struct tm_inspect_coverage *cov)
{
	uint64_t *counts = tm_xmalloc((m->nr ? m->nr : 1) * sizeof(*counts));
	unsigned __int128 total = 0, cum = 0;
	size_t n = 0, k = 0;
	int lvl;

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].page != MAP_EMPTY)
			total += counts[n++] = m->slots[i].count;
	qsort(counts, n, sizeof(*counts), cmp_desc);
	cov->page_shift = shift;
	cov->nr_pages = n;
	for (lvl = 0; lvl < TM_INSPECT_NR_LEVELS; lvl++) {
		unsigned __int128 need = total * tm_inspect_level_permille[lvl];

		while (k < n && cum * 1000 < need)
			cum += counts[k++];
		cov->nr_pages_at[lvl] = k;
	}
	free(counts);
}

static void coverage_all(const struct page_map *m4k, struct tm_inspect *in)
{
	struct page_map m2m;

	coverage_from_map(m4k, size_shift[0], &in->coverage[0]);
	map_init(&m2m, 1024);
	for (size_t i = 0; i < m4k->cap; i++)
		if (m4k->slots[i].page != MAP_EMPTY)
			map_add(&m2m, m4k->slots[i].page >> (size_shift[1] - size_shift[0]),
				m4k->slots[i].count);
	coverage_from_map(&m2m, size_shift[1], &in->coverage[1]);
	free(m2m.slots);
}

/* ---- the passes -------------------------------------------------------------- */

static uint64_t record_weight(const struct tm_trace_info *info, uint8_t op)
{
	if (info->kind != TM_TRACE_SAMPLES)
		return 1;
	if (op == TM_OP_STORE && info->store_period)
		return info->store_period;
	return info->load_period ? info->load_period : 1;
}

static void count_records(struct tm_inspect *in, struct page_map *m,
			  const struct tm_record *r, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		uint64_t w = record_weight(&in->info, r[i].op);

		if (in->nr_records == 0) {
			in->first_ns = r[i].time_ns;
			in->addr_min = in->addr_max = r[i].addr;
		}
		in->nr_records++;
		in->last_ns = r[i].time_ns;
		in->nr_ops[r[i].op <= TM_OP_MODIFY ? r[i].op : TM_OP_LOAD]++;
		in->nr_accesses += w;
		if (r[i].addr < in->addr_min)
			in->addr_min = r[i].addr;
		if (r[i].addr > in->addr_max)
			in->addr_max = r[i].addr;
		map_add(m, r[i].addr >> size_shift[0], w);
	}
}

int tm_inspect_stream(struct tm_stream *s, struct tm_inspect **out,
		      struct tm_error *err)
{
	struct tm_inspect *in = tm_xcalloc(1, sizeof(*in));
	struct tm_record *buf = tm_xmalloc(READ_BATCH * sizeof(*buf));
	const char *hdr = tm_tmt_stream_header_json(s);
	struct page_map m;
	ssize_t n;

	*out = NULL;
	in->info = s->info;
	in->header_json = hdr ? tm_xstrdup(hdr) : NULL;
	map_init(&m, 1024);
	while ((n = tm_stream_read(s, buf, READ_BATCH, err)) > 0)
		count_records(in, &m, buf, (size_t)n);
	free(buf);
	if (n < 0) {
		free(m.slots);
		tm_inspect_free(in);
		return -1;
	}
	coverage_all(&m, in);
	free(m.slots);
	*out = in;
	return 0;
}

static void heat_geometry(struct tm_inspect_heatmap *h, const struct tm_inspect *in)
{
	uint64_t span_ns, first_page, nr_pages, per;

	memset(h, 0, sizeof(*h));
	if (in->nr_records == 0)
		return;
	span_ns = in->last_ns - in->first_ns; /* inclusive range of span + 1 */
	h->start_ns = in->first_ns;
	h->bin_ns = span_ns / TM_INSPECT_HEAT_BINS + 1;
	h->nr_time_bins = (uint32_t)(span_ns / h->bin_ns + 1);
	first_page = in->addr_min >> 12;
	nr_pages = (in->addr_max >> 12) - first_page + 1;
	per = (nr_pages + TM_INSPECT_HEAT_BINS - 1) / TM_INSPECT_HEAT_BINS;
	h->addr_start = first_page << 12;
	h->bin_bytes = per << 12;
	h->nr_addr_bins = (uint32_t)((nr_pages + per - 1) / per);
}

int tm_inspect_heatmap(struct tm_inspect *in, struct tm_stream *s,
		       struct tm_error *err)
{
	struct tm_inspect_heatmap *h = &in->heat;
	struct tm_record *buf = tm_xmalloc(READ_BATCH * sizeof(*buf));
	ssize_t n;

	free(h->counts);
	heat_geometry(h, in);
	h->counts = tm_xcalloc((size_t)h->nr_time_bins * h->nr_addr_bins + 1,
			       sizeof(*h->counts));
	while ((n = tm_stream_read(s, buf, READ_BATCH, err)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			uint64_t tb, ab;

			if (buf[i].time_ns < h->start_ns || buf[i].addr < h->addr_start)
				continue;
			tb = (buf[i].time_ns - h->start_ns) / h->bin_ns;
			ab = (buf[i].addr - h->addr_start) / h->bin_bytes;
			if (tb < h->nr_time_bins && ab < h->nr_addr_bins)
				h->counts[tb * h->nr_addr_bins + ab]++;
		}
	}
	free(buf);
	return n < 0 ? -1 : 0;
}

int tm_inspect_file(const char *path, bool heatmap, struct tm_inspect **out,
		    struct tm_error *err)
{
	struct tm_stream *s;
	int rc;

	*out = NULL;
	if (tm_tmt_open(path, &s, err))
		return -1;
	rc = tm_inspect_stream(s, out, err);
	tm_stream_free(s);
	if (rc || !heatmap)
		return rc;
	if (tm_tmt_open(path, &s, err) == 0) {
		rc = tm_inspect_heatmap(*out, s, err);
		tm_stream_free(s);
		if (rc == 0)
			return 0;
	}
	tm_inspect_free(*out);
	*out = NULL;
	return -1;
}

void tm_inspect_free(struct tm_inspect *in)
{
	if (!in)
		return;
	free(in->heat.counts);
	free(in->header_json);
	free(in);
}

/* ---- output ----------------------------------------------------------------- */

static json_t *json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static json_t *coverage_json(const struct tm_inspect_coverage *c)
{
	json_t *o = json_object(), *lv = json_array();

	json_object_set_new(o, "page_size", json_u64(1ull << c->page_shift));
	json_object_set_new(o, "pages", json_u64(c->nr_pages));
	json_object_set_new(o, "bytes", json_u64(c->nr_pages << c->page_shift));
	for (int i = 0; i < TM_INSPECT_NR_LEVELS; i++) {
		json_t *l = json_object();

		json_object_set_new(l, "accesses", json_real(tm_inspect_level_permille[i] / 1000.0));
		json_object_set_new(l, "pages", json_u64(c->nr_pages_at[i]));
		json_object_set_new(l, "share_of_pages", json_real(c->nr_pages ?
			(double)c->nr_pages_at[i] / (double)c->nr_pages : 0.0));
		json_array_append_new(lv, l);
	}
	json_object_set_new(o, "levels", lv);
	return o;
}

static json_t *heatmap_json(const struct tm_inspect_heatmap *h)
{
	json_t *o = json_object(), *rows = json_array();

	json_object_set_new(o, "time_bins", json_integer(h->nr_time_bins));
	json_object_set_new(o, "addr_bins", json_integer(h->nr_addr_bins));
	json_object_set_new(o, "start_ns", json_u64(h->start_ns));
	json_object_set_new(o, "bin_ns", json_u64(h->bin_ns));
	json_object_set_new(o, "addr_start", json_hex(h->addr_start));
	json_object_set_new(o, "bin_bytes", json_u64(h->bin_bytes));
	for (uint32_t t = 0; t < h->nr_time_bins; t++) {
		json_t *row = json_array();

		for (uint32_t a = 0; a < h->nr_addr_bins; a++)
			json_array_append_new(row, json_u64(h->counts[(size_t)t * h->nr_addr_bins + a]));
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "counts", rows);
	return o;
}

static void info_json(json_t *o, const struct tm_inspect *in)
{
	const struct tm_trace_info *i = &in->info;
	json_t *hdr = in->header_json ? json_loads(in->header_json, 0, NULL) : NULL;

	json_object_set_new(o, "header", hdr ? hdr : json_null());
	json_object_set_new(o, "kind", json_string(i->kind == TM_TRACE_SAMPLES ?
						   "samples" : "accesses"));
	json_object_set_new(o, "address_space", json_string(i->space == TM_ADDR_GPA ?
							    "gpa" : "gva"));
	json_object_set_new(o, "page_size", json_u64(1ull << i->page_shift));
	json_object_set_new(o, "load_period", json_u64(i->load_period));
	json_object_set_new(o, "store_period", json_u64(i->store_period));
	json_object_set_new(o, "vcpus", json_integer(i->nr_vcpus));
	json_object_set_new(o, "source", json_stringn(i->source, strnlen(i->source,
						     sizeof(i->source))));
}

char *tm_inspect_json(const struct tm_inspect *in, const char *file)
{
	json_t *o = json_object(), *t = json_object(), *a = json_object(),
	       *ops = json_object(), *cov = json_array();
	char *text;

	json_object_set_new(o, "file", file ? json_string(file) : json_null());
	info_json(o, in);
	json_object_set_new(o, "records", json_u64(in->nr_records));
	json_object_set_new(o, "accesses", json_u64(in->nr_accesses));
	json_object_set_new(t, "first_ns", json_u64(in->first_ns));
	json_object_set_new(t, "last_ns", json_u64(in->last_ns));
	json_object_set_new(t, "span_ns", json_u64(in->last_ns - in->first_ns));
	json_object_set_new(o, "time", t);
	json_object_set_new(a, "min", json_hex(in->addr_min));
	json_object_set_new(a, "max", json_hex(in->addr_max));
	json_object_set_new(o, "address", a);
	json_object_set_new(ops, "loads", json_u64(in->nr_ops[TM_OP_LOAD]));
	json_object_set_new(ops, "stores", json_u64(in->nr_ops[TM_OP_STORE]));
	json_object_set_new(ops, "modifies", json_u64(in->nr_ops[TM_OP_MODIFY]));
	json_object_set_new(o, "ops", ops);
	json_object_set_new(o, "footprint_bytes",
			    json_u64(in->coverage[0].nr_pages << size_shift[0]));
	for (int i = 0; i < TM_INSPECT_NR_SIZES; i++)
		json_array_append_new(cov, coverage_json(&in->coverage[i]));
	json_object_set_new(o, "coverage", cov);
	if (in->heat.counts)
		json_object_set_new(o, "heatmap", heatmap_json(&in->heat));
	text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(o);
	return text;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_header(const struct tm_inspect *in, const char *file, FILE *f)
{
	const struct tm_trace_info *i = &in->info;
	json_t *hdr = in->header_json ? json_loads(in->header_json, 0, NULL) : NULL;
	json_t *prov = json_object_get(hdr, "provenance");
	char page[32], *ptext = prov ? json_dumps(prov, JSON_COMPACT |
						     JSON_REAL_PRECISION(15)) : NULL;

	tm_format_size(1ull << i->page_shift, page, sizeof(page));
	if (file)
		fprintf(f, "file          %s\n", file);
	fprintf(f, "kind          %s, address space %s, page size %s, %u vCPUs\n",
		i->kind == TM_TRACE_SAMPLES ? "samples" : "accesses",
		i->space == TM_ADDR_GPA ? "gpa" : "gva", page, i->nr_vcpus);
	if (i->kind == TM_TRACE_SAMPLES)
		fprintf(f, "periods       load %" PRIu64 ", store %" PRIu64
			" (each sample stands for its period of accesses)\n",
			i->load_period, i->store_period ? i->store_period : i->load_period);
	if (hdr)
		fprintf(f, "source        %s\n",
			json_string_value(json_object_get(hdr, "source")));
	if (ptext)
		fprintf(f, "provenance    %s\n", ptext);
	free(ptext);
	json_decref(hdr);
}

static void print_coverage(const struct tm_inspect *in, FILE *f)
{
	const struct tm_inspect_coverage *c = in->coverage;
	char s4[32], s2[32];

	tm_format_size(c[0].nr_pages << c[0].page_shift, s4, sizeof(s4));
	tm_format_size(c[1].nr_pages << c[1].page_shift, s2, sizeof(s2));
	fprintf(f, "footprint     %" PRIu64 " x 4KiB pages (%s), %" PRIu64
		" x 2MiB pages (%s)\n", c[0].nr_pages, s4, c[1].nr_pages, s2);
	fprintf(f, "coverage      fewest touched pages holding P of the %saccesses\n",
		in->info.kind == TM_TRACE_SAMPLES ? "estimated " : "");
	fprintf(f, "  %-8s %-24s %s\n", "P", "4KiB pages", "2MiB pages");
	for (int l = 0; l < TM_INSPECT_NR_LEVELS; l++) {
		char a[32], b[32], p[16];

		snprintf(p, sizeof(p), "%g%%", tm_inspect_level_permille[l] / 10.0);
		snprintf(a, sizeof(a), "%6.2f%% (%" PRIu64 ")",
			 pct(c[0].nr_pages_at[l], c[0].nr_pages), c[0].nr_pages_at[l]);
		snprintf(b, sizeof(b), "%6.2f%% (%" PRIu64 ")",
			 pct(c[1].nr_pages_at[l], c[1].nr_pages), c[1].nr_pages_at[l]);
		fprintf(f, "  %-8s %-24s %s\n", p, a, b);
	}
}

void tm_inspect_print(const struct tm_inspect *in, const char *file, FILE *f)
{
	uint64_t n = in->nr_records;

	print_header(in, file, f);
	fprintf(f, "records       %" PRIu64 "\n", n);
	if (in->info.kind == TM_TRACE_SAMPLES)
		fprintf(f, "accesses      %" PRIu64 " (estimated: samples x period)\n",
			in->nr_accesses);
	fprintf(f, "time          %" PRIu64 " .. %" PRIu64 " ns (span %.9g s)\n",
		in->first_ns, in->last_ns, (double)(in->last_ns - in->first_ns) / 1e9);
	fprintf(f, "addresses     0x%" PRIx64 " .. 0x%" PRIx64 "\n", in->addr_min,
		in->addr_max);
	fprintf(f, "ops           loads %" PRIu64 " (%.1f%%), stores %" PRIu64
		" (%.1f%%), modifies %" PRIu64 " (%.1f%%)\n",
		in->nr_ops[0], pct(in->nr_ops[0], n), in->nr_ops[1],
		pct(in->nr_ops[1], n), in->nr_ops[2], pct(in->nr_ops[2], n));
	print_coverage(in, f);
}
