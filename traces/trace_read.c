/* trace_read: streaming reader of the native trace format (traces/FORMAT.md).
 *
 * Opening reads and verifies the header; trace_read then loads one block at
 * a time (block header checksum, payload checksum, column directory, one
 * zstd frame per column into one raw buffer) and decodes records straight
 * into the caller's buffer, one field at a time (a pass per column).
 * trace_read_ex also reports each page's dictionary index and can leave
 * dictionary pages as their indices, skipping the random dictionary reads
 * that dominate decoding when the dictionary is larger than the caches.
 * The reader's state and the block steps it shares with the column reader
 * (traces/trace_cols.c) and the loader thread (traces/trace_load.c) are
 * declared in traces/trace_read_priv.h.
 *
 * Main data structures: the raw buffer holding the current block's columns
 * back to back (followed by TRC_PAD zero bytes, so a varint or 8-byte load
 * that runs past a column stays inside the allocation until the per-record
 * cursor check catches it), and the page dictionary (pages in first-seen
 * order, at most TRC_DICT_MAX, grown by doubling).
 * Invariants: between calls every column cursor lies within its column; the
 * cross-block state equals the writer's after the same records; after the
 * first error every call returns that error again (until rewind), so a
 * caller looping on trace_read can never spin on damage.
 */
#include "traces/trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <xxhash.h>
#include <zstd.h>

#include "sim/mem.h"
#include "traces/trace_codec.h"
#include "traces/trace_read_priv.h"

size_t trace_read_comp_cap(void)
{
    size_t n = TRC_DIR_BYTES;
    for (int c = 0; c < TRC_NCOLS; c++)
        n += ZSTD_compressBound(trc_col_cap(c));
    return n;
}

size_t trace_read_raw_cap(void)
{
    size_t n = 0;
    for (int c = 0; c < TRC_NCOLS; c++)
        n += trc_col_cap(c);
    return n;
}

/* Record err as the reader's sticky error. */
int trace_read_fail(struct trace_reader *r, struct trace_err *err, int code)
{
    r->errcode = code;
    if (err)
        r->saved = *err;
    else
        r->saved.msg[0] = '\0';
    return code;
}

static int read_at(struct trace_reader *r, void *buf, size_t n)
{
    if (fread(buf, 1, n, r->f) != n)
        return ferror(r->f) ? -errno : -EIO;
    r->off += n;
    return 0;
}

static void rfree(struct trace_reader *r)
{
    trace_load_stop(r);
    if (r->f)
        fclose(r->f);
    trace_hdr_free(&r->h);
    ZSTD_freeDCtx(r->dctx);
    mem_free(r->comp, r->compcap);
    mem_free(r->raw, r->rawcap);
    mem_free(r->dict, (size_t)r->dictcap * sizeof *r->dict);
    if (r->path)
        mem_free_str(r->path);
    mem_free(r, sizeof *r);
}

int trace_reader_open(const char *path, struct trace_reader **out, struct trace_err *err)
{
    *out = NULL;
    struct trace_reader *r = mem_calloc(1, sizeof *r);
    if (!r || !(r->path = mem_strdup(path))) {
        mem_free(r, sizeof *r);
        return trace_err_set(err, -ENOMEM, "%s: out of memory opening the trace", path);
    }
    int rc;
    struct stat st;
    r->f = fopen(path, "rb");
    if (!r->f || fstat(fileno(r->f), &st) != 0) {
        rc = trace_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) { /* sizes are checked against the file's length */
        rc = trace_err_set(err, -EINVAL, "%s: not a regular file (the reader needs its size)",
                           path);
        goto fail;
    }
    r->fsize = (uint64_t)st.st_size;
    for (unsigned c = 0; c < 256; c++) { /* classes >= TRC_NCLASSES are bad */
        unsigned nb = 0;
        uint32_t base = c < TRC_NCLASSES ? trc_class_base(c, &nb) : UINT32_MAX;
        if (c < TRC_NCLASSES) {
            r->cls_base[c] = base;
            r->cls_bits[c] = (uint8_t)nb;
        }
        r->cls_base8[c] = base;
        r->cls_mask8[c] = (1u << nb) - 1;
    }
    uint32_t hlen;
    if ((rc = trace_hdr_read(r->f, r->fsize, path, &r->h, &hlen, err)))
        goto fail;
    r->data_off = hlen;
    r->dctx = ZSTD_createDCtx();
    if (!r->dctx) {
        rc = trace_err_set(err, -ENOMEM, "%s: out of memory for the block buffers", path);
        goto fail;
    }
    r->off = r->data_off;
    *out = r;
    return 0;
fail:
    rfree(r);
    return rc;
}

