/* cachestack: LRU hits for many cache sizes in one pass by stack distances.
 *
 * The stack distance of a request to x is 1 + the number of distinct ids
 * requested since the previous request to x (infinite for a first request).
 * LRU with C slots hits iff the distance is <= C, so only distances up to M,
 * the largest size asked for, matter, and only the M most recently used ids
 * need to be known: an id falling out of the top M can only miss in every
 * size until it is requested again.
 *
 * Data structures: the M most recent ids in slots (slot_id[], with the
 * id -> slot table of sim/cache.h); each slot's last request time slot_t[]
 * in a window of w >= 2M logical times; a Fenwick tree bit[] over the window
 * with a 1 at every live time, so "ids requested after time p" is a prefix
 * sum, and the least recently used id (the smallest live time) a descent;
 * t_slot[] maps a live time back to its slot. When the window is used up the
 * live times are renumbered 0..used-1 in order (at most every M requests,
 * O(w), so O(1) amortized).
 *
 * Invariant (between requests): the live slots are 0..used-1, used <= M;
 * bit holds exactly the times slot_t[s] for s < used, all < now <= w;
 * t_slot[slot_t[s]] == s; the table maps exactly slot_id[s] -> s.
 */
#include "sim/cachestack.h"

#include <string.h>

#include "sim/cache.h"
#include "sim/mem.h"

#define MAX_DEPTH (UINT32_C(1) << 28)

struct cachestack {
    uint32_t m, used, now, w;
    struct cache_ht *ht;
    uint64_t *slot_id;
    uint32_t *slot_t, *t_slot, *bit;
    size_t nsz;
    uint32_t size[CACHESTACK_MAX_SIZES];   /* as given */
    uint32_t sorted[CACHESTACK_MAX_SIZES]; /* ascending */
    uint64_t bucket[CACHESTACK_MAX_SIZES]; /* hits with distance in (sorted[j-1], sorted[j]] */
    uint64_t requests, skipped;
};

void cachestack_destroy(struct cachestack *s)
{
    if (!s)
        return;
    cache_ht_destroy(s->ht);
    mem_free(s->slot_id, (size_t)s->m * sizeof(uint64_t));
    mem_free(s->slot_t, (size_t)s->m * sizeof(uint32_t));
    mem_free(s->t_slot, (size_t)s->w * sizeof(uint32_t));
    mem_free(s->bit, (size_t)s->w * sizeof(uint32_t));
    mem_free(s, sizeof(*s));
}

static void sort_sizes(struct cachestack *s)
{
    memcpy(s->sorted, s->size, s->nsz * sizeof(uint32_t));
    for (size_t i = 1; i < s->nsz; i++)
        for (size_t j = i; j > 0 && s->sorted[j - 1] > s->sorted[j]; j--) {
            uint32_t t = s->sorted[j];
            s->sorted[j] = s->sorted[j - 1];
            s->sorted[j - 1] = t;
        }
}

struct cachestack *cachestack_create(const uint32_t *sizes, size_t n)
{
    if (!sizes || n == 0 || n > CACHESTACK_MAX_SIZES)
        return NULL;
    struct cachestack *s = mem_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->nsz = n;
    for (size_t i = 0; i < n; i++) {
        if (sizes[i] == 0 || sizes[i] > MAX_DEPTH) {
            mem_free(s, sizeof(*s));
            return NULL;
        }
        s->size[i] = sizes[i];
        s->m = sizes[i] > s->m ? sizes[i] : s->m;
    }
    sort_sizes(s);
    s->w = 1024;
    while (s->w < 2 * s->m)
        s->w <<= 1;
    s->ht = cache_ht_create(s->m);
    s->slot_id = mem_alloc((size_t)s->m * sizeof(uint64_t));
    s->slot_t = mem_alloc((size_t)s->m * sizeof(uint32_t));
    s->t_slot = mem_alloc((size_t)s->w * sizeof(uint32_t));
    s->bit = mem_calloc(s->w, sizeof(uint32_t));
    if (!s->ht || !s->slot_id || !s->slot_t || !s->t_slot || !s->bit) {
        cachestack_destroy(s);
        return NULL;
    }
    return s;
}

