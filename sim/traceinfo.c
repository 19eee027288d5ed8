/* traceinfo: one streaming pass over a trace collecting what `vmmsim trace
 * info` prints: counts per op and per (vm, pid), the time span, and
 * footprints (distinct pages).
 *
 * Main data structures: struct traceinfo_set, an open-addressing set of
 * 64-bit keys (linear probing, Fibonacci hashing, load at most 5/8, key 0
 * kept as a flag so 0 can mark empty slots); and one such set per (vm, pid)
 * keyed on the page alone, found through a small open-addressing map of
 * process indices. Keying per process keeps slots at 8 bytes; a VM's
 * footprint is derived at the end by merging its processes' sets (only when
 * it has more than one).
 * Speed: records are handled in batches; the first pass over a batch
 * (traceinfo_count) counts and resolves processes, the second
 * (traceinfo_insert) inserts pages with the slot of a page a few places
 * ahead prefetched, so cache misses on a large set overlap. The two passes
 * touch disjoint state, so a caller may run them in two threads.
 * Native traces take a faster road (traceinfo_add_ix, sim/traceinfo_ix.c,
 * and traceinfo_add_cols, sim/traceinfo_cols.c): the reader gives each
 * record's page dictionary index, dense and in first-seen order, so a page
 * becomes a small id and each process's footprint a bitmap of ids
 * (popcount of the OR of a VM's bitmaps gives the VM's). A map from page to
 * id (built when a page without an index turns up, or at the end when a
 * page was appended twice) keeps ids right; past a memory budget the
 * bitmaps move into the hash sets, keyed by id.
 * Invariant: set->count equals the number of distinct keys added; every
 * nonzero key lives in the probe run starting at its home slot; a bitmap's
 * count equals its bits set, and an id names one page.
 */
#include "sim/traceinfo.h"
#include "sim/traceinfo_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"

#ifndef BATCH
#define BATCH 1024
#endif
#ifndef AHEAD
#define AHEAD 32 /* prefetch distance in records */
#endif
/* ---- the set --------------------------------------------------------------- */


static int set_init(struct traceinfo_set *s)
{
    *s = (struct traceinfo_set){.bits = SET_MIN_BITS};
    s->slot = mem_calloc((size_t)1 << s->bits, sizeof *s->slot);
    return s->slot ? 0 : -ENOMEM;
}

static void set_fini(struct traceinfo_set *s)
{
    if (s->slot)
        mem_free(s->slot, ((size_t)1 << s->bits) * sizeof *s->slot);
    s->slot = NULL;
}

