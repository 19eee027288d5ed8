/* test_workloads: the workload registry, the framework (write ratio, refs
 * budget, stream seeding, cleanup) and every generator's distribution.
 *
 * Configs are YAML strings loaded through sim/cfg, shaped like the real
 * experiment file (vms[0].workload) so that error messages carry real paths
 * and positions. Statistical checks use fixed seeds, so they are exact
 * regression values; the tolerances are 4-5 standard deviations so that a
 * change of seed would still pass, while a wrong distribution fails. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/mem.h"
#include "workloads/workload.h"
#include "workloads/zipf.h"

#define PAGE 4096u

struct fixture {
    struct cfg_doc *doc;
    struct workload_set set;
    struct cfg_err err;
    int rc;
};

/* Load "vms: [ {workload: ...} ]" where body is the workload map's lines
 * (each indented by 6 spaces) and create the set. */
static void setup(struct fixture *f, const char *body, uint64_t seed, uint32_t vm)
{
    char text[4096];
    snprintf(text, sizeof text, "vms:\n  - workload:\n%s", body);
    memset(f, 0, sizeof *f);
    f->doc = cfg_load_string("t.yaml", text, &f->err);
    ck_assert_msg(f->doc != NULL, "%s", f->err.msg);
    struct cfg_node *map = cfg_get(cfg_item(cfg_get(f->doc->root, "vms"), 0), "workload");
    f->rc = workload_set_create(map, PAGE, seed, vm, &f->set, &f->err);
}

static void setup_ok(struct fixture *f, const char *body, uint64_t seed, uint32_t vm)
{
    setup(f, body, seed, vm);
    ck_assert_msg(f->rc == 0, "%s", f->err.msg);
}

static void teardown(struct fixture *f)
{
    workload_set_destroy(&f->set);
    cfg_free(f->doc);
}

/* The message of a config that must fail to create. */
static const char *fail_msg(struct fixture *f, const char *body)
{
    setup(f, body, 1, 0);
    ck_assert_int_eq(f->rc, -EINVAL);
    cfg_free(f->doc);
    return f->err.msg;
}

/* Run process proc to its end in chunks of chunk records; copy at most max
 * records (WL_END included) to out; return the total count of records. */
static size_t drain(struct workload *w, size_t chunk, struct wl_ref *out, size_t max)
{
    struct wl_ref buf[512];
    size_t total = 0;
    ck_assert(chunk <= 512);
    for (;;) {
        size_t k = workload_fill(w, buf, chunk);
        ck_assert(k >= 1 && k <= chunk);
        for (size_t i = 0; i < k; i++) {
            if (total < max)
                out[total] = buf[i];
            total++;
            if (buf[i].op == WL_END) {
                ck_assert_uint_eq(i, k - 1);
                return total;
            }
        }
    }
}

/* ---- registry ------------------------------------------------------------ */

START_TEST(test_registry)
{
    char buf[128];
    ck_assert_str_eq(workload_names(buf, sizeof buf), "uniform, zipf, loop, hot-cold, phases, trace");
    ck_assert_ptr_nonnull(workload_find("hot-cold"));
    ck_assert_str_eq(workload_find("zipf")->name, "zipf");
    ck_assert_ptr_null(workload_find("hotcold"));
    size_t n = 0;
    for (const struct workload_entry *e = workload_table(); e->name; e++, n++)
        ck_assert_str_eq(e->ops->name, e->name);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(workload_names(buf, 12), "uniform, zi");
}
END_TEST

/* ---- loop: exact streams ------------------------------------------------- */

START_TEST(test_loop_exact)
{
    /* 5 pages, stride 2: sweeps 0 2 4 | 0 2 4 | 0, then END after 7 refs. */
    static const uint32_t want[] = {0, 2, 4, 0, 2, 4, 0};
    struct fixture f;
    struct wl_ref out[16];
    setup_ok(&f, "      kind: loop\n      footprint: 20KiB\n      stride: 2\n      refs: 7\n"
                 "      write_ratio: 0\n", 1, 0);
    ck_assert_uint_eq(f.set.common.pages, 5);
    ck_assert_uint_eq(drain(&f.set.procs[0], 3, out, 16), 8);
    for (int i = 0; i < 7; i++) {
        ck_assert_uint_eq(out[i].op, WL_READ);
        ck_assert_uint_eq(out[i].vpn, want[i]);
    }
    ck_assert_uint_eq(out[7].op, WL_END);
    teardown(&f);

    /* stride 1 over 3 pages (8193 bytes: a partial page counts), one
     * process of two: 0 1 2 0 1. */
    setup_ok(&f, "      kind: loop\n      footprint: 8193\n      refs: 5\n      processes: 2\n"
                 "      write_ratio: 0%\n", 1, 0);
    ck_assert_uint_eq(drain(&f.set.procs[1], 64, out, 16), 6);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(out[i].vpn, (uint32_t)i % 3);
    teardown(&f);
}
END_TEST