/* ---- Fenwick tree over times 0..w-1 (node j-1 covers times
 * [j - lowbit(j), j - 1]) ---- */

static void bit_add(struct cachestack *s, uint32_t t, int32_t delta)
{
    for (uint32_t j = t + 1; j <= s->w; j += j & -j)
        s->bit[j - 1] += (uint32_t)delta;
}

/* Live times <= t. */
static uint32_t bit_prefix(const struct cachestack *s, uint32_t t)
{
    uint32_t sum = 0;
    for (uint32_t j = t + 1; j > 0; j -= j & -j)
        sum += s->bit[j - 1];
    return sum;
}

/* The smallest live time (used > 0 required). */
static uint32_t bit_first(const struct cachestack *s)
{
    uint32_t pos = 0, k = 1;
    for (uint32_t step = s->w; step; step >>= 1)
        if (pos + step <= s->w && s->bit[pos + step - 1] < k) {
            pos += step;
            k -= s->bit[pos - 1];
        }
    return pos;
}

/* Renumber the live times 0..used-1 in order and rebuild the tree. A time t
 * is live iff slot_t[t_slot[t]] == t; compacting in place is safe because
 * the new time never exceeds the old. */
static void compact(struct cachestack *s)
{
    uint32_t k = 0;
    for (uint32_t t = 0; t < s->now; t++) {
        uint32_t sl = s->t_slot[t];
        if (sl < s->used && s->slot_t[sl] == t) {
            s->t_slot[k] = sl;
            s->slot_t[sl] = k++;
        }
    }
    for (uint32_t j = 1; j <= s->w; j++) {
        uint32_t lo = j - (j & -j); /* node covers times lo..j-1 */
        s->bit[j - 1] = s->used > lo ? (s->used < j ? s->used : j) - lo : 0;
    }
    s->now = s->used;
}

static void stamp(struct cachestack *s, uint32_t sl)
{
    s->slot_t[sl] = s->now;
    s->t_slot[s->now] = sl;
    bit_add(s, s->now, 1);
    s->now++;
}

/* Credit a hit at distance d to the smallest size >= d, if any. */
static void credit(struct cachestack *s, uint32_t d)
{
    size_t lo = 0, hi = s->nsz;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->sorted[mid] >= d)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < s->nsz)
        s->bucket[lo]++;
}

static void request(struct cachestack *s, uint64_t id)
{
    if (s->now == s->w)
        compact(s);
    uint32_t sl = cache_ht_find(s->ht, s->slot_id, id);
    if (sl != CACHE_NONE) {
        uint32_t p = s->slot_t[sl];
        credit(s, s->used - bit_prefix(s, p) + 1);
        bit_add(s, p, -1);
    } else {
        if (s->used < s->m) {
            sl = s->used++;
        } else {
            uint32_t t0 = bit_first(s);
            sl = s->t_slot[t0];
            bit_add(s, t0, -1);
            cache_ht_delete(s->ht, s->slot_id, s->slot_id[sl]);
        }
        s->slot_id[sl] = id;
        cache_ht_insert(s->ht, s->slot_id, sl);
    }
    stamp(s, sl);
}

void cachestack_feed_ids(struct cachestack *s, const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        request(s, ids[i]);
    s->requests += n;
}

void cachestack_feed(struct cachestack *s, const struct trace_rec *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (recs[i].op <= TRACE_WRITE) {
            request(s, recs[i].page);
            s->requests++;
        } else {
            s->skipped++;
        }
    }
}

uint64_t cachestack_requests(const struct cachestack *s)
{
    return s->requests;
}

uint64_t cachestack_skipped(const struct cachestack *s)
{
    return s->skipped;
}

uint64_t cachestack_misses(const struct cachestack *s, size_t i)
{
    uint64_t hits = 0;
    for (size_t j = 0; j < s->nsz && s->sorted[j] <= s->size[i]; j++)
        hits += s->bucket[j];
    return s->requests - hits;
}
