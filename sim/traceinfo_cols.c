/* traceinfo_cols: `trace info`'s counts from the column reader's chunks
 * (traceinfo_add_cols over trace_cols_read), the fastest road of
 * sim/traceinfo.c: no records are built.
 *
 * A chunk gives tag bytes, dictionary indices, runs of one process and a
 * time range. Ops are counted from the tag bytes eight at a time (reads and
 * writes branch-free, the rest one by one when there are any); a known
 * index marks its id in the process's bitmap in a tight loop, and the first
 * process skips the ids it marked when it first saw them (marked0: in a
 * one-process trace, nearly every reference); only the chunk's listed
 * records (appended pages, pages without an index) go through
 * traceinfo_ix_id with their pages.
 * Main data structure: the footprint state of sim/traceinfo_ix.c (struct
 * ixstate). Invariant: as there, a bitmap's count plus the run's pending
 * count equals its bits set; the listed pages are consumed in order, one
 * per record whose index is not one seen before.
 */
#include "sim/traceinfo.h"
#include "sim/traceinfo_priv.h"

#include <errno.h>
#include <string.h>

#include "sim/mem.h"

/* Ops of records [a, b): reads and writes counted branch-free; the rest
 * (rare in most traces) one by one. Returns how many were neither. */
static uint64_t cols_ops(struct traceinfo *ti, struct traceinfo_count *pc, const uint8_t *tag, size_t a,
                         size_t b)
{
    const uint64_t lo4 = 0x0f0f0f0f0f0f0f0full, hi = 0x8080808080808080ull;
    const uint64_t ones = 0x0101010101010101ull, add = 0x7f7f7f7f7f7f7f7full;
    uint64_t rd = 0, wr = 0;
    size_t i = a;
    for (; i + 8 <= b; i += 8) { /* a byte's bit 7 is set by + 0x7f unless it is 0 */
        uint64_t w;
        memcpy(&w, tag + i, 8);
        w &= lo4;
        rd += 8 - (uint64_t)__builtin_popcountll((w + add) & hi);
        wr += 8 - (uint64_t)__builtin_popcountll(((w ^ ones) + add) & hi);
    }
    for (; i < b; i++) {
        unsigned op = tag[i] & TRACE_COLS_OP;
        rd += op == TRACE_READ;
        wr += op == TRACE_WRITE;
    }
    uint64_t other = (b - a) - rd - wr;
    for (i = a; other && i < b; i++) {
        unsigned op = tag[i] & TRACE_COLS_OP;
        if (op > TRACE_WRITE)
            ti->ops[op < TRACE_NOPS ? op : TRACE_NOPS]++;
    }
    pc->records += b - a;
    pc->reads += rd;
    pc->writes += wr;
    ti->ops[TRACE_READ] += rd;
    ti->ops[TRACE_WRITE] += wr;
    return other;
}

/* The id of record i, whose index is not one seen before: its page is the
 * chunk's next listed one. */
static int64_t cols_slow_id(struct ixstate *x, const struct trace_cols *c, size_t i, size_t *xk)
{
    uint64_t page = 0;
    uint32_t ix = c->ix[i];
    if (ix >= x->nix) {
        if (*xk >= c->nx || c->xrec[*xk] != i)
            return -EINVAL; /* a lookup of an index not seen: not from the start */
        page = c->xpage[(*xk)++];
        if (*xk + IX_AHEAD < c->nx && x->map)
            __builtin_prefetch(&x->map[traceinfo_home(c->xpage[*xk + IX_AHEAD], x->mapbits)]);
    }
    return traceinfo_ix_id(x, page, ix);
}

/* Records [a, b) of chunk c, all of process p: count them as ix_run does
 * and mark their pages' ids (IDLE records name none). */
static int cols_run(struct traceinfo *ti, uint32_t p, const struct trace_cols *c, size_t a, size_t b, size_t *xk)
{
    struct traceinfo_scan *sc = ti->scan;
    struct ixstate *x = sc->ix;
    const uint8_t *tag = c->tag;
    const uint32_t *ixs = c->ix;
    int idle = cols_ops(ti, &sc->c[p], tag, a, b) != 0; /* IDLE records may be among them */
    uint64_t cnt = 0, *w = NULL, nbits = 0;
    uint32_t nix = x->nix;
    int remap = x->remap;
    /* process 0 marked each id below marked0 when it first saw it: its
     * references to them need no work (in a one-process trace, nearly all) */
    uint32_t skip = p == 0 ? x->marked0 : 0;
    if (!x->sets && traceinfo_ix_cover(sc, p, 0) < 0)
        return -ENOMEM;
    for (size_t i = a; i < b; i++) {
        /* the common case in a tight loop: an id seen before, inside the
         * bitmap, no remapping, no IDLE records in the run; most ids are
         * marked already, and storing only new bits keeps the loads free
         * of the stores just before them */
        uint64_t lim = remap || idle || !w ? 0 : nix < nbits ? nix : nbits;
        for (uint64_t slim = lim < skip ? lim : skip; i < b && ixs[i] < slim;)
            i++;
        for (; i < b && ixs[i] < lim; i++) {
            uint32_t id = ixs[i];
            uint64_t m = (uint64_t)1 << (id & 63), v = w[id >> 6];
            if (__builtin_expect(!(v & m), 0)) {
                w[id >> 6] = v | m;
                cnt++;
            }
        }
        if (i == b)
            break;
        uint32_t id = ixs[i];
        if (id >= nix || remap) {
            int64_t v = cols_slow_id(x, c, i, xk);
            if (v < 0)
                return (int)v;
            id = (uint32_t)v;
            nix = x->nix;
            remap = x->remap;
            int marks = !(idle && (tag[i] & TRACE_COLS_OP) == TRACE_IDLE);
            if (p == 0 && marks && !remap && id == x->marked0)
                skip = ++x->marked0; /* marked just below */
        }
        if (idle && (tag[i] & TRACE_COLS_OP) == TRACE_IDLE)
            continue;
        if (id >= nbits) { /* first mark, growth, or sets */
            if (traceinfo_ix_remark(sc, p, id, &w, &nbits, &cnt) < 0)
                return -ENOMEM;
            continue;
        }
        uint64_t m = (uint64_t)1 << (id & 63), v = w[id >> 6];
        if (__builtin_expect(!(v & m), 0)) {
            w[id >> 6] = v | m;
            cnt++;
        }
    }
    if (w)
        x->bm[p].count += cnt;
    return 0;
}

int traceinfo_add_cols(struct traceinfo *ti, const struct trace_cols *c)
{
    struct traceinfo_scan *sc = ti->scan;
    if (c->n == 0)
        return 0;
    if (!sc->ix && !(sc->ix = mem_calloc(1, sizeof *sc->ix)))
        return -ENOMEM;
    size_t xk = 0;
    for (size_t k = 0; k < c->nruns; k++) {
        size_t a = c->runstart[k], b = k + 1 < c->nruns ? c->runstart[k + 1] : c->n;
        int64_t p = traceinfo_proc_index(sc, c->runvm[k], c->runpid[k]);
        if (p < 0)
            return -ENOMEM;
        int rc = cols_run(ti, (uint32_t)p, c, a, b, &xk);
        if (rc < 0)
            return rc;
    }
    if (ti->records == 0)
        ti->first_time = c->time_first;
    ti->last_time = c->time_last;
    ti->min_time = c->time_min < ti->min_time ? c->time_min : ti->min_time;
    ti->max_time = c->time_max > ti->max_time ? c->time_max : ti->max_time;
    ti->records += c->n;
    return 0;
}