/* ---- uniform ------------------------------------------------------------- */

START_TEST(test_uniform_range_mean)
{
    /* 1000 pages, 200000 refs: the mean's sd is 288.7/sqrt(2e5) = 0.65. */
    struct fixture f;
    struct wl_ref buf[256];
    double sum = 0;
    uint32_t lo = UINT32_MAX, hi = 0;
    uint64_t refs = 0;
    setup_ok(&f, "      kind: uniform\n      footprint: 4000KiB\n      refs: 200k\n", 7, 0);
    for (;;) {
        size_t k = workload_fill(&f.set.procs[0], buf, 256);
        if (buf[k - 1].op == WL_END)
            k--;
        for (size_t i = 0; i < k; i++) {
            ck_assert_uint_lt(buf[i].vpn, 1000);
            sum += buf[i].vpn;
            lo = buf[i].vpn < lo ? buf[i].vpn : lo;
            hi = buf[i].vpn > hi ? buf[i].vpn : hi;
        }
        refs += k;
        if (k < 256 && refs == 200000)
            break;
    }
    ck_assert_uint_eq(refs, 200000);
    ck_assert_uint_eq(lo, 0);
    ck_assert_uint_eq(hi, 999);
    ck_assert_double_eq_tol(sum / refs, 499.5, 3.0);
    teardown(&f);
}
END_TEST

/* ---- zipf ---------------------------------------------------------------- */

/* Pearson chi-square of counts c[0..n) (rank r+1 in c[r], plus the rest
 * lumped in c[n] if tail) against probabilities 1/r^alpha over total ranks. */
static double chi_square(const uint64_t *c, uint32_t n, uint32_t total, double alpha, uint64_t samples, int tail)
{
    double z = 0, chi = 0, head = 0;
    for (uint32_t r = 1; r <= total; r++)
        z += pow(r, -alpha);
    for (uint32_t r = 1; r <= n; r++) {
        double e = samples * pow(r, -alpha) / z;
        head += e;
        chi += (c[r - 1] - e) * (c[r - 1] - e) / e;
    }
    if (tail) {
        double e = samples - head;
        chi += (c[n] - e) * (c[n] - e) / e;
    }
    return chi;
}

/* Draw samples ranks (scatter off: vpn = rank - 1) into c[0..n], the last
 * bin counting every rank above n. */
static void zipf_counts(const char *body, uint64_t *c, uint32_t n, uint64_t samples)
{
    struct fixture f;
    struct wl_ref buf[256];
    setup_ok(&f, body, 3, 0);
    memset(c, 0, (n + 1) * sizeof *c);
    for (uint64_t got = 0; got < samples; got += 256) {
        ck_assert_uint_eq(f.set.procs[0].ops->fill(f.set.procs[0].self, buf, 256), 256);
        for (int i = 0; i < 256; i++)
            c[buf[i].vpn < n ? buf[i].vpn : n]++;
    }
    teardown(&f);
}

START_TEST(test_zipf_chi_square)
{
    /* 100 pages, 99 degrees of freedom: mean 99, sd 14; bound 170 = 5 sd. */
    uint64_t c[101];
    const uint64_t s = 256 * 800;
    zipf_counts("      kind: zipf\n      footprint: 400KiB\n      scatter: false\n", c, 100, s);
    ck_assert_double_lt(chi_square(c, 100, 100, 0.9, s, 0), 170);
    ck_assert_double_gt(chi_square(c, 100, 100, 1.0, s, 0), 1000);  /* wrong exponent */
    ck_assert_double_gt(chi_square(c, 100, 100, 0.85, s, 0), 300);
    ck_assert_uint_gt(c[0], c[1]);

    zipf_counts("      kind: zipf\n      footprint: 400KiB\n      scatter: false\n      alpha: 1\n", c, 100, s);
    ck_assert_double_lt(chi_square(c, 100, 100, 1.0, s, 0), 170);
    ck_assert_double_gt(chi_square(c, 100, 100, 0.9, s, 0), 1000);
}
END_TEST

