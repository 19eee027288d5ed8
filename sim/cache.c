/* cache: a plain cache of N slots driven by one replacement policy, with an
 * open-addressing hash table from 64-bit object ids to slots.
 *
 * Data structures:
 *   - slot_id[s]: the id cached in slot s (valid for s < used);
 *   - rbit[s]: slot s's reference bit, served to the policy as its accessed
 *     bit through struct frame_bits (clock, two-list read and clear it);
 *   - the table: a power-of-two array of 8-byte cells {slot, h}, h being the
 *     low 32 bits of the id's hash (its home cell is h & mask); linear
 *     probing, deletion by backward shift (no tombstones), capacity at least
 *     twice the number of slots. A cell is empty iff its slot is CACHE_NONE,
 *     so every 64-bit id can be stored. h spares most key loads when probing
 *     and all of them when shifting.
 *
 * Invariant (between calls): used <= nslots; the policy tracks exactly slots
 * 0..used-1; the table holds exactly the cells {s, h(slot_id[s])} for
 * s < used; each cell lies in the probe run starting at its home.
 *
 * Speed (the hot loop allocates nothing): the hash of the request PF_FAR
 * ahead is computed into a small ring and its table cell prefetched; the
 * key of the slot in the home cell of the request PF_NEAR ahead is
 * prefetched too, so the two dependent cache misses of a lookup overlap
 * with other requests; a policy with a prefetch hint (lru) is asked then
 * to prefetch that slot's own state, for the touch() of a hit. A policy
 * with a peek hint (lru, fifo) names the victim of the miss PEEK_AHEAD
 * after the next one, and its key and policy state are prefetched at once
 * (the LRU end is a random slot; one miss ahead proved too short to hide
 * the load of its key). On a miss with eviction the new cell is written at
 * once and the victim's old cell is left in place (a stale cell: its slot's
 * key no longer matches its h, so lookups pass over it); its deletion is
 * queued (up to PEND deep) with its cell and the next line of cells (the
 * backward shift often reads on) prefetched, so the random access
 * it costs overlaps later requests. The queue is drained before every feed
 * call returns, so the invariant holds between calls. A stale cell {s, h}
 * is found again by its pair; if a live cell has the same pair they are
 * interchangeable, so deleting either is right. Cells, keys and reference
 * bits share one allocation aligned to 2 MiB and marked for transparent
 * huge pages (TLB misses are costly, more so under virtualization).
 */
#include "sim/cache.h"

#include <errno.h>
#include <string.h>

#include "sim/hash.h"
#include "sim/mem.h"
#include "sim/panic.h"

#define CHUNK 2048 /* ids per run of cache_feed */
#define RING 64    /* > PF_FAR, a power of two */
#define HUGE_BYTES ((size_t)2 << 20)
#define PF_FAR 40  /* prefetch the table cell this many requests ahead */
#define PF_NEAR 16 /* and the key of the slot found there this many ahead */
#define PF_SCAN 4  /* cells from home pf_key looks at (one cache line) */
#define PEEK_AHEAD 1 /* prefetch the victim of the miss after the next one */
#define PEND 8     /* deferred deletions of stale cells, a power of two */

struct ht_cell {
    uint32_t slot; /* CACHE_NONE: empty */
    uint32_t h;    /* low 32 bits of the key's hash */
};

struct cache_ht {
    uint32_t mask; /* capacity - 1 */
    uint32_t n, maxn; /* n counts stale cells too */
    struct ht_cell *cell;
};

