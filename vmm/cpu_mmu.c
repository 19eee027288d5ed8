/* cpu_mmu: Sv39 translation, the software TLB and the memory slow paths.
 *
 * Every access that misses the inline TLB check ends here: translate (page
 * walk with hardware A/D update), refill the TLB of the current context when
 * the target is a mapped RAM frame, then perform the access on RAM, on an
 * MMIO device or by exiting to the caller. Misaligned loads/stores are done
 * bytewise (a page-crossing store is translated on both pages before any byte
 * is written); misaligned LR/SC/AMOs trap.
 *
 * Invariant: a write-TLB entry exists only for a frame with no flags, so a
 * store to a frame holding translated code or the HTIF word always comes
 * here, where it invalidates the frame's blocks or ends the run.
 */
#include "vmm/cpu_internal.h"

#include <errno.h>
#include <string.h>

#include "vmm/sv39.h"

#define PAGE_MASK (~(uint64_t)0xfff)

enum { WALK_OK, WALK_PAGE_FAULT, WALK_ACCESS_FAULT, WALK_UNMAPPED };

static const uint64_t cause_page[3] = {CPU_EXC_FETCH_PAGE, CPU_EXC_LOAD_PAGE, CPU_EXC_STORE_PAGE};
static const uint64_t cause_access[3] = {CPU_EXC_FETCH_ACCESS, CPU_EXC_LOAD_ACCESS, CPU_EXC_STORE_ACCESS};

static int data_priv(const struct cpu *c)
{
    if (c->priv == CPU_PRIV_M && (c->csr.mstatus & MSTATUS_MPRV))
        return (int)((c->csr.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    return c->priv;
}

/* Mark a frame written by the hart: its translated code (if any) is stale. */
static void frame_written(struct cpu *c, uint64_t pa)
{
    uint64_t i = phys_frame(c->phys, pa);
    if (c->phys->meta[i].flags & PHYS_F_CODE) {
        phys_code_changed(c->phys, i);
        cpu_code_sync(c);
    }
}

static int leaf_ok(const struct cpu *c, uint64_t pte, int acc, int priv)
{
    if (pte & PTE_U) {
        if (priv == CPU_PRIV_S && (acc == CPU_ACC_FETCH || !(c->csr.mstatus & MSTATUS_SUM)))
            return 0;
    } else if (priv == CPU_PRIV_U) {
        return 0;
    }
    if (acc == CPU_ACC_FETCH)
        return (pte & PTE_X) != 0;
    if (acc == CPU_ACC_STORE)
        return (pte & PTE_W) != 0;
    return (pte & PTE_R) || ((c->csr.mstatus & MSTATUS_MXR) && (pte & PTE_X));
}

/* Sv39 walk of va for acc at priv. On WALK_OK *pa is the physical address; on
 * WALK_UNMAPPED / WALK_ACCESS_FAULT *pa is the PTE address. update: set A/D. */
static int walk(struct cpu *c, uint64_t va, int acc, int priv, int update, uint64_t *pa)
{
    if ((uint64_t)((int64_t)(va << 25) >> 25) != va)
        return WALK_PAGE_FAULT;
    uint64_t table = (c->csr.satp & ((1ULL << 44) - 1)) << 12;
    for (int level = 2; level >= 0; level--) {
        uint64_t pte_pa = table + (((va >> (12 + 9 * level)) & 0x1ff) << 3);
        uint8_t *h = phys_ptr(c->phys, pte_pa);
        if (!h) {
            *pa = pte_pa;
            return phys_is_ram(c->phys, pte_pa) ? WALK_UNMAPPED : WALK_ACCESS_FAULT;
        }
        uint64_t pte;
        memcpy(&pte, h, 8);
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED))
            return WALK_PAGE_FAULT;
        if (!(pte & (PTE_R | PTE_X))) {
            table = PTE_PPN(pte) << 12;
            continue;
        }
        uint64_t lowmask = (1ULL << (9 * level)) - 1;
        if (!leaf_ok(c, pte, acc, priv) || (PTE_PPN(pte) & lowmask))
            return WALK_PAGE_FAULT;
        uint64_t need = PTE_A | (acc == CPU_ACC_STORE ? PTE_D : 0);
        if (update && (pte & need) != need) {
            pte |= need;
            memcpy(h, &pte, 8);
            frame_written(c, pte_pa);
        }
        uint64_t ppn = (PTE_PPN(pte) & ~lowmask) | ((va >> 12) & lowmask);
        *pa = (ppn << 12) | (va & 0xfff);
        return WALK_OK;
    }
    return WALK_PAGE_FAULT;
}

