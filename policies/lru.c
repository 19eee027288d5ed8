/* lru: exact least-recently-used replacement. It needs every reference
 * (POLICY_WANTS_EVERY_ACCESS): a guest OS or a VMM only sees accessed bits, so
 * at the VMM level it is an oracle; policy_lru_oracle is the same code under
 * the name and flag that say so.
 *
 * Data structure: an intrusive circular doubly linked list over frame numbers
 * (policies/dlist.h), an array node[] of nframes+1 {prev, next} pairs of
 * uint32, entry nframes being the sentinel. The head (node[sentinel].next) is
 * the least recently used frame (the next victim), the tail the most recently
 * used. 8 bytes per frame.
 *
 * Invariant: frame f is tracked iff dlist_linked(node, f); the tracked
 * frames are exactly the list hanging off the sentinel, ordered by last
 * reference (insert counts as a reference); n is their number. touch() is a
 * constant-time unlink and relink at the MRU end, with no allocation: it is
 * on the hit path.
 */
#include "policies/policy.h"

#include <assert.h>

#include "policies/dlist.h"
#include "sim/mem.h"

struct lru {
    uint32_t nframes; /* also the sentinel's index */
    uint32_t n;       /* tracked frames */
    struct dlist_node *node; /* nframes+1 entries, the last the sentinel */
};

static void lru_destroy(void *self)
{
    struct lru *l = self;
    if (!l)
        return;
    mem_free(l->node, dlist_bytes(l->nframes, 1));
    mem_free(l, sizeof(*l));
}

static void *lru_create(const struct policy_args *args, uint32_t nframes)
{
    if (nframes >= DLIST_OFF - 1)
        return NULL;
    struct lru *l = mem_calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->nframes = nframes;
    l->node = mem_alloc(dlist_bytes(nframes, 1));
    if (!l->node) {
        lru_destroy(l);
        return NULL;
    }
    dlist_init_frames(l->node, nframes);
    dlist_init(l->node, nframes);
    return l;
}

static void lru_insert(void *self, uint32_t f)
{
    struct lru *l = self;
    assert(f < l->nframes && !dlist_linked(l->node, f));
    dlist_link_before(l->node, l->nframes, f);
    l->n++;
}

static void lru_remove(void *self, uint32_t f)
{
    struct lru *l = self;
    assert(f < l->nframes && dlist_linked(l->node, f));
    dlist_remove(l->node, f);
    l->n--;
}

/* Unlink then relink at the MRU end; correct (and branch-free) even when f is
 * already the MRU frame. */
static void lru_touch(void *self, uint32_t f)
{
    struct lru *l = self;
    assert(f < l->nframes && dlist_linked(l->node, f));
    dlist_unlink(l->node, f);
    dlist_link_before(l->node, l->nframes, f);
}

static uint32_t lru_victim(void *self, const struct frame_bits *bits)
{
    struct lru *l = self;
    uint32_t f = dlist_head(l->node, l->nframes);
    if (f == l->nframes)
        return POLICY_NONE;
    lru_remove(l, f);
    return f;
}

/* The k-th frame after the head (the head itself for k = 0): the order in
 * which victim() would take them. */
static uint32_t lru_peek(const void *self, uint32_t k)
{
    const struct lru *l = self;
    uint32_t f = dlist_head(l->node, l->nframes);
    for (; k && f != l->nframes; k--)
        f = l->node[f].next;
    return f == l->nframes ? POLICY_NONE : f;
}

/* touch(f) reads node[f] before it can write the neighbours' nodes; callers
 * that know where node[f] is can prefetch it well ahead of the hit and hide
 * that first dependent load. */
static void lru_layout(const void *self, const void **base, size_t *stride)
{
    *base = ((const struct lru *)self)->node;
    *stride = sizeof(struct dlist_node);
}

static uint32_t lru_count(const void *self)
{
    return ((const struct lru *)self)->n;
}

static size_t lru_footprint(const void *self)
{
    return sizeof(struct lru) + dlist_bytes(((const struct lru *)self)->nframes, 1);
}

#define LRU_OPS                 \
    .create = lru_create,       \
    .destroy = lru_destroy,     \
    .insert = lru_insert,       \
    .touch = lru_touch,         \
    .victim = lru_victim,       \
    .remove = lru_remove,       \
    .count = lru_count,         \
    .footprint = lru_footprint, \
    .peek = lru_peek,           \
    .layout = lru_layout

const struct repl_policy policy_lru = {
    .name = "lru",
    LRU_OPS,
    .flags = POLICY_WANTS_EVERY_ACCESS,
};

const struct repl_policy policy_lru_oracle = {
    .name = "lru-oracle",
    LRU_OPS,
    .flags = POLICY_WANTS_EVERY_ACCESS | POLICY_ORACLE,
};