START_TEST(test_zipf_rejection_inversion)
{
    /* ZIPF_ALIAS_MAX + 1 pages: the table-free sampler. Ranks 1..50 and one
     * tail bin: 50 degrees of freedom, mean 50, sd 10; bound 100. */
    const uint32_t pages = ZIPF_ALIAS_MAX + 1;
    const uint64_t s = 256 * 800;
    uint64_t c[51];
    for (int a = 0; a < 2; a++) {
        char body[256];
        double alpha = a ? 1.0 : 0.9;
        snprintf(body, sizeof body, "      kind: zipf\n      footprint: %uKiB\n      scatter: false\n"
                 "      alpha: %s\n", pages * 4, a ? "1.0" : "0.9");
        zipf_counts(body, c, 50, s);
        ck_assert_double_lt(chi_square(c, 50, pages, alpha, s, 1), 100);
        ck_assert_double_gt(chi_square(c, 50, pages, alpha + 0.1, s, 1), 1000);
    }
}
END_TEST

START_TEST(test_zipf_methods_small)
{
    /* Both samplers on 20 ranks, every rank its own bin: 19 degrees of
     * freedom, mean 19, sd 6.2; bound 50. alpha 0.5, 1 and 2. */
    static const double alphas[] = {0.5, 1.0, 2.0};
    static const enum zipf_method methods[] = {ZIPF_ALIAS, ZIPF_REJECTION};
    const uint64_t s = 200000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    for (int m = 0; m < 2; m++) {
        for (int a = 0; a < 3; a++) {
            struct zipf_dist d;
            uint64_t c[20] = {0};
            ck_assert_int_eq(zipf_dist_init(&d, 20, alphas[a], 0, methods[m], r), 0);
            ck_assert((d.alias != NULL) == (methods[m] == ZIPF_ALIAS));
            for (uint64_t i = 0; i < s; i++) {
                uint32_t v = zipf_dist_draw(&d, r);
                ck_assert_uint_lt(v, 20);
                c[v]++;
            }
            ck_assert_double_lt(chi_square(c, 20, 20, alphas[a], s, 0), 50);
            ck_assert_double_gt(chi_square(c, 20, 20, alphas[a] * 1.1, s, 0), 200);
            zipf_dist_fini(&d);
        }
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_zipf_scatter)
{
    /* The permutation is a bijection on [0, n), not the identity, and the
     * hottest page is the image of rank 1. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    struct zipf_dist d;
    uint32_t n = 1000, moved = 0;
    char *seen = calloc(n, 1);
    ck_assert_int_eq(zipf_dist_init(&d, n, 0.9, 1, ZIPF_AUTO, r), 0);
    for (uint32_t k = 1; k <= n; k++) {
        uint32_t v = zipf_dist_item(&d, k);
        ck_assert_uint_lt(v, n);
        ck_assert_int_eq(seen[v], 0);
        seen[v] = 1;
        moved += v != k - 1;
    }
    ck_assert_uint_gt(moved, 900);
    uint32_t hits = 0, top = zipf_dist_item(&d, 1);
    for (int i = 0; i < 100000; i++)
        hits += zipf_dist_draw(&d, r) == top;
    /* p(rank 1) = 1/H(1000, 0.9) = 1/10.5235 = 0.09503: 9503 of 100000,
     * sd of the count 93; tolerance 5 sd */
    ck_assert_uint_gt(hits, 9503 - 465);
    ck_assert_uint_lt(hits, 9503 + 465);
    zipf_dist_fini(&d);
    free(seen);

    /* 2^20 items: the 1000 hottest land spread over the range; each eighth
     * gets 125 expected, sd 10.5. */
    uint32_t eighth[8] = {0};
    ck_assert_int_eq(zipf_dist_init(&d, 1u << 20, 0.9, 1, ZIPF_REJECTION, r), 0);
    for (uint32_t k = 1; k <= 1000; k++)
        eighth[zipf_dist_item(&d, k) >> 17]++;
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_gt(eighth[i], 125 - 53);
        ck_assert_uint_lt(eighth[i], 125 + 53);
    }
    zipf_dist_fini(&d);
    gsl_rng_free(r);
}
END_TEST

/* ---- hot-cold -------------------------------------------------------------- */

