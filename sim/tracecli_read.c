/* tracecli_read: the trace commands that only read: `trace info`, `trace
 * head`, `trace verify`.
 *
 * Main data structure: struct src, one opened input trace: the native
 * reader (which also knows blocks) when the file is a vmmsim trace or
 * nothing else matches (so a damaged native file gets the reader's
 * positioned message), a tfmt reader when --from names another format or
 * tfmt_guess recognises one. Invariant: exactly one of src.r and src.self
 * is set while a source is open.
 * `info` runs in two threads when it can (sim/tracecli_pipe.c): on a
 * native trace one decodes columns (trace_cols_read: tags, dictionary
 * indices, runs of one process, time range; no records), the other counts
 * and marks footprint bitmaps (traceinfo_add_cols), and the reader loads
 * blocks ahead in a third (trace_reader_prefetch); on other formats one
 * decodes and counts (traceinfo_count), the other inserts pages into the
 * footprint sets (traceinfo_insert). The report is the same either way.
 * `verify` decodes columns too, with blocks loaded ahead; the reader's
 * checks and messages are the same as for records. Both read chunks of the
 * sizes they always read records in (INFO_RECS, HEAD_BATCH), so a block
 * with several defects reports the same one as before.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/mem.h"
#include "sim/traceinfo.h"
#include "sim/tracecli_priv.h"

#define HEAD_BATCH 1024

/* ---- input sources ------------------------------------------------------------ */

struct src {
    const struct tfmt_ops *fmt;   /* NULL: native reader r */
    struct trace_reader *r;
    void *self;
    struct trace_header h;        /* tfmt readers fill it */
    const struct trace_header *hp;
};

/* Open path as from (NULL: guess). keep_next asks formats with oracle
 * next-access values to keep them (costs a pre-pass; only head shows them). */
static int src_open(const char *path, const struct tfmt_ops *from, int keep_next, struct src *s,
                    struct trace_err *err)
{
    memset(s, 0, sizeof *s);
    const struct tfmt_ops *g = from ? from : tfmt_guess(path);
    if (g && strcmp(g->name, "vmmsim") != 0) {
        struct tfmt_opts o;
        tfmt_opts_default(&o);
        o.keep_next = keep_next;
        int rc = g->open_read(path, &o, &s->self, &s->h, err);
        if (rc < 0)
            return rc;
        s->fmt = g;
        s->hp = &s->h;
        return 0;
    }
    int rc = trace_reader_open(path, &s->r, err);
    if (rc == 0)
        s->hp = trace_reader_header(s->r);
    return rc;
}

static ssize_t src_read(void *p, struct trace_rec *buf, size_t n, struct trace_err *err)
{
    struct src *s = p;
    return s->fmt ? s->fmt->read(s->self, buf, n, err) : trace_read(s->r, buf, n, err);
}

static void src_close(struct src *s)
{
    if (s->fmt)
        s->fmt->close_read(s->self);
    else if (s->r)
        trace_reader_close(s->r);
    memset(s, 0, sizeof *s);
}

/* Shared parsing of info/head/verify: [--json] [-n N] [--from F] TRACE. */
struct read_opts {
    const char *path;
    const struct tfmt_ops *from;
    int json;
    uint64_t n;
};

