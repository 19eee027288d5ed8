/* fdt.c: a minimal flattened-device-tree reader that finds the RAM range.
 *
 * Walks the structure block once, tracking depth; reads the root's
 * #address-cells/#size-cells and the first "reg" entry of the first top-level
 * node named "memory" or "memory@...". Everything in the blob is big-endian.
 * A blob without the FDT magic, or without a memory node, is reported as an
 * error so the caller can fall back to a fixed size. No state. */
#include "kernel.h"

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9
#define FDT_MAX_SIZE   (1U << 20)

static uint32 be32(const uint8 *p)
{
    return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

static uint64 cells(const uint8 *p, uint32 n)
{
    uint64 v = 0;
    for (uint32 i = 0; i < n; i++)
        v = (v << 32) | be32(p + 4 * i);
    return v;
}

static int is_memory_node(const char *name)
{
    const char *m = "memory";
    for (; *m; m++, name++)
        if (*m != *name)
            return 0;
    return *name == '\0' || *name == '@';
}

/* Sets *base and *size from the device tree at dtb; returns 0 or -1. */
int fdt_memory(uint64 dtb, uint64 *base, uint64 *size)
{
    const uint8 *h = (const uint8 *)dtb;
    if (!dtb || (dtb & 3) || be32(h) != FDT_MAGIC || be32(h + 4) > FDT_MAX_SIZE)
        return -1;
    const uint8 *p = h + be32(h + 8), *end = h + be32(h + 4);
    const char *strs = (const char *)h + be32(h + 12);
    uint32 acells = 2, scells = 2, depth = 0, in_mem = 0;
    while (p < end) {
        uint32 tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            depth++;
            in_mem = depth == 2 && is_memory_node(name);
            p += (strlen(name) + 4) & ~3UL;
        } else if (tok == FDT_END_NODE) {
            depth--;
            in_mem = 0;
        } else if (tok == FDT_PROP) {
            uint32 len = be32(p), nameoff = be32(p + 4);
            const uint8 *val = p + 8;
            const char *pname = strs + nameoff;
            if (depth == 1 && strcmp(pname, "#address-cells") == 0)
                acells = be32(val);
            else if (depth == 1 && strcmp(pname, "#size-cells") == 0)
                scells = be32(val);
            else if (in_mem && strcmp(pname, "reg") == 0 &&
                     len >= 4 * (acells + scells) && acells <= 2 && scells <= 2) {
                *base = cells(val, acells);
                *size = cells(val + 4 * acells, scells);
                return 0;
            }
            p += 8 + ((len + 3) & ~3U);
        } else if (tok == FDT_END) {
            break;
        } else if (tok != FDT_NOP) {
            return -1;
        }
    }
    return -1;
}
