/* test_cpu: the software hart with tiny hand-assembled programs.
 *
 * Programs are encoded with the helpers below and written into guest RAM at
 * BASE; each test runs an exact instruction budget and checks registers,
 * CSRs and exits against values worked out by hand in the comments.
 * Also: physical memory and MMIO table, ELF loader errors, and a fuzz test
 * (random instruction words and page tables never crash or hang the hart).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "vmm/clint.h"
#include "vmm/cpu.h"
#include "vmm/elf.h"

#define BASE 0x80000000ULL
#define RAM (4ULL << 20)

/* --- encoders --- */
static uint32_t enc_r(uint32_t f7, int rs2, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return f7 << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static uint32_t enc_i(int32_t imm, int rs1, uint32_t f3, int rd, uint32_t op)
{
    return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | f3 << 12 | (uint32_t)rd << 7 | op;
}
static uint32_t enc_s(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | f3 << 12 |
           (u & 0x1f) << 7 | 0x23;
}
static uint32_t enc_b(int32_t imm, int rs2, int rs1, uint32_t f3)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | (uint32_t)rs2 << 20 |
           (uint32_t)rs1 << 15 | f3 << 12 | ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
static uint32_t enc_j(int32_t imm, int rd)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | (uint32_t)rd << 7 | 0x6f;
}
#define ADDI(rd, rs, imm)  enc_i(imm, rs, 0, rd, 0x13)
#define ADDIW(rd, rs, imm) enc_i(imm, rs, 0, rd, 0x1b)
#define SRAIW(rd, rs, sh)  enc_i(0x400 | (sh), rs, 5, rd, 0x1b)
#define LUI(rd, imm20)     ((uint32_t)(imm20) << 12 | (uint32_t)(rd) << 7 | 0x37)
#define AUIPC(rd, imm20)   ((uint32_t)(imm20) << 12 | (uint32_t)(rd) << 7 | 0x17)
#define MUL(rd, a, b)      enc_r(1, b, a, 0, rd, 0x33)
#define MULHU(rd, a, b)    enc_r(1, b, a, 3, rd, 0x33)
#define DIV(rd, a, b)      enc_r(1, b, a, 4, rd, 0x33)
#define DIVU(rd, a, b)     enc_r(1, b, a, 5, rd, 0x33)
#define REM(rd, a, b)      enc_r(1, b, a, 6, rd, 0x33)
#define SLT(rd, a, b)      enc_r(0, b, a, 2, rd, 0x33)
#define SLTU(rd, a, b)     enc_r(0, b, a, 3, rd, 0x33)
#define LW(rd, rs, imm)    enc_i(imm, rs, 2, rd, 0x03)
#define LD(rd, rs, imm)    enc_i(imm, rs, 3, rd, 0x03)
#define SB(rs2, rs, imm)   enc_s(imm, rs2, rs, 0)
#define SW(rs2, rs, imm)   enc_s(imm, rs2, rs, 2)
#define SD(rs2, rs, imm)   enc_s(imm, rs2, rs, 3)
#define BEQ(a, b, off)     enc_b(off, b, a, 0)
#define JAL(rd, off)       enc_j(off, rd)
#define CSRRW(rd, csr, rs) enc_i(csr, rs, 1, rd, 0x73)
#define CSRRS(rd, csr, rs) enc_i(csr, rs, 2, rd, 0x73)
#define CSRRSI(rd, csr, u) enc_i(csr, u, 6, rd, 0x73)
#define CSRR(rd, csr)      CSRRS(rd, csr, 0)
#define SLLI(rd, rs, sh)   enc_i(sh, rs, 1, rd, 0x13)
#define OR(rd, a, b)       enc_r(0, b, a, 6, rd, 0x33)
#define JALR(rd, rs, imm)  enc_i(imm, rs, 0, rd, 0x67)
#define ECALL  0x00000073u
#define EBREAK 0x00100073u
#define MRET   0x30200073u
#define FENCEI 0x0000100fu
#define NOP    ADDI(0, 0, 0)
#define BAD    0xffffffffu

enum { MSTATUS = 0x300, MIE = 0x304, MTVEC = 0x305, MEPC = 0x341, MCAUSE = 0x342,
       MTVAL = 0x343, MIDELEG = 0x303, SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105,
       SEPC = 0x141, SCAUSE = 0x142, SATP = 0x180, MINSTRET = 0xb02 };

struct vm {
    struct phys *p;
    struct cpu *c;
};

static struct vm vm_new(void)
{
    struct vm v;
    v.p = phys_new(BASE, RAM);
    ck_assert_ptr_nonnull(v.p);
    v.c = cpu_new(v.p, 0);
    ck_assert_ptr_nonnull(v.c);
    return v;
}

static void vm_free(struct vm *v)
{
    ck_assert_int_eq(cpu_check(v->c), 0);
    cpu_free(v->c);
    phys_free(v->p);
}

static void put(struct vm *v, uint64_t pa, const uint32_t *w, size_t n)
{
    ck_assert_int_eq(phys_write(v->p, pa, w, n * 4), 0);
}

static void put64(struct vm *v, uint64_t pa, uint64_t val)
{
    ck_assert_int_eq(phys_write(v->p, pa, &val, 8), 0);
}

static uint64_t get64(struct vm *v, uint64_t pa)
{
    uint64_t val = 0;
    ck_assert_int_eq(phys_read(v->p, pa, &val, 8), 0);
    return val;
}

static uint64_t csr(struct vm *v, unsigned n)
{
    uint64_t val = 0;
    ck_assert_int_eq(cpu_csr_get(v->c, n, &val), 0);
    return val;
}

static int run(struct vm *v, uint64_t budget, struct cpu_exit *e)
{
    return cpu_run(v->c, budget, e);
}

