/* cpu_csr: control and status registers and the privileged instructions.
 *
 * The CSR file is struct cpu_csrs; supervisor CSRs that are views of machine
 * ones (sstatus, sie, sip) are computed from them with masks, never stored
 * twice. Counters are offsets from the hart's virtual instruction count.
 * Invariant: after any write that changes translation or interrupt state,
 * the TLB context pointers and irq_ready are recomputed before the next block
 * runs (CSR instructions end their block).
 */
#include "vmm/cpu_internal.h"

#include <errno.h>

#define MSTATUS_W (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | \
                   MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | \
                   MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_W (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR)
#define SSTATUS_R (SSTATUS_W | MSTATUS_UXL)
#define IRQ_S_MASK 0x222ULL      /* SSI, STI, SEI */
#define IRQ_ALL_MASK 0xaaaULL
#define MEDELEG_MASK 0xb3ffULL   /* all but ecall-from-M and reserved causes */
#define SATP_PPN_MASK ((1ULL << 44) - 1)
#define SATP_ASID_MASK (0xffffULL << 44)

static uint64_t counter(const struct cpu *c, unsigned csr)
{
    switch (csr & 0x1f) {
    case 0: return c->icount + c->cycle_off;
    case 1: return c->icount + c->time_off;
    case 2: return c->icount + c->instret_off;
    }
    return 0;
}

/* Read csr into *v; -EINVAL if it does not exist. */
static int csr_read(const struct cpu *c, unsigned csr, uint64_t *v)
{
    const struct cpu_csrs *s = &c->csr;
    switch (csr) {
    case 0x100: *v = s->mstatus & SSTATUS_R; return 0;
    case 0x104: *v = s->mie & s->mideleg; return 0;
    case 0x105: *v = s->stvec; return 0;
    case 0x106: *v = s->scounteren; return 0;
    case 0x10a: *v = s->senvcfg; return 0;
    case 0x140: *v = s->sscratch; return 0;
    case 0x141: *v = s->sepc; return 0;
    case 0x142: *v = s->scause; return 0;
    case 0x143: *v = s->stval; return 0;
    case 0x144: *v = s->mip & s->mideleg; return 0;
    case 0x180: *v = s->satp; return 0;
    case 0x300: *v = s->mstatus; return 0;
    case 0x301: *v = s->misa; return 0;
    case 0x302: *v = s->medeleg; return 0;
    case 0x303: *v = s->mideleg; return 0;
    case 0x304: *v = s->mie; return 0;
    case 0x305: *v = s->mtvec; return 0;
    case 0x306: *v = s->mcounteren; return 0;
    case 0x30a: *v = s->menvcfg; return 0;
    case 0x340: *v = s->mscratch; return 0;
    case 0x341: *v = s->mepc; return 0;
    case 0x342: *v = s->mcause; return 0;
    case 0x343: *v = s->mtval; return 0;
    case 0x344: *v = s->mip; return 0;
    case 0xb00: case 0xb02: case 0xc00: case 0xc01: case 0xc02:
        *v = counter(c, csr);
        return 0;
    case 0xf11: case 0xf12: case 0xf13: case 0xf15: *v = 0; return 0;
    case 0xf14: *v = s->mhartid; return 0;
    }
    if (csr >= 0x3a0 && csr <= 0x3a7) {           /* pmpcfg: even ones only */
        if (csr & 1)
            return -EINVAL;
        *v = s->pmpcfg[(csr - 0x3a0) / 2];
        return 0;
    }
    if (csr >= 0x3b0 && csr <= 0x3bf) {
        *v = s->pmpaddr[csr - 0x3b0];
        return 0;
    }
    /* read-as-zero: more PMP, hpm counters/events, countinhibit, triggers */
    if ((csr >= 0x3c0 && csr <= 0x3ef) || (csr >= 0xb03 && csr <= 0xb1f) ||
        (csr >= 0xc03 && csr <= 0xc1f) || (csr >= 0x320 && csr <= 0x33f) ||
        (csr >= 0x7a0 && csr <= 0x7a3)) {
        *v = 0;
        return 0;
    }
    return -EINVAL;
}

