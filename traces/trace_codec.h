/* trace_codec: the byte-level encoding shared by the trace writer and reader
 * (traces/trace_write.c, traces/trace_read.c, traces/trace_common.c).
 *
 * Everything here is specified in traces/FORMAT.md; the constants are part of
 * format version 1 and must not change without a version bump. Helpers are
 * static inline so the encoder and decoder loops inline them. The few shared
 * out-of-line functions (header layout, error formatting) live in
 * traces/trace_common.c and are declared at the end. The little-endian
 * load/store helpers (trc_get32 ...) also serve traces/tfmt_oracle.c.
 */
#ifndef VMMSIM_TRACE_CODEC_H
#define VMMSIM_TRACE_CODEC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "traces/trace.h"

#define TRC_MAGIC        "VMMTRACE" /* 8 bytes at offset 0 */
#define TRC_MAGIC_LEN    8
#define TRC_BLOCK_MAGIC  "VTBK"     /* block header */
#define TRC_END_MAGIC    "VTND"     /* end marker */
#define TRC_HDR_FIXED    36         /* fixed part of the file header */
#define TRC_BLK_HDR      32         /* block header and end marker size */
#define TRC_BLOCK_RECS   65536u     /* records per block, at most */
#define TRC_DICT_MAX     (1u << 22) /* page dictionary entries, at most */
#define TRC_NCOLS        10
#define TRC_DIR_BYTES    (TRC_NCOLS * 8) /* column directory: u32 raw, u32 comp */
#define TRC_ZSTD_LEVEL   3
#define TRC_KNOWN_FLAGS  (TRACE_F_NEXT | TRACE_F_SIZES)

/* Columns of a block, in payload order. */
enum trc_col {
    TRC_COL_TAG,   /* one tag byte per record */
    TRC_COL_CTX,   /* varint vm, varint pid (records without TAG_CTX_SAME) */
    TRC_COL_TIME,  /* zigzag varint time delta (records without TAG_TIME_SAME) */
    TRC_COL_ICLS,  /* dictionary index class byte (PM_DICT records) */
    TRC_COL_IBITS, /* dictionary index extra bits, LSB-first bit stream */
    TRC_COL_LIT,   /* 8-byte little-endian page literal (PM_LIT records) */
    TRC_COL_DELTA, /* zigzag varint page delta (PM_DNEW, PM_DOLD records) */
    TRC_COL_ARG,   /* varint arg (records whose op carries one) */
    TRC_COL_SIZE,  /* zigzag varint size delta, every record with TRACE_F_SIZES */
    TRC_COL_NEXT   /* zigzag varint next code, every record with TRACE_F_NEXT */
};

static inline const char *trc_col_name(int col)
{
    static const char *const names[TRC_NCOLS] = {
        "tag", "context", "time", "index class", "index bits",
        "literal", "delta", "arg", "size", "next",
    };
    return names[col];
}

/* Tag byte. */
#define TAG_OP_MASK    0x0fu
#define TAG_CTX_SAME   0x10u /* vm and pid equal the previous record's */
#define TAG_TIME_SAME  0x20u /* time delta equals the previous record's delta */
#define TAG_MODE_SHIFT 6
enum trc_page_mode {
    PM_DICT = 0, /* page = dict[index] */
    PM_LIT = 1,  /* page is a literal; appended to the dictionary if not full */
    PM_DNEW = 2, /* page = prev page + delta; appended if not full */
    PM_DOLD = 3  /* page = prev page + delta; not appended */
};

/* Ops whose records carry arg (file-read, file-write, idle, pte, content);
 * the others must have arg 0 and store nothing. */
static inline int trc_op_has_arg(unsigned op)
{
    return (0x1f0u >> (op & 15)) & 1;
}

/* Largest raw bytes one record adds to a column. */
static inline size_t trc_col_per_rec(int col)
{
    static const unsigned char max[TRC_NCOLS] = {1, 8, 10, 1, 3, 8, 10, 10, 5, 10};
    return max[col];
}

/* Raw capacity of a column for one block (the bit column rounds up). */
static inline size_t trc_col_cap(int col)
{
    return TRC_BLOCK_RECS * trc_col_per_rec(col) + 8;
}

