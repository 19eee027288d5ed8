#!/bin/sh
# vmm_bench.sh: speed figures of the VMM core on the guest bench images.
#
#   tests/bench/vmm_bench.sh [OUT.json]   (default results/bench-vmm.json;
#                                         relative paths: to the repo root)
#
# For each bench image build/guest/bench-NAME.elf (and -pv.elf for PV mode;
# `make -C guest bench` builds them, this script builds nothing) it runs
# `bin/vmmsim vm run IMAGE --mode interpret|trap|pv --disk SCRATCH` REPS
# times (default 3, rounds interleaved) and keeps the run with the smallest
# run time as reported by the CLI's own statistics (the "N instructions,
# ..., S s, M MIPS" line); exits per million instructions by cause come
# from that run's "exits:" line. Each round also boots the plain image under
# qemu-system-riscv64 (virt, OpenSBI, TCG) with a timeout; the best wall
# time is reported, and QEMU missing, failing or timing out gives "n/a".
# Prints tables and the targets, and writes the JSON atomically (temp file
# + mv).
#
# Environment: VMMSIM (default bin/vmmsim), QEMU (qemu-system-riscv64),
# REPS (3), QEMU_TIMEOUT (s, 60),
# BENCH_PROGS (sort kv matmul forktest).
# Exit status: 0 if every vmmsim run shut the guest down cleanly (missed
# targets do not fail the script), 1 otherwise.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=${1:-results/bench-vmm.json}
vmmsim=${VMMSIM:-bin/vmmsim}
reps=${REPS:-3}
qemu=${QEMU:-qemu-system-riscv64}
qtimeout=${QEMU_TIMEOUT:-60}
progs=${BENCH_PROGS:-sort kv matmul forktest}
modes="interpret trap pv"
# the targets (see the report at the end)
mips_target=200      # MIPS, interpretation, compute-bound programs
mips_progs="sort matmul"
trap_ratio_target=1.5 # trap time / interpret time on kv
fork_prog=forktest   # pv total exits < trap total exits

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmm_bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT PIPE TERM
status=0

now() { date +%s.%N; }
# fsub A B: A - B, 6 decimals
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }

# A scratch disk like guest/run-qemu.sh's (zero-filled: only the printed
# hash of sector 0 depends on its contents), used by vmmsim and QEMU alike.
disk=$tmp/disk.img
dd if=/dev/zero of="$disk" bs=1024 count=1024 2>/dev/null || exit 1

# run_vm IMAGE MODE: one run; on success sets r_insns r_secs r_mips r_exits
# r_wall (external wall time, s) and returns 0.
run_vm() {
    cp "$disk" "$tmp/d.img" || return 1
    t0=$(now)
    "$vmmsim" vm run "$1" --mode "$2" --disk "$tmp/d.img" >"$tmp/console" 2>"$tmp/stats"
    rc=$?
    t1=$(now)
    r_wall=$(fsub "$t1" "$t0")
    line=$(sed -n 's/^vm0: off (guest shut down); \([0-9]*\) instructions, virtual time [0-9]*, \([0-9.]*\) s, \([0-9.]*\) MIPS$/\1 \2 \3/p' "$tmp/stats")
    if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
        echo "vmm_bench: $1 --mode $2 failed (exit $rc):" >&2
        tail -n 5 "$tmp/console" "$tmp/stats" >&2
        return 1
    fi
    read -r r_insns r_secs r_mips <<END
$line
END
    r_exits=$(sed -n 's/^vm0: exits: \(.*\) (hart exits [0-9]*)$/\1/p' "$tmp/stats")
    return 0
}

