/*
 * identifier.c - the registry of identifier backends (DESIGN.md §6.2;
 * STYLE.md habit 3).  Adding a backend is adding its file and one row to
 * the table below.
 */
#include "identifier.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arms.h"
#include "autotiering.h"
#include "damon.h"
#include "exact.h"
#include "hemem.h"
#include "hybridtier.h"
#include "memtis.h"
#include "ranges.h"
#include "sdh.h"
#include "tpp.h"
#include "vtmm.h"
#include "lib/alloc.h"

static const struct tm_kind *const builtin[] = {
	&tm_sdh_ops.kind,
	&tm_exact_ops.kind,
	&tm_ranges_ops.kind,
	&tm_hemem_ops.kind,
	&tm_memtis_ops.kind,
	&tm_hybridtier_ops.kind,
	&tm_arms_ops.kind,
	&tm_damon_ops.kind,
	&tm_tpp_ops.kind,
	&tm_autotiering_ops.kind,
	&tm_vtmm_ops.kind,
};

struct tm_kinds tm_identifier_kinds = {
	.family = "identifier",
	.builtin = builtin,
	.nr_builtin = sizeof(builtin) / sizeof(builtin[0]),
};

/* kind is the first member of the ops table. */
const struct tm_identifier_ops *tm_identifier_find(const char *kind)
{
	return (const struct tm_identifier_ops *)tm_kinds_find(
		&tm_identifier_kinds, kind);
}

int tm_identifier_register(const struct tm_identifier_ops *ops,
			   struct tm_error *e)
{
	return tm_kinds_add(&tm_identifier_kinds, &ops->kind, e);
}

uint32_t tm_scan_next_accessed(struct tm_scan *s, uint32_t idx)
{
	const uint64_t rep = UINT64_C(0x0001000100010001) * s->abit;

	while (idx < s->nr_pages) {
		uint64_t w;

		if ((idx & 3u) == 0 && idx + 4 <= s->nr_pages) {
			memcpy(&w, &s->bits[idx], sizeof(w));
			if (!(w & rep)) {
				idx += 4;
				continue;
			}
		}
		if (s->bits[idx] & s->abit) {
			s->bits[idx] &= (uint16_t)~s->abit;
			return idx;
		}
		idx++;
	}
	return s->nr_pages;
}

typedef struct tm_ident_config IDENT;

/* Keys every identifier takes; `kind` selects the schema of the rest. */
const struct tm_cfg_key tm_ident_common_keys[] = {
	TM_CFG_KEY("kind", TM_CFG_STRING, 1, 15, "sdh", NULL, 0, TM_CFG_F_STR,
		   IDENT, kind, "the identifier (one of the kinds below)"),
	TM_CFG_KEY("weighted", TM_CFG_BOOL, 0, 0, "false", NULL, 0,
		   TM_CFG_F_BOOL, IDENT, weighted,
		   "increment by load_weight/store_weight, else by 1"),
	TM_CFG_KEY("load_weight", TM_CFG_U64, 1, 65535, "1", NULL, 0,
		   TM_CFG_F_U32, IDENT, load_weight,
		   "this identifier's increment per load sample (weighted)"),
	TM_CFG_KEY("store_weight", TM_CFG_U64, 0, 65535, "1", NULL, 0,
		   TM_CFG_F_U32, IDENT, store_weight,
		   "its increment per store sample; 0: stores do not count"),
	/* no default here: each kind's ops carry their modelled cost
	 * (tm_identifier_ops.cost_ns), set when the key is absent */
	TM_CFG_KEY("cost_per_update", TM_CFG_TIME, 0, 1e6, NULL, NULL, 0,
		   TM_CFG_F_DBL, IDENT, cost_ns_per_update,
		   "classification CPU charged per sample; default: the "
		   "kind's modelled cost"),
};
const size_t tm_ident_nr_common_keys =
	sizeof(tm_ident_common_keys) / sizeof(tm_ident_common_keys[0]);

int tm_ident_config_default(struct tm_ident_config *c, const char *kind)
{
	const struct tm_identifier_ops *ops = tm_identifier_find(kind);

	memset(c, 0, sizeof(*c));
	if (!ops)
		return -1;
	tm_cfg_set_defaults(tm_ident_common_keys, tm_ident_nr_common_keys, c);
	c->cost_ns_per_update = ops->cost_ns;
	strncpy(c->kind, kind, sizeof(c->kind) - 1);
	c->ops = ops;
	tm_cfg_set_defaults(ops->kind.keys, ops->kind.nr_keys, c->own.bytes);
	return 0;
}

void tm_ident_rank(const struct tm_identifier_ops *ops, void *st,
		   struct tm_rank *r, struct tm_rank_scratch *sc)
{
	size_t need = ops->rank_scratch ? ops->rank_scratch(st) : 0;

	if (need > sc->sz) {   /* fresh memory: resident only where used */
		free(sc->mem);
		sc->mem = tm_xmalloc(need);
		sc->sz = need;
	}
	r->scratch = need ? sc->mem : NULL;
	r->sz_scratch = need ? sc->sz : 0;
	ops->rank(st, r);
	r->scratch = NULL;
	r->sz_scratch = 0;
}

void tm_rank_scratch_free(struct tm_rank_scratch *sc)
{
	free(sc->mem);
	sc->mem = NULL;
	sc->sz = 0;
}
