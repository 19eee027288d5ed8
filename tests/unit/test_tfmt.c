/* test_tfmt: the trace format registry and the converters (lackey,
 * oracleGeneral, csv, vmmsim adapter).
 *
 * Expected counts for the committed samples in traces/samples/ were computed
 * by a separate script (Python, reading the files with its own parser, see
 * traces/README.md), not by this code; the small inline inputs are counted by
 * hand in the comments next to them. Files are written to a fresh temporary
 * directory per test. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/mem.h"
#include "tests/testutil.h"
#include "traces/tfmt.h"

#define SAMPLES "traces/samples/"

struct recs {
    struct trace_rec *r;
    size_t n, cap;
    struct trace_header h;  /* copied scalars; tables not kept */
    uint32_t pid0;          /* first process table entry, if any */
    char name0[TRACE_NAME_MAX];
    char next_meta[32];     /* metadata oracle.next, if any */
    char ifetch_meta[8];    /* metadata lackey.ifetch, if any */
    struct trace_err err;
};

static char tmpdir[64];

static void mktmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tfmt.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rmtmp(void)
{
    test_rmdir_flat(tmpdir);
}

static const char *tpath(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void put(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static size_t files_in_tmp(void)
{
    size_t n = 0;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int same_file(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    int same = x && y;
    for (int c; same && (c = getc(x)) == getc(y);)
        if (c == EOF)
            break;
    if (same && !feof(x))
        same = 0;
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return same;
}

/* Read every record of path in format name; returns the reader's code. */
static int slurp(const char *name, const char *path, const struct tfmt_opts *o, struct recs *out)
{
    const struct tfmt_ops *f = tfmt_find(name);
    ck_assert_ptr_nonnull(f);
    memset(out, 0, sizeof *out);
    void *self;
    struct trace_header h;
    int rc = f->open_read(path, o, &self, &h, &out->err);
    if (rc < 0)
        return rc;
    out->h = h;
    if (h.nprocs) {
        out->pid0 = h.procs[0].pid;
        snprintf(out->name0, sizeof out->name0, "%s", h.procs[0].name);
    }
    const char *nm = trace_header_meta(&h, "oracle.next");
    snprintf(out->next_meta, sizeof out->next_meta, "%s", nm ? nm : "");
    nm = trace_header_meta(&h, "lackey.ifetch");
    snprintf(out->ifetch_meta, sizeof out->ifetch_meta, "%s", nm ? nm : "");
    for (;;) {
        if (out->cap - out->n < 1000) {
            out->cap = out->cap * 2 + 1000;
            out->r = realloc(out->r, out->cap * sizeof *out->r);
        }
        ssize_t k = f->read(self, out->r + out->n, out->cap - out->n, &out->err);
        if (k <= 0) {
            rc = (int)k;
            break;
        }
        out->n += (size_t)k;
    }
    f->close_read(self);
    return rc;
}

static void recs_free(struct recs *r)
{
    free(r->r);
    r->r = NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t distinct_pages(const struct recs *r)
{
    uint64_t *p = malloc((r->n + 1) * sizeof *p);
    for (size_t i = 0; i < r->n; i++)
        p[i] = r->r[i].page;
    qsort(p, r->n, sizeof *p, cmp_u64);
    size_t d = 0;
    for (size_t i = 0; i < r->n; i++)
        d += i == 0 || p[i] != p[i - 1];
    free(p);
    return d;
}

static size_t count_op(const struct recs *r, unsigned op)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += r->r[i].op == op;
    return c;
}

static struct tfmt_opts opts(int ifetch, int collapse)
{
    struct tfmt_opts o;
    tfmt_opts_default(&o);
    o.ifetch = ifetch;
    o.collapse = collapse;
    return o;
}

static int convert(const char *from, const char *in, const char *to, const char *out,
                   const struct tfmt_opts *o, uint64_t *n, struct trace_err *err)
{
    return tfmt_convert(tfmt_find(from), in, tfmt_find(to), out, o, n, err);
}

/* ---- registry and guessing ---- */

START_TEST(test_registry)
{
    char buf[128];
    ck_assert_str_eq(tfmt_names(buf, sizeof buf), "vmmsim, lackey, oracleGeneral, csv");
    ck_assert_str_eq(tfmt_names(buf, 16), "vmmsim, lackey");
    ck_assert_ptr_eq(tfmt_find("vmmsim"), &tfmt_vmmsim_ops);
    ck_assert_ptr_eq(tfmt_find("vtr"), &tfmt_vmmsim_ops);
    ck_assert_ptr_eq(tfmt_find("oracle"), &tfmt_oracle_ops);
    ck_assert_ptr_eq(tfmt_find("oracleGeneral"), &tfmt_oracle_ops);
    ck_assert_ptr_eq(tfmt_find("csv"), &tfmt_csv_ops);
    ck_assert_ptr_eq(tfmt_find("lackey"), &tfmt_lackey_ops);
    ck_assert_ptr_null(tfmt_find("LRU"));
    ck_assert_ptr_null(tfmt_find(NULL));
    ck_assert_ptr_null(tfmt_lackey_ops.open_write); /* read only */
    struct tfmt_opts o;
    tfmt_opts_default(&o);
    ck_assert_uint_eq(o.page_size, 4096);
    ck_assert_int_eq(o.ifetch, 1);
    ck_assert_int_eq(o.collapse + o.keep_next + o.vm + (int)o.pid, 0);
}
END_TEST

START_TEST(test_guess)
{
    mktmp();
    ck_assert_ptr_eq(tfmt_guess(SAMPLES "true.lackey"), &tfmt_lackey_ops);
    ck_assert_ptr_eq(tfmt_guess(SAMPLES "small.csv"), &tfmt_csv_ops);
    ck_assert_ptr_eq(tfmt_guess(SAMPLES "zipf.oracleGeneral.bin"), &tfmt_oracle_ops);
    ck_assert_ptr_eq(tfmt_guess(SAMPLES "sort.vtr"), &tfmt_vmmsim_ops);
    ck_assert_ptr_null(tfmt_guess("-"));
    /* content beats the name: lackey text and a csv header under other names */
    put(tpath("a.dat"), "==12== Lackey\n", 14);
    ck_assert_ptr_eq(tfmt_guess(tpath("a.dat")), &tfmt_lackey_ops);
    put(tpath("b.bin"), "time,vm,pid,address,op\n", 23);
    ck_assert_ptr_eq(tfmt_guess(tpath("b.bin")), &tfmt_csv_ops);
    /* a native trace named .csv is still native */
    struct tfmt_opts o = opts(1, 0);
    ck_assert_int_eq(convert("csv", SAMPLES "small.csv", "vmmsim", tpath("n.csv"), &o, NULL, NULL), 0);
    ck_assert_ptr_eq(tfmt_guess(tpath("n.csv")), &tfmt_vmmsim_ops);
    put(tpath("c.txt"), "hello\n", 6);
    ck_assert_ptr_null(tfmt_guess(tpath("c.txt")));
    ck_assert_ptr_null(tfmt_guess(tpath("missing")));
    rmtmp();
}
END_TEST

/* ---- lackey ---- */

/* Sample: 4000 reference lines of /bin/true (2867 I, 806 L, 322 S, 5 M),
 * 5 of them (all instruction fetches) straddling a page boundary. */
START_TEST(test_lackey_sample)
{
    static const struct {
        int ifetch, collapse;
        size_t n, reads, writes, distinct;
        uint64_t first_time, first_page;
    } want[] = {
        {1, 0, 4005, 3678, 327, 35, 0, 16393},   /* 4000 lines + 5 straddles */
        {0, 0, 1133, 806, 327, 30, 8, 18532},    /* L + S + M */
        {0, 1, 580, 437, 143, 30, 8, 18532},
        {1, 1, 2283, 1956, 327, 35, 0, 16393},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct tfmt_opts o = opts(want[i].ifetch, want[i].collapse);
        struct recs r;
        ck_assert_msg(slurp("lackey", SAMPLES "true.lackey", &o, &r) == 0, "%s", r.err.msg);
        ck_assert_uint_eq(r.n, want[i].n);
        ck_assert_uint_eq(count_op(&r, TRACE_READ), want[i].reads);
        ck_assert_uint_eq(count_op(&r, TRACE_WRITE), want[i].writes);
        ck_assert_uint_eq(distinct_pages(&r), want[i].distinct);
        ck_assert_uint_eq(r.r[0].time, want[i].first_time);
        ck_assert_uint_eq(r.r[0].page, want[i].first_page);
        ck_assert_uint_eq(r.r[r.n - 1].time, want[i].ifetch ? 3999 : 3998);
        ck_assert_uint_eq(r.r[r.n - 1].pid, 28737);
        ck_assert_uint_eq(r.pid0, 28737);
        ck_assert_str_eq(r.name0, "/bin/true");
        ck_assert_uint_eq(r.h.page_size, 4096);
        recs_free(&r);
    }
}
END_TEST

/* Hand-counted input: banner, chatter, a data straddle, M as one write. */
static const char lk_hand[] =
    "==4242== Lackey, an example Valgrind tool\n"
    "==4242== Command: ./prog -x\n"
    "==4242== \n"
    "I  00400000,3\n"   /* t0 read page 0x400 */
    " L 00400ffc,8\n"   /* t1 straddles: read 0x400, read 0x401 */
    "program output that is not a trace line\n"
    "==5555== Command: late banners change nothing\n"
    " S 7ff000010,8\n"  /* t2 write 0x7ff000 */
    " M 7ff000018,4\n"  /* t3 write 0x7ff000 (collapsible) */
    "I  00400003,2\n"   /* t4 read 0x400 */
    " L 00401000,4\n"   /* t5 read 0x401 */
    "==4242== Counted 1 call to main()\n";

START_TEST(test_lackey_hand)
{
    mktmp();
    put(tpath("h.lk"), lk_hand, strlen(lk_hand));
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("lackey", tpath("h.lk"), &o, &r) == 0, "%s", r.err.msg);
    static const uint64_t t[] = {0, 1, 1, 2, 3, 4, 5};
    static const uint64_t pg[] = {0x400, 0x400, 0x401, 0x7ff000, 0x7ff000, 0x400, 0x401};
    static const uint8_t op[] = {0, 0, 0, 1, 1, 0, 0};
    ck_assert_uint_eq(r.n, 7);
    for (size_t i = 0; i < 7; i++) {
        ck_assert_uint_eq(r.r[i].time, t[i]);
        ck_assert_uint_eq(r.r[i].page, pg[i]);
        ck_assert_uint_eq(r.r[i].op, op[i]);
        ck_assert_uint_eq(r.r[i].pid, 4242);
        ck_assert_int_eq(r.r[i].next, TRACE_NO_NEXT);
    }
    ck_assert_str_eq(r.name0, "./prog -x");
    recs_free(&r);
    /* no ifetch, collapse, fixed pid and vm: 1:0x400 1:0x401 2:w 0x7ff000 5:0x401 */
    o = opts(0, 1);
    o.pid = 9;
    o.vm = 3;
    ck_assert_msg(slurp("lackey", tpath("h.lk"), &o, &r) == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 4);
    ck_assert_uint_eq(r.r[2].page, 0x7ff000);
    ck_assert_uint_eq(r.r[3].time, 5);
    ck_assert_uint_eq(r.r[3].page, 0x401);
    ck_assert_uint_eq(r.r[3].pid, 9);
    ck_assert_uint_eq(r.r[3].vm, 3);
    ck_assert_uint_eq(r.pid0, 9);
    recs_free(&r);
    /* 64 KiB pages: everything at 0x4000xx is page 0x40, no straddle */
    o = opts(1, 0);
    o.page_size = 65536;
    ck_assert_msg(slurp("lackey", tpath("h.lk"), &o, &r) == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 6);
    ck_assert_uint_eq(r.r[1].page, 0x40);
    recs_free(&r);
    rmtmp();
}
END_TEST

START_TEST(test_lackey_errors)
{
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"I  zz12,4", "expected a hex address of 1 to 16 digits, got 'zz12,4'"},
        {" L 1000;8", "expected ',' after the address, got ';8'"},
        {" S 1000,x", "expected a decimal size, got 'x'"},
        {" S 1000,", "expected a decimal size, got ''"},
        {" M 1000,8 junk", "expected end of line after the size, got 'junk'"},
        {" L 11112222333344445,8", "expected a hex address of 1 to 16 digits, got '11112222333344445,8'"},
    };
    mktmp();
    char text[256], want[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "==1== x\nI  1000,4\n%s\n L 2000,4\n", bad[i].line);
        put(tpath("bad.lk"), text, strlen(text));
        struct tfmt_opts o = opts(1, 0);
        struct recs r;
        ck_assert_int_eq(slurp("lackey", tpath("bad.lk"), &o, &r), -EINVAL);
        snprintf(want, sizeof want, "%s: line 3: %s", tpath("bad.lk"), bad[i].msg);
        ck_assert_str_eq(r.err.msg, want);
        recs_free(&r);
    }
    struct tfmt_opts o = opts(1, 0);
    o.page_size = 3000;
    struct recs r;
    ck_assert_int_eq(slurp("lackey", tpath("bad.lk"), &o, &r), -EINVAL);
    ck_assert_str_eq(r.err.msg + strlen(tpath("bad.lk")), ": expected a power-of-two page size, got 3000");
    o = opts(1, 0);
    ck_assert_int_eq(slurp("lackey", tpath("none.lk"), &o, &r), -ENOENT);
    /* a 70000-byte line on line 2 */
    static char big[70010];
    memset(big, 'x', sizeof big);
    memcpy(big, "==1== x\n", 8);
    put(tpath("big.lk"), big, sizeof big);
    ck_assert_int_eq(slurp("lackey", tpath("big.lk"), &o, &r), -EINVAL);
    snprintf(want, sizeof want, "%s: line 2: expected a line, got more than 65536 bytes without a newline", tpath("big.lk"));
    ck_assert_str_eq(r.err.msg, want);
    rmtmp();
}
END_TEST

