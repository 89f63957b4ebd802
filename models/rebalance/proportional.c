/*
 * proportional.c - FMEM in proportion to each VM's estimated hot set
 * (DESIGN.md §6.4; tmsim's own design, reference/sdh-and-demeter.md §5).
 *
 *   proportional: desired_v = host × hs_v / Σ hs,   hs_v = pages_for(est_v, target_v)
 *
 * then tmsim's shared rules (rebalancer.c): the bounded step (1), the
 * promise (3), no idle shrink (4) and the grant (2).  A VM shrinks only
 * where its curve is believed at hs_v (rule 5, `min_samples`).  Notes: a
 * VM with an empty estimated curve (no samples in the window) asks for
 * nothing and, its curve not believed, holds; with every curve empty every
 * VM holds.
 */
#include "rebalance_internal.h"

#include <stdlib.h>

#include "lib/alloc.h"

static void proportional_decide(const struct tm_rb_params *p,
				struct tm_rb_vm *vms, uint32_t nr,
				uint64_t *target)
{
	const struct tm_rb_prop_config *c = p->own;
	uint64_t step = tm_rb_step_pages(c->sz_step, p->page_shift);
	double sum = 0, *urg = tm_xcalloc(nr, sizeof(*urg));
	uint64_t *hs = tm_xcalloc(nr, sizeof(*hs));

	for (uint32_t i = 0; i < nr; i++) {
		hs[i] = tm_curve_pages_for(&vms[i].est, vms[i].target_hit);
		sum += (double)hs[i];
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t want = sum > 0 ? (uint64_t)((double)p->host_pages *
					  (double)hs[i] / sum) : vms[i].cap_pages;

		if (want < vms[i].cap_pages &&
		    !tm_rb_curve_believed(&vms[i].est, hs[i], c->min_samples))
			want = vms[i].cap_pages;
		target[i] = tm_rb_bounded(&vms[i], want, step);
		urg[i] = (double)want - (double)vms[i].cap_pages;
	}
	tm_rb_promise(vms, nr, step, target);
	tm_rb_no_idle_shrink(vms, nr, p->host_pages, tm_rb_reserve_pages(p),
			     urg, target);
	tm_rb_grant(vms, nr, p->host_pages, urg, target);
	free(hs);
	free(urg);
}

static const struct tm_cfg_key proportional_keys[] = {
	TM_RB_STEP_KEY(struct tm_rb_prop_config),
	TM_RB_MIN_SAMPLES_KEY(struct tm_rb_prop_config),
};

const struct tm_rebalancer_ops tm_rb_proportional_ops = {
	.kind = {
		.name = "proportional",
		.help = "FMEM in proportion to each VM's estimated hot set "
			"(pages for its target on the estimated curve)",
		.keys = proportional_keys,
		.nr_keys = sizeof(proportional_keys) /
			   sizeof(proportional_keys[0]),
		.config_size = sizeof(struct tm_rb_prop_config),
		.flags = TM_RB_RESIZES | TM_RB_EST_CURVE,
	},
	.decide = proportional_decide,
};
