/* vm: building a VM and running it.
 *
 * Main structure: struct vm (vm.h): phys + cpu + eight virtio-mmio slots
 * (slot 0 holds the disk when there is one, slot 1 always the virtio console,
 * whose output joins the SBI console's line buffer) + in trap/PV mode the virtual
 * supervisor state and the shadow page tables. vm_run is a loop around
 * cpu_run whose cases only delegate: SBI and timer exits are handled here for
 * every mode, everything else in trap/PV mode goes to trap_exit().
 *
 * The VMM timer: the guest's SBI set_timer deadline is the hart's mtimecmp;
 * MTI is intercepted at every privilege the guest runs in, and its exit
 * raises the guest's supervisor timer interrupt (mip.STIP natively, the
 * virtual sip.STIP in trap mode) and disarms mtimecmp, as OpenSBI does.
 * Invariant: vm->timer_deadline == cpu->mtimecmp while the timer is armed,
 * ~0 once it has fired; the guest's STIP is only cleared by set_timer.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"
#include "vmm/elf.h"
#include "vmm/sbi.h"
#include "vmm/shadow.h"
#include "vmm/trap.h"
#include "vmm/virtio_blk.h"
#include "vmm/virtio_console.h"

#define CSR_MIE 0x304
#define CSR_MIDELEG 0x303
#define CSR_MEDELEG 0x302
#define CSR_MCOUNTEREN 0x306
/* exceptions the guest kernel handles itself in interpretation mode: all but
 * ecall from S (SBI, intercepted) and ecall from M (cannot happen) */
#define INTERP_MEDELEG 0xb1ffULL
#define IRQ_S_ALL ((1ULL << CPU_IRQ_SSI) | (1ULL << CPU_IRQ_STI) | (1ULL << CPU_IRQ_SEI))
#define MTI_BIT (1ULL << CPU_IRQ_MTI)

/* ---- device tree: just a memory node, so --mem reaches the guest ---- */

struct fdt_buf {
    uint8_t b[512];
    uint32_t n;
};

static void put32(struct fdt_buf *f, uint32_t v)
{
    f->b[f->n] = (uint8_t)(v >> 24);
    f->b[f->n + 1] = (uint8_t)(v >> 16);
    f->b[f->n + 2] = (uint8_t)(v >> 8);
    f->b[f->n + 3] = (uint8_t)v;
    f->n += 4;
}

static void put_bytes(struct fdt_buf *f, const void *p, uint32_t len)
{
    memcpy(f->b + f->n, p, len);
    f->n += (len + 3) & ~3u;          /* the buffer is zeroed: padding is 0 */
}

static void put_prop(struct fdt_buf *f, uint32_t nameoff, const void *v, uint32_t len)
{
    put32(f, 3);
    put32(f, len);
    put32(f, nameoff);
    put_bytes(f, v, len);
}

/* Write a flattened device tree with the root's cell sizes and one memory
 * node [VM_RAM_BASE, +mem) at VM_DTB_ADDR. */
static int write_fdt(struct phys *p, uint64_t mem)
{
    static const char strings[] = "#address-cells\0#size-cells\0device_type\0reg";
    enum { S_AC = 0, S_SC = 15, S_DT = 27, S_REG = 39 };
    struct fdt_buf f = {.n = 56};                  /* header 40 + empty rsvmap 16 */
    uint8_t two[4] = {0, 0, 0, 2}, reg[16];
    for (int i = 0; i < 8; i++) {
        reg[i] = (uint8_t)(VM_RAM_BASE >> (56 - 8 * i));
        reg[8 + i] = (uint8_t)(mem >> (56 - 8 * i));
    }
    put32(&f, 1);
    put_bytes(&f, "", 1);
    put_prop(&f, S_AC, two, 4);
    put_prop(&f, S_SC, two, 4);
    put32(&f, 1);
    put_bytes(&f, "memory@80000000", 16);
    put_prop(&f, S_DT, "memory", 7);
    put_prop(&f, S_REG, reg, 16);
    put32(&f, 2);
    put32(&f, 2);
    put32(&f, 9);
    uint32_t struct_size = f.n - 56, strings_off = f.n;
    memcpy(f.b + f.n, strings, sizeof(strings));
    uint32_t total = f.n + (uint32_t)sizeof(strings);
    uint32_t hdr[10] = {0xd00dfeed, total, 56, strings_off, 40, 17, 16, 0,
                        (uint32_t)sizeof(strings), struct_size};
    f.n = 0;
    for (int i = 0; i < 10; i++)
        put32(&f, hdr[i]);
    return phys_write(p, VM_DTB_ADDR, f.b, total);
}

/* ---- construction ---- */

