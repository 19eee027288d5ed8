/* main.c: kernel entry after entry.S. Sizes RAM from the device tree
 * (fixed 128 MiB if there is none), sets up memory and paging, switches the
 * console to a virtio console if there is one (silently: the output must
 * not depend on it), then traps, runs the boot-time disk self-test, and
 * starts init from the program table.
 * Everything printed here is deterministic: no times, no addresses that
 * depend on the firmware. */
#include "kernel.h"
#include "memlayout.h"
#include "virtio_console.h"

#ifndef INIT_SCALE
#define INIT_SCALE "1"
#endif

extern char kernel_end[];

#define TEST_SECTOR 8 /* the self-test writes one page at sectors 8..15 */

static uint8 page_a[PGSIZE] __attribute__((aligned(PGSIZE)));
static uint8 page_b[PGSIZE] __attribute__((aligned(PGSIZE)));

static uint32 fnv1a(const uint8 *p, uint64 n)
{
    uint32 h = 2166136261U;
    for (uint64 i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619U;
    return h;
}

static uint64 ram_end(uint64 dtb)
{
    uint64 base, size;
    if (fdt_memory(dtb, &base, &size) < 0 || base != RAM_BASE || size == 0) {
        base = RAM_BASE;
        size = RAM_DEFAULT;
    }
    uint64 end = base + size;
    return end > RAM_LIMIT ? RAM_LIMIT : end;
}

/* Reads sector 0, then writes a patterned page (8 sectors, as swap will)
 * and reads it back. */
static void disk_selftest(void)
{
    if (virtio_blk_probe() < 0) {
        console_printf("disk: none\n");
        return;
    }
    console_printf("disk: virtio-blk, %lu sectors\n", virtio_blk_capacity());
    if (virtio_blk_rw(0, page_a, 1, 0) < 0)
        console_panic("disk_selftest: read failed");
    console_printf("disk: sector 0 fnv1a=%x\n", fnv1a(page_a, 512));
    for (uint64 i = 0; i < PGSIZE; i++)
        page_a[i] = (uint8)(i * 13 + 7);
    memset(page_b, 0, PGSIZE);
    if (virtio_blk_rw(TEST_SECTOR, page_a, 8, 1) < 0 ||
        virtio_blk_rw(TEST_SECTOR, page_b, 8, 0) < 0)
        console_panic("disk_selftest: write/read failed");
    console_printf("disk: sectors %d-%d write/readback %s\n", TEST_SECTOR,
                   TEST_SECTOR + 7, memcmp(page_a, page_b, PGSIZE) == 0 ? "ok" : "MISMATCH");
}

static void list_programs(void)
{
    console_printf("programs:");
    for (const struct prog_entry *e = prog_table; e->name; e++)
        console_printf(" %s", e->name);
    console_printf("\n");
}

void main_boot(uint64 hartid, uint64 dtb)
{
    uint64 end = ram_end(dtb);
    kalloc_init((uint64)kernel_end, end);
    vm_init(end); /* the device registers are mapped from here on */
    virtio_console_probe();
    console_printf("vmmsim-guest: boot\n");
    console_printf("ram: %lu MiB\n", (end - RAM_BASE) >> 20);
    trap_init();
    disk_selftest();
    list_programs();
    char *argv[] = {"init", INIT_SCALE, NULL};
    proc_first("init", argv);
    proc_scheduler();
}
