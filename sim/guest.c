/* guest: page tables, frame allocator, reclaim and swap of one guest OS.
 *
 * Data: pte[v] per process virtual page (P|A|D|S|index), and per guest frame
 * rmap (owner vpage, or GF_FREE|next forming a LIFO free list, or GF_KERNEL)
 * and content (token, or SWAPREF|slot for a swap-cached clean frame).
 * Invariants (guest_check):
 *   - a present PTE names a frame whose rmap names that PTE back;
 *   - a swapped PTE names a used guest swap slot; every used slot is named
 *     by exactly one swapped PTE or one mapped frame's SWAPREF (never both);
 *   - the free list holds exactly nfree frames, none mapped;
 *   - the policy tracks exactly the mapped frames.
 * Swap writes are asynchronous (they occupy the device; the frame is free at
 * once); the reclaimer does wait for a VMM swap-in of the victim, since the
 * guest cannot write out data that is not there.
 */
#include "sim/guest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/hash.h"
#include "sim/mem.h"
#include "sim/sim.h"
#include "sim/vmm.h"

static int pte_accessed(void *ctx, uint32_t gfn)
{
    const struct guest *g = ctx;
    return (g->pte[g->rmap[gfn]] & PTE_A) != 0;
}

static void pte_clear_accessed(void *ctx, uint32_t gfn)
{
    struct guest *g = ctx;
    g->pte[g->rmap[gfn]] &= ~PTE_A;
}

static int pte_dirty(void *ctx, uint32_t gfn)
{
    const struct guest *g = ctx;
    return (g->pte[g->rmap[gfn]] & PTE_D) != 0;
}

static void free_frame(struct guest *g, uint32_t gfn)
{
    g->rmap[gfn] = GF_FREE | g->free_head;
    g->free_head = gfn;
    g->nfree++;
}

static int alloc_arrays(struct guest *g, uint32_t nslots)
{
    g->swap.nslots = nslots;   /* so guest_destroy frees slot_content right */
    g->pte = mem_calloc(g->nvpages, sizeof *g->pte);
    g->rmap = mem_calloc(g->nframes, sizeof *g->rmap);
    g->content = mem_calloc(g->nframes, sizeof *g->content);
    g->slot_content = mem_calloc(nslots, sizeof *g->slot_content);
    g->procs = mem_calloc(g->nprocs, sizeof *g->procs);
    if (!g->pte || !g->rmap || !g->content || !g->slot_content || !g->procs)
        return -ENOMEM;
    return swapmap_init(&g->swap, nslots);
}

static void setup_procs(struct vm *vm)
{
    struct guest *g = &vm->g;
    uint32_t base = 0;
    for (uint32_t i = 0; i < g->nprocs; i++) {
        struct gproc *p = &g->procs[i];
        p->base = base;
        p->pages = vm->wl.common.pages;
        p->wl = &vm->wl.procs[i];
        p->state = PROC_RUNNABLE;
        base += p->pages;
    }
    g->live = g->nprocs;
}

static void setup_frames(struct guest *g, uint32_t nkernel)
{
    g->free_head = GF_END;
    g->nfree = 0;
    for (uint32_t f = g->nframes; f-- > nkernel;)
        free_frame(g, f);
    for (uint32_t f = 0; f < nkernel; f++)
        g->rmap[f] = GF_KERNEL;
    g->nkernel = nkernel;
}

int guest_init(struct sim *s, struct vm *vm)
{
    struct guest *g = &vm->g;
    const struct guest_params *gp = &vm->p->guest;
    uint32_t ps = s->p->page_size;
    g->p = gp;
    g->nframes = (uint32_t)(vm->p->memory / ps);
    g->nprocs = vm->wl.common.processes;
    uint64_t nv = (uint64_t)g->nprocs * vm->wl.common.pages;
    uint64_t nslots = gp->swap_bytes / ps;
    if (nv > PTE_MAX_INDEX || nslots > PTE_MAX_INDEX) {
        snprintf(s->err, sizeof s->err, "vm '%s': %llu virtual pages and %llu swap pages; at most %u each",
                 vm->name, (unsigned long long)nv, (unsigned long long)nslots, PTE_MAX_INDEX);
        return -EINVAL;
    }
    g->nvpages = (uint32_t)nv;
    if (alloc_arrays(g, (uint32_t)nslots) < 0)
        return -ENOMEM;
    setup_procs(vm);
    setup_frames(g, (uint32_t)(gp->kernel_bytes / ps));
    g->image_pages = (uint32_t)(gp->image_share * vm->wl.common.pages);
    g->image_key = hash_str(gp->image);
    g->write_key = vm->stream_key;
    g->wm_min = (uint32_t)(gp->wm_min * g->nframes);
    g->wm_low = (uint32_t)(gp->wm_low * g->nframes);
    g->wm_high = (uint32_t)(gp->wm_high * g->nframes);
    device_init(&g->swapdev, &gp->swapdev, ps);
    g->pol = policy_find(gp->policy);
    if (!g->pol)
        return -EINVAL;
    struct policy_args a = {.rng = vm->rng, .inactive_ratio = 0};
    g->pol_self = g->pol->create(&a, g->nframes);
    if (!g->pol_self)
        return -ENOMEM;
    g->bits = (struct frame_bits){g, pte_accessed, pte_clear_accessed, pte_dirty};
    return 0;
}

