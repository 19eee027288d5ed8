/* tfmt: trace formats as plug-ins, for converters and for any reader that
 * accepts "a trace in some format".
 *
 * Each format is one file (traces/tfmt_<name>.c) exporting one
 * `const struct tfmt_ops`; traces/tfmt.c holds the one registry table. A
 * format may support reading, writing or both (NULL members otherwise). All
 * formats speak struct trace_rec (traces/trace.h), so converting is: open
 * a reader of one format, open a writer of another with the reader's header,
 * pump records.
 *
 * Formats:
 *   vmmsim         the native format (traces/FORMAT.md), both directions
 *   lackey         Valgrind `--tool=lackey --trace-mem=yes` text, read only
 *   oracleGeneral  libCacheSim's 24-byte little-endian records, both directions
 *   csv            `time,vm,pid,address,op` text, both directions
 *
 * What each converter keeps and loses is documented at the top of its file
 * and in traces/README.md.
 */
#ifndef VMMSIM_TFMT_H
#define VMMSIM_TFMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "traces/trace.h"

/* Options a user can give a converter; each format reads the ones it needs
 * and ignores the rest. */
struct tfmt_opts {
    uint32_t page_size;  /* address-based formats: page = address / page_size (default 4096) */
    uint16_t vm;         /* VM index for formats that have none (default 0) */
    uint32_t pid;        /* process id for formats that have none (0 = take it from the input) */
    int      ifetch;     /* lackey: keep instruction fetches as reads (default 1) */
    int      collapse;   /* lackey: drop a reference to the same page with the same
                            op as the previous record of that process (default 0) */
    int      keep_next;  /* oracleGeneral reader: preserve next-access values (a
                            pre-pass checks whether they are derivable from the
                            stream; if not, records carry them, TRACE_F_NEXT).
                            Off (default) for simulation: next reads TRACE_NO_NEXT */
};

void tfmt_opts_default(struct tfmt_opts *o);

struct tfmt_ops {
    const char *name;
    const char *desc;
    const char *ext;     /* usual file name suffix, e.g. ".vtr"; for guessing */
    /* Reading: open path ("-" = standard input where the format allows it),
     * fill *h (its arrays stay owned by self until close_read). */
    int     (*open_read)(const char *path, const struct tfmt_opts *o, void **self,
                         struct trace_header *h, struct trace_err *err);
    /* Up to n records; 0 at the end; negative on bad input with err set to
     * "FILE: line L (or offset N): expected X, got Y". */
    ssize_t (*read)(void *self, struct trace_rec *buf, size_t n, struct trace_err *err);
    void    (*close_read)(void *self);
    /* Optional fast path for cache simulation, offered only by formats whose
     * every record is a read request (oracleGeneral): the page numbers of the
     * next n records, without building trace_recs. Same returns as read. */
    ssize_t (*read_pages)(void *self, uint64_t *pages, size_t n, struct trace_err *err);
    /* Writing: results appear at path atomically when close_write succeeds. */
    int     (*open_write)(const char *path, const struct trace_header *h,
                          const struct tfmt_opts *o, void **self, struct trace_err *err);
    int     (*write)(void *self, const struct trace_rec *recs, size_t n, struct trace_err *err);
    int     (*close_write)(void *self, struct trace_err *err); /* frees self */
    void    (*abort_write)(void *self);                        /* frees self */
};

/* The formats (one per traces/tfmt_<name>.c); use tfmt_find() rather than
 * naming them directly. */
extern const struct tfmt_ops tfmt_vmmsim_ops;
extern const struct tfmt_ops tfmt_lackey_ops;
extern const struct tfmt_ops tfmt_oracle_ops;
extern const struct tfmt_ops tfmt_csv_ops;

/* By name or alias ("native"/"vtr" = vmmsim, "oracle" = oracleGeneral);
 * NULL if unknown. */
const struct tfmt_ops *tfmt_find(const char *name);
/* Guess from the file's first bytes (vmmsim magic, a lackey banner or trace
 * line, the csv header) or name suffix; NULL if nothing matches, and always
 * NULL for "-" (standard input cannot be peeked: name the format). */
const struct tfmt_ops *tfmt_guess(const char *path);
/* "vmmsim, lackey, ..." for error messages; returns buf. */
char *tfmt_names(char *buf, size_t size);

/* Convert: read all of in (format fin) and write it to out (format fout).
 * On any failure the output is not created. Returns 0 or a negative code with
 * err set; *nrecs gets the records converted. */
int tfmt_convert(const struct tfmt_ops *fin, const char *in,
                 const struct tfmt_ops *fout, const char *out,
                 const struct tfmt_opts *o, uint64_t *nrecs, struct trace_err *err);

/* ---- helpers shared by the format implementations ---- */


/* Buffered line reader over a file descriptor (text formats). Lines end at
 * '\n' (a trailing '\r' is kept); the last line may lack it. */
struct tfmt_lines {
    int fd;             /* -1 when closed */
    int own_fd;         /* close fd at the end (not for standard input) */
    char *buf;
    size_t cap, start, end;
    uint64_t lineno;    /* number of the line last returned (1-based) */
    int eof;
    const char *path;   /* for messages; not owned */
};
/* Open path ("-" = standard input). */
int tfmt_lines_open(struct tfmt_lines *l, const char *path, struct trace_err *err);
/* Next line, NUL-terminated in place, without its '\n'; *len its length.
 * Returns 1, 0 at end of input, or a negative code (read error, line longer
 * than 64 KiB). */
int tfmt_lines_next(struct tfmt_lines *l, char **line, size_t *len, struct trace_err *err);
void tfmt_lines_close(struct tfmt_lines *l);

/* A file written under a temporary name in the destination's directory and
 * renamed into place by tfmt_out_commit; tfmt_out_discard removes it. */
struct tfmt_out {
    int fd;
    char *path;         /* final path (mem_strdup) */
    char *tmp;          /* temporary path (mem_strdup) */
};
int  tfmt_out_open(struct tfmt_out *f, const char *path, struct trace_err *err);
/* Write all of buf or fail with the path in err. */
int  tfmt_out_write(struct tfmt_out *f, const void *buf, size_t n, struct trace_err *err);
int  tfmt_out_commit(struct tfmt_out *f, struct trace_err *err);  /* closes, renames */
void tfmt_out_discard(struct tfmt_out *f);                        /* closes, unlinks */

#endif