START_TEST(test_arith)
{
    struct vm v = vm_new();
    const uint32_t prog[] = {
        ADDI(1, 0, 7), ADDI(2, 0, -3), MUL(3, 1, 2), DIV(4, 1, 2), REM(5, 1, 2),
        DIV(6, 1, 0), DIVU(7, 1, 0), LUI(8, 0x80000), ADDIW(9, 8, -1), SRAIW(10, 8, 4),
        MULHU(11, 8, 8), SLTU(12, 2, 1), SLT(13, 2, 1),
    };
    put(&v, BASE, prog, 13);
    struct cpu_exit e;
    /* the budget splits the block exactly: 5 now, 8 later */
    ck_assert_int_eq(run(&v, 5, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->pc, BASE + 20);
    ck_assert_uint_eq(v.c->x[5], 1);
    ck_assert_uint_eq(v.c->x[6], 0);
    ck_assert_int_eq(run(&v, 0, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->pc, BASE + 20);
    ck_assert_int_eq(run(&v, 8, &e), CPU_EXIT_BUDGET);
    uint64_t *x = v.c->x;
    ck_assert_uint_eq(x[3], (uint64_t)-21);
    ck_assert_uint_eq(x[4], (uint64_t)-2);                 /* truncates toward zero */
    ck_assert_uint_eq(x[5], 1);
    ck_assert_uint_eq(x[6], ~0ULL);                        /* division by zero */
    ck_assert_uint_eq(x[7], ~0ULL);
    ck_assert_uint_eq(x[8], 0xffffffff80000000ULL);
    ck_assert_uint_eq(x[9], 0x7fffffffULL);                /* 0x80000000 - 1, 32-bit */
    ck_assert_uint_eq(x[10], 0xfffffffff8000000ULL);
    ck_assert_uint_eq(x[11], 0xffffffff00000000ULL);       /* (2^64-2^31)^2 >> 64 */
    ck_assert_uint_eq(x[12], 0);                           /* -3 unsigned is huge */
    ck_assert_uint_eq(x[13], 1);
    ck_assert_uint_eq(x[0], 0);
    ck_assert_uint_eq(v.c->pc, BASE + 13 * 4);
    ck_assert_uint_eq(csr(&v, MINSTRET), 13);
    ck_assert_int_eq(cpu_csr_set(v.c, MINSTRET, 100), 0);
    ck_assert_uint_eq(csr(&v, MINSTRET), 100);
    ck_assert_int_eq(cpu_csr_set(v.c, 0x7ff, 1), -EINVAL);     /* no such CSR */
    vm_free(&v);
}
END_TEST

/* Handler at BASE+0x100 reads mcause, mtval, mepc into x10..x12. */
static void put_mhandler(struct vm *v)
{
    const uint32_t h[] = {CSRR(10, MCAUSE), CSRR(11, MTVAL), CSRR(12, MEPC)};
    put(v, BASE + 0x100, h, 3);
    ck_assert_int_eq(cpu_csr_set(v->c, MTVEC, BASE + 0x100), 0);
}

/* Sv39 tables: root 0x80100000 -> L1 0x80101000 -> L0 0x80102000 mapping
 * va 0x1000 code, 0x2000 data (rw), 0x3000 read-only; flags as given. */
#define PTE(pa, fl) ((((pa) >> 12) << 10) | (fl))
enum { V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128 };
static void map_sv39(struct vm *v, uint64_t ubit)
{
    put64(v, 0x80100000, PTE(0x80101000ULL, V));
    put64(v, 0x80101000, PTE(0x80102000ULL, V));
    put64(v, 0x80102000 + 8 * 1, PTE(0x80200000ULL, V | R | X | ubit));
    put64(v, 0x80102000 + 8 * 2, PTE(0x80201000ULL, V | R | W | ubit));
    put64(v, 0x80102000 + 8 * 3, PTE(0x80202000ULL, V | R | ubit));
    ck_assert_int_eq(cpu_csr_set(v->c, SATP, (8ULL << 60) | (0x80100000ULL >> 12)), 0);
}

START_TEST(test_trap_illegal)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    const uint32_t prog[] = {NOP, NOP, BAD};
    put(&v, BASE, prog, 3);
    struct cpu_exit e;
    /* 2 retired + 1 trap tick + 3 handler instructions */
    ck_assert_int_eq(run(&v, 6, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_ILLEGAL);
    ck_assert_uint_eq(v.c->x[11], BAD);
    ck_assert_uint_eq(v.c->x[12], BASE + 8);
    ck_assert_uint_eq(v.c->pc, BASE + 0x10c);
    ck_assert_uint_eq(csr(&v, MINSTRET), 5);
    vm_free(&v);
}
END_TEST

START_TEST(test_trap_ebreak_misaligned_jump)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    const uint32_t prog[] = {EBREAK};
    put(&v, BASE, prog, 1);
    struct cpu_exit e;
    run(&v, 4, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_BREAKPOINT);
    ck_assert_uint_eq(v.c->x[11], BASE);                   /* tval = pc */
    ck_assert_uint_eq(v.c->x[12], BASE);
    /* jal +6: target BASE+0x206 is not 4-aligned (no C extension) */
    const uint32_t j[] = {JAL(1, 6)};
    put(&v, BASE + 0x200, j, 1);
    v.c->pc = BASE + 0x200;
    run(&v, 4, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_FETCH_MISALIGNED);
    ck_assert_uint_eq(v.c->x[11], BASE + 0x206);
    ck_assert_uint_eq(v.c->x[12], BASE + 0x200);
    ck_assert_uint_eq(v.c->x[1], 0);                       /* rd not written */
    vm_free(&v);
}
END_TEST

START_TEST(test_trap_ecall_from_u)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    /* mepc = BASE+0x80, MPP = U (reset value), mret; user code does ecall */
    const uint32_t prog[] = {AUIPC(1, 0), ADDI(1, 1, 0x80), CSRRW(0, MEPC, 1), MRET};
    put(&v, BASE, prog, 4);
    const uint32_t user[] = {NOP, ECALL};
    put(&v, BASE + 0x80, user, 2);
    struct cpu_exit e;
    run(&v, 4 + 1 + 1 + 3, &e);                          /* ecall retires nothing */
    ck_assert_int_eq(v.c->priv, CPU_PRIV_M);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_ECALL_U);
    ck_assert_uint_eq(v.c->x[11], 0);
    ck_assert_uint_eq(v.c->x[12], BASE + 0x84);
    ck_assert_uint_eq((csr(&v, MSTATUS) >> 11) & 3, CPU_PRIV_U);   /* MPP */
    vm_free(&v);
}
END_TEST

