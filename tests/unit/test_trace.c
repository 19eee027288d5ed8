/* test_trace: the native trace format (traces/trace.h, traces/FORMAT.md).
 *
 * Round trips of random records over every op and field (several blocks,
 * exact block-boundary sizes, empty and one-record traces), header tables,
 * rewind, flags off; exact error messages for each kind of damage; a
 * fuzz-style loop of mutated traces that must end in success or a clean
 * error; allocation-failure injection over writer and reader.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "sim/mem.h"
#include "tests/testutil.h"
#include "traces/trace.h"
#include "tests/unit/trace_testutil.h"

/* ---- helpers ---- */

struct tdir {
    char path[64];
};

static void tdir_make(struct tdir *d)
{
    strcpy(d->path, "/tmp/vmmsim-trace-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->path));
}

static int tdir_count(const struct tdir *d)
{
    DIR *dir = opendir(d->path);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

static void tdir_remove(struct tdir *d)
{
    test_rmdir_flat(d->path);
}

/* Random records exercising every op, context changes, time going back,
 * sequential runs, repeats, hot pages, sparse literals, args, sizes, nexts. */
static struct trace_rec *gen_recs(size_t n, uint64_t seed, uint32_t flags)
{
    struct trace_rec *v = calloc(n ? n : 1, sizeof *v);
    uint64_t s = seed, t = 1000, page = 77, hot[32];
    for (int i = 0; i < 32; i++)
        hot[i] = rnd(&s);
    uint16_t vm = 0;
    uint32_t pid = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(&s);
        if (r % 50 == 0) {
            vm = (uint16_t)(rnd(&s) % 3 == 0 ? rnd(&s) : rnd(&s) % 4);
            pid = (uint32_t)(rnd(&s) % 5 == 0 ? rnd(&s) : rnd(&s) % 8);
        }
        switch ((r >> 8) % 6) {
        case 0: page++; break;
        case 1: break;
        case 2: page = hot[(r >> 16) % 32]; break;
        case 3: page = rnd(&s); break;
        case 4: page -= (r >> 20) % 300; break;
        default: page = hot[(r >> 16) % 4] + (r >> 40) % 3; break;
        }
        t += (r >> 24) % 4 == 0 ? 0 : (r >> 24) % 4 == 1 ? 10 : (r >> 30) % 100000;
        if ((r >> 50) % 200 == 0)
            t -= 5000;
        v[i].time = t;
        v[i].page = page;
        v[i].vm = vm;
        v[i].pid = pid;
        v[i].op = (uint8_t)((r >> 44) % TRACE_NOPS);
        if (v[i].op >= TRACE_FILE_READ)
            v[i].arg = (r >> 56) % 2 ? rnd(&s) : (r >> 57) % 1000;
        v[i].size = flags & TRACE_F_SIZES ? (uint32_t)((r >> 58) % 3 ? 4096 : rnd(&s)) : 0;
        v[i].next = TRACE_NO_NEXT;
        if (flags & TRACE_F_NEXT) {
            uint64_t k = rnd(&s) % 4;
            v[i].next = k == 0 ? TRACE_NO_NEXT : k == 1 ? (int64_t)rnd(&s)
                                                        : (int64_t)(i + 1 + rnd(&s) % 1000);
        }
    }
    return v;
}

static void write_recs(const char *path, const struct trace_header *h,
                       const struct trace_rec *v, size_t n, uint32_t block)
{
    struct trace_writer *w;
    struct trace_err err = {{0}};
    ck_assert_msg(trace_writer_open(path, h, &w, &err) == 0, "%s", err.msg);
    if (block)
        ck_assert_int_eq(trace_writer_set_block_records(w, block), 0);
    for (size_t i = 0; i < n;) {
        size_t k = 1 + (size_t)(i * 7919 % 5000);
        k = k > n - i ? n - i : k;
        ck_assert_msg(trace_write(w, v + i, k, &err) == 0, "%s", err.msg);
        i += k;
    }
    ck_assert_uint_eq(trace_writer_records(w), n);
    ck_assert_msg(trace_writer_close(w, &err) == 0, "%s", err.msg);
}

static int rec_eq(const struct trace_rec *a, const struct trace_rec *b)
{
    return a->time == b->time && a->page == b->page && a->arg == b->arg && a->next == b->next &&
           a->pid == b->pid && a->size == b->size && a->vm == b->vm && a->op == b->op &&
           b->pad == 0;
}

/* Read path completely in chunks of `chunk`, compare with v. */
static void read_check(const char *path, const struct trace_rec *v, size_t n, size_t chunk)
{
    struct trace_reader *r;
    struct trace_err err = {{0}};
    ck_assert_msg(trace_reader_open(path, &r, &err) == 0, "%s", err.msg);
    struct trace_rec *buf = malloc(chunk * sizeof *buf);
    size_t got = 0, bad = SIZE_MAX;
    ssize_t k;
    /* one assertion per chunk, not per record: Check's bookkeeping is slow */
    while ((k = trace_read(r, buf, chunk, &err)) > 0) {
        ck_assert_uint_le(got + (size_t)k, n);
        for (ssize_t i = 0; i < k && bad == SIZE_MAX; i++)
            if (!rec_eq(&v[got + (size_t)i], &buf[i]))
                bad = got + (size_t)i;
        got += (size_t)k;
    }
    ck_assert_msg(bad == SIZE_MAX, "record %zu differs", bad);
    ck_assert_msg(k == 0, "%s", err.msg);
    ck_assert_uint_eq(got, n);
    ck_assert_uint_eq(trace_reader_records(r), n);
    ck_assert_uint_eq(trace_reader_blocks(r), (n + 65535) / 65536);
    ck_assert_int_eq(trace_read(r, buf, chunk, &err), 0); /* the end stays the end */
    free(buf);
    trace_reader_close(r);
}

/* ---- round trips ---- */

static const size_t rt_sizes[] = {0, 1, 2, 65535, 65536, 65537, 3 * 65536 + 17};

START_TEST(test_roundtrip_sizes)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    size_t n = rt_sizes[_i];
    uint32_t flags = TRACE_F_NEXT | TRACE_F_SIZES;
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .flags = flags};
    struct trace_rec *v = gen_recs(n, 1000 + (uint64_t)_i, flags);
    uint64_t before = mem_in_use();
    write_recs(path, &h, v, n, 0);
    read_check(path, v, n, 4096);
    read_check(path, v, n, 7);
    ck_assert_uint_eq(mem_in_use(), before);
    ck_assert_int_eq(tdir_count(&d), 1); /* no temporary left over */
    free(v);
    tdir_remove(&d);
}
END_TEST

