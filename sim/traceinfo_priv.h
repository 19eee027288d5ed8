/* traceinfo_priv: what sim/traceinfo.c and sim/traceinfo_ix.c share: the
 * page set, the scan state and the few functions each side needs of the
 * other. Not for other modules. */
#ifndef VMMSIM_TRACEINFO_PRIV_H
#define VMMSIM_TRACEINFO_PRIV_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/traceinfo.h"

struct ixstate;

#define SET_MIN_BITS 10

struct traceinfo_set {
    uint64_t *slot;         /* 1 << bits slots, 0 = empty */
    uint64_t count;         /* distinct keys, 0 included */
    unsigned bits;
    int has_zero;
};

/* The scan's state, in two halves that may run in two threads: the
 * counting side (traceinfo_count: process table and counts) and the set
 * side (traceinfo_insert: one page set per process index). */
struct traceinfo_scan {
    struct traceinfo_count *c;  /* per process, in order of first appearance */
    uint32_t n, cap;
    uint32_t *map;              /* process index + 1, 0 = empty */
    unsigned mapbits;
    struct traceinfo_set *sets; /* sets[i]: pages of process i; nsets <= n */
    uint32_t nsets, capsets;
    uint64_t *keys;             /* [BATCH]: traceinfo_add's pages to insert */
    uint32_t *idx;              /* [BATCH]: their process indices */
    struct ixstate *ix;         /* traceinfo_add_ix's state, NULL until used */
};

/* Home slot of key k in a table of 1 << bits slots (Fibonacci hashing). */
static inline size_t traceinfo_home(uint64_t k, unsigned bits)
{
    return (size_t)(((k ^ (k >> 31)) * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

/* Double the set's table; 0 or -ENOMEM (the set is unchanged then). */
int traceinfo_set_grow(struct traceinfo_set *s);

/* Add k: 1 if new, 0 if present, -ENOMEM if growing failed. */
static inline int traceinfo_set_put(struct traceinfo_set *s, uint64_t k)
{
    if (k == 0) {
        if (s->has_zero)
            return 0;
        s->has_zero = 1;
        s->count++;
        return 1;
    }
    size_t mask = ((size_t)1 << s->bits) - 1, j = traceinfo_home(k, s->bits);
    for (;; j = (j + 1) & mask) {
        if (s->slot[j] == k)
            return 0;
        if (!s->slot[j])
            break;
    }
    s->slot[j] = k;
    s->count++;
    if (s->count * 8 > (mask + 1) * 5 && traceinfo_set_grow(s) < 0)
        return -ENOMEM;
    return 1;
}

/* Sets for process indices up to max. 0 or -ENOMEM. */
int traceinfo_sets_cover(struct traceinfo_scan *sc, uint32_t max);
/* Index of process (vm, pid), added if new; negative on allocation failure. */
int64_t traceinfo_proc_index(struct traceinfo_scan *sc, uint16_t vm, uint32_t pid);

/* ---- the dictionary-index side (sim/traceinfo_ix.c, sim/traceinfo_cols.c) ---- */

#define IX_AHEAD 16 /* map prefetch distance in records */

/* A page's id: its dictionary index while the trace's pages and indices
 * correspond one to one (remap == 0), else canon[index]. Pages without an
 * index, and pages appended twice, are resolved through map (page -> id),
 * which holds every page that has an id. */
struct ixslot {
    uint64_t page;
    uint32_t id1; /* id + 1, 0 = empty slot */
};

struct ixbits {
    uint64_t *w;     /* nw words: bit i set = id i seen by this process */
    size_t nw;
    uint64_t count;  /* bits set */
};

struct ixstate {
    struct ixslot *map;
    unsigned mapbits;
    uint32_t nmap, zero_id1;   /* ids given out; id of page 0, + 1 */
    uint32_t nent;             /* pages in the map (page 0 aside) */
    uint32_t nix;              /* dictionary indices seen (0..nix-1) */
    uint32_t marked0;          /* ids below it are marked in process 0's bitmap */
    uint64_t *pix;             /* until the map is built: index -> page */
    uint32_t npix;             /* pix's capacity */
    int mapped;                /* the map is built (it holds every page with an id) */
    uint32_t *canon;           /* with remap: index -> id, ncanon entries */
    uint32_t ncanon;
    int remap, sets;           /* sets: bitmaps moved to sc->sets, keyed by id */
    struct ixbits *bm;         /* per process index, nbm entries */
    uint32_t nbm;
    size_t bmbytes;
};

/* The id of a record's page given its dictionary index ix (as the reader
 * reports it): the id, -ENOMEM, or -EINVAL when ix skips ahead. */
int64_t traceinfo_ix_id(struct ixstate *x, uint64_t page, uint32_t ix);
/* Process p's bitmap covering id (or everything moved to sets). 0 or -ENOMEM. */
int traceinfo_ix_cover(struct traceinfo_scan *sc, uint32_t p, uint32_t id);
/* Add id to process p's footprint in any representation. 0 or -ENOMEM. */
int traceinfo_ix_mark(struct traceinfo_scan *sc, uint32_t p, uint32_t id);
int traceinfo_ix_bitmaps(const struct traceinfo_scan *sc);   /* footprints are in bitmaps */
uint64_t traceinfo_ix_count(const struct traceinfo_scan *sc, uint64_t i); /* process i's pages */
int64_t traceinfo_ix_union(const struct traceinfo_scan *sc, const struct traceinfo_count *procs,
                           uint32_t a, uint32_t b);          /* pages of processes a..b-1 */
void traceinfo_ix_free(struct traceinfo_scan *sc);
int traceinfo_ix_finish(struct traceinfo_scan *sc);          /* before counting: pages appended twice */

/* The slow step of a run's marking loop, which keeps process p's bitmap
 * words in *w (NULL with sets), *nbits bits of them, and *cnt bits set since
 * the last flush: id lies past them (first mark, growth, or sets), so *cnt
 * goes into the bitmap's count, id is marked, and *w and *nbits are
 * reloaded. 0 or -ENOMEM. Inline so that the loop's state stays in
 * registers. */
static inline int traceinfo_ix_remark(struct traceinfo_scan *sc, uint32_t p, uint32_t id,
                                      uint64_t **w, uint64_t *nbits, uint64_t *cnt)
{
    struct ixstate *x = sc->ix;
    if (*w)
        x->bm[p].count += *cnt;
    *cnt = 0;
    if (traceinfo_ix_mark(sc, p, id) < 0)
        return -ENOMEM;
    *w = x->sets ? NULL : x->bm[p].w;
    *nbits = x->sets ? 0 : x->bm[p].nw * 64;
    return 0;
}

#endif
