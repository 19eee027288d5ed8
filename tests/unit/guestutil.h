/* guestutil: what the tests that boot the guest kernel share (the QEMU
 * differential test and the VMM core's tests): where the kernel is, the
 * scratch disk every boot uses, reading whole files. */
#ifndef VMMSIM_GUESTUTIL_H
#define VMMSIM_GUESTUTIL_H

#include <check.h>
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

#endif
