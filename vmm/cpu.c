/* cpu: hart lifecycle, the KVM-style run loop, traps, interrupts and timer.
 *
 * cpu_run slices the budget at the next timer deadline, lets cpu_exec run
 * blocks up to that point and turns the slow paths' CPU_STOP into a filled
 * struct cpu_exit. cpu_trap is the single funnel for every exception and
 * interrupt: it either hands the trap to the caller (intercept) or delivers it
 * architecturally with medeleg/mideleg delegation.
 *
 * Invariants: irq_ready == "some interrupt is pending, enabled and would be
 * taken at the current privilege" after every change of mip, mie, mideleg,
 * mstatus or privilege; tlb_data/tlb_fetch point at the TLB context of the
 * effective data/fetch privilege; MTIP mirrors mtime >= mtimecmp at block
 * boundaries.
 */
#include "vmm/cpu.h"

#include <errno.h>
#include <string.h>

#include "sim/mem.h"
#include "vmm/cpu_internal.h"

#define MISA_RV64IMASU ((2ULL << 62) | (1ULL << 0) | (1ULL << 8) | (1ULL << 12) | \
                        (1ULL << 18) | (1ULL << 20))

struct cpu *cpu_new(struct phys *phys, uint64_t hartid)
{
    struct cpu *c = mem_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->tc = cpu_tcache_new();
    if (!c->tc) {
        mem_free(c, sizeof(*c));
        return NULL;
    }
    c->phys = phys;
    c->pc = phys->ram_base;
    c->priv = CPU_PRIV_M;
    c->csr.misa = MISA_RV64IMASU;
    c->csr.mstatus = MSTATUS_UXL | MSTATUS_SXL;
    c->csr.mhartid = hartid;
    c->mtimecmp = ~0ULL;
    cpu_tlb_flush(c);
    cpu_ctx_update(c);
    cpu_timer_update(c);
    return c;
}

void cpu_free(struct cpu *c)
{
    if (!c)
        return;
    cpu_tcache_free(c->tc);
    mem_free(c, sizeof(*c));
}

static void jc_key_update(struct cpu *c)
{
    c->jc_key = c->jc_epoch * 32 + c->slot * 4 + (uint32_t)c->priv;
}

void cpu_jc_flush(struct cpu *c)
{
    if (++c->jc_epoch >= (1u << 26)) {       /* wrap: really clear */
        c->jc_epoch = 1;
        memset(c->jc, 0, sizeof(c->jc));
    }
    jc_key_update(c);
}

static int sv39(const struct cpu *c)
{
    return (c->csr.satp >> 60) == SATP_MODE_SV39;
}

/* Forget every cached address space but the current one, which is emptied. */
static void slots_reset(struct cpu *c)
{
    for (unsigned i = 0; i < CPU_TLB_SLOTS; i++)
        c->slot_satp[i] = ~0ULL;
    memset(&c->tlb[2 * c->slot], 0xff, 2 * sizeof(c->tlb[0]));
    if (sv39(c))
        c->slot_satp[c->slot] = c->csr.satp;
    cpu_jc_flush(c);
}

void cpu_tlb_flush(struct cpu *c)
{
    memset(c->tlb, 0xff, sizeof(c->tlb));
    slots_reset(c);
}

void cpu_tlb_flush_virt(struct cpu *c)
{
    slots_reset(c);
}

void cpu_tlb_switch(struct cpu *c)
{
    if (sv39(c)) {
        unsigned i = 0;
        while (i < CPU_TLB_SLOTS && c->slot_satp[i] != c->csr.satp)
            i++;
        if (i == CPU_TLB_SLOTS) {                /* not cached: evict a slot */
            i = c->slot_victim;
            c->slot_victim = (i + 1) % CPU_TLB_SLOTS;
            memset(&c->tlb[2 * i], 0xff, 2 * sizeof(c->tlb[0]));
            c->slot_satp[i] = c->csr.satp;
            c->slot = i;
            cpu_jc_flush(c);
        }
        c->slot = i;
        jc_key_update(c);
    }
    cpu_ctx_update(c);
}

