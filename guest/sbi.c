/* sbi.c: calls into the SBI firmware (OpenSBI on QEMU, the VMM on vmmsim).
 *
 * Only three services are used, so a VMM needs to emulate only these:
 * legacy console_putchar (EID 0x01), TIME set_timer (EID 0x54494D45) and
 * SRST system_reset (EID 0x53525354). No state. */
#include "sbi.h"

#define SBI_EID_PUTCHAR 0x01
#define SBI_EID_TIME    0x54494D45
#define SBI_EID_SRST    0x53525354

static long sbi_call(long eid, long fid, long a0, long a1)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall"
                     : "+r"(r0), "+r"(r1)
                     : "r"(r6), "r"(r7)
                     : "memory");
    return r0;
}

void sbi_putchar(int c)
{
    sbi_call(SBI_EID_PUTCHAR, 0, c, 0);
}

void sbi_set_timer(uint64 when)
{
    sbi_call(SBI_EID_TIME, 0, (long)when, 0);
}

/* Shut down (reset type 0); reason 1 = system failure. Never returns. */
void sbi_shutdown(int failure)
{
    sbi_call(SBI_EID_SRST, 0, 0, failure ? 1 : 0);
    for (;;)
        __asm__ volatile("wfi");
}
