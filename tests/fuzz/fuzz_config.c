/*
 * fuzz_config.c - libFuzzer target for the config loader (sim/config/config.c; the
 * schema is docs/config.md).
 *
 * The input is YAML text, written to a per-process file because the loader
 * takes a path.  Lines "# set: KEY=VALUE" in it (as in tests/bad/config/)
 * are also passed as --set overrides, at most TM_FUZZ_MAX_SETS of them, so
 * that the override path is fuzzed too and the bad configs are seeds as
 * they are.  A `trace: {file: ...}` resolves against the temp folder.
 *
 * Properties: no crash, leak or sanitizer report; a rejected config gets a
 * bad-input code (exit status 2) and a message located at the file or at
 * "--set"; an accepted one satisfies the bounds the loader promises (page
 * size, each VM's fmem within its memory, the VMs' fmem within the host's,
 * every generator spec passes tm_gen_spec_check), and loading it a second
 * time gives the same tm_config_to_json text.
 *
 * Cost cap: an input above TM_FUZZ_CFG_MAX_BYTES, or whose `replicate`
 * values in the YAML add up to more than TM_FUZZ_CFG_MAX_REPLICATE, or with
 * a "# set:" line naming replicate with a value not plainly within it, is
 * skipped without loading.  Each VM config
 * holds a ~43 KB generator spec, so `replicate: 4096` costs ~200 MB under
 * ASan and the fuzzer spent its time there.  The loader's refusal of
 * absurd replicate values is pinned by tests/bad/config/ instead.
 * Seeds: tests/fuzz/corpus/config/.
 */
#include <jansson.h>
#include <yaml.h>

#include "fuzz_common.h"

#include "sim/config/config.h"
#include "lib/units.h"
#include "traces/gen/gen.h"

/* Overrides taken from one input (assumption: the seeds use at most 1). */
#define TM_FUZZ_MAX_SETS 4

/* Inputs skipped unloaded (see the header comment; assumption: 8 copies
 * reach every replicate code path, naming included, and 16 KB is four
 * times libFuzzer's -max_len=4096 used for this target). */
#define TM_FUZZ_CFG_MAX_REPLICATE 8
#define TM_FUZZ_CFG_MAX_BYTES (16u << 10)

int tm_fuzz_config(const uint8_t *data, size_t size);

