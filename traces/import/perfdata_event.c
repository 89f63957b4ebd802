/*
 * perfdata_event.c - the events of a perf.data file (docs/importers.md;
 * the formats are described in perfdata.c): attrs (the header's section,
 * or pipe mode's HEADER_ATTR records) and EVENT_DESC names, the sample id
 * map and the --event choice, one sample's fields into a record, and what
 * every part shares (errors inside decompressed data, the thread table).
 * perfdata.c (the file) and perfdata_stream.c (its records) call into this
 * file, never the other way.
 */
#include "perfdata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/le.h"

int pd_zstd_where(const struct pd *pd, uint64_t off, int rc)
{
	size_t n;

	if (!pd->in_z || !pd->err)
		return rc;
	n = strlen(pd->err->msg);
	snprintf(pd->err->msg + n, sizeof(pd->err->msg) - n, " (in the zstd "
		 "stream, decompressed byte %llu; the compressed record that "
		 "ends it is at @%llu)", (unsigned long long)(pd->zpos + off),
		 (unsigned long long)pd->zrec_off);
	return rc;
}

struct pd_thread *pd_find_thread(struct pd *pd, uint32_t tid)
{
	if (pd->nr_threads && pd->threads[pd->last_thread].tid == tid)
		return &pd->threads[pd->last_thread];
	for (size_t i = 0; i < pd->nr_threads; i++)
		if (pd->threads[i].tid == tid)
			return &pd->threads[pd->last_thread = i];
	return NULL;
}

static uint64_t attr_u64(const uint8_t *a, uint32_t asz, uint32_t off)
{
	return off + 8 <= asz ? tm_le64(a + off) : 0; /* older attrs lack the field */
}

/* A new attr, its fields read from the asz bytes at off of the input. */
static struct pd_attr *add_attr(struct pd *pd, uint64_t off, uint32_t asz)
{
	const uint8_t *a = pd->file + off;
	struct pd_attr *at;

	if (pd->nr_attrs == pd->cap_attrs) {
		pd->cap_attrs = pd->cap_attrs ? 2 * pd->cap_attrs : 4;
		pd->attrs = tm_xrealloc(pd->attrs, pd->cap_attrs * sizeof(*pd->attrs));
	}
	at = &pd->attrs[pd->nr_attrs];
	memset(at, 0, sizeof(*at));
	at->off = off;
	at->period = attr_u64(a, asz, A_PERIOD);
	at->sample_type = attr_u64(a, asz, A_SAMPLE_TYPE);
	at->read_format = attr_u64(a, asz, A_READ_FORMAT);
	at->freq = attr_u64(a, asz, A_FLAGS) & A_FLAG_FREQ;
	at->branch_type = attr_u64(a, asz, A_BRANCH_TYPE);
	at->regs_user = attr_u64(a, asz, A_REGS_USER);
	at->regs_intr = attr_u64(a, asz, A_REGS_INTR);
	snprintf(at->name, sizeof(at->name), "attr%llu",
		 (unsigned long long)pd->nr_attrs);
	pd->nr_attrs++;
	pd->ready = false;
	return at;
}

/* File mode: entry i of the attrs section. */
static int read_attr(struct pd *pd, uint64_t i)
{
	uint64_t esz = pd->attr_size - 16, off = pd->attrs_off + i * pd->attr_size;
	uint32_t asz = tm_le32(pd->p + off + A_SIZE);
	struct pd_attr *at;
	uint64_t ids_sz;

	if (asz < ATTR_SZ_VER0 || asz > esz)
		return pd_err(pd, off + A_SIZE, "attr %llu: size %u; expected %d..%llu "
			      "(attr_size - 16)", (unsigned long long)i, asz,
			      ATTR_SZ_VER0, (unsigned long long)esz);
	at = add_attr(pd, off, asz);
	if (section(pd, off + esz, "ids", &at->ids_off, &ids_sz))
		return -1;
	if (ids_sz % 8)
		return pd_err(pd, off + esz + 8, "attr %llu: ids section of %llu "
			      "bytes; expected a multiple of 8",
			      (unsigned long long)i, (unsigned long long)ids_sz);
	at->nr_ids = ids_sz / 8;
	return 0;
}

