/* trap: trap-and-emulate for a guest kernel deprivileged to U-mode.
 *
 * The VMM keeps the guest's virtual supervisor state (struct vm_trap:
 * sstatus, stvec, sepc, scause, stval, sscratch, satp, sie, sip, the virtual
 * privilege), emulates the privileged instructions the hardware traps on
 * (CSR access to S CSRs and `time`, sret, wfi, sfence.vma, ecall from
 * virtual S = SBI) and delivers guest traps and interrupts to the guest's
 * stvec as the hardware would. Memory goes through shadow page tables
 * (shadow.c); the hardware satp always points at the shadow tree of the
 * current virtual privilege (and sstatus.SUM).
 */
#ifndef VMMSIM_TRAP_H
#define VMMSIM_TRAP_H

#include <stdint.h>

#include "vmm/vm.h"

struct vm_trap {
    uint64_t sstatus, stvec, sepc, scause, stval, sscratch, satp, sie, sip, scounteren;
    int priv;                  /* virtual privilege: CPU_PRIV_S or CPU_PRIV_U */
    /* PV mode: the guest's PTE-update log (guest-physical, capacity) */
    uint64_t pv_log, pv_cap;
    uint64_t n_pv_ptes, n_pv_rejected, n_pv_batches;
};

/* Set up trap mode on a freshly built VM (hart in U, everything
 * intercepted, shadow tables with vm->shadow_prefill, virtual S at the
 * current pc). 0, -ENOMEM, or -EINVAL for a bad prefill. */
int trap_init(struct vm *vm);
void trap_free(struct vm *vm);

/* Handle a CPU_EXIT_TRAP exit of a trap-mode VM. */
void trap_exit(struct vm *vm, const struct cpu_exit *e);

/* Deliver a trap to the guest at the hardware pc (its sepc). */
void trap_deliver(struct vm *vm, uint64_t cause, uint64_t tval);

/* Before running: deliver a pending, enabled virtual interrupt. */
void trap_inject(struct vm *vm);

/* Set/clear the guest's virtual supervisor timer-pending bit. */
void trap_set_stip(struct vm *vm, int level);

/* PV extension (SBI platform callback, opaque = the vm): fid 0 registers
 * the guest's PTE-update log (a0 = guest-physical address, a1 = capacity;
 * layout: u64 count, then count pairs of u64 PTE address, u64 value),
 * fid 1 drains it. Returns an SBI error code. */
int64_t trap_pv_call(void *vm, uint64_t fid, uint64_t a0, uint64_t a1);

/* Validate and apply the logged PTE updates (also done on every emulated
 * sfence.vma and satp write in PV mode). Number of rejected entries. */
uint64_t trap_pv_drain(struct vm *vm);

#endif