START_TEST(test_hot_cold_share)
{
    /* 1000 pages, 25% hot -> vpn < 250; 90% of 200000 refs: sd 0.00067. */
    struct fixture f;
    struct wl_ref buf[256];
    uint64_t hot = 0, n = 0, cold_lo = 1000, hi = 0;
    setup_ok(&f, "      kind: hot-cold\n      footprint: 4000KiB\n      hot: 25%\n      hot_refs: 0.9\n", 5, 0);
    for (int j = 0; j < 800; j++) {
        f.set.procs[0].ops->fill(f.set.procs[0].self, buf, 256);
        for (int i = 0; i < 256; i++, n++) {
            ck_assert_uint_lt(buf[i].vpn, 1000);
            hi = buf[i].vpn > hi ? buf[i].vpn : hi;
            if (buf[i].vpn < 250)
                hot++;
            else if (buf[i].vpn < cold_lo)
                cold_lo = buf[i].vpn;
        }
    }
    ck_assert_uint_eq(cold_lo, 250);
    ck_assert_uint_eq(hi, 999);
    ck_assert_double_eq_tol((double)hot / n, 0.9, 0.0034);
    teardown(&f);
}
END_TEST

/* ---- phases -------------------------------------------------------------- */

START_TEST(test_phases_exact)
{
    /* 100 pages. Phase 0: 3 refs in [50, 51); idle 2ms; phase 2: 2 refs in
     * [0, 1); repeating, 10 refs in all: 50 50 50 I 0 0 50 50 50 I 0 0 END */
    static const uint32_t want[] = {50, 50, 50, 2000, 0, 0, 50, 50, 50, 2000, 0, 0};
    struct fixture f;
    struct wl_ref out[32];
    setup_ok(&f, "      kind: phases\n      footprint: 400KiB\n      refs: 10\n      write_ratio: 0\n"
                 "      phases:\n        - {refs: 3, wss: 1%, offset: 50%}\n        - idle: 2ms\n"
                 "        - {refs: 2, wss: 0.01}\n", 1, 0);
    ck_assert_uint_eq(drain(&f.set.procs[0], 4, out, 32), 13);
    for (int i = 0; i < 12; i++) {
        ck_assert_uint_eq(out[i].vpn, want[i]);
        ck_assert_uint_eq(out[i].op, (i == 3 || i == 9) ? WL_IDLE : WL_READ);
    }
    ck_assert_uint_eq(out[12].op, WL_END);
    teardown(&f);
}
END_TEST

START_TEST(test_phases_window_shift)
{
    /* Window of 10 pages at 30..39: every ref inside; then one page at 98
     * shifting by 1 page per repetition, wrapping: 98 99 0 1. */
    struct fixture f;
    struct wl_ref out[64];
    setup_ok(&f, "      kind: phases\n      footprint: 400KiB\n      refs: 44\n"
                 "      phases:\n        - {refs: 10, wss: 10%, offset: 30%, dist: zipf, alpha: 1}\n"
                 "        - {refs: 1, wss: 1%, offset: 98%, shift: 1%}\n", 1, 0);
    ck_assert_uint_eq(drain(&f.set.procs[0], 64, out, 64), 45);
    for (int rep = 0; rep < 4; rep++) {
        for (int i = 0; i < 10; i++) {
            ck_assert_uint_ge(out[rep * 11 + i].vpn, 30);
            ck_assert_uint_lt(out[rep * 11 + i].vpn, 40);
        }
        ck_assert_uint_eq(out[rep * 11 + 10].vpn, (98u + rep) % 100);
    }
    teardown(&f);
}
END_TEST

START_TEST(test_phases_wrap)
{
    /* 100 pages, window 90..99 moving by 5 pages: the second repetition's
     * window is 95..99 and 0..4 (it wraps around the footprint). */
    struct fixture f;
    struct wl_ref out[401];
    int low = 0, high = 0;
    setup_ok(&f, "      kind: phases\n      footprint: 400KiB\n      refs: 400\n"
                 "      phases:\n        - {refs: 200, wss: 10%, offset: 90%, shift: 5%}\n", 1, 0);
    ck_assert_uint_eq(drain(&f.set.procs[0], 64, out, 401), 401);
    for (int i = 0; i < 200; i++) {
        ck_assert_uint_ge(out[i].vpn, 90);
        ck_assert_uint_lt(out[i].vpn, 100);
    }
    for (int i = 200; i < 400; i++) {
        ck_assert(out[i].vpn >= 95 ? out[i].vpn < 100 : out[i].vpn < 5);
        low += out[i].vpn < 5;
        high += out[i].vpn >= 95;
    }
    ck_assert_int_gt(low, 60);  /* 100 expected each, sd 7 */
    ck_assert_int_gt(high, 60);
    teardown(&f);
}
END_TEST

