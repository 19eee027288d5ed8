/* runner: config file -> results directory, with all checks before output.
 * The order matters for "never a half-written result": everything that can
 * be wrong with the input is found before outdir_begin, and a model failure
 * during the run aborts the temporary directory. */
#include "sim/runner.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/cfg.h"
#include "sim/config.h"
#include "sim/outdir.h"
#include "sim/sample.h"
#include "sim/sim.h"
#include "sim/summary.h"

extern char **environ;

static const char *const run_plots[] = {"memory", "faults", NULL};

const char *runner_plots_dir(char *buf, size_t size)
{
    const char *env = getenv("VMMSIM_PLOTS");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, size, "%s/../plots", exe);
            if (access(buf, R_OK) == 0)
                return buf;
            snprintf(buf, size, "%s/../../plots", exe);   /* build/<flavour>/vmmsim */
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    snprintf(buf, size, "plots");
    return buf;
}

int runner_plot(const char *script, const char *dir, char *err, size_t errsize)
{
    char pdir[PATH_MAX], path[PATH_MAX + 64], expr[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s.gp", runner_plots_dir(pdir, sizeof pdir), script);
    if (strchr(dir, '\'')) {
        snprintf(err, errsize, "%s: cannot plot into a path with a quote", dir);
        return -1;
    }
    snprintf(expr, sizeof expr, "dir='%s'", dir);
    char *argv[] = {"gnuplot", "-e", expr, path, NULL};
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) != 0) {
        snprintf(err, errsize, "gnuplot not found; plots skipped (run scripts/deps.sh)");
        return -1;
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errsize, "gnuplot failed on %s", path);
        return -1;
    }
    return 0;
}

/* Load, override, read and build: every input check. */
static int prepare(const struct run_opts *o, struct cfg_doc **doc, struct exp_params *p,
                   struct sim **s, char *err, size_t errsize)
{
    struct cfg_err e = {{0}};
    *doc = cfg_load_file(o->file, &e);
    if (!*doc)
        goto bad;
    for (size_t i = 0; i < o->nsets; i++)
        if (cfg_set(*doc, o->sets[i], &e) < 0)
            goto bad;
    if (config_read(*doc, p, &e) < 0)
        goto bad;
    *s = sim_create(p, &e);
    if (!*s || cfg_check_unused((*doc)->root, &e) < 0)
        goto bad;
    return 0;
bad:
    snprintf(err, errsize, "%s", e.msg[0] ? e.msg : "invalid configuration");
    return -EINVAL;
}

static void progress_bar(const struct sim *s)
{
    double frac = (double)(s->nvms - s->running) / (s->nvms ? s->nvms : 1);
    double tf = (double)s->now / (double)s->p->duration_ns;
    if (tf > frac)
        frac = tf;
    int w = (int)(frac * 40);
    fprintf(stderr, "\r[%.*s%*s] t=%.3fs vms done %u/%u", w, "########################################",
            40 - w, "", (double)s->now / 1e9, s->nvms - s->running, s->nvms);
}