static int setup_interpret(struct vm *vm)
{
    struct cpu *c = vm->cpu;
    cpu_csr_set(c, CSR_MEDELEG, INTERP_MEDELEG);
    cpu_csr_set(c, CSR_MIDELEG, IRQ_S_ALL);
    cpu_csr_set(c, CSR_MIE, MTI_BIT);
    cpu_csr_set(c, CSR_MCOUNTEREN, 7);               /* S may read time */
    cpu_set_intercept(c, CPU_PRIV_S, ~INTERP_MEDELEG, MTI_BIT);
    cpu_set_intercept(c, CPU_PRIV_U, ~INTERP_MEDELEG, MTI_BIT);
    cpu_set_priv(c, CPU_PRIV_S);
    return 0;
}

/* The virtio console's sink: the same path as SBI putchar. */
static void console_sink(void *opaque, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        vm_putchar(opaque, buf[i]);
}

static int setup_devices(struct vm *vm, const struct vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->disk) {
        vm->blk = vblk_open(cfg->disk, cfg->disk_private, err, errlen);
        if (!vm->blk)
            return -ENOENT;
    }
    vm->con = vcon_new(console_sink, vm);
    if (!vm->con) {
        snprintf(err, errlen, "vm: out of memory");
        return -ENOMEM;
    }
    for (int i = 0; i < VM_VIRTIO_SLOTS; i++) {
        const struct virtio_dev_ops *ops = NULL;
        void *dev = NULL;
        if (i == VM_BLK_SLOT && vm->blk) {
            ops = &vblk_ops;
            dev = vm->blk;
        } else if (i == VM_CONSOLE_SLOT) {
            ops = &vcon_ops;
            dev = vm->con;
        }
        int r = virtio_mmio_attach(&vm->slot[i], vm->phys, VM_VIRTIO_BASE + 0x1000ULL * (uint64_t)i,
                                   vm->guest_base, vm->guest_size, ops, dev);
        if (r != 0) {
            snprintf(err, errlen, "vm: cannot register virtio slot %d", i);
            return r;
        }
    }
    return 0;
}

static int load_kernel(struct vm *vm, const char *path, char *err, size_t errlen)
{
    struct elf_info info;
    int r = elf_load(vm->phys, path, &info, err, errlen);
    if (r != 0)
        return r;
    if (info.lo < VM_KERNEL_BASE || info.hi > vm->guest_base + vm->guest_size ||
        info.entry < info.lo || info.entry >= info.hi) {
        snprintf(err, errlen, "%s: offset 0: image must lie in guest RAM above 0x%llx", path,
                 (unsigned long long)VM_KERNEL_BASE);
        return -ENOEXEC;
    }
    vm->cpu->pc = info.entry;
    vm->cpu->x[10] = 0;                 /* a0: hart id */
    vm->cpu->x[11] = VM_DTB_ADDR;       /* a1: device tree */
    return write_fdt(vm->phys, vm->guest_size);
}

struct vm *vm_new(const struct vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->mem < (8ULL << 20) || cfg->mem > VM_MEM_MAX || (cfg->mem & (PHYS_PAGE_SIZE - 1))) {
        snprintf(err, errlen, "--mem: expected 8MiB..1GiB in whole pages, got %llu bytes",
                 (unsigned long long)cfg->mem);
        return NULL;
    }
    struct vm *vm = mem_calloc(1, sizeof(*vm));
    if (!vm) {
        snprintf(err, errlen, "vm: out of memory");
        return NULL;
    }
    vm->id = cfg->id;
    vm->mode = cfg->mode;
    vm->guest_base = VM_RAM_BASE;
    vm->guest_size = cfg->mem;
    vm->console = cfg->console;
    vm->console_opaque = cfg->console_opaque;
    vm->timer_deadline = ~0ULL;
    vm->shadow_prefill = cfg->shadow_prefill ? cfg->shadow_prefill : VM_SHADOW_PREFILL;
    uint64_t extra = cfg->mode == VM_MODE_INTERPRET ? 0 : VM_SHADOW_POOL;
    vm->phys = phys_new(VM_RAM_BASE, cfg->mem + extra);
    vm->cpu = vm->phys ? cpu_new(vm->phys, 0) : NULL;
    if (!vm->cpu) {
        snprintf(err, errlen, "vm: out of memory for %llu bytes of RAM",
                 (unsigned long long)cfg->mem);
        goto fail;
    }
    if (setup_devices(vm, cfg, err, errlen) != 0 || load_kernel(vm, cfg->kernel, err, errlen) != 0)
        goto fail;
    int r = cfg->mode == VM_MODE_INTERPRET ? setup_interpret(vm) : trap_init(vm);
    if (r != 0) {
        if (r == -EINVAL)
            snprintf(err, errlen, "--shadow-prefill: expected a power of two 1..512, got %u",
                     vm->shadow_prefill);
        else
            snprintf(err, errlen, "vm: out of memory for the shadow tables");
        goto fail;
    }
    return vm;