/* A dictionary beyond 32 Ki pages switches the reader to prefetch-and-
 * resolve; deltas right after dictionary pages force early resolution. */
/* trace_read_ex over v[0..n): indices appear in order (a new one is the
 * next), name the page they were first given with, and with
 * TRACE_RX_DICT_IX stand in for the page exactly when it is not appended. */
static void read_ex_dict_check(const char *path, const struct trace_rec *v, size_t n, unsigned flags)
{
    struct trace_reader *r;
    struct trace_err err;
    struct trace_rec buf[1000];
    uint32_t ix[1000];
    uint64_t *dict = malloc(n * sizeof *dict);
    size_t nd = 0, at = 0, nmax = 0;
    ssize_t k;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    while ((k = trace_read_ex(r, buf, ix, flags, 1000, &err)) > 0) {
        for (ssize_t i = 0; i < k; i++, at++) {
            ck_assert(ix[i] == UINT32_MAX || ix[i] <= nd);
            int appended = ix[i] == nd;
            if (appended)
                dict[nd++] = v[at].page;
            nmax += ix[i] == UINT32_MAX;
            if (ix[i] != UINT32_MAX)
                ck_assert_uint_eq(dict[ix[i]], v[at].page);
            if (flags && ix[i] != UINT32_MAX && !appended)
                ck_assert_uint_eq(buf[i].page, ix[i]);
            else
                ck_assert_uint_eq(buf[i].page, v[at].page);
            ck_assert_uint_eq(buf[i].time, v[at].time);
            ck_assert_uint_eq(buf[i].pid, v[at].pid);
        }
    }
    ck_assert_int_eq(k, 0);
    ck_assert_uint_eq(at, n);
    ck_assert_uint_gt(nd, 32768); /* past the prefetching threshold */
    ck_assert_uint_gt(nmax, 0);   /* DOLD records were there */
    trace_reader_close(r);
    free(dict);
}