int pd_read_attrs(struct pd *pd)
{
	uint64_t nr = pd->nr_attrs;

	pd->nr_attrs = 0;
	for (uint64_t i = 0; i < nr; i++)
		if (read_attr(pd, i))
			return -1;
	return 0;
}

/* Pipe mode: HEADER_ATTR {header, attr (attr.size bytes), u64 ids[]}. */
int pd_read_header_attr(struct pd *pd, uint64_t off, uint32_t size)
{
	uint32_t asz;
	struct pd_attr *at;

	if (size < 8 + ATTR_SZ_VER0)
		return pd_err(pd, off + 6, "HEADER_ATTR record of %u bytes; expected "
			      "at least %d (header and attr)", size, 8 + ATTR_SZ_VER0);
	asz = tm_le32(pd->p + off + 8 + A_SIZE);
	if (asz < ATTR_SZ_VER0 || asz > size - 8 || (size - 8 - asz) % 8)
		return pd_err(pd, off + 8 + A_SIZE, "attr size %u in a HEADER_ATTR "
			      "record of %u bytes; expected %d..%u, leaving a "
			      "multiple of 8 bytes of ids", asz, size, ATTR_SZ_VER0,
			      size - 8);
	at = add_attr(pd, off + 8, asz);
	at->ids_off = off + 8 + asz;
	at->nr_ids = (size - 8 - asz) / 8;
	return 0;
}

/* HEADER_EVENT_DESC: u32 nr, u32 attr_size, then nr × {attr, u32 nr_ids,
 * u32 len, char name[len], u64 ids[nr_ids]}.  Names by position. */
