/* guest: the guest OS model of one VM: per-process page tables, a
 * guest-physical frame allocator with min/low/high watermarks, background
 * (kswapd) and direct reclaim by the guest's replacement policy, a guest swap
 * device with a swap cache (a swapped-in page keeps its slot while clean, so
 * a clean victim is dropped, a dirty one written), and process exit.
 *
 * The guest sees references only through the accessed/dirty bits of its
 * PTEs (plus touch() for policies that ask for every access). Every time the
 * guest touches a frame's contents as a whole (zeroing, DMA) or reads it for
 * a swap-out, it goes through vmm_back(), which is where the VMM's swapping
 * shows up as false swap reads and double paging.
 */
#ifndef VMMSIM_GUEST_H
#define VMMSIM_GUEST_H

#include "sim/model.h"

int  guest_init(struct sim *s, struct vm *vm);       /* 0 or -ENOMEM/-EINVAL (s->err) */
void guest_destroy(struct vm *vm);

/* Reserve and back the guest kernel's frames (at boot, time 0). */
int  guest_boot(struct sim *s, struct vm *vm);

/* A reference by process p to vpn missed in the guest page table. *cpu is
 * advanced past the CPU work (fault handling, direct reclaim); *ready is
 * when the process may continue (>= *cpu; later if it waits for I/O).
 * 0, or negative with s->err set (guest out of memory and swap). */
int  guest_fault(struct sim *s, struct vm *vm, struct gproc *p, uint32_t vpn,
                 int write, uint64_t *cpu, uint64_t *ready);

/* A write to a resident frame whose token is not private yet (the hit path
 * checks CONTENT_PRIVATE first): a zero or image page becomes private, and a
 * swap-cached page loses its now stale swap copy. */
void guest_content_write(struct guest *g, uint32_t gfn);

/* gfn is clean and its guest swap slot holds the same contents. */
static inline int guest_has_swap_copy(const struct guest *g, uint32_t gfn)
{
    return (g->content[gfn] & (CONTENT_PRIVATE | CONTENT_SWAPREF)) == CONTENT_SWAPREF;
}

/* The background reclaim thread's event. */
int  guest_kswapd(struct sim *s, struct vm *vm);

/* Process p has exited: free its frames and swap slots. */
void guest_proc_exit(struct vm *vm, struct gproc *p);

/* Invariants: page tables, rmap, free list, swap slots, policy count.
 * 0 if they hold; else -1 with a description in buf. */
int  guest_check(const struct vm *vm, char *buf, size_t size);

/* Pages currently in guest swap and not resident (for time series). */
uint32_t guest_swapped_pages(const struct vm *vm);
size_t guest_footprint(const struct vm *vm);

#endif
