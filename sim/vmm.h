/* vmm: the VMM's side of the model: p2m tables, host frames, host swap,
 * free-memory states, per-VM targets and VMM swapping.
 *
 * The VMM sees only guest-physical frames and the accessed/dirty bits of its
 * own mappings (the P2M_A/P2M_D bits). What a frame holds, or whether the
 * guest considers it free, is invisible to it: the anomaly counters
 * (double_paging, false_swap_reads, silent_swap_writes) are computed by the
 * simulator, which sees both levels, never used by VMM policy.
 */
#ifndef VMMSIM_VMM_H
#define VMMSIM_VMM_H

#include "sim/model.h"

/* Why the guest needs a frame backed (decides which anomaly a swap-in is). */
enum vmm_why {
    VMM_ACCESS,     /* a guest CPU access (read or write) */
    VMM_WRITE,      /* a guest CPU write */
    VMM_OVERWRITE,  /* the guest overwrites the whole frame (zeroing, DMA read) */
    VMM_GUEST_READ  /* the guest reads the frame to write it to its swap */
};

int  vmm_vm_init(struct sim *s, struct vm *vm);   /* 0 or -ENOMEM/-EINVAL */
void vmm_vm_destroy(struct vm *vm);
int  vmm_host_init(struct sim *s, struct host *h);
void vmm_host_destroy(struct host *h);
/* Compute every VM's target from the allocation policy. */
void vmm_targets(struct host *h);

/* Make gfn host-backed for `why` at time now. *ready is when the data is
 * there (now, or the end of a host swap read). Returns 0, or a negative
 * code with s->err set (host memory and swap exhausted). */
int vmm_back(struct sim *s, struct vm *vm, uint32_t gfn, enum vmm_why why,
             uint64_t now, uint64_t *ready);

/* Swap one frame of vm out to host swap. 0, or negative with s->err set. */
int vmm_swap_out(struct sim *s, struct vm *vm, uint64_t now);

/* Free-memory state of the host from its free-frame count. */
int vmm_host_state(const struct host *h);
const char *vmm_state_name(int state);

/* Invariants of one VM's p2m and of the host's frame conservation.
 * 0 if they hold; else -1 with a description in buf. */
int vmm_check_vm(const struct vm *vm, char *buf, size_t size);
int vmm_check_host(const struct host *h, char *buf, size_t size);

size_t vmm_vm_footprint(const struct vm *vm);

#endif
