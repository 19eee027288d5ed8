/* tracegen: write synthetic workloads to a trace (`vmmsim trace gen`).
 *
 * The source (one `--workload` spec, or every VM of a config) is turned into
 * one workload_set per VM, built exactly as the simulator builds it (same
 * page size, seed and stream index), so a generated trace holds the
 * reference streams the simulated VMs would draw. Each process becomes a
 * stream with its own clock: a reference happens at the clock and advances
 * it by the think time; an idle period of d us is one TRACE_IDLE record
 * (arg = d * 1000 ns) that advances it by d us.
 *
 * Main data structure: struct tracegen, holding the streams (one per process,
 * VM-major, each with a small buffer of generator output) and a binary
 * min-heap of the live streams ordered by (clock, stream index).
 * Invariants: a stream in the heap has an unconsumed reference that is not
 * WL_END, and its clock is that reference's time; records leave in
 * nondecreasing time, ties in (vm, pid) order, so the output depends only on
 * the source and the seed, never on buffer sizes.
 */
#include "sim/tracegen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/config.h"
#include "sim/hash.h"
#include "sim/mem.h"
#include "workloads/workload.h"

#define SBUF 512    /* generator output buffered per stream */

struct stream {
    struct workload *wl;
    uint64_t time, think;
    uint32_t pid;
    uint16_t vm;
    uint16_t pos, len;
    struct wl_ref buf[SBUF];
};

struct tracegen {
    const struct tracegen_opts *o;
    struct cfg_doc *doc;
    struct exp_params params;
    uint32_t page_size;
    uint64_t seed;
    struct workload_set *sets;
    struct trace_vm *vms;
    uint32_t nvms;
    struct trace_proc *procs;
    struct stream *st;
    uint32_t *heap;
    uint32_t nst, nheap;
    uint32_t cap_st;              /* entries allocated in st, procs, heap */
    struct trace_meta meta[4];
    uint32_t nmeta;
    struct trace_header h;
};

uint64_t tracegen_sparse(uint64_t page)
{
    return hash_mix64(page);
}

/* ---- building the streams ------------------------------------------------ */

static void add_meta(struct tracegen *g, const char *key, const char *value)
{
    struct trace_meta *m = &g->meta[g->nmeta++];
    snprintf(m->key, sizeof m->key, "%s", key);
    snprintf(m->value, sizeof m->value, "%s", value);
}

