/* virtio_mmio: virtio-mmio version 2 register file and split virtqueues.
 *
 * Main structure: struct virtio_mmio, the registers of one slot (status,
 * feature selectors, queue selector, interrupt status) and per queue its
 * size, ready flag, ring addresses and the device's private ring indices.
 * Invariant: every guest address the transport or a device dereferences has
 * passed the DMA window check (virtio_dma_*), and a request the device takes
 * is returned at most once; a malformed ring never makes the device read or
 * write outside guest RAM, and a malformed chain is either completed with an
 * error by the device or, when even its head is unusable, sets NEEDS_RESET.
 */
#include "vmm/virtio_mmio.h"

#include <errno.h>
#include <string.h>

/* register offsets */
enum {
    R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR = 0x00c,
    R_DEV_FEAT = 0x010, R_DEV_FEAT_SEL = 0x014, R_DRV_FEAT = 0x020, R_DRV_FEAT_SEL = 0x024,
    R_QUEUE_SEL = 0x030, R_QUEUE_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044,
    R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064, R_STATUS = 0x070,
    R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090, R_DRIVER_HI = 0x094,
    R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4, R_CONFIG_GEN = 0x0fc, R_CONFIG = 0x100,
};

#define VENDOR_VMMSIM 0x4d4d5620U   /* " VMM" */
#define INT_USED_BUFFER 1u

int virtio_mmio_attach(struct virtio_mmio *t, struct phys *phys, uint64_t base,
                       uint64_t dma_base, uint64_t dma_size,
                       const struct virtio_dev_ops *ops, void *dev)
{
    memset(t, 0, sizeof(*t));
    t->phys = phys;
    t->dma_base = dma_base;
    t->dma_size = dma_size;
    t->ops = ops;
    t->dev = dev;
    static const struct phys_mmio_ops mmio_ops = {virtio_mmio_read, virtio_mmio_write};
    return phys_mmio_add(phys, base, VIRTIO_MMIO_SIZE, &mmio_ops, t);
}

static int dma_ok(const struct virtio_mmio *t, uint64_t gpa, uint64_t len)
{
    uint64_t off = gpa - t->dma_base;
    return gpa >= t->dma_base && off <= t->dma_size && len <= t->dma_size - off;
}

int virtio_dma_read(struct virtio_mmio *t, uint64_t gpa, void *dst, uint64_t len)
{
    if (!dma_ok(t, gpa, len))
        return -EFAULT;
    return phys_read(t->phys, gpa, dst, len);
}

int virtio_dma_write(struct virtio_mmio *t, uint64_t gpa, const void *src, uint64_t len)
{
    if (!dma_ok(t, gpa, len))
        return -EFAULT;
    return phys_write(t->phys, gpa, src, len);
}

static void reset(struct virtio_mmio *t)
{
    t->status = 0;
    t->dev_feat_sel = t->drv_feat_sel = t->queue_sel = t->int_status = 0;
    t->drv_features = 0;
    memset(t->q, 0, sizeof(t->q));
}

static uint64_t offered(const struct virtio_mmio *t)
{
    return t->ops->features | VIRTIO_F_VERSION_1;
}

static struct virtio_queue *cur_queue(struct virtio_mmio *t)
{
    return t->queue_sel < VIRTIO_QUEUES ? &t->q[t->queue_sel] : NULL;
}

static uint32_t queue_reg(struct virtio_mmio *t, uint64_t off)
{
    struct virtio_queue *q = cur_queue(t);
    if (!q)
        return 0;
    switch (off) {
    case R_QUEUE_MAX: return VIRTIO_QUEUE_MAX;
    case R_QUEUE_NUM: return q->num;
    case R_QUEUE_READY: return q->ready;
    case R_DESC_LO: return (uint32_t)q->desc;
    case R_DESC_HI: return (uint32_t)(q->desc >> 32);
    case R_DRIVER_LO: return (uint32_t)q->driver;
    case R_DRIVER_HI: return (uint32_t)(q->driver >> 32);
    case R_DEVICE_LO: return (uint32_t)q->device;
    case R_DEVICE_HI: return (uint32_t)(q->device >> 32);
    }
    return 0;
}

int virtio_mmio_read(void *opaque, uint64_t off, int size, uint64_t *val)
{
    struct virtio_mmio *t = opaque;
    if (off >= R_CONFIG) {
        if (!t->ops || !t->ops->config_read)
            return -EINVAL;
        return t->ops->config_read(t->dev, off - R_CONFIG, size, val);
    }
    if (size != 4 || (off & 3))
        return -EINVAL;
    uint32_t v = 0;
    switch (off) {
    case R_MAGIC: v = VIRTIO_MAGIC; break;
    case R_VERSION: v = 2; break;
    case R_DEVICE_ID: v = t->ops ? t->ops->device_id : 0; break;
    case R_VENDOR: v = VENDOR_VMMSIM; break;
    default:
        if (!t->ops)
            break;
        if (off == R_DEV_FEAT)
            v = t->dev_feat_sel < 2 ? (uint32_t)(offered(t) >> (32 * t->dev_feat_sel)) : 0;
        else if (off == R_INT_STATUS)
            v = t->int_status;
        else if (off == R_STATUS)
            v = t->status;
        else if (off != R_CONFIG_GEN)
            v = queue_reg(t, off);
    }
    *val = v;
    return 0;
}

/* 64-bit ring address halves: set the low or high word. */
static void set_half(uint64_t *r, int high, uint32_t v)
{
    *r = high ? (*r & 0xffffffffULL) | ((uint64_t)v << 32) : (*r & ~0xffffffffULL) | v;
}