static int write_run_json(const struct outdir *od, const struct run_opts *o, double wall, int complete)
{
    FILE *f = outdir_open(od, "run.json");
    if (!f)
        return -errno;
    struct utsname u;
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (uname(&u) < 0)
        memset(&u, 0, sizeof u);
    fprintf(f, "{\n  \"wall_time_s\": %.3f,\n  \"date\": \"%s\",\n  \"machine\": \"%s %s %s\",\n",
            wall, date, u.nodename, u.sysname, u.machine);
    fprintf(f, "  \"command\": \"");
    for (const char *c = o->cmdline ? o->cmdline : ""; *c; c++)
        fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
    fprintf(f, "\",\n  \"complete\": %s\n}\n", complete ? "true" : "false");
    return fclose(f) == 0 ? 0 : -EIO;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const struct outdir *od, const char *name, int (*fn)(const void *, FILE *),
                      const void *arg)
{
    FILE *f = outdir_open(od, name);
    if (!f)
        return -errno;
    int rc = fn(arg, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    return rc;
}

static int emit_cfg(const void *doc, FILE *f) { return cfg_emit(doc, f); }
static int emit_summary(const void *s, FILE *f) { return summary_write(s, f); }

static void fill_result(const struct sim *s, const char *dir, struct run_result *res)
{
    memset(res, 0, sizeof *res);
    snprintf(res->name, sizeof res->name, "%s", s->p->name);
    snprintf(res->dir, sizeof res->dir, "%s", dir);
    uint64_t rt = 0;
    for (uint32_t i = 0; i < s->nvms; i++) {
        uint64_t r = summary_runtime_ns(s, s->vms[i]);
        rt = r > rt ? r : rt;
        res->unfinished += s->vms[i]->finish_ns == 0;
        for (int k = 0; k < C_COUNT; k++)
            res->counters[k] += s->vms[i]->c[k];
    }
    res->runtime_s = (double)rt / 1e9;
    res->ncounters = C_COUNT;
    res->complete = s->complete;
}

/* Run the built simulation into od; RUN_* status. */
static int execute(const struct run_opts *o, struct sim *s, struct cfg_doc *doc, struct outdir *od,
                   char *err, size_t errsize)
{
    int rc = write_file(od, "config.yaml", emit_cfg, doc);
    s->ts = outdir_open(od, "timeseries.csv");
    if (rc < 0 || !s->ts) {
        snprintf(err, errsize, "%s: cannot write results: %s", od->final, strerror(rc < 0 ? -rc : errno));
        return RUN_FAILED;
    }
    sample_header(s->ts);
    s->stop = o->stop;
    s->progress = o->progress ? progress_bar : NULL;
    double t0 = wall_now();
    rc = sim_run(s);
    if (o->progress)
        fputc('\n', stderr);
    if (fclose(s->ts) != 0 && rc == 0) {
        rc = -EIO;
        snprintf(s->err, sizeof s->err, "cannot write timeseries.csv");
    }
    s->ts = NULL;
    if (rc < 0) {
        snprintf(err, errsize, "%s: t=%.6fs: %s", o->file, (double)s->now / 1e9, s->err);
        return RUN_FAILED;
    }
    if ((rc = write_file(od, "summary.json", emit_summary, s)) < 0 ||
        (rc = write_run_json(od, o, wall_now() - t0, s->complete)) < 0) {
        snprintf(err, errsize, "%s: cannot write results: %s", od->final, strerror(-rc));
        return RUN_FAILED;
    }
    for (int i = 0; o->plots && run_plots[i]; i++) {
        char perr[256];
        if (runner_plot(run_plots[i], od->tmp, perr, sizeof perr) < 0)
            fprintf(stderr, "vmmsim: warning: %s\n", perr);
    }
    return s->complete ? RUN_OK : RUN_INTERRUPTED;
}

int runner_run(const struct run_opts *o, struct run_result *res, char *err, size_t errsize)
{
    struct cfg_doc *doc = NULL;
    struct exp_params p;
    struct sim *s = NULL;
    struct outdir od;
    char dir[PATH_MAX];
    int status;
    memset(&p, 0, sizeof p);
    memset(&od, 0, sizeof od);
    err[0] = 0;
    if (prepare(o, &doc, &p, &s, err, errsize) < 0) {
        status = RUN_BADINPUT;
        goto out;
    }
    status = RUN_OK;
    if (res) {
        memset(res, 0, sizeof *res);
        snprintf(res->name, sizeof res->name, "%s", p.name);
    }
    if (o->validate_only)
        goto out;
    if (o->outdir)
        snprintf(dir, sizeof dir, "%s", o->outdir);
    else
        snprintf(dir, sizeof dir, "results/%s", p.name);
    if (outdir_begin(&od, dir, err, errsize) < 0) {
        status = RUN_FAILED;
        goto out;
    }
    status = execute(o, s, doc, &od, err, errsize);
    if (status == RUN_FAILED) {
        outdir_abort(&od);
        goto out;
    }
    if (res)
        fill_result(s, od.final, res);
    if (outdir_commit(&od, err, errsize) < 0) {
        outdir_abort(&od);
        status = RUN_FAILED;
    }
out:
    sim_destroy(s);
    config_free(&p);
    cfg_free(doc);
    return status;
}
