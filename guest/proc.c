/* proc.c: processes, the round-robin scheduler, fork, exit and wait.
 *
 * A fixed table of NPROC slots; each process has its own kernel stack and
 * trapframe inside its slot. The scheduler runs on the boot stack and
 * switches to a process with swtch(); a process returns to it only through
 * sched(). Invariants: at most one process is P_RUNNING and it is ptable.cur;
 * a P_ZOMBIE has already freed its memory (root == NULL) and waits for its
 * parent; every non-init process has a live parent (orphans go to init).
 * pids are handed out in increasing order, so they are deterministic. */
#include "kernel.h"
#include "memlayout.h"

static struct {
    struct proc procs[NPROC];
    struct proc *cur;
    struct proc *init;
    struct context sched_ctx;
    int nextpid;
    int last; /* slot scheduled last, for round robin */
} ptable;

struct proc *proc_current(void)
{
    return ptable.cur;
}

static void forkret(void)
{
    trap_user_return();
}

/* A P_EMBRYO slot with a fresh pid, empty address space and a kernel
 * context that starts in forkret; NULL if no slot or no memory. */
static struct proc *alloc_proc(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &ptable.procs[i];
        if (p->state != P_UNUSED)
            continue;
        p->root = vm_user_create();
        if (!p->root)
            return NULL;
        memset(&p->tf, 0, sizeof p->tf);
        memset(&p->ctx, 0, sizeof p->ctx);
        p->tf.kstack_top = (uint64)(p->kstack + KSTACK_SIZE);
        p->ctx.ra = (uint64)forkret;
        p->ctx.sp = p->tf.kstack_top;
        p->pid = ++ptable.nextpid;
        p->state = P_EMBRYO;
        p->parent = NULL;
        p->chan = NULL;
        p->xstatus = 0;
        return p;
    }
    return NULL;
}

static void free_slot(struct proc *p)
{
    if (p->root)
        vm_user_free(p->root);
    p->root = NULL;
    p->pid = 0;
    p->parent = NULL;
    p->name[0] = '\0';
    p->state = P_UNUSED;
}

/* Creates the first process running program path (panics on failure). */
void proc_first(const char *path, char *const argv[])
{
    struct proc *p = alloc_proc();
    int argc = p ? exec_program(p, path, argv) : -1;
    if (argc < 0)
        console_panic("proc_first: cannot start init");
    p->tf.regs[10] = argc;
    ptable.init = p;
    p->state = P_RUNNABLE;
}

static struct proc *pick_next(void)
{
    for (int k = 1; k <= NPROC; k++) {
        int i = (ptable.last + k) % NPROC;
        if (ptable.procs[i].state == P_RUNNABLE) {
            ptable.last = i;
            return &ptable.procs[i];
        }
    }
    return NULL;
}

void proc_scheduler(void)
{
    for (;;) {
        struct proc *p = pick_next();
        if (!p) {
            /* nothing runnable: wait for the next interrupt */
            s_sstatus(SSTATUS_SIE);
            wfi();
            c_sstatus(SSTATUS_SIE);
            continue;
        }
        p->state = P_RUNNING;
        ptable.cur = p;
        vm_switch(p->root);
        swtch(&ptable.sched_ctx, &p->ctx);
        ptable.cur = NULL;
    }
}

/* Gives the CPU back to the scheduler; the caller has set cur->state. */
static void sched(void)
{
    struct proc *p = ptable.cur;
    if (p->state == P_RUNNING)
        console_panic("sched: still running");
    swtch(&p->ctx, &ptable.sched_ctx);
}

void proc_yield(void)
{
    ptable.cur->state = P_RUNNABLE;
    sched();
}

void proc_sleep(void *chan)
{
    struct proc *p = ptable.cur;
    p->chan = chan;
    p->state = P_SLEEPING;
    sched();
    p->chan = NULL;
}

void proc_wakeup(void *chan)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &ptable.procs[i];
        if (p->state == P_SLEEPING && p->chan == chan)
            p->state = P_RUNNABLE;
    }
}

/* Returns the child's pid to the parent (the child sees 0), or -1. */
int proc_fork(void)
{
    struct proc *parent = ptable.cur;
    struct proc *np = alloc_proc();
    if (!np)
        return -1;
    if (vm_user_copy(np->root, parent->root) < 0) {
        free_slot(np);
        return -1;
    }
    uint64 ksp = np->tf.kstack_top;
    np->tf = parent->tf;
    np->tf.kstack_top = ksp;
    np->tf.regs[10] = 0;
    np->brk = parent->brk;
    string_copy(np->name, parent->name, sizeof np->name);
    np->parent = parent;
    np->state = P_RUNNABLE;
    return np->pid;
}

/* Frees the caller's memory, hands its children to init and becomes a
 * zombie until its parent waits for it. */
void proc_exit(int status)
{
    struct proc *p = ptable.cur;
    if (p == ptable.init)
        console_panic("proc_exit: init exiting");
    for (int i = 0; i < NPROC; i++) {
        struct proc *c = &ptable.procs[i];
        if (c->parent == p && c->state != P_UNUSED) {
            c->parent = ptable.init;
            if (c->state == P_ZOMBIE)
                proc_wakeup(ptable.init);
        }
    }
    vm_switch(vm_kernel_root);
    vm_user_free(p->root);
    p->root = NULL;
    p->xstatus = status;
    p->state = P_ZOMBIE;
    proc_wakeup(p->parent);
    sched();
    console_panic("proc_exit: zombie ran");
}

/* Waits for a child to exit; stores its status at user address ustatus
 * (if non-zero) and returns its pid, or -1 if there are no children. */
int proc_wait(uint64 ustatus)
{
    struct proc *p = ptable.cur;
    for (;;) {
        int have = 0;
        for (int i = 0; i < NPROC; i++) {
            struct proc *c = &ptable.procs[i];
            if (c->parent != p || c->state == P_UNUSED)
                continue;
            have = 1;
            if (c->state != P_ZOMBIE)
                continue;
            int pid = c->pid, st = c->xstatus;
            if (ustatus && uaccess_copyout(p->root, ustatus, &st, sizeof st) < 0)
                return -1;
            free_slot(c);
            return pid;
        }
        if (!have)
            return -1;
        proc_sleep(p);
    }
}

/* Kills the current process after a fatal exception in user mode. */
void proc_kill_fault(uint64 scause, uint64 stval)
{
    struct proc *p = ptable.cur;
    int pf = scause == SCAUSE_INSN_PF || scause == SCAUSE_LOAD_PF ||
             scause == SCAUSE_STORE_PF;
    console_printf("kill: pid %d (%s) %s scause=%lu stval=%p\n", p->pid,
                   p->name, pf ? "page fault" : "exception", scause, stval);
    proc_exit(-1);
}
