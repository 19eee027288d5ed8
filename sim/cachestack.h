/* cachestack: LRU miss counts for many cache sizes in one pass, by stack
 * distances (Mattson et al., 1970). LRU has the inclusion property: a
 * request hits in an LRU cache of C objects iff fewer than C distinct other
 * objects were requested since the previous request to the same object, so
 * one pass that measures that distance for every request gives the hits of
 * every size at once. Results equal sim/cache.c running "lru" per size.
 */
#ifndef VMMSIM_CACHESTACK_H
#define VMMSIM_CACHESTACK_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace.h"

#define CACHESTACK_MAX_SIZES 64

struct cachestack;

/* sizes[0..n-1]: cache sizes in objects, each in 1..2^28, n in
 * 1..CACHESTACK_MAX_SIZES, any order. NULL on bad arguments or allocation
 * failure. Memory: about 40 bytes per object of the largest size. */
struct cachestack *cachestack_create(const uint32_t *sizes, size_t n);
void cachestack_destroy(struct cachestack *s);
/* Process records in order (READ and WRITE are requests; the rest are
 * counted as skipped), or bare ids. Allocation-free. */
void cachestack_feed(struct cachestack *s, const struct trace_rec *recs, size_t n);
void cachestack_feed_ids(struct cachestack *s, const uint64_t *ids, size_t n);
/* Totals so far; misses of sizes[i] (in the order given to create). */
uint64_t cachestack_requests(const struct cachestack *s);
uint64_t cachestack_skipped(const struct cachestack *s);
uint64_t cachestack_misses(const struct cachestack *s, size_t i);

#endif
