/* kernel.h: shared types and prototypes of the guest kernel's modules.
 *
 * The kernel is single-hart and runs with supervisor interrupts disabled
 * (sstatus.SIE = 0) everywhere except user mode and the idle loop, so no
 * kernel data needs a lock: a process gives up the CPU only by calling
 * sched() itself. */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include "types.h"
#include "riscv.h"

#define NPROC       32
#define KSTACK_SIZE 8192
#define MAXARG      16
#define MAXARGLEN   64
#ifndef TICK_CYCLES
#define TICK_CYCLES 100000UL /* 10 ms at QEMU virt's 10 MHz timebase */
#endif

/* ---- main.c ---- */
void main_boot(uint64 hartid, uint64 dtb) __attribute__((noreturn)); /* from entry.S */

/* ---- console.c ---- */
void console_putc(int c);
void console_printf(const char *fmt, ...);
void console_panic(const char *msg) __attribute__((noreturn));

/* ---- string.c ---- */
void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
unsigned long strlen(const char *s);
int strcmp(const char *a, const char *b);
void string_copy(char *dst, const char *src, unsigned long size);

/* ---- fdt.c ---- */
int fdt_memory(uint64 dtb, uint64 *base, uint64 *size);

/* ---- kalloc.c ---- */
void kalloc_init(uint64 start, uint64 end);
void *kalloc_page(void);          /* zeroed page or NULL */
void kalloc_free(void *pa);
uint64 kalloc_nfree(void);

/* ---- vm.c ---- */
extern pagetable_t vm_kernel_root;
void vm_init(uint64 ram_end);
pagetable_t vm_user_create(void);
int vm_map(pagetable_t root, uint64 va, uint64 pa, uint64 perm);
pte_t *vm_walk(pagetable_t root, uint64 va, int alloc);
int vm_user_alloc(pagetable_t root, uint64 from, uint64 to, uint64 perm);
void vm_user_dealloc(pagetable_t root, uint64 from, uint64 to);
int vm_user_copy(pagetable_t dst, pagetable_t src);
void vm_user_free(pagetable_t root);
void vm_switch(pagetable_t root);

/* ---- uaccess.c ---- */
int uaccess_copyin(pagetable_t root, void *dst, uint64 uva, uint64 n);
int uaccess_copyout(pagetable_t root, uint64 uva, const void *src, uint64 n);
int uaccess_copyinstr(pagetable_t root, char *dst, uint64 uva, uint64 max);

/* ---- proc.c ---- */
struct trapframe {
    uint64 regs[32]; /* x0..x31; regs[0] is unused */
    uint64 epc;
    uint64 kstack_top;
};

struct context {
    uint64 ra, sp;
    uint64 s[12];
};

enum procstate { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

struct proc {
    struct trapframe tf;
    struct context ctx;
    enum procstate state;
    int pid;
    int xstatus;
    struct proc *parent;
    void *chan;
    pagetable_t root;
    uint64 brk;  /* end of the program image plus heap */
    char name[16];
    uint8 kstack[KSTACK_SIZE] __attribute__((aligned(16)));
};

struct proc *proc_current(void);
void proc_first(const char *path, char *const argv[]);
void proc_scheduler(void) __attribute__((noreturn));
void proc_yield(void);
int proc_fork(void);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(uint64 ustatus);
void proc_sleep(void *chan);
void proc_wakeup(void *chan);
void proc_kill_fault(uint64 scause, uint64 stval) __attribute__((noreturn));

/* ---- swtch.S, trapvec.S ---- */
void swtch(struct context *from, struct context *to);
void trapvec(void);
void trapvec_return(struct trapframe *tf) __attribute__((noreturn));

/* ---- trap.c ---- */
void trap_init(void);
void trap_user(struct trapframe *tf) __attribute__((noreturn)); /* from trapvec */
void trap_kernel(void);                                       /* from trapvec */
void trap_user_return(void) __attribute__((noreturn));
uint64 trap_ticks(void);

/* ---- syscall.c ---- */
void syscall_dispatch(struct proc *p);

/* ---- exec.c ---- */
int exec_program(struct proc *p, const char *name, char *const argv[]);

/* ---- progs.S (generated) ---- */
struct prog_entry {
    const char *name;
    const uint8 *start;
    const uint8 *end;
};
extern const struct prog_entry prog_table[];

/* ---- virtio_blk.c ---- */
int virtio_blk_probe(void);
uint64 virtio_blk_capacity(void);
int virtio_blk_rw(uint64 sector, void *buf, uint32 count, int write);

/* ---- pv.c or vm.c: page-table update hook ---- */
void pv_set_pte(pte_t *pte, pte_t val);

#endif
