/* vm: one virtual machine of the VMM core: guest-physical memory, a hart,
 * virtio-mmio devices, the guest kernel loader and the run loop.
 *
 * Modes:
 *   VM_MODE_INTERPRET  the guest kernel runs natively in S-mode on the hart;
 *                      only ecall-from-S (SBI) and the VMM timer exit.
 *   VM_MODE_TRAP       trap-and-emulate: the guest kernel runs in U-mode,
 *                      every trap exits; the VMM keeps the virtual
 *                      supervisor state (trap.c) and shadow page tables
 *                      (shadow.c).
 *   VM_MODE_PV         as VM_MODE_TRAP, but guest page-table pages are not
 *                      write-protected: a PV=1 guest reports its PTE
 *                      updates in a log shared through the SBI_EID_VMMSIM
 *                      extension (trap.c), which the VMM validates and
 *                      drains on sfence.vma/satp writes and on a batch call.
 *
 * Virtual time is the hart's instruction count: the `time` CSR the guest
 * reads (QEMU virt: 10 MHz) advances by one per retired instruction, per
 * trap taken, per instruction the VMM emulates and per shadow page-table
 * fill (so even a guest in a fault loop uses up time); WFI skips to the next
 * timer deadline. So the virtual hart is a 10 MIPS machine and the guest's
 * 10 ms tick (100000 time units) is 100000 instructions. Nothing depends on
 * wall time: a run is a deterministic function of image, disk and options.
 *
 * Machine memory layout: guest RAM [VM_RAM_BASE, +mem) is what the guest
 * sees; in trap/PV mode the phys RAM window extends VM_SHADOW_POOL bytes
 * above it for the shadow page tables, invisible to the guest (no shadow
 * PTE and no device DMA may point there).
 */
#ifndef VMMSIM_VM_H
#define VMMSIM_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/cpu.h"
#include "vmm/phys.h"
#include "vmm/virtio_mmio.h"

#define VM_RAM_BASE    0x80000000ULL
#define VM_KERNEL_BASE 0x80200000ULL
#define VM_DTB_ADDR    0x80100000ULL   /* below the kernel: never used as RAM by it */
#define VM_VIRTIO_BASE 0x10001000ULL
#define VM_VIRTIO_SLOTS 8
#define VM_BLK_SLOT     0               /* the disk, when there is one */
#define VM_CONSOLE_SLOT 1               /* the virtio console, always */
#define VM_SHADOW_POOL (8ULL << 20)     /* 2048 shadow page-table pages */
#define VM_MEM_DEFAULT (128ULL << 20)
#define VM_MEM_MAX     (1ULL << 30)
#define VM_SHADOW_PREFILL 64            /* shadow fill group, pages (shadow.h) */

enum vm_mode { VM_MODE_INTERPRET, VM_MODE_TRAP, VM_MODE_PV };

enum vm_state { VM_RUNNING, VM_OFF_OK, VM_OFF_FAILED, VM_HALTED, VM_CRASHED, VM_LIMIT };

/* Exit causes counted by the run loop. */
enum vm_exit_kind {
    VM_X_SBI,          /* SBI call */
    VM_X_CSR,          /* emulated CSR instruction (virtual S) */
    VM_X_SRET,         /* emulated sret */
    VM_X_WFI,          /* wfi (sleep to the next timer) */
    VM_X_SFENCE,       /* emulated sfence.vma */
    VM_X_SHADOW_FILL,  /* hardware page fault fixed by filling a shadow PTE */
    VM_X_GUEST_PF,     /* page/access fault reflected to the guest */
    VM_X_PT_WRITE,     /* guest store to a write-protected page-table page */
    VM_X_GUEST_TRAP,   /* other trap reflected to the guest (ecall from U, ...) */
    VM_X_TIMER,        /* VMM timer: raise the guest's timer interrupt */
    VM_X_MMIO,         /* access to no device: access fault to the guest */
    VM_X_BUDGET,       /* slice used up */
    VM_X_OTHER,
    VM_X_COUNT
};

