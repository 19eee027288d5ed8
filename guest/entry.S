/* entry.S: first instructions of the guest kernel, at 0x80200000.
 * The SBI firmware (or VMM) jumps here in S-mode with a0 = hartid and
 * a1 = device-tree address. Set up the boot stack, clear .bss, call main_boot. */
    .section .text.entry
    .globl _start
_start:
    la sp, boot_stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call main_boot
3:  wfi
    j 3b

    .section .bss.stack
    .balign 16
boot_stack:
    .space 8192
    .globl boot_stack_top
boot_stack_top:
