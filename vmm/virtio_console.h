/* virtio_console: a virtio console device (device id 3) with one port and
 * no VIRTIO_CONSOLE_F_MULTIPORT: queue 0 is port 0's receiveq, queue 1 its
 * transmitq. Transmitted bytes go to a sink callback (the VM's console);
 * there is no input, so receive buffers are never completed.
 */
#ifndef VMMSIM_VIRTIO_CONSOLE_H
#define VMMSIM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio_mmio.h"

#define VCON_RECEIVEQ  0
#define VCON_TRANSMITQ 1

/* Receives every transmitted byte, in order, in runs of len >= 1. */
typedef void (*vcon_sink_fn)(void *opaque, const uint8_t *buf, size_t len);

struct vcon;

extern const struct virtio_dev_ops vcon_ops;

/* A console writing to sink(opaque, ..); NULL when out of memory. */
struct vcon *vcon_new(vcon_sink_fn sink, void *opaque);
void vcon_free(struct vcon *c);

/* Statistics: bytes sent to the sink, transmit requests completed whole,
 * and requests rejected (malformed chain or a device-writable buffer). */
void vcon_counts(const struct vcon *c, uint64_t *bytes, uint64_t *ok, uint64_t *failed);

#endif
