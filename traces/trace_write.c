/* trace_write: streaming writer of the native trace format (traces/FORMAT.md).
 *
 * Records are encoded as they arrive into the per-column buffers of the
 * current block (tag, context, time, dictionary index class and bits, page
 * literals, page deltas, arg, size, next); when a block holds TRC_BLOCK_RECS
 * records each column is compressed as its own zstd frame (one reused
 * context) and the block is written with its checksummed header.
 *
 * Main data structure: the page dictionary as an open-addressing hash table
 * of (page, first-seen index + 1) slots; indices are dense 0..ndict-1 and
 * ndict <= TRC_DICT_MAX, exactly as the reader's dictionary array.
 * Invariants: each page appears in at most one slot; the table is at most
 * half full; the cross-block state (previous time, delta, vm, pid,
 * page, size, record index, dictionary) is exactly what the reader will hold
 * after decoding the same records.
 */
#include "traces/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "sim/mem.h"
#include "traces/trace_codec.h"

/* A dictionary entry: the page and its index + 1 (0 = empty slot). */
struct slot {
    uint64_t page;
    uint64_t idx1;
};

struct trace_writer {
    char *path, *tmp;
    FILE *f;
    uint32_t flags;
    ZSTD_CCtx *cctx;
    uint8_t *col[TRC_NCOLS];
    uint8_t *cp[TRC_NCOLS];  /* write cursors */
    uint64_t bitacc;         /* pending index bits, LSB first */
    unsigned bitn;
    uint8_t *out;            /* block header + payload being assembled */
    size_t outcap;
    uint32_t nrec;           /* records in the current block */
    uint32_t blockrecs;      /* block size (TRC_BLOCK_RECS unless set) */
    /* cross-block state */
    uint64_t ptime, pdelta, ppage, recidx;
    uint32_t pvm, ppid, psize;
    struct slot *slots;      /* open addressing, at most half full */
    uint32_t nslots, ndict;
    int failed;              /* an earlier call failed: the trace is unusable */
    /* statistics */
    uint64_t nblocks, bytes;
};

static size_t out_cap(void)
{
    size_t n = TRC_BLK_HDR + TRC_DIR_BYTES;
    for (int c = 0; c < TRC_NCOLS; c++)
        n += ZSTD_compressBound(trc_col_cap(c));
    return n;
}

static void wfree(struct trace_writer *w)
{
    for (int c = 0; c < TRC_NCOLS; c++)
        mem_free(w->col[c], trc_col_cap(c));
    mem_free(w->out, w->outcap);
    mem_free(w->slots, (size_t)w->nslots * sizeof *w->slots);
    ZSTD_freeCCtx(w->cctx);
    if (w->path)
        mem_free_str(w->path);
    if (w->tmp)
        mem_free_str(w->tmp);
    mem_free(w, sizeof *w);
}

