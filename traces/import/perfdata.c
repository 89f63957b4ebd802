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
	    (!pd.pipe && (pd_read_attrs(&pd) || read_features(&pd))) ||
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