static inline void trc_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void trc_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t trc_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t trc_get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t trc_zz(uint64_t d) /* d is a two's-complement int64 */
{
    return (d << 1) ^ (uint64_t)-(int64_t)(d >> 63);
}

static inline uint64_t trc_unzz(uint64_t z)
{
    return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

/* Append v as LEB128 (7 bits a byte, low group first, high bit = more). */
static inline uint8_t *trc_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline unsigned trc_varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Read a varint of at most 10 bytes. The caller guarantees 10 readable bytes
 * at *pp (the decode buffer is padded) and checks the cursor against the
 * column end afterwards. Sets *bad on a varint longer than 10 bytes. */
static inline uint64_t trc_get_varint(const uint8_t **pp, int *bad)
{
    const uint8_t *p = *pp;
    uint64_t v = *p++;
    if (v < 0x80) {
        *pp = p;
        return v;
    }
    v &= 0x7f;
    for (unsigned shift = 7; shift < 64; shift += 7) {
        uint64_t b = *p++;
        v |= (b & 0x7f) << shift;
        if (b < 0x80) {
            *pp = p;
            return v;
        }
    }
    *bad = 1;
    *pp = p;
    return 0;
}

/* Dictionary index classes: index i < 16 is class i with no extra bits;
 * otherwise e = floor(log2 i) >= 4, m = the two bits below the top bit, and
 * the class is 16 + 4 (e - 4) + m with e - 2 extra bits (the rest of i). */
static inline unsigned trc_idx_class(uint32_t i, unsigned *nbits)
{
    if (i < 16) {
        *nbits = 0;
        return i;
    }
    unsigned e = 31u - (unsigned)__builtin_clz(i);
    *nbits = e - 2;
    return 16 + 4 * (e - 4) + ((i >> (e - 2)) & 3);
}

/* Number of classes for indices below TRC_DICT_MAX. */
#define TRC_NCLASSES (16 + 4 * (22 - 4))

static inline uint32_t trc_class_base(unsigned c, unsigned *nbits)
{
    if (c < 16) {
        *nbits = 0;
        return c;
    }
    unsigned e = 4 + (c - 16) / 4, m = (c - 16) & 3;
    *nbits = e - 2;
    return (uint32_t)(4 | m) << (e - 2);
}

/* next-access codes: d = next - record index (mod 2^64); NO_NEXT's d and 0
 * swap places so "no next access" costs one byte. */
static inline uint64_t trc_next_code(int64_t next, uint64_t idx)
{
    uint64_t d = (uint64_t)next - idx, dn = (uint64_t)TRACE_NO_NEXT - idx;
    if (d == dn)
        return 0;
    if (d == 0)
        return dn;
    return d;
}

static inline int64_t trc_next_decode(uint64_t code, uint64_t idx)
{
    uint64_t dn = (uint64_t)TRACE_NO_NEXT - idx, d = code;
    if (code == 0)
        d = dn;
    else if (code == dn)
        d = 0;
    return (int64_t)(idx + d);
}

/* ---- shared out-of-line helpers (traces/trace_common.c) ---- */

/* Quote up to n bytes of s for a message ("VMMTRACE", "\x00\x01..."). */
void trace_err_quote(char *out, size_t size, const uint8_t *s, size_t n);

/* Serialize h (version forced to TRACE_VERSION) into a mem_alloc'ed buffer
 * of *len bytes ending with its checksum. */
int trace_hdr_encode(const struct trace_header *h, uint8_t **buf, size_t *len,
                     const char *path, struct trace_err *err);
/* Largest header_len a reader accepts. */
size_t trace_hdr_max_len(void);
/* Parse a complete, checksum-verified header of len bytes into h, allocating
 * its tables with mem_calloc (free with trace_hdr_free). */
int trace_hdr_decode(const uint8_t *buf, size_t len, struct trace_header *h,
                     const char *path, struct trace_err *err);
void trace_hdr_free(struct trace_header *h);
/* Read and verify the header at the start of f (fsize bytes long): magic,
 * version, length, checksum, tables. *hlen gets its length. */
int trace_hdr_read(FILE *f, uint64_t fsize, const char *path, struct trace_header *h,
                   uint32_t *hlen, struct trace_err *err);

#endif
