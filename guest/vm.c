/* vm.c: Sv39 page tables for the kernel and for user processes.
 *
 * The kernel root maps its own text read/execute, the rest of RAM read/write
 * (identity, 4 KiB pages, no PTE_U) and the virtio-mmio window at KMMIO_BASE.
 * Every process root copies the kernel's root entries USER_ROOT_ENTRIES..511,
 * so the kernel is mapped everywhere; root entries 0..USER_ROOT_ENTRIES-1 are
 * private to the process and all their leaves carry PTE_U. Invariant: each
 * user leaf page and each user page-table page is owned by exactly one
 * process; kernel tables are never freed. Leaves are created with A and D
 * set so no hardware (or VMM) A/D update is ever needed.
 *
 * Every PTE store goes through pte_set(); with PV defined it becomes a
 * paravirtual call (pv.c), so a VMM need not trap page-table writes. */
#include "kernel.h"
#include "memlayout.h"

extern char etext[];

pagetable_t vm_kernel_root;

static inline void pte_set(pte_t *pte, pte_t val)
{
#ifdef PV
    pv_set_pte(pte, val);
#else
    *pte = val;
#endif
}

/* Returns the level-0 PTE for va, creating tables when alloc; NULL if absent
 * or out of memory. */
pte_t *vm_walk(pagetable_t root, uint64 va, int alloc)
{
    pagetable_t t = root;
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &t[PX(level, va)];
        if (*pte & PTE_V) {
            t = (pagetable_t)PTE2PA(*pte);
            continue;
        }
        if (!alloc || !(t = kalloc_page()))
            return NULL;
        pte_set(pte, PA2PTE(t) | PTE_V);
    }
    return &t[PX(0, va)];
}

/* Maps one page; returns 0, or -1 if out of memory or already mapped. */
int vm_map(pagetable_t root, uint64 va, uint64 pa, uint64 perm)
{
    pte_t *pte = vm_walk(root, va, 1);
    if (!pte)
        return -1;
    if (*pte & PTE_V)
        console_panic("vm_map: remap");
    pte_set(pte, PA2PTE(pa) | perm | PTE_V | PTE_A | PTE_D);
    return 0;
}

static void kmap_range(uint64 va, uint64 pa, uint64 size, uint64 perm)
{
    for (uint64 off = 0; off < size; off += PGSIZE)
        if (vm_map(vm_kernel_root, va + off, pa + off, perm) < 0)
            console_panic("kmap_range: out of memory");
}

/* Builds the kernel page table and turns paging on. */
void vm_init(uint64 ram_end)
{
    vm_kernel_root = kalloc_page();
    if (!vm_kernel_root)
        console_panic("vm_init: out of memory");
    uint64 text_end = PGROUNDUP((uint64)etext);
    kmap_range(KERNEL_BASE, KERNEL_BASE, text_end - KERNEL_BASE, PTE_R | PTE_X);
    kmap_range(text_end, text_end, ram_end - text_end, PTE_R | PTE_W);
    kmap_range(KMMIO_BASE, MMIO_PA_BASE, MMIO_SPAN, PTE_R | PTE_W);
    vm_switch(vm_kernel_root);
}

void vm_switch(pagetable_t root)
{
    w_satp(MAKE_SATP(root));
    sfence_vma();
}

/* A new process root with the kernel mapped and no user pages, or NULL. */
pagetable_t vm_user_create(void)
{
    pagetable_t root = kalloc_page();
    if (!root)
        return NULL;
    for (int i = USER_ROOT_ENTRIES; i < 512; i++)
        pte_set(&root[i], vm_kernel_root[i]);
    return root;
}

/* Maps fresh zeroed pages over [from, to) where nothing is mapped yet.
 * Returns 0 or -1 (out of memory; pages mapped so far stay mapped). */
int vm_user_alloc(pagetable_t root, uint64 from, uint64 to, uint64 perm)
{
    for (uint64 va = PGROUNDDOWN(from); va < to; va += PGSIZE) {
        pte_t *pte = vm_walk(root, va, 1);
        if (!pte)
            return -1;
        if (*pte & PTE_V)
            continue;
        void *pa = kalloc_page();
        if (!pa)
            return -1;
        pte_set(pte, PA2PTE(pa) | perm | PTE_U | PTE_V | PTE_A | PTE_D);
    }
    return 0;
}

/* Unmaps and frees the user pages of [from, to) (page-aligned). */
void vm_user_dealloc(pagetable_t root, uint64 from, uint64 to)
{
    for (uint64 va = from; va < to; va += PGSIZE) {
        pte_t *pte = vm_walk(root, va, 0);
        if (!pte || !(*pte & PTE_V))
            continue;
        kalloc_free((void *)PTE2PA(*pte));
        pte_set(pte, 0);
    }
    sfence_vma();
}

/* Frees the table t at level and, below it, every table and leaf page. */
static void free_tree(pagetable_t t, int level, int nentries)
{
    for (int i = 0; i < nentries; i++) {
        pte_t pte = t[i];
        if (!(pte & PTE_V))
            continue;
        if (level > 0 && !(pte & PTE_LEAF))
            free_tree((pagetable_t)PTE2PA(pte), level - 1, 512);
        else
            kalloc_free((void *)PTE2PA(pte));
    }
    kalloc_free(t);
}

/* Frees a process root and all its user memory (kernel entries untouched). */
void vm_user_free(pagetable_t root)
{
    free_tree(root, 2, USER_ROOT_ENTRIES);
}

/* Copies the user pages of table t (at level, covering va) into dst. */
static int copy_tree(pagetable_t dst, pagetable_t t, int level, uint64 va)
{
    int n = level == 2 ? USER_ROOT_ENTRIES : 512;
    for (int i = 0; i < n; i++) {
        pte_t pte = t[i];
        uint64 a = va + ((uint64)i << PXSHIFT(level));
        if (!(pte & PTE_V))
            continue;
        if (level > 0) {
            if (copy_tree(dst, (pagetable_t)PTE2PA(pte), level - 1, a) < 0)
                return -1;
            continue;
        }
        void *page = kalloc_page();
        if (!page)
            return -1;
        memcpy(page, (void *)PTE2PA(pte), PGSIZE);
        if (vm_map(dst, a, (uint64)page, PTE_FLAGS(pte) & (PTE_LEAF | PTE_U)) < 0) {
            kalloc_free(page);
            return -1;
        }
    }
    return 0;
}

/* Eagerly copies all user memory of src into the empty process root dst.
 * Returns 0 or -1 (out of memory; the caller frees dst). */
int vm_user_copy(pagetable_t dst, pagetable_t src)
{
    return copy_tree(dst, src, 2, 0);
}