START_TEST(test_roundtrip_large_dict)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    size_t n = 300000, npool = 100000;
    uint64_t *pool = malloc(npool * sizeof *pool), s = 77;
    for (size_t i = 0; i < npool; i++)
        pool[i] = rnd(&s);
    struct trace_rec *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(&s);
        v[i].page = r % 4 == 0 && i ? v[i - 1].page + 1 : r % 4 == 1 && i ? v[i - 1].page
                                                                       : pool[(r >> 8) % npool];
        v[i].op = (uint8_t)(r >> 40) % 2;
        v[i].time = i / 3;
        v[i].pid = (uint32_t)(i / 1000);
        v[i].next = TRACE_NO_NEXT;
    }
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    write_recs(path, &h, v, n, 0);
    read_check(path, v, n, 4096);
    read_check(path, v, n, 100);
    read_ex_dict_check(path, v, n, 0);
    read_ex_dict_check(path, v, n, TRACE_RX_DICT_IX);
    free(pool);
    free(v);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_flags_off_defaults)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_rec *v = gen_recs(1000, 5, TRACE_F_NEXT | TRACE_F_SIZES);
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .flags = 0};
    write_recs(path, &h, v, 1000, 0);
    for (size_t i = 0; i < 1000; i++) {
        v[i].size = 0;
        v[i].next = TRACE_NO_NEXT;
    }
    read_check(path, v, 1000, 333);
    free(v);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_header_tables)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_vm vms[2] = {{"web", 1u << 30}, {"", 0}};
    memset(vms[1].name, 'x', sizeof vms[1].name); /* not terminated: truncated to 63 */
    struct trace_proc procs[3] = {{0, 1, "init"}, {1, 4000000000u, "db"}, {65535, 7, ""}};
    struct trace_meta meta[2] = {{"source", "lackey ls"}, {"seed", "42"}};
    struct trace_header h = {TRACE_VERSION, 8192, TRACE_F_SIZES, 2, 3, 2, vms, procs, meta};
    write_recs(path, &h, NULL, 0, 0);
    struct stat st;
    mode_t um = umask(0);
    umask(um);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~um); /* not mkstemp's 0600 */
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_msg(trace_reader_open(path, &r, &err) == 0, "%s", err.msg);
    const struct trace_header *g = trace_reader_header(r);
    ck_assert_uint_eq(g->version, 1);
    ck_assert_uint_eq(g->page_size, 8192);
    ck_assert_uint_eq(g->flags, TRACE_F_SIZES);
    ck_assert_uint_eq(g->nvms, 2);
    ck_assert_str_eq(g->vms[0].name, "web");
    ck_assert_uint_eq(g->vms[0].memory, 1u << 30);
    ck_assert_uint_eq(strlen(g->vms[1].name), 63);
    ck_assert_uint_eq(g->nprocs, 3);
    ck_assert_uint_eq(g->procs[1].vm, 1);
    ck_assert_uint_eq(g->procs[1].pid, 4000000000u);
    ck_assert_str_eq(g->procs[1].name, "db");
    ck_assert_uint_eq(g->procs[2].vm, 65535);
    ck_assert_str_eq(g->procs[2].name, "");
    ck_assert_str_eq(trace_header_meta(g, "source"), "lackey ls");
    ck_assert_str_eq(trace_header_meta(g, "seed"), "42");
    ck_assert_ptr_null(trace_header_meta(g, "nope"));
    /* header 36 + vms (1+3+8)+(1+63+8) + procs (7+4)+(7+2)+(7+0) + meta (1+6+2+9)+(1+4+2+2)
     * + checksum 8 = 182, then the 32-byte end marker */
    ck_assert_uint_eq(trace_reader_file_bytes(r), 182 + 32);
    trace_reader_close(r);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_rewind)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .flags = TRACE_F_NEXT};
    struct trace_rec *v = gen_recs(2500, 9, TRACE_F_NEXT), buf[700];
    write_recs(path, &h, v, 2500, 1000);
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    for (int pass = 0; pass < 3; pass++) {
        size_t got = 0, stop = pass == 0 ? 1400 : 2500;
        ssize_t k;
        int same = 1;
        while (got < stop && (k = trace_read(r, buf, 700, &err)) > 0) {
            for (ssize_t i = 0; i < k; i++)
                same &= rec_eq(&v[got + (size_t)i], &buf[i]);
            got += (size_t)k;
        }
        ck_assert(same);
        ck_assert_uint_eq(got, stop);
        ck_assert_int_eq(trace_reader_rewind(r, &err), 0);
        ck_assert_uint_eq(trace_reader_records(r), 0);
    }
    trace_reader_close(r);
    free(v);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_ops_and_writer_checks)
{
    ck_assert_str_eq(trace_op_name(TRACE_READ), "read");
    ck_assert_str_eq(trace_op_name(TRACE_CONTENT), "content");
    ck_assert_ptr_null(trace_op_name(TRACE_NOPS));
    for (unsigned op = 0; op < TRACE_NOPS; op++)
        ck_assert_int_eq(trace_op_parse(trace_op_name(op)), (int)op);
    ck_assert_int_eq(trace_op_parse("sing"), -1);

    struct tdir d;
    tdir_make(&d);
    char path[128], want[300];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    struct trace_writer *w;
    struct trace_err err;
    struct trace_rec rec = {.op = 9};
    ck_assert_int_eq(trace_writer_open(path, &h, &w, &err), 0);
    ck_assert_int_eq(tdir_count(&d), 1); /* the temporary */
    ck_assert_int_eq(trace_write(w, &rec, 1, &err), -EINVAL);
    snprintf(want, sizeof want, "%s: record 0: op: expected 0..8, got 9", path);
    ck_assert_str_eq(err.msg, want);
    trace_writer_abort(w);
    ck_assert_int_eq(tdir_count(&d), 0);

    rec.op = TRACE_WRITE;
    rec.arg = 5;
    ck_assert_int_eq(trace_writer_open(path, &h, &w, &err), 0);
    ck_assert_int_eq(trace_write(w, &rec, 1, &err), -EINVAL);
    snprintf(want, sizeof want, "%s: record 0: arg: expected 0 for op write, got 5", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(trace_writer_close(w, &err), -EIO); /* the failure sticks */
    ck_assert_int_eq(tdir_count(&d), 0);

    h.page_size = 3000;
    ck_assert_int_eq(trace_writer_open(path, &h, &w, &err), -EINVAL);
    snprintf(want, sizeof want, "%s: page size must be a power of two, got 3000", path);
    ck_assert_str_eq(err.msg, want);
    tdir_remove(&d);
}
END_TEST

/* A stream of 1M sequential pages and constant time costs almost nothing;
 * a stream of hot pages with a tiny dictionary stays under 1.2 bytes. */
START_TEST(test_compactness)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    size_t n = test_quick() ? 100000 : 1000000;
    struct trace_rec *v = calloc(n, sizeof *v);
    uint64_t s = 3;
    for (size_t i = 0; i < n; i++) {
        v[i].page = UINT64_C(0x7f0000000000) + i;
        v[i].time = i * 100;
        v[i].next = TRACE_NO_NEXT;
    }
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    write_recs(path, &h, v, n, 0);
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_uint_lt(trace_reader_file_bytes(r), n / 100);
    trace_reader_close(r);
    uint64_t pages[256];
    for (int i = 0; i < 256; i++)
        pages[i] = rnd(&s);
    for (size_t i = 0; i < n; i++)
        v[i].page = pages[rnd(&s) % 256];
    write_recs(path, &h, v, n, 0);
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_uint_lt(trace_reader_file_bytes(r), n * 12 / 10);
    trace_reader_close(r);
    read_check(path, v, n, 4096);
    free(v);
    tdir_remove(&d);
}
END_TEST