static void tlb_fill(struct cpu *c, uint64_t va, uint64_t pa, int acc)
{
    uint8_t *h = phys_ptr(c->phys, pa & PAGE_MASK);
    if (!h)
        return;
    unsigned i = (unsigned)(va >> 12) & (CPU_TLB_SIZE - 1);
    uintptr_t addend = (uintptr_t)h - (uintptr_t)(va & PAGE_MASK);
    c->n_tlb_miss++;
    if (acc == CPU_ACC_LOAD) {
        c->tlb_data->r[i] = (struct cpu_tlbe){va & PAGE_MASK, addend};
    } else if (acc == CPU_ACC_STORE) {
        if (c->phys->meta[phys_frame(c->phys, pa)].flags == 0)
            c->tlb_data->w[i] = (struct cpu_tlbe){va & PAGE_MASK, addend};
    } else {
        c->tlb_fetch->x[i] = (struct cpu_tlbx){va & PAGE_MASK, addend, pa & PAGE_MASK};
    }
}

static int unmapped_exit(struct cpu *c, uint64_t va, uint64_t pa, int acc, int size)
{
    struct cpu_exit *e = c->exit;
    e->va = va;
    e->addr = pa;
    e->access = acc;
    e->size = size;
    return cpu_stop(c, CPU_EXIT_UNMAPPED);
}

/* Translate va for acc; CPU_OK with *pa, else a raised trap or exit status. */
static int xlate(struct cpu *c, uint64_t va, int acc, uint64_t *pa)
{
    int priv = acc == CPU_ACC_FETCH ? c->priv : data_priv(c);
    int r = WALK_OK;
    if (priv == CPU_PRIV_M || (c->csr.satp >> 60) != SATP_MODE_SV39)
        *pa = va;
    else
        r = walk(c, va, acc, priv, 1, pa);
    switch (r) {
    case WALK_PAGE_FAULT:
        return cpu_trap(c, cause_page[acc], va);
    case WALK_ACCESS_FAULT:
        return cpu_trap(c, cause_access[acc], va);
    case WALK_UNMAPPED:
        return unmapped_exit(c, va, *pa, acc, 8);
    }
    tlb_fill(c, va, *pa, acc);
    return CPU_OK;
}

/* An access no device claims: exit; the instruction stays pending until
 * cpu_mmio_complete (the load's rd and extension come from its encoding). */
static int mmio_exit(struct cpu *c, uint64_t va, uint64_t pa, int size, int acc, uint64_t val)
{
    struct cpu_exit *e = c->exit;
    uint32_t raw = c->cur_insn;
    e->va = va;
    e->addr = pa;
    e->size = size;
    e->access = acc;
    e->data = 0;
    if (acc == CPU_ACC_STORE)
        e->data = size < 8 ? val & ((1ULL << (8 * size)) - 1) : val;
    c->mmio_rd = acc == CPU_ACC_LOAD ? (int)((raw >> 7) & 31) : -1;
    c->mmio_size = size;
    c->mmio_signed = !((raw >> 14) & 1);
    c->mmio_pending = 1;
    return cpu_stop(c, CPU_EXIT_MMIO);
}

/* Access size bytes at physical pa (which is not RAM-page-crossing). */
static int pa_access(struct cpu *c, uint64_t va, uint64_t pa, int size, int acc, uint64_t *val)
{
    uint8_t *h = phys_ptr(c->phys, pa);
    if (h) {
        if (acc == CPU_ACC_LOAD) {
            *val = 0;
            memcpy(val, h, (size_t)size);
            return CPU_OK;
        }
        frame_written(c, pa);
        memcpy(h, val, (size_t)size);
        return CPU_OK;
    }
    if (phys_is_ram(c->phys, pa))
        return unmapped_exit(c, va, pa, acc, size);
    const struct phys_mmio *m = phys_mmio_find(c->phys, pa, (uint64_t)size);
    if (!m)
        return mmio_exit(c, va, pa, size, acc, acc == CPU_ACC_STORE ? *val : 0);
    if (pa & (uint64_t)(size - 1))
        return cpu_trap(c, cause_access[acc], va);
    int r = acc == CPU_ACC_LOAD ? m->ops->read(m->opaque, pa - m->base, size, val)
                                : m->ops->write(m->opaque, pa - m->base, size, *val);
    if (r < 0)
        return cpu_trap(c, cause_access[acc], va);
    /* a device may have changed timer or interrupt state, or DMAed over code */
    cpu_timer_update(c);
    cpu_code_sync(c);
    return CPU_OK;
}

