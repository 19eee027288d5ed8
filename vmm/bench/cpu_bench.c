/* cpu_bench: instructions per second of the software hart (not a test).
 *
 * Loads RV64 ELFs (riscv-tests or the compute kernel in this directory), runs
 * each to its HTIF exit and prints retired instructions, CPU seconds, MIPS and
 * translation statistics. Build and run from the repository root:
 *
 *   riscv64-unknown-elf-gcc --specs=picolibc.specs -O2 -fno-builtin \
 *       -fno-tree-loop-distribute-patterns -march=rv64ima_zicsr -mabi=lp64 \
 *       -mcmodel=medany -nostdlib -nostartfiles -T vmm/bench/link.ld \
 *       vmm/bench/start.S vmm/bench/kernel.c -o /tmp/kernel.elf
 *   cc -std=c11 -O2 -I. -D_POSIX_C_SOURCE=200809L vmm/bench/cpu_bench.c \
 *       vmm/cpu*.c vmm/phys.c vmm/elf.c vmm/clint.c sim/mem.c -o /tmp/cpu_bench
 *   /tmp/cpu_bench /tmp/kernel.elf
 *
 * The kernel's exit code (acc & 0xffff | 0x10000) is also its checksum; QEMU
 * (-machine spike -bios none) exits with its low 8 bits.
 */
#include <stdio.h>
#include <time.h>

#include "vmm/clint.h"
#include "vmm/cpu.h"
#include "vmm/elf.h"

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int bench(const char *path)
{
    struct phys *p = phys_new(0x80000000ULL, 64ULL << 20);
    struct cpu *c = p ? cpu_new(p, 0) : NULL;
    struct elf_info info;
    char err[256];
    int rc = 1;
    if (!c || clint_attach(c) || elf_load(p, path, &info, err, sizeof(err))) {
        fprintf(stderr, "%s\n", c ? err : "out of memory");
        goto out;
    }
    cpu_set_htif(c, info.tohost);
    c->pc = info.entry;
    struct cpu_exit e;
    double t0 = cpu_seconds();
    int r;
    do
        r = cpu_run(c, 4000000000ULL, &e);
    while (r == CPU_EXIT_WFI);
    double dt = cpu_seconds() - t0;
    printf("%-28s exit=%s value=%llu insns=%llu cpu=%.3fs %.1f MIPS blocks=%llu tlb_miss=%llu\n",
           path, cpu_exit_name(r), (unsigned long long)(e.data >> 1),
           (unsigned long long)c->icount, dt, (double)c->icount / dt / 1e6,
           (unsigned long long)c->n_blocks_translated, (unsigned long long)c->n_tlb_miss);
    rc = 0;
out:
    cpu_free(c);
    phys_free(p);
    return rc;
}

/* Round trips through an intercepted ecall (the VMM exit path): U-mode
 * loop "addi; ecall; jal" with the caller stepping over each ecall. */
static int bench_exits(void)
{
    struct phys *p = phys_new(0x80000000ULL, 1ULL << 20);
    struct cpu *c = p ? cpu_new(p, 0) : NULL;
    if (!c)
        return 1;
    const uint32_t prog[] = {0x00150513 /* addi a0,a0,1 */, 0x00000073 /* ecall */,
                             0xff9ff06f /* jal x0,-8 */};
    phys_write(p, 0x80000000ULL, prog, sizeof(prog));
    cpu_set_priv(c, CPU_PRIV_U);
    cpu_set_intercept(c, CPU_PRIV_U, CPU_INTERCEPT_ALL, CPU_INTERCEPT_ALL);
    struct cpu_exit e;
    uint64_t n = 5000000;
    double t0 = cpu_seconds();
    for (uint64_t i = 0; i < n; i++) {
        cpu_run(c, 1000, &e);
        c->pc += 4;
    }
    double dt = cpu_seconds() - t0;
    printf("intercepted ecall round trips: %llu in %.3fs = %.1f M exits/s (%.0f ns each)\n",
           (unsigned long long)n, dt, (double)n / dt / 1e6, dt / (double)n * 1e9);
    int rc = e.reason == CPU_EXIT_TRAP && c->x[10] == n ? 0 : 1;
    cpu_free(c);
    phys_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= bench(argv[i]);
    return rc | bench_exits();
}