/* "-" reads standard input (valgrind ... --log-fd=N | vmmsim trace convert). */
START_TEST(test_lackey_stdin)
{
    mktmp();
    put(tpath("h.lk"), lk_hand, strlen(lk_hand));
    int save = dup(0), fd = open(tpath("h.lk"), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 0);
    close(fd);
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    int rc = slurp("lackey", "-", &o, &r);
    dup2(save, 0);
    close(save);
    ck_assert_msg(rc == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 7);
    ck_assert_uint_eq(r.pid0, 4242);
    recs_free(&r);
    rmtmp();
}
END_TEST

/* ---- oracleGeneral ---- */

static void orec(unsigned char *p, uint32_t t, uint64_t id, uint32_t size, int64_t next)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(t >> (8 * i));
    for (int i = 0; i < 8; i++)
        p[4 + i] = (unsigned char)(id >> (8 * i));
    for (int i = 0; i < 4; i++)
        p[12 + i] = (unsigned char)(size >> (8 * i));
    for (int i = 0; i < 8; i++)
        p[16 + i] = (unsigned char)((uint64_t)next >> (8 * i));
}

static void setnext(unsigned char *p, int64_t next)
{
    for (int i = 0; i < 8; i++)
        p[16 + i] = (unsigned char)((uint64_t)next >> (8 * i));
}