void guest_destroy(struct vm *vm)
{
    struct guest *g = &vm->g;
    if (g->pol_self)
        g->pol->destroy(g->pol_self);
    swapmap_destroy(&g->swap);
    mem_free(g->pte, (size_t)g->nvpages * sizeof *g->pte);
    mem_free(g->rmap, (size_t)g->nframes * sizeof *g->rmap);
    mem_free(g->content, (size_t)g->nframes * sizeof *g->content);
    mem_free(g->slot_content, (size_t)g->swap.nslots * sizeof *g->slot_content);
    mem_free(g->procs, (size_t)g->nprocs * sizeof *g->procs);
    memset(g, 0, sizeof *g);
}

/* A page of OS image `key`: a token below CONTENT_SWAPREF, never zero, the
 * same in every VM that names the same image: what content-based sharing
 * finds across VMs. */
static uint32_t image_token(uint64_t key, uint32_t page)
{
    return 1 + (uint32_t)(hash_mix64(key ^ hash_mix64(page)) % (CONTENT_SWAPREF - 2));
}

/* The kernel's frames are loaded from the OS image. */
int guest_boot(struct sim *s, struct vm *vm)
{
    uint64_t ready;
    for (uint32_t f = 0; f < vm->g.nkernel; f++) {
        int rc = vmm_back(s, vm, f, VMM_OVERWRITE, 0, &ready);
        if (rc < 0)
            return rc;
        vm->g.content[f] = image_token(vm->g.image_key ^ 0x6b65726e656cull, f);
    }
    return 0;
}

/* Evict the policy's victim: drop it if clean with a swap copy, else write it
 * to guest swap (reading it through the VMM first). *t advances past the
 * reclaimer's work. -EAGAIN if nothing is evictable. */
static int evict_one(struct sim *s, struct vm *vm, uint64_t *t)
{
    struct guest *g = &vm->g;
    uint32_t gfn = g->pol->victim(g->pol_self, &g->bits);
    if (gfn == POLICY_NONE)
        return -EAGAIN;
    uint32_t v = g->rmap[gfn], slot;
    if (guest_has_swap_copy(g, gfn)) {
        slot = g->content[gfn] & CONTENT_SLOT;
        g->content[gfn] = g->slot_content[slot];   /* the freed frame keeps stale data */
        g->retained--;
        vm->c[C_guest_drops]++;
    } else {
        slot = swapmap_alloc(&g->swap);
        if (slot == SWAP_NONE) {
            g->pol->insert(g->pol_self, gfn);
            snprintf(s->err, sizeof s->err,
                     "vm '%s': guest swap is full (%u pages): its processes touch more than "
                     "memory + swap; raise guest.swap.size or shrink the workload",
                     vm->name, g->swap.nslots);
            return -ENOSPC;
        }
        uint64_t ready;
        int rc = vmm_back(s, vm, gfn, VMM_GUEST_READ, *t, &ready);
        if (rc < 0)
            return rc;
        device_submit(&g->swapdev, ready, slot, 1, 1);
        g->slot_content[slot] = g->content[gfn];
        vm->c[C_guest_swapouts]++;
        if (ready > *t)
            *t = ready;
    }
    g->pte[v] = PTE_S | slot;
    free_frame(g, gfn);
    *t += g->p->reclaim_cost_ns;
    return 0;
}

static void wake_kswapd(struct sim *s, struct vm *vm, uint64_t now)
{
    struct guest *g = &vm->g;
    if (g->kswapd_queued || g->nfree >= g->wm_low)
        return;
    g->kswapd_queued = 1;
    sim_push(s, now > g->kswapd_time ? now : g->kswapd_time, EV_KSWAPD, 0, vm->index);
}

