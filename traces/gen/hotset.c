/*
 * hotset.c - the GUPS-style hot set generator (DESIGN.md §5): hot_share of
 * the accesses are uniform over the hot pages, the rest uniform over the
 * other pages; the hot set moves to a new offset at the given times (from
 * the stream start).
 *
 * Notes: a hot set with no cold pages (hot == footprint) takes every access
 * of its part; an empty hot set (hot == 0, only from code: the schema asks
 * for at least 4 KiB) leaves the part uniform.
 */
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "gen_internal.h"
#include "lib/units.h"

#define KiB_ 1024.0
#define TiB_ 1099511627776.0
#define DAY_NS (86400.0 * 1e9)

struct hotset_config {
	uint64_t sz_hot;
	double hot_share;
	uint64_t sz_hot_offset;
	uint32_t nr_moves;
	struct tm_gen_move moves[TM_GEN_MAX_MOVES];
};

struct hotset_state {
	uint64_t nr_pages, nr_hot_pages, first_hot_page;
	uint32_t next_move, page_shift;
};

static const struct hotset_config *config_of(const struct tm_gen_part *p)
{
	return (const struct hotset_config *)p->cfg;
}

/* Page alignment, then hot and hot_offset within the footprint. */
static int check_hot(const struct tm_gen_part *p, uint64_t page, char *key,
		     size_t sz_key, struct tm_error *e)
{
	const struct hotset_config *c = config_of(p);
	char pg[32], fp[32];

	tm_format_size(page, pg, sizeof(pg));
	tm_format_size(p->sz_footprint, fp, sizeof(fp));
	if (c->sz_hot % page)
		return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, "hot",
				       "expected a multiple of the page size %s", pg);
	if (c->sz_hot_offset % page)
		return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, "hot_offset",
				       "expected a multiple of the page size %s", pg);
	if (c->sz_hot > p->sz_footprint)
		return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, "hot",
				       "expected at most the footprint (%s)", fp);
	if (c->sz_hot_offset > p->sz_footprint - c->sz_hot)
		return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, "hot_offset",
				       "expected hot_offset + hot within the "
				       "footprint (%s)", fp);
	return 0;
}

static int hotset_check(const struct tm_gen_part *p, uint32_t page_shift,
			char *key, size_t sz_key, struct tm_error *e)
{
	const struct hotset_config *c = config_of(p);
	uint64_t page = UINT64_C(1) << page_shift;
	char name[48], t[32], pg[32];

	if (check_hot(p, page, key, sz_key, e))
		return -1;
	tm_format_size(page, pg, sizeof(pg));
	for (uint32_t i = 0; i < c->nr_moves; i++) {
		const struct tm_gen_move *m = &c->moves[i];

		snprintf(name, sizeof(name), "moves[%u].at", i);
		tm_format_time(i ? c->moves[i - 1].at_ns : 0, t, sizeof(t));
		if (i && m->at_ns <= c->moves[i - 1].at_ns)
			return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, name,
					       "expected a time after the "
					       "previous move (%s)", t);
		snprintf(name, sizeof(name), "moves[%u].offset", i);
		if (m->sz_offset % page)
			return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, name,
					       "expected a multiple of the page "
					       "size %s", pg);
		if (m->sz_offset > p->sz_footprint - c->sz_hot)
			return tm_gen_fail_key(key, sz_key, e, TM_ERR_BOUNDS, name,
					       "expected offset + hot within "
					       "the footprint");
	}
	return 0;
}

static void hotset_init(void *state, const struct tm_gen_part *p,
			uint32_t page_shift)
{
	struct hotset_state *st = state;

	st->nr_pages = p->sz_footprint >> page_shift;
	st->nr_hot_pages = config_of(p)->sz_hot >> page_shift;
	st->first_hot_page = config_of(p)->sz_hot_offset >> page_shift;
	st->page_shift = page_shift;
}

static uint64_t hotset_draw(void *state, const struct tm_gen_part *p,
			    struct tm_gen_rng *rng, uint64_t t_ns)
{
	const struct hotset_config *c = config_of(p);
	struct hotset_state *st = state;
	uint64_t nr_cold = st->nr_pages - st->nr_hot_pages, x;

	while (st->next_move < c->nr_moves && c->moves[st->next_move].at_ns <= t_ns)
		st->first_hot_page = c->moves[st->next_move++].sz_offset >>
				     st->page_shift;
	if (st->nr_hot_pages == 0 || nr_cold == 0)
		return tm_gen_rng_below(rng, st->nr_pages);
	if (tm_gen_rng_uniform(rng) < c->hot_share)
		return st->first_hot_page + tm_gen_rng_below(rng, st->nr_hot_pages);
	x = tm_gen_rng_below(rng, nr_cold);
	return x < st->first_hot_page ? x : x + st->nr_hot_pages;
}

static uint64_t hot_offset_at(const struct hotset_config *c, uint64_t t_ns)
{
	uint64_t off = c->sz_hot_offset;

	for (uint32_t i = 0; i < c->nr_moves && c->moves[i].at_ns <= t_ns; i++)
		off = c->moves[i].sz_offset;
	return off;
}

static double hotset_page_prob(const struct tm_gen_part *p, uint32_t page_shift,
			       uint64_t t_ns, uint64_t pg)
{
	const struct hotset_config *c = config_of(p);
	uint64_t n = p->sz_footprint >> page_shift;
	uint64_t nr_hot = c->sz_hot >> page_shift;
	uint64_t first_hot = hot_offset_at(c, t_ns) >> page_shift;

	if (nr_hot == 0 || nr_hot == n)
		return 1.0 / (double)n;
	if (pg >= first_hot && pg < first_hot + nr_hot)
		return c->hot_share / (double)nr_hot;
	return (1 - c->hot_share) / (double)(n - nr_hot);
}

/* ---- rank order: the denser level first (the hot set, unless hot_share
 * is below its share of the pages), each level in page order ---- */

struct hs_levels {
	uint64_t n, nr_hot, first_hot;
	double p_hot, p_cold;
	bool hot_first;
};

static void levels_at(const void *state, const struct tm_gen_part *p,
		      uint64_t t_ns, struct hs_levels *l)
{
	const struct hotset_state *st = state;
	const struct hotset_config *c = config_of(p);

	l->n = st->nr_pages;
	l->nr_hot = st->nr_hot_pages;
	l->first_hot = hot_offset_at(c, t_ns) >> st->page_shift;
	if (l->nr_hot == 0 || l->nr_hot == l->n) {   /* uniform */
		l->nr_hot = l->n;
		l->first_hot = 0;
		l->p_hot = l->p_cold = 1.0 / (double)l->n;
	} else {
		l->p_hot = c->hot_share / (double)l->nr_hot;
		l->p_cold = (1 - c->hot_share) / (double)(l->n - l->nr_hot);
	}
	l->hot_first = l->p_hot >= l->p_cold;
}

static uint64_t hotset_rank_of(const void *state, const struct tm_gen_part *p,
			       uint64_t t_ns, uint64_t pg)
{
	struct hs_levels l;
	uint64_t nr_cold;

	levels_at(state, p, t_ns, &l);
	nr_cold = l.n - l.nr_hot;
	if (pg >= l.first_hot && pg < l.first_hot + l.nr_hot)
		return (l.hot_first ? 0 : nr_cold) + (pg - l.first_hot);
	return (l.hot_first ? l.nr_hot : 0) +
	       (pg < l.first_hot ? pg : pg - l.nr_hot);
}