/* Sample: 3000 requests to 390 objects (ids are sparse 64-bit values), sizes
 * per object, derived next values (index of the next request, -1 = none). */
START_TEST(test_oracle_sample)
{
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("oracle", SAMPLES "zipf.oracleGeneral.bin", &o, &r) == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 3000);
    ck_assert_uint_eq(distinct_pages(&r), 390);
    uint64_t bytes = 0;
    for (size_t i = 0; i < r.n; i++)
        bytes += r.r[i].size;
    ck_assert_uint_eq(bytes, 138906792);
    ck_assert_uint_eq(r.r[0].time, 1000000000000ull);
    ck_assert_uint_eq(r.r[0].page, 14630396222874295083ull);
    ck_assert_uint_eq(r.r[0].size, 62708);
    ck_assert_int_eq(r.r[0].next, TRACE_NO_NEXT); /* not kept by default */
    ck_assert_uint_eq(r.r[2999].time, 1760000000000ull);
    ck_assert_uint_eq(r.h.flags, TRACE_F_SIZES);
    ck_assert_str_eq(r.next_meta, "dropped");
    ck_assert_uint_eq(count_op(&r, TRACE_READ), 3000);
    recs_free(&r);
    o.keep_next = 1;
    ck_assert_msg(slurp("oracle", SAMPLES "zipf.oracleGeneral.bin", &o, &r) == 0, "%s", r.err.msg);
    ck_assert_str_eq(r.next_meta, "derived");
    ck_assert_uint_eq(r.h.flags, TRACE_F_SIZES); /* derivable: not carried */
    recs_free(&r);
}
END_TEST

