/* tfmt_vmmsim: the native format (traces/FORMAT.md) as a tfmt plug-in.
 *
 * A thin adapter over the streaming reader and writer of traces/trace.h:
 * every field of struct trace_rec and the whole header pass through
 * unchanged, so any conversion through vmmsim loses nothing the native
 * format carries. Options are ignored (the file says everything).
 *
 * Main data structure: none of its own; self is the trace_reader or
 * trace_writer. Invariant: the header handed out by open_read is the
 * reader's and lives until close_read.
 */
#include "traces/tfmt.h"

#include <string.h>

static int vmmsim_open(const char *path, const struct tfmt_opts *o, void **self,
                       struct trace_header *h, struct trace_err *err)
{
    struct trace_reader *r = NULL;
    int rc = trace_reader_open(path, &r, err);
    if (rc < 0)
        return rc;
    *h = *trace_reader_header(r);
    *self = r;
    return 0;
}

static ssize_t vmmsim_read(void *self, struct trace_rec *buf, size_t n, struct trace_err *err)
{
    return trace_read(self, buf, n, err);
}

static void vmmsim_close(void *self)
{
    if (self)
        trace_reader_close(self);
}

static int vmmsim_open_write(const char *path, const struct trace_header *h,
                             const struct tfmt_opts *o, void **self, struct trace_err *err)
{
    struct trace_writer *w = NULL;
    int rc = trace_writer_open(path, h, &w, err);
    if (rc < 0)
        return rc;
    *self = w;
    return 0;
}

static int vmmsim_write(void *self, const struct trace_rec *recs, size_t n, struct trace_err *err)
{
    return trace_write(self, recs, n, err);
}

static int vmmsim_close_write(void *self, struct trace_err *err)
{
    return trace_writer_close(self, err);
}

static void vmmsim_abort(void *self)
{
    trace_writer_abort(self);
}

const struct tfmt_ops tfmt_vmmsim_ops = {
    .name = "vmmsim",
    .desc = "native vmmsim trace (traces/FORMAT.md), both directions",
    .ext = ".vtr",
    .open_read = vmmsim_open,
    .read = vmmsim_read,
    .close_read = vmmsim_close,
    .open_write = vmmsim_open_write,
    .write = vmmsim_write,
    .close_write = vmmsim_close_write,
    .abort_write = vmmsim_abort,
};
