/* mem: allocation funnel with byte accounting and fault injection.
 * Invariant: in_use equals the sum of the sizes of live blocks, provided every
 * caller frees with the size it allocated (tests check in_use returns to its
 * starting value after each create/destroy pair). */
#include "sim/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static _Thread_local uint64_t in_use, peak;
static _Thread_local uint64_t fail_at, count;
static _Thread_local int triggered;

static int should_fail(void)
{
    if (fail_at == 0)
        return 0;
    if (++count >= fail_at) {
        triggered = 1;
        return 1;
    }
    return 0;
}

static void account(int64_t delta)
{
    in_use += (uint64_t)delta;
    if (in_use > peak)
        peak = in_use;
}

void *mem_alloc(size_t size)
{
    if (should_fail())
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        account((int64_t)size);
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        account((int64_t)(n * size));
    return p;
}

void *mem_realloc(void *p, size_t old, size_t size)
{
    if (should_fail())
        return NULL;
    void *q = realloc(p, size ? size : 1);
    if (q)
        account((int64_t)size - (int64_t)old);
    return q;
}

void mem_free(void *p, size_t size)
{
    if (!p)
        return;
    in_use -= size;
    free(p);
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mem_alloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void mem_free_str(char *s)
{
    if (s)
        mem_free(s, strlen(s) + 1);
}

uint64_t mem_in_use(void) { return in_use; }
uint64_t mem_peak(void) { return peak; }

void mem_fail_after(uint64_t n)
{
    fail_at = n;
    count = 0;
    triggered = 0;
}

void mem_fail_reset(void) { mem_fail_after(0); }
int mem_fail_triggered(void) { return triggered; }

void mem_hint_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), b = ((uintptr_t)p + n) & ~(huge - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}