fail:
    vm_free(vm);
    return NULL;
}

void vm_free(struct vm *vm)
{
    if (!vm)
        return;
    trap_free(vm);
    vblk_free(vm->blk);
    vcon_free(vm->con);
    cpu_free(vm->cpu);
    phys_free(vm->phys);
    mem_free(vm, sizeof(*vm));
}

/* ---- console, SBI platform ---- */

void vm_console_flush(struct vm *vm)
{
    if (vm->line_len && vm->console)
        vm->console(vm->console_opaque, vm->id, vm->line, vm->line_len);
    vm->line_len = 0;
}

void vm_putchar(struct vm *vm, int ch)
{
    vm->line[vm->line_len++] = (char)ch;
    if (ch == '\n' || vm->line_len == sizeof(vm->line))
        vm_console_flush(vm);
}

void vm_stop(struct vm *vm, enum vm_state st, const char *why)
{
    if (vm->state != VM_RUNNING)
        return;
    vm->state = st;
    snprintf(vm->msg, sizeof(vm->msg), "%s", why);
    vm_console_flush(vm);
}

static void plat_putchar(void *opaque, int ch)
{
    vm_putchar(opaque, ch);
}

static void plat_set_timer(void *opaque, uint64_t when)
{
    struct vm *vm = opaque;
    vm->timer_deadline = when;
    if (vm->mode == VM_MODE_INTERPRET)
        cpu_set_irq(vm->cpu, CPU_IRQ_STI, 0);
    else
        trap_set_stip(vm, 0);
    cpu_set_mtimecmp(vm->cpu, when);
}

static void plat_reset(void *opaque, uint32_t type, uint32_t reason)
{
    struct vm *vm = opaque;
    vm_stop(vm, reason == SBI_SRST_REASON_NONE ? VM_OFF_OK : VM_OFF_FAILED,
            reason == SBI_SRST_REASON_NONE ? "guest shut down" : "guest shut down (failure)");
}

void vm_sbi_platform(struct vm *vm, struct sbi_platform *p)
{
    *p = (struct sbi_platform){plat_putchar, plat_set_timer, plat_reset,
                               vm->mode == VM_MODE_PV ? trap_pv_call : NULL, vm};
}

/* ecall from (virtual) S at pc: an SBI call; returns to pc + 4. */
void vm_sbi_ecall(struct vm *vm)
{
    struct cpu *c = vm->cpu;
    struct sbi_platform p;
    uint64_t a[8];
    memcpy(a, &c->x[10], sizeof(a));
    vm_sbi_platform(vm, &p);
    struct sbi_ret r = sbi_call(&p, a);
    c->x[10] = (uint64_t)r.error;
    if (!r.legacy)
        c->x[11] = (uint64_t)r.value;
    c->pc += 4;
    vm->stats.exits[VM_X_SBI]++;
}

/* ---- run loop ---- */

uint64_t vm_time(const struct vm *vm)
{
    return cpu_mtime(vm->cpu);
}

/* The VMM timer fired: disarm it and raise the guest's timer interrupt. */
static void timer_fire(struct vm *vm)
{
    vm->stats.exits[VM_X_TIMER]++;
    vm->timer_deadline = ~0ULL;
    cpu_set_mtimecmp(vm->cpu, ~0ULL);
    if (vm->mode == VM_MODE_INTERPRET)
        cpu_set_irq(vm->cpu, CPU_IRQ_STI, 1);
    else
        trap_set_stip(vm, 1);
}

void vm_sleep(struct vm *vm)
{
    vm->stats.exits[VM_X_WFI]++;
    if (vm->timer_deadline == ~0ULL) {
        vm_stop(vm, VM_HALTED, "wfi with no timer armed");
        return;
    }
    uint64_t now = vm_time(vm);
    if (vm->timer_deadline > now) {
        vm->stats.sleep_time += vm->timer_deadline - now;
        cpu_advance_time(vm->cpu, vm->timer_deadline - now);
    }
}

/* Virtual address of the load/store instruction insn (for fault values). */
uint64_t vm_insn_addr(const struct cpu *c, uint32_t insn)
{
    uint32_t op = insn & 0x7f;
    uint32_t raw = op == 0x23 ? ((insn >> 25) << 5) | ((insn >> 7) & 31) : insn >> 20;
    int64_t imm = op == 0x2f ? 0 : (int64_t)(raw ^ 0x800) - 0x800;   /* AMO: no offset */
    return c->x[(insn >> 15) & 31] + (uint64_t)imm;
}

