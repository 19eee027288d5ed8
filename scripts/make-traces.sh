#!/bin/sh
# make-traces: record real page-reference traces by running small Debian
# programs under Valgrind lackey and converting them to the native format.
#
# Usage: scripts/make-traces.sh [-o DIR] [--lackey-sample] [--keep-tmp]
#   -o DIR            where the traces go (default traces/samples)
#   --lackey-sample   also recreate DIR/true.lackey, the lackey text sample the
#                     unit tests count exactly (their expected numbers must then
#                     be updated: a different glibc/valgrind gives other lines)
#   --keep-tmp        keep the temporary directory (inputs, valgrind logs)
# Environment: VMMSIM (default bin/vmmsim) does the conversion with
# `vmmsim trace convert`; when that binary has no such command, a small
# converter is compiled from traces/*.c into the temporary directory instead.
# CC (default cc) for that fallback.
#
# Traces made (see traces/README.md), all data references only (no
# instruction fetches), consecutive repeats collapsed, pid 1; the inputs are
# generated here by a Park-Miller generator in awk:
#   sort.vtr   GNU sort (one thread, 32 MiB buffer, C locale) of a 9.8 MB text
#              of 1600 random lines (1000..11000 letters): sequential scans
#              and copies of a big buffer.
#   xz.vtr     xz -3 (one thread) of a 7.8 KB text of words from a 300-word
#              vocabulary: the match finder's 8 MiB hash table is touched at
#              random, sparsely, around a small sliding window.
#   shuf.vtr   GNU shuf of a 6.6 MB text of 6000 random lines (200..2000
#              letters) with a fixed 64 KiB random source: the lines are read
#              in a random order, with no locality.
# The runs are deterministic: fixed input, `env -i` with a fixed PATH and
# locale, relative file names in a run directory /tmp/make-traces.XXXXXX
# (fixed length), a fixed pid in the output.
set -eu

out=traces/samples
lackey_sample=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        -o) [ $# -ge 2 ] || { echo "make-traces: -o: expected a directory, got nothing" >&2; exit 2; }
            out=$2; shift 2 ;;
        --lackey-sample) lackey_sample=1; shift ;;
        --keep-tmp) keep=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "make-traces: unknown argument '$1' (expected -o DIR, --lackey-sample, --keep-tmp)" >&2; exit 2 ;;
    esac
done

