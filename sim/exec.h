/* exec: running processes on vCPUs in slices.
 *
 * A vCPU takes the next runnable process and resolves its references inline
 * (the hit path: guest PTE and p2m lookups, accessed/dirty bits, no events,
 * no allocation) until a reference must wait for I/O, the process idles or
 * exits, or the quantum ends. Only then is an event scheduled: EV_VCPU when
 * the vCPU is free again, EV_WAKE when the blocked process may continue.
 */
#ifndef VMMSIM_EXEC_H
#define VMMSIM_EXEC_H

#include "sim/model.h"

/* Start: every process runnable, every vCPU scheduled at time 0. */
int  exec_start(struct sim *s, struct vm *vm);
/* EV_VCPU: a vCPU of vm is free at s->now. 0 or negative (s->err). */
int  exec_vcpu(struct sim *s, struct vm *vm);
/* EV_WAKE: process pid of vm may run again. */
void exec_wake(struct sim *s, struct vm *vm, uint32_t pid);

#endif