static void write_queue(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
    struct virtio_queue *q = cur_queue(t);
    if (!q)
        return;
    if (off == R_QUEUE_READY) {
        q->ready = v & 1;
        return;
    }
    if (q->ready)        /* the ring layout is frozen while the queue is live */
        return;
    switch (off) {
    case R_QUEUE_NUM: q->num = v <= VIRTIO_QUEUE_MAX ? v : 0; break;
    case R_DESC_LO: case R_DESC_HI: set_half(&q->desc, off == R_DESC_HI, v); break;
    case R_DRIVER_LO: case R_DRIVER_HI: set_half(&q->driver, off == R_DRIVER_HI, v); break;
    case R_DEVICE_LO: case R_DEVICE_HI: set_half(&q->device, off == R_DEVICE_HI, v); break;
    }
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
    if (v == 0) {
        reset(t);
        return;
    }
    if ((v & VIRTIO_ST_FEATURES_OK) && !(t->status & VIRTIO_ST_FEATURES_OK)) {
        /* accept only a subset of what we offer, and only modern drivers */
        if ((t->drv_features & ~offered(t)) || !(t->drv_features & VIRTIO_F_VERSION_1))
            v &= ~VIRTIO_ST_FEATURES_OK;
    }
    t->status = v & 0xffu;
}

int virtio_mmio_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    struct virtio_mmio *t = opaque;
    uint32_t v = (uint32_t)val;
    if (size != 4 || (off & 3) || off >= R_CONFIG)
        return off >= R_CONFIG ? 0 : -EINVAL;   /* config space is read-only */
    if (!t->ops)
        return 0;
    switch (off) {
    case R_DEV_FEAT_SEL: t->dev_feat_sel = v; break;
    case R_DRV_FEAT_SEL: t->drv_feat_sel = v; break;
    case R_DRV_FEAT:
        if (t->drv_feat_sel < 2 && !(t->status & VIRTIO_ST_FEATURES_OK))
            set_half(&t->drv_features, t->drv_feat_sel == 1, v);
        break;
    case R_QUEUE_SEL: t->queue_sel = v; break;
    case R_QUEUE_NOTIFY:
        t->n_notify++;
        if (v < VIRTIO_QUEUES && t->q[v].ready && t->q[v].num &&
            (t->status & VIRTIO_ST_DRIVER_OK) && t->ops->notify)
            t->ops->notify(t->dev, t, v);
        break;
    case R_INT_ACK: t->int_status &= ~v; break;
    case R_STATUS: write_status(t, v); break;
    default: write_queue(t, off, v); break;
    }
    return 0;
}

static int read_u16(struct virtio_mmio *t, uint64_t gpa, uint16_t *v)
{
    return virtio_dma_read(t, gpa, v, 2);
}

/* Walk the descriptor chain from req->head into req->buf. 0 or -EIO. */
static int read_chain(struct virtio_mmio *t, const struct virtio_queue *q, struct virtio_req *req)
{
    uint16_t i = req->head;
    for (int k = 0;; k++) {
        struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d;
        if (k >= VIRTIO_CHAIN_MAX || k >= (int)q->num || i >= q->num)
            return -EIO;                         /* too long, a loop, or bad index */
        if (virtio_dma_read(t, q->desc + 16ULL * i, &d, sizeof(d)) != 0)
            return -EIO;
        if ((d.flags & ~(VIRTIO_DESC_F_NEXT | VIRTIO_DESC_F_WRITE)) || !dma_ok(t, d.addr, d.len))
            return -EIO;                         /* indirect is not offered */
        req->buf[k] = (struct virtio_buf){d.addr, d.len, (d.flags & VIRTIO_DESC_F_WRITE) != 0};
        req->n = k + 1;
        if (!(d.flags & VIRTIO_DESC_F_NEXT))
            return 0;
        i = d.next;
    }
}

int virtio_queue_pop(struct virtio_mmio *t, unsigned qi, struct virtio_req *req)
{
    struct virtio_queue *q = &t->q[qi];
    uint16_t avail_idx;
    req->head = 0xffff;
    req->n = 0;
    if (read_u16(t, q->driver + 2, &avail_idx) != 0)
        goto broken;
    if (avail_idx == q->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - q->last_avail) > q->num)
        goto broken;
    uint16_t head;
    if (read_u16(t, q->driver + 4 + 2ULL * (q->last_avail % q->num), &head) != 0)
        goto broken;
    q->last_avail++;
    if (head >= q->num)
        goto broken;
    req->head = head;
    if (read_chain(t, q, req) != 0) {
        t->n_bad_chain++;
        return -EIO;
    }
    return 1;
broken:
    t->n_bad_chain++;
    t->status |= VIRTIO_ST_NEEDS_RESET;
    return -EIO;
}

int virtio_queue_push(struct virtio_mmio *t, unsigned qi, uint16_t head, uint32_t len)
{
    struct virtio_queue *q = &t->q[qi];
    uint32_t elem[2] = {head, len};
    uint64_t slot = q->device + 4 + 8ULL * (q->used_idx % q->num);
    if (virtio_dma_write(t, slot, elem, sizeof(elem)) != 0)
        return -EFAULT;
    q->used_idx++;
    if (virtio_dma_write(t, q->device + 2, &q->used_idx, 2) != 0)
        return -EFAULT;
    t->int_status |= INT_USED_BUFFER;
    return 0;
}
