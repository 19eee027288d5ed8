/* virtio_blk: a virtio block device (device id 2) backed by a host file.
 *
 * The image is read into memory when the device is created; guest writes go
 * to that copy and, unless the device is private (a snapshot, e.g. when
 * several VMs boot from one image), also through to the file.
 */
#ifndef VMMSIM_VIRTIO_BLK_H
#define VMMSIM_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio_mmio.h"

#define VBLK_SECTOR 512u
#define VBLK_MAX_BYTES (1ULL << 30)     /* largest image accepted */

/* request status values (virtio spec) */
#define VBLK_S_OK     0
#define VBLK_S_IOERR  1
#define VBLK_S_UNSUPP 2

struct vblk;

extern const struct virtio_dev_ops vblk_ops;

/* Open the image at path (size a multiple of 512, at most VBLK_MAX_BYTES).
 * private_copy: never write back to the file. NULL on failure, with a
 * one-line message "PATH: what" in err. */
struct vblk *vblk_open(const char *path, int private_copy, char *err, size_t errlen);
/* A device over a copy of an in-memory image (tests); NULL on failure. */
struct vblk *vblk_new_mem(const void *image, uint64_t bytes);
void vblk_free(struct vblk *b);

uint64_t vblk_sectors(const struct vblk *b);
/* The device's current image (read-only view, vblk_sectors * 512 bytes). */
const uint8_t *vblk_image(const struct vblk *b);

/* Statistics: requests completed ok and with an error status. */
void vblk_counts(const struct vblk *b, uint64_t *ok, uint64_t *failed);

#endif