static uint32_t slot_of(uint64_t page, uint32_t mask)
{
    return (uint32_t)((page * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
}

/* Index of page in the dictionary, or -1. One cache line per probe: the
 * slot holds the page itself. */
static int64_t dict_find(const struct trace_writer *w, uint64_t page)
{
    uint32_t mask = w->nslots - 1;
    for (uint32_t s = slot_of(page, mask);; s = (s + 1) & mask) {
        const struct slot *e = &w->slots[s];
        if (e->idx1 == 0)
            return -1;
        if (e->page == page)
            return e->idx1 - 1;
    }
}

static void slot_put(struct slot *slots, uint32_t mask, uint64_t page, uint32_t idx1)
{
    uint32_t s = slot_of(page, mask);
    while (slots[s].idx1)
        s = (s + 1) & mask;
    slots[s].page = page;
    slots[s].idx1 = idx1;
}

/* Double the hash table when one more page would make it over half full. */
static int dict_grow(struct trace_writer *w)
{
    if ((uint64_t)(w->ndict + 1) * 2 <= w->nslots)
        return 0;
    uint32_t n = w->nslots * 2;
    struct slot *t = mem_calloc(n, sizeof *t);
    if (!t)
        return -ENOMEM;
    for (uint32_t i = 0; i < w->nslots; i++)
        if (w->slots[i].idx1)
            slot_put(t, n - 1, w->slots[i].page, w->slots[i].idx1);
    mem_free(w->slots, (size_t)w->nslots * sizeof *w->slots);
    w->slots = t;
    w->nslots = n;
    return 0;
}

static int dict_append(struct trace_writer *w, uint64_t page)
{
    if (w->ndict >= TRC_DICT_MAX)
        return 0;
    int rc = dict_grow(w);
    if (rc)
        return rc;
    slot_put(w->slots, w->nslots - 1, page, ++w->ndict);
    return 0;
}

static void put_bits(struct trace_writer *w, uint32_t v, unsigned n)
{
    w->bitacc |= (uint64_t)v << w->bitn;
    w->bitn += n;
    while (w->bitn >= 8) {
        *w->cp[TRC_COL_IBITS]++ = (uint8_t)w->bitacc;
        w->bitacc >>= 8;
        w->bitn -= 8;
    }
}

/* Choose the page mode and fill the page columns; returns the mode or a
 * negative code (out of memory growing the dictionary). */
static int encode_page(struct trace_writer *w, uint64_t page)
{
    uint64_t zd = trc_zz(page - w->ppage);
    unsigned dlen = trc_varint_len(zd);
    int64_t idx = dict_find(w, page);
    if (idx >= 0) {
        unsigned nb, cls = trc_idx_class((uint32_t)idx, &nb);
        if (dlen * 8 <= 8 + nb) {
            w->cp[TRC_COL_DELTA] = trc_put_varint(w->cp[TRC_COL_DELTA], zd);
            return PM_DOLD;
        }
        *w->cp[TRC_COL_ICLS]++ = (uint8_t)cls;
        put_bits(w, (uint32_t)idx & ((1u << nb) - 1), nb);
        return PM_DICT;
    }
    int rc = dict_append(w, page);
    if (rc)
        return rc;
    if (dlen <= 7) {
        w->cp[TRC_COL_DELTA] = trc_put_varint(w->cp[TRC_COL_DELTA], zd);
        return PM_DNEW;
    }
    trc_put64(w->cp[TRC_COL_LIT], page);
    w->cp[TRC_COL_LIT] += 8;
    return PM_LIT;
}

static int encode_rec(struct trace_writer *w, const struct trace_rec *r)
{
    unsigned tag = r->op;
    if (r->vm == w->pvm && r->pid == w->ppid) {
        tag |= TAG_CTX_SAME;
    } else {
        w->cp[TRC_COL_CTX] = trc_put_varint(w->cp[TRC_COL_CTX], r->vm);
        w->cp[TRC_COL_CTX] = trc_put_varint(w->cp[TRC_COL_CTX], r->pid);
        w->pvm = r->vm;
        w->ppid = r->pid;
    }
    uint64_t delta = r->time - w->ptime;
    if (delta == w->pdelta)
        tag |= TAG_TIME_SAME;
    else
        w->cp[TRC_COL_TIME] = trc_put_varint(w->cp[TRC_COL_TIME], trc_zz(delta));
    w->ptime = r->time;
    w->pdelta = delta;
    int mode = encode_page(w, r->page);
    if (mode < 0)
        return mode;
    w->ppage = r->page;
    *w->cp[TRC_COL_TAG]++ = (uint8_t)(tag | (unsigned)mode << TAG_MODE_SHIFT);
    if (trc_op_has_arg(r->op))
        w->cp[TRC_COL_ARG] = trc_put_varint(w->cp[TRC_COL_ARG], r->arg);
    if (w->flags & TRACE_F_SIZES) {
        uint64_t d = (uint64_t)((int64_t)r->size - (int64_t)w->psize);
        w->cp[TRC_COL_SIZE] = trc_put_varint(w->cp[TRC_COL_SIZE], trc_zz(d));
        w->psize = r->size;
    }
    if (w->flags & TRACE_F_NEXT) {
        uint64_t code = trc_next_code(r->next, w->recidx);
        w->cp[TRC_COL_NEXT] = trc_put_varint(w->cp[TRC_COL_NEXT], trc_zz(code));
    }
    w->recidx++;
    w->nrec++;
    return 0;
}

static int wfail(struct trace_writer *w, struct trace_err *err, int code, const char *what)
{
    return trace_err_set(err, code, "%s: %s: %s", w->path, what, strerror(-code));
}

/* Compress the current block's columns and write the block. */
static int flush_block(struct trace_writer *w, struct trace_err *err)
{
    if (w->nrec == 0)
        return 0;
    if (w->bitn)
        put_bits(w, 0, 8 - w->bitn);
    uint8_t *dir = w->out + TRC_BLK_HDR, *p = dir + TRC_DIR_BYTES;
    uint8_t *end = w->out + w->outcap;
    uint32_t raw = 0;
    for (int c = 0; c < TRC_NCOLS; c++) {
        size_t n = (size_t)(w->cp[c] - w->col[c]), z = 0;
        if (n) {
            z = ZSTD_compressCCtx(w->cctx, p, (size_t)(end - p), w->col[c], n, TRC_ZSTD_LEVEL);
            if (ZSTD_isError(z))
                return trace_err_set(err, -EIO, "%s: block %llu: zstd: %s", w->path,
                                     (unsigned long long)w->nblocks, ZSTD_getErrorName(z));
        }
        trc_put32(dir + 8 * c, (uint32_t)n);
        trc_put32(dir + 8 * c + 4, (uint32_t)z);
        p += z;
        raw += (uint32_t)n;
        w->cp[c] = w->col[c];
    }
    size_t plen = (size_t)(p - dir);
    memcpy(w->out, TRC_BLOCK_MAGIC, 4);
    trc_put32(w->out + 4, w->nrec);
    trc_put32(w->out + 8, (uint32_t)plen);
    trc_put32(w->out + 12, raw);
    trc_put64(w->out + 16, XXH3_64bits(dir, plen));
    trc_put64(w->out + 24, XXH3_64bits_withSeed(w->out, 24, w->nblocks));
    if (fwrite(w->out, 1, TRC_BLK_HDR + plen, w->f) != TRC_BLK_HDR + plen)
        return wfail(w, err, -EIO, "write");
    w->bytes += TRC_BLK_HDR + plen;
    w->nblocks++;
    w->nrec = 0;
    w->bitacc = 0;
    w->bitn = 0;
    return 0;
}

static int alloc_buffers(struct trace_writer *w)
{
    for (int c = 0; c < TRC_NCOLS; c++) {
        w->col[c] = mem_alloc(trc_col_cap(c));
        if (!w->col[c])
            return -ENOMEM;
        w->cp[c] = w->col[c];
    }
    w->outcap = out_cap();
    w->out = mem_alloc(w->outcap);
    w->nslots = 8192;
    w->slots = mem_calloc(w->nslots, sizeof *w->slots);
    w->cctx = ZSTD_createCCtx();
    if (!w->out || !w->slots || !w->cctx)
        return -ENOMEM;
    return 0;
}

static int open_tmp(struct trace_writer *w, struct trace_err *err)
{
    size_t n = strlen(w->path) + sizeof ".tmp.XXXXXX";
    char *buf = mem_alloc(n);
    if (!buf)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", w->path);
    snprintf(buf, n, "%s.tmp.XXXXXX", w->path);
    int fd = mkstemp(buf);
    if (fd < 0) {
        int e = errno;
        trace_err_set(err, -e, "%s: cannot create %s: %s", w->path, buf, strerror(e));
        mem_free(buf, n);
        return -e;
    }
    w->tmp = buf; /* from here on abort unlinks it */
    mode_t um = umask(0); /* mkstemp makes 0600; a trace gets the usual 0666 & ~umask */
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        int e = errno;
        close(fd);
        return trace_err_set(err, -e, "%s: cannot chmod %s: %s", w->path, buf, strerror(e));
    }
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        int e = errno;
        close(fd);
        return trace_err_set(err, -e, "%s: cannot open %s: %s", w->path, buf, strerror(e));
    }
    return 0;
}

