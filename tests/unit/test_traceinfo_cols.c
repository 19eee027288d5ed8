/* test_traceinfo_cols: what `trace info` builds on the column reader:
 * blocks loaded, checksummed and decompressed ahead in a second thread
 * (trace_reader_prefetch), and the counts taken from columns
 * (traceinfo_add_cols, sim/traceinfo_cols.c).
 *
 * Prefetching must give the same records and chunks as reading in place,
 * across rewinds, refuse to start after the first read, and free its
 * buffers with the reader; info counts from columns equal traceinfo_add's
 * from records on a random trace, and hand-built index sequences (a page
 * appended to the dictionary twice) give counts worked out by hand.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/traceinfo.h"
#include "tests/testutil.h"
#include "tests/unit/trace_cols_testutil.h"
#include "traces/trace.h"

/* ---- prefetching ---- */

/* Records, chunks and rewinds are the same with blocks loaded in a second
 * thread; its buffers go with the reader. */
START_TEST(test_prefetch_same_records)
{
    size_t n = 12000;
    uint32_t seen = 0;
    struct colsfix f;
    colsfix_make(&f, n, 41, TRACE_F_SIZES | TRACE_F_NEXT, 700);
    const char *path = f.path;
    uint64_t before = mem_in_use();
    struct trace_reader *r;
    struct trace_err err;
    struct trace_rec buf[333];
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(trace_reader_prefetch(r, &err), 0);
    ck_assert_int_eq(trace_reader_prefetch(r, &err), 0); /* once is enough */
    size_t total = 0, diff = SIZE_MAX;
    for (ssize_t k; (k = trace_read(r, buf, 333, &err)) > 0; total += (size_t)k)
        for (ssize_t i = 0; i < k && diff == SIZE_MAX; i++)
            if (!rec_eq(&buf[i], &f.got[total + (size_t)i]))
                diff = total + (size_t)i;
    ck_assert_msg(diff == SIZE_MAX, "record %zu differs", diff);
    ck_assert_uint_eq(total, n);
    ck_assert_uint_eq(trace_reader_blocks(r), (n + 699) / 700);
    /* rewound twice (once mid-trace): still prefetching, the same chunks */
    struct cbuf *b = malloc(sizeof *b);
    ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
    ck_assert_int_eq(cread(r, b, 1000, &err), 700);
    ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
    total = 0;
    for (ssize_t k; (k = cread(r, b, 1000, &err)) > 0; total += (size_t)k)
        check_chunk(&b->c, f.got + b->c.first, f.ix + b->c.first, &seen);
    ck_assert_uint_eq(total, n);
    trace_reader_close(r);
    ck_assert_uint_eq(mem_in_use(), before);
    /* only before the first read */
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(trace_read(r, buf, 1, &err), 1);
    ck_assert_int_eq(trace_reader_prefetch(r, &err), -EINVAL);
    char want[200];
    snprintf(want, sizeof want, "%s: prefetching must start before the first read", path);
    ck_assert_str_eq(err.msg, want);
    trace_reader_close(r);
    ck_assert_uint_eq(mem_in_use(), before);
    free(b);
    colsfix_free(&f);
}
END_TEST

/* ---- info ---- */

static void count_eq(const struct traceinfo_count *a, const struct traceinfo_count *b)
{
    ck_assert_uint_eq(a->vm, b->vm);
    ck_assert_uint_eq(a->pid, b->pid);
    ck_assert_uint_eq(a->records, b->records);
    ck_assert_uint_eq(a->reads, b->reads);
    ck_assert_uint_eq(a->writes, b->writes);
    ck_assert_uint_eq(a->pages, b->pages);
}

/* The counts from columns equal traceinfo_add's from records. */
START_TEST(test_cols_info_like_records)
{
    char dir[64], path[96];
    tmppath(dir, path, sizeof path);
    size_t n = 30000;
    struct trace_rec *v = gen(n, 17, 0);
    write_recs(path, 0, v, n, 2000);
    struct traceinfo a, b;
    ck_assert_int_eq(traceinfo_begin(&a), 0);
    ck_assert_int_eq(traceinfo_add(&a, v, n), 0);
    ck_assert_int_eq(traceinfo_end(&a), 0);
    info_cols(path, 777, &b);
    ck_assert_uint_eq(a.records, b.records);
    ck_assert_uint_eq(a.first_time, b.first_time);
    ck_assert_uint_eq(a.last_time, b.last_time);
    ck_assert_uint_eq(a.min_time, b.min_time);
    ck_assert_uint_eq(a.max_time, b.max_time);
    for (int op = 0; op <= TRACE_NOPS; op++)
        ck_assert_uint_eq(a.ops[op], b.ops[op]);
    ck_assert_uint_eq(a.pages, b.pages);
    ck_assert_uint_eq(a.nvms, 3);
    ck_assert_uint_eq(a.nvms, b.nvms);
    ck_assert_uint_eq(a.nprocs, b.nprocs);
    ck_assert_uint_ge(a.nprocs, 9);
    for (uint32_t i = 0; i < a.nvms; i++)
        count_eq(&a.vms[i], &b.vms[i]);
    for (uint32_t i = 0; i < a.nprocs; i++)
        count_eq(&a.procs[i], &b.procs[i]);
    traceinfo_free(&a);
    traceinfo_free(&b);
    free(v);
    test_rmdir_flat(dir);
}
END_TEST

