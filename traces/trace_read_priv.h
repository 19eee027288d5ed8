/* trace_read_priv: the native reader's state and the block-level steps that
 * traces/trace_read.c (records) and traces/trace_cols.c (columns) share.
 * Not for other modules: they use traces/trace.h.
 */
#ifndef VMMSIM_TRACE_READ_PRIV_H
#define VMMSIM_TRACE_READ_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include <zstd.h>

#include "traces/trace.h"
#include "traces/trace_codec.h"

/* Zero bytes after the last column, so a varint or 8-byte load that runs
 * past a column stays inside the allocation until a cursor check sees it. */
#define TRC_PAD 32

struct trace_reader {
    char *path;
    FILE *f;
    uint64_t fsize, off, data_off;
    struct trace_header h;
    ZSTD_DCtx *dctx;
    uint8_t *comp, *raw;
    size_t compcap, rawcap;
    const uint8_t *cur[TRC_NCOLS], *end[TRC_NCOLS];
    uint64_t bitacc;
    unsigned bitn;
    uint32_t left, blkrecs;  /* records left in / total in the current block */
    uint64_t blkoff, blkno;  /* current block's offset and number */
    /* cross-block state */
    uint64_t ptime, pdelta, ppage, recidx;
    uint32_t pvm, ppid, psize;
    uint64_t *dict;
    uint32_t ndict, dictcap;
    uint32_t cls_base[TRC_NCLASSES]; /* index class -> first index, extra bits */
    uint8_t cls_bits[TRC_NCLASSES];
    uint32_t cls_base8[256], cls_mask8[256]; /* any class byte -> first index (bad
                                               classes: UINT32_MAX), extra bits' mask */
    int done, errcode;
    struct trace_err saved;
    struct trace_load *loader; /* NULL: blocks are read by the caller's thread */
    uint64_t cols_next;        /* record after trace_cols_read's last chunk + 1 (0: none) */
    uint32_t cols_lastix;      /* the index it gave that chunk's last record */
};

/* Why a decoding pass stopped: a field name ("op", "vm", ...: "... N out of
 * range"), "dictionary index", TRC_OOM_WHY, or a whole phrase. */
struct dfail {
    const char *what;
    uint64_t val;
};

#define TRC_OOM_WHY "out of memory growing the dictionary"

/* Varint from column cursor p; sets the caller's `bad` on overlong ones. */
#define GV(p) trc_get_varint(&(p), &bad)

/* Record err (may be NULL) as the reader's sticky error; returns code. */
int trace_read_fail(struct trace_reader *r, struct trace_err *err, int code);
/* Read the next block header from r->f at r->off: a block (loaded, checked
 * and unpacked into r->raw, r->left = its records) or the end marker
 * (r->done). 0 or an error. */
int trace_read_fetch(struct trace_reader *r, struct trace_err *err);
/* The next block: trace_read_fetch, or the loader thread's next one. */
int trace_read_load_block(struct trace_reader *r, struct trace_err *err);
/* Largest payload and raw column bytes a block may have. */
size_t trace_read_comp_cap(void);
size_t trace_read_raw_cap(void);

/* The loader thread (traces/trace_load.c). start: at the reader's current
 * position (a block boundary), 0 or an error; take: trace_read_load_block
 * through it; stop: end it (if any) and free its buffers. */
int trace_load_start(struct trace_reader *r, struct trace_err *err);
int trace_load_take(struct trace_reader *r, struct trace_err *err);
void trace_load_stop(struct trace_reader *r);
/* After a block's last record: every column used up exactly; counts it. */
int trace_read_block_end(struct trace_reader *r, struct trace_err *err);
/* Double the dictionary's capacity. 0 or -ENOMEM. */
int trace_read_dict_grow(struct trace_reader *r);
/* The message for a pass that stopped at record i of the current chunk
 * (which starts r->blkrecs - r->left records into the block). */
int trace_read_decode_fail(struct trace_reader *r, size_t i, const char *what, uint64_t val,
                           struct trace_err *err);

#endif
