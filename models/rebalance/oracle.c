/*
 * oracle.c - utility on the true coverage curves (DESIGN.md §6.4): what
 * rebalancing could reach if the host saw every access, not samples: the
 * reference to score the other policies against, not a deployable policy.
 * It is the best split by the true curves, not a strict bound on realized
 * hits: those also depend on placement, which differs from run to run (on
 * tests/e2e/rebalance.yaml utility reaches 1.0004 of it).
 *
 *   oracle: utility on the true curves (the reference split)
 */
#include "rebalance_internal.h"

static void oracle_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			  uint32_t nr, uint64_t *target)
{
	const struct tm_rb_step_config *c = p->own;

	tm_rb_greedy_decide(p, vms, nr,
			    tm_rb_step_pages(c->sz_step, p->page_shift),
			    true, target);
}

static const struct tm_cfg_key oracle_keys[] = {
	TM_RB_STEP_KEY(struct tm_rb_step_config),
};

const struct tm_rebalancer_ops tm_rb_oracle_ops = {
	.kind = {
		.name = "oracle",
		.help = "utility on the true curves (every access): the "
			"reference split",
		.keys = oracle_keys,
		.nr_keys = sizeof(oracle_keys) / sizeof(oracle_keys[0]),
		.config_size = sizeof(struct tm_rb_step_config),
		.flags = TM_RB_RESIZES | TM_RB_TRUE_CURVE,
	},
	.decide = oracle_decide,
};