/* A page appended twice (legal, though this writer never does it): found
 * at the end when every record had an index, or when the first record
 * without one arrives; the later index's marks then count as the first's. */
START_TEST(test_info_page_appended_twice)
{
#define R(vm_, pid_, page_) {.page = page_, .vm = vm_, .pid = pid_, .next = TRACE_NO_NEXT}
    const struct trace_rec a[4] = {R(0, 1, 0x50), R(0, 2, 0x50), R(0, 1, 0x60), R(1, 1, 999)};
    const uint32_t aix[4] = {0, 1, 2, 1};
    struct traceinfo ti;
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, a, aix, 4), 0);
    ck_assert_int_eq(traceinfo_end(&ti), 0);
    ck_assert_uint_eq(ti.nprocs, 3);
    ck_assert_uint_eq(ti.procs[0].pages, 2); /* (0, 1): 0x50, 0x60 */
    ck_assert_uint_eq(ti.procs[1].pages, 1); /* (0, 2): 0x50 */
    ck_assert_uint_eq(ti.procs[2].pages, 1); /* (1, 1): 0x50 by index 1 */
    ck_assert_uint_eq(ti.vms[0].pages, 2);
    ck_assert_uint_eq(ti.vms[1].pages, 1);
    ck_assert_uint_eq(ti.pages, 3);
    traceinfo_free(&ti);
    /* a record without an index (DOLD) after the duplicate, then more */
    const struct trace_rec b[6] = {R(0, 1, 0x50), R(0, 1, 0x50), R(0, 2, 0x50),
                                   R(0, 2, 0x70), R(0, 1, 999), R(0, 1, 0x80)};
    const uint32_t bix[6] = {0, 1, UINT32_MAX, UINT32_MAX, 1, 2};
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, b, bix, 3), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, b + 3, bix + 3, 3), 0);
    ck_assert_int_eq(traceinfo_end(&ti), 0);
    ck_assert_uint_eq(ti.procs[0].pages, 2); /* (0, 1): 0x50, 0x80 */
    ck_assert_uint_eq(ti.procs[1].pages, 2); /* (0, 2): 0x50, 0x70 */
    ck_assert_uint_eq(ti.pages, 3);
    traceinfo_free(&ti);
#undef R
}
END_TEST

/* One process: an IDLE record brings page 0x90 into the dictionary without
 * naming it as a reference; later, in another chunk with no IDLE record,
 * a read of 0x90 (a dictionary index by then) must count it. Footprint:
 * 0x90 and 0x10. */
START_TEST(test_info_idle_appended_page)
{
    enum { N = 3000 };
    char path[64];
    snprintf(path, sizeof path, "/tmp/vmmsim-idleix-%d.vtr", (int)getpid());
    struct trace_rec *v = calloc(N, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < N; i++)
        v[i] = (struct trace_rec){.op = TRACE_READ, .page = 0x10, .pid = 1, .next = TRACE_NO_NEXT};
    v[0].op = TRACE_IDLE;
    v[0].page = 0x90;
    v[0].arg = 5;
    v[N - 1].page = 0x90;
    write_recs(path, 0, v, N, 0);
    for (size_t chunk = 100; chunk <= 4000; chunk *= 40) {
        struct traceinfo ti;
        info_cols(path, chunk, &ti);
        ck_assert_uint_eq(ti.nprocs, 1);
        ck_assert_uint_eq(ti.procs[0].records, N);
        ck_assert_uint_eq(ti.procs[0].reads, N - 1);
        ck_assert_uint_eq(ti.procs[0].pages, 2);
        ck_assert_uint_eq(ti.pages, 2);
        traceinfo_free(&ti);
    }
    unlink(path);
    free(v);
}
END_TEST

Suite *suite_traceinfo_cols(void)
{
    Suite *s = suite_create("traceinfo_cols");
    TCase *tc = tcase_create("cols");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cols_info_like_records);
    tcase_add_test(tc, test_info_page_appended_twice);
    tcase_add_test(tc, test_info_idle_appended_page);
    tcase_add_test(tc, test_prefetch_same_records);
    suite_add_tcase(s, tc);
    return s;
}