struct vm_stats {
    uint64_t exits[VM_X_COUNT];
    uint64_t emulated;      /* instructions emulated by the VMM (trap mode) */
    uint64_t irq_injected;  /* interrupts delivered to the guest by the VMM */
    uint64_t sleep_time;    /* virtual time skipped by WFI */
};

/* Console output: called with whole lines (and a final partial one). */
typedef void (*vm_console_fn)(void *opaque, int vm_id, const char *buf, size_t len);

struct vm_config {
    int id;                   /* 0.. (console callback argument) */
    enum vm_mode mode;
    uint64_t mem;             /* guest RAM bytes (page multiple, <= VM_MEM_MAX) */
    const char *kernel;       /* ELF path */
    const char *disk;         /* image path or NULL (no disk) */
    int disk_private;         /* never write the disk image back */
    unsigned shadow_prefill;  /* trap/PV: fill group in pages, power of 2
                                 (1 = faulting page only; 0 = default) */
    vm_console_fn console;
    void *console_opaque;
};

struct vm_trap;     /* trap.c */
struct shadow;      /* shadow.c */
struct vblk;
struct vcon;

struct vm {
    int id;
    enum vm_mode mode;
    enum vm_state state;
    struct phys *phys;
    struct cpu *cpu;
    uint64_t guest_base, guest_size;     /* the RAM the guest sees */
    struct virtio_mmio slot[VM_VIRTIO_SLOTS];
    struct vblk *blk;                    /* in VM_BLK_SLOT, or NULL */
    struct vcon *con;                    /* in VM_CONSOLE_SLOT */
    struct vm_trap *trap;                /* trap/PV mode: virtual S state */
    struct shadow *shadow;               /* trap/PV mode */
    unsigned shadow_prefill;             /* trap/PV mode: fill group, pages */
    uint64_t timer_deadline;             /* guest's SBI set_timer value, ~0 = none */
    vm_console_fn console;
    void *console_opaque;
    char line[256];                      /* console line being assembled */
    size_t line_len;
    struct vm_stats stats;
    char msg[160];                       /* why the VM stopped (crash/halt) */
};

/* Build a VM: RAM, hart, devices, kernel loaded at its ELF addresses (entry
 * expected at VM_KERNEL_BASE), a0 = 0, a1 = device tree. NULL on failure with
 * a one-line message in err ("FILE: offset N: what" for a bad ELF). */
struct vm *vm_new(const struct vm_config *cfg, char *err, size_t errlen);
void vm_free(struct vm *vm);

/* Run until virtual time has advanced by budget (or the VM stops);
 * returns vm->state. */
enum vm_state vm_run(struct vm *vm, uint64_t budget);

/* Virtual time (instructions + emulated + skipped). */
uint64_t vm_time(const struct vm *vm);

/* Invariants: phys (phys_check), shadow tables (shadow_check), the VMM
 * timer (deadline == hart mtimecmp), virtual privilege S/U. 0 or -EIO. */
int vm_check(const struct vm *vm);

/* Flush the partial console line. */
void vm_console_flush(struct vm *vm);

/* Guest console byte (SBI putchar and the virtio console). */
void vm_putchar(struct vm *vm, int ch);

/* Name of an exit kind / a state, for statistics. */
const char *vm_exit_name(int kind);
const char *vm_state_name(int state);
/* Parse "interpret"/"trap"/"pv"; -EINVAL if unknown. */
int vm_mode_parse(const char *s, enum vm_mode *mode);

/* Stop the VM (used by the SBI reset and by fatal exits). */
void vm_stop(struct vm *vm, enum vm_state st, const char *why);

/* Helpers for trap.c: an ecall from virtual S (SBI call, pc += 4); a wfi
 * with nothing pending (sleep to the timer, or halt); the address a load/
 * store/AMO instruction accesses. */
void vm_sbi_ecall(struct vm *vm);
void vm_sleep(struct vm *vm);
uint64_t vm_insn_addr(const struct cpu *c, uint32_t insn);

/* The SBI platform callbacks of this VM (sbi.c calls them). */
struct sbi_platform;
void vm_sbi_platform(struct vm *vm, struct sbi_platform *p);

#endif
