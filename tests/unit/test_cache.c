/* test_cache: the single-level cache engine (sim/cache.c) and `vmmsim cache`
 * (sim/cachecli.c).
 *
 *   - the id -> slot hash table against a plain array, in a tiny table where
 *     every key collides with others, including ids 0 and UINT64_MAX;
 *   - hand-worked reference strings (Belady's anomaly for fifo, lru, clock);
 *   - every registered policy, driven by the engine on sparse 64-bit ids,
 *     against the naive reference policies of tests/unit/policy_ref.h driven
 *     by its dense harness, request by request, on random traces.
 * The command is tested by tests/unit/test_cachecli.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "policies/policy.h"
#include "sim/cache.h"
#include "sim/cachestack.h"
#include "sim/hash.h"
#include "sim/mem.h"
#include "tests/testutil.h"
#include "tests/unit/policy_ref.h"

/* ---- hash table ---- */

START_TEST(ht_errors)
{
    uint64_t keys[4] = {0, UINT64_MAX, 42, 0};
    ck_assert_ptr_null(cache_ht_create(0));
    ck_assert_ptr_null(cache_ht_create(CACHE_MAX_SLOTS + 1));
    struct cache_ht *t = cache_ht_create(3);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(cache_ht_capacity(t), 12); /* one group */
    ck_assert_uint_eq(cache_ht_find(t, keys, 0), CACHE_NONE);
    ck_assert_int_eq(cache_ht_insert(t, keys, 0), 0);
    ck_assert_int_eq(cache_ht_insert(t, keys, 1), 0);
    ck_assert_int_eq(cache_ht_insert(t, keys, 3), -EINVAL); /* slot >= maxn */
    ck_assert_int_eq(cache_ht_insert(t, keys, 0), -EEXIST);
    ck_assert_int_eq(cache_ht_insert(t, keys, 2), 0);
    keys[3] = 7;
    ck_assert_uint_eq(cache_ht_find(t, keys, 0), 0);
    ck_assert_uint_eq(cache_ht_find(t, keys, UINT64_MAX), 1);
    ck_assert_uint_eq(cache_ht_find(t, keys, 42), 2);
    ck_assert_uint_eq(cache_ht_find(t, keys, 7), CACHE_NONE);
    ck_assert_int_eq(cache_ht_delete(t, keys, 7), -ENOENT);
    ck_assert_int_eq(cache_ht_delete(t, keys, UINT64_MAX), 0);
    ck_assert_uint_eq(cache_ht_find(t, keys, UINT64_MAX), CACHE_NONE);
    ck_assert_uint_eq(cache_ht_count(t), 2);
    ck_assert_int_eq(cache_ht_check(t, keys), 0);
    cache_ht_destroy(t);
}
END_TEST

/* Random inserts and deletes in a table of 8 groups (96 cells) holding up to
 * 30 keys drawn from 90 values: 0, UINT64_MAX and 88 whose home is group 7,
 * 0 or 1, so those groups fill up, probes wrap around from
 * the last group to the first and deletions in full groups move entries
 * back; after every operation the table must agree with a plain array and
 * pass its own invariant check. */
START_TEST(ht_random_collisions)
{
    enum { MAXN = 30, NVAL = 90 };
    uint64_t vals[NVAL], keys[MAXN];
    int slot_of[NVAL], used[MAXN] = {0};
    struct cache_ht *t = cache_ht_create(MAXN);
    ck_assert_uint_eq(cache_ht_capacity(t), 96);
    int nv = 0;
    for (uint64_t k = 0; nv < NVAL; k++) {
        uint64_t v = k == 0 ? 0 : k == 1 ? UINT64_MAX : hash_mix64(k) << (k % 7);
        uint32_t home = cache_ht_home(t, v);
        if (k <= 1 || home == 7 || home <= 1) {
            slot_of[nv] = -1;
            vals[nv++] = v;
        }
        ck_assert_uint_lt(k, 100000);
    }
    ck_assert(vals[0] == 0 && vals[1] == UINT64_MAX);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    uint32_t n = 0;
    for (int step = 0; step < 20000; step++) {
        int v = (int)gsl_rng_uniform_int(rng, NVAL);
        if (slot_of[v] >= 0) {
            REQUIRE(cache_ht_delete(t, keys, vals[v]) == 0);
            used[slot_of[v]] = 0;
            slot_of[v] = -1;
            n--;
        } else if (n < MAXN) {
            int s = 0;
            while (used[s])
                s++;
            keys[s] = vals[v];
            REQUIRE(cache_ht_insert(t, keys, (uint32_t)s) == 0);
            used[s] = 1;
            slot_of[v] = s;
            n++;
        }
        REQUIRE(cache_ht_count(t) == n);
        REQUIRE(cache_ht_check(t, keys) == 0);
        for (int w = 0; w < NVAL; w++)
            REQUIRE(cache_ht_find(t, keys, vals[w]) ==
                    (slot_of[w] < 0 ? CACHE_NONE : (uint32_t)slot_of[w]));
    }
    ck_assert_uint_gt(cache_ht_moves(t), 100); /* the shift path ran often */
    gsl_rng_free(rng);
    cache_ht_destroy(t);
}
END_TEST

/* ---- hand-worked strings ---- */

static uint64_t run_string(const char *policy, uint32_t slots, const uint64_t *s, size_t n)
{
    struct cache_sim *c = cache_create(policy_find(policy), NULL, slots);
    ck_assert_ptr_nonnull(c);
    cache_feed_ids(c, s, n);
    ck_assert_int_eq(cache_check(c), 0);
    uint64_t m = cache_stats(c)->misses;
    ck_assert_uint_eq(cache_stats(c)->hits + m, n);
    cache_destroy(c);
    return m;
}

static const uint64_t belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};

START_TEST(fifo_belady)
{
    ck_assert_uint_eq(run_string("fifo", 3, belady, 12), 9);
    ck_assert_uint_eq(run_string("fifo", 4, belady, 12), 10);
}
END_TEST

START_TEST(lru_belady_string)
{
    ck_assert_uint_eq(run_string("lru", 3, belady, 12), 10);
    ck_assert_uint_eq(run_string("lru", 4, belady, 12), 8);
}
END_TEST

/* The optional hints. Frames inserted 2, 0, 3, 1, then 0 touched:
 * lru's victim order is 2 3 1 0, fifo's 2 0 3 1 (it ignores the touch);
 * peek(k) must name the k-th of those without changing anything, and
 * POLICY_NONE past the end. A layout() hint must point at frame state
 * that touch() rewrites: frame 0's bytes change when it is touched. */
static void check_peek(const char *name, const uint32_t order[4])
{
    const struct repl_policy *ops = policy_find(name);
    ck_assert_ptr_nonnull(ops->peek);
    void *p = ops->create(NULL, 4);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(ops->peek(p, 0), POLICY_NONE);
    static const uint32_t ins[] = {2, 0, 3, 1};
    for (int i = 0; i < 4; i++)
        ops->insert(p, ins[i]);
    if (ops->layout) {
        const void *base;
        size_t stride;
        unsigned char before[16];
        ops->layout(p, &base, &stride);
        ck_assert(base != NULL && stride > 0 && stride <= sizeof before);
        memcpy(before, base, stride);
        ops->touch(p, 0);
        ck_assert(memcmp(before, base, stride) != 0);
    } else {
        ops->touch(p, 0);
    }
    for (uint32_t k = 0; k < 4; k++)
        ck_assert_uint_eq(ops->peek(p, k), order[k]);
    ck_assert_uint_eq(ops->peek(p, 4), POLICY_NONE);
    ck_assert_uint_eq(ops->peek(p, 100), POLICY_NONE);
    for (uint32_t k = 0; k < 4; k++) {
        ck_assert_uint_eq(ops->peek(p, 0), order[k]);
        if (k < 3)
            ck_assert_uint_eq(ops->peek(p, 1), order[k + 1]);
        ck_assert_uint_eq(ops->victim(p, NULL), order[k]);
        ck_assert_uint_eq(ops->count(p), 3 - k);
    }
    ck_assert_uint_eq(ops->peek(p, 0), POLICY_NONE);
    ops->destroy(p);
}

START_TEST(peek_names_victims)
{
    static const uint32_t lru_order[] = {2, 3, 1, 0}, fifo_order[] = {2, 0, 3, 1};
    check_peek("lru", lru_order);
    check_peek("lru-oracle", lru_order);
    check_peek("fifo", fifo_order);
    /* choices that depend on bits or an RNG cannot be peeked */
    ck_assert_ptr_null(policy_find("clock")->peek);
    ck_assert_ptr_null(policy_find("random")->peek);
    ck_assert_ptr_null(policy_find("two-list")->peek);
}
END_TEST

