/* fifo: first-in first-out replacement; the victim is the frame inserted
 * longest ago, whatever its references (so it shows Belady's anomaly).
 *
 * Data structure: an intrusive circular doubly linked list over frame numbers
 * (policies/dlist.h), an array node[] of nframes+1 {prev, next} pairs of
 * uint32, entry nframes being the sentinel. The head (node[sentinel].next) is
 * the oldest frame (the next victim), the tail the newest.
 *
 * Invariant: frame f is tracked iff dlist_linked(node, f); the tracked
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

#include "policies/dlist.h"
#include "sim/mem.h"

struct fifo {
    uint32_t nframes; /* also the sentinel's index */
    uint32_t n;       /* tracked frames */
    struct dlist_node *node; /* nframes+1 entries, the last the sentinel */
};

static void fifo_destroy(void *self)
{
    struct fifo *q = self;
    if (!q)
        return;
    mem_free(q->node, dlist_bytes(q->nframes, 1));
    mem_free(q, sizeof(*q));
}

static void *fifo_create(const struct policy_args *args, uint32_t nframes)
{
    if (nframes >= DLIST_OFF - 1)
        return NULL;
    struct fifo *q = mem_calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->nframes = nframes;
    q->node = mem_alloc(dlist_bytes(nframes, 1));
    if (!q->node) {
        fifo_destroy(q);
        return NULL;
    }
    dlist_init_frames(q->node, nframes);
    dlist_init(q->node, nframes);
    return q;
}

static void fifo_insert(void *self, uint32_t f)
{
    struct fifo *q = self;
    assert(f < q->nframes && !dlist_linked(q->node, f));
    dlist_link_before(q->node, q->nframes, f);
    q->n++;
}

static void fifo_touch(void *self, uint32_t f)
{
    /* FIFO ignores references; present so callers need not test for NULL. */
}

static void fifo_remove(void *self, uint32_t f)
{
    struct fifo *q = self;
    assert(f < q->nframes && dlist_linked(q->node, f));
    dlist_remove(q->node, f);
    q->n--;
}

static uint32_t fifo_victim(void *self, const struct frame_bits *bits)
{
    struct fifo *q = self;
    uint32_t f = dlist_head(q->node, q->nframes);
    if (f == q->nframes)
        return POLICY_NONE;
    fifo_remove(q, f);
    return f;
}

/* The k-th frame after the head (the head itself for k = 0): the order in
 * which victim() would take them. */
static uint32_t fifo_peek(const void *self, uint32_t k)
{
    const struct fifo *q = self;
    uint32_t f = dlist_head(q->node, q->nframes);
    for (; k && f != q->nframes; k--)
        f = q->node[f].next;
    return f == q->nframes ? POLICY_NONE : f;
}

static uint32_t fifo_count(const void *self)
{
    return ((const struct fifo *)self)->n;
}

static size_t fifo_footprint(const void *self)
{
    return sizeof(struct fifo) + dlist_bytes(((const struct fifo *)self)->nframes, 1);
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
    .peek = fifo_peek,
    .flags = 0,
};