int traceinfo_set_grow(struct traceinfo_set *s)
{
    unsigned bits = s->bits + 1;
    size_t mask = ((size_t)1 << bits) - 1;
    uint64_t *ns = mem_calloc(mask + 1, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    mem_hint_huge(ns, (mask + 1) * sizeof *ns);
    for (size_t i = 0; i < (size_t)1 << s->bits; i++) {
        uint64_t k = s->slot[i];
        if (!k)
            continue;
        size_t j = traceinfo_home(k, bits);
        while (ns[j])
            j = (j + 1) & mask;
        ns[j] = k;
    }
    set_fini(s);
    s->slot = ns;
    s->bits = bits;
    return 0;
}


static inline void set_prefetch(const struct traceinfo_set *s, uint64_t k)
{
    __builtin_prefetch(&s->slot[traceinfo_home(k, s->bits)]);
}

struct traceinfo_set *traceinfo_set_new(void)
{
    struct traceinfo_set *s = mem_alloc(sizeof *s);
    if (s && set_init(s) < 0) {
        mem_free(s, sizeof *s);
        s = NULL;
    }
    return s;
}

void traceinfo_set_free(struct traceinfo_set *s)
{
    if (!s)
        return;
    set_fini(s);
    mem_free(s, sizeof *s);
}

int traceinfo_set_add(struct traceinfo_set *s, uint64_t k) { return traceinfo_set_put(s, k); }

uint64_t traceinfo_set_count(const struct traceinfo_set *s) { return s->count; }

/* ---- processes (counting side) --------------------------------------------- */

static uint64_t proc_key(uint16_t vm, uint32_t pid) { return (uint64_t)vm << 32 | pid; }

static int map_rebuild(struct traceinfo_scan *sc, unsigned bits)
{
    uint32_t *m = mem_calloc((size_t)1 << bits, sizeof *m);
    if (!m)
        return -ENOMEM;
    size_t mask = ((size_t)1 << bits) - 1;
    for (uint32_t i = 0; i < sc->n; i++) {
        size_t j = traceinfo_home(proc_key(sc->c[i].vm, sc->c[i].pid), bits);
        while (m[j])
            j = (j + 1) & mask;
        m[j] = i + 1;
    }
    if (sc->map)
        mem_free(sc->map, ((size_t)1 << sc->mapbits) * sizeof *sc->map);
    sc->map = m;
    sc->mapbits = bits;
    return 0;
}

/* A new process entry; its map slot is j. Returns its index or -ENOMEM. */
static int64_t proc_add(struct traceinfo_scan *sc, uint16_t vm, uint32_t pid, size_t j)
{
    if (sc->n == sc->cap) {
        uint32_t cap = sc->cap ? 2 * sc->cap : 16;
        struct traceinfo_count *nc = mem_realloc(sc->c, sc->cap * sizeof *nc, cap * sizeof *nc);
        if (!nc)
            return -ENOMEM;
        sc->c = nc;
        sc->cap = cap;
    }
    sc->c[sc->n] = (struct traceinfo_count){.vm = vm, .pid = pid};
    sc->map[j] = ++sc->n;
    if ((uint64_t)sc->n * 2 > (uint64_t)1 << sc->mapbits && map_rebuild(sc, sc->mapbits + 1) < 0)
        return -ENOMEM;
    return sc->n - 1;
}

static inline int64_t proc_find(struct traceinfo_scan *sc, uint16_t vm, uint32_t pid)
{
    size_t mask = ((size_t)1 << sc->mapbits) - 1, j = traceinfo_home(proc_key(vm, pid), sc->mapbits);
    for (;; j = (j + 1) & mask) {
        uint32_t e = sc->map[j];
        if (!e)
            return proc_add(sc, vm, pid, j);
        if (sc->c[e - 1].pid == pid && sc->c[e - 1].vm == vm)
            return e - 1;
    }
}

int64_t traceinfo_proc_index(struct traceinfo_scan *sc, uint16_t vm, uint32_t pid)
{
    return proc_find(sc, vm, pid);
}

/* ---- counting -------------------------------------------------------------- */

/* Count a run r[0..n) of process cur: ops, reads, writes, time range; its
 * pages (IDLE records name none) go to keys[nk..] with index cur. Returns
 * the new nk. */
static size_t count_run(struct traceinfo *ti, uint32_t cur, const struct trace_rec *r, size_t n, uint64_t *keys,
                        uint32_t *idx, size_t nk)
{
    uint64_t lo = ti->min_time, hi = ti->max_time, rd = 0, wr = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned op = r[i].op < TRACE_NOPS ? r[i].op : TRACE_NOPS;
        uint64_t t = r[i].time;
        ti->ops[op]++;
        rd += op == TRACE_READ;
        wr += op == TRACE_WRITE;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        keys[nk] = r[i].page;
        idx[nk] = cur;
        nk += op != TRACE_IDLE;
    }
    struct traceinfo_count *c = &ti->scan->c[cur];
    c->records += n;
    c->reads += rd;
    c->writes += wr;
    ti->min_time = lo;
    ti->max_time = hi;
    return nk;
}

ssize_t traceinfo_count(struct traceinfo *ti, const struct trace_rec *r, size_t n, uint64_t *keys, uint32_t *idx,
                        int *single)
{
    size_t nk = 0, runs = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0, j; i < n; i = j, runs++) {
        uint16_t vm = r[i].vm;
        uint32_t pid = r[i].pid;
        for (j = i + 1; j < n && r[j].pid == pid && r[j].vm == vm; j++)
            ;
        int64_t cur = proc_find(ti->scan, vm, pid);
        if (cur < 0)
            return -ENOMEM;
        nk = count_run(ti, (uint32_t)cur, r + i, j - i, keys, idx, nk);
    }
    *single = runs == 1;
    if (ti->records == 0)
        ti->first_time = r[0].time;
    ti->last_time = r[n - 1].time;
    ti->records += n;
    return (ssize_t)nk;
}

/* ---- inserting (set side) ---------------------------------------------------- */

