/* shadow: lazily built shadow Sv39 trees, one per guest privilege context.
 *
 * Main structure: a bump allocator over the pool frames (the first
 * SHADOW_NCTX are the fixed roots, so the hardware satp values never change)
 * and two bitmaps over guest frames: pt (a guest page-table page read by a
 * walk since the last flush) and wmap (mapped writable by some shadow leaf
 * since the last flush). Invariants: no frame is both pt and writably
 * mapped; every valid leaf points into guest RAM or an MMIO range of the VM;
 * pool frames [used, npool) are zero. (Without protection, PV mode, the
 * first invariant is replaced by the guest's promise to report updates.)
 * shadow_flush zeroes the used frames, clears both bitmaps and the hart's
 * TLB; the internal flushes (pool full, a table page found mapped writable)
 * keep the pt marks so that refilling always makes progress.
 */
#include "vmm/shadow.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sim/mem.h"

#include "vmm/sv39.h"

#define PA2PTE(pa) (((pa) >> 12) << 10)
#define VPN(va, level) (((va) >> (12 + 9 * (level))) & 0x1ff)
#define SATP_SV39 (8ULL << 60)
#define PG 4096ULL

struct shadow {
    struct phys *phys;
    struct cpu *cpu;
    uint64_t gbase, gsize;        /* guest RAM window */
    uint64_t pool_base;
    uint64_t npool, used;         /* pool frames, frames handed out */
    uint8_t *pt, *wmap;           /* bitmaps over guest frames */
    uint64_t nbitmap;             /* bytes per bitmap */
    int need_flush;               /* a walk found a writable page-table page */
    int protect;                  /* write-protect guest page-table pages */
    uint64_t prefill;             /* pages per fill group (power of 2, 1 = off) */
    struct shadow_stats st;
};

struct gwalk {
    uint64_t gpa;                 /* target guest-physical address */
    uint64_t pte;                 /* the guest leaf (synthetic RWX in bare mode) */
};

static int bit(const uint8_t *m, uint64_t i) { return (m[i >> 3] >> (i & 7)) & 1; }
static void set_bit(uint8_t *m, uint64_t i) { m[i >> 3] |= (uint8_t)(1u << (i & 7)); }

static int in_guest(const struct shadow *s, uint64_t gpa, uint64_t len)
{
    return gpa >= s->gbase && gpa - s->gbase < s->gsize && len <= s->gsize - (gpa - s->gbase);
}

static uint64_t gframe(const struct shadow *s, uint64_t gpa)
{
    return (gpa - s->gbase) >> 12;
}

/* Host pointer of a shadow PTE (pool frames are always mapped). */
static uint64_t *pte_at(const struct shadow *s, uint64_t pa)
{
    uint8_t *h = phys_ptr(s->phys, pa);
    assert(h != NULL);
    return (uint64_t *)(void *)h;
}

struct shadow *shadow_new(struct phys *phys, struct cpu *c, uint64_t guest_base,
                          uint64_t guest_size, uint64_t pool_base, uint64_t pool_size)
{
    if (!guest_size || ((guest_base | guest_size | pool_base | pool_size) & (PG - 1)) ||
        pool_size < (SHADOW_NCTX + 2) * PG || !phys_ptr(phys, pool_base) ||
        !phys_ptr(phys, pool_base + pool_size - 1) ||
        (pool_base < guest_base + guest_size && guest_base < pool_base + pool_size))
        return NULL;
    struct shadow *s = mem_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->phys = phys;
    s->cpu = c;
    s->gbase = guest_base;
    s->gsize = guest_size;
    s->pool_base = pool_base;
    s->npool = pool_size / PG;
    s->nbitmap = (guest_size / PG + 7) / 8;
    s->pt = mem_calloc(1, s->nbitmap);
    s->wmap = mem_calloc(1, s->nbitmap);
    if (!s->pt || !s->wmap) {
        shadow_free(s);
        return NULL;
    }
    s->used = SHADOW_NCTX;
    s->protect = 1;
    s->prefill = 1;
    for (uint64_t i = 0; i < s->npool; i++) {   /* mapped, and zeroed */
        uint8_t *h = phys_ptr(phys, pool_base + i * PG);
        if (!h) {
            shadow_free(s);
            return NULL;
        }
        memset(h, 0, PG);
    }
    return s;
}

