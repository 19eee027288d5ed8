/* sbi.h: the few SBI calls the guest uses (legacy console, TIME, SRST). */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#include "types.h"

void sbi_putchar(int c);
void sbi_set_timer(uint64 when);
void sbi_shutdown(int failure) __attribute__((noreturn));

#endif
