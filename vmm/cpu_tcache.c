/* cpu_tcache: the translation cache of decoded basic blocks.
 *
 * Blocks are bump-allocated from one arena and found through a chained hash
 * on their guest-physical start address. A block records its frame's code
 * generation; a store to the frame (or a remap) bumps the generation, which
 * makes every block of the frame stale at once. Stale blocks are unlinked when
 * met on a chain and their memory comes back when the arena fills up and the
 * whole cache (plus the hart's jump cache) is flushed. Lookups that reach
 * the cache (the jump cache missed) are counted in n_tc_lookup, translations
 * in n_blocks_translated; a block records its loads and stores (n_mem) so the
 * interpreter can count data-TLB lookups per block.
 *
 * Invariant: a frame holding a live block has PHYS_F_CODE set, so no write
 * TLB entry maps it and every store to it reaches cpu_mmu (which bumps gen).
 */
#include "vmm/cpu_internal.h"

#include <string.h>

#include "sim/mem.h"

#define TC_ARENA (8u << 20)
#define TC_HASH 16384u
#define TC_BLOCK_BYTES (sizeof(struct cpu_block) + (CPU_BLOCK_MAX + 1) * sizeof(struct cpu_insn))

struct cpu_tcache {
    uint8_t *arena;
    size_t used;
    struct cpu_block *hash[TC_HASH];
    union {
        struct cpu_block b;
        uint8_t bytes[sizeof(struct cpu_block) + 2 * sizeof(struct cpu_insn)];
    } single;
};

struct cpu_tcache *cpu_tcache_new(void)
{
    struct cpu_tcache *t = mem_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->arena = mem_alloc(TC_ARENA);
    if (!t->arena) {
        mem_free(t, sizeof(*t));
        return NULL;
    }
    return t;
}

void cpu_tcache_free(struct cpu_tcache *t)
{
    if (!t)
        return;
    mem_free(t->arena, TC_ARENA);
    mem_free(t, sizeof(*t));
}

void cpu_tcache_flush(struct cpu *c)
{
    struct cpu_tcache *t = c->tc;
    t->used = 0;
    memset(t->hash, 0, sizeof(t->hash));
    cpu_jc_flush(c);
    c->n_tc_flush++;
}

static unsigned hash_of(uint64_t ppc)
{
    return (unsigned)((ppc >> 2) ^ (ppc >> 16)) & (TC_HASH - 1);
}

static struct cpu_block *lookup(struct cpu_tcache *t, uint64_t ppc)
{
    struct cpu_block **pp = &t->hash[hash_of(ppc)];
    while (*pp) {
        struct cpu_block *b = *pp;
        if (b->gen != b->meta->gen) {       /* stale: unlink */
            *pp = b->next;
            continue;
        }
        if (b->ppc == ppc)
            return b;
        pp = &b->next;
    }
    return NULL;
}

/* The frame now holds code: drop write-TLB entries that could map it. */
static void mark_code(struct cpu *c, struct phys_meta *m)
{
    if (m->flags & PHYS_F_CODE)
        return;
    m->flags |= PHYS_F_CODE;
    for (unsigned k = 0; k < CPU_TLB_CTX; k++)
        memset(c->tlb[k].w, 0xff, sizeof(c->tlb[k].w));
}

/* Decode b's instructions from host (gpa b->ppc) until a terminator, the
 * frame end or max; sets b->n and b->n_mem. */
static void decode_run(struct cpu_block *b, const uint8_t *host, uint32_t max)
{
    uint32_t n = 0, n_mem = 0;
    for (;;) {
        uint32_t raw;
        memcpy(&raw, host + 4 * n, 4);
        int term = cpu_decode(raw, &b->ins[n]);
        n_mem += (uint32_t)cpu_op_is_mem(b->ins[n].op);
        n++;
        if (term || n == max || ((b->ppc + 4 * n) & 0xfff) == 0)
            break;
    }
    b->ins[n] = (struct cpu_insn){.op = OP_END};
    b->n = n;
    b->n_mem = (uint16_t)n_mem;
}

/* A system instruction may change translation or privilege: the code after
 * it must be looked up afresh, not reached through a chain link. */
static uint8_t fall_through_chains(const struct cpu_block *b)
{
    int op = b->ins[b->n - 1].op;
    return op <= OP_BGEU || (op >= OP_LB && op < OP_FENCE_I) || op == OP_AMO;
}

/* Fetch-translate c->pc: host pointer and gpa, or NULL + *st. */
static const uint8_t *fetch(struct cpu *c, uint64_t *ppc, int *st)
{
    uint8_t *host;
    c->cur_insn = 0;
    if (c->pc & 3) {
        *st = cpu_trap(c, CPU_EXC_FETCH_MISALIGNED, c->pc);
        return NULL;
    }
    if ((*st = cpu_mmu_fetch(c, c->pc, &host, ppc)) != CPU_OK)
        return NULL;
    return host;
}

struct cpu_block *cpu_tcache_get(struct cpu *c, int *st)
{
    struct cpu_tcache *t = c->tc;
    uint64_t ppc;
    const uint8_t *host = fetch(c, &ppc, st);
    if (!host)
        return NULL;
    c->n_tc_lookup++;
    struct cpu_block *b = lookup(t, ppc);
    if (b)
        return b;
    if (t->used + TC_BLOCK_BYTES > TC_ARENA)
        cpu_tcache_flush(c);
    b = (struct cpu_block *)(t->arena + t->used);
    struct phys_meta *m = &c->phys->meta[phys_frame(c->phys, ppc)];
    mark_code(c, m);
    b->ppc = ppc;
    b->meta = m;
    b->gen = m->gen;
    b->succ[0] = b->succ[1] = NULL;
    b->single = 0;
    decode_run(b, host, CPU_BLOCK_MAX);
    b->ft_chain = fall_through_chains(b);
    t->used += (sizeof(*b) + (b->n + 1) * sizeof(struct cpu_insn) + 15) & ~(size_t)15;
    unsigned h = hash_of(ppc);
    b->next = t->hash[h];
    t->hash[h] = b;
    c->n_blocks_translated++;
    return b;
}

struct cpu_block *cpu_tcache_single(struct cpu *c, int *st)
{
    struct cpu_block *b = &c->tc->single.b;
    uint64_t ppc;
    const uint8_t *host = fetch(c, &ppc, st);
    if (!host)
        return NULL;
    b->ppc = ppc;
    b->meta = &c->phys->meta[phys_frame(c->phys, ppc)];
    b->gen = b->meta->gen;
    b->succ[0] = b->succ[1] = NULL;
    b->single = 1;
    decode_run(b, host, 1);
    b->ft_chain = 0;
    return b;
}
