/* virtio_console.c: polling driver for a virtio console (device id 3) on
 * virtio-mmio (modern interface, version 2), port 0 only (no MULTIPORT).
 *
 * Main data structure: the transmitq (queue 1): descriptor table, driver
 * ring and device ring in one static page, plus a small send buffer. Every
 * write is a single-descriptor chain (descriptor 0) submitted and polled
 * to completion, so invariant: between writes the device ring index equals
 * con.used_seen and the device owns no descriptor. The receiveq is never
 * set up: the console has no input. Nothing is printed here, so the boot
 * output is the same with or without the device. */
#include "kernel.h"
#include "memlayout.h"
#include "virtio_console.h"

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
#define VM_DRIVER_LO    0x090
#define VM_DEVICE_LO    0x0a0

#define VIRTIO_MAGIC    0x74726976U
#define VIRTIO_ID_CONSOLE 3
#define ST_ACK          1
#define ST_DRIVER       2
#define ST_DRIVER_OK    4
#define ST_FEATURES_OK  8
#define F_VERSION_1_HI  (1U << 0) /* feature bit 32 */

#define TRANSMITQ       1
#define QSIZE           4
#define AVAIL_F_NO_INTR 1
#define TXBUF           64

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

/* the whole transmitq in one page (identity-mapped, so VA == PA) */
static struct {
    struct vq_desc desc[QSIZE];
    struct vq_avail avail;
    struct vq_used used __attribute__((aligned(8)));
    char buf[TXBUF];
} txq __attribute__((aligned(PGSIZE)));

static struct {
    uint64 base; /* kernel VA of the register window; 0 = no device */
    uint16 used_seen;
} con;

static inline uint32 rd(uint64 off)
{
    return *(volatile uint32 *)(con.base + off);
}

static inline void wr(uint64 off, uint32 v)
{
    *(volatile uint32 *)(con.base + off) = v;
}

static void wr64(uint64 lo_off, uint64 v)
{
    wr(lo_off, (uint32)v);
    wr(lo_off + 4, (uint32)(v >> 32));
}

/* Negotiates VERSION_1 only and sets up the transmitq; 0 or -1. */
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
    wr(VM_QUEUE_SEL, TRANSMITQ);
    if (rd(VM_QUEUE_READY) || rd(VM_QUEUE_MAX) < QSIZE)
        return -1;
    memset(&txq, 0, sizeof txq);
    txq.avail.flags = AVAIL_F_NO_INTR;
    con.used_seen = 0;
    wr(VM_QUEUE_NUM, QSIZE);
    wr64(VM_DESC_LO, (uint64)txq.desc);
    wr64(VM_DRIVER_LO, (uint64)&txq.avail);
    wr64(VM_DEVICE_LO, (uint64)&txq.used);
    wr(VM_QUEUE_READY, 1);
    wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    return 0;
}

int virtio_console_probe(void)
{
    for (int i = 0; i < VIRTIO_SLOTS; i++) {
        con.base = MMIO_KVA(VIRTIO_PA(i));
        if (rd(VM_MAGIC) != VIRTIO_MAGIC || rd(VM_DEVICE_ID) != VIRTIO_ID_CONSOLE ||
            rd(VM_VERSION) != 2)
            continue;
        if (setup_device() == 0)
            return 0;
        wr(VM_STATUS, 0); /* give it back untouched; keep looking */
    }
    con.base = 0;
    return -1;
}

int virtio_console_ready(void)
{
    return con.base != 0;
}

/* Sends n <= TXBUF bytes from txq.buf and polls for the completion. */
static void send(uint32 n)
{
    txq.desc[0] = (struct vq_desc){(uint64)txq.buf, n, 0, 0};
    txq.avail.ring[txq.avail.idx % QSIZE] = 0;
    __sync_synchronize();
    txq.avail.idx++;
    __sync_synchronize();
    wr(VM_QUEUE_NOTIFY, TRANSMITQ);
    while (*(volatile uint16 *)&txq.used.idx == con.used_seen)
        ;
    __sync_synchronize();
    con.used_seen++;
    wr(VM_INT_ACK, rd(VM_INT_STATUS));
}

void virtio_console_write(const char *buf, uint32 n)
{
    if (!con.base)
        return;
    while (n > 0) {
        uint32 k = n < TXBUF ? n : TXBUF;
        memcpy(txq.buf, buf, k);
        send(k);
        buf += k;
        n -= k;
    }
}