void shadow_free(struct shadow *s)
{
    if (!s)
        return;
    if (s->pt)
        mem_free(s->pt, s->nbitmap);
    if (s->wmap)
        mem_free(s->wmap, s->nbitmap);
    mem_free(s, sizeof(*s));
}

uint64_t shadow_satp(const struct shadow *s, int ctx)
{
    return SATP_SV39 | ((s->pool_base >> 12) + (uint64_t)ctx);
}

/* Drop every shadow entry. keep_pt: keep the page-table marks, so the
 * refill cannot map a known table page writable again (without this, an
 * instruction whose fetch maps a table page writable and whose data access
 * walks through it would flush and refill forever). */
static void drop_all(struct shadow *s, int keep_pt)
{
    for (uint64_t i = 0; i < s->used; i++)
        memset(pte_at(s, s->pool_base + i * PG), 0, PG);
    s->used = SHADOW_NCTX;
    if (!keep_pt)
        memset(s->pt, 0, s->nbitmap);
    memset(s->wmap, 0, s->nbitmap);
    s->need_flush = 0;
    s->st.flushes++;
    if (s->cpu)
        cpu_tlb_flush(s->cpu);
}

void shadow_flush(struct shadow *s)
{
    drop_all(s, 0);
}


/* Remember that guest frame of gpa holds a page table. */
static void mark_pt(struct shadow *s, uint64_t gpa)
{
    uint64_t f = gframe(s, gpa);
    if (bit(s->pt, f))
        return;
    set_bit(s->pt, f);
    s->st.pt_pages_seen++;
    if (s->protect && bit(s->wmap, f))
        s->need_flush = 1;        /* some leaf still maps it writable */
}

/* May the guest access a leaf pte with acc in context ctx? */
static int leaf_ok(uint64_t pte, int ctx, int acc)
{
    if (pte & PTE_U) {
        if (ctx == SHADOW_CTX_S || (ctx == SHADOW_CTX_SSUM && acc == CPU_ACC_FETCH))
            return 0;
    } else if (ctx == SHADOW_CTX_U) {
        return 0;
    }
    if (acc == CPU_ACC_FETCH)
        return (pte & PTE_X) != 0;
    if (acc == CPU_ACC_STORE)
        return (pte & PTE_W) != 0;
    return (pte & PTE_R) != 0;
}

/* Target of a guest mapping: guest RAM, or one of this VM's devices. */
static int target_ok(const struct shadow *s, uint64_t gpa)
{
    return in_guest(s, gpa, 1) || phys_mmio_find(s->phys, gpa & ~(PG - 1), PG) != NULL;
}

/* Software walk of the guest's Sv39 table (or bare mode). Sets A/D in the
 * guest leaf. 0, SHADOW_GUEST_PAGE_FAULT or SHADOW_GUEST_ACCESS_FAULT. */
