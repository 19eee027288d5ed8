/* trapvec.S: the single stvec entry for traps from U-mode and S-mode.
 *
 * Convention: sscratch holds the current process's trapframe address while
 * user code runs and 0 while the kernel runs, so one csrrw tells the two
 * cases apart. A user trap saves every register into the trapframe
 * (struct trapframe: x0..x31, epc, kstack_top), switches to the process's
 * kernel stack and calls trap_user(tf), which never returns here; the way
 * back is trapvec_return(tf). A kernel trap saves the caller-visible state
 * on the current kernel stack, calls trap_kernel() and resumes. */
#define TF_EPC 256
#define TF_KSP 264

    .text
    .globl trapvec
    .balign 4
trapvec:
    csrrw sp, sscratch, sp
    beqz sp, from_kernel
    /* from user: sp = trapframe, sscratch = user sp */
    sd x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (\n*8)(sp)
    .endr
    csrr t0, sscratch
    sd t0, 16(sp)
    csrw sscratch, zero
    csrr t0, sepc
    sd t0, TF_EPC(sp)
    mv a0, sp
    ld sp, TF_KSP(sp)
    call trap_user
1:  j 1b

    /* trapvec_return(tf): resume user code with the registers in *tf. */
    .globl trapvec_return
trapvec_return:
    ld t0, TF_EPC(a0)
    csrw sepc, t0
    csrw sscratch, a0
    ld x1, 8(a0)
    .irp n, 3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, (\n*8)(a0)
    .endr
    ld sp, 16(a0)
    ld a0, 80(a0)
    sret

from_kernel:
    csrrw sp, sscratch, sp      /* sp restored, sscratch = 0 again */
    addi sp, sp, -256
    sd x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (\n*8)(sp)
    .endr
    call trap_kernel
    ld x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, (\n*8)(sp)
    .endr
    addi sp, sp, 256
    sret
