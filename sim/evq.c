/* evq: 4-ary min-heap of events keyed by (time, seq).
 * Invariant: for every i > 0, key(heap[(i-1)/4]) <= key(heap[i]); keys are
 * unique because seq is. A 4-ary heap halves the depth of a binary one and
 * keeps a node's children in one cache line pair, which matters when many
 * vCPUs, devices and timers are pending. */
#include "sim/evq.h"

#include <errno.h>

#include "sim/mem.h"

static inline int before(const struct event *x, const struct event *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

void evq_init(struct evq *q)
{
    q->heap = NULL;
    q->n = q->cap = 0;
    q->next_seq = 0;
}

void evq_destroy(struct evq *q)
{
    mem_free(q->heap, q->cap * sizeof *q->heap);
    evq_init(q);
}

int evq_reserve(struct evq *q, size_t n)
{
    if (n <= q->cap)
        return 0;
    struct event *h = mem_realloc(q->heap, q->cap * sizeof *h, n * sizeof *h);
    if (!h)
        return -ENOMEM;
    q->heap = h;
    q->cap = n;
    return 0;
}

static int grow(struct evq *q)
{
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct event *h = mem_realloc(q->heap, q->cap * sizeof *h, cap * sizeof *h);
    if (!h)
        return -ENOMEM;
    q->heap = h;
    q->cap = cap;
    return 0;
}

int evq_push(struct evq *q, uint64_t time, uint16_t kind, uint16_t a, uint32_t b)
{
    if (q->n == q->cap && grow(q) < 0)
        return -ENOMEM;
    struct event e = {time, q->next_seq++, kind, a, b};
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!before(&e, &q->heap[p]))
            break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = e;
    return 0;
}

static void sift_down(struct evq *q, struct event e)
{
    size_t i = 0, n = q->n;
    for (;;) {
        size_t c = 4 * i + 1, best = c;
        if (c >= n)
            break;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (before(&q->heap[k], &q->heap[best]))
                best = k;
        if (!before(&q->heap[best], &e))
            break;
        q->heap[i] = q->heap[best];
        i = best;
    }
    q->heap[i] = e;
}

int evq_pop(struct evq *q, struct event *out)
{
    if (q->n == 0)
        return 0;
    *out = q->heap[0];
    struct event last = q->heap[--q->n];
    if (q->n > 0)
        sift_down(q, last);
    return 1;
}

uint64_t evq_peek_time(const struct evq *q)
{
    return q->n ? q->heap[0].time : UINT64_MAX;
}

int evq_check(const struct evq *q)
{
    for (size_t i = 1; i < q->n; i++)
        if (before(&q->heap[i], &q->heap[(i - 1) / 4]))
            return -1;
    return 0;
}
