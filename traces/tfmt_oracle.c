/* tfmt_oracle: libCacheSim's oracleGeneral binary traces, both directions.
 *
 * A file is packed 24-byte little-endian records {uint32 time (seconds),
 * uint64 obj_id, uint32 obj_size, int64 next_access_vtime}. Reading maps a
 * record to a READ of page = obj_id with size = obj_size (TRACE_F_SIZES) at
 * time = seconds * 1e9 ns.
 *
 * Next-access values. Without opts.keep_next (the default, for simulation)
 * the reader makes no pre-pass and rec.next is TRACE_NO_NEXT; metadata says
 * oracle.next=dropped. Files and pipes are read in chunks of RCHUNK_RECS
 * records (96 KiB, small enough to stay in a core's L2 cache; measured
 * faster end to end than a mapping of the file, which pays for page faults
 * and the unmapping: the speed of `vmmsim cache` depends on it). With
 * keep_next a pre-pass checks that every value is
 * "index of the next request to this object + base" or, for an object's
 * last request, one constant "none" value (-1 in libCacheSim). If so the
 * values are derivable: they are not carried (oracle.next=derived,
 * oracle.next_base, oracle.no_next in the metadata) and the writer
 * recomputes them. Otherwise, or when the input is a pipe (no second pass),
 * records carry them (TRACE_F_NEXT, oracle.next=carried).
 *
 * Writing: READ and WRITE records become requests (other ops are skipped);
 * time is floor(ns / 1e9) and must fit 32 bits; size is rec.size with
 * TRACE_F_SIZES, else the page size. With TRACE_F_NEXT rec.next is written
 * as is; otherwise the writer derives next values (base and none value from
 * the metadata, default 0 and -1) in a backward pass over the finished file
 * at close, with a map obj -> index of its nearest later request, and
 * patches them in place (the output is a regular file under a temporary
 * name until then).
 *
 * Main data structures: the reader's mapping or chunk buffer; struct omap, an
 * open-addressing hash map from object id to a slot {index + 1, value}.
 * Invariant: a map slot with idx1 == 0 is empty; the load stays <= 1/2.
 */
#include "traces/tfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/hash.h"
#include "sim/mem.h"
#include "traces/trace_codec.h"

#define OREC 24u
#define CHUNK_RECS 43690u              /* 24 * 43690 = 1048560 bytes */
#define CHUNK_BYTES (OREC * CHUNK_RECS)
#define RCHUNK_RECS 4096u              /* the reader's chunk: 98304 bytes */
#define RCHUNK_BYTES (OREC * RCHUNK_RECS)
#define NS_PER_S 1000000000u

/* ---- object map ---- */

struct oslot {
    uint64_t key;
    uint64_t idx1;   /* record index + 1; 0 = empty */
    int64_t  val;
};

struct omap {
    struct oslot *s;
    uint64_t mask, used;
};

static int omap_init(struct omap *m)
{
    m->mask = 1023;
    m->used = 0;
    m->s = mem_calloc(m->mask + 1, sizeof *m->s);
    return m->s ? 0 : -ENOMEM;
}

static void omap_free(struct omap *m)
{
    if (m->s)
        mem_free(m->s, (m->mask + 1) * sizeof *m->s);
    m->s = NULL;
}

static struct oslot *omap_probe(struct oslot *s, uint64_t mask, uint64_t key)
{
    uint64_t i = hash_mix64(key) & mask;
    while (s[i].idx1 && s[i].key != key)
        i = (i + 1) & mask;
    return &s[i];
}

