/* workload: the generator registry and the per-VM set of process workloads.
 *
 * The registry is one table {name, ops}; adding a generator is one file and
 * one line here. workload_set_create reads the keys common to every kind,
 * then gives each process its own gsl_rng (taus2) and generator instance.
 * workload_fill is the only path from a generator to the simulator: it turns
 * READs into WRITEs with probability write_ratio and enforces the per-process
 * reference budget. Write decisions are counter-based (a hash of the
 * process's write key and the reference's index), not drawn from the
 * generator's stream, so the page sequence does not depend on write_ratio and
 * the record stream does not depend on how the caller sizes its fill calls.
 *
 * Main data structure: struct workload_set, an array of struct workload (one
 * per process: ops, generator state, stream, budget left). The array's
 * block ends with a struct trailer (a copy of the common keys, which every
 * env.common points to, and the write keys), so the caller may move or copy
 * the struct workload_set itself.
 * Kinds whose processes, footprint and length come from their data (trace)
 * run a prepare() step first; its shared object is held in the trailer too.
 * Invariants: every process's stream depends only on (seed, vm_index, proc);
 * the READ and WRITE records a process emits before WL_END number exactly
 * its `total` = min(refs, generator length) (IDLE records do not count);
 * fill paths allocate nothing.
 */
#include "workloads/workload.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sim/hash.h"
#include "sim/mem.h"

extern const struct workload_ops uniform_ops;
extern const struct workload_ops zipf_ops;
extern const struct workload_ops loop_ops;
extern const struct workload_ops hot_cold_ops;
extern const struct workload_ops phases_ops;
extern const struct workload_ops trace_ops;

static const struct workload_entry table[] = {
    {"uniform", &uniform_ops},
    {"zipf", &zipf_ops},
    {"loop", &loop_ops},
    {"hot-cold", &hot_cold_ops},
    {"phases", &phases_ops},
    {"trace", &trace_ops},
    {NULL, NULL},
};

/* After the procs array in the same block; common must stay first because
 * workload_fill finds the trailer from env.common. */
struct trailer {
    struct wl_common common;
    void *shared;           /* the kind's prepare() result, or NULL */
    uint64_t wkey[];        /* per process: key of its write decisions */
};

#define NKINDS (sizeof table / sizeof table[0] - 1)
#define MAX_PROCESSES 4096
#define MAX_PAGES ((1u << 28) - 1) /* page numbers fit in 28 bits */

const struct workload_entry *workload_table(void)
{
    return table;
}