START_TEST(test_phases_no_repeat)
{
    /* repeat: false: 10 10 20, idle 5us once, then phase 1 forever: 20 20 20. */
    static const uint32_t want[] = {10, 10, 20, 5, 20, 20, 20};
    struct fixture f;
    struct wl_ref out[16];
    setup_ok(&f, "      kind: phases\n      footprint: 400KiB\n      refs: 6\n      repeat: false\n"
                 "      phases:\n        - {refs: 2, wss: 1%, offset: 10%}\n"
                 "        - {refs: 1, wss: 1%, offset: 20%}\n        - idle: 5us\n", 1, 0);
    ck_assert_uint_eq(drain(&f.set.procs[0], 2, out, 16), 8);
    for (int i = 0; i < 7; i++) {
        ck_assert_uint_eq(out[i].vpn, want[i]);
        ck_assert_uint_eq(out[i].op == WL_IDLE, i == 3);
    }
    ck_assert_uint_eq(out[7].op, WL_END);
    teardown(&f);
}
END_TEST

/* ---- framework: write ratio, budget, determinism ----------------------- */

START_TEST(test_write_ratio)
{
    /* 25% of 100000: sd 0.00137, tolerance 0.006. */
    static const char *const ratios[] = {"25%", "0", "1"};
    static const double want[] = {0.25, 0, 1}, tol[] = {0.006, 1e-9, 1e-9};
    for (int t = 0; t < 3; t++) {
        char body[256];
        struct fixture f;
        snprintf(body, sizeof body, "      kind: uniform\n      footprint: 1MiB\n      refs: 100000\n"
                 "      write_ratio: %s\n", ratios[t]);
        setup_ok(&f, body, 9, 0);
        uint64_t writes = 0, reads = 0;
        struct wl_ref buf[100];
        for (;;) {
            size_t k = workload_fill(&f.set.procs[0], buf, 100);
            for (size_t i = 0; i < k; i++) {
                writes += buf[i].op == WL_WRITE;
                reads += buf[i].op == WL_READ;
            }
            if (buf[k - 1].op == WL_END)
                break;
        }
        ck_assert_uint_eq(reads + writes, 100000);
        ck_assert_double_eq_tol(writes / 1e5, want[t], tol[t]);
        teardown(&f);
    }
}
END_TEST

static const char *const every_kind[] = {
    "      kind: uniform\n      footprint: 1MiB\n",
    "      kind: zipf\n      footprint: 1MiB\n",
    "      kind: loop\n      footprint: 1MiB\n      stride: 3\n",
    "      kind: hot-cold\n      footprint: 1MiB\n",
    "      kind: phases\n      footprint: 1MiB\n      phases:\n        - {refs: 5, wss: 50%}\n"
    "        - idle: 1ms\n        - {refs: 7, wss: 10%, offset: 90%, dist: zipf}\n",
};

START_TEST(test_refs_budget)
{
    /* refs: 1234 in chunks of 1, 7, 64, 1234, 1235: exactly 1234 READ/WRITE
     * records, then WL_END, then WL_END again on every later call. */
    static const size_t chunks[] = {1, 7, 64, 1234, 1235};
    int kind = _i;
    for (size_t c = 0; c < 5; c++) {
        char body[512];
        struct fixture f;
        struct wl_ref buf[1235];
        snprintf(body, sizeof body, "%s      refs: 1234\n", every_kind[kind]);
        setup_ok(&f, body, 11, 2);
        uint64_t refs = 0, idle = 0;
        size_t k;
        do {
            k = workload_fill(&f.set.procs[0], buf, chunks[c]);
            ck_assert(k >= 1 && k <= chunks[c]);
            for (size_t i = 0; i < k; i++) {
                ck_assert(buf[i].op == WL_END || buf[i].vpn < 256 || buf[i].op == WL_IDLE);
                refs += buf[i].op == WL_READ || buf[i].op == WL_WRITE;
                idle += buf[i].op == WL_IDLE;
            }
            /* the call that makes the last reference also ends the process */
            if (refs == 1234 && chunks[c] > 1)
                ck_assert_uint_eq(buf[k - 1].op, WL_END);
        } while (buf[k - 1].op != WL_END);
        ck_assert_uint_eq(refs, 1234);
        ck_assert_uint_eq(idle, kind == 4 ? 103 : 0); /* 102 cycles of 12 refs, then 5 refs and an idle */
        ck_assert_uint_eq(workload_fill(&f.set.procs[0], buf, chunks[c]), 1);
        ck_assert_uint_eq(buf[0].op, WL_END);
        teardown(&f);
    }
}
END_TEST

