/* trace: the vmmsim page-reference trace format, streaming reader and writer.
 *
 * The byte layout is specified in traces/FORMAT.md. A trace is a header
 * (magic, version, page size, flags, tables of VMs and processes, metadata)
 * followed by independently checksummed, zstd-compressed blocks of
 * delta-encoded records. Reader and writer hold one block at a time, so a
 * trace of any size streams through bounded memory.
 *
 * Records are handed across the API in plain decoded form (struct
 * trace_rec); all encoding lives in traces/trace_write.c and
 * traces/trace_read.c.
 *
 * Errors: every function that can fail returns 0 (or a count) on success and
 * a negative errno-style code on failure, and fills struct trace_err with one
 * line of the form "FILE: offset N (block B): what was expected, what was
 * found". Library code never prints.
 */
#ifndef VMMSIM_TRACE_H
#define VMMSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACE_VERSION 1

/* Operations. The numbering is part of the file format. */
enum trace_op {
    TRACE_READ = 0,       /* load from page */
    TRACE_WRITE = 1,      /* store to page */
    TRACE_ALLOC = 2,      /* page allocated (mapped, not yet touched) */
    TRACE_FREE = 3,       /* page freed (unmapped) */
    TRACE_FILE_READ = 4,  /* page filled from a file block (arg = block) */
    TRACE_FILE_WRITE = 5, /* page written back to a file block (arg = block) */
    TRACE_IDLE = 6,       /* the process sleeps for arg nanoseconds; page unused */
    TRACE_PTE = 7,        /* page-table update: page now maps guest frame arg
                             (TRACE_NO_FRAME = unmapped) */
    TRACE_CONTENT = 8,    /* page contents changed to content id arg (0 = zero page) */
    TRACE_NOPS = 9
};

#define TRACE_NO_FRAME UINT64_MAX
#define TRACE_NO_NEXT  INT64_C(-1)

/* Header flags. */
#define TRACE_F_NEXT     0x1u /* records carry an oracle next-access index (rec.next) */
#define TRACE_F_SIZES    0x2u /* records carry a byte size (rec.size) */

/* One decoded record. Fields not carried by a trace read as their defaults:
 * size 0 (= one whole page), next TRACE_NO_NEXT, arg 0. */
struct trace_rec {
    uint64_t time;  /* nanoseconds since the start of the trace (may go backwards) */
    uint64_t page;  /* page number (cache traces: object id), any 64-bit value */
    uint64_t arg;   /* per-op argument, see enum trace_op; must be 0 for ops
                       without one (read, write, alloc, free) */
    int64_t  next;  /* with TRACE_F_NEXT: index of this page's next reference, or
                       TRACE_NO_NEXT; otherwise TRACE_NO_NEXT */
    uint32_t pid;   /* process id within the VM */
    uint32_t size;  /* with TRACE_F_SIZES: bytes referenced; otherwise 0 */
    uint16_t vm;    /* VM index (into the header's VM table when it has one) */
    uint8_t  op;    /* enum trace_op */
    uint8_t  pad;
};

#define TRACE_NAME_MAX 64

struct trace_vm {
    char name[TRACE_NAME_MAX];
    uint64_t memory;  /* bytes of guest memory, 0 = unknown */
};

struct trace_proc {
    uint16_t vm;
    uint32_t pid;
    char name[TRACE_NAME_MAX];
};

struct trace_meta {
    char key[TRACE_NAME_MAX];
    char value[256];
};

#define TRACE_MAX_VMS   4096
#define TRACE_MAX_PROCS 65536
#define TRACE_MAX_META  256

/* The header. Tables are descriptive: a record may name a VM or process the
 * tables do not list. Arrays are owned by whoever filled the struct; the
 * reader's header stays valid until trace_reader_close. */
struct trace_header {
    uint32_t version;     /* TRACE_VERSION when written by this code */
    uint32_t page_size;   /* bytes, a power of two */
    uint32_t flags;       /* TRACE_F_* */
    uint32_t nvms, nprocs, nmeta;
    const struct trace_vm *vms;
    const struct trace_proc *procs;
    const struct trace_meta *meta;
};

struct trace_err {
    char msg[512];
};

/* printf into err->msg (err may be NULL); returns code, so a failing
 * function can `return trace_err_set(err, -EINVAL, "...", ...)`. */