/* Clock, 3 slots, string 1 2 3 1 4 2 5 1 2 5 3 1 (s0..s2 = slots, * = bit set,
 * h = hand):
 *   1 2 3  miss x3        s = 1 2 3, h=0
 *   1      hit            s = 1* 2 3
 *   4      miss: 1* cleared, evict 2 (s1)   s = 1 4 3, h=2
 *   2      miss: evict 3 (s2)               s = 1 4 2, h=0
 *   5      miss: evict 1 (s0)               s = 5 4 2, h=1
 *   1      miss: evict 4 (s1)               s = 5 1 2, h=2
 *   2      hit            s = 5 1 2*
 *   5      hit            s = 5* 1 2*
 *   3      miss: 2* and 5* cleared, evict 1 (s1)  s = 5 3 2, h=2
 *   1      miss: evict 2 (s2)               s = 5 3 1, h=0
 * 9 misses, 3 hits; resident at the end: 5, 3, 1 in slots 0, 1, 2. */
START_TEST(clock_hand_string)
{
    static const uint64_t s[] = {1, 2, 3, 1, 4, 2, 5, 1, 2, 5, 3, 1};
    struct cache_sim *c = cache_create(policy_find("clock"), NULL, 3);
    ck_assert_ptr_nonnull(c);
    cache_feed_ids(c, s, 12);
    ck_assert_uint_eq(cache_stats(c)->misses, 9);
    ck_assert_uint_eq(cache_stats(c)->hits, 3);
    ck_assert_uint_eq(cache_lookup(c, 5), 0);
    ck_assert_uint_eq(cache_lookup(c, 3), 1);
    ck_assert_uint_eq(cache_lookup(c, 1), 2);
    ck_assert_uint_eq(cache_lookup(c, 2), CACHE_NONE);
    ck_assert_uint_eq(cache_lookup(c, 4), CACHE_NONE);
    ck_assert_int_eq(cache_check(c), 0);
    cache_destroy(c);
}
END_TEST

/* Only reads and writes are requests. */
START_TEST(feed_skips_other_ops)
{
    struct trace_rec r[6];
    memset(r, 0, sizeof r);
    const uint8_t ops[6] = {TRACE_READ, TRACE_ALLOC, TRACE_WRITE, TRACE_IDLE, TRACE_READ,
                            TRACE_CONTENT};
    const uint64_t pages[6] = {UINT64_MAX, 9, 0, 9, UINT64_MAX, 0};
    for (int i = 0; i < 6; i++) {
        r[i].op = ops[i];
        r[i].page = pages[i];
    }
    struct cache_sim *c = cache_create(policy_find("lru"), NULL, 1);
    cache_feed(c, r, 6);
    const struct cache_stats *st = cache_stats(c);
    ck_assert_uint_eq(st->requests, 3);
    ck_assert_uint_eq(st->skipped, 3);
    ck_assert_uint_eq(st->misses, 3); /* UINT64_MAX, 0, UINT64_MAX in one slot */
    ck_assert_uint_eq(cache_lookup(c, UINT64_MAX), 0);
    cache_destroy(c);
}
END_TEST

/* ---- against the naive references ---- */