/* The page sequence does not depend on write_ratio, and the record stream
 * does not depend on the sizes of the fill calls. */
START_TEST(test_stream_independence)
{
    enum { N = 1000 };
    char body[512];
    struct wl_ref a[N + 1], b[N + 1];
    struct fixture f;
    snprintf(body, sizeof body, "%s      refs: %d\n      write_ratio: 40%%\n", every_kind[_i], N);
    setup_ok(&f, body, 5, 0);
    /* phases: 83 cycles of 12 refs and an idle, 4 refs, END */
    ck_assert_uint_eq(drain(&f.set.procs[0], 512, a, N + 1), _i == 4 ? 1084 : N + 1);
    teardown(&f);
    setup_ok(&f, body, 5, 0);
    drain(&f.set.procs[0], 3, b, N + 1);
    ck_assert_mem_eq(a, b, sizeof a);
    teardown(&f);
    snprintf(body, sizeof body, "%s      refs: %d\n      write_ratio: 0\n", every_kind[_i], N);
    setup_ok(&f, body, 5, 0);
    drain(&f.set.procs[0], 100, b, N + 1);
    int writes = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_uint_eq(a[i].vpn, b[i].vpn);
        writes += a[i].op == WL_WRITE;
        ck_assert(b[i].op != WL_WRITE);
    }
    ck_assert_int_gt(writes, 300); /* 40% of about 1000: sd 15 */
    ck_assert_int_lt(writes, 500);
    teardown(&f);
}
END_TEST

/* The first n records of process proc (writes included). */
static void stream(const char *body, uint64_t seed, uint32_t vm, uint32_t proc, struct wl_ref *out, size_t n)
{
    struct fixture f;
    setup_ok(&f, body, seed, vm);
    ck_assert_uint_eq(workload_fill(&f.set.procs[proc], out, n), n);
    teardown(&f);
}

/* Records differ, and for the random kinds (all but loop) the pages too. */
static void assert_differ(const struct wl_ref *a, const struct wl_ref *b, size_t n, int kind)
{
    int pages_differ = 0;
    ck_assert(memcmp(a, b, n * sizeof *a) != 0);
    for (size_t i = 0; i < n; i++)
        pages_differ |= a[i].vpn != b[i].vpn;
    ck_assert_int_eq(pages_differ, kind != 2);
}

START_TEST(test_determinism)
{
    enum { N = 200 };
    struct wl_ref a[N], b[N];
    char body[512], body2[512];
    const char *k = every_kind[_i];
    snprintf(body, sizeof body, "%s      refs: 10k\n", k);
    snprintf(body2, sizeof body2, "%s      refs: 10k\n      processes: 3\n", k);
    stream(body, 42, 0, 0, a, N);
    stream(body, 42, 0, 0, b, N);
    ck_assert_mem_eq(a, b, sizeof a);
    stream(body2, 42, 0, 0, b, N);         /* more processes: same proc 0 */
    ck_assert_mem_eq(a, b, sizeof a);
    stream(body2, 42, 0, 1, b, N);         /* proc 1 differs from proc 0 */
    assert_differ(a, b, N, _i);
    stream(body, 42, 1, 0, b, N);          /* another VM */
    assert_differ(a, b, N, _i);
    stream(body, 43, 0, 0, b, N);          /* another seed */
    assert_differ(a, b, N, _i);
}
END_TEST

/* ---- config errors ------------------------------------------------------- */

