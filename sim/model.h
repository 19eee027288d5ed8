/* model: the data structures of the two-level paging model.
 *
 * One struct sim holds hosts; a host holds VMs, a free-frame count, a swap
 * device and the VMM's per-host settings; a VM holds its guest OS (struct
 * guest: page tables, guest-physical frames, guest swap) and the VMM's view
 * of it (struct vmm_vm: the p2m table and the VMM's replacement policy).
 *
 * Per-page state is packed 32-bit words (DESIGN.md "Performance"):
 *   guest PTE (per process virtual page):
 *     P | A | D | S | 28-bit index   (index = gfn if P, guest swap slot if S)
 *   guest frame (per guest-physical frame):
 *     rmap    = owning virtual page, or GF_FREE|next-free, or GF_KERNEL
 *     content = content token (0 = zero page, < 2^30 OS image, PRIVATE|n
 *               unique to this VM), or SWAPREF|slot when the frame is clean
 *               and guest swap slot `slot` still holds its contents (the swap
 *               cache; the contents are then slot_content[slot]). A write to
 *               such a frame frees the slot, so SWAPREF implies clean.
 *   p2m (per guest-physical frame, the VMM's view):
 *     3-bit state | A | D | 27-bit index (host swap slot when SWAPPED)
 * Host frames are fungible, so a HOST p2m entry needs no frame number: the
 * conservation law free + sum(resident) == host frames is checked instead.
 */
#ifndef VMMSIM_MODEL_H
#define VMMSIM_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "policies/policy.h"
#include "sim/device.h"
#include "sim/evq.h"
#include "sim/swapmap.h"
#include "workloads/workload.h"

/* ---- guest PTE --------------------------------------------------------- */
#define PTE_P   0x80000000u
#define PTE_A   0x40000000u
#define PTE_D   0x20000000u
#define PTE_S   0x10000000u
#define PTE_IDX 0x0FFFFFFFu
#define PTE_MAX_INDEX PTE_IDX

/* ---- guest frame rmap -------------------------------------------------- */
#define GF_FREE    0x80000000u   /* low bits: next free gfn (GF_END = none) */
#define GF_END     0x7FFFFFFFu
#define GF_KERNEL  0xFFFFFFFEu   /* reserved by the guest kernel, never evicted */
#define GF_IS_FREE(r) (((r) & GF_FREE) && (r) != GF_KERNEL)

/* ---- content tokens ---------------------------------------------------- */
#define CONTENT_ZERO     0u
#define CONTENT_PRIVATE  0x80000000u  /* tokens with this bit are unique to one VM */
#define CONTENT_SWAPREF  0x40000000u  /* low 28 bits: guest swap slot with a clean copy */
#define CONTENT_SLOT     0x0FFFFFFFu
#define CONTENT_PRIV_MASK 0x7FFFFFFFu

/* ---- p2m --------------------------------------------------------------- */
enum p2m_state { P2M_UNBACKED = 0, P2M_HOST = 1, P2M_SWAPPED = 2, P2M_SHARED = 3, P2M_BALLOONED = 4 };
#define P2M_SHIFT 29
#define P2M_A     0x10000000u
#define P2M_D     0x08000000u
#define P2M_IDX   0x07FFFFFFu
#define P2M_STATE(e) ((e) >> P2M_SHIFT)
#define P2M_MAKE(state, idx) (((uint32_t)(state) << P2M_SHIFT) | (idx))

/* ---- counters (per VM; hosts and totals are sums) ------------------------ */
#define VM_COUNTERS(X)                                                        \
    X(refs)                /* references made by the VM's processes */      \
    X(guest_faults)        /* guest page faults (minor + major) */          \
    X(guest_major_faults)  /* guest faults that read guest swap */          \
    X(guest_swapins)                                                          \
    X(guest_swapouts)                                                         \
    X(guest_drops)         /* clean victims dropped without a write */       \
    X(guest_direct_reclaims) /* allocations that had to reclaim inline */    \
    X(vmm_faults)          /* guest accesses to VMM-swapped frames */        \
    X(vmm_swapins)                                                            \
    X(vmm_swapouts)                                                           \
    X(double_paging)                                                          \
    X(false_swap_reads)                                                       \
    X(silent_swap_writes)

enum vm_counter {
#define X(n) C_##n,
    VM_COUNTERS(X)
#undef X
    C_COUNT
};

extern const char *const vm_counter_names[C_COUNT];

/* ---- parameters (from the config) ----------------------------------------- */
enum alloc_kind { ALLOC_STATIC = 0, ALLOC_EQUAL = 1 };

