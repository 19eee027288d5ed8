/* systest: checks the kernel's system-call edge cases from user space:
 * bad user pointers are refused (not fatal), read hits EOF, wait without
 * children fails, sbrk grows and shrinks (a shrunk page really is gone: a
 * child touching it is killed), exec passes argv and fails cleanly on bad
 * arguments, pids agree between fork and getpid, and unknown system calls
 * fail. Prints one line per failed check and a summary; the exit status is
 * the number of failures. */
#include "user.h"

static int failures, checks;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("systest: FAIL %s\n", what);
    }
}

static long raw_syscall(long num)
{
    register long a0 __asm__("a0") = 0;
    register long a7 __asm__("a7") = num;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
    return a0;
}

/* Forks; the child runs fn and exits with its result. Returns the child's
 * exit status, or -2 if fork or wait failed. */
static int in_child(int (*fn)(void))
{
    int pid = fork(), st;
    if (pid < 0)
        return -2;
    if (pid == 0)
        exit(fn());
    return wait(&st) == pid ? st : -2;
}

static char *shrunk; /* a heap page that sbrk has already given back */

static int touch_shrunk(void)
{
    shrunk[0] = 1; /* must fault: the child is killed with status -1 */
    return 0;
}

static int pid_low_byte(void)
{
    return getpid() & 0xff;
}

static int exec_hello(void)
{
    char *argv[] = {"hello", "alpha", "beta gamma", 0};
    exec("hello", argv);
    return 99;
}

static void test_pointers(void)
{
    char buf[8];
    check(write(1, (void *)0x80200000UL, 8) == -1, "write from kernel memory");
    check(write(1, 0, 8) == -1, "write from unmapped page");
    check(write(7, "x", 1) == -1, "write to bad fd");
    check(read(0, buf, sizeof buf) == 0, "read at EOF");
    check(wait((int *)0x80200000UL) == -1, "wait with no children");
    check(exec("hello", (char **)0x80200000UL) == -1, "exec with kernel argv");
    check(exec((char *)0, 0) == -1, "exec with null name");
    check(raw_syscall(999) == -1, "unknown system call");
}

static void test_sbrk(void)
{
    char *base = sbrk(0);
    char *p = sbrk(8192);
    check(p == base, "sbrk returns old break");
    p[0] = 1;
    p[8191] = 2;
    check(p[0] + p[8191] == 3, "sbrk memory usable");
    check(sbrk(-8192) == p + 8192, "sbrk shrink returns old break");
    check(sbrk(0) == base, "break restored");
    shrunk = p;
    check(in_child(touch_shrunk) == -1, "shrunk page is unmapped");
    check(sbrk(1L << 40) == (void *)-1, "huge sbrk refused");
}

static void test_procs(void)
{
    int pid = fork(), st = -3;
    if (pid == 0)
        exit(pid_low_byte());
    check(pid > 0 && wait(&st) == pid && st == (pid & 0xff), "fork pid == child getpid");
    check(in_child(exec_hello) == 0, "exec hello with argv");
    check(yield() == 0, "yield");
    long t0 = uptime(), t1 = uptime();
    check(t0 >= 0 && t1 >= t0, "uptime monotonic");
}

int main(void)
{
    test_pointers();
    test_sbrk();
    test_procs();
    printf("systest: %d of %d checks passed\n", checks - failures, checks);
    return failures;
}
