/* swapmap: bit vector of used slots with a next-fit cursor.
 * Invariant: used == number of set bits; cursor < nslots (or 0 when empty). */
#include "sim/swapmap.h"

#include <errno.h>

#include "sim/mem.h"
#include "sim/panic.h"

static size_t words(uint32_t n) { return ((size_t)n + 63) / 64; }

int swapmap_init(struct swapmap *s, uint32_t nslots)
{
    s->bits = mem_calloc(words(nslots), sizeof *s->bits);
    if (!s->bits)
        return -ENOMEM;
    s->nslots = nslots;
    s->used = 0;
    s->cursor = 0;
    return 0;
}

void swapmap_destroy(struct swapmap *s)
{
    mem_free(s->bits, words(s->nslots) * sizeof *s->bits);
    s->bits = NULL;
}

/* Find a clear bit at or after `from`, scanning whole words; nslots if none. */
static uint32_t find_clear(const struct swapmap *s, uint32_t from)
{
    size_t nw = words(s->nslots);
    size_t w = from / 64;
    uint64_t word = ~s->bits[w] & (~0ull << (from % 64));
    for (;;) {
        if (word) {
            uint32_t slot = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(word));
            return slot < s->nslots ? slot : s->nslots;
        }
        if (++w >= nw)
            return s->nslots;
        word = ~s->bits[w];
    }
}

uint32_t swapmap_alloc(struct swapmap *s)
{
    if (s->used >= s->nslots)
        return SWAP_NONE;
    uint32_t slot = find_clear(s, s->cursor);
    if (slot >= s->nslots)
        slot = find_clear(s, 0);
    if (slot >= s->nslots)
        panic("swapmap_alloc: used count says free slots exist, bits say none");
    s->bits[slot / 64] |= 1ull << (slot % 64);
    s->used++;
    s->cursor = slot + 1 < s->nslots ? slot + 1 : 0;
    return slot;
}

void swapmap_free(struct swapmap *s, uint32_t slot)
{
    if (slot >= s->nslots || !swapmap_used(s, slot))
        panic("swapmap_free: slot %u not in use", slot);
    s->bits[slot / 64] &= ~(1ull << (slot % 64));
    s->used--;
}

int swapmap_used(const struct swapmap *s, uint32_t slot)
{
    return (s->bits[slot / 64] >> (slot % 64)) & 1;
}

size_t swapmap_footprint(const struct swapmap *s)
{
    return words(s->nslots) * sizeof *s->bits;
}
