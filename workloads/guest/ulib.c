/* ulib.c: a tiny libc for the guest's user programs.
 *
 * printf formats into a 256-byte buffer and issues one write per call (or
 * per full buffer), so one printf is one system call. malloc is a bump
 * allocator over sbrk that never reuses memory (free is a no-op): the
 * programs are short-lived and their memory use must be deterministic.
 * Its state is the current chunk, which is per process after fork. */
#include <stdarg.h>
#include "user.h"

#define PRINTF_BUF 256
#define HEAP_CHUNK (64UL * 1024)

struct outbuf {
    char buf[PRINTF_BUF];
    int len;
};

static void out_flush(struct outbuf *o)
{
    if (o->len)
        write(1, o->buf, o->len);
    o->len = 0;
}

static void out_char(struct outbuf *o, char c)
{
    if (o->len == PRINTF_BUF)
        out_flush(o);
    o->buf[o->len++] = c;
}

static void out_num(struct outbuf *o, uint64 v, int base, int neg, int width, char pad)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    for (; width > n; width--)
        out_char(o, pad);
    while (n)
        out_char(o, tmp[--n]);
}

static void out_arg(struct outbuf *o, char conv, int lng, int width, char pad, va_list *ap)
{
    long sv;
    uint64 uv;
    const char *s;
    switch (conv) {
    case 'd':
        sv = lng ? va_arg(*ap, long) : va_arg(*ap, int);
        out_num(o, sv < 0 ? -(uint64)sv : (uint64)sv, 10, sv < 0, width, pad);
        break;
    case 'u':
    case 'x':
        uv = lng ? va_arg(*ap, uint64) : va_arg(*ap, unsigned int);
        out_num(o, uv, conv == 'x' ? 16 : 10, 0, width, pad);
        break;
    case 's':
        for (s = va_arg(*ap, const char *); s && *s; s++)
            out_char(o, *s);
        break;
    case 'c':
        out_char(o, (char)va_arg(*ap, int));
        break;
    default:
        out_char(o, '%');
        out_char(o, conv);
    }
}

/* Supports %d %u %x %s %c, the 'l' modifier and a zero/space width. */
void printf(const char *fmt, ...)
{
    struct outbuf o;
    va_list ap;
    o.len = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, lng = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        for (; *fmt == 'l'; fmt++)
            lng = 1;
        if (!*fmt)
            break;
        out_arg(&o, *fmt, lng, width, pad, &ap);
    }
    va_end(ap);
    out_flush(&o);
}

static char *heap_cur, *heap_end;

void *malloc(unsigned long n)
{
    n = (n + 15) & ~15UL;
    if (!heap_cur || (unsigned long)(heap_end - heap_cur) < n) {
        unsigned long grow = n > HEAP_CHUNK ? n : HEAP_CHUNK;
        char *p = sbrk((long)grow);
        if (p == (char *)-1)
            return 0;
        if (p != heap_end) /* not contiguous with the old chunk */
            heap_cur = p;
        heap_end = p + grow;
    }
    void *r = heap_cur;
    heap_cur += n;
    return r;
}

void free(void *p)
{
    (void)p;
}

void *memset(void *dst, int c, unsigned long n)
{
    char *d = dst;
    while (n--)
        *d++ = (char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    char *d = dst;
    const char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
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
    return (unsigned char)*a - (unsigned char)*b;
}

long atol(const char *s)
{
    long v = 0;
    int neg = *s == '-';
    if (neg)
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    return neg ? -v : v;
}

char *ltoa(long v, char *buf)
{
    char tmp[21];
    int n = 0, i = 0;
    uint64 u = v < 0 ? -(uint64)v : (uint64)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[i++] = '-';
    while (n)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
    return buf;
}

long ulib_arg_long(int argc, char **argv, int n, long def)
{
    long v = n < argc ? atol(argv[n]) : 0;
    return v > 0 ? v : def;
}
