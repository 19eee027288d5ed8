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
#include "virtio_mmio.h"

#define TRANSMITQ       1
#define QSIZE           4
#define TXBUF           64

VQ_RING_TYPES(QSIZE)

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

/* Sets up the transmitq in the static page; 0 or -1. */
static int setup_device(void)
{
    if (vmmio_negotiate(con.base) < 0)
        return -1;
    memset(&txq, 0, sizeof txq);
    txq.avail.flags = AVAIL_F_NO_INTR;
    con.used_seen = 0;
    if (vmmio_queue(con.base, TRANSMITQ, QSIZE, txq.desc, &txq.avail, &txq.used) < 0)
        return -1;
    vmmio_live(con.base);
    return 0;
}

int virtio_console_probe(void)
{
    int i = -1;
    while ((con.base = vmmio_find(VIRTIO_ID_CONSOLE, i, &i)) != 0) {
        if (vmmio_rd(con.base, VM_VERSION) == 2 && setup_device() == 0)
            return 0;
        vmmio_wr(con.base, VM_STATUS, 0); /* give it back untouched; keep looking */
    }
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
    vmmio_kick_wait(con.base, TRANSMITQ, &txq.used.idx, &con.used_seen);
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
