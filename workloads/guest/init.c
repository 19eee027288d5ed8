/* init [scale]: the first process. Runs a fixed script of programs one
 * after another (fork + exec + wait), printing each exit status, checks
 * that no physical page leaked, then powers the machine off through SBI
 * SRST. Workload sizes are multiplied by scale (default 1). Output is
 * deterministic: only one program runs at a time.
 *
 * Built with -DINIT_BENCH='"NAME"' (guest/Makefile BENCH=NAME), init runs
 * only the bench step for program NAME, with sizes large enough for a few
 * hundred million guest instructions, and then shuts down as usual,
 * reporting failure if that program exited with a nonzero status. */
#include "user.h"

#define MAXSTEP_ARGS 4

struct step {
    const char *name;
    long args[MAXSTEP_ARGS]; /* 0 ends the list; scaled by the scale factor */
};

static const struct step script[] = {
    {"hello", {0}},
    {"sort", {2000}},
    {"kv", {1000, 20000}},
    {"matmul", {32}},
    {"badread", {0}},
    {"forktest", {64, 2000}},
    {"systest", {0}},
    {"nosuchprogram", {0}},
};

#ifdef INIT_BENCH
/* Bench sizes: roughly 100-300M instructions each (see tests/bench/vmm_bench.sh).
 * forktest is the fork-heavy case: many forks of a small process, short work. */
static const struct step bench_script[] = {
    {"sort", {200000}},
    {"kv", {100000, 3000000}},
    {"matmul", {256}},
    {"forktest", {1500, 1000}},
};

/* The bench step named INIT_BENCH; the "nosuchprogram" step if none is. */
static const struct step *bench_step(void)
{
    for (unsigned i = 0; i < sizeof bench_script / sizeof bench_script[0]; i++)
        if (strcmp(bench_script[i].name, INIT_BENCH) == 0)
            return &bench_script[i];
    return &script[sizeof script / sizeof script[0] - 1];
}
#endif

/* Runs one step; returns its exit status (127 if exec failed). */
static int run(const struct step *s, long scale)
{
    char nums[MAXSTEP_ARGS][21];
    char *argv[MAXSTEP_ARGS + 2];
    int n = 0;
    argv[n++] = (char *)s->name;
    for (int i = 0; i < MAXSTEP_ARGS && s->args[i]; i++)
        argv[n++] = ltoa(s->args[i] * scale, nums[i]);
    argv[n] = 0;
    int pid = fork();
    if (pid < 0) {
        printf("init: fork failed\n");
        return -1;
    }
    if (pid == 0) {
        exec(s->name, argv);
        printf("init: exec %s failed\n", s->name);
        exit(127);
    }
    int st = -1, w;
    while ((w = wait(&st)) >= 0 && w != pid)
        ; /* reap orphans handed to init */
    return st;
}

int main(int argc, char **argv)
{
    long scale = ulib_arg_long(argc, argv, 1, 1);
    long free0 = freepages();
#ifdef INIT_BENCH
    const struct step *steps = bench_step();
    int nsteps = 1;
#else
    const struct step *steps = script;
    int nsteps = sizeof script / sizeof script[0];
#endif
    int failed = 0; /* bench images only: a failing step fails the shutdown */
    printf("init: running %d programs, scale %ld\n", nsteps, scale);
    for (int i = 0; i < nsteps; i++) {
        int st = run(&steps[i], scale);
        printf("init: %s exited with status %d\n", steps[i].name, st);
#ifdef INIT_BENCH
        failed |= st != 0;
#endif
    }
    long free1 = freepages();
    if (free1 == free0)
        printf("init: free pages unchanged\n");
    else
        printf("init: LEAK: %ld pages\n", free0 - free1);
    printf("init: shutting down\n");
    shutdown(failed || free1 != free0);
}
