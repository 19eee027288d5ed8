/* tracecli_pipe: run a producer in a second thread, so that two stages of
 * a trace scan (e.g. decoding plus counting, and inserting pages into the
 * footprint sets) run on two cores at once. `trace info` on a large trace
 * is then bound by the slower stage instead of the sum.
 *
 * Main data structure: a ring of PIPE_SLOTS buffers of a caller-chosen
 * size. The thread fills slot `filled % PIPE_SLOTS` with the fill function
 * while fewer than PIPE_SLOTS are waiting; the consumer borrows slot
 * `taken % PIPE_SLOTS` and gives it back on its next call. A slot with
 * n <= 0 (end or error, with its message) is the last one the thread
 * fills. Invariants: taken <= filled <= taken + PIPE_SLOTS; between start
 * and stop only the thread runs the fill function and touches what it uses
 * (memory it allocates meanwhile is counted in that thread's mem counters).
 */
#include <pthread.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/tracecli_priv.h"

#define PIPE_SLOTS 4

struct slot {
    ssize_t n;
    struct trace_err err;
    void *buf;
};

struct tracecli_pipe {
    tracecli_fill_fn fill;
    void *ctx;
    size_t bytes;           /* of each slot's buffer */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slot[PIPE_SLOTS];
    uint64_t filled, taken;
    int holding;            /* the consumer holds slot taken % PIPE_SLOTS */
    int stop;               /* the consumer is gone: the thread should end */
};

static void *producer(void *arg)
{
    struct tracecli_pipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->filled - p->taken == PIPE_SLOTS && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            return NULL;
        struct slot *s = &p->slot[p->filled % PIPE_SLOTS];
        s->err.msg[0] = 0;
        s->n = p->fill(p->ctx, s->buf, &s->err);
        pthread_mutex_lock(&p->mu);
        p->filled++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (s->n <= 0)
            return NULL;
    }
}

static void free_slots(struct tracecli_pipe *p)
{
    for (int i = 0; i < PIPE_SLOTS; i++)
        if (p->slot[i].buf)
            mem_free(p->slot[i].buf, p->bytes);
    mem_free(p, sizeof *p);
}

struct tracecli_pipe *tracecli_pipe_start(tracecli_fill_fn fill, void *ctx, size_t bytes)
{
    struct tracecli_pipe *p = mem_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    *p = (struct tracecli_pipe){.fill = fill, .ctx = ctx, .bytes = bytes};
    for (int i = 0; i < PIPE_SLOTS; i++)
        if (!(p->slot[i].buf = mem_alloc(bytes))) {
            free_slots(p);
            return NULL;
        }
    if (pthread_mutex_init(&p->mu, NULL) == 0) {
        if (pthread_cond_init(&p->cv, NULL) == 0) {
            if (pthread_create(&p->th, NULL, producer, p) == 0)
                return p;
            pthread_cond_destroy(&p->cv);
        }
        pthread_mutex_destroy(&p->mu);
    }
    free_slots(p);
    return NULL;
}

ssize_t tracecli_pipe_next(struct tracecli_pipe *p, const void **buf, struct trace_err *err)
{
    pthread_mutex_lock(&p->mu);
    if (p->holding) { /* the consumer is done with the previous slot */
        p->holding = 0;
        p->taken++;
        pthread_cond_broadcast(&p->cv);
    }
    while (p->taken == p->filled)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    struct slot *s = &p->slot[p->taken % PIPE_SLOTS];
    if (s->n <= 0) {
        *err = s->err;
        return s->n; /* the last slot: it stays, so every later call sees it too */
    }
    p->holding = 1;
    *buf = s->buf;
    return s->n;
}

void tracecli_pipe_stop(struct tracecli_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free_slots(p);
}
