/* densemap: 64-bit keys numbered densely in first-seen order. */
#ifndef VMMSIM_DENSEMAP_H
#define VMMSIM_DENSEMAP_H

#include <stddef.h>
#include <stdint.h>

struct densemap {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t cap, n;              /* cap a power of two (0 = empty map), n <= cap / 2 */
};

/* Number of key k, or UINT32_MAX if absent. */
uint32_t densemap_get(const struct densemap *m, uint64_t k);
/* Number of k, giving it the next number n if absent; UINT32_MAX when
 * growing the map fails (the map is unchanged then). */
uint32_t densemap_add(struct densemap *m, uint64_t k);
/* Free the arrays and reset to the empty map. */
void densemap_free(struct densemap *m);
size_t densemap_bytes(const struct densemap *m);

#endif