static int htif_hit(const struct cpu *c, uint64_t pa, int size)
{
    return c->htif_tohost && pa <= c->htif_tohost + 7 && c->htif_tohost < pa + (uint64_t)size;
}

/* After a completed store: end the run on the HTIF word, leave the block if
 * it wrote a frame holding translated code (the running block may be stale). */
static int store_finish(struct cpu *c, int htif, int was_code)
{
    if (!htif && !was_code)
        return CPU_OK;
    c->pc += 4;
    c->icount++;
    if (!htif)
        return CPU_REDIRECT;
    c->exit->data = 0;
    phys_read(c->phys, c->htif_tohost, &c->exit->data, 8);
    return cpu_stop(c, CPU_EXIT_HTIF);
}

static int frame_has_code(const struct cpu *c, uint64_t pa)
{
    return phys_is_ram(c->phys, pa) &&
           (c->phys->meta[phys_frame(c->phys, pa)].flags & PHYS_F_CODE);
}

/* A misaligned access crossing into the next page: bytewise on RAM only. */
static int split_access(struct cpu *c, uint64_t va, int size, int acc, uint64_t *val)
{
    uint64_t pa[2], va2 = (va & PAGE_MASK) + 0x1000;
    int st;
    if ((st = xlate(c, va, acc, &pa[0])) != CPU_OK || (st = xlate(c, va2, acc, &pa[1])) != CPU_OK)
        return st;
    uint8_t *h[2] = {phys_ptr(c->phys, pa[0]), phys_ptr(c->phys, pa[1])};
    for (int k = 0; k < 2; k++)
        if (!h[k])
            return phys_is_ram(c->phys, pa[k]) ? unmapped_exit(c, k ? va2 : va, pa[k], acc, size)
                                               : cpu_trap(c, cause_access[acc], va);
    uint8_t *bytes = (uint8_t *)val;
    int n0 = (int)(va2 - va), code = 0;
    if (acc == CPU_ACC_LOAD)
        *val = 0;
    for (int i = 0; i < size; i++) {
        uint8_t *p = i < n0 ? h[0] + i : h[1] + (i - n0);
        if (acc == CPU_ACC_LOAD)
            bytes[i] = *p;
        else
            *p = bytes[i];
    }
    if (acc == CPU_ACC_STORE) {
        code = frame_has_code(c, pa[0]) || frame_has_code(c, pa[1]);
        frame_written(c, pa[0]);
        frame_written(c, pa[1]);
        return store_finish(c, htif_hit(c, pa[0], n0) || htif_hit(c, pa[1], size - n0), code);
    }
    return CPU_OK;
}

int cpu_mmu_load(struct cpu *c, uint64_t va, int size, uint64_t *val)
{
    uint64_t pa;
    int st;
    c->n_tlb_data_miss++;
    if ((va & 0xfff) + (uint64_t)size > 0x1000)
        return split_access(c, va, size, CPU_ACC_LOAD, val);
    if ((st = xlate(c, va, CPU_ACC_LOAD, &pa)) != CPU_OK)
        return st;
    return pa_access(c, va, pa, size, CPU_ACC_LOAD, val);
}

int cpu_mmu_store(struct cpu *c, uint64_t va, int size, uint64_t val)
{
    uint64_t pa;
    int st;
    c->n_tlb_data_miss++;
    if ((va & 0xfff) + (uint64_t)size > 0x1000)
        return split_access(c, va, size, CPU_ACC_STORE, &val);
    if ((st = xlate(c, va, CPU_ACC_STORE, &pa)) != CPU_OK)
        return st;
    int code = frame_has_code(c, pa);
    if ((st = pa_access(c, va, pa, size, CPU_ACC_STORE, &val)) != CPU_OK)
        return st;
    return store_finish(c, htif_hit(c, pa, size), code);
}