/* Take a free frame, reclaiming inline below the min watermark. */
static int alloc_frame(struct sim *s, struct vm *vm, uint64_t *t, uint32_t *gfn)
{
    struct guest *g = &vm->g;
    if (g->nfree <= g->wm_min) {
        vm->c[C_guest_direct_reclaims]++;
        for (uint32_t n = 0; n < g->p->kswapd_batch && g->nfree <= g->wm_low; n++) {
            int rc = evict_one(s, vm, t);
            if (rc == -EAGAIN)
                break;
            if (rc < 0)
                return rc;
        }
    }
    if (g->nfree == 0) {
        snprintf(s->err, sizeof s->err, "vm '%s': guest out of memory (no frame to reclaim)", vm->name);
        return -ENOMEM;
    }
    *gfn = g->free_head;
    g->free_head = g->rmap[*gfn] & ~GF_FREE;
    g->nfree--;
    wake_kswapd(s, vm, *t);
    return 0;
}

int guest_fault(struct sim *s, struct vm *vm, struct gproc *p, uint32_t vpn,
                int write, uint64_t *cpu, uint64_t *ready)
{
    struct guest *g = &vm->g;
    uint32_t v = p->base + vpn, pte = g->pte[v], gfn;
    uint64_t t = *cpu + g->p->fault_cost_ns, done;
    vm->c[C_guest_faults]++;
    int rc = alloc_frame(s, vm, &t, &gfn);
    if (rc < 0)
        return rc;
    /* Zeroing the frame or reading swap into it overwrites it whole. */
    if ((rc = vmm_back(s, vm, gfn, VMM_OVERWRITE, t, &done)) < 0)
        return rc;
    if (pte & PTE_S) {
        uint32_t slot = pte & PTE_IDX;
        done = device_submit(&g->swapdev, done, slot, 1, 0);
        g->content[gfn] = CONTENT_SWAPREF | slot;   /* clean, copy on disk */
        g->retained++;
        vm->c[C_guest_swapins]++;
        vm->c[C_guest_major_faults]++;
    } else {
        g->content[gfn] = vpn < g->image_pages ? image_token(g->image_key, vpn) : CONTENT_ZERO;
    }
    g->rmap[gfn] = v;
    g->pte[v] = PTE_P | PTE_A | (write ? PTE_D : 0) | gfn;
    g->pol->insert(g->pol_self, gfn);
    if (write) {
        guest_content_write(g, gfn);
        vm->m.p2m[gfn] |= P2M_D;
    }
    *cpu = t;
    *ready = done > t ? done : t;
    return 0;
}

int guest_kswapd(struct sim *s, struct vm *vm)
{
    struct guest *g = &vm->g;
    uint64_t t = s->now > g->kswapd_time ? s->now : g->kswapd_time;
    uint32_t n = 0;
    while (g->nfree < g->wm_high && n < g->p->kswapd_batch) {
        int rc = evict_one(s, vm, &t);
        if (rc == -EAGAIN)
            break;
        if (rc < 0)
            return rc;
        n++;
    }
    g->kswapd_time = t;
    if (g->nfree < g->wm_high && n == g->p->kswapd_batch)
        sim_push(s, t, EV_KSWAPD, 0, vm->index);
    else
        g->kswapd_queued = 0;
    return 0;
}

/* Free the swap slot of a swap-cached frame; the frame keeps its contents. */
static void drop_copy(struct guest *g, uint32_t gfn)
{
    uint32_t slot = g->content[gfn] & CONTENT_SLOT;
    g->content[gfn] = g->slot_content[slot];
    swapmap_free(&g->swap, slot);
    g->retained--;
}

/* The guest cannot know whether a write changed the page, so a swap copy is
 * dropped in any case; the contents change with probability write_changes,
 * decided by a hash of the VM's key and a write counter (no random stream is
 * consumed, so this cannot perturb policies or workloads). */
void guest_content_write(struct guest *g, uint32_t gfn)
{
    if (g->content[gfn] & CONTENT_PRIVATE)
        return;
    if (g->content[gfn] & CONTENT_SWAPREF)
        drop_copy(g, gfn);
    double p = g->p->write_changes;
    if (p < 1.0 && (double)(hash_mix64(g->write_key + g->writes++) >> 11) >= p * 9007199254740992.0)
        return;
    g->content[gfn] = CONTENT_PRIVATE | (g->next_private++ & CONTENT_PRIV_MASK);
}

void guest_proc_exit(struct vm *vm, struct gproc *p)
{
    struct guest *g = &vm->g;
    for (uint32_t v = p->base; v < p->base + p->pages; v++) {
        uint32_t pte = g->pte[v];
        if (pte & PTE_P) {
            uint32_t gfn = pte & PTE_IDX;
            g->pol->remove(g->pol_self, gfn);
            if (guest_has_swap_copy(g, gfn))
                drop_copy(g, gfn);
            free_frame(g, gfn);
        } else if (pte & PTE_S) {
            swapmap_free(&g->swap, pte & PTE_IDX);
        }
        g->pte[v] = 0;
    }
    p->state = PROC_EXITED;
    g->live--;
}

uint32_t guest_swapped_pages(const struct vm *vm)
{
    return vm->g.swap.used - vm->g.retained;
}

