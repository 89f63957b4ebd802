/*
 * part.c - partial results folders (tmsim run --shard I/N) and their merge
 * (tmsim merge): DESIGN.md §11, docs/outputs.md "Partial results folders".
 *
 * A shard simulates the hosts h of the config with h % N == I (lib/shard.h).
 * Its folder holds timeseries.part.csv and epochs.part.csv (the header, then
 * the rows of its hosts in host order, as a run keeps them) and part.json,
 * renamed last: the shard I/N, a hash of the resolved config, and per host
 * its summary.json object, the byte count of its rows in each CSV file and
 * the exact per-VM aggregates of the cross-host figures (aggregate.h).  A
 * part has no summary.json, so nothing that reads results takes it for a
 * run.  part.json prints reals with 17 significant digits: every double
 * reads back exactly.
 *
 * The merge checks that the parts come from one config and one version of
 * tmsim and cover every shard once, takes host h from part h % N, and
 * computes the cluster figures with the functions a run uses, in the same
 * order: the files come out byte for byte as one unsharded run writes them.
 *
 * Notes: the hash identifies the resolved config (trace paths included), not
 * the bytes of the trace files; the merge holds every part in memory (about
 * the size of the merged outputs).
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/alloc.h"
#include "lib/shard.h"
#include "lib/strbuf.h"
#include "lib/version.h"
#include "aggregate.h"
#include "output_internal.h"

#define PART_JSON "part.json"
static const char *const part_csv[2] = { "timeseries.part.csv",
					 "epochs.part.csv" };
static const char *const full_csv[2] = { "timeseries.csv", "epochs.csv" };
static const char *const bytes_key[2] = { "timeseries_bytes",
					  "epochs_bytes" };

/* FNV-1a (64-bit) of the config echo, compact, with exact reals. */
static void config_hash(const json_t *config, char out[17])
{
	char *text = json_dumps(config, JSON_COMPACT |
				JSON_REAL_PRECISION(TM_OUTPUT_EXACT_DIGITS));
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const char *p = text ? text : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= UINT64_C(0x100000001b3);
	}
	free(text);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int file_exists(const char *dir, const char *name)
{
	char path[TM_PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* ---- writing a part --------------------------------------------------- */

static json_t *part_hosts_json(const struct tm_sim *sim)
{
	struct tm_host_agg *aggs = tm_xcalloc(sim->nr_hosts + 1, sizeof(*aggs));
	json_t *summaries = json_array(), *hosts = json_array();

	tm_output_hosts_of(sim, summaries, aggs);
	for (uint32_t h = 0; h < sim->nr_hosts; h++) {
		const struct tm_host_rt *hr = &sim->hosts[h];

		json_array_append_new(hosts, json_pack(
			"{s:I, s:s, s:I, s:I, s:O, s:o}",
			"index", (json_int_t)hr->index, "name", hr->cfg->name,
			bytes_key[0], (json_int_t)hr->ts.len,
			bytes_key[1], (json_int_t)hr->ep.len,
			"summary", json_array_get(summaries, h),
			"aggregate", tm_agg_host_to_json(&aggs[h])));
		tm_agg_host_free(&aggs[h]);
	}
	json_decref(summaries);
	free(aggs);
	return hosts;
}

static json_t *part_json(const struct tm_sim *sim, uint32_t shard_i,
			 uint32_t shard_n)
{
	const struct tm_config *cfg = sim->cfg;
	json_t *config = tm_config_to_json(cfg);
	struct tm_agg_params p;
	char hash[17];

	tm_agg_params_of(cfg, &p);
	config_hash(config, hash);
	return json_pack("{s:b, s:s, s:s, s:i, s:s, s:I, s:I, s:{s:I, s:I}, "
			 "s:s, s:I, s:o, s:o, s:o}",
		"partial", 1,
		"about", "one shard of a run, not a result: tmsim merge joins "
			 "every shard into summary.json, timeseries.csv and "
			 "epochs.csv",
		"tmsim_version", TM_VERSION,
		"format_version", TM_OUTPUT_FORMAT_VERSION,
		"name", cfg->name,
		"seed", (json_int_t)cfg->seed,
		"duration_ns", (json_int_t)cfg->duration_ns,
		"shard", "index", (json_int_t)shard_i,
			 "count", (json_int_t)shard_n,
		"config_hash", hash,
		"nr_hosts", (json_int_t)cfg->nr_hosts,
		"params", tm_agg_params_to_json(&p),
		"hosts", part_hosts_json(sim),
		"config", config);
}

int tm_output_write_part(const struct tm_sim *sim, uint32_t shard_i,
			 uint32_t shard_n, const char *dir,
			 struct tm_error *err)
{
	char path[TM_PATH_MAX + 64];
	size_t len;
	char *text;
	int rc;

	if (tm_mkdir_p(dir, err))
		return -1;
	TM_RETURN_IF(file_exists(dir, "summary.json"), err, TM_ERR_USAGE,
		     "%s: holds the results of a run (summary.json); write "
		     "the shard into another folder", dir);
	/* An older part.json goes first: until the new one is renamed in,
	 * the folder is not a finished part. */
	snprintf(path, sizeof(path), "%s/%s", dir, PART_JSON);
	if (unlink(path) && errno != ENOENT)
		return tm_error_set(err, TM_ERR_IO, "%s: cannot remove: %s",
				    path, strerror(errno));
	for (int ep = 0; ep < 2; ep++) {
		text = tm_output_rows(sim, ep, &len);
		rc = tm_output_write_file(dir, part_csv[ep], text, len, err);
		free(text);
		if (rc)
			return -1;
	}
	return tm_output_write_json(dir, PART_JSON,
				    part_json(sim, shard_i, shard_n),
				    TM_OUTPUT_EXACT_DIGITS, err);
}

/* ---- reading a part --------------------------------------------------- */

struct part {
	const char *dir;
	char path[TM_PATH_MAX + 64];    /* its part.json */
	json_t *j, *hosts, *config, *params;
	const char *hash, *name;
	json_int_t shard_i, shard_n, nr_hosts, seed, duration_ns;
	char *csv[2];                   /* the two .part.csv files */
	size_t len[2], off[2];          /* their lengths, read positions */
};

static int read_whole(const char *path, char **out, size_t *len,
		      struct tm_error *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	if (!f)
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: cannot read: %s",
				    path, strerror(errno));
	if (fstat(fileno(f), &st) || st.st_size < 0) {
		fclose(f);
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: cannot read: %s",
				    path, strerror(errno));
	}
	buf = tm_xmalloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (*len != (size_t)st.st_size) {
		free(buf);
		return tm_error_set(err, TM_ERR_FORMAT, "%s: short read",
				    path);
	}
	*out = buf;
	return 0;
}

