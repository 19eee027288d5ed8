/* matmul [n]: multiplies two n x n (default 32) pseudo-random integer
 * matrices (wrapping 64-bit arithmetic) and prints a checksum of C. */
#include "user.h"

int main(int argc, char **argv)
{
    long n = ulib_arg_long(argc, argv, 1, 32);
    uint64 *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *a);
    uint64 *c = malloc(n * n * sizeof *a);
    if (!a || !b || !c) {
        printf("matmul: out of memory\n");
        return 2;
    }
    uint64 seed = 0x5eed0003;
    for (long i = 0; i < n * n; i++) {
        a[i] = rng_next(&seed) % 1000;
        b[i] = rng_next(&seed) % 1000;
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            uint64 s = 0;
            for (long k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    uint64 sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + c[i];
    printf("matmul: n=%ld c[0][0]=%lu checksum=%016lx\n", n, c[0], sum);
    return 0;
}
