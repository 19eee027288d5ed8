/* virtio_blk: the block device behind a virtio-mmio slot.
 *
 * Main structure: struct vblk, the whole disk image in memory (img, sectors
 * * 512 bytes) plus the host file descriptor written through to (-1 for a
 * private copy). Requests are served synchronously on queue notify: header
 * (16 readable bytes: type, reserved, sector), data buffers, then a 1-byte
 * writable status. Invariant: the image is only changed by a well-formed OUT
 * request whose whole sector range lies inside the disk; any other request
 * completes with IOERR/UNSUPP and changes nothing.
 */
#include "vmm/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/mem.h"

#define T_IN    0
#define T_OUT   1
#define T_GETID 8
#define BLK_CFG_CAPACITY 0x00

struct vblk {
    uint8_t *img;
    uint64_t bytes;
    int fd;                 /* write-through target, -1 = private */
    uint64_t n_ok, n_failed;
};

struct vblk *vblk_new_mem(const void *image, uint64_t bytes)
{
    if (bytes == 0 || bytes % VBLK_SECTOR || bytes > VBLK_MAX_BYTES)
        return NULL;
    struct vblk *b = mem_calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->img = mem_alloc((size_t)bytes);
    if (!b->img) {
        mem_free(b, sizeof(*b));
        return NULL;
    }
    memcpy(b->img, image, (size_t)bytes);
    b->bytes = bytes;
    b->fd = -1;
    return b;
}

static int read_all(int fd, uint8_t *dst, uint64_t n)
{
    uint64_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, dst + done, (size_t)(n - done), (off_t)done);
        if (r <= 0)
            return -EIO;
        done += (uint64_t)r;
    }
    return 0;
}

struct vblk *vblk_open(const char *path, int private_copy, char *err, size_t errlen)
{
    int fd = open(path, private_copy ? O_RDONLY : O_RDWR);
    struct stat st;
    struct vblk *b = NULL;
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % VBLK_SECTOR ||
        (uint64_t)st.st_size > VBLK_MAX_BYTES) {
        snprintf(err, errlen, "%s: size must be a non-zero multiple of 512 bytes up to 1 GiB", path);
        goto fail;
    }
    b = mem_calloc(1, sizeof(*b));
    if (b)
        b->bytes = (uint64_t)st.st_size;
    if (!b || !(b->img = mem_alloc((size_t)b->bytes))) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    if (read_all(fd, b->img, b->bytes) != 0) {
        snprintf(err, errlen, "%s: offset 0: read error", path);
        goto fail;
    }
    b->fd = private_copy ? -1 : fd;
    if (private_copy)
        close(fd);
    return b;
fail:
    if (b && b->img)
        mem_free(b->img, (size_t)b->bytes);
    if (b)
        mem_free(b, sizeof(*b));
    close(fd);
    return NULL;
}

void vblk_free(struct vblk *b)
{
    if (!b)
        return;
    if (b->fd >= 0)
        close(b->fd);
    mem_free(b->img, (size_t)b->bytes);
    mem_free(b, sizeof(*b));
}

uint64_t vblk_sectors(const struct vblk *b)
{
    return b->bytes / VBLK_SECTOR;
}

const uint8_t *vblk_image(const struct vblk *b)
{
    return b->img;
}

void vblk_counts(const struct vblk *b, uint64_t *ok, uint64_t *failed)
{
    *ok = b->n_ok;
    *failed = b->n_failed;
}

static int config_read(void *dev, uint64_t off, int size, uint64_t *val)
{
    struct vblk *b = dev;
    uint64_t cap = vblk_sectors(b);
    if (off + (uint64_t)size > 8 || (off & (uint64_t)(size - 1)))
        return -EINVAL;   /* only the capacity field is offered */
    uint64_t v = cap >> (8 * off);
    *val = size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
    return 0;
}

/* Move the data buffers of req (all but the first and last) between the
 * image at byte offset pos and guest memory. Returns a VBLK_S_* status. */
static int transfer(struct vblk *b, struct virtio_mmio *t, const struct virtio_req *req,
                    int out, uint64_t pos)
{
    uint64_t total = 0;
    for (int k = 1; k < req->n - 1; k++) {
        if (req->buf[k].writable == out || req->buf[k].len % VBLK_SECTOR)
            return VBLK_S_IOERR;
        total += req->buf[k].len;
    }
    if (pos > b->bytes || total > b->bytes - pos)
        return VBLK_S_IOERR;
    for (int k = 1; k < req->n - 1; k++) {
        const struct virtio_buf *d = &req->buf[k];
        int r = out ? virtio_dma_read(t, d->addr, b->img + pos, d->len)
                    : virtio_dma_write(t, d->addr, b->img + pos, d->len);
        if (r != 0)
            return VBLK_S_IOERR;
        if (out && b->fd >= 0 && pwrite(b->fd, b->img + pos, d->len, (off_t)pos) != (ssize_t)d->len)
            return VBLK_S_IOERR;
        pos += d->len;
    }
    return VBLK_S_OK;
}

/* Serve one popped request; returns bytes written into guest buffers. */
static uint32_t serve(struct vblk *b, struct virtio_mmio *t, const struct virtio_req *req)
{
    struct { uint32_t type, reserved; uint64_t sector; } h;
    const struct virtio_buf *st = &req->buf[req->n - 1];
    uint8_t status;
    if (req->n < 2 || !st->writable || st->len < 1)
        return 0;                       /* nowhere to put a status: drop it */
    if (req->buf[0].writable || req->buf[0].len < sizeof(h) ||
        virtio_dma_read(t, req->buf[0].addr, &h, sizeof(h)) != 0)
        status = VBLK_S_IOERR;
    else if (h.type == T_IN || h.type == T_OUT)
        status = h.sector > b->bytes / VBLK_SECTOR ? VBLK_S_IOERR
               : (uint8_t)transfer(b, t, req, h.type == T_OUT, h.sector * VBLK_SECTOR);
    else
        status = VBLK_S_UNSUPP;
    if (virtio_dma_write(t, st->addr, &status, 1) != 0)
        return 0;
    if (status == VBLK_S_OK)
        b->n_ok++;
    else
        b->n_failed++;
    uint32_t written = 1;
    if (status == VBLK_S_OK && h.type == T_IN)
        for (int k = 1; k < req->n - 1; k++)
            written += req->buf[k].len;
    return written;
}

static void notify(void *dev, struct virtio_mmio *t, unsigned q)
{
    struct vblk *b = dev;
    struct virtio_req req;
    int r;
    if (q != 0)
        return;
    while ((r = virtio_queue_pop(t, 0, &req)) != 0) {
        if (r < 0) {
            b->n_failed++;
            if (req.head == 0xffff)
                return;                  /* the ring itself is broken */
            virtio_queue_push(t, 0, req.head, 0);
            continue;
        }
        virtio_queue_push(t, 0, req.head, serve(b, t, &req));
    }
}

const struct virtio_dev_ops vblk_ops = {
    .name = "virtio-blk",
    .device_id = 2,
    .features = 0,
    .config_read = config_read,
    .notify = notify,
};