# qemu_once IMAGE NAME: one QEMU boot; on a clean run (NAME exited with
# status 0 and the machine powered off in time) sets q_wall and returns 0.
qemu_once() {
    cp "$disk" "$tmp/q.img" || return 1
    t0=$(now)
    timeout "$qtimeout" "$qemu" -machine virt -bios default \
        -nographic -m 128M -smp 1 -kernel "$1" \
        -global virtio-mmio.force-legacy=false \
        -drive file="$tmp/q.img",if=none,format=raw,id=d0 \
        -device virtio-blk-device,drive=d0 </dev/null >"$tmp/qconsole" 2>&1
    rc=$?
    t1=$(now)
    if [ "$rc" -ne 0 ] || ! tr -d '\r' <"$tmp/qconsole" | grep -q "^init: $2 exited with status 0$"; then
        echo "vmm_bench: qemu on $1: exit $rc (timeout ${qtimeout}s), no clean run" >&2
        return 1
    fi
    q_wall=$(fsub "$t1" "$t0")
}

# ---- measure. Repetitions are interleaved (every image and mode once per
# round) so that a burst of load on the host hurts one round, not all runs
# of one configuration. Every run is a line of $tmp/rec, the report keeps
# the best:  vm PROG MODE 1 INSNS SECS MIPS WALL CAUSE=N... | vm PROG MODE 0
# (failed) | qemu PROG WALL | qemu PROG n/a
: >"$tmp/rec"
load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
have_qemu=0
command -v "$qemu" >/dev/null 2>&1 && have_qemu=1
round=0
while [ "$round" -lt "$reps" ]; do
    round=$((round + 1))
    for p in $progs; do
        for m in $modes; do
            img=build/guest/bench-$p.elf
            [ "$m" = pv ] && img=build/guest/bench-$p-pv.elf
            echo "vmm_bench: round $round/$reps: $p $m" >&2
            if [ ! -f "$img" ]; then
                echo "vmm_bench: $img missing (make -C guest bench)" >&2
                status=1
                echo "vm $p $m 0" >>"$tmp/rec"
            elif run_vm "$img" "$m"; then
                echo "vm $p $m 1 $r_insns $r_secs $r_mips $r_wall $r_exits" >>"$tmp/rec"
            else
                status=1
                echo "vm $p $m 0" >>"$tmp/rec"
            fi
        done
        q_wall=n/a
        if [ "$have_qemu" -eq 1 ]; then
            echo "vmm_bench: round $round/$reps: $p qemu" >&2
            qemu_once "build/guest/bench-$p.elf" "$p" || q_wall=n/a
        fi
        echo "qemu $p $q_wall" >>"$tmp/rec"
    done
done

