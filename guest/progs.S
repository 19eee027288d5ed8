/* progs.S: the program table, with every user program's ELF image embedded.
 * The images come from the user build directory, found through the
 * assembler include path (-Wa,-I$(O)/user). Each entry is
 * { name, start, end }; the table ends with a zero entry. */
#define PROG(name)                                                         \
    .section .rodata.progs; .balign 8; name##_image: .incbin #name;        \
    name##_image_end: .section .rodata.prognames; name##_name: .asciz #name
#define ENTRY(name) .dword name##_name, name##_image, name##_image_end

PROG(init)
PROG(hello)
PROG(sort)
PROG(kv)
PROG(matmul)
PROG(badread)
PROG(forktest)
PROG(systest)

    .section .rodata.progs
    .balign 8
    .globl prog_table
prog_table:
    ENTRY(init)
    ENTRY(hello)
    ENTRY(sort)
    ENTRY(kv)
    ENTRY(matmul)
    ENTRY(badread)
    ENTRY(forktest)
    ENTRY(systest)
    .dword 0, 0, 0
