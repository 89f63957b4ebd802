/*
 * inspect.c - trace statistics for `tmsim inspect` (see inspect.h).
 *
 * One pass counts records, ops, time and address range, and records per
 * 4 KiB page (traces/pagecount.c: a counter per page, found without a
 * hash for the pages near the first one); at the end each page's accesses
 * (records times their op's period) are folded into 2 MiB pages, and each
 * set of counts is radix-sorted descending to read off the coverage levels
 * exactly (integer arithmetic, no rounding).  The heatmap needs the time
 * and address range first, so it is a second pass over the same records.
 *
 * Cost, measured with callgrind on 1M Zipf records over 1 GiB: `tmsim
 * inspect` took 168 instructions a record more than a loop that only reads
 * the trace, with a per-page hash table and qsort; it takes 50 now, start-up
 * and sort included (bench_trace prints the time against decode-only).
 *
 * Notes:
 *  - Coverage is "the fewest pages that hold at least P of the accesses",
 *    i.e. the hottest pages first; reported as a count and a share of the
 *    touched pages.
 *  - Heatmap cells count records (samples in a samples trace), not periods.
 */
#include "inspect.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/alloc.h"
#include "lib/units.h"
#include "pagecount.h"
#include "tmt.h"
#include "tmt_internal.h"

const uint32_t tm_inspect_level_permille[TM_INSPECT_NR_LEVELS] = {
	500, 900, 950, 990, 999
};

static const uint32_t size_shift[TM_INSPECT_NR_SIZES] = { 12, 21 };

#define READ_BATCH 1024
#define OPS_MASK ((UINT64_C(1) << 21) - 1)
/* One record of each op in count_batch's packed counter (op 3, which a
 * checked stream never has, counts as a load). */
static const uint64_t op_one[4] = { 1, UINT64_C(1) << 21, UINT64_C(1) << 42, 1 };
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

/* Sort v[0..n) in descending order: LSD radix sort on the complement, one
 * pass per byte in which the values differ (counts rarely need more than
 * three); tmp holds n values.  Replaces a qsort that took a quarter of
 * inspect's instructions. */
