/* tracegen: synthetic workloads (workloads/workload.h generators) written
 * out as traces, for `vmmsim trace gen`.
 *
 * The source is either one workload spec (a YAML flow mapping exactly like a
 * config's `workload:` value; it becomes VM 0) or a whole experiment config,
 * whose every VM (hosts in order, `count:` expanded) becomes one VM index of
 * the trace with one pid per process. Each process keeps its own clock (the
 * cumulative think time of its references plus its idle periods, in ns);
 * processes and VMs are merged by that clock, ties broken by (vm, pid), so
 * the output depends only on the source and the seed.
 */
#ifndef VMMSIM_TRACEGEN_H
#define VMMSIM_TRACEGEN_H

#include <stdint.h>
#include <sys/types.h>

#include "traces/tfmt.h"

struct tracegen_opts {
    const char *spec;        /* --workload text, or NULL */
    const char *config;      /* CONFIG.yaml path, or NULL (exactly one of the two) */
    uint64_t seed;           /* with seed_set; else the config's seed (default 1) */
    int seed_set;
    uint32_t page_size;      /* 0 = the config's page_size (default 4KiB) */
    int sparse_ids;          /* pages through tracegen_sparse (a 64-bit bijection) */
    const struct tfmt_ops *to; /* a format with open_write */
    const char *out;
};

struct tracegen_result {
    uint64_t records;        /* records written */
    uint32_t vms, procs;
};

/* Generate and write the trace (atomically: on failure out is not created).
 * Returns 0, or a negative code with one line in err ("--workload:1:8: ..."
 * for a bad spec, "FILE:L:C: ..." for a bad config, the writer's message for
 * output errors). */
int tracegen_run(const struct tracegen_opts *o, struct tracegen_result *res, char *err, size_t errsize);

/* The same in steps, so that generating and writing can run in two
 * threads. open() builds every process's generator (o must outlive the
 * handle); the header (arrays owned by g) describes the trace; fill()
 * writes up to n next records in merge order and returns how many (0 at
 * the end; it allocates nothing); write() opens o->out with o->to and
 * writes records taken from next(ctx) (e.g. a read-ahead thread running
 * fill), or from fill in line when next is NULL, and counts them in
 * *nrecs. Errors as for tracegen_run. */
#define TRACEGEN_BATCH 8192
struct tracegen;
typedef ssize_t (*tracegen_next_fn)(void *ctx, const struct trace_rec **recs, struct trace_err *err);
int tracegen_open(const struct tracegen_opts *o, struct tracegen **out, char *err, size_t errsize);
const struct trace_header *tracegen_header(const struct tracegen *g);
size_t tracegen_fill(struct tracegen *g, struct trace_rec *buf, size_t n);
int tracegen_write(struct tracegen *g, tracegen_next_fn next, void *ctx, uint64_t *nrecs, char *err,
                   size_t errsize);
void tracegen_close(struct tracegen *g);

/* The page-id mixer of --sparse-ids: the splitmix64 finalizer, a bijection
 * of 64-bit values (distinct pages stay distinct). */
uint64_t tracegen_sparse(uint64_t page);

#endif
