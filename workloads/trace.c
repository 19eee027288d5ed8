/* trace: the `trace` workload kind, which replays a recorded page-reference
 * trace (any format of traces/tfmt.h; the native one through traces/trace.h)
 * into a VM's processes.
 *
 * prepare() runs once per VM: it reads the kind's keys, opens the trace and
 * pre-scans it whole. The scan finds the trace's streams (distinct (vm, pid)
 * pairs in order of first appearance), selects those `map` names, counts
 * each selected stream's references, builds its dense page map (trace page
 * -> vpn in first-seen order) or its page range, and decides whether the
 * trace is timed. A damaged trace is thus reported at config time, with the
 * reader's positioned message. Every process then opens its own reader and
 * replays its one stream, decoding batches of records into a buffer it owns.
 *
 * Timing rule: a trace is timed when its time field never goes backwards and
 * the differences between consecutive records are not all equal (a constant
 * step, including all-zero, means the tool had no clock). In a timed trace a
 * process's gap before a record, times time_scale, minus `think` per
 * reference, accumulates as sleep; in an untimed one only IDLE records add
 * sleep (arg x time_scale). Pending sleep becomes a WL_IDLE record before the
 * next reference once it reaches idle_min.
 *
 * Main data structures: struct tshared (keys, streams, page maps; immutable
 * after prepare) and struct tgen (one per process: reader, record buffer,
 * pass and sleep state). Invariants: a selected stream's vpns are below the
 * derived footprint; a process never makes more references than
 * refs x passes of its stream, so fill() always finds one while the
 * framework's budget lasts; fill() allocates nothing (a non-native format
 * is reopened when it loops; see trace_src_rewind).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/panic.h"
#include "traces/tfmt.h"
#include "traces/trace.h"
#include "workloads/densemap.h"
#include "workloads/trace_src.h"
#include "workloads/workload.h"

#define BATCH 256                 /* records decoded per read */
#define MAX_STREAMS 65536u        /* distinct (vm, pid) pairs in one trace */
#define MAX_VPAGES ((1u << 28) - 1)
#define FOREVER UINT64_MAX

/* ---- the shared scan ---- */

struct stream {
    uint64_t key;                 /* vm << 32 | pid */
    uint64_t refs;                /* READ + WRITE records in one pass */
    uint64_t minpage, maxpage;    /* of its references */
    int selected;
    struct densemap pages;            /* dense mode: page -> vpn - offset */
};

struct tshared {
    char path[4096];
    const struct tfmt_ops *fmt;   /* NULL = native */
    struct tfmt_opts opts;
    int dense, base_min, timed;
    uint64_t offset, base, passes, idle_min;
    double scale;
    uint64_t t0;                  /* time of the trace's first record */
    struct densemap ids;              /* stream key -> index */
    struct stream *streams;
    uint32_t nstreams, cap;
    uint32_t *sel;                /* process i replays streams[sel[i]] */
    uint32_t nsel;
    int has_vm;                   /* map.vm given */
    uint16_t vm;
    const struct cfg_node *pids;  /* map.pids, or NULL */
};

static void shared_free(void *p)
{
    struct tshared *sh = p;
    for (uint32_t i = 0; i < sh->nstreams; i++)
        if (sh->streams[i].pages.cap)
            densemap_free(&sh->streams[i].pages);
    mem_free(sh->streams, (size_t)sh->cap * sizeof *sh->streams);
    mem_free(sh->sel, (size_t)sh->nsel * sizeof *sh->sel);
    if (sh->ids.cap)
        densemap_free(&sh->ids);
    mem_free(sh, sizeof *sh);
}

static size_t shared_bytes(const void *p)
{
    const struct tshared *sh = p;
    size_t b = sizeof *sh + densemap_bytes(&sh->ids) + (size_t)sh->cap * sizeof *sh->streams +
               (size_t)sh->nsel * sizeof *sh->sel;
    for (uint32_t i = 0; i < sh->nstreams; i++)
        b += densemap_bytes(&sh->streams[i].pages);
    return b;
}

