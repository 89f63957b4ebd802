/*
 * perfdata.c - the "perf-data" importer: reads perf.data ("PERFILE2", file
 * or pipe mode, a file or standard input) directly and yields its samples
 * as a samples trace.
 *
 * Layout (reference/peers.md (a), "perf.data from C"; perf's
 * Documentation/perf.data-file-format.txt; include/uapi/linux/perf_event.h):
 *   header   magic, size, attr_size, attrs{off,size}, data{off,size},
 *            event_types{off,size}, 256-bit feature bitmap     (104 bytes)
 *   attrs    nr × {perf_event_attr (attr_size - 16 bytes), ids{off,size}}
 *   data     records {u32 type; u16 misc; u16 size; body}, not time-sorted
 *   features at data end: one {off,size} per set feature bit, then contents
 * A PERF_RECORD_SAMPLE body holds the fields of the attr's sample_type in
 * bit order (IDENTIFIER first, WEIGHT_STRUCT in WEIGHT's place).
 * Pipe mode (`perf record -o -`): a 16-byte {magic, size} header, then
 * records only; attrs arrive as HEADER_ATTR records {attr, ids[]} and
 * features as HEADER_FEATURE records {u64 feature, contents}
 * (tools/perf/util/header.c; perf_event__synthesize_attrs/_features).
 * `perf record -z`: ring-buffer data arrives in COMPRESSED records {header,
 * zstd bytes} (COMPRESSED2 adds a u64 data_size and pads to 8 bytes); the
 * zstd bytes of all of them are one stream (tools/perf/util/zstd.c), whose
 * output is a record stream that may break a record across two of them.
 * LOST {id, lost} and LOST_SAMPLES {lost} count samples the kernel dropped;
 * they are summed into the stats (the .tmt header keeps them).
 * FINISHED_ROUND promises that no later record is older than the previous
 * round's newest; the stable sort by time over all kept samples gives the
 * order perf script prints (perf's ordered-events queue is stable too).
 *
 * What a sample becomes: time_ns = TIME - earliest kept TIME; addr = ADDR
 * (--addr virt) or PHYS_ADDR (--addr phys), samples with address 0 dropped
 * and counted; cpu = CPU; op = store if DATA_SRC mem_op says STORE, else
 * load; weight = WEIGHT, or var1 (low 32 bits) of WEIGHT_STRUCT, clamped
 * to 32 bits.  Period of a sample = its PERIOD field when sampled, else the
 * attr's sample_period; the header's periods are the means per op.
 *
 * Notes (simplifications): the file is mapped (standard input and pipes
 * are read whole into memory) and every kept sample held in memory before
 * the stable sort by time, rather than merged round by round; directory
 * (--threads) and foreign-endian files are rejected with the fix; event
 * names come from HEADER_EVENT_DESC when present.  For --split, a thread's
 * comm is the last COMM record for it before the sample in file order
 * (FORK copies the parent's), which is perf's answer unless a COMM record
 * is written out of time order around an exec.
 */
#include "import_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "lib/alloc.h"
#include "lib/le.h"

#include "perfdata_internal.h"

/* Is [off, off + n) inside the file? (n may come from the file.) */
static bool in_file(const struct pd *pd, uint64_t off, uint64_t n)
{
	return off <= pd->sz && n <= pd->sz - off;
}

static bool feat_set(const struct pd *pd, unsigned bit)
{
	return pd->feat[bit / 8] & (1u << (bit % 8));
}

/* Advance c by n bytes of field `what`, or fail naming the field. */
static int cur_skip(struct pd *pd, struct cur *c, uint64_t n, const char *what)
{
	if (n > c->end - c->off)
		return pd_err(pd, c->off, "%s of %llu bytes runs past the end of its "
			      "record (%llu bytes left); expected a record laid "
			      "out as its header and attr say", what,
			      (unsigned long long)n,
			      (unsigned long long)(c->end - c->off));
	c->off += n;
	return 0;
}

/* Skip nr entries of sz bytes each; nr comes from the file. */
static int cur_skip_n(struct pd *pd, struct cur *c, uint64_t nr, uint64_t sz,
		      const char *what)
{
	if (sz && nr > (c->end - c->off) / sz)
		return pd_err(pd, c->off, "%s: %llu entries of %llu bytes run past "
			      "the end of the record (%llu bytes left); expected "
			      "a smaller count", what, (unsigned long long)nr,
			      (unsigned long long)sz,
			      (unsigned long long)(c->end - c->off));
	c->off += nr * sz;
	return 0;
}

static int cur_u32(struct pd *pd, struct cur *c, const char *what, uint32_t *v)
{
	if (cur_skip(pd, c, 4, what))
		return -1;
	*v = tm_le32(c->p + c->off - 4);
	return 0;
}

static int cur_u64(struct pd *pd, struct cur *c, const char *what, uint64_t *v)
{
	if (cur_skip(pd, c, 8, what))
		return -1;
	*v = tm_le64(c->p + c->off - 8);
	return 0;
}

/* Standard input or a pipe: read whole (pipe-mode perf.data is made to
 * be piped). */
static int slurp_fd(struct pd *pd, int fd)
{
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;

	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1u << 20;
			buf = tm_xrealloc(buf, cap);
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	pd->p = buf;
	pd->sz = n;
	if (got < 0)
		return tm_error_set(pd->err, TM_ERR_IO, "%s: read error: %s",
				    pd->path, strerror(errno));
	return 0;
}

static int map_file(struct pd *pd)
{
	struct stat st;
	bool in = !strcmp(pd->path, "-");
	int fd = in ? STDIN_FILENO : open(pd->path, O_RDONLY);
	int rc = 0;

	if (fd < 0)
		return tm_error_set(pd->err, TM_ERR_NOTFOUND, "%s: cannot open: %s",
				    pd->path, strerror(errno));
	if (fstat(fd, &st) || S_ISDIR(st.st_mode)) {
		close(fd);
		return tm_error_set(pd->err, TM_ERR_FORMAT, "%s: is a directory (perf "
				    "record --threads writes one); expected a "
				    "perf.data file: re-record without --threads",
				    pd->path);
	}
	if (!S_ISREG(st.st_mode)) {
		rc = slurp_fd(pd, fd);
	} else if ((pd->sz = (uint64_t)st.st_size) >= PIPE_HEADER_SZ) {
		pd->p = mmap(NULL, pd->sz, PROT_READ, MAP_PRIVATE, fd, 0);
		pd->mapped = pd->p != MAP_FAILED;
		if (!pd->mapped) {
			pd->p = NULL;
			rc = tm_error_set(pd->err, TM_ERR_IO, "%s: cannot map: %s",
					  pd->path, strerror(errno));
		}
	}
	if (!in)
		close(fd);
	pd->file = pd->p;
	pd->file_sz = pd->sz;
	if (!rc && pd->sz < PIPE_HEADER_SZ)
		return pd_err(pd, 0, "input of %llu bytes; expected at least a "
			      "%d-byte perf.data header", (unsigned long long)pd->sz,
			      PIPE_HEADER_SZ);
	return rc;
}

static int check_magic(struct pd *pd)
{
	if (!memcmp(pd->p, "PERFILE2", 8))
		return 0;
	if (!memcmp(pd->p, "2ELIFREP", 8))
		return pd_err(pd, 0, "perf.data written on a machine of the other "
			      "byte order; expected a little-endian file: run "
			      "`perf script` on the recording machine and use "
			      "--from perf-script");
	if (!memcmp(pd->p, "PERFFILE", 8))
		return pd_err(pd, 0, "perf.data version 1 (PERFFILE); expected "
			      "PERFILE2: re-record with a perf newer than 2.6.37");
	return pd_err(pd, 0, "bad magic; expected \"PERFILE2\" (is this a "
		      "perf.data file?)");
}

static int section(struct pd *pd, uint64_t hoff, const char *name,
		   uint64_t *off, uint64_t *size)
{
	*off = tm_le64(pd->p + hoff);
	*size = tm_le64(pd->p + hoff + 8);
	if (!in_file(pd, *off, *size))
		return pd_err(pd, hoff, "%s section [%llu, +%llu) ends past the end "
			      "of the file (%llu bytes); expected a complete "
			      "perf.data (truncated copy?)", name,
			      (unsigned long long)*off, (unsigned long long)*size,
			      (unsigned long long)pd->sz);
	return 0;
}

