/* test_policies: the replacement policies of policies/ and their registry.
 *
 * The cache harness and the naive references live in policy_ref.h.
 * Checked: hand-worked fault counts and victim orders, lockstep agreement
 * with the naive implementations on random reference strings with removals,
 * uniformity of random and its k-th-tracked-frame rule across word and block
 * edges (up to 2^32 - 1 frames), remove/count/empty behaviour, bounded
 * victim() under broken accessed bits, footprint per frame (random: 1 bit
 * plus a 16-bit count per 4096 frames), and clean failure under allocation
 * fault injection.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "policies/policy.h"
#include "sim/mem.h"
#include "tests/testutil.h"
#include "tests/unit/policy_ref.h"

static uint64_t run_string(const struct repl_policy *ops, uint32_t nframes,
                           const uint32_t *s, size_t len, struct cache *keep)
{
    struct cache c;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct policy_args args = {rng, 0.0};
    cache_init(&c, ops, &args, nframes, 64);
    for (size_t i = 0; i < len; i++)
        cache_ref(&c, s[i]);
    uint64_t faults = c.faults;
    if (keep) {
        memcpy(keep->evicted, c.evicted, sizeof(c.evicted));
        keep->nevicted = c.nevicted;
    }
    cache_free(&c);
    gsl_rng_free(rng);
    return faults;
}

#define RUN(name, nf, arr, keep) \
    run_string(policy_find(name), nf, arr, sizeof(arr) / sizeof(arr[0]), keep)

static const uint32_t belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};

START_TEST(test_fifo_belady)
{
    ck_assert_uint_eq(RUN("fifo", 3, belady, NULL), 9);
    ck_assert_uint_eq(RUN("fifo", 4, belady, NULL), 10); /* the anomaly */
}
END_TEST

START_TEST(test_lru_belady)
{
    ck_assert_uint_eq(RUN("lru", 3, belady, NULL), 10);
    ck_assert_uint_eq(RUN("lru", 4, belady, NULL), 8);
    ck_assert_uint_eq(RUN("lru-oracle", 3, belady, NULL), 10);
    ck_assert_uint_eq(RUN("lru-oracle", 4, belady, NULL), 8);
}
END_TEST

static void assert_evicted(const struct cache *k, const uint32_t *want, uint32_t n)
{
    ck_assert_uint_eq(k->nevicted, n);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_uint_eq(k->evicted[i], want[i]);
}

/* Clock, 3 frames, Belady string (fN = frame N, bN its bit, h the hand):
 *   1 2 3 -> f0..f2, 3 faults. 4: h0 f0(1) b0=0 -> evict 1, h1. 1: f1(2)
 *   evicted, h2. 2: f2(3) evicted, h0. 5: f0(4) evicted, h1 (7 faults).
 *   1, 2 hit: b1 = b2 = 1. 3: f1 clear, f2 clear, f0(5) evicted, h1.
 *   4: f1(1) b=0 evicted, h2. 5: f2(2) evicted. 10 faults.
 * 4 frames: 1 2 3 4 (4); 1 2 hit (b0 b1). 5: clear f0 f1, evict f2(3), h3.
 *   1 2 hit. 3: f3(4) evicted, h0. 4: clear f0 f1, evict f2(5), h3.
 *   5: f3(3) evicted. 8 faults. */
START_TEST(test_clock_belady)
{
    struct cache k;
    static const uint32_t v3[] = {1, 2, 3, 4, 5, 1, 2}, v4[] = {3, 4, 5, 3};
    ck_assert_uint_eq(RUN("clock", 3, belady, &k), 10);
    assert_evicted(&k, v3, 7);
    ck_assert_uint_eq(RUN("clock", 4, belady, &k), 8);
    assert_evicted(&k, v4, 4);
}
END_TEST

