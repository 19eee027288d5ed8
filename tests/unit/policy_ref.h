/* policy_ref: test support for tests/unit/test_policies.c only: a tiny cache
 * harness and deliberately naive reference implementations of the policies.
 *
 * The harness maps pages to frames and owns one accessed bit per frame,
 * served to the policy as struct frame_bits. A hit sets the page's bit (and
 * calls touch() when the policy wants every access); a miss takes a free frame
 * if any (frames are handed out 0, 1, 2, ...), else asks victim() and reuses
 * that frame; the incoming page enters with its bit clear.
 *
 * The naive policies keep their frames in plain arrays and find things by
 * linear scans and memmove, so that each is obviously a transcription of the
 * rule written in the header comment of its policies/ file. They are exposed
 * as struct repl_policy so the same harness drives the fast and the naive
 * version in lockstep. Allocation is plain calloc: they are not simulator code.
 *
 * Array conventions: ord[0] is the next victim for fifo/lru (oldest first);
 * for two-list, act[0] and ina[0] are the list heads, act[na-1] and ina[ni-1]
 * the tails; random and clock keep only tracked[], one byte per frame.
 */
#ifndef VMMSIM_POLICY_REF_H
#define VMMSIM_POLICY_REF_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "policies/policy.h"

#define NONE POLICY_NONE

/* For inner loops: ck_assert_* writes to a pipe on every success, which made
 * the lockstep runs spend most of their time in system calls. */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond))                                                         \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);    \
    } while (0)

#define MAX_EVICT 64

struct cache {
    const struct repl_policy *ops;
    void *p;
    uint32_t nframes, npages;
    uint32_t *page_frame;  /* NONE when not resident */
    uint32_t *frame_page;  /* NONE when free */
    unsigned char *abit;   /* accessed bit per frame */
    uint32_t *free_stack, nfree;
    uint64_t faults;
    uint32_t last_victim;  /* frame chosen by the last victim() */
    uint32_t evicted[MAX_EVICT], nevicted; /* pages evicted, first MAX_EVICT */
    struct frame_bits bits;
};

static int bit_get(void *ctx, uint32_t f) { return ((unsigned char *)ctx)[f]; }
static void bit_clear(void *ctx, uint32_t f) { ((unsigned char *)ctx)[f] = 0; }
static int bit_dirty(void *ctx, uint32_t f) { return 0; }

static void cache_init(struct cache *c, const struct repl_policy *ops,
                       const struct policy_args *args, uint32_t nframes, uint32_t npages)
{
    memset(c, 0, sizeof(*c));
    c->ops = ops;
    c->nframes = nframes;
    c->npages = npages;
    c->p = ops->create(args, nframes);
    ck_assert_ptr_nonnull(c->p);
    c->page_frame = malloc(npages * sizeof(uint32_t));
    c->frame_page = malloc(nframes * sizeof(uint32_t));
    c->abit = calloc(nframes, 1);
    c->free_stack = malloc(nframes * sizeof(uint32_t));
    for (uint32_t i = 0; i < npages; i++)
        c->page_frame[i] = NONE;
    for (uint32_t f = 0; f < nframes; f++) {
        c->frame_page[f] = NONE;
        c->free_stack[f] = nframes - 1 - f; /* pops 0, 1, 2, ... */
    }
    c->nfree = nframes;
    c->bits = (struct frame_bits){c->abit, bit_get, bit_clear, bit_dirty};
}

static void cache_free(struct cache *c)
{
    c->ops->destroy(c->p);
    free(c->page_frame);
    free(c->frame_page);
    free(c->abit);
    free(c->free_stack);
}

/* Reference page; returns 1 on a fault. */
static int cache_ref(struct cache *c, uint32_t page)
{
    uint32_t f = c->page_frame[page];
    c->last_victim = NONE;
    if (f != NONE) {
        c->abit[f] = 1;
        if (c->ops->flags & POLICY_WANTS_EVERY_ACCESS)
            c->ops->touch(c->p, f);
        return 0;
    }
    c->faults++;
    if (c->nfree > 0) {
        f = c->free_stack[--c->nfree];
    } else {
        f = c->ops->victim(c->p, &c->bits);
        REQUIRE(f < c->nframes);
        REQUIRE(c->frame_page[f] != NONE);
        c->last_victim = f;
        if (c->nevicted < MAX_EVICT)
            c->evicted[c->nevicted++] = c->frame_page[f];
        c->page_frame[c->frame_page[f]] = NONE;
    }
    c->frame_page[f] = page;
    c->page_frame[page] = f;
    c->abit[f] = 0;
    c->ops->insert(c->p, f);
    return 1;
}

