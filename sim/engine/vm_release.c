/*
 * vm_release.c - a VM whose run has ended gives its memory back (see
 * tm_vm_release in vm.h): its trace, page map, per-page arrays, rank
 * arrays and identifiers, keeping every figure the outputs read.  tmsim run
 * calls it through tm_host_release as each host ends, so a run of many
 * hosts holds the per-page state of the hosts in progress only
 * (docs/bench.md, "The cluster bench and bytes per page").  Here too the
 * figures the outputs read of a VM's identifiers and truth, live or
 * released.
 */
#include "vm.h"

#include <stdlib.h>

#include "traces/gen/dist.h"

#define FREE(p) do { free(p); (p) = NULL; } while (0)

void tm_vm_release(struct tm_vm_rt *vm)
{
	uint32_t nr = vm->pm.nr;

	vm->end_truth_bytes = tm_vm_truth_memory_bytes(vm);
	vm->released = true;
	for (uint32_t i = 0; i < vm->nr_idents; i++) {
		struct tm_ident_rt *id = &vm->idents[i];

		id->end_memory_bytes = tm_ident_memory_bytes(id);
		id->end_own_cpu_ns = tm_ident_own_cpu_ns(id);
		tm_ident_cost_of(id, &id->end_cost);
		if (id->st)
			id->ops->free(id->st);
		id->st = vm->feed[i].st = NULL;
		FREE(id->ref);
		FREE(id->ref_base);
		vm->feed[i].ref = NULL;
	}
	tm_stream_free(vm->stream);
	vm->stream = NULL;
	tm_gen_dist_free(vm->dist);
	tm_gen_dist_free(vm->dist_rb);
	vm->dist = vm->dist_rb = NULL;
	tm_migrator_release_pages(vm->mig);
	tm_pagemap_destroy(&vm->pm);
	vm->pm.nr = nr;   /* pages_touched */
	tm_truth_sel_free(&vm->truth_sel);
	FREE(vm->buf);
	FREE(vm->drain_buf);
	FREE(vm->true_base);
	FREE(vm->epoch_cnt);
	FREE(vm->cum);
	FREE(vm->acc_hi);
	FREE(vm->smp_hi);
	FREE(vm->smp_base);
	FREE(vm->smp_base32);
	FREE(vm->smp_tick32);
	FREE(vm->smp_tick);
	FREE(vm->mark);
	FREE(vm->fnew);
	FREE(vm->half_base);
	FREE(vm->rank.hot);
	FREE(vm->rank.promote);
	FREE(vm->rank.demote);
	FREE(vm->rank.regions);
	FREE(vm->rank.cold);
	FREE(vm->hot_idx);
	FREE(vm->pair_p);
	FREE(vm->pair_d);
	FREE(vm->cold_idx);
	FREE(vm->inflight);
	FREE(vm->pbits);
	vm->arr_cap = 0;
}

#undef FREE

/* Classification CPU of nr_samples samples fed to identifier id: each is one
 * update() at cost_per_update (docs/metrics.md; an assumption, the ranking
 * at epochs is not charged). */
uint64_t tm_ident_cpu_ns(const struct tm_ident_rt *id, uint64_t nr_samples)
{
	return (uint64_t)((double)nr_samples * id->cfg->cost_ns_per_update);
}

uint64_t tm_ident_own_cpu_ns(const struct tm_ident_rt *id)
{
	if (!id->st)
		return id->end_own_cpu_ns;
	return tm_ident_cost_ns(id->ops, id->st);
}

void tm_ident_cost_of(const struct tm_ident_rt *id, struct tm_ident_cost *c)
{
	*c = (struct tm_ident_cost){ 0 };
	if (!id->st)
		*c = id->end_cost;
	else if (id->ops->cost)
		id->ops->cost(id->st, c);
}

size_t tm_ident_memory_bytes(const struct tm_ident_rt *id)
{
	return id->st ? id->ops->memory_bytes(id->st) : id->end_memory_bytes;
}

/* Bytes held by the truth tracker alone: the window base and the epoch's
 * counts, the sample base, T's marks, the entered-FMEM bits and T's selection
 * (0 when the VM keeps no truth; the cumulative counts stay for the
 * migrator, the balloon curves and the scores, so they are not counted
 * here, nor is the scratch the host lends each epoch: struct
 * tm_vm_scratch). */
size_t tm_vm_truth_memory_bytes(const struct tm_vm_rt *vm)
{
	if (vm->released)
		return vm->end_truth_bytes;
	if (!vm->truth)
		return 0;
	return (size_t)vm->arr_cap * ((vm->true_base ?
				       sizeof(*vm->true_base) : 0) +
				      sizeof(*vm->epoch_cnt) +
				      (vm->smp_base ? sizeof(*vm->smp_base) :
					sizeof(*vm->smp_base32)) +
				      sizeof(*vm->mark) +
				      (vm->half_base ? sizeof(*vm->half_base) :
						       0)) +
	       ((size_t)vm->arr_cap + 63) / 64 * sizeof(*vm->fnew) +
	       tm_truth_sel_memory_bytes(&vm->truth_sel);
}