static void sort_desc(uint64_t *v, size_t n, uint64_t *tmp)
{
	uint64_t all_or = 0, all_and = UINT64_MAX, *src = v, *dst = tmp, *t;

	for (size_t i = 0; i < n; i++) {
		v[i] = ~v[i];
		all_or |= v[i];
		all_and &= v[i];
	}
	for (unsigned sh = 0; sh < 64; sh += 8) {
		size_t pos[257] = { 0 };

		if (!(((all_or ^ all_and) >> sh) & 0xff))
			continue;
		for (size_t i = 0; i < n; i++)
			pos[((src[i] >> sh) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			pos[b + 1] += pos[b];
		for (size_t i = 0; i < n; i++)
			dst[pos[(src[i] >> sh) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = ~src[i];
}

/* Coverage levels of the n per-page counts (sorted here). */
static void coverage_from_counts(uint64_t *counts, size_t n, uint64_t *tmp,
				 uint32_t shift, struct tm_inspect_coverage *cov)
{
	unsigned __int128 total = 0, cum = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		total += counts[i];
	sort_desc(counts, n, tmp);
	cov->page_shift = shift;
	cov->nr_pages = n;
	for (int lvl = 0; lvl < TM_INSPECT_NR_LEVELS; lvl++) {
		unsigned __int128 need = total * tm_inspect_level_permille[lvl];

		while (k < n && cum * 1000 < need)
			cum += counts[k++];
		cov->nr_pages_at[lvl] = k;
	}
}

/* Per-page accesses (records times their op's period) as the counters
 * are visited, and their sums per 2 MiB page. */
struct totals {
	uint64_t wl, ws;      /* accesses a load (or modify) and a store stand for */
	uint64_t *counts;
	size_t n, cap;
	struct page_map m2m;
};

static void add_page(void *arg, uint64_t page, uint64_t nr_load, uint64_t nr_store)
{
	struct totals *t = arg;
	uint64_t c = nr_load * t->wl + nr_store * t->ws;

	if (t->n == t->cap) {
		t->cap = 2 * t->cap;
		t->counts = tm_xrealloc(t->counts, t->cap * sizeof(*t->counts));
	}
	t->counts[t->n++] = c;
	map_add(&t->m2m, page >> (size_shift[1] - size_shift[0]), c);
}

static void coverage_all(const struct tm_pagecount *pc, struct tm_inspect *in)
{
	struct totals t = { 1, 1, NULL, 0, 1024, { 0 } };
	uint64_t *tmp;
	size_t k = 0;

	if (in->info.kind == TM_TRACE_SAMPLES) {
		t.wl = in->info.load_period ? in->info.load_period : 1;
		t.ws = in->info.store_period ? in->info.store_period : t.wl;
	}
	t.counts = tm_xmalloc(t.cap * sizeof(*t.counts));
	map_init(&t.m2m, 1024);
	tm_pagecount_visit(pc, in->addr_min >> size_shift[0],
			   in->addr_max >> size_shift[0], add_page, &t);
	tmp = tm_xmalloc((t.n + 1) * sizeof(*tmp));
	coverage_from_counts(t.counts, t.n, tmp, size_shift[0], &in->coverage[0]);
	for (size_t i = 0; i < t.m2m.cap; i++)
		if (t.m2m.slots[i].page != MAP_EMPTY)
			t.counts[k++] = t.m2m.slots[i].count;
	coverage_from_counts(t.counts, k, tmp, size_shift[1], &in->coverage[1]);
	free(t.m2m.slots);
	free(t.counts);
	free(tmp);
}

/* ---- the passes -------------------------------------------------------------- */

/* The per-record work: ops, address range, and the page's counter.  The
 * ops are counted in one register, 21 bits per op (op_one; a batch is at most
 * READ_BATCH < 2^21 records): an increment of memory per record would chain
 * through store forwarding.  split is a constant at each call, so the
 * loop without store counters has no code for them. */
static inline void count_batch(struct tm_inspect *in, struct tm_pagecount *pc,
			       const struct tm_record *r, size_t nr, bool split)
{
	uint64_t lo = in->addr_min, hi = in->addr_max, ops = 0;

	if (in->nr_records == 0) {
		in->first_ns = r[0].time_ns;
		lo = hi = r[0].addr;
	}
	for (size_t i = 0; i < nr; i++) {
		uint64_t page = r[i].addr >> size_shift[0];
		uint32_t *c;

		ops += op_one[r[i].op & 3];
		lo = r[i].addr < lo ? r[i].addr : lo;
		hi = r[i].addr > hi ? r[i].addr : hi;
		c = tm_pagecount_at(pc, page, split && r[i].op == TM_OP_STORE);
		if (++*c == 0)
			tm_pagecount_spill(pc, c);
	}
	in->nr_ops[TM_OP_STORE] += ops >> 21 & OPS_MASK;
	in->nr_ops[TM_OP_MODIFY] += ops >> 42 & OPS_MASK;
	/* op 3 cannot come from a checked stream; counted as a load as before */
	in->nr_ops[TM_OP_LOAD] += nr - (ops >> 21 & OPS_MASK) - (ops >> 42 & OPS_MASK);
	in->addr_min = lo;
	in->addr_max = hi;
	in->last_ns = r[nr - 1].time_ns;
	in->nr_records += nr;
}

static void count_records(struct tm_inspect *in, struct tm_pagecount *pc,
			  const struct tm_record *r, size_t nr)
{
	if (pc->split)
		count_batch(in, pc, r, nr, true);
	else
		count_batch(in, pc, r, nr, false);
}

/* Accesses from the op counts: every record is one, or its op's period. */
static void count_accesses(struct tm_inspect *in)
{
	const struct tm_trace_info *i = &in->info;
	uint64_t lp, sp;

	if (i->kind != TM_TRACE_SAMPLES) {
		in->nr_accesses = in->nr_records;
		return;
	}
	lp = i->load_period ? i->load_period : 1;
	sp = i->store_period ? i->store_period : lp;
	in->nr_accesses = (in->nr_ops[TM_OP_LOAD] + in->nr_ops[TM_OP_MODIFY]) * lp +
			  in->nr_ops[TM_OP_STORE] * sp;
}

int tm_inspect_stream(struct tm_stream *s, struct tm_inspect **out,
		      struct tm_error *err)
{
	struct tm_inspect *in = tm_xcalloc(1, sizeof(*in));
	struct tm_record *buf = tm_xmalloc(READ_BATCH * sizeof(*buf));
	const char *hdr = tm_tmt_stream_header_json(s);
	const struct tm_trace_info *i = &s->info;
	struct tm_pagecount pc;
	ssize_t n;

	*out = NULL;
	in->info = s->info;
	in->header_json = hdr ? tm_xstrdup(hdr) : NULL;
	tm_pagecount_init(&pc, i->kind == TM_TRACE_SAMPLES && i->store_period &&
		i->store_period != (i->load_period ? i->load_period : 1));
	while ((n = tm_stream_read(s, buf, READ_BATCH, err)) > 0)
		count_records(in, &pc, buf, (size_t)n);
	free(buf);
	if (n < 0) {
		tm_pagecount_destroy(&pc);
		tm_inspect_free(in);
		return -1;
	}
	count_accesses(in);
	coverage_all(&pc, in);
	tm_pagecount_destroy(&pc);
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
