/* workload: synthetic reference generators, one instance per guest process.
 *
 * A VM's `workload:` mapping names a generator (`kind`) and parameters. The
 * framework (workloads/workload.c) reads the keys common to all kinds,
 * creates one generator instance and one GSL random stream per process, and
 * turns a READ into a WRITE with probability write_ratio. Generators produce
 * virtual page numbers in [0, pages) of their own process, or IDLE records.
 *
 * Determinism: process p of VM v draws from a gsl_rng seeded from
 * (experiment seed, v, p) only, so adding a VM or a process elsewhere does not
 * change this stream.
 *
 * Common keys (documented in configs/schema.md):
 *   kind         uniform | zipf | loop | hot-cold | phases | trace
 *   processes    number of processes (default 1)
 *   footprint    virtual memory each process touches (size; required)
 *   refs         references each process makes before it exits (default 1M;
 *                takes 10M / 2k style suffixes)
 *   write_ratio  share of references that are writes (default 30%)
 *   think        CPU time per reference (default 100ns)
 *
 * A kind with WL_DERIVES (trace) finds processes, footprint and refs in its
 * data: its prepare() runs once per VM before any process is created and
 * reports them, and the common keys default to those values (explicit ones
 * are checked against them). A kind with WL_WRITES emits its own WL_WRITE
 * records; write_ratio then defaults to 0 and only ever turns READs into
 * WRITEs.
 */
#ifndef VMMSIM_WORKLOAD_H
#define VMMSIM_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/cfg.h"

enum wl_op {
    WL_READ = 0,
    WL_WRITE = 1,
    WL_IDLE = 2, /* the process sleeps for vpn microseconds */
    WL_END = 3   /* the process has made all its references and exits */
};

struct wl_ref {
    uint32_t vpn;
    uint32_t op;  /* enum wl_op */
};

struct wl_common {
    uint32_t processes;
    uint32_t pages;       /* footprint in pages */
    uint32_t page_size;   /* bytes, from the experiment */
    uint64_t refs;        /* per process */
    double   write_ratio;
    uint64_t think_ns;
};

struct wl_env {
    gsl_rng *rng;                    /* this process's stream */
    uint32_t proc, nprocs;
    const struct wl_common *common;
    const void *shared;              /* what the kind's prepare() made, or NULL */
};

/* What a WL_DERIVES kind's prepare() found in its data. */
struct wl_derived {
    uint32_t processes;
    uint32_t pages;       /* footprint in pages every process fits in */
    uint64_t refs;        /* longest process's references; UINT64_MAX = unbounded */
};

#define WL_DERIVES 0x1u   /* processes, footprint, refs come from prepare() */
#define WL_WRITES  0x2u   /* fill() emits WL_WRITE itself; write_ratio defaults to 0 */

/* A generator kind. create() reads its own keys from params (the whole
 * `workload:` map; the common keys are already read) with the cfg getters so
 * bad values get positioned errors; returns 0 and *self, or -EINVAL/-ENOMEM.
 * fill() writes up to n records (vpn < common->pages, op READ or IDLE, and
 * WRITE for WL_WRITES kinds) and returns how many; it never returns 0 (the
 * framework decides when the process ends). It must allocate nothing.
 *
 * Optional members (NULL when unused):
 * prepare() (WL_DERIVES kinds): called once per VM after kind, write_ratio
 *   and think are read (common->page_size set, the rest not yet); reads the
 *   kind's keys, fills *d and may return a shared object that every process's
 *   env->shared points to; release() frees it, shared_footprint() sizes it.
 * length(): READ/WRITE records this instance can make before its data ends
 *   (UINT64_MAX = unbounded); a process's budget is min(refs, length). */
struct workload_ops {
    const char *name;
    const char *desc;
    int    (*create)(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err);
    void   (*destroy)(void *self);
    size_t (*fill)(void *self, struct wl_ref *buf, size_t n);
    size_t (*footprint)(const void *self); /* bytes of state */
    unsigned flags;                        /* WL_DERIVES, WL_WRITES */
    int    (*prepare)(struct cfg_node *params, const struct wl_common *common, void **shared,
                      struct wl_derived *d, struct cfg_err *err);
    void   (*release)(void *shared);
    size_t (*shared_footprint)(const void *shared);
    uint64_t (*length)(const void *self);
    uint64_t (*skipped)(const void *self); /* records read but not modelled so far */
};

struct workload_entry {
    const char *name;
    const struct workload_ops *ops;
};

const struct workload_ops *workload_find(const char *name);
const struct workload_entry *workload_table(void);   /* NULL-name terminated */
char *workload_names(char *buf, size_t size);

/* One process's generator with its stream and remaining reference budget. */
struct workload {
    const struct workload_ops *ops;
    void *self;
    gsl_rng *rng;
    struct wl_env env;
    uint64_t left;        /* references still to make */
    uint64_t total;       /* references this process makes in all: min(refs, length) */
};

/* A VM's set of process workloads. */
struct workload_set {
    struct wl_common common;
    struct workload *procs;  /* common.processes entries */
};

/* Parse `workload:` (map node) and create every process's generator.
 * seed and vm_index select the streams. Returns 0 or a negative code with
 * err set. On failure nothing is left allocated. */
int workload_set_create(struct cfg_node *map, uint32_t page_size, uint64_t seed,
                        uint32_t vm_index, struct workload_set *out, struct cfg_err *err);
void workload_set_destroy(struct workload_set *set);

/* Fill up to n records for one process, applying write_ratio and the refs
 * budget: once the budget is spent, the last record is WL_END (and every
 * later call returns a single WL_END). Returns the count (>= 1). */
size_t workload_fill(struct workload *w, struct wl_ref *buf, size_t n);

/* Bytes of generator state of the whole set. */
size_t workload_set_footprint(const struct workload_set *set);

/* Records the set's generators read from their data but did not model
 * (trace ops the simulator has no event for yet); 0 for synthetic kinds. */
uint64_t workload_set_skipped(const struct workload_set *set);

#endif
