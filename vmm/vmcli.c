/* vmcli: parse `vm run` options, run the VMs round-robin, print statistics.
 *
 * Main structure: struct opts (the parsed command line) and an array of VMs
 * that take turns running VMCLI_SLICE instructions each until all have
 * stopped. The CLI is the only place of the VMM core that prints or exits;
 * wall time is measured here for the MIPS figure only.
 */
#include "vmm/vmcli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/mem.h"
#include "vmm/shadow.h"
#include "vmm/trap.h"
#include "vmm/virtio_blk.h"
#include "vmm/vm.h"

#define VMCLI_SLICE 1000000ULL
#define VMCLI_MAX_VMS 64

struct opts {
    const char *kernel, *disk;
    enum vm_mode mode;
    uint64_t mem, max_insns, prefill;
    int vms;
};

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "vmmsim vm: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

/* "128MiB", "128M", "2GiB", "65536": bytes. -EINVAL on junk or overflow. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -EINVAL;
    static const struct { const char *suffix; int shift; } units[] = {
        {"", 0}, {"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20}, {"G", 30}, {"GiB", 30},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > (UINT64_MAX >> units[i].shift))
                return -EINVAL;
            *out = (uint64_t)v << units[i].shift;
            return 0;
        }
    return -EINVAL;
}

static int parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        return -EINVAL;
    *out = v;
    return 0;
}

static const char help[] =
    "usage: vmmsim vm run GUEST.elf [--mode interpret|trap|pv] [--mem 128MiB] [--disk FILE]\n"
    "                     [--vms N] [--max-insns N] [--shadow-prefill PAGES]\n"
    "Run a RISC-V guest kernel (e.g. build/guest/kernel.elf) on the VMM core:\n"
    "  interpret  the guest kernel runs natively in S-mode; the VMM provides SBI\n"
    "  trap       trap-and-emulate: the guest kernel runs in U-mode, shadow page tables\n"
    "  pv         as trap, with batched page-table updates (build/guest/kernel-pv.elf)\n"
    "The guest console goes to stdout ('[vmN] ' prefixes with --vms N > 1), statistics\n"
    "to stderr at exit. Exit: 0 all guests shut down cleanly, 1 a guest failed,\n"
    "2 bad flags or input.\n";

static int is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* 0 to run, -1 when help was printed, else the exit status of a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++)
        if (is_help(argv[i])) {
            fputs(help, stdout);
            return -1;
        }
    *o = (struct opts){.mode = VM_MODE_INTERPRET, .mem = VM_MEM_DEFAULT, .vms = 1};
    if (argc < 2 || strcmp(argv[1], "run") != 0)
        return usage("usage: vmmsim vm run GUEST.elf [--mode interpret|trap|pv] [--mem 128MiB] "
                     "[--disk FILE] [--vms N] [--max-insns N] [--shadow-prefill PAGES]", NULL);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        uint64_t n;
        if (a[0] != '-' || a[1] != '-') {
            if (o->kernel)
                return usage("unexpected argument", a);
            o->kernel = a;
            continue;
        }
        if (i + 1 >= argc)
            return usage("missing value for", a);
        const char *v = argv[++i];
        if (strcmp(a, "--mode") == 0) {
            if (vm_mode_parse(v, &o->mode) != 0)
                return usage("--mode: expected interpret, trap or pv, got", v);
        } else if (strcmp(a, "--mem") == 0) {
            if (parse_size(v, &o->mem) != 0)
                return usage("--mem: expected a size like 128MiB, got", v);
        } else if (strcmp(a, "--disk") == 0) {
            o->disk = v;
        } else if (strcmp(a, "--vms") == 0) {
            if (parse_count(v, &n) != 0 || n < 1 || n > VMCLI_MAX_VMS)
                return usage("--vms: expected 1..64, got", v);
            o->vms = (int)n;
        } else if (strcmp(a, "--shadow-prefill") == 0) {
            if (parse_count(v, &o->prefill) != 0 || o->prefill == 0 || o->prefill > 512 ||
                (o->prefill & (o->prefill - 1)))
                return usage("--shadow-prefill: expected a power of two 1..512, got", v);
        } else if (strcmp(a, "--max-insns") == 0) {
            if (parse_count(v, &o->max_insns) != 0 || o->max_insns == 0)
                return usage("--max-insns: expected a positive count, got", v);
        } else {
            return usage("unknown flag", a);
        }
    }
    if (!o->kernel)
        return usage("missing GUEST.elf", NULL);
    return 0;
}

struct out {
    int prefix;       /* print "[vmN] " before each line */
    int at_line_start[VMCLI_MAX_VMS];
};

static void console_out(void *opaque, int id, const char *buf, size_t len)
{
    struct out *o = opaque;
    if (o->prefix && o->at_line_start[id])
        printf("[vm%d] ", id);
    fwrite(buf, 1, len, stdout);
    o->at_line_start[id] = len > 0 && buf[len - 1] == '\n';
}

/* n as "12.3M", "45.6k" or "789" into buf. */
static const char *human(char *buf, size_t len, uint64_t n)
{
    if (n >= 1000000)
        snprintf(buf, len, "%.1fM", (double)n / 1e6);
    else if (n >= 1000)
        snprintf(buf, len, "%.1fk", (double)n / 1e3);
    else
        snprintf(buf, len, "%" PRIu64, n);
    return buf;
}

