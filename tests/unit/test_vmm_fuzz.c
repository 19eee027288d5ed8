/* test_vmm_fuzz: random instruction streams run as guest kernel code.
 *
 * A tiny guest kernel installs a trap handler that records the first traps
 * (scause, sepc, stval) at 0x80300000, counts traps, skips the trapping
 * instruction and returns; it then jumps into 4 KiB of random instructions. Each
 * seed runs in all three modes with a bounded budget. Asserted:
 *   - the VMM never crashes or hangs (ASan/UBSan build included) and its
 *     invariants hold afterwards (vm_check);
 *   - the first LOG_TRAPS traps the guest sees are the same in
 *     interpretation mode (the hart executing the guest natively in S-mode:
 *     the reference) and under trap-and-emulate and PV, where the VMM
 *     emulates privileged instructions and CSRs: the VMM delivers the trap
 *     the hardware would. (stval of illegal-instruction traps may legally be
 *     0 or the instruction, so it is compared for other causes.)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "tests/unit/guestutil.h"
#include "vmm/vm.h"

enum { T0 = 5, T3 = 28, T4 = 29, T5 = 30, T6 = 31 };
#define LOG_TRAPS 8
#define CSR_STVEC 0x105
#define CSR_SEPC 0x141
#define CSR_SCAUSE 0x142
#define CSR_STVAL 0x143
#define HANDLER_WORD 64
#define RANDOM_WORD 1024
#define RANDOM_WORDS 1024
#define LOG_ADDR 0x80300000ull

static uint32_t itype(int imm, int rs1, int f3, int rd, int op)
{
    return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | (uint32_t)f3 << 12 | (uint32_t)rd << 7 | (uint32_t)op;
}

static uint32_t stype(int imm, int rs2, int rs1, int f3)
{
    return ((uint32_t)imm >> 5 & 0x7f) << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | (uint32_t)f3 << 12 |
           ((uint32_t)imm & 0x1f) << 7 | 0x23;
}

static uint32_t csrr(int rd, int csr) { return itype(csr, 0, 2, rd, 0x73); }
static uint32_t csrw(int csr, int rs1) { return itype(csr, rs1, 1, 0, 0x73); }

/* beq rs1, x0, off (off even, |off| < 4096) */
static uint32_t beqz(int rs1, int off)
{
    uint32_t u = (uint32_t)off;
    return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | (uint32_t)rs1 << 15 |
           (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63;
}

static uint32_t rtype(int f7, int rs2, int rs1, int f3, int rd, int op)
{
    return (uint32_t)f7 << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | (uint32_t)f3 << 12 |
           (uint32_t)rd << 7 | (uint32_t)op;
}

/* jal x0, off */
static uint32_t jump(int off)
{
    uint32_t u = (uint32_t)off;
    return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 | (u >> 12 & 0xff) << 12 | 0x6f;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* A random 32-bit instruction word, biased towards what the VMM emulates:
 * half arbitrary words (low bits 11: not compressed), a third SYSTEM
 * instructions on supervisor and machine CSRs (never the counters, whose
 * values legitimately differ between modes), the rest xRET/WFI/SFENCE/ECALL. */
static uint32_t random_insn(uint64_t *s)
{
    static const int csrs[] = {0x100, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143,
                               0x144, 0x180, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x340,
                               0x341, 0x342, 0x343, 0x344, 0xf14, 0x7c0, 0x5a8};
    static const uint32_t special[] = {0x10200073u, 0x30200073u, 0x10500073u, 0x12000073u,
                                       0x00000073u, 0x00100073u, 0x0000100fu};
    uint64_t r = xorshift(s);
    switch (r % 6) {
    case 0: case 1: case 2:
        return (uint32_t)(r >> 8) | 3;
    case 3: case 4: {
        static const int f3s[] = {1, 2, 3, 5, 6, 7};
        int csr = csrs[(r >> 8) % (sizeof csrs / sizeof csrs[0])];
        return itype(csr, (int)(r >> 16) & 31, f3s[(r >> 24) % 6], (int)(r >> 32) & 31, 0x73);
    }
    default:
        return special[(r >> 8) % (sizeof special / sizeof special[0])];
    }
}

/* The kernel: boot code, handler, random region (see the file comment). */
static void build_code(uint32_t *w, uint64_t seed)
{
    memset(w, 0, (RANDOM_WORD + RANDOM_WORDS) * sizeof *w);
    w[0] = (uint32_t)T0 << 7 | 0x17;                     /* auipc t0, 0 */
    w[1] = itype(HANDLER_WORD * 4, T0, 0, T0, 0x13);     /* addi t0, t0, handler */
    w[2] = csrw(CSR_STVEC, T0);
    w[3] = jump((RANDOM_WORD - 3) * 4);
    uint32_t *h = w + HANDLER_WORD, k = 0;
    h[k++] = 0x40180u << 12 | (uint32_t)T3 << 7 | 0x37;  /* lui t3, 0x40180 */
    h[k++] = rtype(0, T3, T3, 0, T3, 0x33);              /* add t3, t3, t3: the log */
    h[k++] = itype(0, T3, 3, T4, 0x03);                  /* ld t4, 0(t3): traps so far */
    h[k++] = itype(LOG_TRAPS, T4, 3, T6, 0x13);          /* sltiu t6, t4, LOG_TRAPS */
    h[k++] = beqz(T6, 11 * 4);                           /* log only the first ones */
    h[k++] = itype(4, T4, 1, T6, 0x13);                  /* slli t6, t4, 4 */
    h[k++] = itype(3, T4, 1, T5, 0x13);                  /* slli t5, t4, 3 */
    h[k++] = rtype(0, T5, T6, 0, T6, 0x33);              /* add t6, t6, t5: 24 * n */
    h[k++] = rtype(0, T3, T6, 0, T6, 0x33);              /* add t6, t6, t3 */
    h[k++] = csrr(T5, CSR_SCAUSE);
    h[k++] = stype(8, T5, T6, 3);
    h[k++] = csrr(T5, CSR_SEPC);
    h[k++] = stype(16, T5, T6, 3);
    h[k++] = csrr(T5, CSR_STVAL);
    h[k++] = stype(24, T5, T6, 3);
    h[k++] = itype(1, T4, 0, T4, 0x13);                  /* n++ */
    h[k++] = stype(0, T4, T3, 3);
    h[k++] = csrr(T5, CSR_SEPC);
    h[k++] = itype(4, T5, 0, T5, 0x13);
    h[k++] = csrw(CSR_SEPC, T5);
    h[k++] = 0x10200073u;                                /* sret */
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < RANDOM_WORDS; i++)
        w[RANDOM_WORD + i] = random_insn(&s);
}

struct traps {
    uint64_t count;
    uint64_t t[LOG_TRAPS][3];   /* cause, epc, tval of the first traps */
    int state;
};

static struct traps run_mode(const char *elf, enum vm_mode mode)
{
    char err[256];
    struct vm_config cfg = {.mode = mode, .mem = 8ULL << 20, .kernel = elf};
    struct vm *vm = vm_new(&cfg, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    struct traps t;
    t.state = vm_run(vm, 200000);
    ck_assert_msg(vm_check(vm) == 0, "VMM invariants broken after a random run");
    ck_assert_int_eq(phys_read(vm->phys, LOG_ADDR, &t.count, sizeof t.count), 0);
    ck_assert_int_eq(phys_read(vm->phys, LOG_ADDR + 8, t.t, sizeof t.t), 0);
    vm_free(vm);
    return t;
}

START_TEST(random_code_same_first_trap)
{
    static uint32_t code[RANDOM_WORD + RANDOM_WORDS];
    char dir[] = "/tmp/vmmsim-fuzz-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fuzz.elf", dir);
    build_code(code, (uint64_t)_i + 1);
    guest_write_elf(path, code, sizeof code);
    struct traps ref = run_mode(path, VM_MODE_INTERPRET);
    uint64_t n = ref.count < LOG_TRAPS ? ref.count : LOG_TRAPS;
    static const enum vm_mode modes[] = {VM_MODE_TRAP, VM_MODE_PV};
    for (int m = 0; m < 2; m++) {
        struct traps t = run_mode(path, modes[m]);
        ck_assert_msg((t.count == 0) == (ref.count == 0) && t.state == ref.state,
                      "seed %d mode %d: %llu traps and state %d; the hardware gives %llu and %d", _i + 1,
                      modes[m], (unsigned long long)t.count, t.state, (unsigned long long)ref.count, ref.state);
        for (uint64_t k = 0; k < n; k++) {
            const uint64_t *a = t.t[k], *b = ref.t[k];
            ck_assert_msg(k < t.count && a[0] == b[0] && a[1] == b[1] && (b[0] == 2 || a[2] == b[2]),
                          "seed %d mode %d trap %llu: cause %llu at %#llx tval %#llx; the hardware "
                          "gives cause %llu at %#llx tval %#llx", _i + 1, modes[m], (unsigned long long)k,
                          (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                          (unsigned long long)b[0], (unsigned long long)b[1], (unsigned long long)b[2]);
        }
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

Suite *suite_vmm_fuzz(void)
{
    Suite *s = suite_create("vmm_fuzz");
    TCase *tc = tcase_create("random-code");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, random_code_same_first_trap, 0, test_quick() ? 16 : 200);
    suite_add_tcase(s, tc);
    return s;
}
