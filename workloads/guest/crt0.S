/* crt0.S: user program entry. The kernel starts us with a0 = argc,
 * a1 = argv, sp = top of the stack; main's return value is the exit status. */
    .section .text.start
    .globl _start
_start:
    call main
    call exit
1:  j 1b
