/* elf: load a static RISC-V ELF64 executable into guest-physical memory.
 *
 * Errors come back as a negative errno code plus a message of the form
 * "FILE: offset N: what" in the caller's buffer.
 */
#ifndef VMMSIM_ELF_H
#define VMMSIM_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/phys.h"

struct elf_info {
    uint64_t entry;
    uint64_t tohost;      /* address of the `tohost` symbol, 0 if absent */
    uint64_t lo, hi;      /* lowest and highest+1 physical address loaded */
};

/* Load every PT_LOAD segment of the file at path at its physical address
 * (p_paddr), zero-filling up to p_memsz. Returns 0, -ENOENT/-EIO (file),
 * -ENOEXEC (malformed or not RV64 little-endian) or -EFAULT (segment outside
 * mapped RAM); err (errlen bytes) gets the message. */
int elf_load(struct phys *p, const char *path, struct elf_info *info, char *err, size_t errlen);

/* The same for an image in memory; name is used in messages. */
int elf_load_mem(struct phys *p, const uint8_t *buf, size_t len, const char *name,
                 struct elf_info *info, char *err, size_t errlen);

#endif
