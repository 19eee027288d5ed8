/* test_riscv_isa: the official riscv-tests on the software hart.
 *
 * Each ELF from $VMMSIM_RISCV_TESTS (default build/riscv-tests, built by
 * scripts/build-riscv-tests.sh) is loaded at 0x80000000, its `tohost` word is
 * watched (HTIF) and the hart runs in M-mode with a bounded budget. A test
 * passes when it writes 1 to tohost; it fails with (n << 1) | 1 for failing
 * test number n. One Check test per group (rv64ui-p, rv64ui-v, ...); a
 * failure message lists every failing ELF with its test number or exit. A
 * missing directory or an empty group fails, unless VMMSIM_QUICK is set.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "vmm/clint.h"
#include "vmm/cpu.h"
#include "vmm/elf.h"

#define ISA_RAM (16ULL << 20)
#define ISA_BUDGET 50000000ULL

static const char *const groups[] = {
    "rv64ui-p-", "rv64ui-v-", "rv64um-p-", "rv64um-v-", "rv64ua-p-", "rv64ua-v-",
    "rv64si-p-", "rv64mi-p-",
};

static const char *tests_dir(void)
{
    const char *d = getenv("VMMSIM_RISCV_TESTS");
    return d && *d ? d : "build/riscv-tests";
}

/* Run one ELF; 0 on pass, else writes why into msg. */
static int run_one(const char *path, char *msg, size_t len)
{
    struct phys *p = phys_new(0x80000000ULL, ISA_RAM);
    struct cpu *c = p ? cpu_new(p, 0) : NULL;
    struct elf_info info;
    char err[256];
    int rc = -1;
    if (!c) {
        snprintf(msg, len, "out of memory");
        goto out;
    }
    if (clint_attach(c) != 0 || elf_load(p, path, &info, err, sizeof(err)) != 0) {
        snprintf(msg, len, "load: %s", err);
        goto out;
    }
    if (!info.tohost || cpu_set_htif(c, info.tohost) != 0) {
        snprintf(msg, len, "no usable tohost symbol");
        goto out;
    }
    c->pc = info.entry;
    struct cpu_exit e;
    int r;
    do {    /* wfi exits are idle points: keep running */
        r = cpu_run(c, ISA_BUDGET, &e);
    } while (r == CPU_EXIT_WFI && c->icount < ISA_BUDGET);
    if (r == CPU_EXIT_HTIF && e.data == 1)
        rc = 0;
    else if (r == CPU_EXIT_HTIF)
        snprintf(msg, len, "failed test #%llu", (unsigned long long)(e.data >> 1));
    else
        snprintf(msg, len, "exit %s at pc 0x%llx (cause 0x%llx, addr 0x%llx)", cpu_exit_name(r),
                 (unsigned long long)e.pc, (unsigned long long)e.cause,
                 (unsigned long long)e.addr);
out:
    cpu_free(c);
    phys_free(p);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_isa_group)
{
    const char *prefix = groups[_i];
    DIR *d = opendir(tests_dir());
    if (!d) {
        if (test_quick())
            return;
        ck_abort_msg("riscv-tests directory %s missing (run scripts/build-riscv-tests.sh %s "
                     "or set VMMSIM_RISCV_TESTS)", tests_dir(), tests_dir());
    }
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && !strstr(de->d_name, ".dump"))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    static char report[8192];
    size_t used = 0;
    int failed = 0;
    report[0] = 0;
    for (int i = 0; i < n; i++) {
        char path[1024], why[512];
        snprintf(path, sizeof(path), "%s/%s", tests_dir(), names[i]);
        if (run_one(path, why, sizeof(why)) != 0) {
            failed++;
            int k = snprintf(report + used, sizeof(report) - used, "\n  %s: %s", names[i], why);
            if (k > 0 && used + (size_t)k < sizeof(report))
                used += (size_t)k;
        }
        free(names[i]);
    }
    ck_assert_msg(n > 0, "no %s* ELF in %s", prefix, tests_dir());
    ck_assert_msg(failed == 0, "%d of %d %s* tests failed:%s", failed, n, prefix, report);
}
END_TEST

Suite *suite_riscv_isa(void)
{
    Suite *s = suite_create("riscv_isa");
    TCase *tc = tcase_create("riscv-tests");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_isa_group, 0, (int)(sizeof(groups) / sizeof(groups[0])));
    suite_add_tcase(s, tc);
    return s;
}
