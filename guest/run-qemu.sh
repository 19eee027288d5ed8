#!/bin/sh
# run-qemu.sh: boots the guest kernel under QEMU virt with a scratch
# virtio-blk disk and a virtio console, and prints the console output.
#   guest/run-qemu.sh [kernel.elf] [disk.img]
# Without a disk image argument a 1 MiB image is made in a temporary
# directory, with sector 0 holding a fixed pattern (see tests/unit/
# test_guest_qemu.c, which builds the same image). The UART (OpenSBI's
# banner, and the kernel's output when it has no virtio console) and the
# virtio console share one mux'ed stdio chardev. VCON=0 leaves the virtio
# console out (the kernel then falls back to SBI putchar). TIMEOUT
# (seconds, default 120) bounds the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:-$top/build/guest/kernel.elf}
tmp=
if [ $# -ge 2 ]; then
    disk=$2
else
    tmp=$(mktemp -d)
    disk=$tmp/disk.img
    # sector 0: bytes i % 251 for i = 0..511, rest zero
    python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(512)) + bytes(1048576 - 512))' > "$disk"
fi
if [ "${VCON:-1}" = 0 ]; then
    console="-nographic"
else
    console="-display none -monitor none -chardev stdio,id=c0,mux=on,signal=off
             -serial chardev:c0 -device virtio-serial-device -device virtconsole,chardev=c0"
fi
status=0
# $console is split on purpose: it holds several options, none with spaces
# shellcheck disable=SC2086
timeout "${TIMEOUT:-120}" qemu-system-riscv64 -machine virt -bios default \
    $console -m 128M -smp 1 -kernel "$kernel" \
    -global virtio-mmio.force-legacy=false \
    -drive file="$disk",if=none,format=raw,id=d0 \
    -device virtio-blk-device,drive=d0 </dev/null || status=$?
[ -n "$tmp" ] && rm -rf "$tmp"
exit $status
