/* traceinfo: the statistics of `vmmsim trace info`, computed in one
 * streaming pass: counts per op, time span, and footprint (distinct pages)
 * overall, per VM and per (vm, pid).
 *
 * Footprint counts every record that names a page, i.e. every op but
 * TRACE_IDLE. A VM's footprint is its distinct page numbers over all its
 * processes; the overall footprint is the number of distinct (vm, page)
 * pairs, the sum of the VMs'.
 */
#ifndef VMMSIM_TRACEINFO_H
#define VMMSIM_TRACEINFO_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "traces/trace.h"

struct traceinfo_count {
    uint16_t vm;
    uint32_t pid;             /* per-VM rows: number of processes seen */
    uint64_t records, reads, writes, pages;
};

struct traceinfo {
    uint64_t records;
    uint64_t first_time, last_time, min_time, max_time;
    uint64_t ops[TRACE_NOPS + 1];   /* [TRACE_NOPS]: ops this code does not know */
    uint64_t pages;                 /* distinct (vm, page) */
    struct traceinfo_count *vms;    /* sorted by vm */
    struct traceinfo_count *procs;  /* sorted by (vm, pid) */
    uint32_t nvms, nprocs;
    uint32_t cap_vms, cap_procs;    /* allocation sizes (for traceinfo_free) */
    struct traceinfo_scan *scan;    /* between begin and end: the scan's state */
};

/* A record source: returns as trace_read does (count, 0 at end, negative
 * with err set on damage). */
typedef ssize_t (*traceinfo_read_fn)(void *src, struct trace_rec *buf, size_t n, struct trace_err *err);

/* Read src to its end and fill *ti. Returns 0, or a negative code with err
 * set (the source's message, or out of memory); *ti is then empty. */
int traceinfo_scan(traceinfo_read_fn rd, void *src, struct traceinfo *ti, struct trace_err *err);
/* The same in steps, for callers that hold records already: begin, add
 * every record in order, end. Each returns 0 or -ENOMEM; after a failure
 * (or instead of end) call traceinfo_free. */
int traceinfo_begin(struct traceinfo *ti);
int traceinfo_add(struct traceinfo *ti, const struct trace_rec *r, size_t n);
int traceinfo_end(struct traceinfo *ti);
void traceinfo_free(struct traceinfo *ti);

/* traceinfo_add in two halves, which may run in two threads at once (the
 * first touches only the counts, the second only the page sets), batch by
 * batch in order. count() takes n records and writes the pages to insert
 * into keys[] and their process indices into idx[] (both of n entries),
 * sets *single when the batch is one process, and returns how many pages
 * (or -ENOMEM); insert() adds them. */
ssize_t traceinfo_count(struct traceinfo *ti, const struct trace_rec *r, size_t n, uint64_t *keys, uint32_t *idx,
                        int *single);
int traceinfo_insert(struct traceinfo *ti, const uint64_t *keys, const uint32_t *idx, size_t n, int single);

/* traceinfo_add for records read with trace_read_ex (with or without
 * TRACE_RX_DICT_IX) from the first record on, ix[] being their dictionary
 * indices: footprints are then kept as a
 * bitmap of dense page ids per process instead of a hash set of pages
 * (the same counts, several times faster on large traces). Do not mix with
 * traceinfo_add or traceinfo_insert in one scan. Returns 0, -ENOMEM, or
 * -EINVAL when ix[] skips dictionary indices. */
int traceinfo_add_ix(struct traceinfo *ti, const struct trace_rec *r, const uint32_t *ix, size_t n);
/* traceinfo_add_ix for a chunk read with trace_cols_read (chunks in order
 * from the first record on): the same counts without building records.
 * Do not mix with the other add functions in one scan. Returns 0, -ENOMEM,
 * or -EINVAL when the chunks did not start at the first record. */
int traceinfo_add_cols(struct traceinfo *ti, const struct trace_cols *c);

/* Distinct 64-bit keys, for callers that need a fast set of pages. */
struct traceinfo_set;
struct traceinfo_set *traceinfo_set_new(void);
void traceinfo_set_free(struct traceinfo_set *s);
/* 1 if k was new, 0 if present, -ENOMEM. */
int traceinfo_set_add(struct traceinfo_set *s, uint64_t k);
uint64_t traceinfo_set_count(const struct traceinfo_set *s);

/* What traceinfo_print reports besides the scan (sim/traceinfo_print.c). */
struct traceinfo_file {
    const char *path;
    const char *format;             /* "vmmsim", "oracleGeneral", ... */
    const struct trace_header *h;
    uint64_t blocks;                /* 0 for formats without blocks */
    uint64_t file_bytes;
    double seconds;                 /* wall time of the scan */
};

/* Print the report as text (aligned, one fact per line) or as one JSON
 * object. Returns 0 or -EIO. */
int traceinfo_print(FILE *out, const struct traceinfo_file *f, const struct traceinfo *ti, int json);

#endif
