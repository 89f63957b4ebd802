/*
 * pml.c - a VM's PML write logs (identifier.h "Write logging"; DESIGN.md
 * §6.2): one log of TM_PML_ENTRIES dense indexes per vCPU and a dirty byte
 * per page, for the VM's PML kinds.  vm.c appends to the logs on the
 * replay's path (pml_mark); the drains, off that path, are here.
 */
#include "vm.h"

#include "lib/alloc.h"

void tm_vm_pml_init(struct tm_vm_rt *vm)
{
	vm->nr_pml_cpus = vm->cfg->nr_vcpus ? vm->cfg->nr_vcpus : 1;
	vm->pdirty = tm_xcalloc(vm->arr_cap, sizeof(*vm->pdirty));
	vm->pml_buf = tm_xmalloc((size_t)vm->nr_pml_cpus * TM_PML_ENTRIES *
				 sizeof(*vm->pml_buf));
	vm->pml_nr = tm_xcalloc(vm->nr_pml_cpus, sizeof(*vm->pml_nr));
}

/* Every PML kind takes the log before any dirty bit is cleared. */
void tm_vm_pml_drain(struct tm_vm_rt *vm, uint32_t cpu, uint64_t now_ns,
		     bool full)
{
	uint32_t *buf = vm->pml_buf + (size_t)cpu * TM_PML_ENTRIES;
	struct tm_pml log = { .time_ns = now_ns, .idx = buf,
			      .nr = vm->pml_nr[cpu], .cpu = cpu, .full = full };

	if (!log.nr)
		return;
	for (uint32_t k = 0; k < vm->nr_pml; k++) {
		const struct tm_ident_rt *id = &vm->idents[vm->pml_id[k]];

		id->ops->pml(id->st, &log);
	}
	for (uint32_t i = 0; i < log.nr; i++)
		vm->pdirty[buf[i]] = 0;
	vm->nr_pml_drains++;
	vm->nr_pml_entries += log.nr;
	vm->pml_nr[cpu] = 0;
}

void tm_vm_pml_drain_all(struct tm_vm_rt *vm, uint64_t now_ns)
{
	for (uint32_t c = 0; c < vm->nr_pml_cpus; c++)
		tm_vm_pml_drain(vm, c, now_ns, false);
}
