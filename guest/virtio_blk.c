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

/* virtio-mmio register offsets */
#define VM_MAGIC        0x000
#define VM_VERSION      0x004
#define VM_DEVICE_ID    0x008
#define VM_DEV_FEAT     0x010
#define VM_DEV_FEAT_SEL 0x014
#define VM_DRV_FEAT     0x020
#define VM_DRV_FEAT_SEL 0x024
#define VM_QUEUE_SEL    0x030
#define VM_QUEUE_MAX    0x034
#define VM_QUEUE_NUM    0x038
#define VM_QUEUE_READY  0x044
#define VM_QUEUE_NOTIFY 0x050
#define VM_INT_STATUS   0x060
#define VM_INT_ACK      0x064
#define VM_STATUS       0x070
#define VM_DESC_LO      0x080
#define VM_DESC_HI      0x084
#define VM_DRIVER_LO    0x090
#define VM_DRIVER_HI    0x094
#define VM_DEVICE_LO    0x0a0
#define VM_DEVICE_HI    0x0a4
#define VM_CONFIG       0x100

#define VIRTIO_MAGIC    0x74726976U
#define VIRTIO_ID_BLK   2
#define ST_ACK          1
#define ST_DRIVER       2
#define ST_DRIVER_OK    4
#define ST_FEATURES_OK  8
#define F_VERSION_1_HI  (1U << 0) /* feature bit 32 */

#define QSIZE           8
#define DESC_F_NEXT     1
#define DESC_F_WRITE    2
#define AVAIL_F_NO_INTR 1
#define BLK_T_IN        0
#define BLK_T_OUT       1
#define SECTOR_SIZE     512
#define MAX_SECTORS     256 /* 128 KiB per request */

struct vq_desc {
    uint64 addr;
    uint32 len;
    uint16 flags, next;
};

struct vq_avail {
    uint16 flags, idx;
    uint16 ring[QSIZE];
};

struct vq_used {
    uint16 flags, idx;
    struct {
        uint32 id, len;
    } ring[QSIZE];
};

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

static inline uint32 rd(uint64 off)
{
    return *(volatile uint32 *)(blk.base + off);
}

static inline void wr(uint64 off, uint32 v)
{
    *(volatile uint32 *)(blk.base + off) = v;
}

static void wr64(uint64 lo_off, uint64 v)
{
    wr(lo_off, (uint32)v);
    wr(lo_off + 4, (uint32)(v >> 32));
}

/* Negotiates VERSION_1 only and sets up queue 0; returns 0 or -1. */
static int setup_device(void)
{
    wr(VM_STATUS, 0);
    wr(VM_STATUS, ST_ACK);
    wr(VM_STATUS, ST_ACK | ST_DRIVER);
    wr(VM_DEV_FEAT_SEL, 1);
    if (!(rd(VM_DEV_FEAT) & F_VERSION_1_HI))
        return -1;
    wr(VM_DRV_FEAT_SEL, 0);
    wr(VM_DRV_FEAT, 0);
    wr(VM_DRV_FEAT_SEL, 1);
    wr(VM_DRV_FEAT, F_VERSION_1_HI);
    wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    if (!(rd(VM_STATUS) & ST_FEATURES_OK))
        return -1;
    wr(VM_QUEUE_SEL, 0);
    if (rd(VM_QUEUE_READY) || rd(VM_QUEUE_MAX) < QSIZE)
        return -1;
    blk.desc = kalloc_page();
    blk.avail = kalloc_page();
    blk.used = kalloc_page();
    if (!blk.desc || !blk.avail || !blk.used)
        return -1;
    blk.avail->flags = AVAIL_F_NO_INTR;
    wr(VM_QUEUE_NUM, QSIZE);
    wr64(VM_DESC_LO, (uint64)blk.desc);
    wr64(VM_DRIVER_LO, (uint64)blk.avail);
    wr64(VM_DEVICE_LO, (uint64)blk.used);
    wr(VM_QUEUE_READY, 1);
    wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    blk.capacity = rd(VM_CONFIG) | ((uint64)rd(VM_CONFIG + 4) << 32);
    return 0;
}

/* Finds the first virtio-blk slot and initialises it; 0 or -1 if none. */
int virtio_blk_probe(void)
{
    for (int i = 0; i < VIRTIO_SLOTS; i++) {
        blk.base = MMIO_KVA(VIRTIO_PA(i));
        if (rd(VM_MAGIC) != VIRTIO_MAGIC || rd(VM_DEVICE_ID) != VIRTIO_ID_BLK)
            continue;
        if (rd(VM_VERSION) == 2 && setup_device() == 0)
            return 0;
        console_printf("virtio-blk: slot %d unusable (need modern virtio-mmio)\n", i);
    }
    blk.base = 0;
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
    __sync_synchronize();
    wr(VM_QUEUE_NOTIFY, 0);
    while (*(volatile uint16 *)&blk.used->idx == blk.used_seen)
        ;
    __sync_synchronize();
    blk.used_seen++;
    wr(VM_INT_ACK, rd(VM_INT_STATUS));
    return blk.status == 0 ? 0 : -1;
}