int trace_writer_open(const char *path, const struct trace_header *h,
                      struct trace_writer **out, struct trace_err *err)
{
    *out = NULL;
    uint8_t *hb = NULL;
    size_t hlen = 0;
    int rc = trace_hdr_encode(h, &hb, &hlen, path, err);
    if (rc)
        return rc;
    struct trace_writer *w = mem_calloc(1, sizeof *w);
    if (!w || !(w->path = mem_strdup(path)) || alloc_buffers(w)) {
        rc = trace_err_set(err, -ENOMEM, "%s: out of memory opening the trace writer", path);
        goto fail;
    }
    w->flags = h->flags;
    w->blockrecs = TRC_BLOCK_RECS;
    if ((rc = open_tmp(w, err)))
        goto fail;
    if (fwrite(hb, 1, hlen, w->f) != hlen) {
        rc = wfail(w, err, -EIO, "write");
        goto fail;
    }
    w->bytes = hlen;
    mem_free(hb, hlen);
    *out = w;
    return 0;
fail:
    mem_free(hb, hlen);
    if (w)
        trace_writer_abort(w);
    return rc;
}

static int write_recs(struct trace_writer *w, const struct trace_rec *recs, size_t n,
                      struct trace_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (recs[i].op >= TRACE_NOPS)
            return trace_err_set(err, -EINVAL, "%s: record %llu: op: expected 0..%d, got %u",
                                 w->path, (unsigned long long)w->recidx, TRACE_NOPS - 1,
                                 recs[i].op);
        if (recs[i].arg && !trc_op_has_arg(recs[i].op))
            return trace_err_set(err, -EINVAL, "%s: record %llu: arg: expected 0 for op %s, "
                                 "got %llu", w->path, (unsigned long long)w->recidx,
                                 trace_op_name(recs[i].op), (unsigned long long)recs[i].arg);
        if (i + 8 < n)
            __builtin_prefetch(&w->slots[slot_of(recs[i + 8].page, w->nslots - 1)]);
        int rc = encode_rec(w, &recs[i]);
        if (rc)
            return trace_err_set(err, rc, "%s: record %llu: out of memory growing the page "
                                 "dictionary", w->path, (unsigned long long)w->recidx);
        if (w->nrec == w->blockrecs && (rc = flush_block(w, err)))
            return rc;
    }
    return 0;
}

