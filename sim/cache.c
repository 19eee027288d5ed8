/* cache: a plain cache of N slots driven by one replacement policy, with the
 * hash table of sim/cache_ht.c from 64-bit object ids to slots.
 *
 * Data structures:
 *   - slot_id[s]: the id cached in slot s (valid for s < used), the keys of
 *     the table;
 *   - cell_of[s]: the table cell holding slot s (kept up to date when the
 *     table moves a cell back);
 *   - rbit[s]: slot s's reference bit, served to the policy as its accessed
 *     bit through struct frame_bits (clock, two-list read and clear it); set
 *     on hits only for policies flagged POLICY_USES_ACCESSED_BITS;
 *   - pend[]: cells of evicted ids not yet released (stale cells).
 *
 * Invariant (between calls): used <= nslots; the policy tracks exactly
 * slots 0..used-1; the table's full cells are exactly slot s at cell_of[s]
 * for s < used (no stale cell is left).
 *
 * Speed (the hot loop allocates nothing): a lookup reads one group (a cache
 * line) and one key. The group of the request PF_FAR ahead is prefetched,
 * and PF_NEAR ahead the key of the slot a tag match there names (and, for a
 * policy with a layout hint, its state); that slot is kept as a guess, and
 * when the request comes and the guessed slot's key is the id, that is a hit
 * without a second look at the table (slot_id is authoritative), otherwise
 * the table is searched. A policy with a peek hint (lru, fifo) names the
 * victim of the miss after the next one, and its key, cell number and
 * policy state are prefetched at once. On a miss with eviction the victim's
 * cell is left full (stale: its slot's key now names the incoming id, so it
 * can only ever match that id, correctly) and its release is queued (up to
 * PEND deep) with its group prefetched, so that random access overlaps
 * later requests. The queue is drained before
 * every feed call returns. The table, ids, cell numbers and reference bits
 * share one allocation aligned to 2 MiB and marked for transparent huge
 * pages (TLB misses are costly, more so under virtualization).
 */
#include "sim/cache.h"

#include <errno.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/panic.h"

#define CHUNK 2048 /* ids per run of cache_feed */
#define RING 64    /* > PF_FAR, a power of two */
#define HUGE_BYTES ((size_t)2 << 20)
#define PF_FAR 32  /* prefetch the group this many requests ahead */
#define PF_NEAR 12 /* and the key of the slot matched there this many */
#define PEEK_AHEAD 1 /* prefetch the victim of the miss after the next one */
#define PEND 8     /* deferred releases of stale cells, a power of two */
_Static_assert(RING > PF_FAR && PF_FAR > PF_NEAR, "the hash ring must cover the prefetch distance");
#define GW CACHE_HT_GW

struct cache_sim {
    struct cache_ht *ht; /* &tab */
    struct cache_ht tab;
    void *arena;         /* tab.g, slot_id, cell_of, rbit, 2 MiB aligned inside */
    size_t arena_bytes;
    uint64_t *slot_id;
    uint32_t *cell_of;
    uint8_t *rbit;
    uint32_t nslots, used;
    int every;    /* policy wants touch() on every hit */
    int use_bits; /* policy reads reference bits: hits set them */
    uint32_t npend, phead;   /* queued stale cells; index of the oldest */
    uint32_t pend[PEND];     /* a ring of cell numbers, oldest first */
    const struct repl_policy *ops;
    void *pol;
    uint32_t (*peek)(const void *pol, uint32_t k);   /* ops->peek, or NULL */
    const char *pf_base;  /* with a layout hint: slot s's policy state is at */
    size_t pf_stride;     /* pf_base + s * pf_stride (else pf_base is NULL) */
    struct frame_bits bits;
    struct cache_stats st;
};

static int rbit_get(void *ctx, uint32_t s)
{
    return ((const uint8_t *)ctx)[s];
}

static void rbit_clear(void *ctx, uint32_t s)
{
    ((uint8_t *)ctx)[s] = 0;
}

static int rbit_dirty(void *ctx, uint32_t s)
{
    return 0;
}

void cache_destroy(struct cache_sim *c)
{
    if (!c)
        return;
    if (c->pol)
        c->ops->destroy(c->pol);
    mem_free(c->arena, c->arena_bytes);
    mem_free(c, sizeof(*c));
}

/* One allocation for the table, slot ids, cell numbers and reference bits,
 * aligned to a 2 MiB boundary and marked for transparent huge pages: with
 * 4 KiB pages the random accesses of the hot loop miss the TLB (expensive
 * under virtualization). The table has room for PEND stale cells beyond
 * nslots live ones. Returns 0 or -ENOMEM. */
