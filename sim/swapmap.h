/* swapmap: slot allocator of a swap device (guest swap or host swap).
 *
 * A bit vector of used slots and a next-fit cursor: consecutive allocations
 * get consecutive slots while the device has room, so a burst of swap-outs
 * is a sequential write, as with Linux's swap clusters.
 */
#ifndef VMMSIM_SWAPMAP_H
#define VMMSIM_SWAPMAP_H

#include <stddef.h>
#include <stdint.h>

#define SWAP_NONE UINT32_MAX

struct swapmap {
    uint64_t *bits;
    uint32_t nslots, used, cursor;
};

int  swapmap_init(struct swapmap *s, uint32_t nslots);   /* 0 or -ENOMEM */
void swapmap_destroy(struct swapmap *s);
uint32_t swapmap_alloc(struct swapmap *s);               /* SWAP_NONE when full */
void swapmap_free(struct swapmap *s, uint32_t slot);     /* slot must be in use */
int  swapmap_used(const struct swapmap *s, uint32_t slot);
size_t swapmap_footprint(const struct swapmap *s);

#endif
