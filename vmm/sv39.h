/* sv39: the bits of a RISC-V Sv39 page-table entry (privileged spec,
 * "Sv39: Page-Based 39-bit Virtual-Memory System"), shared by the hart's
 * page walker (cpu_mmu.c) and the VMM's shadow tables (shadow.c). */
#ifndef VMMSIM_SV39_H
#define VMMSIM_SV39_H

#include <stdint.h>

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)
#define PTE_PPN(pte) (((pte) >> 10) & ((1ULL << 44) - 1))
#define PTE_RESERVED (0x3ffULL << 54)   /* bits 63:54 must be zero (no Svpbmt/Svnapot) */

#endif
