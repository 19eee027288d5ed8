/* traceinfo_ix: footprints of native traces over page dictionary indices
 * (traceinfo_add_ix), the fast road of sim/traceinfo.c.
 *
 * The reader gives each record's dictionary index, dense and in first-seen
 * order, so a page becomes a small id and each process's footprint a bitmap
 * of ids; a VM's footprint is the popcount of the OR of its processes'
 * bitmaps. A map from page to id, consulted only for new indices and pages
 * without one, keeps ids right when a writer appends a page twice; past a
 * memory budget the bitmaps move into the hash sets of sim/traceinfo.c,
 * keyed by id.
 * traceinfo_add_cols (sim/traceinfo_cols.c) does the same from the column
 * reader's chunks. Until a page without an index turns up, the map is not
 * built: an index names itself and its page waits in pix; at the end a
 * lighter table looks for pages appended twice (building the map, and
 * merging their marks, only if there are any).
 * Invariant: a bitmap's count equals its bits set, and an id names one page.
 */
#include "sim/traceinfo.h"
#include "sim/traceinfo_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"

/* ---- footprints over dictionary indices (traceinfo_add_ix) -------------------- */

/* Bitmaps may use this many bytes in all; beyond it the streams move to
 * sets of ids (many processes over a large dictionary). */
#define IX_BITMAP_BUDGET ((size_t)64 << 20)

int traceinfo_ix_bitmaps(const struct traceinfo_scan *sc) { return sc->ix && !sc->ix->sets; }

uint64_t traceinfo_ix_count(const struct traceinfo_scan *sc, uint64_t i)
{
    return i < sc->ix->nbm ? sc->ix->bm[i].count : 0;
}

void traceinfo_ix_free(struct traceinfo_scan *sc)
{
    struct ixstate *x = sc->ix;
    if (!x)
        return;
    for (uint32_t i = 0; i < x->nbm; i++)
        if (x->bm[i].w)
            mem_free(x->bm[i].w, x->bm[i].nw * 8);
    if (x->bm)
        mem_free(x->bm, x->nbm * sizeof *x->bm);
    if (x->canon)
        mem_free(x->canon, x->ncanon * sizeof *x->canon);
    if (x->map)
        mem_free(x->map, ((size_t)1 << x->mapbits) * sizeof *x->map);
    if (x->pix)
        mem_free(x->pix, (size_t)x->npix * 8);
    mem_free(x, sizeof *x);
    sc->ix = NULL;
}

/* Rehash the map into 1 << bits slots (at least the current number). */
static int ixmap_rehash(struct ixstate *x, unsigned bits)
{
    size_t mask = ((size_t)1 << bits) - 1;
    struct ixslot *m = mem_calloc(mask + 1, sizeof *m);
    if (!m)
        return -ENOMEM;
    mem_hint_huge(m, (mask + 1) * sizeof *m);
    for (size_t i = 0; x->map && i < (size_t)1 << x->mapbits; i++) {
        if (!x->map[i].id1)
            continue;
        size_t j = traceinfo_home(x->map[i].page, bits);
        while (m[j].id1)
            j = (j + 1) & mask;
        m[j] = x->map[i];
    }
    if (x->map)
        mem_free(x->map, ((size_t)1 << x->mapbits) * sizeof *x->map);
    x->map = m;
    x->mapbits = bits;
    return 0;
}

/* Slots for n pages at most half full. 0 or -ENOMEM. */
static int ixmap_reserve(struct ixstate *x, uint64_t n)
{
    unsigned bits = x->mapbits ? x->mapbits : 12;
    while ((n + 1) * 2 > (uint64_t)1 << bits)
        bits++;
    return bits > x->mapbits || !x->map ? ixmap_rehash(x, bits) : 0;
}

/* The id of page; a page the map does not hold gets `fresh`. Returns the
 * id or -ENOMEM. */
static int64_t ixmap_get(struct ixstate *x, uint64_t page, uint32_t fresh)
{
    if (page == 0) {
        if (!x->zero_id1)
            x->zero_id1 = fresh + 1;
        return x->zero_id1 - 1;
    }
    if (((uint64_t)x->nent + 2) * 2 > (uint64_t)1 << x->mapbits && ixmap_reserve(x, (uint64_t)x->nent + 1) < 0)
        return -ENOMEM;
    size_t mask = ((size_t)1 << x->mapbits) - 1, j = traceinfo_home(page, x->mapbits);
    for (; x->map[j].id1; j = (j + 1) & mask)
        if (x->map[j].page == page)
            return x->map[j].id1 - 1;
    x->map[j] = (struct ixslot){.page = page, .id1 = fresh + 1};
    x->nent++;
    return fresh;
}