const struct trace_header *trace_reader_header(const struct trace_reader *r)
{
    return &r->h;
}

/* ---- blocks ---- */

static int end_marker(struct trace_reader *r, const uint8_t *b, struct trace_err *err)
{
    uint64_t at = r->off - TRC_BLK_HDR;
    uint64_t want = trc_get64(b + 24), have = XXH3_64bits_withSeed(b, 24, r->blkno);
    if (want != have)
        return trace_err_set(err, -EILSEQ, "%s: offset %llu (end marker): checksum mismatch: "
                             "expected %016llx, got %016llx", r->path, (unsigned long long)at,
                             (unsigned long long)want, (unsigned long long)have);
    uint32_t nb = trc_get32(b + 4);
    uint64_t nr = trc_get64(b + 8);
    if (nb != r->blkno || nr != r->recidx || trc_get64(b + 16) != 0)
        return trace_err_set(err, -EILSEQ, "%s: offset %llu (end marker): expected %llu blocks "
                             "and %llu records, the marker says %u and %llu", r->path,
                             (unsigned long long)at, (unsigned long long)r->blkno,
                             (unsigned long long)r->recidx, nb, (unsigned long long)nr);
    if (r->off != r->fsize)
        return trace_err_set(err, -EILSEQ, "%s: offset %llu: trailing garbage: expected the end "
                             "of the file after the end marker, got %llu more bytes", r->path,
                             (unsigned long long)r->off,
                             (unsigned long long)(r->fsize - r->off));
    r->done = 1;
    return 0;
}

/* Validate a block header's fields (its checksum already matched). */
static int check_blkhdr(struct trace_reader *r, uint32_t nrec, uint32_t plen, uint32_t raw,
                        struct trace_err *err)
{
    const char *what = NULL;
    unsigned long long lim = 0, got = 0;
    if (nrec == 0 || nrec > TRC_BLOCK_RECS)
        what = "record count", lim = TRC_BLOCK_RECS, got = nrec;
    else if (plen < TRC_DIR_BYTES || plen > trace_read_comp_cap())
        what = "payload length", lim = trace_read_comp_cap(), got = plen;
    else if (raw > trace_read_raw_cap())
        what = "raw length", lim = trace_read_raw_cap(), got = raw;
    if (what)
        return trace_err_set(err, -EILSEQ, "%s: offset %llu (block %llu): bad block header: %s: "
                             "expected at most %llu, got %llu", r->path,
                             (unsigned long long)r->blkoff, (unsigned long long)r->blkno, what,
                             lim, got);
    uint64_t need = TRC_BLK_HDR + (uint64_t)plen;
    if (r->fsize - r->blkoff < need)
        return trace_err_set(err, -EILSEQ, "%s: offset %llu (block %llu): truncated block: file "
                             "ends at offset %llu, the block needs %llu bytes", r->path,
                             (unsigned long long)r->blkoff, (unsigned long long)r->blkno,
                             (unsigned long long)r->fsize, (unsigned long long)need);
    return 0;
}

#define BLKERR(r, err, fmt, ...)                                                              \
    trace_err_set(err, -EILSEQ, "%s: offset %llu (block %llu): " fmt, (r)->path,              \
                  (unsigned long long)(r)->blkoff, (unsigned long long)(r)->blkno, __VA_ARGS__)

