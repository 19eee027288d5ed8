/* trace_common: the parts of the trace format both the writer and the reader
 * need: operation names, metadata lookup, error formatting, and the file
 * header's byte layout (encode for the writer, decode for the reader).
 *
 * Main data structure: the serialized header, a byte buffer laid out as in
 * traces/FORMAT.md section "File header".
 * Invariant: trace_hdr_decode(trace_hdr_encode(h)) reproduces h's fields and
 * tables exactly (names truncated to TRACE_NAME_MAX - 1 bytes), and decode
 * accepts only buffers whose every length lies inside the buffer.
 */
#include "traces/trace_codec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "sim/mem.h"
#include "traces/trace.h"

static const char *const op_names[TRACE_NOPS] = {
    "read", "write", "alloc", "free", "file-read", "file-write", "idle", "pte", "content",
};

const char *trace_op_name(unsigned op)
{
    return op < TRACE_NOPS ? op_names[op] : NULL;
}

int trace_op_parse(const char *name)
{
    for (unsigned i = 0; i < TRACE_NOPS; i++)
        if (strcmp(name, op_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *trace_header_meta(const struct trace_header *h, const char *key)
{
    for (uint32_t i = 0; i < h->nmeta; i++)
        if (strcmp(h->meta[i].key, key) == 0)
            return h->meta[i].value;
    return NULL;
}

int trace_err_set(struct trace_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void trace_err_quote(char *out, size_t size, const uint8_t *s, size_t n)
{
    size_t o = 0;
    if (size < 3)
        return;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 6 < size; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", s[i]);
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* ---- header layout ---- */

#define VM_MAX_BYTES   (1 + (TRACE_NAME_MAX - 1) + 8)
#define PROC_MAX_BYTES (2 + 4 + 1 + (TRACE_NAME_MAX - 1))
#define META_MAX_BYTES (1 + (TRACE_NAME_MAX - 1) + 2 + 255)

size_t trace_hdr_max_len(void)
{
    return TRC_HDR_FIXED + (size_t)TRACE_MAX_VMS * VM_MAX_BYTES +
           (size_t)TRACE_MAX_PROCS * PROC_MAX_BYTES + (size_t)TRACE_MAX_META * META_MAX_BYTES + 8;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t max, int wide)
{
    size_t n = strnlen(s, max);
    if (wide) {
        *p++ = (uint8_t)n;
        *p++ = (uint8_t)(n >> 8);
    } else {
        *p++ = (uint8_t)n;
    }
    memcpy(p, s, n);
    return p + n;
}

int trace_hdr_encode(const struct trace_header *h, uint8_t **buf, size_t *len,
                     const char *path, struct trace_err *err)
{
    if (h->nvms > TRACE_MAX_VMS || h->nprocs > TRACE_MAX_PROCS || h->nmeta > TRACE_MAX_META)
        return trace_err_set(err, -EINVAL, "%s: header has %u VMs, %u processes, %u metadata "
                             "entries; at most %u, %u, %u allowed", path, h->nvms, h->nprocs,
                             h->nmeta, TRACE_MAX_VMS, TRACE_MAX_PROCS, TRACE_MAX_META);
    if (h->page_size == 0 || (h->page_size & (h->page_size - 1)))
        return trace_err_set(err, -EINVAL, "%s: page size must be a power of two, got %u",
                             path, h->page_size);
    if (h->flags & ~TRC_KNOWN_FLAGS)
        return trace_err_set(err, -EINVAL, "%s: unknown header flags 0x%x", path, h->flags);
    size_t cap = trace_hdr_max_len();
    uint8_t *b = mem_alloc(cap), *p = b + TRC_HDR_FIXED;
    if (!b)
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the header", path);
    memcpy(b, TRC_MAGIC, TRC_MAGIC_LEN);
    trc_put32(b + 8, TRACE_VERSION);
    trc_put32(b + 16, h->page_size);
    trc_put32(b + 20, h->flags);
    trc_put32(b + 24, h->nvms);
    trc_put32(b + 28, h->nprocs);
    trc_put32(b + 32, h->nmeta);
    for (uint32_t i = 0; i < h->nvms; i++) {
        p = put_str(p, h->vms[i].name, TRACE_NAME_MAX - 1, 0);
        trc_put64(p, h->vms[i].memory);
        p += 8;
    }
    for (uint32_t i = 0; i < h->nprocs; i++) {
        p[0] = (uint8_t)h->procs[i].vm;
        p[1] = (uint8_t)(h->procs[i].vm >> 8);
        trc_put32(p + 2, h->procs[i].pid);
        p = put_str(p + 6, h->procs[i].name, TRACE_NAME_MAX - 1, 0);
    }
    for (uint32_t i = 0; i < h->nmeta; i++) {
        p = put_str(p, h->meta[i].key, TRACE_NAME_MAX - 1, 0);
        p = put_str(p, h->meta[i].value, sizeof h->meta[i].value - 1, 1);
    }
    size_t n = (size_t)(p - b) + 8;
    trc_put32(b + 12, (uint32_t)n);
    trc_put64(p, XXH3_64bits(b, n - 8));
    uint8_t *shrunk = mem_realloc(b, cap, n);
    if (!shrunk) {
        mem_free(b, cap);
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the header", path);
    }
    *buf = shrunk;
    *len = n;
    return 0;
}

/* Cursor over the header's variable part; every read checks the bound. */
struct hcur {
    const uint8_t *b;
    size_t pos, end;
    const char *path;
    struct trace_err *err;
};

static int need(struct hcur *c, size_t n, const char *what)
{
    if (n <= c->end - c->pos)
        return 0;
    return trace_err_set(c->err, -EILSEQ, "%s: offset %zu: bad header: %s needs %zu bytes, "
                         "only %zu left before the checksum", c->path, c->pos, what, n,
                         c->end - c->pos);
}

static int get_str(struct hcur *c, char *out, size_t max, int wide, const char *what)
{
    int rc = need(c, wide ? 2 : 1, what);
    if (rc)
        return rc;
    size_t n = c->b[c->pos] | (wide ? (size_t)c->b[c->pos + 1] << 8 : 0);
    size_t at = c->pos;
    c->pos += wide ? 2 : 1;
    if (n > max)
        return trace_err_set(c->err, -EILSEQ, "%s: offset %zu: bad header: %s length: expected "
                             "at most %zu, got %zu", c->path, at, what, max, n);
    if ((rc = need(c, n, what)))
        return rc;
    if (memchr(c->b + c->pos, 0, n))
        return trace_err_set(c->err, -EILSEQ, "%s: offset %zu: bad header: %s contains a NUL "
                             "byte", c->path, c->pos, what);
    memcpy(out, c->b + c->pos, n);
    out[n] = '\0';
    c->pos += n;
    return 0;
}

static int decode_tables(struct hcur *c, struct trace_vm *vms, struct trace_proc *procs,
                         struct trace_meta *meta, const struct trace_header *h)
{
    int rc;
    for (uint32_t i = 0; i < h->nvms; i++) {
        if ((rc = get_str(c, vms[i].name, TRACE_NAME_MAX - 1, 0, "VM name")) ||
            (rc = need(c, 8, "VM memory")))
            return rc;
        vms[i].memory = trc_get64(c->b + c->pos);
        c->pos += 8;
    }
    for (uint32_t i = 0; i < h->nprocs; i++) {
        if ((rc = need(c, 6, "process entry")))
            return rc;
        procs[i].vm = (uint16_t)(c->b[c->pos] | c->b[c->pos + 1] << 8);
        procs[i].pid = trc_get32(c->b + c->pos + 2);
        c->pos += 6;
        if ((rc = get_str(c, procs[i].name, TRACE_NAME_MAX - 1, 0, "process name")))
            return rc;
    }
    for (uint32_t i = 0; i < h->nmeta; i++)
        if ((rc = get_str(c, meta[i].key, TRACE_NAME_MAX - 1, 0, "metadata key")) ||
            (rc = get_str(c, meta[i].value, sizeof meta[i].value - 1, 1, "metadata value")))
            return rc;
    if (c->pos != c->end)
        return trace_err_set(c->err, -EILSEQ, "%s: offset %zu: bad header: expected the "
                             "checksum at offset %zu, got %zu more table bytes", c->path,
                             c->pos, c->end, c->end - c->pos);
    return 0;
}

int trace_hdr_decode(const uint8_t *buf, size_t len, struct trace_header *h,
                     const char *path, struct trace_err *err)
{
    memset(h, 0, sizeof *h);
    h->version = trc_get32(buf + 8);
    h->page_size = trc_get32(buf + 16);
    h->flags = trc_get32(buf + 20);
    h->nvms = trc_get32(buf + 24);
    h->nprocs = trc_get32(buf + 28);
    h->nmeta = trc_get32(buf + 32);
    if (h->page_size == 0 || (h->page_size & (h->page_size - 1)))
        return trace_err_set(err, -EILSEQ, "%s: offset 16: bad header: page size: expected a "
                             "power of two, got %u", path, h->page_size);
    if (h->flags & ~TRC_KNOWN_FLAGS)
        return trace_err_set(err, -EILSEQ, "%s: offset 20: bad header: flags: expected bits "
                             "of 0x%x, got 0x%x", path, TRC_KNOWN_FLAGS, h->flags);
    if (h->nvms > TRACE_MAX_VMS || h->nprocs > TRACE_MAX_PROCS || h->nmeta > TRACE_MAX_META)
        return trace_err_set(err, -EILSEQ, "%s: offset 24: bad header: table sizes: expected "
                             "at most %u VMs, %u processes, %u metadata entries, got %u, %u, %u",
                             path, TRACE_MAX_VMS, TRACE_MAX_PROCS, TRACE_MAX_META, h->nvms,
                             h->nprocs, h->nmeta);
    struct trace_vm *vms = mem_calloc(h->nvms, sizeof *vms);
    struct trace_proc *procs = mem_calloc(h->nprocs, sizeof *procs);
    struct trace_meta *meta = mem_calloc(h->nmeta, sizeof *meta);
    h->vms = vms;
    h->procs = procs;
    h->meta = meta;
    if (!vms || !procs || !meta) {
        trace_hdr_free(h);
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the header tables", path);
    }
    struct hcur c = {buf, TRC_HDR_FIXED, len - 8, path, err};
    int rc = decode_tables(&c, vms, procs, meta, h);
    if (rc)
        trace_hdr_free(h);
    return rc;
}

void trace_hdr_free(struct trace_header *h)
{
    mem_free((void *)h->vms, (h->vms ? h->nvms : 0) * sizeof *h->vms);
    mem_free((void *)h->procs, (h->procs ? h->nprocs : 0) * sizeof *h->procs);
    mem_free((void *)h->meta, (h->meta ? h->nmeta : 0) * sizeof *h->meta);
    h->vms = NULL;
    h->procs = NULL;
    h->meta = NULL;
}

/* ---- reading the header from a file ---- */

static int check_fixed(const uint8_t *b, uint64_t fsize, const char *path,
                       struct trace_err *err)
{
    char q[64];
    if (fsize < TRC_MAGIC_LEN || memcmp(b, TRC_MAGIC, TRC_MAGIC_LEN) != 0) {
        trace_err_quote(q, sizeof q, b, fsize < TRC_MAGIC_LEN ? fsize : TRC_MAGIC_LEN);
        return trace_err_set(err, -EILSEQ, "%s: offset 0: not a vmmsim trace: expected magic "
                             "\"%s\", got %s", path, TRC_MAGIC, q);
    }
    if (fsize < TRC_HDR_FIXED)
        return trace_err_set(err, -EILSEQ, "%s: offset 0: truncated header: file ends at "
                             "offset %llu, the header needs at least %d bytes", path,
                             (unsigned long long)fsize, TRC_HDR_FIXED + 8);
    uint32_t v = trc_get32(b + 8);
    if (v != TRACE_VERSION)
        return trace_err_set(err, -ENOTSUP, "%s: offset 8: unsupported trace version %u "
                             "(this reader reads version %d)", path, v, TRACE_VERSION);
    return 0;
}

int trace_hdr_read(FILE *f, uint64_t fsize, const char *path, struct trace_header *h,
                   uint32_t *hlen, struct trace_err *err)
{
    uint8_t fixed[TRC_HDR_FIXED] = {0};
    size_t got = fread(fixed, 1, sizeof fixed, f);
    (void)got; /* a short file is diagnosed from fsize */
    int rc = check_fixed(fixed, fsize, path, err);
    if (rc)
        return rc;
    uint32_t len = trc_get32(fixed + 12);
    if (len < TRC_HDR_FIXED + 8 || len > trace_hdr_max_len())
        return trace_err_set(err, -EILSEQ, "%s: offset 12: bad header: header length: "
                             "expected %d..%zu, got %u", path, TRC_HDR_FIXED + 8,
                             trace_hdr_max_len(), len);
    if (len > fsize)
        return trace_err_set(err, -EILSEQ, "%s: offset 0: truncated header: file ends at "
                             "offset %llu, the header needs %u bytes", path,
                             (unsigned long long)fsize, len);
    uint8_t *b = mem_alloc(len);
    if (!b)
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the header", path);
    memcpy(b, fixed, TRC_HDR_FIXED);
    if (fread(b + TRC_HDR_FIXED, 1, len - TRC_HDR_FIXED, f) != len - TRC_HDR_FIXED) {
        rc = trace_err_set(err, -EIO, "%s: offset %d: read error", path, TRC_HDR_FIXED);
        goto out;
    }
    uint64_t want = trc_get64(b + len - 8), have = XXH3_64bits(b, len - 8);
    if (want != have) {
        rc = trace_err_set(err, -EILSEQ, "%s: offset %u: header checksum mismatch: expected "
                           "%016llx, got %016llx", path, len - 8, (unsigned long long)want,
                           (unsigned long long)have);
        goto out;
    }
    rc = trace_hdr_decode(b, len, h, path, err);
    *hlen = len;
out:
    mem_free(b, len);
    return rc;
}
