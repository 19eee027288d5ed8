/* fifo: first-in first-out replacement; the victim is the frame inserted
 * longest ago, whatever its references (so it shows Belady's anomaly).
 *
 * Data structure: an intrusive circular doubly linked list over frame numbers,
 * an array node[] of nframes+1 {prev, next} pairs of uint32, entry nframes
 * being the sentinel. node[sentinel].next is the oldest frame (the next
 * victim), node[sentinel].prev the newest.
 *
 * Invariant: frame f is tracked iff node[f].next != FIFO_OFF; the tracked
 * frames are exactly the list hanging off the sentinel, oldest first; n is
 * their number.
 *
 * Why a list rather than a ring of frame numbers with lazy deletion: remove()
 * followed by insert() of the same frame (a guest's LIFO free list does this
 * all the time) leaves a stale ring entry that a per-frame bit cannot tell
 * from the live one, and compacting the ring then costs O(nframes) per
 * operation. The list costs 8 bytes per frame and every operation is O(1)
 * worst case, with no compaction.
 */
#include "policies/policy.h"

#include <assert.h>

#include "sim/mem.h"

#define FIFO_OFF UINT32_MAX /* node[].next of an untracked frame */

/* prev and next side by side: one cache line per frame touched. */
struct fifo_node {
    uint32_t prev, next;
};

struct fifo {
    uint32_t nframes; /* also the sentinel's index */
    uint32_t n;       /* tracked frames */
    struct fifo_node *node; /* nframes+1 entries, the last the sentinel */
};

static size_t nodes_bytes(uint32_t nframes)
{
    return ((size_t)nframes + 1) * sizeof(struct fifo_node);
}

static void fifo_destroy(void *self)
{
    struct fifo *q = self;
    if (!q)
        return;
    mem_free(q->node, nodes_bytes(q->nframes));
    mem_free(q, sizeof(*q));
}

static void *fifo_create(const struct policy_args *args, uint32_t nframes)
{
    if (nframes >= FIFO_OFF - 1)
        return NULL;
    struct fifo *q = mem_calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->nframes = nframes;
    q->node = mem_alloc(nodes_bytes(nframes));
    if (!q->node) {
        fifo_destroy(q);
        return NULL;
    }
    for (uint32_t f = 0; f < nframes; f++)
        q->node[f].next = FIFO_OFF;
    q->node[nframes].prev = q->node[nframes].next = nframes;
    return q;
}

static void fifo_insert(void *self, uint32_t f)
{
    struct fifo *q = self;
    uint32_t s = q->nframes, last = q->node[s].prev;
    assert(f < q->nframes && q->node[f].next == FIFO_OFF);
    q->node[f].prev = last;
    q->node[f].next = s;
    q->node[last].next = f;
    q->node[s].prev = f;
    q->n++;
}

static void fifo_touch(void *self, uint32_t f)
{
    /* FIFO ignores references; present so callers need not test for NULL. */
}

static void fifo_remove(void *self, uint32_t f)
{
    struct fifo *q = self;
    assert(f < q->nframes && q->node[f].next != FIFO_OFF);
    uint32_t p = q->node[f].prev, n = q->node[f].next;
    q->node[p].next = n;
    q->node[n].prev = p;
    q->node[f].next = FIFO_OFF;
    q->n--;
}

static uint32_t fifo_victim(void *self, const struct frame_bits *bits)
{
    struct fifo *q = self;
    uint32_t f = q->node[q->nframes].next;
    if (f == q->nframes)
        return POLICY_NONE;
    fifo_remove(q, f);
    return f;
}

static uint32_t fifo_count(const void *self)
{
    return ((const struct fifo *)self)->n;
}

static size_t fifo_footprint(const void *self)
{
    return sizeof(struct fifo) + nodes_bytes(((const struct fifo *)self)->nframes);
}

const struct repl_policy policy_fifo = {
    .name = "fifo",
    .create = fifo_create,
    .destroy = fifo_destroy,
    .insert = fifo_insert,
    .touch = fifo_touch,
    .victim = fifo_victim,
    .remove = fifo_remove,
    .count = fifo_count,
    .footprint = fifo_footprint,
    .flags = 0,
};