static const struct {
    const char *name;
    const struct repl_policy *ref;
} pairs[] = {
    {"fifo", &ref_fifo}, {"lru", &ref_lru}, {"lru-oracle", &ref_lru},
    {"clock", &ref_clock}, {"random", &ref_random}, {"two-list", &ref_two_list},
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

/* Sparse id of dense page p: 0 and UINT64_MAX included. */
static uint64_t sparse(uint32_t p)
{
    return p == 0 ? 0 : p == 1 ? UINT64_MAX : hash_mix64(p) ^ 0x5555;
}

/* One trace of len references over d pages, skewed (u^2) so that small caches
 * see hits too; the engine and the reference run side by side. */
static void compare_one(const struct repl_policy *fast, const struct repl_policy *ref,
                        uint32_t d, uint32_t slots, const uint32_t *trace, uint32_t len)
{
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r1, 3);
    gsl_rng_set(r2, 3);
    struct policy_args a1 = {.rng = r1}, a2 = {.rng = r2};
    struct cache_sim *c = cache_create(fast, &a1, slots);
    REQUIRE(c != NULL);
    struct cache h;
    cache_init(&h, ref, &a2, slots, d);
    /* first half one request at a time, compared request by request; second
     * half in batches of 1..700 (the engine's chunked path with deferred
     * deletions), compared after each batch */
    uint64_t ids[700];
    for (uint32_t i = 0; i < len / 2; i++) {
        int hit = cache_request(c, sparse(trace[i]));
        int fault = cache_ref(&h, trace[i]);
        if (hit == fault)
            ck_abort_msg("%s, %u pages, %u slots: request %u (page %u): engine %s, ref %s",
                         fast->name, d, slots, i, trace[i], hit ? "hit" : "miss",
                         fault ? "miss" : "hit");
    }
    for (uint32_t i = len / 2, k; i < len; i += k) {
        k = 1 + (i * 7u) % 700;
        if (k > len - i)
            k = len - i;
        for (uint32_t j = 0; j < k; j++) {
            ids[j] = sparse(trace[i + j]);
            cache_ref(&h, trace[i + j]);
        }
        cache_feed_ids(c, ids, k);
        if (cache_stats(c)->misses != h.faults)
            ck_abort_msg("%s, %u pages, %u slots: after request %u: engine %llu misses, ref %llu",
                         fast->name, d, slots, i + k, (unsigned long long)cache_stats(c)->misses,
                         (unsigned long long)h.faults);
    }
    REQUIRE(cache_stats(c)->misses == h.faults);
    REQUIRE(cache_check(c) == 0);
    cache_free(&h);
    cache_destroy(c);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

START_TEST(policies_match_reference)
{
    static const uint32_t distinct[20] = {1,   2,   3,   5,    10,   17,   50,   100,  200,  333,
                                          500, 600, 750, 1000, 1200, 1500, 1700, 1900, 1999, 2000};
    uint32_t len = test_quick() ? 1500 : 6000;
    uint32_t *trace = malloc(len * sizeof(uint32_t));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    for (int k = 0; k < 20; k++) {
        uint32_t d = distinct[k];
        for (uint32_t i = 0; i < len; i++) {
            double u = gsl_rng_uniform(g);
            trace[i] = (uint32_t)(u * u * d);
        }
        uint32_t sizes[6] = {1, 2, d / 3 + 1, d > 1 ? d - 1 : 1, d, d + 7};
        for (int j = 0; j < 6; j++) {
            uint32_t slots = sizes[j] > 600 ? 600 : sizes[j];
            for (size_t p = 0; p < NPAIRS; p++)
                compare_one(policy_find(pairs[p].name), pairs[p].ref, d, slots, trace, len);
        }
    }
    gsl_rng_free(g);
    free(trace);
    (void)cache_drop;
}
END_TEST

/* Every policy of the registry runs (and passes the engine's check). */
START_TEST(all_registered_run)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    struct policy_args a = {.rng = g};
    uint64_t ids[4000];
    for (int i = 0; i < 4000; i++)
        ids[i] = sparse((uint32_t)(i * 7919 % 300));
    for (const struct policy_entry *e = policy_table(); e->name; e++) {
        struct cache_sim *c = cache_create(e->ops, &a, 100);
        ck_assert_ptr_nonnull(c);
        cache_feed_ids(c, ids, 4000);
        ck_assert_int_eq(cache_check(c), 0);
        ck_assert_uint_eq(cache_count(c), 100);
        ck_assert_uint_eq(cache_stats(c)->requests, 4000);
        /* 300 ids in turn, each every 300 requests: none can hit in 100 slots
         * under any policy except by luck of a random victim */
        if (strcmp(e->name, "random") != 0)
            ck_assert_uint_eq(cache_stats(c)->misses, 4000);
        cache_destroy(c);
    }
    gsl_rng_free(g);
}
END_TEST

/* Stack distances give, for every size at once, exactly the misses of the
 * direct LRU simulation; traces long enough to renumber the time window many
 * times (window 1024 for small sizes), sizes unsorted with a duplicate. */
