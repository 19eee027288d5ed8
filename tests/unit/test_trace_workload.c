/* test_trace_workload: the `trace` workload kind (workloads/trace.c).
 *
 * Record streams are checked against hand-read traces in tests/scenario/
 * (trace-tiny.csv, trace-timed.csv: the expected vpns are worked out next
 * to each test), a trace-driven scenario against hand-computed counts (its
 * working is in tests/scenario/trace-double-paging-fifo.yaml), bad keys and
 * damaged traces against positioned messages, and the trace-driven
 * double-paging experiment (configs/double-paging-trace.yaml) against the
 * shape it exists to show. Run from the repository root. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/mem.h"
#include "sim/model.h"
#include "tests/testutil.h"
#include "tests/unit/simutil.h"
#include "traces/trace.h"
#include "workloads/workload.h"

/* Inline configs are named as if they lived in tests/scenario/, so their
 * relative `file:` resolves there. */
#define INLINE "tests/scenario/inline.yaml"

struct wl {
    struct cfg_doc *doc;
    struct workload_set set;
    struct cfg_err err;
    int rc;
};

/* Build the workload set of "workload: {...}" text; rc 0 or the error. */
static int wl_open(struct wl *w, const char *yaml)
{
    memset(w, 0, sizeof *w);
    w->doc = cfg_load_string(INLINE, yaml, &w->err);
    ck_assert_msg(w->doc != NULL, "%s", w->err.msg);
    w->rc = workload_set_create(cfg_get(w->doc->root, "workload"), 4096, 1, 0, &w->set, &w->err);
    if (w->rc == 0 && cfg_check_unused(w->doc->root, &w->err) < 0)
        w->rc = -EINVAL;
    return w->rc;
}

static void wl_close(struct wl *w)
{
    workload_set_destroy(&w->set);
    cfg_free(w->doc);
}

/* Records of process p up to and including WL_END, as "r0 w1 i49 ." text
 * (read, write, idle µs, end), filled n at a time. */
static void stream_text(struct wl *w, uint32_t p, size_t n, char *out, size_t size)
{
    struct wl_ref buf[64];
    size_t len = 0;
    out[0] = '\0';
    for (int guard = 0; guard < 1000; guard++) {
        size_t k = workload_fill(&w->set.procs[p], buf, n);
        for (size_t i = 0; i < k; i++) {
            static const char c[] = "rwi.";
            int m = snprintf(out + len, size - len, "%s%c%u", len ? " " : "", c[buf[i].op], buf[i].vpn);
            ck_assert(m > 0 && (size_t)m < size - len);
            len += (size_t)m;
            if (buf[i].op == WL_END)
                return;
        }
    }
    ck_abort_msg("no WL_END");
}

static void expect_stream(const char *yaml, uint32_t p, const char *want)
{
    struct wl w;
    char got[2048];
    ck_assert_msg(wl_open(&w, yaml) == 0, "%s", w.err.msg);
    for (size_t n = 1; n <= 64; n += 63) { /* one record at a time, then whole buffers */
        wl_close(&w);
        ck_assert_msg(wl_open(&w, yaml) == 0, "%s", w.err.msg);
        stream_text(&w, p, n, got, sizeof got);
        ck_assert_msg(strcmp(got, want) == 0, "%s\nprocess %u (fill %zu): got  %s\nexpected %s", yaml, p, n, got,
                      want);
    }
    wl_close(&w);
}

/* trace-tiny.csv has three streams, in order of first appearance:
 *   (vm 0, pid 1): R 0x7 W 0x3 R 0x7 (free 0x5) R 0x9 R 0x3
 *   (vm 0, pid 2): W 0x7ffd00001 R 0x7ffd00000 (idle, arg 0)
 *   (vm 1, pid 1): R 0x2
 * Its times step by a constant 10 ns: untimed, so no IDLE records. */