/* Decompress the columns listed in the payload's directory. */
static int unpack_columns(struct trace_reader *r, uint32_t nrec, uint32_t plen, uint32_t raw,
                          struct trace_err *err)
{
    const uint8_t *src = r->comp + TRC_DIR_BYTES;
    size_t left = plen - TRC_DIR_BYTES, pos = 0;
    for (int c = 0; c < TRC_NCOLS; c++) {
        uint32_t n = trc_get32(r->comp + 8 * c), z = trc_get32(r->comp + 8 * c + 4);
        if (n > trc_col_cap(c) || z > left || (n == 0) != (z == 0) || n > raw - pos)
            return BLKERR(r, err, "bad encoding: %s column: raw %u bytes, compressed %u bytes "
                          "do not fit the block", trc_col_name(c), n, z);
        if (n) {
            size_t got = ZSTD_decompressDCtx(r->dctx, r->raw + pos, n, src, z);
            if (ZSTD_isError(got) || got != n)
                return BLKERR(r, err, "bad encoding: %s column: zstd: expected %u bytes, got %s",
                              trc_col_name(c), n,
                              ZSTD_isError(got) ? ZSTD_getErrorName(got) : "fewer");
        }
        r->cur[c] = r->raw + pos;
        r->end[c] = r->raw + pos + n;
        pos += n;
        src += z;
        left -= z;
    }
    if (left || pos != raw || r->end[TRC_COL_TAG] - r->cur[TRC_COL_TAG] != nrec)
        return BLKERR(r, err, "bad encoding: column directory: expected %u records and %u raw "
                      "bytes, got %td tags and %zu bytes (%zu payload bytes unused)", nrec, raw,
                      r->end[TRC_COL_TAG] - r->cur[TRC_COL_TAG], pos, left);
    memset(r->raw + pos, 0, TRC_PAD);
    return 0;
}

/* Make *buf hold at least need bytes (old contents are not kept). Buffers
 * grow to the largest block seen, so small traces stay small. */
static int ensure(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = need < 2 * *cap ? 2 * *cap : need;
    mem_free(*buf, *cap);
    *cap = 0;
    if (!(*buf = mem_alloc(n)))
        return -ENOMEM;
    *cap = n;
    return 0;
}

/* Read the next block header: a block (loaded and unpacked) or the end marker. */
int trace_read_fetch(struct trace_reader *r, struct trace_err *err)
{
    uint8_t b[TRC_BLK_HDR];
    r->blkoff = r->off;
    if (r->fsize == r->off)
        return BLKERR(r, err, "truncated: file ends at offset %llu, before the end marker",
                      (unsigned long long)r->fsize);
    if (r->fsize - r->off < TRC_BLK_HDR)
        return BLKERR(r, err, "truncated block: file ends at offset %llu, the block header "
                      "needs %d bytes", (unsigned long long)r->fsize, TRC_BLK_HDR);
    int rc = read_at(r, b, sizeof b);
    if (rc)
        return BLKERR(r, err, "read error: %s", strerror(-rc));
    if (memcmp(b, TRC_END_MAGIC, 4) == 0)
        return end_marker(r, b, err);
    if (memcmp(b, TRC_BLOCK_MAGIC, 4) != 0) {
        char q[32];
        trace_err_quote(q, sizeof q, b, 4);
        return BLKERR(r, err, "expected block magic \"%s\" or end marker \"%s\", got %s",
                      TRC_BLOCK_MAGIC, TRC_END_MAGIC, q);
    }
    uint64_t want = trc_get64(b + 24), have = XXH3_64bits_withSeed(b, 24, r->blkno);
    if (want != have)
        return BLKERR(r, err, "block header checksum mismatch: expected %016llx, got %016llx",
                      (unsigned long long)want, (unsigned long long)have);
    uint32_t nrec = trc_get32(b + 4), plen = trc_get32(b + 8), raw = trc_get32(b + 12);
    if ((rc = check_blkhdr(r, nrec, plen, raw, err)))
        return rc;
    if ((rc = ensure(&r->comp, &r->compcap, plen)) ||
        (rc = ensure(&r->raw, &r->rawcap, (size_t)raw + TRC_PAD)))
        return trace_err_set(err, rc, "%s: offset %llu (block %llu): out of memory for a block "
                             "of %u + %u bytes", r->path, (unsigned long long)r->blkoff,
                             (unsigned long long)r->blkno, plen, raw);
    if ((rc = read_at(r, r->comp, plen)))
        return BLKERR(r, err, "read error: %s", strerror(-rc));
    want = trc_get64(b + 16);
    have = XXH3_64bits(r->comp, plen);
    if (want != have)
        return BLKERR(r, err, "block checksum mismatch: expected %016llx, got %016llx",
                      (unsigned long long)want, (unsigned long long)have);
    if ((rc = unpack_columns(r, nrec, plen, raw, err)))
        return rc;
    r->left = r->blkrecs = nrec;
    r->bitacc = 0;
    r->bitn = 0;
    return 0;
}

