/* sweep: run the cross product of parameter values with a process pool,
 * gather one sweep.csv, draw the sweep's figure.
 *
 * Parameters come from --param KEY=V1,V2,... or, when none is given, from
 * the config's own section
 *     sweep: {params: {KEY: [V1, V2, ...], ...}, baseline: {KEY: V}, plot: NAME}
 * Point p's value of parameter k is values[k][(p / stride_k) % n_k] with the
 * first parameter varying slowest. Every point is validated before any runs;
 * the whole sweep directory is written atomically like a single run's.
 * "slowdown" is a point's runtime over the runtime of the point that has the
 * baseline values and the same values of the other parameters.
 */
#include "sim/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cfg.h"
#include "sim/mem.h"
#include "sim/model.h"
#include "sim/outdir.h"
#include "sim/runner.h"

#define MAX_PARAMS 8
#define MAX_VALUES 64
#define MAX_SETS 256

struct sparam {
    char key[256];
    char *vals[MAX_VALUES];
    int n;
    char base[128];       /* baseline value, "" if none */
};

struct sweep {
    const char *file, *outdir;
    const char *sets[MAX_SETS];
    int nsets, jobs, plots;
    struct sparam p[MAX_PARAMS];
    int np, cli_params;
    const char *cli_baseline;   /* --baseline KEY=VALUE */
    char plot[64];
    size_t npoints;
    struct run_result *res;
    int *status;
};

static const char sweep_help[] =
    "usage: vmmsim sweep FILE [--param KEY=V1,V2,...] [--baseline KEY=V] [--jobs N] [-o DIR]\n"
    "                         [--set KEY=VALUE] [--no-plots]\n"
    "Run FILE once per combination of parameter values (cross product), N at a\n"
    "time (default: number of CPUs). Without --param, the config's 'sweep:'\n"
    "section gives params, baseline and plot. Writes DIR (default\n"
    "results/<name>): points/NNN/ per run, sweep.csv with one row per point,\n"
    "and the sweep's figure from plots/<plot>.gp. 'slowdown' is a point's runtime\n"
    "over that of the point with the baseline value(s) and the same other values.\n";

static void free_sweep(struct sweep *w)
{
    for (int k = 0; k < w->np; k++)
        for (int i = 0; i < w->p[k].n; i++)
            mem_free_str(w->p[k].vals[i]);
    if (w->res)
        mem_free(w->res, w->npoints * sizeof *w->res);
    if (w->status)
        mem_free(w->status, w->npoints * sizeof *w->status);
}

static int add_value(struct sparam *sp, const char *v, size_t len)
{
    if (sp->n >= MAX_VALUES)
        return -E2BIG;
    char *s = mem_alloc(len + 1);
    if (!s)
        return -ENOMEM;
    memcpy(s, v, len);
    s[len] = 0;
    sp->vals[sp->n++] = s;
    return 0;
}

/* --param KEY=V1,V2 */
static int parse_param(struct sweep *w, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1] || w->np >= MAX_PARAMS || (size_t)(eq - arg) >= sizeof w->p[0].key)
        return cli_usage_error("sweep", "expected --param KEY=V1,V2,... (at most %d), got '%s'", MAX_PARAMS, arg);
    struct sparam *sp = &w->p[w->np++];
    memcpy(sp->key, arg, (size_t)(eq - arg));
    for (const char *v = eq + 1;;) {
        size_t len = strcspn(v, ",");
        if (len == 0 || add_value(sp, v, len) < 0)
            return cli_usage_error("sweep", "expected non-empty values (at most %d) in '%s'", MAX_VALUES, arg);
        if (!v[len])
            break;
        v += len + 1;
    }
    return 0;
}

static int parse_args(struct sweep *w, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--param") == 0 && has) {
            if (parse_param(w, argv[++i]) != 0)
                return -1;
            w->cli_params = 1;
        } else if (strcmp(a, "--jobs") == 0 && has) {
            char *end;
            long j = strtol(argv[++i], &end, 10);
            if (*end || j < 1 || j > 256)
                return cli_usage_error("sweep", "--jobs: expected a number from 1 to 256, got '%s'", argv[i]), -1;
            w->jobs = (int)j;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has) {
            w->outdir = argv[++i];
        } else if (strcmp(a, "--set") == 0 && has && w->nsets < MAX_SETS) {
            w->sets[w->nsets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0 && w->nsets < MAX_SETS) {
            w->sets[w->nsets++] = a + 6;
        } else if (strcmp(a, "--baseline") == 0 && has) {
            w->cli_baseline = argv[++i];
        } else if (strcmp(a, "--no-plots") == 0) {
            w->plots = 0;
        } else if (a[0] == '-') {
            return cli_usage_error("sweep", has || strncmp(a, "--", 2) ? "unknown option '%s'" : "option '%s' needs a value", a), -1;
        } else if (w->file) {
            return cli_usage_error("sweep", "unexpected argument '%s' (one FILE only)", a), -1;
        } else {
            w->file = a;
        }
    }
    if (!w->file)
        return cli_usage_error("sweep", "missing FILE"), -1;
    return 0;
}

