/* cache: the single-level cache engine of `vmmsim cache`: N slots, one
 * replacement policy from policies/, and an id -> slot hash table.
 *
 * Semantics (the textbook ones, which the tests hold it to): a request to a
 * cached id is a hit, which sets the slot's reference bit and calls touch()
 * if the policy wants every access; otherwise it is a miss, which takes a free
 * slot if any (handed out 0, 1, 2, ...) or else the policy's victim, and the
 * incoming id enters with its reference bit clear. Object sizes are ignored:
 * every object takes one slot.
 *
 * Ids are arbitrary 64-bit values (0 and UINT64_MAX included).
 */
#ifndef VMMSIM_CACHE_H
#define VMMSIM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "policies/policy.h"
#include "sim/cache_ht.h"
#include "traces/trace.h"

#define CACHE_NONE UINT32_MAX
#define CACHE_MAX_SLOTS (UINT32_C(1) << 30)

/* ---- the cache ---- */

struct cache_stats {
    uint64_t requests; /* READ and WRITE records */
    uint64_t hits;
    uint64_t misses;
    uint64_t skipped;  /* records of other ops, not requests */
};

struct cache_sim;

/* A cache of nslots slots (1..CACHE_MAX_SLOTS) under policy ops. args may be
 * NULL (policies needing an RNG then fail to create). NULL on failure. */
struct cache_sim *cache_create(const struct repl_policy *ops, const struct policy_args *args,
                               uint32_t nslots);
void cache_destroy(struct cache_sim *c);
/* Process n trace records in order (READ and WRITE are requests, the rest
 * are counted as skipped). Allocation-free. */
void cache_feed(struct cache_sim *c, const struct trace_rec *recs, size_t n);
/* Process n requests given as bare ids. */
void cache_feed_ids(struct cache_sim *c, const uint64_t *ids, size_t n);
/* One request; returns 1 on a hit, 0 on a miss. */
int cache_request(struct cache_sim *c, uint64_t id);
const struct cache_stats *cache_stats(const struct cache_sim *c);
uint32_t cache_slots(const struct cache_sim *c);
/* Number of cached ids; slot of id or CACHE_NONE. */
uint32_t cache_count(const struct cache_sim *c);
uint32_t cache_lookup(const struct cache_sim *c, uint64_t id);
/* Bytes held by the engine, the policy and the table. */
size_t cache_footprint(const struct cache_sim *c);
/* Verify slots, table and policy agree; 0 or -EINVAL. */
int cache_check(const struct cache_sim *c);

#endif