int trace_read_load_block(struct trace_reader *r, struct trace_err *err)
{
    return r->loader ? trace_load_take(r, err) : trace_read_fetch(r, err);
}

/* After a block's last record: every column must be used up exactly. */
int trace_read_block_end(struct trace_reader *r, struct trace_err *err)
{
    const uint8_t *bs = r->end[TRC_COL_ICLS]; /* columns lie back to back */
    uint64_t have = (uint64_t)(r->end[TRC_COL_IBITS] - bs) * 8;
    uint64_t used = (uint64_t)(r->cur[TRC_COL_IBITS] - bs) * 8 - r->bitn;
    for (int c = 0; c < TRC_NCOLS; c++)
        if (c != TRC_COL_IBITS && r->cur[c] != r->end[c])
            return BLKERR(r, err, "bad encoding: %s column: %td bytes left after the last "
                          "record", trc_col_name(c), r->end[c] - r->cur[c]);
    if (used > have || have - used >= 8)
        return BLKERR(r, err, "bad encoding: index bit column: %llu bits, %llu used",
                      (unsigned long long)have, (unsigned long long)used);
    r->blkno++;
    return 0;
}

/* Double the dictionary's capacity (the writer appends the same pages). */
int trace_read_dict_grow(struct trace_reader *r)
{
    uint32_t ncap = r->dictcap ? r->dictcap * 2 : 4096;
    uint64_t *d = mem_realloc(r->dict, (size_t)r->dictcap * 8, (size_t)ncap * 8);
    if (!d)
        return -ENOMEM;
    r->dict = d;
    r->dictcap = ncap;
    mem_hint_huge(d, (size_t)ncap * 8);
    return 0;
}

int trace_read_decode_fail(struct trace_reader *r, size_t i, const char *what, uint64_t val,
                           struct trace_err *err)
{
    char detail[128];
    if (strcmp(what, TRC_OOM_WHY) == 0)
        return trace_err_set(err, -ENOMEM, "%s: offset %llu (block %llu): out of memory growing "
                             "the page dictionary beyond %u entries", r->path,
                             (unsigned long long)r->blkoff, (unsigned long long)r->blkno,
                             r->ndict);
    if (strcmp(what, "dictionary index") == 0)
        snprintf(detail, sizeof detail, "dictionary index %llu out of range (the dictionary "
                 "has %u entries)", (unsigned long long)val, r->ndict);
    else if (!strchr(what, ' ') || strcmp(what, "index class") == 0) /* a field */
        snprintf(detail, sizeof detail, "%s %llu out of range", what, (unsigned long long)val);
    else
        snprintf(detail, sizeof detail, "%s", what);
    return trace_err_set(err, -EILSEQ, "%s: offset %llu (block %llu): bad encoding: record %llu "
                         "of the block: %s", r->path, (unsigned long long)r->blkoff,
                         (unsigned long long)r->blkno,
                         (unsigned long long)(r->blkrecs - r->left + i), detail);
}

