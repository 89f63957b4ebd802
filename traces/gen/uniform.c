/*
 * uniform.c - the uniform generator (DESIGN.md §5): every page of the
 * footprint is equally likely.  It takes no keys of its own.
 */
#include <stdio.h>

#include "gen_internal.h"

static void uniform_init(void *state, const struct tm_gen_part *p,
			 uint32_t page_shift)
{
	*(uint64_t *)state = p->sz_footprint >> page_shift;
}

static uint64_t uniform_draw(void *state, const struct tm_gen_part *p,
			     struct tm_gen_rng *rng, uint64_t t_ns)
{
	(void)p;
	(void)t_ns;
	return tm_gen_rng_below(rng, *(const uint64_t *)state);
}

static double uniform_page_prob(const struct tm_gen_part *p,
				uint32_t page_shift, uint64_t t_ns, uint64_t pg)
{
	(void)t_ns;
	(void)pg;
	return 1.0 / (double)(p->sz_footprint >> page_shift);
}

/* Rank order: every page ties, so ranks are page indexes. */
static uint64_t uniform_same(const void *state, const struct tm_gen_part *p,
			     uint64_t t_ns, uint64_t x)
{
	(void)state;
	(void)p;
	(void)t_ns;
	return x;
}

static double uniform_rank_prob(const void *state, const struct tm_gen_part *p,
				uint64_t t_ns, uint64_t rank)
{
	(void)p;
	(void)t_ns;
	(void)rank;
	return 1.0 / (double)*(const uint64_t *)state;
}

/* C/N */
static double uniform_top_prob(const void *state, const struct tm_gen_part *p,
			       uint64_t t_ns, uint64_t c)
{
	uint64_t n = *(const uint64_t *)state;

	(void)p;
	(void)t_ns;
	return c >= n ? 1.0 : (double)c / (double)n;
}

const struct tm_generator_ops tm_gen_uniform = {
	.kind = {
		.name = "uniform",
		.help = "every page of the footprint equally likely",
	},
	.state_size = sizeof(uint64_t),   /* pages */
	.init = uniform_init,
	.draw = uniform_draw,
	.page_prob = uniform_page_prob,
	.rank_of = uniform_same,
	.page_at = uniform_same,
	.rank_prob = uniform_rank_prob,
	.top_prob = uniform_top_prob,
};
