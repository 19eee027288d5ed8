/* compute-bound mix: sieve, matrix multiply, crc, sorting */
#include <stdint.h>
#define N 64
static uint32_t a[N][N], b[N][N], cc[N][N];
static uint8_t sieve[100000];
static uint32_t arr[4096];
static uint32_t crc32(const uint8_t *p, int n) {
    uint32_t c = ~0u;
    for (int i = 0; i < n; i++) { c ^= p[i]; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1)); }
    return ~c;
}
int main(void) {
    uint32_t acc = 0;
    for (int rep = 0; rep < 12; rep++) {
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { a[i][j] = i * 3 + j + rep; b[i][j] = i ^ j; }
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { uint32_t s = 0; for (int k = 0; k < N; k++) s += a[i][k] * b[k][j]; cc[i][j] = s; }
        acc += cc[rep][rep];
        for (int i = 0; i < 100000; i++) sieve[i] = 1;
        for (int i = 2; i * i < 100000; i++) if (sieve[i]) for (int j = i * i; j < 100000; j += i) sieve[j] = 0;
        int cnt = 0; for (int i = 2; i < 100000; i++) cnt += sieve[i];
        acc += cnt;
        acc += crc32(sieve, 20000);
        uint32_t x = 12345 + rep;
        for (int i = 0; i < 4096; i++) { x = x * 1103515245u + 12345u; arr[i] = x >> 8; }
        for (int gap = 2048; gap > 0; gap /= 2) for (int i = gap; i < 4096; i++) { uint32_t t = arr[i]; int j = i; while (j >= gap && arr[j - gap] > t) { arr[j] = arr[j - gap]; j -= gap; } arr[j] = t; }
        acc += arr[100];
    }
    return (int)(acc & 0xffff) | 0x10000;
}
