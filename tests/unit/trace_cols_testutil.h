/* trace_cols_testutil: test support for the column reader's suites
 * (tests/unit/test_trace_cols.c, tests/unit/test_traceinfo_cols.c): random
 * multi-VM traces written in a fresh directory, their records and indices as
 * trace_read_ex gives them (the reference), a chunk's arrays, a chunk
 * checked against its records, and info counted from columns.
 *
 * Main data structure: struct colsfix, a trace file with its generated
 * records v[] and the reference got[]/ix[] (n each, one spare). Invariant:
 * got[] and ix[] are what trace_read_ex read back from path; colsfix_free
 * releases all of it and removes the directory.
 */
#ifndef VMMSIM_TRACE_COLS_TESTUTIL_H
#define VMMSIM_TRACE_COLS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/traceinfo.h"
#include "tests/testutil.h"
#include "tests/unit/trace_testutil.h"
#include "traces/trace.h"

#define CAP 8192

/* A fresh directory dir (64 bytes) and the trace path (size bytes) in it. */
static inline void tmppath(char *dir, char *path, size_t size)
{
    strcpy(dir, "/tmp/vmmsim-cols-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, size, "%s/t.vtr", dir);
}

/* Random records: 3 VMs x 4 pids switching often, every op (args where
 * they belong), time jumping back, sequential runs, hot and new pages. */
static inline struct trace_rec *gen(size_t n, uint64_t seed, uint32_t flags)
{
    struct trace_rec *v = calloc(n, sizeof *v);
    uint64_t s = seed, t = 5000, page = 9, hot[16];
    for (int i = 0; i < 16; i++)
        hot[i] = rnd(&s) >> (i % 3 * 20);
    uint16_t vm = 1;
    uint32_t pid = 2;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(&s);
        if (r % 23 == 0) {
            vm = (uint16_t)(rnd(&s) % 3);
            pid = (uint32_t)(rnd(&s) % 4 == 3 ? 4000000000u : rnd(&s) % 3);
        }
        switch ((r >> 8) % 5) {
        case 0: page++; break;
        case 1: break;
        case 2: page = hot[(r >> 16) % 16]; break;
        case 3: page = rnd(&s); break;
        default: page = (r >> 20) % 64; break;
        }
        t += (r >> 30) % 4 == 0 ? (uint64_t)-(int64_t)((r >> 40) % 300) : (r >> 32) % 3 * 100;
        unsigned op = (r >> 24) % 4 ? (unsigned)(r >> 26) % 2 : (unsigned)(rnd(&s) % TRACE_NOPS);
        v[i] = (struct trace_rec){.time = t, .page = page, .vm = vm, .pid = pid, .op = (uint8_t)op,
                                  .next = TRACE_NO_NEXT};
        if (op >= TRACE_FILE_READ)
            v[i].arg = rnd(&s) % 5000;
        if (flags & TRACE_F_SIZES)
            v[i].size = (uint32_t)(rnd(&s) % 9000);
        if ((flags & TRACE_F_NEXT) && r % 3)
            v[i].next = (int64_t)(i + 1 + r % 50);
    }
    return v;
}

static inline void write_recs(const char *path, uint32_t flags, const struct trace_rec *v, size_t n,
                              uint32_t block)
{
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .flags = flags};
    struct trace_writer *w;
    struct trace_err err = {{0}};
    ck_assert_msg(trace_writer_open(path, &h, &w, &err) == 0, "%s", err.msg);
    if (block)
        ck_assert_int_eq(trace_writer_set_block_records(w, block), 0);
    ck_assert_msg(trace_write(w, v, n, &err) == 0, "%s", err.msg);
    ck_assert_msg(trace_writer_close(w, &err) == 0, "%s", err.msg);
}

/* A chunk's arrays. */
struct cbuf {
    struct trace_cols c;
    uint8_t tag[CAP];
    uint16_t runvm[CAP];
    uint32_t ix[CAP], xrec[CAP], runstart[CAP], runpid[CAP];
    uint64_t xpage[CAP];
};

static inline ssize_t cread(struct trace_reader *r, struct cbuf *b, size_t n, struct trace_err *err)
{
    b->c = (struct trace_cols){.tag = b->tag, .ix = b->ix, .xrec = b->xrec, .xpage = b->xpage,
                               .runstart = b->runstart, .runvm = b->runvm, .runpid = b->runpid};
    return trace_cols_read(r, &b->c, n, err);
}

