/* phys: guest-physical memory of one VM (RAM frames + MMIO ranges).
 *
 * RAM is a window [ram_base, ram_base + ram_size) split into 4 KiB guest
 * frames. Each guest frame points at a host frame (or is NULL: unmapped), so a
 * VMM can remap or unmap single frames (paging, sharing, ballooning). Every
 * other physical address belongs to an MMIO range or to nobody.
 *
 * Contract with the CPU: after phys_map()/phys_unmap() the caller must call
 * cpu_tlb_flush() on every CPU using this phys (the CPU caches host pointers).
 */
#ifndef VMMSIM_PHYS_H
#define VMMSIM_PHYS_H

#include <stddef.h>
#include <stdint.h>

#define PHYS_PAGE_SHIFT 12
#define PHYS_PAGE_SIZE  4096ULL
#define PHYS_MMIO_MAX   16

/* Per-frame flags (phys.meta[i].flags). A frame with any flag set is never
 * entered in a CPU's write TLB, so every store to it takes the slow path. */
#define PHYS_F_CODE  1u   /* a CPU holds translated blocks from this frame */
#define PHYS_F_WATCH 2u   /* stores are checked against a watched address (HTIF) */

/* MMIO callbacks: off is relative to the range base, size is 1, 2, 4 or 8.
 * Return 0, or a negative value to make the access fault (access fault). */
struct phys_mmio_ops {
    int (*read)(void *opaque, uint64_t off, int size, uint64_t *val);
    int (*write)(void *opaque, uint64_t off, int size, uint64_t val);
};

struct phys_mmio {
    uint64_t base, size;
    const struct phys_mmio_ops *ops;
    void *opaque;
};

struct phys_meta {
    uint32_t gen;     /* bumped whenever the frame's code may have changed */
    uint8_t flags;    /* PHYS_F_* */
};

struct phys {
    uint64_t ram_base, ram_size;   /* page aligned */
    uint64_t nframes;
    uint8_t **frames;              /* host frame per guest frame, NULL = unmapped */
    struct phys_meta *meta;        /* per guest frame */
    uint8_t *pool;                 /* the host frames allocated by phys_new */
    uint64_t code_epoch;           /* bumped whenever any frame's gen changes */
    int nmmio;
    struct phys_mmio mmio[PHYS_MMIO_MAX];
};

/* A new phys with ram_size bytes of zeroed RAM at ram_base, every frame mapped
 * to its own host frame. Both must be page aligned and the window must not
 * wrap. NULL on failure. */
struct phys *phys_new(uint64_t ram_base, uint64_t ram_size);
void phys_free(struct phys *p);

/* Host pointer of the byte at gpa if it is in a mapped RAM frame, else NULL.
 * The pointer is valid up to the end of that 4 KiB frame. */
static inline uint8_t *phys_ptr(const struct phys *p, uint64_t gpa)
{
    uint64_t off = gpa - p->ram_base;
    if (off >= p->ram_size)
        return NULL;
    uint8_t *f = p->frames[off >> PHYS_PAGE_SHIFT];
    return f ? f + (off & (PHYS_PAGE_SIZE - 1)) : NULL;
}

/* The contents of guest frame i may have changed under translated code:
 * make its blocks stale (CPUs compare code_epoch to drop cached lookups). */
static inline void phys_code_changed(struct phys *p, uint64_t i)
{
    p->meta[i].gen++;
    p->meta[i].flags &= (uint8_t)~PHYS_F_CODE;
    p->code_epoch++;
}

/* Non-zero if gpa lies inside the RAM window (mapped or not). */
static inline int phys_is_ram(const struct phys *p, uint64_t gpa)
{
    return gpa - p->ram_base < p->ram_size;
}

/* Frame index of a RAM address (precondition: phys_is_ram). */
static inline uint64_t phys_frame(const struct phys *p, uint64_t gpa)
{
    return (gpa - p->ram_base) >> PHYS_PAGE_SHIFT;
}

/* Point guest frame containing gpa at host (a 4 KiB host frame owned by the
 * caller, or NULL to unmap). Returns the previous host frame through old if
 * non-NULL. -EINVAL if gpa is outside RAM. Bumps the frame's code gen. */
int phys_map(struct phys *p, uint64_t gpa, uint8_t *host, uint8_t **old);

/* Register an MMIO range; -EINVAL on empty/wrapping range or overlap with RAM
 * or another range, -ENOSPC when the table is full. */
int phys_mmio_add(struct phys *p, uint64_t base, uint64_t size,
                  const struct phys_mmio_ops *ops, void *opaque);

/* The range containing [gpa, gpa+len) entirely, or NULL. Overflow safe. */
const struct phys_mmio *phys_mmio_find(const struct phys *p, uint64_t gpa, uint64_t len);

/* Copy to/from guest-physical RAM (loader, tests); -EFAULT if any byte is not
 * in a mapped RAM frame. Writes mark touched frames' code as changed. */
int phys_write(struct phys *p, uint64_t gpa, const void *src, uint64_t len);
int phys_read(const struct phys *p, uint64_t gpa, void *dst, uint64_t len);

/* Verify invariants (frames inside RAM window, MMIO ranges disjoint). 0 or -EIO. */
int phys_check(const struct phys *p);

#endif
