/* two_list: Linux-like active/inactive lists driven by accessed bits.
 *
 * The exact algorithm (tests replay it with a naive implementation):
 *   insert(f)  f goes to the head of the inactive list.
 *   remove(f)  f leaves whichever list holds it.
 *   victim(b)  with n = tracked frames and a budget of 2n+2 bit clearings:
 *     1. Refill: while the active list is non-empty and
 *        n_inactive < inactive_ratio * n, look at the active tail t: if the
 *        budget is not spent and t's accessed bit is set, clear it, move t to
 *        the active head and spend one unit; otherwise move t to the inactive
 *        head (demotion).
 *     2. Look at the inactive tail t: if the budget is not spent and t's
 *        accessed bit is set, clear it, move t to the active head, spend one
 *        unit and go back to step 1. Otherwise t is the victim.
 *   A frame's bit is cleared at most once per call when the caller's bits
 *   work, so the budget is only reached with broken bits; it bounds the work
 *   of one call to O(n) whatever the bits do. With b == NULL no bit is read:
 *   the inactive tail (after refilling) is taken.
 *   The comparison n_inactive < ratio * n is done in 32.32 fixed point:
 *   (n_inactive << 32) < q * n with q = round(ratio * 2^32), clamped to
 *   [1, 2^32], so it is exact and identical on every machine.
 *   inactive_ratio 0 means the default 1/3; a ratio below 0, above 1 or NaN
 *   makes create() return NULL. Unlike Linux there is no refault
 *   (workingset) detection and no separate file/anon lists.
 *
 * Data structure: two intrusive circular doubly linked lists (policies/
 * dlist.h) sharing one array node[] of {prev, next} uint32 pairs (nframes+2
 * entries; entries nframes and nframes+1 are the active and inactive
 * sentinels; node[s].next is the head, node[s].prev the tail) and a bit
 * vector active[] saying which list holds a frame. Per frame: 8 bytes + 1 bit.
 *
 * Invariant: f is tracked iff dlist_linked(node, f); the list of sentinel
 * act holds exactly the tracked f with the active bit set, and n_active
 * counts them; likewise the inactive list and n_inactive.
 */
#include "policies/policy.h"

#include <assert.h>
#include <math.h>

#include "policies/dlist.h"
#include "sim/mem.h"

#define IS_ACTIVE(t, f) (((t)->active[(f) >> 6] >> ((f) & 63)) & 1)

struct two_list {
    uint32_t nframes;
    uint32_t act, inact; /* sentinel indices: nframes, nframes + 1 */
    uint32_t n_active, n_inactive;
    uint64_t ratio_q;    /* inactive_ratio in 32.32 fixed point */
    struct dlist_node *node; /* nframes+2 entries, the last two the sentinels */
    uint64_t *active;
};

static size_t bits_bytes(uint32_t nframes)
{
    return (((size_t)nframes + 63) / 64) * sizeof(uint64_t);
}

static void tl_destroy(void *self)
{
    struct two_list *t = self;
    if (!t)
        return;
    mem_free(t->node, dlist_bytes(t->nframes, 2));
    mem_free(t->active, bits_bytes(t->nframes));
    mem_free(t, sizeof(*t));
}

/* inactive_ratio in 32.32 fixed point, or 0 when it is invalid. */
static uint64_t ratio_fixed(const struct policy_args *args)
{
    double r = args ? args->inactive_ratio : 0.0;
    if (r == 0.0)
        r = 1.0 / 3.0;
    if (!(r > 0.0 && r <= 1.0))
        return 0;
    uint64_t q = (uint64_t)llround(r * 4294967296.0);
    return q ? q : 1;
}