/* Records are decoded one field at a time: each pass walks the tags and
 * one column (or a few, for pages), so its loop keeps its few variables in
 * registers and its branches follow one pattern. A pass returns the number
 * of records it decoded: n, or the index of the first damaged record with
 * *f saying why. The cursor checks keep every read within TRC_PAD bytes of
 * its column's end. */


static size_t pass_tags(const uint8_t *tp, struct trace_rec *out, size_t n, struct dfail *f)
{
    unsigned badop = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned op = tp[i] & TAG_OP_MASK;
        out[i].op = (uint8_t)op;
        out[i].arg = 0;
        out[i].size = 0;
        out[i].next = TRACE_NO_NEXT;
        badop |= op >= TRACE_NOPS;
    }
    for (size_t i = 0; badop && i < n; i++)
        if (out[i].op >= TRACE_NOPS) {
            f->what = "op", f->val = out[i].op;
            return i;
        }
    return n;
}

static size_t pass_ctx(struct trace_reader *r, const uint8_t *tp, struct trace_rec *out,
                       size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_CTX], *e = r->end[TRC_COL_CTX];
    uint32_t vm = r->pvm, pid = r->ppid;
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (!(tp[i] & TAG_CTX_SAME)) {
            uint64_t v = GV(p), q = GV(p);
            if (v > UINT16_MAX || q > UINT32_MAX || bad || p > e) {
                f->what = bad || p > e ? "context column overrun" : v > UINT16_MAX ? "vm" : "pid";
                f->val = v > UINT16_MAX ? v : q;
                break;
            }
            vm = (uint32_t)v;
            pid = (uint32_t)q;
        }
        out[i].vm = (uint16_t)vm;
        out[i].pid = pid;
    }
    r->cur[TRC_COL_CTX] = p;
    r->pvm = vm;
    r->ppid = pid;
    return i;
}

static size_t pass_time(struct trace_reader *r, const uint8_t *tp, struct trace_rec *out,
                        size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_TIME], *e = r->end[TRC_COL_TIME];
    uint64_t t = r->ptime, d = r->pdelta;
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (!(tp[i] & TAG_TIME_SAME)) {
            d = trc_unzz(GV(p));
            if (bad || p > e) {
                f->what = "time column overrun";
                break;
            }
        }
        t += d;
        out[i].time = t;
    }
    r->cur[TRC_COL_TIME] = p;
    r->ptime = t;
    r->pdelta = d;
    return i;
}

/* Second step of the page pass: replace the dictionary indices left in
 * out[].page (marked by pad = 1), whose cache lines were prefetched. */
static void resolve_pages(const uint64_t *dict, struct trace_rec *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (out[i].pad) {
            out[i].page = dict[out[i].page];
            out[i].pad = 0;
        }
    }
}

/* Pages: with a large dictionary a dictionary page is left as its index
 * (pend, prefetched) and resolved 64 records later, unless the next
 * record's delta needs it at once. */