/* Clock, 3 frames, 1 2 3 1 2 4 1 2 5 1 2: 1 2 3 fill; 1 2 hit (b0 b1).
 *   4: clear f0 f1, evict f2(3), h0. 1 2 hit. 5: clear f0 f1, evict f2(4).
 *   1 2 hit. 5 faults (FIFO: 7).
 * Clock, 3 frames, 1 2 3 2 3 4 1 3 2 5 4: fill; 2 3 hit (b1 b2).
 *   4: f0(1) b0=0 evicted, h1. 1: clear f1 f2, f0(4) evicted, h1.
 *   3 2 hit (b2 b1). 5: clear f1 f2, f0(1) evicted, h1. 4: f1(2) b1=0
 *   (cleared) evicted, h2. 7 faults (LRU: 8). */
START_TEST(test_clock_second_chance)
{
    struct cache k;
    static const uint32_t s1[] = {1, 2, 3, 1, 2, 4, 1, 2, 5, 1, 2};
    static const uint32_t s2[] = {1, 2, 3, 2, 3, 4, 1, 3, 2, 5, 4};
    static const uint32_t v1[] = {3, 4}, v2[] = {1, 4, 1, 2};
    ck_assert_uint_eq(RUN("clock", 3, s1, &k), 5);
    assert_evicted(&k, v1, 2);
    ck_assert_uint_eq(RUN("fifo", 3, s1, NULL), 7);
    ck_assert_uint_eq(RUN("clock", 3, s2, &k), 7);
    assert_evicted(&k, v2, 4);
    ck_assert_uint_eq(RUN("lru", 3, s2, NULL), 8);
}
END_TEST

/* Two-list, 3 frames, inactive target n/3 = 1 frame. ina/act listed head
 * first. String 1 2 3 1 2 3 4 5 1 1 2 6 7 3 1 2:
 *   1 2 3: ina [f2 f1 f0]. 1 2 3 hit: b0 b1 b2 set.
 *   4: f0 b set -> clear, act [f0]; f1 -> act [f1 f0]; ina [f2] meets the
 *      target, f2 b set -> clear, act [f2 f1 f0]; ina empty: demote the
 *      active tail f0 (b clear) -> ina [f0]; evict f0 (page 1). ina [f0=4].
 *   5: evict f0 (4). 1: evict f0 (5); f0 = 1, b0 clear.
 *   1 hit (b0), 2 hit (b1).
 *   6: f0 b set -> clear, act [f0 f2 f1], ina empty; active tail f1 b set ->
 *      clear, rotate: act [f1 f0 f2]; tail f2 (3) b clear -> demote; evict
 *      f2 (page 3). ina [f2=6].
 *   7: evict 6. 3: evict 7. 1 2 hit. 9 faults, evicted 1 4 5 3 6 7. */
START_TEST(test_two_list_hand)
{
    struct cache k;
    static const uint32_t s[] = {1, 2, 3, 1, 2, 3, 4, 5, 1, 1, 2, 6, 7, 3, 1, 2};
    static const uint32_t v[] = {1, 4, 5, 3, 6, 7};
    ck_assert_uint_eq(RUN("two-list", 3, s, &k), 9);
    assert_evicted(&k, v, 6);
    /* Belady string, 4 frames, target 2 inactive: fill, ina [f3 f2 f1 f0].
     * 1 2 hit. 5: f0, f1 promoted (bits cleared), evict f2 (3); ina [f2=5 f3].
     * 1 2 hit. 3: evict f3 (4). 4: evict f2 (5). 5: evict f3 (3). 8 faults. */
    static const uint32_t vb[] = {3, 4, 5, 3};
    ck_assert_uint_eq(RUN("two-list", 4, belady, &k), 8);
    assert_evicted(&k, vb, 4);
}
END_TEST

/* Draw a reference string with locality: a hot set, a uniform tail and
 * sequential runs. */
static void make_string(gsl_rng *g, uint32_t *s, size_t len, uint32_t npages)
{
    uint32_t hot = 1 + (uint32_t)gsl_rng_uniform_int(g, npages);
    for (size_t i = 0; i < len; i++) {
        double u = gsl_rng_uniform(g);
        if (u < 0.6)
            s[i] = (uint32_t)gsl_rng_uniform_int(g, hot);
        else if (u < 0.8 && i > 0)
            s[i] = (s[i - 1] + 1) % npages;
        else
            s[i] = (uint32_t)gsl_rng_uniform_int(g, npages);
    }
}

