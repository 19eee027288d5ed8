/* usys.S: system call stubs; number in a7, arguments already in a0..a5. */
#include "syscall.h"

#define STUB(name)       \
    .globl name;         \
name:                    \
    li a7, SYS_##name;   \
    ecall;               \
    ret

    .text
STUB(exit)
STUB(fork)
STUB(exec)
STUB(wait)
STUB(sbrk)
STUB(write)
STUB(read)
STUB(getpid)
STUB(yield)
STUB(uptime)
STUB(freepages)
STUB(shutdown)
