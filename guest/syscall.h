/* syscall.h: system call numbers, shared by the kernel and the user
 * library (workloads/guest/). Arguments in a0..a5, number in a7, result in
 * a0 (negative on failure). */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H

#define SYS_exit      1
#define SYS_fork      2
#define SYS_exec      3  /* exec(name, argv) */
#define SYS_wait      4  /* wait(int *status) -> pid */
#define SYS_sbrk      5  /* sbrk(delta) -> old break */
#define SYS_write     6
#define SYS_read      7
#define SYS_getpid    8
#define SYS_yield     9
#define SYS_uptime    10 /* timer ticks since boot */
#define SYS_freepages 11 /* free physical pages (leak checks) */
#define SYS_shutdown  12 /* shutdown(failed): power off via SBI SRST */

#endif
