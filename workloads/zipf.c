/* zipf: Zipf-distributed page references, and the Zipf sampler that the
 * phases generator reuses (workloads/zipf.h).
 *
 * Sampling: up to ZIPF_ALIAS_MAX items, GSL's alias method
 * (gsl_ran_discrete: O(1) a draw, 16 bytes an item); above, the
 * rejection-inversion method of Hoermann and Derflinger (1996), exact for
 * the Zipf law, O(1) memory, a few transcendental calls a draw.
 * Scattering: rank r becomes item P(r-1) where P is three keyed
 * multiply/xor-shift rounds on the smallest power of two >= n, cycle-walked
 * back into [0, n) (domain under 2n: under 2 walks on average).
 *
 * Main data structure: struct zipf_dist (alias table or rejection constants,
 * permutation keys). Invariant: zipf_dist_draw returns an item < n, and P is a
 * bijection on [0, n) fixed at init.
 *
 * Generator keys: alpha (> 0, default 0.9), scatter (default true).
 */
#include "workloads/zipf.h"

#include <errno.h>
#include <math.h>

#include "sim/mem.h"
#include "workloads/workload.h"

int zipf_read_alpha(struct cfg_node *map, const char *key, const char *def, double *out, struct cfg_err *err)
{
    int rc = cfg_dbl(map, key, def, 0.0, 100.0, out, err);
    if (rc)
        return rc;
    if (*out <= 0.0) {
        const struct cfg_node *n = cfg_get(map, key);
        return cfg_error(err, n, "expected a number > 0, got \"%s\"", n && n->value ? n->value : "");
    }
    return 0;
}

/* ---- rejection-inversion helpers (stable near alpha = 1) ---------------- */

static double helper1(double x) /* log1p(x) / x */
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double helper2(double x) /* expm1(x) / x */
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

/* H(x) = integral of t^-alpha from 1 to x; Hinv its inverse; h the density. */
static double big_h(double alpha, double x)
{
    double lx = log(x);
    return helper2((1.0 - alpha) * lx) * lx;
}

/* Hinv(x) = (1 + (1-alpha) x)^(1/(1-alpha)). Away from alpha = 1 the plain
 * log(1 + t) loses at most eps/|1-alpha| relative accuracy, which cannot
 * move a rank, and is much cheaper than log1p; near 1 the series is used. */
static double big_h_inv(const struct zipf_dist *d, double x)
{
    double t = x * d->oma;
    if (t < -1.0)
        t = -1.0; /* rounding at the far end of the range */
    if (d->fast_inv)
        return exp(log(1.0 + t) * d->inv_oma);
    return exp(helper1(t) * x);
}

static double small_h(double alpha, double x)
{
    return exp(-alpha * log(x));
}

static uint32_t ri_rank(const struct zipf_dist *d, gsl_rng *rng)
{
    for (;;) {
        double u = d->hn + gsl_rng_uniform(rng) * (d->hx1 - d->hn);
        double x = big_h_inv(d, u);
        double kd = floor(x + 0.5);
        if (kd < 1.0)
            kd = 1.0;
        else if (kd > d->n)
            kd = d->n;
        if (kd - x <= d->s || u >= big_h(d->alpha, kd + 0.5) - small_h(d->alpha, kd))
            return (uint32_t)kd;
    }
}

/* ---- scatter permutation ------------------------------------------------ */

/* One keyed round on b-bit words: xor a key, multiply by an odd constant
 * mod 2^b, xor-shift right. Each step is invertible, so the round is a
 * bijection on [0, 2^b); the multiply carries low bits up, the shift
 * carries high bits down. */
static uint32_t scatter_round(const struct zipf_dist *d, uint32_t x, int i)
{
    static const uint32_t mul[3] = {0x9e3779b1u, 0x85ebca77u, 0xc2b2ae3du};
    x = ((x ^ d->key[i]) * mul[i]) & d->mask;
    return x ^ (x >> d->shift);
}

uint32_t zipf_dist_item(const struct zipf_dist *d, uint32_t rank)
{
    uint32_t v = rank - 1;
    if (!d->scatter)
        return v;
    do /* cycle-walk: the domain is under 2n, so under 2 walks on average */
        v = scatter_round(d, scatter_round(d, scatter_round(d, v, 0), 1), 2);
    while (v >= d->n);
    return v;
}

