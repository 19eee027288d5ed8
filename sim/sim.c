/* sim: building, running and checking one simulation.
 *
 * Ownership: struct sim owns the hosts, each host its VMs array, each VM its
 * guest, p2m, workload set and random stream; sim_destroy frees all of it,
 * also after a partial sim_create.
 * Streams: a VM's workload streams and its policy stream are seeded from the
 * experiment seed and a hash of the VM's name, so adding, removing or
 * reordering other VMs changes nothing for this one.
 */
#include "sim/sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/exec.h"
#include "sim/guest.h"
#include "sim/hash.h"
#include "sim/mem.h"
#include "sim/panic.h"
#include "sim/sample.h"
#include "sim/vmm.h"

const char *const vm_counter_names[C_COUNT] = {
#define X(n) #n,
    VM_COUNTERS(X)
#undef X
};

void sim_push(struct sim *s, uint64_t time, enum ev_kind kind, uint16_t a, uint32_t b)
{
    if (s->q.n >= s->q.cap)
        panic("sim_push: more events pending than the bound reserved in start_all");
    if (evq_push(&s->q, time, (uint16_t)kind, a, b) < 0)
        panic("sim_push: event queue push failed");
}

static int vm_create(struct sim *s, struct host *h, struct vm *vm, struct cfg_err *err)
{
    char key[160];
    snprintf(key, sizeof key, "%s/%s", h->p->name, vm->name);
    uint32_t id = (uint32_t)hash_str(key);
    int rc;
    vm->rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!vm->rng)
        return -ENOMEM;
    gsl_rng_set(vm->rng, (unsigned long)hash_mix64(s->p->seed ^ hash_mix64(id ^ 0x5ca1ab1eull)));
    vm->stream_key = hash_mix64(s->p->seed ^ hash_mix64(id));
    rc = workload_set_create(vm->p->workload, s->p->page_size, s->p->seed, id, &vm->wl, err);
    if (rc < 0)
        return rc;
    if ((rc = guest_init(s, vm)) < 0 || (rc = vmm_vm_init(s, vm)) < 0) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "vm '%s': out of memory building the model", vm->name);
        snprintf(err->msg, sizeof err->msg, "%s", s->err);
        return rc;
    }
    return 0;
}

static void vm_destroy(struct vm *vm)
{
    if (vm->runq)
        mem_free(vm->runq, (size_t)vm->g.nprocs * sizeof *vm->runq);
    vmm_vm_destroy(vm);
    guest_destroy(vm);
    if (vm->wl.procs)
        workload_set_destroy(&vm->wl);
    if (vm->rng)
        gsl_rng_free(vm->rng);
}

static uint32_t host_vm_count(const struct host_params *hp)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < hp->nvms; i++)
        n += hp->vms[i].count;
    return n;
}

/* Lay out the host's VMs (expanding count: N into name-0 .. name-(N-1)). */
static int host_layout(struct sim *s, struct host *h)
{
    h->nvms = host_vm_count(h->p);
    h->vms = mem_calloc(h->nvms ? h->nvms : 1, sizeof *h->vms);
    if (!h->vms)
        return -ENOMEM;
    uint32_t k = 0;
    for (uint32_t i = 0; i < h->p->nvms; i++) {
        const struct vm_params *vp = &h->p->vms[i];
        for (uint32_t j = 0; j < vp->count; j++, k++) {
            struct vm *vm = &h->vms[k];
            vm->p = vp;
            vm->host = h;
            vm->host_vm = k;
            vm->index = s->nvms;
            s->vms[s->nvms++] = vm;
            if (vp->count > 1)
                snprintf(vm->name, sizeof vm->name, "%s-%u", vp->name, j);
            else
                snprintf(vm->name, sizeof vm->name, "%s", vp->name);
        }
    }
    return 0;
}

/* Names made by `count` (name-0, name-1, ...) may collide with other VMs'. */
static int unique_vm_names(const struct host *h, struct cfg_err *err)
{
    for (uint32_t i = 0; i < h->nvms; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(h->vms[i].name, h->vms[j].name) == 0) {
                snprintf(err->msg, sizeof err->msg,
                         "host '%s': two VMs are named '%s' (count expands NAME to NAME-0, NAME-1, ...)",
                         h->p->name, h->vms[i].name);
                return -EINVAL;
            }
    return 0;
}

static int host_create(struct sim *s, struct host *h, struct cfg_err *err)
{
    int rc = host_layout(s, h);
    if (rc < 0 || (rc = unique_vm_names(h, err)) < 0 || (rc = vmm_host_init(s, h)) < 0)
        return rc;
    for (uint32_t i = 0; i < h->nvms; i++)
        if ((rc = vm_create(s, h, &h->vms[i], err)) < 0)
            return rc;
    vmm_targets(h);
    for (uint32_t i = 0; i < h->nvms; i++) {
        if ((rc = guest_boot(s, &h->vms[i])) < 0) {
            snprintf(err->msg, sizeof err->msg, "%s", s->err[0] ? s->err : "out of memory");
            return rc;
        }
    }
    return 0;
}

static uint32_t total_vms(const struct exp_params *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nhosts; i++)
        n += host_vm_count(&p->hosts[i]);
    return n;
}

/* At most one EV_VCPU per vCPU, one EV_WAKE per process and one EV_KSWAPD
 * per VM are pending, plus the sample: reserving that many up front means
 * sim_push never allocates, so it cannot fail during a run. */