/* Run ops and its reference in lockstep on one string, dropping a random
 * resident page now and then; every victim must agree. */
static void lockstep(const struct repl_policy *ops, const struct repl_policy *ref,
                     const uint32_t *s, size_t len, uint32_t nframes, uint32_t npages,
                     gsl_rng *g, unsigned long seed, double ratio)
{
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r1, seed);
    gsl_rng_set(r2, seed);
    struct policy_args a1 = {r1, ratio}, a2 = {r2, ratio};
    struct cache c1, c2;
    uint64_t mem0 = mem_in_use();
    cache_init(&c1, ops, &a1, nframes, npages);
    cache_init(&c2, ref, &a2, nframes, npages);
    for (size_t i = 0; i < len; i++) {
        int fault1 = cache_ref(&c1, s[i]), fault2 = cache_ref(&c2, s[i]);
        REQUIRE(fault1 == fault2);
        REQUIRE(c1.last_victim == c2.last_victim);
        if (gsl_rng_uniform(g) < 0.02) {
            uint32_t p = s[gsl_rng_uniform_int(g, i + 1)];
            if (c1.page_frame[p] != NONE) {
                cache_drop(&c1, p);
                cache_drop(&c2, p);
            }
        }
        REQUIRE(ops->count(c1.p) == nframes - c1.nfree);
    }
    ck_assert_uint_eq(c1.faults, c2.faults);
    cache_free(&c1);
    cache_free(&c2);
    ck_assert_uint_eq(mem_in_use(), mem0);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

static const struct {
    const char *name;
    const struct repl_policy *ref;
} pairs[] = {
    {"fifo", &ref_fifo},   {"lru", &ref_lru},           {"lru-oracle", &ref_lru},
    {"clock", &ref_clock}, {"two-list", &ref_two_list}, {"random", &ref_random},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

START_TEST(test_vs_reference)
{
    static const double ratios[4] = {0.0, 0.5, 1.0, 0.1};
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 1000 + (unsigned long)_i);
    int nstrings = test_quick() ? 8 : 50;
    uint32_t *s = malloc(20000 * sizeof(uint32_t));
    for (int k = 0; k < nstrings; k++) {
        uint32_t nframes = 1 + (uint32_t)gsl_rng_uniform_int(g, 300);
        uint32_t npages = nframes + 1 + (uint32_t)gsl_rng_uniform_int(g, 2 * nframes + 10);
        size_t len = 100 + gsl_rng_uniform_int(g, test_quick() ? 3000 : 19900);
        make_string(g, s, len, npages);
        lockstep(policy_find(pairs[_i].name), pairs[_i].ref, s, len, nframes, npages, g,
                 (unsigned long)k + 1, ratios[k % 4]); /* only two-list reads it */
    }
    free(s);
    gsl_rng_free(g);
}
END_TEST

/* Same seed, same victims; another seed, other victims (so the rng is used). */
START_TEST(test_random_seeded)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    uint32_t s[2000];
    make_string(g, s, 2000, 200);
    uint32_t seq[3][MAX_EVICT];
    uint64_t faults[3];
    unsigned long seeds[3] = {7, 7, 8};
    for (int r = 0; r < 3; r++) {
        gsl_rng *rr = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rr, seeds[r]);
        struct policy_args a = {rr, 0.0};
        struct cache c;
        cache_init(&c, policy_find("random"), &a, 50, 200);
        for (int i = 0; i < 2000; i++)
            cache_ref(&c, s[i]);
        ck_assert_uint_eq(c.nevicted, MAX_EVICT);
        memcpy(seq[r], c.evicted, sizeof(seq[r]));
        faults[r] = c.faults;
        cache_free(&c);
        gsl_rng_free(rr);
    }
    ck_assert_uint_eq(faults[0], faults[1]);
    ck_assert_int_eq(memcmp(seq[0], seq[1], sizeof(seq[0])), 0);
    ck_assert_int_ne(memcmp(seq[0], seq[2], sizeof(seq[0])), 0);
    gsl_rng_free(g);
}
END_TEST