const struct workload_ops *workload_find(const char *name)
{
    for (const struct workload_entry *e = table; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->ops;
    return NULL;
}

char *workload_names(char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (const struct workload_entry *e = table; e->name; e++) {
        int k = snprintf(buf + len, size - len, "%s%s", e == table ? "" : ", ", e->name);
        if (k < 0 || (size_t)k >= size - len)
            break;
        len += (size_t)k;
    }
    return buf;
}

static uint64_t stream_hash(uint64_t seed, uint32_t vm, uint32_t proc)
{
    return hash_mix64(hash_mix64(hash_mix64(seed) ^ vm) ^ ((uint64_t)proc << 32 | 0x5eedu));
}

/* Seed a process's stream from its hash h. gsl_rng_set on taus2 keeps only
 * 32 bits of its seed, which would make stream collisions likely in large
 * sweeps, so the three 32-bit taus2 words are filled from h directly (with
 * the generator's own lower bounds s1 > 1, s2 > 7, s3 > 15). */
static void seed_stream(gsl_rng *r, uint64_t h)
{
    unsigned long *s = gsl_rng_state(r);
    if (r->type != gsl_rng_taus2 || gsl_rng_size(r) != 3 * sizeof *s) {
        gsl_rng_set(r, (unsigned long)h);
        return;
    }
    uint64_t h2 = hash_mix64(h);
    s[0] = (unsigned long)(h & 0xffffffffu) | 2u;
    s[1] = (unsigned long)(h >> 32) | 8u;
    s[2] = (unsigned long)(h2 & 0xffffffffu) | 16u;
    for (int i = 0; i < 10; i++) /* leave the seeding neighbourhood */
        gsl_rng_get(r);
}

/* processes, footprint, refs. With d (a WL_DERIVES kind) the defaults are
 * the values found in the kind's data and explicit values must agree:
 * processes equal, footprint at least the data's. */
static int read_sizes(struct cfg_node *map, struct wl_common *c, const struct wl_derived *d,
                      struct cfg_err *err)
{
    char pdef[24], fdef[32], rdef[24];
    uint64_t v, bytes, pages;
    int rc;

    if (d && (d->processes == 0 || d->processes > MAX_PROCESSES))
        return cfg_error(err, map, "expected 1 … %u processes, got %u in the workload's data", MAX_PROCESSES,
                         d->processes);
    snprintf(pdef, sizeof pdef, "%u", d ? d->processes : 1u);
    snprintf(fdef, sizeof fdef, "%llu", d ? (unsigned long long)(d->pages ? d->pages : 1) * c->page_size : 0ull);
    snprintf(rdef, sizeof rdef, "%llu", d ? (unsigned long long)(d->refs ? d->refs : 1) : 1000000ull);
    if ((rc = cfg_uint(map, "processes", pdef, 1, MAX_PROCESSES, &v, err)))
        return rc;
    if (d && v != d->processes)
        return cfg_error(err, cfg_get(map, "processes"), "expected %u (the processes of the workload's data), got %llu",
                         d->processes, (unsigned long long)v);
    c->processes = (uint32_t)v;
    if ((rc = cfg_size(map, "footprint", d ? fdef : NULL, &bytes, err)))
        return rc;
    if (bytes < c->page_size)
        return cfg_error(err, cfg_get(map, "footprint"), "expected at least one page (%u bytes), got %llu bytes",
                         c->page_size, (unsigned long long)bytes);
    pages = bytes / c->page_size + (bytes % c->page_size != 0); /* a partial page counts */
    if (pages > MAX_PAGES)
        return cfg_error(err, cfg_get(map, "footprint"), "expected at most %u pages, got %llu pages", MAX_PAGES,
                         (unsigned long long)pages);
    if (d && pages < d->pages)
        return cfg_error(err, cfg_get(map, "footprint"),
                         "expected at least %u pages (the footprint of the workload's data), got %llu pages",
                         d->pages, (unsigned long long)pages);
    c->pages = (uint32_t)pages;
    return cfg_uint(map, "refs", d && d->refs == UINT64_MAX ? NULL : rdef, 1, UINT64_MAX, &c->refs, err);
}

/* kind; processes, footprint, refs unless the kind derives them;
 * write_ratio, think. */
static int read_common(struct cfg_node *map, uint32_t page_size, struct wl_common *c,
                       const struct workload_ops **ops, struct cfg_err *err)
{
    const char *names[NKINDS + 1];
    int kind, rc;

    for (size_t i = 0; i <= NKINDS; i++)
        names[i] = table[i].name;
    if ((rc = cfg_choice(map, "kind", NULL, names, &kind, err)))
        return rc;
    *ops = table[kind].ops;
    c->page_size = page_size;
    if (!((*ops)->flags & WL_DERIVES) && (rc = read_sizes(map, c, NULL, err)))
        return rc;
    if ((rc = cfg_ratio(map, "write_ratio", (*ops)->flags & WL_WRITES ? "0%" : "30%", 0.0, 1.0,
                        &c->write_ratio, err)))
        return rc;
    return cfg_time(map, "think", "100ns", &c->think_ns, err);
}

/* Run a WL_DERIVES kind's prepare() and read the sizes it derives. */
static int prepare_kind(struct cfg_node *map, const struct workload_ops *ops, struct wl_common *c,
                        void **shared, struct cfg_err *err)
{
    struct wl_derived d = {0, 0, 0};
    int rc;
    *shared = NULL;
    if (!(ops->flags & WL_DERIVES))
        return 0;
    if ((rc = ops->prepare(map, c, shared, &d, err)))
        return rc;
    if ((rc = read_sizes(map, c, &d, err)) && *shared) {
        ops->release(*shared);
        *shared = NULL;
    }
    return rc;
}

/* The procs block: n entries, then the trailer. */
static size_t procs_bytes(uint32_t n)
{
    return n * sizeof(struct workload) + sizeof(struct trailer) + n * sizeof(uint64_t);
}

static void destroy_procs(struct workload *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (p[i].self)
            p[i].ops->destroy(p[i].self);
        if (p[i].rng)
            gsl_rng_free(p[i].rng);
    }
}

