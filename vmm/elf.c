/* elf: ELF64 (RISC-V, little-endian) loader for guest-physical memory.
 *
 * The whole file is read into one buffer; every header, segment and symbol
 * access is bounds-checked against the buffer length before use (overflow
 * safe), so a truncated or corrupt file yields "FILE: offset N: what" and
 * never a wild read. Segments go to p_paddr; the `tohost` symbol (HTIF) is
 * looked up in the first SHT_SYMTAB if there is one.
 */
#include "vmm/elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"

#define EM_RISCV 243
#define PT_LOAD 1
#define SHT_SYMTAB 2
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define SHDR_SIZE 64
#define SYM_SIZE 24

struct img {
    const uint8_t *b;
    size_t len;
    const char *name;
    char *err;
    size_t errlen;
};

static uint64_t rd(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int fail(const struct img *m, int code, uint64_t off, const char *fmt, ...)
{
    if (m->err && m->errlen) {
        int k = snprintf(m->err, m->errlen, "%s: offset %llu: ", m->name, (unsigned long long)off);
        if (k >= 0 && (size_t)k < m->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(m->err + k, m->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

/* Non-zero if [off, off+n) lies inside the image. */
static int inside(const struct img *m, uint64_t off, uint64_t n)
{
    return off <= m->len && n <= m->len - off;
}

static int check_ehdr(const struct img *m)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    if (!inside(m, 0, EHDR_SIZE))
        return fail(m, -ENOEXEC, m->len, "truncated ELF header (need %d bytes, file has %zu)",
                    EHDR_SIZE, m->len);
    if (memcmp(m->b, magic, 4) != 0)
        return fail(m, -ENOEXEC, 0, "not an ELF file (bad magic)");
    if (m->b[4] != 2)
        return fail(m, -ENOEXEC, 4, "expected ELFCLASS64, got class %u", m->b[4]);
    if (m->b[5] != 1)
        return fail(m, -ENOEXEC, 5, "expected little-endian data, got encoding %u", m->b[5]);
    uint64_t mach = rd(m->b + 18, 2);
    if (mach != EM_RISCV)
        return fail(m, -ENOEXEC, 18, "expected machine RISC-V (243), got %llu",
                    (unsigned long long)mach);
    return 0;
}

static int load_segment(struct phys *p, const struct img *m, uint64_t ph, struct elf_info *info)
{
    const uint8_t *h = m->b + ph;
    uint64_t off = rd(h + 8, 8), pa = rd(h + 24, 8), fsz = rd(h + 32, 8), msz = rd(h + 40, 8);
    if (fsz > msz)
        return fail(m, -ENOEXEC, ph + 32, "p_filesz %llu exceeds p_memsz %llu",
                    (unsigned long long)fsz, (unsigned long long)msz);
    if (!inside(m, off, fsz))
        return fail(m, -ENOEXEC, ph + 8, "segment data [%llu, +%llu) beyond end of file (%zu bytes)",
                    (unsigned long long)off, (unsigned long long)fsz, m->len);
    if (msz && (pa + msz < pa || !phys_is_ram(p, pa) || !phys_is_ram(p, pa + msz - 1)))
        return fail(m, -EFAULT, ph + 24, "segment at 0x%llx size %llu outside guest RAM",
                    (unsigned long long)pa, (unsigned long long)msz);
    if (phys_write(p, pa, m->b + off, fsz) != 0)
        return fail(m, -EFAULT, ph + 24, "segment at 0x%llx hits an unmapped frame",
                    (unsigned long long)pa);
    static const uint8_t zero[256];
    for (uint64_t z = fsz; z < msz; z += sizeof(zero)) {
        uint64_t n = msz - z < sizeof(zero) ? msz - z : sizeof(zero);
        if (phys_write(p, pa + z, zero, n) != 0)
            return fail(m, -EFAULT, ph + 24, "segment bss hits an unmapped frame");
    }
    if (msz) {
        info->lo = pa < info->lo ? pa : info->lo;
        info->hi = pa + msz > info->hi ? pa + msz : info->hi;
    }
    return 0;
}

static int load_phdrs(struct phys *p, const struct img *m, struct elf_info *info)
{
    uint64_t phoff = rd(m->b + 32, 8), phent = rd(m->b + 54, 2), phnum = rd(m->b + 56, 2);
    if (phnum && phent != PHDR_SIZE)
        return fail(m, -ENOEXEC, 54, "expected e_phentsize %d, got %llu", PHDR_SIZE,
                    (unsigned long long)phent);
    if (!inside(m, phoff, phnum * PHDR_SIZE))
        return fail(m, -ENOEXEC, 32, "program headers [%llu, +%llu) beyond end of file (%zu bytes)",
                    (unsigned long long)phoff, (unsigned long long)(phnum * PHDR_SIZE), m->len);
    for (uint64_t i = 0; i < phnum; i++) {
        uint64_t ph = phoff + i * PHDR_SIZE;
        if (rd(m->b + ph, 4) != PT_LOAD)
            continue;
        int r = load_segment(p, m, ph, info);
        if (r)
            return r;
    }
    return 0;
}

/* Look for `tohost` in the first symbol table; absent or malformed: 0. */
static uint64_t find_tohost(const struct img *m)
{
    uint64_t shoff = rd(m->b + 40, 8), shent = rd(m->b + 58, 2), shnum = rd(m->b + 60, 2);
    if (shent != SHDR_SIZE || !inside(m, shoff, shnum * SHDR_SIZE))
        return 0;
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = m->b + shoff + i * SHDR_SIZE;
        uint64_t link = rd(sh + 40, 4);
        if (rd(sh + 4, 4) != SHT_SYMTAB || link >= shnum)
            continue;
        uint64_t so = rd(sh + 24, 8), ss = rd(sh + 32, 8);
        const uint8_t *st = m->b + shoff + link * SHDR_SIZE;
        uint64_t stro = rd(st + 24, 8), strs = rd(st + 32, 8);
        if (!inside(m, so, ss) || !inside(m, stro, strs))
            return 0;
        for (uint64_t k = 0; k + SYM_SIZE <= ss; k += SYM_SIZE) {
            uint64_t nm = rd(m->b + so + k, 4);
            if (nm + sizeof("tohost") <= strs &&
                memcmp(m->b + stro + nm, "tohost", sizeof("tohost")) == 0)
                return rd(m->b + so + k + 8, 8);
        }
        return 0;
    }
    return 0;
}

int elf_load_mem(struct phys *p, const uint8_t *buf, size_t len, const char *name,
                 struct elf_info *info, char *err, size_t errlen)
{
    struct img m = {buf, len, name, err, errlen};
    int r = check_ehdr(&m);
    if (r)
        return r;
    *info = (struct elf_info){.entry = rd(buf + 24, 8), .lo = ~0ULL, .hi = 0};
    if ((r = load_phdrs(p, &m, info)) != 0)
        return r;
    if (info->hi == 0)
        return fail(&m, -ENOEXEC, 56, "no loadable segment");
    info->tohost = find_tohost(&m);
    return 0;
}

int elf_load(struct phys *p, const char *path, struct elf_info *info, char *err, size_t errlen)
{
    struct img m = {NULL, 0, path, err, errlen};
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(&m, -ENOENT, 0, "cannot open: %s", strerror(errno));
    int r = -EIO;
    long sz = -1;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = mem_alloc((size_t)sz + 1);
        if (!buf)
            r = fail(&m, -ENOMEM, 0, "out of memory reading %ld bytes", sz);
        else if (fread(buf, 1, (size_t)sz, f) != (size_t)sz)
            r = fail(&m, -EIO, 0, "read error");
        else
            r = elf_load_mem(p, buf, (size_t)sz, path, info, err, errlen);
    } else {
        r = fail(&m, -EIO, 0, "cannot determine size");
    }
    if (buf)
        mem_free(buf, (size_t)sz + 1);
    fclose(f);
    return r;
}