/* Free a resident page's frame (as a balloon or an exit would). */
static void cache_drop(struct cache *c, uint32_t page)
{
    uint32_t f = c->page_frame[page];
    c->ops->remove(c->p, f);
    c->page_frame[page] = NONE;
    c->frame_page[f] = NONE;
    c->free_stack[c->nfree++] = f;
}

struct ref {
    uint32_t nframes;
    uint32_t n;        /* fifo/lru: entries of ord */
    uint32_t *ord;
    uint32_t na, ni;   /* two-list */
    uint32_t *act, *ina;
    unsigned char *tracked; /* every policy; the state itself for clock, random */
    uint32_t hand;
    gsl_rng *rng;
    double ratio;
};

static void *ref_create(const struct policy_args *args, uint32_t nframes)
{
    struct ref *r = calloc(1, sizeof(*r));
    r->nframes = nframes;
    r->ord = calloc(nframes + 1, sizeof(uint32_t));
    r->act = calloc(nframes + 1, sizeof(uint32_t));
    r->ina = calloc(nframes + 1, sizeof(uint32_t));
    r->tracked = calloc(nframes + 1, 1);
    r->rng = args ? args->rng : NULL;
    r->ratio = args && args->inactive_ratio != 0.0 ? args->inactive_ratio : 1.0 / 3.0;
    return r;
}

static void ref_destroy(void *self)
{
    struct ref *r = self;
    free(r->ord);
    free(r->act);
    free(r->ina);
    free(r->tracked);
    free(r);
}

/* Helpers on an array a of *n entries. */
static uint32_t ref_find(const uint32_t *a, uint32_t n, uint32_t f)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i] == f)
            return i;
    abort(); /* contract broken by the test itself */
}

static void ref_del_at(uint32_t *a, uint32_t *n, uint32_t i)
{
    memmove(a + i, a + i + 1, (*n - i - 1) * sizeof(uint32_t));
    (*n)--;
}

static void ref_push_head(uint32_t *a, uint32_t *n, uint32_t f)
{
    memmove(a + 1, a, *n * sizeof(uint32_t));
    a[0] = f;
    (*n)++;
}

static uint32_t ref_count(const void *self)
{
    const struct ref *r = self;
    uint32_t c = 0;
    for (uint32_t f = 0; f < r->nframes; f++)
        c += r->tracked[f];
    return c;
}

static size_t ref_footprint(const void *self) { return 0; }
static void ref_touch_none(void *self, uint32_t f) {}

/* random and clock keep only the set tracked[] */
static void ref_set_insert(void *self, uint32_t f) { ((struct ref *)self)->tracked[f] = 1; }
static void ref_set_remove(void *self, uint32_t f) { ((struct ref *)self)->tracked[f] = 0; }

/* ---- fifo, lru: ord[] oldest (or least recent) first ---------------- */
static void ref_ord_insert(void *self, uint32_t f)
{
    struct ref *r = self;
    r->ord[r->n++] = f;
    r->tracked[f] = 1;
}

static void ref_ord_remove(void *self, uint32_t f)
{
    struct ref *r = self;
    ref_del_at(r->ord, &r->n, ref_find(r->ord, r->n, f));
    r->tracked[f] = 0;
}

static void ref_lru_touch(void *self, uint32_t f)
{
    ref_ord_remove(self, f);
    ref_ord_insert(self, f);
}

static uint32_t ref_ord_victim(void *self, const struct frame_bits *b)
{
    struct ref *r = self;
    if (r->n == 0)
        return POLICY_NONE;
    uint32_t f = r->ord[0];
    ref_ord_remove(r, f);
    return f;
}

/* ---- random: tracked[], one draw k, the k-th tracked frame by number -- */
static uint32_t ref_rand_victim(void *self, const struct frame_bits *b)
{
    struct ref *r = self;
    uint32_t n = ref_count(r);
    if (n == 0)
        return POLICY_NONE;
    uint32_t k = (uint32_t)gsl_rng_uniform_int(r->rng, n), f = 0;
    for (;; f++)
        if (r->tracked[f] && k-- == 0)
            break;
    r->tracked[f] = 0;
    return f;
}