static uint64_t hotset_page_at(const void *state, const struct tm_gen_part *p,
			       uint64_t t_ns, uint64_t rank)
{
	struct hs_levels l;
	uint64_t nr_cold, x;

	levels_at(state, p, t_ns, &l);
	nr_cold = l.n - l.nr_hot;
	if (l.hot_first ? rank < l.nr_hot : rank >= nr_cold)
		return l.first_hot + (l.hot_first ? rank : rank - nr_cold);
	x = l.hot_first ? rank - l.nr_hot : rank;
	return x < l.first_hot ? x : x + l.nr_hot;
}

static double hotset_rank_prob(const void *state, const struct tm_gen_part *p,
			       uint64_t t_ns, uint64_t rank)
{
	struct hs_levels l;

	levels_at(state, p, t_ns, &l);
	if (l.hot_first)
		return rank < l.nr_hot ? l.p_hot : l.p_cold;
	return rank < l.n - l.nr_hot ? l.p_cold : l.p_hot;
}

/* min(c, a) q_a + min(c - a, b) q_b over the two levels, in rank order */
static double hotset_top_prob(const void *state, const struct tm_gen_part *p,
			      uint64_t t_ns, uint64_t c)
{
	struct hs_levels l;
	uint64_t a, b;
	double qa, qb;

	levels_at(state, p, t_ns, &l);
	a = l.hot_first ? l.nr_hot : l.n - l.nr_hot;
	b = l.n - a;
	qa = l.hot_first ? l.p_hot : l.p_cold;
	qb = l.hot_first ? l.p_cold : l.p_hot;
	if (c >= l.n)
		return 1.0;
	return c <= a ? (double)c * qa :
	       (double)a * qa + (double)(c - a < b ? c - a : b) * qb;
}

static uint64_t hotset_next_change(const struct tm_gen_part *p, uint64_t t_ns)
{
	const struct hotset_config *c = config_of(p);

	for (uint32_t i = 0; i < c->nr_moves; i++)
		if (c->moves[i].at_ns > t_ns)
			return c->moves[i].at_ns;
	return UINT64_MAX;
}

static int hotset_describe(const struct tm_gen_part *p, char *buf, size_t n)
{
	const struct hotset_config *c = config_of(p);
	char fp[32], a[32];

	tm_format_size(p->sz_footprint, fp, sizeof(fp));
	tm_format_size(c->sz_hot, a, sizeof(a));
	return snprintf(buf, n, "hotset(%s hot of %s, share %g, %u move%s)", a,
			fp, c->hot_share, c->nr_moves, c->nr_moves == 1 ? "" : "s");
}

static void hotset_provenance(const struct tm_gen_part *p, json_t *o)
{
	const struct hotset_config *c = config_of(p);
	json_t *moves = json_array();

	json_object_set_new(o, "hot", json_integer((json_int_t)c->sz_hot));
	json_object_set_new(o, "hot_share", json_real(c->hot_share));
	json_object_set_new(o, "hot_offset",
			    json_integer((json_int_t)c->sz_hot_offset));
	for (uint32_t m = 0; m < c->nr_moves; m++) {
		json_t *mv = json_object();

		json_object_set_new(mv, "at_ns",
				    json_integer((json_int_t)c->moves[m].at_ns));
		json_object_set_new(mv, "offset",
				    json_integer((json_int_t)c->moves[m].sz_offset));
		json_array_append_new(moves, mv);
	}
	json_object_set_new(o, "moves", moves);
}

