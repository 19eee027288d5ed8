/* badread: reads kernel memory (the kernel's first page at 0x80200000),
 * which is mapped without PTE_U, so the kernel must kill this process. */
#include "user.h"

int main(void)
{
    volatile uint64 *kernel = (volatile uint64 *)0x80200000UL;
    printf("badread: reading kernel memory at 0x80200000\n");
    uint64 v = *kernel;
    printf("badread: read succeeded (%lx), protection is broken\n", v);
    return 1;
}