/* 10 tracked frames (sparse numbers) inserted in a fixed order, one victim,
 * then the set is rebuilt in that order; 100000 rounds. Chi-square with 9
 * degrees of freedom must lie within its 0.1% and 99.9% quantiles (1.152,
 * 27.877). Always picking one position, never picking the last one, or a
 * strict rotation all land far outside. */
START_TEST(test_random_uniform)
{
    static const uint32_t fr[10] = {0, 3, 17, 64, 65, 100, 127, 128, 500, 999};
    gsl_rng *rr = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rr, 12345);
    struct policy_args a = {rr, 0.0};
    const struct repl_policy *ops = policy_find("random");
    void *p = ops->create(&a, 1000);
    uint32_t hits[1000] = {0};
    const int rounds = 100000;
    for (int i = 0; i < 10; i++)
        ops->insert(p, fr[i]);
    for (int i = 0; i < rounds; i++) {
        uint32_t f = ops->victim(p, NULL);
        REQUIRE(f < 1000);
        hits[f]++;
        for (int j = 0; j < 10; j++)
            if (fr[j] != f)
                ops->remove(p, fr[j]);
        for (int j = 0; j < 10; j++)
            ops->insert(p, fr[j]);
    }
    double chi2 = 0, e = rounds / 10.0;
    for (int i = 0; i < 10; i++)
        chi2 += (hits[fr[i]] - e) * (hits[fr[i]] - e) / e;
    ck_assert_double_gt(chi2, 1.152);
    ck_assert_double_lt(chi2, 27.877);
    ops->destroy(p);
    gsl_rng_free(rr);
}
END_TEST

/* ---- API behaviour ------------------------------------------------------ */

struct inst {
    const struct repl_policy *ops;
    void *p;
    gsl_rng *rng;
};

static struct inst inst_new(const char *name, uint32_t nframes)
{
    struct inst in = {policy_find(name), NULL, gsl_rng_alloc(gsl_rng_mt19937)};
    struct policy_args a = {in.rng, 0.0};
    ck_assert_ptr_nonnull(in.ops);
    in.p = in.ops->create(&a, nframes);
    ck_assert_ptr_nonnull(in.p);
    return in;
}

static void inst_free(struct inst *in)
{
    in->ops->destroy(in->p);
    gsl_rng_free(in->rng);
}

/* Random's rule spelled out, over 2^20 + 37 frames (257 blocks of 4096, the
 * last one 37 frames long): frames at word and block edges, inserted out of
 * order. A twin generator with the same seed replays the one draw per victim,
 * k = uniform_int(n); the victim must be the k-th of the sorted set, and both
 * generators must end in the same state (exactly one draw each time). */
START_TEST(test_random_kth)
{
    const uint32_t nf = (1u << 20) + 37;
    uint32_t set[] = {0, 63, 64, 4095, 4096, 4159, 4160, 65535, 65536, 500000,
                      1u << 20, nf - 1}; /* sorted */
    static const uint32_t order[] = {11, 0, 6, 3, 9, 1, 10, 4, 2, 8, 5, 7};
    uint32_t n = sizeof(set) / sizeof(set[0]);
    struct inst in = inst_new("random", nf);
    gsl_rng *twin = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(in.rng, 99);
    gsl_rng_set(twin, 99);
    for (uint32_t i = 0; i < n; i++)
        in.ops->insert(in.p, set[order[i]]);
    while (n > 0) {
        uint32_t k = (uint32_t)gsl_rng_uniform_int(twin, n);
        ck_assert_uint_eq(in.ops->victim(in.p, NULL), set[k]);
        memmove(set + k, set + k + 1, (--n - k) * sizeof(uint32_t));
        ck_assert_uint_eq(in.ops->count(in.p), n);
    }
    ck_assert_uint_eq(in.ops->victim(in.p, NULL), NONE);
    ck_assert_uint_eq(gsl_rng_get(in.rng), gsl_rng_get(twin));
    gsl_rng_free(twin);
    inst_free(&in);
}
END_TEST

