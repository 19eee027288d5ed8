/* hash: small deterministic mixing functions (splitmix64 finaliser, FNV-1a)
 * for seeds, stream keys and content tokens. Not for security. */
#ifndef VMMSIM_HASH_H
#define VMMSIM_HASH_H

#include <stdint.h>

static inline uint64_t hash_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return hash_mix64(h);
}

#endif
