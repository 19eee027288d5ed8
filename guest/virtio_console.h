/* virtio_console.h: the polling virtio console driver (virtio_console.c). */
#ifndef GUEST_VIRTIO_CONSOLE_H
#define GUEST_VIRTIO_CONSOLE_H

#include "types.h"

/* Finds the first virtio console (device id 3) and initialises its
 * transmitq; 0, or -1 if there is none (output stays on SBI). Call once
 * paging is on (the registers are reached through MMIO_KVA). */
int virtio_console_probe(void);
/* 1 once a console is set up. */
int virtio_console_ready(void);
/* Sends n bytes and waits until the device has taken them. */
void virtio_console_write(const char *buf, uint32 n);

#endif
