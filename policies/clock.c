/* clock: second-chance replacement on the caller's accessed bits.
 *
 * The reference bit of a frame is the caller's accessed bit, read and cleared
 * through struct frame_bits; clock keeps no reference state of its own. The
 * hand visits tracked frames in increasing frame number, circularly: a frame
 * whose bit is set gets it cleared and the hand moves on; the first frame with
 * a clear bit is the victim and the hand stops just past it. When the caller
 * puts the incoming page into the victim's frame this is exactly the textbook
 * clock over a circular buffer of frames (the convention of libCacheSim).
 *
 * Data structure: a bit vector tracked[] (bit f set iff f is tracked) and a
 * summary vector sum[] (bit w set iff word w of tracked[] is non-zero), so the
 * hand skips 4096 untracked frames per summary word: a sparse set of tracked
 * frames costs nframes/4096 word reads per sweep at worst. Per frame:
 * 1 + 1/64 bits.
 *
 * Invariant: popcount(tracked) == n; sum[w/64] bit w%64 == (tracked[w] != 0);
 * no bit at or beyond nframes is set; hand < max(nframes, 1).
 *
 * Termination: victim() checks at most 2n+1 frames. With working bits the
 * (n+1)-th check finds a clear bit, since everything checked before was
 * cleared; the bound only matters if the caller's bits cannot be cleared, and
 * then the frame under the hand is evicted regardless.
 */
#include "policies/policy.h"

#include <assert.h>

#include "sim/mem.h"

#define CLOCK_NONE UINT32_MAX
#define WORD_OF(f) ((f) >> 6)
#define BIT_OF(f)  (UINT64_C(1) << ((f) & 63))
#define FROM_BIT(f) (~UINT64_C(0) << ((f) & 63)) /* bits f%64 and above */

struct clock {
    uint32_t nframes;
    uint32_t n;     /* tracked frames */
    uint32_t hand;  /* next frame number the hand looks at */
    uint32_t nwords, nsum;
    uint64_t *tracked;
    uint64_t *sum;
};

static void clock_destroy(void *self)
{
    struct clock *c = self;
    if (!c)
        return;
    mem_free(c->tracked, (size_t)c->nwords * sizeof(uint64_t));
    mem_free(c->sum, (size_t)c->nsum * sizeof(uint64_t));
    mem_free(c, sizeof(*c));
}

static void *clock_create(const struct policy_args *args, uint32_t nframes)
{
    if (nframes == CLOCK_NONE)
        return NULL;
    struct clock *c = mem_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nframes = nframes;
    c->nwords = (uint32_t)(((uint64_t)nframes + 63) / 64);
    c->nsum = (c->nwords + 63) / 64;
    c->tracked = mem_calloc(c->nwords, sizeof(uint64_t));
    c->sum = mem_calloc(c->nsum, sizeof(uint64_t));
    if (!c->tracked || !c->sum) {
        clock_destroy(c);
        return NULL;
    }
    return c;
}

/* Smallest word index >= w whose tracked word is non-zero, or CLOCK_NONE. */
static uint32_t next_word(const struct clock *c, uint32_t w)
{
    if (w >= c->nwords)
        return CLOCK_NONE;
    uint32_t si = WORD_OF(w);
    uint64_t s = c->sum[si] & FROM_BIT(w);
    while (!s) {
        if (++si >= c->nsum)
            return CLOCK_NONE;
        s = c->sum[si];
    }
    return si * 64 + (uint32_t)__builtin_ctzll(s);
}

/* Smallest tracked frame >= f, or CLOCK_NONE. */
static uint32_t next_tracked(const struct clock *c, uint32_t f)
{
    if (f >= c->nframes)
        return CLOCK_NONE;
    uint64_t w = c->tracked[WORD_OF(f)] & FROM_BIT(f);
    if (w)
        return (f & ~63u) + (uint32_t)__builtin_ctzll(w);
    uint32_t wi = next_word(c, WORD_OF(f) + 1);
    if (wi == CLOCK_NONE)
        return CLOCK_NONE;
    return wi * 64 + (uint32_t)__builtin_ctzll(c->tracked[wi]);
}

/* The first tracked frame at or after f in circular order; n > 0 required. */
static uint32_t next_circular(const struct clock *c, uint32_t f)
{
    uint32_t g = next_tracked(c, f);
    if (g == CLOCK_NONE)
        g = next_tracked(c, 0);
    assert(g != CLOCK_NONE);
    return g;
}

static void clock_insert(void *self, uint32_t f)
{
    struct clock *c = self;
    assert(f < c->nframes && !(c->tracked[WORD_OF(f)] & BIT_OF(f)));
    c->tracked[WORD_OF(f)] |= BIT_OF(f);
    c->sum[WORD_OF(WORD_OF(f))] |= BIT_OF(WORD_OF(f));
    c->n++;
}

static void clock_touch(void *self, uint32_t f)
{
    /* references arrive through the caller's accessed bits */
}

static void clock_remove(void *self, uint32_t f)
{
    struct clock *c = self;
    assert(f < c->nframes && (c->tracked[WORD_OF(f)] & BIT_OF(f)));
    c->tracked[WORD_OF(f)] &= ~BIT_OF(f);
    if (!c->tracked[WORD_OF(f)])
        c->sum[WORD_OF(WORD_OF(f))] &= ~BIT_OF(WORD_OF(f));
    c->n--;
}

/* bits may be NULL: the frame under the hand is then taken (plain FIFO order
 * over frame numbers). */
static uint32_t clock_victim(void *self, const struct frame_bits *bits)
{
    struct clock *c = self;
    if (c->n == 0)
        return POLICY_NONE;
    uint32_t f = next_circular(c, c->hand);
    uint64_t limit = 2 * (uint64_t)c->n + 1;
    for (uint64_t i = 0; bits && i < limit; i++) {
        if (!bits->accessed(bits->ctx, f))
            break;
        bits->clear_accessed(bits->ctx, f);
        f = next_circular(c, f + 1);
    }
    clock_remove(c, f);
    c->hand = f + 1 < c->nframes ? f + 1 : 0;
    return f;
}

static uint32_t clock_count(const void *self)
{
    return ((const struct clock *)self)->n;
}

static size_t clock_footprint(const void *self)
{
    const struct clock *c = self;
    return sizeof(*c) + ((size_t)c->nwords + c->nsum) * sizeof(uint64_t);
}

const struct repl_policy policy_clock = {
    .name = "clock",
    .create = clock_create,
    .destroy = clock_destroy,
    .insert = clock_insert,
    .touch = clock_touch,
    .victim = clock_victim,
    .remove = clock_remove,
    .count = clock_count,
    .footprint = clock_footprint,
    .flags = POLICY_USES_ACCESSED_BITS,
};
