/* riscv.h: RISC-V supervisor-mode definitions for the guest kernel.
 *
 * One inline accessor per CSR, and every page-table bit trick as a named
 * macro, so the rest of the kernel never spells out a shift or a mask.
 * Under the vmmsim VMM the kernel runs in U-mode and each CSR access traps
 * and is emulated, so these accessors are also the VMM's exit points. */
#ifndef GUEST_RISCV_H
#define GUEST_RISCV_H

#include "types.h"

/* sstatus bits */
#define SSTATUS_SIE  (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP  (1UL << 8)
#define SSTATUS_SUM  (1UL << 18)

/* sie / sip bits */
#define SIE_STIE (1UL << 5)

/* scause values */
#define SCAUSE_INTR          (1UL << 63)
#define SCAUSE_STIMER        (SCAUSE_INTR | 5)
#define SCAUSE_ECALL_U       8
#define SCAUSE_INSN_PF       12
#define SCAUSE_LOAD_PF       13
#define SCAUSE_STORE_PF      15

#define CSR_READ(name)                                                     \
    static inline uint64 r_##name(void)                                    \
    {                                                                      \
        uint64 x;                                                          \
        __asm__ volatile("csrr %0, " #name : "=r"(x));                     \
        return x;                                                          \
    }
#define CSR_WRITE(name)                                                    \
    static inline void w_##name(uint64 x)                                  \
    {                                                                      \
        __asm__ volatile("csrw " #name ", %0" : : "r"(x));                 \
    }

CSR_READ(sstatus)
CSR_WRITE(sstatus)
CSR_READ(sepc)
CSR_WRITE(sepc)
CSR_READ(scause)
CSR_READ(stval)
CSR_WRITE(stvec)
CSR_READ(sie)
CSR_WRITE(sie)
CSR_READ(satp)
CSR_WRITE(satp)
CSR_WRITE(sscratch)
CSR_READ(time)

static inline void s_sstatus(uint64 bits)
{
    __asm__ volatile("csrs sstatus, %0" : : "r"(bits));
}

static inline void c_sstatus(uint64 bits)
{
    __asm__ volatile("csrc sstatus, %0" : : "r"(bits));
}

static inline void sfence_vma(void)
{
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

static inline void fence_i(void)
{
    __asm__ volatile("fence.i" ::: "memory");
}

static inline void wfi(void)
{
    __asm__ volatile("wfi");
}

/* Sv39 */
#define PGSIZE   4096UL
#define PGSHIFT  12
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)

#define PA2PTE(pa)    ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte)   (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

#define PXSHIFT(level) (PGSHIFT + 9 * (level))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & 0x1FF)

#define SATP_SV39 (8UL << 60)
#define MAKE_SATP(root) (SATP_SV39 | (((uint64)(root)) >> 12))

typedef uint64 pte_t;
typedef pte_t *pagetable_t; /* 512 PTEs */

#endif
