/* device: queueing model of a block device.
 * State: busy_until[k] is when service slot k finishes its last request;
 * a new request takes the slot that frees first (lowest index on ties), so
 * the result depends only on the order of submissions. */
#include "sim/device.h"

#include <errno.h>
#include <string.h>

struct preset {
    const char *name;
    struct device_params p;
};

/* Typical figures: a SATA-class SSD and a 7200 rpm disk. */
static const struct preset presets[] = {
    {"ssd", {"ssd", 100000, 20000, 500ull << 20, 32}},
    {"hdd", {"hdd", 8000000, 100000, 150ull << 20, 1}},
    {"nvme", {"nvme", 20000, 10000, 2000ull << 20, 64}},
    {"ram", {"ram", 1000, 1000, 10000ull << 20, 64}},
};

static const char *const preset_names[] = {"ssd", "hdd", "nvme", "ram", NULL};

static int read_overrides(struct cfg_node *m, struct device_params *p, struct cfg_err *err)
{
    char lat[32], seq[32], bw[32], qd[16];
    snprintf(lat, sizeof lat, "%lluns", (unsigned long long)p->latency_ns);
    snprintf(seq, sizeof seq, "%lluns", (unsigned long long)p->seq_latency_ns);
    snprintf(bw, sizeof bw, "%llu", (unsigned long long)p->bandwidth);
    snprintf(qd, sizeof qd, "%u", p->queue_depth);
    uint64_t q;
    int rc;
    if ((rc = cfg_time(m, "latency", lat, &p->latency_ns, err)) < 0 ||
        (rc = cfg_time(m, "seq_latency", seq, &p->seq_latency_ns, err)) < 0 ||
        (rc = cfg_size(m, "bandwidth", bw, &p->bandwidth, err)) < 0 ||
        (rc = cfg_uint(m, "queue_depth", qd, 1, DEVICE_MAX_QUEUE, &q, err)) < 0)
        return rc;
    p->queue_depth = (uint32_t)q;
    if (p->bandwidth == 0)
        return cfg_error(err, cfg_get(m, "bandwidth"), "expected a bandwidth above 0, got 0");
    return 0;
}

int device_params_read(struct cfg_node *parent, const char *key, const char *def,
                       struct device_params *out, struct cfg_err *err)
{
    struct cfg_node *n = cfg_get(parent, key);
    int idx, rc;
    if (!n || n->type == CFG_SCALAR) {
        rc = cfg_choice(parent, key, def, preset_names, &idx, err);
        if (rc < 0)
            return rc;
        *out = presets[idx].p;
        return 0;
    }
    if ((rc = cfg_want_map(n, err)) < 0)
        return rc;
    rc = cfg_choice(n, "preset", def, preset_names, &idx, err);
    if (rc < 0)
        return rc;
    *out = presets[idx].p;
    return read_overrides(n, out, err);
}

void device_init(struct device *d, const struct device_params *p, uint32_t block_size)
{
    memset(d, 0, sizeof *d);
    d->p = *p;
    d->block_size = block_size;
    d->last_block = UINT64_MAX - 1;
}

uint64_t device_submit(struct device *d, uint64_t now, uint64_t block, uint32_t nblocks, int write)
{
    uint32_t best = 0;
    for (uint32_t k = 1; k < d->p.queue_depth; k++)
        if (d->busy_until[k] < d->busy_until[best])
            best = k;
    uint64_t start = d->busy_until[best] > now ? d->busy_until[best] : now;
    int seq = block == d->last_block + 1;
    uint64_t bytes = (uint64_t)nblocks * d->block_size;
    uint64_t xfer = (uint64_t)((double)bytes * 1e9 / (double)d->p.bandwidth);
    uint64_t service = (seq ? d->p.seq_latency_ns : d->p.latency_ns) + xfer;
    d->busy_until[best] = start + service;
    d->last_block = block + nblocks - 1;
    d->st.seq_requests += (uint64_t)seq;
    d->st.busy_ns += service;
    d->st.wait_ns += start - now;
    if (write)
        d->st.writes++;
    else
        d->st.reads++;
    return start + service;
}