static int parse_read(const char *cmd, int argc, char **argv, int allow_json, int allow_n, struct read_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (allow_json && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (allow_n && (v = tracecli_opt_value("-n", argc, argv, &i, &missing))) {
            if (tracecli_parse_u64(v, UINT64_MAX, &o->n) < 0)
                return cli_usage_error(cmd, "-n: expected a count of records, got \"%s\"", v);
        } else if ((v = tracecli_opt_value("--from", argc, argv, &i, &missing))) {
            if (!(o->from = tracecli_find_format(cmd, "--from", v, 0)))
                return 2;
        } else if (missing) {
            return cli_usage_error(cmd, "%s: expected a value, got nothing", a);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (o->path) {
            return cli_usage_error(cmd, "expected one TRACE, got a second one \"%s\"", a);
        } else {
            o->path = a;
        }
    }
    return o->path ? 0 : cli_usage_error(cmd, "missing TRACE");
}

/* ---- info, head, verify ------------------------------------------------------- */

/* info's two stages. Native traces: the thread decodes chunks of columns
 * (trace_cols_read), the caller counts them and marks their pages in the
 * footprint bitmaps (traceinfo_add_cols). Other formats: the thread
 * decodes and counts (traceinfo_count), the caller inserts the pages into
 * the footprint sets (traceinfo_insert). */
#define INFO_RECS 8192

struct batch {
    size_t nkeys;
    int single;
    uint64_t keys[INFO_RECS];
    uint32_t idx[INFO_RECS];
};

/* Chunks of columns (trace_cols_read) and their arrays: up to INFO_CHUNKS
 * chunks of at most INFO_RECS records each, so the two threads meet once
 * per block rather than once per chunk. */
#define INFO_CHUNKS 8
#define INFO_ARRAY (INFO_RECS * INFO_CHUNKS)

struct colbatch {
    struct trace_cols c[INFO_CHUNKS];
    size_t nc;
    uint8_t tag[INFO_ARRAY];
    uint16_t runvm[INFO_ARRAY];
    uint32_t ix[INFO_ARRAY], xrec[INFO_ARRAY], runstart[INFO_ARRAY], runpid[INFO_ARRAY];
    uint64_t xpage[INFO_ARRAY];
};

/* Read the next chunk of at most n (<= INFO_RECS) records into b->c[k],
 * its arrays starting at record `at` of b's. */
static ssize_t colbatch_read(struct trace_reader *r, struct colbatch *b, size_t k, size_t at, size_t n,
                             struct trace_err *err)
{
    b->c[k] = (struct trace_cols){.tag = b->tag + at, .ix = b->ix + at, .xrec = b->xrec + at,
                                  .xpage = b->xpage + at, .runstart = b->runstart + at,
                                  .runvm = b->runvm + at, .runpid = b->runpid + at};
    return trace_cols_read(r, &b->c[k], n, err);
}

struct stage {
    struct src *s;
    struct traceinfo *ti;
    struct trace_rec *recs;   /* [INFO_RECS] */
};

static ssize_t decode_count(void *ctx, void *buf, struct trace_err *err)
{
    struct stage *st = ctx;
    struct batch *b = buf;
    ssize_t n = src_read(st->s, st->recs, INFO_RECS, err);
    if (n <= 0)
        return n;
    ssize_t k = traceinfo_count(st->ti, st->recs, (size_t)n, b->keys, b->idx, &b->single);
    if (k < 0) {
        snprintf(err->msg, sizeof err->msg, "trace info: out of memory");
        return k;
    }
    b->nkeys = (size_t)k;
    return n;
}

/* Fill b with chunks: a count of records, or the end or error once no
 * chunk was read (an error after some chunks comes with the next call). */
static ssize_t decode_ix(void *ctx, void *buf, struct trace_err *err)
{
    struct colbatch *b = buf;
    size_t at = 0;
    ssize_t n = 0;
    for (b->nc = 0; b->nc < INFO_CHUNKS; b->nc++, at += (size_t)n)
        if ((n = colbatch_read(((struct stage *)ctx)->s->r, b, b->nc, at, INFO_RECS, err)) <= 0)
            break;
    return at ? (ssize_t)at : n;
}

/* Scan the native trace s->r into ti (begun) through the bitmaps. */
static int scan_ix(struct src *s, struct traceinfo *ti, struct trace_err *err)
{
    struct stage st = {.s = s, .ti = ti};
    struct trace_err ignored;
    trace_reader_prefetch(s->r, &ignored); /* without it, one thread less */
    struct tracecli_pipe *pipe = tracecli_pipe_start(decode_ix, &st, sizeof(struct colbatch));
    struct colbatch *own = pipe ? NULL : mem_alloc(sizeof *own);
    const void *buf = own;
    ssize_t n = 1;
    int rc = pipe || own ? 0 : -ENOMEM;
    while (rc == 0) {
        n = pipe ? tracecli_pipe_next(pipe, &buf, err) : decode_ix(&st, own, err);
        if (n <= 0)
            break;
        const struct colbatch *b = buf;
        for (size_t k = 0; rc == 0 && k < b->nc; k++)
            rc = traceinfo_add_cols(ti, &b->c[k]);
    }
    tracecli_pipe_stop(pipe);
    if (own)
        mem_free(own, sizeof *own);
    return rc < 0 ? rc : (int)n;
}

/* Scan s into ti: in two threads when a second one can be started. */
static int scan(struct src *s, struct traceinfo *ti, struct trace_err *err)
{
    memset(ti, 0, sizeof *ti);
    if (!s->fmt) {
        int rc = traceinfo_begin(ti);
        if (rc == 0)
            rc = scan_ix(s, ti, err);
        if (rc == 0)
            return traceinfo_end(ti);
        traceinfo_free(ti);
        if (rc == -ENOMEM)
            snprintf(err->msg, sizeof err->msg, "trace info: out of memory");
        return rc;
    }
    struct stage st = {.s = s, .ti = ti, .recs = mem_alloc(INFO_RECS * sizeof *st.recs)};
    struct tracecli_pipe *pipe = NULL;
    int rc = st.recs ? traceinfo_begin(ti) : -ENOMEM;
    if (rc == 0 && !(pipe = tracecli_pipe_start(decode_count, &st, sizeof(struct batch)))) {
        traceinfo_free(ti);
        mem_free(st.recs, INFO_RECS * sizeof *st.recs);
        return traceinfo_scan(src_read, s, ti, err);
    }
    const void *buf;
    ssize_t n = 1;
    while (rc == 0 && (n = tracecli_pipe_next(pipe, &buf, err)) > 0) {
        const struct batch *b = buf;
        rc = traceinfo_insert(ti, b->keys, b->idx, b->nkeys, b->single);
    }
    tracecli_pipe_stop(pipe);
    if (st.recs)
        mem_free(st.recs, INFO_RECS * sizeof *st.recs);
    if (rc == 0 && n == 0)
        return traceinfo_end(ti);
    traceinfo_free(ti);
    if (rc == -ENOMEM)
        snprintf(err->msg, sizeof err->msg, "trace info: out of memory");
    return rc < 0 ? rc : (int)n;
}

int tracecli_info(int argc, char **argv)
{
    struct read_opts o = {0};
    struct trace_err err = {{0}};
    struct traceinfo ti;
    struct src s;
    int rc = parse_read("trace info", argc, argv, 1, 0, &o);
    if (rc)
        return rc;
    if ((rc = src_open(o.path, o.from, 0, &s, &err)) < 0)
        return tracecli_report(&err, rc);
    double t0 = tracecli_now();
    rc = scan(&s, &ti, &err);
    struct traceinfo_file f = {.path = o.path, .format = s.fmt ? s.fmt->name : "vmmsim", .h = s.hp,
                               .blocks = s.fmt ? 0 : trace_reader_blocks(s.r), .file_bytes = tracecli_file_size(o.path),
                               .seconds = tracecli_now() - t0};
    if (rc == 0) {
        rc = traceinfo_print(stdout, &f, &ti, o.json);
        traceinfo_free(&ti);
        if (rc < 0)
            snprintf(err.msg, sizeof err.msg, "trace info: cannot write the report");
    }
    src_close(&s);
    return rc < 0 ? tracecli_report(&err, rc) : 0;
}

static void print_rec(const struct trace_rec *r, uint32_t flags)
{
    const char *op = trace_op_name(r->op);
    printf("%" PRIu64 " %u %" PRIu32 " %s 0x%" PRIx64, r->time, r->vm, r->pid, op ? op : "unknown", r->page);
    switch (r->op) {
    case TRACE_FILE_READ:
    case TRACE_FILE_WRITE: printf(" block=%" PRIu64, r->arg); break;
    case TRACE_IDLE: printf(" ns=%" PRIu64, r->arg); break;
    case TRACE_PTE:
        if (r->arg == TRACE_NO_FRAME)
            printf(" frame=none");
        else
            printf(" frame=0x%" PRIx64, r->arg);
        break;
    case TRACE_CONTENT: printf(" content=0x%" PRIx64, r->arg); break;
    default: break;
    }
    if (flags & TRACE_F_SIZES)
        printf(" size=%" PRIu32, r->size);
    if ((flags & TRACE_F_NEXT) && r->next == TRACE_NO_NEXT)
        printf(" next=none");
    else if (flags & TRACE_F_NEXT)
        printf(" next=%" PRId64, r->next);
    putchar('\n');
}

int tracecli_head(int argc, char **argv)
{
    struct read_opts o = {.n = 10};
    struct trace_err err = {{0}};
    struct trace_rec buf[HEAD_BATCH];
    struct src s;
    int rc = parse_read("trace head", argc, argv, 0, 1, &o);
    if (rc)
        return rc;
    if ((rc = src_open(o.path, o.from, 1, &s, &err)) < 0)
        return tracecli_report(&err, rc);
    ssize_t n = 0;
    for (uint64_t left = o.n; left > 0; left -= (uint64_t)n) {
        n = src_read(&s, buf, left < HEAD_BATCH ? (size_t)left : HEAD_BATCH, &err);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            print_rec(&buf[i], s.hp->flags);
    }
    src_close(&s);
    return n < 0 ? tracecli_report(&err, (int)n) : 0;
}

int tracecli_verify(int argc, char **argv)
{
    struct read_opts o = {0};
    struct trace_err err = {{0}};
    struct trace_rec buf[HEAD_BATCH];
    struct src s;
    int rc = parse_read("trace verify", argc, argv, 0, 0, &o);
    if (rc)
        return rc;
    if ((rc = src_open(o.path, o.from, 0, &s, &err)) < 0)
        return tracecli_report(&err, rc);
    ssize_t n;
    uint64_t total = 0;
    /* checking needs no records: the column reader's checks are the same */
    struct colbatch *cb = s.fmt ? NULL : mem_alloc(sizeof *cb);
    struct trace_err ignored;
    if (cb)
        trace_reader_prefetch(s.r, &ignored); /* blocks load in a second thread (if it starts) */
    if (!s.fmt && !cb) {
        src_close(&s);
        snprintf(err.msg, sizeof err.msg, "trace verify: out of memory");
        return tracecli_report(&err, -ENOMEM);
    }
    while ((n = s.fmt ? src_read(&s, buf, HEAD_BATCH, &err) : colbatch_read(s.r, cb, 0, 0, HEAD_BATCH, &err)) > 0)
        total += (uint64_t)n;
    if (cb)
        mem_free(cb, sizeof *cb);
    if (n == 0 && s.fmt)
        printf("%s: ok, %" PRIu64 " records (%s)\n", o.path, total, s.fmt->name);
    else if (n == 0)
        printf("%s: ok, %" PRIu64 " records in %" PRIu64 " blocks\n", o.path, total, trace_reader_blocks(s.r));
    src_close(&s);
    return n < 0 ? tracecli_report(&err, (int)n) : 0;
}
