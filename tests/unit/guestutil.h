/* guestutil: what the tests that boot the guest kernel share (the QEMU
 * differential test and the VMM core's tests): where the kernel is, the
 * scratch disk every boot uses, reading whole files. */
#ifndef VMMSIM_GUESTUTIL_H
#define VMMSIM_GUESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define GUEST_DISK_BYTES (1L << 20)
#define GUEST_SECTOR 512

/* The kernel image under test: $VMMSIM_GUEST_KERNEL or build/guest/kernel.elf. */
static inline const char *guest_kernel_path(void)
{
    const char *k = getenv("VMMSIM_GUEST_KERNEL");
    return k && *k ? k : "build/guest/kernel.elf";
}

/* The guest's boot self-test disk: 1 MiB, byte i of sector 0 is i % 251,
 * the rest zero (guest/README.md). */
static inline void guest_write_disk(const char *path)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    for (long i = 0; i < GUEST_DISK_BYTES; i++)
        fputc(i < GUEST_SECTOR ? (int)(i % 251) : 0, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, NUL-terminated, malloc'ed; its length in *len if len. */
static inline char *guest_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* Write a one-segment RV64 ELF executable: code (len bytes) loaded and
 * entered at 0x80200000, where the VMM core and QEMU load a kernel. */
static inline void guest_write_elf(const char *path, const void *code, size_t len)
{
    unsigned char h[120] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    const struct { int off, n; uint64_t v; } f[] = {
        {16, 2, 2}, {18, 2, 243}, {20, 4, 1}, {24, 8, 0x80200000}, {32, 8, 64}, {52, 2, 64},
        {54, 2, 56}, {56, 2, 1}, {64, 4, 1}, {68, 4, 7}, {72, 8, 120}, {80, 8, 0x80200000},
        {88, 8, 0x80200000}, {96, 8, len}, {104, 8, len}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        for (int b = 0; b < f[i].n; b++)
            h[f[i].off + b] = (unsigned char)(f[i].v >> (8 * b));
    FILE *out = fopen(path, "wb");
    ck_assert_msg(out != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(h, 1, sizeof h, out), sizeof h);
    ck_assert_uint_eq(fwrite(code, 1, len, out), len);
    ck_assert_int_eq(fclose(out), 0);
}

#endif