START_TEST(test_timer_interrupt)
{
    struct vm v = vm_new();
    ck_assert_int_eq(clint_attach(v.c), 0);
    const uint32_t h[] = {CSRR(10, MCAUSE), CSRR(11, MEPC)};
    put(&v, BASE + 0x100, h, 2);
    const uint32_t prog[] = {
        AUIPC(1, 0), ADDI(1, 1, 0x100), CSRRW(0, MTVEC, 1), ADDI(2, 0, 0x80),
        CSRRW(0, MIE, 2), CSRRSI(0, MSTATUS, 8),
        ADDI(3, 3, 1), JAL(0, -4),                          /* BASE+24: loop */
    };
    put(&v, BASE, prog, 8);
    cpu_set_mtimecmp(v.c, 50);                          /* mtime = icount = 0 now */
    struct cpu_exit e;
    /* 6 setup + 44 loop instructions reach mtime 50: 22 iterations, the
     * interrupt hits at the addi (BASE+24); then 1 trap tick + 2 handler */
    ck_assert_int_eq(run(&v, 53, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[3], 22);
    ck_assert_uint_eq(v.c->x[10], CPU_CAUSE_IRQ | CPU_IRQ_MTI);
    ck_assert_uint_eq(v.c->x[11], BASE + 24);
    ck_assert_uint_eq(cpu_mtime(v.c), 53);
    vm_free(&v);
}
END_TEST

START_TEST(test_vectored_tvec)
{
    struct vm v = vm_new();
    const uint32_t loop[] = {JAL(0, 0)};
    put(&v, BASE, loop, 1);
    const uint32_t h[] = {CSRR(10, MCAUSE)};
    put(&v, BASE + 0x100 + 4 * CPU_IRQ_MTI, h, 1);
    cpu_csr_set(v.c, MTVEC, BASE + 0x100 + 1);            /* vectored */
    cpu_csr_set(v.c, MIE, 1ULL << CPU_IRQ_MTI);
    cpu_set_mtimecmp(v.c, 10);
    cpu_set_priv(v.c, CPU_PRIV_U);                         /* M interrupts enabled */
    struct cpu_exit e;
    run(&v, 12, &e);                                       /* 10 jal, trap tick, csrr */
    ck_assert_uint_eq(v.c->x[10], CPU_CAUSE_IRQ | CPU_IRQ_MTI);
    ck_assert_uint_eq(v.c->pc, BASE + 0x100 + 4 * CPU_IRQ_MTI + 4);
    ck_assert_uint_eq(csr(&v, MEPC), BASE);
    /* exceptions still go to the base */
    const uint32_t bad[] = {BAD};
    put(&v, BASE + 0x200, bad, 1);
    cpu_set_mtimecmp(v.c, ~0ULL);
    v.c->pc = BASE + 0x200;
    run(&v, 1, &e);
    ck_assert_uint_eq(v.c->pc, BASE + 0x100);
    vm_free(&v);
}
END_TEST

START_TEST(test_trap_virtualization_bits)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    const uint32_t sret = 0x10200073u, wfi = 0x10500073u, sfence = 0x12000073u;
    const uint32_t prog[] = {sret};
    put(&v, BASE, prog, 1);
    struct cpu_exit e;
    /* mstatus.TSR: sret in S is illegal; TW: wfi in S; TVM: sfence.vma and satp */
    cpu_csr_set(v.c, MSTATUS, (1ULL << 22) | (1ULL << 21) | (1ULL << 20));
    const uint32_t insns[4] = {sret, wfi, sfence, CSRR(5, SATP)};
    for (int i = 0; i < 4; i++) {
        put(&v, BASE, &insns[i], 1);
        cpu_set_priv(v.c, CPU_PRIV_S);
        v.c->pc = BASE;
        run(&v, 4, &e);
        ck_assert_uint_eq(v.c->x[10], CPU_EXC_ILLEGAL);
        ck_assert_uint_eq(v.c->x[11], insns[i]);
        ck_assert_uint_eq(v.c->x[12], BASE);
        v.c->x[10] = 0;
    }
    /* wfi in U is always illegal; in M with nothing pending it exits */
    put(&v, BASE, &wfi, 1);
    cpu_set_priv(v.c, CPU_PRIV_U);
    v.c->pc = BASE;
    run(&v, 4, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_ILLEGAL);
    v.c->pc = BASE;
    ck_assert_int_eq(run(&v, 4, &e), CPU_EXIT_WFI);
    ck_assert_uint_eq(v.c->pc, BASE + 4);
    vm_free(&v);
}
END_TEST

START_TEST(test_lr_sc_amo)
{
    struct vm v = vm_new();
    /* x1 = BASE+0x800; sc.w without reservation fails (1); lr.w/sc.w
     * succeeds (0); amoadd.w returns the sign-extended old value */
    const uint32_t prog[] = {
        AUIPC(1, 0), ADDI(1, 1, 0x7fc), ADDI(1, 1, 4), ADDI(2, 0, -5),
        enc_r(0x0c, 2, 1, 2, 3, 0x2f),                     /* sc.w x3, x2, (x1) */
        enc_r(0x08, 0, 1, 2, 4, 0x2f),                     /* lr.w x4, (x1) */
        enc_r(0x0c, 2, 1, 2, 5, 0x2f),                     /* sc.w x5, x2, (x1) */
        ADDI(6, 0, 7),
        enc_r(0x00, 6, 1, 2, 7, 0x2f),                     /* amoadd.w x7, x6, (x1) */
        enc_r(0x0c, 6, 1, 3, 8, 0x2f),                     /* sc.d x8 (no reservation) */
    };
    put(&v, BASE, prog, 10);
    put64(&v, BASE + 0x800, 0x1111111122222222ULL);
    struct cpu_exit e;
    run(&v, 10, &e);
    ck_assert_uint_eq(v.c->x[3], 1);
    ck_assert_uint_eq(v.c->x[4], 0x22222222);
    ck_assert_uint_eq(v.c->x[5], 0);
    ck_assert_uint_eq(v.c->x[7], (uint64_t)-5);
    ck_assert_uint_eq(v.c->x[8], 1);
    ck_assert_uint_eq(get64(&v, BASE + 0x800), 0x1111111100000002ULL);   /* -5 + 7 */
    vm_free(&v);
}
END_TEST

START_TEST(test_misaligned_page_crossing)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    map_sv39(&v, 0);
    put64(&v, 0x80102000 + 8 * 4, 0);                      /* va 0x4000 unmapped */
    /* va 0x2ffc..0x3003 crosses into the read-only page: the store faults
     * with tval = first byte of the faulting page, nothing is written */
    const uint32_t prog[] = {LUI(1, 3), ADDI(2, 0, -1), SD(2, 1, -4), LD(3, 1, -4),
                             LUI(4, 4), LD(5, 4, -2)};
    put(&v, 0x80200000, prog, 6);
    put64(&v, 0x80201ff8, 0x0102030405060708ULL);
    put64(&v, 0x80202000, 0x1112131415161718ULL);
    cpu_set_priv(v.c, CPU_PRIV_S);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    run(&v, 2 + 1 + 3, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_STORE_PAGE);
    ck_assert_uint_eq(v.c->x[11], 0x3000);
    ck_assert_uint_eq(v.c->x[12], 0x1008);
    ck_assert_uint_eq(get64(&v, 0x80201ff8), 0x0102030405060708ULL);
    /* a misaligned load across the same boundary works */
    v.c->pc = 0x100c;
    cpu_set_priv(v.c, CPU_PRIV_S);
    run(&v, 1, &e);
    ck_assert_uint_eq(v.c->x[3], 0x1516171801020304ULL);
    /* and one into an unmapped page faults with the second page's address */
    v.c->pc = 0x1010;
    run(&v, 2 + 1 + 3, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_LOAD_PAGE);
    ck_assert_uint_eq(v.c->x[11], 0x4000);
    vm_free(&v);
}
END_TEST

