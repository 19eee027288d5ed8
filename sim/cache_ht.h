/* cache_ht: the id -> slot hash table of the cache engine (sim/cache.c) and
 * of the LRU stack pass (sim/cachestack.c).
 *
 * The table holds slot numbers; the key of slot s is keys[s], an array the
 * caller owns (its slot -> id array) and passes to every call. Cells come in
 * groups of CACHE_HT_GW, one cache line each: 16 control bytes (a 7-bit tag
 * of the key's hash, or CACHE_HT_EMPTY) and 12 slot numbers. The lookup and
 * the insertion are inline here, for the engine's hot loop; see cache_ht.c
 * for the layout's rules and invariant.
 */
#ifndef VMMSIM_CACHE_HT_H
#define VMMSIM_CACHE_HT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CACHE_HT_GW 12       /* cells per group: 16 control bytes + 12 slots = 64 B */
#define CACHE_HT_EMPTY 0x80  /* control byte of an empty cell */
#define CACHE_HT_PAD 0xff    /* control bytes 12..15: never empty, never a tag */
#define CACHE_HT_NOCELL UINT32_MAX
#define CACHE_HT_MUL UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio, odd */

struct cache_ht_group {
    uint8_t ctrl[16];
    uint32_t slot[CACHE_HT_GW];
};

struct cache_ht {
    struct cache_ht_group *g;
    uint32_t ngroups;
    uint32_t n, maxn; /* full cells; their bound (at most a third of the cells) */
    uint64_t moves;   /* cells moved back by releases */
};

/* ---- the public API (tests, cachestack) ---- */

/* A table for up to maxn entries (12 * ceil(3 * maxn / 12) cells). NULL on
 * allocation failure or maxn out of range (0 or > CACHE_MAX_SLOTS). */
struct cache_ht *cache_ht_create(uint32_t maxn);
void cache_ht_destroy(struct cache_ht *t);
/* Slot whose key is id, or CACHE_NONE. */
uint32_t cache_ht_find(const struct cache_ht *t, const uint64_t *keys, uint64_t id);
/* Add slot (slot < maxn) under the key keys[slot]. 0, -EEXIST if that key is
 * present, -ENOSPC if the table is full, -EINVAL for a bad slot. */
int cache_ht_insert(struct cache_ht *t, const uint64_t *keys, uint32_t slot);
/* Remove the entry of key id; 0, or -ENOENT if absent. */
int cache_ht_delete(struct cache_ht *t, const uint64_t *keys, uint64_t id);
uint32_t cache_ht_count(const struct cache_ht *t);
uint32_t cache_ht_capacity(const struct cache_ht *t);
/* Cells moved by deletions so far (a deletion in a full group moves a later
 * entry back into the hole). */
uint64_t cache_ht_moves(const struct cache_ht *t);
/* Home group of id (tests use it to make ids collide). */
uint32_t cache_ht_home(const struct cache_ht *t, uint64_t id);
/* Verify the probing invariant (every entry reachable from its home group
 * through full groups only, and found at its own cell), the tags, the count
 * and that some cell is empty; 0 or -EINVAL. */
int cache_ht_check(const struct cache_ht *t, const uint64_t *keys);

/* ---- for the engine ---- */

/* Bytes of the groups of a table for maxn entries. */
size_t cache_ht_bytes(uint32_t maxn);
/* Make an empty table for maxn entries in caller-owned memory g of
 * cache_ht_bytes(maxn) bytes, 16-byte aligned. */
void cache_ht_init(struct cache_ht *t, uint32_t maxn, struct cache_ht_group *g);
/* Empty full cell c, moving later cells back as needed. With cell_of
 * (slot -> cell), a cell whose slot's cell_of is elsewhere is stale and
 * never moves, and moved cells update cell_of. */
void cache_ht_release(struct cache_ht *t, const uint64_t *keys, uint32_t *cell_of, uint32_t c);

/* Multiplicative (Fibonacci) hashing: one multiply; the top bits pick the
 * group, the low 7 the tag. */
static inline uint32_t cache_ht_hash(uint64_t id)
{
    return (uint32_t)((id * CACHE_HT_MUL) >> 32);
}

static inline uint32_t cache_ht_home_of(const struct cache_ht *t, uint32_t h)
{
    return (uint32_t)(((uint64_t)h * t->ngroups) >> 32);
}

static inline uint8_t cache_ht_tag(uint32_t h)
{
    return (uint8_t)(h & 0x7f);
}

static inline uint32_t cache_ht_next(const struct cache_ht *t, uint32_t g)
{
    return g + 1 == t->ngroups ? 0 : g + 1;
}

/* Bit i set iff control byte i of group g equals v (i < 16). */
static inline unsigned cache_ht_match(const struct cache_ht_group *g, uint8_t v)
{
#ifdef __SSE2__
    __m128i c = _mm_load_si128((const __m128i *)(const void *)g->ctrl);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8((char)v)));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++)
        m |= (unsigned)(g->ctrl[i] == v) << i;
    return m;
#endif
}

static inline uint32_t cache_ht_slot(const struct cache_ht *t, uint32_t c)
{
    return t->g[c / CACHE_HT_GW].slot[c % CACHE_HT_GW];
}

/* Cell number (group * 12 + index) holding id (hash h), or
 * CACHE_HT_NOCELL with *free set to the empty cell that ends the probe. */
static inline uint32_t cache_ht_lookup(const struct cache_ht *t, const uint64_t *keys,
                                       uint64_t id, uint32_t h, uint32_t *free)
{
    uint8_t tag = cache_ht_tag(h);
    for (uint32_t g = cache_ht_home_of(t, h);; g = cache_ht_next(t, g)) {
        const struct cache_ht_group *gr = &t->g[g];
        for (unsigned m = cache_ht_match(gr, tag); m; m &= m - 1) {
            unsigned i = (unsigned)__builtin_ctz(m);
            if (keys[gr->slot[i]] == id)
                return g * CACHE_HT_GW + i;
        }
        unsigned e = cache_ht_match(gr, CACHE_HT_EMPTY);
        if (e) {
            *free = g * CACHE_HT_GW + (unsigned)__builtin_ctz(e);
            return CACHE_HT_NOCELL;
        }
    }
}

/* Fill the empty cell c with slot (hash h). */
static inline void cache_ht_put(struct cache_ht *t, uint32_t c, uint32_t slot, uint32_t h)
{
    struct cache_ht_group *gr = &t->g[c / CACHE_HT_GW];
    gr->ctrl[c % CACHE_HT_GW] = cache_ht_tag(h);
    gr->slot[c % CACHE_HT_GW] = slot;
    t->n++;
}

#endif