/* Random against its reference over 5 blocks and a 100-frame partial one
 * (the lockstep runs above stay within one block): a random mix of inserts,
 * removes and victims, then two blocks filled completely (full words), then
 * victims until empty. Every victim and count must agree. */
static void rand_step(const struct inst *a, const struct inst *b, unsigned char *on,
                      uint32_t nf, gsl_rng *g)
{
    if (gsl_rng_uniform(g) < 0.1) {
        uint32_t f = a->ops->victim(a->p, NULL);
        REQUIRE(f == b->ops->victim(b->p, NULL));
        if (f != NONE)
            on[f] = 0;
        return;
    }
    uint32_t f = (uint32_t)gsl_rng_uniform_int(g, nf);
    if (on[f]) {
        a->ops->remove(a->p, f);
        b->ops->remove(b->p, f);
    } else {
        a->ops->insert(a->p, f);
        b->ops->insert(b->p, f);
    }
    on[f] ^= 1;
}

START_TEST(test_random_blocks)
{
    const uint32_t nf = 5 * 4096 + 100;
    struct inst a = inst_new("random", nf), b = inst_new("random", nf);
    struct policy_args args = {b.rng, 0.0};
    unsigned char *on = calloc(nf, 1);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(a.rng, 5);
    gsl_rng_set(b.rng, 5);
    b.ops->destroy(b.p);
    b.ops = &ref_random;
    b.p = ref_random.create(&args, nf);
    for (int i = 0, steps = test_quick() ? 5000 : 40000; i < steps; i++)
        rand_step(&a, &b, on, nf, g);
    for (uint32_t f = 0; f < nf; f++)
        if (!on[f] && ((f >= 8192 && f < 16384) || f >= 5 * 4096)) {
            a.ops->insert(a.p, f);
            b.ops->insert(b.p, f);
            on[f] = 1;
        }
    uint32_t n = a.ops->count(a.p);
    ck_assert_uint_ge(n, 8192 + 100);
    ck_assert_uint_eq(n, b.ops->count(b.p));
    for (; n > 0; n--) {
        uint32_t f = a.ops->victim(a.p, NULL);
        REQUIRE(f < nf && on[f]);
        REQUIRE(f == b.ops->victim(b.p, NULL));
        on[f] = 0;
    }
    ck_assert_uint_eq(a.ops->victim(a.p, NULL), NONE);
    inst_free(&a);
    inst_free(&b);
    gsl_rng_free(g);
    free(on);
}
END_TEST

/* The largest frame space: 2^32 - 1 frames (512 MiB of bits that create()
 * must not write, only calloc). The last frame and frames across the space
 * come out in the order the twin draws dictate. */
START_TEST(test_random_huge)
{
    uint32_t set[] = {0, 1u << 31, UINT32_MAX - 1}; /* sorted */
    uint32_t n = 3;
    struct inst in = inst_new("random", UINT32_MAX);
    gsl_rng *twin = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(in.rng, 2024);
    gsl_rng_set(twin, 2024);
    in.ops->insert(in.p, UINT32_MAX - 1);
    in.ops->insert(in.p, 0);
    in.ops->insert(in.p, 1u << 31);
    while (n > 0) {
        uint32_t k = (uint32_t)gsl_rng_uniform_int(twin, n);
        ck_assert_uint_eq(in.ops->victim(in.p, NULL), set[k]);
        memmove(set + k, set + k + 1, (--n - k) * sizeof(uint32_t));
    }
    ck_assert_uint_eq(in.ops->victim(in.p, NULL), NONE);
    gsl_rng_free(twin);
    inst_free(&in);
}
END_TEST

static void expect_victims(struct inst *in, const struct frame_bits *b,
                           const uint32_t *want, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_eq(in->ops->count(in->p), n - i);
        ck_assert_uint_eq(in->ops->victim(in->p, b), want[i]);
    }
    ck_assert_uint_eq(in->ops->count(in->p), 0);
    ck_assert_uint_eq(in->ops->victim(in->p, b), NONE);
}

