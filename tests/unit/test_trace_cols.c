/* test_trace_cols: column-level reading of native traces (trace_cols_read,
 * traces/trace_cols.c).
 *
 * Chunks are compared field by field with trace_read_ex over random
 * multi-VM, multi-process traces (every op, time going back, sizes, next
 * codes, several block and chunk sizes, mixed with trace_read); hand-built
 * blocks give exact indices, page lists, runs and times; damage gives the
 * same messages as trace_read_ex reading the same chunks (hand-built
 * defects, a block with two defects, mutations, truncation), also with
 * blocks loaded in a second thread (trace_reader_prefetch); the page
 * dictionary overflowing its 2^22 entries. Prefetching's records and info's
 * counts from columns are in tests/unit/test_traceinfo_cols.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/traceinfo.h"
#include "tests/testutil.h"
#include "tests/unit/trace_cols_testutil.h"
#include "traces/trace.h"

/* ---- chunks against records ---- */

static const struct {
    uint32_t flags, block;
    size_t chunk;
} combos[] = {
    {TRACE_F_SIZES | TRACE_F_NEXT, 1000, 1}, {0, 1000, 7},        {TRACE_F_SIZES, 0, 4096},
    {TRACE_F_NEXT, 333, 8192},              {0, 64, 100},         {TRACE_F_SIZES, 5000, 1024},
};

START_TEST(test_cols_match_records)
{
    size_t n = 20000, chunk = combos[_i].chunk;
    uint32_t block = combos[_i].block ? combos[_i].block : 65536, seen = 0;
    struct colsfix f;
    colsfix_make(&f, n, 100 + (uint64_t)_i, combos[_i].flags, combos[_i].block);
    struct cbuf *b = malloc(sizeof *b);
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(f.path, &r, &err), 0);
    size_t total = 0;
    ssize_t k;
    while ((k = cread(r, b, chunk, &err)) > 0) {
        size_t want = chunk - total % chunk, left = block - total % block;
        left = left < n - total ? left : n - total;
        want = want < left ? want : left;
        ck_assert_uint_eq((size_t)k, want); /* trace_read_ex's chunks */
        ck_assert_uint_eq(b->c.first, total);
        check_chunk(&b->c, f.got + b->c.first, f.ix + b->c.first, &seen);
        total += (size_t)k;
    }
    ck_assert_int_eq(k, 0);
    ck_assert_uint_eq(total, n);
    ck_assert_int_eq(cread(r, b, chunk, &err), 0); /* the end stays */
    ck_assert_uint_eq(trace_reader_records(r), n);
    ck_assert_uint_eq(trace_reader_blocks(r), (n + block - 1) / block);
    trace_reader_close(r);
    free(b);
    colsfix_free(&f);
}
END_TEST

/* trace_read, then columns, then rewind and columns from the start. */
START_TEST(test_cols_mixed_with_records)
{
    size_t n = 6000;
    uint32_t seen = 0;
    struct colsfix f;
    colsfix_make(&f, n, 7, TRACE_F_SIZES, 1000);
    const struct trace_rec *got = f.got;
    const uint32_t *ix = f.ix;
    struct cbuf *b = malloc(sizeof *b);
    struct trace_rec head[1234];
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(f.path, &r, &err), 0);
    ck_assert_int_eq(trace_read(r, head, 1234, &err), 1234);
    for (uint32_t i = 0; i < 1234; i++)
        seen += ix[i] == seen;
    size_t total = 1234;
    for (ssize_t k; (k = cread(r, b, 500, &err)) > 0; total += (size_t)k)
        check_chunk(&b->c, got + b->c.first, ix + b->c.first, &seen);
    ck_assert_uint_eq(total, n);
    ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
    seen = 0;
    total = 0;
    for (ssize_t k; (k = cread(r, b, 3000, &err)) > 0; total += (size_t)k)
        check_chunk(&b->c, got + b->c.first, ix + b->c.first, &seen);
    ck_assert_uint_eq(total, n);
    /* columns, then records from the middle of a block on */
    ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
    ck_assert_int_eq(cread(r, b, 777, &err), 777);
    ck_assert_int_eq(cread(r, b, 777, &err), 223);
    ck_assert_int_eq(cread(r, b, 777, &err), 777 - 223);
    size_t diff = SIZE_MAX;
    for (ssize_t k; (k = trace_read(r, head, 1234, &err)) > 0; total += (size_t)k)
        for (ssize_t i = 0; i < k && diff == SIZE_MAX; i++)
            if (!rec_eq(&head[i], &got[total - n + 777 * 2 + (size_t)i]))
                diff = total - n + 777 * 2 + (size_t)i;
    ck_assert_msg(diff == SIZE_MAX, "record %zu differs", diff);
    ck_assert_uint_eq(total, 2 * n - 777 * 2);
    trace_reader_close(r);
    free(b);
    colsfix_free(&f);
}
END_TEST