static void *tl_create(const struct policy_args *args, uint32_t nframes)
{
    uint64_t q = ratio_fixed(args);
    if (!q || nframes >= DLIST_OFF - 2)
        return NULL;
    struct two_list *t = mem_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->nframes = nframes;
    t->ratio_q = q;
    t->node = mem_alloc(dlist_bytes(nframes, 2));
    t->active = mem_calloc(1, bits_bytes(nframes));
    if (!t->node || !t->active) {
        tl_destroy(t);
        return NULL;
    }
    dlist_init_frames(t->node, nframes);
    t->act = nframes;
    t->inact = nframes + 1;
    dlist_init(t->node, t->act);
    dlist_init(t->node, t->inact);
    return t;
}

/* f is leaving its list: drop it from that list's count. */
static void uncount(struct two_list *t, uint32_t f)
{
    if (IS_ACTIVE(t, f))
        t->n_active--;
    else
        t->n_inactive--;
}

/* Link f at the head of the list of sentinel s and set its list bit. */
static void link_head(struct two_list *t, uint32_t s, uint32_t f)
{
    dlist_link_after(t->node, s, f);
    if (s == t->act) {
        t->active[f >> 6] |= UINT64_C(1) << (f & 63);
        t->n_active++;
    } else {
        t->active[f >> 6] &= ~(UINT64_C(1) << (f & 63));
        t->n_inactive++;
    }
}

static void move_head(struct two_list *t, uint32_t s, uint32_t f)
{
    uncount(t, f);
    dlist_unlink(t->node, f);
    link_head(t, s, f);
}

static void tl_insert(void *self, uint32_t f)
{
    struct two_list *t = self;
    assert(f < t->nframes && !dlist_linked(t->node, f));
    link_head(t, t->inact, f);
}

static void tl_touch(void *self, uint32_t f)
{
    /* references arrive through the caller's accessed bits */
}

static void tl_remove(void *self, uint32_t f)
{
    struct two_list *t = self;
    assert(f < t->nframes && dlist_linked(t->node, f));
    uncount(t, f);
    dlist_remove(t->node, f);
}

static int below_target(const struct two_list *t)
{
    uint64_t n = (uint64_t)t->n_active + t->n_inactive;
    return ((uint64_t)t->n_inactive << 32) < t->ratio_q * n;
}

/* Consume one unit of budget if f's accessed bit is set (and clear it). */
static int second_chance(const struct frame_bits *b, uint64_t *budget, uint32_t f)
{
    if (!b || *budget == 0 || !b->accessed(b->ctx, f))
        return 0;
    b->clear_accessed(b->ctx, f);
    (*budget)--;
    return 1;
}

/* Step 1 of the algorithm in the header. */
static void refill(struct two_list *t, const struct frame_bits *b, uint64_t *budget)
{
    while (t->n_active > 0 && below_target(t)) {
        uint32_t tail = dlist_tail(t->node, t->act);
        move_head(t, second_chance(b, budget, tail) ? t->act : t->inact, tail);
    }
}

static uint32_t tl_victim(void *self, const struct frame_bits *b)
{
    struct two_list *t = self;
    uint64_t budget = 2 * ((uint64_t)t->n_active + t->n_inactive) + 2;
    if (t->n_active + t->n_inactive == 0)
        return POLICY_NONE;
    for (;;) {
        refill(t, b, &budget);
        assert(t->n_inactive > 0);
        uint32_t tail = dlist_tail(t->node, t->inact);
        if (!second_chance(b, &budget, tail)) {
            tl_remove(t, tail);
            return tail;
        }
        move_head(t, t->act, tail);
    }
}

static uint32_t tl_count(const void *self)
{
    const struct two_list *t = self;
    return t->n_active + t->n_inactive;
}

static size_t tl_footprint(const void *self)
{
    const struct two_list *t = self;
    return sizeof(*t) + dlist_bytes(t->nframes, 2) + bits_bytes(t->nframes);
}

const struct repl_policy policy_two_list = {
    .name = "two-list",
    .create = tl_create,
    .destroy = tl_destroy,
    .insert = tl_insert,
    .touch = tl_touch,
    .victim = tl_victim,
    .remove = tl_remove,
    .count = tl_count,
    .footprint = tl_footprint,
    .flags = POLICY_USES_ACCESSED_BITS,
};