START_TEST(test_config_errors)
{
    struct fixture f;
    ck_assert_str_eq(fail_msg(&f, "      kind: sequential\n      footprint: 1MiB\n"),
                     "t.yaml:3:13: vms[0].workload.kind: expected one of uniform, zipf, loop, hot-cold, phases, trace, "
                     "got \"sequential\"");
    ck_assert_str_eq(fail_msg(&f, "      kind: zipf\n      footprint: 1MiB\n      alpha: -1\n"),
                     "t.yaml:5:14: vms[0].workload.alpha: expected a number in [0, 100], got \"-1\"");
    ck_assert_str_eq(fail_msg(&f, "      kind: zipf\n      footprint: 1MiB\n      alpha: 0\n"),
                     "t.yaml:5:14: vms[0].workload.alpha: expected a number > 0, got \"0\"");
    ck_assert_str_eq(fail_msg(&f, "      kind: phases\n      footprint: 400KiB\n      phases:\n"
                                  "        - {refs: 3, wss: 1%}\n        - {refs: 3, wss: 50%, offset: 60%}\n"),
                     "t.yaml:7:11: vms[0].workload.phases[1]: expected a window inside the footprint of 100 pages, "
                     "got pages [60, 110)");
    ck_assert_str_eq(fail_msg(&f, "      kind: phases\n      footprint: 400KiB\n      phases:\n"
                                  "        - {refs: 3, wss: 0.4%}\n"),
                     "t.yaml:6:26: vms[0].workload.phases[0].wss: expected a window of at least one page, "
                     "got 0 of 100 pages");
    ck_assert_str_eq(fail_msg(&f, "      kind: phases\n      footprint: 400KiB\n      phases:\n        - idle: 1s\n"),
                     "t.yaml:6:9: vms[0].workload.phases: expected at least one phase with refs, got only idle phases");
    ck_assert_str_eq(fail_msg(&f, "      kind: phases\n      footprint: 400KiB\n      phases:\n"
                                  "        - {refs: 3}\n        - idle: 500ns\n"),
                     "t.yaml:7:17: vms[0].workload.phases[1].idle: expected a time in [1us, 4294967295us], "
                     "got \"500ns\"");
    ck_assert_str_eq(fail_msg(&f, "      kind: phases\n      footprint: 400KiB\n"),
                     "t.yaml:3:7: vms[0].workload: missing key 'phases' (expected a sequence of phases)");
    ck_assert_str_eq(fail_msg(&f, "      kind: uniform\n      footprint: 100\n"),
                     "t.yaml:4:18: vms[0].workload.footprint: expected at least one page (4096 bytes), got 100 bytes");
    ck_assert_str_eq(fail_msg(&f, "      kind: uniform\n      footprint: 1TiB\n"),
                     "t.yaml:4:18: vms[0].workload.footprint: expected at most 268435455 pages, got 268435456 pages");
    ck_assert_str_eq(fail_msg(&f, "      kind: uniform\n      footprint: 18446744073709551615\n"),
                     "t.yaml:4:18: vms[0].workload.footprint: expected at most 268435455 pages, "
                     "got 4503599627370496 pages");
    ck_assert_str_eq(fail_msg(&f, "      kind: uniform\n"),
                     "t.yaml:3:7: vms[0].workload: missing key 'footprint' (expected a size like 512MiB)");
    ck_assert_str_eq(fail_msg(&f, "      kind: hot-cold\n      footprint: 40KiB\n      hot: 1%\n"),
                     "t.yaml:5:12: vms[0].workload.hot: expected a hot set of at least one page, got 0 of 10 pages");
    ck_assert_str_eq(fail_msg(&f, "      kind: loop\n      footprint: 40KiB\n      stride: 11\n"),
                     "t.yaml:5:15: vms[0].workload.stride: expected an integer in [1, 10], got \"11\"");
    ck_assert_str_eq(fail_msg(&f, "      kind: loop\n      footprint: 40KiB\n      processes: 4097\n"),
                     "t.yaml:5:18: vms[0].workload.processes: expected an integer in [1, 4096], got \"4097\"");
}
END_TEST

/* Every key a generator documents is read, so cfg_check_unused passes on a
 * config that sets them all, and a stray key names the valid ones. */
START_TEST(test_all_keys_used)
{
    static const char *const full[] = {
        "      kind: uniform\n",
        "      kind: zipf\n      alpha: 1.2\n      scatter: no\n",
        "      kind: loop\n      stride: 4\n",
        "      kind: hot-cold\n      hot: 10%\n      hot_refs: 95%\n",
        "      kind: phases\n      repeat: false\n      phases:\n        - idle: 3s\n"
        "        - {refs: 9, wss: 5%, offset: 1%, shift: 2%, dist: zipf, alpha: 0.7, scatter: yes}\n",
    };
    struct fixture f;
    char body[512];
    snprintf(body, sizeof body, "%s      processes: 2\n      footprint: 1MiB\n      refs: 10M\n"
             "      write_ratio: 10%%\n      think: 1us\n", full[_i]);
    setup_ok(&f, body, 1, 0);
    ck_assert_uint_eq(f.set.common.refs, 10000000);
    ck_assert_uint_eq(f.set.common.think_ns, 1000);
    ck_assert_uint_eq(f.set.common.pages, 256);
    ck_assert_double_eq(f.set.common.write_ratio, 0.1);
    ck_assert_int_eq(cfg_check_unused(f.doc->root, &f.err), 0);
    /* the set may be moved: the generators do not point into it */
    struct workload_set moved = f.set;
    memset(&f.set, 0, sizeof f.set);
    struct wl_ref buf[64];
    ck_assert_uint_eq(workload_fill(&moved.procs[1], buf, 64), 64);
    f.set = moved;
    teardown(&f);
}
END_TEST

