/* trace_cols: column-level reading of native traces (trace_cols_read), for
 * callers that count records instead of replaying them.
 *
 * Blocks are loaded and checked by traces/trace_read.c; this module walks a
 * chunk's columns one pass at a time as decode_recs there does, in the same
 * order and with the same checks and messages, but writes only what a
 * counter needs: the tag bytes, each record's dictionary index (a DOLD
 * record repeating the previous record's page takes that record's index),
 * the pages that are not dictionary lookups, the runs of one (vm, pid), and
 * the time range. Args, sizes and next codes are checked and skipped.
 *
 * Main data structure: struct trace_cols (traces/trace.h), arrays owned by
 * the caller. Invariant: after a successful chunk the reader's cursors and
 * cross-block state are exactly those trace_read_ex would leave, so the two
 * may be mixed; a chunk's passes report the first damage of the first pass
 * that finds any, as decode_recs does for the same chunk.
 */
#include "traces/trace.h"

#include <errno.h>
#include <string.h>

#include "traces/trace_codec.h"
#include "traces/trace_read_priv.h"

/* Eight tag bytes at a time: a word of tags, and whether all eight have
 * bits `bit` set. (The tag column is followed by other columns and padding,
 * so callers only take whole words that lie within the chunk.) */
#define BYTES8(b) (0x0101010101010101ull * (b))

static inline int all8(const uint8_t *p, unsigned bit)
{
    return (trc_get64(p) & BYTES8(bit)) == BYTES8(bit);
}

static size_t cpass_tags(const uint8_t *tp, uint8_t *out, size_t n, struct dfail *f)
{
    uint64_t hi = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) /* a byte's bit 7 gets set when its op is >= 9 */
        hi |= (trc_get64(tp + i) & BYTES8(0x0f)) + BYTES8(0x77);
    unsigned badop = (hi & BYTES8(0x80)) != 0;
    for (; i < n; i++)
        badop |= (tp[i] & TAG_OP_MASK) >= TRACE_NOPS;
    for (i = 0; badop && i < n; i++)
        if ((tp[i] & TAG_OP_MASK) >= TRACE_NOPS) {
            f->what = "op", f->val = tp[i] & TAG_OP_MASK;
            return i;
        }
    memcpy(out, tp, n);
    return n;
}

/* Runs of one (vm, pid): record 0 and every record naming a different
 * context than the run before it start one. */
static size_t cpass_ctx(struct trace_reader *r, const uint8_t *tp, struct trace_cols *c, size_t n,
                        struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_CTX], *e = r->end[TRC_COL_CTX];
    uint32_t vm = r->pvm, pid = r->ppid;
    size_t nr = 0, i;
    int bad = 0;
    for (i = 0; i < n; i++) {
        while (i && i + 8 <= n && all8(tp + i, TAG_CTX_SAME))
            i += 8;
        if (i == n)
            break;
        if (!(tp[i] & TAG_CTX_SAME)) {
            uint64_t v = GV(p), q = GV(p);
            if (v > UINT16_MAX || q > UINT32_MAX || bad || p > e) {
                f->what = bad || p > e ? "context column overrun" : v > UINT16_MAX ? "vm" : "pid";
                f->val = v > UINT16_MAX ? v : q;
                break;
            }
            if (nr && v == vm && q == pid)
                continue;
            vm = (uint32_t)v;
            pid = (uint32_t)q;
        } else if (i) {
            continue;
        }
        c->runstart[nr] = (uint32_t)i;
        c->runvm[nr] = (uint16_t)vm;
        c->runpid[nr++] = pid;
    }
    c->nruns = nr;
    r->cur[TRC_COL_CTX] = p;
    r->pvm = vm;
    r->ppid = pid;
    return i;
}

/* Times t + d, t + 2d, ..., t + kd: their least and greatest into *lo and
 * *hi (at once when the progression does not wrap). Returns t + kd. */
