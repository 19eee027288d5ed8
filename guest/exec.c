/* exec.c: replaces a process's image with a program from the embedded
 * program table (progs.S), passing an argv vector.
 *
 * Programs are static RV64 ELF executables linked at USER_TEXT. The new
 * address space is built completely (segments, a USTACK_PAGES stack under
 * USER_TOP, argv strings and pointers on the stack) before the old one is
 * released, so a failed exec leaves the caller untouched. The new image is
 * not the live address space yet, so it is written through the kernel's
 * identity mapping of the physical pages rather than through user
 * addresses. No state. */
#include "kernel.h"
#include "memlayout.h"

#define ELF_MAGIC  0x464C457FU /* "\x7fELF" little-endian */
#define EM_RISCV   243
#define PT_LOAD    1
#define PF_X       1
#define PF_W       2

struct elf_hdr {
    uint32 magic;
    uint8 ident[12];
    uint16 type, machine;
    uint32 version;
    uint64 entry, phoff, shoff;
    uint32 flags;
    uint16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32 type, flags;
    uint64 offset, vaddr, paddr, filesz, memsz, align;
};

static const struct prog_entry *find_prog(const char *name)
{
    for (const struct prog_entry *e = prog_table; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* Copies n bytes to user address va of the (inactive) address space root. */
static int copy_to_space(pagetable_t root, uint64 va, const void *src, uint64 n)
{
    const uint8 *s = src;
    while (n > 0) {
        pte_t *pte = vm_walk(root, va, 0);
        if (!pte || !(*pte & PTE_V))
            return -1;
        uint64 off = va & (PGSIZE - 1), chunk = PGSIZE - off;
        if (chunk > n)
            chunk = n;
        memcpy((uint8 *)PTE2PA(*pte) + off, s, chunk);
        va += chunk, s += chunk, n -= chunk;
    }
    return 0;
}

/* Maps and fills the PT_LOAD segments; returns the image end or 0. */
static uint64 load_segments(pagetable_t root, const uint8 *img, uint64 size,
                            const struct elf_hdr *eh)
{
    uint64 end = 0;
    for (int i = 0; i < eh->phnum; i++) {
        struct elf_phdr ph;
        uint64 off = eh->phoff + (uint64)i * sizeof ph;
        if (off + sizeof ph > size)
            return 0;
        memcpy(&ph, img + off, sizeof ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        uint64 vend = ph.vaddr + ph.memsz;
        if (ph.vaddr < USER_TEXT || vend < ph.vaddr || vend > UHEAP_LIMIT ||
            ph.filesz > ph.memsz || ph.offset + ph.filesz > size)
            return 0;
        uint64 perm = PTE_R | (ph.flags & PF_W ? PTE_W : 0) |
                      (ph.flags & PF_X ? PTE_X : 0);
        if (vm_user_alloc(root, ph.vaddr, vend, perm) < 0 ||
            copy_to_space(root, ph.vaddr, img + ph.offset, ph.filesz) < 0)
            return 0;
        if (vend > end)
            end = vend;
    }
    return end;
}

/* Pushes argv onto the new stack; returns the user sp, or 0 on failure.
 * *uargv receives the user address of the argv array. */
static uint64 push_args(pagetable_t root, char *const argv[], int argc,
                        uint64 *uargv)
{
    uint64 ptrs[MAXARG + 1];
    uint64 sp = USER_TOP;
    for (int i = 0; i < argc; i++) {
        uint64 len = strlen(argv[i]) + 1;
        sp -= len;
        if (copy_to_space(root, sp, argv[i], len) < 0)
            return 0;
        ptrs[i] = sp;
    }
    ptrs[argc] = 0;
    sp = (sp - (argc + 1) * sizeof(uint64)) & ~15UL;
    if (copy_to_space(root, sp, ptrs, (argc + 1) * sizeof(uint64)) < 0)
        return 0;
    *uargv = sp;
    return sp;
}

/* Replaces p's image with program name. Returns argc, or -1 (p unchanged)
 * if the program is unknown, malformed, or memory runs out. */
int exec_program(struct proc *p, const char *name, char *const argv[])
{
    const struct prog_entry *e = find_prog(name);
    struct elf_hdr eh;
    int argc = 0;
    while (argv[argc])
        if (++argc > MAXARG)
            return -1;
    uint64 size = e ? (uint64)(e->end - e->start) : 0;
    if (!e || size < sizeof eh)
        return -1;
    memcpy(&eh, e->start, sizeof eh);
    if (eh.magic != ELF_MAGIC || eh.machine != EM_RISCV)
        return -1;
    pagetable_t root = vm_user_create();
    if (!root)
        return -1;
    uint64 uargv = 0, sp = 0, end = load_segments(root, e->start, size, &eh);
    if (end && vm_user_alloc(root, USTACK_BOTTOM, USER_TOP, PTE_R | PTE_W) == 0)
        sp = push_args(root, argv, argc, &uargv);
    if (!sp) {
        vm_user_free(root);
        return -1;
    }
    pagetable_t old = p->root;
    p->root = root;
    p->brk = PGROUNDUP(end);
    string_copy(p->name, e->name, sizeof p->name);
    memset(p->tf.regs, 0, sizeof p->tf.regs);
    p->tf.regs[2] = sp;
    p->tf.regs[11] = uargv;
    p->tf.epc = eh.entry;
    if (p == proc_current())
        vm_switch(root);
    vm_user_free(old);
    fence_i();
    return argc;
}