/* Collect "# set: " lines of text (NUL-terminated) into sets[]. */
static unsigned fuzz_config_sets(char *text, char **sets)
{
	unsigned n = 0;

	for (char *p = text; p && *p && n < TM_FUZZ_MAX_SETS;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len >= 7 && !strncmp(p, "# set: ", 7)) {
			sets[n] = tm_xmalloc(len - 6);
			memcpy(sets[n], p + 7, len - 7);
			sets[n][len - 7] = '\0';
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* s as a number (0 when it does not parse: the loader refuses it, cheaply). */
static uint64_t fuzz_config_num(const char *s)
{
	struct tm_error err = { 0 };
	uint64_t n;

	return tm_parse_u64(s, &n, &err) == 0 ? n : 0;
}

/* True when the scalars that follow a scalar "replicate" in the YAML text
 * add up to more than the cap (a total: inputs with several VMs replicated
 * 8 times each took 20-35 ms, measured, against ~0.2 ms).  libyaml unescapes
 * quoted keys, so "repl\x69cate" is seen too; text after a syntax error is
 * never loaded, so stopping there is safe. */
static int fuzz_config_yaml_big(const uint8_t *data, size_t size)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int after_key = 0, big = 0;
	uint64_t sum = 0;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, data, size);
	while (!big && yaml_parser_parse(&parser, &ev)) {
		int end = ev.type == YAML_STREAM_END_EVENT;

		if (ev.type == YAML_SCALAR_EVENT) {
			const char *v = (const char *)ev.data.scalar.value;

			if (after_key) {
				uint64_t n = fuzz_config_num(v);

				/* compare before adding: the sum cannot wrap */
				big = n > TM_FUZZ_CFG_MAX_REPLICATE - sum;
				sum += big ? 0 : n;
			}
			after_key = !strcmp(v, "replicate");
		} else {
			after_key = 0;
		}
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	return big;
}

/* True when the input would load too slowly to be worth fuzzing. */
static int fuzz_config_skip(const uint8_t *data, size_t size, char **sets,
			    unsigned nr)
{
	if (size > TM_FUZZ_CFG_MAX_BYTES)
		return 1;
	/* An override may be YAML ("={replicate: 4096}", quoted numbers):
	 * one that names replicate is skipped unless its value is plainly
	 * small. */
	for (unsigned i = 0; i < nr; i++) {
		const char *eq = strchr(sets[i], '=');
		struct tm_error err = { 0 };
		uint64_t n;

		if (strstr(sets[i], "replicate") &&
		    (!eq || tm_parse_u64(eq + 1, &n, &err) ||
		     n > TM_FUZZ_CFG_MAX_REPLICATE))
			return 1;
	}
	return fuzz_config_yaml_big(data, size);
}

static void fuzz_config_check(const struct tm_config *cfg)
{
	struct tm_error err = { 0 };

	TM_FUZZ_ASSERT(cfg->page_shift == 12 || cfg->page_shift == 21,
		       "page_shift %u", cfg->page_shift);
	TM_FUZZ_ASSERT(cfg->nr_hosts >= 1, "no hosts");
	for (uint32_t h = 0; h < cfg->nr_hosts; h++) {
		const struct tm_host_config *host = &cfg->hosts[h];
		uint64_t sum = 0;

		for (uint32_t v = 0; v < host->nr_vms; v++) {
			const struct tm_vm_config *vm = &host->vms[v];

			TM_FUZZ_ASSERT(vm->sz_fmem <= vm->sz_mem, "%s: fmem > memory",
				       vm->name);
			sum += vm->sz_fmem;
			if (vm->trace.source == TM_SRC_GEN)
				TM_FUZZ_ASSERT(tm_gen_spec_check(&vm->trace.gen, &err) == 0,
					       "%s: accepted spec fails its check: %s",
					       vm->name, err.msg);
		}
		TM_FUZZ_ASSERT(sum <= host->sz_fmem, "%s: VMs' fmem %llu > %llu",
			       host->name, (unsigned long long)sum,
			       (unsigned long long)host->sz_fmem);
	}
}

/* Load path; on failure check the error and return NULL, else the JSON
 * text of the config (malloc'd). */
static char *fuzz_config_load(const char *path, char **sets, unsigned nr)
{
	struct tm_error err = { 0 };
	struct tm_config *cfg = NULL;
	json_t *j;
	char *text;

	if (tm_config_load(path, (const char *const *)sets, nr, &cfg, &err)) {
		TM_FUZZ_ASSERT(!cfg, "load failed but returned a config");
		TM_FUZZ_ASSERT(err.msg[0] && tm_err_exit_status(err.code) == 2,
			       "code %d: %s", err.code, err.msg);
		TM_FUZZ_ASSERT(!strncmp(err.msg, path, strlen(path)) ||
			       !strncmp(err.msg, "--set ", 6),
			       "message not located: %s", err.msg);
		return NULL;
	}
	fuzz_config_check(cfg);
	j = tm_config_to_json(cfg);
	TM_FUZZ_ASSERT(j, "tm_config_to_json returned NULL");
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	TM_FUZZ_ASSERT(text, "json_dumps failed");
	json_decref(j);
	tm_config_free(cfg);
	return text;
}

int tm_fuzz_config(const uint8_t *data, size_t size)
{
	char path[256], *text, *sets[TM_FUZZ_MAX_SETS], *a, *b;
	unsigned nr;

	if (size > TM_FUZZ_MAX_INPUT)
		return 0;
	tm_fuzz_path(path, sizeof(path), "config", ".yaml");
	tm_fuzz_write_file(path, data, size);
	text = tm_xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	nr = fuzz_config_sets(text, sets);
	a = fuzz_config_skip(data, size, sets, nr) ? NULL :
		fuzz_config_load(path, sets, nr);
	if (a) {
		b = fuzz_config_load(path, sets, nr);
		TM_FUZZ_ASSERT(b && !strcmp(a, b), "second load differs");
		free(b);
	}
	free(a);
	for (unsigned i = 0; i < nr; i++)
		free(sets[i]);
	free(text);
	unlink(path);
	return 0;
}

#ifdef TM_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tm_fuzz_config(data, size);
}
#endif
