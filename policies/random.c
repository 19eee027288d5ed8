/* random: the victim is drawn uniformly among the tracked frames (the ESX
 * default at the VMM level). Randomness comes only from args->rng, owned by
 * the caller, so a run is reproducible from its seed.
 *
 * Data structure: a dense array arr[0..n-1] of the tracked frames and a
 * position index pos[f] (the slot of f in arr). 8 bytes per frame.
 *
 * Invariant: for i < n, pos[arr[i]] == i; pos[f] == RANDOM_OFF for every
 * untracked f. insert appends; remove and victim move the last element into
 * the freed slot. victim draws exactly one gsl_rng_uniform_int(rng, n) and
 * takes arr[draw]; tests replay this rule with a naive implementation.
 */
#include "policies/policy.h"

#include <assert.h>

#include <gsl/gsl_rng.h>

#include "sim/mem.h"

#define RANDOM_OFF UINT32_MAX /* pos[] of an untracked frame */

struct random_pol {
    gsl_rng *rng;
    uint32_t nframes;
    uint32_t n;
    uint32_t *arr;
    uint32_t *pos;
};

static void random_destroy(void *self)
{
    struct random_pol *r = self;
    if (!r)
        return;
    mem_free(r->arr, (size_t)r->nframes * sizeof(uint32_t));
    mem_free(r->pos, (size_t)r->nframes * sizeof(uint32_t));
    mem_free(r, sizeof(*r));
}

/* Needs args->rng; returns NULL without one (or on allocation failure). */
static void *random_create(const struct policy_args *args, uint32_t nframes)
{
    if (!args || !args->rng || nframes == RANDOM_OFF)
        return NULL;
    struct random_pol *r = mem_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->rng = args->rng;
    r->nframes = nframes;
    r->arr = mem_alloc((size_t)nframes * sizeof(uint32_t));
    r->pos = mem_alloc((size_t)nframes * sizeof(uint32_t));
    if (!r->arr || !r->pos) {
        random_destroy(r);
        return NULL;
    }
    for (uint32_t f = 0; f < nframes; f++)
        r->pos[f] = RANDOM_OFF;
    return r;
}

static void random_insert(void *self, uint32_t f)
{
    struct random_pol *r = self;
    assert(f < r->nframes && r->pos[f] == RANDOM_OFF);
    r->pos[f] = r->n;
    r->arr[r->n++] = f;
}

static void random_touch(void *self, uint32_t f)
{
    /* references do not matter to a random choice */
}

static void random_remove(void *self, uint32_t f)
{
    struct random_pol *r = self;
    assert(f < r->nframes && r->pos[f] != RANDOM_OFF);
    uint32_t i = r->pos[f], last = r->arr[--r->n];
    r->arr[i] = last;
    r->pos[last] = i;
    r->pos[f] = RANDOM_OFF;
}

static uint32_t random_victim(void *self, const struct frame_bits *bits)
{
    struct random_pol *r = self;
    if (r->n == 0)
        return POLICY_NONE;
    uint32_t f = r->arr[gsl_rng_uniform_int(r->rng, r->n)];
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
    return sizeof(*r) + 2 * (size_t)r->nframes * sizeof(uint32_t);
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
