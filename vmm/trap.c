/* trap: the trap-and-emulate half of the VMM.
 *
 * Main structure: struct vm_trap, the guest's virtual supervisor CSRs and
 * virtual privilege. The hart always runs in U-mode with every trap
 * intercepted; trap_exit sorts each trap into: emulate (privileged
 * instruction or SBI call from virtual S), fix the shadow and retry (page
 * fault the guest's own tables allow), or reflect to the guest (everything
 * the guest's hardware would have trapped on: ecall from virtual U, guest
 * page faults, illegal instructions in virtual U, ...).
 *
 * Invariant: the hardware satp selects the shadow tree of the current
 * virtual context (virtual privilege, and sstatus.SUM in virtual S); every
 * change of either goes through set_ctx(). Every emulated instruction adds
 * one to virtual time, like a retired one.
 */
#include "vmm/trap.h"

#include <errno.h>

#include "sim/mem.h"
#include "vmm/sbi.h"
#include "vmm/shadow.h"

#define SSTATUS_SIE  (1ULL << 1)
#define SSTATUS_SPIE (1ULL << 5)
#define SSTATUS_SPP  (1ULL << 8)
#define SSTATUS_SUM  (1ULL << 18)
#define SSTATUS_MXR  (1ULL << 19)
#define SSTATUS_W    (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR)
#define SSTATUS_UXL  (2ULL << 32)
#define SIE_MASK     0x222ULL
#define SATP_KEEP    ((0xfULL << 60) | ((1ULL << 44) - 1))   /* mode + PPN, ASID 0 */

#define INSN_SRET 0x10200073u
#define INSN_WFI  0x10500073u
#define IS_SFENCE_VMA(i) (((i) & 0xfe007fffu) == 0x12000073u)
#define RD(i)  (((i) >> 7) & 31)
#define RS1(i) (((i) >> 15) & 31)
#define RS2(i) (((i) >> 20) & 31)

enum { CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106,
       CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
       CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_SATP = 0x180, CSR_CYCLE = 0xc00,
       CSR_TIME = 0xc01, CSR_INSTRET = 0xc02 };

static int ctx_of(const struct vm_trap *t)
{
    if (t->priv == CPU_PRIV_U)
        return SHADOW_CTX_U;
    return (t->sstatus & SSTATUS_SUM) ? SHADOW_CTX_SSUM : SHADOW_CTX_S;
}

/* Point the hardware at the shadow tree of the current virtual context. */
static void set_ctx(struct vm *vm)
{
    cpu_csr_set(vm->cpu, CSR_SATP, shadow_satp(vm->shadow, ctx_of(vm->trap)));
}

int trap_init(struct vm *vm)
{
    struct cpu *c = vm->cpu;
    vm->trap = mem_calloc(1, sizeof(*vm->trap));
    vm->shadow = shadow_new(vm->phys, c, vm->guest_base, vm->guest_size,
                            vm->guest_base + vm->guest_size, VM_SHADOW_POOL);
    if (!vm->trap || !vm->shadow)
        return -ENOMEM;
    vm->trap->priv = CPU_PRIV_S;
    if (shadow_set_prefill(vm->shadow, vm->shadow_prefill) != 0)
        return -EINVAL;
    if (vm->mode == VM_MODE_PV)
        shadow_set_protect(vm->shadow, 0);   /* the guest reports its updates */
    cpu_csr_set(c, 0x302, 0);                       /* medeleg, mideleg: nothing */
    cpu_csr_set(c, 0x303, 0);
    cpu_csr_set(c, 0x304, 1ULL << CPU_IRQ_MTI);     /* the VMM timer */
    cpu_set_intercept(c, CPU_PRIV_U, CPU_INTERCEPT_ALL, CPU_INTERCEPT_ALL);
    cpu_set_priv(c, CPU_PRIV_U);
    set_ctx(vm);
    return 0;
}

void trap_free(struct vm *vm)
{
    if (vm->trap)
        mem_free(vm->trap, sizeof(*vm->trap));
    shadow_free(vm->shadow);
    vm->trap = NULL;
    vm->shadow = NULL;
}

void trap_set_stip(struct vm *vm, int level)
{
    uint64_t b = 1ULL << CPU_IRQ_STI;
    vm->trap->sip = level ? vm->trap->sip | b : vm->trap->sip & ~b;
}

void trap_deliver(struct vm *vm, uint64_t cause, uint64_t tval)
{
    struct vm_trap *t = vm->trap;
    struct cpu *c = vm->cpu;
    uint64_t s = t->sstatus & ~(SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SIE);
    if (t->sstatus & SSTATUS_SIE)
        s |= SSTATUS_SPIE;
    if (t->priv == CPU_PRIV_S)
        s |= SSTATUS_SPP;
    t->sstatus = s;
    t->sepc = c->pc;
    t->scause = cause;
    t->stval = tval;
    t->priv = CPU_PRIV_S;
    c->pc = t->stvec & ~3ULL;
    if ((t->stvec & 1) && (cause & CPU_CAUSE_IRQ))
        c->pc += 4 * (cause & 63);
    cpu_advance_time(c, 1);            /* a trap takes one tick, as in the hart */
    set_ctx(vm);
}