/* Sets for process indices up to max. 0 or -ENOMEM. */
int traceinfo_sets_cover(struct traceinfo_scan *sc, uint32_t max)
{
    if (max < sc->nsets)
        return 0;
    if (max >= sc->capsets) {
        uint32_t cap = sc->capsets ? sc->capsets : 16;
        while (cap <= max)
            cap *= 2;
        struct traceinfo_set *ns = mem_realloc(sc->sets, sc->capsets * sizeof *ns, cap * sizeof *ns);
        if (!ns)
            return -ENOMEM;
        sc->sets = ns;
        sc->capsets = cap;
    }
    for (; sc->nsets <= max; sc->nsets++)
        if (set_init(&sc->sets[sc->nsets]) < 0)
            return -ENOMEM;
    return 0;
}

int traceinfo_insert(struct traceinfo *ti, const uint64_t *k, const uint32_t *idx, size_t n, int single)
{
    struct traceinfo_scan *sc = ti->scan;
    uint32_t max = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < (single ? 1 : n); i++)
        max = idx[i] > max ? idx[i] : max;
    if (traceinfo_sets_cover(sc, max) < 0)
        return -ENOMEM;
    if (single) {
        struct traceinfo_set *s = &sc->sets[idx[0]];
        for (size_t i = 0; i < AHEAD && i < n; i++)
            set_prefetch(s, k[i]);
        for (size_t i = 0; i < n; i++) {
            if (i + AHEAD < n)
                set_prefetch(s, k[i + AHEAD]);
            if (traceinfo_set_put(s, k[i]) < 0)
                return -ENOMEM;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            set_prefetch(&sc->sets[idx[i + AHEAD]], k[i + AHEAD]);
        if (traceinfo_set_put(&sc->sets[idx[i]], k[i]) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- the summary ------------------------------------------------------------- */

static int by_vm_pid(const void *a, const void *b)
{
    const struct traceinfo_count *x = a, *y = b;
    uint64_t kx = proc_key(x->vm, x->pid), ky = proc_key(y->vm, y->pid);
    return kx < ky ? -1 : kx > ky;
}

/* Distinct pages over the processes sorted into procs[a, b), all of one VM;
 * their set index is kept in .pages until summarize overwrites it. */
static int64_t vm_pages(const struct traceinfo_scan *sc, const struct traceinfo_count *procs, uint32_t a,
                        uint32_t b)
{
    struct traceinfo_set u;
    if (set_init(&u) < 0)
        return -ENOMEM;
    for (uint32_t i = a; i < b; i++) {
        if (procs[i].pages >= sc->nsets)
            continue; /* only IDLE records */
        const struct traceinfo_set *s = &sc->sets[procs[i].pages];
        int rc = s->has_zero ? traceinfo_set_put(&u, 0) : 0;
        for (size_t j = 0; rc >= 0 && j < (size_t)1 << s->bits; j++)
            if (s->slot[j])
                rc = traceinfo_set_put(&u, s->slot[j]);
        if (rc < 0) {
            set_fini(&u);
            return -ENOMEM;
        }
    }
    int64_t n = (int64_t)u.count;
    set_fini(&u);
    return n;
}

static uint64_t set_count(const struct traceinfo_scan *sc, uint64_t i)
{
    if (traceinfo_ix_bitmaps(sc))
        return traceinfo_ix_count(sc, i);
    return i < sc->nsets ? sc->sets[i].count : 0;
}

/* One VM's row from its processes procs[a, b); fills their page counts. */
static int vm_row(const struct traceinfo_scan *sc, struct traceinfo_count *procs, uint32_t a, uint32_t b,
                  struct traceinfo_count *v)
{
    *v = (struct traceinfo_count){.vm = procs[a].vm, .pid = b - a};
    for (uint32_t i = a; i < b; i++) {
        v->records += procs[i].records;
        v->reads += procs[i].reads;
        v->writes += procs[i].writes;
    }
    int64_t pages = b - a == 1 ? (int64_t)set_count(sc, procs[a].pages)
                    : traceinfo_ix_bitmaps(sc) ? traceinfo_ix_union(sc, procs, a, b) : vm_pages(sc, procs, a, b);
    if (pages < 0)
        return -ENOMEM;
    v->pages = (uint64_t)pages;
    for (uint32_t i = a; i < b; i++)
        procs[i].pages = set_count(sc, procs[i].pages);
    return 0;
}

/* Fill ti's per-process and per-VM tables from the scan. */
static int summarize(struct traceinfo_scan *sc, struct traceinfo *ti)
{
    if (traceinfo_ix_finish(sc) < 0)
        return -ENOMEM;
    ti->cap_procs = sc->n ? sc->n : 1;
    ti->procs = mem_calloc(ti->cap_procs, sizeof *ti->procs);
    ti->cap_vms = ti->cap_procs;
    ti->vms = mem_calloc(ti->cap_vms, sizeof *ti->vms);
    if (!ti->procs || !ti->vms)
        return -ENOMEM;
    for (uint32_t i = 0; i < sc->n; i++) {
        ti->procs[i] = sc->c[i];
        ti->procs[i].pages = i; /* the set index, until vm_row */
    }
    ti->nprocs = sc->n;
    if (sc->n)
        qsort(ti->procs, sc->n, sizeof *ti->procs, by_vm_pid);
    for (uint32_t a = 0, b; a < sc->n; a = b) {
        for (b = a + 1; b < sc->n && ti->procs[b].vm == ti->procs[a].vm; b++)
            ;
        if (vm_row(sc, ti->procs, a, b, &ti->vms[ti->nvms]) < 0)
            return -ENOMEM;
        ti->pages += ti->vms[ti->nvms++].pages;
    }
    return 0;
}

static void scan_free(struct traceinfo_scan *sc)
{
    traceinfo_ix_free(sc);
    for (uint32_t i = 0; i < sc->nsets; i++)
        set_fini(&sc->sets[i]);
    if (sc->sets)
        mem_free(sc->sets, sc->capsets * sizeof *sc->sets);
    if (sc->c)
        mem_free(sc->c, sc->cap * sizeof *sc->c);
    if (sc->map)
        mem_free(sc->map, ((size_t)1 << sc->mapbits) * sizeof *sc->map);
    if (sc->idx)
        mem_free(sc->idx, BATCH * sizeof *sc->idx);
    if (sc->keys)
        mem_free(sc->keys, BATCH * sizeof *sc->keys);
    mem_free(sc, sizeof *sc);
}

/* ---- the whole scan -------------------------------------------------------- */

int traceinfo_begin(struct traceinfo *ti)
{
    memset(ti, 0, sizeof *ti);
    ti->min_time = UINT64_MAX;
    struct traceinfo_scan *sc = mem_calloc(1, sizeof *sc);
    if (!sc)
        return -ENOMEM;
    ti->scan = sc;
    sc->idx = mem_alloc(BATCH * sizeof *sc->idx);
    sc->keys = mem_alloc(BATCH * sizeof *sc->keys);
    if (!sc->idx || !sc->keys || map_rebuild(sc, 4) < 0) {
        traceinfo_free(ti);
        return -ENOMEM;
    }
    return 0;
}

int traceinfo_add(struct traceinfo *ti, const struct trace_rec *r, size_t n)
{
    struct traceinfo_scan *sc = ti->scan;
    for (size_t i = 0; i < n; i += BATCH) {
        int single;
        ssize_t nk = traceinfo_count(ti, r + i, n - i < BATCH ? n - i : BATCH, sc->keys, sc->idx, &single);
        if (nk < 0 || traceinfo_insert(ti, sc->keys, sc->idx, (size_t)nk, single) < 0)
            return -ENOMEM;
    }
    return 0;
}

int traceinfo_end(struct traceinfo *ti)
{
    int rc = summarize(ti->scan, ti);
    scan_free(ti->scan);
    ti->scan = NULL;
    if (ti->records == 0)
        ti->min_time = 0;
    if (rc < 0)
        traceinfo_free(ti);
    return rc;
}

int traceinfo_scan(traceinfo_read_fn rd, void *src, struct traceinfo *ti, struct trace_err *err)
{
    memset(ti, 0, sizeof *ti);
    struct trace_rec *buf = mem_alloc(BATCH * sizeof *buf);
    int rc = buf ? traceinfo_begin(ti) : -ENOMEM;
    err->msg[0] = 0;
    for (ssize_t n = 1; rc == 0 && n > 0;) {
        n = rd(src, buf, BATCH, err);
        rc = n < 0 ? (int)n : n == 0 ? traceinfo_end(ti) : traceinfo_add(ti, buf, (size_t)n);
    }
    if (rc == -ENOMEM && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "trace info: out of memory");
    if (rc < 0)
        traceinfo_free(ti);
    if (buf)
        mem_free(buf, BATCH * sizeof *buf);
    return rc;
}

void traceinfo_free(struct traceinfo *ti)
{
    if (ti->scan)
        scan_free(ti->scan);
    if (ti->procs)
        mem_free(ti->procs, ti->cap_procs * sizeof *ti->procs);
    if (ti->vms)
        mem_free(ti->vms, ti->cap_vms * sizeof *ti->vms);
    memset(ti, 0, sizeof *ti);
}