START_TEST(stack_equals_direct_lru)
{
    static const uint32_t distinct[6] = {1, 7, 50, 300, 1000, 5000};
    /* the second set keeps the stack shallow, so it evicts all the time */
    static const uint32_t sets[2][7] = {{600, 1, 3, 64, 3, 1000, 4999}, {2, 5, 17, 1, 9, 5, 30}};
    uint32_t len = test_quick() ? 4000 : 30000;
    uint64_t *ids = malloc(len * sizeof(uint64_t));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < 12; k++) {
        const uint32_t *sizes = sets[k / 6];
        for (uint32_t i = 0; i < len; i++) {
            double u = gsl_rng_uniform(g);
            ids[i] = sparse((uint32_t)(u * u * u * distinct[k % 6]));
        }
        struct cachestack *st = cachestack_create(sizes, 7);
        ck_assert_ptr_nonnull(st);
        for (uint32_t i = 0, n; i < len; i += n) {
            n = 1 + i % 333;
            cachestack_feed_ids(st, ids + i, n > len - i ? len - i : n);
        }
        ck_assert_uint_eq(cachestack_requests(st), len);
        for (int j = 0; j < 7; j++) {
            struct cache_sim *c = cache_create(policy_find("lru"), NULL, sizes[j]);
            cache_feed_ids(c, ids, len);
            ck_assert_msg(cachestack_misses(st, (size_t)j) == cache_stats(c)->misses,
                          "%u distinct, size %u: stack %llu, direct %llu", distinct[k % 6], sizes[j],
                          (unsigned long long)cachestack_misses(st, (size_t)j),
                          (unsigned long long)cache_stats(c)->misses);
            cache_destroy(c);
        }
        cachestack_destroy(st);
    }
    gsl_rng_free(g);
    free(ids);
}
END_TEST

/* The Belady string: lru 10 misses with 3 slots, 8 with 4; other ops skipped. */
START_TEST(stack_belady_and_skips)
{
    static const uint32_t sizes[2] = {4, 3};
    struct trace_rec r[13];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 12; i++)
        r[i].page = belady[i];
    r[12].op = TRACE_FREE;
    struct cachestack *st = cachestack_create(sizes, 2);
    cachestack_feed(st, r, 13);
    ck_assert_uint_eq(cachestack_requests(st), 12);
    ck_assert_uint_eq(cachestack_skipped(st), 1);
    ck_assert_uint_eq(cachestack_misses(st, 0), 8);
    ck_assert_uint_eq(cachestack_misses(st, 1), 10);
    cachestack_destroy(st);
    ck_assert_ptr_null(cachestack_create(sizes, 0));
    static const uint32_t zero[1] = {0};
    ck_assert_ptr_null(cachestack_create(zero, 1));
}
END_TEST

/* Every allocation of cache_create may fail: NULL comes back and nothing
 * leaks (fault injection, sim/mem.h). */
START_TEST(create_fails_cleanly)
{
    uint64_t base = mem_in_use();
    int failures = 0;
    for (uint64_t n = 1;; n++) {
        mem_fail_after(n);
        struct cache_sim *c = cache_create(policy_find("lru"), NULL, 1000);
        int failed = mem_fail_triggered();
        mem_fail_reset();
        if (!c) {
            ck_assert_int_eq(failed, 1);
            ck_assert_uint_eq(mem_in_use(), base);
            failures++;
            continue;
        }
        cache_request(c, 5);
        cache_destroy(c);
        ck_assert_uint_eq(mem_in_use(), base);
        break;
    }
    ck_assert_int_ge(failures, 3); /* engine, arena, policy at least */
}
END_TEST

Suite *suite_cache(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, ht_errors);
    tcase_add_test(tc, ht_random_collisions);
    tcase_add_test(tc, fifo_belady);
    tcase_add_test(tc, lru_belady_string);
    tcase_add_test(tc, clock_hand_string);
    tcase_add_test(tc, peek_names_victims);
    tcase_add_test(tc, feed_skips_other_ops);
    tcase_add_test(tc, all_registered_run);
    tcase_add_test(tc, create_fails_cleanly);
    tcase_add_test(tc, stack_belady_and_skips);
    suite_add_tcase(s, tc);
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 120);
    tcase_add_test(ref, policies_match_reference);
    tcase_add_test(ref, stack_equals_direct_lru);
    suite_add_tcase(s, ref);
    return s;
}