int pd_read_event_desc(struct pd *pd, uint64_t off, uint64_t size)
{
	struct cur c = { pd->file, off, off + size };
	uint32_t nr, asz, nr_ids, len;

	if (cur_u32(pd, &c, "event count", &nr) ||
	    cur_u32(pd, &c, "event attr size", &asz))
		return -1;
	if (nr != pd->nr_attrs)
		return 0; /* cannot pair names with attrs: keep "attrN" */
	for (uint32_t i = 0; i < nr; i++) {
		if (cur_skip(pd, &c, asz, "event attr") ||
		    cur_u32(pd, &c, "event id count", &nr_ids) ||
		    cur_u32(pd, &c, "event name length", &len) ||
		    cur_skip(pd, &c, len, "event name"))
			return -1;
		size_t n = strnlen((const char *)pd->file + c.off - len, len);
		if (n >= NAME_MAX_LEN)
			n = NAME_MAX_LEN - 1;
		memcpy(pd->attrs[i].name, pd->file + c.off - len, n);
		pd->attrs[i].name[n] = '\0';
		if (cur_skip_n(pd, &c, nr_ids, 8, "event ids"))
			return -1;
	}
	pd->ready = false;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct pd_id *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void build_idmap(struct pd *pd)
{
	size_t n = 0;

	for (uint64_t i = 0; i < pd->nr_attrs; i++)
		n += pd->attrs[i].nr_ids;
	free(pd->ids);
	pd->nr_ids = 0;
	pd->ids = tm_xcalloc(n ? n : 1, sizeof(*pd->ids));
	for (uint64_t i = 0; i < pd->nr_attrs; i++)
		for (uint64_t k = 0; k < pd->attrs[i].nr_ids; k++) {
			pd->ids[pd->nr_ids].id = tm_le64(pd->file + pd->attrs[i].ids_off + 8 * k);
			pd->ids[pd->nr_ids++].idx = (uint32_t)i;
		}
	qsort(pd->ids, pd->nr_ids, sizeof(*pd->ids), cmp_id);
}

/* How a sample names its event: PERF_SAMPLE_IDENTIFIER at a fixed offset is
 * preferred (reference/peers.md (a) 2); else ID at the offset the common
 * sample_type gives. */
static int choose_id_mode(struct pd *pd)
{
	bool all_ident = true, same = true;

	pd->id_mode = ID_SINGLE;
	if (pd->nr_attrs == 1)
		return 0;
	for (uint64_t i = 0; i < pd->nr_attrs; i++) {
		all_ident &= !!(pd->attrs[i].sample_type & S_IDENTIFIER);
		same &= pd->attrs[i].sample_type == pd->attrs[0].sample_type;
	}
	if (all_ident)
		pd->id_mode = ID_IDENTIFIER;
	else if (same && (pd->attrs[0].sample_type & S_ID))
		pd->id_mode = ID_COMMON;
	else
		return pd_err(pd, pd->attrs_off, "%llu events whose samples cannot be "
			      "told apart; expected PERF_SAMPLE_IDENTIFIER, or one "
			      "sample_type with PERF_SAMPLE_ID",
			      (unsigned long long)pd->nr_attrs);
	build_idmap(pd);
	return 0;
}

static int lookup_id(struct pd *pd, uint64_t id, uint64_t off, uint32_t *idx)
{
	struct pd_id key = { .id = id };
	const struct pd_id *hit;

	hit = bsearch(&key, pd->ids, pd->nr_ids, sizeof(*pd->ids), cmp_id);
	if (!hit)
		return pd_err(pd, off, "sample id %llu; expected an id listed in the "
			      "attrs section", (unsigned long long)id);
	*idx = hit->idx;
	return 0;
}

static int select_event(struct pd *pd)
{
	const char *ev = tm_import_perf_event(pd->po);
	char list[512] = "";
	size_t n = 0;

	pd->selected = -1;
	if (!ev)
		return 0;
	if (ev[0] && strspn(ev, "0123456789") == strlen(ev)) {
		unsigned long long i = strtoull(ev, NULL, 10);

		if (i >= pd->nr_attrs)
			return tm_error_set(pd->err, TM_ERR_USAGE, "--event %s: attr "
					    "index; expected 0..%llu (see `perf "
					    "evlist -i %s`)", ev,
					    (unsigned long long)pd->nr_attrs - 1, pd->path);
		pd->selected = (int64_t)i;
		return 0;
	}
	for (uint64_t i = 0; i < pd->nr_attrs; i++) {
		if (!strcmp(pd->attrs[i].name, ev)) {
			pd->selected = (int64_t)i;
			return 0;
		}
		n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
				      "%s%s", i ? ", " : "", pd->attrs[i].name);
		if (n >= sizeof(list))
			n = sizeof(list);
	}
	return tm_error_set(pd->err, TM_ERR_USAGE, "--event %s: no such event in "
			    "%s; expected one of: %s (or an attr index)", ev,
			    pd->path, list);
}

/* Called at an attr's first kept sample, so attrs without samples (dummy
 * or aux leaders) never complain. */
static int check_attr(struct pd *pd, const struct pd_attr *a, uint64_t off)
{
	bool phys = pd->po->addr == TM_IMPORT_PHYS;

	if (!(a->sample_type & S_TIME))
		return pd_err(pd, off, "event %s: samples carry no TIME; expected "
			      "timestamps (perf record -T)", a->name);
	if (!(a->sample_type & (phys ? S_PHYS_ADDR : S_ADDR)))
		return pd_err(pd, off, "event %s: samples carry no %s; expected it "
			      "for --addr %s (perf record %s)", a->name,
			      phys ? "PHYS_ADDR" : "ADDR", phys ? "phys" : "virt",
			      phys ? "--phys-data" : "-d");
	if (a->freq && !(a->sample_type & S_PERIOD))
		return pd_err(pd, off, "event %s: sampled by frequency without "
			      "PERIOD; expected a fixed period (perf record -c N)",
			      a->name);
	return 0;
}

/* IDENTIFIER .. PERIOD, in sample_type bit order. */
static int parse_head(struct pd *pd, const struct pd_attr *a, struct cur *c,
		      struct pd_sample *s)
{
	uint64_t st = a->sample_type, cpu;

