/*
 * static.c - the static policy (DESIGN.md §6.4): every VM keeps the FMEM
 * share its config gives it.  The baseline every other policy is scored
 * against; it takes no keys of its own.
 *
 *   static: desired = capacity
 *
 * Without TM_RB_RESIZES the engine never calls decide() (nor builds the
 * estimated curve); decide() is here so that a caller holding any policy
 * can ask it.
 */
#include "rebalance_internal.h"

static void static_decide(const struct tm_rb_params *p, struct tm_rb_vm *vms,
			  uint32_t nr, uint64_t *target)
{
	(void)p;
	for (uint32_t i = 0; i < nr; i++)
		target[i] = vms[i].cap_pages;
}

const struct tm_rebalancer_ops tm_rb_static_ops = {
	.kind = {
		.name = "static",
		.help = "every VM keeps its configured FMEM share (the baseline)",
		.keys = NULL,
		.nr_keys = 0,
		.config_size = 0,
		.flags = 0,
	},
	.decide = static_decide,
};
