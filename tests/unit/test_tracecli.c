/* test_tracecli: `vmmsim trace info|head|verify|gen|convert` as a user meets
 * them. tracecli_main runs in-process with stdout and stderr redirected to
 * files, so exact output lines, messages and exit statuses are checked
 * without depending on the command table of sim/main.c. Traces are written
 * to a fresh temporary directory: a hand-made one with hand-counted
 * statistics, and generated ones whose counts follow from their spec.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/mem.h"
#include "sim/tracecli.h"
#include "sim/traceinfo.h"
#include "sim/tracegen.h"
#include "tests/testutil.h"
#include "traces/tfmt.h"
#include "traces/trace.h"

#define OUTMAX (256 * 1024)

struct outcome {
    int status;
    char out[OUTMAX];
    char err[4096];
};

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tracecli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    test_rmdir_flat(dir);
}

static const char *path(const char *name)
{
    static char buf[8][512]; /* run() uses two itself */
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void slurp(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    lseek(fd, 0, SEEK_SET);
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
}

/* Run `vmmsim trace ARGS...` (NULL-terminated) with output captured. */
static struct outcome *run(const char *first, ...)
{
    static struct outcome o;
    char *argv[40] = {"trace"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 39; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    int fo = open(path("stdout.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    int fe = open(path("stderr.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert(fo >= 0 && fe >= 0);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    o.status = tracecli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    slurp(fo, o.out, sizeof o.out);
    slurp(fe, o.err, sizeof o.err);
    close(fo);
    close(fe);
    return &o;
}

static long file_bytes(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static int same_file(const char *a, const char *b)
{
    static char x[1 << 20], y[1 << 20];
    int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
    ck_assert(fa >= 0 && fb >= 0);
    ssize_t na = read(fa, x, sizeof x), nb = read(fb, y, sizeof y);
    close(fa);
    close(fb);
    ck_assert_int_lt(na, (ssize_t)sizeof x);
    return na == nb && memcmp(x, y, (size_t)na) == 0;
}

/* Every record of a native trace (at most max). */
static size_t read_all(const char *p, struct trace_rec *buf, size_t max)
{
    struct trace_reader *r;
    struct trace_err err;
    ck_assert_msg(trace_reader_open(p, &r, &err) == 0, "%s", err.msg);
    size_t n = 0;
    ssize_t k;
    while (n < max && (k = trace_read(r, buf + n, max - n, &err)) > 0)
        n += (size_t)k;
    trace_reader_close(r);
    return n;
}

/* The hand-made trace: 9 records over two VMs and three processes.
 *   (vm 0, pid 0): read 5, write 5, idle, alloc 9   -> 4 records, pages {5, 9}
 *   (vm 0, pid 1): read 5, read 0, file-read 6      -> 3 records, pages {5, 0, 6}
 *   (vm 1, pid 0): read 7, content 7                -> 2 records, pages {7}
 * VM 0 pages {0, 5, 6, 9} = 4, VM 1 {7} = 1, overall 5. */
static const struct trace_rec small[] = {
    {.time = 0, .page = 5, .op = TRACE_READ},
    {.time = 10, .page = 5, .op = TRACE_WRITE},
    {.time = 20, .page = 5, .pid = 1, .op = TRACE_READ},
    {.time = 30, .page = 7, .vm = 1, .op = TRACE_READ},
    {.time = 40, .page = 0, .arg = 100, .op = TRACE_IDLE},
    {.time = 50, .page = 0, .pid = 1, .op = TRACE_READ},
    {.time = 60, .page = 9, .op = TRACE_ALLOC},
    {.time = 70, .page = 7, .arg = 0xabc, .vm = 1, .op = TRACE_CONTENT},
    {.time = 80, .page = 6, .arg = 3, .pid = 1, .op = TRACE_FILE_READ},
};

static void write_small(const char *p)
{
    struct trace_vm vms[2] = {{"a", 1 << 20}, {"b", 0}};
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096, .nvms = 2, .vms = vms};
    struct trace_writer *w;
    struct trace_err err;
    struct trace_rec recs[9];
    memcpy(recs, small, sizeof recs);
    for (int i = 0; i < 9; i++)
        recs[i].next = TRACE_NO_NEXT;
    ck_assert_msg(trace_writer_open(p, &h, &w, &err) == 0, "%s", err.msg);
    ck_assert_msg(trace_write(w, recs, 9, &err) == 0, "%s", err.msg);
    ck_assert_msg(trace_writer_close(w, &err) == 0, "%s", err.msg);
}

#define HAS(hay, needle) ck_assert_msg(strstr((hay), (needle)), "missing [%s] in:\n%s", (needle), (hay))

START_TEST(info_counts_by_hand)
{
    write_small(path("s.vtr"));
    struct outcome *o = run("info", "--json", path("s.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    HAS(o->out, "\"records\": 9, \"blocks\": 1,");
    HAS(o->out, "\"first_time\": 0, \"last_time\": 80, \"duration_ns\": 80,");
    HAS(o->out, "\"ops\": {\"read\": 4, \"write\": 1, \"alloc\": 1, \"free\": 0, \"file-read\": 1, "
                "\"file-write\": 0, \"idle\": 1, \"pte\": 0, \"content\": 1, \"unknown\": 0}");
    HAS(o->out, "\"footprint_pages\": 5, \"footprint_bytes\": 20480,");
    HAS(o->out, "{\"vm\": 0, \"processes\": 2, \"records\": 7, \"reads\": 3, \"writes\": 1, \"pages\": 4, "
                "\"bytes\": 16384}");
    HAS(o->out, "{\"vm\": 1, \"processes\": 1, \"records\": 2, \"reads\": 1, \"writes\": 0, \"pages\": 1,");
    HAS(o->out, "{\"vm\": 0, \"pid\": 0, \"records\": 4, \"reads\": 1, \"writes\": 1, \"pages\": 2,");
    HAS(o->out, "{\"vm\": 0, \"pid\": 1, \"records\": 3, \"reads\": 2, \"writes\": 0, \"pages\": 3,");
    HAS(o->out, "{\"vm\": 1, \"pid\": 0, \"records\": 2, \"reads\": 1, \"writes\": 0, \"pages\": 1,");
    HAS(o->out, "\"vms\": [{\"index\": 0, \"name\": \"a\", \"memory\": 1048576}, {\"index\": 1, \"name\": \"b\"");
    o = run("info", path("s.vtr"), NULL);
    ck_assert_int_eq(o->status, 0);
    HAS(o->out, "ops:         read 4, write 1, alloc 1, file-read 1, idle 1, content 1\n");
    HAS(o->out, "footprint:   5 pages, 20480 bytes\n");
    HAS(o->out, "duration:    80 ns (first 0, last 80)\n");
    HAS(o->out, "      0          1              3              2              0            3            12288\n");
}
END_TEST

START_TEST(head_lines_exact)
{
    write_small(path("s.vtr"));
    struct outcome *o = run("head", "-n", "8", path("s.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    ck_assert_str_eq(o->out, "0 0 0 read 0x5\n"
                             "10 0 0 write 0x5\n"
                             "20 0 1 read 0x5\n"
                             "30 1 0 read 0x7\n"
                             "40 0 0 idle 0x0 ns=100\n"
                             "50 0 1 read 0x0\n"
                             "60 0 0 alloc 0x9\n"
                             "70 1 0 content 0x7 content=0xabc\n");
    o = run("head", path("s.vtr"), NULL); /* default 10: all 9 */
    ck_assert_int_eq(o->status, 0);
    HAS(o->out, "\n80 0 1 file-read 0x6 block=3\n");
    o = run("head", "-n", "0", path("s.vtr"), NULL);
    ck_assert_int_eq(o->status, 0);
    ck_assert_str_eq(o->out, "");
}
END_TEST

/* Flip one byte in the middle of the file (inside the only block). */
static void corrupt_copy(const char *from, const char *to)
{
    static char b[1 << 16];
    int f = open(from, O_RDONLY);
    ssize_t n = read(f, b, sizeof b);
    close(f);
    ck_assert_int_gt(n, 16);
    b[n - 6] ^= 0x10;
    f = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_eq(write(f, b, (size_t)n), n);
    close(f);
}

START_TEST(verify_ok_and_corrupt)
{
    write_small(path("s.vtr"));
    struct outcome *o = run("verify", path("s.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    char want[600];
    snprintf(want, sizeof want, "%s: ok, 9 records in 1 blocks\n", path("s.vtr"));
    ck_assert_str_eq(o->out, want);
    corrupt_copy(path("s.vtr"), path("bad.vtr"));
    o = run("verify", path("bad.vtr"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->out, "");
    ck_assert_msg(strncmp(o->err, path("bad.vtr"), strlen(path("bad.vtr"))) == 0, "%s", o->err);
    char *nl = strchr(o->err, '\n');
    ck_assert_msg(nl && nl[1] == 0, "not one line: %s", o->err);
    o = run("info", path("bad.vtr"), NULL);
    ck_assert_int_eq(o->status, 2);
    o = run("verify", path("missing.vtr"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_ptr_nonnull(strstr(o->err, "missing.vtr"));
}
END_TEST

static const char zspec[] = "{kind: zipf, alpha: 0.9, footprint: 4MiB, refs: 20000, write_ratio: 25%}";

START_TEST(gen_deterministic_and_counted)
{
    struct outcome *o = run("gen", "--workload", zspec, "--seed", "7", "-o", path("a.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    HAS(o->out, ": 20000 records, 1 VMs, 1 processes, ");
    ck_assert_int_eq(run("gen", "--workload", zspec, "--seed", "7", "-o", path("b.vtr"), NULL)->status, 0);
    ck_assert_int_eq(run("gen", "--workload", zspec, "--seed", "8", "-o", path("c.vtr"), NULL)->status, 0);
    ck_assert(same_file(path("a.vtr"), path("b.vtr")));
    ck_assert(!same_file(path("a.vtr"), path("c.vtr")));
    /* In line (no second thread), the bytes are the same. */
    struct tracegen_opts go = {.spec = zspec, .seed = 7, .seed_set = 1, .to = tfmt_find("vmmsim"),
                               .out = path("i.vtr")};
    struct tracegen_result res;
    char err[1024];
    ck_assert_msg(tracegen_run(&go, &res, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(res.records, 20000);
    ck_assert(same_file(path("a.vtr"), path("i.vtr")));
    o = run("info", "--json", path("a.vtr"), NULL);
    ck_assert_int_eq(o->status, 0);
    HAS(o->out, "\"records\": 20000,");
    HAS(o->out, "\"duration_ns\": 1999900,"); /* 20000 refs, 100 ns think each */
    unsigned long long rd, wr, pages;
    const char *ops = strstr(o->out, "\"ops\": {");
    ck_assert_ptr_nonnull(ops);
    ck_assert_int_eq(sscanf(ops, "\"ops\": {\"read\": %llu, \"write\": %llu,", &rd, &wr), 2);
    ck_assert_uint_eq(rd + wr, 20000);
    ck_assert(wr > 4500 && wr < 5500); /* 25% of 20000, binomial sd 61 */
    ck_assert_int_eq(sscanf(strstr(o->out, "\"footprint_pages\""), "\"footprint_pages\": %llu", &pages), 1);
    ck_assert(pages > 100 && pages <= 1024); /* 4 MiB = 1024 pages */
}
END_TEST

START_TEST(gen_sparse_ids_is_a_bijection)
{
    static struct trace_rec d[5000], s[5000];
    const char *spec = "{kind: zipf, footprint: 1MiB, refs: 5000}";
    ck_assert_int_eq(run("gen", "--workload", spec, "-o", path("d.vtr"), NULL)->status, 0);
    ck_assert_int_eq(run("gen", "--workload", spec, "--sparse-ids", "-o", path("s.vtr"), NULL)->status, 0);
    ck_assert_uint_eq(read_all(path("d.vtr"), d, 5000), 5000);
    ck_assert_uint_eq(read_all(path("s.vtr"), s, 5000), 5000);
    for (int i = 0; i < 5000; i++) {
        ck_assert_uint_lt(d[i].page, 256);
        ck_assert_uint_eq(s[i].page, tracegen_sparse(d[i].page));
        ck_assert_uint_eq(s[i].time, d[i].time);
        ck_assert_uint_eq(s[i].op, d[i].op);
    }
    struct outcome *o = run("info", "--json", path("d.vtr"), NULL);
    const char *fp = strstr(o->out, "\"footprint_pages\"");
    ck_assert_ptr_nonnull(fp);
    char dense[64];
    snprintf(dense, sizeof dense, "%.40s", fp);
    o = run("info", "--json", path("s.vtr"), NULL);
    HAS(o->out, dense);
    ck_assert_uint_eq(tracegen_sparse(0), 0xe220a8397b1dcdafull); /* splitmix64 of seed 0 */
}
END_TEST

/* Three processes with equal think time interleave in pid order. */
START_TEST(gen_merges_processes_by_time)
{
    static struct trace_rec r[64];
    const char *spec = "{kind: uniform, processes: 3, footprint: 64KiB, refs: 10, think: 10ns}";
    ck_assert_int_eq(run("gen", "--workload", spec, "-o", path("m.vtr"), NULL)->status, 0);
    ck_assert_uint_eq(read_all(path("m.vtr"), r, 64), 30);
    for (unsigned i = 0; i < 30; i++) {
        ck_assert_uint_eq(r[i].time, (i / 3) * 10);
        ck_assert_uint_eq(r[i].pid, i % 3);
        ck_assert_uint_eq(r[i].vm, 0);
        ck_assert_uint_lt(r[i].page, 16);
    }
}
END_TEST

/* An idle period is one IDLE record (arg in ns) that moves the process's
 * clock by its length: 2 refs at 1 us think, 5 us idle, repeated. */
START_TEST(gen_idle_moves_the_clock)
{
    static struct trace_rec r[32];
    const char *spec = "{kind: phases, processes: 2, footprint: 1MiB, refs: 6, think: 1us, "
                       "phases: [{refs: 2, wss: 2%}, {idle: 5us}]}";
    ck_assert_int_eq(run("gen", "--workload", spec, "-o", path("p.vtr"), NULL)->status, 0);
    ck_assert_uint_eq(read_all(path("p.vtr"), r, 32), 16);
    static const unsigned t[8] = {0, 1000, 2000, 7000, 8000, 9000, 14000, 15000};
    for (unsigned i = 0; i < 16; i++) {
        ck_assert_uint_eq(r[i].time, t[i / 2]);
        ck_assert_uint_eq(r[i].pid, i % 2);
        int idle = i / 2 == 2 || i / 2 == 5;
        ck_assert_uint_eq(r[i].op == TRACE_IDLE, idle);
        ck_assert_uint_eq(r[i].arg, idle ? 5000 : 0);
        if (!idle)
            ck_assert_uint_lt(r[i].page, 5); /* 2% of 256 pages */
    }
}
END_TEST

static const char two_vms[] =
    "name: t\n"
    "seed: 3\n"
    "host:\n"
    "  memory: 64MiB\n"
    "  vmm: {policy: random}\n"
    "  vms:\n"
    "    - name: v0\n"
    "      memory: 8MiB\n"
    "      workload: {kind: uniform, footprint: 1MiB, refs: 4, think: 100ns}\n"
    "    - name: v1\n"
    "      memory: 8MiB\n"
    "      workload: {kind: loop, footprint: 1MiB, refs: 2, think: 300ns}\n";

START_TEST(gen_from_config_merges_vms)
{
    static struct trace_rec r[16];
    FILE *f = fopen(path("two.yaml"), "w");
    fputs(two_vms, f);
    fclose(f);
    struct outcome *o = run("gen", path("two.yaml"), "-o", path("t.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    ck_assert_uint_eq(read_all(path("t.vtr"), r, 16), 6);
    /* v0 at 0, 100, 200, 300; v1 at 0, 300; ties go to the lower VM. */
    static const unsigned t[6] = {0, 0, 100, 200, 300, 300}, vm[6] = {0, 1, 0, 0, 0, 1};
    for (int i = 0; i < 6; i++) {
        ck_assert_uint_eq(r[i].time, t[i]);
        ck_assert_uint_eq(r[i].vm, vm[i]);
    }
    ck_assert_uint_eq(r[1].page, 0); /* loop starts at page 0 */
    ck_assert_uint_eq(r[5].page, 1);
    o = run("info", "--json", path("t.vtr"), NULL);
    HAS(o->out, "{\"index\": 0, \"name\": \"v0\", \"memory\": 8388608}, {\"index\": 1, \"name\": \"v1\"");
    HAS(o->out, "\"seed\": \"3\"");
}
END_TEST

START_TEST(usage_errors_exact)
{
    struct outcome *o = run("frob", NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "vmmsim trace: unknown subcommand 'frob' (expected one of info, head, verify, gen, "
                             "convert) (see 'vmmsim trace --help')\n");
    o = run("gen", "--workload", "{kind: zipf, footprint: 1MiB}", NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "vmmsim trace gen: missing -o OUT (see 'vmmsim trace gen --help')\n");
    o = run("gen", "--workload", "{kind: zipf, footprint: 1MiB}", "--to", "tiff", "-o", path("x"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "vmmsim trace gen: --to: expected one of vmmsim, lackey, oracleGeneral, csv, got "
                             "\"tiff\" (see 'vmmsim trace gen --help')\n");
    o = run("gen", "--workload", "{kind: zipf, footprint: lots}", "-o", path("x"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "--workload:1:25: footprint: expected a size like 512MiB, got \"lots\"\n");
    o = run("gen", "--workload", "{kind: zipf, footprint: 1MiB, colour: red}", "-o", path("x"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_ptr_nonnull(strstr(o->err, "--workload:1:31: "));
    ck_assert_ptr_nonnull(strstr(o->err, "unknown key 'colour'"));
    ck_assert_int_eq(file_bytes(path("x")), -1);
    o = run("head", "-n", "ten", "t.vtr", NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "vmmsim trace head: -n: expected a count of records, got \"ten\" "
                             "(see 'vmmsim trace head --help')\n");
    o = run("info", "--frob", "t.vtr", NULL);
    ck_assert_str_eq(o->err, "vmmsim trace info: unknown option '--frob' (see 'vmmsim trace info --help')\n");
    o = run("convert", "--page-size", "3000", "a", "b", NULL);
    ck_assert_str_eq(o->err, "vmmsim trace convert: --page-size: expected a power of two from 512B to 1GiB, "
                             "got \"3000\" (see 'vmmsim trace convert --help')\n");
    o = run("gen", "--help", NULL);
    ck_assert_int_eq(o->status, 0);
    ck_assert_ptr_nonnull(strstr(o->out, "usage: vmmsim trace gen"));
}
END_TEST

START_TEST(convert_roundtrip_oracle)
{
    const char *spec = "{kind: zipf, footprint: 1MiB, refs: 3000}";
    struct outcome *o = run("gen", "--workload", spec, "--sparse-ids", "--to", "oracleGeneral", "-o",
                            path("z.oracleGeneral"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    ck_assert_int_eq(file_bytes(path("z.oracleGeneral")), 3000 * 24);
    o = run("convert", path("z.oracleGeneral"), path("z.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    HAS(o->out, "(oracleGeneral) -> ");
    HAS(o->out, "(vmmsim): 3000 records, ");
    o = run("convert", "--to", "oracleGeneral", path("z.vtr"), path("back.bin"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    ck_assert(same_file(path("z.oracleGeneral"), path("back.bin")));
    o = run("info", path("z.oracleGeneral"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    HAS(o->out, "records:     3000 in 0 blocks, 72000 bytes, 24.000 bytes/record\n");
}
END_TEST

/* The committed lackey sample has 806 ' L' lines and 327 ' S'/' M' lines
 * (grep -c); without instruction fetches each is one record. */
START_TEST(convert_lackey_options)
{
    const char *sample = "traces/samples/true.lackey";
    if (access(sample, R_OK) != 0)
        return; /* run from the repository root */
    struct outcome *o = run("convert", "--no-ifetch", "--vm", "3", "--pid", "9", sample, path("l.vtr"), NULL);
    ck_assert_msg(o->status == 0, "%s", o->err);
    HAS(o->out, "(lackey) -> ");
    HAS(o->out, "(vmmsim): 1133 records, ");
    o = run("info", "--json", path("l.vtr"), NULL);
    HAS(o->out, "\"per_process\": [{\"vm\": 3, \"pid\": 9, \"records\": 1133, \"reads\": 806, \"writes\": 327,");
    o = run("convert", "--vm", "65536", sample, path("x.vtr"), NULL);
    ck_assert_int_eq(o->status, 2);
    ck_assert_str_eq(o->err, "vmmsim trace convert: --vm: expected a VM index from 0 to 65535, got \"65536\" "
                             "(see 'vmmsim trace convert --help')\n");
    o = run("convert", sample, NULL);
    ck_assert_str_eq(o->err, "vmmsim trace convert: expected IN and OUT, got only IN "
                             "(see 'vmmsim trace convert --help')\n");
}
END_TEST

/* The page set: 0 is a key like any other, duplicates count once, and
 * growth (1024 slots at first) keeps every key: 100000 keys i * 2^40 + i
 * with every third one added twice. */
START_TEST(page_set_counts_distinct)
{
    struct traceinfo_set *s = traceinfo_set_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(traceinfo_set_add(s, 0), 1);
    ck_assert_int_eq(traceinfo_set_add(s, 0), 0);
    ck_assert_int_eq(traceinfo_set_add(s, UINT64_MAX), 1);
    ck_assert_uint_eq(traceinfo_set_count(s), 2);
    for (uint64_t i = 1; i <= 100000; i++) {
        uint64_t k = i << 40 | i;
        ck_assert_int_eq(traceinfo_set_add(s, k), 1);
        if (i % 3 == 0)
            ck_assert_int_eq(traceinfo_set_add(s, k), 0);
    }
    for (uint64_t i = 1; i <= 100000; i += 7)
        ck_assert_int_eq(traceinfo_set_add(s, i << 40 | i), 0);
    ck_assert_uint_eq(traceinfo_set_count(s), 100002);
    traceinfo_set_free(s);
}
END_TEST

/* traceinfo_add_ix by hand: (vm, pid, page, ix) with a page appended
 * twice (0xa at indices 0 and 2), a page coded without an index before it
 * is appended (0xc), one without an index that is in the dictionary (0xb),
 * page 0, and an idle record. Footprints: vm 0 pid 1 {a, b, c, 0} = 4,
 * vm 0 pid 2 {a, c} = 2, vm 0 = 4, vm 1 pid 1 {b} = 1, total 5. Records
 * naming a known index carry a wrong page (999), as with TRACE_RX_DICT_IX:
 * the index alone must decide. */
START_TEST(info_ix_by_hand)
{
    static const struct { uint16_t vm; uint32_t pid; uint64_t page; uint8_t op; uint32_t ix; } in[] = {
        {0, 1, 0xa, TRACE_READ, 0},  {0, 1, 0xb, TRACE_WRITE, 1},     {0, 2, 999, TRACE_READ, 0},
        {0, 2, 0xa, TRACE_READ, 2},  {0, 2, 0xc, TRACE_READ, UINT32_MAX}, {0, 1, 0xc, TRACE_READ, 3},
        {1, 1, 999, TRACE_IDLE, 1},  {1, 1, 0xb, TRACE_READ, UINT32_MAX}, {0, 1, 0, TRACE_READ, 4},
        {0, 2, 999, TRACE_READ, 2},
    };
    struct trace_rec r[10] = {{0}};
    uint32_t ix[10];
    for (int i = 0; i < 10; i++) {
        r[i] = (struct trace_rec){.time = 10 + (uint64_t)i, .vm = in[i].vm, .pid = in[i].pid,
                                  .page = in[i].page, .op = in[i].op, .arg = in[i].op == TRACE_IDLE};
        ix[i] = in[i].ix;
    }
    struct traceinfo ti;
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, r, ix, 4), 0); /* in two calls */
    ck_assert_int_eq(traceinfo_add_ix(&ti, r + 4, ix + 4, 6), 0);
    ck_assert_int_eq(traceinfo_end(&ti), 0);
    ck_assert_uint_eq(ti.records, 10);
    ck_assert_uint_eq(ti.ops[TRACE_READ], 8);
    ck_assert_uint_eq(ti.ops[TRACE_WRITE], 1);
    ck_assert_uint_eq(ti.ops[TRACE_IDLE], 1);
    ck_assert_uint_eq(ti.first_time, 10);
    ck_assert_uint_eq(ti.last_time, 19);
    ck_assert_uint_eq(ti.pages, 5);
    ck_assert_uint_eq(ti.nvms, 2);
    ck_assert_uint_eq(ti.vms[0].pages, 4);
    ck_assert_uint_eq(ti.vms[1].pages, 1);
    ck_assert_uint_eq(ti.nprocs, 3);
    ck_assert_uint_eq(ti.procs[0].pages, 4);
    ck_assert_uint_eq(ti.procs[0].records, 4);
    ck_assert_uint_eq(ti.procs[0].writes, 1);
    ck_assert_uint_eq(ti.procs[1].pages, 2);
    ck_assert_uint_eq(ti.procs[2].pages, 1);
    ck_assert_uint_eq(ti.procs[2].records, 2);
    traceinfo_free(&ti);
    /* an index that skips ahead: the records did not start at the first */
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, r + 1, ix + 1, 1), -EINVAL);
    traceinfo_free(&ti);
}
END_TEST

/* Past the bitmaps' memory budget (64 MiB): process 0 appends 500000
 * pages, then 1100 processes each name the last one, a 64 KiB bitmap
 * apiece; around the 1000th the footprints move to sets. Expected: 500000
 * pages for process 0 and for the VM, 1 for each other process. */
START_TEST(info_ix_budget_to_sets)
{
    size_t np = 500000, n = np + 1100;
    struct trace_rec *r = calloc(n, sizeof *r);
    uint32_t *ix = malloc(n * sizeof *ix);
    for (size_t i = 0; i < n; i++) {
        r[i].page = i < np ? 0x1000 + i : 999;
        r[i].pid = i < np ? 0 : (uint32_t)(i - np + 1);
        ix[i] = i < np ? (uint32_t)i : (uint32_t)(np - 1);
    }
    struct traceinfo ti;
    ck_assert_int_eq(traceinfo_begin(&ti), 0);
    ck_assert_int_eq(traceinfo_add_ix(&ti, r, ix, n), 0);
    ck_assert_int_eq(traceinfo_end(&ti), 0);
    ck_assert_uint_eq(ti.nprocs, 1101);
    ck_assert_uint_eq(ti.pages, np);
    ck_assert_uint_eq(ti.procs[0].pages, np);
    for (uint32_t i = 1; i < 1101; i++)
        ck_assert_uint_eq(ti.procs[i].pages, 1);
    traceinfo_free(&ti);
    free(r);
    free(ix);
}
END_TEST

/* n records over 3 VMs x 4 processes with their indices as a reader gives
 * them: a new page takes the next index (now and then a known page is
 * appended again), a few known pages come without one. */
static void ix_records(struct trace_rec *r, uint32_t *ix, size_t n, uint64_t seed)
{
    uint64_t *dict = malloc(n * sizeof *dict), s = seed;
    uint32_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t x = s >> 16;
        r[i] = (struct trace_rec){.time = i, .vm = (uint16_t)(x % 3), .pid = (uint32_t)(x / 3 % 4),
                                  .op = x % 97 == 0 ? TRACE_IDLE : (uint8_t)(x / 12 % 2)};
        r[i].arg = r[i].op == TRACE_IDLE ? 5 : 0;
        unsigned kind = (unsigned)(x >> 20) % 16;
        if (nd == 0 || kind < 3) { /* new */
            r[i].page = (x >> 24) * 4096 + i;
            dict[nd] = r[i].page;
            ix[i] = nd++;
        } else {
            uint32_t k = (uint32_t)((x >> 24) % nd);
            r[i].page = dict[k];
            ix[i] = k;
            if (kind == 3) { /* appended again */
                dict[nd] = r[i].page;
                ix[i] = nd++;
            } else if (kind == 4) {
                ix[i] = UINT32_MAX;
            }
        }
    }
    free(dict);
}

/* The bitmaps count what the hash sets count, over many growths; and a
 * failed allocation anywhere gives -ENOMEM and frees everything. */
START_TEST(info_ix_matches_sets)
{
    size_t n = test_quick() ? 20000 : 300000;
    struct trace_rec *r = malloc(n * sizeof *r);
    uint32_t *ix = malloc(n * sizeof *ix);
    ix_records(r, ix, n, 42);
    struct traceinfo a, b;
    ck_assert_int_eq(traceinfo_begin(&a), 0);
    ck_assert_int_eq(traceinfo_add(&a, r, n), 0);
    ck_assert_int_eq(traceinfo_end(&a), 0);
    ck_assert_int_eq(traceinfo_begin(&b), 0);
    for (size_t i = 0; i < n; i += 777)
        ck_assert_int_eq(traceinfo_add_ix(&b, r + i, ix + i, n - i < 777 ? n - i : 777), 0);
    ck_assert_int_eq(traceinfo_end(&b), 0);
    ck_assert_uint_gt(a.pages, n / 10);
    ck_assert_uint_eq(a.pages, b.pages);
    ck_assert_uint_eq(a.nvms, 3);
    ck_assert_uint_eq(b.nprocs, 12);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_uint_eq(a.vms[i].pages, b.vms[i].pages);
    for (uint32_t i = 0; i < 12; i++) {
        ck_assert_uint_eq(a.procs[i].pages, b.procs[i].pages);
        ck_assert_uint_eq(a.procs[i].records, b.procs[i].records);
    }
    ck_assert_int_eq(memcmp(a.ops, b.ops, sizeof a.ops), 0);
    ck_assert_uint_eq(a.min_time, b.min_time);
    ck_assert_uint_eq(a.max_time, b.max_time);
    traceinfo_free(&a);
    size_t m = 5000;
    int rc = -ENOMEM, k;
    for (k = 1; rc == -ENOMEM && k < 10000; k++) {
        uint64_t before = mem_in_use();
        mem_fail_after((uint64_t)k);
        rc = traceinfo_begin(&a);
        if (rc == 0 && (rc = traceinfo_add_ix(&a, r, ix, m)) == 0)
            rc = traceinfo_end(&a);
        else if (rc == -ENOMEM && a.scan)
            traceinfo_free(&a);
        mem_fail_reset();
        if (rc == 0) {
            ck_assert_uint_eq(a.records, m);
            traceinfo_free(&a);
        }
        ck_assert_uint_eq(mem_in_use(), before);
    }
    ck_assert_int_eq(rc, 0);
    traceinfo_free(&b);
    free(r);
    free(ix);
}
END_TEST

static ssize_t read_native(void *r, struct trace_rec *buf, size_t n, struct trace_err *err)
{
    return trace_read(r, buf, n, err);
}

/* Fail the n-th allocation for n = 1, 2, ... until generation and the info
 * scan succeed: every failure is -ENOMEM with a message, leaves no output
 * file and gives back every byte it allocated. */
START_TEST(out_of_memory_cleans_up)
{
    struct tracegen_opts go = {.spec = "{kind: zipf, processes: 2, footprint: 256KiB, refs: 3000}",
                               .to = tfmt_find("vmmsim"), .out = path("f.vtr")};
    struct tracegen_result res;
    char err[1024];
    int rc = -ENOMEM, n;
    for (n = 1; rc == -ENOMEM && n < 10000; n++) {
        uint64_t before = mem_in_use();
        mem_fail_after((uint64_t)n);
        rc = tracegen_run(&go, &res, err, sizeof err);
        mem_fail_reset();
        ck_assert_uint_eq(mem_in_use(), before);
        if (rc == -ENOMEM) {
            ck_assert_int_eq(file_bytes(path("f.vtr")), -1);
            ck_assert_msg(err[0], "no message at n=%d", n);
        }
    }
    ck_assert_msg(rc == 0, "n=%d: %s", n, err);
    ck_assert_uint_eq(res.records, 6000);
    struct trace_err te;
    struct traceinfo ti;
    rc = -ENOMEM;
    for (n = 1; rc == -ENOMEM && n < 10000; n++) {
        struct trace_reader *r;
        uint64_t before = mem_in_use();
        ck_assert_int_eq(trace_reader_open(path("f.vtr"), &r, &te), 0);
        mem_fail_after((uint64_t)n);
        rc = traceinfo_scan(read_native, r, &ti, &te);
        mem_fail_reset();
        if (rc == 0) {
            ck_assert_uint_eq(ti.records, 6000);
            ck_assert_uint_eq(ti.nprocs, 2);
            traceinfo_free(&ti);
        }
        trace_reader_close(r);
        ck_assert_uint_eq(mem_in_use(), before);
    }
    ck_assert_int_eq(rc, 0);
}
END_TEST

Suite *suite_tracecli(void)
{
    Suite *s = suite_create("tracecli");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, info_counts_by_hand);
    tcase_add_test(tc, head_lines_exact);
    tcase_add_test(tc, verify_ok_and_corrupt);
    tcase_add_test(tc, gen_deterministic_and_counted);
    tcase_add_test(tc, gen_sparse_ids_is_a_bijection);
    tcase_add_test(tc, gen_merges_processes_by_time);
    tcase_add_test(tc, gen_idle_moves_the_clock);
    tcase_add_test(tc, gen_from_config_merges_vms);
    tcase_add_test(tc, usage_errors_exact);
    tcase_add_test(tc, convert_roundtrip_oracle);
    tcase_add_test(tc, convert_lackey_options);
    tcase_add_test(tc, page_set_counts_distinct);
    tcase_add_test(tc, info_ix_by_hand);
    tcase_add_test(tc, info_ix_matches_sets);
    tcase_add_test(tc, info_ix_budget_to_sets);
    tcase_add_test(tc, out_of_memory_cleans_up);
    suite_add_tcase(s, tc);
    return s;
}