/* part.json present, or why the folder is not a part. */
static int find_part(struct part *p, struct tm_error *err)
{
	struct stat st;

	if (stat(p->dir, &st) || !S_ISDIR(st.st_mode))
		return tm_error_set(err, TM_ERR_NOTFOUND, "%s: no such folder",
				    p->dir);
	snprintf(p->path, sizeof(p->path), "%s/%s", p->dir, PART_JSON);
	if (stat(p->path, &st) == 0)
		return 0;
	if (file_exists(p->dir, "summary.json"))
		return tm_error_set(err, TM_ERR_USAGE, "%s: the results of a "
				    "whole run (summary.json), not a partial "
				    "folder of tmsim run --shard I/N", p->dir);
	return tm_error_set(err, TM_ERR_FORMAT, "%s: no %s: not a partial "
			    "results folder, or its shard did not finish "
			    "(tmsim run --shard writes %s last)", p->dir,
			    PART_JSON, PART_JSON);
}

struct key_type {
	const char *key;
	char type;       /* b(oolean) s(tring) i(nteger) o(bject) a(rray) */
};

/* Each key present with its type, or "where: key: expected ...". */
static int check_keys(const json_t *o, const struct key_type *k, size_t nr,
		      const char *where, struct tm_error *err)
{
	for (size_t i = 0; i < nr; i++) {
		const json_t *v = json_object_get(o, k[i].key);
		int ok = k[i].type == 'b' ? json_is_boolean(v) :
			 k[i].type == 's' ? json_is_string(v) :
			 k[i].type == 'i' ? json_is_integer(v) :
			 k[i].type == 'o' ? json_is_object(v) : json_is_array(v);

		TM_RETURN_IF(!ok, err, TM_ERR_FORMAT, "%s: %s: %s, expected %s",
			     where, k[i].key, v ? "wrong type" : "missing",
			     k[i].type == 'b' ? "true or false" :
			     k[i].type == 's' ? "a string" :
			     k[i].type == 'i' ? "a whole number" :
			     k[i].type == 'o' ? "an object" : "an array");
	}
	return 0;
}

