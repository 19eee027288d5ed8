/* panic: report a broken internal invariant and abort (a bug, not bad input). */
#include "sim/panic.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vmmsim: internal error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