void trap_inject(struct vm *vm)
{
    struct vm_trap *t = vm->trap;
    uint64_t pend = t->sip & t->sie;
    static const int prio[] = {CPU_IRQ_SEI, CPU_IRQ_SSI, CPU_IRQ_STI};
    if (!pend || (t->priv == CPU_PRIV_S && !(t->sstatus & SSTATUS_SIE)))
        return;
    for (int i = 0; i < 3; i++)
        if (pend & (1ULL << prio[i])) {
            vm->stats.irq_injected++;
            trap_deliver(vm, CPU_CAUSE_IRQ | (uint64_t)prio[i], 0);
            return;
        }
}

/* ---- CSRs ---- */

static int csr_read(struct vm *vm, unsigned csr, uint64_t *v)
{
    const struct vm_trap *t = vm->trap;
    switch (csr) {
    case CSR_SSTATUS: *v = t->sstatus | SSTATUS_UXL; return 0;
    case CSR_SIE: *v = t->sie; return 0;
    case CSR_STVEC: *v = t->stvec; return 0;
    case CSR_SCOUNTEREN: *v = t->scounteren; return 0;
    case CSR_SENVCFG: *v = 0; return 0;
    case CSR_SSCRATCH: *v = t->sscratch; return 0;
    case CSR_SEPC: *v = t->sepc; return 0;
    case CSR_SCAUSE: *v = t->scause; return 0;
    case CSR_STVAL: *v = t->stval; return 0;
    case CSR_SIP: *v = t->sip; return 0;
    case CSR_SATP: *v = t->satp; return 0;
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET: *v = vm_time(vm); return 0;
    }
    return -EINVAL;
}

static void write_satp(struct vm *vm, uint64_t v)
{
    uint64_t mode = v >> 60;
    if (mode != 0 && mode != 8)
        return;                                  /* WARL: unsupported mode ignored */
    vm->trap->satp = mode ? v & SATP_KEEP : 0;
    if (vm->mode == VM_MODE_PV)
        trap_pv_drain(vm);
    shadow_flush(vm->shadow);                    /* policy: a new space starts empty */
}

static void csr_write(struct vm *vm, unsigned csr, uint64_t v)
{
    struct vm_trap *t = vm->trap;
    switch (csr) {
    case CSR_SSTATUS: {
        uint64_t old = t->sstatus;
        t->sstatus = (old & ~SSTATUS_W) | (v & SSTATUS_W);
        if ((old ^ t->sstatus) & SSTATUS_SUM)
            set_ctx(vm);
        break;
    }
    case CSR_SIE: t->sie = v & SIE_MASK; break;
    case CSR_STVEC: t->stvec = v & ~2ULL; break;
    case CSR_SCOUNTEREN: t->scounteren = v & 0xffffffffULL; break;
    case CSR_SSCRATCH: t->sscratch = v; break;
    case CSR_SEPC: t->sepc = v & ~3ULL; break;
    case CSR_SCAUSE: t->scause = v; break;
    case CSR_STVAL: t->stval = v; break;
    case CSR_SIP: t->sip = (t->sip & ~2ULL) | (v & 2ULL); break;   /* only SSIP */
    case CSR_SATP: write_satp(vm, v); break;
    }
}

/* A counter read from virtual U, allowed by the guest's scounteren. */
static int user_counter(const struct vm_trap *t, uint32_t insn)
{
    unsigned csr = insn >> 20;
    return (insn & 0x7f) == 0x73 && ((insn >> 12) & 3) != 0 && csr >= CSR_CYCLE &&
           csr <= CSR_INSTRET && RS1(insn) == 0 && ((t->scounteren >> (csr & 31)) & 1);
}

/* Emulate CSR instruction insn; 0, or -EINVAL if the guest must get an
 * illegal-instruction trap. */
static int emulate_csr(struct vm *vm, uint32_t insn)
{
    struct cpu *c = vm->cpu;
    unsigned csr = insn >> 20, f3 = (insn >> 12) & 7, kind = f3 & 3;
    uint64_t src = (f3 & 4) ? RS1(insn) : c->x[RS1(insn)], old;
    int write = kind == 1 || RS1(insn) != 0;
    if (kind == 0 || csr_read(vm, csr, &old) != 0 || (write && (csr >> 10) == 3))
        return -EINVAL;
    if (write)
        csr_write(vm, csr, kind == 1 ? src : kind == 2 ? old | src : old & ~src);
    if (RD(insn))
        c->x[RD(insn)] = old;
    vm->stats.exits[VM_X_CSR]++;
    return 0;
}

