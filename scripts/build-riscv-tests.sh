#!/bin/sh
# Build riscv-tests (rv64ui/um/ua p+v, rv64si/mi p) from the vendored tarball.
# Usage: ./build-tests.sh OUTDIR            (run from anywhere; needs root for apt if deps missing)
#   SUITES="rv64ui rv64um rv64ua rv64si rv64mi"   override the suites built
#   JOBS=N                                          parallel make jobs (default: nproc)
# Output: OUTDIR/rv64*-{p,v}-* ELF binaries + .dump disassemblies.
# Run them with ./run-tests.sh OUTDIR (QEMU -machine spike, HTIF tohost exit code).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-tests.sh OUTDIR}
SUITES=${SUITES:-"rv64ui rv64um rv64ua rv64si rv64mi"}
JOBS=${JOBS:-$(nproc)}
PREFIX=riscv64-unknown-elf-

need=""
command -v ${PREFIX}gcc >/dev/null 2>&1 || need="$need gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf"
[ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] || need="$need picolibc-riscv64-unknown-elf"
command -v zstd >/dev/null 2>&1 || need="$need zstd"
command -v make >/dev/null 2>&1 || need="$need make"
command -v qemu-system-riscv64 >/dev/null 2>&1 || need="$need qemu-system-misc"
if [ -n "$need" ]; then
    echo "installing:$need"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zstd -dc "$here/../third_party/riscv-tests-src.tar.zst" | tar -x -C "$work"
cd "$work/riscv-tests/isa"
# gcc 12: -march=rv64g already implies _zicsr_zifencei, so the upstream flags work.
# The v env (env/v/*.c) needs libc headers (string.h, stdint.h): picolibc.specs
# supplies the include path; -nostdlib in the Makefile keeps libc out of the link.
make -j"$JOBS" XLEN=64 RISCV_PREFIX=$PREFIX \
    "RISCV_GCC=${PREFIX}gcc --specs=picolibc.specs" $SUITES
for f in rv64*-p-* rv64*-v-*; do
    [ -f "$f" ] && cp "$f" "$out/"
done
echo "built $(ls "$out" | grep -vc '\.dump$') tests into $out"
