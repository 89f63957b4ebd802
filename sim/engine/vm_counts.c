/*
 * vm_counts.c - a VM's cumulative counts per page (TM_ACC, TM_SMP; vm.h)
 * and the epoch's 32-bit sample base, kept exact by checks made once per
 * run of records, never per record.
 *
 * Counts: count = hi x 2^31 + lo, lo < 2^32.  A record adds its accesses
 * (at most acc_w_max <= 2^31) and, as a sample, its increment (at most
 * smp_inc_max <= 65535) to the low halves only.  Bound: a page gains at
 * most what the VM's records add in all, so after a fold (every low half
 * at or above 2^31 moved into its high half: lo < 2^31 for all) the low
 * halves take a gain of 2^31 more without wrapping.  tm_vm_counts_room
 * keeps the gain since the last fold (the VM's accesses since acc_fold_at;
 * smp_gain, its samples x the largest increment) within it: it folds
 * before a run of records could pass it, and cuts a run of records whose
 * accesses alone could.  On the cluster bench a VM of 4.9 G accesses
 * in 60 s folds twice; a high half is written only for a page that gained
 * 2^31 since the last fold.  The counts reach 2^63 (before: 2^64).
 *
 * The 32-bit snapshots of TM_SMP (the epoch's sample base, the
 * rebalancer's tick): widen_check below.
 */
#include "vm.h"

#include <stdlib.h>

#include "lib/alloc.h"

static uint64_t acc_of(const void *ctx, uint32_t idx)
{
	return TM_ACC((const struct tm_vm_rt *)ctx, idx);
}

/* Move every low half at or above 2^31 into its high half (O(pages),
 * once per 2^31 of gain).  The migrator's 32-bit payback points need
 * settling as often (migrate.h): here, where the bound is kept. */
static void fold_acc(struct tm_vm_rt *vm)
{
	for (uint32_t i = 0; i < vm->pm.nr; i++)
		if (vm->cum[i].acc >= TM_CUM_FOLD) {
			vm->cum[i].acc -= (uint32_t)TM_CUM_FOLD;
			vm->acc_hi[i]++;
		}
	vm->acc_fold_at = vm->total.nr_accesses;
	tm_migrator_settle(vm->mig, acc_of, vm);
}

static void fold_smp(struct tm_vm_rt *vm)
{
	for (uint32_t i = 0; i < vm->pm.nr; i++)
		if (vm->cum[i].smp >= TM_CUM_FOLD) {
			vm->cum[i].smp -= (uint32_t)TM_CUM_FOLD;
			vm->smp_hi[i]++;
		}
	vm->smp_gain = 0;
}

/* n more samples are about to reach the identifiers.  If with them one
 * page could have gained 2^32 increments since a 32-bit snapshot of TM_SMP
 * was taken (the samples since, from, x the largest increment), the
 * snapshot *lo would wrap: widen it to 64 bits (*wide) now, while every
 * page's gain still fits 32 bits (so the wide one is exact).  Once per run
 * of records, not per sample.  The snapshots: the epoch's sample base
 * (truth) and the rebalancer's tick (its estimated window). */
static void widen_check(struct tm_vm_rt *vm, uint32_t **lo, uint64_t **wide,
			uint64_t from, uint64_t n)
{
	uint64_t nr = vm->total.nr_samples - from + n;

	if (!*lo || nr * vm->smp_inc_max < (UINT64_C(1) << 32))
		return;
	*wide = tm_xcalloc(vm->arr_cap, sizeof(**wide));
	for (uint32_t i = 0; i < vm->pm.nr; i++) {
		uint64_t now = TM_SMP(vm, i);

		(*wide)[i] = now - (uint32_t)((uint32_t)now - (*lo)[i]);
	}
	free(*lo);
	*lo = NULL;
}

static void smp_base_check(struct tm_vm_rt *vm, uint64_t n)
{
	widen_check(vm, &vm->smp_base32, &vm->smp_base, vm->epoch.nr_samples,
		    n);
	widen_check(vm, &vm->smp_tick32, &vm->smp_tick, vm->smp_tick_samples,
		    n);
}

void tm_vm_smp_tick_use(struct tm_vm_rt *vm)
{
	if (vm->smp_tick32 || vm->smp_tick)
		return;
	if (vm->total.nr_samples * vm->smp_inc_max < (UINT64_C(1) << 32))
		vm->smp_tick32 = tm_xcalloc(vm->arr_cap,
					    sizeof(*vm->smp_tick32));
	else   /* past the bound already: 0 is exact in either */
		vm->smp_tick = tm_xcalloc(vm->arr_cap, sizeof(*vm->smp_tick));
}

/* n samples' increments: n x 65535 < 2^31 for a buffer's n. */
_Static_assert((uint64_t)TM_VM_BUF_RECORDS * UINT16_MAX < TM_CUM_FOLD,
	       "a buffer of samples could pass a fold");
static void smp_room(struct tm_vm_rt *vm, size_t n)
{
	uint64_t add = (uint64_t)n * vm->smp_inc_max;

	if (vm->smp_gain + add > TM_CUM_FOLD)
		fold_smp(vm);
	vm->smp_gain += add;
	smp_base_check(vm, n);
}

/* The VM's accesses since the last fold are counted exactly (its total);
 * the run's, at most room x the largest weight (the store period when the
 * run has no store overstates it: 65535 against 4093 by default). */
size_t tm_vm_counts_room(struct tm_vm_rt *vm, size_t n)
{
	size_t room = n;

	if (room > TM_CUM_FOLD / vm->acc_w_max)
		room = TM_CUM_FOLD / vm->acc_w_max;   /* >= 1: w <= 2^31 */
	if (vm->total.nr_accesses - vm->acc_fold_at + room * vm->acc_w_max >
	    TM_CUM_FOLD)
		fold_acc(vm);
	if (vm->samples)   /* each record is a sample */
		smp_room(vm, room);
	return room;
}

void tm_vm_counts_drain(struct tm_vm_rt *vm, size_t n)
{
	smp_room(vm, n);
}
