/* virtio_blk.c: polling driver for a virtio-blk device on virtio-mmio
 * (modern interface, version 2), one request in flight at a time.
 *
 * Main data structure: one split virtqueue (descriptor table, driver ring,
 * device ring, one page each) plus the request header and status byte.
 * Every request is the same 3-descriptor chain 0 -> 1 -> 2 (header, data,
 * status), submitted and then polled to completion, so invariant: between
 * requests the device ring index equals blk.used_seen and no descriptor is
 * owned by the device. Buffers are passed by physical address, which equals
 * the kernel virtual address (identity mapping). No interrupts are used. */
#include "kernel.h"
#include "memlayout.h"
#include "virtio_mmio.h"

#define QSIZE           8
#define BLK_T_IN        0
#define BLK_T_OUT       1
#define SECTOR_SIZE     512
#define MAX_SECTORS     256 /* 128 KiB per request */

VQ_RING_TYPES(QSIZE)

struct blk_req {
    uint32 type, reserved;
    uint64 sector;
};

static struct {
    uint64 base; /* kernel VA of the register window; 0 = no device */
    uint64 capacity;
    struct vq_desc *desc;
    struct vq_avail *avail;
    struct vq_used *used;
    uint16 used_seen;
    struct blk_req req;
    volatile uint8 status;
} blk;

/* Sets up queue 0 (three kernel pages) and reads the capacity; 0 or -1. */
static int setup_device(void)
{
    if (vmmio_negotiate(blk.base) < 0)
        return -1;
    blk.desc = kalloc_page();
    blk.avail = kalloc_page();
    blk.used = kalloc_page();
    if (!blk.desc || !blk.avail || !blk.used)
        return -1;
    blk.avail->flags = AVAIL_F_NO_INTR;
    if (vmmio_queue(blk.base, 0, QSIZE, blk.desc, blk.avail, blk.used) < 0)
        return -1;
    vmmio_live(blk.base);
    blk.capacity = vmmio_rd(blk.base, VM_CONFIG) | ((uint64)vmmio_rd(blk.base, VM_CONFIG + 4) << 32);
    return 0;
}

/* Finds the first virtio-blk slot and initialises it; 0 or -1 if none. */
int virtio_blk_probe(void)
{
    int i = -1;
    while ((blk.base = vmmio_find(VIRTIO_ID_BLK, i, &i)) != 0) {
        if (vmmio_rd(blk.base, VM_VERSION) == 2 && setup_device() == 0)
            return 0;
        console_printf("virtio-blk: slot %d unusable (need modern virtio-mmio)\n", i);
    }
    return -1;
}

uint64 virtio_blk_capacity(void)
{
    return blk.base ? blk.capacity : 0;
}

/* Reads or writes count 512-byte sectors starting at sector, to or from
 * the physically contiguous kernel buffer buf (e.g. one page = 8 sectors
 * for swap). Returns 0, or -1 on a bad range, no device or a device error. */
int virtio_blk_rw(uint64 sector, void *buf, uint32 count, int write)
{
    if (!blk.base || count == 0 || count > MAX_SECTORS ||
        sector >= blk.capacity || count > blk.capacity - sector)
        return -1;
    blk.req.type = write ? BLK_T_OUT : BLK_T_IN;
    blk.req.reserved = 0;
    blk.req.sector = sector;
    blk.status = 0xff;
    blk.desc[0] = (struct vq_desc){(uint64)&blk.req, sizeof blk.req, DESC_F_NEXT, 1};
    blk.desc[1] = (struct vq_desc){(uint64)buf, count * SECTOR_SIZE,
                                   DESC_F_NEXT | (write ? 0 : DESC_F_WRITE), 2};
    blk.desc[2] = (struct vq_desc){(uint64)&blk.status, 1, DESC_F_WRITE, 0};
    blk.avail->ring[blk.avail->idx % QSIZE] = 0;
    __sync_synchronize();
    blk.avail->idx++;
    vmmio_kick_wait(blk.base, 0, &blk.used->idx, &blk.used_seen);
    return blk.status == 0 ? 0 : -1;
}
