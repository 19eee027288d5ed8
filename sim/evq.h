/* evq: the simulator's event queue, a 4-ary min-heap ordered by (time, seq).
 *
 * seq is a per-queue counter assigned at push, so events with equal times
 * pop in insertion order and every run with the same inputs is identical.
 * An event is 24 bytes: time, seq, and a small payload (kind + two ids).
 */
#ifndef VMMSIM_EVQ_H
#define VMMSIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

struct event {
    uint64_t time;   /* ns */
    uint64_t seq;
    uint16_t kind;   /* owner-defined */
    uint16_t a;      /* e.g. host index */
    uint32_t b;      /* e.g. VM or process index */
};

struct evq {
    struct event *heap;
    size_t n, cap;
    uint64_t next_seq;
};

void evq_init(struct evq *q);
void evq_destroy(struct evq *q);
/* 0 or -ENOMEM. */
int evq_push(struct evq *q, uint64_t time, uint16_t kind, uint16_t a, uint32_t b);
/* Make room for n pending events in total. 0 or -ENOMEM. */
int evq_reserve(struct evq *q, size_t n);
/* 1 and *out if an event was popped, 0 if empty. */
int evq_pop(struct evq *q, struct event *out);
/* Time of the earliest event, UINT64_MAX if empty. */
uint64_t evq_peek_time(const struct evq *q);
static inline size_t evq_size(const struct evq *q) { return q->n; }
/* Verify the heap property; 0 if it holds, -1 otherwise. */
int evq_check(const struct evq *q);

#endif