/* ---- hand-built blocks (craft, tests/unit/trace_testutil.h) ---- */

/* FORMAT.md's worked example: DNEW 0x10 (index 0), LIT (index 1), DOLD (no
 * index), DICT 0 with a file-read arg. */
START_TEST(test_cols_worked_example)
{
    char dir[64], path[96];
    tmppath(dir, path, sizeof path);
    const uint8_t *tag = worked_example_tags();
    craft_worked_example(path);
    struct cbuf *b = malloc(sizeof *b);
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(cread(r, b, 100, &err), 4);
    const uint32_t ix[4] = {0, 1, 1, 0}; /* record 2 repeats record 1's page: DOLD +0 */
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(b->c.tag[i], tag[i]);
        ck_assert_uint_eq(b->c.ix[i], ix[i]);
    }
    ck_assert_uint_eq(b->c.nx, 2);
    ck_assert_uint_eq(b->c.xrec[1], 1);
    ck_assert_uint_eq(b->c.xpage[0], 0x10);
    ck_assert_uint_eq(b->c.xpage[1], UINT64_C(0x9e3779b97f4a7c15));
    ck_assert_uint_eq(b->c.nruns, 1);
    ck_assert_uint_eq(b->c.runvm[0], 0);
    ck_assert_uint_eq(b->c.runpid[0], 1);
    ck_assert_uint_eq(b->c.time_first, 1000);
    ck_assert_uint_eq(b->c.time_last, 2000);
    ck_assert_uint_eq(b->c.time_min, 1000);
    ck_assert_uint_eq(b->c.time_max, 2000);
    ck_assert_int_eq(cread(r, b, 100, &err), 0);
    trace_reader_close(r);
    /* in chunks of 2, record 2 opens a chunk: it takes the index of the
     * chunk before's last record, but not after records were read */
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(cread(r, b, 2, &err), 2);
    ck_assert_int_eq(cread(r, b, 2, &err), 2);
    ck_assert_uint_eq(b->c.ix[0], 1);
    ck_assert_uint_eq(b->c.nx, 0);
    ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
    struct trace_rec two[2];
    ck_assert_int_eq(trace_read(r, two, 2, &err), 2);
    ck_assert_int_eq(cread(r, b, 2, &err), 2);
    ck_assert_uint_eq(b->c.ix[0], UINT32_MAX);
    ck_assert_uint_eq(b->c.ix[1], 0);
    ck_assert_uint_eq(b->c.nx, 1);
    ck_assert_uint_eq(b->c.xpage[0], UINT64_C(0x9e3779b97f4a7c15));
    trace_reader_close(r);
    /* LIT 0x20 (index 0), DNEW +0 = 0x20 again (index 1), DICT 1, DOLD +1
     * (needs dict[1]); contexts (1, 5), (1, 5) again, (2, 5), (2, 5) */
    static const uint8_t tag2[] = {0x60, 0xa0, 0x20, 0xe0}, lit2[] = {0x20, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t icls2[] = {0x01}, delta2[] = {0x00, 0x02};
    static const uint8_t ctx2[] = {1, 5, 1, 5, 2, 5, 2, 5};
    const uint8_t *col2[10] = {tag2, ctx2, NULL, icls2, NULL, lit2, delta2};
    size_t len2[10] = {4, 8, 0, 1, 0, 8, 2};
    craft(path, 0, 4, col2, len2);
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(cread(r, b, 4, &err), 4);
    const uint32_t ix2[4] = {0, 1, 1, UINT32_MAX};
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(b->c.ix[i], ix2[i]);
    ck_assert_uint_eq(b->c.nx, 3);
    ck_assert_uint_eq(b->c.xrec[2], 3);
    ck_assert_uint_eq(b->c.xpage[1], 0x20);
    ck_assert_uint_eq(b->c.xpage[2], 0x21);
    ck_assert_uint_eq(b->c.nruns, 2); /* (1, 5) restated is the same run */
    ck_assert_uint_eq(b->c.runstart[1], 2);
    ck_assert_uint_eq(b->c.runvm[1], 2);
    ck_assert_uint_eq(b->c.time_max, 0);
    trace_reader_close(r);
    /* info over it: one page (0x20 twice in the dictionary) for (1, 5),
     * 0x20 and 0x21 for (2, 5) */
    struct traceinfo ti;
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(cread(r, b, 4, &err), 4);
    ck_assert_int_eq(traceinfo_add_cols(&ti, &b->c), 0);
    trace_reader_close(r);
    ck_assert_int_eq(traceinfo_end(&ti), 0);
    ck_assert_uint_eq(ti.nprocs, 2);
    ck_assert_uint_eq(ti.procs[0].pages, 1);
    ck_assert_uint_eq(ti.procs[1].pages, 2);
    ck_assert_uint_eq(ti.pages, 3);
    traceinfo_free(&ti);
    free(b);
    test_rmdir_flat(dir);
}
END_TEST