static const struct key_type top_keys[] = {
	{ "partial", 'b' }, { "tmsim_version", 's' },
	{ "format_version", 'i' }, { "name", 's' }, { "seed", 'i' },
	{ "duration_ns", 'i' }, { "shard", 'o' }, { "config_hash", 's' },
	{ "nr_hosts", 'i' }, { "params", 'o' }, { "hosts", 'a' },
	{ "config", 'o' },
};
static const struct key_type shard_keys[] = {
	{ "index", 'i' }, { "count", 'i' },
};
static const struct key_type host_keys[] = {
	{ "index", 'i' }, { "timeseries_bytes", 'i' }, { "epochs_bytes", 'i' },
	{ "summary", 'o' }, { "aggregate", 'o' },
};
#define NR(a) (sizeof(a) / sizeof((a)[0]))

/* The top level of part.json: kinds, version, shard, hash. */
static int check_top(struct part *p, struct tm_error *err)
{
	json_error_t je;
	const char *ver;
	int partial, fmt;
	char hash[17];

	char where[sizeof(p->path) + 16];

	snprintf(where, sizeof(where), "%s: shard", p->path);
	TM_RETURN_IF(!json_is_object(p->j), err, TM_ERR_FORMAT,
		     "%s: expected an object", p->path);
	if (check_keys(p->j, top_keys, NR(top_keys), p->path, err) ||
	    check_keys(json_object_get(p->j, "shard"), shard_keys,
		       NR(shard_keys), where, err))
		return -1;
	if (json_unpack_ex(p->j, &je, 0, "{s:b, s:s, s:i, s:s, s:I, s:I, "
			   "s:{s:I, s:I}, s:s, s:I, s:o, s:o, s:o}",
			   "partial", &partial, "tmsim_version", &ver,
			   "format_version", &fmt, "name", &p->name,
			   "seed", &p->seed, "duration_ns", &p->duration_ns,
			   "shard", "index", &p->shard_i, "count", &p->shard_n,
			   "config_hash", &p->hash, "nr_hosts", &p->nr_hosts,
			   "params", &p->params, "hosts", &p->hosts,
			   "config", &p->config))
		return tm_error_set(err, TM_ERR_FORMAT, "%s: %s", p->path,
				    je.text);
	TM_RETURN_IF(!partial || fmt != TM_OUTPUT_FORMAT_VERSION, err,
		     TM_ERR_FORMAT, "%s: expected partial: true and "
		     "format_version %d", p->path, TM_OUTPUT_FORMAT_VERSION);
	TM_RETURN_IF(strcmp(ver, TM_VERSION), err, TM_ERR_USAGE,
		     "%s: written by tmsim %s, this is tmsim %s: merge with the "
		     "binary that ran the shards", p->path, ver, TM_VERSION);
	TM_RETURN_IF(p->shard_n < 1 || p->shard_n > TM_SHARD_MAX_COUNT ||
		     p->shard_i < 0 || p->shard_i >= p->shard_n ||
		     p->nr_hosts < 0 || p->nr_hosts > UINT32_MAX ||
		     p->seed < 0 || p->duration_ns < 0 ||
		     !json_is_array(p->hosts), err, TM_ERR_FORMAT,
		     "%s: shard, nr_hosts, seed, duration_ns or hosts out of "
		     "range", p->path);
	config_hash(p->config, hash);
	TM_RETURN_IF(strcmp(hash, p->hash), err, TM_ERR_FORMAT,
		     "%s: config_hash %s does not match its config (%s): the "
		     "file was changed after the run", p->path, p->hash, hash);
	return 0;
}