/* read_pages (the cache mode's fast path) yields exactly the pages read()
 * does, across odd batch sizes; only oracleGeneral offers it. */
START_TEST(test_oracle_read_pages)
{
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("oracle", SAMPLES "zipf.oracleGeneral.bin", &o, &r) == 0, "%s", r.err.msg);
    const struct tfmt_ops *f = tfmt_find("oracleGeneral");
    ck_assert_ptr_nonnull(f->read_pages);
    ck_assert_ptr_null(tfmt_find("csv")->read_pages);
    ck_assert_ptr_null(tfmt_find("vmmsim")->read_pages);
    void *self;
    struct trace_header h;
    struct trace_err err;
    ck_assert_int_eq(f->open_read(SAMPLES "zipf.oracleGeneral.bin", &o, &self, &h, &err), 0);
    uint64_t pages[97];
    size_t n = 0;
    ssize_t k;
    while ((k = f->read_pages(self, pages, 1 + n % 97, &err)) > 0)
        for (ssize_t i = 0; i < k; i++, n++)
            ck_assert_uint_eq(pages[i], r.r[n].page);
    ck_assert_int_eq(k, 0);
    ck_assert_uint_eq(n, 3000);
    f->close_read(self);
    recs_free(&r);
}
END_TEST

/* Build n requests over k objects with next values per the convention
 * (base, none); mode 1 breaks one value so they are not derivable. */