/* ---- damage: the messages of trace_read_ex reading the same chunks ---- */

/* Read path to its end both ways in chunks of n; the outcomes must match
 * (and equal want unless NULL). Returns the records the columns gave. */
static size_t same_error(const char *path, size_t n, int code, const char *want)
{
    struct cbuf *b = malloc(sizeof *b);
    struct trace_rec *buf = malloc(n * sizeof *buf);
    struct trace_reader *r, *q, *pf;
    struct trace_err e1 = {{0}}, e2 = {{0}}, e3 = {{0}}, again;
    ck_assert_int_eq(trace_reader_open(path, &r, &e1), 0);
    ck_assert_int_eq(trace_reader_open(path, &q, &e2), 0);
    ck_assert_int_eq(trace_reader_open(path, &pf, &e3), 0);
    ck_assert_int_eq(trace_reader_prefetch(pf, &e3), 0);
    ssize_t k1, k2, k3;
    size_t total = 0, total3 = 0;
    while ((k1 = cread(r, b, n, &e1)) > 0)
        total += (size_t)k1;
    while ((k2 = trace_read_ex(q, buf, NULL, 0, n, &e2)) > 0)
        ;
    while ((k3 = cread(pf, b, n, &e3)) > 0) /* blocks loaded by the second thread */
        total3 += (size_t)k3;
    ck_assert_int_eq(k1, k2);
    ck_assert_int_eq(k1, k3);
    ck_assert_uint_eq(total, total3);
    ck_assert_int_eq(k1, code);
    if (k1 < 0) {
        ck_assert_str_eq(e1.msg, e2.msg);
        ck_assert_str_eq(e1.msg, e3.msg);
        ck_assert_int_eq(cread(r, b, n, &again), k1); /* the error sticks */
        ck_assert_str_eq(again.msg, e1.msg);
    }
    if (want)
        ck_assert_str_eq(e1.msg, want);
    trace_reader_close(r);
    trace_reader_close(q);
    trace_reader_close(pf);
    free(b);
    free(buf);
    return total;
}

