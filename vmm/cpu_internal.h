/* cpu_internal: shapes and functions shared by the cpu*.c files only.
 *
 * A decoded instruction (struct cpu_insn) names its operation, registers and
 * immediate; a block (struct cpu_block) is a straight run of them starting at
 * one guest-physical pc inside one frame, ending with a control transfer,
 * a system instruction, the frame end or CPU_BLOCK_MAX, followed by an OP_END
 * sentinel. Slow-path functions return a status: CPU_OK (continue),
 * CPU_REDIRECT (pc was changed, e.g. a trap was delivered: leave the block) or
 * CPU_STOP (c->exit is filled: return to the caller).
 */
#ifndef VMMSIM_CPU_INTERNAL_H
#define VMMSIM_CPU_INTERNAL_H

#include "vmm/cpu.h"

#define CPU_OK 0
#define CPU_REDIRECT 1
#define CPU_STOP 2

#define CPU_BLOCK_MAX 64

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* mstatus bits */
#define MSTATUS_SIE  (1ULL << 1)
#define MSTATUS_MIE  (1ULL << 3)
#define MSTATUS_SPIE (1ULL << 5)
#define MSTATUS_MPIE (1ULL << 7)
#define MSTATUS_SPP  (1ULL << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP  (3ULL << 11)
#define MSTATUS_MPRV (1ULL << 17)
#define MSTATUS_SUM  (1ULL << 18)
#define MSTATUS_MXR  (1ULL << 19)
#define MSTATUS_TVM  (1ULL << 20)
#define MSTATUS_TW   (1ULL << 21)
#define MSTATUS_TSR  (1ULL << 22)
#define MSTATUS_UXL  (2ULL << 32)
#define MSTATUS_SXL  (2ULL << 34)

#define SATP_MODE_SV39 8ULL

/* Every operation the interpreter knows; X(name). */
#define CPU_OPS(X) \
    X(END) X(ILLEGAL) X(NOP) X(LUI) X(AUIPC) X(JAL) X(JALR) \
    X(BEQ) X(BNE) X(BLT) X(BGE) X(BLTU) X(BGEU) \
    X(LB) X(LH) X(LW) X(LD) X(LBU) X(LHU) X(LWU) X(SB) X(SH) X(SW) X(SD) \
    X(ADDI) X(SLTI) X(SLTIU) X(XORI) X(ORI) X(ANDI) X(SLLI) X(SRLI) X(SRAI) \
    X(ADD) X(SUB) X(SLL) X(SLT) X(SLTU) X(XOR) X(SRL) X(SRA) X(OR) X(AND) \
    X(ADDIW) X(SLLIW) X(SRLIW) X(SRAIW) X(ADDW) X(SUBW) X(SLLW) X(SRLW) X(SRAW) \
    X(MUL) X(MULH) X(MULHSU) X(MULHU) X(DIV) X(DIVU) X(REM) X(REMU) \
    X(MULW) X(DIVW) X(DIVUW) X(REMW) X(REMUW) \
    X(FENCE_I) X(AMO) X(CSR) X(ECALL) X(EBREAK) X(MRET) X(SRET) X(WFI) X(SFENCE_VMA)

enum cpu_op {
#define X(n) OP_##n,
    CPU_OPS(X)
#undef X
    OP_COUNT
};

struct cpu_insn {
    uint16_t op;
    uint8_t rd, rs1, rs2, aux;   /* rd 0 is decoded as 32 (write sink) */
    int32_t imm;                 /* immediate, CSR number, AMO funct5 */
    uint32_t raw;
};

struct cpu_block {
    struct cpu_block *next;    /* hash chain */
    uint64_t ppc;              /* guest-physical pc of ins[0] */
    struct phys_meta *meta;    /* frame of ppc; block valid while gen matches */
    uint32_t gen;
    uint32_t n;                /* instructions before the OP_END sentinel */
    /* chained successors in the same virtual page: [0] taken jump/branch,
     * [1] fall-through; only followed while their gen is current */
    struct cpu_block *succ[2];
    uint8_t single;            /* the scratch one-instruction block: never linked */
    uint8_t ft_chain;          /* fall-through may chain: the block did not end
                                  with a CSR or system instruction */
    uint16_t n_mem;            /* loads and stores among ins[] (TLB lookups) */
    struct cpu_insn ins[];
};

/* cpu_decode.c: decode raw into *d; returns 1 if it must end a block. */
int cpu_decode(uint32_t raw, struct cpu_insn *d);
/* A load or store: looks up the data TLB inline (AMOs do not). */
static inline int cpu_op_is_mem(int op)
{
    return op >= OP_LB && op <= OP_SD;
}

/* cpu.c */
int cpu_trap(struct cpu *c, uint64_t cause, uint64_t tval);
void cpu_irq_update(struct cpu *c);
int cpu_irq_take(struct cpu *c);
void cpu_ctx_update(struct cpu *c);
void cpu_timer_update(struct cpu *c);
int cpu_stop(struct cpu *c, enum cpu_exit_reason why);
void cpu_jc_flush(struct cpu *c);
/* Drop jump-cache entries if any frame's code changed since the last call
 * (the jump cache does not check frame generations itself). */
static inline void cpu_code_sync(struct cpu *c)
{
    if (c->code_epoch != c->phys->code_epoch) {
        c->code_epoch = c->phys->code_epoch;
        cpu_jc_flush(c);
    }
}
/* Flush the translated (U and S) TLB contexts: sfence.vma, SUM/MXR. */
void cpu_tlb_flush_virt(struct cpu *c);
/* satp changed: select (or evict and fill) the TLB slot of the new value. */
void cpu_tlb_switch(struct cpu *c);

/* cpu_csr.c: execute a CSR instruction or a privileged one (mret, sret, wfi,
 * sfence.vma); c->pc and c->icount are synchronised to the instruction. */
int cpu_csr_exec(struct cpu *c, const struct cpu_insn *d);
int cpu_csr_priv(struct cpu *c, const struct cpu_insn *d);

/* cpu_mmu.c: slow paths. va is virtual; on a fault the trap is raised.
 * cpu_mmu_load/store are called only when the inline TLB check failed (each
 * call counts a data-TLB miss); cpu_mmu_fetch counts a fetch-TLB lookup. */
int cpu_mmu_load(struct cpu *c, uint64_t va, int size, uint64_t *val);
int cpu_mmu_store(struct cpu *c, uint64_t va, int size, uint64_t val);
int cpu_mmu_amo(struct cpu *c, const struct cpu_insn *d);
/* Translate pc for fetch: host pointer of the frame byte and its gpa, or a
 * raised trap/exit status (non-zero). */
int cpu_mmu_fetch(struct cpu *c, uint64_t va, uint8_t **host, uint64_t *pa);
/* Walk without side effects on A/D or traps: 0 or -EFAULT. */
int cpu_mmu_probe(struct cpu *c, uint64_t va, int acc, uint64_t *pa);

/* cpu_tcache.c */
struct cpu_tcache *cpu_tcache_new(void);
void cpu_tcache_free(struct cpu_tcache *t);
void cpu_tcache_flush(struct cpu *c);
/* Block for c->pc (translating it if needed), or NULL with status in *st. */
struct cpu_block *cpu_tcache_get(struct cpu *c, int *st);
/* A one-instruction block for c->pc (exact budget ends), or NULL + *st. */
struct cpu_block *cpu_tcache_single(struct cpu *c, int *st);

/* cpu_exec.c: run blocks until icount reaches limit or a stop; status. */
int cpu_exec_run(struct cpu *c, uint64_t limit);

#endif