static int read_params(struct sweep *w, struct cfg_node *params, struct cfg_err *e)
{
    int rc = cfg_want_map(params, e);
    if (rc == 0)
        cfg_use_all(params);   /* its keys are config paths, checked when the points are validated */
    for (size_t i = 0; rc == 0 && i < params->n; i++) {
        struct cfg_node *kv = params->items[i];
        kv->used = 1;
        if (w->np >= MAX_PARAMS || strlen(kv->key) >= sizeof w->p[0].key)
            return cfg_error(e, kv, "expected at most %d parameters with keys under 256 characters", MAX_PARAMS);
        if ((rc = cfg_want_seq(kv, e)) < 0)
            return rc;
        struct sparam *sp = &w->p[w->np++];
        snprintf(sp->key, sizeof sp->key, "%s", kv->key);
        for (size_t j = 0; j < kv->n; j++) {
            struct cfg_node *v = cfg_item(kv, j);
            if (v->type != CFG_SCALAR || !v->value[0] || strchr(v->value, ','))
                return cfg_error(e, v, "expected a non-empty scalar without commas, got %s",
                                 v->type == CFG_SCALAR ? v->value : "a collection");
            if (add_value(sp, v->value, strlen(v->value)) < 0)
                return cfg_error(e, v, "expected at most %d values", MAX_VALUES);
        }
        if (sp->n == 0)
            return cfg_error(e, kv, "expected at least one value, got an empty list");
    }
    return rc;
}

static int read_baseline(struct sweep *w, struct cfg_node *base, struct cfg_err *e)
{
    int rc = cfg_want_map(base, e);
    if (rc == 0)
        cfg_use_all(base);
    for (size_t i = 0; rc == 0 && i < base->n; i++) {
        struct cfg_node *kv = base->items[i];
        kv->used = 1;
        int k = 0;
        while (k < w->np && strcmp(w->p[k].key, kv->key) != 0)
            k++;
        if (k == w->np)
            return cfg_error(e, kv, "expected a key among the sweep's params, got '%s'", kv->key);
        if (kv->type != CFG_SCALAR)
            return cfg_error(e, kv, "expected one value, got a collection");
        snprintf(w->p[k].base, sizeof w->p[k].base, "%s", kv->value);
    }
    return rc;
}

/* --baseline KEY=VALUE: KEY must be a swept parameter. */
static int cli_baseline(struct sweep *w, struct cfg_err *e)
{
    const char *eq = strchr(w->cli_baseline, '=');
    for (int k = 0; eq && k < w->np; k++)
        if (strlen(w->p[k].key) == (size_t)(eq - w->cli_baseline) &&
            strncmp(w->p[k].key, w->cli_baseline, (size_t)(eq - w->cli_baseline)) == 0) {
            snprintf(w->p[k].base, sizeof w->p[k].base, "%s", eq + 1);
            return 0;
        }
    snprintf(e->msg, sizeof e->msg, "--baseline %s: expected KEY=VALUE with KEY one of the swept parameters",
             w->cli_baseline);
    return -EINVAL;
}

