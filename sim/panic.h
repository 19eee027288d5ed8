/* panic: the simulator's own state is broken (never bad input): print and abort. */
#ifndef VMMSIM_PANIC_H
#define VMMSIM_PANIC_H

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
