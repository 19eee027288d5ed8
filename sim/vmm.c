/* vmm: p2m, host frames and VMM swapping.
 *
 * Invariants (vmm_check_*):
 *   - per VM: resident == #HOST entries, swapped == #SWAPPED entries,
 *     the VMM policy tracks exactly the HOST frames, every SWAPPED entry's
 *     slot is in use in host swap;
 *   - per host: no two SWAPPED entries (of any VM) share a slot;
 *   - per host: free + sum(resident) == nframes, and host swap's used count
 *     == sum(swapped).
 * Host-swap writes are asynchronous: the frame is free at once and the write
 * occupies the swap device, delaying later reads.
 */
#include "sim/vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/guest.h"
#include "sim/mem.h"

static int p2m_accessed(void *ctx, uint32_t gfn)
{
    const uint32_t *p2m = ctx;
    return (p2m[gfn] & P2M_A) != 0;
}

static void p2m_clear_accessed(void *ctx, uint32_t gfn)
{
    uint32_t *p2m = ctx;
    p2m[gfn] &= ~P2M_A;
}

static int p2m_dirty(void *ctx, uint32_t gfn)
{
    const uint32_t *p2m = ctx;
    return (p2m[gfn] & P2M_D) != 0;
}

int vmm_vm_init(struct sim *s, struct vm *vm)
{
    struct vmm_vm *m = &vm->m;
    uint32_t n = vm->g.nframes;
    m->p2m = mem_calloc(n, sizeof *m->p2m);   /* all P2M_UNBACKED */
    if (!m->p2m)
        return -ENOMEM;
    m->pol = policy_find(vm->host->p->vmm.policy);
    struct policy_args a = {.rng = vm->rng, .inactive_ratio = 0};
    m->pol_self = m->pol ? m->pol->create(&a, n) : NULL;
    if (!m->pol_self) {
        mem_free(m->p2m, (size_t)n * sizeof *m->p2m);
        m->p2m = NULL;
        return -ENOMEM;
    }
    m->bits = (struct frame_bits){m->p2m, p2m_accessed, p2m_clear_accessed, p2m_dirty};
    m->resident = m->swapped = 0;
    (void)s;
    return 0;
}

void vmm_vm_destroy(struct vm *vm)
{
    struct vmm_vm *m = &vm->m;
    if (m->pol_self)
        m->pol->destroy(m->pol_self);
    mem_free(m->p2m, (size_t)vm->g.nframes * sizeof *m->p2m);
    memset(m, 0, sizeof *m);
}

int vmm_host_init(struct sim *s, struct host *h)
{
    const struct host_params *hp = h->p;
    uint32_t ps = s->p->page_size;
    h->page_size = ps;
    h->nframes = hp->memory / ps;
    h->free = h->nframes;
    h->th_high = (uint64_t)(hp->vmm.st_high * (double)h->nframes);
    h->th_soft = (uint64_t)(hp->vmm.st_soft * (double)h->nframes);
    h->th_hard = (uint64_t)(hp->vmm.st_hard * (double)h->nframes);
    h->th_low = (uint64_t)(hp->vmm.st_low * (double)h->nframes);
    device_init(&h->swapdev, &hp->swapdev, ps);
    h->state = HS_HIGH;
    return swapmap_init(&h->swap, (uint32_t)(hp->swap_bytes / ps));
}

void vmm_host_destroy(struct host *h)
{
    swapmap_destroy(&h->swap);
}

void vmm_targets(struct host *h)
{
    uint64_t share = h->nvms ? (h->nframes - h->th_hard) / h->nvms : 0;
    for (uint32_t i = 0; i < h->nvms; i++) {
        struct vm *vm = &h->vms[i];
        uint64_t t = vm->p->limit / h->page_size;
        if (h->p->vmm.allocation == ALLOC_EQUAL && share < t)
            t = share;
        vm->m.target = t > vm->g.nframes ? vm->g.nframes : (uint32_t)t;
    }
}

int vmm_host_state(const struct host *h)
{
    if (h->free >= h->th_high)
        return HS_HIGH;
    if (h->free >= h->th_soft)
        return HS_SOFT;
    if (h->free >= h->th_hard)
        return HS_HARD;
    return HS_LOW;
}