static int start_all(struct sim *s)
{
    size_t bound = 1;
    for (uint32_t i = 0; i < s->nvms; i++)
        bound += s->vms[i]->p->vcpus + s->vms[i]->g.nprocs + 1;
    if (evq_reserve(&s->q, bound) < 0)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->nvms; i++)
        if (exec_start(s, s->vms[i]) < 0)
            return -ENOMEM;
    sim_push(s, 0, EV_SAMPLE, 0, 0);
    return 0;
}

struct sim *sim_create(const struct exp_params *p, struct cfg_err *err)
{
    err->msg[0] = 0;
    struct sim *s = mem_calloc(1, sizeof *s);
    if (!s) {
        snprintf(err->msg, sizeof err->msg, "out of memory building the simulation");
        return NULL;
    }
    s->p = p;
    evq_init(&s->q);
    s->nhosts = p->nhosts;
    s->hosts = mem_calloc(p->nhosts ? p->nhosts : 1, sizeof *s->hosts);
    s->vms = mem_calloc(total_vms(p) ? total_vms(p) : 1, sizeof *s->vms);
    if (!s->hosts || !s->vms)
        goto oom;
    for (uint32_t i = 0; i < p->nhosts; i++) {
        s->hosts[i].p = &p->hosts[i];
        s->hosts[i].index = i;
        int rc = host_create(s, &s->hosts[i], err);
        if (rc == -ENOMEM && !err->msg[0])
            goto oom;
        if (rc < 0)
            goto fail;
    }
    if (start_all(s) < 0)
        goto oom;
    s->running = s->nvms;
    return s;
oom:
    snprintf(err->msg, sizeof err->msg, "out of memory building the simulation");
fail:
    sim_destroy(s);
    return NULL;
}

void sim_destroy(struct sim *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->hosts && i < s->nhosts; i++) {
        struct host *h = &s->hosts[i];
        for (uint32_t j = 0; h->vms && j < h->nvms; j++)
            vm_destroy(&h->vms[j]);
        mem_free(h->vms, (h->nvms ? h->nvms : 1) * sizeof *h->vms);
        vmm_host_destroy(h);
    }
    mem_free(s->hosts, (s->nhosts ? s->nhosts : 1) * sizeof *s->hosts);
    uint32_t nv = total_vms(s->p);
    mem_free(s->vms, (nv ? nv : 1) * sizeof *s->vms);
    evq_destroy(&s->q);
    mem_free(s, sizeof *s);
}

static int dispatch(struct sim *s, const struct event *ev)
{
    switch (ev->kind) {
    case EV_VCPU:
        return exec_vcpu(s, s->vms[ev->b]);
    case EV_WAKE:
        exec_wake(s, s->vms[ev->b], ev->a);
        return 0;
    case EV_KSWAPD:
        return guest_kswapd(s, s->vms[ev->b]);
    case EV_SAMPLE:
        sample_write(s);
        if (s->running > 0)
            sim_push(s, s->now + s->p->sample_ns, EV_SAMPLE, 0, 0);
        return 0;
    default:
        panic("dispatch: unknown event kind %u", ev->kind);
    }
}

int sim_run(struct sim *s)
{
    struct event ev;
    s->complete = 0;
    while (!(s->stop && *s->stop) && s->running > 0 && evq_pop(&s->q, &ev)) {
        if (ev.time > s->p->duration_ns) {
            s->now = s->p->duration_ns;
            break;
        }
        s->now = ev.time;
        if ((++s->events & 0xffff) == 0 && s->progress)
            s->progress(s);
        int rc = dispatch(s, &ev);
        if (rc < 0)
            return rc;
        if (s->p->check && sim_check(s) < 0)
            return -EFAULT;
    }
    s->complete = !(s->stop && *s->stop);
    if (s->now != s->last_sample || s->now == 0)
        sample_write(s);
    return 0;
}

/* Counter relations that hold at every instant: each VMM swap-in is exactly
 * one of a guest access, a false read or a double-paging read, and the VMM
 * (which keeps no swap cache) never reads more than it wrote. */
static int check_counters(const struct vm *vm, char *buf, size_t size)
{
    const uint64_t *c = vm->c;
    if (c[C_vmm_swapins] != c[C_vmm_faults] + c[C_false_swap_reads] + c[C_double_paging] ||
        c[C_vmm_swapins] > c[C_vmm_swapouts] || c[C_guest_major_faults] != c[C_guest_swapins] ||
        c[C_guest_major_faults] > c[C_guest_faults]) {
        snprintf(buf, size, "vm %s: counters inconsistent", vm->name);
        return -1;
    }
    return 0;
}

int sim_check(struct sim *s)
{
    char buf[400];
    if (evq_check(&s->q) < 0) {
        snprintf(s->err, sizeof s->err, "invariant broken at t=%lluns: event heap out of order",
                 (unsigned long long)s->now);
        return -1;
    }
    for (uint32_t i = 0; i < s->nhosts; i++) {
        struct host *h = &s->hosts[i];
        int bad = vmm_check_host(h, buf, sizeof buf) < 0;
        for (uint32_t j = 0; !bad && j < h->nvms; j++)
            bad = vmm_check_vm(&h->vms[j], buf, sizeof buf) < 0 ||
                  check_counters(&h->vms[j], buf, sizeof buf) < 0 ||
                  guest_check(&h->vms[j], buf, sizeof buf) < 0;
        if (bad) {
            snprintf(s->err, sizeof s->err, "invariant broken at t=%lluns: %s",
                     (unsigned long long)s->now, buf);
            return -1;
        }
    }
    return 0;
}

uint64_t sim_guest_pages(const struct sim *s)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nvms; i++)
        n += s->vms[i]->g.nframes;
    return n;
}