int trace_write(struct trace_writer *w, const struct trace_rec *recs, size_t n,
                struct trace_err *err)
{
    if (w->failed)
        return trace_err_set(err, -EIO, "%s: an earlier write failed", w->path);
    int rc = write_recs(w, recs, n, err);
    if (rc)
        w->failed = 1;
    return rc;
}

static int write_end(struct trace_writer *w, struct trace_err *err)
{
    uint8_t e[TRC_BLK_HDR] = {0};
    memcpy(e, TRC_END_MAGIC, 4);
    trc_put32(e + 4, (uint32_t)w->nblocks);
    trc_put64(e + 8, w->recidx);
    trc_put64(e + 24, XXH3_64bits_withSeed(e, 24, w->nblocks));
    if (fwrite(e, 1, sizeof e, w->f) != sizeof e)
        return wfail(w, err, -EIO, "write");
    w->bytes += sizeof e;
    return 0;
}

int trace_writer_close(struct trace_writer *w, struct trace_err *err)
{
    int rc = w->failed ? trace_err_set(err, -EIO, "%s: an earlier write failed", w->path)
                       : flush_block(w, err);
    if (!rc)
        rc = write_end(w, err);
    if (!rc && fflush(w->f) != 0)
        rc = wfail(w, err, -errno, "write");
    int crc = fclose(w->f);
    w->f = NULL;
    if (!rc && crc != 0)
        rc = wfail(w, err, -errno, "close");
    if (!rc && rename(w->tmp, w->path) != 0)
        rc = trace_err_set(err, -errno, "%s: cannot rename %s into place: %s", w->path,
                           w->tmp, strerror(errno));
    if (rc)
        unlink(w->tmp);
    wfree(w);
    return rc;
}

void trace_writer_abort(struct trace_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        unlink(w->tmp);
    wfree(w);
}

int trace_writer_set_block_records(struct trace_writer *w, uint32_t n)
{
    if (n == 0 || n > TRC_BLOCK_RECS || w->recidx != 0)
        return -EINVAL;
    w->blockrecs = n;
    return 0;
}

uint64_t trace_writer_records(const struct trace_writer *w)
{
    return w->recidx;
}

uint64_t trace_writer_bytes(const struct trace_writer *w)
{
    return w->bytes;
}
