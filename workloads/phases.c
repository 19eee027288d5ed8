/* phases: a program that moves through working-set phases.
 *
 * Key `phases` is a sequence; each item is either
 *   {refs: N, wss: RATIO, offset: RATIO, shift: RATIO, dist: uniform|zipf,
 *    alpha: X, scatter: BOOL}
 * (N references uniform, or Zipf, over the window of wss*pages pages that
 * starts at offset*pages; every time the sequence repeats the window start
 * moves by shift*pages, wrapping around the footprint) or
 *   {idle: TIME}
 * (one IDLE record of TIME in microseconds). Key `repeat` (default true)
 * cycles through the sequence; with repeat: false, trailing idle phases are
 * emitted once and the last reference phase then continues until the
 * framework's refs budget ends the process. Ratios are rounded to the nearest
 * page. Defaults: wss 100%, offset 0, shift 0, dist uniform, alpha 0.9.
 *
 * Main data structure: struct phases_gen, a cursor (cur, left) over an
 * array of struct phase. Invariants: every window has 1..pages pages and
 * lies inside the footprint at repetition 0; at least one phase makes
 * references (so a fill always makes progress towards the budget).
 */
#include <errno.h>
#include <math.h>

#include "sim/mem.h"
#include "workloads/workload.h"
#include "workloads/zipf.h"

struct phase {
    uint64_t refs;       /* 0 = an idle phase */
    uint32_t idle_us;
    uint32_t start;      /* window start in the current repetition */
    uint32_t w, shift;   /* window and shift, pages */
    int zipf;
    struct zipf_dist d;
};

struct phases_gen {
    uint32_t pages;
    int repeat;
    size_t n, cur, last_ref;
    uint64_t left;       /* references left in phase cur; UINT64_MAX = forever */
    gsl_rng *rng;
    struct phase ph[];
};

static size_t gen_size(size_t n)
{
    return sizeof(struct phases_gen) + n * sizeof(struct phase);
}

static uint32_t ratio_pages(double r, uint32_t pages)
{
    return (uint32_t)floor(r * pages + 0.5);
}

static int read_idle(struct cfg_node *m, struct phase *p, struct cfg_err *err)
{
    uint64_t ns;
    int rc = cfg_time(m, "idle", NULL, &ns, err);
    if (rc)
        return rc;
    if (ns < 1000 || ns / 1000 > UINT32_MAX)
        return cfg_error(err, cfg_get(m, "idle"), "expected a time in [1us, %lluus], got \"%s\"",
                         (unsigned long long)UINT32_MAX, cfg_get(m, "idle")->value);
    p->idle_us = (uint32_t)(ns / 1000);
    return 0;
}

/* refs, wss, offset, shift: the window [offset, offset + wss) in pages. */
static int read_window(struct cfg_node *m, uint32_t pages, struct phase *p, struct cfg_err *err)
{
    double wss, off, shift;
    int rc;
    if ((rc = cfg_uint(m, "refs", NULL, 1, UINT64_MAX, &p->refs, err)) ||
        (rc = cfg_ratio(m, "wss", "100%", 0.0, 1.0, &wss, err)) ||
        (rc = cfg_ratio(m, "offset", "0", 0.0, 1.0, &off, err)) ||
        (rc = cfg_ratio(m, "shift", "0", 0.0, 1.0, &shift, err)))
        return rc;
    p->w = ratio_pages(wss, pages);
    p->start = ratio_pages(off, pages);
    p->shift = ratio_pages(shift, pages) % pages;
    if (p->w == 0)
        return cfg_error(err, cfg_get(m, "wss"), "expected a window of at least one page, got 0 of %u pages", pages);
    if (p->start > pages - p->w)
        return cfg_error(err, m, "expected a window inside the footprint of %u pages, got pages [%u, %llu)", pages,
                         p->start, (unsigned long long)p->start + p->w);
    return 0;
}

static int read_phase(struct cfg_node *m, uint32_t pages, gsl_rng *rng, struct phase *p, struct cfg_err *err)
{
    static const char *const dists[] = {"uniform", "zipf", NULL};
    double alpha;
    int dist, scatter, rc;

    if ((rc = cfg_want_map(m, err)))
        return rc;
    if (cfg_get(m, "idle"))
        return read_idle(m, p, err);
    if ((rc = read_window(m, pages, p, err)) || (rc = cfg_choice(m, "dist", "uniform", dists, &dist, err)))
        return rc;
    if (dist == 0)
        return 0;
    if ((rc = zipf_read_alpha(m, "alpha", "0.9", &alpha, err)) || (rc = cfg_bool(m, "scatter", "true", &scatter, err)))
        return rc;
    p->zipf = 1;
    if (zipf_dist_init(&p->d, p->w, alpha, scatter, ZIPF_AUTO, rng)) {
        snprintf(err->msg, sizeof err->msg, "phases: out of memory");
        return -ENOMEM;
    }
    return 0;
}