static uint64_t time_run(uint64_t t, uint64_t d, uint64_t k, uint64_t *lo, uint64_t *hi)
{
    uint64_t kd, neg = -d;
    if (!(d >> 63) && !__builtin_mul_overflow(k, d, &kd) && kd <= UINT64_MAX - t) {
        *lo = t + d < *lo ? t + d : *lo;
        *hi = t + kd > *hi ? t + kd : *hi;
        return t + kd;
    }
    if ((d >> 63) && !__builtin_mul_overflow(k, neg, &kd) && kd <= t) {
        *hi = t + d > *hi ? t + d : *hi;
        *lo = t - kd < *lo ? t - kd : *lo;
        return t - kd;
    }
    for (uint64_t j = 0; j < k; j++) {
        t += d;
        *lo = t < *lo ? t : *lo;
        *hi = t > *hi ? t : *hi;
    }
    return t;
}

/* Records with TIME_SAME come in stretches that repeat one delta. */
static size_t cpass_time(struct trace_reader *r, const uint8_t *tp, struct trace_cols *c, size_t n,
                         struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_TIME], *e = r->end[TRC_COL_TIME];
    uint64_t t = r->ptime, d = r->pdelta, lo = UINT64_MAX, hi = 0;
    int bad = 0;
    size_t i = 0;
    while (i < n) {
        if (!(tp[i] & TAG_TIME_SAME)) {
            d = trc_unzz(GV(p));
            if (bad || p > e) {
                f->what = "time column overrun";
                break;
            }
            t = time_run(t, d, 1, &lo, &hi);
            if (i++ == 0)
                c->time_first = t;
            continue;
        }
        if (i == 0)
            c->time_first = t + d;
        size_t j = i + 1;
        while (j + 8 <= n && all8(tp + j, TAG_TIME_SAME))
            j += 8;
        while (j < n && (tp[j] & TAG_TIME_SAME))
            j++;
        t = time_run(t, d, j - i, &lo, &hi);
        i = j;
    }
    c->time_last = t;
    c->time_min = lo;
    c->time_max = hi;
    r->cur[TRC_COL_TIME] = p;
    r->ptime = t;
    r->pdelta = d;
    return i;
}

/* The dictionary index of a DICT record, from its class byte and extra
 * bits (branch-free refill: harmless when enough bits are buffered). */
#define CLASS_INDEX(r, cls, acc, bitn, bp, ix)                                                 \
    do {                                                                                       \
        unsigned nb_ = (r)->cls_bits[cls];                                                     \
        (acc) |= trc_get64(bp) << (bitn);                                                      \
        (bp) += (63 - (bitn)) >> 3;                                                            \
        (bitn) |= 56;                                                                          \
        (ix) = (r)->cls_base[cls] | ((uint32_t)(acc) & ((1u << nb_) - 1));                     \
        (acc) >>= nb_;                                                                         \
        (bitn) -= nb_;                                                                         \
    } while (0)

/* The index given to the record before the chunk, when the column reader
 * gave it (UINT32_MAX otherwise). */
static uint32_t prev_ix(const struct trace_reader *r)
{
    return r->cols_next == r->recidx + 1 ? r->cols_lastix : UINT32_MAX;
}

/* Pages as indices, record by record as trace_read_ex with
 * TRACE_RX_DICT_IX: a dictionary page is looked up only when the next
 * record's delta needs it. The exact road: every check in its place. */
