/* random: the victim is drawn uniformly among the tracked frames (the ESX
 * default at the VMM level). Randomness comes only from args->rng, owned by
 * the caller, so a run is reproducible from its seed.
 *
 * The exact rule (tests replay it with a naive implementation): with n
 * tracked frames, victim() draws exactly one k = gsl_rng_uniform_int(rng, n)
 * and takes the k-th tracked frame (from 0) in increasing frame number. Every
 * tracked frame is the k-th for exactly one k, so the choice is uniform.
 *
 * Data structure: a bit vector tracked[] (bit f set iff f is tracked) and a
 * count cnt[b] of the tracked frames in each block b of 4096 frames (64
 * words), so the k-th frame is found by skipping whole blocks on their counts,
 * then whole words on their popcounts, then bits within one word; each walk
 * starts from the end nearer in rank. Per frame: 1 bit + 16/4096 bits =
 * 1/8 + 1/2048 bytes (the dense array and position index this replaces cost
 * 8 bytes). insert/remove are O(1); victim reads at most nframes/4096 counts
 * and 64 words (about half of each when the tracked frames are spread evenly)
 * and allocates nothing. __builtin_popcountll is one instruction only when
 * the build targets it (-mpopcnt); otherwise it is a libgcc call and victim
 * takes 1.3-2x as long. Both arrays come from mem_calloc, so create()
 * writes none of their pages and an unused tail of a huge frame space costs
 * no resident memory.
 *
 * Invariant: popcount(tracked) == n; cnt[b] == popcount of words 64b..64b+63;
 * no bit at or beyond nframes is set.
 */
#include "policies/policy.h"

#include <assert.h>

#include <gsl/gsl_rng.h>

#include "sim/mem.h"

#define BLOCK_SHIFT 12 /* 4096 frames per count: fits uint16_t */
#define WORDS_PER_BLOCK (1u << (BLOCK_SHIFT - 6))
#define WORD_OF(f)  ((f) >> 6)
#define BIT_OF(f)   (UINT64_C(1) << ((f) & 63))
#define BLOCK_OF(f) ((f) >> BLOCK_SHIFT)

struct random_pol {
    gsl_rng *rng;
    uint32_t nframes;
    uint32_t n;         /* tracked frames */
    size_t nwords, nblocks;
    uint64_t *tracked;  /* nwords */
    uint16_t *cnt;      /* nblocks */
};

static void random_destroy(void *self)
{
    struct random_pol *r = self;
    if (!r)
        return;
    mem_free(r->tracked, r->nwords * sizeof(uint64_t));
    mem_free(r->cnt, r->nblocks * sizeof(uint16_t));
    mem_free(r, sizeof(*r));
}

/* Needs args->rng; returns NULL without one (or on allocation failure). */
static void *random_create(const struct policy_args *args, uint32_t nframes)
{
    if (!args || !args->rng)
        return NULL;
    struct random_pol *r = mem_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->rng = args->rng;
    r->nframes = nframes;
    r->nwords = ((size_t)nframes + 63) / 64;
    r->nblocks = (r->nwords + WORDS_PER_BLOCK - 1) / WORDS_PER_BLOCK;
    r->tracked = mem_calloc(r->nwords, sizeof(uint64_t));
    r->cnt = mem_calloc(r->nblocks, sizeof(uint16_t));
    if (!r->tracked || !r->cnt) {
        random_destroy(r);
        return NULL;
    }
    return r;
}

static void random_insert(void *self, uint32_t f)
{
    struct random_pol *r = self;
    assert(f < r->nframes && !(r->tracked[WORD_OF(f)] & BIT_OF(f)));
    r->tracked[WORD_OF(f)] |= BIT_OF(f);
    r->cnt[BLOCK_OF(f)]++;
    r->n++;
}

static void random_touch(void *self, uint32_t f)
{
    /* references do not matter to a random choice */
}