START_TEST(test_clint_mmio)
{
    struct vm v = vm_new();
    ck_assert_int_eq(clint_attach(v.c), 0);
    /* x5 = 0x2004000 (mtimecmp), x6 = 1000; sd; ld mtime (0x200bff8) into x7 */
    const uint32_t prog[] = {
        LUI(5, 0x2004), ADDI(6, 0, 1000), SD(6, 5, 0), LUI(8, 0x200c), LD(7, 8, -8),
        LD(9, 5, 0),
    };
    put(&v, BASE, prog, 6);
    struct cpu_exit e;
    ck_assert_int_eq(run(&v, 6, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->mtimecmp, 1000);
    ck_assert_uint_eq(v.c->x[7], 4);                       /* 4 instructions retired before */
    ck_assert_uint_eq(v.c->x[9], 1000);
    vm_free(&v);
}
END_TEST

START_TEST(test_irq_delegation_and_priority)
{
    struct vm v = vm_new();
    const uint32_t h[] = {CSRR(10, SCAUSE), CSRR(11, SEPC)};
    put(&v, BASE + 0x100, h, 2);
    uint32_t nops[8];
    for (int i = 0; i < 8; i++)
        nops[i] = NOP;
    put(&v, BASE, nops, 8);
    cpu_csr_set(v.c, MIDELEG, 1ULL << CPU_IRQ_SSI);
    cpu_csr_set(v.c, STVEC, BASE + 0x100);
    cpu_csr_set(v.c, MIE, 1ULL << CPU_IRQ_SSI);
    cpu_set_irq(v.c, CPU_IRQ_SSI, 1);
    /* in M-mode a delegated (S-level) interrupt is never taken */
    struct cpu_exit e;
    run(&v, 5, &e);
    ck_assert_uint_eq(v.c->pc, BASE + 20);
    ck_assert_int_eq(v.c->priv, CPU_PRIV_M);
    /* in S-mode with sstatus.SIE it is taken at once, into S */
    cpu_csr_set(v.c, SSTATUS, 2);
    cpu_set_priv(v.c, CPU_PRIV_S);
    v.c->pc = BASE;
    run(&v, 3, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_CAUSE_IRQ | CPU_IRQ_SSI);
    ck_assert_uint_eq(v.c->x[11], BASE);
    ck_assert_int_eq(v.c->priv, CPU_PRIV_S);
    ck_assert_uint_eq(csr(&v, MCAUSE), 0);
    uint64_t ss = csr(&v, SSTATUS);
    ck_assert_uint_eq(ss & 0x122, 0x120);                  /* SPP=1, SPIE=1, SIE=0 */
    /* priority: MSI before MTI before SSI, from U-mode all M ones enabled */
    put_mhandler(&v);
    cpu_csr_set(v.c, MIE, 0xaaa);
    cpu_set_irq(v.c, CPU_IRQ_MSI, 1);
    cpu_set_mtimecmp(v.c, 0);
    cpu_set_priv(v.c, CPU_PRIV_U);
    v.c->pc = BASE;
    run(&v, 2, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_CAUSE_IRQ | CPU_IRQ_MSI);
    ck_assert_int_eq(v.c->priv, CPU_PRIV_M);
    vm_free(&v);
}
END_TEST

START_TEST(test_sv39_ad_bits)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    map_sv39(&v, 0);
    put64(&v, 0x80202000, 0x1234);
    const uint32_t prog[] = {
        LUI(1, 2), ADDI(2, 0, 42), SD(2, 1, 8), LD(3, 1, 8), LUI(4, 3), LD(5, 4, 0),
        SD(2, 4, 0),                                       /* va 0x1018: read-only page */
    };
    put(&v, 0x80200000, prog, 7);
    cpu_set_priv(v.c, CPU_PRIV_S);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    run(&v, 6 + 1 + 3, &e);
    ck_assert_uint_eq(v.c->x[3], 42);
    ck_assert_uint_eq(get64(&v, 0x80201008), 42);
    ck_assert_uint_eq(v.c->x[5], 0x1234);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_STORE_PAGE);
    ck_assert_uint_eq(v.c->x[11], 0x3000);
    ck_assert_uint_eq(v.c->x[12], 0x1018);
    ck_assert_uint_eq(get64(&v, 0x80102008) & (A | D), A);   /* fetched only */
    ck_assert_uint_eq(get64(&v, 0x80102010) & (A | D), A | D);
    ck_assert_uint_eq(get64(&v, 0x80102018) & (A | D), A);   /* faulting store: no D */
    ck_assert_uint_eq(get64(&v, 0x80202000), 0x1234);
    /* host-side reads through the hart's translation (priv is M now: bare) */
    uint64_t w = 0;
    cpu_set_priv(v.c, CPU_PRIV_S);
    ck_assert_int_eq(cpu_read_virt(v.c, 0x2008, &w, 8), 0);
    ck_assert_uint_eq(w, 42);
    ck_assert_int_eq(cpu_read_virt(v.c, 0x5000, &w, 8), -EFAULT);
    vm_free(&v);
}
END_TEST

START_TEST(test_tlb_address_space_slots)
{
    struct vm v = vm_new();
    map_sv39(&v, 0);                                       /* root A: 0x80100000 */
    /* root B (0x80110000) shares A's L1 except: va 0x2000 -> 0x80205000 */
    put64(&v, 0x80110000, PTE(0x80111000ULL, V));
    put64(&v, 0x80111000, PTE(0x80112000ULL, V));
    put64(&v, 0x80112000 + 8, PTE(0x80200000ULL, V | R | X));
    put64(&v, 0x80112000 + 16, PTE(0x80205000ULL, V | R | W));
    put64(&v, 0x80201000, 0xaaaa);
    put64(&v, 0x80205000, 0xbbbb);
    const uint32_t prog[] = {LUI(1, 2), LD(2, 1, 0)};
    put(&v, 0x80200000, prog, 2);
    uint64_t rootA = (8ULL << 60) | (0x80100000ULL >> 12), rootB = (8ULL << 60) | (0x80110000ULL >> 12);
    uint64_t want[3] = {0xaaaa, 0xbbbb, 0xaaaa}, misses[3];
    struct cpu_exit e;
    for (int k = 0; k < 3; k++) {
        cpu_csr_set(v.c, SATP, k == 1 ? rootB : rootA);
        cpu_set_priv(v.c, CPU_PRIV_S);
        v.c->pc = 0x1000;
        run(&v, 2, &e);
        ck_assert_uint_eq(v.c->x[2], want[k]);
        misses[k] = v.c->n_tlb_miss;
        ck_assert_int_eq(cpu_check(v.c), 0);
    }
    ck_assert_uint_eq(misses[2], misses[1]);               /* A's entries were kept */
    /* sfence.vma (here: a host flush) forgets the other address spaces */
    put64(&v, 0x80102010, PTE(0x80205000ULL, V | R | W));
    const uint32_t sf[] = {0x12000073u, LD(3, 1, 0)};
    put(&v, 0x80200008, sf, 2);
    v.c->pc = 0x1008;
    run(&v, 2, &e);
    ck_assert_uint_eq(v.c->x[3], 0xbbbb);
    vm_free(&v);
}
END_TEST

START_TEST(test_sv39_user_bit)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    map_sv39(&v, 0);                                       /* supervisor pages */
    const uint32_t prog[] = {NOP};
    put(&v, 0x80200000, prog, 1);
    cpu_set_priv(v.c, CPU_PRIV_U);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    run(&v, 1 + 3, &e);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_FETCH_PAGE);
    ck_assert_uint_eq(v.c->x[11], 0x1000);
    vm_free(&v);
}
END_TEST

START_TEST(test_unmapped_page_table_frame)
{
    struct vm v = vm_new();
    map_sv39(&v, 0);
    const uint32_t prog[] = {ADDI(5, 0, 9)};
    put(&v, 0x80200000, prog, 1);
    uint8_t *old = NULL;
    ck_assert_int_eq(phys_map(v.p, 0x80102000, NULL, &old), 0);   /* the L0 table */
    cpu_tlb_flush(v.c);
    cpu_set_priv(v.c, CPU_PRIV_S);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    ck_assert_int_eq(run(&v, 10, &e), CPU_EXIT_UNMAPPED);
    ck_assert_uint_eq(e.addr, 0x80102008);                 /* PTE of va 0x1000 */
    ck_assert_uint_eq(e.va, 0x1000);
    ck_assert_int_eq(e.access, CPU_ACC_FETCH);
    ck_assert_uint_eq(v.c->icount, 0);
    phys_map(v.p, 0x80102000, old, NULL);
    cpu_tlb_flush(v.c);
    ck_assert_int_eq(run(&v, 1, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[5], 9);
    vm_free(&v);
}
END_TEST

START_TEST(test_sv39_sum_mxr)
{
    struct vm v = vm_new();
    /* M handler: x20 = x20 << 4 | mcause, skip the faulting instruction */
    const uint32_t h[] = {SLLI(20, 20, 4), CSRR(21, MCAUSE), OR(20, 20, 21), CSRR(21, MEPC),
                          ADDI(21, 21, 4), CSRRW(0, MEPC, 21), MRET};
    put(&v, BASE + 0x100, h, 7);
    cpu_csr_set(v.c, MTVEC, BASE + 0x100);
    cpu_csr_set(v.c, MSTATUS, 1ULL << 11);                 /* MPP = S for mret */
    map_sv39(&v, 0);
    put64(&v, 0x80102010, PTE(0x80201000ULL, V | R | W | U));   /* user data */
    put64(&v, 0x80102018, PTE(0x80202000ULL, V | X));           /* execute-only */
    put64(&v, 0x80201000, 111);
    put64(&v, 0x80202000, 222);
    const uint32_t prog[] = {
        LUI(1, 2), LD(2, 1, 0),                            /* SUM=0: fault */
        LUI(3, 0x40), CSRRS(0, SSTATUS, 3), LD(2, 1, 0),   /* SUM=1: ok */
        LUI(4, 3), LD(5, 4, 0),                            /* MXR=0: fault */
        LUI(3, 0x80), CSRRS(0, SSTATUS, 3), LD(5, 4, 0),   /* MXR=1: ok */
        JAL(0, 0),
    };
    put(&v, 0x80200000, prog, 11);
    cpu_set_priv(v.c, CPU_PRIV_S);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    run(&v, 100, &e);
    ck_assert_uint_eq(v.c->x[20], 0xdd);                   /* two load page faults */
    ck_assert_uint_eq(v.c->x[2], 111);
    ck_assert_uint_eq(v.c->x[5], 222);
    ck_assert_uint_eq(v.c->pc, 0x1028);
    vm_free(&v);
}
END_TEST

START_TEST(test_self_modifying_code)
{
    struct vm v = vm_new();
    /* the patched addi at BASE+20 starts a block in both passes, so the
     * first pass caches it; the store must invalidate that block */
    const uint32_t prog[] = {
        ADDI(5, 0, 0), AUIPC(1, 0), LW(2, 1, 0x3c), ADDI(6, 0, 2), JAL(0, 4),
        ADDI(5, 5, 1),                                     /* BASE+20 */
        ADDI(6, 6, -1), BEQ(6, 0, 16), SW(2, 1, 16), FENCEI, JAL(0, -20),
        ADDI(7, 0, 1), JAL(0, 0),
    };
    put(&v, BASE, prog, 13);
    const uint32_t patch = ADDI(5, 5, 100);
    put(&v, BASE + 0x40, &patch, 1);
    struct cpu_exit e;
    run(&v, 200, &e);
    ck_assert_uint_eq(v.c->x[7], 1);
    ck_assert_uint_eq(v.c->x[5], 101);
    ck_assert_uint_ge(v.c->n_blocks_translated, 3);
    vm_free(&v);
}
END_TEST

/* Lookup counters of one hart (see struct cpu in cpu.h) as one comparable row. */
struct counts {
    uint64_t dl, dm, fl, fm, walks, chained, jc, tc, translated;
};

static void check_counts(const struct cpu *c, struct counts want)
{
    ck_assert_uint_eq(c->n_tlb_data_lookup, want.dl);
    ck_assert_uint_eq(c->n_tlb_data_miss, want.dm);
    ck_assert_uint_eq(c->n_tlb_fetch_lookup, want.fl);
    ck_assert_uint_eq(c->n_tlb_fetch_miss, want.fm);
    ck_assert_uint_eq(c->n_tlb_miss, want.walks);
    ck_assert_uint_eq(c->n_chained, want.chained);
    ck_assert_uint_eq(c->n_jc_hit, want.jc);
    ck_assert_uint_eq(c->n_tc_lookup, want.tc);
    ck_assert_uint_eq(c->n_blocks_translated, want.translated);
}

START_TEST(test_lookup_counters)
{
    struct vm v = vm_new();
    /* M-mode (bare translation, TLB still used). K = 3 passes over N = 4
     * data pages, each pass a load and a store per page:
     *   A  0..28  x4 = K; x1 = data; x6 = N; ld; sd; x1 += 4K; x6--; bne -> I
     *   O  4..28  (outer loop head, same as A without the first addi)
     *   I 12..28  ld; sd; x1 += 4K; x6--; bne x6 -> I
     *   F 32..36  x4--; bne x4 -> O
     *   J 40      jal x0, 0 (spins)
     * and at +0x100 a load from 0x1000 (no RAM, no device: MMIO exit) that
     * ends its block before a store and a load to the data page. */
    const uint32_t prog[] = {
        ADDI(4, 0, 3), ADDI(1, 10, 0), ADDI(6, 0, 4), LD(5, 1, 0), SD(5, 1, 8),
        enc_r(0, 11, 1, 0, 1, 0x33), ADDI(6, 6, -1), enc_b(-16, 0, 6, 1),
        ADDI(4, 4, -1), enc_b(-32, 0, 4, 1), JAL(0, 0),
    };
    const uint32_t mmio[] = {LD(5, 12, 0), SD(5, 10, 0), LD(6, 10, 0), JAL(0, 0)};
    put(&v, BASE, prog, 11);
    put(&v, BASE + 0x100, mmio, 4);
    v.c->x[10] = BASE + 0x100000;
    v.c->x[11] = 0x1000;
    v.c->x[12] = 0x1000;
    struct cpu_exit e;
    /* 1 + K * (2 + 5N + 2) = 73 instructions reach J, then J runs 5 times.
     * Block starts per pass N + 1, then J: 3 * 5 + 5 = 20 lookups:
     *   pass 1: A tc, I tc, I jump cache, I chained (N - 3 = 1), F tc
     *   pass 2: O tc, I jump cache, I chained N - 2 = 2, F chained
     *   pass 3: O, I x 3, F all chained (5)
     *   J: tc, jump cache, chained 3.
     * Translated 5 (A I F O J), all in one code page: 5 fetch lookups, the
     * first misses. Data: 2 * N * K = 24 lookups; the first pass misses once
     * for the load (read TLB) and once for the store (write TLB) of each
     * page: 8. Translations filled: 8 data + 1 fetch. */
    ck_assert_int_eq(run(&v, 73 + 5, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->pc, BASE + 40);
    ck_assert_uint_eq(v.c->x[1], BASE + 0x104000);
    check_counts(v.c, (struct counts){.dl = 24, .dm = 8, .fl = 5, .fm = 1, .walks = 9,
                                      .chained = 1 + 3 + 5 + 3, .jc = 3, .tc = 5,
                                      .translated = 5});
    struct cpu_stats s;
    cpu_stats(v.c, &s);
    ck_assert_uint_eq(s.tlb_lookups, 29);
    ck_assert_uint_eq(s.tlb_misses, 9);
    ck_assert_uint_eq(s.blk_lookups, 20);
    ck_assert_uint_eq(s.blk_translated, 5);
    ck_assert_double_eq_tol(s.tlb_hit, 20.0 / 29.0, 1e-12);
    ck_assert_double_eq_tol(s.blk_hit, 0.75, 1e-12);
    ck_assert_double_eq_tol(s.jc_hit, 3.0 / 8.0, 1e-12);

    /* a flush empties the TLB and the jump cache, not the translation
     * cache: J is a translation-cache hit (fetch misses), then chains */
    cpu_tlb_flush(v.c);
    ck_assert_int_eq(run(&v, 3, &e), CPU_EXIT_BUDGET);
    check_counts(v.c, (struct counts){.dl = 24, .dm = 8, .fl = 6, .fm = 2, .walks = 10,
                                      .chained = 14, .jc = 3, .tc = 6, .translated = 5});

    /* early leave: the block at +0x100 adds its 3 loads and stores, the
     * MMIO load stops it and the 2 not reached are taken back; the load
     * missed (no RAM frame: nothing filled) */
    v.c->pc = BASE + 0x100;
    ck_assert_int_eq(run(&v, 10, &e), CPU_EXIT_MMIO);
    ck_assert_uint_eq(e.addr, 0x1000);
    check_counts(v.c, (struct counts){.dl = 25, .dm = 9, .fl = 7, .fm = 2, .walks = 10,
                                      .chained = 14, .jc = 3, .tc = 7, .translated = 6});
    /* resumed after the load: a new block (sd, ld, jal) whose accesses
     * miss the flushed TLB */
    cpu_mmio_complete(v.c, 7);
    ck_assert_int_eq(run(&v, 3, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[6], 7);
    check_counts(v.c, (struct counts){.dl = 27, .dm = 11, .fl = 8, .fm = 2, .walks = 12,
                                      .chained = 14, .jc = 3, .tc = 8, .translated = 7});
    vm_free(&v);
}
END_TEST

START_TEST(test_block_chaining)
{
    struct vm v = vm_new();
    /* f (BASE+24) is called from two sites: its return (jalr) must not be
     * chained to the first caller's continuation; the loop at BASE+32 runs
     * a chained backward branch many times */
    const uint32_t prog[] = {
        JAL(1, 24), ADDI(5, 0, 1), JAL(1, 16), ADDI(6, 0, 1), JAL(0, 16), NOP,
        ADDI(7, 7, 1), JALR(0, 1, 0),                      /* f */
        ADDI(8, 8, 1), ADDI(9, 8, -100), enc_b(-8, 0, 9, 1), /* loop: bne x9, x0 */
        JAL(0, 0),
    };
    put(&v, BASE, prog, 12);
    struct cpu_exit e;
    /* 2 + 2 calls (jal, addi, jalr each) = 8, jal to loop, 100 * 3, final jal */
    ck_assert_int_eq(run(&v, 8 + 1 + 300, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[5], 1);
    ck_assert_uint_eq(v.c->x[6], 1);
    ck_assert_uint_eq(v.c->x[7], 2);
    ck_assert_uint_eq(v.c->x[8], 100);
    ck_assert_uint_eq(v.c->pc, BASE + 44);
    vm_free(&v);
}
END_TEST

START_TEST(test_intercept_vmm_mode)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    map_sv39(&v, U);
    const uint32_t prog[] = {CSRR(10, SSTATUS), ECALL, LUI(1, 5), LD(2, 1, 8)};
    put(&v, 0x80200000, prog, 4);
    cpu_set_priv(v.c, CPU_PRIV_U);
    cpu_set_intercept(v.c, CPU_PRIV_U, CPU_INTERCEPT_ALL, CPU_INTERCEPT_ALL);
    v.c->pc = 0x1000;
    struct cpu_exit e;
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_TRAP);
    ck_assert_uint_eq(e.cause, CPU_EXC_ILLEGAL);
    ck_assert_uint_eq(e.tval, CSRR(10, SSTATUS));
    ck_assert_uint_eq(e.insn, CSRR(10, SSTATUS));
    ck_assert_uint_eq(e.pc, 0x1000);
    ck_assert_int_eq(e.priv, CPU_PRIV_U);
    ck_assert_uint_eq(v.c->pc, 0x1000);
    ck_assert_uint_eq(csr(&v, MCAUSE), 0);                 /* not delivered */
    v.c->pc += 4;                                          /* "emulated" */
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_TRAP);
    ck_assert_uint_eq(e.cause, CPU_EXC_ECALL_U);
    ck_assert_uint_eq(e.pc, 0x1004);
    ck_assert_uint_eq(e.insn, ECALL);
    v.c->pc += 4;
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_TRAP);
    ck_assert_uint_eq(e.cause, CPU_EXC_LOAD_PAGE);         /* va 0x5008 is unmapped */
    ck_assert_uint_eq(e.tval, 0x5008);
    ck_assert_uint_eq(e.pc, 0x100c);
    ck_assert_uint_eq(e.insn, LD(2, 1, 8));
    ck_assert_int_eq(v.c->priv, CPU_PRIV_U);
    /* the VMM reflects it: delivered as the hardware would (to M here) */
    cpu_raise(v.c, e.cause, e.tval);
    ck_assert_int_eq(v.c->priv, CPU_PRIV_M);
    ck_assert_uint_eq(v.c->pc, BASE + 0x100);
    ck_assert_uint_eq(csr(&v, MCAUSE), CPU_EXC_LOAD_PAGE);
    ck_assert_uint_eq(csr(&v, MTVAL), 0x5008);
    ck_assert_uint_eq(csr(&v, MEPC), 0x100c);
    vm_free(&v);
}
END_TEST