/* Host k of shard I/N is host I + k*N; its rows end a line each. */
static int check_hosts(struct part *p, const size_t hdr[2],
		       struct tm_error *err)
{
	uint64_t want = p->nr_hosts > p->shard_i ?
		(uint64_t)(p->nr_hosts - p->shard_i - 1) / (uint64_t)p->shard_n
		+ 1 : 0;
	uint64_t sum[2] = { 0, 0 };
	json_int_t index, n[2];
	json_error_t je;
	json_t *sm;

	TM_RETURN_IF(json_array_size(p->hosts) != want, err, TM_ERR_FORMAT,
		     "%s: %zu hosts, shard %lld/%lld of %lld hosts has %llu",
		     p->path, json_array_size(p->hosts), (long long)p->shard_i,
		     (long long)p->shard_n, (long long)p->nr_hosts,
		     (unsigned long long)want);
	for (size_t k = 0; k < want; k++) {
		char where[sizeof(p->path) + 32];

		snprintf(where, sizeof(where), "%s: hosts[%zu]", p->path, k);
		if (!json_is_object(json_array_get(p->hosts, k)))
			return tm_error_set(err, TM_ERR_FORMAT, "%s: expected "
					    "an object", where);
		if (check_keys(json_array_get(p->hosts, k), host_keys,
			       NR(host_keys), where, err))
			return -1;
		if (json_unpack_ex(json_array_get(p->hosts, k), &je, 0,
				   "{s:I, s:I, s:I, s:o}", "index", &index,
				   bytes_key[0], &n[0], bytes_key[1], &n[1],
				   "summary", &sm))
			return tm_error_set(err, TM_ERR_FORMAT, "%s: hosts[%zu]:"
					    " %s", p->path, k, je.text);
		TM_RETURN_IF(index != p->shard_i + (json_int_t)k * p->shard_n ||
			     n[0] < 0 || n[1] < 0 || !json_is_object(sm), err,
			     TM_ERR_FORMAT, "%s: hosts[%zu]: expected host %lld "
			     "with byte counts and a summary object", p->path,
			     k, (long long)(p->shard_i + (json_int_t)k *
					    p->shard_n));
		sum[0] += (uint64_t)n[0];
		sum[1] += (uint64_t)n[1];
	}
	for (int ep = 0; ep < 2; ep++)
		TM_RETURN_IF(sum[ep] != p->len[ep] - hdr[ep], err,
			     TM_ERR_FORMAT, "%s/%s: %zu bytes of rows, %s "
			     "counts %llu: the file is not this part's",
			     p->dir, part_csv[ep], p->len[ep] - hdr[ep],
			     p->path, (unsigned long long)sum[ep]);
	return 0;
}

static int load_part(struct part *p, struct tm_error *err)
{
	const char *header[2] = { tm_output_ts_header, tm_output_ep_header };
	size_t hdr[2] = { strlen(header[0]), strlen(header[1]) };
	char path[TM_PATH_MAX + 64];
	json_error_t je;

	if (find_part(p, err))
		return -1;
	p->j = json_load_file(p->path, 0, &je);
	if (!p->j)
		return tm_error_at_line(err, TM_ERR_FORMAT, p->path,
					(unsigned long long)je.line,
					(size_t)je.column, "%s", je.text);
	if (check_top(p, err))
		return -1;
	for (int ep = 0; ep < 2; ep++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, part_csv[ep]);
		if (read_whole(path, &p->csv[ep], &p->len[ep], err))
			return -1;
		TM_RETURN_IF(p->len[ep] < hdr[ep] ||
			     memcmp(p->csv[ep], header[ep], hdr[ep]), err,
			     TM_ERR_FORMAT, "%s:1: expected the header of %s",
			     path, full_csv[ep]);
		p->off[ep] = hdr[ep];
	}
	return check_hosts(p, hdr, err);
}

static void part_free(struct part *p)
{
	json_decref(p->j);
	free(p->csv[0]);
	free(p->csv[1]);
}

/* ---- the merge -------------------------------------------------------- */

/* One config, one split, every shard once: by_shard[I] = the part of I. */
static int check_set(struct part *parts, uint32_t nr, struct part **by_shard,
		     struct tm_error *err)
{
	struct part *a = &parts[0];
	struct tm_strbuf miss = { 0 };
	uint32_t nr_miss = 0;

	for (uint32_t k = 0; k < nr; k++) {
		struct part *b = &parts[k];

		TM_RETURN_IF(strcmp(a->hash, b->hash), err, TM_ERR_USAGE,
			     "%s and %s are parts of different configs "
			     "(config_hash %s and %s)", a->dir, b->dir,
			     a->hash, b->hash);
		TM_RETURN_IF(a->nr_hosts != b->nr_hosts, err, TM_ERR_FORMAT,
			     "%s and %s: %lld and %lld hosts under one "
			     "config_hash", a->dir, b->dir,
			     (long long)a->nr_hosts, (long long)b->nr_hosts);
		TM_RETURN_IF(a->shard_n != b->shard_n, err, TM_ERR_USAGE,
			     "%s is shard %lld/%lld but %s is shard %lld/%lld: "
			     "parts of different splits", a->dir,
			     (long long)a->shard_i, (long long)a->shard_n,
			     b->dir, (long long)b->shard_i,
			     (long long)b->shard_n);
		TM_RETURN_IF(by_shard[b->shard_i], err, TM_ERR_USAGE,
			     "shard %lld/%lld given twice: %s and %s",
			     (long long)b->shard_i, (long long)b->shard_n,
			     by_shard[b->shard_i]->dir, b->dir);
		by_shard[b->shard_i] = b;
	}
	for (json_int_t i = 0; i < a->shard_n; i++)
		if (!by_shard[i] && nr_miss++ < 8)
			tm_strbuf_printf(&miss, "%s%lld/%lld", nr_miss > 1 ?
					 ", " : "", (long long)i,
					 (long long)a->shard_n);
	if (nr_miss)
		tm_error_set(err, TM_ERR_USAGE, "missing shard%s %s%s (tmsim "
			     "run CONFIG --shard I/N -o PART writes each)",
			     nr_miss > 1 ? "s" : "", miss.p,
			     nr_miss > 8 ? ", ..." : "");
	tm_strbuf_free(&miss);
	return nr_miss ? -1 : 0;
}

/* Host h's summary object, aggregates and rows, from part h % N. */
static int take_host(struct part *p, uint32_t h, json_t *hosts,
		     struct tm_host_agg *agg, struct tm_strbuf out[2],
		     struct tm_error *err)
{
	json_t *hj = json_array_get(p->hosts, (size_t)(h / p->shard_n));
	char where[TM_PATH_MAX + 96];