int cpu_mmu_fetch(struct cpu *c, uint64_t va, uint8_t **host, uint64_t *pa)
{
    const struct cpu_tlbx *e = &c->tlb_fetch->x[(va >> 12) & (CPU_TLB_SIZE - 1)];
    c->cur_insn = 0;
    c->n_tlb_fetch_lookup++;
    if (e->tag == (va & PAGE_MASK)) {
        *host = (uint8_t *)(uintptr_t)(va + e->addend);
        *pa = e->pa | (va & 0xfff);
        return CPU_OK;
    }
    c->n_tlb_fetch_miss++;
    int st = xlate(c, va, CPU_ACC_FETCH, pa);
    if (st != CPU_OK)
        return st;
    *host = phys_ptr(c->phys, *pa);
    if (*host)
        return CPU_OK;
    if (phys_is_ram(c->phys, *pa))
        return unmapped_exit(c, va, *pa, CPU_ACC_FETCH, 4);
    return cpu_trap(c, CPU_EXC_FETCH_ACCESS, va);
}

int cpu_mmu_probe(struct cpu *c, uint64_t va, int acc, uint64_t *pa)
{
    int priv = acc == CPU_ACC_FETCH ? c->priv : data_priv(c);
    if (priv == CPU_PRIV_M || (c->csr.satp >> 60) != SATP_MODE_SV39) {
        *pa = va;
        return 0;
    }
    return walk(c, va, acc, priv, 0, pa) == WALK_OK ? 0 : -EFAULT;
}

static uint64_t amo_op(unsigned f5, uint64_t a, uint64_t b, int w)
{
    int64_t sa = w ? (int32_t)a : (int64_t)a, sb = w ? (int32_t)b : (int64_t)b;
    uint64_t ua = w ? (uint32_t)a : a, ub = w ? (uint32_t)b : b;
    switch (f5) {
    case 0x00: return a + b;
    case 0x01: return b;
    case 0x04: return a ^ b;
    case 0x08: return a | b;
    case 0x0c: return a & b;
    case 0x10: return sa < sb ? a : b;
    case 0x14: return sa > sb ? a : b;
    case 0x18: return ua < ub ? a : b;
    case 0x1c: return ua > ub ? a : b;
    }
    return a;
}

/* LR/SC/AMO on RAM: translate, check, read-modify-write, write rd. */
int cpu_mmu_amo(struct cpu *c, const struct cpu_insn *d)
{
    int size = d->aux == 2 ? 4 : 8, w = size == 4, st;
    unsigned f5 = (unsigned)d->imm;
    uint64_t va = c->x[d->rs1], pa, old = 0, src = c->x[d->rs2];
    int acc = f5 == 0x02 ? CPU_ACC_LOAD : CPU_ACC_STORE;
    if (va & (uint64_t)(size - 1))
        return cpu_trap(c, acc == CPU_ACC_LOAD ? CPU_EXC_LOAD_MISALIGNED : CPU_EXC_STORE_MISALIGNED, va);
    if ((st = xlate(c, va, acc, &pa)) != CPU_OK)
        return st;
    uint8_t *h = phys_ptr(c->phys, pa);
    if (!h)
        return phys_is_ram(c->phys, pa) ? unmapped_exit(c, va, pa, acc, size)
                                        : cpu_trap(c, cause_access[acc], va);
    memcpy(&old, h, (size_t)size);
    uint64_t result = w ? (uint64_t)(int64_t)(int32_t)old : old;
    if (f5 == 0x02) {
        c->resv_addr = pa;
        c->resv_valid = 1;
        c->x[d->rd] = result;
        return CPU_OK;
    }
    if (f5 == 0x03) {
        int ok = c->resv_valid && c->resv_addr == pa;
        c->resv_valid = 0;
        c->x[d->rd] = !ok;
        if (!ok)
            return CPU_OK;
        old = src;
    } else {
        old = amo_op(f5, old, src, w);
        c->x[d->rd] = result;
    }
    int code = frame_has_code(c, pa);
    frame_written(c, pa);
    memcpy(h, &old, (size_t)size);
    return store_finish(c, htif_hit(c, pa, size), code);
}