static void do_sret(struct vm *vm)
{
    struct vm_trap *t = vm->trap;
    uint64_t s = t->sstatus;
    t->priv = (s & SSTATUS_SPP) ? CPU_PRIV_S : CPU_PRIV_U;
    s = (s & ~SSTATUS_SIE) | ((s & SSTATUS_SPIE) ? SSTATUS_SIE : 0);
    s = (s | SSTATUS_SPIE) & ~SSTATUS_SPP;
    t->sstatus = s;
    vm->cpu->pc = t->sepc;
    vm->stats.exits[VM_X_SRET]++;
    set_ctx(vm);
}

/* An illegal-instruction trap with encoding insn: emulate it if the virtual
 * privilege allows, else reflect it. */
static void emulate(struct vm *vm, uint32_t insn)
{
    struct vm_trap *t = vm->trap;
    struct cpu *c = vm->cpu;
    int ok = t->priv == CPU_PRIV_S || user_counter(t, insn);
    if (ok && (insn & 0x7f) == 0x73 && ((insn >> 12) & 7) != 0) {
        ok = emulate_csr(vm, insn) == 0;
        if (ok)
            c->pc += 4;
    } else if (ok && insn == INSN_SRET) {
        do_sret(vm);
    } else if (ok && insn == INSN_WFI) {
        c->pc += 4;
        if (t->sip & t->sie)
            vm->stats.exits[VM_X_WFI]++;       /* something is pending: no sleep */
        else
            vm_sleep(vm);
    } else if (ok && IS_SFENCE_VMA(insn)) {
        if (vm->mode == VM_MODE_PV)
            trap_pv_drain(vm);
        shadow_flush(vm->shadow);
        vm->stats.exits[VM_X_SFENCE]++;
        c->pc += 4;
    } else {
        ok = 0;
    }
    if (!ok) {
        vm->stats.exits[VM_X_GUEST_TRAP]++;
        trap_deliver(vm, CPU_EXC_ILLEGAL, insn);
        return;
    }
    vm->stats.emulated++;
    cpu_advance_time(c, 1);
}

/* ---- memory ---- */

/* Emulate store insn to a write-protected guest page-table page. 0, or
 * -EINVAL if insn is not a plain store (the caller unprotects instead). */
static int emulate_store(struct vm *vm, uint32_t insn)
{
    struct cpu *c = vm->cpu;
    if ((insn & 0x7f) != 0x23 || ((insn >> 12) & 7) > 3)
        return -EINVAL;
    unsigned size = 1u << ((insn >> 12) & 7);
    uint64_t va = vm_insn_addr(c, insn), val = c->x[RS2(insn)];
    int ctx = ctx_of(vm->trap);
    for (unsigned i = 0; i < size; i++) {         /* bytewise: may cross a page */
        uint64_t gpa;
        uint8_t byte = (uint8_t)(val >> (8 * i));
        int r = shadow_translate(vm->shadow, vm->trap->satp, ctx, va + i, CPU_ACC_STORE, &gpa);
        if (r != 0) {
            trap_deliver(vm, r == SHADOW_GUEST_PAGE_FAULT ? CPU_EXC_STORE_PAGE
                                                          : CPU_EXC_STORE_ACCESS, va + i);
            return 0;
        }
        if (phys_write(vm->phys, gpa, &byte, 1) != 0) {
            trap_deliver(vm, CPU_EXC_STORE_ACCESS, va + i);
            return 0;
        }
    }
    shadow_note_pt_write(vm->shadow);
    vm->stats.exits[VM_X_PT_WRITE]++;
    vm->stats.emulated++;
    cpu_advance_time(c, 1);
    c->pc += 4;
    return 0;
}

static void page_fault(struct vm *vm, const struct cpu_exit *e)
{
    static const uint64_t access_cause[3] = {CPU_EXC_FETCH_ACCESS, CPU_EXC_LOAD_ACCESS,
                                             CPU_EXC_STORE_ACCESS};
    int acc = e->cause == CPU_EXC_FETCH_PAGE ? CPU_ACC_FETCH
            : e->cause == CPU_EXC_LOAD_PAGE ? CPU_ACC_LOAD : CPU_ACC_STORE;
    int ctx = ctx_of(vm->trap);
    int r = shadow_fault(vm->shadow, vm->trap->satp, ctx, e->tval, acc, 0);
    if (r == SHADOW_EMULATE && emulate_store(vm, e->insn) != 0)
        r = shadow_fault(vm->shadow, vm->trap->satp, ctx, e->tval, acc, 1);
    switch (r) {
    case SHADOW_FILLED:
        /* a fill costs a tick, so even a guest that makes no progress
         * (e.g. fault loops the VMM cannot see through) uses up its budget */
        vm->stats.exits[VM_X_SHADOW_FILL]++;
        cpu_advance_time(vm->cpu, 1);
        break;
    case SHADOW_GUEST_PAGE_FAULT:
        vm->stats.exits[VM_X_GUEST_PF]++;
        trap_deliver(vm, e->cause, e->tval);
        break;
    case SHADOW_GUEST_ACCESS_FAULT:
        vm->stats.exits[VM_X_GUEST_PF]++;
        trap_deliver(vm, access_cause[acc], e->tval);
        break;
    }
}