static size_t page_exact(struct trace_reader *r, const uint8_t *tp, struct trace_cols *c, size_t n,
                         struct dfail *f)
{
    const uint8_t *ic = r->cur[TRC_COL_ICLS], *bp = r->cur[TRC_COL_IBITS];
    const uint8_t *lp = r->cur[TRC_COL_LIT], *dp = r->cur[TRC_COL_DELTA];
    const uint8_t *eic = r->end[TRC_COL_ICLS], *ebp = r->end[TRC_COL_IBITS] + 8;
    const uint8_t *elp = r->end[TRC_COL_LIT], *edp = r->end[TRC_COL_DELTA];
    uint64_t acc = r->bitacc, page = r->ppage;
    unsigned bitn = r->bitn;
    uint32_t ndict = r->ndict, *ixo = c->ix;
    int bad = 0, pend = 0;
    size_t i, nx = 0;
    for (i = 0; i < n; i++) {
        unsigned mode = tp[i] >> TAG_MODE_SHIFT;
        uint32_t ixi = UINT32_MAX;
        if (mode == PM_DICT) {
            unsigned cls = *ic++;
            if (cls >= TRC_NCLASSES) {
                f->what = "index class", f->val = cls;
                break;
            }
            CLASS_INDEX(r, cls, acc, bitn, bp, ixi);
            if (ixi >= ndict) {
                f->what = "dictionary index", f->val = ixi;
                break;
            }
            page = ixi;
            pend = 1;
        } else {
            uint64_t z = 1;
            if (mode == PM_LIT) {
                page = trc_get64(lp);
                lp += 8;
            } else {
                if (pend) /* the delta needs the previous page now */
                    page = r->dict[page];
                z = GV(dp);
                page += trc_unzz(z);
            }
            pend = 0;
            if (mode != PM_DOLD && ndict < TRC_DICT_MAX) {
                if (ndict == r->dictcap && trace_read_dict_grow(r)) {
                    f->what = TRC_OOM_WHY, f->val = ndict;
                    break;
                }
                ixi = ndict;
                r->dict[ndict++] = page;
                r->ndict = ndict;
            }
            uint32_t pix = i ? ixo[i - 1] : prev_ix(r);
            if (mode == PM_DOLD && z == 0 && pix != UINT32_MAX) {
                ixi = pix; /* the previous record's page again */
            } else {
                c->xrec[nx] = (uint32_t)i;
                c->xpage[nx++] = page;
            }
        }
        ixo[i] = ixi;
        if (__builtin_expect(bad | (ic > eic) | (bp > ebp) | (lp > elp) | (dp > edp), 0)) {
            f->what = bad ? "varint longer than 10 bytes" : "page column overrun";
            break;
        }
    }
    c->nx = nx;
    r->cur[TRC_COL_ICLS] = ic;
    r->cur[TRC_COL_IBITS] = bp;
    r->cur[TRC_COL_LIT] = lp;
    r->cur[TRC_COL_DELTA] = dp;
    r->bitacc = acc;
    r->bitn = bitn;
    r->ppage = pend ? r->dict[page] : page;
    return i;
}

/* The fast road's first step: the dictionary indices of the chunk's DICT
 * records into ix[], each checked against the dictionary's size at its
 * record (its size at the start plus the LIT and DNEW records before it).
 * Indices are taken by bit position, independently of one another, so the
 * loop carries no chain but the position; the bit reader's state is then
 * rebuilt from it. Returns 0, or 1 on anything amiss (a bad class, an index
 * out of range, a column overrun), the reader being unchanged then. */
static int page_indices(struct trace_reader *r, const uint8_t *tp, uint32_t *ix, size_t n)
{
    const uint8_t *ic = r->cur[TRC_COL_ICLS], *bs = r->end[TRC_COL_ICLS]; /* bits follow */
    size_t nic = (size_t)(r->end[TRC_COL_ICLS] - ic), j = 0;
    uint64_t pos = (uint64_t)(r->cur[TRC_COL_IBITS] - bs) * 8 - r->bitn;
    uint64_t maxpos = (uint64_t)(r->end[TRC_COL_IBITS] - bs) * 8;
    const uint32_t *base = r->cls_base8, *mask = r->cls_mask8; /* bad classes: base beyond any index */
    uint32_t lim = r->ndict;
#define ONE_INDEX(i_, vmax_)                                                                   \
    do {                                                                                       \
        unsigned cls_ = ic[j++];                                                               \
        uint32_t m_ = mask[cls_];                                                              \
        uint32_t v_ = base[cls_] | ((uint32_t)(trc_get64(bs + (pos >> 3)) >> (pos & 7)) & m_); \
        pos += (unsigned)__builtin_popcount(m_);                                               \
        vmax_ = v_ > vmax_ ? v_ : vmax_;                                                       \
        ix[i_] = v_;                                                                           \
    } while (0)
    for (size_t i = 0; i < n;) {
        /* eight DICT records, checked together: the position only grows,
         * and a group reads at most 27 bytes past the bit column's end,
         * within the padding */
        if (i + 8 <= n && j + 8 <= nic && !(trc_get64(tp + i) & BYTES8(0xc0))) {
            uint32_t vmax = 0;
#pragma GCC unroll 8
            for (size_t k = i; k < i + 8; k++)
                ONE_INDEX(k, vmax);
            if ((vmax >= lim) | (pos > maxpos))
                return 1;
            i += 8;
            continue;
        }
        unsigned mode = tp[i] >> TAG_MODE_SHIFT;
        if (mode != PM_DICT) {
            lim += (mode != PM_DOLD) & (lim < TRC_DICT_MAX);
        } else {
            uint32_t vmax = 0;
            if (j == nic)
                return 1;
            ONE_INDEX(i, vmax);
            if ((vmax >= lim) | (pos > maxpos))
                return 1;
        }
        i++;
    }
#undef ONE_INDEX
    /* the bit reader's state at pos: whole bytes consumed, the rest of a
     * partly used byte buffered */
    r->cur[TRC_COL_ICLS] = ic + j;
    r->cur[TRC_COL_IBITS] = bs + (pos >> 3) + ((pos & 7) != 0);
    r->bitacc = (pos & 7) ? (uint64_t)(bs[pos >> 3] >> (pos & 7)) : 0;
    r->bitn = (pos & 7) ? 8 - (unsigned)(pos & 7) : 0;
    return 0;
}

