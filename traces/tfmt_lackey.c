/* tfmt_lackey: reads Valgrind `--tool=lackey --trace-mem=yes` output.
 *
 * Input lines: "I  ADDR,SIZE" (instruction fetch), " L ADDR,SIZE" (load),
 * " S ADDR,SIZE" (store), " M ADDR,SIZE" (modify), ADDR in hex and SIZE in
 * decimal bytes; "==PID== ..." banner lines give the process id (when
 * opts.pid is 0) and the command (the process name); every other line is
 * Valgrind or program chatter and is skipped. A line that starts like a trace
 * line but does not parse is an error naming file and line.
 *
 * Mapping: I and L are reads (I only with opts.ifetch), S is a write, and M
 * (a load then a store of the same bytes) is ONE write record. An access
 * that straddles a page boundary gives one record per page it touches, all
 * with the same time. Lackey has no clock: time is the number of reference
 * lines before this one, in ns (1 ns per reference), counted over every
 * I/L/S/M line including those dropped by ifetch=0 or collapse, so the
 * timeline of the original stream is kept. With opts.collapse a record equal
 * in page and op to the previous emitted one is dropped.
 *
 * Main data structure: struct lackey, the line reader plus the pages of the
 * current line still to be emitted (cur_page..cur_last).
 * Invariant: cur_page > cur_last whenever no line is half emitted.
 */
#include "traces/tfmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"