/* ---- damage: exact messages ---- */

struct blob {
    uint8_t *b;
    size_t n;
};

static struct blob slurp(const char *path)
{
    struct blob x = {NULL, 0};
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    x.n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    x.b = malloc(x.n + 1);
    ck_assert_uint_eq(fread(x.b, 1, x.n, f), x.n);
    fclose(f);
    return x;
}

/* Offsets of the blocks of a well-formed trace (and of the end marker, last). */
static int block_offsets(const struct blob *x, size_t *off, int max)
{
    size_t o = g32(x->b + 12);
    int k = 0;
    while (k < max && o + 32 <= x->n) {
        off[k++] = o;
        if (memcmp(x->b + o, "VTND", 4) == 0)
            break;
        o += 32 + g32(x->b + o + 8);
    }
    return k;
}

/* Open and read everything; returns the final code; *nread gets records. */
static int read_all(const char *path, struct trace_err *err, size_t *nread)
{
    struct trace_reader *r;
    struct trace_rec buf[512];
    *nread = 0;
    int rc = trace_reader_open(path, &r, err);
    if (rc)
        return rc;
    ssize_t k;
    while ((k = trace_read(r, buf, 512, err)) > 0)
        *nread += (size_t)k;
    if (k < 0) {
        struct trace_err again;
        ck_assert_int_eq(trace_read(r, buf, 512, &again), k); /* the error sticks */
        ck_assert_str_eq(again.msg, err->msg);
    }
    trace_reader_close(r);
    return (int)k;
}

/* A 2500-record trace in blocks of 1000: blocks 0, 1, 2 then the end marker. */
static struct blob damage_base(const struct tdir *d, char *path, size_t size, size_t *off)
{
    snprintf(path, size, "%s/t.vtr", d->path);
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .flags = TRACE_F_SIZES};
    struct trace_rec *v = gen_recs(2500, 11, TRACE_F_SIZES);
    write_recs(path, &h, v, 2500, 1000);
    free(v);
    struct blob x = slurp(path);
    ck_assert_int_eq(block_offsets(&x, off, 8), 4);
    return x;
}

static void expect(const char *path, int code, size_t nread, const char *want)
{
    struct trace_err err = {{0}};
    size_t got;
    ck_assert_int_eq(read_all(path, &err, &got), code);
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(got, nread);
}

