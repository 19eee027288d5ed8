/* uaccess.c: copying between kernel memory and user virtual memory.
 *
 * The current process's page table is live while the kernel runs (the kernel
 * is mapped in every address space), so a copy is a plain memcpy through the
 * user addresses once the range is known to be mapped with PTE_U and the
 * needed permission. sstatus.SUM is set only for the duration of that copy;
 * everywhere else a kernel access to a user page faults. No state. */
#include "kernel.h"
#include "memlayout.h"

/* 0 when every page of [uva, uva+n) is a user page with permission need. */
static int check_range(pagetable_t root, uint64 uva, uint64 n, uint64 need)
{
    if (uva + n < uva || uva + n > USER_TOP)
        return -1;
    for (uint64 va = PGROUNDDOWN(uva); va < uva + n; va += PGSIZE) {
        pte_t *pte = vm_walk(root, va, 0);
        if (!pte || (*pte & (PTE_V | PTE_U | need)) != (PTE_V | PTE_U | need))
            return -1;
    }
    return 0;
}

int uaccess_copyin(pagetable_t root, void *dst, uint64 uva, uint64 n)
{
    if (check_range(root, uva, n, PTE_R) < 0)
        return -1;
    s_sstatus(SSTATUS_SUM);
    memcpy(dst, (const void *)uva, n);
    c_sstatus(SSTATUS_SUM);
    return 0;
}

int uaccess_copyout(pagetable_t root, uint64 uva, const void *src, uint64 n)
{
    if (check_range(root, uva, n, PTE_W) < 0)
        return -1;
    s_sstatus(SSTATUS_SUM);
    memcpy((void *)uva, src, n);
    c_sstatus(SSTATUS_SUM);
    return 0;
}

/* Copies a NUL-terminated user string of at most max bytes (terminator
 * included), one page at a time. Returns its length, or -1 if unmapped or
 * too long. */
int uaccess_copyinstr(pagetable_t root, char *dst, uint64 uva, uint64 max)
{
    uint64 i = 0;
    while (i < max) {
        if (check_range(root, uva + i, 1, PTE_R) < 0)
            return -1;
        uint64 chunk = PGSIZE - ((uva + i) & (PGSIZE - 1));
        if (chunk > max - i)
            chunk = max - i;
        int found = 0;
        s_sstatus(SSTATUS_SUM);
        for (uint64 k = 0; k < chunk && !found; k++, i++) {
            dst[i] = *(const volatile char *)(uva + i);
            found = dst[i] == '\0';
        }
        c_sstatus(SSTATUS_SUM);
        if (found)
            return (int)(i - 1);
    }
    return -1;
}
