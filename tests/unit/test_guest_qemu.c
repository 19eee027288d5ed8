/* test_guest_qemu: boots the guest kernel (build/guest/kernel.elf, built by
 * `make -C guest`) under qemu-system-riscv64 virt and compares its console
 * output, from the kernel's "vmmsim-guest: boot" line on, byte for byte
 * with tests/golden/guest-console.txt ('\r' removed: OpenSBI's putchar
 * turns '\n' into "\r\n"). QEMU normally gets a virtio console
 * (virtio-serial-device + virtconsole) sharing one mux'ed stdio chardev
 * with the UART, so OpenSBI's banner and the guest's virtio console output
 * land in one capture; the guest then writes '\n' alone, which is how the
 * tests tell which path carried the output. One case boots without the
 * virtio console to cover the SBI fallback. Besides the golden comparison,
 * values that can be worked out by hand are asserted directly: the FNV-1a
 * of the disk's sector 0 that this test writes, the forktest status sum,
 * the badread kill line, the page-leak check, and the page the kernel
 * writes to the disk. Skipped when QEMU is not installed; a missing kernel
 * image fails unless VMMSIM_QUICK is set. VMMSIM_GUEST_KERNEL overrides
 * the image path. */
#include "tests/testutil.h"
#include "tests/unit/guestutil.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOLDEN_PATH   "tests/golden/guest-console.txt"
#define BOOT_LINE     "vmmsim-guest: boot\n"
#define DISK_BYTES    (1L << 20)
#define SECTOR        512
#define QEMU_TIMEOUT  120 /* seconds; a hung guest fails instead of blocking */
/* the UART and the virtio console on one stdio chardev */
#define QEMU_CONSOLE_VIRTIO                                                       \
    "-display none -monitor none -chardev stdio,id=c0,mux=on,signal=off "        \
    "-serial chardev:c0 -device virtio-serial-device -device virtconsole,chardev=c0"
#define QEMU_CONSOLE_SBI "-nographic"


static int have_qemu(void)
{
    return system("command -v qemu-system-riscv64 >/dev/null 2>&1") == 0;
}

/* Sector 0 of the scratch disk: byte i is i % 251. */
static uint8_t sector0_byte(int i)
{
    return (uint8_t)(i % 251);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}


struct boot_result {
    int rc;        /* system()'s status for the timeout+qemu command */
    char *console; /* raw console output */
    char *disk;    /* the disk image after the run, or NULL */
    size_t disk_len;
};

/* Boots the kernel in a fresh temporary directory (with a scratch disk when
 * with_disk, with a virtio console when with_vcon), collects the console
 * and disk image, and removes the directory before anything is asserted,
 * so a failing check leaves no files behind. */