START_TEST(test_empty_victim)
{
    const struct policy_entry *e = &policy_table()[_i];
    struct inst in = inst_new(e->name, 16);
    unsigned char ab[16] = {0};
    struct frame_bits b = {ab, bit_get, bit_clear, bit_dirty};
    ck_assert_uint_eq(in.ops->count(in.p), 0);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), NONE);
    in.ops->insert(in.p, 5);
    ck_assert_uint_eq(in.ops->count(in.p), 1);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 5);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), NONE);
    in.ops->insert(in.p, 15);
    in.ops->remove(in.p, 15);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), NONE);
    inst_free(&in);
    in = inst_new(e->name, 0); /* a policy over no frames is legal */
    ck_assert_uint_eq(in.ops->victim(in.p, &b), NONE);
    inst_free(&in);
}
END_TEST

START_TEST(test_remove_fifo_lru)
{
    static const uint32_t fifo_want[] = {1, 2, 4, 5, 6, 8, 9, 3};
    static const uint32_t lru_want[] = {1, 4, 0, 3, 2};
    struct inst in = inst_new("fifo", 10);
    for (uint32_t f = 0; f < 10; f++)
        in.ops->insert(in.p, f);
    in.ops->remove(in.p, 3);
    in.ops->remove(in.p, 7);
    in.ops->remove(in.p, 0);
    in.ops->insert(in.p, 3); /* re-inserted: now the newest */
    expect_victims(&in, NULL, fifo_want, 8);
    inst_free(&in);
    for (int k = 0; k < 2; k++) {
        in = inst_new(k ? "lru-oracle" : "lru", 5);
        for (uint32_t f = 0; f < 5; f++)
            in.ops->insert(in.p, f);
        in.ops->touch(in.p, 0);
        in.ops->remove(in.p, 2);
        in.ops->touch(in.p, 3);
        in.ops->insert(in.p, 2);
        in.ops->touch(in.p, 2); /* touching the MRU frame keeps it MRU */
        expect_victims(&in, NULL, lru_want, 5);
        inst_free(&in);
    }
}
END_TEST

/* Clock over 10 frames, bits of 1 and 2 set, 0 and 5 removed: the hand at 0
 * skips 0, clears 1 and 2, evicts 3; then 4, 6; 7 is removed; 8, 9; wraps to
 * 1 and 2, whose bits are now clear. */
START_TEST(test_remove_clock)
{
    static const uint32_t want[] = {3, 4, 6, 8, 9, 1, 2};
    unsigned char ab[10] = {0};
    struct frame_bits b = {ab, bit_get, bit_clear, bit_dirty};
    struct inst in = inst_new("clock", 10);
    for (uint32_t f = 0; f < 10; f++)
        in.ops->insert(in.p, f);
    ab[1] = ab[2] = 1;
    in.ops->remove(in.p, 0);
    in.ops->remove(in.p, 5);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 3);
    ck_assert_uint_eq(ab[1] + ab[2], 0);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 4);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 6);
    in.ops->remove(in.p, 7);
    expect_victims(&in, &b, want + 3, 4);
    inst_free(&in);
}
END_TEST

START_TEST(test_remove_two_list_random)
{
    static const uint32_t tl_want[] = {0, 1, 3, 4, 5};
    struct inst in = inst_new("two-list", 6);
    for (uint32_t f = 0; f < 6; f++)
        in.ops->insert(in.p, f);
    in.ops->remove(in.p, 2);
    expect_victims(&in, NULL, tl_want, 5);
    inst_free(&in);

    in = inst_new("random", 10);
    unsigned seen = 0;
    for (uint32_t f = 0; f < 10; f++)
        in.ops->insert(in.p, f);
    in.ops->remove(in.p, 3);
    in.ops->remove(in.p, 6);
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(in.ops->count(in.p), 8 - i);
        seen |= 1u << in.ops->victim(in.p, NULL);
    }
    ck_assert_uint_eq(seen, 0x3ffu & ~(1u << 3) & ~(1u << 6));
    ck_assert_uint_eq(in.ops->victim(in.p, NULL), NONE);
    inst_free(&in);
}
END_TEST