START_TEST(test_err_magic_version_header)
{
    struct tdir d;
    tdir_make(&d);
    char path[128], want[512];
    size_t off[8];
    struct blob x = damage_base(&d, path, sizeof path, off);
    spit(path, (const uint8_t *)"NOTATRACE and then some more text here....", 42);
    snprintf(want, sizeof want, "%s: offset 0: not a vmmsim trace: expected magic \"VMMTRACE\", "
             "got \"NOTATRAC\"", path);
    expect(path, -EILSEQ, 0, want);
    spit(path, (const uint8_t *)"ab\001", 3);
    snprintf(want, sizeof want, "%s: offset 0: not a vmmsim trace: expected magic \"VMMTRACE\", "
             "got \"ab\\x01\"", path);
    expect(path, -EILSEQ, 0, want);

    p32(x.b + 8, 7);
    spit(path, x.b, x.n);
    snprintf(want, sizeof want, "%s: offset 8: unsupported trace version 7 (this reader reads "
             "version 1)", path);
    expect(path, -ENOTSUP, 0, want);
    p32(x.b + 8, 1);

    x.b[17] ^= 0x40; /* page size 4096 -> 20480: only the checksum can tell */
    spit(path, x.b, x.n);
    uint32_t hl = g32(x.b + 12);
    uint64_t stored = g32(x.b + hl - 8) | (uint64_t)g32(x.b + hl - 4) << 32;
    snprintf(want, sizeof want, "%s: offset %u: header checksum mismatch: expected %016" PRIx64
             ", got %016" PRIx64, path, hl - 8, stored, (uint64_t)XXH3_64bits(x.b, hl - 8));
    expect(path, -EILSEQ, 0, want);
    free(x.b);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_err_blocks)
{
    struct tdir d;
    tdir_make(&d);
    char path[128], want[512];
    size_t off[8];
    struct blob x = damage_base(&d, path, sizeof path, off);
    unsigned long long o1 = off[1], o2 = off[2], o3 = off[3];
    size_t p1 = off[2] - off[1]; /* block 1's size with its header */

    /* a flipped bit in block 1's payload: block 0's 1000 records, then the error */
    x.b[o1 + 32 + 50] ^= 0x10;
    spit(path, x.b, x.n);
    uint64_t good = g32(x.b + o1 + 16) | (uint64_t)g32(x.b + o1 + 20) << 32;
    snprintf(want, sizeof want, "%s: offset %llu (block 1): block checksum mismatch: expected "
             "%016" PRIx64 ", got %016" PRIx64, path, o1, good,
             (uint64_t)XXH3_64bits(x.b + o1 + 32, p1 - 32));
    expect(path, -EILSEQ, 1000, want);
    x.b[o1 + 32 + 50] ^= 0x10;

    /* a flipped bit in block 2's header (its record count) */
    x.b[o2 + 4] ^= 0x01;
    spit(path, x.b, x.n);
    good = g32(x.b + o2 + 24) | (uint64_t)g32(x.b + o2 + 28) << 32;
    snprintf(want, sizeof want, "%s: offset %llu (block 2): block header checksum mismatch: "
             "expected %016" PRIx64 ", got %016" PRIx64, path, o2, good,
             (uint64_t)XXH3_64bits_withSeed(x.b + o2, 24, 2));
    expect(path, -EILSEQ, 2000, want);
    x.b[o2 + 4] ^= 0x01;

    /* cut in the middle of block 1, then inside its header */
    spit(path, x.b, o1 + 40);
    snprintf(want, sizeof want, "%s: offset %llu (block 1): truncated block: file ends at offset "
             "%llu, the block needs %zu bytes", path, o1, o1 + 40, p1);
    expect(path, -EILSEQ, 1000, want);
    spit(path, x.b, o1 + 10);
    snprintf(want, sizeof want, "%s: offset %llu (block 1): truncated block: file ends at offset "
             "%llu, the block header needs 32 bytes", path, o1, o1 + 10);
    expect(path, -EILSEQ, 1000, want);

    /* cut exactly at a block boundary, and just before the end marker */
    spit(path, x.b, o2);
    snprintf(want, sizeof want, "%s: offset %llu (block 2): truncated: file ends at offset %llu, "
             "before the end marker", path, o2, o2);
    expect(path, -EILSEQ, 2000, want);
    spit(path, x.b, o3);
    snprintf(want, sizeof want, "%s: offset %llu (block 3): truncated: file ends at offset %llu, "
             "before the end marker", path, o3, o3);
    expect(path, -EILSEQ, 2500, want);

    /* trailing garbage */
    memcpy(x.b + x.n, "x", 1);
    spit(path, x.b, x.n + 1);
    snprintf(want, sizeof want, "%s: offset %zu: trailing garbage: expected the end of the file "
             "after the end marker, got 1 more bytes", path, x.n);
    expect(path, -EILSEQ, 2500, want);
    free(x.b);
    tdir_remove(&d);
}
END_TEST

/* Blocks carry their number in their header checksum: a swap is caught. */
START_TEST(test_err_block_swap)
{
    struct tdir d;
    tdir_make(&d);
    char path[128], want[512];
    size_t off[8];
    struct blob x = damage_base(&d, path, sizeof path, off);
    uint8_t *y = malloc(x.n);
    size_t n0 = off[1] - off[0], n1 = off[2] - off[1], o = off[0];
    memcpy(y, x.b, o);
    memcpy(y + o, x.b + off[1], n1);
    memcpy(y + o + n1, x.b + off[0], n0);
    memcpy(y + o + n1 + n0, x.b + off[2], x.n - off[2]);
    spit(path, y, x.n);
    uint64_t good = g32(y + o + 24) | (uint64_t)g32(y + o + 28) << 32;
    snprintf(want, sizeof want, "%s: offset %zu (block 0): block header checksum mismatch: "
             "expected %016" PRIx64 ", got %016" PRIx64, path, o, good,
             (uint64_t)XXH3_64bits_withSeed(y + o, 24, 0));
    expect(path, -EILSEQ, 0, want);
    free(y);
    free(x.b);
    tdir_remove(&d);
}
END_TEST

