/* init [scale]: the first process. Runs a fixed script of programs one
 * after another (fork + exec + wait), printing each exit status, checks
 * that no physical page leaked, then powers the machine off through SBI
 * SRST. Workload sizes are multiplied by scale (default 1). Output is
 * deterministic: only one program runs at a time. */
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
    int nsteps = sizeof script / sizeof script[0];
    printf("init: running %d programs, scale %ld\n", nsteps, scale);
    for (int i = 0; i < nsteps; i++) {
        int st = run(&script[i], scale);
        printf("init: %s exited with status %d\n", script[i].name, st);
    }
    long free1 = freepages();
    if (free1 == free0)
        printf("init: free pages unchanged\n");
    else
        printf("init: LEAK: %ld pages\n", free0 - free1);
    printf("init: shutting down\n");
    shutdown(free1 != free0);
}
