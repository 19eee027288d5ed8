/* tfmt_csv: `time,vm,pid,address,op` text traces, both directions.
 *
 * One record per line: time in ns (decimal), VM index, process id, byte
 * address (decimal or 0x-hex), op name as trace_op_name() spells it. The
 * header line `time,vm,pid,address,op` is optional on input (empty lines are
 * skipped too) and always written on output. Reading: page = address /
 * page_size (opts.page_size). Writing: address = page * page_size (the
 * header's page size) printed as lowercase 0x-hex, so the offset inside the
 * page, and the per-op argument, size and next fields are lost; a
 * csv -> vmmsim -> csv round trip is exact for files in that canonical form.
 * Errors name the file, the line, the column (1-based byte) and the field.
 *
 * Main data structures: struct csvr (line reader + page shift) and struct
 * csvw (atomic output file + text buffer).
 * Invariant: the writer's buffer always has room for one more line.
 */
#include "traces/tfmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"

static const char csv_header[] = "time,vm,pid,address,op";

#define WBUF (1u << 16)
#define LINE_MAX_OUT 128

struct csvr {
    struct tfmt_lines in;
    unsigned shift;
    struct trace_meta meta[1];
};

struct field {
    const char *name;
    uint64_t max;
    int hex_ok;
};

static const struct field fields[4] = {
    {"time", UINT64_MAX, 0},
    {"vm", UINT16_MAX, 0},
    {"pid", UINT32_MAX, 0},
    {"address", UINT64_MAX, 1},
};