command -v valgrind >/dev/null 2>&1 || { echo "make-traces: valgrind not found (scripts/deps.sh traces installs it)" >&2; exit 2; }
[ -f traces/tfmt.h ] || { echo "make-traces: run from the top of the vmmsim tree" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
top=$(pwd)
# Always /tmp and a fixed-length name: the programs run there, and the length
# of the working directory's path shifts a few references (seen with sort).
tmp=$(mktemp -d /tmp/make-traces.XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "make-traces: kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the converter: `vmmsim trace convert`, or a fallback built from traces/ ----
VMMSIM=${VMMSIM:-bin/vmmsim}
if [ -x "$VMMSIM" ] && "$VMMSIM" trace convert --help >/dev/null 2>&1; then
    convert() { "$top/$VMMSIM" trace convert "$@"; }
    case "$VMMSIM" in /*) convert() { "$VMMSIM" trace convert "$@"; } ;; esac
else
    echo "make-traces: $VMMSIM has no 'trace convert'; building a fallback converter" >&2
    cat > "$tmp/conv.c" <<'EOF'
/* fallback for `vmmsim trace convert --from lackey --no-ifetch --collapse --pid N IN OUT` */
#include <stdio.h>
#include <stdlib.h>
#include "traces/tfmt.h"
int main(int argc, char **argv)
{
    struct tfmt_opts o;
    struct trace_err err;
    uint64_t n = 0;
    if (argc != 4)
        return 2;
    tfmt_opts_default(&o);
    o.ifetch = 0;
    o.collapse = 1;
    o.pid = (uint32_t)strtoul(argv[1], NULL, 10);
    if (tfmt_convert(tfmt_find("lackey"), argv[2], tfmt_find("vmmsim"), argv[3], &o, &n, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    printf("%s: %llu records\n", argv[3], (unsigned long long)n);
    return 0;
}
EOF
    # shellcheck disable=SC2046 # pkg-config output is meant to be split
    ${CC:-cc} -std=c11 -O2 -I"$top" -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -o "$tmp/conv" "$tmp/conv.c" \
        "$top"/traces/*.c "$top/sim/mem.c" $(pkg-config --cflags --libs libzstd libxxhash)
    convert() {
        # only the lackey form this script uses: --from lackey --no-ifetch --collapse --pid N IN OUT
        pid=1
        while [ $# -gt 2 ]; do
            case "$1" in --pid) pid=$2; shift 2 ;; *) shift ;; esac
        done
        "$tmp/conv" "$pid" "$1" "$2"
    }
fi

# ---- inputs ----
# Park-Miller minimal standard generator: every product stays below 2^53, so
# mawk and gawk print the same bytes. rnd.awk goes before each generator.
cat > "$tmp/rnd.awk" <<'EOF'
function rnd() { x = (x * 16807) % 2147483647; return x }
function word(len,    s, j) {
    s = ""
    for (j = 0; j < len; j++) s = s substr("abcdefghijklmnopqrstuvwxyz", rnd() % 26 + 1, 1)
    return s
}
BEGIN { x = seed + 0; if (x == 0) x = 1 }
EOF

# Lines of random letters, minlen..maxlen long.
cat > "$tmp/gen.awk" <<'EOF'
BEGIN {
    for (i = 0; i < lines; i++)
        print word(minlen + rnd() % (maxlen - minlen + 1))
}
EOF

# Text of words: a vocabulary of random words (2..10 letters), then lines of
# 4..15 words; the first word is uniform, the others the smaller of two
# uniform picks, so low-numbered words are more frequent (as in prose).
cat > "$tmp/words.awk" <<'EOF'
BEGIN {
    for (v = 0; v < vocab; v++)
        w[v] = word(2 + rnd() % 9)
    for (i = 0; i < lines; i++) {
        n = 4 + rnd() % 12
        s = w[rnd() % vocab]
        for (j = 1; j < n; j++) {
            r = rnd() % vocab; t = rnd() % vocab
            if (t < r) r = t
            s = s " " w[r]
        }
        print s
    }
}
EOF

# run_lackey NAME CMD...: run CMD in $tmp under lackey, lackey text to stdout,
# valgrind's exit status to $tmp/NAME.rc.
run_lackey() {
    name=$1; shift
    ( cd "$tmp" && env -i PATH=/usr/bin:/bin LC_ALL=C \
        valgrind --tool=lackey --trace-mem=yes --log-fd=3 "$@" 3>&1 >/dev/null 2>"$tmp/$name.err";
      echo $? > "$tmp/$name.rc" )
}

check_rc() {
    if [ "$(cat "$tmp/$1.rc" 2>/dev/null)" != 0 ]; then
        echo "make-traces: $1 failed under valgrind:" >&2
        cat "$tmp/$1.err" >&2
        exit 1
    fi
}

# record NAME CMD...: CMD under lackey, converted straight into $out/NAME.vtr
# (the lackey text, tens of MB, never touches the disk).
record() {
    echo "make-traces: $1 under valgrind lackey -> $out/$1.vtr" >&2
    run_lackey "$@" | convert --from lackey --no-ifetch --collapse --pid 1 - "$out/$1.vtr"
    check_rc "$1"
}

echo "make-traces: generating the inputs" >&2
awk -v seed=42 -v lines=1600 -v minlen=1000 -v maxlen=11000 -f "$tmp/rnd.awk" -f "$tmp/gen.awk" > "$tmp/input.txt"
awk -v seed=3 -v vocab=300 -v lines=120 -f "$tmp/rnd.awk" -f "$tmp/words.awk" > "$tmp/words.txt"
awk -v seed=5 -v lines=6000 -v minlen=200 -v maxlen=2000 -f "$tmp/rnd.awk" -f "$tmp/gen.awk" > "$tmp/lines.txt"
# shuf's random source: 65536 bytes, the generator's values mod 256 (a C
# locale makes %c print one byte, NUL included, in mawk and gawk alike).
LC_ALL=C awk 'BEGIN { x = 99; for (i = 0; i < 65536; i++) { x = (x * 16807) % 2147483647; printf "%c", x % 256 } }' > "$tmp/random.bin"
[ "$(wc -c < "$tmp/random.bin")" -eq 65536 ] || { echo "make-traces: awk wrote a short random source" >&2; exit 1; }

record sort sort --parallel=1 -S 32M -o /dev/null input.txt
record xz xz -3 -T1 -c words.txt
record shuf shuf --random-source=random.bin -o /dev/null lines.txt

if [ "$lackey_sample" = 1 ]; then
    echo "make-traces: lackey text sample -> $out/true.lackey" >&2
    run_lackey true /bin/true > "$tmp/true.lk"
    check_rc true
    n=$(wc -l < "$tmp/true.lk")
    sed -n "1,5p; 60001,64000p; $((n - 17)),${n}p" "$tmp/true.lk" > "$out/true.lackey"
fi

if [ -x "$VMMSIM" ] && "$VMMSIM" trace info --help >/dev/null 2>&1; then
    for t in sort xz shuf; do
        "$VMMSIM" trace info "$out/$t.vtr"
    done
fi