/* The id of page, a new one if it has none. Returns it or -ENOMEM. */
static int64_t ixmap_id(struct ixstate *x, uint64_t page)
{
    int64_t id = ixmap_get(x, page, x->nmap);
    if (id == (int64_t)x->nmap)
        x->nmap++;
    return id;
}

/* Pages that need the map (new, or without an index) are few but each a
 * cache miss: fetch the slot of record i's page a few records early. */
static inline void ix_prefetch(const struct ixstate *x, const struct trace_rec *r, const uint32_t *ix, size_t i)
{
    if (ix[i] >= x->nix && x->map)
        __builtin_prefetch(&x->map[traceinfo_home(r[i].page, x->mapbits)]);
}

/* canon for indices up to n; on the first remapping, the identity for the
 * indices so far. 0 or -ENOMEM. */
static int canon_cover(struct ixstate *x, uint32_t n)
{
    if (n >= x->ncanon) {
        uint32_t cap = x->ncanon ? 2 * x->ncanon : 4096;
        while (cap <= n)
            cap *= 2;
        uint32_t *c = mem_realloc(x->canon, x->ncanon * sizeof *c, cap * sizeof *c);
        if (!c)
            return -ENOMEM;
        x->canon = c;
        x->ncanon = cap;
    }
    if (!x->remap)
        for (uint32_t i = 0; i < x->nix; i++)
            x->canon[i] = i;
    x->remap = 1;
    return 0;
}

/* Record that dictionary index nix names id (remapping from then on if the
 * two differ). 0 or -ENOMEM. */
static int ix_name(struct ixstate *x, uint32_t id)
{
    if (!x->remap && id == x->nix)
        return 0;
    if (canon_cover(x, x->nix) < 0)
        return -ENOMEM;
    x->canon[x->nix] = id;
    return 0;
}

/* Index j turned out to name the page of id i < j: its marks move to i. */
static void ix_merge(struct ixstate *x, uint32_t j, uint32_t i)
{
    for (uint32_t p = 0; p < x->nbm; p++) {
        struct ixbits *b = &x->bm[p];
        if ((size_t)j >= b->nw * 64 || !(b->w[j >> 6] >> (j & 63) & 1))
            continue;
        b->w[j >> 6] &= ~((uint64_t)1 << (j & 63));
        if (b->w[i >> 6] >> (i & 63) & 1)
            b->count--;
        else
            b->w[i >> 6] |= (uint64_t)1 << (i & 63);
    }
}

/* Until a page without an index turns up, an index names itself and its
 * page is only kept in pix (the map is costly to grow page by page). Build
 * the map from pix: a page appended twice maps its later index to its
 * first, whose marks it takes over (bitmaps only: this runs before any
 * move to sets). 0 or -ENOMEM. */
static int ix_build_map(struct ixstate *x)
{
    x->mapped = 1;
    if (ixmap_reserve(x, x->nix) < 0)
        return -ENOMEM;
    for (uint32_t j = 0; j < x->nix; j++) {
        if (j + IX_AHEAD < x->nix)
            __builtin_prefetch(&x->map[traceinfo_home(x->pix[j + IX_AHEAD], x->mapbits)]);
        int64_t id = ixmap_get(x, x->pix[j], j);
        if (id < 0 || (id != j && canon_cover(x, x->nix) < 0))
            return -ENOMEM;
        if (id != j) {
            x->canon[j] = (uint32_t)id;
            ix_merge(x, j, (uint32_t)id);
        }
    }
    mem_free(x->pix, (size_t)x->npix * 8);
    x->pix = NULL;
    x->npix = 0;
    return 0;
}

/* Keep page as index nix's (the map not built). 0 or -ENOMEM. */
static int pix_put(struct ixstate *x, uint64_t page)
{
    if (x->nix == x->npix) {
        uint32_t cap = x->npix ? 2 * x->npix : 4096;
        uint64_t *p = mem_realloc(x->pix, (size_t)x->npix * 8, (size_t)cap * 8);
        if (!p)
            return -ENOMEM;
        mem_hint_huge(p, (size_t)cap * 8);
        x->pix = p;
        x->npix = cap;
    }
    x->pix[x->nix] = page;
    return 0;
}

/* The id of a record's page given its dictionary index ix (as
 * trace_read_ex reports it). Returns it, -ENOMEM, or -EINVAL when ix skips
 * ahead of the indices seen (the records did not start at the first). */