	if (((st & S_IDENTIFIER) && cur_u64(pd, c, "IDENTIFIER", &s->id)) ||
	    ((st & S_IP) && cur_skip(pd, c, 8, "IP")) ||
	    ((st & S_TID) && (cur_u32(pd, c, "TID pid", &s->pid) ||
			      cur_u32(pd, c, "TID tid", &s->tid))) ||
	    ((st & S_TIME) && cur_u64(pd, c, "TIME", &s->time)) ||
	    ((st & S_ADDR) && cur_u64(pd, c, "ADDR", &s->addr)) ||
	    ((st & S_ID) && cur_u64(pd, c, "ID", &s->id)) ||
	    ((st & S_STREAM_ID) && cur_skip(pd, c, 8, "STREAM_ID")) ||
	    ((st & S_CPU) && cur_u64(pd, c, "CPU", &cpu)) ||
	    ((st & S_PERIOD) && cur_u64(pd, c, "PERIOD", &s->period)))
		return -1;
	if (st & S_CPU)
		s->cpu = (uint32_t)cpu; /* {u32 cpu, res}: cpu is the low half */
	return 0;
}

static int skip_read(struct pd *pd, const struct pd_attr *a, struct cur *c)
{
	uint64_t rf = a->read_format, nr;
	uint64_t times = 8 * (!!(rf & F_TOTAL_TIME_ENABLED) + !!(rf & F_TOTAL_TIME_RUNNING));
	uint64_t entry = 8 * (1 + !!(rf & F_ID) + !!(rf & F_LOST));

	if (!(rf & F_GROUP))
		return cur_skip(pd, c, entry + times, "READ");
	return cur_u64(pd, c, "READ group size", &nr) ||
	       cur_skip(pd, c, times, "READ times") ||
	       cur_skip_n(pd, c, nr, entry, "READ group");
}

static int skip_regs(struct pd *pd, struct cur *c, uint64_t mask, const char *what)
{
	uint64_t abi;

	if (cur_u64(pd, c, what, &abi))
		return -1;
	return abi ? cur_skip_n(pd, c, (uint64_t)__builtin_popcountll(mask), 8, what) : 0;
}

static int skip_branch(struct pd *pd, const struct pd_attr *a, struct cur *c)
{
	uint64_t nr;

	if (cur_u64(pd, c, "BRANCH_STACK size", &nr) ||
	    ((a->branch_type & B_HW_INDEX) && cur_skip(pd, c, 8, "BRANCH_STACK hw_idx")) ||
	    cur_skip_n(pd, c, nr, BRANCH_ENTRY_SZ, "BRANCH_STACK"))
		return -1;
	return (a->branch_type & B_COUNTERS) ? cur_skip_n(pd, c, nr, 8, "BRANCH_STACK counters") : 0;
}

static int skip_sized(struct pd *pd, struct cur *c, bool u32_size, const char *what)
{
	uint64_t n;
	uint32_t n32;

	if (u32_size) {
		if (cur_u32(pd, c, what, &n32))
			return -1;
		n = n32;
	} else if (cur_u64(pd, c, what, &n)) {
		return -1;
	}
	return cur_skip(pd, c, n, what);
}

/* READ .. PHYS_ADDR; fields after PHYS_ADDR are not needed. */
static int parse_tail(struct pd *pd, const struct pd_attr *a, struct cur *c,
		      struct pd_sample *s)
{
	uint64_t st = a->sample_type, nr;

	if (((st & S_READ) && skip_read(pd, a, c)) ||
	    ((st & S_CALLCHAIN) && (cur_u64(pd, c, "CALLCHAIN size", &nr) ||
				    cur_skip_n(pd, c, nr, 8, "CALLCHAIN"))) ||
	    ((st & S_RAW) && skip_sized(pd, c, true, "RAW")) ||
	    ((st & S_BRANCH_STACK) && skip_branch(pd, a, c)) ||
	    ((st & S_REGS_USER) && skip_regs(pd, c, a->regs_user, "REGS_USER")))
		return -1;
	if (st & S_STACK_USER) {
		if (cur_u64(pd, c, "STACK_USER size", &nr) ||
		    cur_skip(pd, c, nr, "STACK_USER") ||
		    (nr && cur_skip(pd, c, 8, "STACK_USER dyn_size")))
			return -1;
	}
	if (((st & (S_WEIGHT | S_WEIGHT_STRUCT)) && cur_u64(pd, c, "WEIGHT", &s->weight)) ||
	    ((st & S_DATA_SRC) && cur_u64(pd, c, "DATA_SRC", &s->data_src)) ||
	    ((st & S_TRANSACTION) && cur_skip(pd, c, 8, "TRANSACTION")) ||
	    ((st & S_REGS_INTR) && skip_regs(pd, c, a->regs_intr, "REGS_INTR")) ||
	    ((st & S_PHYS_ADDR) && cur_u64(pd, c, "PHYS_ADDR", &s->phys)))
		return -1;
	if (st & S_WEIGHT_STRUCT)
		s->weight &= 0xffffffffu; /* var1_dw: the latency */
	return 0;
}