static void phases_destroy(void *self)
{
    struct phases_gen *g = self;
    for (size_t i = 0; i < g->n; i++)
        zipf_dist_fini(&g->ph[i].d);
    mem_free(g, gen_size(g->n));
}

static void enter(struct phases_gen *g, size_t i)
{
    g->cur = i;
    g->left = g->ph[i].refs;
}

static int read_phases(struct cfg_node *params, struct phases_gen *g, struct cfg_err *err)
{
    struct cfg_node *seq = cfg_get(params, "phases");
    int rc, any_ref = 0;
    for (size_t i = 0; i < g->n; i++) {
        if ((rc = read_phase(cfg_item(seq, i), g->pages, g->rng, &g->ph[i], err)))
            return rc;
        if (g->ph[i].refs) {
            any_ref = 1;
            g->last_ref = i;
        }
    }
    if (!any_ref)
        return cfg_error(err, seq, "expected at least one phase with refs, got only idle phases");
    return cfg_bool(params, "repeat", "true", &g->repeat, err);
}

static int phases_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    struct cfg_node *seq = cfg_get(params, "phases");
    int rc;
    if (!seq)
        return cfg_error(err, params, "missing key 'phases' (expected a sequence of phases)");
    if ((rc = cfg_want_seq(seq, err)))
        return rc;
    if (seq->n == 0)
        return cfg_error(err, seq, "expected at least one phase, got an empty sequence");
    struct phases_gen *g = mem_calloc(1, gen_size(seq->n));
    if (!g) {
        snprintf(err->msg, sizeof err->msg, "phases: out of memory");
        return -ENOMEM;
    }
    g->pages = env->common->pages;
    g->rng = env->rng;
    g->n = seq->n;
    if ((rc = read_phases(params, g, err))) {
        phases_destroy(g);
        return rc;
    }
    enter(g, 0);
    *self = g;
    return 0;
}

/* Move to the next phase; at the end of the sequence either start the next
 * repetition (windows shift) or stay in the last reference phase for good. */
static void advance(struct phases_gen *g)
{
    if (g->cur + 1 < g->n) {
        enter(g, g->cur + 1);
        return;
    }
    if (!g->repeat) {
        g->cur = g->last_ref;
        g->left = UINT64_MAX;
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct phase *p = &g->ph[i];
        p->start = p->start >= g->pages - p->shift ? p->start - (g->pages - p->shift) : p->start + p->shift;
    }
    enter(g, 0);
}

static uint32_t draw(const struct phases_gen *g, const struct phase *p)
{
    uint32_t x = p->zipf ? zipf_dist_draw(&p->d, g->rng) : (uint32_t)gsl_rng_uniform_int(g->rng, p->w);
    return x >= g->pages - p->start ? x - (g->pages - p->start) : x + p->start;
}

static size_t phases_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct phases_gen *g = self;
    size_t i = 0;
    while (i < n) {
        const struct phase *p = &g->ph[g->cur];
        if (!p->refs) {
            buf[i++] = (struct wl_ref){.vpn = p->idle_us, .op = WL_IDLE};
            advance(g);
            continue;
        }
        size_t k = n - i < g->left ? n - i : (size_t)g->left;
        for (size_t j = 0; j < k; j++)
            buf[i++] = (struct wl_ref){.vpn = draw(g, p), .op = WL_READ};
        if (g->left != UINT64_MAX && (g->left -= k) == 0)
            advance(g);
    }
    return n;
}

static size_t phases_footprint(const void *self)
{
    const struct phases_gen *g = self;
    size_t bytes = gen_size(g->n);
    for (size_t i = 0; i < g->n; i++)
        bytes += zipf_dist_footprint(&g->ph[i].d);
    return bytes;
}

const struct workload_ops phases_ops = {
    .name = "phases",
    .desc = "a sequence of working-set windows and idle periods (keys: phases, repeat)",
    .create = phases_create,
    .destroy = phases_destroy,
    .fill = phases_fill,
    .footprint = phases_footprint,
};