void trap_exit(struct vm *vm, const struct cpu_exit *e)
{
    struct cpu *c = vm->cpu;
    c->pc = e->pc;
    if (e->cause & CPU_CAUSE_IRQ) {
        vm->stats.exits[VM_X_OTHER]++;
        vm_stop(vm, VM_CRASHED, "unexpected hardware interrupt");
        return;
    }
    switch (e->cause) {
    case CPU_EXC_ECALL_U:
        if (vm->trap->priv == CPU_PRIV_S) {
            vm_sbi_ecall(vm);
            vm->stats.emulated++;
            cpu_advance_time(c, 1);
        } else {
            vm->stats.exits[VM_X_GUEST_TRAP]++;
            trap_deliver(vm, CPU_EXC_ECALL_U, 0);
        }
        break;
    case CPU_EXC_ILLEGAL:
        emulate(vm, (uint32_t)e->tval);
        break;
    case CPU_EXC_FETCH_PAGE: case CPU_EXC_LOAD_PAGE: case CPU_EXC_STORE_PAGE:
        page_fault(vm, e);
        break;
    default:                 /* misaligned, breakpoint, device access faults */
        vm->stats.exits[VM_X_GUEST_TRAP]++;
        trap_deliver(vm, e->cause, e->tval);
        break;
    }
}

/* ---- paravirtual PTE-update log ---- */

#define PV_CAP_MAX 4096
#define PTE_V_BIT 1ULL
#define PTE_RX_BITS 0xaULL

/* A logged update is acceptable if the PTE lies in guest RAM and a leaf
 * points into guest RAM or at one of the VM's devices. */
static int pv_entry_ok(const struct vm *vm, uint64_t pa, uint64_t val)
{
    uint64_t end = vm->guest_base + vm->guest_size;
    if ((pa & 7) || pa < vm->guest_base || pa >= end)
        return 0;
    if (!(val & PTE_V_BIT) || !(val & PTE_RX_BITS))
        return 1;
    uint64_t target = ((val >> 10) & ((1ULL << 44) - 1)) << 12;
    return (target >= vm->guest_base && target < end) ||
           phys_mmio_find(vm->phys, target, PHYS_PAGE_SIZE) != NULL;
}

uint64_t trap_pv_drain(struct vm *vm)
{
    struct vm_trap *t = vm->trap;
    uint64_t n, bad = 0, zero = 0;
    if (!t->pv_log || phys_read(vm->phys, t->pv_log, &n, 8) != 0 || n == 0)
        return 0;
    if (n > t->pv_cap) {
        bad = 1;                           /* a corrupt count: drop the log */
        n = 0;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e[2];
        phys_read(vm->phys, t->pv_log + 8 + 16 * i, e, 16);
        if (!pv_entry_ok(vm, e[0], e[1])) {
            bad++;
            continue;
        }
        /* apply: the guest has stored the value itself (so its own reads
         * never lag), and the shadow entries derived from the old value go
         * with the flush that follows every drain; rewriting memory here
         * could clobber a table page the guest has freed since. */
        shadow_note_pt_write(vm->shadow);
        t->n_pv_ptes++;
    }
    phys_write(vm->phys, t->pv_log, &zero, 8);
    t->n_pv_rejected += bad;
    return bad;
}

int64_t trap_pv_call(void *opaque, uint64_t fid, uint64_t a0, uint64_t a1)
{
    struct vm *vm = opaque;
    struct vm_trap *t = vm->trap;
    if (fid == 0) {
        uint64_t end = vm->guest_base + vm->guest_size;
        if (a1 == 0 || a1 > PV_CAP_MAX)
            return SBI_ERR_INVALID_PARAM;
        if ((a0 & 7) || a0 < vm->guest_base || a0 >= end || 8 + 16 * a1 > end - a0)
            return SBI_ERR_INVALID_ADDRESS;
        t->pv_log = a0;
        t->pv_cap = a1;
        return SBI_SUCCESS;
    }
    if (fid == 1) {
        t->n_pv_batches++;
        return trap_pv_drain(vm) ? SBI_ERR_INVALID_ADDRESS : SBI_SUCCESS;
    }
    return SBI_ERR_NOT_SUPPORTED;
}
