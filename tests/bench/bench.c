/* bench: speed and memory figures of the simulator (`make bench`).
 *
 *   hit      references/s on a pre-generated in-memory stream where every
 *            page is resident at both levels (the hit path alone)
 *   paging   references/s of the double-paging experiment at a 60% limit
 *   memory   bytes of model state per simulated guest page, by component
 *   bighost  a 1 TiB host with 256 VMs of 4 GiB, lightly loaded, 10 s
 *            simulated, run in a child process: its peak RSS and wall time
 * Prints the figures and writes them as JSON to the file named by argv[1].
 * Wall-clock figures vary with the machine; nothing here is a test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "sim/cfg.h"
#include "sim/config.h"
#include "sim/mem.h"
#include "sim/outdir.h"
#include "sim/sim.h"

struct built {
    struct cfg_doc *doc;
    struct exp_params p;
    struct sim *s;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build(struct built *b, const char *name, const char *text, const char *file,
                  const char *const *sets, int nsets)
{
    struct cfg_err err = {{0}};
    memset(b, 0, sizeof *b);
    b->doc = text ? cfg_load_string(name, text, &err) : cfg_load_file(file, &err);
    for (int i = 0; b->doc && i < nsets; i++)
        if (cfg_set(b->doc, sets[i], &err) < 0)
            break;
    if (!b->doc || err.msg[0] || config_read(b->doc, &b->p, &err) < 0 ||
        !(b->s = sim_create(&b->p, &err))) {
        fprintf(stderr, "bench: %s: %s\n", name, err.msg);
        exit(1);
    }
}

static void unbuild(struct built *b)
{
    sim_destroy(b->s);
    config_free(&b->p);
    cfg_free(b->doc);
}

/* A workload that replays a pre-generated array. */
struct replay {
    const struct wl_ref *refs;
    size_t n, pos;
};

static size_t replay_fill(void *self, struct wl_ref *buf, size_t n)
{
    struct replay *r = self;
    size_t k = r->n - r->pos < n ? r->n - r->pos : n;
    if (k == 0) {
        buf[0] = (struct wl_ref){0, WL_END};
        return 1;
    }
    memcpy(buf, r->refs + r->pos, k * sizeof *buf);
    r->pos += k;
    return k;
}

static const struct workload_ops replay_ops = {
    .name = "replay", .desc = "pre-generated array", .fill = replay_fill};

static const char hit_yaml[] =
    "host: {memory: 1GiB, vmm: {policy: clock},\n"
    "  vms: [{name: v, memory: 256MiB, guest: {policy: clock},\n"
    "         workload: {kind: uniform, footprint: 256MiB, refs: 1, write_ratio: 0%, think: 10ns}}]}\n";

/* Run the replay of prefault pass + n random references; wall seconds. */
static double hit_run(const struct wl_ref *refs, size_t n)
{
    struct built b;
    build(&b, "hit.yaml", hit_yaml, NULL, NULL, 0);
    struct replay r = {refs, n, 0};
    struct workload *w = b.s->vms[0]->g.procs[0].wl;
    const struct workload_ops *saved_ops = w->ops;
    void *saved = w->self;
    w->ops = &replay_ops;
    w->self = &r;
    w->left = n;
    double t0 = now_s();
    if (sim_run(b.s) < 0) {
        fprintf(stderr, "bench: hit: %s\n", b.s->err);
        exit(1);
    }
    double t = now_s() - t0;
    w->ops = saved_ops;
    w->self = saved;
    unbuild(&b);
    return t;
}

static double bench_hit(void)
{
    const size_t pages = 65536, n = 20000000;
    struct wl_ref *refs = malloc((pages + n) * sizeof *refs);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!refs || !rng)
        exit(1);
    gsl_rng_set(rng, 1);
    for (size_t i = 0; i < pages; i++)
        refs[i] = (struct wl_ref){(uint32_t)i, WL_READ};
    for (size_t i = 0; i < n; i++)
        refs[pages + i] = (struct wl_ref){(uint32_t)gsl_rng_uniform_int(rng, pages), WL_READ};
    double base = hit_run(refs, pages), best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t = hit_run(refs, pages + n) - base;
        best = t < best ? t : best;
    }
    gsl_rng_free(rng);
    free(refs);
    return (double)n / best;
}

static double bench_paging(uint64_t *refs_out)
{
    static const char *const sets[] = {"host.vms[0].limit=60%", "host.vmm.policy=random"};
    struct built b;
    build(&b, "configs/double-paging.yaml", NULL, "configs/double-paging.yaml", sets, 2);
    double t0 = now_s();
    if (sim_run(b.s) < 0)
        exit(1);
    double t = now_s() - t0;
    uint64_t refs = 0;
    for (uint32_t i = 0; i < b.s->nvms; i++)
        refs += b.s->vms[i]->c[C_refs];
    *refs_out = refs;
    unbuild(&b);
    return (double)refs / t;
}

struct membreak {
    double pte, frame, p2m, gpol, mpol, swap, total;
};