static void random_remove(void *self, uint32_t f)
{
    struct random_pol *r = self;
    assert(f < r->nframes && (r->tracked[WORD_OF(f)] & BIT_OF(f)));
    r->tracked[WORD_OF(f)] &= ~BIT_OF(f);
    r->cnt[BLOCK_OF(f)]--;
    r->n--;
}

/* Position of the k-th set bit (from 0, lowest first) of w; k < popcount(w).
 * Halves the window six times, keeping the half that holds the bit. */
static uint32_t select_in_word(uint64_t w, uint32_t k)
{
    uint32_t pos = 0;
    for (uint32_t width = 32; width > 0; width >>= 1) {
        uint64_t low = w & ((UINT64_C(1) << width) - 1);
        uint32_t c = (uint32_t)__builtin_popcountll(low);
        if (k < c) {
            w = low;
        } else {
            k -= c;
            w >>= width;
            pos += width;
        }
    }
    return pos;
}

/* The block holding the k-th tracked frame (k < n); *k becomes the rank of
 * that frame within its block. Walks the counts from whichever end of the
 * frame space is nearer in rank: half of them on average for evenly spread
 * frames, all of them at worst. */
static size_t find_block(const struct random_pol *r, uint32_t *k)
{
    size_t b;
    if (*k < r->n / 2) {
        for (b = 0; *k >= r->cnt[b]; b++)
            *k -= r->cnt[b];
        return b;
    }
    uint32_t j = r->n - 1 - *k; /* rank counted from the top */
    for (b = r->nblocks - 1; j >= r->cnt[b]; b--)
        j -= r->cnt[b];
    *k = r->cnt[b] - 1u - j;
    return b;
}

/* The word of block b holding its k-th tracked frame (k < cnt[b]); *k becomes
 * the rank within that word. Same nearer-end walk as find_block. */
static size_t find_word(const struct random_pol *r, size_t b, uint32_t *k)
{
    size_t wi = b * WORDS_PER_BLOCK;
    uint32_t c;
    if (*k < r->cnt[b] / 2u) {
        while (*k >= (c = (uint32_t)__builtin_popcountll(r->tracked[wi]))) {
            *k -= c;
            wi++;
        }
        return wi;
    }
    uint32_t j = r->cnt[b] - 1u - *k;
    wi = wi + WORDS_PER_BLOCK <= r->nwords ? wi + WORDS_PER_BLOCK - 1 : r->nwords - 1;
    while (j >= (c = (uint32_t)__builtin_popcountll(r->tracked[wi]))) {
        j -= c;
        wi--;
    }
    *k = c - 1u - j;
    return wi;
}

/* The k-th tracked frame (from 0) in increasing frame number; k < n. */
static uint32_t kth_tracked(const struct random_pol *r, uint32_t k)
{
    size_t b = find_block(r, &k);
    assert(b < r->nblocks && k < r->cnt[b]);
    size_t wi = find_word(r, b, &k);
    assert(wi < r->nwords && wi / WORDS_PER_BLOCK == b);
    return (uint32_t)(wi * 64) + select_in_word(r->tracked[wi], k);
}

static uint32_t random_victim(void *self, const struct frame_bits *bits)
{
    struct random_pol *r = self;
    if (r->n == 0)
        return POLICY_NONE;
    uint32_t f = kth_tracked(r, (uint32_t)gsl_rng_uniform_int(r->rng, r->n));
    random_remove(r, f);
    return f;
}

static uint32_t random_count(const void *self)
{
    return ((const struct random_pol *)self)->n;
}

static size_t random_footprint(const void *self)
{
    const struct random_pol *r = self;
    return sizeof(*r) + r->nwords * sizeof(uint64_t) + r->nblocks * sizeof(uint16_t);
}

const struct repl_policy policy_random = {
    .name = "random",
    .create = random_create,
    .destroy = random_destroy,
    .insert = random_insert,
    .touch = random_touch,
    .victim = random_victim,
    .remove = random_remove,
    .count = random_count,
    .footprint = random_footprint,
    .flags = 0,
};
