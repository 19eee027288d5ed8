/* cpu: a software RV64IMA hart (Zicsr, Zifencei, M/S/U, Sv39) run KVM-style.
 *
 * The hart executes guest code out of a decoded-block translation cache and
 * returns to its caller with an exit (struct cpu_exit) when the instruction
 * budget is used up, when the test harness writes HTIF tohost, when an access
 * hits no RAM and no registered MMIO device, when a guest-physical frame is
 * unmapped, or when a trap the caller asked to intercept would be taken.
 *
 * Typical VMM use (trap-and-emulate, guest kernel in U-mode):
 *
 *     struct phys *p = phys_new(0x80000000, 64 << 20);
 *     struct cpu *c = cpu_new(p, 0);
 *     cpu_set_priv(c, CPU_PRIV_U);
 *     cpu_set_intercept(c, CPU_PRIV_U, CPU_INTERCEPT_ALL, CPU_INTERCEPT_ALL);
 *     for (;;) {
 *         struct cpu_exit e;
 *         switch (cpu_run(c, 100000, &e)) {
 *         case CPU_EXIT_TRAP:     emulate e.insn / fault at e.pc; set c->pc; break;
 *         case CPU_EXIT_MMIO:     device access; cpu_mmio_complete(c, val); break;
 *         case CPU_EXIT_UNMAPPED: page e.addr in, phys_map(), cpu_tlb_flush(); break;
 *         case CPU_EXIT_BUDGET:   scheduling point; break;
 *         ...
 *         }
 *     }
 *
 * Interpretation mode (guest kernel in S-mode natively, SBI in C): intercept
 * only ecall from S: cpu_set_intercept(c, CPU_PRIV_S, CPU_EXC_BIT(CPU_EXC_ECALL_S), 0).
 *
 * Registers x[1..31] and pc may be read and written directly between runs.
 * CSRs go through cpu_csr_get/cpu_csr_set so side effects (TLB flush,
 * interrupt recomputation) happen. Virtual time (icount) counts retired
 * instructions plus one tick per trap delivered architecturally (so trap
 * loops use up the budget), plus time skipped by cpu_advance_time: runs are
 * deterministic. minstret counts retired instructions only. Host must be
 * little-endian.
 *
 * Guest memory written by the host must go through phys_write() (or be
 * followed by cpu_flush_all()) so translated code stays coherent; a frame
 * remapped with phys_map() needs cpu_tlb_flush(). One hart per phys for now:
 * a second hart sharing the phys would have to be flushed on code changes.
 * Contract for SMC: stores invalidate translated code at once, so fence.i is
 * not needed for correctness (but is accepted).
 */
#ifndef VMMSIM_CPU_H
#define VMMSIM_CPU_H

#include <stdint.h>

#include "vmm/phys.h"

enum { CPU_PRIV_U = 0, CPU_PRIV_S = 1, CPU_PRIV_M = 3 };

/* Exception causes (mcause values without the interrupt bit). */
enum {
    CPU_EXC_FETCH_MISALIGNED = 0, CPU_EXC_FETCH_ACCESS = 1, CPU_EXC_ILLEGAL = 2,
    CPU_EXC_BREAKPOINT = 3, CPU_EXC_LOAD_MISALIGNED = 4, CPU_EXC_LOAD_ACCESS = 5,
    CPU_EXC_STORE_MISALIGNED = 6, CPU_EXC_STORE_ACCESS = 7, CPU_EXC_ECALL_U = 8,
    CPU_EXC_ECALL_S = 9, CPU_EXC_ECALL_M = 11, CPU_EXC_FETCH_PAGE = 12,
    CPU_EXC_LOAD_PAGE = 13, CPU_EXC_STORE_PAGE = 15,
};
/* Interrupt numbers (mcause = CPU_CAUSE_IRQ | n, bit n of mip/mie). */
enum {
    CPU_IRQ_SSI = 1, CPU_IRQ_MSI = 3, CPU_IRQ_STI = 5, CPU_IRQ_MTI = 7,
    CPU_IRQ_SEI = 9, CPU_IRQ_MEI = 11,
};
#define CPU_CAUSE_IRQ (1ULL << 63)
#define CPU_EXC_BIT(cause) (1ULL << (cause))
#define CPU_INTERCEPT_ALL (~0ULL)