/* ---- clock: tracked[] and a hand over frame numbers ------------------ */
static uint32_t ref_clock_victim(void *self, const struct frame_bits *b)
{
    struct ref *r = self;
    uint32_t n = ref_count(r), h = r->hand, checks = 0;
    if (n == 0)
        return POLICY_NONE;
    for (;;) {
        while (!r->tracked[h])
            h = (h + 1) % r->nframes;
        if (!b || checks == 2 * n + 1 || !b->accessed(b->ctx, h))
            break;
        b->clear_accessed(b->ctx, h);
        checks++;
        h = (h + 1) % r->nframes;
    }
    r->tracked[h] = 0;
    r->hand = (h + 1) % r->nframes;
    return h;
}

/* ---- two-list: act[] and ina[], head first ---------------------------- */
static void ref_tl_insert(void *self, uint32_t f)
{
    struct ref *r = self;
    ref_push_head(r->ina, &r->ni, f);
    r->tracked[f] = 1;
}

static void ref_tl_remove(void *self, uint32_t f)
{
    struct ref *r = self;
    for (uint32_t i = 0; i < r->na; i++)
        if (r->act[i] == f)
            ref_del_at(r->act, &r->na, i);
    for (uint32_t i = 0; i < r->ni; i++)
        if (r->ina[i] == f)
            ref_del_at(r->ina, &r->ni, i);
    r->tracked[f] = 0;
}

/* The rule n_inactive < ratio * n, in the 32.32 fixed point two_list.c
 * documents. */
static int ref_tl_below(const struct ref *r)
{
    uint64_t q = (uint64_t)llround(r->ratio * 4294967296.0);
    if (q == 0)
        q = 1;
    return ((uint64_t)r->ni << 32) < q * (uint64_t)(r->na + r->ni);
}

static int ref_tl_chance(const struct frame_bits *b, uint64_t *budget, uint32_t f)
{
    if (!b || *budget == 0 || !b->accessed(b->ctx, f))
        return 0;
    b->clear_accessed(b->ctx, f);
    (*budget)--;
    return 1;
}

static uint32_t ref_tl_victim(void *self, const struct frame_bits *b)
{
    struct ref *r = self;
    uint64_t budget = 2 * (uint64_t)(r->na + r->ni) + 2;
    if (r->na + r->ni == 0)
        return POLICY_NONE;
    for (;;) {
        while (r->na > 0 && ref_tl_below(r)) {
            uint32_t t = r->act[--r->na];
            if (ref_tl_chance(b, &budget, t))
                ref_push_head(r->act, &r->na, t);
            else
                ref_push_head(r->ina, &r->ni, t);
        }
        uint32_t t = r->ina[--r->ni];
        if (!ref_tl_chance(b, &budget, t)) {
            r->tracked[t] = 0;
            return t;
        }
        ref_push_head(r->act, &r->na, t);
    }
}

#define REF_COMMON .create = ref_create, .destroy = ref_destroy, \
    .count = ref_count, .footprint = ref_footprint

static const struct repl_policy ref_fifo = {
    .name = "ref-fifo", REF_COMMON, .insert = ref_ord_insert, .touch = ref_touch_none,
    .victim = ref_ord_victim, .remove = ref_ord_remove, .flags = 0,
};
static const struct repl_policy ref_lru = {
    .name = "ref-lru", REF_COMMON, .insert = ref_ord_insert, .touch = ref_lru_touch,
    .victim = ref_ord_victim, .remove = ref_ord_remove, .flags = POLICY_WANTS_EVERY_ACCESS,
};
static const struct repl_policy ref_random = {
    .name = "ref-random", REF_COMMON, .insert = ref_set_insert, .touch = ref_touch_none,
    .victim = ref_rand_victim, .remove = ref_set_remove, .flags = 0,
};
static const struct repl_policy ref_clock = {
    .name = "ref-clock", REF_COMMON, .insert = ref_set_insert, .touch = ref_touch_none,
    .victim = ref_clock_victim, .remove = ref_set_remove,
    .flags = POLICY_USES_ACCESSED_BITS,
};
static const struct repl_policy ref_two_list = {
    .name = "ref-two-list", REF_COMMON, .insert = ref_tl_insert, .touch = ref_touch_none,
    .victim = ref_tl_victim, .remove = ref_tl_remove, .flags = POLICY_USES_ACCESSED_BITS,
};

#endif