const char *vmm_state_name(int state)
{
    static const char *const names[] = {"high", "soft", "hard", "low"};
    return state >= 0 && state <= HS_LOW ? names[state] : "?";
}

/* The VM whose resident set exceeds its target the most (lowest index on ties). */
static struct vm *most_over(struct host *h)
{
    struct vm *best = NULL;
    int64_t best_over = INT64_MIN;
    for (uint32_t i = 0; i < h->nvms; i++) {
        struct vm *v = &h->vms[i];
        int64_t over = (int64_t)v->m.resident - (int64_t)v->m.target;
        if (v->m.resident > 0 && over > best_over) {
            best = v;
            best_over = over;
        }
    }
    return best;
}

/* The guest has an identical copy of gfn's contents on its own disk: the
 * frame is clean and still holds its guest swap slot (swap cache). */
static int guest_has_copy(const struct vm *vm, uint32_t gfn)
{
    return !(vm->g.rmap[gfn] & GF_FREE) && guest_has_swap_copy(&vm->g, gfn);
}

int vmm_swap_out(struct sim *s, struct vm *vm, uint64_t now)
{
    struct vmm_vm *m = &vm->m;
    struct host *h = vm->host;
    uint32_t gfn = m->pol->victim(m->pol_self, &m->bits);
    if (gfn == POLICY_NONE)
        return -EAGAIN;
    uint32_t slot = swapmap_alloc(&h->swap);
    if (slot == SWAP_NONE || slot > P2M_IDX) {
        m->pol->insert(m->pol_self, gfn);
        snprintf(s->err, sizeof s->err, "host '%s': host swap is full (%u pages)",
                 h->p->name, h->swap.nslots);
        return -ENOSPC;
    }
    device_submit(&h->swapdev, now, slot, 1, 1);
    if (guest_has_copy(vm, gfn))
        vm->c[C_silent_swap_writes]++;
    m->p2m[gfn] = P2M_MAKE(P2M_SWAPPED, slot);
    m->resident--;
    m->swapped++;
    h->free++;
    vm->c[C_vmm_swapouts]++;
    return 0;
}

/* Take a host frame for vm, reclaiming first if vm is at its target (its own
 * frames) or the host has reached its hard threshold (frames of the VMs most
 * over target, down to the soft threshold). Fails only when no frame is left. */
static int alloc_frame(struct sim *s, struct vm *vm, uint64_t now)
{
    struct host *h = vm->host;
    int rc = 0;
    if (vm->m.resident >= vm->m.target) {
        rc = vmm_swap_out(s, vm, now);
    } else if (h->free <= h->th_hard) {
        /* Hard state: swap from the VMs most over their targets until the
         * host is back in soft state (bounded, in case nothing is left). */
        for (int n = 0; n < 4096 && h->free <= h->th_soft && rc == 0; n++) {
            struct vm *v = most_over(h);
            rc = v ? vmm_swap_out(s, v, now) : -EAGAIN;
        }
    }
    if (rc < 0 && rc != -EAGAIN)
        return rc;
    if (h->free == 0) {
        snprintf(s->err, sizeof s->err,
                 "host '%s': out of memory with nothing left to swap (%llu frames)",
                 h->p->name, (unsigned long long)h->nframes);
        return -ENOMEM;
    }
    h->free--;
    vm->m.resident++;
    return 0;
}

static void count_swapin(struct vm *vm, enum vmm_why why)
{
    vm->c[C_vmm_swapins]++;
    if (why == VMM_OVERWRITE)
        vm->c[C_false_swap_reads]++;
    else if (why == VMM_GUEST_READ)
        vm->c[C_double_paging]++;
    else
        vm->c[C_vmm_faults]++;
}