/* Why cpu_run returned. */
enum cpu_exit_reason {
    CPU_EXIT_NONE = 0,
    CPU_EXIT_BUDGET,     /* the instruction budget is used up */
    CPU_EXIT_HTIF,       /* store to the tohost address; value in data */
    CPU_EXIT_MMIO,       /* access to an address with no RAM and no device */
    CPU_EXIT_UNMAPPED,   /* access to a RAM frame with no host frame (phys_map NULL) */
    CPU_EXIT_TRAP,       /* an intercepted trap would have been taken */
    CPU_EXIT_WFI,        /* wfi with no interrupt pending (pc already advanced) */
};

/* Access kinds for MMIO/UNMAPPED exits. */
enum { CPU_ACC_FETCH = 0, CPU_ACC_LOAD = 1, CPU_ACC_STORE = 2 };

struct cpu_exit {
    enum cpu_exit_reason reason;
    uint64_t pc;       /* pc of the instruction concerned (TRAP/MMIO/UNMAPPED) */
    uint32_t insn;     /* its encoding, 0 if it could not be fetched */
    int priv;          /* privilege level the hart was in */
    /* TRAP: mcause-style cause (CPU_CAUSE_IRQ set for interrupts) and tval. */
    uint64_t cause, tval;
    /* MMIO/UNMAPPED: guest-physical address, kind, size in bytes; MMIO stores
     * carry data (truncated to size). HTIF: data is the value written to
     * tohost. For UNMAPPED during a page walk, addr is the PTE's address. */
    uint64_t addr, data;
    int access, size;
    uint64_t va;       /* MMIO/UNMAPPED: virtual address of the access */
};

/* --- internal shapes, public so struct cpu can be embedded --- */
#define CPU_TLB_BITS 8
#define CPU_TLB_SIZE (1u << CPU_TLB_BITS)
#define CPU_JC_SIZE  4096u
#define CPU_TLB_SLOTS 4u     /* address spaces (satp values) cached at once */
#define CPU_TLB_CTX (2 * CPU_TLB_SLOTS + 1)

struct cpu_tlbe {
    uint64_t tag;        /* page-aligned virtual address, ~0 = invalid */
    uintptr_t addend;    /* host address = va + addend */
};

struct cpu_tlbx {
    uint64_t tag;        /* as cpu_tlbe */
    uintptr_t addend;
    uint64_t pa;         /* guest-physical page address (block cache key) */
};

/* Translation-lookaside buffers of one context: read, write, fetch. */
struct cpu_tlb {
    struct cpu_tlbe r[CPU_TLB_SIZE], w[CPU_TLB_SIZE];
    struct cpu_tlbx x[CPU_TLB_SIZE];
};

struct cpu_block;
struct cpu_tcache;

struct cpu_csrs {
    uint64_t mstatus, misa, medeleg, mideleg, mie, mip, mtvec, mscratch, mepc,
        mcause, mtval, mcounteren, menvcfg;
    uint64_t stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg;
    uint64_t pmpcfg[4], pmpaddr[16];
    uint64_t mhartid;
};

struct cpu {
    uint64_t x[33];      /* x[32] is a write sink for rd = x0 */
    uint64_t pc;
    int priv;
    struct cpu_csrs csr;
    struct phys *phys;

    /* virtual time: icount retired instructions; counters are offsets from it */
    uint64_t icount;
    uint64_t instret_off, cycle_off, time_off;
    uint64_t mtimecmp;
    uint64_t timer_at;   /* icount at which mtime reaches mtimecmp (~0: never) */
    int irq_ready;       /* an interrupt is pending and enabled: check it */

    uint64_t intercept_exc[4], intercept_irq[4];  /* indexed by privilege */

    /* LR/SC reservation: physical address, valid flag */
    uint64_t resv_addr;
    int resv_valid;

    uint64_t htif_tohost;   /* physical address of tohost, 0 = none */

