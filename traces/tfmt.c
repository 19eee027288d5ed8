/* tfmt: the registry of trace formats, format guessing, the converter pump,
 * and the small I/O helpers the text and binary formats share.
 *
 * Main data structure: `formats`, one table mapping each name and alias to
 * its ops struct (a new format is one file plus one line here).
 * Invariant: tfmt_convert either commits the writer after the reader reached
 * its clean end, or aborts it, so a failed conversion never leaves output;
 * tfmt_out files live under a temporary name until tfmt_out_commit renames
 * them.
 */
#include "traces/tfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/mem.h"

struct entry {
    const char *name;
    const struct tfmt_ops *ops;
};

/* First entry of each ops is its canonical name; the rest are aliases. */
static const struct entry formats[] = {
    {"vmmsim", &tfmt_vmmsim_ops},
    {"lackey", &tfmt_lackey_ops},
    {"oracleGeneral", &tfmt_oracle_ops},
    {"csv", &tfmt_csv_ops},
    {"native", &tfmt_vmmsim_ops},
    {"vtr", &tfmt_vmmsim_ops},
    {"oracle", &tfmt_oracle_ops},
    {"oraclegeneral", &tfmt_oracle_ops},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

#define CONVERT_BATCH 4096
#define LINE_MAX_BYTES (64u * 1024)

void tfmt_opts_default(struct tfmt_opts *o)
{
    memset(o, 0, sizeof *o);
    o->page_size = 4096;
    o->ifetch = 1;
}

const struct tfmt_ops *tfmt_find(const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (strcmp(formats[i].name, name) == 0)
            return formats[i].ops;
    return NULL;
}

char *tfmt_names(char *buf, size_t size)
{
    size_t used = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < NFORMATS; i++) {
        if (strcmp(formats[i].ops->name, formats[i].name) != 0)
            continue; /* an alias */
        int n = snprintf(buf + used, size > used ? size - used : 0, "%s%s",
                         used ? ", " : "", formats[i].name);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > used)
                buf[used] = '\0'; /* whole names only */
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return m && n >= m && strcmp(s + n - m, suf) == 0;
}

/* Sniff text formats from the first bytes: a lackey banner or trace line, or
 * the csv header. */
static const struct tfmt_ops *sniff(const char *b, size_t n)
{
    static const char csvhdr[] = "time,vm,pid,address,op";
    if (n >= 2 && b[0] == '=' && b[1] == '=')
        return &tfmt_lackey_ops;
    if (n >= 3 && (memcmp(b, "I  ", 3) == 0 || memcmp(b, " L ", 3) == 0 ||
                   memcmp(b, " S ", 3) == 0 || memcmp(b, " M ", 3) == 0))
        return &tfmt_lackey_ops;
    if (n >= sizeof csvhdr - 1 && memcmp(b, csvhdr, sizeof csvhdr - 1) == 0)
        return &tfmt_csv_ops;
    return NULL;
}

const struct tfmt_ops *tfmt_guess(const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return NULL;
    struct trace_reader *r = NULL;
    struct trace_err err;
    if (trace_reader_open(path, &r, &err) == 0) {
        trace_reader_close(r);
        return &tfmt_vmmsim_ops;
    }
    char b[64];
    ssize_t n = 0;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        n = read(fd, b, sizeof b);
        close(fd);
    }
    const struct tfmt_ops *f = n > 0 ? sniff(b, (size_t)n) : NULL;
    if (f)
        return f;
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].ops->ext && has_suffix(path, formats[i].ops->ext))
            return formats[i].ops;
    if (has_suffix(path, ".oracleGeneral") || has_suffix(path, ".oracleGeneral.bin"))
        return &tfmt_oracle_ops;
    return NULL;
}

/* Pump every record from an open reader into an open writer. */
static int pump(const struct tfmt_ops *fin, void *rd, const struct tfmt_ops *fout,
                void *wr, uint64_t *nrecs, struct trace_err *err)
{
    struct trace_rec *buf = mem_alloc(CONVERT_BATCH * sizeof *buf);
    if (!buf)
        return trace_err_set(err, -ENOMEM, "convert: out of memory");
    int rc = 0;
    for (;;) {
        ssize_t n = fin->read(rd, buf, CONVERT_BATCH, err);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        rc = fout->write(wr, buf, (size_t)n, err);
        if (rc < 0)
            break;
        *nrecs += (uint64_t)n;
    }
    mem_free(buf, CONVERT_BATCH * sizeof *buf);
    return rc;
}

