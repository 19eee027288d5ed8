/* memlayout.h: the guest's physical and virtual address map.
 *
 * Physical: RAM from 0x80000000 (OpenSBI owns the first 2 MiB, the kernel is
 * loaded at 0x80200000), virtio-mmio slots at 0x10001000 + 0x1000*i.
 * Virtual, identical in every address space:
 *   [0, USER_TOP)                user memory (root entries 0 and 1), PTE_U
 *   [KERNEL_BASE, ram_end)       kernel text/data and free RAM, identity-mapped
 *   [KMMIO_BASE, +MMIO_SPAN)     alias of the virtio-mmio window, kernel only
 * User pages never share a root entry with kernel pages, so a process's root
 * table is its own user entries plus copies of the kernel's entries. */
#ifndef GUEST_MEMLAYOUT_H
#define GUEST_MEMLAYOUT_H

#define RAM_BASE      0x80000000UL
#define KERNEL_BASE   0x80200000UL
#define RAM_LIMIT     0xC0000000UL /* RAM above this (1 GiB) is ignored */
#define RAM_DEFAULT   (128UL << 20) /* when the device tree gives none */

#define MMIO_PA_BASE  0x10000000UL
#define MMIO_SPAN     0x9000UL
#define KMMIO_BASE    0xC0000000UL
#define MMIO_KVA(pa)  (KMMIO_BASE + ((pa) - MMIO_PA_BASE))

#define VIRTIO_PA(i)  (0x10001000UL + 0x1000UL * (i))
#define VIRTIO_SLOTS  8

#define USER_TEXT     0x10000UL     /* user programs are linked here */
#define USER_TOP      0x80000000UL  /* first address above user memory */
#define USTACK_PAGES  8
#define USTACK_BOTTOM (USER_TOP - USTACK_PAGES * 4096UL)
#define UHEAP_LIMIT   (USTACK_BOTTOM - 4096UL) /* one unmapped guard page */
#define USER_ROOT_ENTRIES 2         /* root entries 0..1 belong to the user */

#endif
