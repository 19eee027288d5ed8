/* user.h: the user-side API of the vmmsim guest: system call stubs
 * (usys.S), a tiny libc (ulib.c) and a deterministic PRNG. */
#ifndef GUEST_USER_H
#define GUEST_USER_H

typedef unsigned long uint64;
typedef unsigned int uint32;

/* system calls (numbers in guest/syscall.h) */
void exit(int status) __attribute__((noreturn));
int fork(void);
int exec(const char *name, char *const argv[]);
int wait(int *status);
void *sbrk(long delta);
long write(int fd, const void *buf, unsigned long n);
long read(int fd, void *buf, unsigned long n);
int getpid(void);
int yield(void);
long uptime(void);
long freepages(void);
void shutdown(int failed) __attribute__((noreturn));

/* ulib.c */
void printf(const char *fmt, ...);
void *malloc(unsigned long n);
void free(void *p);
void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
unsigned long strlen(const char *s);
int strcmp(const char *a, const char *b);
long atol(const char *s);
char *ltoa(long v, char *buf); /* buf needs 21 bytes; returns buf */

/* argument n as a number, or def when absent or not positive */
long ulib_arg_long(int argc, char **argv, int n, long def);

/* xorshift64* PRNG: same seed, same sequence, on every machine */
static inline uint64 rng_next(uint64 *s)
{
    uint64 x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DUL;
}

#endif
