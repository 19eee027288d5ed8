/* test_fuzz: replays the mutated-config corpus (tests/fuzz/config/, made by
 * tests/fuzz/make-config-corpus.py) through load, schema and model build,
 * and the random-model corpus (tests/fuzz/model/) through whole runs.
 * Every input must either build or fail with one message naming the file
 * (or --set); never crash, leak or hang. Valid ones also run briefly with
 * invariant checks on. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"
#include "tests/unit/simutil.h"

START_TEST(config_corpus_never_crashes)
{
    DIR *d = opendir("tests/fuzz/config");
    ck_assert_msg(d != NULL, "tests/fuzz/config missing (run from the repository root)");
    struct dirent *e;
    int files = 0, valid = 0;
    uint64_t base = mem_in_use();
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".yaml"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/config/%s", e->d_name);
        const char *sets[] = {"duration=2ms", "check_invariants=true"};
        struct simrun r;
        int rc = simrun_open(&r, path, NULL, NULL, 0);
        if (rc == 0) {
            simrun_close(&r);
            rc = simrun_open(&r, path, NULL, sets, 2);
            ck_assert_msg(rc == 0, "%s: %s", path, r.err.msg);
            if (r.s->nvms <= 16)
                ck_assert_msg(sim_run(r.s) == 0 || r.s->err[0], "%s: run failed without a message", path);
            valid++;
        } else {
            ck_assert_msg(strncmp(r.err.msg, path, strlen(path)) == 0 && !strchr(r.err.msg, '\n'),
                          "%s: message does not name the file or is not one line: %s", path, r.err.msg);
        }
        simrun_close(&r);
        ck_assert_msg(mem_in_use() == base, "%s: leaked %llu bytes", path,
                      (unsigned long long)(mem_in_use() - base));
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, 50);
    ck_assert_int_ge(valid, 1);
}
END_TEST

/* Random small multi-host configs (tests/fuzz/make-model-config.py): every
 * policy, workload kind, allocation and watermark setting mixed; each runs to
 * the end with every invariant checked after every event. */
START_TEST(random_models_keep_invariants)
{
    DIR *d = opendir("tests/fuzz/model");
    ck_assert_msg(d != NULL, "tests/fuzz/model missing (run from the repository root)");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".yaml"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/model/%s", e->d_name);
        struct simrun r;
        ck_assert_msg(simrun_open(&r, path, NULL, NULL, 0) == 0, "%s: %s", path, r.err.msg);
        ck_assert_int_eq(r.p.check, 1);
        ck_assert_msg(sim_run(r.s) == 0, "%s: %s", path, r.s->err);
        for (uint32_t i = 0; i < r.s->nvms; i++)
            ck_assert_msg(r.s->vms[i]->finish_ns != 0, "%s: vm %s did not finish", path, r.s->vms[i]->name);
        simrun_close(&r);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 10);
}
END_TEST

Suite *suite_fuzz(void)
{
    Suite *s = suite_create("fuzz");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, config_corpus_never_crashes);
    tcase_add_test(tc, random_models_keep_invariants);
    suite_add_tcase(s, tc);
    return s;
}