static int omap_grow(struct omap *m)
{
    uint64_t nmask = m->mask * 2 + 1;
    struct oslot *ns = mem_calloc(nmask + 1, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    for (uint64_t i = 0; i <= m->mask; i++)
        if (m->s[i].idx1)
            *omap_probe(ns, nmask, m->s[i].key) = m->s[i];
    mem_free(m->s, (m->mask + 1) * sizeof *m->s);
    m->s = ns;
    m->mask = nmask;
    return 0;
}

/* Slot for key (idx1 == 0 if new: the caller fills it); NULL on ENOMEM. */
static struct oslot *omap_get(struct omap *m, uint64_t key)
{
    if ((m->used + 1) * 2 > m->mask + 1 && omap_grow(m) < 0)
        return NULL;
    struct oslot *e = omap_probe(m->s, m->mask, key);
    if (!e->idx1) {
        e->key = key;
        m->used++;
    }
    return e;
}

/* ---- reader ---- */

struct ord {
    int fd, own_fd;
    const char *path;     /* not owned: the caller's string outlives us */
    unsigned char *buf;   /* RCHUNK_BYTES */
    size_t have, pos;     /* valid bytes in buf, bytes consumed */
    int eof;              /* read() returned 0 */
    uint64_t offset;      /* file offset of buf[0] */
    int carry_next;
    uint32_t pid;
    uint16_t vm;
    struct trace_meta meta[4];
};

/* Make buf hold the next whole records (a partial record stays unconsumed).
 * Returns the bytes of whole records available, 0 at the clean end, or a
 * negative code when the input ends inside a record. */
static ssize_t fill(struct ord *r, struct trace_err *err)
{
    memmove(r->buf, r->buf + r->pos, r->have - r->pos);
    r->offset += r->pos;
    r->have -= r->pos;
    r->pos = 0;
    while (!r->eof && r->have < RCHUNK_BYTES) {
        ssize_t n = read(r->fd, r->buf + r->have, RCHUNK_BYTES - r->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return trace_err_set(err, -errno, "%s: offset %" PRIu64 ": read error: %s", r->path,
                             r->offset + r->have, strerror(errno));
        r->eof = n == 0;
        r->have += (size_t)n;
    }
    size_t whole = r->have - r->have % OREC;
    if (whole == 0 && r->have)
        return trace_err_set(err, -EINVAL, "%s: offset %" PRIu64 ": expected a whole 24-byte record, got %zu bytes at the end",
                         r->path, r->offset, r->have);
    return (ssize_t)whole;
}

/* Whole records ready at r->pos, refilling when none is: at most n; 0 at
 * the end; negative with err set on a read error or a cut record. */
static ssize_t ready(struct ord *r, size_t n, struct trace_err *err)
{
    if (r->have - r->pos < OREC) {
        ssize_t f = fill(r, err);
        if (f <= 0)
            return f;
    }
    size_t k = (r->have - r->pos) / OREC;
    return (ssize_t)(k > n ? n : k);
}

static ssize_t oracle_read(void *self, struct trace_rec *out, size_t n, struct trace_err *err)
{
    struct ord *r = self;
    ssize_t got = ready(r, n, err);
    if (got <= 0)
        return got;
    size_t k = (size_t)got;
    const unsigned char *p = r->buf + r->pos;
    const uint32_t pid = r->pid;
    const uint16_t vm = r->vm;
    const int carry = r->carry_next;
    for (size_t i = 0; i < k; i++, p += OREC) {
        struct trace_rec *o = &out[i];
        o->time = (uint64_t)trc_get32(p) * NS_PER_S;
        o->page = trc_get64(p + 4);
        o->arg = 0;
        o->next = carry ? (int64_t)trc_get64(p + 16) : TRACE_NO_NEXT;
        o->pid = pid;
        o->size = trc_get32(p + 12);
        o->vm = vm;
        o->op = TRACE_READ;
        o->pad = 0;
    }
    r->pos += k * OREC;
    return (ssize_t)k;
}

static ssize_t oracle_read_pages(void *self, uint64_t *pages, size_t n, struct trace_err *err)
{
    struct ord *r = self;
    ssize_t got = ready(r, n, err);
    if (got <= 0)
        return got;
    size_t k = (size_t)got;
    const unsigned char *p = r->buf + r->pos + 4;
    for (size_t i = 0; i < k; i++, p += OREC)
        pages[i] = trc_get64(p);
    r->pos += k * OREC;
    return (ssize_t)k;
}

static void oracle_close(void *self)
{
    struct ord *r = self;
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    if (r->buf)
        mem_free(r->buf, RCHUNK_BYTES);
    mem_free(r, sizeof *r);
}

static void set_meta(struct trace_meta *m, const char *k, const char *v)
{
    snprintf(m->key, sizeof m->key, "%s", k);
    snprintf(m->value, sizeof m->value, "%s", v);
}

struct derive {
    int have_base;
    int64_t base;     /* next = index of next request + base */
    int have_none;
    int64_t none;     /* next of an object's last request */
    int ok;
};

/* Check one record of the pre-pass against the derivation rule. */
static int derive_step(struct derive *d, struct omap *m, uint64_t idx, uint64_t obj, int64_t next)
{
    struct oslot *e = omap_get(m, obj);
    if (!e)
        return -ENOMEM;
    if (e->idx1 && d->ok) {
        int64_t b = (int64_t)((uint64_t)e->val - idx);
        if (!d->have_base) {
            d->base = b;
            d->have_base = 1;
        } else if (b != d->base) {
            d->ok = 0;
        }
    }
    e->idx1 = idx + 1;
    e->val = next;
    return 0;
}

/* Pre-pass over the whole file (keep_next): are next values derivable? */
static int prepass(struct ord *r, struct derive *d, struct trace_err *err)
{
    struct omap m;
    if (omap_init(&m) < 0)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", r->path);
    memset(d, 0, sizeof *d);
    d->ok = 1;
    uint64_t idx = 0;
    int rc = 0;
    ssize_t f = 0;
    while (rc == 0 && (f = fill(r, err)) > 0) {
        for (; r->pos + OREC <= r->have && rc == 0; r->pos += OREC, idx++)
            rc = derive_step(d, &m, idx, trc_get64(r->buf + r->pos + 4), (int64_t)trc_get64(r->buf + r->pos + 16));
        if (rc < 0)
            rc = trace_err_set(err, rc, "%s: out of memory", r->path);
    }
    if (rc == 0 && f < 0)
        rc = (int)f;
    for (uint64_t i = 0; rc == 0 && d->ok && i <= m.mask; i++) {
        if (!m.s[i].idx1)
            continue;
        if (!d->have_none) {
            d->none = m.s[i].val;
            d->have_none = 1;
        } else if (m.s[i].val != d->none) {
            d->ok = 0;
        }
    }
    omap_free(&m);
    if (!d->have_base)
        d->base = 0;
    if (!d->have_none)
        d->none = TRACE_NO_NEXT;
    if (rc == 0 && lseek(r->fd, 0, SEEK_SET) < 0)
        rc = trace_err_set(err, -errno, "%s: keep_next needs a seekable file: %s", r->path, strerror(errno));
    r->pos = 0;
    r->have = 0;
    r->offset = 0;
    r->eof = 0;
    return rc;
}

static int open_fd(struct ord *r, const char *path, struct trace_err *err)
{
    if (strcmp(path, "-") == 0) {
        r->fd = 0;
        r->buf = mem_alloc(RCHUNK_BYTES);
        return r->buf ? 0 : trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return trace_err_set(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    r->own_fd = 1;
    struct stat st;
    if (fstat(r->fd, &st) < 0)
        return trace_err_set(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode) && st.st_size % OREC) {
        uint64_t sz = (uint64_t)st.st_size;
        return trace_err_set(err, -EINVAL, "%s: offset %" PRIu64 ": expected a whole 24-byte record, got %" PRIu64 " bytes at the end (file size %" PRIu64 ")",
                         path, sz - sz % OREC, sz % OREC, sz);
    }
    r->buf = mem_alloc(RCHUNK_BYTES);
    if (!r->buf)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

static int oracle_open(const char *path, const struct tfmt_opts *o, void **self,
                       struct trace_header *h, struct trace_err *err)
{
    struct ord *r = mem_calloc(1, sizeof *r);
    if (!r)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    r->fd = -1;
    r->path = path;
    r->pid = o->pid;
    r->vm = o->vm;
    int rc = open_fd(r, path, err);
    struct derive d = {0, 0, 0, TRACE_NO_NEXT, 0};
    /* a pipe cannot be read twice: keep_next then carries the values */
    int seekable = lseek(r->fd, 0, SEEK_CUR) >= 0;
    if (rc == 0 && o->keep_next && seekable)
        rc = prepass(r, &d, err);
    if (rc < 0) {
        oracle_close(r);
        return rc;
    }
    memset(h, 0, sizeof *h);
    h->version = TRACE_VERSION;
    h->page_size = o->page_size ? o->page_size : 4096;
    h->flags = TRACE_F_SIZES;
    set_meta(&r->meta[0], "source.format", "oracleGeneral");
    h->meta = r->meta;
    h->nmeta = 2;
    if (!o->keep_next) {
        set_meta(&r->meta[1], "oracle.next", "dropped");
    } else if (d.ok) {
        char v[32];
        set_meta(&r->meta[1], "oracle.next", "derived");
        snprintf(v, sizeof v, "%" PRId64, d.base);
        set_meta(&r->meta[2], "oracle.next_base", v);
        snprintf(v, sizeof v, "%" PRId64, d.none);
        set_meta(&r->meta[3], "oracle.no_next", v);
        h->nmeta = 4;
    } else {
        set_meta(&r->meta[1], "oracle.next", "carried");
        h->flags |= TRACE_F_NEXT;
        r->carry_next = 1;
    }
    *self = r;
    return 0;
}

/* ---- writer ---- */

struct owr {
    struct tfmt_out out;
    unsigned char *buf;   /* CHUNK_BYTES */
    size_t used;
    uint64_t nrecs;
    int carried, sizes;
    uint32_t page_size;
    int64_t base, none;
};

static const char *meta_get(const struct trace_header *h, const char *key)
{
    for (uint32_t i = 0; i < h->nmeta; i++)
        if (strcmp(h->meta[i].key, key) == 0)
            return h->meta[i].value;
    return NULL;
}

static int flush(struct owr *w, struct trace_err *err)
{
    int rc = tfmt_out_write(&w->out, w->buf, w->used, err);
    w->used = 0;
    return rc;
}

static int oracle_write(void *self, const struct trace_rec *recs, size_t n, struct trace_err *err)
{
    struct owr *w = self;
    for (size_t i = 0; i < n; i++) {
        const struct trace_rec *r = &recs[i];
        if (r->op != TRACE_READ && r->op != TRACE_WRITE)
            continue;
        uint64_t s = r->time / NS_PER_S;
        if (s > UINT32_MAX)
            return trace_err_set(err, -ERANGE, "%s: request %" PRIu64 ": expected a time below 2^32 s, got %" PRIu64 " s",
                             w->out.path, w->nrecs, s);
        int rc = w->used == CHUNK_BYTES ? flush(w, err) : 0;
        if (rc < 0)
            return rc;
        unsigned char *p = w->buf + w->used;
        trc_put32(p, (uint32_t)s);
        trc_put64(p + 4, r->page);
        trc_put32(p + 12, w->sizes ? r->size : w->page_size);
        trc_put64(p + 16, (uint64_t)(w->carried ? r->next : w->none));
        w->used += OREC;
        w->nrecs++;
    }
    return 0;
}

/* Backward pass over the finished file: fill in derived next values. */
static int backpatch(struct owr *w, struct trace_err *err)
{
    struct omap m;
    if (omap_init(&m) < 0)
        return trace_err_set(err, -ENOMEM, "%s: out of memory", w->out.path);
    uint64_t end = w->nrecs;
    int rc = 0;
    while (end > 0 && rc == 0) {
        uint64_t first = end > CHUNK_RECS ? end - CHUNK_RECS : 0;
        size_t bytes = (size_t)(end - first) * OREC;
        if (pread(w->out.fd, w->buf, bytes, (off_t)(first * OREC)) != (ssize_t)bytes) {
            rc = trace_err_set(err, -EIO, "%s: re-reading for next values failed", w->out.path);
            break;
        }
        for (uint64_t i = end; i-- > first && rc == 0;) {
            unsigned char *p = w->buf + (i - first) * OREC;
            struct oslot *e = omap_get(&m, trc_get64(p + 4));
            if (!e) {
                rc = trace_err_set(err, -ENOMEM, "%s: out of memory", w->out.path);
                break;
            }
            trc_put64(p + 16, (uint64_t)(e->idx1 ? (int64_t)(e->idx1 - 1) + w->base : w->none));
            e->idx1 = i + 1;
        }
        if (rc == 0 && pwrite(w->out.fd, w->buf, bytes, (off_t)(first * OREC)) != (ssize_t)bytes)
            rc = trace_err_set(err, -EIO, "%s: write error while patching next values", w->out.path);
        end = first;
    }
    omap_free(&m);
    return rc;
}

static void oracle_abort(void *self)
{
    struct owr *w = self;
    tfmt_out_discard(&w->out);
    mem_free(w->buf, CHUNK_BYTES);
    mem_free(w, sizeof *w);
}

static int oracle_close_write(void *self, struct trace_err *err)
{
    struct owr *w = self;
    int rc = flush(w, err);
    if (rc == 0 && !w->carried)
        rc = backpatch(w, err);
    if (rc < 0) {
        oracle_abort(w);
        return rc;
    }
    rc = tfmt_out_commit(&w->out, err);
    mem_free(w->buf, CHUNK_BYTES);
    mem_free(w, sizeof *w);
    return rc;
}

static int oracle_open_write(const char *path, const struct trace_header *h,
                             const struct tfmt_opts *o, void **self, struct trace_err *err)
{
    struct owr *w = mem_calloc(1, sizeof *w);
    unsigned char *buf = mem_alloc(CHUNK_BYTES);
    if (!w || !buf) {
        mem_free(w, sizeof *w);
        mem_free(buf, CHUNK_BYTES);
        return trace_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    w->buf = buf;
    w->carried = (h->flags & TRACE_F_NEXT) != 0;
    w->sizes = (h->flags & TRACE_F_SIZES) != 0;
    w->page_size = h->page_size;
    const char *b = meta_get(h, "oracle.next_base"), *z = meta_get(h, "oracle.no_next");
    w->base = b ? strtoll(b, NULL, 10) : 0;
    w->none = z ? strtoll(z, NULL, 10) : TRACE_NO_NEXT;
    int rc = tfmt_out_open(&w->out, path, err);
    if (rc < 0) {
        mem_free(buf, CHUNK_BYTES);
        mem_free(w, sizeof *w);
        return rc;
    }
    *self = w;
    return 0;
}

const struct tfmt_ops tfmt_oracle_ops = {
    .name = "oracleGeneral",
    .desc = "libCacheSim oracleGeneral binary (24-byte records), both directions",
    .ext = ".bin",
    .open_read = oracle_open,
    .read = oracle_read,
    .close_read = oracle_close,
    .read_pages = oracle_read_pages,
    .open_write = oracle_open_write,
    .write = oracle_write,
    .close_write = oracle_close_write,
    .abort_write = oracle_abort,
};