static void boot(int with_disk, int with_vcon, struct boot_result *r)
{
    char dir[] = "/tmp/vmmsim-guest-XXXXXX", disk[64], out[64];
    char cmd[2048], drive[160] = "";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(disk, sizeof disk, "%s/disk.img", dir);
    snprintf(out, sizeof out, "%s/console.txt", dir);
    if (with_disk) {
        guest_write_disk(disk);
        snprintf(drive, sizeof drive,
                 "-drive 'file=%s,if=none,format=raw,id=d0' -device virtio-blk-device,drive=d0",
                 disk);
    }
    snprintf(cmd, sizeof cmd,
             "timeout %d qemu-system-riscv64 -machine virt -bios default %s "
             "-m 128M -smp 1 -kernel '%s' -global virtio-mmio.force-legacy=false %s "
             "</dev/null >'%s' 2>&1",
             QEMU_TIMEOUT, with_vcon ? QEMU_CONSOLE_VIRTIO : QEMU_CONSOLE_SBI,
             guest_kernel_path(), drive, out);
    r->rc = system(cmd);
    r->console = guest_slurp(out, NULL);
    r->disk = with_disk ? guest_slurp(disk, &r->disk_len) : NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Checks QEMU's exit and returns the console text from the boot line on,
 * with '\r' removed (in place, inside r->console). The guest's output must
 * have come through the virtio console (bare '\n') when vcon, else through
 * OpenSBI's UART putchar ("\r\n"). */
static char *guest_console(struct boot_result *r, int vcon)
{
    char *text = r->console;
    ck_assert_msg(r->rc == 0, "qemu exited with %d; output:\n%s", r->rc, text);
    const char *raw = strstr(text, "vmmsim-guest: boot");
    ck_assert_msg(raw != NULL, "no boot line in output:\n%s", text);
    if (vcon)
        ck_assert_msg(strchr(raw, '\r') == NULL, "guest output went through the UART");
    else
        ck_assert_msg(strncmp(raw, "vmmsim-guest: boot\r\n", 20) == 0,
                      "guest output did not go through the UART");
    char *w = text;
    for (char *p = text; *p; p++)
        if (*p != '\r')
            *w++ = *p;
    *w = '\0';
    char *start = strstr(text, BOOT_LINE);
    ck_assert_msg(start != NULL, "no boot line in output:\n%s", text);
    memmove(text, start, strlen(start) + 1);
    return text;
}

/* Fails at the first differing line, showing both versions. */
static void assert_same_text(const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n')
            line++;
        g++, w++;
    }
    if (*g == *w)
        return;
    while (g > got && g[-1] != '\n' && w > want && w[-1] != '\n')
        g--, w--;
    ck_abort_msg("console differs at line %d:\n  got:  %.*s\n  want: %.*s", line,
                 (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

/* Returns 1 if the test should run, 0 to skip it. */
static int guest_ready(void)
{
    if (!have_qemu())
        return 0;
    if (access(guest_kernel_path(), R_OK) != 0) {
        if (test_quick())
            return 0;
        ck_abort_msg("%s missing: run `make -C guest` first", guest_kernel_path());
    }
    return 1;
}

START_TEST(console_matches_golden)
{
    if (!guest_ready())
        return;
    struct boot_result r;
    char expect[96];
    boot(1, 1, &r);
    char *text = guest_console(&r, 1);
    char *golden = guest_slurp(GOLDEN_PATH, NULL);
    assert_same_text(text, golden);

    uint8_t s0[SECTOR];
    for (int i = 0; i < SECTOR; i++)
        s0[i] = sector0_byte(i);
    snprintf(expect, sizeof expect, "disk: sector 0 fnv1a=%x\n", fnv1a(s0, SECTOR));
    ck_assert_msg(strstr(text, expect), "missing %s", expect);
    ck_assert_ptr_nonnull(strstr(text, "disk: virtio-blk, 2048 sectors\n"));
    ck_assert_ptr_nonnull(strstr(text, "disk: sectors 8-15 write/readback ok\n"));
    /* sum of i % 7 for i < 64: nine full cycles of 21, then 63 % 7 = 0 */
    ck_assert_ptr_nonnull(strstr(text, "forktest: forks=64 waits=64 status_sum=189 "));
    ck_assert_ptr_nonnull(strstr(
        text, "kill: pid 6 (badread) page fault scause=13 stval=0x80200000\n"
              "init: badread exited with status -1\n"));
    ck_assert_ptr_nonnull(strstr(text, "init: free pages unchanged\n"));
    /* systest's shrunk heap page: its image ends at 0x12000 (text page
     * 0x10000, data page 0x11000), and pid 73 = 1 (init) + 5 programs +
     * forktest (7) + its 64 children + systest (72) + 1 */
    ck_assert_ptr_nonnull(strstr(text, "kill: pid 73 (systest) page fault scause=15 stval=0x12000\n"));
    ck_assert_ptr_nonnull(strstr(text, "systest: 18 of 18 checks passed\n"));

    /* the kernel's self-test page: byte i of sectors 8..15 is i * 13 + 7 */
    ck_assert_uint_eq(r.disk_len, DISK_BYTES);
    for (int i = 0; i < 8 * SECTOR; i++)
        ck_assert_uint_eq((uint8_t)r.disk[8 * SECTOR + i], (uint8_t)(i * 13 + 7));
    for (int i = SECTOR; i < 8 * SECTOR; i++)
        ck_assert_uint_eq((uint8_t)r.disk[i], 0);
    free(r.disk);
    free(golden);
    free(r.console);
}
END_TEST

/* Without a disk the kernel says so and everything else is unchanged. */
START_TEST(console_without_disk)
{
    if (test_quick() || !guest_ready())
        return;
    struct boot_result r;
    boot(0, 1, &r);
    char *text = guest_console(&r, 1);
    char *golden = guest_slurp(GOLDEN_PATH, NULL);
    char *first = strstr(golden, "disk: "), *after = strstr(golden, "programs: ");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(after);
    size_t head = (size_t)(first - golden);
    char *want = malloc(strlen(golden) + 16);
    ck_assert_ptr_nonnull(want);
    memcpy(want, golden, head);
    strcpy(want + head, "disk: none\n");
    strcat(want, after);
    assert_same_text(text, want);
    free(want);
    free(golden);
    free(r.console);
}
END_TEST

/* Without a virtio console the kernel falls back to SBI putchar, with the
 * same output byte for byte. */
START_TEST(console_sbi_fallback)
{
    if (!guest_ready())
        return;
    struct boot_result r;
    boot(1, 0, &r);
    char *text = guest_console(&r, 0);
    char *golden = guest_slurp(GOLDEN_PATH, NULL);
    assert_same_text(text, golden);
    free(r.disk);
    free(golden);
    free(r.console);
}
END_TEST

Suite *suite_guest_qemu(void)
{
    Suite *s = suite_create("guest_qemu");
    TCase *tc = tcase_create("boot");
    tcase_set_timeout(tc, 2 * QEMU_TIMEOUT);
    tcase_add_test(tc, console_matches_golden);
    tcase_add_test(tc, console_without_disk);
    tcase_add_test(tc, console_sbi_fallback);
    suite_add_tcase(s, tc);
    return s;
}
