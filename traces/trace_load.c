/* trace_load: a native reader's blocks loaded ahead in a second thread
 * (trace_reader_prefetch): file reads, both checksums and the zstd frames
 * of the next blocks run while the caller decodes the current one.
 *
 * The thread drives a private copy of the reader (its file position,
 * block count, records so far, compressed buffer and zstd context) through
 * the ordinary trace_read_fetch, so every check and message is the one the
 * caller's thread would have produced, into a ring of LOAD_SLOTS buffers.
 * Main data structure: struct trace_load, the ring and its counters. The
 * thread fills slot `filled % LOAD_SLOTS` while fewer than LOAD_SLOTS are
 * waiting; the reader decodes slot `taken % LOAD_SLOTS` and gives it back
 * when it takes the next. A slot holding an error or the end marker is the
 * thread's last and stays, so every later take sees it again.
 * Invariants: taken <= filled <= taken + LOAD_SLOTS; while the thread runs
 * only it touches the file, the zstd context and the copy; every buffer
 * is allocated before the thread starts and freed after it ends, in the
 * caller's thread (the thread allocates nothing).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "sim/mem.h"
#include "traces/trace_read_priv.h"

#define LOAD_SLOTS 3

struct lslot {
    uint8_t *raw;                      /* the block's columns, back to back */
    size_t col[TRC_NCOLS], len[TRC_NCOLS];
    uint32_t nrec;
    uint64_t blkoff;
    int rc, done;                      /* the load's error (err), the end marker */
    struct trace_err err;
};

struct trace_load {
    struct trace_reader sh;            /* the thread's copy of the reader */
    size_t rawbytes;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lslot slot[LOAD_SLOTS];
    uint64_t filled, taken;
    int holding, stop;
};

/* Load the next block into slot s; 1 when it was the thread's last. */
static int load_one(struct trace_load *L, struct lslot *s)
{
    struct trace_reader *sh = &L->sh;
    sh->raw = s->raw;
    s->err.msg[0] = '\0';
    s->rc = trace_read_fetch(sh, &s->err);
    s->done = sh->done;
    if (s->rc || s->done)
        return 1;
    for (int c = 0; c < TRC_NCOLS; c++) {
        s->col[c] = (size_t)(sh->cur[c] - s->raw);
        s->len[c] = (size_t)(sh->end[c] - sh->cur[c]);
    }
    s->nrec = sh->left;
    s->blkoff = sh->blkoff;
    sh->recidx += sh->left; /* as decoding it will: the end marker checks both */
    sh->blkno++;
    sh->left = 0;
    return 0;
}

static void *loader(void *arg)
{
    struct trace_load *L = arg;
    for (int last = 0; !last;) {
        pthread_mutex_lock(&L->mu);
        while (L->filled - L->taken == LOAD_SLOTS && !L->stop)
            pthread_cond_wait(&L->cv, &L->mu);
        int stop = L->stop;
        pthread_mutex_unlock(&L->mu);
        if (stop)
            break;
        last = load_one(L, &L->slot[L->filled % LOAD_SLOTS]);
        pthread_mutex_lock(&L->mu);
        L->filled++;
        pthread_cond_broadcast(&L->cv);
        pthread_mutex_unlock(&L->mu);
    }
    return NULL;
}

static void free_load(struct trace_load *L)
{
    for (int i = 0; i < LOAD_SLOTS; i++)
        mem_free(L->slot[i].raw, L->rawbytes);
    mem_free(L->sh.comp, L->sh.compcap);
    mem_free(L, sizeof *L);
}

int trace_load_start(struct trace_reader *r, struct trace_err *err)
{
    struct trace_load *L = mem_calloc(1, sizeof *L);
    if (!L)
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the prefetch buffers", r->path);
    L->rawbytes = trace_read_raw_cap() + TRC_PAD;
    L->sh = *r;
    L->sh.loader = NULL;
    L->sh.compcap = trace_read_comp_cap();
    L->sh.rawcap = L->rawbytes;
    int ok = (L->sh.comp = mem_alloc(L->sh.compcap)) != NULL;
    for (int i = 0; i < LOAD_SLOTS; i++)
        ok &= (L->slot[i].raw = mem_alloc(L->rawbytes)) != NULL;
    if (!ok) {
        free_load(L);
        return trace_err_set(err, -ENOMEM, "%s: out of memory for the prefetch buffers", r->path);
    }
    int rc = pthread_mutex_init(&L->mu, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&L->cv, NULL)) != 0)
        pthread_mutex_destroy(&L->mu);
    if (rc == 0 && (rc = pthread_create(&L->th, NULL, loader, L)) != 0) {
        pthread_cond_destroy(&L->cv);
        pthread_mutex_destroy(&L->mu);
    }
    if (rc) {
        free_load(L);
        return trace_err_set(err, -rc, "%s: cannot start the prefetch thread: %s", r->path,
                             strerror(rc));
    }
    r->loader = L;
    return 0;
}

int trace_load_take(struct trace_reader *r, struct trace_err *err)
{
    struct trace_load *L = r->loader;
    pthread_mutex_lock(&L->mu);
    if (L->holding) { /* the reader is done with the previous block */
        L->holding = 0;
        L->taken++;
        pthread_cond_broadcast(&L->cv);
    }
    while (L->taken == L->filled)
        pthread_cond_wait(&L->cv, &L->mu);
    pthread_mutex_unlock(&L->mu);
    const struct lslot *s = &L->slot[L->taken % LOAD_SLOTS];
    if (s->rc) {
        if (err)
            *err = s->err;
        return s->rc;
    }
    if (s->done) {
        r->done = 1;
        return 0;
    }
    L->holding = 1;
    for (int c = 0; c < TRC_NCOLS; c++) {
        r->cur[c] = s->raw + s->col[c];
        r->end[c] = r->cur[c] + s->len[c];
    }
    r->left = r->blkrecs = s->nrec;
    r->blkoff = s->blkoff;
    r->bitacc = 0;
    r->bitn = 0;
    return 0;
}

void trace_load_stop(struct trace_reader *r)
{
    struct trace_load *L = r->loader;
    if (!L)
        return;
    pthread_mutex_lock(&L->mu);
    L->stop = 1;
    pthread_cond_broadcast(&L->cv);
    pthread_mutex_unlock(&L->mu);
    pthread_join(L->th, NULL);
    pthread_cond_destroy(&L->cv);
    pthread_mutex_destroy(&L->mu);
    r->off = L->sh.off;
    free_load(L);
    r->loader = NULL;
}