static int alloc_arena(struct cache_sim *c, uint32_t nslots)
{
    size_t tab = cache_ht_bytes(nslots + PEND), ids = (size_t)nslots * sizeof(uint64_t);
    size_t cells = (size_t)nslots * sizeof(uint32_t);
    size_t used = tab + ids + cells + nslots;
    size_t span = (used + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1); /* whole huge pages */
    c->arena_bytes = span + HUGE_BYTES;
    c->arena = mem_alloc(c->arena_bytes);
    if (!c->arena)
        return -ENOMEM;
    uintptr_t a = ((uintptr_t)c->arena + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
    char *base = (char *)a;
    mem_hint_huge(base, span);
    cache_ht_init(&c->tab, nslots + PEND, (struct cache_ht_group *)base);
    c->slot_id = (uint64_t *)(base + tab);
    c->cell_of = (uint32_t *)(base + tab + ids);
    c->rbit = (uint8_t *)(base + tab + ids + cells);
    memset(c->rbit, 0, nslots);
    c->ht = &c->tab;
    return 0;
}

struct cache_sim *cache_create(const struct repl_policy *ops, const struct policy_args *args,
                               uint32_t nslots)
{
    if (!ops || nslots == 0 || nslots > CACHE_MAX_SLOTS)
        return NULL;
    struct cache_sim *c = mem_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ops = ops;
    c->nslots = nslots;
    c->every = (ops->flags & POLICY_WANTS_EVERY_ACCESS) != 0;
    c->use_bits = (ops->flags & POLICY_USES_ACCESSED_BITS) != 0;
    c->peek = ops->peek;
    if (alloc_arena(c, nslots) != 0)
        goto fail;
    c->pol = ops->create(args, nslots);
    if (!c->pol)
        goto fail;
    if (ops->layout) {
        const void *base;
        ops->layout(c->pol, &base, &c->pf_stride);
        c->pf_base = base;
    }
    c->bits = (struct frame_bits){c->rbit, rbit_get, rbit_clear, rbit_dirty};
    return c;
fail:
    cache_destroy(c);
    return NULL;
}

/* Release the oldest queued stale cell. */
static void pend_pop(struct cache_sim *c)
{
    cache_ht_release(c->ht, c->slot_id, c->cell_of, c->pend[c->phead]);
    c->npend--;
    c->phead = (c->phead + 1) % PEND;
}

static void pend_flush(struct cache_sim *c)
{
    while (c->npend)
        pend_pop(c);
}

/* The policy's victim, checked. */
static uint32_t victim(struct cache_sim *c)
{
    uint32_t s = c->ops->victim(c->pol, &c->bits);
    if (s >= c->used)
        panic("cache miss: policy %s returned victim %u of %u slots", c->ops->name,
              (unsigned)s, (unsigned)c->used);
    return s;
}

/* The miss path: id (hash h) is absent and free is the empty cell that
 * ended its probe. The new cell goes there first: a release may empty a
 * cell on the probe before free, and then moves the new cell back into
 * the hole as it does any live cell (which is why cell_of[s] and
 * slot_id[s] are set before). A victim's old cell becomes stale and is
 * queued with its group prefetched. */
static __attribute__((noinline)) void miss(struct cache_sim *c, uint64_t id, uint32_t h,
                                           uint32_t free)
{
    int evicting = c->used == c->nslots;
    uint32_t s = evicting ? victim(c) : c->used++;
    uint32_t old = evicting ? c->cell_of[s] : 0; /* a new slot has no cell yet */
    c->st.misses++;
    cache_ht_put(c->ht, free, s, h);
    c->cell_of[s] = free;
    c->slot_id[s] = id;
    c->rbit[s] = 0;
    if (evicting) {
        __builtin_prefetch(&c->ht->g[old / GW]);
        if (c->npend == PEND)
            pend_pop(c);
        c->pend[(c->phead + c->npend++) % PEND] = old;
    }
    c->ops->insert(c->pol, s);
    if (c->peek) {
        uint32_t next = c->peek(c->pol, PEEK_AHEAD);
        if (next < c->nslots) {
            __builtin_prefetch(&c->slot_id[next]);
            __builtin_prefetch(&c->cell_of[next]);
            if (c->pf_base)
                __builtin_prefetch(c->pf_base + (size_t)next * c->pf_stride, 1);
        }
    }
}

/* What the hot loop reads, in locals: stores through rbit (a byte pointer)
 * may alias anything, so fields read through c would be reloaded after each
 * one. A miss may move cells but never these arrays. */
struct hot {
    const struct cache_ht *t;
    const uint64_t *key;
    uint8_t *rbit;
};

static inline struct hot hot_of(const struct cache_sim *c)
{
    return (struct hot){c->ht, c->slot_id, c->rbit};
}

/* One request; guess is a slot that may hold id (or CACHE_NONE); every and
 * use_bits are the policy's flags (constants in each copy of the feed
 * loop). */
static inline int request(struct cache_sim *c, const struct hot *k, uint64_t id, uint32_t h,
                          uint32_t guess, int every, int use_bits)
{
    uint32_t s = guess;
    if (s == CACHE_NONE || k->key[s] != id) {
        uint32_t free = 0, cell = cache_ht_lookup(k->t, k->key, id, h, &free);
        if (cell == CACHE_HT_NOCELL) {
            miss(c, id, h, free);
            return 0;
        }
        s = cache_ht_slot(k->t, cell);
    }
    if (use_bits)
        k->rbit[s] = 1;
    if (every)
        c->ops->touch(c->pol, s);
    return 1;
}

/* Prefetch the key of the slot of the first tag match in the home group of
 * hash h, and with pf the policy's state of that slot; returns that slot
 * (a guess only: the table may change before the request), or
 * CACHE_NONE. */
static inline uint32_t pf_key(const struct cache_sim *c, const struct hot *k, uint32_t h, int pf)
{
    const struct cache_ht_group *gr = &k->t->g[cache_ht_home_of(k->t, h)];
    unsigned m = cache_ht_match(gr, cache_ht_tag(h));
    if (m) {
        uint32_t s = gr->slot[__builtin_ctz(m)];
        __builtin_prefetch(&k->key[s]);
        if (pf)
            __builtin_prefetch(c->pf_base + (size_t)s * c->pf_stride, 1);
        return s;
    }
    return CACHE_NONE;
}

/* Serve n ids in order. The hash of the id PF_FAR ahead is computed into a
 * ring and its group prefetched; the key of the slot matched in the group
 * of the id PF_NEAR ahead is prefetched too, and that slot kept as the
 * request's guess. Returns the hits. */
static inline uint64_t feed_loop(struct cache_sim *c, const uint64_t *ids, size_t n, int every,
                                 int use_bits, int pf)
{
    const struct hot k = hot_of(c);
    uint32_t ring[RING], guess[RING];
    for (size_t i = 0; i < PF_NEAR && i < n; i++)
        guess[i] = CACHE_NONE;
    for (size_t i = 0; i < n && i < PF_FAR; i++) {
        ring[i] = cache_ht_hash(ids[i]);
        __builtin_prefetch(&k.t->g[cache_ht_home_of(k.t, ring[i])]);
    }
    uint64_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + PF_FAR < n) {
            uint32_t h = cache_ht_hash(ids[i + PF_FAR]);
            ring[(i + PF_FAR) % RING] = h;
            __builtin_prefetch(&k.t->g[cache_ht_home_of(k.t, h)]);
        }
        if (i + PF_NEAR < n)
            guess[(i + PF_NEAR) % RING] = pf_key(c, &k, ring[(i + PF_NEAR) % RING], pf);
        hits += (uint64_t)request(c, &k, ids[i], ring[i % RING], guess[i % RING], every, use_bits);
    }
    return hits;
}

