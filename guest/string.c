/* string.c: the memory and string routines the kernel (and GCC, which may
 * emit calls to memset/memcpy even in freestanding code) needs. No state. */
#include "kernel.h"

void *memset(void *dst, int c, unsigned long n)
{
    uint8 *d = dst;
    if ((((uint64)d | n) & 7) == 0) {
        uint64 w = (uint8)c * 0x0101010101010101UL;
        for (uint64 *q = dst; n; n -= 8)
            *q++ = w;
        return dst;
    }
    while (n--)
        *d++ = (uint8)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    return memmove(dst, src, n);
}

void *memmove(void *dst, const void *src, unsigned long n)
{
    uint8 *d = dst;
    const uint8 *s = src;
    if (d < s && (((uint64)d | (uint64)s | n) & 7) == 0) {
        uint64 *dq = dst;
        const uint64 *sq = src;
        for (; n; n -= 8)
            *dq++ = *sq++;
    } else if (d < s) {
        while (n--)
            *d++ = *s++;
    } else if (d > s) {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const uint8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

unsigned long strlen(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8)*a - (uint8)*b;
}

/* Copy at most size-1 characters and always terminate (size > 0). */
void string_copy(char *dst, const char *src, unsigned long size)
{
    unsigned long i = 0;
    for (; i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}