# ---- report: table on stdout, JSON to $out
report_awk=$(cat <<'EOF'
# Input records (one per line): "vm PROG MODE OK [INSNS SECS MIPS WALL CAUSE=N...]"
# and "qemu PROG WALL|n/a". Prints the tables and targets; writes JSON to `json`.
function num(x) { return x == "" || x == "n/a" ? "null" : x + 0 }
function fmt(f, x) { return x == "" || x == "n/a" ? "n/a" : sprintf(f, x) }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
# the target that applies to a row of the main table, if any
function row_target(p, m) {
    if (m == "interpret" && index(" " mips_progs " ", " " p " ")) return "MIPS >= " mips_target
    if (m == "trap" && p == "kv") return "x interp <= " ratio_target
    if (m == "pv" && p == fork_prog) return "exits < trap's"
    return ""
}
function cw(c) { return length(c) < 6 ? 6 : length(c) }
function ratio(p, m) {
    if (!ok[p, "interpret"] || !ok[p, m] || secs[p, "interpret"] <= 0) return ""
    return secs[p, m] / secs[p, "interpret"]
}
function target(name, desc, value, shown, met) {
    nt++; tname[nt] = name; tdesc[nt] = desc; tval[nt] = value
    tmet[nt] = value == "" ? "null" : (met ? "true" : "false")
    printf "  %-58s %-24s %s\n", desc, shown, value == "" ? "n/a" : (met ? "met" : "NOT met")
}
$1 == "vm" {
    p = $2; m = $3
    if (!(p in seen)) { seen[p] = 1; prog[++np] = p }
    runs[p, m]++
    if ($4 != 1) { fails[p, m]++; next }
    if (ok[p, m] && $6 + 0 >= secs[p, m] + 0) next  # keep the fastest run
    ok[p, m] = 1
    insns[p, m] = $5; secs[p, m] = $6; mips[p, m] = $7; wall[p, m] = $8
    for (c in seenc) if ((p, m, c) in has) { delete has[p, m, c]; delete ex[p, m, c] }
    for (i = 9; i <= NF; i++) {
        split($i, kv, "=")
        c = kv[1]
        if (c == "total") { total[p, m] = kv[2]; continue }
        if (!(c in seenc)) { seenc[c] = 1; cause[++nc] = c }
        ex[p, m, c] = kv[2]; has[p, m, c] = 1
    }
    next
}
$1 == "qemu" && $3 != "n/a" { if (!($2 in qwall) || $3 + 0 < qwall[$2] + 0) qwall[$2] = $3 }
END {
    nm = split("interpret trap pv", mode, " ")
    printf "\nVMM core: best of %.0f runs (run time and MIPS from the CLI's statistics; wall = whole process)\n", reps
    printf "host: %s CPUs, load average %s before, %s after\n", ncpu, load0, load1
    printf "%-9s %-9s %9s %8s %7s %9s %8s %12s  %s\n", "program", "mode", "Minsns", "run s", "MIPS", "x interp", "wall s", "exits/Minsn", "target"
    for (a = 1; a <= np; a++) for (b = 1; b <= nm; b++) {
        p = prog[a]; m = mode[b]
        if (!ok[p, m]) { printf "%-9s %-9s %9s\n", p, m, "FAILED"; continue }
        printf "%-9s %-9s %9.1f %8.3f %7.1f %9s %8.3f %12.1f  %s%s\n", p, m, insns[p, m] / 1e6, secs[p, m],
            mips[p, m], fmt("%.2f", ratio(p, m)), wall[p, m], total[p, m] * 1e6 / insns[p, m], row_target(p, m),
            fails[p, m] ? sprintf(" [%d of %d runs FAILED]", fails[p, m], runs[p, m]) : ""
    }
    printf "\nExits per million instructions, by cause\n%-9s %-9s", "program", "mode"
    for (k = 1; k <= nc; k++) printf (" %" cw(cause[k]) "s"), cause[k]
    printf " %8s\n", "total"
    for (a = 1; a <= np; a++) for (b = 1; b <= nm; b++) {
        p = prog[a]; m = mode[b]
        if (!ok[p, m]) continue
        printf "%-9s %-9s", p, m
        for (k = 1; k <= nc; k++)
            printf (" %" cw(cause[k]) ".1f"), ex[p, m, cause[k]] * 1e6 / insns[p, m]
        printf " %8.1f\n", total[p, m] * 1e6 / insns[p, m]
    }
    printf "\nQEMU comparison (%s, -machine virt -bios default, TCG; wall time incl. start-up and OpenSBI, best of %.0f)\n", qemu_ver == "" ? "qemu-system-riscv64 not found" : qemu_ver, reps
    printf "%-9s %16s %16s %12s %12s\n", "program", "qemu wall s", "interpret wall s", "trap wall s", "qemu/interp"
    for (a = 1; a <= np; a++) {
        p = prog[a]; q = p in qwall ? qwall[p] : "n/a"
        r = q != "n/a" && ok[p, "interpret"] ? q / wall[p, "interpret"] : ""
        printf "%-9s %16s %16s %12s %12s\n", p, fmt("%.3f", q), ok[p, "interpret"] ? fmt("%.3f", wall[p, "interpret"]) : "n/a",
            ok[p, "trap"] ? fmt("%.3f", wall[p, "trap"]) : "n/a", fmt("%.2f", r)
    }
    printf "\nTargets\n"
    n = split(mips_progs, mp, " ")
    for (i = 1; i <= n; i++) {
        p = mp[i]; v = ok[p, "interpret"] ? mips[p, "interpret"] : ""
        target("interpret_mips_" p, "interpretation MIPS >= " mips_target " on " p " (compute-bound)",
            v, fmt("%.1f MIPS", v), v >= mips_target)
    }
    v = ratio("kv", "trap")
    target("kv_trap_time_ratio", "trap time <= " ratio_target "x interpretation on kv", v, fmt("%.2fx", v), v <= ratio_target)
    p = fork_prog; v = ok[p, "pv"] && ok[p, "trap"] && total[p, "trap"] > 0 ? total[p, "pv"] / total[p, "trap"] : ""
    target("fork_pv_trap_exit_ratio", "pv fewer exits than trap on " p " (fork-heavy)", v,
        v == "" ? "n/a" : sprintf("%.0f vs %.0f (%.2fx)", total[p, "pv"], total[p, "trap"], v), v < 1)

    printf "{\n  \"reps\": %.0f,\n  \"host_cpus\": %s,\n  \"load_average_before\": %s,\n  \"load_average_after\": %s,\n  \"qemu\": %s,\n  \"programs\": {\n",
        reps, num(ncpu), num(load0), num(load1), (qemu_ver == "" ? "null" : jstr(qemu_ver)) > json
    for (a = 1; a <= np; a++) {
        p = prog[a]
        printf "    %s: {\n      \"qemu_wall_s\": %s,\n      \"modes\": {\n", jstr(p), num(p in qwall ? qwall[p] : "") > json
        for (b = 1; b <= nm; b++) {
            m = mode[b]
            printf "        %s: {\"ok\": %s, \"runs\": %.0f, \"failed_runs\": %.0f", jstr(m),
                (ok[p, m] ? "true" : "false"), runs[p, m], fails[p, m] > json
            if (ok[p, m]) {
                printf ", \"instructions\": %.0f, \"run_s\": %s, \"wall_s\": %s, \"mips\": %s, \"time_ratio_vs_interpret\": %s, \"exits_total\": %.0f, \"exits_per_minsn_total\": %.3f, \"exits\": {",
                    insns[p, m], secs[p, m], wall[p, m], mips[p, m], num(ratio(p, m)), total[p, m], total[p, m] * 1e6 / insns[p, m] > json
                sep = ""
                for (k = 1; k <= nc; k++) if ((p, m, cause[k]) in has) {
                    printf "%s%s: {\"count\": %.0f, \"per_minsn\": %.3f}", sep, jstr(cause[k]), ex[p, m, cause[k]], ex[p, m, cause[k]] * 1e6 / insns[p, m] > json
                    sep = ", "
                }
                printf "}" > json
            }
            printf "}%s\n", (b < nm ? "," : "") > json
        }
        printf "      }\n    }%s\n", (a < np ? "," : "") > json
    }
    printf "  },\n  \"targets\": [\n" > json
    for (i = 1; i <= nt; i++)
        printf "    {\"name\": %s, \"description\": %s, \"value\": %s, \"met\": %s}%s\n", jstr(tname[i]), jstr(tdesc[i]),
            num(tval[i]), tmet[i], (i < nt ? "," : "") > json
    printf "  ]\n}\n" > json
    close(json)
}
EOF
)
mkdir -p "$(dirname "$out")" || exit 1
load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
awk -v json="$out.tmp" -v reps="$reps" -v mips_target="$mips_target" \
    -v ncpu="$(nproc 2>/dev/null)" -v load0="$load0" -v load1="$load1" \
    -v mips_progs="$mips_progs" -v ratio_target="$trap_ratio_target" \
    -v fork_prog="$fork_prog" -v qemu_ver="$("$qemu" --version 2>/dev/null | head -n 1)" \
    "$report_awk" "$tmp/rec" || { rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out" || exit 1
echo "vmm_bench: wrote $out"
exit $status