	snprintf(where, sizeof(where), "%s: host %u: aggregate", p->path, h);
	if (tm_agg_host_from_json(agg, json_object_get(hj, "aggregate"),
				  where, err))
		return -1;
	TM_RETURN_IF(agg->index != h, err, TM_ERR_FORMAT, "%s: index %u, "
		     "expected %u", where, agg->index, h);
	json_array_append(hosts, json_object_get(hj, "summary"));
	for (int ep = 0; ep < 2; ep++) {
		size_t n = (size_t)json_integer_value(
			json_object_get(hj, bytes_key[ep]));

		if (n)
			tm_strbuf_printf(&out[ep], "%.*s", (int)n,
					 p->csv[ep] + p->off[ep]);
		p->off[ep] += n;
		TM_RETURN_IF(n && p->csv[ep][p->off[ep] - 1] != '\n', err,
			     TM_ERR_FORMAT, "%s/%s: host %u's rows do not end "
			     "a line", p->dir, part_csv[ep], h);
	}
	return 0;
}

/* Lay out every host in config order and write the three files. */
static int assemble(struct part **by_shard, const char *dir,
		    struct tm_error *err)
{
	const struct part *a = by_shard[0];
	uint32_t nr = (uint32_t)a->nr_hosts;
	struct tm_host_agg *aggs = tm_xcalloc(nr + 1, sizeof(*aggs));
	struct tm_strbuf out[2] = { { 0 }, { 0 } };
	json_t *hosts = json_array(), *summary = NULL;
	struct tm_agg_params prm;
	int rc = -1;

	tm_strbuf_printf(&out[0], "%s", tm_output_ts_header);
	tm_strbuf_printf(&out[1], "%s", tm_output_ep_header);
	if (tm_agg_params_from_json(&prm, a->params, a->path, err))
		goto out;
	for (uint32_t h = 0; h < nr; h++)
		if (take_host(by_shard[h % a->shard_n], h, hosts, &aggs[h],
			      out, err))
			goto out;
	summary = tm_output_summary(a->name, (uint64_t)a->seed,
				    (uint64_t)a->duration_ns,
				    tm_agg_cluster_json(&prm, aggs, nr),
				    json_incref(hosts),
				    json_incref(a->config));
	if (tm_mkdir_p(dir, err) ||
	    tm_output_write_file(dir, full_csv[0], out[0].p, out[0].len, err) ||
	    tm_output_write_file(dir, full_csv[1], out[1].p, out[1].len, err))
		goto out;
	rc = tm_output_write_json(dir, "summary.json", summary,
				  TM_OUTPUT_REAL_DIGITS, err);
	summary = NULL;
out:
	for (uint32_t h = 0; h < nr; h++)
		tm_agg_host_free(&aggs[h]);
	free(aggs);
	json_decref(summary);
	json_decref(hosts);
	tm_strbuf_free(&out[0]);
	tm_strbuf_free(&out[1]);
	return rc;
}

int tm_output_merge(const char *const *dirs, uint32_t nr, const char *dir,
		    struct tm_error *err)
{
	struct part *parts = tm_xcalloc(nr + 1, sizeof(*parts));
	struct part **by_shard = NULL;
	int rc = -1;

	if (!nr) {
		tm_error_set(err, TM_ERR_USAGE, "no partial folder to merge");
		goto out;
	}
	if (file_exists(dir, PART_JSON)) {
		tm_error_set(err, TM_ERR_USAGE, "%s: a partial folder (%s): "
			     "merge into another folder", dir, PART_JSON);
		goto out;
	}
	for (uint32_t k = 0; k < nr; k++) {
		parts[k].dir = dirs[k];
		if (load_part(&parts[k], err))
			goto out;
	}
	by_shard = tm_xcalloc((size_t)parts[0].shard_n, sizeof(*by_shard));
	if (check_set(parts, nr, by_shard, err))
		goto out;
	rc = assemble(by_shard, dir, err);
out:
	for (uint32_t k = 0; k < nr; k++)
		part_free(&parts[k]);
	free(parts);
	free(by_shard);
	return rc;
}