static int keep_sample(struct pd *pd, uint64_t off, uint32_t idx,
		       const struct pd_sample *s)
{
	struct pd_attr *a = &pd->attrs[idx];
	struct tm_record r = { 0 };
	uint64_t period;

	pd->st.nr_samples++;
	if (pd->selected >= 0 && idx != (uint64_t)pd->selected) {
		pd->st.nr_filtered++;
		return 0;
	}
	if (!a->checked && check_attr(pd, a, off))
		return -1;
	a->checked = true;
	r.addr = pd->po->addr == TM_IMPORT_PHYS ? s->phys : s->addr;
	if (!r.addr) {
		pd->st.nr_addr0++;
		return 0;
	}
	if (s->cpu >= TM_TRACE_VCPUS_MAX ||
	    (pd->o->nr_vcpus && s->cpu >= pd->o->nr_vcpus))
		return pd_err(pd, off, "sample on cpu %u; expected a cpu below %u",
			      s->cpu, pd->o->nr_vcpus ? pd->o->nr_vcpus : TM_TRACE_VCPUS_MAX);
	r.time_ns = s->time;
	r.cpu = (uint16_t)s->cpu;
	r.weight = s->weight > UINT32_MAX ? UINT32_MAX : (uint32_t)s->weight;
	r.op = (a->sample_type & S_DATA_SRC) ? tm_import_op_from_data_src(s->data_src)
					      : TM_OP_LOAD;
	period = (a->sample_type & S_PERIOD) ? s->period : a->period;
	/* the .tmt header stores periods as JSON integers below 2^63 */
	if (period > INT64_MAX)
		return pd_err(pd, off, "sample period %llu; expected at most 2^63 - 1",
			      (unsigned long long)period);
	tm_import_periods_add(&pd->per, r.op, period);
	tm_import_vec_push(&pd->vec, &r);
	if (pd->gp.by) {
		const struct pd_thread *t = pd_find_thread(pd, s->tid);

		tm_import_grouper_add(&pd->gp, s->pid, s->tid, s->cpu,
				      t ? t->comm : NULL);
	}
	return 0;
}

/* Once the attrs are known (pipe mode: at the first sample): how samples
 * name their event, and which event --event keeps. */
int pd_prepare(struct pd *pd, uint64_t off)
{
	if (!pd->nr_attrs)
		return pd_err(pd, off, "sample before any attr; expected "
			      "HEADER_ATTR records first (pipe-mode perf.data)");
	if (choose_id_mode(pd) || select_event(pd))
		return -1;
	pd->ready = true;
	return 0;
}

int pd_read_sample(struct pd *pd, uint64_t off, uint32_t size)
{
	struct cur c = { pd->p, off + 8, off + size };
	struct pd_sample s = { 0 };
	uint32_t idx = 0;

	if (!pd->ready && pd_prepare(pd, off))
		return -1;
	if (pd->id_mode == ID_IDENTIFIER) {
		if (size < 16)
			return pd_err(pd, off, "sample of %u bytes; expected at least "
				      "16 (header + IDENTIFIER)", size);
		if (lookup_id(pd, tm_le64(pd->p + off + 8), off + 8, &idx))
			return -1;
	}
	if (parse_head(pd, &pd->attrs[idx], &c, &s) ||
	    parse_tail(pd, &pd->attrs[idx], &c, &s))
		return -1;
	if (pd->id_mode == ID_COMMON && lookup_id(pd, s.id, off + 8, &idx))
		return -1;
	return keep_sample(pd, off, idx, &s);
}