START_TEST(test_cols_bad_encoding)
{
    char dir[64], path[96], want[512];
    tmppath(dir, path, sizeof path);
    static const uint8_t d0[] = {0x00}, t80[] = {0x80}, c88[] = {88}, c5[] = {0x05};
    static const uint8_t lit[16] = {0x10};
#define CRAFT(flags, nrec, ...)                                                                \
    do {                                                                                       \
        const uint8_t *col_[10] = {__VA_ARGS__};                                               \
        blk = craft(path, flags, nrec, col_, len);                                             \
    } while (0)
    size_t blk;
    { /* record 0 looks up index 5 of an empty dictionary */
        static const uint8_t tag[] = {0x30};
        size_t len[10] = {1, 0, 0, 1};
        CRAFT(0, 1, tag, NULL, NULL, c5);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
                 "block: dictionary index 5 out of range (the dictionary has 0 entries)", path, blk);
        same_error(path, 8, -EILSEQ, want);
    }
    { /* index class 88 */
        static const uint8_t tag[] = {0x70, 0x30};
        size_t len[10] = {2, 0, 0, 1, 0, 8};
        CRAFT(0, 2, tag, NULL, NULL, c88, NULL, lit);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 1 of the "
                 "block: index class 88 out of range", path, blk);
        same_error(path, 8, -EILSEQ, want);
    }
    { /* time varint running past its column; op 9 */
        static const uint8_t tag[] = {0xd0}, tag9[] = {0x39};
        size_t len[10] = {1, 0, 1, 0, 0, 0, 1};
        CRAFT(0, 1, tag, NULL, t80, NULL, NULL, NULL, d0);
        same_error(path, 8, -EILSEQ, NULL);
        len[2] = 0;
        CRAFT(0, 1, tag9, NULL, NULL, NULL, NULL, NULL, d0);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
                 "block: op 9 out of range", path, blk);
        same_error(path, 8, -EILSEQ, want);
    }
    { /* a literal cut short; a file-read without its arg */
        static const uint8_t tag[] = {0x70, 0x70}, tag4[] = {0x74};
        size_t len[10] = {2, 0, 0, 0, 0, 12};
        CRAFT(0, 2, tag, NULL, NULL, NULL, NULL, lit);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 1 of the "
                 "block: page column overrun", path, blk);
        same_error(path, 8, -EILSEQ, want);
        len[0] = 1, len[5] = 8;
        CRAFT(0, 1, tag4, NULL, NULL, NULL, NULL, lit);
        same_error(path, 8, -EILSEQ, NULL);
    }
    { /* a size beyond 32 bits; a next code running past its column */
        static const uint8_t tag[] = {0x70}, sz[] = {0x80, 0x80, 0x80, 0x80, 0x40};
        size_t len[10] = {1, 0, 0, 0, 0, 8, 0, 0, 5, 0};
        CRAFT(TRACE_F_SIZES, 1, tag, NULL, NULL, NULL, NULL, lit, NULL, NULL, sz);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
                 "block: size 8589934592 out of range", path, blk);
        same_error(path, 8, -EILSEQ, want);
        size_t len2[10] = {1, 0, 0, 0, 0, 8, 0, 0, 0, 1};
        memcpy(len, len2, sizeof len);
        CRAFT(TRACE_F_NEXT, 1, tag, NULL, NULL, NULL, NULL, lit, NULL, NULL, NULL, t80);
        same_error(path, 8, -EILSEQ, NULL);
    }
    { /* a delta byte left over: the chunk first, then the error */
        static const uint8_t tag[] = {0x70}, dd[] = {0x00};
        size_t len[10] = {1, 0, 0, 0, 0, 8, 1};
        CRAFT(0, 1, tag, NULL, NULL, NULL, NULL, lit, dd);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: delta column: 1 "
                 "bytes left after the last record", path, blk);
        ck_assert_uint_eq(same_error(path, 8, -EILSEQ, want), 1);
    }
    { /* two defects: vm 70000 at record 1, op 9 at record 2; which one is
       * reported depends on the chunks, as with trace_read_ex */
        static const uint8_t tag[] = {0x60, 0x60, 0xf9}, ctx[] = {0, 0, 0xf0, 0xa2, 0x04, 0};
        size_t len[10] = {3, 6, 0, 0, 0, 16, 1};
        CRAFT(0, 3, tag, ctx, NULL, NULL, NULL, lit, d0);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 2 of the "
                 "block: op 9 out of range", path, blk);
        same_error(path, 8, -EILSEQ, want);
        snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 1 of the "
                 "block: vm 70000 out of range", path, blk);
        same_error(path, 2, -EILSEQ, want);
    }
#undef CRAFT
    test_rmdir_flat(dir);
}
END_TEST

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* Damaged blocks (checksums repaired, or not) give trace_read_ex's
 * messages, chunk for chunk. */
