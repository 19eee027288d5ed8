/* tracecli_priv: what the tracecli*.c files share (option parsing,
 * messages, timing) and the subcommands the dispatcher in sim/tracecli.c
 * calls. Not for other modules. */
#ifndef VMMSIM_TRACECLI_PRIV_H
#define VMMSIM_TRACECLI_PRIV_H

#include <stdint.h>

#include "sim/traceinfo.h"
#include "traces/tfmt.h"
#include "traces/trace.h"

/* Subcommands; argv[0] is the subcommand's name. Return the exit status. */
int tracecli_info(int argc, char **argv);
int tracecli_head(int argc, char **argv);
int tracecli_verify(int argc, char **argv);
int tracecli_gen(int argc, char **argv);
int tracecli_convert(int argc, char **argv);

/* Monotonic seconds. */
double tracecli_now(void);
/* Print err's one line (or strerror) to stderr; returns the exit status:
 * 1 when the system failed (out of memory, disk full), else 2. */
int tracecli_report(const struct trace_err *err, int rc);
/* The value of option argv[*i] when it is opt ("OPT V" or "OPT=V"; *i moves
 * past V); NULL otherwise, with *missing set when opt has no value. */
const char *tracecli_opt_value(const char *opt, int argc, char **argv, int *i, int *missing);
/* Decimal or 0x hex up to max; -1 if s is not one. */
int tracecli_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* "4096", "4KiB", "2M", "1GiB": a power of two from 512 B to 1 GiB; -1 otherwise. */
int tracecli_parse_page_size(const char *s, uint32_t *out);
/* The format named by a --from/--to flag (for output: writable), or NULL
 * after printing the usage error. */
const struct tfmt_ops *tracecli_find_format(const char *cmd, const char *flag, const char *name, int writing);
/* Size of path in bytes, 0 if it cannot be read. */
uint64_t tracecli_file_size(const char *path);

/* A producer in a second thread (sim/tracecli_pipe.c). fill() writes one
 * buffer of the size given to start and returns a positive count, 0 at the
 * end, or a negative code with err set; it runs only in the thread. start
 * returns NULL if the thread cannot be started (then do the work in line).
 * next() lends the next filled buffer (valid until the next call) and
 * returns fill's result for it. Stop before touching what fill uses;
 * stop(NULL) does nothing. */
typedef ssize_t (*tracecli_fill_fn)(void *ctx, void *buf, struct trace_err *err);
struct tracecli_pipe;
struct tracecli_pipe *tracecli_pipe_start(tracecli_fill_fn fill, void *ctx, size_t bytes);
ssize_t tracecli_pipe_next(struct tracecli_pipe *p, const void **buf, struct trace_err *err);
void tracecli_pipe_stop(struct tracecli_pipe *p);

#endif
