/* shadow: shadow page tables for a trap-and-emulate guest.
 *
 * The hart runs the guest (kernel and user) in U-mode with satp pointing at
 * a shadow Sv39 tree owned by the VMM: guest virtual -> machine frame
 * (guest-physical addresses map 1:1 for now). The trees live in a pool of
 * machine frames above the guest's RAM window, invisible to the guest.
 *
 * One tree per guest privilege context: SHADOW_CTX_U (guest user mode: only
 * guest U pages), SHADOW_CTX_S (guest kernel, sstatus.SUM = 0: only non-U
 * pages) and SHADOW_CTX_SSUM (guest kernel with SUM = 1: non-U pages plus U
 * pages without execute). So guest user code can never reach guest kernel
 * memory, and a SUM toggle is a satp switch, not a flush.
 *
 * Entries are built lazily on hardware page faults: walk the guest's table in
 * software, check the access at the guest privilege, set the guest PTE's A
 * (and D on a store), and install a 4 KiB shadow leaf with U = A = D = 1,
 * W only when the guest PTE is dirty and the target is not a guest
 * page-table page (optionally with the already-accessed neighbours of the
 * faulting page: shadow_set_prefill). Coherence policy: every shadow entry is dropped on a guest
 * satp write or sfence.vma (which RISC-V requires after any change of a live
 * table); guest page-table pages seen by a walk since the last flush are
 * write-protected, so guest stores to them trap and are emulated (counted:
 * the page-table update stream). A guest PTE (or table pointer) leading
 * outside the guest's RAM and outside this VM's MMIO ranges is an access
 * fault for the guest: nothing else is ever mapped.
 */
#ifndef VMMSIM_SHADOW_H
#define VMMSIM_SHADOW_H

#include <stdint.h>

#include "vmm/cpu.h"
#include "vmm/phys.h"

enum { SHADOW_CTX_U, SHADOW_CTX_S, SHADOW_CTX_SSUM, SHADOW_NCTX };

/* shadow_fault results */
enum {
    SHADOW_FILLED = 0,          /* shadow fixed (or flushed): retry the access */
    SHADOW_GUEST_PAGE_FAULT,    /* the guest's own tables fault: reflect a page fault */
    SHADOW_GUEST_ACCESS_FAULT,  /* guest table/target outside its RAM: access fault */
    SHADOW_EMULATE,             /* store to a write-protected guest page-table page */
};

struct shadow_stats {
    uint64_t fills, prefills, flushes, pool_full, pt_writes, guest_faults, pt_pages_seen;
};

struct shadow;

/* Shadow tables for the guest RAM window [guest_base, +guest_size) of phys,
 * using the machine frames [pool_base, +pool_size) (inside phys's RAM window,
 * outside the guest's) for the trees; c is the hart whose TLB a flush must
 * clear. NULL on bad arguments or allocation failure. */
struct shadow *shadow_new(struct phys *phys, struct cpu *c, uint64_t guest_base,
                          uint64_t guest_size, uint64_t pool_base, uint64_t pool_size);
void shadow_free(struct shadow *s);

/* The hardware satp value selecting the tree of context ctx. */
uint64_t shadow_satp(const struct shadow *s, int ctx);

/* Drop every shadow entry and the hart's cached translations. */
void shadow_flush(struct shadow *s);

/* A hardware page fault at va for acc (CPU_ACC_*) in context ctx, with the
 * guest's satp gsatp: one of the SHADOW_* results. force_w: install W even
 * on a write-protected page-table page (for stores the VMM cannot emulate). */
int shadow_fault(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va, int acc, int force_w);

/* Translate va through the guest's tables as the guest hardware would
 * (setting A/D): 0 with *gpa, or SHADOW_GUEST_PAGE_FAULT/_ACCESS_FAULT. */
int shadow_translate(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va, int acc, uint64_t *gpa);

/* The shadow leaf PTE of va in context ctx: 0, or -ENOENT. */
int shadow_lookup(const struct shadow *s, int ctx, uint64_t va, uint64_t *pte);

/* Fill groups: on a fault, also map the other pages of the aligned group of
 * pages (power of two, 1..512; 1 = only the faulting page, the default)
 * that the guest has already accessed (A set, and D for writable). 0 or
 * -EINVAL. */
int shadow_set_prefill(struct shadow *s, unsigned pages);

/* Turn write-protection of guest page-table pages on or off (off: a
 * paravirtual guest reports its updates itself). Flushes. */
void shadow_set_protect(struct shadow *s, int on);

/* Count a guest page-table write (emulated, or reported by a PV guest). */
void shadow_note_pt_write(struct shadow *s);

const struct shadow_stats *shadow_stats(const struct shadow *s);

/* Invariants: every valid shadow leaf maps guest RAM or an MMIO range, is
 * user-accessible, and no writable leaf maps a protected page-table page.
 * 0 or -EIO. */
int shadow_check(const struct shadow *s);

#endif