/* Check chunk c against its records w[] with indices ix[] (*seen: indices
 * appended before the chunk). (A chunk's first record repeating the page
 * before the chunk is taken on trust.) Check's assertions log each pass, so the
 * per-record comparisons only note the first mismatch. */
static inline void check_chunk(const struct trace_cols *c, const struct trace_rec *w,
                               const uint32_t *ix, uint32_t *seen)
{
    size_t k = 0, run = 0, bad = SIZE_MAX;
    uint64_t lo = UINT64_MAX, hi = 0;
    ck_assert_uint_ge(c->nruns, 1);
    ck_assert_uint_eq(c->runstart[0], 0);
    for (size_t i = 0; i < c->n && bad == SIZE_MAX; i++) {
        /* a page repeated by a zero delta takes the previous record's index */
        int again = ix[i] == UINT32_MAX && c->ix[i] != UINT32_MAX && (i || c->first) &&
                    (i == 0 || (c->ix[i] == c->ix[i - 1] && w[i].page == w[i - 1].page));
        if ((c->tag[i] & TRACE_COLS_OP) != w[i].op || (c->ix[i] != ix[i] && !again))
            bad = i;
        if (run + 1 < c->nruns && c->runstart[run + 1] == i) {
            run++;
            if (c->runvm[run] == c->runvm[run - 1] && c->runpid[run] == c->runpid[run - 1])
                bad = i; /* runs are maximal */
        }
        if (c->runvm[run] != w[i].vm || c->runpid[run] != w[i].pid)
            bad = i;
        int listed = !again && (c->ix[i] == UINT32_MAX || c->ix[i] == *seen); /* not a lookup */
        if (c->ix[i] == *seen)
            ++*seen;
        if (listed && (k >= c->nx || c->xrec[k] != i || c->xpage[k++] != w[i].page))
            bad = i;
        lo = w[i].time < lo ? w[i].time : lo;
        hi = w[i].time > hi ? w[i].time : hi;
    }
    ck_assert_msg(bad == SIZE_MAX, "record %zu of the chunk at %llu differs", bad,
                  (unsigned long long)c->first);
    ck_assert_uint_eq(run + 1, c->nruns);
    ck_assert_uint_eq(k, c->nx);
    ck_assert_uint_eq(c->time_first, w[0].time);
    ck_assert_uint_eq(c->time_last, w[c->n - 1].time);
    ck_assert_uint_eq(c->time_min, lo);
    ck_assert_uint_eq(c->time_max, hi);
}

/* The records and indices of path, read with trace_read_ex. */
static inline void reference(const char *path, size_t n, struct trace_rec *v, uint32_t *ix)
{
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(trace_read_ex(r, v, ix, 0, n + 1, &err), (ssize_t)n);
    trace_reader_close(r);
}

/* Records equal field by field, pad included. */
static inline int rec_eq(const struct trace_rec *a, const struct trace_rec *b)
{
    return a->time == b->time && a->page == b->page && a->arg == b->arg && a->next == b->next &&
           a->pid == b->pid && a->size == b->size && a->vm == b->vm && a->op == b->op &&
           a->pad == b->pad;
}

/* A trace of n random records (seed, flags) in blocks of block (0: the
 * default) in a fresh directory, read back for reference. */
struct colsfix {
    char dir[64], path[96];
    size_t n;
    struct trace_rec *v, *got;
    uint32_t *ix;
};

static inline void colsfix_make(struct colsfix *f, size_t n, uint64_t seed, uint32_t flags,
                                uint32_t block)
{
    tmppath(f->dir, f->path, sizeof f->path);
    f->n = n;
    f->v = gen(n, seed, flags);
    f->got = calloc(n + 1, sizeof *f->got);
    f->ix = calloc(n + 1, sizeof *f->ix);
    write_recs(f->path, flags, f->v, n, block);
    reference(f->path, n, f->got, f->ix);
}

static inline void colsfix_free(struct colsfix *f)
{
    free(f->v);
    free(f->got);
    free(f->ix);
    test_rmdir_flat(f->dir);
}

/* Info over path from columns read in chunks of chunk. */
static inline void info_cols(const char *path, size_t chunk, struct traceinfo *ti)
{
    struct cbuf *b = malloc(sizeof *b);
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(traceinfo_begin(ti), 0);
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ssize_t k;
    while ((k = cread(r, b, chunk, &err)) > 0)
        ck_assert_int_eq(traceinfo_add_cols(ti, &b->c), 0);
    ck_assert_int_eq(k, 0);
    trace_reader_close(r);
    ck_assert_int_eq(traceinfo_end(ti), 0);
    free(b);
}

#endif
