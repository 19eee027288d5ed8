/* kalloc.c: physical page allocator.
 *
 * Free 4 KiB pages form a singly linked list threaded through the pages
 * themselves (reachable through the kernel's identity mapping). Invariant:
 * every page in [start, end) handed to kalloc_init is either on the free
 * list exactly once or owned by exactly one user; nfree counts the list.
 * Freed pages are filled with junk so use-after-free shows up quickly. */
#include "kernel.h"

struct run {
    struct run *next;
};

static struct {
    struct run *head;
    uint64 start, end;
    uint64 nfree;
} pool;

void kalloc_init(uint64 start, uint64 end)
{
    pool.start = PGROUNDUP(start);
    pool.end = PGROUNDDOWN(end);
    /* push in descending order so allocation hands out ascending addresses */
    for (uint64 pa = pool.end - PGSIZE; pa >= pool.start; pa -= PGSIZE) {
        struct run *r = (struct run *)pa;
        r->next = pool.head;
        pool.head = r;
        pool.nfree++;
    }
}

void kalloc_free(void *pa)
{
    uint64 a = (uint64)pa;
    if ((a & (PGSIZE - 1)) || a < pool.start || a >= pool.end)
        console_panic("kalloc_free: bad page");
    memset(pa, 0x5a, PGSIZE);
    struct run *r = pa;
    r->next = pool.head;
    pool.head = r;
    pool.nfree++;
}

/* Returns a zeroed page, or NULL when memory is exhausted. */
void *kalloc_page(void)
{
    struct run *r = pool.head;
    if (!r)
        return NULL;
    pool.head = r->next;
    pool.nfree--;
    memset(r, 0, PGSIZE);
    return r;
}

uint64 kalloc_nfree(void)
{
    return pool.nfree;
}