static int read_header(struct pd *pd)
{
	uint64_t hsz, attrs_sz, data_sz;

	if (check_magic(pd))
		return -1;
	hsz = tm_le64(pd->p + 8);
	if (hsz == PIPE_HEADER_SZ) {
		pd->pipe = true;
		pd->data_off = PIPE_HEADER_SZ;
		pd->data_end = pd->sz;
		return 0;
	}
	if (hsz != HEADER_SZ && hsz != HEADER_SZ_OLD)
		return pd_err(pd, 8, "header size %llu; expected %d",
			      (unsigned long long)hsz, HEADER_SZ);
	if (pd->sz < hsz)
		return pd_err(pd, 0, "file of %llu bytes; expected at least the "
			      "%llu-byte header", (unsigned long long)pd->sz,
			      (unsigned long long)hsz);
	pd->attr_size = tm_le64(pd->p + 16);
	if (pd->attr_size < ATTR_SZ_VER0 + 16 || pd->attr_size > ATTR_SZ_MAX)
		return pd_err(pd, 16, "attr_size %llu; expected %d..%d",
			      (unsigned long long)pd->attr_size, ATTR_SZ_VER0 + 16,
			      ATTR_SZ_MAX);
	if (section(pd, 24, "attrs", &pd->attrs_off, &attrs_sz) ||
	    section(pd, 40, "data", &pd->data_off, &data_sz))
		return -1;
	if (!attrs_sz || attrs_sz % pd->attr_size)
		return pd_err(pd, 32, "attrs section of %llu bytes; expected a "
			      "non-zero multiple of attr_size %llu",
			      (unsigned long long)attrs_sz,
			      (unsigned long long)pd->attr_size);
	if (!data_sz)
		return pd_err(pd, 48, "empty data section; expected samples (did "
			      "perf record finish?)");
	pd->data_end = pd->data_off + data_sz;
	pd->nr_attrs = attrs_sz / pd->attr_size;
	if (hsz == HEADER_SZ)
		memcpy(pd->feat, pd->p + 72, sizeof(pd->feat));
	return 0;
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

static int read_attrs(struct pd *pd)
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

static int read_features(struct pd *pd)
{
	uint64_t tab = pd->data_end, nr = 0, j = 0;

	if (feat_set(pd, FEAT_DIR_FORMAT))
		return pd_err(pd, 72 + FEAT_DIR_FORMAT / 8, "perf.data in directory "
			      "format; expected one file: re-record without --threads");
	for (unsigned bit = 0; bit < 256; bit++)
		nr += feat_set(pd, bit);
	if (!in_file(pd, tab, nr * 16))
		return pd_err(pd, tab, "feature table of %llu entries ends past the "
			      "end of the file (%llu bytes); expected a complete "
			      "perf.data (truncated copy?)", (unsigned long long)nr,
			      (unsigned long long)pd->sz);
	for (unsigned bit = 0; bit < 256; bit++) {
		uint64_t off, size;

		if (!feat_set(pd, bit))
			continue;
		if (section(pd, tab + 16 * j++, "feature", &off, &size))
			return -1;
		if (bit == FEAT_EVENT_DESC && pd_read_event_desc(pd, off, size))
			return -1;
	}
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

static int pd_open(const char *path, const void *config,
		   const struct tm_import_opts *o, struct tm_stream **out,
		   struct tm_error *err)
{
	struct pd pd = { .path = path, .o = o, .po = config, .err = err,
			 .selected = -1 };
	struct tm_trace_info info;
	const struct pd_attr *sel;
	uint64_t fallback = 1;
	int rc = -1;

	*out = NULL;
	tm_import_grouper_init(&pd.gp, o->split);
	if (map_file(&pd) || read_header(&pd) ||
	    (!pd.pipe && (read_attrs(&pd) || read_features(&pd))) ||
	    pd_read_data(&pd))
		goto out;
	sel = &pd.attrs[pd.selected < 0 ? 0 : pd.selected];
	if (!sel->freq)
		fallback = sel->period;
	/* the .tmt header stores periods as JSON integers below 2^63 */
	if (fallback > INT64_MAX) {
		pd_err(&pd, sel->off + A_PERIOD, "sample_period %llu; expected at "
		       "most 2^63 - 1", (unsigned long long)fallback);
		goto out;
	}
	tm_import_info_init(&info, o, path);
	if (pd.po->addr == TM_IMPORT_PHYS)
		info.space = TM_ADDR_GPA;
	tm_import_periods_info(&pd.per, fallback, &info);
	pd.st.nr_records = pd.vec.nr;
	pd.st.nr_events = (uint32_t)pd.nr_attrs;
	pd.st.pipe = pd.pipe;
	tm_import_finish(&pd.vec, &pd.gp, &info, o, out);
	if (o->stats)
		*o->stats = pd.st;
	rc = 0;
out:
	if (pd.mapped)
		munmap((void *)pd.file, pd.file_sz);
	else
		free((void *)pd.file);
	ZSTD_freeDStream(pd.zds);
	free(pd.zbuf);
	free(pd.threads);
	free(pd.attrs);
	free(pd.ids);
	tm_import_grouper_free(&pd.gp);
	tm_import_vec_free(&pd.vec);
	return rc;
}

static const struct tm_cfg_key pd_keys[] = { TM_IMPORT_PERF_ROWS };

const struct tm_importer_ops tm_importer_perf_data = {
	.kind = {
		.name = "perf-data",
		.help = "perf.data (file or pipe mode, -z too; - for standard "
			"input) from perf record -d [--phys-data] ...",
		.keys = pd_keys,
		.nr_keys = sizeof(pd_keys) / sizeof(pd_keys[0]),
		.config_size = sizeof(struct tm_import_perf_opts),
		.flags = TM_IMPORT_SPLITS,
	},
	.open = pd_open,
	.provenance = tm_import_perf_provenance,
};