struct cache_sim {
    struct cache_ht *ht; /* &tab */
    struct cache_ht tab;
    void *arena;         /* tab.cell, slot_id, rbit, 2 MiB aligned inside */
    size_t arena_bytes;
    uint64_t *slot_id;
    uint8_t *rbit;
    uint32_t nslots, used;
    int every; /* policy wants touch() on every hit */
    uint32_t npend, phead;     /* queued stale cells; index of the oldest */
    struct ht_cell pend[PEND]; /* a ring: pend[(phead + k) % PEND], oldest first */
    const struct repl_policy *ops;
    void *pol;
    uint32_t (*peek)(const void *pol, uint32_t k);   /* ops->peek, or NULL */
    void (*pf)(const void *pol, uint32_t slot);      /* ops->prefetch, or NULL */
    struct frame_bits bits;
    struct cache_stats st;
};

/* ---- hash table ---- */

static inline uint32_t hash32(uint64_t id)
{
    return (uint32_t)hash_mix64(id);
}

static uint64_t capacity_for(uint32_t maxn, uint32_t extra)
{
    uint64_t cap = 8;
    while (cap < 2 * (uint64_t)maxn || cap < (uint64_t)maxn + extra + 1)
        cap <<= 1;
    return cap;
}

static void ht_clear(struct cache_ht *t)
{
    for (uint64_t i = 0; i <= t->mask; i++)
        t->cell[i] = (struct ht_cell){CACHE_NONE, 0};
    t->n = 0;
}

struct cache_ht *cache_ht_create(uint32_t maxn)
{
    if (maxn == 0 || maxn > CACHE_MAX_SLOTS)
        return NULL;
    uint64_t cap = capacity_for(maxn, 0);
    struct cache_ht *t = mem_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cell = mem_alloc(cap * sizeof(struct ht_cell));
    if (!t->cell) {
        mem_free(t, sizeof(*t));
        return NULL;
    }
    t->mask = (uint32_t)(cap - 1);
    t->maxn = maxn;
    ht_clear(t);
    return t;
}

void cache_ht_destroy(struct cache_ht *t)
{
    if (!t)
        return;
    mem_free(t->cell, ((size_t)t->mask + 1) * sizeof(struct ht_cell));
    mem_free(t, sizeof(*t));
}

/* The cell holding id (hash h), or the empty cell ending its probe run. */
static inline uint32_t ht_probe(const struct cache_ht *t, const uint64_t *keys, uint64_t id,
                                uint32_t h)
{
    const struct ht_cell *c = t->cell;
    uint32_t pos = h & t->mask;
    while (c[pos].slot != CACHE_NONE && (c[pos].h != h || keys[c[pos].slot] != id))
        pos = (pos + 1) & t->mask;
    return pos;
}

uint32_t cache_ht_find(const struct cache_ht *t, const uint64_t *keys, uint64_t id)
{
    return t->cell[ht_probe(t, keys, id, hash32(id))].slot;
}

int cache_ht_insert(struct cache_ht *t, const uint64_t *keys, uint32_t slot)
{
    if (slot >= t->maxn)
        return -EINVAL;
    uint32_t h = hash32(keys[slot]), pos = ht_probe(t, keys, keys[slot], h);
    if (t->cell[pos].slot != CACHE_NONE)
        return -EEXIST;
    if (t->n >= t->maxn)
        return -ENOSPC;
    t->cell[pos] = (struct ht_cell){slot, h};
    t->n++;
    return 0;
}

/* Empty cell i and shift later members of its run back into the hole: the
 * cell at j may fill hole i iff its home is not in the circular range
 * (i, j]. */
static void ht_delete_at(struct cache_ht *t, uint32_t i)
{
    struct ht_cell *c = t->cell;
    uint32_t mask = t->mask;
    for (uint32_t j = (i + 1) & mask; c[j].slot != CACHE_NONE; j = (j + 1) & mask) {
        if (((j - c[j].h) & mask) >= ((j - i) & mask)) {
            c[i] = c[j];
            i = j;
        }
    }
    c[i].slot = CACHE_NONE;
    t->n--;
}

int cache_ht_delete(struct cache_ht *t, const uint64_t *keys, uint64_t id)
{
    uint32_t pos = ht_probe(t, keys, id, hash32(id));
    if (t->cell[pos].slot == CACHE_NONE)
        return -ENOENT;
    ht_delete_at(t, pos);
    return 0;
}