/* Params (unless given on the command line), baseline and plot from FILE. */
static int read_section(struct sweep *w, char *err, size_t errsize)
{
    struct cfg_err e = {{0}};
    struct cfg_doc *doc = cfg_load_file(w->file, &e);
    struct cfg_node *sw = doc ? cfg_get(doc->root, "sweep") : NULL, *n;
    const char *plot = "sweep";
    int rc = doc ? 0 : -EINVAL;
    if (sw && (rc = cfg_want_map(sw, &e)) == 0) {
        if (!w->cli_params && (n = cfg_get(sw, "params")))
            rc = read_params(w, n, &e);
        /* A baseline refers to the config's params: not to --param ones. */
        if (rc == 0 && !w->cli_params && (n = cfg_get(sw, "baseline")))
            rc = read_baseline(w, n, &e);
        if (rc == 0)
            rc = cfg_str(sw, "plot", "sweep", &plot, &e);
        if (rc == 0 && w->cli_params)
            cfg_use_all(sw);
        if (rc == 0)
            rc = cfg_check_unused(sw, &e);
    }
    if (rc == 0 && (strlen(plot) >= sizeof w->plot || strpbrk(plot, "/.")))
        rc = cfg_error(&e, cfg_get(sw, "plot"), "expected the name of a script in plots/, got \"%s\"", plot);
    snprintf(w->plot, sizeof w->plot, "%s", plot);
    if (rc == 0 && w->cli_baseline)
        rc = cli_baseline(w, &e);
    if (rc == 0 && w->np == 0)
        snprintf(e.msg, sizeof e.msg, "%s: nothing to sweep (give --param KEY=V1,V2 or a sweep.params section)", w->file), rc = -EINVAL;
    if (rc < 0)
        snprintf(err, errsize, "%s", e.msg);
    cfg_free(doc);
    return rc;
}

int sweep_check_section(const char *file, char *err, size_t errsize)
{
    struct sweep *w = mem_calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->file = file;
    struct cfg_err e = {{0}};
    struct cfg_doc *doc = cfg_load_file(file, &e);
    int rc = doc ? 0 : -EINVAL;
    if (doc && cfg_get(doc->root, "sweep"))
        rc = read_section(w, err, errsize);
    else if (!doc)
        snprintf(err, errsize, "%s", e.msg);
    cfg_free(doc);
    free_sweep(w);
    mem_free(w, sizeof *w);
    return rc;
}

static const char *value_of(const struct sweep *w, size_t point, int k)
{
    size_t stride = 1;
    for (int j = w->np - 1; j > k; j--)
        stride *= (size_t)w->p[j].n;
    return w->p[k].vals[(point / stride) % (size_t)w->p[k].n];
}

/* The run options of one point: the user's --set plus KEY=VALUE per param. */
static void point_opts(const struct sweep *w, size_t point, struct run_opts *o, const char **sets,
                       char (*buf)[512])
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < w->nsets; i++)
        sets[i] = w->sets[i];
    for (int k = 0; k < w->np; k++) {
        snprintf(buf[k], sizeof buf[k], "%s=%s", w->p[k].key, value_of(w, point, k));
        sets[w->nsets + k] = buf[k];
    }
    o->file = w->file;
    o->sets = sets;
    o->nsets = (size_t)(w->nsets + w->np);
    o->stop = cli_stop_flag();
}

static int validate_all(struct sweep *w, char *name, size_t namesize, char *err, size_t errsize)
{
    const char *sets[MAX_SETS + MAX_PARAMS];
    char buf[MAX_PARAMS][512];
    struct run_opts o;
    struct run_result r;
    for (size_t pt = 0; pt < w->npoints; pt++) {
        point_opts(w, pt, &o, sets, buf);
        o.validate_only = 1;
        if (runner_run(&o, &r, err, errsize) != RUN_OK)
            return -EINVAL;
        if (pt == 0)
            snprintf(name, namesize, "%s", r.name);
    }
    return 0;
}

/* Child: run one point into DIR/points/NNN, send the result, exit. */
static _Noreturn void run_child(struct sweep *w, size_t pt, const char *dir, int fd)
{
    const char *sets[MAX_SETS + MAX_PARAMS];
    char buf[MAX_PARAMS][512], out[PATH_MAX + 64], err[1024];
    struct run_opts o;
    struct run_result r;
    point_opts(w, pt, &o, sets, buf);
    snprintf(out, sizeof out, "%s/points/%03zu", dir, pt);
    o.outdir = out;
    o.cmdline = "vmmsim sweep (point)";
    memset(&r, 0, sizeof r);
    int st = runner_run(&o, &r, err, sizeof err);
    if (st == RUN_FAILED || st == RUN_BADINPUT)
        fprintf(stderr, "vmmsim sweep: point %zu: %s\n", pt, err);
    ssize_t n = write(fd, &r, sizeof r);
    _exit(n == (ssize_t)sizeof r ? st : RUN_FAILED);
}