START_TEST(test_unknown_key)
{
    struct fixture f;
    setup_ok(&f, "      kind: uniform\n      footprint: 1MiB\n      alpha: 1\n", 1, 0);
    ck_assert_int_eq(cfg_check_unused(f.doc->root, &f.err), -EINVAL);
    ck_assert_str_eq(f.err.msg, "t.yaml:5:7: vms[0].workload.alpha: unknown key 'alpha' "
                                "(valid: kind, processes, footprint, refs, write_ratio, think)");
    teardown(&f);
    setup_ok(&f, "      kind: phases\n      footprint: 1MiB\n      phases:\n        - {idle: 1s, refs: 5}\n"
                 "        - {refs: 5}\n", 1, 0);
    ck_assert_int_eq(cfg_check_unused(f.doc->root, &f.err), -EINVAL);
    ck_assert_str_eq(f.err.msg, "t.yaml:6:22: vms[0].workload.phases[0].refs: unknown key 'refs' (valid: idle)");
    teardown(&f);
}
END_TEST

/* ---- memory -------------------------------------------------------------- */

START_TEST(test_mem_balance)
{
    uint64_t start = mem_in_use();
    struct fixture f;
    char body[512];
    snprintf(body, sizeof body, "%s      processes: 3\n", every_kind[_i]);
    setup_ok(&f, body, 1, 0);
    ck_assert_uint_gt(mem_in_use(), start);
    ck_assert_uint_gt(workload_set_footprint(&f.set), 3 * sizeof(struct workload));
    teardown(&f);
    ck_assert_uint_eq(mem_in_use(), start);
}
END_TEST

START_TEST(test_fault_injection)
{
    /* Fail the n-th allocation for n = 1, 2, ... until create succeeds;
     * every failure is -ENOMEM and leaves nothing allocated. */
    char body[512];
    snprintf(body, sizeof body, "%s      processes: 3\n", every_kind[_i]);
    for (uint64_t n = 1;; n++) {
        uint64_t start = mem_in_use();
        struct fixture f;
        char text[1024];
        snprintf(text, sizeof text, "vms:\n  - workload:\n%s", body);
        f.doc = cfg_load_string("t.yaml", text, &f.err);
        ck_assert_ptr_nonnull(f.doc);
        struct cfg_node *map = cfg_get(cfg_item(cfg_get(f.doc->root, "vms"), 0), "workload");
        mem_fail_after(n);
        int rc = workload_set_create(map, PAGE, 1, 0, &f.set, &f.err);
        int triggered = mem_fail_triggered();
        mem_fail_reset();
        if (rc == 0) {
            ck_assert_int_eq(triggered, 0);
            teardown(&f);
            ck_assert_uint_eq(mem_in_use(), start);
            ck_assert_uint_gt(n, 3);
            break;
        }
        ck_assert_int_eq(rc, -ENOMEM);
        ck_assert_ptr_null(f.set.procs);
        cfg_free(f.doc);
        ck_assert_uint_eq(mem_in_use(), start);
        ck_assert_uint_lt(n, 1000);
    }
}
END_TEST

Suite *suite_workloads(void)
{
    Suite *s = suite_create("workloads");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_loop_exact);
    tcase_add_test(tc, test_uniform_range_mean);
    tcase_add_test(tc, test_zipf_chi_square);
    tcase_add_test(tc, test_zipf_rejection_inversion);
    tcase_add_test(tc, test_zipf_methods_small);
    tcase_add_test(tc, test_zipf_scatter);
    tcase_add_test(tc, test_hot_cold_share);
    tcase_add_test(tc, test_phases_exact);
    tcase_add_test(tc, test_phases_window_shift);
    tcase_add_test(tc, test_phases_wrap);
    tcase_add_test(tc, test_phases_no_repeat);
    tcase_add_test(tc, test_write_ratio);
    tcase_add_loop_test(tc, test_refs_budget, 0, 5);
    tcase_add_loop_test(tc, test_determinism, 0, 5);
    tcase_add_loop_test(tc, test_stream_independence, 0, 5);
    tcase_add_test(tc, test_config_errors);
    tcase_add_loop_test(tc, test_all_keys_used, 0, 5);
    tcase_add_test(tc, test_unknown_key);
    tcase_add_loop_test(tc, test_mem_balance, 0, 5);
    tcase_add_loop_test(tc, test_fault_injection, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}