/* ---- hand-built traces (craft), following traces/FORMAT.md only ---- */

/* The worked example of FORMAT.md section 4, byte for byte. */
START_TEST(test_format_worked_example)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    craft_worked_example(path);
    struct trace_rec want[4] = {
        {.time = 1000, .page = 0x10, .pid = 1, .op = TRACE_READ, .next = TRACE_NO_NEXT},
        {.time = 2000, .page = UINT64_C(0x9e3779b97f4a7c15), .pid = 1, .op = TRACE_WRITE,
         .next = TRACE_NO_NEXT},
        {.time = 2000, .page = UINT64_C(0x9e3779b97f4a7c15), .pid = 1, .op = TRACE_READ,
         .next = TRACE_NO_NEXT},
        {.time = 2000, .page = 0x10, .pid = 1, .op = TRACE_FILE_READ, .arg = 300,
         .next = TRACE_NO_NEXT},
    };
    read_check(path, want, 4, 3);
    /* and the writer produces exactly these columns: same file size */
    struct blob x = slurp(path);
    char path2[160];
    snprintf(path2, sizeof path2, "%s/w.vtr", d.path);
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    write_recs(path2, &h, want, 4, 0);
    struct blob y = slurp(path2);
    ck_assert_uint_eq(x.n, y.n);
    ck_assert_int_eq(memcmp(x.b, y.b, x.n), 0);
    free(x.b);
    free(y.b);
    tdir_remove(&d);
}
END_TEST

/* trace_read_ex on hand-built blocks: the worked example's indices, then a
 * page appended twice (legal; this writer never does it) and a DICT record
 * behind a DOLD delta, with and without TRACE_RX_DICT_IX. */
static void read_ex_check(const char *path, unsigned flags, const uint64_t *page,
                          const uint32_t *ix, size_t n)
{
    struct trace_reader *r;
    struct trace_err err;
    struct trace_rec buf[8];
    uint32_t got[8];
    ck_assert_int_eq(trace_reader_open(path, &r, &err), 0);
    ck_assert_int_eq(trace_read_ex(r, buf, got, flags, 8, &err), (ssize_t)n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(buf[i].page, page[i]);
        ck_assert_uint_eq(got[i], ix[i]);
        ck_assert_uint_eq(buf[i].pad, 0);
    }
    ck_assert_int_eq(trace_read_ex(r, buf, got, flags, 8, &err), 0);
    trace_reader_close(r);
}

START_TEST(test_read_ex)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    craft_worked_example(path);
    const uint64_t big = UINT64_C(0x9e3779b97f4a7c15);
    /* DNEW appends index 0, LIT index 1, DOLD has none, DICT reads index 0 */
    const uint64_t pages[4] = {0x10, big, big, 0x10}, asix[4] = {0x10, big, big, 0};
    const uint32_t ix[4] = {0, 1, UINT32_MAX, 0};
    read_ex_check(path, 0, pages, ix, 4);
    read_ex_check(path, TRACE_RX_DICT_IX, asix, ix, 4); /* record 3: its index */
    /* LIT 0x20 (index 0), DNEW +0 = 0x20 again (index 1), DICT 1, DOLD +1:
     * the delta needs dict[1] = 0x20 even when pages are left as indices */
    static const uint8_t tag2[] = {0x70, 0xb0, 0x30, 0xf0}, lit2[] = {0x20, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t icls2[] = {0x01}, delta2[] = {0x00, 0x02};
    const uint8_t *col2[10] = {tag2, NULL, NULL, icls2, NULL, lit2, delta2};
    size_t len2[10] = {4, 0, 0, 1, 0, 8, 2};
    craft(path, 0, 4, col2, len2);
    const uint64_t pages2[4] = {0x20, 0x20, 0x20, 0x21}, asix2[4] = {0x20, 0x20, 1, 0x21};
    const uint32_t ix2[4] = {0, 1, 1, UINT32_MAX};
    read_ex_check(path, 0, pages2, ix2, 4);
    read_ex_check(path, TRACE_RX_DICT_IX, asix2, ix2, 4);
    tdir_remove(&d);
}
END_TEST