START_TEST(test_cols_damage_like_records)
{
    char dir[64], path[96];
    tmppath(dir, path, sizeof path);
    struct trace_rec *v = gen(600, 3, TRACE_F_SIZES | TRACE_F_NEXT);
    write_recs(path, TRACE_F_SIZES | TRACE_F_NEXT, v, 600, 100);
    free(v);
    size_t n;
    uint8_t *x = slurp(path, &n), *b = malloc(n);
    uint64_t s = 99;
    int bad = 0, rounds = test_quick() ? 150 : 1500;
    for (int i = 0; i < rounds; i++) {
        memcpy(b, x, n);
        size_t at = 44 + (size_t)(rnd(&s) % (n - 44 - 32));
        b[at] ^= (uint8_t)(1u << rnd(&s) % 8);
        if (i % 3)
            b[44 + rnd(&s) % (n - 44 - 32)] = (uint8_t)rnd(&s);
        if (i % 5)
            fix_checksums(b, n);
        spit(path, b, i % 11 == 0 ? at : n); /* some cut short */
        struct trace_reader *r;
        struct trace_err err;
        ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
        struct trace_rec buf[64];
        ssize_t k;
        while ((k = trace_read_ex(r, buf, NULL, 0, 64, &err)) > 0)
            ;
        trace_reader_close(r);
        bad += k < 0;
        same_error(path, 64, (int)k, NULL);
        if (i % 7 == 0)
            same_error(path, 1 + i % 13, (int)k, NULL);
    }
    ck_assert_int_gt(bad, rounds / 2);
    free(x);
    free(b);
    test_rmdir_flat(dir);
}
END_TEST

/* Past 2^22 distinct pages the dictionary is full: new pages come without
 * an index (listed with their pages), older ones are still looked up. */
START_TEST(test_cols_dict_overflow)
{
    if (test_quick())
        return;
    char dir[64], path[96];
    tmppath(dir, path, sizeof path);
    const size_t full = (size_t)1 << 22, extra = 3000, again = 4000, n = full + extra + again;
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    struct trace_writer *w;
    struct trace_err err = {{0}};
    ck_assert_int_eq(trace_writer_open(path, &h, &w, &err), 0);
    struct trace_rec *v = calloc(65536, sizeof *v);
    uint64_t s = 5;
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 65536 ? n - i : 65536;
        for (size_t j = 0; j < k; j++, i++) {
            uint64_t p = i < full + extra ? 3 * i + 1 : 3 * (rnd(&s) % (full + extra)) + 1;
            v[j] = (struct trace_rec){.time = i, .page = p, .op = (uint8_t)(i % 2),
                                      .next = TRACE_NO_NEXT};
        }
        ck_assert_int_eq(trace_write(w, v, k, &err), 0);
    }
    free(v);
    ck_assert_int_eq(trace_writer_close(w, &err), 0);
    /* columns against records, chunk for chunk */
    struct cbuf *b = malloc(sizeof *b);
    struct trace_rec *rec = malloc(CAP * sizeof *rec);
    uint32_t *ix = malloc(CAP * sizeof *ix), seen = 0;
    struct trace_reader *r, *q;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(trace_reader_open(path, &q, &err), 0);
    size_t total = 0, noix = 0;
    for (ssize_t k; (k = cread(r, b, CAP, &err)) > 0; total += (size_t)k) {
        ck_assert_int_eq(trace_read_ex(q, rec, ix, 0, CAP, &err), k);
        check_chunk(&b->c, rec, ix, &seen);
        for (ssize_t i = 0; i < k; i++)
            noix += ix[i] == UINT32_MAX;
    }
    ck_assert_uint_eq(total, n);
    ck_assert_uint_eq(seen, full);
    ck_assert_uint_ge(noix, extra); /* and re-references of those pages */
    trace_reader_close(r);
    trace_reader_close(q);
    free(b);
    free(rec);
    free(ix);
    struct traceinfo ti;
    info_cols(path, CAP, &ti);
    ck_assert_uint_eq(ti.pages, full + extra);
    ck_assert_uint_eq(ti.ops[TRACE_READ] + ti.ops[TRACE_WRITE], n);
    ck_assert_uint_eq(ti.max_time, n - 1);
    traceinfo_free(&ti);
    test_rmdir_flat(dir);
}
END_TEST

Suite *suite_trace_cols(void)
{
    Suite *s = suite_create("trace_cols");
    TCase *tc = tcase_create("cols");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_cols_match_records, 0, (int)(sizeof combos / sizeof *combos));
    tcase_add_test(tc, test_cols_mixed_with_records);
    tcase_add_test(tc, test_cols_worked_example);
    tcase_add_test(tc, test_cols_bad_encoding);
    tcase_add_test(tc, test_cols_damage_like_records);
    tcase_add_test(tc, test_cols_dict_overflow);
    suite_add_tcase(s, tc);
    return s;
}
