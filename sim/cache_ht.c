/* cache_ht: an open-addressing hash table from 64-bit keys to slot numbers,
 * probed a cache line at a time.
 *
 * Layout: ngroups groups of CACHE_HT_GW (12) cells, each group one 64-byte
 * line: 16 control bytes (a 7-bit tag of the key's 32-bit multiplicative
 * hash for a full cell, CACHE_HT_EMPTY for an empty one, CACHE_HT_PAD in the
 * last four) and 12 slot numbers. A key's home group is given by the top
 * bits of its hash (any number of groups), its tag by the low 7 bits. A
 * lookup compares the tag with a whole group at once (SSE2) and confirms a
 * match with the slot's key; a group with an empty cell ends the probe,
 * otherwise the next group (circularly) is searched. The table is at most
 * a third full, so nearly every probe ends in its home group.
 *
 * Deletion without tombstones: emptying a cell of a group that had no empty
 * cell could cut short the probe of a key stored further on, so a later
 * cell whose probe passed this group (its home is not in the circular range
 * after the group up to its own group) moves into the hole, and the hole
 * moves on until it is in a group that already had an empty cell (a backward
 * shift over groups).
 *
 * Invariant: every full cell holds a slot whose key hashes to its tag and
 * is reachable from the key's home group through full groups only; no key
 * has two cells; n counts the full cells and n <= maxn <= cells / 3.
 *
 * The cache engine keeps stale cells for a while (a slot's former key, now
 * evicted): their slot's cell_of entry points elsewhere, they match nothing
 * but the slot's current key (correctly), and they never move.
 */
#include "sim/cache_ht.h"

#include <errno.h>
#include <string.h>

#include "sim/cache.h"
#include "sim/mem.h"

#define GW CACHE_HT_GW

static uint32_t groups_for(uint32_t maxn)
{
    /* at most a third of the cells full: probes nearly always end at home
     * (measured: a half-full table is slower by a few percent) */
    return (uint32_t)(((uint64_t)maxn * 3 + GW - 1) / GW);
}

size_t cache_ht_bytes(uint32_t maxn)
{
    return (size_t)groups_for(maxn) * sizeof(struct cache_ht_group);
}

void cache_ht_init(struct cache_ht *t, uint32_t maxn, struct cache_ht_group *g)
{
    *t = (struct cache_ht){g, groups_for(maxn), 0, maxn, 0};
    for (uint32_t i = 0; i < t->ngroups; i++) {
        memset(g[i].ctrl, CACHE_HT_EMPTY, GW);
        memset(g[i].ctrl + GW, CACHE_HT_PAD, 16 - GW);
    }
}

struct cache_ht *cache_ht_create(uint32_t maxn)
{
    if (maxn == 0 || maxn > CACHE_MAX_SLOTS)
        return NULL;
    struct cache_ht *t = mem_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    /* malloc alignment (16 bytes) is enough for the SSE2 loads */
    struct cache_ht_group *g = mem_alloc(cache_ht_bytes(maxn));
    if (!g) {
        mem_free(t, sizeof(*t));
        return NULL;
    }
    cache_ht_init(t, maxn, g);
    return t;
}

void cache_ht_destroy(struct cache_ht *t)
{
    if (!t)
        return;
    mem_free(t->g, cache_ht_bytes(t->maxn));
    mem_free(t, sizeof(*t));
}

/* 1 if group x lies in the circular range [from, to]. */
static int group_in(const struct cache_ht *t, uint32_t x, uint32_t from, uint32_t to)
{
    uint32_t n = t->ngroups;
    return (x + n - from) % n <= (to + n - from) % n;
}

/* A live cell after group d, up to and including the first group that has
 * an empty cell, whose probe passes group d; CACHE_HT_NOCELL if none. */
static uint32_t shift_candidate(const struct cache_ht *t, const uint64_t *keys,
                                const uint32_t *cell_of, uint32_t d)
{
    const unsigned all = (1u << GW) - 1;
    for (uint32_t g = cache_ht_next(t, d); g != d; g = cache_ht_next(t, g)) {
        const struct cache_ht_group *gr = &t->g[g];
        unsigned full = ~cache_ht_match(gr, CACHE_HT_EMPTY) & all;
        for (unsigned m = full; m; m &= m - 1) {
            unsigned i = (unsigned)__builtin_ctz(m);
            uint32_t s = gr->slot[i];
            if (cell_of && cell_of[s] != g * GW + i)
                continue; /* stale */
            uint32_t home = cache_ht_home_of(t, cache_ht_hash(keys[s]));
            if (!group_in(t, home, cache_ht_next(t, d), g))
                return g * GW + i;
        }
        if (full != all)
            break;
    }
    return CACHE_HT_NOCELL;
}