static void make_oracle(const char *path, size_t n, size_t k, int64_t base, int64_t none, int mode)
{
    unsigned char *b = calloc(n, 24);
    int64_t *last = malloc(k * sizeof *last);
    for (size_t j = 0; j < k; j++)
        last[j] = -1;
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t obj = (size_t)((x >> 33) % k);
        uint64_t id = (obj + 1) * 0x9E3779B97F4A7C15ull; /* sparse ids */
        orec(b + i * 24, (uint32_t)(i / 7), id, (uint32_t)(100 + (x >> 50) % 5000), none);
        if (last[obj] >= 0)
            setnext(b + (size_t)last[obj] * 24, (int64_t)i + base);
        last[obj] = (int64_t)i;
    }
    if (mode == 1)
        orec(b + (n / 2) * 24, (uint32_t)(n / 2 / 7), 77, 1, 5); /* object 77 has no later request */
    put(path, b, n * 24);
    free(b);
    free(last);
}

START_TEST(test_oracle_roundtrip)
{
    static const struct {
        int64_t base, none;
        int mode;
        const char *meta;
    } cases[] = {
        {0, -1, 0, "derived"},          /* libCacheSim's convention */
        {1, INT64_MAX, 0, "derived"},   /* 1-based, "never" as INT64_MAX */
        {0, -1, 1, "carried"},          /* one value does not follow the rule */
    };
    mktmp();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_oracle(tpath("in.bin"), 5000, 700, cases[i].base, cases[i].none, cases[i].mode);
        struct tfmt_opts o = opts(1, 0);
        o.keep_next = 1;
        uint64_t n = 0;
        struct trace_err err;
        ck_assert_msg(convert("oracle", tpath("in.bin"), "vmmsim", tpath("mid.vtr"), &o, &n, &err) == 0, "%s", err.msg);
        ck_assert_uint_eq(n, 5000);
        struct recs r;
        ck_assert_msg(slurp("vmmsim", tpath("mid.vtr"), &o, &r) == 0, "%s", r.err.msg);
        ck_assert_str_eq(r.next_meta, cases[i].meta);
        ck_assert_uint_eq(r.h.flags & TRACE_F_NEXT, cases[i].mode ? TRACE_F_NEXT : 0);
        ck_assert_uint_eq(r.h.flags & TRACE_F_SIZES, TRACE_F_SIZES);
        recs_free(&r);
        ck_assert_msg(convert("vmmsim", tpath("mid.vtr"), "oracle", tpath("out.bin"), &o, &n, &err) == 0, "%s", err.msg);
        ck_assert_msg(same_file(tpath("in.bin"), tpath("out.bin")), "case %zu differs", i);
    }
    rmtmp();
}
END_TEST

START_TEST(test_oracle_errors)
{
    mktmp();
    unsigned char b[24 * 3 + 5] = {0};
    orec(b, 1, 2, 3, -1);
    put(tpath("t.bin"), b, sizeof b);
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    char want[512];
    ck_assert_int_eq(slurp("oracle", tpath("t.bin"), &o, &r), -EINVAL);
    snprintf(want, sizeof want, "%s: offset 72: expected a whole 24-byte record, got 5 bytes at the end (file size 77)",
             tpath("t.bin"));
    ck_assert_str_eq(r.err.msg, want);
    /* through a pipe the damage shows at the end */
    int save = dup(0), fd = open(tpath("t.bin"), O_RDONLY);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], b, sizeof b), (ssize_t)sizeof b);
    close(p[1]);
    dup2(p[0], 0);
    close(p[0]);
    close(fd);
    o.keep_next = 1; /* a pipe cannot be pre-passed: values are carried */
    int rc = slurp("oracle", "-", &o, &r);
    dup2(save, 0);
    close(save);
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_str_eq(r.err.msg, "-: offset 72: expected a whole 24-byte record, got 5 bytes at the end");
    ck_assert_str_eq(r.next_meta, "carried");
    ck_assert_uint_eq(r.n, 3);
    ck_assert_uint_eq(r.r[0].page, 2);
    ck_assert_int_eq(r.r[0].next, -1);
    recs_free(&r);
    rmtmp();
}
END_TEST

/* Writing oracleGeneral from a page trace: only reads and writes become
 * requests; sizes default to the page size; next values are derived. */
