/* test_cli: the vmmsim binary as a user meets it: one test per class of
 * config error (exact message with file:line:col, key path, expected and
 * found; exit status 2; nothing written), usage errors, and a good run's
 * output files. Runs the binary named by VMMSIM_BIN (default bin/vmmsim). */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

extern char **environ;

static const char base_yaml[] =
    "name: e\n"
    "host:\n"
    "  memory: 64MiB\n"
    "  vmm: {policy: random}\n"
    "  vms:\n"
    "    - name: vm0\n"
    "      memory: 8MiB\n"
    "      limit: 50%\n"
    "      workload: {kind: uniform, footprint: 4MiB, refs: 1000}\n";

struct outcome {
    int status;
    char err[2048];
    char out[2048];
};

static void read_all(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
}

/* Run vmmsim with args (NULL-terminated) in directory dir. */
static struct outcome run_in(const char *dir, const char *const *args)
{
    struct outcome o;
    char bin[4096];
    const char *b = test_bin();
    if (b[0] != '/') {
        ck_assert_ptr_nonnull(getcwd(bin, sizeof bin - 200));
        strcat(bin, "/");
        strcat(bin, b);
    } else {
        snprintf(bin, sizeof bin, "%s", b);
    }
    const char *argv[32] = {bin};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char errf[4200], outf[4200];
    snprintf(errf, sizeof errf, "%s/stderr.txt", dir);
    snprintf(outf, sizeof outf, "%s/stdout.txt", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, outf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(rc == 0, "cannot run %s", bin);
    int st;
    waitpid(pid, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    int fd = open(errf, O_RDONLY);
    read_all(fd, o.err, sizeof o.err);
    close(fd);
    fd = open(outf, O_RDONLY);
    read_all(fd, o.out, sizeof o.out);
    close(fd);
    return o;
}

static char *tmpdir(void)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "/tmp/vmmsim-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(buf));
    return buf;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int exists(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* Replace the first occurrence of from by to in base_yaml. */
static void make_bad(const char *dir, const char *from, const char *to)
{
    char text[2048];
    const char *at = strstr(base_yaml, from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base_yaml), base_yaml, to, at + strlen(from));
    write_file(dir, "bad.yaml", text);
}

static void expect_bad(const char *from, const char *to, const char *extra, const char *message)
{
    char *dir = tmpdir();
    make_bad(dir, from, to);
    const char *args[] = {"run", "bad.yaml", "-o", "out", extra, NULL};
    struct outcome o = run_in(dir, args);
    char want[1024];
    snprintf(want, sizeof want, "vmmsim run: %s\n", message);
    ck_assert_int_eq(o.status, 2);
    ck_assert_str_eq(o.err, want);
    ck_assert_msg(!exists(dir, "out") && !exists(dir, "results"), "results written despite bad input");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* One case per class of config error: the edit that breaks base_yaml, an
 * extra argument, and the exact one-line message. */
static const struct bad_case {
    const char *from, *to, *extra, *message;
} bad_cases[] = {
    {"memory: 64MiB", "memory: lots", NULL,                                    /* malformed value */
     "bad.yaml:3:11: host.memory: expected a size like 512MiB, got \"lots\""},
    {"policy: random", "polcy: random", NULL,                                  /* unknown key */
     "bad.yaml:4:9: host.vmm.polcy: unknown key 'polcy' (valid: policy, allocation, fault_cost, reclaim, states)"},
    {"      memory: 8MiB\n", "", NULL,                                          /* missing key */
     "bad.yaml:6:7: host.vms[0]: missing key 'memory' (expected a size like 512MiB)"},
    {"limit: 50%", "limit: 140%", NULL,                                         /* out of range */
     "bad.yaml:8:14: host.vms[0].limit: expected a ratio in [0%, 100%], got \"140%\""},
    {"policy: random", "policy: lfu", NULL,                                    /* unknown name */
     "bad.yaml:4:17: host.vmm.policy: expected one of fifo, random, clock, lru, lru-oracle, two-list, got \"lfu\""},
    {"kind: uniform", "kind: gauss", NULL,                                      /* unknown plug-in */
     "bad.yaml:9:24: host.vms[0].workload.kind: expected one of uniform, zipf, loop, hot-cold, phases, trace, got \"gauss\""},
    {"name: e", "name: [e", NULL,                                               /* YAML syntax */
     "bad.yaml:2:5: did not find expected ',' or ']' (while parsing a flow sequence)"},
    {"name: e", "name: e", "--set=host.vms[0].memory=lots",                     /* bad --set */
     "--set host.vms[0].memory: expected a size like 512MiB, got \"lots\""},
    {"name: e", "name: e\nhosts: []", NULL,                                      /* keys that conflict */
     "bad.yaml:2:8: hosts: expected either 'host' or 'hosts', got both"},
};

START_TEST(config_error)
{
    const struct bad_case *c = &bad_cases[_i];
    expect_bad(c->from, c->to, c->extra, c->message);
}
END_TEST

START_TEST(usage_errors)
{
    char *dir = tmpdir();
    const char *a1[] = {"run", "--bogus", NULL}, *a2[] = {"frobnicate", NULL}, *a3[] = {"run", "nope.yaml", NULL};
    struct outcome o = run_in(dir, a1);
    ck_assert_int_eq(o.status, 2);
    ck_assert_str_eq(o.err, "vmmsim run: unknown option '--bogus' (see 'vmmsim run --help')\n");
    o = run_in(dir, a2);
    ck_assert_int_eq(o.status, 2);
    ck_assert_ptr_nonnull(strstr(o.err, "unknown command 'frobnicate'"));
    o = run_in(dir, a3);
    ck_assert_int_eq(o.status, 2);
    ck_assert_str_eq(o.err, "vmmsim run: nope.yaml: cannot open: No such file or directory\n");
    ck_assert(!exists(dir, "results"));
    rmdir(dir);
}
END_TEST

START_TEST(good_run_writes_everything)
{
    char *dir = tmpdir();
    write_file(dir, "ok.yaml", base_yaml);
    const char *args[] = {"run", "ok.yaml", "--no-plots", NULL};
    struct outcome o = run_in(dir, args);
    ck_assert_msg(o.status == 0, "%s", o.err);
    const char *files[] = {"results/e/config.yaml", "results/e/summary.json", "results/e/run.json",
                           "results/e/timeseries.csv"};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(exists(dir, files[i]), "%s missing", files[i]);
    /* The resolved config is itself a valid config, with defaults filled in. */
    const char *v[] = {"validate", "results/e/config.yaml", NULL};
    o = run_in(dir, v);
    ck_assert_msg(o.status == 0, "%s", o.err);
    const char *p[] = {"policies", NULL};
    o = run_in(dir, p);
    ck_assert_ptr_nonnull(strstr(o.out, "lru-oracle"));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "grep -q 'policy: two-list' %s/results/e/config.yaml && rm -rf %s", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Ctrl-C: partial results, marked incomplete, exit status 3. The signal is
 * sent once the temporary results directory exists (the handler is
 * installed before that), so there is no race with start-up. */
START_TEST(sigint_writes_partial_results)
{
    char *dir = tmpdir();
    write_file(dir, "long.yaml",
               "name: long\nhost: {memory: 64MiB, vms: [{name: v, memory: 8MiB,\n"
               "  workload: {kind: uniform, footprint: 16MiB, refs: 2G}}]}\n");
    char bin[4096], out[4200];
    ck_assert_ptr_nonnull(getcwd(bin, sizeof bin - 200));
    if (test_bin()[0] != '/')
        strcat(strcat(bin, "/"), test_bin());
    else
        snprintf(bin, sizeof bin, "%s", test_bin());
    snprintf(out, sizeof out, "%s/out", dir);
    char yaml[4200];
    snprintf(yaml, sizeof yaml, "%s/long.yaml", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin, bin, "run", yaml, "-o", out, "--no-plots", (char *)NULL);
        _exit(127);
    }
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls -d %s/out.tmp-* >/dev/null 2>&1", dir);
    int seen = 0;
    for (int i = 0; i < 3000 && !seen; i++) {
        seen = system(cmd) == 0;
        if (!seen)
            usleep(10000);
    }
    ck_assert_msg(seen, "the run never created its temporary directory");
    usleep(50000);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 3);
    snprintf(cmd, sizeof cmd, "grep -q '\"complete\": false' %s/out/summary.json && "
             "grep -q '\"complete\": false' %s/out/run.json && test -s %s/out/timeseries.csv && rm -rf %s",
             dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *suite_cli(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, config_error, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, good_run_writes_everything);
    tcase_add_test(tc, sigint_writes_partial_results);
    suite_add_tcase(s, tc);
    return s;
}
