/* hot-cold: a hot set of pages takes most references.
 *
 * The hot set is vpns [0, hot * pages); a reference goes to it with
 * probability hot_refs, else to the cold rest, uniformly within each set.
 * Keys: hot (share of pages, default 20%), hot_refs (share of references,
 * default 80%).
 * Main data structure: struct hot_cold_gen. Invariant: nhot <= pages, the
 * hot set is non-empty when hot_refs > 0 and the cold set non-empty when
 * hot_refs < 1.
 */
#include <errno.h>

#include "sim/mem.h"
#include "workloads/workload.h"

struct hot_cold_gen {
    uint32_t pages, nhot;
    uint64_t thr;        /* a raw 32-bit draw below thr picks the hot set */
    gsl_rng *rng;
};

static int read_keys(struct cfg_node *params, uint32_t pages, uint32_t *nhot, double *hot_refs,
                     struct cfg_err *err)
{
    double hot;
    int rc;
    if ((rc = cfg_ratio(params, "hot", "20%", 0.0, 1.0, &hot, err)))
        return rc;
    if ((rc = cfg_ratio(params, "hot_refs", "80%", 0.0, 1.0, hot_refs, err)))
        return rc;
    *nhot = (uint32_t)(hot * pages);
    if (*nhot == 0 && *hot_refs > 0.0)
        return cfg_error(err, cfg_get(params, "hot"), "expected a hot set of at least one page, got %u of %u pages",
                         *nhot, pages);
    if (*nhot == pages && *hot_refs < 1.0)
        return cfg_error(err, cfg_get(params, "hot"), "expected a cold set of at least one page, got %u of %u pages hot",
                         *nhot, pages);
    return 0;
}

static int hot_cold_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    uint32_t nhot;
    double hot_refs;
    int rc = read_keys(params, env->common->pages, &nhot, &hot_refs, err);
    if (rc)
        return rc;
    struct hot_cold_gen *g = mem_alloc(sizeof *g);
    if (!g) {
        snprintf(err->msg, sizeof err->msg, "hot-cold: out of memory");
        return -ENOMEM;
    }
    *g = (struct hot_cold_gen){.pages = env->common->pages, .nhot = nhot, .rng = env->rng,
                               .thr = (uint64_t)(hot_refs * 4294967296.0)};
    *self = g;
    return 0;
}

static void hot_cold_destroy(void *self)
{
    mem_free(self, sizeof(struct hot_cold_gen));
}

static size_t hot_cold_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct hot_cold_gen *g = self;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (gsl_rng_get(g->rng) < g->thr)
            v = (uint32_t)gsl_rng_uniform_int(g->rng, g->nhot);
        else
            v = g->nhot + (uint32_t)gsl_rng_uniform_int(g->rng, g->pages - g->nhot);
        buf[i] = (struct wl_ref){.vpn = v, .op = WL_READ};
    }
    return n;
}

static size_t hot_cold_footprint(const void *self)
{
    return sizeof(struct hot_cold_gen);
}

const struct workload_ops hot_cold_ops = {
    .name = "hot-cold",
    .desc = "hot set takes most references (keys: hot, hot_refs)",
    .create = hot_cold_create,
    .destroy = hot_cold_destroy,
    .fill = hot_cold_fill,
    .footprint = hot_cold_footprint,
};
