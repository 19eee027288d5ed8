/* virtio_mmio.c: the transport steps shared by the virtio drivers (see
 * virtio_mmio.h). Polling only: drivers set AVAIL_F_NO_INTR and wait on the
 * device ring; interrupts are acknowledged so the device's status stays
 * clean. */
#include "kernel.h"
#include "memlayout.h"
#include "virtio_mmio.h"

#define F_VERSION_1_HI (1U << 0) /* feature bit 32 */

uint64 vmmio_find(int id, int after, int *slot)
{
    for (int i = after + 1; i < VIRTIO_SLOTS; i++) {
        uint64 base = MMIO_KVA(VIRTIO_PA(i));
        if (vmmio_rd(base, VM_MAGIC) == VIRTIO_MAGIC && vmmio_rd(base, VM_DEVICE_ID) == (uint32)id) {
            *slot = i;
            return base;
        }
    }
    return 0;
}

int vmmio_negotiate(uint64 base)
{
    vmmio_wr(base, VM_STATUS, 0);
    vmmio_wr(base, VM_STATUS, ST_ACK);
    vmmio_wr(base, VM_STATUS, ST_ACK | ST_DRIVER);
    vmmio_wr(base, VM_DEV_FEAT_SEL, 1);
    if (!(vmmio_rd(base, VM_DEV_FEAT) & F_VERSION_1_HI))
        return -1;
    vmmio_wr(base, VM_DRV_FEAT_SEL, 0);
    vmmio_wr(base, VM_DRV_FEAT, 0);
    vmmio_wr(base, VM_DRV_FEAT_SEL, 1);
    vmmio_wr(base, VM_DRV_FEAT, F_VERSION_1_HI);
    vmmio_wr(base, VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    return vmmio_rd(base, VM_STATUS) & ST_FEATURES_OK ? 0 : -1;
}

static void wr64(uint64 base, uint64 lo_off, uint64 v)
{
    vmmio_wr(base, lo_off, (uint32)v);
    vmmio_wr(base, lo_off + 4, (uint32)(v >> 32));
}

int vmmio_queue(uint64 base, uint32 q, uint32 size, void *desc, void *avail, void *used)
{
    vmmio_wr(base, VM_QUEUE_SEL, q);
    if (vmmio_rd(base, VM_QUEUE_READY) || vmmio_rd(base, VM_QUEUE_MAX) < size)
        return -1;
    vmmio_wr(base, VM_QUEUE_NUM, size);
    wr64(base, VM_DESC_LO, (uint64)desc);
    wr64(base, VM_DRIVER_LO, (uint64)avail);
    wr64(base, VM_DEVICE_LO, (uint64)used);
    vmmio_wr(base, VM_QUEUE_READY, 1);
    return 0;
}

void vmmio_live(uint64 base)
{
    vmmio_wr(base, VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

void vmmio_kick_wait(uint64 base, uint32 q, volatile uint16 *used_idx, uint16 *seen)
{
    __sync_synchronize();
    vmmio_wr(base, VM_QUEUE_NOTIFY, q);
    while (*used_idx == *seen)
        ;
    __sync_synchronize();
    (*seen)++;
    vmmio_wr(base, VM_INT_ACK, vmmio_rd(base, VM_INT_STATUS));
}
