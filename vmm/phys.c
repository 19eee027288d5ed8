/* phys: guest-physical memory as a table of host frames plus MMIO ranges.
 *
 * Main structure: frames[i] is the host frame backing guest frame i of the RAM
 * window (NULL when the VMM has unmapped it), meta[i] holds the frame's code
 * generation and flags, mmio[] a short table of disjoint device ranges.
 * Invariant: MMIO ranges never overlap each other or the RAM window, and a
 * frame's gen changes whenever its contents may change behind a CPU's back
 * (remap, phys_write to a frame holding translated code).
 */
#include "vmm/phys.h"

#include <errno.h>
#include <string.h>

#include "sim/mem.h"

struct phys *phys_new(uint64_t ram_base, uint64_t ram_size)
{
    if ((ram_base | ram_size) & (PHYS_PAGE_SIZE - 1) || ram_size == 0 ||
        ram_base + ram_size < ram_base)
        return NULL;
    struct phys *p = mem_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->ram_base = ram_base;
    p->ram_size = ram_size;
    p->nframes = ram_size >> PHYS_PAGE_SHIFT;
    p->frames = mem_calloc(p->nframes, sizeof(*p->frames));
    p->meta = mem_calloc(p->nframes, sizeof(*p->meta));
    p->pool = mem_calloc(p->nframes, PHYS_PAGE_SIZE);
    if (!p->frames || !p->meta || !p->pool) {
        phys_free(p);
        return NULL;
    }
    for (uint64_t i = 0; i < p->nframes; i++)
        p->frames[i] = p->pool + i * PHYS_PAGE_SIZE;
    return p;
}

void phys_free(struct phys *p)
{
    if (!p)
        return;
    if (p->frames)
        mem_free(p->frames, p->nframes * sizeof(*p->frames));
    if (p->meta)
        mem_free(p->meta, p->nframes * sizeof(*p->meta));
    if (p->pool)
        mem_free(p->pool, p->nframes * PHYS_PAGE_SIZE);
    mem_free(p, sizeof(*p));
}

int phys_map(struct phys *p, uint64_t gpa, uint8_t *host, uint8_t **old)
{
    if (!phys_is_ram(p, gpa))
        return -EINVAL;
    uint64_t i = phys_frame(p, gpa);
    if (old)
        *old = p->frames[i];
    p->frames[i] = host;
    phys_code_changed(p, i);
    return 0;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    /* both ranges are non-empty and non-wrapping */
    return a < b + blen && b < a + alen;
}

int phys_mmio_add(struct phys *p, uint64_t base, uint64_t size,
                  const struct phys_mmio_ops *ops, void *opaque)
{
    if (size == 0 || base + size < base || base + size == 0 || !ops)
        return -EINVAL;
    if (overlaps(base, size, p->ram_base, p->ram_size))
        return -EINVAL;
    for (int i = 0; i < p->nmmio; i++)
        if (overlaps(base, size, p->mmio[i].base, p->mmio[i].size))
            return -EINVAL;
    if (p->nmmio == PHYS_MMIO_MAX)
        return -ENOSPC;
    p->mmio[p->nmmio++] = (struct phys_mmio){base, size, ops, opaque};
    return 0;
}

const struct phys_mmio *phys_mmio_find(const struct phys *p, uint64_t gpa, uint64_t len)
{
    for (int i = 0; i < p->nmmio; i++) {
        const struct phys_mmio *m = &p->mmio[i];
        uint64_t off = gpa - m->base;
        if (off < m->size && len <= m->size - off)
            return m;
    }
    return NULL;
}

int phys_write(struct phys *p, uint64_t gpa, const void *src, uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint8_t *h = phys_ptr(p, gpa);
        if (!h)
            return -EFAULT;
        uint64_t n = PHYS_PAGE_SIZE - (gpa & (PHYS_PAGE_SIZE - 1));
        if (n > len)
            n = len;
        if (p->meta[phys_frame(p, gpa)].flags & PHYS_F_CODE)
            phys_code_changed(p, phys_frame(p, gpa));
        memcpy(h, s, n);
        s += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

int phys_read(const struct phys *p, uint64_t gpa, void *dst, uint64_t len)
{
    uint8_t *d = dst;
    while (len) {
        const uint8_t *h = phys_ptr(p, gpa);
        if (!h)
            return -EFAULT;
        uint64_t n = PHYS_PAGE_SIZE - (gpa & (PHYS_PAGE_SIZE - 1));
        if (n > len)
            n = len;
        memcpy(d, h, n);
        d += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

int phys_check(const struct phys *p)
{
    if (p->nframes != p->ram_size >> PHYS_PAGE_SHIFT || p->nmmio > PHYS_MMIO_MAX)
        return -EIO;
    for (int i = 0; i < p->nmmio; i++) {
        const struct phys_mmio *a = &p->mmio[i];
        if (overlaps(a->base, a->size, p->ram_base, p->ram_size))
            return -EIO;
        for (int j = i + 1; j < p->nmmio; j++)
            if (overlaps(a->base, a->size, p->mmio[j].base, p->mmio[j].size))
                return -EIO;
    }
    return 0;
}