int trace_err_set(struct trace_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Value of metadata key, or NULL. */
const char *trace_header_meta(const struct trace_header *h, const char *key);

/* Name of an op ("read", "write", ...), or NULL if op >= TRACE_NOPS; and back
 * (returns -1 for an unknown name). */
const char *trace_op_name(unsigned op);
int trace_op_parse(const char *name);

/* ---- writer ---- */

struct trace_writer;

/* Create path (written to a temporary file in the same directory and renamed
 * into place by trace_writer_close, so a failed or interrupted write never
 * leaves a half-written trace). h is copied. */
int trace_writer_open(const char *path, const struct trace_header *h,
                      struct trace_writer **out, struct trace_err *err);
/* Append n records (buffered; blocks are compressed as they fill). Fails
 * with -EINVAL on op >= TRACE_NOPS or a non-zero arg for an op that has none
 * (read, write, alloc, free). After any failure the writer is spent: later
 * writes fail and close removes the temporary file.
 * Memory: about 7 MB of block buffers plus 32 bytes per distinct page (the
 * page dictionary, at most 4 Mi pages; later pages are coded literally). */
int trace_write(struct trace_writer *w, const struct trace_rec *recs, size_t n,
                struct trace_err *err);
/* Flush the last block, fsync-free close, rename into place, free w. On
 * failure the temporary file is removed and w is freed as well. */
int trace_writer_close(struct trace_writer *w, struct trace_err *err);
/* Discard everything written, remove the temporary file, free w. */
void trace_writer_abort(struct trace_writer *w);
/* Records per block (1..65536, default 65536); only before the first
 * record. Small blocks are for tests and for traces read with random access
 * in mind; the format allows any size up to the maximum. -EINVAL otherwise. */
int trace_writer_set_block_records(struct trace_writer *w, uint32_t n);
/* Records and compressed bytes written so far (for statistics). */
uint64_t trace_writer_records(const struct trace_writer *w);
uint64_t trace_writer_bytes(const struct trace_writer *w);

/* ---- reader ---- */

struct trace_reader;

/* Memory: the largest block seen (at most about 7 MB) plus 8 bytes per
 * distinct page, up to 4 Mi pages (32 MiB).
 * Open and validate the header. A non-vmmsim file, a wrong version or a
 * damaged header fails here with a positioned message. path must be a
 * regular file (lengths in the file are checked against its size). */
int trace_reader_open(const char *path, struct trace_reader **out, struct trace_err *err);
const struct trace_header *trace_reader_header(const struct trace_reader *r);
/* Decode up to n (> 0) records into buf. Returns the count (> 0), 0 at the
 * clean end of the trace (after the end marker, with nothing after it), or a
 * negative code on damage (bad checksum, truncated block, bad encoding) with
 * err naming file, byte offset and block. Records decoded before damage are
 * returned first; the error comes with the next call and sticks: every later
 * call returns it again until trace_reader_rewind. */
ssize_t trace_read(struct trace_reader *r, struct trace_rec *buf, size_t n,
                   struct trace_err *err);
/* trace_read that also gives, when ix is not NULL, each record's page
 * dictionary index in ix[0..count): the index the page was appended at
 * (modes LIT and DNEW while the dictionary has room) or looked up at (mode
 * DICT), or UINT32_MAX when the record's page is not from the dictionary
 * (mode DOLD, or a new page after the dictionary is full). Indices are
 * dense and in first-seen order: the first record naming index k is the
 * one that appended it, so a caller reading from the first record sees
 * indices 0, 1, 2, ... appear in order. Two indices may still name the same
 * page (the format allows a writer to append a page twice).
 * flags TRACE_RX_DICT_IX: a record whose page is looked up in the dictionary
 * (mode DICT) gets its index in .page instead of the page, which spares a
 * random read of the dictionary per record; for callers that identify pages
 * by index (and for checking a trace). Appended pages and pages without an
 * index are always given as pages. All checks are the same either way. */
#define TRACE_RX_DICT_IX 0x1u
ssize_t trace_read_ex(struct trace_reader *r, struct trace_rec *buf, uint32_t *ix,
                      unsigned flags, size_t n, struct trace_err *err);
/* Column-level reading (traces/trace_cols.c), for callers that count
 * rather than replay (`trace info`, `trace verify`): the records' fields
 * as the block's columns give them, without building struct trace_rec.
 * The caller points the arrays at storage of at least n entries each (n as
 * passed to trace_cols_read); trace_cols_read fills them and the counts. */
struct trace_cols {
    /* arrays, set by the caller */
    uint8_t *tag;       /* [n] tag bytes: op = tag & TRACE_COLS_OP */
    uint32_t *ix;       /* [n] dictionary index as trace_read_ex gives it
                           (UINT32_MAX: none), except that a record whose
                           page is coded as the previous record's again (a
                           zero delta) takes that record's index */
    uint32_t *xrec;     /* [nx] records whose page is not named by an index
                           seen before (appended, or without index), in
                           order */
    uint64_t *xpage;    /* [nx] their pages */
    uint32_t *runstart; /* [nruns] first record of each run of one (vm, pid) */
    uint16_t *runvm;    /* [nruns] */
    uint32_t *runpid;   /* [nruns] */
    /* results */
    size_t n, nx, nruns;
    uint64_t first;     /* index of record 0 in the trace */
    uint64_t time_first, time_last, time_min, time_max; /* over the n records */
};
#define TRACE_COLS_OP 0x0fu
/* Decode up to n (> 0) records, never past the end of a block nor past a
 * multiple of n records from the start (so the chunks, and which damage in
 * a block is reported first, are those of trace_read_ex reading n at a
 * time). Runs are maximal: adjacent runs differ in vm or pid; record 0
 * starts one. Every check of trace_read is made. Returns the count (> 0),
 * 0 at the clean end, or a negative code with err set; damage found while
 * decoding a chunk returns the error instead of the chunk (damage found
 * after it, at the block's end, comes with the next call). Errors stick as
 * with trace_read. May be mixed with trace_read and trace_read_ex. */
ssize_t trace_cols_read(struct trace_reader *r, struct trace_cols *c, size_t n,
                        struct trace_err *err);

/* Load blocks ahead in a second thread (traces/trace_load.c): file reads,
 * checksums and decompression of the next blocks overlap the decoding of
 * the current one, in whichever thread reads. Records, errors and messages
 * are the same. Call before the first read; a rewound reader goes on
 * prefetching. Costs buffers for three blocks of the largest size plus one
 * compressed block (about 18 MB of address space, touched only as far as
 * blocks fill them). 0, or -EINVAL after a read, or -ENOMEM / the thread's
 * error (the reader then goes on without). */
int trace_reader_prefetch(struct trace_reader *r, struct trace_err *err);

/* Back to the first record (for looping replays). */
int trace_reader_rewind(struct trace_reader *r, struct trace_err *err);
/* Records returned so far, blocks decoded so far, file size in bytes. */
uint64_t trace_reader_records(const struct trace_reader *r);
uint64_t trace_reader_blocks(const struct trace_reader *r);
uint64_t trace_reader_file_bytes(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

#endif