static int read_result(int fd, struct run_result *r)
{
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd, (char *)r + got, sizeof *r - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Run every point, at most w->jobs at a time. 0 if all succeeded. */
static int run_pool(struct sweep *w, const char *dir)
{
    pid_t pids[256];
    int fds[256];
    size_t pts[256], next = 0;
    int running = 0, failed = 0;
    while (next < w->npoints || running > 0) {
        while (running < w->jobs && next < w->npoints && !failed && !*cli_stop_flag()) {
            int pfd[2];
            if (pipe(pfd) < 0)
                return -errno;
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0)
                return -errno;
            if (pid == 0)
                run_child(w, next, dir, pfd[1]);
            close(pfd[1]);
            pids[running] = pid, fds[running] = pfd[0], pts[running] = next++;
            running++;
        }
        if (running == 0)
            break;
        int st;
        pid_t pid = wait(&st);
        for (int i = 0; i < running; i++) {
            if (pids[i] != pid)
                continue;
            size_t pt = pts[i];
            w->status[pt] = WIFEXITED(st) ? WEXITSTATUS(st) : RUN_FAILED;
            if (read_result(fds[i], &w->res[pt]) < 0)
                w->status[pt] = RUN_FAILED;
            close(fds[i]);
            failed |= w->status[pt] != RUN_OK;
            pids[i] = pids[running - 1], fds[i] = fds[running - 1], pts[i] = pts[running - 1];
            running--;
            fprintf(stderr, "\rsweep: %zu/%zu points done", next - (size_t)running, w->npoints);
            break;
        }
    }
    fputc('\n', stderr);
    return failed || next < w->npoints ? -1 : 0;
}

/* Index of the baseline point for pt, or -1 when there is no baseline. */
static long baseline_of(const struct sweep *w, size_t pt)
{
    int any = 0;
    for (size_t q = 0; q < w->npoints; q++) {
        int ok = 1;
        for (int k = 0; k < w->np && ok; k++) {
            any |= w->p[k].base[0] != 0;
            const char *want = w->p[k].base[0] ? w->p[k].base : value_of(w, pt, k);
            ok = strcmp(value_of(w, q, k), want) == 0;
        }
        if (ok && any)
            return (long)q;
    }
    return -1;
}

static double numeric(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    return end != v && (*end == 0 || (*end == '%' && end[1] == 0)) ? d : NAN;
}

static void write_row(FILE *f, const struct sweep *w, size_t pt)
{
    const struct run_result *r = &w->res[pt];
    long b = baseline_of(w, pt);
    for (int k = 0; k < w->np; k++)
        fprintf(f, "%s,%.10g,", value_of(w, pt, k), numeric(value_of(w, pt, k)));
    double slow = b >= 0 && w->res[b].runtime_s > 0 ? r->runtime_s / w->res[b].runtime_s : NAN;
    uint64_t so = r->counters[C_guest_swapouts];
    fprintf(f, "%.9f,%.6f,%.3f", r->runtime_s, slow,
            so ? 1000.0 * (double)r->counters[C_double_paging] / (double)so : 0.0);
    for (int c = 0; c < C_COUNT; c++)
        fprintf(f, ",%llu", (unsigned long long)r->counters[c]);
    fprintf(f, ",points/%03zu\n", pt);
}

static int write_csv(const struct sweep *w, const struct outdir *od)
{
    FILE *f = outdir_open(od, "sweep.csv");
    if (!f)
        return -errno;
    for (int k = 0; k < w->np; k++)
        fprintf(f, "%s,x%d,", w->p[k].key, k + 1);
    fprintf(f, "runtime_s,slowdown,double_paging_per_1000_guest_swapouts");
    for (int c = 0; c < C_COUNT; c++)
        fprintf(f, ",%s", vm_counter_names[c]);
    fprintf(f, ",dir\n");
    for (size_t pt = 0; pt < w->npoints; pt++)
        write_row(f, w, pt);
    return fclose(f) == 0 ? 0 : -EIO;
}

