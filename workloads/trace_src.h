/* trace_src: a rewindable reader over a trace of any format. */
#ifndef VMMSIM_TRACE_SRC_H
#define VMMSIM_TRACE_SRC_H

#include <sys/types.h>

#include "traces/tfmt.h"
#include "traces/trace.h"

/* fmt NULL = native. h is the trace's header while open. */
struct trace_src {
    struct trace_reader *nat;
    const struct tfmt_ops *fmt;   /* non-native formats */
    void *fself;
    struct trace_header h;
};

/* Open path with fmt (NULL = native); 0 or a negative code with e set. */
int trace_src_open(struct trace_src *s, const char *path, const struct tfmt_ops *fmt,
                   const struct tfmt_opts *o, struct trace_err *e);
/* Up to n records; 0 at the end; negative with e set on damage. */
ssize_t trace_src_read(struct trace_src *s, struct trace_rec *buf, size_t n, struct trace_err *e);
/* Back to the first record (reopens non-native formats, which allocates). */
int trace_src_rewind(struct trace_src *s, const char *path, const struct tfmt_opts *o,
                     struct trace_err *e);
void trace_src_close(struct trace_src *s);

#endif
