/* cpu_exec: the interpreter loop over decoded blocks (threaded dispatch).
 *
 * Each iteration finds the block for (pc, privilege) through the jump cache
 * (falling back to the translation cache), then runs its instructions by
 * jumping from handler to handler through a label table indexed by op (GNU
 * computed goto). The block's OP_END sentinel commits pc and the instruction
 * count; control transfers commit them themselves. Direct jumps, taken
 * branches and fall-throughs to a target in the same virtual page follow a
 * cached successor pointer (block chaining) instead of the jump cache, as
 * long as the successor's frame generation is current, no interrupt is
 * ready and the budget allows the whole successor.
 *
 * Invariant between blocks: c->pc and c->icount are exact. Inside a block
 * they are stale; SYNC() makes them exact (pc of the current instruction,
 * instructions before it retired) before any slow-path call, so traps see a
 * precise state. Loads and stores hit the TLB inline; a miss, a misaligned
 * access, a store to a watched or code frame goes to cpu_mmu_*.
 *
 * Statistics stay off the per-instruction path: starting a block adds its
 * count of loads and stores to the data-TLB lookups (leaving it early takes
 * back the ones not reached), and counts one block lookup as a chain link or
 * a jump-cache hit (cpu_tcache counts the rest; see struct cpu in cpu.h).
 * The two counters of the hot path live in locals, which guest stores
 * through x cannot alias, and are added to struct cpu on return.
 *
 * This is one long function on purpose: the handlers must share one frame for
 * computed goto, and the hot path allocates nothing and calls nothing.
 */
#include "vmm/cpu_internal.h"

#include <string.h>

#define IDX ((uint64_t)(in - b->ins))
#define PC (bpc + 4 * IDX)
#define SYNC() (c->pc = PC, c->icount = base + IDX, c->cur_insn = in->raw)
#define NEXT do { in++; goto *tbl[in->op]; } while (0)
#define RD x[in->rd]
#define RS1 x[in->rs1]
#define RS2 x[in->rs2]
#define IMM ((uint64_t)(int64_t)in->imm)
#define SX32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))
#define PGMASK (~(uint64_t)0xfff)

/* Leave the block for target (retired count cnt) through chain slot k: follow
 * the cached successor if it is current and fits the budget, else remember
 * the slot so next_block can fill it. Only same-page targets are chained: a
 * block's successor there shares its frame and translation. */
#define CHAIN(target, cnt, k) do { \
        uint64_t t2_ = (target); \
        c->pc = t2_; c->icount = base + (cnt); \
        if (((t2_ ^ bpc) >> 12) == 0) { \
            const struct cpu_block *s_ = b->succ[k]; \
            if (s_ && s_->gen == s_->meta->gen && !c->irq_ready && c->icount + s_->n <= limit) { \
                n_chained++; n_data += s_->n_mem; \
                b = s_; bpc = t2_; base = c->icount; in = b->ins; \
                tr = c->tlb_data->r; tw = c->tlb_data->w; goto *tbl[in->op]; \
            } \
            if (!b->single) { \
                link = (struct cpu_block **)&b->succ[k]; link_pc = t2_; \
                link_key = c->jc_key; link_flush = c->n_tc_flush; \
            } \
        } \
        goto next_block; \
    } while (0)

/* jump to target: chain, or raise a misaligned-fetch trap on the jump */
#define JUMP(target) do { \
        uint64_t t_ = (target); \
        if (unlikely(t_ & 3)) { SYNC(); st = cpu_trap(c, CPU_EXC_FETCH_MISALIGNED, t_); goto leave; } \
        CHAIN(t_, IDX + 1, 0); \
    } while (0)

/* indirect jump: never chained (the target varies) */
#define JUMP_INDIRECT(target) do { \
        uint64_t t_ = (target); \
        if (unlikely(t_ & 3)) { SYNC(); st = cpu_trap(c, CPU_EXC_FETCH_MISALIGNED, t_); goto leave; } \
        c->pc = t_; c->icount = base + IDX + 1; goto next_block; \
    } while (0)

