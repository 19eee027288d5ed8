/* forktest [n] [work]: forks n (default 64) children, at most 8 alive at
 * once. Each child writes to a global (which must not change the parent's
 * copy), burns `work` (default 2000) loop iterations so that siblings get
 * preempted by the timer, and exits with status i % 7 if its computation
 * came out right (100 otherwise); the parent reaps them all and prints the
 * counts and the status sum. Exit status 0 on success. */
#include "user.h"

#define BATCH 8

static long shared = 42;

/* 1 + 2 + ... + work, the slow way; volatile keeps the loop honest. */
static int busy_ok(long work)
{
    volatile uint64 acc = 0;
    for (long k = 1; k <= work; k++)
        acc += k;
    return acc == (uint64)work * (work + 1) / 2;
}

static int reap(long *sum)
{
    int st;
    if (wait(&st) < 0)
        return -1;
    *sum += st;
    return 0;
}

int main(int argc, char **argv)
{
    long n = ulib_arg_long(argc, argv, 1, 64), forks = 0, waits = 0, sum = 0;
    long work = ulib_arg_long(argc, argv, 2, 2000);
    for (long i = 0; i < n; i++) {
        if (forks - waits == BATCH) {
            if (reap(&sum) < 0)
                break;
            waits++;
        }
        int pid = fork();
        if (pid < 0) {
            printf("forktest: fork failed\n");
            break;
        }
        if (pid == 0) {
            shared = 1000 + i;
            exit(shared == 1000 + i && busy_ok(work) ? (int)(i % 7) : 100);
        }
        forks++;
    }
    while (waits < forks && reap(&sum) == 0)
        waits++;
    int extra = wait(0) >= 0;
    int ok = forks == n && waits == n && shared == 42 && !extra;
    printf("forktest: forks=%ld waits=%ld status_sum=%ld isolated=%s %s\n", forks,
           waits, sum, shared == 42 ? "yes" : "no", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
