/* virtio_mmio.h: the virtio-mmio transport (modern interface, version 2)
 * as the guest's polling drivers use it: register offsets, the split
 * virtqueue descriptor, and the steps every driver takes (find a slot,
 * negotiate VERSION_1 only, hand over one queue, go live). */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include "types.h"

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
#define VM_DRIVER_LO    0x090
#define VM_DEVICE_LO    0x0a0
#define VM_CONFIG       0x100

#define VIRTIO_MAGIC      0x74726976U
#define VIRTIO_ID_BLK     2
#define VIRTIO_ID_CONSOLE 3
#define ST_ACK          1
#define ST_DRIVER       2
#define ST_DRIVER_OK    4
#define ST_FEATURES_OK  8

#define DESC_F_NEXT     1
#define DESC_F_WRITE    2
#define AVAIL_F_NO_INTR 1

struct vq_desc {
    uint64 addr;
    uint32 len;
    uint16 flags, next;
};

/* Declares struct vq_avail and struct vq_used (the driver and device rings
 * of a split virtqueue) for a queue of n entries; each driver uses one size. */
#define VQ_RING_TYPES(n)                                                      \
    struct vq_avail {                                                         \
        uint16 flags, idx;                                                    \
        uint16 ring[n];                                                       \
    };                                                                        \
    struct vq_used {                                                          \
        uint16 flags, idx;                                                    \
        struct {                                                              \
            uint32 id, len;                                                   \
        } ring[n];                                                            \
    };

static inline uint32 vmmio_rd(uint64 base, uint64 off)
{
    return *(volatile uint32 *)(base + off);
}

static inline void vmmio_wr(uint64 base, uint64 off, uint32 v)
{
    *(volatile uint32 *)(base + off) = v;
}

/* Kernel VA of the register window of the next slot after `after` (-1 to
 * start) holding a device of type id (any transport version: the caller
 * checks VM_VERSION == 2), and its index in *slot; 0 when there is none.
 * Call once paging is on (MMIO_KVA). */
uint64 vmmio_find(int id, int after, int *slot);

/* Reset, acknowledge, negotiate VERSION_1 only (FEATURES_OK); 0 or -1. */
int vmmio_negotiate(uint64 base);

/* Hand queue q of size entries (desc, driver and device rings at the given
 * identity-mapped addresses) to the device; 0, or -1 if the device has it
 * live already or offers fewer entries. */
int vmmio_queue(uint64 base, uint32 q, uint32 size, void *desc, void *avail, void *used);

/* DRIVER_OK: the device is live. */
void vmmio_live(uint64 base);

/* Notify queue q, spin until *used_idx moves past *seen, acknowledge. */
void vmmio_kick_wait(uint64 base, uint32 q, volatile uint16 *used_idx, uint16 *seen);

#endif
