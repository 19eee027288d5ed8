/* clint: CLINT registers as an MMIO device over the hart's timer state.
 *
 * msip (offset 0) drives mip.MSIP, mtimecmp (0x4000) and mtime (0xbff8) are
 * the hart's own fields (struct cpu keeps them so its run loop can slice the
 * budget at the timer deadline). The device has no state of its own, so the
 * invariant is simply that it reads and writes through to the hart. Accesses
 * may be 4 or 8 bytes, naturally aligned; anything else faults.
 */
#include "vmm/clint.h"

#include <errno.h>

#define MSIP_OFF 0x0
#define MTIMECMP_OFF 0x4000
#define MTIME_OFF 0xbff8

/* Merge a 4-byte write at byte offset (0 or 4) into a 64-bit register. */
static uint64_t merge(uint64_t old, uint64_t off, int size, uint64_t val)
{
    if (size == 8)
        return val;
    int sh = (int)(off & 4) * 8;
    return (old & ~(0xffffffffULL << sh)) | ((val & 0xffffffffULL) << sh);
}

static int clint_read(void *opaque, uint64_t off, int size, uint64_t *val)
{
    struct cpu *c = opaque;
    uint64_t v;
    if (size != 4 && size != 8)
        return -EINVAL;
    if (off < 4)
        v = (c->csr.mip >> CPU_IRQ_MSI) & 1;
    else if ((off & ~7ULL) == MTIMECMP_OFF)
        v = c->mtimecmp;
    else if ((off & ~7ULL) == MTIME_OFF)
        v = cpu_mtime(c);
    else
        v = 0;
    *val = size == 8 ? v : (v >> ((off & 4) * 8)) & 0xffffffffULL;
    return 0;
}

static int clint_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    struct cpu *c = opaque;
    if (size != 4 && size != 8)
        return -EINVAL;
    if (off < 4)
        cpu_set_irq(c, CPU_IRQ_MSI, (int)(val & 1));
    else if ((off & ~7ULL) == MTIMECMP_OFF)
        cpu_set_mtimecmp(c, merge(c->mtimecmp, off, size, val));
    else if ((off & ~7ULL) == MTIME_OFF)
        cpu_set_mtime(c, merge(cpu_mtime(c), off, size, val));
    return 0;
}

static const struct phys_mmio_ops clint_ops = {clint_read, clint_write};

int clint_attach(struct cpu *c)
{
    return phys_mmio_add(c->phys, CLINT_BASE, CLINT_SIZE, &clint_ops, c);
}