/* Parse a scalar as a decimal or 0x uint up to max; -1 if it is not one. */
static int scalar_uint(const struct cfg_node *n, uint64_t max, uint64_t *out)
{
    char *end;
    if (!n || n->type != CFG_SCALAR || !n->value || !n->value[0] || n->value[0] == '-' || n->value[0] == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(n->value, &end, 0);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int pid_listed(const struct tshared *sh, uint32_t pid)
{
    for (size_t i = 0; i < sh->pids->n; i++) {
        uint64_t v;
        if (scalar_uint(sh->pids->items[i], UINT32_MAX, &v) == 0 && v == pid)
            return 1;
    }
    return 0;
}

/* Index of the stream of r, adding it if new; -1 on overflow or no memory. */
static int64_t stream_of(struct tshared *sh, const struct trace_rec *r)
{
    uint64_t key = (uint64_t)r->vm << 32 | r->pid;
    uint32_t id = densemap_get(&sh->ids, key);
    if (id != UINT32_MAX)
        return id;
    if (sh->nstreams == MAX_STREAMS)
        return -1;
    if (sh->nstreams == sh->cap) {
        uint32_t cap = sh->cap ? 2 * sh->cap : 16;
        void *p = mem_realloc(sh->streams, (size_t)sh->cap * sizeof *sh->streams, (size_t)cap * sizeof *sh->streams);
        if (!p)
            return -1;
        sh->streams = p;
        sh->cap = cap;
    }
    if (densemap_add(&sh->ids, key) == UINT32_MAX)
        return -1;
    struct stream *st = &sh->streams[sh->nstreams];
    *st = (struct stream){.key = key, .minpage = UINT64_MAX};
    st->selected = (!sh->has_vm || r->vm == sh->vm) && (!sh->pids || pid_listed(sh, r->pid));
    return sh->nstreams++;
}

/* Account one record of the scan; -ENOMEM or -ERANGE on failure. */
static int scan_rec(struct tshared *sh, const struct trace_rec *r)
{
    int64_t id = stream_of(sh, r);
    if (id < 0)
        return -ERANGE;
    struct stream *st = &sh->streams[id];
    if (!st->selected || (r->op != TRACE_READ && r->op != TRACE_WRITE))
        return 0;
    st->refs++;
    if (r->page < st->minpage)
        st->minpage = r->page;
    if (r->page > st->maxpage)
        st->maxpage = r->page;
    if (sh->dense && densemap_add(&st->pages, r->page) == UINT32_MAX)
        return -ENOMEM;
    if (sh->dense && st->pages.n > MAX_VPAGES)
        return -ERANGE;
    return 0;
}

/* Read the whole trace once; fills streams and the timing verdict. */
static int scan(struct tshared *sh, struct cfg_node *file, uint32_t page_size, struct cfg_err *err)
{
    struct trace_rec *buf = mem_alloc(BATCH * sizeof *buf);
    struct trace_err te = {{0}};
    struct trace_src s;
    uint64_t nrec = 0, prev = 0, step = 0;
    int rc = -ENOMEM, varied = 0, monotone = 1;
    ssize_t k;

    if (!buf)
        goto out;
    if ((rc = trace_src_open(&s, sh->path, sh->fmt, &sh->opts, &te)) < 0) {
        rc = cfg_error(err, file, "%s", te.msg);
        goto out;
    }
    if (s.h.page_size != page_size) {
        rc = cfg_error(err, file, "%s: expected page size %u (the experiment's page_size), got %u", sh->path,
                       page_size, s.h.page_size);
        goto close;
    }
    while ((k = trace_src_read(&s, buf, BATCH, &te)) > 0) {
        for (ssize_t i = 0; i < k; i++, nrec++) {
            const struct trace_rec *r = &buf[i];
            if (nrec == 0)
                sh->t0 = r->time;
            else if (r->time < prev)
                monotone = 0;
            else if (nrec == 1)
                step = r->time - prev;
            else if (r->time - prev != step)
                varied = 1;
            prev = r->time;
            if ((rc = scan_rec(sh, r)) < 0) {
                rc = rc == -ENOMEM ? -ENOMEM
                                   : cfg_error(err, file, "%s: more than %u streams or %u distinct pages in one stream",
                                               sh->path, MAX_STREAMS, MAX_VPAGES);
                goto close;
            }
        }
    }
    rc = k < 0 ? cfg_error(err, file, "%s", te.msg) : 0;
    sh->timed = monotone && varied && sh->scale > 0;
close:
    trace_src_close(&s);
out:
    mem_free(buf, buf ? BATCH * sizeof *buf : 0);
    return rc;
}

/* ---- keys ---- */

/* file (relative to the config file's directory) and format. */
static int read_file(struct cfg_node *params, struct tshared *sh, uint32_t page_size, struct cfg_err *err)
{
    const char *file, *format;
    char names[256];
    int rc;
    if ((rc = cfg_str(params, "file", NULL, &file, err)) || (rc = cfg_str(params, "format", "auto", &format, err)))
        return rc;
    struct cfg_node *fn = cfg_get(params, "file");
    const char *cf = fn->doc ? fn->doc->file : NULL, *slash = cf ? strrchr(cf, '/') : NULL;
    if (file[0] != '/' && fn->line > 0 && slash)
        rc = snprintf(sh->path, sizeof sh->path, "%.*s/%s", (int)(slash - cf), cf, file);
    else
        rc = snprintf(sh->path, sizeof sh->path, "%s", file);
    if (rc < 0 || (size_t)rc >= sizeof sh->path || !file[0])
        return cfg_error(err, fn, "expected a trace file name, got \"%s\"", file);
    tfmt_opts_default(&sh->opts);
    sh->opts.page_size = page_size;
    if (strcmp(format, "auto") == 0)
        sh->fmt = tfmt_guess(sh->path);
    else if (!(sh->fmt = tfmt_find(format)))
        return cfg_error(err, cfg_get(params, "format"), "expected auto or one of %s, got \"%s\"",
                         tfmt_names(names, sizeof names), format);
    if (!sh->fmt)
        return cfg_error(err, fn, "%s: cannot tell the trace's format (set format: to one of %s)", sh->path,
                         tfmt_names(names, sizeof names));
    if (strcmp(sh->fmt->name, "vmmsim") == 0)
        sh->fmt = NULL; /* read natively: rewinds without reopening */
    else if (!sh->fmt->open_read)
        return cfg_error(err, fn, "%s: format %s cannot be read", sh->path, sh->fmt->name);
    return 0;
}

/* map: all | {vm: N, pids: [P, ...]}. */
static int read_map(struct cfg_node *params, struct tshared *sh, struct cfg_err *err)
{
    struct cfg_node *m = cfg_get(params, "map");
    uint64_t v;
    int rc;
    if (!m || (m->type == CFG_SCALAR && m->value && strcmp(m->value, "all") == 0))
        return 0;
    if (m->type != CFG_MAP)
        return cfg_error(err, m, "expected all or a mapping {vm: N, pids: [P, ...]}, got \"%s\"",
                         m->value ? m->value : "a sequence");
    struct cfg_node *vm = cfg_get(m, "vm"), *pids = cfg_get(m, "pids");
    if (vm) {
        if ((rc = cfg_uint(m, "vm", NULL, 0, UINT16_MAX, &v, err)))
            return rc;
        sh->has_vm = 1;
        sh->vm = (uint16_t)v;
    }
    if (!pids)
        return 0;
    if ((rc = cfg_want_seq(pids, err)))
        return rc;
    if (pids->n == 0 || pids->n > 4096)
        return cfg_error(err, pids, "expected 1..4096 pids, got %zu", pids->n);
    for (size_t i = 0; i < pids->n; i++)
        if (scalar_uint(cfg_item(pids, i), UINT32_MAX, &v) < 0)
            return cfg_error(err, pids->items[i], "expected a pid (uint), got \"%s\"",
                             pids->items[i]->value ? pids->items[i]->value : "a collection");
    sh->pids = pids;
    return 0;
}

/* loop: false | true | N (passes in all). */
static int read_loop(struct cfg_node *params, struct tshared *sh, struct cfg_err *err)
{
    struct cfg_node *n = cfg_get(params, "loop");
    int on;
    if (n && n->type == CFG_SCALAR && n->value && n->value[0] >= '0' && n->value[0] <= '9')
        return cfg_uint(params, "loop", NULL, 1, UINT32_MAX, &sh->passes, err);
    if (cfg_bool(params, "loop", "false", &on, err))
        return cfg_error(err, n, "expected true, false or a number of passes >= 1, got \"%s\"",
                         n->value ? n->value : "a collection");
    sh->passes = on ? FOREVER : 1;
    if (on && !cfg_get(params, "refs"))
        return cfg_error(err, cfg_get(params, "loop"), "expected a refs budget with loop: true (missing key 'refs')");
    return 0;
}

/* pages, offset, base (direct only), time_scale, idle_min. */
static int read_mapping_keys(struct cfg_node *params, struct tshared *sh, struct cfg_err *err)
{
    static const char *const modes[] = {"dense", "direct", NULL};
    int mode, rc;
    if ((rc = cfg_choice(params, "pages", "dense", modes, &mode, err)) ||
        (rc = cfg_uint(params, "offset", "0", 0, MAX_VPAGES - 1, &sh->offset, err)))
        return rc;
    sh->dense = mode == 0;
    if (!sh->dense) {
        struct cfg_node *b = cfg_get(params, "base");
        sh->base_min = b && b->type == CFG_SCALAR && b->value && strcmp(b->value, "min") == 0;
        if (!sh->base_min && (rc = cfg_uint(params, "base", "0", 0, UINT64_MAX, &sh->base, err)))
            return rc;
    }
    if ((rc = cfg_dbl(params, "time_scale", "1", 0.0, 1e9, &sh->scale, err)) ||
        (rc = cfg_time(params, "idle_min", "10us", &sh->idle_min, err)))
        return rc;
    if (sh->idle_min < 1000)
        return cfg_error(err, cfg_get(params, "idle_min"), "expected at least 1us, got %lluns",
                         (unsigned long long)sh->idle_min);
    return 0;
}

/* The stream pid k of map.pids names, among the selected ones; error if
 * none, or if it occurs in two trace VMs. */
static int find_pid(struct tshared *sh, size_t k, uint32_t *out, struct cfg_err *err)
{
    uint64_t pid = 0;
    int64_t found = -1;
    scalar_uint(sh->pids->items[k], UINT32_MAX, &pid);
    for (uint32_t i = 0; i < sh->nstreams; i++) {
        if (!sh->streams[i].selected || (sh->streams[i].key & 0xffffffffu) != pid)
            continue;
        if (found >= 0)
            return cfg_error(err, sh->pids->items[k], "pid %llu occurs in trace VMs %u and %u; add map.vm",
                             (unsigned long long)pid, (unsigned)(sh->streams[found].key >> 32),
                             (unsigned)(sh->streams[i].key >> 32));
        found = i;
    }
    if (found < 0)
        return cfg_error(err, sh->pids->items[k], "%s: no records of pid %llu%s in the trace", sh->path,
                         (unsigned long long)pid, sh->has_vm ? " of the selected VM" : "");
    for (size_t j = 0; j < k; j++)
        if (sh->sel[j] == (uint32_t)found)
            return cfg_error(err, sh->pids->items[k], "expected distinct pids, got %llu twice",
                             (unsigned long long)pid);
    *out = (uint32_t)found;
    return 0;
}

/* The processes: the selected streams in order of first appearance, or in
 * map.pids order. */
static int select_streams(struct tshared *sh, struct cfg_node *params, struct cfg_err *err)
{
    uint32_t n = 0;
    int rc;
    for (uint32_t i = 0; i < sh->nstreams; i++)
        n += (uint32_t)sh->streams[i].selected;
    if (n == 0 && sh->has_vm)
        return cfg_error(err, cfg_get(cfg_get(params, "map"), "vm"), "%s: no records of VM %u in the trace",
                         sh->path, sh->vm);
    if (n == 0 && !sh->pids)
        return cfg_error(err, cfg_get(params, "file"), "%s: the trace has no records", sh->path);
    if (sh->pids)
        n = (uint32_t)sh->pids->n;
    if (!(sh->sel = mem_alloc((size_t)n * sizeof *sh->sel)))
        return -ENOMEM;
    sh->nsel = n;
    if (sh->pids) {
        for (size_t k = 0; k < n; k++)
            if ((rc = find_pid(sh, k, &sh->sel[k], err)))
                return rc;
        return 0;
    }
    n = 0;
    for (uint32_t i = 0; i < sh->nstreams; i++)
        if (sh->streams[i].selected)
            sh->sel[n++] = i;
    return 0;
}

/* Footprint and length of the selected streams. */
static int derive(struct tshared *sh, struct cfg_node *params, struct wl_derived *d, struct cfg_err *err)
{
    *d = (struct wl_derived){.processes = sh->nsel};
    for (uint32_t i = 0; i < sh->nsel; i++) {
        struct stream *st = &sh->streams[sh->sel[i]];
        uint64_t top = 0, base = sh->base_min ? st->minpage : sh->base;
        if (st->refs && sh->dense)
            top = sh->offset + st->pages.n;
        else if (st->refs && st->minpage < base)
            return cfg_error(err, cfg_get(params, "base"), "%s: page 0x%llx of pid %u is below base 0x%llx",
                             sh->path, (unsigned long long)st->minpage, (unsigned)(st->key & 0xffffffffu),
                             (unsigned long long)base);
        else if (st->refs && st->maxpage - base >= MAX_VPAGES - sh->offset)
            return cfg_error(err, cfg_get(params, "pages"), "%s: pages 0x%llx..0x%llx of pid %u span too far for "
                             "direct mapping (use pages: dense)", sh->path, (unsigned long long)st->minpage,
                             (unsigned long long)st->maxpage, (unsigned)(st->key & 0xffffffffu));
        else if (st->refs)
            top = st->maxpage - base + sh->offset + 1;
        if (top > d->pages)
            d->pages = (uint32_t)top;
        uint64_t len = sh->passes == FOREVER ? (st->refs ? FOREVER : 0)
                     : st->refs > FOREVER / sh->passes ? FOREVER - 1 : st->refs * sh->passes;
        if (len > d->refs)
            d->refs = len;
    }
    return 0;
}

static int tw_prepare(struct cfg_node *params, const struct wl_common *c, void **shared, struct wl_derived *d,
                      struct cfg_err *err)
{
    struct tshared *sh = mem_calloc(1, sizeof *sh);
    int rc;
    if (!sh) {
        snprintf(err->msg, sizeof err->msg, "trace: out of memory");
        return -ENOMEM;
    }
    if ((rc = read_file(params, sh, c->page_size, err)) || (rc = read_map(params, sh, err)) ||
        (rc = read_mapping_keys(params, sh, err)) || (rc = read_loop(params, sh, err)) ||
        (rc = scan(sh, cfg_get(params, "file"), c->page_size, err)) ||
        (rc = select_streams(sh, params, err)) || (rc = derive(sh, params, d, err))) {
        if (rc == -ENOMEM)
            snprintf(err->msg, sizeof err->msg, "trace: out of memory");
        shared_free(sh);
        return rc;
    }
    sh->pids = NULL; /* the config tree may go away before the set */
    *shared = sh;
    return 0;
}

/* ---- one process's replay ---- */

struct tgen {
    const struct tshared *sh;
    const struct stream *st;
    uint64_t base, think;
    struct trace_src src;
    uint32_t pos, len;
    int accounted;                /* rec[pos]'s time already added to sleep */
    uint64_t pass;                /* passes started */
    uint64_t last_t, sleep_ns, skipped;
    struct trace_rec rec[BATCH];
};

static int tw_create(struct cfg_node *params, const struct wl_env *env, void **self, struct cfg_err *err)
{
    const struct tshared *sh = env->shared;
    struct trace_err te = {{0}};
    struct tgen *g = mem_calloc(1, sizeof *g);
    if (!g) {
        snprintf(err->msg, sizeof err->msg, "trace: out of memory");
        return -ENOMEM;
    }
    g->sh = sh;
    g->st = &sh->streams[sh->sel[env->proc]];
    g->base = sh->base_min ? g->st->minpage : sh->base;
    g->think = env->common->think_ns;
    g->pass = 1;
    g->last_t = sh->t0;
    if (trace_src_open(&g->src, sh->path, sh->fmt, &sh->opts, &te) < 0) {
        mem_free(g, sizeof *g);
        return cfg_error(err, cfg_get(params, "file"), "%s", te.msg);
    }
    *self = g;
    return 0;
}

static void tw_destroy(void *self)
{
    struct tgen *g = self;
    trace_src_close(&g->src);
    mem_free(g, sizeof *g);
}

/* Next batch; at the end of a pass rewind if passes remain. 0 at the end. */
static int refill(struct tgen *g)
{
    struct trace_err te;
    for (;;) {
        ssize_t k = trace_src_read(&g->src, g->rec, BATCH, &te);
        if (k < 0)
            panic("trace_fill: %s (the trace changed after it was scanned?)", te.msg);
        if (k > 0) {
            g->pos = 0;
            g->len = (uint32_t)k;
            return 1;
        }
        if (g->sh->passes != FOREVER && g->pass >= g->sh->passes)
            return 0;
        if (trace_src_rewind(&g->src, g->sh->path, &g->sh->opts, &te) < 0)
            panic("trace_fill: %s", te.msg);
        g->pass++;
        g->last_t = g->sh->t0;
    }
}

/* Add record r's share of sleep: its time gap in a timed trace, its idle
 * argument in an untimed one, less one think time per reference. */
static void account(struct tgen *g, const struct trace_rec *r)
{
    const struct tshared *sh = g->sh;
    if (sh->timed) {
        g->sleep_ns += (uint64_t)((double)(r->time - g->last_t) * sh->scale);
        g->last_t = r->time;
    } else if (r->op == TRACE_IDLE) {
        g->sleep_ns += (uint64_t)((double)r->arg * sh->scale);
    }
    if (r->op == TRACE_READ || r->op == TRACE_WRITE)
        g->sleep_ns = g->sleep_ns > g->think ? g->sleep_ns - g->think : 0;
}

static uint32_t vpn_of(const struct tgen *g, uint64_t page)
{
    if (g->sh->dense)
        return (uint32_t)(g->sh->offset + densemap_get(&g->st->pages, page));
    return (uint32_t)(page - g->base + g->sh->offset);
}

static size_t tw_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct tgen *g = self;
    size_t k = 0;
    while (k < n) {
        if (g->pos == g->len && !refill(g))
            break;
        const struct trace_rec *r = &g->rec[g->pos];
        if (((uint64_t)r->vm << 32 | r->pid) != g->st->key) {
            g->pos++;
            continue;
        }
        if (!g->accounted)
            account(g, r);
        if (r->op != TRACE_READ && r->op != TRACE_WRITE) {
            g->skipped += r->op != TRACE_IDLE;
            g->pos++;
            g->accounted = 0;
            continue;
        }
        if (g->sleep_ns >= g->sh->idle_min) {
            uint64_t us = g->sleep_ns / 1000 < UINT32_MAX ? g->sleep_ns / 1000 : UINT32_MAX;
            buf[k++] = (struct wl_ref){.vpn = (uint32_t)us, .op = WL_IDLE};
            g->sleep_ns -= us * 1000;
            g->accounted = 1;
            continue;
        }
        buf[k++] = (struct wl_ref){.vpn = vpn_of(g, r->page), .op = r->op == TRACE_READ ? WL_READ : WL_WRITE};
        g->pos++;
        g->accounted = 0;
    }
    if (k == 0)
        panic("trace_fill: trace ended inside the process's budget");
    return k;
}

static size_t tw_footprint(const void *self)
{
    return sizeof(struct tgen);
}

static uint64_t tw_length(const void *self)
{
    const struct tgen *g = self;
    if (g->sh->passes == FOREVER)
        return g->st->refs ? FOREVER : 0;
    return g->st->refs > FOREVER / g->sh->passes ? FOREVER : g->st->refs * g->sh->passes;
}

static uint64_t tw_skipped(const void *self)
{
    return ((const struct tgen *)self)->skipped;
}

const struct workload_ops trace_ops = {
    .name = "trace",
    .desc = "replays a recorded trace (keys: file, format, map, pages, offset, base, loop, time_scale, idle_min)",
    .create = tw_create,
    .destroy = tw_destroy,
    .fill = tw_fill,
    .footprint = tw_footprint,
    .flags = WL_DERIVES | WL_WRITES,
    .prepare = tw_prepare,
    .release = shared_free,
    .shared_footprint = shared_bytes,
    .length = tw_length,
    .skipped = tw_skipped,
};
