/* clint: the core-local interruptor (msip, mtimecmp, mtime) of one hart at
 * QEMU virt's address, backed by the hart's virtual time. */
#ifndef VMMSIM_CLINT_H
#define VMMSIM_CLINT_H

#include "vmm/cpu.h"

#define CLINT_BASE 0x2000000ULL
#define CLINT_SIZE 0x10000ULL

/* Register the CLINT of hart c on c's phys at CLINT_BASE. 0 or the negative
 * code of phys_mmio_add. The device keeps a pointer to c. */
int clint_attach(struct cpu *c);

#endif
