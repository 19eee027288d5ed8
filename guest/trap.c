/* trap.c: trap dispatch for traps from user mode and from the kernel.
 *
 * User traps: ecall -> system call, timer -> tick and yield (round-robin
 * preemption), any other exception -> the process is killed with a message.
 * Kernel traps: a timer interrupt (taken only in the idle loop, the one
 * place the kernel runs with SIE set) re-arms the timer; anything else is a
 * kernel bug and panics. The tick count is the only state. */
#include "kernel.h"
#include "sbi.h"

static uint64 ticks;

static void timer_tick(void)
{
    ticks++;
    sbi_set_timer(r_time() + TICK_CYCLES);
}

uint64 trap_ticks(void)
{
    return ticks;
}

void trap_init(void)
{
    w_stvec((uint64)trapvec);
    w_sscratch(0);
    w_sie(r_sie() | SIE_STIE);
    sbi_set_timer(r_time() + TICK_CYCLES);
}

/* Called from trapvec with the saved user registers; never returns. */
void trap_user(struct trapframe *tf)
{
    struct proc *p = proc_current();
    uint64 scause = r_scause();
    if (!p || tf != &p->tf)
        console_panic("trap_user: no current process");
    if (scause == SCAUSE_ECALL_U) {
        tf->epc += 4;
        syscall_dispatch(p);
    } else if (scause == SCAUSE_STIMER) {
        timer_tick();
        proc_yield();
    } else {
        proc_kill_fault(scause, r_stval());
    }
    trap_user_return();
}

/* Returns to user mode in the current process, with interrupts enabled
 * there (SPIE) and SPP = U. */
void trap_user_return(void)
{
    struct proc *p = proc_current();
    uint64 s = r_sstatus();
    s &= ~(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SUM);
    s |= SSTATUS_SPIE;
    w_sstatus(s);
    trapvec_return(&p->tf);
}

/* Called from trapvec for a trap taken in S-mode. */
void trap_kernel(void)
{
    uint64 scause = r_scause();
    if (scause == SCAUSE_STIMER) {
        timer_tick();
        return;
    }
    console_printf("kernel trap: scause=%lu sepc=%p stval=%p\n", scause,
                   r_sepc(), r_stval());
    console_panic("trap_kernel: unexpected trap");
}