int tfmt_convert(const struct tfmt_ops *fin, const char *in,
                 const struct tfmt_ops *fout, const char *out,
                 const struct tfmt_opts *o, uint64_t *nrecs, struct trace_err *err)
{
    uint64_t count = 0;
    if (nrecs)
        *nrecs = 0;
    if (!fin->open_read)
        return trace_err_set(err, -ENOTSUP, "%s: format %s cannot be read", in, fin->name);
    if (!fout->open_write)
        return trace_err_set(err, -ENOTSUP, "%s: format %s cannot be written", out, fout->name);
    struct tfmt_opts def;
    if (!o) {
        tfmt_opts_default(&def);
        o = &def;
    }
    void *rd = NULL, *wr = NULL;
    struct trace_header h;
    memset(&h, 0, sizeof h);
    int rc = fin->open_read(in, o, &rd, &h, err);
    if (rc < 0)
        return rc;
    rc = fout->open_write(out, &h, o, &wr, err);
    if (rc < 0)
        goto out;
    rc = pump(fin, rd, fout, wr, &count, err);
    if (rc < 0)
        fout->abort_write(wr);
    else
        rc = fout->close_write(wr, err);
out:
    fin->close_read(rd);
    if (nrecs && rc == 0)
        *nrecs = count;
    return rc;
}

/* ---- line reader ---- */

int tfmt_lines_open(struct tfmt_lines *l, const char *path, struct trace_err *err)
{
    memset(l, 0, sizeof *l);
    l->path = path;
    l->cap = 1u << 20;
    if (strcmp(path, "-") == 0) {
        l->fd = 0;
    } else {
        l->fd = open(path, O_RDONLY);
        l->own_fd = 1;
        if (l->fd < 0)
            return trace_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    }
    l->buf = mem_alloc(l->cap + 1);
    if (!l->buf) {
        tfmt_lines_close(l);
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    return 0;
}

/* Move the unread tail to the front and read more; returns bytes read, 0 at
 * end of input, or a negative code. */
static ssize_t refill(struct tfmt_lines *l, struct trace_err *err)
{
    memmove(l->buf, l->buf + l->start, l->end - l->start);
    l->end -= l->start;
    l->start = 0;
    for (;;) {
        ssize_t n = read(l->fd, l->buf + l->end, l->cap - l->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return trace_err_set(err, -errno, "%s: line %llu: read error: %s", l->path,
                             (unsigned long long)l->lineno + 1, strerror(errno));
        l->end += (size_t)n;
        if (n == 0)
            l->eof = 1;
        return n;
    }
}

int tfmt_lines_next(struct tfmt_lines *l, char **line, size_t *len, struct trace_err *err)
{
    for (;;) {
        char *s = l->buf + l->start;
        char *nl = memchr(s, '\n', l->end - l->start);
        if (nl || (l->eof && l->end > l->start)) {
            size_t n = nl ? (size_t)(nl - s) : l->end - l->start;
            s[n] = '\0'; /* buf has one spare byte past cap for the last line */
            l->start += n + (nl != NULL);
            l->lineno++;
            *line = s;
            *len = n;
            return 1;
        }
        if (l->eof)
            return 0;
        if (l->end - l->start >= LINE_MAX_BYTES)
            return trace_err_set(err, -EINVAL, "%s: line %llu: expected a line, got more than %u bytes without a newline",
                             l->path, (unsigned long long)l->lineno + 1, LINE_MAX_BYTES);
        ssize_t r = refill(l, err);
        if (r < 0)
            return (int)r;
    }
}

void tfmt_lines_close(struct tfmt_lines *l)
{
    if (l->own_fd && l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    if (l->buf)
        mem_free(l->buf, l->cap + 1);
    l->buf = NULL;
}

/* ---- atomic output file ---- */

int tfmt_out_open(struct tfmt_out *f, const char *path, struct trace_err *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    char tmp[4096 + 32];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return trace_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
    f->path = mem_strdup(path);
    f->tmp = mem_strdup(tmp);
    if (!f->path || !f->tmp) {
        tfmt_out_discard(f);
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    f->fd = open(f->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int e = errno;
        tfmt_out_discard(f);
        return trace_err_set(err, -e, "%s: cannot create: %s", path, strerror(e));
    }
    return 0;
}

int tfmt_out_write(struct tfmt_out *f, const void *buf, size_t n, struct trace_err *err)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return trace_err_set(err, -errno, "%s: write error: %s", f->path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void out_free(struct tfmt_out *f)
{
    mem_free_str(f->path);
    mem_free_str(f->tmp);
    f->path = f->tmp = NULL;
}

int tfmt_out_commit(struct tfmt_out *f, struct trace_err *err)
{
    int rc = 0;
    if (close(f->fd) < 0)
        rc = trace_err_set(err, -errno, "%s: close: %s", f->path, strerror(errno));
    f->fd = -1;
    if (rc == 0 && rename(f->tmp, f->path) < 0)
        rc = trace_err_set(err, -errno, "%s: rename: %s", f->path, strerror(errno));
    if (rc < 0)
        unlink(f->tmp);
    out_free(f);
    return rc;
}

void tfmt_out_discard(struct tfmt_out *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
    }
    f->fd = -1;
    out_free(f);
}