struct lackey {
    struct tfmt_lines in;
    struct tfmt_opts o;
    unsigned shift;              /* log2(page_size) */
    uint64_t refs;               /* reference lines seen (the clock) */
    uint64_t cur_page, cur_last; /* pages of the current line not yet emitted */
    uint64_t cur_time;
    uint8_t cur_op;
    int have_last;
    uint64_t last_page;
    uint8_t last_op;
    int header_done;             /* banner lines after the first reference change nothing */
    struct trace_proc proc;
    struct trace_meta meta[5];
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parse "ADDR,SIZE" at s (after the 3-byte prefix). 0 or -EINVAL with err. */
static int parse_ref(struct lackey *lk, const char *s, uint64_t *addr, uint64_t *size,
                     struct trace_err *err)
{
    const char *p = s;
    uint64_t a = 0, z = 0;
    int d, nd = 0;
    for (; (d = hexval((unsigned char)*p)) >= 0; p++, nd++)
        a = (a << 4) | (uint64_t)d;
    if (nd == 0 || nd > 16)
        return trace_err_set(err, -EINVAL, "%s: line %llu: expected a hex address of 1 to 16 digits, got '%.40s'",
                         lk->in.path, (unsigned long long)lk->in.lineno, s);
    if (*p != ',')
        return trace_err_set(err, -EINVAL, "%s: line %llu: expected ',' after the address, got '%.40s'",
                         lk->in.path, (unsigned long long)lk->in.lineno, p);
    const char *q = ++p;
    for (nd = 0; *p >= '0' && *p <= '9' && nd < 10; p++, nd++)
        z = z * 10 + (uint64_t)(*p - '0');
    if (nd == 0 || nd == 10)
        return trace_err_set(err, -EINVAL, "%s: line %llu: expected a decimal size, got '%.40s'",
                         lk->in.path, (unsigned long long)lk->in.lineno, q);
    while (*p == ' ' || *p == '\r' || *p == '\t')
        p++;
    if (*p)
        return trace_err_set(err, -EINVAL, "%s: line %llu: expected end of line after the size, got '%.40s'",
                         lk->in.path, (unsigned long long)lk->in.lineno, p);
    *addr = a;
    *size = z;
    return 0;
}

/* "==PID== Command: ..." and friends. */
static void banner(struct lackey *lk, const char *s)
{
    const char *p = s + 2;
    uint64_t pid = 0;
    if (lk->header_done)
        return;
    int nd = 0;
    for (; *p >= '0' && *p <= '9' && nd < 10; p++, nd++)
        pid = pid * 10 + (uint64_t)(*p - '0');
    if (nd == 0 || p[0] != '=' || p[1] != '=')
        return;
    if (lk->o.pid == 0 && pid <= UINT32_MAX)
        lk->proc.pid = (uint32_t)pid;
    p += 2;
    if (strncmp(p, " Command: ", 10) == 0 && !lk->proc.name[0])
        snprintf(lk->proc.name, sizeof lk->proc.name, "%s", p + 10);
}

/* Handle one line: returns 1 if it was a trace line (cur_* set up), 0 if it
 * was skipped, or a negative code. */
static int line(struct lackey *lk, const char *s, size_t len, struct trace_err *err)
{
    if (len >= 2 && s[0] == '=' && s[1] == '=') {
        banner(lk, s);
        return 0;
    }
    if (len < 3 || s[2] != ' ')
        return 0;
    uint8_t op;
    if (s[0] == 'I' && s[1] == ' ')
        op = TRACE_READ;
    else if (s[0] == ' ' && s[1] == 'L')
        op = TRACE_READ;
    else if (s[0] == ' ' && (s[1] == 'S' || s[1] == 'M'))
        op = TRACE_WRITE;
    else
        return 0;
    uint64_t addr = 0, size = 0;
    int rc = parse_ref(lk, s + 3, &addr, &size, err);
    if (rc < 0)
        return rc;
    uint64_t t = lk->refs++;
    if (s[0] == 'I' && !lk->o.ifetch)
        return 0;
    uint64_t end = size ? addr + (size - 1) : addr;
    if (end < addr)
        end = UINT64_MAX;
    lk->cur_page = addr >> lk->shift;
    lk->cur_last = end >> lk->shift;
    lk->cur_time = t;
    lk->cur_op = op;
    return 1;
}

/* Emit pending pages of the current line into buf[*k..n). */
static void drain(struct lackey *lk, struct trace_rec *buf, size_t n, size_t *k)
{
    while (*k < n && lk->cur_page <= lk->cur_last) {
        uint64_t pg = lk->cur_page;
        if (lk->cur_page == UINT64_MAX)
            lk->cur_last = 0, lk->cur_page = 1; /* done; avoid wrap */
        else
            lk->cur_page++;
        if (lk->o.collapse && lk->have_last && lk->last_page == pg && lk->last_op == lk->cur_op)
            continue;
        lk->have_last = 1;
        lk->last_page = pg;
        lk->last_op = lk->cur_op;
        struct trace_rec *r = &buf[(*k)++];
        memset(r, 0, sizeof *r);
        r->time = lk->cur_time;
        r->page = pg;
        r->next = TRACE_NO_NEXT;
        r->pid = lk->proc.pid;
        r->vm = lk->o.vm;
        r->op = lk->cur_op;
    }
}

static ssize_t lackey_read(void *self, struct trace_rec *buf, size_t n, struct trace_err *err)
{
    struct lackey *lk = self;
    size_t k = 0;
    drain(lk, buf, n, &k);
    while (k < n) {
        char *s;
        size_t len;
        int rc = tfmt_lines_next(&lk->in, &s, &len, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        rc = line(lk, s, len, err);
        if (rc < 0)
            return rc;
        if (rc > 0)
            drain(lk, buf, n, &k);
    }
    return (ssize_t)k;
}

static void lackey_close(void *self)
{
    struct lackey *lk = self;
    if (!lk)
        return;
    tfmt_lines_close(&lk->in);
    mem_free(lk, sizeof *lk);
}

static void set_meta(struct trace_meta *m, const char *k, const char *v)
{
    snprintf(m->key, sizeof m->key, "%s", k);
    snprintf(m->value, sizeof m->value, "%s", v);
}

/* Read the banner up to the first trace line, so the header knows the pid. */
static int read_banner(struct lackey *lk, struct trace_err *err)
{
    for (;;) {
        char *s;
        size_t len;
        int rc = tfmt_lines_next(&lk->in, &s, &len, err);
        if (rc <= 0)
            return rc;
        rc = line(lk, s, len, err);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        if (lk->refs > 0)
            return 0; /* an ifetch dropped by ifetch=0: the banner is over */
    }
}

static int lackey_open(const char *path, const struct tfmt_opts *o, void **self,
                       struct trace_header *h, struct trace_err *err)
{
    if (o->page_size == 0 || (o->page_size & (o->page_size - 1)))
        return trace_err_set(err, -EINVAL, "%s: expected a power-of-two page size, got %u", path, o->page_size);
    struct lackey *lk = mem_calloc(1, sizeof *lk);
    if (!lk)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    lk->o = *o;
    while ((1u << lk->shift) < o->page_size)
        lk->shift++;
    lk->cur_page = 1; /* nothing pending */
    lk->proc.vm = o->vm;
    lk->proc.pid = o->pid;
    int rc = tfmt_lines_open(&lk->in, path, err);
    if (rc == 0)
        rc = read_banner(lk, err);
    if (rc < 0) {
        lackey_close(lk);
        return rc;
    }
    lk->header_done = 1;
    set_meta(&lk->meta[0], "source.format", "lackey");
    set_meta(&lk->meta[1], "lackey.time", "1 ns per reference line (I/L/S/M), counted before filtering");
    set_meta(&lk->meta[2], "lackey.ifetch", o->ifetch ? "1" : "0");
    set_meta(&lk->meta[3], "lackey.collapse", o->collapse ? "1" : "0");
    set_meta(&lk->meta[4], "lackey.modify", "M (load+store) recorded as one write");
    memset(h, 0, sizeof *h);
    h->version = TRACE_VERSION;
    h->page_size = o->page_size;
    h->nprocs = 1;
    h->procs = &lk->proc;
    h->nmeta = 5;
    h->meta = lk->meta;
    *self = lk;
    return 0;
}

const struct tfmt_ops tfmt_lackey_ops = {
    .name = "lackey",
    .desc = "Valgrind lackey --trace-mem=yes text (read only)",
    .ext = ".lackey",
    .open_read = lackey_open,
    .read = lackey_read,
    .close_read = lackey_close,
};
