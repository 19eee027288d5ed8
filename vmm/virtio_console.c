/* virtio_console: the console device behind a virtio-mmio slot.
 *
 * Main structure: struct vcon, the sink the transmitted bytes go to plus
 * statistics. Requests are served synchronously on a transmitq notify:
 * every descriptor of a chain must be device-readable; its bytes are copied
 * out of guest RAM in order and handed to the sink, and the chain is
 * returned with used length 0 (the device writes nothing). The receiveq is
 * left alone: there is no input, so its buffers stay with the device, which
 * a driver sees as "nothing to read". Invariant: the sink only ever sees
 * bytes of a chain that passed the transport's checks (virtio_queue_pop),
 * in ring order, and every chain the device takes is completed exactly once
 * unless the ring itself is broken (then the transport sets NEEDS_RESET).
 */
#include "vmm/virtio_console.h"

#include <errno.h>

#include "sim/mem.h"

#define CON_CFG_SIZE 12     /* cols, rows (u16), max_nr_ports, emerg_wr (u32) */
#define COPY_CHUNK 256

struct vcon {
    vcon_sink_fn sink;
    void *opaque;
    uint64_t n_bytes, n_ok, n_failed;
};

struct vcon *vcon_new(vcon_sink_fn sink, void *opaque)
{
    struct vcon *c = mem_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->sink = sink;
    c->opaque = opaque;
    return c;
}

void vcon_free(struct vcon *c)
{
    if (c)
        mem_free(c, sizeof(*c));
}

void vcon_counts(const struct vcon *c, uint64_t *bytes, uint64_t *ok, uint64_t *failed)
{
    *bytes = c->n_bytes;
    *ok = c->n_ok;
    *failed = c->n_failed;
}

/* No size or multiport feature is offered, so the fields read as 0. */
static int config_read(void *dev, uint64_t off, int size, uint64_t *val)
{
    if (off + (uint64_t)size > CON_CFG_SIZE || (off & (uint64_t)(size - 1)))
        return -EINVAL;
    *val = 0;
    return 0;
}

/* Copy one readable buffer to the sink in chunks. 0 or -EFAULT. */
static int send_buf(struct vcon *c, struct virtio_mmio *t, const struct virtio_buf *b)
{
    uint8_t chunk[COPY_CHUNK];
    for (uint32_t done = 0; done < b->len;) {
        uint32_t n = b->len - done < COPY_CHUNK ? b->len - done : COPY_CHUNK;
        if (virtio_dma_read(t, b->addr + done, chunk, n) != 0)
            return -EFAULT;
        if (c->sink)
            c->sink(c->opaque, chunk, n);
        c->n_bytes += n;
        done += n;
    }
    return 0;
}

/* Serve one transmit chain: all of it or, if any buffer is writable, none. */
static void transmit(struct vcon *c, struct virtio_mmio *t, const struct virtio_req *req)
{
    for (int k = 0; k < req->n; k++)
        if (req->buf[k].writable) {
            c->n_failed++;
            return;
        }
    for (int k = 0; k < req->n; k++)
        if (send_buf(c, t, &req->buf[k]) != 0) {
            c->n_failed++;          /* cannot happen: pop checked the window */
            return;
        }
    c->n_ok++;
}

static void notify(void *dev, struct virtio_mmio *t, unsigned q)
{
    struct vcon *c = dev;
    struct virtio_req req;
    int r;
    if (q != VCON_TRANSMITQ)
        return;                      /* receiveq: no input to deliver */
    while ((r = virtio_queue_pop(t, q, &req)) != 0) {
        if (r < 0) {
            c->n_failed++;
            if (req.head == 0xffff)
                return;              /* the ring itself is broken */
        } else {
            transmit(c, t, &req);
        }
        virtio_queue_push(t, q, req.head, 0);
    }
}

const struct virtio_dev_ops vcon_ops = {
    .name = "virtio-console",
    .device_id = 3,
    .features = 0,
    .config_read = config_read,
    .notify = notify,
};