/* VM slots for n VMs. 0 or -ENOMEM / -EINVAL (too many VMs). */
static int alloc_vms(struct tracegen *g, uint32_t n, char *err, size_t errsize)
{
    if (n == 0 || n > TRACE_MAX_VMS) {
        snprintf(err, errsize, "trace gen: expected 1 to %d VMs, got %u", TRACE_MAX_VMS, n);
        return -EINVAL;
    }
    g->sets = mem_calloc(n, sizeof *g->sets);
    g->vms = mem_calloc(n, sizeof *g->vms);
    if (!g->sets || !g->vms) {
        snprintf(err, errsize, "trace gen: out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* Create VM number g->nvms's workload from map. */
static int add_vm(struct tracegen *g, struct cfg_node *map, const char *name, uint64_t memory, uint32_t stream_id,
                  char *err, size_t errsize)
{
    struct cfg_err ce = {{0}};
    int rc = workload_set_create(map, g->page_size, g->seed, stream_id, &g->sets[g->nvms], &ce);
    if (rc < 0) {
        snprintf(err, errsize, "%s", ce.msg);
        return rc;
    }
    snprintf(g->vms[g->nvms].name, TRACE_NAME_MAX, "%s", name);
    g->vms[g->nvms].memory = memory;
    g->nvms++;
    return 0;
}

/* cfg_load_* return NULL for bad text and for no memory alike. */
static int load_failed(const struct cfg_err *ce, char *err, size_t errsize)
{
    snprintf(err, errsize, "%s", ce->msg[0] ? ce->msg : "trace gen: cannot read the workload");
    return strstr(ce->msg, "out of memory") ? -ENOMEM : -EINVAL;
}

static int load_spec(struct tracegen *g, char *err, size_t errsize)
{
    struct cfg_err ce = {{0}};
    g->doc = cfg_load_string("--workload", g->o->spec, &ce);
    if (!g->doc)
        return load_failed(&ce, err, errsize);
    g->seed = g->o->seed_set ? g->o->seed : 1;
    g->page_size = g->o->page_size ? g->o->page_size : 4096;
    int rc = alloc_vms(g, 1, err, errsize);
    if (rc == 0)
        rc = add_vm(g, g->doc->root, "vm0", 0, 0, err, errsize);
    if (rc == 0 && (rc = cfg_check_unused(g->doc->root, &ce)) < 0)
        snprintf(err, errsize, "%s", ce.msg);
    add_meta(g, "workload", g->o->spec);
    return rc;
}

static uint32_t config_vm_count(const struct exp_params *p)
{
    uint64_t n = 0;
    for (uint32_t h = 0; h < p->nhosts; h++)
        for (uint32_t v = 0; v < p->hosts[h].nvms; v++)
            n += p->hosts[h].vms[v].count;
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Every VM of every host, in order, named and seeded as sim.c does. */
static int config_vms(struct tracegen *g, char *err, size_t errsize)
{
    const struct exp_params *p = &g->params;
    int rc = alloc_vms(g, config_vm_count(p), err, errsize);
    for (uint32_t h = 0; rc == 0 && h < p->nhosts; h++) {
        const struct host_params *hp = &p->hosts[h];
        for (uint32_t v = 0; rc == 0 && v < hp->nvms; v++) {
            const struct vm_params *vp = &hp->vms[v];
            for (uint32_t j = 0; rc == 0 && j < vp->count; j++) {
                char name[128], key[256];
                if (vp->count > 1)
                    snprintf(name, sizeof name, "%s-%u", vp->name, j);
                else
                    snprintf(name, sizeof name, "%s", vp->name);
                snprintf(key, sizeof key, "%s/%s", hp->name, name);
                rc = add_vm(g, vp->workload, p->nhosts > 1 ? key : name, vp->memory, (uint32_t)hash_str(key),
                            err, errsize);
            }
        }
    }
    return rc;
}

static int load_config(struct tracegen *g, char *err, size_t errsize)
{
    struct cfg_err ce = {{0}};
    g->doc = cfg_load_file(g->o->config, &ce);
    if (!g->doc)
        return load_failed(&ce, err, errsize);
    int rc = config_read(g->doc, &g->params, &ce);
    if (rc < 0) {
        snprintf(err, errsize, "%s", ce.msg[0] ? ce.msg : "trace gen: cannot read the config");
        return rc;
    }
    g->seed = g->o->seed_set ? g->o->seed : g->params.seed;
    g->page_size = g->o->page_size ? g->o->page_size : g->params.page_size;
    rc = config_vms(g, err, errsize);
    if (rc == 0 && (rc = cfg_check_unused(g->doc->root, &ce)) < 0)
        snprintf(err, errsize, "%s", ce.msg);
    add_meta(g, "config", g->o->config);
    return rc;
}

static void refill(struct stream *s)
{
    s->len = (uint16_t)workload_fill(s->wl, s->buf, SBUF);
    s->pos = 0;
}

/* One stream and one process-table entry per process, VM-major. */
static int make_streams(struct tracegen *g, char *err, size_t errsize)
{
    uint64_t n = 0;
    for (uint32_t v = 0; v < g->nvms; v++)
        n += g->sets[v].common.processes;
    if (n > TRACE_MAX_PROCS) {
        snprintf(err, errsize, "trace gen: expected at most %d processes, got %llu", TRACE_MAX_PROCS,
                 (unsigned long long)n);
        return -EINVAL;
    }
    g->cap_st = (uint32_t)n;
    g->st = mem_calloc(n, sizeof *g->st);
    g->procs = mem_calloc(n, sizeof *g->procs);
    g->heap = mem_calloc(n, sizeof *g->heap);
    if (!g->st || !g->procs || !g->heap) {
        snprintf(err, errsize, "trace gen: out of memory");
        return -ENOMEM;
    }
    for (uint32_t v = 0; v < g->nvms; v++) {
        const struct workload_set *set = &g->sets[v];
        for (uint32_t p = 0; p < set->common.processes; p++, g->nst++) {
            struct stream *s = &g->st[g->nst];
            *s = (struct stream){.wl = &set->procs[p], .think = set->common.think_ns, .pid = p, .vm = (uint16_t)v};
            g->procs[g->nst] = (struct trace_proc){.vm = (uint16_t)v, .pid = p};
            snprintf(g->procs[g->nst].name, TRACE_NAME_MAX, "p%u", p);
            refill(s);
            if (s->buf[0].op != WL_END)
                g->heap[g->nheap++] = g->nst; /* clocks all 0: index order is a heap */
        }
    }
    return 0;
}

/* ---- merging ------------------------------------------------------------- */

static int before(const struct tracegen *g, uint32_t a, uint32_t b)
{
    uint64_t ta = g->st[a].time, tb = g->st[b].time;
    return ta < tb || (ta == tb && a < b);
}

static void sift_down(struct tracegen *g, uint32_t i)
{
    uint32_t n = g->nheap, x = g->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(g, g->heap[c + 1], g->heap[c]))
            c++;
        if (!before(g, g->heap[c], x))
            break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    g->heap[i] = x;
}

/* Turn s's next reference into *r and advance s. Returns 0 when s has
 * ended (no reference left), 1 otherwise. */
static int take(struct stream *s, int sparse, struct trace_rec *r)
{
    const struct wl_ref *w = &s->buf[s->pos++];
    *r = (struct trace_rec){.time = s->time, .next = TRACE_NO_NEXT, .pid = s->pid, .vm = s->vm};
    if (w->op == WL_IDLE) {
        r->op = TRACE_IDLE;
        r->arg = (uint64_t)w->vpn * 1000u;
        s->time += r->arg;
    } else {
        r->op = w->op == WL_WRITE ? TRACE_WRITE : TRACE_READ;
        r->page = sparse ? tracegen_sparse(w->vpn) : w->vpn;
        s->time += s->think;
    }
    if (s->pos == s->len)
        refill(s);
    return s->buf[s->pos].op != WL_END;
}

size_t tracegen_fill(struct tracegen *g, struct trace_rec *out, size_t n)
{
    size_t k = 0;
    const int sparse = g->o->sparse_ids;
    while (g->nheap && k < n) {
        struct stream *s = &g->st[g->heap[0]];
        if (!take(s, sparse, &out[k++]))
            g->heap[0] = g->heap[--g->nheap];
        if (g->nheap > 1)
            sift_down(g, 0);
    }
    return k;
}

/* ---- the whole run --------------------------------------------------------- */

const struct trace_header *tracegen_header(const struct tracegen *g) { return &g->h; }

/* In-line source for tracegen_write: tracegen_fill into a buffer. */
struct inline_src {
    struct tracegen *g;
    struct trace_rec *buf;
};

static ssize_t next_inline(void *ctx, const struct trace_rec **recs, struct trace_err *err)
{
    struct inline_src *is = ctx;
    *recs = is->buf;
    return (ssize_t)tracegen_fill(is->g, is->buf, TRACEGEN_BATCH);
}

static int write_recs(const struct tracegen_opts *o, void *w, tracegen_next_fn next, void *ctx, uint64_t *nrecs,
                      struct trace_err *te)
{
    const struct trace_rec *recs;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = next(ctx, &recs, te)) != 0) {
        rc = n < 0 ? (int)n : o->to->write(w, recs, (size_t)n, te);
        *nrecs += n > 0 ? (uint64_t)n : 0;
    }
    return rc;
}

int tracegen_write(struct tracegen *g, tracegen_next_fn next, void *ctx, uint64_t *nrecs, char *err,
                   size_t errsize)
{
    const struct tracegen_opts *o = g->o;
    struct inline_src is = {.g = g};
    struct tfmt_opts fo;
    struct trace_err te = {{0}};
    void *w = NULL;
    *nrecs = 0;
    tfmt_opts_default(&fo);
    fo.page_size = g->page_size;
    if (!next && !(is.buf = mem_alloc(TRACEGEN_BATCH * sizeof *is.buf))) {
        snprintf(err, errsize, "trace gen: out of memory");
        return -ENOMEM;
    }
    int rc = o->to->open_write(o->out, &g->h, &fo, &w, &te);
    if (rc == 0) {
        rc = next ? write_recs(o, w, next, ctx, nrecs, &te) : write_recs(o, w, next_inline, &is, nrecs, &te);
        if (rc < 0)
            o->to->abort_write(w);
        else
            rc = o->to->close_write(w, &te);
    }
    if (is.buf)
        mem_free(is.buf, TRACEGEN_BATCH * sizeof *is.buf);
    if (rc < 0)
        snprintf(err, errsize, "%s", te.msg[0] ? te.msg : "trace gen: write failed");
    return rc;
}

static void gen_free(struct tracegen *g)
{
    for (uint32_t v = 0; g->sets && v < g->nvms; v++)
        workload_set_destroy(&g->sets[v]);
    uint32_t nalloc = g->o->config ? config_vm_count(&g->params) : 1;
    if (g->sets)
        mem_free(g->sets, nalloc * sizeof *g->sets);
    if (g->vms)
        mem_free(g->vms, nalloc * sizeof *g->vms);
    if (g->st)
        mem_free(g->st, g->cap_st * sizeof *g->st);
    if (g->procs)
        mem_free(g->procs, g->cap_st * sizeof *g->procs);
    if (g->heap)
        mem_free(g->heap, g->cap_st * sizeof *g->heap);
    config_free(&g->params);
    if (g->doc)
        cfg_free(g->doc);
}

void tracegen_close(struct tracegen *g)
{
    if (!g)
        return;
    gen_free(g);
    mem_free(g, sizeof *g);
}

int tracegen_open(const struct tracegen_opts *o, struct tracegen **out, char *err, size_t errsize)
{
    char seed[32];
    struct tracegen *g = mem_calloc(1, sizeof *g);
    *out = NULL;
    err[0] = 0;
    if (!g) {
        snprintf(err, errsize, "trace gen: out of memory");
        return -ENOMEM;
    }
    g->o = o;
    int rc = o->config ? load_config(g, err, errsize) : load_spec(g, err, errsize);
    if (rc == 0 && (rc = make_streams(g, err, errsize)) == 0) {
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)g->seed);
        add_meta(g, "seed", seed);
        add_meta(g, "sparse_ids", o->sparse_ids ? "true" : "false");
        g->h = (struct trace_header){.version = TRACE_VERSION, .page_size = g->page_size, .nvms = g->nvms,
                                     .nprocs = g->nst, .nmeta = g->nmeta, .vms = g->vms, .procs = g->procs,
                                     .meta = g->meta};
        *out = g;
        return 0;
    }
    tracegen_close(g);
    return rc;
}

int tracegen_run(const struct tracegen_opts *o, struct tracegen_result *res, char *err, size_t errsize)
{
    struct tracegen *g;
    memset(res, 0, sizeof *res);
    int rc = tracegen_open(o, &g, err, errsize);
    if (rc < 0)
        return rc;
    rc = tracegen_write(g, NULL, NULL, &res->records, err, errsize);
    res->vms = g->h.nvms;
    res->procs = g->h.nprocs;
    tracegen_close(g);
    return rc;
}