static int gwalk(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va, int acc, int update,
                 struct gwalk *w)
{
    if ((gsatp >> 60) != 8) {
        w->gpa = va;
        w->pte = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | (ctx == SHADOW_CTX_U ? PTE_U : 0);
        return target_ok(s, va) ? 0 : SHADOW_GUEST_ACCESS_FAULT;
    }
    if ((uint64_t)((int64_t)(va << 25) >> 25) != va)
        return SHADOW_GUEST_PAGE_FAULT;
    uint64_t table = (gsatp & ((1ULL << 44) - 1)) << 12;
    for (int level = 2; level >= 0; level--) {
        uint64_t pte_pa = table + 8 * VPN(va, level), pte;
        const uint8_t *h = in_guest(s, pte_pa, 8) ? phys_ptr(s->phys, pte_pa) : NULL;
        if (!h)         /* outside guest RAM (or a frame the VMM unmapped) */
            return SHADOW_GUEST_ACCESS_FAULT;
        mark_pt(s, pte_pa);
        memcpy(&pte, h, 8);
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED))
            return SHADOW_GUEST_PAGE_FAULT;
        if (!(pte & (PTE_R | PTE_X))) {
            table = PTE_PPN(pte) << 12;
            continue;
        }
        uint64_t low = (1ULL << (9 * level)) - 1;
        if (!leaf_ok(pte, ctx, acc) || (PTE_PPN(pte) & low))
            return SHADOW_GUEST_PAGE_FAULT;
        w->gpa = (((PTE_PPN(pte) & ~low) | ((va >> 12) & low)) << 12) | (va & (PG - 1));
        if (!target_ok(s, w->gpa))
            return SHADOW_GUEST_ACCESS_FAULT;
        uint64_t need = PTE_A | (acc == CPU_ACC_STORE ? PTE_D : 0);
        if ((pte & need) != need && !update)
            return SHADOW_GUEST_PAGE_FAULT;   /* a peek never changes A/D */
        if ((pte & need) != need) {
            pte |= need;
            phys_write(s->phys, pte_pa, &pte, 8);
        }
        w->pte = pte;
        return 0;
    }
    return SHADOW_GUEST_PAGE_FAULT;
}

int shadow_translate(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va, int acc, uint64_t *gpa)
{
    struct gwalk w;
    int r = gwalk(s, gsatp, ctx, va, acc, 1, &w);
    if (s->need_flush)
        drop_all(s, 1);
    if (r == 0)
        *gpa = w.gpa;
    return r;
}

/* A zeroed pool frame, or 0 when the pool is used up. */
static uint64_t pool_take(struct shadow *s)
{
    if (s->used >= s->npool)
        return 0;
    return s->pool_base + PG * s->used++;
}

/* Point the level-0 entry of va in tree ctx at leaf. -ENOSPC: pool full. */
static int install(struct shadow *s, int ctx, uint64_t va, uint64_t leaf)
{
    uint64_t table = s->pool_base + PG * (uint64_t)ctx;
    for (int level = 2; level > 0; level--) {
        uint64_t *e = pte_at(s, table + 8 * VPN(va, level));
        if (!(*e & PTE_V)) {
            uint64_t fresh = pool_take(s);
            if (!fresh)
                return -ENOSPC;
            *e = PA2PTE(fresh) | PTE_V;
        }
        table = PTE_PPN(*e) << 12;
    }
    *pte_at(s, table + 8 * VPN(va, 0)) = leaf;
    return 0;
}

/* Shadow leaf for a guest mapping w, as seen from context ctx. */
static uint64_t make_leaf(struct shadow *s, const struct gwalk *w, int ctx, int force_w)
{
    uint64_t g = w->pte, leaf = PTE_V | PTE_U | PTE_A | PTE_D | PA2PTE(w->gpa & ~(PG - 1));
    int ram = in_guest(s, w->gpa, 1);
    uint64_t f = ram ? gframe(s, w->gpa) : 0;
    leaf |= g & PTE_R;
    if ((g & PTE_X) && !(ctx == SHADOW_CTX_SSUM && (g & PTE_U)))
        leaf |= PTE_X;
    if ((g & PTE_W) && (g & PTE_D) && (!ram || force_w || !s->protect || !bit(s->pt, f))) {
        leaf |= PTE_W;
        if (ram) {
            if (force_w)
                s->pt[f >> 3] &= (uint8_t)~(1u << (f & 7));
            set_bit(s->wmap, f);
        }
    }
    return leaf;
}

/* Map the other pages of va's aligned group of s->prefill pages that the
 * guest may read or execute here and has already accessed (A set; W only
 * when D is set): fewer hardware faults, no guest-visible A/D change. Stops
 * quietly when the pool is full. */