static void write_mstatus(struct cpu *c, uint64_t v)
{
    uint64_t old = c->csr.mstatus;
    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)   /* reserved: keep old */
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    uint64_t nw = (old & ~MSTATUS_W) | (v & MSTATUS_W);
    c->csr.mstatus = nw;
    if ((old ^ nw) & (MSTATUS_SUM | MSTATUS_MXR))
        cpu_tlb_flush_virt(c);
    cpu_ctx_update(c);
    cpu_irq_update(c);
}

static void write_satp(struct cpu *c, uint64_t v)
{
    uint64_t mode = v >> 60;
    if (mode != 0 && mode != SATP_MODE_SV39)
        return;                                    /* WARL: unsupported mode ignored */
    v &= (0xfULL << 60) | SATP_ASID_MASK | SATP_PPN_MASK;
    if (mode == 0)
        v = 0;
    /* no implicit invalidation (as the spec allows): a root seen recently
     * keeps its cached translations until sfence.vma */
    c->csr.satp = v;
    cpu_tlb_switch(c);
}

static void write_counter(struct cpu *c, unsigned csr, uint64_t v)
{
    /* the writing instruction retires before the write takes effect */
    uint64_t now = c->icount + 1;
    if ((csr & 0x1f) == 0)
        c->cycle_off = v - now;
    else
        c->instret_off = v - now;
}

/* Write csr (which exists); returns 0. */
static int csr_write(struct cpu *c, unsigned csr, uint64_t v)
{
    struct cpu_csrs *s = &c->csr;
    switch (csr) {
    case 0x100: write_mstatus(c, (s->mstatus & ~SSTATUS_W) | (v & SSTATUS_W)); break;
    case 0x104: s->mie = (s->mie & ~s->mideleg) | (v & s->mideleg & IRQ_S_MASK); break;
    case 0x105: s->stvec = v & ~2ULL; break;
    case 0x106: s->scounteren = v & 0xffffffffULL; break;
    case 0x140: s->sscratch = v; break;
    case 0x141: s->sepc = v & ~3ULL; break;
    case 0x142: s->scause = v; break;
    case 0x143: s->stval = v; break;
    case 0x144: s->mip = (s->mip & ~(s->mideleg & 2)) | (v & s->mideleg & 2); break;
    case 0x180: write_satp(c, v); break;
    case 0x300: write_mstatus(c, v); break;
    case 0x302: s->medeleg = v & MEDELEG_MASK; break;
    case 0x303: s->mideleg = v & IRQ_S_MASK; break;
    case 0x304: s->mie = v & IRQ_ALL_MASK; break;
    case 0x305: s->mtvec = v & ~2ULL; break;
    case 0x306: s->mcounteren = v & 0xffffffffULL; break;
    case 0x340: s->mscratch = v; break;
    case 0x341: s->mepc = v & ~3ULL; break;
    case 0x342: s->mcause = v; break;
    case 0x343: s->mtval = v; break;
    case 0x344: s->mip = (s->mip & ~IRQ_S_MASK) | (v & IRQ_S_MASK); break;
    case 0xb00: case 0xb02: write_counter(c, csr, v); break;
    default:
        if (csr >= 0x3a0 && csr <= 0x3a7)
            s->pmpcfg[(csr - 0x3a0) / 2] = v;
        else if (csr >= 0x3b0 && csr <= 0x3bf)
            s->pmpaddr[csr - 0x3b0] = v & ((1ULL << 54) - 1);
        break;   /* misa, envcfg and the read-as-zero ones ignore writes */
    }
    cpu_irq_update(c);
    return 0;
}

