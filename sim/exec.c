/* exec: vCPU slices and process scheduling of one VM.
 * Invariant: every live process is either on the run queue (RUNNABLE),
 * on a vCPU (RUNNING, only inside exec_vcpu), or BLOCKED with exactly one
 * EV_WAKE pending; idle_vcpus counts vCPUs with no EV_VCPU pending. */
#include "sim/exec.h"

#include <errno.h>
#include <stdio.h>

#include "sim/guest.h"
#include "sim/mem.h"
#include "sim/sim.h"
#include "sim/vmm.h"

enum slice_end { SLICE_QUANTUM, SLICE_BLOCK, SLICE_EXIT };

static void rq_push(struct vm *vm, uint32_t pid)
{
    uint32_t n = vm->g.nprocs;
    vm->runq[(vm->rq_head + vm->rq_len) % n] = pid;
    vm->rq_len++;
}

static uint32_t rq_pop(struct vm *vm)
{
    uint32_t pid = vm->runq[vm->rq_head];
    vm->rq_head = (vm->rq_head + 1) % vm->g.nprocs;
    vm->rq_len--;
    return pid;
}

int exec_start(struct sim *s, struct vm *vm)
{
    vm->runq = mem_alloc((size_t)vm->g.nprocs * sizeof *vm->runq);
    if (!vm->runq)
        return -ENOMEM;
    vm->rq_head = vm->rq_len = 0;
    for (uint32_t i = 0; i < vm->g.nprocs; i++)
        rq_push(vm, i);
    vm->vcpus = vm->p->vcpus;
    vm->idle_vcpus = 0;
    for (uint32_t i = 0; i < vm->vcpus; i++)
        sim_push(s, 0, EV_VCPU, 0, vm->index);
    return 0;
}

/* The slow path of a reference: a guest fault, or a guest hit on a frame the
 * VMM does not back. *t is the vCPU's time; *wake when the process may run. */
static int miss(struct sim *s, struct vm *vm, struct gproc *p, struct wl_ref r,
                uint64_t *t, uint64_t *wake)
{
    uint32_t pte = vm->g.pte[p->base + r.vpn];
    int write = r.op == WL_WRITE;
    if (!(pte & PTE_P))
        return guest_fault(s, vm, p, r.vpn, write, t, wake);
    uint32_t gfn = pte & PTE_IDX;
    vm->g.pte[p->base + r.vpn] = pte | PTE_A | (write ? PTE_D : 0);
    if (write)
        guest_content_write(&vm->g, gfn);
    *wake = *t;
    return vmm_back(s, vm, gfn, write ? VMM_WRITE : VMM_ACCESS, *t, wake);
}

/* Run p from *t until it blocks, exits or the quantum ends. The hit path is
 * the inner loop: two table lookups and bit updates per reference. */
static int run_slice(struct sim *s, struct vm *vm, struct gproc *p, uint64_t *t,
                     uint64_t *wake, enum slice_end *how)
{
    uint64_t now = *t, end = now + s->p->quantum_ns, think = vm->wl.common.think_ns;
    uint32_t *pte = vm->g.pte + p->base, *p2m = vm->m.p2m;
    void *gpol = vm->g.pol->flags & POLICY_WANTS_EVERY_ACCESS ? vm->g.pol_self : NULL;
    void *mpol = vm->m.pol->flags & POLICY_WANTS_EVERY_ACCESS ? vm->m.pol_self : NULL;
    uint64_t refs = 0;
    int rc = 0;
    *how = SLICE_QUANTUM;
    while (now < end) {
        if (p->pos == p->len) {
            p->len = (uint16_t)workload_fill(p->wl, p->buf, GPROC_BUF);
            p->pos = 0;
        }
        struct wl_ref r = p->buf[p->pos++];
        if (r.op > WL_WRITE) {
            *how = r.op == WL_END ? SLICE_EXIT : SLICE_BLOCK;
            *wake = now + (uint64_t)r.vpn * 1000;
            break;
        }
        now += think;
        refs++;
        uint32_t e = pte[r.vpn];
        uint32_t w = r.op;   /* WL_WRITE == 1 */
        if (e & PTE_P) {
            uint32_t gfn = e & PTE_IDX;
            uint32_t m = p2m[gfn];
            if (P2M_STATE(m) == P2M_HOST) {
                pte[r.vpn] = e | PTE_A | (w ? PTE_D : 0);
                p2m[gfn] = m | P2M_A | (w ? P2M_D : 0);
                if (gpol)
                    vm->g.pol->touch(gpol, gfn);
                if (mpol)
                    vm->m.pol->touch(mpol, gfn);
                if (w && !(vm->g.content[gfn] & CONTENT_PRIVATE))
                    guest_content_write(&vm->g, gfn);
                continue;
            }
        }
        rc = miss(s, vm, p, r, &now, wake);
        if (rc < 0 || *wake > now) {
            *how = SLICE_BLOCK;
            break;
        }
    }
    vm->c[C_refs] += refs;
    *t = now;
    return rc;
}

static void proc_exit(struct sim *s, struct vm *vm, struct gproc *p, uint64_t t)
{
    guest_proc_exit(vm, p);
    if (vm->g.live == 0) {
        vm->finish_ns = t ? t : 1;
        s->running--;
    }
}

int exec_vcpu(struct sim *s, struct vm *vm)
{
    if (vm->rq_len == 0) {
        vm->idle_vcpus++;
        return 0;
    }
    uint32_t pid = rq_pop(vm);
    struct gproc *p = &vm->g.procs[pid];
    uint64_t t = s->now, wake = 0;
    enum slice_end how;
    p->state = PROC_RUNNING;
    int rc = run_slice(s, vm, p, &t, &wake, &how);
    if (rc < 0)
        return rc;
    if (how == SLICE_EXIT) {
        proc_exit(s, vm, p, t);
    } else if (how == SLICE_BLOCK) {
        p->state = PROC_BLOCKED;
        sim_push(s, wake, EV_WAKE, (uint16_t)pid, vm->index);
    } else {
        p->state = PROC_RUNNABLE;
        rq_push(vm, pid);
    }
    sim_push(s, t, EV_VCPU, 0, vm->index);
    return 0;
}

void exec_wake(struct sim *s, struct vm *vm, uint32_t pid)
{
    vm->g.procs[pid].state = PROC_RUNNABLE;
    rq_push(vm, pid);
    if (vm->idle_vcpus > 0) {
        vm->idle_vcpus--;
        sim_push(s, s->now, EV_VCPU, 0, vm->index);
    }
}