/* Bits that stay set whatever is cleared: victim() must still terminate and
 * hand out every frame exactly once. */
static int stuck_get(void *ctx, uint32_t f) { return 1; }
static void stuck_clear(void *ctx, uint32_t f) {}

START_TEST(test_broken_bits)
{
    struct frame_bits b = {NULL, stuck_get, stuck_clear, bit_dirty};
    static const char *names[] = {"clock", "two-list"};
    for (int k = 0; k < 2; k++) {
        struct inst in = inst_new(names[k], 100);
        unsigned char seen[100] = {0};
        for (uint32_t f = 0; f < 100; f++)
            in.ops->insert(in.p, f);
        for (int i = 0; i < 100; i++) {
            uint32_t f = in.ops->victim(in.p, &b);
            ck_assert_uint_lt(f, 100);
            ck_assert_int_eq(seen[f], 0);
            seen[f] = 1;
        }
        ck_assert_uint_eq(in.ops->victim(in.p, &b), NONE);
        inst_free(&in);
    }
}
END_TEST

/* Clock over 2^20 frames with three tracked: the hand skips empty words. */
START_TEST(test_clock_sparse)
{
    const uint32_t n = 1u << 20;
    unsigned char *ab = calloc(n, 1);
    struct frame_bits b = {ab, bit_get, bit_clear, bit_dirty};
    struct inst in = inst_new("clock", n);
    static const uint32_t want[] = {5, 700000, n - 1};
    in.ops->insert(in.p, n - 1);
    in.ops->insert(in.p, 700000);
    in.ops->insert(in.p, 5);
    expect_victims(&in, &b, want, 3);
    in.ops->insert(in.p, 900000); /* hand wrapped to 0 */
    in.ops->insert(in.p, 10);
    ab[10] = 1;
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 900000);
    ck_assert_uint_eq(ab[10], 0);
    ck_assert_uint_eq(in.ops->victim(in.p, &b), 10);
    inst_free(&in);
    free(ab);
}
END_TEST

/* Bytes per frame, exactly: (fp(N2) - fp(N1)) / (N2 - N1) with N multiples
 * of 4096, and footprint() equal to the bytes create() took from mem. */
START_TEST(test_footprint)
{
    static const struct { const char *name; double per_frame; } want[] = {
        {"fifo", 8}, {"random", 1.0 / 8 + 1.0 / 2048}, {"clock", 1.0 / 8 + 1.0 / 512},
        {"lru", 8}, {"lru-oracle", 8}, {"two-list", 8 + 1.0 / 8},
    };
    const uint32_t n1 = 40960, n2 = 81920;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        size_t fp[2];
        for (int j = 0; j < 2; j++) {
            uint64_t mem0 = mem_in_use();
            struct inst in = inst_new(want[k].name, j ? n2 : n1);
            fp[j] = in.ops->footprint(in.p);
            ck_assert_uint_eq(fp[j], mem_in_use() - mem0);
            inst_free(&in);
            ck_assert_uint_eq(mem_in_use(), mem0);
        }
        double per = (double)(fp[1] - fp[0]) / (n2 - n1);
        ck_assert_double_eq(per, want[k].per_frame);
        ck_assert_double_le(fp[0] - per * n1, 128);
    }
}
END_TEST

/* Fail the 1st, 2nd, ... allocation of create(): NULL and nothing leaked,
 * until create needs no more than were allowed. */