START_TEST(dense_default_map)
{
    struct wl w;
    ck_assert_msg(wl_open(&w, "workload: {kind: trace, file: trace-tiny.csv}") == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.common.processes, 3);
    ck_assert_uint_eq(w.set.common.pages, 3);      /* pid 1 has 3 distinct pages */
    ck_assert_uint_eq(w.set.common.refs, 5);       /* the longest stream */
    ck_assert_double_eq(w.set.common.write_ratio, 0.0);
    ck_assert_uint_eq(w.set.procs[0].total, 5);
    ck_assert_uint_eq(w.set.procs[1].total, 2);
    ck_assert_uint_eq(w.set.procs[2].total, 1);
    wl_close(&w);
    /* dense: first-seen order per process, 7 -> 0, 3 -> 1, 9 -> 2. */
    expect_stream("workload: {kind: trace, file: trace-tiny.csv}", 0, "r0 w1 r0 r2 r1 .0");
    expect_stream("workload: {kind: trace, file: trace-tiny.csv}", 1, "w0 r1 .0");
    expect_stream("workload: {kind: trace, file: trace-tiny.csv}", 2, "r0 .0");
    expect_stream("workload: {kind: trace, file: trace-tiny.csv, offset: 5}", 1, "w5 r6 .0");
}
END_TEST

START_TEST(direct_and_offset)
{
    struct wl w;
    const char *y = "workload: {kind: trace, file: trace-tiny.csv, pages: direct, map: {vm: 0, pids: [1]}}";
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.common.processes, 1);
    ck_assert_uint_eq(w.set.common.pages, 10); /* page 9 + 1 */
    wl_close(&w);
    expect_stream(y, 0, "r7 w3 r7 r9 r3 .0");
    expect_stream("workload: {kind: trace, file: trace-tiny.csv, pages: direct, offset: 100, map: {pids: [1], vm: 0}}",
                  0, "r107 w103 r107 r109 r103 .0");
    /* base: min subtracts the process's lowest page (3). */
    y = "workload: {kind: trace, file: trace-tiny.csv, pages: direct, base: min, offset: 1, map: {vm: 0, pids: [1]}}";
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.common.pages, 8); /* 9 - 3 + 1 + 1 */
    wl_close(&w);
    expect_stream(y, 0, "r5 w1 r5 r7 r1 .0");
    /* An explicit footprint may be larger than the trace's, never smaller. */
    ck_assert_int_eq(wl_open(&w, "workload: {kind: trace, file: trace-tiny.csv, pages: direct, footprint: 16 KiB,"
                                 " map: {vm: 0, pids: [1]}}"), -EINVAL);
    ck_assert_msg(strstr(w.err.msg, "inline.yaml:1:") && strstr(w.err.msg, "footprint") &&
                      strstr(w.err.msg, "expected at least 10 pages"), "%s", w.err.msg);
    wl_close(&w);
}
END_TEST

START_TEST(loop_and_budget)
{
    const char *one = "workload: {kind: trace, file: trace-tiny.csv, map: {vm: 0, pids: [1]}";
    char y[256];
    snprintf(y, sizeof y, "%s, loop: 2}", one);
    expect_stream(y, 0, "r0 w1 r0 r2 r1 r0 w1 r0 r2 r1 .0");
    snprintf(y, sizeof y, "%s, refs: 3}", one);
    expect_stream(y, 0, "r0 w1 r0 .0");
    snprintf(y, sizeof y, "%s, loop: true, refs: 7}", one);
    expect_stream(y, 0, "r0 w1 r0 r2 r1 r0 w1 .0");
    snprintf(y, sizeof y, "%s, loop: 3, refs: 100}", one); /* the trace ends first: 15 */
    struct wl w;
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.procs[0].total, 15);
    wl_close(&w);
    snprintf(y, sizeof y, "%s, loop: true}", one);
    ck_assert_int_eq(wl_open(&w, y), -EINVAL);
    ck_assert_msg(strstr(w.err.msg, "inline.yaml:1:") && strstr(w.err.msg, "loop") && strstr(w.err.msg, "refs"),
                  "%s", w.err.msg);
    wl_close(&w);
    /* write_ratio still turns reads into writes when asked to. */
    snprintf(y, sizeof y, "%s, write_ratio: 100%%}", one);
    expect_stream(y, 0, "w0 w1 w0 w2 w1 .0");
}
END_TEST