static void bench_memory(const char *gpol, const char *mpol, struct membreak *m)
{
    char s1[64], s2[64];
    snprintf(s1, sizeof s1, "host.vms[0].guest.policy=%s", gpol);
    snprintf(s2, sizeof s2, "host.vmm.policy=%s", mpol);
    const char *const sets[] = {s1, s2};
    static const char yaml[] =
        "host: {memory: 8GiB, vms: [{name: v, memory: 1GiB,\n"
        "  workload: {kind: uniform, footprint: 1GiB}}]}\n";
    uint64_t before = mem_in_use();
    struct built b;
    build(&b, "mem.yaml", yaml, NULL, sets, 2);
    const struct vm *vm = b.s->vms[0];
    double pages = (double)sim_guest_pages(b.s);
    m->pte = 4.0 * vm->g.nvpages / pages;
    m->frame = 8.0 * vm->g.nframes / pages;
    m->p2m = 4.0 * vm->g.nframes / pages;
    m->gpol = (double)vm->g.pol->footprint(vm->g.pol_self) / pages;
    m->mpol = (double)vm->m.pol->footprint(vm->m.pol_self) / pages;
    m->swap = (4.0 * vm->g.swap.nslots + (double)swapmap_footprint(&vm->g.swap)) / pages;
    m->total = (double)(mem_in_use() - before) / pages;
    unbuild(&b);
}

static const char big_yaml[] =
    "name: bighost\n"
    "duration: 10s\n"
    "sample_interval: 1s\n"
    "host:\n"
    "  memory: 1TiB\n"
    "  swap: {size: 64GiB}\n"
    "  vmm: {policy: clock}\n"
    "  vms:\n"
    "    - name: vm\n"
    "      count: 256\n"
    "      memory: 4GiB\n"
    "      guest: {policy: clock, swap: {size: 1GiB}}\n"
    "      workload: {kind: zipf, footprint: 64MiB, refs: 200k, think: 50us}\n";

/* In a child, so its peak RSS is its own. */
static void bench_bighost(double *wall, double *rss_mib, uint64_t *refs)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        struct built b;
        double t0 = now_s();
        build(&b, "bighost.yaml", big_yaml, NULL, NULL, 0);
        if (sim_run(b.s) < 0) {
            fprintf(stderr, "bench: bighost: %s\n", b.s->err);
            _exit(1);
        }
        double res[2] = {now_s() - t0, 0};
        for (uint32_t i = 0; i < b.s->nvms; i++)
            res[1] += (double)b.s->vms[i]->c[C_refs];
        _exit(write(pfd[1], res, sizeof res) == sizeof res ? 0 : 1);
    }
    int st;
    double res[2] = {0, 0};
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || read(pfd[0], res, sizeof res) != sizeof res) {
        fprintf(stderr, "bench: bighost run failed\n");
        exit(1);
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    *wall = res[0];
    *refs = (uint64_t)res[1];
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
    const char *out = argc > 1 ? argv[1] : "results/bench.json";
    struct membreak md, mc;
    uint64_t prefs, brefs;
    double bwall, brss;
    bench_memory("two-list", "random", &md);
    bench_memory("clock", "clock", &mc);
    printf("memory per guest page (two-list guest, random VMM): PTE %.2f + frame %.2f + p2m %.2f + "
           "guest policy %.2f + VMM policy %.2f = %.2f B; guest swap maps %.2f B; all state %.2f B\n",
           md.pte, md.frame, md.p2m, md.gpol, md.mpol, md.pte + md.frame + md.p2m + md.gpol + md.mpol,
           md.swap, md.total);
    printf("memory per guest page (clock guest, clock VMM):     %.2f B; all state %.2f B\n",
           mc.pte + mc.frame + mc.p2m + mc.gpol + mc.mpol, mc.total);
    fflush(stdout);
    double hit = bench_hit();
    printf("hit path: %.1f M references/s (pre-generated stream, all resident)\n", hit / 1e6);
    fflush(stdout);
    double paging = bench_paging(&prefs);
    printf("paging-heavy (double-paging.yaml, limit 60%%, random): %.2f M references/s (%llu refs)\n",
           paging / 1e6, (unsigned long long)prefs);
    fflush(stdout);
    bench_bighost(&bwall, &brss, &brefs);
    printf("1 TiB host, 256 VMs x 4 GiB, 10 s simulated: wall %.2f s, peak RSS %.0f MiB, %llu refs\n",
           bwall, brss, (unsigned long long)brefs);
    char tmp[4200], dir[4200];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (outdir_mkdirs(dir) < 0) {
            fprintf(stderr, "bench: cannot create %s: %s\n", dir, strerror(errno));
            return 1;
        }
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(f, "{\n  \"sim_hit_refs_per_s\": %.0f,\n  \"sim_paging_refs_per_s\": %.0f,\n", hit, paging);
    fprintf(f, "  \"bytes_per_guest_page\": {\"pte\": %.3f, \"frame\": %.3f, \"p2m\": %.3f, "
               "\"guest_policy_two_list\": %.3f, \"vmm_policy_random\": %.3f, \"sum\": %.3f, "
               "\"guest_swap_maps\": %.3f, \"all_state\": %.3f, \"sum_clock_clock\": %.3f},\n",
            md.pte, md.frame, md.p2m, md.gpol, md.mpol, md.pte + md.frame + md.p2m + md.gpol + md.mpol,
            md.swap, md.total, mc.pte + mc.frame + mc.p2m + mc.gpol + mc.mpol);
    fprintf(f, "  \"bighost\": {\"wall_s\": %.3f, \"peak_rss_mib\": %.1f, \"refs\": %llu}\n}\n", bwall,
            brss, (unsigned long long)brefs);
    if (fclose(f) != 0 || rename(tmp, out) != 0) {
        fprintf(stderr, "bench: cannot write %s\n", out);
        return 1;
    }
    printf("figures written to %s\n", out);
    return 0;
}