static size_t pass_page(struct trace_reader *r, const uint8_t *tp, struct trace_rec *out,
                        uint32_t *ixout, unsigned flags, size_t n, struct dfail *f)
{
    const uint8_t *ic = r->cur[TRC_COL_ICLS], *bp = r->cur[TRC_COL_IBITS];
    const uint8_t *lp = r->cur[TRC_COL_LIT], *dp = r->cur[TRC_COL_DELTA];
    const uint8_t *eic = r->end[TRC_COL_ICLS], *ebp = r->end[TRC_COL_IBITS] + 8;
    const uint8_t *elp = r->end[TRC_COL_LIT], *edp = r->end[TRC_COL_DELTA];
    uint64_t acc = r->bitacc, page = r->ppage;
    unsigned bitn = r->bitn;
    uint32_t ndict = r->ndict;
    const uint64_t *dict = r->dict;
    int bad = 0, pend = 0;
    /* a dictionary beyond L2 is read with the prefetch-and-resolve lag;
     * with TRACE_RX_DICT_IX a dictionary page is looked up only when the
     * next record's delta needs it */
    const int lazy = (flags & TRACE_RX_DICT_IX) != 0;
    const int defer = lazy || ndict > (1u << 15), lag = defer && !lazy;
    size_t i, done = 0;
    for (i = 0; i < n; i++) {
        unsigned mode = tp[i] >> TAG_MODE_SHIFT;
        uint32_t ixi = UINT32_MAX;
        if (mode == PM_DICT) {
            unsigned cls = *ic++;
            if (cls >= TRC_NCLASSES) {
                f->what = "index class", f->val = cls;
                break;
            }
            /* branch-free: the refill is harmless when enough bits are
             * buffered, and a class without extra bits takes 0 of them */
            unsigned nb = r->cls_bits[cls];
            acc |= trc_get64(bp) << bitn;
            bp += (63 - bitn) >> 3;
            bitn |= 56;
            uint32_t ix = r->cls_base[cls] | ((uint32_t)acc & ((1u << nb) - 1));
            acc >>= nb;
            bitn -= nb;
            if (ix >= ndict) {
                f->what = "dictionary index", f->val = ix;
                break;
            }
            ixi = ix;
            if (defer) {
                if (lag)
                    __builtin_prefetch(dict + ix);
                page = ix;
                pend = 1;
            } else {
                page = dict[ix];
            }
        } else {
            if (mode == PM_LIT) {
                page = trc_get64(lp);
                lp += 8;
            } else {
                if (pend) /* the delta needs the previous page now */
                    page = dict[page];
                page += trc_unzz(GV(dp));
            }
            pend = 0;
            if (mode != PM_DOLD && ndict < TRC_DICT_MAX) {
                if (ndict == r->dictcap && trace_read_dict_grow(r)) {
                    f->what = TRC_OOM_WHY, f->val = ndict;
                    break;
                }
                dict = r->dict;
                ixi = ndict;
                r->dict[ndict++] = page;
                r->ndict = ndict;
            }
        }
        out[i].page = page;
        out[i].pad = (uint8_t)(pend & lag);
        if (ixout)
            ixout[i] = ixi;
        if (__builtin_expect(bad | (ic > eic) | (bp > ebp) | (lp > elp) | (dp > edp), 0)) {
            f->what = bad ? "varint longer than 10 bytes" : "page column overrun";
            break;
        }
        /* resolve 64 records behind: their prefetches have landed and are
         * still in L1 */
        if (lag && (i & 63) == 63 && i >= 127) {
            resolve_pages(dict, out + done, i - 63 - done);
            done = i - 63;
        }
    }
    if (lag)
        resolve_pages(dict, out + done, i - done);
    r->cur[TRC_COL_ICLS] = ic;
    r->cur[TRC_COL_IBITS] = bp;
    r->cur[TRC_COL_LIT] = lp;
    r->cur[TRC_COL_DELTA] = dp;
    r->bitacc = acc;
    r->bitn = bitn;
    r->ppage = pend ? dict[page] : page;
    return i;
}

static size_t pass_arg(struct trace_reader *r, const uint8_t *tp, struct trace_rec *out,
                       size_t n, struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_ARG], *e = r->end[TRC_COL_ARG];
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (trc_op_has_arg(tp[i])) {
            out[i].arg = GV(p);
            if (bad || p > e) {
                f->what = "arg column overrun";
                break;
            }
        }
    }
    r->cur[TRC_COL_ARG] = p;
    return i;
}

static size_t pass_size(struct trace_reader *r, struct trace_rec *out, size_t n,
                        struct dfail *f)
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
        out[i].size = size = (uint32_t)sz;
    }
    r->cur[TRC_COL_SIZE] = p;
    r->psize = size;
    return i;
}

static size_t pass_next(struct trace_reader *r, struct trace_rec *out, size_t n,
                        struct dfail *f)
{
    const uint8_t *p = r->cur[TRC_COL_NEXT], *e = r->end[TRC_COL_NEXT];
    int bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        out[i].next = trc_next_decode(trc_unzz(GV(p)), r->recidx + i);
        if (bad || p > e) {
            f->what = "next column overrun";
            break;
        }
    }
    r->cur[TRC_COL_NEXT] = p;
    return i;
}