START_TEST(test_oracle_write)
{
    mktmp();
    static const char csv[] =
        "time,vm,pid,address,op\n"
        "1500000000,0,1,0x5000,read\n"    /* req 0: 1 s, obj 5, next 2 */
        "1600000000,0,1,0x6000,alloc\n"   /* skipped */
        "2999999999,0,1,0x7000,write\n"   /* req 1: 2 s, obj 7, none */
        "3000000000,0,1,0x5000,read\n";   /* req 2: 3 s, obj 5, none */
    put(tpath("a.csv"), csv, strlen(csv));
    struct tfmt_opts o = opts(1, 0);
    struct trace_err err;
    uint64_t n;
    ck_assert_msg(convert("csv", tpath("a.csv"), "oracle", tpath("a.bin"), &o, &n, &err) == 0, "%s", err.msg);
    unsigned char want[72];
    orec(want, 1, 5, 4096, 2);
    orec(want + 24, 2, 7, 4096, -1);
    orec(want + 48, 3, 5, 4096, -1);
    put(tpath("want.bin"), want, sizeof want);
    ck_assert(same_file(tpath("a.bin"), tpath("want.bin")));
    /* a time beyond 2^32 s cannot be written: no output appears */
    static const char late[] = "5000000000000000000,0,1,0x5000,read\n";
    put(tpath("late.csv"), late, strlen(late));
    ck_assert_int_eq(convert("csv", tpath("late.csv"), "oracle", tpath("late.bin"), &o, &n, &err), -ERANGE);
    ck_assert_int_eq(access(tpath("late.bin"), F_OK), -1);
    char want_msg[512];
    snprintf(want_msg, sizeof want_msg, "%s: request 0: expected a time below 2^32 s, got 5000000000 s", tpath("late.bin"));
    ck_assert_str_eq(err.msg, want_msg);
    /* object ids are not addresses: page * page size must fit 64 bits in csv */
    ck_assert_int_eq(convert("oracle", SAMPLES "zipf.oracleGeneral.bin", "csv", tpath("z.csv"), &o, &n, &err), -ERANGE);
    snprintf(want_msg, sizeof want_msg, "%s: record 0: page 0xcb099bd97ba39b2b times page size 4096 does not fit a 64-bit address",
             tpath("z.csv"));
    ck_assert_str_eq(err.msg, want_msg);
    ck_assert_uint_eq(files_in_tmp(), 4);
    rmtmp();
}
END_TEST

/* ---- csv ---- */

START_TEST(test_csv_sample)
{
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("csv", SAMPLES "small.csv", &o, &r) == 0, "%s", r.err.msg);
    static const size_t per_op[TRACE_NOPS] = {160, 92, 3, 4, 12, 3, 8, 10, 8};
    ck_assert_uint_eq(r.n, 300);
    for (unsigned i = 0; i < TRACE_NOPS; i++)
        ck_assert_uint_eq(count_op(&r, i), per_op[i]);
    ck_assert_uint_eq(distinct_pages(&r), 166);
    ck_assert_uint_eq(r.r[299].time, 297690);
    ck_assert_uint_eq(r.r[299].pid, 100);
    ck_assert_uint_eq(r.r[299].page, 0x7fff4);
    recs_free(&r);
    /* csv -> vmmsim -> csv is byte-identical */
    mktmp();
    struct trace_err err;
    uint64_t n;
    ck_assert_msg(convert("csv", SAMPLES "small.csv", "vmmsim", tpath("s.vtr"), &o, &n, &err) == 0, "%s", err.msg);
    ck_assert_msg(convert("vmmsim", tpath("s.vtr"), "csv", tpath("s.csv"), &o, &n, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(n, 300);
    ck_assert(same_file(SAMPLES "small.csv", tpath("s.csv")));
    rmtmp();
}
END_TEST

START_TEST(test_csv_hand)
{
    mktmp();
    static const char in[] =          /* no header, CRLF, an empty line */
        "10,0,1,8191,read\r\n"        /* page 1 (offset 4095 lost) */
        "\n"
        "20,65535,4294967295,0X10000,write\n"
        "30,2,3,0xffffffffffffffff,idle";  /* no final newline */
    put(tpath("h.csv"), in, strlen(in));
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("csv", tpath("h.csv"), &o, &r) == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_uint_eq(r.r[0].page, 1);
    ck_assert_uint_eq(r.r[1].vm, 65535);
    ck_assert_uint_eq(r.r[1].pid, 4294967295u);
    ck_assert_uint_eq(r.r[1].page, 16);
    ck_assert_uint_eq(r.r[1].op, TRACE_WRITE);
    ck_assert_uint_eq(r.r[2].page, 0xfffffffffffffull);
    ck_assert_uint_eq(r.r[2].op, TRACE_IDLE);
    recs_free(&r);
    struct trace_err err;
    uint64_t n;
    ck_assert_msg(convert("csv", tpath("h.csv"), "csv", tpath("o.csv"), &o, &n, &err) == 0, "%s", err.msg);
    static const char out[] = "time,vm,pid,address,op\n10,0,1,0x1000,read\n20,65535,4294967295,0x10000,write\n"
                              "30,2,3,0xfffffffffffff000,idle\n";
    put(tpath("want.csv"), out, strlen(out));
    ck_assert(same_file(tpath("o.csv"), tpath("want.csv")));
    rmtmp();
}
END_TEST

START_TEST(test_csv_errors)
{
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"x,0,1,0x1000,read", "column 1 (time): expected an integer 0..18446744073709551615, got 'x'"},
        {"5,65536,1,0x1000,read", "column 3 (vm): expected an integer 0..65535, got '65536'"},
        {"5,0,-1,0x1000,read", "column 5 (pid): expected an integer 0..4294967295, got '-1'"},
        {"5,0,1,0x1g00,read", "column 7 (address): expected a decimal or 0x-hex number 0..18446744073709551615, got '0x1g00'"},
        {"5,0,1,0x10000000000000000,read", "column 7 (address): expected a decimal or 0x-hex number 0..18446744073709551615, got '0x10000000000000000'"},
        {"5,0,1", "column 5 (pid): expected an integer 0..4294967295 followed by ',', got '1'"},
        {"5,0,1,4096,load", "column 12 (op): expected read|write|alloc|free|file-read|file-write|idle|pte|content, got 'load'"},
        {"5,0,1,4096,read,extra", "column 12 (op): expected read|write|alloc|free|file-read|file-write|idle|pte|content, got 'read,extra'"},
    };
    mktmp();
    char text[256], want[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "time,vm,pid,address,op\n1,0,1,0,read\n%s\n", bad[i].line);
        put(tpath("bad.csv"), text, strlen(text));
        struct tfmt_opts o = opts(1, 0);
        struct recs r;
        ck_assert_int_eq(slurp("csv", tpath("bad.csv"), &o, &r), -EINVAL);
        snprintf(want, sizeof want, "%s: line 3, %s", tpath("bad.csv"), bad[i].msg);
        ck_assert_str_eq(r.err.msg, want);
        recs_free(&r);
    }
    rmtmp();
}
END_TEST