START_TEST(processes_from_one_trace)
{
    struct wl w;
    /* pids in list order: pid 2 becomes process 0. */
    const char *y = "workload: {kind: trace, file: trace-tiny.csv, map: {vm: 0, pids: [2, 1]}}";
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.common.processes, 2);
    wl_close(&w);
    expect_stream(y, 0, "w0 r1 .0");
    expect_stream(y, 1, "r0 w1 r0 r2 r1 .0");
    /* map.vm alone: VM 1's one stream. */
    expect_stream("workload: {kind: trace, file: trace-tiny.csv, map: {vm: 1}}", 0, "r0 .0");
    /* An explicit processes count must match the trace. */
    ck_assert_int_eq(wl_open(&w, "workload: {kind: trace, file: trace-tiny.csv, processes: 3}"), 0);
    wl_close(&w);
    ck_assert_int_eq(wl_open(&w, "workload: {kind: trace, file: trace-tiny.csv, processes: 2}"), -EINVAL);
    ck_assert_msg(strstr(w.err.msg, "inline.yaml:1:") && strstr(w.err.msg, "processes: expected 3"), "%s",
                  w.err.msg);
    wl_close(&w);
}
END_TEST

/* trace-timed.csv, one process, think 100 ns, idle_min 10 µs:
 *   t=1000 R 0x1: first record, gap 0            sleep 0
 *   t=1100 R 0x2: gap 100 - think 100            sleep 0
 *   t=51100 W 0x1: gap 50000 - 100 = 49900       IDLE 49 µs, 900 ns carried
 *   t=51300 R 0x3: 900 + 200 - 100 = 1000        below idle_min
 * time_scale 2 doubles the gaps: 200-100 = 100, then 100 + 100000 - 100 =
 * 100000: IDLE 100 µs. time_scale 0.1: 4900 at most, no IDLE. */
START_TEST(timing)
{
    expect_stream("workload: {kind: trace, file: trace-timed.csv}", 0, "r0 r1 i49 w0 r2 .0");
    expect_stream("workload: {kind: trace, file: trace-timed.csv, time_scale: 2}", 0, "r0 r1 i100 w0 r2 .0");
    expect_stream("workload: {kind: trace, file: trace-timed.csv, time_scale: 0.1}", 0, "r0 r1 w0 r2 .0");
    expect_stream("workload: {kind: trace, file: trace-timed.csv, time_scale: 0}", 0, "r0 r1 w0 r2 .0");
    expect_stream("workload: {kind: trace, file: trace-timed.csv, idle_min: 60us}", 0, "r0 r1 w0 r2 .0");
    /* think 1us eats 1000 ns of each gap: 50000 - 1000 = 49000. */
    expect_stream("workload: {kind: trace, file: trace-timed.csv, think: 1us}", 0, "r0 r1 i49 w0 r2 .0");
}
END_TEST

static void expect_error(const char *yaml, const char *const *parts, size_t n)
{
    struct wl w;
    ck_assert_msg(wl_open(&w, yaml) < 0, "%s: accepted", yaml);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strstr(w.err.msg, parts[i]) != NULL, "%s\nmessage: %s\nlacks: %s", yaml, w.err.msg, parts[i]);
    wl_close(&w);
}

#define ERR(yaml, ...)                                                   \
    do {                                                                 \
        const char *const p_[] = {__VA_ARGS__};                          \
        expect_error(yaml, p_, sizeof p_ / sizeof p_[0]);                \
    } while (0)