/* Decode n records (n <= records left in the block) into out. */
static int decode_recs(struct trace_reader *r, struct trace_rec *out, uint32_t *ix,
                       unsigned flags, size_t n, struct trace_err *err)
{
    const uint8_t *tp = r->cur[TRC_COL_TAG];
    struct dfail f = {NULL, 0};
    size_t i;
    if ((i = pass_tags(tp, out, n, &f)) < n || (i = pass_ctx(r, tp, out, n, &f)) < n ||
        (i = pass_time(r, tp, out, n, &f)) < n || (i = pass_page(r, tp, out, ix, flags, n, &f)) < n ||
        (i = pass_arg(r, tp, out, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    if ((r->h.flags & TRACE_F_SIZES) && (i = pass_size(r, out, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    if ((r->h.flags & TRACE_F_NEXT) && (i = pass_next(r, out, n, &f)) < n)
        return trace_read_decode_fail(r, i, f.what, f.val, err);
    r->cur[TRC_COL_TAG] = tp + n;
    r->recidx += n;
    return 0;
}

ssize_t trace_read(struct trace_reader *r, struct trace_rec *buf, size_t n,
                   struct trace_err *err)
{
    return trace_read_ex(r, buf, NULL, 0, n, err);
}

ssize_t trace_read_ex(struct trace_reader *r, struct trace_rec *buf, uint32_t *ix,
                      unsigned flags, size_t n, struct trace_err *err)
{
    if (r->errcode) {
        if (err)
            *err = r->saved;
        return r->errcode;
    }
    size_t got = 0;
    int rc = 0;
    while (got < n && !r->done) {
        if (r->left == 0 && (rc = trace_read_load_block(r, err)))
            break;
        if (r->done)
            break;
        size_t k = n - got < r->left ? n - got : r->left;
        if ((rc = decode_recs(r, buf + got, ix ? ix + got : NULL, flags, k, err)))
            break;
        got += k;
        r->left -= (uint32_t)k;
        if (r->left == 0 && (rc = trace_read_block_end(r, err)))
            break;
    }
    if (rc) {
        /* records decoded before the damage are delivered first; the error
         * comes with the next call */
        trace_read_fail(r, err, rc);
        if (got == 0)
            return rc;
    }
    return (ssize_t)got;
}

int trace_reader_rewind(struct trace_reader *r, struct trace_err *err)
{
    int prefetch = r->loader != NULL;
    trace_load_stop(r);
    if (fseeko(r->f, (off_t)r->data_off, SEEK_SET) != 0)
        return trace_err_set(err, -errno, "%s: cannot seek: %s", r->path, strerror(errno));
    r->off = r->data_off;
    r->left = 0;
    r->blkno = 0;
    r->ptime = r->pdelta = r->ppage = r->recidx = 0;
    r->pvm = r->ppid = r->psize = 0;
    r->ndict = 0;
    r->done = 0;
    r->errcode = 0;
    r->cols_next = 0;
    return prefetch ? trace_load_start(r, err) : 0;
}

int trace_reader_prefetch(struct trace_reader *r, struct trace_err *err)
{
    if (r->loader)
        return 0;
    if (r->recidx || r->left || r->done || r->errcode || r->off != r->data_off)
        return trace_err_set(err, -EINVAL, "%s: prefetching must start before the first read",
                             r->path);
    return trace_load_start(r, err);
}

uint64_t trace_reader_records(const struct trace_reader *r)
{
    return r->recidx;
}

uint64_t trace_reader_blocks(const struct trace_reader *r)
{
    return r->blkno;
}

uint64_t trace_reader_file_bytes(const struct trace_reader *r)
{
    return r->fsize;
}

void trace_reader_close(struct trace_reader *r)
{
    if (r)
        rfree(r);
}
