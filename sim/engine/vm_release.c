/*
 * vm_release.c - a VM whose run has ended gives its memory back (see
 * tm_vm_release in vm.h): its trace, page map, per-page arrays, rank
 * arrays and identifiers, keeping every figure the outputs read.  tmsim run
 * calls it through tm_host_release as each host ends, so a run of many
 * hosts holds the per-page state of the hosts in progress only
 * (docs/bench.md, "The cluster bench and bytes per page").
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
	FREE(vm->smp_base);
	FREE(vm->smp_base32);
	FREE(vm->mark);
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