START_TEST(bad_keys)
{
    ERR("workload: {kind: trace}", "inline.yaml:1:", "missing key 'file'");
    ERR("workload: {kind: trace, file: no-such.csv}", "inline.yaml:1:", "workload.file", "tests/scenario/no-such.csv");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: bogus}", "workload.map",
        "expected all or a mapping", "bogus");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {vm: 9}}", "workload.map.vm", "no records of VM 9");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {pids: [4]}}", "inline.yaml:1:", "no records of pid 4");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {pids: [1]}}", "pid 1 occurs in trace VMs 0 and 1");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {vm: 0, pids: [1, 1]}}", "distinct");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {vms: 0}}", "unknown key 'vms'");
    ERR("workload: {kind: trace, file: trace-tiny.csv, map: {pids: [x]}}", "workload.map.pids", "\"x\"");
    ERR("workload: {kind: trace, file: trace-tiny.csv, pages: sparse}", "workload.pages", "dense", "direct");
    ERR("workload: {kind: trace, file: trace-tiny.csv, base: 3}", "unknown key 'base'");
    ERR("workload: {kind: trace, file: trace-tiny.csv, pages: direct}", "workload.pages", "span too far");
    ERR("workload: {kind: trace, file: trace-tiny.csv, pages: direct, base: 8, map: {vm: 0, pids: [1]}}",
        "workload.base", "below base");
    ERR("workload: {kind: trace, file: trace-tiny.csv, format: xml}", "workload.format", "\"xml\"");
    ERR("workload: {kind: trace, file: trace-tiny.csv, loop: sometimes}", "workload.loop");
    ERR("workload: {kind: trace, file: trace-tiny.csv, idle_min: 10ns}", "workload.idle_min", "1us");
    /* A csv read as lackey text is bad input too. */
    ERR("workload: {kind: trace, file: trace-tiny.csv, format: lackey}", "workload.file", "trace-tiny.csv");
}
END_TEST