uint32_t cache_ht_count(const struct cache_ht *t)
{
    return t->n;
}

uint32_t cache_ht_capacity(const struct cache_ht *t)
{
    return t->mask + 1;
}

int cache_ht_check(const struct cache_ht *t, const uint64_t *keys)
{
    uint32_t n = 0;
    for (uint64_t i = 0; i <= t->mask; i++) {
        const struct ht_cell *c = &t->cell[i];
        if (c->slot == CACHE_NONE)
            continue;
        n++;
        if (c->slot >= t->maxn || c->h != hash32(keys[c->slot]))
            return -EINVAL;
        if (ht_probe(t, keys, keys[c->slot], c->h) != i)
            return -EINVAL; /* unreachable, or a duplicate key found first */
    }
    return n == t->n && n <= t->maxn ? 0 : -EINVAL;
}

/* ---- cache ---- */

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

/* One allocation for the table cells, slot ids and reference bits, aligned
 * to a 2 MiB boundary and marked for transparent huge pages: with 4 KiB pages
 * the random accesses of the hot loop miss the TLB (expensive under
 * virtualization); 100000 slots take two huge pages. The table has room
 * for PEND stale cells beyond nslots live ones. Returns 0 or -ENOMEM. */
static int alloc_arena(struct cache_sim *c, uint32_t nslots)
{
    uint64_t cap = capacity_for(nslots, PEND);
    size_t cells = cap * sizeof(struct ht_cell), ids = (size_t)nslots * sizeof(uint64_t);
    size_t used = cells + ids + nslots;
    size_t span = (used + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1); /* whole huge pages */
    c->arena_bytes = span + HUGE_BYTES;
    c->arena = mem_alloc(c->arena_bytes);
    if (!c->arena)
        return -ENOMEM;
    uintptr_t a = ((uintptr_t)c->arena + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
    char *base = (char *)a;
    mem_hint_huge(base, span);
    /* maxn counts the stale cells that may wait for deletion */
    c->tab = (struct cache_ht){(uint32_t)(cap - 1), 0, nslots + PEND, (struct ht_cell *)base};
    ht_clear(&c->tab);
    c->slot_id = (uint64_t *)(base + cells);
    c->rbit = (uint8_t *)(base + cells + ids);
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
    c->peek = ops->peek;
    c->pf = ops->prefetch;
    if (alloc_arena(c, nslots) != 0)
        goto fail;
    c->pol = ops->create(args, nslots);
    if (!c->pol)
        goto fail;
    c->bits = (struct frame_bits){c->rbit, rbit_get, rbit_clear, rbit_dirty};
    return c;
fail:
    cache_destroy(c);
    return NULL;
}

/* Delete the oldest queued stale cell: the first cell from its home with
 * its {slot, h} pair. */
static void pend_pop(struct cache_sim *c)
{
    struct cache_ht *t = c->ht;
    struct ht_cell p = c->pend[c->phead];
    uint32_t at = p.h & t->mask;
    while (t->cell[at].slot != p.slot || t->cell[at].h != p.h)
        at = (at + 1) & t->mask;
    ht_delete_at(t, at);
    c->npend--;
    c->phead = (c->phead + 1) % PEND;
}

static void pend_flush(struct cache_sim *c)
{
    while (c->npend)
        pend_pop(c);
}

/* The miss path: id (hash h) is absent and pos is the empty cell ending its
 * probe run. The new cell goes there at once; a victim's old cell becomes
 * stale and is queued for deletion (popping happens after the insertion, so
 * pos stays valid). */
static __attribute__((noinline)) void miss(struct cache_sim *c, uint64_t id, uint32_t h,
                                           uint32_t pos)
{
    struct cache_ht *t = c->ht;
    uint32_t s;
    c->st.misses++;
    if (c->used < c->nslots) {
        s = c->used++;
        t->cell[pos] = (struct ht_cell){s, h};
        t->n++;
    } else {
        s = c->ops->victim(c->pol, &c->bits);
        if (s >= c->used)
            panic("cache miss: policy %s returned victim %u of %u slots", c->ops->name,
                  (unsigned)s, (unsigned)c->used);
        uint32_t hold = hash32(c->slot_id[s]);
        __builtin_prefetch(&t->cell[hold & t->mask]);
        __builtin_prefetch(&t->cell[(hold + PF_SCAN) & t->mask]); /* the run may go on */
        t->cell[pos] = (struct ht_cell){s, h};
        t->n++;
        if (c->npend == PEND)
            pend_pop(c);
        c->pend[(c->phead + c->npend++) % PEND] = (struct ht_cell){s, hold};
    }
    c->slot_id[s] = id;
    c->rbit[s] = 0;
    c->ops->insert(c->pol, s);
    if (c->peek) {
        uint32_t next = c->peek(c->pol, PEEK_AHEAD);
        if (next < c->nslots) {
            __builtin_prefetch(&c->slot_id[next]);
            if (c->pf)
                c->pf(c->pol, next);
        }
    }
}

static inline int request(struct cache_sim *c, uint64_t id, uint32_t h)
{
    const struct ht_cell *cell = c->ht->cell;
    const uint64_t *key = c->slot_id;
    uint32_t mask = c->ht->mask, pos = h & mask;
    for (;;) {
        uint32_t s = cell[pos].slot;
        if (s == CACHE_NONE)
            break;
        if (cell[pos].h == h && key[s] == id) {
            c->rbit[s] = 1;
            if (c->every)
                c->ops->touch(c->pol, s);
            return 1;
        }
        pos = (pos + 1) & mask;
    }
    miss(c, id, h, pos);
    return 0;
}

/* Prefetch the key of the slot in the first of the PF_SCAN cells from the
 * home of hash h whose h matches (a hint only: the cell may change before
 * the request is served). Looking past the home cell covers displaced ids. */
static inline void pf_key(const struct cache_sim *c, uint32_t h)
{
    const struct ht_cell *cell = c->ht->cell;
    uint32_t mask = c->ht->mask, pos = h & mask;
    for (int k = 0; k < PF_SCAN && cell[pos].slot != CACHE_NONE; k++, pos = (pos + 1) & mask)
        if (cell[pos].h == h) {
            __builtin_prefetch(&c->slot_id[cell[pos].slot]);
            if (c->pf)
                c->pf(c->pol, cell[pos].slot);
            break;
        }
}

/* Serve n ids in order. The hash of the id PF_FAR ahead is computed into a
 * ring and its table cell prefetched; the key of the slot in the home cell
 * of the id PF_NEAR ahead is prefetched too. Queued deletions are drained at
 * the end. */
static void feed_run(struct cache_sim *c, const uint64_t *ids, size_t n)
{
    uint32_t ring[RING];
    const struct cache_ht *t = c->ht;
    for (size_t i = 0; i < n && i < PF_FAR; i++) {
        ring[i] = hash32(ids[i]);
        __builtin_prefetch(&t->cell[ring[i] & t->mask]);
    }
    uint64_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + PF_FAR < n) {
            uint32_t h = hash32(ids[i + PF_FAR]);
            ring[(i + PF_FAR) % RING] = h;
            __builtin_prefetch(&t->cell[h & t->mask]);
        }
        if (i + PF_NEAR < n)
            pf_key(c, ring[(i + PF_NEAR) % RING]);
        hits += (uint64_t)request(c, ids[i], ring[i % RING]);
    }
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
    c->st.requests++;
    int hit = request(c, id, hash32(id));
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
    for (uint32_t s = 0; s < c->used; s++)
        if (cache_ht_find(c->ht, c->slot_id, c->slot_id[s]) != s)
            return -EINVAL;
    return 0;
}
