/* test_golden: the reproduced headline experiments against their golden
 * results: configs/double-paging.yaml (synthetic zipf workload) against
 * tests/golden/double-paging.csv, and configs/double-paging-trace.yaml (the
 * committed GNU sort trace) against tests/golden/double-paging-trace.csv.
 *
 * Tolerances: counts within 1% and slowdown within 1% of the golden value.
 * The simulation is deterministic, so on one platform the figures are exact;
 * the slack is for libm differences in the workload's zipf sampler on other
 * platforms. Beyond the numbers, the shape the experiment exists to show is
 * asserted: no double paging when the VMM backs all guest memory, more as
 * the VMM's share shrinks, and a clock VMM (which imitates the guest's own
 * choice) double-pages more than a random one at mild pressure. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/simutil.h"

struct golden {
    char limit[16], policy[32];
    double slowdown, per1000;
    unsigned long long swapouts, dp;
};

struct experiment {
    const char *config, *golden;
};

static const struct experiment experiments[] = {
    {"configs/double-paging.yaml", "tests/golden/double-paging.csv"},
    {"configs/double-paging-trace.yaml", "tests/golden/double-paging-trace.csv"},
};

static int load(const char *path, struct golden *g, int max)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing (run from the repository root)", path);
    char line[512];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        struct golden *r = &g[n];
        ck_assert_int_eq(sscanf(line, "%15[^,],%31[^,],%lf,%lf,%llu,%llu", r->limit, r->policy,
                                &r->slowdown, &r->per1000, &r->swapouts, &r->dp), 6);
        n++;
    }
    fclose(f);
    return n;
}

/* Run one point; its runtime in seconds and counters. */
static double run_point(const char *config, const char *limit, const char *policy, uint64_t *swapouts,
                        uint64_t *dp)
{
    char s1[64], s2[64];
    snprintf(s1, sizeof s1, "host.vms[0].limit=%s", limit);
    snprintf(s2, sizeof s2, "host.vmm.policy=%s", policy);
    const char *sets[] = {s1, s2};
    struct simrun r;
    ck_assert_msg(simrun_open(&r, config, NULL, sets, 2) == 0, "%s", r.err.msg);
    ck_assert_msg(sim_run(r.s) == 0, "%s", r.s->err);
    ck_assert_uint_ne(r.s->vms[0]->finish_ns, 0);
    double rt = (double)summary_runtime_ns(r.s, r.s->vms[0]) / 1e9;
    *swapouts = simrun_total(&r, C_guest_swapouts);
    *dp = simrun_total(&r, C_double_paging);
    simrun_close(&r);
    return rt;
}

static void near(double got, double want, double rel, const char *what, const struct golden *g)
{
    double tol = fabs(want) * rel + 1e-9;
    ck_assert_msg(fabs(got - want) <= tol, "%s %s: %s = %.6f, golden %.6f (tolerance %.6f)", g->limit,
                  g->policy, what, got, want, tol);
}

START_TEST(double_paging_matches_golden)
{
    const struct experiment *x = &experiments[_i];
    struct golden g[16];
    int n = load(x->golden, g, 16);
    ck_assert_int_ge(n, 8);
    double base[2] = {0, 0}, prev_dp[2] = {-1, -1};
    const char *pols[2] = {"random", "clock"};
    double per1000[16];
    for (int i = 0; i < n; i++) {
        uint64_t so, dp;
        double rt = run_point(x->config, g[i].limit, g[i].policy, &so, &dp);
        int k = strcmp(g[i].policy, pols[0]) == 0 ? 0 : 1;
        if (strcmp(g[i].limit, "100%") == 0)
            base[k] = rt;
        ck_assert_msg(base[k] > 0, "golden rows must start with the 100%% baseline");
        near((double)so, (double)g[i].swapouts, 0.01, "guest swap-outs", &g[i]);
        near((double)dp, (double)g[i].dp, 0.01, "double paging", &g[i]);
        near(rt / base[k], g[i].slowdown, 0.01, "slowdown", &g[i]);
        per1000[i] = so ? 1000.0 * (double)dp / (double)so : 0;
        near(per1000[i], g[i].per1000, 0.01, "double paging per 1000", &g[i]);
        if (strcmp(g[i].limit, "100%") == 0)
            ck_assert_uint_eq(dp, 0);
        else
            ck_assert_msg(per1000[i] > prev_dp[k], "%s %s: double paging did not grow", g[i].limit, g[i].policy);
        prev_dp[k] = per1000[i];
    }
    /* At 80%, clock (rows 2, 3 = random, clock) double-pages far more. */
    ck_assert(per1000[3] > 1.5 * per1000[2]);
}
END_TEST

Suite *suite_golden(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("double-paging");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, double_paging_matches_golden, 0,
                        (int)(sizeof experiments / sizeof experiments[0]));
    suite_add_tcase(s, tc);
    return s;
}
