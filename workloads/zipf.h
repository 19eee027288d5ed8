/* zipf: a Zipf(alpha) sampler over n items, shared by the `zipf` generator
 * and the zipf phases of `phases`.
 *
 * Rank r in 1..n is drawn with probability proportional to 1/r^alpha, then
 * mapped to an item in [0, n): with scatter, through a fixed pseudo-random
 * permutation (keyed multiply/xor-shift rounds, so hot items are spread over the
 * range without a table); without scatter, item = r - 1.
 */
#ifndef VMMSIM_ZIPF_H
#define VMMSIM_ZIPF_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/cfg.h"

/* Above this many items the alias table (16 bytes an item) gives way to
 * rejection-inversion sampling, which needs no table. Measured on the
 * development machine: GSL's alias draw costs 20-26 ns while its table fits
 * in cache (<= 64Ki items, 1 MiB) and 150-250 ns beyond (two cache misses a
 * draw), rejection-inversion 50-80 ns at any size. */
#define ZIPF_ALIAS_MAX (1u << 16)

struct zipf_dist {
    uint32_t n;
    double alpha;
    gsl_ran_discrete_t *alias;   /* alias method, else NULL: rejection-inversion */
    double hx1, hn, s;           /* rejection-inversion constants */
    double oma, inv_oma;         /* 1 - alpha and its inverse */
    int fast_inv;                /* |1 - alpha| >= 1e-3: Hinv through log */
    int scatter;
    uint32_t mask;               /* scatter domain 2^b - 1, the least >= n - 1 */
    unsigned shift;              /* xor-shift distance, (b + 1) / 2 */
    uint32_t key[3];
};

/* Read a positive exponent `key` (default def) from map. 0 or -EINVAL. */
int zipf_read_alpha(struct cfg_node *map, const char *key, const char *def, double *out, struct cfg_err *err);

/* How ranks are drawn; ZIPF_AUTO picks by n (tests force one method). */
enum zipf_method { ZIPF_AUTO, ZIPF_ALIAS, ZIPF_REJECTION };

/* Prepare d; draws the permutation keys from rng. 0 or -ENOMEM. */
int zipf_dist_init(struct zipf_dist *d, uint32_t n, double alpha, int scatter, enum zipf_method method,
                   gsl_rng *rng);
void zipf_dist_fini(struct zipf_dist *d);
/* An item in [0, n). Allocates nothing. */
uint32_t zipf_dist_draw(const struct zipf_dist *d, gsl_rng *rng);
/* The item that rank r (1-based) maps to. */
uint32_t zipf_dist_item(const struct zipf_dist *d, uint32_t rank);
/* Bytes of tables held (the alias table; the struct itself is the caller's). */
size_t zipf_dist_footprint(const struct zipf_dist *d);

#endif