/* Parse an unsigned number ending at ',' ; advances *pp past the comma. */
static int number(struct csvr *c, const char *line, const char **pp, const struct field *f,
                  uint64_t *out, struct trace_err *err)
{
    const char *p = *pp, *start = p;
    uint64_t v = 0;
    int base = 10, nd = 0, bad = 0;
    if (f->hex_ok && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    for (;; p++, nd++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            d = (*p | 0x20) - 'a' + 10;
        else
            break;
        if (v > (f->max - (uint64_t)d) / (uint64_t)base)
            bad = 1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (nd == 0 || bad || *p != ',') {
        const char *end = strchr(start, ',');
        int len = end ? (int)(end - start) : (int)strlen(start);
        return trace_err_set(err, -EINVAL, "%s: line %" PRIu64 ", column %d (%s): expected %s 0..%" PRIu64 "%s, got '%.*s'",
                         c->in.path, c->in.lineno, (int)(start - line) + 1, f->name,
                         f->hex_ok ? "a decimal or 0x-hex number" : "an integer", f->max,
                         end ? "" : " followed by ','", len > 40 ? 40 : len, start);
    }
    *out = v;
    *pp = p + 1;
    return 0;
}

/* Parse one data line into r. */
static int parse(struct csvr *c, char *line, size_t len, struct trace_rec *r, struct trace_err *err)
{
    uint64_t v[4];
    const char *p = line;
    if (len && line[len - 1] == '\r')
        line[--len] = '\0';
    for (int i = 0; i < 4; i++) {
        int rc = number(c, line, &p, &fields[i], &v[i], err);
        if (rc < 0)
            return rc;
    }
    int op = trace_op_parse(p);
    if (op < 0) {
        char names[128];
        size_t u = 0;
        for (unsigned i = 0; i < TRACE_NOPS; i++)
            u += (size_t)snprintf(names + u, sizeof names - u, "%s%s", i ? "|" : "", trace_op_name(i));
        return trace_err_set(err, -EINVAL, "%s: line %" PRIu64 ", column %d (op): expected %s, got '%.40s'",
                         c->in.path, c->in.lineno, (int)(p - line) + 1, names, p);
    }
    memset(r, 0, sizeof *r);
    r->time = v[0];
    r->vm = (uint16_t)v[1];
    r->pid = (uint32_t)v[2];
    r->page = v[3] >> c->shift;
    r->op = (uint8_t)op;
    r->next = TRACE_NO_NEXT;
    return 0;
}

static ssize_t csv_read(void *self, struct trace_rec *buf, size_t n, struct trace_err *err)
{
    struct csvr *c = self;
    size_t k = 0;
    while (k < n) {
        char *s;
        size_t len;
        int rc = tfmt_lines_next(&c->in, &s, &len, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (len == 0 || (len == 1 && s[0] == '\r'))
            continue;
        if (c->in.lineno == 1 && strncmp(s, csv_header, sizeof csv_header - 1) == 0 &&
            (s[sizeof csv_header - 1] == '\0' || s[sizeof csv_header - 1] == '\r'))
            continue;
        rc = parse(c, s, len, &buf[k], err);
        if (rc < 0)
            return rc;
        k++;
    }
    return (ssize_t)k;
}

static void csv_close(void *self)
{
    struct csvr *c = self;
    if (!c)
        return;
    tfmt_lines_close(&c->in);
    mem_free(c, sizeof *c);
}

static int csv_open(const char *path, const struct tfmt_opts *o, void **self,
                    struct trace_header *h, struct trace_err *err)
{
    if (o->page_size == 0 || (o->page_size & (o->page_size - 1)))
        return trace_err_set(err, -EINVAL, "%s: expected a power-of-two page size, got %u", path, o->page_size);
    struct csvr *c = mem_calloc(1, sizeof *c);
    if (!c)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    while ((1u << c->shift) < o->page_size)
        c->shift++;
    int rc = tfmt_lines_open(&c->in, path, err);
    if (rc < 0) {
        csv_close(c);
        return rc;
    }
    snprintf(c->meta[0].key, sizeof c->meta[0].key, "source.format");
    snprintf(c->meta[0].value, sizeof c->meta[0].value, "csv");
    memset(h, 0, sizeof *h);
    h->version = TRACE_VERSION;
    h->page_size = o->page_size;
    h->nmeta = 1;
    h->meta = c->meta;
    *self = c;
    return 0;
}

/* ---- writer ---- */

struct csvw {
    struct tfmt_out out;
    char *buf;       /* WBUF + LINE_MAX_OUT */
    size_t used;
    uint64_t page_size;
    uint64_t nrecs;
};

static int csv_write(void *self, const struct trace_rec *recs, size_t n, struct trace_err *err)
{
    struct csvw *w = self;
    for (size_t i = 0; i < n; i++) {
        const struct trace_rec *r = &recs[i];
        const char *op = trace_op_name(r->op);
        if (!op)
            return trace_err_set(err, -EINVAL, "%s: record %" PRIu64 ": expected an op below %d, got %u",
                             w->out.path, w->nrecs, TRACE_NOPS, r->op);
        if (r->page > UINT64_MAX / w->page_size)
            return trace_err_set(err, -ERANGE, "%s: record %" PRIu64 ": page 0x%" PRIx64 " times page size %" PRIu64 " does not fit a 64-bit address",
                             w->out.path, w->nrecs, r->page, w->page_size);
        int len = snprintf(w->buf + w->used, LINE_MAX_OUT, "%" PRIu64 ",%u,%u,0x%" PRIx64 ",%s\n",
                           r->time, (unsigned)r->vm, (unsigned)r->pid, r->page * w->page_size, op);
        w->used += (size_t)len;
        w->nrecs++;
        if (w->used >= WBUF) {
            int rc = tfmt_out_write(&w->out, w->buf, w->used, err);
            w->used = 0;
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static void csv_abort(void *self)
{
    struct csvw *w = self;
    tfmt_out_discard(&w->out);
    mem_free(w->buf, WBUF + LINE_MAX_OUT);
    mem_free(w, sizeof *w);
}

static int csv_close_write(void *self, struct trace_err *err)
{
    struct csvw *w = self;
    int rc = tfmt_out_write(&w->out, w->buf, w->used, err);
    if (rc < 0) {
        csv_abort(w);
        return rc;
    }
    rc = tfmt_out_commit(&w->out, err);
    mem_free(w->buf, WBUF + LINE_MAX_OUT);
    mem_free(w, sizeof *w);
    return rc;
}

static int csv_open_write(const char *path, const struct trace_header *h,
                          const struct tfmt_opts *o, void **self, struct trace_err *err)
{
    uint32_t ps = h->page_size ? h->page_size : o->page_size;
    if (ps == 0)
        return trace_err_set(err, -EINVAL, "%s: expected a page size, got 0", path);
    struct csvw *w = mem_calloc(1, sizeof *w);
    char *buf = mem_alloc(WBUF + LINE_MAX_OUT);
    if (!w || !buf) {
        mem_free(w, sizeof *w);
        mem_free(buf, WBUF + LINE_MAX_OUT);
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    w->buf = buf;
    w->page_size = ps;
    int rc = tfmt_out_open(&w->out, path, err);
    if (rc < 0) {
        mem_free(buf, WBUF + LINE_MAX_OUT);
        mem_free(w, sizeof *w);
        return rc;
    }
    w->used = (size_t)snprintf(w->buf, LINE_MAX_OUT, "%s\n", csv_header);
    *self = w;
    return 0;
}

const struct tfmt_ops tfmt_csv_ops = {
    .name = "csv",
    .desc = "text time,vm,pid,address,op (time in ns, byte address), both directions",
    .ext = ".csv",
    .open_read = csv_open,
    .read = csv_read,
    .close_read = csv_close,
    .open_write = csv_open_write,
    .write = csv_write,
    .close_write = csv_close_write,
    .abort_write = csv_abort,
};
