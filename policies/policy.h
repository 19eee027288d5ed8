/* policy: the replacement-policy interface shared by the guest OS and the VMM.
 *
 * A policy tracks a set of resident frames, numbered 0..nframes-1 in the
 * caller's frame space (guest-physical frames for a guest, guest-physical
 * frames of one VM for the VMM, cache slots in cache mode), and names a victim
 * when asked. It never sees page contents or addresses. Reference information
 * reaches it in one of two ways:
 *   - accessed/dirty bits owned by the caller, read (and cleared) through
 *     struct frame_bits during victim selection: what real hardware offers;
 *   - touch() on every access, only for policies flagged
 *     POLICY_WANTS_EVERY_ACCESS; at the VMM level such a policy is an oracle.
 *
 * Contract:
 *   insert(f)  f was not tracked; it is now resident (and most recently used).
 *   touch(f)   f is tracked; it was just referenced. Called only when the
 *              policy has POLICY_WANTS_EVERY_ACCESS; must be O(1) and allocate
 *              nothing (it is on the simulator's hit path).
 *   victim(b)  choose a tracked frame, stop tracking it, return it; returns
 *              POLICY_NONE when nothing is tracked. May read and clear accessed
 *              bits through b (b may be NULL for policies that ignore bits).
 *   remove(f)  f is tracked; stop tracking it (freed, ballooned, shared away).
 *   count()    number of tracked frames.
 *   footprint()bytes of state held, for the memory budget report.
 * Optional speed hints (NULL when a policy has none; callers must not need
 * them for correctness):
 *   peek(k)    the frame the (k+1)-th of k+1 victim() calls made now would
 *              return (k = 0: the next victim), POLICY_NONE if fewer than
 *              k+1 frames are tracked; O(k). Only for policies whose choice
 *              does not depend on accessed bits (fifo, lru). Changes nothing.
 *   layout(b,s)where the per-frame state touch(f) reads first lives, so
 *              that callers can prefetch it in a hot loop without a call:
 *              frame f's at byte *b + f * *s (f < nframes), fixed for the
 *              policy's lifetime. Changes nothing.
 * All state is inside self (no globals); create returns NULL on allocation
 * failure and allocates through sim/mem.h so bytes are accounted.
 */
#ifndef VMMSIM_POLICY_H
#define VMMSIM_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#define POLICY_NONE UINT32_MAX

#define POLICY_WANTS_EVERY_ACCESS 0x1u /* touch() must be called on every reference */
#define POLICY_ORACLE             0x2u /* sees what the level could not see in reality */
#define POLICY_USES_ACCESSED_BITS 0x4u /* victim() reads/clears accessed bits */

/* Accessed/dirty bits of the caller's mapping of each frame. */
struct frame_bits {
    void *ctx;
    int  (*accessed)(void *ctx, uint32_t frame);       /* 1 if set */
    void (*clear_accessed)(void *ctx, uint32_t frame);
    int  (*dirty)(void *ctx, uint32_t frame);          /* 1 if set */
};

struct policy_args {
    gsl_rng *rng;          /* for randomized policies; owned by the caller */
    double inactive_ratio; /* two-list: target share of the inactive list (0 = default 1/3) */
};

struct repl_policy {
    const char *name;
    void *(*create)(const struct policy_args *args, uint32_t nframes);
    void  (*destroy)(void *self);
    void  (*insert)(void *self, uint32_t frame);
    void  (*touch)(void *self, uint32_t frame);
    uint32_t (*victim)(void *self, const struct frame_bits *bits);
    void  (*remove)(void *self, uint32_t frame);
    uint32_t (*count)(const void *self);
    size_t (*footprint)(const void *self);
    uint32_t (*peek)(const void *self, uint32_t k);     /* optional */
    void (*layout)(const void *self, const void **base, size_t *stride); /* optional */
    unsigned flags;
};

/* Registry (policies/registry.c): one table of {name, ops, description}. */
struct policy_entry {
    const char *name;
    const struct repl_policy *ops;
    const char *desc;
};

/* Look up by name; NULL if unknown. */
const struct repl_policy *policy_find(const char *name);
/* The table, terminated by an entry with name == NULL. */
const struct policy_entry *policy_table(void);
/* "fifo, random, clock, ..." into buf, for error messages; returns buf. */
char *policy_names(char *buf, size_t size);
/* Print "name  description" lines (for `vmmsim policies`). */
void policy_print(FILE *out);

#endif
