/* sort [n]: merge-sorts n (default 2000) pseudo-random integers from a fixed
 * seed; prints a position-weighted checksum and whether the result is
 * sorted. Exit status 0 if sorted. */
#include "user.h"

static void merge_sort(uint64 *a, uint64 *tmp, long n)
{
    for (long width = 1; width < n; width *= 2) {
        for (long lo = 0; lo < n; lo += 2 * width) {
            long mid = lo + width < n ? lo + width : n;
            long hi = lo + 2 * width < n ? lo + 2 * width : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

int main(int argc, char **argv)
{
    long n = ulib_arg_long(argc, argv, 1, 2000);
    uint64 *a = malloc(n * sizeof *a), *tmp = malloc(n * sizeof *a);
    if (!a || !tmp) {
        printf("sort: out of memory\n");
        return 2;
    }
    uint64 seed = 0x5eed0001;
    for (long i = 0; i < n; i++)
        a[i] = rng_next(&seed) % 1000000;
    merge_sort(a, tmp, n);
    uint64 sum = 0;
    int sorted = 1;
    for (long i = 0; i < n; i++) {
        sum += a[i] * (uint64)(i + 1);
        if (i > 0 && a[i - 1] > a[i])
            sorted = 0;
    }
    printf("sort: n=%ld sorted=%s checksum=%016lx\n", n, sorted ? "yes" : "no", sum);
    return sorted ? 0 : 1;
}