void cpu_flush_all(struct cpu *c)
{
    cpu_tlb_flush(c);
    cpu_tcache_flush(c);
}

static unsigned ctx_of(const struct cpu *c, int priv)
{
    if (priv == CPU_PRIV_M || !sv39(c))
        return 2 * CPU_TLB_SLOTS;
    return 2 * c->slot + (priv == CPU_PRIV_S);
}

void cpu_ctx_update(struct cpu *c)
{
    int dp = c->priv;
    if (dp == CPU_PRIV_M && (c->csr.mstatus & MSTATUS_MPRV))
        dp = (int)((c->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    c->tlb_data = &c->tlb[ctx_of(c, dp)];
    c->tlb_fetch = &c->tlb[ctx_of(c, c->priv)];
}

/* Interrupts that would be taken now, M-level ones first in the mask. */
static uint64_t irq_takeable(const struct cpu *c, uint64_t *mlevel)
{
    uint64_t pend = c->csr.mip & c->csr.mie;
    uint64_t m = pend & ~c->csr.mideleg, s = pend & c->csr.mideleg;
    int mie = c->priv < CPU_PRIV_M || (c->csr.mstatus & MSTATUS_MIE);
    int sie = c->priv < CPU_PRIV_S || (c->priv == CPU_PRIV_S && (c->csr.mstatus & MSTATUS_SIE));
    *mlevel = mie ? m : 0;
    return *mlevel | (sie ? s : 0);
}

void cpu_irq_update(struct cpu *c)
{
    uint64_t m;
    c->irq_ready = irq_takeable(c, &m) != 0;
}

static int irq_pick(uint64_t set)
{
    static const int prio[] = {CPU_IRQ_MEI, CPU_IRQ_MSI, CPU_IRQ_MTI,
                               CPU_IRQ_SEI, CPU_IRQ_SSI, CPU_IRQ_STI};
    for (unsigned i = 0; i < sizeof(prio) / sizeof(prio[0]); i++)
        if (set & (1ULL << prio[i]))
            return prio[i];
    return -1;
}

int cpu_irq_take(struct cpu *c)
{
    uint64_t m;
    uint64_t all = irq_takeable(c, &m);
    int n = irq_pick(m ? m : all);
    if (n < 0) {
        c->irq_ready = 0;
        return CPU_OK;
    }
    c->cur_insn = 0;
    return cpu_trap(c, CPU_CAUSE_IRQ | (uint64_t)n, 0);
}

void cpu_set_priv(struct cpu *c, int priv)
{
    c->priv = priv;
    jc_key_update(c);
    cpu_ctx_update(c);
    cpu_irq_update(c);
}

static uint64_t vector(uint64_t tvec, uint64_t cause)
{
    uint64_t base = tvec & ~3ULL;
    if ((tvec & 1) && (cause & CPU_CAUSE_IRQ))
        return base + 4 * (cause & 63);
    return base;
}

void cpu_raise(struct cpu *c, uint64_t cause, uint64_t tval)
{
    uint64_t code = cause & 63, *s = &c->csr.mstatus;
    uint64_t deleg = (cause & CPU_CAUSE_IRQ) ? c->csr.mideleg : c->csr.medeleg;
    c->resv_valid = 0;
    /* a trap takes one tick of virtual time (but retires nothing), so a trap
     * loop (e.g. mtvec pointing at no memory) still uses up the budget */
    c->icount++;
    c->instret_off--;
    if (c->priv <= CPU_PRIV_S && ((deleg >> code) & 1)) {
        c->csr.sepc = c->pc;
        c->csr.scause = cause;
        c->csr.stval = tval;
        *s = (*s & ~(MSTATUS_SPIE | MSTATUS_SPP)) | ((*s & MSTATUS_SIE) ? MSTATUS_SPIE : 0) |
             (c->priv == CPU_PRIV_S ? MSTATUS_SPP : 0);
        *s &= ~MSTATUS_SIE;
        c->pc = vector(c->csr.stvec, cause);
        cpu_set_priv(c, CPU_PRIV_S);
        return;
    }
    c->csr.mepc = c->pc;
    c->csr.mcause = cause;
    c->csr.mtval = tval;
    *s = (*s & ~(MSTATUS_MPIE | MSTATUS_MPP)) | ((*s & MSTATUS_MIE) ? MSTATUS_MPIE : 0) |
         ((uint64_t)c->priv << MSTATUS_MPP_SHIFT);
    *s &= ~MSTATUS_MIE;
    c->pc = vector(c->csr.mtvec, cause);
    cpu_set_priv(c, CPU_PRIV_M);
}

int cpu_stop(struct cpu *c, enum cpu_exit_reason why)
{
    struct cpu_exit *e = c->exit;
    e->reason = why;
    e->pc = c->pc;
    e->insn = c->cur_insn;
    e->priv = c->priv;
    c->n_exits++;
    return CPU_STOP;
}

int cpu_trap(struct cpu *c, uint64_t cause, uint64_t tval)
{
    uint64_t code = cause & 63;
    uint64_t mask = (cause & CPU_CAUSE_IRQ) ? c->intercept_irq[c->priv] : c->intercept_exc[c->priv];
    if ((mask >> code) & 1) {
        c->exit->cause = cause;
        c->exit->tval = tval;
        return cpu_stop(c, CPU_EXIT_TRAP);
    }
    cpu_raise(c, cause, tval);
    return CPU_REDIRECT;
}

void cpu_set_intercept(struct cpu *c, int priv, uint64_t exc, uint64_t irq)
{
    c->intercept_exc[priv & 3] = exc;
    c->intercept_irq[priv & 3] = irq;
}

uint64_t cpu_mtime(const struct cpu *c)
{
    return c->icount + c->time_off;
}

void cpu_timer_update(struct cpu *c)
{
    uint64_t now = cpu_mtime(c);
    uint64_t mtip = 1ULL << CPU_IRQ_MTI;
    uint64_t old = c->csr.mip;
    if (now >= c->mtimecmp) {
        c->csr.mip |= mtip;
        c->timer_at = ~0ULL;
    } else {
        c->csr.mip &= ~mtip;
        c->timer_at = c->icount + (c->mtimecmp - now);
        if (c->timer_at < c->icount)
            c->timer_at = ~0ULL;
    }
    if (old != c->csr.mip)
        cpu_irq_update(c);
}

void cpu_set_mtime(struct cpu *c, uint64_t t)
{
    c->time_off = t - c->icount;
    cpu_timer_update(c);
}

void cpu_set_mtimecmp(struct cpu *c, uint64_t t)
{
    c->mtimecmp = t;
    cpu_timer_update(c);
}

void cpu_advance_time(struct cpu *c, uint64_t dt)
{
    c->time_off += dt;
    cpu_timer_update(c);
}

void cpu_set_irq(struct cpu *c, int irq, int level)
{
    uint64_t bit = 1ULL << (irq & 63);
    c->csr.mip = level ? (c->csr.mip | bit) : (c->csr.mip & ~bit);
    cpu_irq_update(c);
}

int cpu_set_htif(struct cpu *c, uint64_t tohost)
{
    struct phys *p = c->phys;
    if (tohost && (!phys_is_ram(p, tohost) || !phys_is_ram(p, tohost + 7)))
        return -EINVAL;
    if (c->htif_tohost)
        p->meta[phys_frame(p, c->htif_tohost)].flags &= (uint8_t)~PHYS_F_WATCH;
    c->htif_tohost = tohost;
    if (tohost) {
        p->meta[phys_frame(p, tohost)].flags |= PHYS_F_WATCH;
        p->meta[phys_frame(p, tohost + 7)].flags |= PHYS_F_WATCH;
    }
    cpu_tlb_flush(c);
    return 0;
}

void cpu_mmio_complete(struct cpu *c, uint64_t val)
{
    if (!c->mmio_pending)
        return;
    if (c->mmio_rd > 0) {
        int sh = 64 - 8 * c->mmio_size;
        c->x[c->mmio_rd] = c->mmio_signed ? (uint64_t)((int64_t)(val << sh) >> sh)
                                          : (val << sh) >> sh;
    }
    c->mmio_pending = 0;
    c->pc += 4;
    c->icount++;
}

void cpu_mmio_abort(struct cpu *c)
{
    c->mmio_pending = 0;
}

int cpu_run(struct cpu *c, uint64_t budget, struct cpu_exit *exit)
{
    if (c->mmio_pending) {
        if (c->mmio_rd >= 0)
            return -EBUSY;
        cpu_mmio_complete(c, 0);             /* a store needs no data */
    }
    memset(exit, 0, sizeof(*exit));
    c->exit = exit;
    cpu_code_sync(c);          /* the caller may have written guest code */
    uint64_t end = c->icount + budget < c->icount ? ~0ULL : c->icount + budget;
    for (;;) {
        cpu_timer_update(c);
        if (c->icount >= end) {
            c->cur_insn = 0;
            cpu_stop(c, CPU_EXIT_BUDGET);
            break;
        }
        uint64_t limit = end < c->timer_at ? end : c->timer_at;
        if (cpu_exec_run(c, limit) == CPU_STOP)
            break;
    }
    cpu_timer_update(c);       /* MTIP exact for the caller too */
    c->exit = NULL;
    return exit->reason;
}

int cpu_read_virt(struct cpu *c, uint64_t va, void *dst, unsigned len)
{
    uint8_t *d = dst;
    while (len) {
        uint64_t pa;
        unsigned n = 0x1000 - (unsigned)(va & 0xfff);
        if (n > len)
            n = len;
        if (cpu_mmu_probe(c, va, CPU_ACC_LOAD, &pa) != 0 || phys_read(c->phys, pa, d, n) != 0)
            return -EFAULT;
        d += n;
        va += n;
        len -= n;
    }
    return 0;
}

int cpu_check(const struct cpu *c)
{
    uint64_t m, mp = (c->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    int dp = c->priv == CPU_PRIV_M && (c->csr.mstatus & MSTATUS_MPRV) ? (int)mp : c->priv;
    if (c->x[0] != 0 || (c->priv != CPU_PRIV_U && c->priv != CPU_PRIV_S && c->priv != CPU_PRIV_M))
        return -EIO;
    if (mp == 2 || (c->csr.mepc & 3) || (c->csr.sepc & 3))
        return -EIO;
    if (c->tlb_data != &c->tlb[ctx_of(c, dp)] || c->tlb_fetch != &c->tlb[ctx_of(c, c->priv)])
        return -EIO;
    if (c->irq_ready != (irq_takeable(c, &m) != 0))
        return -EIO;
    int mtip = (c->csr.mip >> CPU_IRQ_MTI) & 1;
    if (mtip != (cpu_mtime(c) >= c->mtimecmp))
        return -EIO;
    if (c->jc_key != c->jc_epoch * 32 + c->slot * 4 + (uint32_t)c->priv)
        return -EIO;
    if (c->slot >= CPU_TLB_SLOTS || (sv39(c) && c->slot_satp[c->slot] != c->csr.satp))
        return -EIO;
    return 0;
}

const char *cpu_exit_name(int reason)
{
    static const char *const names[] = {"none", "budget", "htif", "mmio", "unmapped", "trap", "wfi"};
    return reason >= 0 && reason <= CPU_EXIT_WFI ? names[reason] : "?";
}

static double hit_rate(uint64_t misses, uint64_t lookups)
{
    return lookups ? 1.0 - (double)misses / (double)lookups : 1.0;
}

void cpu_stats(const struct cpu *c, struct cpu_stats *s)
{
    uint64_t unchained = c->n_jc_hit + c->n_tc_lookup;
    s->tlb_lookups = c->n_tlb_data_lookup + c->n_tlb_fetch_lookup;
    s->tlb_misses = c->n_tlb_data_miss + c->n_tlb_fetch_miss;
    s->blk_lookups = c->n_chained + unchained;
    s->blk_translated = c->n_blocks_translated;
    s->tlb_hit = hit_rate(s->tlb_misses, s->tlb_lookups);
    s->blk_hit = hit_rate(s->blk_translated, s->blk_lookups);
    s->jc_hit = hit_rate(c->n_tc_lookup, unchained);
}