/* A temporary file with the given bytes; returns its path in buf. */
static void temp_file(char *buf, size_t size, const char *suffix, const void *data, size_t n)
{
    snprintf(buf, size, "/tmp/vmmsim-twl-%ld%s", (long)getpid(), suffix);
    FILE *f = fopen(buf, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void expect_file_error(const char *path, const char *what)
{
    char y[512];
    snprintf(y, sizeof y, "workload: {kind: trace, file: %s}", path);
    ERR(y, "inline.yaml:1:", "workload.file", path, what);
}

START_TEST(damaged_traces)
{
    char path[128];
    static const char csv[] = "time,vm,pid,address,op\n0,0,1,0x1000,read\n10,0,1,0x2000,jump\n";
    temp_file(path, sizeof path, ".csv", csv, sizeof csv - 1);
    expect_file_error(path, "line 3");
    unlink(path);

    /* A native trace: 3000 records, then damaged in three ways. */
    struct trace_header h = {.version = TRACE_VERSION, .page_size = 4096};
    struct trace_writer *tw;
    struct trace_err te;
    snprintf(path, sizeof path, "/tmp/vmmsim-twl-%ld.vtr", (long)getpid());
    ck_assert_msg(trace_writer_open(path, &h, &tw, &te) == 0, "%s", te.msg);
    for (uint64_t i = 0; i < 3000; i++) {
        struct trace_rec r = {.time = i, .page = (i * 7) % 500, .next = TRACE_NO_NEXT, .op = i % 3 == 0};
        ck_assert_msg(trace_write(tw, &r, 1, &te) == 0, "%s", te.msg);
    }
    ck_assert_msg(trace_writer_close(tw, &te) == 0, "%s", te.msg);
    char y[512];
    snprintf(y, sizeof y, "workload: {kind: trace, file: %s}", path);
    struct wl w;
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    ck_assert_uint_eq(w.set.common.pages, 500);
    ck_assert_uint_eq(w.set.common.refs, 3000);
    wl_close(&w);
    /* Replayed natively, twice, cut by refs: record i of a pass is page
     * 7i mod 500, first seen at i < 500 (7 and 500 are coprime), so its
     * dense vpn is i mod 500; every third record is a write. */
    snprintf(y, sizeof y, "workload: {kind: trace, file: %s, loop: 2, refs: 5000}", path);
    ck_assert_msg(wl_open(&w, y) == 0, "%s", w.err.msg);
    struct wl_ref buf[64];
    uint64_t i = 0;
    for (int end = 0; !end;) {
        size_t k = workload_fill(&w.set.procs[0], buf, 64);
        for (size_t j = 0; j < k && !end; j++, i++) {
            end = buf[j].op == WL_END;
            uint64_t ip = i % 3000;
            if (!end)
                ck_assert_msg(buf[j].vpn == ip % 500 && buf[j].op == (ip % 3 == 0 ? WL_WRITE : WL_READ),
                              "record %llu: vpn %u op %u", (unsigned long long)i, buf[j].vpn, buf[j].op);
        }
    }
    ck_assert_uint_eq(i, 5001);
    wl_close(&w);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char data[1 << 20];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    ck_assert(n > 200 && n < sizeof data);
    data[n - 40] ^= 0x10; /* inside the last block or the end marker */
    temp_file(path, sizeof path, ".vtr", data, n);
    expect_file_error(path, "offset");
    data[n - 40] ^= 0x10;
    temp_file(path, sizeof path, ".vtr", data, n / 2); /* cut */
    expect_file_error(path, "offset");
    data[0] ^= 0xff; /* magic */
    temp_file(path, sizeof path, ".vtr", data, n);
    expect_file_error(path, "offset 0");
    unlink(path);
}
END_TEST

struct expect {
    int counter;
    uint64_t value;
};

static void run_counts(const char *file, const struct expect *e, size_t n, char **summary)
{
    struct simrun r;
    ck_assert_msg(simrun_open(&r, file, NULL, NULL, 0) == 0, "%s: %s", file, r.err.msg);
    ck_assert_msg(sim_run(r.s) == 0, "%s: %s", file, r.s->err);
    ck_assert_int_eq(r.s->complete, 1);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(simrun_total(&r, e[i].counter) == e[i].value, "%s: %s = %llu, expected %llu", file,
                      vm_counter_names[e[i].counter], (unsigned long long)simrun_total(&r, e[i].counter),
                      (unsigned long long)e[i].value);
    ck_assert_uint_eq(workload_set_skipped(&r.s->vms[0]->wl), 160);
    *summary = simrun_summary(&r);
    simrun_close(&r);
}

/* Counts worked out in tests/scenario/trace-double-paging-fifo.yaml; two
 * runs give byte-identical summaries. */
START_TEST(scenario_trace_double_paging)
{
    static const struct expect e[] = {
        {C_refs, 320},          {C_guest_faults, 160}, {C_guest_major_faults, 80}, {C_guest_swapins, 80},
        {C_guest_swapouts, 96}, {C_guest_drops, 0},    {C_double_paging, 96},      {C_vmm_swapins, 96},
        {C_vmm_swapouts, 112},  {C_false_swap_reads, 0}, {C_silent_swap_writes, 0}, {C_vmm_faults, 0},
    };
    char *s1, *s2;
    const char *f = "tests/scenario/trace-double-paging-fifo.yaml";
    run_counts(f, e, sizeof e / sizeof e[0], &s1);
    run_counts(f, e, sizeof e / sizeof e[0], &s2);
    ck_assert_str_eq(s1, s2);
    ck_assert_ptr_nonnull(strstr(s1, "\"trace_records_skipped\": 160,"));
    free(s1);
    free(s2);
}
END_TEST

/* Failing each allocation in turn while building a trace-driven VM (config,
 * pre-scan, page maps, per-process readers) fails cleanly and leaks
 * nothing; the config keeps the page maps growing past their first size. */
START_TEST(alloc_failures_are_clean)
{
    static const char *const files[] = {"tests/scenario/trace-double-paging-fifo.yaml", NULL};
    static const char *const texts[] = {
        NULL,
        "name: t\nhost:\n  memory: 4MiB\n  vms:\n    - memory: 256KiB\n      workload: {kind: trace, "
        "file: trace-tiny.csv, map: {vm: 0, pids: [2, 1]}, loop: 2}\n",
    };
    for (int t = 0; t < 2; t++) {
        const char *name = files[t] ? files[t] : INLINE;
        uint64_t base = mem_in_use();
        struct simrun r;
        ck_assert_msg(simrun_open(&r, name, texts[t], NULL, 0) == 0, "%s", r.err.msg);
        simrun_close(&r);
        ck_assert_uint_eq(mem_in_use(), base);
        int done = 0;
        for (uint64_t n = 1; !done && n < 5000; n++) {
            mem_fail_after(n);
            int rc = simrun_open(&r, name, texts[t], NULL, 0);
            done = !mem_fail_triggered();
            if (!done)
                ck_assert_int_ne(rc, 0);
            simrun_close(&r);
            mem_fail_reset();
            ck_assert_msg(mem_in_use() == base, "%s: leak after failing allocation %llu", name,
                          (unsigned long long)n);
        }
        ck_assert_int_eq(done, 1);
    }
}
END_TEST

/* One point of configs/double-paging-trace.yaml: guest swap-outs and
 * double-paging events. */
static void dp_point(const char *limit, const char *policy, uint64_t *swapouts, uint64_t *dp)
{
    char s1[64], s2[64];
    snprintf(s1, sizeof s1, "host.vms[0].limit=%s", limit);
    snprintf(s2, sizeof s2, "host.vmm.policy=%s", policy);
    const char *sets[] = {s1, s2};
    struct simrun r;
    ck_assert_msg(simrun_open(&r, "configs/double-paging-trace.yaml", NULL, sets, 2) == 0, "%s", r.err.msg);
    ck_assert_msg(sim_run(r.s) == 0, "%s", r.s->err);
    ck_assert_int_eq(r.s->complete, 1);
    ck_assert_uint_ne(r.s->vms[0]->finish_ns, 0);
    /* The guest must page: memory is below the trace's footprint. */
    ck_assert_uint_gt(r.s->vms[0]->wl.common.pages, r.s->vms[0]->g.nframes);
    ck_assert_uint_eq(simrun_total(&r, C_refs), r.s->vms[0]->wl.procs[0].total);
    *swapouts = simrun_total(&r, C_guest_swapouts);
    *dp = simrun_total(&r, C_double_paging);
    simrun_close(&r);
}

/* The trace-driven double-paging experiment shows what it exists to show:
 * the guest pages, no double paging while the VMM backs all guest memory,
 * some below that, growing (never shrinking) as the VMM's share shrinks.
 * Quick mode: random at 100% and 60% only. */
START_TEST(double_paging_trace_config)
{
    static const char *const limits[] = {"100%", "90%", "80%", "70%", "60%", "50%", "40%"};
    static const char *const pols[] = {"random", "clock"};
    for (int k = 0; k < (test_quick() ? 1 : 2); k++) {
        double prev = -1;
        for (int i = 0; i < 7; i++) {
            if (test_quick() && i != 0 && i != 4)
                continue;
            uint64_t so, dp;
            dp_point(limits[i], pols[k], &so, &dp);
            ck_assert_uint_gt(so, 0);
            double per1000 = 1000.0 * (double)dp / (double)so;
            if (i == 0)
                ck_assert_uint_eq(dp, 0);
            else
                ck_assert_msg(dp > 0 && per1000 >= prev, "%s %s: %.1f double paging per 1000 guest swap-outs "
                              "(previous limit: %.1f)", limits[i], pols[k], per1000, prev);
            prev = per1000;
        }
    }
}
END_TEST

Suite *suite_trace_workload(void)
{
    Suite *s = suite_create("trace_workload");
    TCase *tc = tcase_create("streams");
    tcase_add_test(tc, dense_default_map);
    tcase_add_test(tc, direct_and_offset);
    tcase_add_test(tc, loop_and_budget);
    tcase_add_test(tc, processes_from_one_trace);
    tcase_add_test(tc, timing);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, bad_keys);
    tcase_add_test(tc, damaged_traces);
    tcase_add_test(tc, alloc_failures_are_clean);
    suite_add_tcase(s, tc);
    tc = tcase_create("scenarios");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, scenario_trace_double_paging);
    tcase_add_test(tc, double_paging_trace_config);
    suite_add_tcase(s, tc);
    return s;
}
