/* uniform: every page of the footprint equally likely on every reference.
 *
 * Main data structure: struct uniform_gen (page count and the process's
 * stream). Invariant: every vpn emitted is < pages. No keys of its own.
 */
#include <errno.h>

#include "sim/mem.h"
#include "workloads/workload.h"

struct uniform_gen {
    uint32_t pages;
    gsl_rng *rng;
};

static int uniform_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    struct uniform_gen *g = mem_alloc(sizeof *g);
    if (!g) {
        snprintf(err->msg, sizeof err->msg, "uniform: out of memory");
        return -ENOMEM;
    }
    g->pages = env->common->pages;
    g->rng = env->rng;
    *self = g;
    return 0;
}

static void uniform_destroy(void *self)
{
    mem_free(self, sizeof(struct uniform_gen));
}

static size_t uniform_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct uniform_gen *g = self;
    for (size_t i = 0; i < n; i++)
        buf[i] = (struct wl_ref){.vpn = (uint32_t)gsl_rng_uniform_int(g->rng, g->pages), .op = WL_READ};
    return n;
}

static size_t uniform_footprint(const void *self)
{
    return sizeof(struct uniform_gen);
}

const struct workload_ops uniform_ops = {
    .name = "uniform",
    .desc = "every page of the footprint equally likely",
    .create = uniform_create,
    .destroy = uniform_destroy,
    .fill = uniform_fill,
    .footprint = uniform_footprint,
};
