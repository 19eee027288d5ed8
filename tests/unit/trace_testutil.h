/* trace_testutil: byte-level test support for the native trace format
 * (traces/FORMAT.md), shared by tests/unit/test_trace.c and the column
 * reader's tests: a seeded generator, little-endian byte access, writing a
 * file whole, a one-block trace built by hand from raw columns (and
 * FORMAT.md's worked example so built), and block checksums recomputed
 * after damage.
 *
 * Everything is static inline and touches only what it is given; the
 * hand-built traces follow FORMAT.md, not the writer, so that the tests
 * check the reader against the specification.
 */
#ifndef VMMSIM_TRACE_TESTUTIL_H
#define VMMSIM_TRACE_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

static inline uint64_t rnd(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint32_t g32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void p32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void p64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void spit(const char *path, const uint8_t *b, size_t n)
{
    unlink(path); /* truncating in place makes ext4 flush on close: slow */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Write a one-block trace (no tables) of the given flags whose ten raw
 * columns col[c] of len[c] bytes are given, as FORMAT.md lays it out;
 * returns the block's offset. */
static inline size_t craft(const char *path, uint32_t flags, uint32_t nrec,
                           const uint8_t *const *col, const size_t *len)
{
    uint8_t b[4096] = {0};
    memcpy(b, "VMMTRACE", 8);
    p32(b + 8, 1);
    p32(b + 12, 44);
    p32(b + 16, 4096);
    p32(b + 20, flags);
    p64(b + 36, XXH3_64bits(b, 36));
    size_t blk = 44, o = blk + 32 + 80, raw = 0;
    for (int c = 0; c < 10; c++) {
        size_t z = len[c] ? ZSTD_compress(b + o, sizeof b - o, col[c], len[c], 3) : 0;
        ck_assert(!ZSTD_isError(z));
        p32(b + blk + 32 + 8 * c, (uint32_t)len[c]);
        p32(b + blk + 32 + 8 * c + 4, (uint32_t)z);
        o += z;
        raw += len[c];
    }
    memcpy(b + blk, "VTBK", 4);
    p32(b + blk + 4, nrec);
    p32(b + blk + 8, (uint32_t)(o - blk - 32));
    p32(b + blk + 12, (uint32_t)raw);
    p64(b + blk + 16, XXH3_64bits(b + blk + 32, o - blk - 32));
    p64(b + blk + 24, XXH3_64bits_withSeed(b + blk, 24, 0));
    memcpy(b + o, "VTND", 4);
    p32(b + o + 4, 1);
    p64(b + o + 8, nrec);
    p64(b + o + 24, XXH3_64bits_withSeed(b + o, 24, 1));
    spit(path, b, o + 32);
    return blk;
}

/* The tag column of FORMAT.md section 4's worked example. */
static inline const uint8_t *worked_example_tags(void)
{
    static const uint8_t tag[] = {0x80, 0x71, 0xd0, 0x34};
    return tag;
}

/* Write FORMAT.md section 4's worked example, four records of flags 0:
 * DNEW 0x10 (index 0), LIT (index 1), DOLD (no index), DICT 0 with a
 * file-read arg. Returns the block's offset. */
static inline size_t craft_worked_example(const char *path)
{
    static const uint8_t ctx[] = {0x00, 0x01}, tim[] = {0xd0, 0x0f, 0x00}, icls[] = {0x00};
    static const uint8_t lit[] = {0x15, 0x7c, 0x4a, 0x7f, 0xb9, 0x79, 0x37, 0x9e};
    static const uint8_t delta[] = {0x20, 0x00}, arg[] = {0xac, 0x02};
    const uint8_t *col[10] = {worked_example_tags(), ctx, tim, icls, NULL, lit, delta, arg};
    size_t len[10] = {4, 2, 3, 1, 0, 8, 2, 2, 0, 0};
    return craft(path, 0, 4, col, len);
}

/* Recompute every block's checksums so damage reaches the decoder. */
static inline void fix_checksums(uint8_t *b, size_t n)
{
    size_t o = g32(b + 12);
    for (uint64_t k = 0; o + 32 <= n && memcmp(b + o, "VTBK", 4) == 0; k++) {
        size_t pl = g32(b + o + 8);
        if (pl > n - o - 32)
            return;
        p64(b + o + 16, XXH3_64bits(b + o + 32, pl));
        p64(b + o + 24, XXH3_64bits_withSeed(b + o, 24, k));
        o += 32 + pl;
    }
}

#endif