int vmm_back(struct sim *s, struct vm *vm, uint32_t gfn, enum vmm_why why,
             uint64_t now, uint64_t *ready)
{
    struct vmm_vm *m = &vm->m;
    uint32_t e = m->p2m[gfn];
    uint32_t bits = P2M_A | (why == VMM_WRITE || why == VMM_OVERWRITE ? P2M_D : 0);
    *ready = now;
    if (P2M_STATE(e) == P2M_HOST) {
        m->p2m[gfn] = e | bits;
        return 0;
    }
    int rc = alloc_frame(s, vm, now);
    if (rc < 0)
        return rc;
    if (P2M_STATE(e) == P2M_SWAPPED) {
        uint32_t slot = e & P2M_IDX;
        *ready = device_submit(&vm->host->swapdev, now, slot, 1, 0)
                 + vm->host->p->vmm.fault_cost_ns;
        swapmap_free(&vm->host->swap, slot);
        m->swapped--;
        count_swapin(vm, why);
    }
    m->p2m[gfn] = P2M_MAKE(P2M_HOST, 0) | bits;
    m->pol->insert(m->pol_self, gfn);
    return 0;
}

int vmm_check_vm(const struct vm *vm, char *buf, size_t size)
{
    const struct vmm_vm *m = &vm->m;
    uint32_t host = 0, swapped = 0;
    for (uint32_t g = 0; g < vm->g.nframes; g++) {
        uint32_t e = m->p2m[g];
        if (P2M_STATE(e) == P2M_HOST)
            host++;
        else if (P2M_STATE(e) == P2M_SWAPPED) {
            swapped++;
            if (!swapmap_used(&vm->host->swap, e & P2M_IDX)) {
                snprintf(buf, size, "vm %s: gfn %u swapped to free host slot %u",
                         vm->name, g, e & P2M_IDX);
                return -1;
            }
        } else if (P2M_STATE(e) != P2M_UNBACKED) {
            snprintf(buf, size, "vm %s: gfn %u in unexpected p2m state %u", vm->name, g, P2M_STATE(e));
            return -1;
        }
    }
    if (host != m->resident || swapped != m->swapped ||
        m->pol->count(m->pol_self) != m->resident) {
        snprintf(buf, size, "vm %s: p2m has %u host / %u swapped, counters %u / %u, policy tracks %u",
                 vm->name, host, swapped, m->resident, m->swapped, m->pol->count(m->pol_self));
        return -1;
    }
    return 0;
}

/* Every SWAPPED entry of every VM on the host names its own slot. */
static int check_slots_unique(const struct host *h, char *buf, size_t size)
{
    size_t words = ((size_t)h->swap.nslots + 63) / 64;
    uint64_t *seen = mem_calloc(words ? words : 1, sizeof *seen);
    if (!seen)
        return 0; /* cannot check without memory; not a model error */
    int rc = 0;
    for (uint32_t i = 0; i < h->nvms && !rc; i++) {
        const struct vm *vm = &h->vms[i];
        for (uint32_t g = 0; g < vm->g.nframes && !rc; g++) {
            uint32_t e = vm->m.p2m[g], slot = e & P2M_IDX;
            if (P2M_STATE(e) != P2M_SWAPPED)
                continue;
            if (seen[slot / 64] >> (slot % 64) & 1) {
                snprintf(buf, size, "host %s: host swap slot %u held by two frames (vm %s gfn %u)",
                         h->p->name, slot, vm->name, g);
                rc = -1;
            }
            seen[slot / 64] |= 1ull << (slot % 64);
        }
    }
    mem_free(seen, (words ? words : 1) * sizeof *seen);
    return rc;
}

int vmm_check_host(const struct host *h, char *buf, size_t size)
{
    uint64_t resident = 0, swapped = 0;
    for (uint32_t i = 0; i < h->nvms; i++) {
        resident += h->vms[i].m.resident;
        swapped += h->vms[i].m.swapped;
    }
    if (h->free + resident != h->nframes) {
        snprintf(buf, size, "host %s: %llu free + %llu resident != %llu frames", h->p->name,
                 (unsigned long long)h->free, (unsigned long long)resident,
                 (unsigned long long)h->nframes);
        return -1;
    }
    if (swapped != h->swap.used) {
        snprintf(buf, size, "host %s: VMs hold %llu swap slots, swap map says %u used",
                 h->p->name, (unsigned long long)swapped, h->swap.used);
        return -1;
    }
    return check_slots_unique(h, buf, size);
}

size_t vmm_vm_footprint(const struct vm *vm)
{
    return (size_t)vm->g.nframes * sizeof *vm->m.p2m + vm->m.pol->footprint(vm->m.pol_self);
}