START_TEST(test_intercept_interpretation_mode)
{
    struct vm v = vm_new();
    put_mhandler(&v);
    const uint32_t prog[] = {ECALL, BAD};
    put(&v, BASE, prog, 2);
    cpu_set_priv(v.c, CPU_PRIV_S);
    cpu_set_intercept(v.c, CPU_PRIV_S, CPU_EXC_BIT(CPU_EXC_ECALL_S), 0);
    struct cpu_exit e;
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_TRAP);
    ck_assert_uint_eq(e.cause, CPU_EXC_ECALL_S);
    ck_assert_uint_eq(e.pc, BASE);
    v.c->pc += 4;
    run(&v, 4, &e);                                        /* illegal goes to M as usual */
    ck_assert_int_eq(v.c->priv, CPU_PRIV_M);
    ck_assert_uint_eq(v.c->x[10], CPU_EXC_ILLEGAL);
    ck_assert_uint_eq(v.c->x[12], BASE + 4);
    vm_free(&v);
}
END_TEST

START_TEST(test_mmio_and_unmapped_exits)
{
    struct vm v = vm_new();
    const uint32_t prog[] = {
        LUI(1, 0x10000), LW(5, 1, 4), SB(5, 1, 0), AUIPC(3, 0x300), LD(4, 3, 4),
    };
    put(&v, BASE, prog, 5);
    put64(&v, 0x80300010, 0xabcdef);
    uint8_t *old = NULL;
    ck_assert_int_eq(phys_map(v.p, 0x80300000, NULL, &old), 0);
    cpu_tlb_flush(v.c);
    struct cpu_exit e;
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_MMIO);
    ck_assert_uint_eq(e.addr, 0x10000004);
    ck_assert_uint_eq(e.va, 0x10000004);
    ck_assert_int_eq(e.size, 4);
    ck_assert_int_eq(e.access, CPU_ACC_LOAD);
    ck_assert_uint_eq(e.pc, BASE + 4);
    ck_assert_int_eq(run(&v, 100, &e), -EBUSY);            /* load needs its data */
    cpu_mmio_complete(v.c, 0xfffffffe);
    ck_assert_uint_eq(v.c->x[5], (uint64_t)-2);            /* lw sign-extends */
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_MMIO);
    ck_assert_int_eq(e.access, CPU_ACC_STORE);
    ck_assert_uint_eq(e.data, 0xfe);
    ck_assert_int_eq(e.size, 1);
    ck_assert_int_eq(run(&v, 100, &e), CPU_EXIT_UNMAPPED);
    ck_assert_uint_eq(e.addr, 0x80300010);
    ck_assert_uint_eq(e.pc, BASE + 16);
    ck_assert_int_eq(e.access, CPU_ACC_LOAD);
    ck_assert_int_eq(e.size, 8);
    ck_assert_int_eq(phys_map(v.p, 0x80300000, old, NULL), 0);
    cpu_tlb_flush(v.c);
    ck_assert_int_eq(run(&v, 1, &e), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(v.c->x[4], 0xabcdef);
    vm_free(&v);
}
END_TEST