/* ---- convert ---- */

/* A failure anywhere leaves no output file (and no temporary file). */
START_TEST(test_convert_no_output_on_failure)
{
    mktmp();
    static const char text[] = "==1== x\nI  1000,4\n L 2000,4\nI  zz,4\n";
    put(tpath("bad.lk"), text, strlen(text));
    struct tfmt_opts o = opts(1, 0);
    struct trace_err err;
    uint64_t n = 99;
    static const char *const to[] = {"vmmsim", "csv", "oracle"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(convert("lackey", tpath("bad.lk"), to[i], tpath("out"), &o, &n, &err), -EINVAL);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(access(tpath("out"), F_OK), -1);
        ck_assert_uint_eq(files_in_tmp(), 1);
    }
    /* unreadable input, unwritable output, read-only format as output */
    ck_assert_int_eq(convert("csv", tpath("nope.csv"), "vmmsim", tpath("out"), &o, &n, &err), -ENOENT);
    ck_assert_int_eq(convert("csv", SAMPLES "small.csv", "csv", "/nonexistent/dir/x.csv", &o, &n, &err), -ENOENT);
    ck_assert_int_eq(convert("csv", SAMPLES "small.csv", "lackey", tpath("out"), &o, &n, &err), -ENOTSUP);
    ck_assert_str_eq(err.msg + strlen(tpath("out")), ": format lackey cannot be written");
    ck_assert_uint_eq(files_in_tmp(), 1);
    rmtmp();
}
END_TEST

/* Fail the n-th allocation for every n until a conversion succeeds: each
 * failure is -ENOMEM (or a message), leaves no file and leaks nothing. */
START_TEST(test_convert_oom)
{
    mktmp();
    static const char *const pairs[][2] = {{"lackey", "oracle"}, {"csv", "vmmsim"}, {"oracle", "vmmsim"}};
    static const char *const in[] = {SAMPLES "true.lackey", SAMPLES "small.csv", SAMPLES "zipf.oracleGeneral.bin"};
    for (size_t p = 0; p < 3; p++) {
        int ok = 0;
        for (uint64_t k = 1; k < 500 && !ok; k++) {
            uint64_t before = mem_in_use(), n;
            struct trace_err err;
            struct tfmt_opts o = opts(1, 0);
            o.keep_next = 1;
            mem_fail_after(k);
            int rc = convert(pairs[p][0], in[p], pairs[p][1], tpath("o"), &o, &n, &err);
            int hit = mem_fail_triggered();
            mem_fail_reset();
            ck_assert_uint_eq(mem_in_use(), before);
            if (rc == 0) {
                ok = 1;
                ck_assert_int_eq(unlink(tpath("o")), 0);
            } else {
                ck_assert_msg(hit, "%s -> %s failed without injected failure: %s", pairs[p][0], pairs[p][1], err.msg);
                ck_assert_int_eq(access(tpath("o"), F_OK), -1);
            }
            ck_assert_uint_eq(files_in_tmp(), 0);
        }
        ck_assert(ok);
    }
    rmtmp();
}
END_TEST

