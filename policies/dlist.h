/* dlist: intrusive circular doubly linked lists over frame numbers, shared by
 * the list-based policies (fifo, lru, two_list).
 *
 * Data structure: the caller owns one array node[] of {prev, next} uint32
 * pairs, one entry per frame followed by one entry per list (the sentinels).
 * A list is the ring through its sentinel s: node[s].next is its head,
 * node[s].prev its tail, and an empty list has both pointing at s. Several
 * lists may share one array; a frame is on at most one of them.
 *
 * Invariant: a frame f is on a list iff node[f].next != DLIST_OFF, and then
 * node[node[f].next].prev == f and node[node[f].prev].next == f. The helpers
 * keep this provided the caller respects each contract below; only
 * dlist_init_frames() and dlist_remove() write DLIST_OFF, so a caller can unlink
 * and relink a frame (a move) without it ever looking untracked.
 *
 * Everything is static inline, O(1) and allocation-free: lru's touch() is on
 * the simulator's hit path. The {prev, next} pair of a frame shares one cache
 * line, so linking or unlinking touches at most three lines.
 */
#ifndef VMMSIM_DLIST_H
#define VMMSIM_DLIST_H

#include <stddef.h>
#include <stdint.h>

#define DLIST_OFF UINT32_MAX /* node[f].next of a frame on no list */

struct dlist_node {
    uint32_t prev, next;
};

/* Bytes of a node[] array for nframes frames and nlists sentinels. */
static inline size_t dlist_bytes(uint32_t nframes, uint32_t nlists)
{
    return ((size_t)nframes + nlists) * sizeof(struct dlist_node);
}

/* Frames 0..nframes-1 are on no list. */
static inline void dlist_init_frames(struct dlist_node *node, uint32_t nframes)
{
    for (uint32_t f = 0; f < nframes; f++)
        node[f].next = DLIST_OFF;
}

/* Make the list of sentinel s empty. */
static inline void dlist_init(struct dlist_node *node, uint32_t s)
{
    node[s].prev = node[s].next = s;
}

static inline int dlist_linked(const struct dlist_node *node, uint32_t f)
{
    return node[f].next != DLIST_OFF;
}

/* Head and tail of the list of sentinel s; s itself when the list is empty. */
static inline uint32_t dlist_head(const struct dlist_node *node, uint32_t s)
{
    return node[s].next;
}

static inline uint32_t dlist_tail(const struct dlist_node *node, uint32_t s)
{
    return node[s].prev;
}

/* Link f, which is on no list (or was just dlist_unlink()ed), right after
 * at, a linked frame or a sentinel; after the sentinel s means at the head. */
static inline void dlist_link_after(struct dlist_node *node, uint32_t at, uint32_t f)
{
    uint32_t n = node[at].next;
    node[f].prev = at;
    node[f].next = n;
    node[n].prev = f;
    node[at].next = f;
}

/* Link f right before at; before the sentinel s means at the tail. */
static inline void dlist_link_before(struct dlist_node *node, uint32_t at, uint32_t f)
{
    dlist_link_after(node, node[at].prev, f);
}

/* Take the linked frame f out of its list but leave its own fields stale
 * (it still reads as linked): the first half of a move, to be followed by a
 * dlist_link_*() of f. Correct when f is the only element. */
static inline void dlist_unlink(struct dlist_node *node, uint32_t f)
{
    uint32_t p = node[f].prev, n = node[f].next;
    node[p].next = n;
    node[n].prev = p;
}

/* Take the linked frame f out of its list for good: it reads as on no list. */
static inline void dlist_remove(struct dlist_node *node, uint32_t f)
{
    dlist_unlink(node, f);
    node[f].next = DLIST_OFF;
}

#endif