START_TEST(test_err_bad_encoding)
{
    struct tdir d;
    tdir_make(&d);
    char path[128], want[512];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    /* record 0 refers to dictionary index 5 of an empty dictionary */
    static const uint8_t tag[] = {0x30}, icls[] = {0x05};
    const uint8_t *col[10] = {tag, NULL, NULL, icls};
    size_t len[10] = {1, 0, 0, 1};
    size_t blk = craft(path, 0, 1, col, len);
    snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
             "block: dictionary index 5 out of range (the dictionary has 0 entries)", path, blk);
    expect(path, -EILSEQ, 0, want);
    /* op 9 */
    static const uint8_t tag9[] = {0x39}, d0[] = {0x00};
    const uint8_t *col9[10] = {tag9, NULL, NULL, NULL, NULL, NULL, d0};
    size_t len9[10] = {1, 0, 0, 0, 0, 0, 1};
    craft(path, 0, 1, col9, len9);
    snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
             "block: op 9 out of range", path, blk);
    expect(path, -EILSEQ, 0, want);
    /* a varint running past its column: the time column holds 0x80 only */
    static const uint8_t tag2[] = {0x10 | 0xc0}, t80[] = {0x80};
    const uint8_t *col2[10] = {tag2, NULL, t80, NULL, NULL, NULL, d0};
    size_t len2[10] = {1, 0, 1, 0, 0, 0, 1};
    craft(path, 0, 1, col2, len2);
    snprintf(want, sizeof want, "%s: offset %zu (block 0): bad encoding: record 0 of the "
             "block: time column overrun", path, blk);
    expect(path, -EILSEQ, 0, want);
    tdir_remove(&d);
}
END_TEST

/* ---- fuzz: mutated traces end in success or a clean error ---- */

static size_t mutate(uint8_t *b, size_t n, const struct blob *x, const size_t *off, int nb,
                     uint64_t *s)
{
    uint64_t r = rnd(s), kind = r % 8;
    memcpy(b, x->b, x->n);
    n = x->n;
    size_t at = (size_t)(rnd(s) % n);
    switch (kind) {
    case 0: /* bit flips */
        for (uint64_t i = 0, k = 1 + (r >> 8) % 3; i < k; i++)
            b[rnd(s) % n] ^= (uint8_t)(1u << (rnd(s) % 8));
        break;
    case 1: b[at] = (uint8_t)(r >> 16); break;
    case 2: return at; /* truncation */
    case 3: { /* swap two blocks' contents (same length prefix) */
        int i = (int)(rnd(s) % (uint64_t)(nb - 1)), j = (int)(rnd(s) % (uint64_t)(nb - 1));
        size_t len = off[i + 1] - off[i] < off[j + 1] - off[j] ? off[i + 1] - off[i]
                                                              : off[j + 1] - off[j];
        memcpy(b + off[i], x->b + off[j], len);
        memcpy(b + off[j], x->b + off[i], len);
        break;
    }
    case 4: { /* delete a block */
        int i = (int)(rnd(s) % (uint64_t)(nb - 1));
        size_t len = off[i + 1] - off[i];
        memmove(b + off[i], b + off[i + 1], n - off[i + 1]);
        return n - len;
    }
    case 5: /* header bytes, checksum repaired so parsing goes on */
        b[rnd(s) % off[0]] ^= (uint8_t)(1u << (r >> 8) % 8);
        p64(b + off[0] - 8, XXH3_64bits(b, off[0] - 8));
        break;
    default: /* payload or block header damage with valid checksums */
        b[off[0] + rnd(s) % (off[nb - 1] - off[0])] ^= (uint8_t)(1u << (r >> 8) % 8);
        if (kind == 7)
            b[off[0] + rnd(s) % (off[nb - 1] - off[0])] = (uint8_t)(r >> 24);
        fix_checksums(b, n);
        break;
    }
    return n;
}

START_TEST(test_fuzz_mutations)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_meta meta[1] = {{"k", "v"}};
    struct trace_proc procs[1] = {{0, 1, "p"}};
    struct trace_header h = {TRACE_VERSION, 4096, TRACE_F_SIZES | TRACE_F_NEXT, 0, 1, 1,
                             NULL, procs, meta};
    struct trace_rec *v = gen_recs(300, 21, h.flags);
    write_recs(path, &h, v, 300, 64);
    free(v);
    struct blob x = slurp(path);
    size_t off[16];
    int nb = block_offsets(&x, off, 16);
    ck_assert_int_eq(nb, 6); /* 5 blocks and the end marker */
    uint8_t *b = malloc(x.n);
    uint64_t s = 12345, before = mem_in_use();
    int n = test_quick() ? 300 : 3000, ok = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        size_t len = mutate(b, x.n, &x, off, nb, &s);
        spit(path, b, len);
        struct trace_err err = {{0}};
        size_t got;
        int rc = read_all(path, &err, &got);
        ck_assert_int_le(rc, 0);
        if (rc < 0) {
            ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 && !strchr(err.msg, '\n'),
                          "mutation %d: message \"%s\"", i, err.msg);
            bad++;
            if (getenv("TRACE_FUZZ_SHOW"))
                fprintf(stderr, "%s\n", err.msg + strlen(path));
        } else {
            ok++;
        }
        ck_assert_uint_le(got, 300);
        ck_assert_uint_eq(mem_in_use(), before);
    }
    ck_assert_int_gt(bad, n / 2); /* most damage is caught */
    ck_assert_int_gt(ok, 0);      /* some mutations are harmless (e.g. metadata bytes) */
    free(b);
    free(x.b);
    tdir_remove(&d);
}
END_TEST