/* The fast road's second step: the other records, found eight tags at a
 * time, their pages decoded and appended. 0, or 1 on anything amiss. */
static int page_others(struct trace_reader *r, const uint8_t *tp, struct trace_cols *c, size_t n)
{
    const uint8_t *lp = r->cur[TRC_COL_LIT], *dp = r->cur[TRC_COL_DELTA];
    const uint8_t *elp = r->end[TRC_COL_LIT], *edp = r->end[TRC_COL_DELTA];
    uint64_t page = r->ppage;
    uint32_t ndict = r->ndict, *ix = c->ix;
    int bad = 0;
    size_t nx = 0;
    for (size_t i = 0; i < n; i++) {
        while (i + 8 <= n && !(trc_get64(tp + i) & BYTES8(0xc0)))
            i += 8;
        if (i == n)
            break;
        unsigned mode = tp[i] >> TAG_MODE_SHIFT;
        if (mode == PM_DICT)
            continue;
        if (mode != PM_LIT && i && (tp[i - 1] >> TAG_MODE_SHIFT) == PM_DICT)
            page = r->dict[ix[i - 1]]; /* the delta needs the previous page */
        uint64_t z = 1;
        if (mode == PM_LIT) {
            page = trc_get64(lp);
            lp += 8;
        } else {
            z = GV(dp);
            page += trc_unzz(z);
        }
        uint32_t ixi = UINT32_MAX;
        if (mode != PM_DOLD && ndict < TRC_DICT_MAX) {
            if (ndict == r->dictcap && trace_read_dict_grow(r))
                return 1;
            ixi = ndict;
            r->dict[ndict++] = page;
            r->ndict = ndict;
        }
        uint32_t pix = i ? ix[i - 1] : prev_ix(r);
        if (mode == PM_DOLD && z == 0 && pix != UINT32_MAX) {
            ixi = pix; /* the previous record's page again */
        } else {
            c->xrec[nx] = (uint32_t)i;
            c->xpage[nx++] = page;
        }
        ix[i] = ixi;
        if (bad | (lp > elp) | (dp > edp))
            return 1;
    }
    c->nx = nx;
    r->cur[TRC_COL_LIT] = lp;
    r->cur[TRC_COL_DELTA] = dp;
    r->ppage = (tp[n - 1] >> TAG_MODE_SHIFT) == PM_DICT ? r->dict[ix[n - 1]] : page;
    return 0;
}

/* Pages: the fast road in two steps, or, when it finds anything amiss,
 * the exact road from the same start (which finds the first damage). */