/* ---- the sampler -------------------------------------------------------- */

int zipf_dist_init(struct zipf_dist *d, uint32_t n, double alpha, int scatter, enum zipf_method method,
                   gsl_rng *rng)
{
    unsigned bits = 1;
    *d = (struct zipf_dist){.n = n, .alpha = alpha, .scatter = scatter};
    while (bits < 32 && (1ull << bits) < n)
        bits++;
    d->mask = (uint32_t)((1ull << bits) - 1);
    d->shift = (bits + 1) / 2;
    for (int i = 0; i < 3; i++)
        d->key[i] = (uint32_t)gsl_rng_get(rng) & d->mask;
    if (method == ZIPF_REJECTION || (method == ZIPF_AUTO && n > ZIPF_ALIAS_MAX)) {
        d->hx1 = big_h(alpha, 1.5) - 1.0;
        d->hn = big_h(alpha, n + 0.5);
        d->oma = 1.0 - alpha;
        d->fast_inv = fabs(d->oma) >= 1e-3;
        d->inv_oma = d->fast_inv ? 1.0 / d->oma : 0.0;
        d->s = 2.0 - big_h_inv(d, big_h(alpha, 2.5) - small_h(alpha, 2.0));
        return 0;
    }
    double *p = mem_alloc((size_t)n * sizeof *p);
    if (!p)
        return -ENOMEM;
    for (uint32_t r = 1; r <= n; r++)
        p[r - 1] = pow((double)r, -alpha);
    d->alias = gsl_ran_discrete_preproc(n, p);
    mem_free(p, (size_t)n * sizeof *p);
    return d->alias ? 0 : -ENOMEM;
}

void zipf_dist_fini(struct zipf_dist *d)
{
    if (d->alias)
        gsl_ran_discrete_free(d->alias);
    d->alias = NULL;
}

uint32_t zipf_dist_draw(const struct zipf_dist *d, gsl_rng *rng)
{
    uint32_t rank = d->alias ? (uint32_t)gsl_ran_discrete(rng, d->alias) + 1 : ri_rank(d, rng);
    return zipf_dist_item(d, rank);
}

size_t zipf_dist_footprint(const struct zipf_dist *d)
{
    if (!d->alias)
        return 0;
    return sizeof *d->alias + (size_t)d->n * (sizeof(size_t) + sizeof(double));
}

/* ---- the `zipf` generator ----------------------------------------------- */

struct zipf_gen {
    struct zipf_dist d;
    gsl_rng *rng;
};

static int zipf_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    double alpha;
    int scatter, rc;

    if ((rc = zipf_read_alpha(params, "alpha", "0.9", &alpha, err)))
        return rc;
    if ((rc = cfg_bool(params, "scatter", "true", &scatter, err)))
        return rc;
    struct zipf_gen *g = mem_alloc(sizeof *g);
    if (!g)
        goto nomem;
    g->rng = env->rng;
    if (zipf_dist_init(&g->d, env->common->pages, alpha, scatter, ZIPF_AUTO, env->rng)) {
        mem_free(g, sizeof *g);
        goto nomem;
    }
    *self = g;
    return 0;
nomem:
    snprintf(err->msg, sizeof err->msg, "zipf: out of memory");
    return -ENOMEM;
}

static void zipf_destroy(void *self)
{
    struct zipf_gen *g = self;
    zipf_dist_fini(&g->d);
    mem_free(g, sizeof *g);
}

static size_t zipf_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct zipf_gen *g = self;
    for (size_t i = 0; i < n; i++)
        buf[i] = (struct wl_ref){.vpn = zipf_dist_draw(&g->d, g->rng), .op = WL_READ};
    return n;
}

static size_t zipf_footprint(const void *self)
{
    const struct zipf_gen *g = self;
    return sizeof *g + zipf_dist_footprint(&g->d);
}

const struct workload_ops zipf_ops = {
    .name = "zipf",
    .desc = "Zipf(alpha) popularity over the footprint, hot pages scattered",
    .create = zipf_create,
    .destroy = zipf_destroy,
    .fill = zipf_fill,
    .footprint = zipf_footprint,
};
