/*
 * utility.c - greedy FMEM by marginal hits on the estimated curves
 * (DESIGN.md §6.4; tmsim's own design).
 *
 *   utility: greedy chunks to the VM of largest rate_v·Δhits_v(est) until no gain
 *
 * Chunks are host FMEM / 1024 pages, from the floors up; then the bounded
 * step and the grant (rebalancer.c).  It maximises total hits and hands out
 * all FMEM that gains anything, whatever the VMs' targets.
 */
#include "rebalance_internal.h"

static void utility_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			   uint32_t nr, uint64_t *target)
{
	const struct tm_rb_step_config *c = p->own;

	tm_rb_greedy_decide(p, vms, nr,
			    tm_rb_step_pages(c->sz_step, p->page_shift),
			    false, target);
}

static const struct tm_cfg_key utility_keys[] = {
	TM_RB_STEP_KEY(struct tm_rb_step_config),
};

const struct tm_rebalancer_ops tm_rb_utility_ops = {
	.kind = {
		.name = "utility",
		.help = "greedy chunks of FMEM to the VM of most marginal hits "
			"on its estimated curve",
		.keys = utility_keys,
		.nr_keys = sizeof(utility_keys) / sizeof(utility_keys[0]),
		.config_size = sizeof(struct tm_rb_step_config),
		.flags = TM_RB_RESIZES | TM_RB_EST_CURVE,
	},
	.decide = utility_decide,
};