int workload_set_create(struct cfg_node *map, uint32_t page_size, uint64_t seed, uint32_t vm_index,
                        struct workload_set *out, struct cfg_err *err)
{
    const struct workload_ops *ops = NULL;
    void *shared = NULL;
    uint32_t i;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cfg_want_map(map, err)))
        return rc;
    if (page_size == 0) {
        snprintf(err->msg, sizeof err->msg, "workload: page size 0");
        return -EINVAL;
    }
    if ((rc = read_common(map, page_size, &out->common, &ops, err)))
        return rc;
    if ((rc = prepare_kind(map, ops, &out->common, &shared, err)))
        return rc;
    out->procs = mem_calloc(1, procs_bytes(out->common.processes));
    if (!out->procs)
        goto nomem;
    struct trailer *t = (struct trailer *)(out->procs + out->common.processes);
    t->common = out->common;
    t->shared = shared;
    for (i = 0; i < out->common.processes; i++) {
        struct workload *w = &out->procs[i];
        w->ops = ops;
        w->left = out->common.refs;
        w->rng = gsl_rng_alloc(gsl_rng_taus2);
        if (!w->rng)
            goto nomem;
        uint64_t h = stream_hash(seed, vm_index, i);
        seed_stream(w->rng, h);
        t->wkey[i] = hash_mix64(h ^ 0x7772697465ull);
        w->env = (struct wl_env){
            .rng = w->rng, .proc = i, .nprocs = t->common.processes, .common = &t->common, .shared = shared};
        if ((rc = ops->create(map, &w->env, &w->self, err)))
            goto fail;
        uint64_t len = ops->length ? ops->length(w->self) : UINT64_MAX;
        w->total = w->left = len < out->common.refs ? len : out->common.refs;
    }
    return 0;
nomem:
    snprintf(err->msg, sizeof err->msg, "workload: out of memory");
    rc = -ENOMEM;
fail:
    if (out->procs) {
        destroy_procs(out->procs, out->common.processes);
        mem_free(out->procs, procs_bytes(out->common.processes));
    }
    if (shared)
        ops->release(shared);
    memset(out, 0, sizeof *out);
    return rc;
}

void workload_set_destroy(struct workload_set *set)
{
    if (!set || !set->procs)
        return;
    const struct workload_ops *ops = set->procs[0].ops;
    void *shared = ((struct trailer *)(set->procs + set->common.processes))->shared;
    destroy_procs(set->procs, set->common.processes);
    mem_free(set->procs, procs_bytes(set->common.processes));
    if (shared)
        ops->release(shared);
    memset(set, 0, sizeof *set);
}

/* How many records to ask the generator for: never more references than the
 * budget, and when the budget ends inside this buffer keep one slot free for
 * the WL_END record (impossible only when n == 1). */
static size_t request_size(uint64_t left, size_t n)
{
    if (left < n)
        return (size_t)left;
    if (left == n && n > 1)
        return n - 1;
    return n;
}

size_t workload_fill(struct workload *w, struct wl_ref *buf, size_t n)
{
    assert(n >= 1);
    if (w->left == 0) {
        buf[0] = (struct wl_ref){.vpn = 0, .op = WL_END};
        return 1;
    }
    size_t m = request_size(w->left, n);
    size_t k = w->ops->fill(w->self, buf, m);
    assert(k >= 1 && k <= m);
    /* Reference number j is a write when the top 32 bits of a splitmix64
     * output for (key, j) fall below write_ratio * 2^32. */
    const struct trailer *t = (const struct trailer *)w->env.common;
    uint64_t thr = (uint64_t)(t->common.write_ratio * 4294967296.0);
    uint64_t key = t->wkey[w->env.proc], done = w->total - w->left, refs = 0;
    for (size_t i = 0; i < k; i++) {
        assert(buf[i].op == WL_IDLE || (buf[i].op <= WL_WRITE && buf[i].vpn < t->common.pages));
        assert(buf[i].op != WL_WRITE || (w->ops->flags & WL_WRITES));
        if (buf[i].op == WL_IDLE)
            continue;
        uint64_t j = done + refs++;
        if (buf[i].op == WL_READ && thr && hash_mix64(key + j * 0x9e3779b97f4a7c15ull) >> 32 < thr)
            buf[i].op = WL_WRITE;
    }
    w->left -= refs;
    if (w->left == 0 && k < n)
        buf[k++] = (struct wl_ref){.vpn = 0, .op = WL_END};
    return k;
}

size_t workload_set_footprint(const struct workload_set *set)
{
    size_t bytes = procs_bytes(set->common.processes);
    for (uint32_t i = 0; i < set->common.processes; i++) {
        const struct workload *w = &set->procs[i];
        bytes += sizeof *w->rng + gsl_rng_size(w->rng);
        bytes += w->ops->footprint(w->self);
    }
    const struct trailer *t = (const struct trailer *)(set->procs + set->common.processes);
    if (t->shared && set->procs[0].ops->shared_footprint)
        bytes += set->procs[0].ops->shared_footprint(t->shared);
    return bytes;
}

uint64_t workload_set_skipped(const struct workload_set *set)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < set->common.processes; i++)
        if (set->procs[i].ops->skipped)
            n += set->procs[i].ops->skipped(set->procs[i].self);
    return n;
}