/* Privilege and counter-enable checks of the CSR instruction. */
static int csr_allowed(const struct cpu *c, unsigned csr, int write)
{
    if ((int)((csr >> 8) & 3) > c->priv)
        return 0;
    if (write && (csr >> 10) == 3)
        return 0;
    if (csr == 0x180 && c->priv == CPU_PRIV_S && (c->csr.mstatus & MSTATUS_TVM))
        return 0;
    if (csr >= 0xc00 && csr <= 0xc1f) {
        uint64_t bit = 1ULL << (csr & 0x1f);
        if (c->priv < CPU_PRIV_M && !(c->csr.mcounteren & bit))
            return 0;
        if (c->priv == CPU_PRIV_U && !(c->csr.scounteren & bit))
            return 0;
    }
    return 1;
}

int cpu_csr_exec(struct cpu *c, const struct cpu_insn *d)
{
    unsigned csr = (unsigned)d->imm;
    unsigned kind = d->aux & 3;                     /* 1 rw, 2 rs, 3 rc */
    uint64_t src = (d->aux & 4) ? d->rs1 : c->x[d->rs1];
    int write = kind == 1 || d->rs1 != 0;
    uint64_t old;
    if (!csr_allowed(c, csr, write) || csr_read(c, csr, &old) != 0)
        return cpu_trap(c, CPU_EXC_ILLEGAL, d->raw);
    if (write) {
        uint64_t nv = kind == 1 ? src : kind == 2 ? old | src : old & ~src;
        csr_write(c, csr, nv);
    }
    c->x[d->rd] = old;
    return CPU_OK;
}

static int do_mret(struct cpu *c)
{
    uint64_t s = c->csr.mstatus;
    int np = (int)((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;
    if (np != CPU_PRIV_M)
        s &= ~MSTATUS_MPRV;
    c->csr.mstatus = s;
    c->pc = c->csr.mepc;
    return np;
}

static int do_sret(struct cpu *c)
{
    uint64_t s = c->csr.mstatus;
    int np = (s & MSTATUS_SPP) ? CPU_PRIV_S : CPU_PRIV_U;
    s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
    s |= MSTATUS_SPIE;
    s &= ~(MSTATUS_SPP | MSTATUS_MPRV);
    c->csr.mstatus = s;
    c->pc = c->csr.sepc;
    return np;
}

int cpu_csr_priv(struct cpu *c, const struct cpu_insn *d)
{
    uint64_t ms = c->csr.mstatus;
    int p = c->priv;
    switch (d->op) {
    case OP_MRET:
        if (p != CPU_PRIV_M)
            break;
        c->resv_valid = 0;
        c->icount++;
        cpu_set_priv(c, do_mret(c));
        return CPU_REDIRECT;
    case OP_SRET:
        if (p == CPU_PRIV_U || (p == CPU_PRIV_S && (ms & MSTATUS_TSR)))
            break;
        c->resv_valid = 0;
        c->icount++;
        cpu_set_priv(c, do_sret(c));
        return CPU_REDIRECT;
    case OP_WFI:
        if (p == CPU_PRIV_U || (p == CPU_PRIV_S && (ms & MSTATUS_TW)))
            break;
        if (c->csr.mip & c->csr.mie)
            return CPU_OK;
        c->pc += 4;
        c->icount++;
        return cpu_stop(c, CPU_EXIT_WFI);
    case OP_SFENCE_VMA:
        if (p == CPU_PRIV_U || (p == CPU_PRIV_S && (ms & MSTATUS_TVM)))
            break;
        cpu_tlb_flush_virt(c);
        return CPU_OK;
    }
    return cpu_trap(c, CPU_EXC_ILLEGAL, d->raw);
}

int cpu_csr_get(struct cpu *c, unsigned csr, uint64_t *val)
{
    return csr > 0xfff ? -EINVAL : csr_read(c, csr, val);
}

int cpu_csr_set(struct cpu *c, unsigned csr, uint64_t val)
{
    uint64_t old;
    if (csr > 0xfff || csr_read(c, csr, &old) != 0)
        return -EINVAL;
    if (csr == 0xb00 || csr == 0xb02)       /* host write: no instruction retires */
        val += 1;
    return csr_write(c, csr, val);
}