static void prefill(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va)
{
    uint64_t span = s->prefill * PG, base = va & ~(span - 1), old;
    for (uint64_t v = base; v < base + span; v += PG) {
        struct gwalk w;
        if (v == (va & ~(PG - 1)) || shadow_lookup(s, ctx, v, &old) == 0)
            continue;
        if (gwalk(s, gsatp, ctx, v, CPU_ACC_LOAD, 0, &w) != 0 &&
            gwalk(s, gsatp, ctx, v, CPU_ACC_FETCH, 0, &w) != 0)
            continue;
        if (install(s, ctx, v, make_leaf(s, &w, ctx, 0)) != 0)
            return;
        s->st.prefills++;
    }
}

int shadow_fault(struct shadow *s, uint64_t gsatp, int ctx, uint64_t va, int acc, int force_w)
{
    struct gwalk w;
    int r = gwalk(s, gsatp, ctx, va, acc, 1, &w);
    if (s->need_flush) {          /* a page table turned up mapped writable */
        drop_all(s, 1);
        return r == 0 ? SHADOW_FILLED : r;
    }
    if (r != 0) {
        s->st.guest_faults++;
        return r;
    }
    int ram = in_guest(s, w.gpa, 1);
    if (acc == CPU_ACC_STORE && ram && s->protect && bit(s->pt, gframe(s, w.gpa)) && !force_w)
        return SHADOW_EMULATE;
    if (install(s, ctx, va, make_leaf(s, &w, ctx, force_w)) != 0) {
        s->st.pool_full++;
        drop_all(s, 1);           /* start over; the retried access refills */
        return SHADOW_FILLED;
    }
    s->st.fills++;
    if (s->prefill > 1) {
        prefill(s, gsatp, ctx, va);
        if (s->need_flush)
            drop_all(s, 1);
    }
    return SHADOW_FILLED;
}

int shadow_lookup(const struct shadow *s, int ctx, uint64_t va, uint64_t *pte)
{
    uint64_t table = s->pool_base + PG * (uint64_t)ctx;
    for (int level = 2; level >= 0; level--) {
        uint64_t pa = table + 8 * VPN(va, level);
        if (pa < s->pool_base || pa >= s->pool_base + s->npool * PG)
            return -EIO;
        uint64_t e = *pte_at(s, pa);
        if (!(e & PTE_V))
            return -ENOENT;
        if (level == 0) {
            *pte = e;
            return 0;
        }
        table = PTE_PPN(e) << 12;
    }
    return -ENOENT;
}

int shadow_set_prefill(struct shadow *s, unsigned pages)
{
    if (pages == 0 || pages > 512 || (pages & (pages - 1)))
        return -EINVAL;
    s->prefill = pages;
    return 0;
}

void shadow_set_protect(struct shadow *s, int on)
{
    s->protect = on;
    shadow_flush(s);
}

void shadow_note_pt_write(struct shadow *s)
{
    s->st.pt_writes++;
}

const struct shadow_stats *shadow_stats(const struct shadow *s)
{
    return &s->st;
}

/* Check the leaves under table (level) recursively. */
static int check_table(const struct shadow *s, uint64_t table, int level)
{
    if (table < s->pool_base || table >= s->pool_base + s->used * PG)
        return -EIO;
    for (int i = 0; i < 512; i++) {
        uint64_t e = *pte_at(s, table + 8ULL * (uint64_t)i);
        if (!(e & PTE_V))
            continue;
        if (level > 0) {
            if ((e & (PTE_R | PTE_W | PTE_X)) || check_table(s, PTE_PPN(e) << 12, level - 1) != 0)
                return -EIO;
            continue;
        }
        uint64_t pa = PTE_PPN(e) << 12;
        if (!(e & PTE_U) || !target_ok(s, pa))
            return -EIO;
        if ((e & PTE_W) && s->protect && in_guest(s, pa, 1) && bit(s->pt, gframe(s, pa)))
            return -EIO;
    }
    return 0;
}

int shadow_check(const struct shadow *s)
{
    if (s->used < SHADOW_NCTX || s->used > s->npool)
        return -EIO;
    for (int ctx = 0; ctx < SHADOW_NCTX; ctx++)
        if (check_table(s, s->pool_base + PG * (uint64_t)ctx, 2) != 0)
            return -EIO;
    return 0;
}
