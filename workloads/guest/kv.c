/* kv [keys] [requests]: a chained hash-table key-value store serving a
 * skewed (zipf-like) mix of gets (90%) and puts (10%) from a fixed-seed
 * PRNG. Key ranks follow rank = keys * u^3 for uniform u in [0,1), so low
 * ranks are hot. Prints the operation counts and a checksum of the values
 * returned by hits. Defaults: 1000 keys, 20000 requests. */
#include "user.h"

struct node {
    uint64 key, value;
    struct node *next;
};

struct table {
    struct node **buckets;
    uint64 mask;
};

static uint64 mix(uint64 x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdUL;
    x ^= x >> 33;
    return x;
}

static struct node *lookup(struct table *t, uint64 key)
{
    for (struct node *n = t->buckets[mix(key) & t->mask]; n; n = n->next)
        if (n->key == key)
            return n;
    return 0;
}

/* Returns 1 if a new key was inserted, 0 if updated, -1 if out of memory. */
static int put(struct table *t, uint64 key, uint64 value)
{
    struct node *n = lookup(t, key);
    if (n) {
        n->value = value;
        return 0;
    }
    if (!(n = malloc(sizeof *n)))
        return -1;
    struct node **b = &t->buckets[mix(key) & t->mask];
    n->key = key;
    n->value = value;
    n->next = *b;
    *b = n;
    return 1;
}

static uint64 zipf_rank(uint64 *seed, uint64 keys)
{
    uint64 u = rng_next(seed) >> 44; /* 20 bits */
    uint64 cube = (((u * u) >> 20) * u) >> 20;
    return (cube * keys) >> 20;
}

int main(int argc, char **argv)
{
    uint64 keys = ulib_arg_long(argc, argv, 1, 1000);
    long reqs = ulib_arg_long(argc, argv, 2, 20000);
    struct table t;
    uint64 nb = 1;
    while (nb < 2 * keys)
        nb *= 2;
    t.mask = nb - 1;
    t.buckets = malloc(nb * sizeof *t.buckets);
    if (!t.buckets)
        return 2;
    memset(t.buckets, 0, nb * sizeof *t.buckets);
    uint64 seed = 0x5eed0002, sum = 0;
    long gets = 0, hits = 0, puts = 0, inserts = 0;
    for (long i = 0; i < reqs; i++) {
        uint64 key = mix(zipf_rank(&seed, keys) + 1);
        if (rng_next(&seed) % 10 == 0) {
            int r = put(&t, key, rng_next(&seed));
            if (r < 0) {
                printf("kv: out of memory\n");
                return 2;
            }
            puts++;
            inserts += r;
        } else {
            struct node *n = lookup(&t, key);
            gets++;
            if (n) {
                hits++;
                sum = sum * 31 + n->value;
            }
        }
    }
    printf("kv: keys=%lu reqs=%ld gets=%ld hits=%ld puts=%ld inserts=%ld checksum=%016lx\n",
           keys, reqs, gets, hits, puts, inserts, sum);
    return 0;
}
