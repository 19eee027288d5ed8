#!/bin/sh
# Install the Debian packages vmmsim needs, but only those that are missing.
# Usage: scripts/deps.sh [sim|all|traces]   (default: all)
#   sim:    what the simulator needs (C toolchain, libyaml, GSL, Check, gnuplot, zstd, xxhash)
#   all:    also the RISC-V cross compiler, picolibc headers and QEMU for the VMM core
#   traces: the simulator's packages plus Valgrind (`make traces` records real programs)
# Safe to run repeatedly; does nothing (and needs no root) when all is present.
set -eu
what=${1:-all}

pkgs="build-essential pkg-config libyaml-dev libgsl-dev check gnuplot-nox zstd libzstd-dev libxxhash-dev"
if [ "$what" = all ]; then
    pkgs="$pkgs gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc opensbi"
fi
if [ "$what" = traces ]; then
    pkgs="$pkgs valgrind"
fi

need=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) need="$need $p" ;;
    esac
done
[ -z "$need" ] && exit 0

echo "deps.sh: installing missing Debian packages:$need"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo
    else echo "deps.sh: need root (or sudo) to install:$need" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
echo "deps.sh: done"
