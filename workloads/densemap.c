/* densemap: numbers 64-bit keys densely in first-seen order (key -> 0, 1,
 * 2, ...), as the trace workload needs to turn sparse trace page numbers
 * into a process's vpns and (vm, pid) pairs into stream indices.
 *
 * Data structure: open addressing with linear probing over parallel arrays
 * keys[] and vals[] (value + 1 stored, 0 = empty cell); the capacity is a
 * power of two and doubles when the map would pass half full.
 * Invariant: n <= cap / 2; the values present are exactly 0 .. n-1.
 */
#include "workloads/densemap.h"

#include <errno.h>

#include "sim/hash.h"
#include "sim/mem.h"

void densemap_free(struct densemap *m)
{
    mem_free(m->keys, (size_t)m->cap * sizeof *m->keys);
    mem_free(m->vals, (size_t)m->cap * sizeof *m->vals);
    *m = (struct densemap){0};
}

/* Slot of key k: its own or the empty one where it would go. */
static uint32_t slot_of(const struct densemap *m, uint64_t k)
{
    uint32_t i = (uint32_t)hash_mix64(k) & (m->cap - 1);
    while (m->vals[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Value of k, or UINT32_MAX if absent. */
uint32_t densemap_get(const struct densemap *m, uint64_t k)
{
    if (!m->cap)
        return UINT32_MAX;
    uint32_t i = slot_of(m, k);
    return m->vals[i] ? m->vals[i] - 1 : UINT32_MAX;
}

static int grow(struct densemap *m)
{
    struct densemap g = {mem_calloc(m->cap ? 2 * (size_t)m->cap : 64, sizeof(uint64_t)),
                     mem_calloc(m->cap ? 2 * (size_t)m->cap : 64, sizeof(uint32_t)), m->cap ? 2 * m->cap : 64,
                     m->n};
    if (!g.keys || !g.vals) {
        mem_free(g.keys, g.keys ? (size_t)g.cap * sizeof *g.keys : 0);
        mem_free(g.vals, g.vals ? (size_t)g.cap * sizeof *g.vals : 0);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->vals[i]) {
            uint32_t j = slot_of(&g, m->keys[i]);
            g.keys[j] = m->keys[i];
            g.vals[j] = m->vals[i];
        }
    if (m->cap)
        densemap_free(m);
    *m = g;
    return 0;
}

/* Value of k, inserting k -> n (the count before) if absent; UINT32_MAX on
 * allocation failure. */
uint32_t densemap_add(struct densemap *m, uint64_t k)
{
    uint32_t v = densemap_get(m, k);
    if (v != UINT32_MAX)
        return v;
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
        return UINT32_MAX;
    uint32_t i = slot_of(m, k);
    m->keys[i] = k;
    m->vals[i] = ++m->n;
    return m->n - 1;
}

size_t densemap_bytes(const struct densemap *m)
{
    return (size_t)m->cap * (sizeof *m->keys + sizeof *m->vals);
}