int64_t traceinfo_ix_id(struct ixstate *x, uint64_t page, uint32_t ix)
{
    if (ix < x->nix)
        return x->remap ? x->canon[ix] : ix;
    if (ix != UINT32_MAX && ix != x->nix)
        return -EINVAL;
    if (!x->mapped && ix != UINT32_MAX) { /* ids are indices: nmap == nix */
        if (pix_put(x, page) < 0)
            return -ENOMEM;
        x->nmap++;
        return x->nix++;
    }
    if (!x->mapped && ix_build_map(x) < 0)
        return -ENOMEM;
    int64_t id = ixmap_id(x, page);
    if (id >= 0 && ix == x->nix) {
        if (ix_name(x, (uint32_t)id) < 0)
            return -ENOMEM;
        x->nix++;
    }
    return id;
}

/* Before the footprints are counted: if the map was never built, whether
 * any page was appended twice, found with a table of indices (and 32 bits
 * of each page's hash) rather than the map; only then the map is built,
 * merging the marks. 0 or -ENOMEM. */
int traceinfo_ix_finish(struct traceinfo_scan *sc)
{
    struct ixstate *x = sc->ix;
    if (!x || x->mapped || x->nix == 0)
        return 0;
    unsigned bits = 12;
    while ((uint64_t)x->nix * 2 > (uint64_t)1 << bits)
        bits++;
    size_t mask = ((size_t)1 << bits) - 1, n = mask + 1;
    uint64_t *t = mem_calloc(n, sizeof *t); /* fingerprint << 32 | index + 1 */
    if (!t)
        return -ENOMEM;
    mem_hint_huge(t, n * sizeof *t);
    int dup = 0;
    for (uint32_t j = 0; j < x->nix && !dup; j++) {
        if (j + IX_AHEAD < x->nix)
            __builtin_prefetch(&t[traceinfo_home(x->pix[j + IX_AHEAD], bits)]);
        uint64_t page = x->pix[j], fp = (page * 0x9e3779b97f4a7c15ull) >> 32 << 32;
        for (size_t h = traceinfo_home(page, bits);; h = (h + 1) & mask) {
            if (!t[h]) {
                t[h] = fp | (j + 1);
                break;
            }
            if ((t[h] >> 32 << 32) == fp && x->pix[(uint32_t)t[h] - 1] == page) {
                dup = 1;
                break;
            }
        }
    }
    mem_free(t, n * sizeof *t);
    return dup ? ix_build_map(x) : 0;
}

/* Move every bitmap into sc->sets (keyed by id): the budget is spent. */
static int ix_to_sets(struct traceinfo_scan *sc)
{
    struct ixstate *x = sc->ix;
    if (!x->mapped && ix_build_map(x) < 0) /* merging needs the bitmaps */
        return -ENOMEM;
    if (x->nbm && traceinfo_sets_cover(sc, x->nbm - 1) < 0)
        return -ENOMEM;
    for (uint32_t p = 0; p < x->nbm; p++)
        for (size_t i = 0; i < x->bm[p].nw; i++)
            for (uint64_t w = x->bm[p].w[i]; w; w &= w - 1)
                if (traceinfo_set_put(&sc->sets[p], i * 64 + (uint64_t)__builtin_ctzll(w)) < 0)
                    return -ENOMEM;
    x->sets = 1;
    return 0;
}

/* Make process p's bitmap cover id (or move to sets). 0 or -ENOMEM. */
int traceinfo_ix_cover(struct traceinfo_scan *sc, uint32_t p, uint32_t id)
{
    struct ixstate *x = sc->ix;
    if (p >= x->nbm) {
        uint32_t n = p + 1 > 2 * x->nbm ? p + 1 : 2 * x->nbm;
        struct ixbits *b = mem_realloc(x->bm, x->nbm * sizeof *b, n * sizeof *b);
        if (!b)
            return -ENOMEM;
        memset(b + x->nbm, 0, (n - x->nbm) * sizeof *b);
        x->bm = b;
        x->nbm = n;
    }
    struct ixbits *b = &x->bm[p];
    if (id < b->nw * 64)
        return 0;
    size_t nw = b->nw ? 2 * b->nw : 64;
    while (nw * 64 <= id)
        nw *= 2;
    if (x->bmbytes + (nw - b->nw) * 8 > IX_BITMAP_BUDGET)
        return ix_to_sets(sc);
    uint64_t *w = mem_realloc(b->w, b->nw * 8, nw * 8);
    if (!w)
        return -ENOMEM;
    memset(w + b->nw, 0, (nw - b->nw) * 8);
    x->bmbytes += (nw - b->nw) * 8;
    b->w = w;
    b->nw = nw;
    return 0;
}