/* ---- allocation failure ---- */

START_TEST(test_alloc_failure)
{
    struct tdir d;
    tdir_make(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/t.vtr", d.path);
    struct trace_proc procs[1] = {{0, 1, "p"}};
    struct trace_header h = {TRACE_VERSION, 4096, TRACE_F_SIZES, 0, 1, 0, NULL, procs, NULL};
    size_t n = 30000; /* enough new pages to grow the 4096-entry dictionary */
    struct trace_rec *v = gen_recs(n, 31, h.flags);
    uint64_t before = mem_in_use();
    int fails = 0;
    for (uint64_t k = 1;; k++) {
        struct trace_writer *w;
        struct trace_err err = {{0}};
        mem_fail_after(k);
        int rc = trace_writer_open(path, &h, &w, &err);
        if (rc == 0) {
            trace_writer_set_block_records(w, 1000);
            rc = trace_write(w, v, n, &err);
            rc = rc ? (trace_writer_abort(w), rc) : trace_writer_close(w, &err);
        }
        int trig = mem_fail_triggered();
        mem_fail_reset();
        ck_assert_uint_eq(mem_in_use(), before);
        if (!trig) {
            ck_assert_msg(rc == 0, "%s", err.msg);
            break;
        }
        ck_assert_int_eq(rc, -ENOMEM);
        ck_assert_msg(strstr(err.msg, "out of memory") != NULL, "%s", err.msg);
        ck_assert_int_eq(tdir_count(&d), 0);
        fails++;
    }
    ck_assert_int_gt(fails, 12);
    int rfails = 0;
    for (uint64_t k = 1;; k++) {
        struct trace_err err = {{0}};
        size_t got;
        mem_fail_after(k);
        int rc = read_all(path, &err, &got);
        int trig = mem_fail_triggered();
        mem_fail_reset();
        ck_assert_uint_eq(mem_in_use(), before);
        if (!trig) {
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_eq(got, n);
            break;
        }
        ck_assert_int_eq(rc, -ENOMEM);
        ck_assert_msg(strstr(err.msg, "out of memory") != NULL, "%s", err.msg);
        rfails++;
    }
    ck_assert_int_gt(rfails, 4);
    free(v);
    tdir_remove(&d);
}
END_TEST

/* The committed corpus (tests/fuzz/trace/): ok-* read to the end, bad-*
 * fail with one line naming the file. */
START_TEST(test_corpus)
{
    DIR *dir = opendir("tests/fuzz/trace");
    ck_assert_msg(dir != NULL, "tests/fuzz/trace missing (run from the repository root)");
    int ok = 0, bad = 0;
    uint64_t before = mem_in_use();
    for (struct dirent *e; (e = readdir(dir));) {
        if (!strstr(e->d_name, ".vtr"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/trace/%s", e->d_name);
        struct trace_err err = {{0}};
        size_t got;
        int rc = read_all(path, &err, &got);
        if (strncmp(e->d_name, "ok-", 3) == 0) {
            ck_assert_msg(rc == 0, "%s", err.msg);
            ok++;
        } else {
            ck_assert_msg(rc < 0, "%s: read without error", path);
            ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 && !strchr(err.msg, '\n'),
                          "%s: message does not name the file or is not one line: %s", path,
                          err.msg);
            bad++;
        }
        ck_assert_uint_eq(mem_in_use(), before);
    }
    closedir(dir);
    ck_assert_int_ge(ok, 3);
    ck_assert_int_ge(bad, 10);
}
END_TEST

static void damage_tcases(Suite *s)
{
    TCase *tc = tcase_create("damage");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_err_magic_version_header);
    tcase_add_test(tc, test_err_blocks);
    tcase_add_test(tc, test_err_block_swap);
    tcase_add_test(tc, test_format_worked_example);
    tcase_add_test(tc, test_read_ex);
    tcase_add_test(tc, test_err_bad_encoding);
    tcase_add_test(tc, test_fuzz_mutations);
    tcase_add_test(tc, test_alloc_failure);
    tcase_add_test(tc, test_corpus);
    suite_add_tcase(s, tc);
}

Suite *suite_trace(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("format");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_roundtrip_sizes, 0, (int)(sizeof rt_sizes / sizeof *rt_sizes));
    tcase_add_test(tc, test_roundtrip_large_dict);
    tcase_add_test(tc, test_flags_off_defaults);
    tcase_add_test(tc, test_header_tables);
    tcase_add_test(tc, test_rewind);
    tcase_add_test(tc, test_ops_and_writer_checks);
    tcase_add_test(tc, test_compactness);
    suite_add_tcase(s, tc);
    damage_tcases(s);
    return s;
}