START_TEST(test_fault_injection)
{
    const struct policy_entry *e = &policy_table()[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    struct policy_args a = {rng, 0.0};
    uint64_t mem0 = mem_in_use();
    int failures = 0;
    for (uint64_t k = 1; k < 20; k++) {
        mem_fail_after(k);
        void *p = e->ops->create(&a, 1000);
        int triggered = mem_fail_triggered();
        mem_fail_reset();
        if (p) {
            ck_assert_int_eq(triggered, 0);
            e->ops->destroy(p);
            ck_assert_uint_eq(mem_in_use(), mem0);
            break;
        }
        ck_assert_int_eq(triggered, 1);
        ck_assert_uint_eq(mem_in_use(), mem0);
        failures++;
    }
    ck_assert_int_ge(failures, 2); /* the struct and at least one array */
    ck_assert_int_lt(failures, 19);
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_bad_args)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    uint64_t mem0 = mem_in_use();
    static const double bad[] = {-0.1, 1.5, NAN};
    for (int i = 0; i < 3; i++) {
        struct policy_args a = {rng, bad[i]};
        ck_assert_ptr_null(policy_find("two-list")->create(&a, 10));
    }
    struct policy_args one = {rng, 1.0}, norng = {NULL, 0.0};
    void *p = policy_find("two-list")->create(&one, 10);
    ck_assert_ptr_nonnull(p);
    policy_find("two-list")->destroy(p);
    ck_assert_ptr_null(policy_find("random")->create(&norng, 10));
    ck_assert_uint_eq(mem_in_use(), mem0);
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_registry)
{
    char buf[128], small[12];
    const struct policy_entry *t = policy_table();
    int n = 0;
    for (; t[n].name; n++) {
        ck_assert_ptr_eq(policy_find(t[n].name), t[n].ops);
        ck_assert_str_eq(t[n].ops->name, t[n].name);
        ck_assert_uint_gt(strlen(t[n].desc), 10);
    }
    ck_assert_int_eq(n, 6);
    ck_assert_str_eq(policy_names(buf, sizeof(buf)),
                     "fifo, random, clock, lru, lru-oracle, two-list");
    ck_assert_str_eq(policy_names(small, sizeof(small)), "fifo");
    ck_assert_ptr_null(policy_find("LRU"));
    ck_assert_ptr_null(policy_find(NULL));
    const struct repl_policy *o = policy_find("lru-oracle");
    ck_assert_uint_eq(o->flags, POLICY_WANTS_EVERY_ACCESS | POLICY_ORACLE);
    ck_assert_uint_eq(policy_find("lru")->flags, POLICY_WANTS_EVERY_ACCESS);
    ck_assert_uint_eq(policy_find("clock")->flags, POLICY_USES_ACCESSED_BITS);
    ck_assert_uint_eq(policy_find("two-list")->flags, POLICY_USES_ACCESSED_BITS);
    ck_assert_ptr_nonnull(strstr(t[4].desc, "oracle"));
    ck_assert_ptr_nonnull(strstr(t[4].desc, "every access"));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    policy_print(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(out, "two-list"));
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    ck_assert_int_eq(lines, 6);
    free(out);
}
END_TEST

static void add_api_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_empty_victim, 0, 6);
    tcase_add_test(tc, test_remove_fifo_lru);
    tcase_add_test(tc, test_remove_clock);
    tcase_add_test(tc, test_remove_two_list_random);
    tcase_add_test(tc, test_broken_bits);
    tcase_add_test(tc, test_clock_sparse);
    tcase_add_test(tc, test_footprint);
    tcase_add_loop_test(tc, test_fault_injection, 0, 6);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_registry);
}


Suite *suite_policies(void)
{
    Suite *s = suite_create("policies");
    TCase *tc = tcase_create("hand");
    tcase_add_test(tc, test_fifo_belady);
    tcase_add_test(tc, test_lru_belady);
    tcase_add_test(tc, test_clock_belady);
    tcase_add_test(tc, test_clock_second_chance);
    tcase_add_test(tc, test_two_list_hand);
    tcase_add_test(tc, test_random_seeded);
    tcase_add_test(tc, test_random_uniform);
    tcase_add_test(tc, test_random_kth);
    tcase_add_test(tc, test_random_blocks);
    tcase_add_test(tc, test_random_huge);
    suite_add_tcase(s, tc);
    tc = tcase_create("reference");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_vs_reference, 0, (int)NPAIRS);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    add_api_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}
