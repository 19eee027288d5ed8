/* test_cachecli: the `vmmsim cache` command (sim/cachecli.c), run in
 * process with stderr captured: bad flags (exit 2, one line naming the
 * flag), the csv and json outputs on a tiny csv trace with hand-worked
 * counts, --stack against separate caches, and the oracleGeneral fast path
 * (read_pages) against the generic reader.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "policies/policy.h"
#include "sim/cache.h"
#include "sim/cachecli.h"
#include "tests/testutil.h"
#include "traces/tfmt.h"

/* ---- the command ---- */

#define TMPDIR_TEMPLATE "/tmp/vmmsim_cache_test.XXXXXX"

struct cli_out {
    int rc;
    char err[1024];
};

/* Run cachecli_main with args (NULL-terminated), stderr captured. */
static struct cli_out run_cli(const char *dir, const char *const *args)
{
    struct cli_out o;
    char errpath[256], *argv[32];
    int n = 0;
    argv[n++] = (char *)"cache";
    for (; args[n - 1]; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *ef = fopen(errpath, "w+");
    ck_assert_ptr_nonnull(ef);
    dup2(fileno(ef), 2);
    o.rc = cachecli_main(n, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(ef);
    size_t k = fread(o.err, 1, sizeof o.err - 1, ef);
    o.err[k] = 0;
    fclose(ef);
    return o;
}

/* pages 1 2 3 1 4 2 5 1 2 5 3 1 (the clock string) as reads and writes of
 * 4 KiB pages, plus two records that are not requests */
static void write_trace(const char *path)
{
    static const unsigned pages[12] = {1, 2, 3, 1, 4, 2, 5, 1, 2, 5, 3, 1};
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("time,vm,pid,address,op\n", f);
    for (int i = 0; i < 12; i++) {
        fprintf(f, "%d,0,1,0x%x,%s\n", i * 10, pages[i] * 4096 + 8, i % 3 ? "read" : "write");
        if (i == 5)
            fputs("55,0,1,0x9000,alloc\n56,0,1,0,idle\n", f);
    }
    fclose(f);
}

static char *slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t k = fread(buf, 1, size - 1, f);
    buf[k] = 0;
    fclose(f);
    return buf;
}

START_TEST(cli_bad_flags)
{
    char dir[] = TMPDIR_TEMPLATE, trace[300];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    write_trace(trace);
    static const struct {
        const char *args[8];
        const char *msg;
    } cases[] = {
        {{"--size", "3", NULL}, "--policy: expected a policy name, got nothing"},
        {{"--policy", "nope", "--size", "3", "T", NULL}, "--policy: expected one of fifo, "},
        {{"--policy", "lru", "T", NULL}, "--size: expected a list of cache sizes"},
        {{"--policy", "lru", "--size", "0", "T", NULL}, "--size: expected a count of objects"},
        {{"--policy", "lru", "--size", "3,x", "T", NULL}, "got 'x'"},
        {{"--policy", "lru", "--size", "5G", "T", NULL}, "got '5G'"},
        {{"--policy", "lru", "--size", "3", "--format", "xml", "T", NULL},
         "--format: expected table, csv or json, got 'xml'"},
        {{"--policy", "lru", "--size", "3", "--page-size", "3000", "T", NULL},
         "--page-size: expected a power of two"},
        {{"--policy", "lru", "--size", "3", "--from", "nope", "T", NULL}, "--from: expected"},
        {{"--policy", "lru", "--size", "3", "--bogus", "T", NULL}, "unknown option '--bogus'"},
        {{"--policy", "lru", "--size", NULL}, "--size: expected a value, got nothing"},
        {{"--policy", "lru", "--size", "3", NULL}, "expected a TRACE file, got nothing"},
        {{"--policy", "lru", "--size", "3", "T", "T", NULL}, "expected one TRACE, got a second"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[8];
        for (int j = 0; j < 8; j++)
            args[j] = cases[i].args[j] && strcmp(cases[i].args[j], "T") == 0 ? trace
                                                                             : cases[i].args[j];
        struct cli_out o = run_cli(dir, args);
        ck_assert_msg(o.rc == 2, "case %zu: exit %d", i, o.rc);
        ck_assert_msg(strstr(o.err, cases[i].msg) != NULL, "case %zu: got '%s'", i, o.err);
        ck_assert_msg(strchr(o.err, '\n') == o.err + strlen(o.err) - 1, "case %zu: not one line", i);
    }
    test_rmdir_flat(dir);
}
END_TEST

START_TEST(cli_csv_output)
{
    char dir[] = TMPDIR_TEMPLATE, trace[300], out[300], buf[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    snprintf(out, sizeof out, "%s/r.csv", dir);
    write_trace(trace);
    const char *args[] = {"--policy", "clock", "--size", "1,3,5", "--format", "csv",
                          "-o", out, trace, NULL};
    struct cli_out o = run_cli(dir, args);
    ck_assert_int_eq(o.rc, 0);
    slurp(out, buf, sizeof buf);
    char *line = strtok(buf, "\n");
    ck_assert_str_eq(line, "policy,size,requests,hits,misses,skipped,miss_ratio,"
                           "requests_per_s,pass_wall_s");
    /* 1 slot: hits only on immediate repeats (none); 3: the hand-worked 9;
     * 5 slots hold all 5 pages: compulsory misses only. */
    static const char *const want[3] = {"clock,1,12,0,12,2,1.000000,",
                                        "clock,3,12,3,9,2,0.750000,",
                                        "clock,5,12,7,5,2,0.416667,"};
    for (int i = 0; i < 3; i++) {
        line = strtok(NULL, "\n");
        ck_assert_ptr_nonnull(line);
        ck_assert_msg(strncmp(line, want[i], strlen(want[i])) == 0, "row %d: %s", i, line);
    }
    ck_assert_ptr_null(strtok(NULL, "\n"));
    test_rmdir_flat(dir);
}
END_TEST

START_TEST(cli_json_output)
{
    char dir[] = TMPDIR_TEMPLATE, trace[300], out[300], buf[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    snprintf(out, sizeof out, "%s/r.json", dir);
    write_trace(trace);
    const char *args[] = {"--policy=fifo", "--size=3,4", "--format=json", "-o", out,
                          "--from", "csv", trace, NULL};
    struct cli_out o = run_cli(dir, args);
    ck_assert_int_eq(o.rc, 0);
    slurp(out, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "\"format\": \"csv\", \"policy\": \"fifo\", "
                                      "\"records\": 14, \"skipped\": 2,"));
    /* fifo, 3 slots: 1 2 3 m, 1 h, 4 m (evict 1), 2 h, 5 m (evict 2),
     * 1 m (evict 3), 2 m (evict 4), 5 h, 3 m (evict 5), 1 h: 8 misses.
     * 4 slots: 1 2 3 m, 1 h, 4 m, 2 h, 5 m (evict 1), 1 m (evict 2),
     * 2 m (evict 3), 5 h, 3 m (evict 4), 1 h: 8 misses. */
    ck_assert_ptr_nonnull(strstr(buf, "{\"size\": 3, \"requests\": 12, \"hits\": 4, "
                                      "\"misses\": 8, \"miss_ratio\": 0.666667,"));
    ck_assert_ptr_nonnull(strstr(buf, "{\"size\": 4, \"requests\": 12, \"hits\": 4, "
                                      "\"misses\": 8, \"miss_ratio\": 0.666667,"));
    ck_assert_ptr_nonnull(strstr(buf, "\n]}\n"));
    test_rmdir_flat(dir);
}
END_TEST

/* --stack prints the same counts as separate caches; other policies refuse
 * it. */
/* Misses of a cache fed the sample's trace_recs through the generic read(). */
static uint64_t generic_misses(const char *path, const char *policy, uint32_t size)
{
    const struct tfmt_ops *f = tfmt_find("oracleGeneral");
    struct tfmt_opts o;
    tfmt_opts_default(&o);
    void *self;
    struct trace_header h;
    struct trace_err err;
    ck_assert_int_eq(f->open_read(path, &o, &self, &h, &err), 0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    struct policy_args args = {.rng = rng};
    struct cache_sim *c = cache_create(policy_find(policy), &args, size);
    ck_assert_ptr_nonnull(c);
    struct trace_rec buf[300];
    ssize_t k;
    while ((k = f->read(self, buf, 300, &err)) > 0)
        cache_feed(c, buf, (size_t)k);
    ck_assert_int_eq(k, 0);
    uint64_t m = cache_stats(c)->misses;
    cache_destroy(c);
    gsl_rng_free(rng);
    f->close_read(self);
    return m;
}

/* The command on an oracleGeneral trace takes the read_pages fast path; its
 * counts equal the generic path's for every size. */
START_TEST(cli_oracle_fast_path)
{
    const char *trace = "traces/samples/zipf.oracleGeneral.bin";
    char dir[] = TMPDIR_TEMPLATE, out[300], buf[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/r.csv", dir);
    static const char *const pols[] = {"lru", "fifo", "clock", "random"};
    static const uint32_t sizes[3] = {10, 50, 200};
    for (int p = 0; p < 4; p++) {
        const char *args[] = {"--policy", pols[p], "--size", "10,50,200", "--format", "csv",
                              "-o", out, trace, NULL};
        struct cli_out o = run_cli(dir, args);
        ck_assert_msg(o.rc == 0, "%s", o.err);
        slurp(out, buf, sizeof buf);
        char *line = strtok(buf, "\n"); /* header */
        for (int i = 0; i < 3; i++) {
            line = strtok(NULL, "\n");
            ck_assert_ptr_nonnull(line);
            char want[128];
            snprintf(want, sizeof want, "%s,%u,3000,", pols[p], (unsigned)sizes[i]);
            ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
            unsigned long long hits, misses;
            ck_assert_int_eq(sscanf(line + strlen(want), "%llu,%llu", &hits, &misses), 2);
            ck_assert_uint_eq(misses, generic_misses(trace, pols[p], sizes[i]));
            ck_assert_uint_eq(hits + misses, 3000);
        }
    }
    test_rmdir_flat(dir);
}
END_TEST

START_TEST(cli_stack_matches)
{
    char dir[] = TMPDIR_TEMPLATE, trace[300], out1[300], out2[300], b1[4096], b2[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    snprintf(out1, sizeof out1, "%s/direct.csv", dir);
    snprintf(out2, sizeof out2, "%s/stack.csv", dir);
    write_trace(trace);
    const char *a1[] = {"--policy", "lru", "--size", "4,1,3,2", "--format", "csv", "-o", out1,
                        trace, NULL};
    const char *a2[] = {"--policy", "lru", "--size", "4,1,3,2", "--format", "csv", "-o", out2,
                        "--stack", trace, NULL};
    ck_assert_int_eq(run_cli(dir, a1).rc, 0);
    ck_assert_int_eq(run_cli(dir, a2).rc, 0);
    slurp(out1, b1, sizeof b1);
    slurp(out2, b2, sizeof b2);
    /* lru on 1 2 3 1 4 2 5 1 2 5 3 1, 4 slots: misses 1 2 3 4 5 3, hits
     * 1 2 1 2 5 1; 3 slots: hits only 1 (4th), 2 and 5 (9th, 10th) */
    ck_assert_ptr_nonnull(strstr(b1, "\nlru,4,12,6,6,2,"));
    ck_assert_ptr_nonnull(strstr(b1, "\nlru,3,12,3,9,2,"));
    /* then the count columns (the first seven), row by row */
    char *save1, *save2, *l1 = strtok_r(b1, "\n", &save1), *l2 = strtok_r(b2, "\n", &save2);
    int rows = 0;
    for (; l1 && l2; l1 = strtok_r(NULL, "\n", &save1), l2 = strtok_r(NULL, "\n", &save2)) {
        int commas = 0;
        size_t k = 0;
        while (l1[k] && commas < 7)
            commas += l1[k++] == ',';
        ck_assert_msg(strncmp(l1, l2, k) == 0, "direct '%s' stack '%s'", l1, l2);
        rows++;
    }
    ck_assert_ptr_null(l1);
    ck_assert_ptr_null(l2);
    ck_assert_int_eq(rows, 5);
    const char *a3[] = {"--policy", "clock", "--size", "4", "--stack", trace, NULL};
    struct cli_out o = run_cli(dir, a3);
    ck_assert_int_eq(o.rc, 2);
    ck_assert_ptr_nonnull(strstr(o.err, "--stack: expected --policy lru, got 'clock'"));
    test_rmdir_flat(dir);
}
END_TEST

Suite *suite_cachecli(void)
{
    Suite *s = suite_create("cachecli");
    TCase *cli = tcase_create("cli");
    tcase_add_test(cli, cli_bad_flags);
    tcase_add_test(cli, cli_csv_output);
    tcase_add_test(cli, cli_json_output);
    tcase_add_test(cli, cli_stack_matches);
    tcase_add_test(cli, cli_oracle_fast_path);
    suite_add_tcase(s, cli);
    return s;
}