/* The feed loop specialised for the policy's flags; queued releases are
 * done at the end. */
static void feed_run(struct cache_sim *c, const uint64_t *ids, size_t n)
{
    uint64_t hits;
    if (c->every && c->pf_base)
        hits = feed_loop(c, ids, n, 1, c->use_bits, 1);
    else if (c->every)
        hits = feed_loop(c, ids, n, 1, c->use_bits, 0);
    else if (c->use_bits)
        hits = feed_loop(c, ids, n, 0, 1, 0);
    else
        hits = feed_loop(c, ids, n, 0, 0, 0);
    pend_flush(c);
    c->st.requests += n;
    c->st.hits += hits;
}

void cache_feed_ids(struct cache_sim *c, const uint64_t *ids, size_t n)
{
    feed_run(c, ids, n);
}

void cache_feed(struct cache_sim *c, const struct trace_rec *recs, size_t n)
{
    uint64_t ids[CHUNK];
    size_t k = 0, nreq = 0;
    for (size_t i = 0; i < n; i++) {
        ids[k] = recs[i].page;
        k += recs[i].op <= TRACE_WRITE;
        if (k == CHUNK) {
            feed_run(c, ids, k);
            nreq += k;
            k = 0;
        }
    }
    feed_run(c, ids, k);
    c->st.skipped += n - (nreq + k);
}

int cache_request(struct cache_sim *c, uint64_t id)
{
    const struct hot k = hot_of(c);
    c->st.requests++;
    int hit = request(c, &k, id, cache_ht_hash(id), CACHE_NONE, c->every, c->use_bits);
    pend_flush(c);
    c->st.hits += (uint64_t)hit;
    return hit;
}

const struct cache_stats *cache_stats(const struct cache_sim *c)
{
    return &c->st;
}

uint32_t cache_slots(const struct cache_sim *c)
{
    return c->nslots;
}

uint32_t cache_count(const struct cache_sim *c)
{
    return c->used;
}

uint32_t cache_lookup(const struct cache_sim *c, uint64_t id)
{
    return cache_ht_find(c->ht, c->slot_id, id);
}

size_t cache_footprint(const struct cache_sim *c)
{
    return sizeof(*c) + c->arena_bytes + c->ops->footprint(c->pol);
}

int cache_check(const struct cache_sim *c)
{
    if (c->used > c->nslots || c->npend || cache_ht_check(c->ht, c->slot_id) != 0 ||
        c->ht->n != c->used)
        return -EINVAL;
    if (c->ops->count(c->pol) != c->used)
        return -EINVAL;
    if (c->st.hits + c->st.misses != c->st.requests)
        return -EINVAL;
    for (uint32_t s = 0; s < c->used; s++) {
        uint32_t cell = c->cell_of[s];
        if (cache_ht_find(c->ht, c->slot_id, c->slot_id[s]) != s ||
            cache_ht_slot(c->ht, cell) != s)
            return -EINVAL;
    }
    return 0;
}
