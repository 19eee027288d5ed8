/* trace_src: one reader over a trace of any format for the trace workload:
 * the native reader (traces/trace.h) when the format is native, which can
 * rewind in place, else a traces/tfmt.h plug-in, which is reopened to
 * rewind. Invariant: at most one of nat and fself is open.
 */
#include "workloads/trace_src.h"

int trace_src_open(struct trace_src *s, const char *path, const struct tfmt_ops *fmt,
                   const struct tfmt_opts *o, struct trace_err *e)
{
    *s = (struct trace_src){.fmt = fmt};
    if (!fmt) {
        int rc = trace_reader_open(path, &s->nat, e);
        if (rc == 0)
            s->h = *trace_reader_header(s->nat);
        return rc;
    }
    return fmt->open_read(path, o, &s->fself, &s->h, e);
}

ssize_t trace_src_read(struct trace_src *s, struct trace_rec *buf, size_t n, struct trace_err *e)
{
    return s->nat ? trace_read(s->nat, buf, n, e) : s->fmt->read(s->fself, buf, n, e);
}

void trace_src_close(struct trace_src *s)
{
    if (s->nat)
        trace_reader_close(s->nat);
    else if (s->fself)
        s->fmt->close_read(s->fself);
    s->nat = NULL;
    s->fself = NULL;
}

/* Back to the first record. The native reader rewinds in place; other
 * formats are reopened (allocates; tfmt_ops has no rewind). */
int trace_src_rewind(struct trace_src *s, const char *path, const struct tfmt_opts *o, struct trace_err *e)
{
    if (s->nat)
        return trace_reader_rewind(s->nat, e);
    const struct tfmt_ops *fmt = s->fmt;
    trace_src_close(s);
    return trace_src_open(s, path, fmt, o, e);
}
