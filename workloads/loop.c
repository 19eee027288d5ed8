/* loop: sequential sweeps over the footprint, the access pattern that
 * defeats LRU when the footprint exceeds memory.
 *
 * Each sweep touches vpn 0, stride, 2*stride, ... while < pages, then starts
 * again at 0. Key: stride (pages, 1..pages, default 1).
 * Main data structure: struct loop_gen (next vpn). Invariant: next < pages.
 */
#include <errno.h>

#include "sim/mem.h"
#include "workloads/workload.h"

struct loop_gen {
    uint32_t pages, stride, next;
};

static int loop_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    uint64_t stride;
    int rc = cfg_uint(params, "stride", "1", 1, env->common->pages, &stride, err);
    if (rc)
        return rc;
    struct loop_gen *g = mem_alloc(sizeof *g);
    if (!g) {
        snprintf(err->msg, sizeof err->msg, "loop: out of memory");
        return -ENOMEM;
    }
    *g = (struct loop_gen){.pages = env->common->pages, .stride = (uint32_t)stride, .next = 0};
    *self = g;
    return 0;
}

static void loop_destroy(void *self)
{
    mem_free(self, sizeof(struct loop_gen));
}

static size_t loop_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct loop_gen *g = self;
    uint32_t v = g->next;
    for (size_t i = 0; i < n; i++) {
        buf[i] = (struct wl_ref){.vpn = v, .op = WL_READ};
        v = g->pages - v > g->stride ? v + g->stride : 0;
    }
    g->next = v;
    return n;
}

static size_t loop_footprint(const void *self)
{
    return sizeof(struct loop_gen);
}

const struct workload_ops loop_ops = {
    .name = "loop",
    .desc = "sequential sweeps over the footprint (key: stride)",
    .create = loop_create,
    .destroy = loop_destroy,
    .fill = loop_fill,
    .footprint = loop_footprint,
};