static int dummy_rw(void *o, uint64_t off, int size, uint64_t *val)
{
    *val = off + (uint64_t)size;
    return 0;
}
static int dummy_w(void *o, uint64_t off, int size, uint64_t val) { return -1; }
static const struct phys_mmio_ops dummy_ops = {dummy_rw, dummy_w};

START_TEST(test_phys_mmio_table)
{
    struct phys *p = phys_new(BASE, RAM);
    ck_assert_ptr_null(phys_new(BASE + 1, RAM));
    ck_assert_ptr_null(phys_new(~0ULL - 0xfff, 0x2000));   /* wraps */
    ck_assert_int_eq(phys_mmio_add(p, 0x1000, 0x100, &dummy_ops, NULL), 0);
    ck_assert_int_eq(phys_mmio_add(p, 0x10ff, 0x10, &dummy_ops, NULL), -EINVAL);
    ck_assert_int_eq(phys_mmio_add(p, BASE + RAM - 8, 0x10, &dummy_ops, NULL), -EINVAL);
    ck_assert_int_eq(phys_mmio_add(p, ~0ULL - 3, 0x10, &dummy_ops, NULL), -EINVAL);
    ck_assert_int_eq(phys_mmio_add(p, 0, 0, &dummy_ops, NULL), -EINVAL);
    ck_assert_ptr_nonnull(phys_mmio_find(p, 0x10f8, 8));
    ck_assert_ptr_null(phys_mmio_find(p, 0x10f9, 8));      /* crosses the end */
    ck_assert_ptr_null(phys_mmio_find(p, 0x1000, ~0ULL));  /* length overflow */
    ck_assert_ptr_null(phys_mmio_find(p, 0xfff, 2));
    ck_assert_int_eq(phys_check(p), 0);
    /* a failing device write is an access fault at the store */
    struct cpu *c = cpu_new(p, 0);
    const uint32_t prog[] = {LUI(1, 1), LD(2, 1, 8), SD(2, 1, 0)};
    ck_assert_int_eq(phys_write(p, BASE, prog, sizeof(prog)), 0);
    const uint32_t h[] = {CSRR(10, MCAUSE), CSRR(11, MTVAL)};
    ck_assert_int_eq(phys_write(p, BASE + 0x100, h, sizeof(h)), 0);
    cpu_csr_set(c, MTVEC, BASE + 0x100);
    struct cpu_exit e;
    cpu_run(c, 5, &e);
    ck_assert_uint_eq(c->x[2], 0x8 + 8);
    ck_assert_uint_eq(c->x[10], CPU_EXC_STORE_ACCESS);
    ck_assert_uint_eq(c->x[11], 0x1000);
    cpu_free(c);
    phys_free(p);
}
END_TEST

/* --- ELF loader --- */
static void elf_header(uint8_t *b, uint16_t machine, uint64_t phoff, uint16_t phnum)
{
    memset(b, 0, 64);
    memcpy(b, "\177ELF", 4);
    b[4] = 2;
    b[5] = 1;
    b[6] = 1;
    b[16] = 2;
    memcpy(b + 18, &machine, 2);
    uint64_t entry = BASE + 0x40;
    memcpy(b + 24, &entry, 8);
    memcpy(b + 32, &phoff, 8);
    b[54] = 56;
    memcpy(b + 56, &phnum, 2);
}

static void elf_phdr(uint8_t *h, uint64_t off, uint64_t pa, uint64_t fsz, uint64_t msz)
{
    memset(h, 0, 56);
    h[0] = 1;
    memcpy(h + 8, &off, 8);
    memcpy(h + 16, &pa, 8);
    memcpy(h + 24, &pa, 8);
    memcpy(h + 32, &fsz, 8);
    memcpy(h + 40, &msz, 8);
}