/* Mutated samples (flipped bytes, inserted separators, cuts) give records
 * or a clean -EINVAL, never a crash or a leak (run under the sanitizers by
 * `make check`). */
START_TEST(test_fuzz_text_and_oracle)
{
    static const struct {
        const char *fmt, *path;
    } in[] = {{"lackey", SAMPLES "true.lackey"}, {"csv", SAMPLES "small.csv"},
              {"oracle", SAMPLES "zipf.oracleGeneral.bin"}};
    static const char junk[] = ",\n0x= ILSM9f-\r";
    mktmp();
    uint64_t x = 88172645463325252ull;
    int rounds = test_quick() ? 60 : 150;
    for (size_t f = 0; f < 3; f++) {
        FILE *fp = fopen(in[f].path, "rb");
        ck_assert_ptr_nonnull(fp);
        static unsigned char orig[80000], b[80000];
        size_t n = fread(orig, 1, sizeof orig, fp);
        fclose(fp);
        int errs = 0;
        for (int round = 0; round < rounds; round++) {
            memcpy(b, orig, n);
            size_t len = n;
            for (int k = 0; k < 1 + round % 8; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t at = (size_t)(x % len);
                b[at] = (x >> 40) & 1 ? (unsigned char)(x >> 48) : (unsigned char)junk[(x >> 20) % (sizeof junk - 1)];
            }
            if (round % 5 == 4)
                len -= (size_t)(x >> 30) % (len / 2);
            put(tpath("m"), b, len);
            uint64_t before = mem_in_use();
            struct tfmt_opts o = opts(round & 1, round & 2);
            o.keep_next = round & 4;
            struct recs r;
            int rc = slurp(in[f].fmt, tpath("m"), &o, &r);
            ck_assert_msg(rc == 0 || rc == -EINVAL, "%s round %d: %d %s", in[f].fmt, round, rc, r.err.msg);
            ck_assert_msg(rc == 0 || strncmp(r.err.msg, tpath("m"), strlen(tpath("m"))) == 0, "%s", r.err.msg);
            ck_assert_uint_eq(mem_in_use(), before);
            errs += rc < 0;
            recs_free(&r);
        }
        /* the mutations reach both outcomes */
        ck_assert_msg(errs > 0 && errs < rounds, "%s: %d of %d rounds failed", in[f].fmt, errs, rounds);
    }
    rmtmp();
}
END_TEST

/* The committed real trace H4's experiment replays. */
START_TEST(test_native_sample)
{
    struct tfmt_opts o = opts(1, 0);
    struct recs r;
    ck_assert_msg(slurp("vmmsim", SAMPLES "sort.vtr", &o, &r) == 0, "%s", r.err.msg);
    ck_assert_uint_eq(r.n, 539116);
    ck_assert_uint_eq(distinct_pages(&r), 2499);
    ck_assert_uint_eq(r.pid0, 1);
    ck_assert_str_eq(r.ifetch_meta, "0");
    recs_free(&r);
}
END_TEST

Suite *suite_tfmt(void)
{
    Suite *s = suite_create("tfmt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_guess);
    tcase_add_test(tc, test_lackey_sample);
    tcase_add_test(tc, test_lackey_hand);
    tcase_add_test(tc, test_lackey_errors);
    tcase_add_test(tc, test_lackey_stdin);
    tcase_add_test(tc, test_oracle_sample);
    tcase_add_test(tc, test_oracle_read_pages);
    tcase_add_test(tc, test_oracle_roundtrip);
    tcase_add_test(tc, test_oracle_errors);
    tcase_add_test(tc, test_oracle_write);
    tcase_add_test(tc, test_csv_sample);
    tcase_add_test(tc, test_csv_hand);
    tcase_add_test(tc, test_csv_errors);
    tcase_add_test(tc, test_convert_no_output_on_failure);
    tcase_add_test(tc, test_convert_oom);
    tcase_add_test(tc, test_fuzz_text_and_oracle);
    tcase_add_test(tc, test_native_sample);
    suite_add_tcase(s, tc);
    return s;
}