struct guest_params {
    const char *policy;
    uint64_t kernel_bytes;
    double wm_min, wm_low, wm_high;     /* shares of guest memory */
    uint64_t swap_bytes;
    struct device_params swapdev;
    uint64_t fault_cost_ns, reclaim_cost_ns;
    uint32_t kswapd_batch;
    const char *image;                  /* OS image name: equal names, equal contents */
    double image_share;                 /* low share of each process's pages from the image */
    double write_changes;               /* P(a write to a zero/image page changes it) */
};

struct vm_params {
    const char *name;
    uint32_t count;                     /* replicate this VM count times */
    uint64_t memory;
    uint32_t vcpus;
    uint64_t limit;                     /* bytes of host memory at most */
    struct guest_params guest;
    struct cfg_node *workload;          /* read when the VM is built */
};

struct vmm_params {
    const char *policy;
    int allocation;                     /* enum alloc_kind */
    double st_high, st_soft, st_hard, st_low;
    uint64_t fault_cost_ns;
};

struct host_params {
    const char *name;
    uint64_t memory;
    uint64_t swap_bytes;
    struct device_params swapdev;
    struct vmm_params vmm;
    struct vm_params *vms;
    uint32_t nvms;
};

struct exp_params {
    const char *name;
    uint64_t seed;
    uint32_t page_size;
    uint64_t duration_ns, sample_ns, quantum_ns;
    int check;                          /* run invariant checks after every event */
    struct host_params *hosts;
    uint32_t nhosts;
};

/* ---- runtime state --------------------------------------------------------- */
enum proc_state { PROC_RUNNABLE, PROC_RUNNING, PROC_BLOCKED, PROC_EXITED };

#define GPROC_BUF 64

struct gproc {
    uint32_t base, pages;               /* virtual pages base .. base+pages-1 */
    uint16_t pos, len;                  /* buf[pos..len) still to run */
    uint8_t state;
    struct workload *wl;
    struct wl_ref buf[GPROC_BUF];
};

struct guest {
    uint32_t nframes, nvpages;
    uint32_t *pte;                      /* [nvpages] */
    uint32_t *rmap, *content;           /* [nframes] */
    uint32_t free_head, nfree, nkernel;
    uint32_t wm_min, wm_low, wm_high;   /* frames */
    const struct repl_policy *pol;
    void *pol_self;
    struct frame_bits bits;
    struct swapmap swap;
    uint32_t *slot_content;             /* [swap.nslots] */
    struct device swapdev;
    struct gproc *procs;
    uint32_t nprocs, live;
    uint32_t retained;                  /* frames holding a clean swap copy */
    uint32_t next_private;              /* next private content token */
    uint32_t image_pages;               /* per process, from the OS image */
    uint64_t image_key, write_key, writes;
    int kswapd_queued;
    uint64_t kswapd_time;               /* when kswapd is free again */
    const struct guest_params *p;
};

struct vmm_vm {
    uint32_t *p2m;                      /* [guest nframes] */
    uint32_t resident, swapped, target;
    const struct repl_policy *pol;
    void *pol_self;
    struct frame_bits bits;
};

struct host;

struct vm {
    char name[64];
    uint32_t index;                     /* in sim->vms */
    uint32_t host_vm;                   /* index in its host */
    struct host *host;
    const struct vm_params *p;
    struct guest g;
    struct vmm_vm m;
    struct workload_set wl;
    gsl_rng *rng;                       /* policies' random stream */
    uint64_t stream_key;                /* seeds this VM's hashed decisions */
    uint32_t *runq;                     /* ring of runnable process ids */
    uint32_t rq_head, rq_len;
    uint32_t vcpus, idle_vcpus;
    uint64_t finish_ns;                 /* 0 while running */
    uint64_t c[C_COUNT];
    uint64_t c_last[C_COUNT];           /* at the previous sample */
};

enum host_state { HS_HIGH, HS_SOFT, HS_HARD, HS_LOW };

struct host {
    const struct host_params *p;
    uint32_t index, page_size;
    uint64_t nframes, free;
    uint64_t th_high, th_soft, th_hard, th_low;  /* free-frame thresholds */
    struct swapmap swap;
    struct device swapdev;
    struct vm *vms;
    uint32_t nvms;
    uint64_t state_changes;
    int state;
};

struct sim {
    const struct exp_params *p;
    struct evq q;
    uint64_t now, last_sample;
    struct host *hosts;
    uint32_t nhosts;
    struct vm **vms;                    /* every VM of every host */
    uint32_t nvms, running;
    FILE *ts;                           /* timeseries.csv, or NULL */
    volatile int *stop;                 /* set asynchronously (SIGINT) */
    void (*progress)(const struct sim *s); /* called now and then, or NULL */
    int complete;
    uint64_t events;
    char err[512];                      /* run-time error, if any */
};

#endif