/* TLB and translation-cache lookups and hit rates (definitions in cpu.h). */
static void print_hit_rates(const struct vm *vm)
{
    struct cpu_stats s;
    char t[32], b[32];
    cpu_stats(vm->cpu, &s);
    fprintf(stderr, "vm%d: tlb: %s lookups, %.2f%% hits; translation cache: %s lookups, "
            "%.2f%% hits (jump cache %.1f%%, chained %" PRIu64 ")\n", vm->id,
            human(t, sizeof(t), s.tlb_lookups), 100.0 * s.tlb_hit,
            human(b, sizeof(b), s.blk_lookups), 100.0 * s.blk_hit, 100.0 * s.jc_hit,
            vm->cpu->n_chained);
}

static void print_stats(const struct vm *vm, double secs)
{
    const struct cpu *c = vm->cpu;
    uint64_t insns = c->icount + vm->stats.emulated, total = 0;
    double k = insns ? 1000.0 / (double)insns : 0;
    fprintf(stderr, "vm%d: %s (%s); %" PRIu64 " instructions, virtual time %" PRIu64
            ", %.3f s, %.1f MIPS\n", vm->id, vm_state_name(vm->state), vm->msg, insns,
            vm_time(vm), secs, secs > 0 ? (double)insns / secs / 1e6 : 0.0);
    fprintf(stderr, "vm%d: retired %" PRIu64 ", emulated %" PRIu64 ", interrupts injected %" PRIu64
            ", time slept in wfi %" PRIu64 "\n", vm->id, c->icount, vm->stats.emulated,
            vm->stats.irq_injected, vm->stats.sleep_time);
    fprintf(stderr, "vm%d: exits:", vm->id);
    for (int i = 0; i < VM_X_COUNT; i++) {
        total += vm->stats.exits[i];
        if (vm->stats.exits[i])
            fprintf(stderr, " %s=%" PRIu64, vm_exit_name(i), vm->stats.exits[i]);
    }
    fprintf(stderr, " total=%" PRIu64 " (hart exits %" PRIu64 ")\n", total, c->n_exits);
    fprintf(stderr, "vm%d: tlb misses %" PRIu64 " (%.3f per 1000 insns); translated blocks %"
            PRIu64 " (%.3f per 1000 insns), tcache flushes %" PRIu64 "\n", vm->id, c->n_tlb_miss,
            (double)c->n_tlb_miss * k, c->n_blocks_translated,
            (double)c->n_blocks_translated * k, c->n_tc_flush);
    print_hit_rates(vm);
    if (vm->shadow) {
        const struct shadow_stats *s = shadow_stats(vm->shadow);
        fprintf(stderr, "vm%d: shadow: fills %" PRIu64 " (+%" PRIu64 " prefilled, group %u pages), "
                "flushes %" PRIu64 ", pool-full flushes %" PRIu64 ", page-table writes seen %" PRIu64
                "\n", vm->id, s->fills, s->prefills, vm->shadow_prefill, s->flushes, s->pool_full,
                s->pt_writes);
    }
    if (vm->mode == VM_MODE_PV)
        fprintf(stderr, "vm%d: pv: %" PRIu64 " PTE updates logged, %" PRIu64 " rejected, %" PRIu64
                " batch hypercalls\n", vm->id, vm->trap->n_pv_ptes, vm->trap->n_pv_rejected,
                vm->trap->n_pv_batches);
    if (vm->blk) {
        uint64_t ok, bad;
        vblk_counts(vm->blk, &ok, &bad);
        fprintf(stderr, "vm%d: disk: %" PRIu64 " requests ok, %" PRIu64 " failed\n", vm->id, ok, bad);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Round-robin until every VM has stopped; per-VM wall time in secs[].
 * --max-insns bounds each VM's virtual time (instructions, emulated
 * instructions, traps and time slept in WFI: see vm.h). */
static void run_all(struct vm **vms, int n, uint64_t max_insns, double *secs)
{
    for (int live = n; live > 0;) {
        live = 0;
        for (int i = 0; i < n; i++) {
            struct vm *vm = vms[i];
            if (vm->state != VM_RUNNING)
                continue;
            uint64_t slice = VMCLI_SLICE;
            if (max_insns && max_insns - vm_time(vm) < slice)
                slice = max_insns - vm_time(vm);
            double t0 = now_s();
            vm_run(vm, slice);
            secs[i] += now_s() - t0;
            if (vm->state == VM_RUNNING && max_insns && vm_time(vm) >= max_insns)
                vm_stop(vm, VM_LIMIT, "--max-insns reached");
            live += vm->state == VM_RUNNING;
        }
    }
}

int vmcli_main(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct out out = {.prefix = o.vms > 1};
    struct vm *vms[VMCLI_MAX_VMS] = {0};
    double secs[VMCLI_MAX_VMS] = {0};
    char err[256];
    for (int i = 0; i < o.vms; i++) {
        out.at_line_start[i] = 1;
        struct vm_config cfg = {.id = i, .mode = o.mode, .mem = o.mem, .kernel = o.kernel,
                                .disk = o.disk, .disk_private = o.vms > 1,
                                .shadow_prefill = (unsigned)o.prefill,
                                .console = console_out, .console_opaque = &out};
        vms[i] = vm_new(&cfg, err, sizeof(err));
        if (!vms[i]) {
            fprintf(stderr, "vmmsim vm: %s\n", err);
            rc = 2;
            goto done;
        }
    }
    run_all(vms, o.vms, o.max_insns, secs);
    fflush(stdout);
    for (int i = 0; i < o.vms; i++) {
        vm_console_flush(vms[i]);
        print_stats(vms[i], secs[i]);
        if (vms[i]->state != VM_OFF_OK)
            rc = 1;
    }
done:
    fflush(stdout);
    for (int i = 0; i < o.vms; i++)
        vm_free(vms[i]);
    return rc;
}
