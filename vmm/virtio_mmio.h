/* virtio_mmio: the virtio-mmio version 2 (modern) transport of one device
 * slot, plus the split-virtqueue helpers devices use to take requests and
 * return them.
 *
 * A device is one file exporting one const struct virtio_dev_ops; the
 * transport owns the register file and the queues and calls the device on
 * queue notify, config reads and reset. A slot with ops == NULL is an empty
 * slot (device id 0), like QEMU virt's unused transports. All guest memory
 * the device touches (rings, buffers) goes through virtio_dma_*, which only
 * accepts addresses inside the guest RAM window given at creation, so a
 * device can never reach VMM-private frames (shadow tables) or another VM.
 */
#ifndef VMMSIM_VIRTIO_MMIO_H
#define VMMSIM_VIRTIO_MMIO_H

#include <stdint.h>

#include "vmm/phys.h"

#define VIRTIO_MMIO_SIZE   0x1000ULL
#define VIRTIO_MAGIC       0x74726976U
#define VIRTIO_QUEUES      2
#define VIRTIO_QUEUE_MAX   64           /* largest queue size offered */
#define VIRTIO_F_VERSION_1 (1ULL << 32)

/* device status bits */
#define VIRTIO_ST_ACK         1u
#define VIRTIO_ST_DRIVER      2u
#define VIRTIO_ST_DRIVER_OK   4u
#define VIRTIO_ST_FEATURES_OK 8u
#define VIRTIO_ST_NEEDS_RESET 64u
#define VIRTIO_ST_FAILED      128u

/* descriptor flags */
#define VIRTIO_DESC_F_NEXT  1u
#define VIRTIO_DESC_F_WRITE 2u

struct virtio_mmio;

/* One descriptor of a request chain, already bounds-checked against the
 * guest RAM window. */
struct virtio_buf {
    uint64_t addr;
    uint32_t len;
    int writable;      /* device-writable (VIRTIO_DESC_F_WRITE) */
};

#define VIRTIO_CHAIN_MAX 16

/* A request popped from a queue: head index and its descriptor chain. */
struct virtio_req {
    uint16_t head;
    int n;                                 /* descriptors in buf[] */
    struct virtio_buf buf[VIRTIO_CHAIN_MAX];
};

struct virtio_dev_ops {
    const char *name;
    uint32_t device_id;
    uint64_t features;      /* offered feature bits (VERSION_1 is added) */
    /* Config space read at off (relative to 0x100); 0 or -EINVAL. */
    int (*config_read)(void *dev, uint64_t off, int size, uint64_t *val);
    /* The driver notified queue q: process what is available. */
    void (*notify)(void *dev, struct virtio_mmio *t, unsigned q);
};

struct virtio_queue {
    uint32_t num, ready;
    uint64_t desc, driver, device;   /* guest-physical ring addresses */
    uint16_t last_avail;             /* next avail ring slot the device reads */
    uint16_t used_idx;               /* next used ring slot the device writes */
};

struct virtio_mmio {
    struct phys *phys;
    uint64_t dma_base, dma_size;     /* guest RAM window devices may touch */
    const struct virtio_dev_ops *ops;   /* NULL: empty slot */
    void *dev;
    uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel, int_status;
    uint64_t drv_features;
    struct virtio_queue q[VIRTIO_QUEUES];
    uint64_t n_notify, n_bad_chain;  /* statistics */
};

/* Initialise slot t for device dev (ops NULL = empty slot) and register it on
 * phys at base. DMA is limited to [dma_base, dma_base + dma_size). 0 or the
 * negative code of phys_mmio_add. */
int virtio_mmio_attach(struct virtio_mmio *t, struct phys *phys, uint64_t base,
                       uint64_t dma_base, uint64_t dma_size,
                       const struct virtio_dev_ops *ops, void *dev);

/* Register access (also the phys MMIO callbacks); off is slot-relative. */
int virtio_mmio_read(void *t, uint64_t off, int size, uint64_t *val);
int virtio_mmio_write(void *t, uint64_t off, int size, uint64_t val);

/* Copy to/from guest RAM; -EFAULT if any byte is outside the DMA window. */
int virtio_dma_read(struct virtio_mmio *t, uint64_t gpa, void *dst, uint64_t len);
int virtio_dma_write(struct virtio_mmio *t, uint64_t gpa, const void *src, uint64_t len);

/* Take the next available request of queue q: 1 with *req filled, 0 if none
 * is available, -EIO if the ring or the chain is malformed (bad index, loop,
 * too long, buffer outside RAM); in that case req->head is still valid when
 * the head itself was, and the caller should complete it with
 * virtio_queue_push(.., 0). */
int virtio_queue_pop(struct virtio_mmio *t, unsigned q, struct virtio_req *req);

/* Return request head to the used ring with len bytes written and raise the
 * used-buffer interrupt status. 0 or -EFAULT (ring outside RAM). */
int virtio_queue_push(struct virtio_mmio *t, unsigned q, uint16_t head, uint32_t len);

#endif