/* Add id to process p's footprint, the slow way (any representation). */
int traceinfo_ix_mark(struct traceinfo_scan *sc, uint32_t p, uint32_t id)
{
    struct ixstate *x = sc->ix;
    if (!x->sets && traceinfo_ix_cover(sc, p, id) < 0)
        return -ENOMEM;
    if (x->sets)
        return traceinfo_sets_cover(sc, p) < 0 || traceinfo_set_put(&sc->sets[p], id) < 0 ? -ENOMEM : 0;
    uint64_t *w = &x->bm[p].w[id >> 6], m = (uint64_t)1 << (id & 63);
    x->bm[p].count += !(*w & m);
    *w |= m;
    return 0;
}

/* Count a run r[0..n) of process p as count_run does and mark its pages'
 * ids; the bitmap stays in registers between the rare slow steps. */
static int ix_run(struct traceinfo *ti, uint32_t p, const struct trace_rec *r, const uint32_t *ix, size_t n)
{
    struct traceinfo_scan *sc = ti->scan;
    struct ixstate *x = sc->ix;
    uint64_t lo = ti->min_time, hi = ti->max_time, rd = 0, wr = 0, cnt = 0, *w = NULL;
    uint64_t nbits = 0;
    if (!x->sets && traceinfo_ix_cover(sc, p, 0) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned op = r[i].op;
        uint64_t t = r[i].time;
        if (i + IX_AHEAD < n)
            ix_prefetch(x, r, ix, i + IX_AHEAD);
        rd += op == TRACE_READ;
        wr += op == TRACE_WRITE;
        if (op > TRACE_WRITE)
            ti->ops[op < TRACE_NOPS ? op : TRACE_NOPS]++;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        uint32_t id = ix[i];
        if (id >= x->nix || x->remap) {
            int64_t v = traceinfo_ix_id(x, r[i].page, id);
            if (v < 0)
                return (int)v;
            id = (uint32_t)v;
        }
        if (op == TRACE_IDLE)
            continue;
        if (id >= nbits) { /* first mark, growth, or sets */
            if (traceinfo_ix_remark(sc, p, id, &w, &nbits, &cnt) < 0)
                return -ENOMEM;
            continue;
        }
        uint64_t m = (uint64_t)1 << (id & 63);
        cnt += !(w[id >> 6] & m);
        w[id >> 6] |= m;
    }
    if (w)
        x->bm[p].count += cnt;
    struct traceinfo_count *c = &sc->c[p];
    c->records += n;
    c->reads += rd;
    c->writes += wr;
    ti->ops[TRACE_READ] += rd;
    ti->ops[TRACE_WRITE] += wr;
    ti->min_time = lo;
    ti->max_time = hi;
    return 0;
}

/* Distinct ids over the bitmaps of processes procs[a, b) (set indices in
 * .pages, as for vm_pages). */
int64_t traceinfo_ix_union(const struct traceinfo_scan *sc, const struct traceinfo_count *procs, uint32_t a,
                        uint32_t b)
{
    const struct ixstate *x = sc->ix;
    size_t nw = 0;
    for (uint32_t i = a; i < b; i++)
        if (procs[i].pages < x->nbm && x->bm[procs[i].pages].nw > nw)
            nw = x->bm[procs[i].pages].nw;
    uint64_t *u = nw ? mem_calloc(nw, 8) : NULL;
    if (nw && !u)
        return -ENOMEM;
    for (uint32_t i = a; i < b; i++)
        for (size_t j = 0; procs[i].pages < x->nbm && j < x->bm[procs[i].pages].nw; j++)
            u[j] |= x->bm[procs[i].pages].w[j];
    int64_t n = 0;
    for (size_t j = 0; j < nw; j++)
        n += __builtin_popcountll(u[j]);
    if (u)
        mem_free(u, nw * 8);
    return n;
}

int traceinfo_add_ix(struct traceinfo *ti, const struct trace_rec *r, const uint32_t *ix, size_t n)
{
    struct traceinfo_scan *sc = ti->scan;
    if (n == 0)
        return 0;
    if (!sc->ix && !(sc->ix = mem_calloc(1, sizeof *sc->ix)))
        return -ENOMEM;
    for (size_t i = 0, j; i < n; i = j) {
        uint16_t vm = r[i].vm;
        uint32_t pid = r[i].pid;
        for (j = i + 1; j < n && r[j].pid == pid && r[j].vm == vm; j++)
            ;
        int64_t p = traceinfo_proc_index(sc, vm, pid);
        if (p < 0)
            return -ENOMEM;
        int rc = ix_run(ti, (uint32_t)p, r + i, ix + i, j - i);
        if (rc < 0)
            return rc;
    }
    if (ti->records == 0)
        ti->first_time = r[0].time;
    ti->last_time = r[n - 1].time;
    ti->records += n;
    return 0;
}