    /* exit in progress and MMIO completion state */
    struct cpu_exit *exit;
    int mmio_rd, mmio_size, mmio_signed, mmio_pending;
    uint32_t cur_insn;   /* encoding of the instruction on the slow path */

    /* TLB contexts: 2 * slot + (0 = U, 1 = S) for the address space cached
     * in each slot (tagged by satp value, so switching between a few roots
     * needs no flush), and 2 * CPU_TLB_SLOTS for M-mode/bare. The pointers
     * select the live contexts for data and fetch. */
    struct cpu_tlb tlb[CPU_TLB_CTX];
    struct cpu_tlb *tlb_data, *tlb_fetch;
    uint64_t slot_satp[CPU_TLB_SLOTS];   /* ~0 = empty */
    unsigned slot, slot_victim;

    /* jump cache: (virtual pc, key) -> block; key = epoch * 32 + slot * 4 +
     * priv, so a flush is epoch++ (O(1)) and a slot switch keeps entries */
    struct cpu_jce { uint64_t tag; struct cpu_block *blk; uint32_t key; } jc[CPU_JC_SIZE];
    uint32_t jc_epoch, jc_key;
    uint64_t code_epoch;     /* phys->code_epoch the jump cache is valid for */
    struct cpu_tcache *tc;
    /* statistics */
    uint64_t n_tlb_miss, n_blocks_translated, n_tc_flush, n_exits;
    /* Lookup counters, so hit rates can be reported without a per-access
     * increment on the hot path (hit rate = 1 - misses / lookups).
     *
     * n_tlb_miss: slow-path translations that reached a RAM frame (each
     *   refills an entry, but a store to a frame with flags gets none), from
     *   every source: loads, stores, fetches, AMOs, both pages of a
     *   page-crossing access. Not the miss count of the rates below.
     * n_tlb_data_lookup: executed load and store instructions (LB..SD), each
     *   once: a block adds its count of them when it starts (through the jump
     *   cache or a chain link), and a block left early (trap, exit, store to
     *   code) takes back those after the instruction it stopped at. The
     *   instruction that trapped or exited counts; a retry after an UNMAPPED
     *   exit counts again. AMO/LR/SC are not counted (they bypass the TLB).
     * n_tlb_data_miss: of those, the accesses that left the inline check for
     *   the slow path: no entry for the page, misaligned, a store to a frame
     *   with translated code or the HTIF word (no write entry), MMIO.
     * n_tlb_fetch_lookup / n_tlb_fetch_miss: fetch translations, one per
     *   block lookup that missed the jump cache (and one per one-instruction
     *   budget block); jump-cache hits and chain links reuse an earlier
     *   translation and do no fetch lookup. Misaligned pcs trap before it.
     *
     * Block lookups: every block started is one lookup, and is exactly one of
     *   n_chained     reached through a chain link (direct jump, taken branch
     *                 or fall-through in the same page): counted as a hit;
     *   n_jc_hit      found in the jump cache;
     *   n_tc_lookup   missed the jump cache and was looked up in the
     *                 translation cache after a successful fetch translation;
     *                 it hit there, or was translated (n_blocks_translated).
     *   Lookups whose fetch translation traps or exits are not counted.
     *   Translation-cache hit rate = 1 - n_blocks_translated / lookups. The
     *   one-instruction blocks that end a run exactly on the budget are
     *   decoded afresh after the lookup and are not counted as translations.
     * All are exact between runs; during a run n_chained and
     * n_tlb_data_lookup lag (the interpreter keeps them in locals). */
    uint64_t n_tlb_data_lookup, n_tlb_data_miss, n_tlb_fetch_lookup, n_tlb_fetch_miss;
    uint64_t n_chained, n_jc_hit, n_tc_lookup;
};

/* Totals and hit rates (0..1; 1 when there was no lookup) from the counters. */
struct cpu_stats {
    uint64_t tlb_lookups, tlb_misses, blk_lookups, blk_translated;
    double tlb_hit, blk_hit, jc_hit;   /* jc_hit: of the non-chained lookups */
};
void cpu_stats(const struct cpu *c, struct cpu_stats *s);