START_TEST(test_elf_errors)
{
    struct phys *p = phys_new(BASE, RAM);
    struct elf_info info;
    char err[256];
    uint8_t img[256];
    elf_header(img, 243, 64, 1);
    ck_assert_int_eq(elf_load_mem(p, img, 10, "t.elf", &info, err, sizeof(err)), -ENOEXEC);
    ck_assert_str_eq(err, "t.elf: offset 10: truncated ELF header (need 64 bytes, file has 10)");
    elf_header(img, 62, 64, 1);
    ck_assert_int_eq(elf_load_mem(p, img, 120, "x86.elf", &info, err, sizeof(err)), -ENOEXEC);
    ck_assert_str_eq(err, "x86.elf: offset 18: expected machine RISC-V (243), got 62");
    elf_header(img, 243, 64, 1);
    elf_phdr(img + 64, 1000, BASE, 16, 16);
    ck_assert_int_eq(elf_load_mem(p, img, 120, "seg.elf", &info, err, sizeof(err)), -ENOEXEC);
    ck_assert_str_eq(err, "seg.elf: offset 72: segment data [1000, +16) beyond end of file (120 bytes)");
    elf_phdr(img + 64, 120, 0x1000, 8, 8);
    ck_assert_int_eq(elf_load_mem(p, img, 128, "io.elf", &info, err, sizeof(err)), -EFAULT);
    ck_assert_str_eq(err, "io.elf: offset 88: segment at 0x1000 size 8 outside guest RAM");
    elf_header(img, 243, 200, 1);
    ck_assert_int_eq(elf_load_mem(p, img, 128, "ph.elf", &info, err, sizeof(err)), -ENOEXEC);
    ck_assert_str_eq(err, "ph.elf: offset 32: program headers [200, +56) beyond end of file (128 bytes)");
    /* a good one: 8 bytes of data then 24 bytes of bss */
    elf_header(img, 243, 64, 1);
    elf_phdr(img + 64, 120, BASE + 0x40, 8, 32);
    memcpy(img + 120, "RISCVOK!", 8);
    put64(&(struct vm){p, NULL}, BASE + 0x48, ~0ULL);
    ck_assert_int_eq(elf_load_mem(p, img, 128, "ok.elf", &info, err, sizeof(err)), 0);
    ck_assert_uint_eq(info.entry, BASE + 0x40);
    ck_assert_uint_eq(info.lo, BASE + 0x40);
    ck_assert_uint_eq(info.hi, BASE + 0x60);
    ck_assert_uint_eq(info.tohost, 0);
    char got[9] = {0};
    phys_read(p, BASE + 0x40, got, 8);
    ck_assert_str_eq(got, "RISCVOK!");
    ck_assert_uint_eq(get64(&(struct vm){p, NULL}, BASE + 0x48), 0);   /* bss zeroed */
    /* from a file: the message names the file */
    char path[] = "/tmp/vmmsim_elf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, 40), 40);
    close(fd);
    ck_assert_int_eq(elf_load(p, path, &info, err, sizeof(err)), -ENOEXEC);
    char want[256];
    snprintf(want, sizeof(want), "%s: offset 40: truncated ELF header (need 64 bytes, file has 40)", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    ck_assert_int_eq(elf_load(p, path, &info, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, path));
    phys_free(p);
}
END_TEST

/* --- fuzz: random code and page tables --- */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cause_defined(uint64_t cause)
{
    if (cause & CPU_CAUSE_IRQ)
        return (cause & ~CPU_CAUSE_IRQ) < 12 && ((0xaaaULL >> (cause & 63)) & 1);
    return cause < 16 && ((0xbbffULL >> cause) & 1);
}

START_TEST(test_fuzz_random_code)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)_i;
    struct vm v = vm_new();
    ck_assert_int_eq(clint_attach(v.c), 0);
    /* 64 KiB of random words: code, data and page tables alike; a random
     * satp root inside it, random privilege, some runs fully intercepted */
    static const uint32_t majors[] = {0x03, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x2f, 0x33,
                                      0x37, 0x3b, 0x63, 0x67, 0x6f, 0x73};
    for (uint64_t off = 0; off < 0x10000; off += 8) {
        uint64_t w = rnd(&seed);
        if ((w & 7) == 0)   /* sprinkle plausible PTEs pointing into RAM */
            w = PTE(BASE + (rnd(&seed) & 0xff000), rnd(&seed) & 0xff);
        else if ((w & 7) < 6)   /* mostly words with a real major opcode */
            w = (w & ~0x7fULL & ~(0x7fULL << 32)) | majors[(w >> 8) % 14] |
                (uint64_t)majors[(w >> 16) % 14] << 32;
        put64(&v, BASE + off, w);
    }
    int intercept = _i & 1;
    for (int p = 0; p < 4; p++)
        if (intercept)
            cpu_set_intercept(v.c, p, CPU_INTERCEPT_ALL, CPU_INTERCEPT_ALL);
    cpu_csr_set(v.c, MTVEC, BASE + (rnd(&seed) & 0xfffc));
    cpu_csr_set(v.c, STVEC, BASE + (rnd(&seed) & 0xfffc));
    cpu_csr_set(v.c, 0x302, rnd(&seed));
    cpu_csr_set(v.c, SATP, (8ULL << 60) | ((BASE + (rnd(&seed) & 0xf000)) >> 12));
    cpu_set_mtimecmp(v.c, rnd(&seed) & 0xfff);
    cpu_csr_set(v.c, MIE, rnd(&seed));
    static const int privs[3] = {CPU_PRIV_U, CPU_PRIV_S, CPU_PRIV_M};
    cpu_set_priv(v.c, privs[rnd(&seed) % 3]);
    v.c->pc = BASE + (rnd(&seed) & 0xfffc);
    for (int step = 0; step < 200; step++) {
        struct cpu_exit e;
        uint64_t before = v.c->icount;
        int r = run(&v, 1000, &e);
        ck_assert_int_ge(r, CPU_EXIT_BUDGET);
        ck_assert_int_le(r, CPU_EXIT_WFI);
        ck_assert_uint_le(v.c->icount, before + 1000);
        ck_assert_int_eq(cpu_check(v.c), 0);
        if (r == CPU_EXIT_TRAP) {
            ck_assert_msg(cause_defined(e.cause), "undefined cause 0x%llx",
                          (unsigned long long)e.cause);
            ck_assert_int_eq(intercept, 1);
            v.c->pc = BASE + (rnd(&seed) & 0xfffc);       /* "emulate": go elsewhere */
            if (e.cause & CPU_CAUSE_IRQ)
                cpu_set_mtimecmp(v.c, ~0ULL), cpu_csr_set(v.c, MIE, 0);
        } else if (r == CPU_EXIT_MMIO) {
            cpu_mmio_complete(v.c, rnd(&seed));
        }
    }
    ck_assert_int_eq(phys_check(v.p), 0);
    vm_free(&v);
}
END_TEST

Suite *suite_cpu(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_arith);
    tcase_add_test(tc, test_trap_illegal);
    tcase_add_test(tc, test_trap_ebreak_misaligned_jump);
    tcase_add_test(tc, test_trap_ecall_from_u);
    tcase_add_test(tc, test_timer_interrupt);
    tcase_add_test(tc, test_clint_mmio);
    tcase_add_test(tc, test_vectored_tvec);
    tcase_add_test(tc, test_trap_virtualization_bits);
    tcase_add_test(tc, test_lr_sc_amo);
    tcase_add_test(tc, test_misaligned_page_crossing);
    tcase_add_test(tc, test_irq_delegation_and_priority);
    tcase_add_test(tc, test_sv39_ad_bits);
    tcase_add_test(tc, test_sv39_user_bit);
    tcase_add_test(tc, test_tlb_address_space_slots);
    tcase_add_test(tc, test_sv39_sum_mxr);
    tcase_add_test(tc, test_unmapped_page_table_frame);
    tcase_add_test(tc, test_self_modifying_code);
    tcase_add_test(tc, test_block_chaining);
    tcase_add_test(tc, test_lookup_counters);
    tcase_add_test(tc, test_intercept_vmm_mode);
    tcase_add_test(tc, test_intercept_interpretation_mode);
    tcase_add_test(tc, test_mmio_and_unmapped_exits);
    tcase_add_test(tc, test_phys_mmio_table);
    tcase_add_test(tc, test_elf_errors);
    suite_add_tcase(s, tc);
    TCase *fz = tcase_create("fuzz");
    tcase_set_timeout(fz, 60);
    tcase_add_loop_test(fz, test_fuzz_random_code, 0, test_quick() ? 8 : 64);
    suite_add_tcase(s, fz);
    return s;
}