static void print_table(const struct sweep *w, const char *dir)
{
    for (int k = 0; k < w->np; k++)
        printf("%-22s ", w->p[k].key);
    printf("%12s %10s %14s\n", "runtime_s", "slowdown", "dp/1000 g-out");
    for (size_t pt = 0; pt < w->npoints; pt++) {
        for (int k = 0; k < w->np; k++)
            printf("%-22s ", value_of(w, pt, k));
        long b = baseline_of(w, pt);
        const struct run_result *r = &w->res[pt];
        uint64_t so = r->counters[C_guest_swapouts];
        printf("%12.3f %10.3f %14.1f\n", r->runtime_s,
               b >= 0 && w->res[b].runtime_s > 0 ? r->runtime_s / w->res[b].runtime_s : NAN,
               so ? 1000.0 * (double)r->counters[C_double_paging] / (double)so : 0.0);
    }
    for (size_t pt = 0; pt < w->npoints; pt++)
        if (w->res[pt].unfinished)
            printf("warning: point %zu: %d VM(s) had not finished at the end of 'duration'; "
                   "its runtime is the duration\n", pt, w->res[pt].unfinished);
    printf("results in %s\n", dir);
}

static int finish(struct sweep *w, struct outdir *od, char *err, size_t errsize)
{
    int rc = write_csv(w, od);
    FILE *f = outdir_open(od, "sweep-plot.txt");
    if (rc < 0 || !f || fprintf(f, "%s\n", w->plot) < 0 || fclose(f) != 0) {
        if (snprintf(err, errsize, "%s: cannot write sweep.csv", od->final) >= (int)errsize)
            snprintf(err, errsize, "cannot write sweep.csv");
        return RUN_FAILED;
    }
    char perr[512];
    if (w->plots && runner_plot(w->plot, od->tmp, perr, sizeof perr) < 0)
        fprintf(stderr, "vmmsim sweep: warning: %s\n", perr);
    return outdir_commit(od, err, errsize) < 0 ? RUN_FAILED : RUN_OK;
}

static int sweep_run(struct sweep *w, char *err, size_t errsize)
{
    char name[128], dir[PATH_MAX];
    struct outdir od;
    w->npoints = 1;
    for (int k = 0; k < w->np; k++)
        w->npoints *= (size_t)w->p[k].n;
    if (w->npoints > 4096) {
        snprintf(err, errsize, "%s: %zu points; at most 4096", w->file, w->npoints);
        return RUN_BADINPUT;
    }
    for (int k = 0; k < w->np; k++) {
        int found = !w->p[k].base[0];
        for (int i = 0; i < w->p[k].n && !found; i++)
            found = strcmp(w->p[k].vals[i], w->p[k].base) == 0;
        if (!found) {
            snprintf(err, errsize, "%s: sweep.baseline.%s: expected one of the swept values, got \"%s\"",
                     w->file, w->p[k].key, w->p[k].base);
            return RUN_BADINPUT;
        }
    }
    w->res = mem_calloc(w->npoints, sizeof *w->res);
    w->status = mem_calloc(w->npoints, sizeof *w->status);
    if (!w->res || !w->status) {
        snprintf(err, errsize, "out of memory");
        return RUN_FAILED;
    }
    if (validate_all(w, name, sizeof name, err, errsize) < 0)
        return RUN_BADINPUT;
    snprintf(dir, sizeof dir, w->outdir ? "%s" : "results/%s", w->outdir ? w->outdir : name);
    if (outdir_begin(&od, dir, err, errsize) < 0)
        return RUN_FAILED;
    if (run_pool(w, od.tmp) < 0) {
        outdir_abort(&od);
        snprintf(err, errsize, *cli_stop_flag() ? "interrupted; nothing written" : "a point failed; nothing written");
        return *cli_stop_flag() ? RUN_INTERRUPTED : RUN_FAILED;
    }
    int st = finish(w, &od, err, errsize);
    if (st != RUN_OK)
        outdir_abort(&od);
    else
        print_table(w, od.final);
    return st;
}

int cli_sweep(int argc, char **argv)
{
    if (argc > 1 && cli_is_help(argv[1])) {
        fputs(sweep_help, stdout);
        return 0;
    }
    struct sweep *w = mem_calloc(1, sizeof *w);
    char err[1024] = "";
    if (!w)
        return RUN_FAILED;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    w->jobs = cpus > 0 && cpus < 256 ? (int)cpus : 1;
    w->plots = 1;
    int st = parse_args(w, argc, argv) < 0 ? RUN_BADINPUT : RUN_OK;
    if (st == RUN_OK)
        st = read_section(w, err, sizeof err) < 0 ? RUN_BADINPUT : sweep_run(w, err, sizeof err);
    if (st != RUN_OK && err[0])
        fprintf(stderr, "vmmsim sweep: %s\n", err);
    free_sweep(w);
    mem_free(w, sizeof *w);
    return st;
}