#define BRANCH(cond) do { if (cond) JUMP(PC + IMM); NEXT; } while (0)

#define LOAD(T, sz) do { \
        uint64_t va = RS1 + IMM; \
        const struct cpu_tlbe *e = &tr[(va >> 12) & (CPU_TLB_SIZE - 1)]; \
        if (likely((va & (PGMASK | (sz - 1))) == e->tag)) { \
            T v_; memcpy(&v_, (const void *)(uintptr_t)(va + e->addend), sz); \
            RD = (uint64_t)(int64_t)v_; NEXT; \
        } \
        uint64_t w_; SYNC(); \
        if ((st = cpu_mmu_load(c, va, sz, &w_)) != CPU_OK) goto leave; \
        RD = (uint64_t)(int64_t)(T)w_; NEXT; \
    } while (0)

#define STORE(T, sz) do { \
        uint64_t va = RS1 + IMM; \
        const struct cpu_tlbe *e = &tw[(va >> 12) & (CPU_TLB_SIZE - 1)]; \
        if (likely((va & (PGMASK | (sz - 1))) == e->tag)) { \
            T v_ = (T)RS2; memcpy((void *)(uintptr_t)(va + e->addend), &v_, sz); NEXT; \
        } \
        SYNC(); \
        if ((st = cpu_mmu_store(c, va, sz, RS2)) != CPU_OK) goto leave; \
        NEXT; \
    } while (0)