static size_t cpass_page(struct trace_reader *r, const uint8_t *tp, struct trace_cols *c, size_t n,
                         struct dfail *f)
{
    const uint8_t *cur[TRC_NCOLS];
    memcpy(cur, r->cur, sizeof cur);
    uint64_t acc = r->bitacc, page = r->ppage;
    unsigned bitn = r->bitn;
    uint32_t ndict = r->ndict;
    if (page_indices(r, tp, c->ix, n) == 0 && page_others(r, tp, c, n) == 0)
        return n;
    memcpy(r->cur, cur, sizeof cur);
    r->bitacc = acc;
    r->ppage = page;
    r->bitn = bitn;
    r->ndict = ndict;
    return page_exact(r, tp, c, n, f);
}

/* Ops with an arg are 4..8: a tag byte's bit 7 gets set by adding 0x7c
 * to its op when the op is >= 4 (ops are < 9 here). */
static size_t cpass_arg(struct trace_reader *r, const uint8_t *tp, size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_ARG], *e = r->end[TRC_COL_ARG];
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        while (i + 8 <= n && !(((trc_get64(tp + i) & BYTES8(0x0f)) + BYTES8(0x7c)) & BYTES8(0x80)))
            i += 8;
        if (i == n)
            break;
        if (trc_op_has_arg(tp[i])) {
            (void)GV(p);
            if (bad || p > e) {
                f->what = "arg column overrun";
                break;
            }
        }
    }
    r->cur[TRC_COL_ARG] = p;
    return i;
}

static size_t cpass_size(struct trace_reader *r, size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_SIZE], *e = r->end[TRC_COL_SIZE];
    uint32_t size = r->psize;
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t sz = size + trc_unzz(GV(p));
        if (sz > UINT32_MAX || bad || p > e) {
            f->what = sz > UINT32_MAX ? "size" : "size column overrun", f->val = sz;
            break;
        }
        size = (uint32_t)sz;
    }
    r->cur[TRC_COL_SIZE] = p;
    r->psize = size;
    return i;
}

/* The next codes' values do not matter here, only that each is one
 * well-formed varint inside the column. */
static size_t cpass_next(struct trace_reader *r, size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_NEXT], *e = r->end[TRC_COL_NEXT];
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        (void)GV(p);
        if (bad || p > e) {
            f->what = "next column overrun";
            break;
        }
    }
    r->cur[TRC_COL_NEXT] = p;
    return i;
}

/* Decode the chunk of n records (within the current block) into c. */
static int decode_cols(struct trace_reader *r, struct trace_cols *c, size_t n,
                       struct trace_err *err)
{
    const uint8_t *tp = r->cur[TRC_COL_TAG];
    struct dfail f = {NULL, 0};
    size_t i;
    if ((i = cpass_tags(tp, c->tag, n, &f)) < n || (i = cpass_ctx(r, tp, c, n, &f)) < n ||
        (i = cpass_time(r, tp, c, n, &f)) < n || (i = cpass_page(r, tp, c, n, &f)) < n ||
        (i = cpass_arg(r, tp, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    if ((r->h.flags & TRACE_F_SIZES) && (i = cpass_size(r, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    if ((r->h.flags & TRACE_F_NEXT) && (i = cpass_next(r, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    c->n = n;
    c->first = r->recidx;
    r->cur[TRC_COL_TAG] = tp + n;
    r->recidx += n;
    r->cols_next = r->recidx + 1;
    r->cols_lastix = c->ix[n - 1];
    return 0;
}

ssize_t trace_cols_read(struct trace_reader *r, struct trace_cols *c, size_t n,
                        struct trace_err *err)
{
    if (r->errcode) {
        if (err)
            *err = r->saved;
        return r->errcode;
    }
    c->n = c->nx = c->nruns = 0;
    if (r->done)
        return 0;
    int rc = r->left == 0 ? trace_read_load_block(r, err) : 0;
    if (rc)
        return trace_read_fail(r, err, rc);
    if (r->done)
        return 0;
    size_t k = n - r->recidx % n;
    k = k < r->left ? k : r->left;
    if ((rc = decode_cols(r, c, k, err)))
        return trace_read_fail(r, err, rc);
    r->left -= (uint32_t)k;
    if (r->left == 0 && (rc = trace_read_block_end(r, err)))
        trace_read_fail(r, err, rc); /* the chunk first, the error next time */
    return (ssize_t)k;
}