/* An access to an address with no RAM and no device: access fault. */
static void mmio_fault(struct vm *vm, const struct cpu_exit *e)
{
    struct cpu *c = vm->cpu;
    uint64_t cause = e->access == CPU_ACC_STORE ? CPU_EXC_STORE_ACCESS
                   : e->access == CPU_ACC_LOAD ? CPU_EXC_LOAD_ACCESS : CPU_EXC_FETCH_ACCESS;
    uint64_t va = e->access == CPU_ACC_FETCH ? e->pc : vm_insn_addr(c, e->insn);
    vm->stats.exits[VM_X_MMIO]++;
    c->mmio_pending = 0;                 /* the access will not complete */
    c->pc = e->pc;
    if (vm->mode == VM_MODE_INTERPRET)
        cpu_raise(c, cause, va);
    else
        trap_deliver(vm, cause, va);
}

static void interp_trap(struct vm *vm, const struct cpu_exit *e)
{
    if (e->cause == CPU_EXC_ECALL_S) {
        vm_sbi_ecall(vm);
        return;
    }
    vm->stats.exits[VM_X_OTHER]++;
    char why[96];
    snprintf(why, sizeof(why), "unexpected trap cause=%#llx at pc=%#llx",
             (unsigned long long)e->cause, (unsigned long long)e->pc);
    vm_stop(vm, VM_CRASHED, why);
}

static void handle_exit(struct vm *vm, const struct cpu_exit *e)
{
    switch (e->reason) {
    case CPU_EXIT_BUDGET:
        vm->stats.exits[VM_X_BUDGET]++;
        break;
    case CPU_EXIT_TRAP:
        if (e->cause == (CPU_CAUSE_IRQ | CPU_IRQ_MTI))
            timer_fire(vm);
        else if (vm->mode == VM_MODE_INTERPRET)
            interp_trap(vm, e);
        else
            trap_exit(vm, e);
        break;
    case CPU_EXIT_WFI:
        vm_sleep(vm);
        break;
    case CPU_EXIT_MMIO:
        mmio_fault(vm, e);
        break;
    default: {
        char why[96];
        vm->stats.exits[VM_X_OTHER]++;
        snprintf(why, sizeof(why), "unexpected %s exit at pc=%#llx addr=%#llx",
                 cpu_exit_name(e->reason), (unsigned long long)e->pc, (unsigned long long)e->addr);
        vm_stop(vm, VM_CRASHED, why);
    }
    }
}

enum vm_state vm_run(struct vm *vm, uint64_t budget)
{
    /* bounded by virtual time, not retired instructions: a guest caught in
     * a trap loop retires nothing, but every trap it takes is a tick */
    struct cpu *c = vm->cpu;
    uint64_t end = vm_time(vm) + budget;
    while (vm->state == VM_RUNNING && vm_time(vm) < end) {
        struct cpu_exit e;
        if (vm->mode != VM_MODE_INTERPRET)
            trap_inject(vm);
        cpu_run(c, end - vm_time(vm), &e);
        handle_exit(vm, &e);
    }
    return vm->state;
}

int vm_check(const struct vm *vm)
{
    if (phys_check(vm->phys) != 0 || vm->timer_deadline != vm->cpu->mtimecmp)
        return -EIO;
    if (vm->mode == VM_MODE_INTERPRET)
        return vm->trap || vm->shadow ? -EIO : 0;
    if (!vm->trap || !vm->shadow || vm->cpu->priv != CPU_PRIV_U ||
        (vm->trap->priv != CPU_PRIV_S && vm->trap->priv != CPU_PRIV_U))
        return -EIO;
    return shadow_check(vm->shadow);
}

/* ---- names ---- */

const char *vm_exit_name(int kind)
{
    static const char *const names[VM_X_COUNT] = {
        "sbi", "csr", "sret", "wfi", "sfence", "shadow_fill", "guest_page_fault",
        "pt_write", "guest_trap", "timer", "mmio_fault", "budget", "other",
    };
    return kind >= 0 && kind < VM_X_COUNT ? names[kind] : "?";
}

const char *vm_state_name(int state)
{
    static const char *const names[] = {"running", "off", "off(failure)", "halted", "crashed",
                                        "limit"};
    return state >= 0 && state <= VM_LIMIT ? names[state] : "?";
}

int vm_mode_parse(const char *s, enum vm_mode *mode)
{
    static const char *const names[] = {"interpret", "trap", "pv"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *mode = (enum vm_mode)i;
            return 0;
        }
    return -EINVAL;
}
