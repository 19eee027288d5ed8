/* device: a block device model (swap device, virtual disk) with queueing.
 *
 * A request of n blocks submitted at time t starts when the earliest of the
 * device's queue_depth service slots is free (FIFO per slot) and takes
 *   latency (random) or seq_latency (block == previous block + 1)
 *   + n * block_size / bandwidth.
 * device_submit returns the completion time; the caller schedules whatever
 * waits for it. Requests may be submitted in any time order (vCPU slices run
 * ahead of the queue); the model stays deterministic.
 */
#ifndef VMMSIM_DEVICE_H
#define VMMSIM_DEVICE_H

#include <stdint.h>

#include "sim/cfg.h"

#define DEVICE_MAX_QUEUE 256

struct device_params {
    const char *preset;       /* "ssd", "hdd", "nvme" or "ram" (before overrides) */
    uint64_t latency_ns;      /* random access */
    uint64_t seq_latency_ns;  /* sequential access */
    uint64_t bandwidth;       /* bytes per second */
    uint32_t queue_depth;
};

struct device_stats {
    uint64_t reads, writes, seq_requests;
    uint64_t busy_ns;         /* sum of service times */
    uint64_t wait_ns;         /* sum of queueing delays */
};

struct device {
    struct device_params p;
    uint32_t block_size;
    uint64_t last_block;
    uint64_t busy_until[DEVICE_MAX_QUEUE];
    struct device_stats st;
};

/* Read a device description: either a preset name ("ssd") or a mapping
 * {preset: ssd, latency: 80us, seq_latency: 20us, bandwidth: 500MiB,
 *  queue_depth: 32} where explicit keys override the preset. `key` names the
 * entry in `parent` (e.g. "device"); def is the default preset name. */
int device_params_read(struct cfg_node *parent, const char *key, const char *def,
                       struct device_params *out, struct cfg_err *err);

void device_init(struct device *d, const struct device_params *p, uint32_t block_size);

/* Submit a request; returns its completion time (>= now). */
uint64_t device_submit(struct device *d, uint64_t now, uint64_t block, uint32_t nblocks, int write);

#endif