/* A hart in M-mode at pc = phys->ram_base, all registers zero, hart id as given.
 * NULL on allocation failure. The phys is borrowed and must outlive the cpu. */
struct cpu *cpu_new(struct phys *phys, uint64_t hartid);
void cpu_free(struct cpu *c);

/* Run until an exit. Executes at most budget instructions (budget 0 returns
 * CPU_EXIT_BUDGET at once). Fills *exit and returns exit->reason. After an
 * MMIO load exit the caller must call cpu_mmio_complete() or cpu_mmio_abort()
 * before running again (else -EBUSY); a pending MMIO store left alone is
 * completed by the next cpu_run. After every other exit the hart can simply
 * be run again (a TRAP or UNMAPPED exit leaves pc at the instruction, which
 * has not retired: the caller emulates and moves pc, or fixes and retries).
 * Devices registered with phys_mmio_add are called inside the run (no exit). */
int cpu_run(struct cpu *c, uint64_t budget, struct cpu_exit *exit);

/* Intercept: traps that would be taken while the hart is at privilege priv
 * with a cause whose bit is set in exc (exceptions) or irq (interrupt numbers)
 * are returned as CPU_EXIT_TRAP instead of being delivered. */
void cpu_set_intercept(struct cpu *c, int priv, uint64_t exc, uint64_t irq);

/* Finish an MMIO exit: for a load, val is written (sign/zero extended per the
 * instruction) to its rd; for a store val is ignored. Advances pc. */
void cpu_mmio_complete(struct cpu *c, uint64_t val);

/* Abandon a pending MMIO access (the caller will redirect the hart, e.g.
 * raise an access fault): pc stays at the instruction, nothing retires. */
void cpu_mmio_abort(struct cpu *c);

/* Deliver a trap architecturally now (as the hardware would, ignoring
 * intercepts): used by a VMM to reflect a trap it decided not to emulate.
 * c->pc must be the epc. */
void cpu_raise(struct cpu *c, uint64_t cause, uint64_t tval);

/* Change privilege (flushes the affected lookup state). */
void cpu_set_priv(struct cpu *c, int priv);

/* CSR access from the host side, without privilege checks. 0 or -EINVAL for
 * an unknown CSR. */
int cpu_csr_get(struct cpu *c, unsigned csr, uint64_t *val);
int cpu_csr_set(struct cpu *c, unsigned csr, uint64_t val);

/* Set or clear an interrupt-pending bit (external sources: SEI/MEI, or the
 * VMM injecting STI/SSI). */
void cpu_set_irq(struct cpu *c, int irq, int level);

/* Timer (CLINT): mtime = icount + time_off. */
uint64_t cpu_mtime(const struct cpu *c);
void cpu_set_mtime(struct cpu *c, uint64_t t);
void cpu_set_mtimecmp(struct cpu *c, uint64_t t);
/* Skip virtual time forward by dt (e.g. a WFI exit sleeping to the timer). */
void cpu_advance_time(struct cpu *c, uint64_t dt);

/* Watch stores to a physical address: a store there ends the run with
 * CPU_EXIT_HTIF. 0 disables. -EINVAL if addr is not in RAM. */
int cpu_set_htif(struct cpu *c, uint64_t tohost);

/* Drop every cached translation: call after phys_map, and after the host
 * changes page tables the hart may have cached (e.g. VMM shadow PTEs). */
void cpu_tlb_flush(struct cpu *c);
/* Drop every translated block as well. */
void cpu_flush_all(struct cpu *c);

/* Read guest memory through the hart's current data translation, as a load
 * at the current privilege would (no trap is raised): 0, or -EFAULT. */
int cpu_read_virt(struct cpu *c, uint64_t va, void *dst, unsigned len);

/* Verify the hart's invariants between runs (x0 zero, legal privilege and
 * MPP, aligned epcs, TLB context pointers, irq_ready and MTIP up to date,
 * jump-cache key). 0 or -EIO. */
int cpu_check(const struct cpu *c);

/* Name of an exit reason (for messages). */
const char *cpu_exit_name(int reason);

#endif