void cache_ht_release(struct cache_ht *t, const uint64_t *keys, uint32_t *cell_of, uint32_t c)
{
    t->n--;
    for (;;) {
        struct cache_ht_group *gr = &t->g[c / GW];
        int was_full = cache_ht_match(gr, CACHE_HT_EMPTY) == 0;
        gr->ctrl[c % GW] = CACHE_HT_EMPTY;
        if (!was_full)
            return;
        uint32_t x = shift_candidate(t, keys, cell_of, c / GW);
        if (x == CACHE_HT_NOCELL)
            return;
        const struct cache_ht_group *gx = &t->g[x / GW];
        gr->ctrl[c % GW] = gx->ctrl[x % GW];
        gr->slot[c % GW] = gx->slot[x % GW];
        if (cell_of)
            cell_of[gr->slot[c % GW]] = c;
        t->moves++;
        c = x;
    }
}

uint32_t cache_ht_find(const struct cache_ht *t, const uint64_t *keys, uint64_t id)
{
    uint32_t free = 0, c = cache_ht_lookup(t, keys, id, cache_ht_hash(id), &free);
    return c == CACHE_HT_NOCELL ? CACHE_NONE : cache_ht_slot(t, c);
}

int cache_ht_insert(struct cache_ht *t, const uint64_t *keys, uint32_t slot)
{
    if (slot >= t->maxn)
        return -EINVAL;
    uint32_t h = cache_ht_hash(keys[slot]), free = 0;
    if (cache_ht_lookup(t, keys, keys[slot], h, &free) != CACHE_HT_NOCELL)
        return -EEXIST;
    if (t->n >= t->maxn)
        return -ENOSPC;
    cache_ht_put(t, free, slot, h);
    return 0;
}

int cache_ht_delete(struct cache_ht *t, const uint64_t *keys, uint64_t id)
{
    uint32_t free = 0, c = cache_ht_lookup(t, keys, id, cache_ht_hash(id), &free);
    if (c == CACHE_HT_NOCELL)
        return -ENOENT;
    cache_ht_release(t, keys, NULL, c);
    return 0;
}

uint32_t cache_ht_count(const struct cache_ht *t)
{
    return t->n;
}

uint32_t cache_ht_capacity(const struct cache_ht *t)
{
    return t->ngroups * GW;
}

uint64_t cache_ht_moves(const struct cache_ht *t)
{
    return t->moves;
}

uint32_t cache_ht_home(const struct cache_ht *t, uint64_t id)
{
    return cache_ht_home_of(t, cache_ht_hash(id));
}

/* 0 if the full cell c (control byte v) is right: a valid slot whose key
 * has tag v and is found at c. */
static int check_cell(const struct cache_ht *t, const uint64_t *keys, uint32_t c, uint8_t v)
{
    uint32_t s = cache_ht_slot(t, c), free = 0;
    if (s >= t->maxn || v != cache_ht_tag(cache_ht_hash(keys[s])))
        return -EINVAL;
    if (cache_ht_lookup(t, keys, keys[s], cache_ht_hash(keys[s]), &free) != c)
        return -EINVAL; /* unreachable, or the same key found first */
    return 0;
}

int cache_ht_check(const struct cache_ht *t, const uint64_t *keys)
{
    uint32_t n = 0, empty = 0;
    for (uint32_t g = 0; g < t->ngroups; g++)
        for (uint32_t i = 0; i < 16; i++) {
            uint8_t v = t->g[g].ctrl[i];
            if (i >= GW) {
                if (v != CACHE_HT_PAD)
                    return -EINVAL;
            } else if (v == CACHE_HT_EMPTY) {
                empty++;
            } else if (v > 0x7f || check_cell(t, keys, g * GW + i, v) != 0) {
                return -EINVAL;
            } else {
                n++;
            }
        }
    return n == t->n && n <= t->maxn && empty > 0 ? 0 : -EINVAL;
}
