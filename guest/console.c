/* console.c: kernel console output, through the virtio console when
 * main_boot found one (virtio_console.c) and SBI console_putchar otherwise.
 *
 * console_printf understands %d %u %x %p %s %c with an optional 'l' length
 * (all integers are printed from 64-bit values). Output is unbuffered, so a
 * line printed before a crash is never lost. No state of its own. */
#include <stdarg.h>
#include "kernel.h"
#include "sbi.h"
#include "virtio_console.h"

void console_putc(int c)
{
    char ch = (char)c;
    if (virtio_console_ready())
        virtio_console_write(&ch, 1);
    else
        sbi_putchar(c);
}

static void put_str(const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        console_putc(*s++);
}

static void put_num(uint64 v, int base, int is_signed)
{
    char buf[24];
    int i = 0;
    if (is_signed && (int64)v < 0) {
        console_putc('-');
        v = -v;
    }
    do {
        buf[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (i > 0)
        console_putc(buf[--i]);
}

void console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            console_putc(*fmt);
            continue;
        }
        int lng = 0;
        while (*++fmt == 'l')
            lng = 1;
        switch (*fmt) {
        case 'd':
            put_num(lng ? va_arg(ap, long) : va_arg(ap, int), 10, 1);
            break;
        case 'u':
            put_num(lng ? va_arg(ap, uint64) : va_arg(ap, uint32), 10, 0);
            break;
        case 'x':
            put_num(lng ? va_arg(ap, uint64) : va_arg(ap, uint32), 16, 0);
            break;
        case 'p':
            put_str("0x");
            put_num(va_arg(ap, uint64), 16, 0);
            break;
        case 's':
            put_str(va_arg(ap, const char *));
            break;
        case 'c':
            console_putc(va_arg(ap, int));
            break;
        case '\0':
            va_end(ap);
            return;
        default:
            console_putc('%');
            console_putc(*fmt);
        }
    }
    va_end(ap);
}

/* A broken kernel invariant: report it and power off with a failure code. */
void console_panic(const char *msg)
{
    console_printf("panic: %s\n", msg);
    sbi_shutdown(1);
}