static int json_u64(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int hotset_restore(struct tm_gen_part *p, const json_t *o)
{
	struct hotset_config *c = (struct hotset_config *)(void *)p->cfg;
	const json_t *share = json_object_get(o, "hot_share");
	const json_t *moves = json_object_get(o, "moves");

	if (json_u64(o, "hot", &c->sz_hot) ||
	    json_u64(o, "hot_offset", &c->sz_hot_offset) ||
	    !json_is_number(share) || !json_is_array(moves) ||
	    json_array_size(moves) > TM_GEN_MAX_MOVES)
		return -1;
	c->hot_share = json_number_value(share);
	c->nr_moves = (uint32_t)json_array_size(moves);
	for (uint32_t m = 0; m < c->nr_moves; m++)
		if (json_u64(json_array_get(moves, m), "at_ns", &c->moves[m].at_ns) ||
		    json_u64(json_array_get(moves, m), "offset",
			     &c->moves[m].sz_offset))
			return -1;
	return 0;
}

static const struct tm_cfg_key move_keys[] = {
	TM_CFG_KEY("at", TM_CFG_TIME, 0, 30 * DAY_NS, NULL, NULL,
		   TM_CFG_GEN_ONLY | TM_CFG_REQUIRED, TM_CFG_F_U64,
		   struct tm_gen_move, at_ns,
		   "time of the move, from the stream start"),
	TM_CFG_KEY("offset", TM_CFG_SIZE, 0, TiB_, NULL, NULL,
		   TM_CFG_GEN_ONLY | TM_CFG_REQUIRED, TM_CFG_F_U64,
		   struct tm_gen_move, sz_offset,
		   "new start of the hot set in the footprint, page aligned"),
};

static const struct tm_gen_list hotset_moves = {
	.key = "moves", .scope = "move", .option = "move",
	.keys = move_keys, .nr_keys = 2, .max = TM_GEN_MAX_MOVES,
	.off_nr = offsetof(struct hotset_config, nr_moves),
	.off_items = offsetof(struct hotset_config, moves),
	.sz_item = sizeof(struct tm_gen_move),
};

/* Demeter §6: the GUPS hot set gets 90% of updates (weights 9:1). */
static const struct tm_cfg_key hotset_keys[] = {
	TM_CFG_KEY("hot", TM_CFG_SIZE, 4 * KiB_, TiB_, NULL, NULL,
		   TM_CFG_GEN_ONLY | TM_CFG_REQUIRED, TM_CFG_F_U64,
		   struct hotset_config, sz_hot,
		   "bytes of the hot set, page aligned, at most the footprint"),
	TM_CFG_KEY("hot_share", TM_CFG_SHARE, 0, 1, "0.9", NULL,
		   TM_CFG_GEN_ONLY, TM_CFG_F_DBL, struct hotset_config, hot_share,
		   "share of the accesses that go to the hot set"),
	TM_CFG_KEY("hot_offset", TM_CFG_SIZE, 0, TiB_, "0", NULL,
		   TM_CFG_GEN_ONLY, TM_CFG_F_U64, struct hotset_config,
		   sz_hot_offset, "start of the hot set in the footprint"),
	{ "moves", TM_CFG_LIST, 0, TM_GEN_MAX_MOVES, "[]", "move",
	  TM_CFG_GEN_ONLY, TM_CFG_F_NONE, 0, 0,
	  "times the hot set moves: entries {at: TIME, offset: SIZE} in time "
	  "order (command line: --move AT:OFFSET, repeated)" },
};

const struct tm_generator_ops tm_gen_hotset = {
	.kind = {
		.name = "hotset",
		.help = "GUPS-style hot set: hot_share of the accesses on hot "
			"bytes, the rest on the others; the hot set may move",
		.keys = hotset_keys,
		.nr_keys = sizeof(hotset_keys) / sizeof(hotset_keys[0]),
		.config_size = sizeof(struct hotset_config),
	},
	.list = &hotset_moves,
	.state_size = sizeof(struct hotset_state),
	.check = hotset_check,
	.init = hotset_init,
	.draw = hotset_draw,
	.page_prob = hotset_page_prob,
	.rank_of = hotset_rank_of,
	.page_at = hotset_page_at,
	.rank_prob = hotset_rank_prob,
	.top_prob = hotset_top_prob,
	.next_change = hotset_next_change,
	.describe = hotset_describe,
	.provenance = hotset_provenance,
	.restore = hotset_restore,
};
