/* syscall.c: system call dispatch and the small calls' implementations.
 *
 * The handler table is indexed by the number in a7 (syscall.h); arguments
 * come from the saved a0..a5 and the result goes back into the saved a0.
 * User pointers are only touched through uaccess_copyin/uaccess_copyout. No state. */
#include "kernel.h"
#include "memlayout.h"
#include "sbi.h"
#include "syscall.h"

#define ARG(p, n) ((p)->tf.regs[10 + (n)])
#define WRITE_CHUNK 256

static int64 sys_exit(struct proc *p)
{
    proc_exit((int)ARG(p, 0));
}

static int64 sys_fork(struct proc *p)
{
    return proc_fork();
}

static int64 sys_exec(struct proc *p)
{
    char name[32];
    char args[MAXARG][MAXARGLEN];
    char *argv[MAXARG + 1];
    if (uaccess_copyinstr(p->root, name, ARG(p, 0), sizeof name) < 0)
        return -1;
    int n = 0;
    for (;; n++) {
        uint64 uptr;
        if (n > MAXARG ||
            uaccess_copyin(p->root, &uptr, ARG(p, 1) + n * sizeof uptr, sizeof uptr) < 0)
            return -1;
        if (!uptr)
            break;
        if (n == MAXARG || uaccess_copyinstr(p->root, args[n], uptr, MAXARGLEN) < 0)
            return -1;
        argv[n] = args[n];
    }
    argv[n] = NULL;
    return exec_program(p, name, argv);
}

static int64 sys_wait(struct proc *p)
{
    return proc_wait(ARG(p, 0));
}

/* Grows (eagerly) or shrinks the heap; returns the old break or -1. */
static int64 sys_sbrk(struct proc *p)
{
    uint64 old = p->brk, new = old + ARG(p, 0);
    int64 delta = (int64)ARG(p, 0);
    if ((delta > 0 && (new < old || new > UHEAP_LIMIT)) ||
        (delta < 0 && (new > old || new < USER_TEXT)))
        return -1;
    if (delta > 0 && vm_user_alloc(p->root, old, new, PTE_R | PTE_W) < 0) {
        vm_user_dealloc(p->root, PGROUNDUP(old), PGROUNDUP(new));
        return -1;
    }
    if (delta < 0)
        vm_user_dealloc(p->root, PGROUNDUP(new), PGROUNDUP(old));
    sfence_vma(); /* the live table changed: resync any cached translations */
    p->brk = new;
    return (int64)old;
}

static int64 sys_write(struct proc *p)
{
    uint64 fd = ARG(p, 0), ubuf = ARG(p, 1), n = ARG(p, 2);
    char buf[WRITE_CHUNK];
    if (fd != 1 && fd != 2)
        return -1;
    for (uint64 done = 0; done < n;) {
        uint64 chunk = n - done < WRITE_CHUNK ? n - done : WRITE_CHUNK;
        if (uaccess_copyin(p->root, buf, ubuf + done, chunk) < 0)
            return done ? (int64)done : -1;
        for (uint64 i = 0; i < chunk; i++)
            console_putc(buf[i]);
        done += chunk;
    }
    return (int64)n;
}

/* The console has no input: fd 0 is always at end of file. */
static int64 sys_read(struct proc *p)
{
    return ARG(p, 0) == 0 ? 0 : -1;
}

static int64 sys_getpid(struct proc *p)
{
    return p->pid;
}

static int64 sys_yield(struct proc *p)
{
    proc_yield();
    return 0;
}

static int64 sys_uptime(struct proc *p)
{
    return (int64)trap_ticks();
}

static int64 sys_freepages(struct proc *p)
{
    return (int64)kalloc_nfree();
}

static int64 sys_shutdown(struct proc *p)
{
    sbi_shutdown(ARG(p, 0) != 0);
}

static int64 (*const handlers[])(struct proc *) = {
    [SYS_exit] = sys_exit,       [SYS_fork] = sys_fork,
    [SYS_exec] = sys_exec,       [SYS_wait] = sys_wait,
    [SYS_sbrk] = sys_sbrk,       [SYS_write] = sys_write,
    [SYS_read] = sys_read,       [SYS_getpid] = sys_getpid,
    [SYS_yield] = sys_yield,     [SYS_uptime] = sys_uptime,
    [SYS_freepages] = sys_freepages, [SYS_shutdown] = sys_shutdown,
};

void syscall_dispatch(struct proc *p)
{
    uint64 num = p->tf.regs[17];
    int64 ret = -1;
    if (num < sizeof handlers / sizeof handlers[0] && handlers[num])
        ret = handlers[num](p);
    p->tf.regs[10] = (uint64)ret;
}