static inline uint64_t mulhu(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t mulh(int64_t a, int64_t b)
{
    return (uint64_t)(((__int128)a * b) >> 64);
}

static inline uint64_t mulhsu(int64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static inline uint64_t divs(int64_t a, int64_t b)
{
    if (b == 0)
        return ~0ULL;
    if (a == INT64_MIN && b == -1)
        return (uint64_t)a;
    return (uint64_t)(a / b);
}

static inline uint64_t rems(int64_t a, int64_t b)
{
    if (b == 0)
        return (uint64_t)a;
    if (a == INT64_MIN && b == -1)
        return 0;
    return (uint64_t)(a % b);
}

static inline uint64_t divw(int32_t a, int32_t b)
{
    if (b == 0)
        return ~0ULL;
    if (a == INT32_MIN && b == -1)
        return SX32(a);
    return SX32(a / b);
}

static inline uint64_t remw(int32_t a, int32_t b)
{
    if (b == 0)
        return SX32(a);
    if (a == INT32_MIN && b == -1)
        return 0;
    return SX32(a % b);
}

/* Find the block to run at c->pc, or NULL with *st set. A jump-cache hit
 * needs no generation check: every code change flushes it (cpu_code_sync). */
static inline struct cpu_block *find_block(struct cpu *c, uint64_t limit, int *st)
{
    uint32_t h = (uint32_t)(c->pc >> 2) & (CPU_JC_SIZE - 1);
    struct cpu_jce *j = &c->jc[h];
    struct cpu_block *b = j->blk;
    if (likely(j->tag == c->pc && j->key == c->jc_key)) {
        c->n_jc_hit++;
    } else {
        b = cpu_tcache_get(c, st);
        if (!b)
            return NULL;
        j->tag = c->pc;
        j->blk = b;
        j->key = c->jc_key;
    }
    if (unlikely(c->icount + b->n > limit))
        b = cpu_tcache_single(c, st);
    return b;
}

int cpu_exec_run(struct cpu *c, uint64_t limit)
{
    static const void *const tbl[OP_COUNT] = {
#define X(n) &&op_##n,
        CPU_OPS(X)
#undef X
    };
    uint64_t *const x = c->x;
    const struct cpu_block *b;
    const struct cpu_insn *in;
    const struct cpu_tlbe *tr, *tw;
    uint64_t bpc, base;
    int st = CPU_OK;
    /* pending chain link: slot to fill with the block found for link_pc */
    struct cpu_block **link = NULL;
    uint64_t link_pc = 0, link_flush = 0;
    uint32_t link_key = 0;
    /* statistics kept in locals (no aliasing with guest stores), added to
     * c->n_chained and c->n_tlb_data_lookup on return */
    uint64_t n_chained = 0, n_data = 0;

next_block:
    if (unlikely(c->icount >= limit)) {
        st = CPU_OK;
        goto done;
    }
    if (unlikely(c->irq_ready) && (st = cpu_irq_take(c)) == CPU_STOP)
        goto done;
    b = find_block(c, limit, &st);
    if (link) {
        if (b && !b->single && c->pc == link_pc && c->jc_key == link_key &&
            c->n_tc_flush == link_flush)
            *link = (struct cpu_block *)b;
        link = NULL;
    }
    if (unlikely(!b))
        goto stop_or_next;
    n_data += b->n_mem;
    bpc = c->pc;
    base = c->icount;
    tr = c->tlb_data->r;
    tw = c->tlb_data->w;
    in = b->ins;
    goto *tbl[in->op];

leave:
    /* the block ends early at in: its later loads and stores do not run */
    for (const struct cpu_insn *p = in + 1; p->op != OP_END; p++)
        n_data -= (uint64_t)cpu_op_is_mem(p->op);
stop_or_next:
    if (st != CPU_STOP)
        goto next_block;
done:
    c->n_chained += n_chained;
    c->n_tlb_data_lookup += n_data;
    return st;

op_END:
    if (likely(b->ft_chain))
        CHAIN(bpc + 4 * (uint64_t)b->n, b->n, 1);
    c->pc = bpc + 4 * (uint64_t)b->n;
    c->icount = base + b->n;
    goto next_block;
op_ILLEGAL:
    SYNC();
    st = cpu_trap(c, CPU_EXC_ILLEGAL, in->raw);
    goto leave;
op_NOP:
op_FENCE_I:
    NEXT;
op_LUI:    RD = IMM; NEXT;
op_AUIPC:  RD = PC + IMM; NEXT;
op_JAL: {
        uint64_t lnk = PC + 4;
        uint64_t t = PC + IMM;
        if (likely(!(t & 3)))
            RD = lnk;
        JUMP(t);
    }
op_JALR: {
        uint64_t t = (RS1 + IMM) & ~1ULL;
        if (likely(!(t & 3)))
            RD = PC + 4;
        JUMP_INDIRECT(t);
    }
op_BEQ:  BRANCH(RS1 == RS2);
op_BNE:  BRANCH(RS1 != RS2);
op_BLT:  BRANCH((int64_t)RS1 < (int64_t)RS2);
op_BGE:  BRANCH((int64_t)RS1 >= (int64_t)RS2);
op_BLTU: BRANCH(RS1 < RS2);
op_BGEU: BRANCH(RS1 >= RS2);
op_LB:   LOAD(int8_t, 1);
op_LH:   LOAD(int16_t, 2);
op_LW:   LOAD(int32_t, 4);
op_LD:   LOAD(int64_t, 8);
op_LBU:  LOAD(uint8_t, 1);
op_LHU:  LOAD(uint16_t, 2);
op_LWU:  LOAD(uint32_t, 4);
op_SB:   STORE(uint8_t, 1);
op_SH:   STORE(uint16_t, 2);
op_SW:   STORE(uint32_t, 4);
op_SD:   STORE(uint64_t, 8);
op_ADDI:  RD = RS1 + IMM; NEXT;
op_SLTI:  RD = (int64_t)RS1 < (int64_t)IMM; NEXT;
op_SLTIU: RD = RS1 < IMM; NEXT;
op_XORI:  RD = RS1 ^ IMM; NEXT;
op_ORI:   RD = RS1 | IMM; NEXT;
op_ANDI:  RD = RS1 & IMM; NEXT;
op_SLLI:  RD = RS1 << (in->imm & 63); NEXT;
op_SRLI:  RD = RS1 >> (in->imm & 63); NEXT;
op_SRAI:  RD = (uint64_t)((int64_t)RS1 >> (in->imm & 63)); NEXT;
op_ADD:   RD = RS1 + RS2; NEXT;
op_SUB:   RD = RS1 - RS2; NEXT;
op_SLL:   RD = RS1 << (RS2 & 63); NEXT;
op_SLT:   RD = (int64_t)RS1 < (int64_t)RS2; NEXT;
op_SLTU:  RD = RS1 < RS2; NEXT;
op_XOR:   RD = RS1 ^ RS2; NEXT;
op_SRL:   RD = RS1 >> (RS2 & 63); NEXT;
op_SRA:   RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63)); NEXT;
op_OR:    RD = RS1 | RS2; NEXT;
op_AND:   RD = RS1 & RS2; NEXT;
op_ADDIW: RD = SX32(RS1 + IMM); NEXT;
op_SLLIW: RD = SX32((uint32_t)RS1 << (in->imm & 31)); NEXT;
op_SRLIW: RD = SX32((uint32_t)RS1 >> (in->imm & 31)); NEXT;
op_SRAIW: RD = SX32((int32_t)RS1 >> (in->imm & 31)); NEXT;
op_ADDW:  RD = SX32(RS1 + RS2); NEXT;
op_SUBW:  RD = SX32(RS1 - RS2); NEXT;
op_SLLW:  RD = SX32((uint32_t)RS1 << (RS2 & 31)); NEXT;
op_SRLW:  RD = SX32((uint32_t)RS1 >> (RS2 & 31)); NEXT;
op_SRAW:  RD = SX32((int32_t)RS1 >> (RS2 & 31)); NEXT;
op_MUL:    RD = RS1 * RS2; NEXT;
op_MULH:   RD = mulh((int64_t)RS1, (int64_t)RS2); NEXT;
op_MULHSU: RD = mulhsu((int64_t)RS1, RS2); NEXT;
op_MULHU:  RD = mulhu(RS1, RS2); NEXT;
op_DIV:    RD = divs((int64_t)RS1, (int64_t)RS2); NEXT;
op_DIVU:   RD = RS2 ? RS1 / RS2 : ~0ULL; NEXT;
op_REM:    RD = rems((int64_t)RS1, (int64_t)RS2); NEXT;
op_REMU:   RD = RS2 ? RS1 % RS2 : RS1; NEXT;
op_MULW:   RD = SX32((uint32_t)RS1 * (uint32_t)RS2); NEXT;
op_DIVW:   RD = divw((int32_t)RS1, (int32_t)RS2); NEXT;
op_DIVUW:  RD = (uint32_t)RS2 ? SX32((uint32_t)RS1 / (uint32_t)RS2) : ~0ULL; NEXT;
op_REMW:   RD = remw((int32_t)RS1, (int32_t)RS2); NEXT;
op_REMUW:  RD = (uint32_t)RS2 ? SX32((uint32_t)RS1 % (uint32_t)RS2) : SX32(RS1); NEXT;
op_AMO:
    SYNC();
    if ((st = cpu_mmu_amo(c, in)) != CPU_OK)
        goto leave;
    NEXT;
op_CSR:
    SYNC();
    if ((st = cpu_csr_exec(c, in)) != CPU_OK)
        goto leave;
    NEXT;
op_ECALL:
    SYNC();
    st = cpu_trap(c, CPU_EXC_ECALL_U + (uint64_t)(c->priv == CPU_PRIV_M ? 3 : c->priv), 0);
    goto leave;
op_EBREAK:
    SYNC();
    st = cpu_trap(c, CPU_EXC_BREAKPOINT, c->pc);
    goto leave;
op_MRET:
op_SRET:
op_WFI:
op_SFENCE_VMA:
    SYNC();
    if ((st = cpu_csr_priv(c, in)) != CPU_OK)
        goto leave;
    NEXT;
}