size_t guest_footprint(const struct vm *vm)
{
    const struct guest *g = &vm->g;
    return (size_t)g->nvpages * 4 + (size_t)g->nframes * 8 + (size_t)g->swap.nslots * 4 +
           swapmap_footprint(&g->swap) + g->pol->footprint(g->pol_self);
}

static int fail(char *buf, size_t size, const struct vm *vm, const char *what, uint32_t i)
{
    snprintf(buf, size, "vm %s: %s (index %u)", vm->name, what, i);
    return -1;
}

/* Each used swap slot must be named exactly once, by a swapped PTE or by a
 * mapped frame's SWAPREF. */
static int check_slots(const struct vm *vm, char *buf, size_t size)
{
    const struct guest *g = &vm->g;
    uint8_t *seen = mem_calloc(g->swap.nslots ? g->swap.nslots : 1, 1);
    if (!seen)
        return 0; /* cannot check without memory; not a model error */
    int rc = 0;
    uint32_t named = 0;
    for (uint32_t v = 0; v < g->nvpages && !rc; v++) {
        uint32_t pte = g->pte[v];
        if ((pte & (PTE_P | PTE_S)) == PTE_S) {
            uint32_t sl = pte & PTE_IDX;
            if (sl >= g->swap.nslots || !swapmap_used(&g->swap, sl) || seen[sl]++)
                rc = fail(buf, size, vm, "swapped PTE names a free or shared slot", v);
            named++;
        }
    }
    for (uint32_t f = 0; f < g->nframes && !rc; f++) {
        if (GF_IS_FREE(g->rmap[f]) || !guest_has_swap_copy(g, f))
            continue;
        uint32_t sl = g->content[f] & CONTENT_SLOT;
        if (sl >= g->swap.nslots || !swapmap_used(&g->swap, sl) || seen[sl]++)
            rc = fail(buf, size, vm, "swap-cache slot free or named twice", f);
        named++;
    }
    if (!rc && named != g->swap.used)
        rc = fail(buf, size, vm, "used swap slots not all named", named);
    mem_free(seen, g->swap.nslots ? g->swap.nslots : 1);
    return rc;
}

static int check_frames(const struct vm *vm, char *buf, size_t size)
{
    const struct guest *g = &vm->g;
    uint32_t mapped = 0, free_count = 0, retained = 0;
    for (uint32_t f = 0; f < g->nframes; f++) {
        uint32_t r = g->rmap[f];
        if (r == GF_KERNEL)
            continue;
        if (r & GF_FREE) {
            free_count++;
            if (g->content[f] & CONTENT_SWAPREF && !(g->content[f] & CONTENT_PRIVATE))
                return fail(buf, size, vm, "free frame holds a swap slot", f);
            continue;
        }
        if (r >= g->nvpages || g->pte[r] != (g->pte[r] & (PTE_P | PTE_A | PTE_D | PTE_IDX)) ||
            !(g->pte[r] & PTE_P) || (g->pte[r] & PTE_IDX) != f)
            return fail(buf, size, vm, "frame's rmap does not name a PTE mapping it", f);
        mapped++;
        retained += guest_has_swap_copy(g, f);
        if (guest_has_swap_copy(g, f) && (g->pte[r] & PTE_D))
            return fail(buf, size, vm, "swap-cached frame is dirty", f);
    }
    uint32_t listed = 0;
    for (uint32_t f = g->free_head; f != GF_END && listed <= g->nframes; f = g->rmap[f] & ~GF_FREE) {
        if (f >= g->nframes || !GF_IS_FREE(g->rmap[f]))
            return fail(buf, size, vm, "free list reaches a used frame", f);
        listed++;
    }
    if (listed != g->nfree || free_count != g->nfree)
        return fail(buf, size, vm, "free list length != nfree", listed);
    if (retained != g->retained)
        return fail(buf, size, vm, "retained count wrong", retained);
    if (g->pol->count(g->pol_self) != mapped)
        return fail(buf, size, vm, "policy does not track exactly the mapped frames", mapped);
    return 0;
}

int guest_check(const struct vm *vm, char *buf, size_t size)
{
    const struct guest *g = &vm->g;
    for (uint32_t v = 0; v < g->nvpages; v++) {
        uint32_t pte = g->pte[v];
        if ((pte & PTE_P) && (pte & PTE_S))
            return fail(buf, size, vm, "page both resident and in swap", v);
        if ((pte & PTE_P) && ((pte & PTE_IDX) >= g->nframes || g->rmap[pte & PTE_IDX] != v))
            return fail(buf, size, vm, "present PTE's frame does not map it back", v);
    }
    if (check_frames(vm, buf, size) < 0)
        return -1;
    return check_slots(vm, buf, size);
}
