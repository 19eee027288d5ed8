/* cli: run, validate and plot commands; shared option helpers.
 * The SIGINT flag is the one piece of process-wide state: a signal is
 * process-wide by nature. */
#include "sim/cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/runner.h"

#define MAX_SETS 256

static volatile int stop_flag;

static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void cli_install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
}

volatile int *cli_stop_flag(void) { return &stop_flag; }

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vmmsim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'vmmsim %s --help')\n", cmd);
    va_end(ap);
    return RUN_BADINPUT;
}

const char *cli_cmdline(int argc, char **argv, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "vmmsim");
    for (int i = 0; i < argc && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, " %s", argv[i]);
    return buf;
}

static const char run_help[] =
    "usage: vmmsim run FILE [-o DIR] [--set KEY=VALUE ...] [--no-plots] [--quiet]\n"
    "Run the experiment in FILE (YAML, see configs/schema.md) and write\n"
    "config.yaml, summary.json, run.json, timeseries.csv and plots to DIR\n"
    "(default results/<name>), atomically. --set overrides a key, e.g.\n"
    "--set host.vms[0].limit=60% (repeatable). Exit: 0 ok, 1 run failed,\n"
    "2 bad input, 3 interrupted (partial results marked \"complete\": false).\n";

static const char validate_help[] =
    "usage: vmmsim validate FILE [--set KEY=VALUE ...]\n"
    "Check FILE as 'run' would (syntax, keys, values, workloads) without running\n"
    "it or writing anything. Exit 0 if valid, 2 with one message otherwise.\n";

/* Parse run/validate options into o. Returns -1 on usage error (printed). */
static int parse_run(const char *cmd, int argc, char **argv, struct run_opts *o, const char **sets,
                     int validate)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--set") == 0 || (!validate && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0))) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "option '%s' needs a value", a), -1;
            if (a[1] == 'o' || a[2] == 'o')
                o->outdir = argv[++i];
            else if (o->nsets >= MAX_SETS)
                return cli_usage_error(cmd, "more than %d --set options", MAX_SETS), -1;
            else
                sets[o->nsets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0 && o->nsets < MAX_SETS) {
            sets[o->nsets++] = a + 6;
        } else if (!validate && strcmp(a, "--no-plots") == 0) {
            o->plots = 0;
        } else if (!validate && strcmp(a, "--quiet") == 0) {
            o->progress = 0;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(cmd, "unknown option '%s'", a), -1;
        } else if (o->file) {
            return cli_usage_error(cmd, "unexpected argument '%s' (one FILE only)", a), -1;
        } else {
            o->file = a;
        }
    }
    if (!o->file)
        return cli_usage_error(cmd, "missing FILE"), -1;
    return 0;
}

static int run_or_validate(int argc, char **argv, int validate)
{
    const char *cmd = validate ? "validate" : "run";
    if (argc > 1 && cli_is_help(argv[1])) {
        fputs(validate ? validate_help : run_help, stdout);
        return 0;
    }
    const char *sets[MAX_SETS];
    char cmdline[4096], err[1024];
    struct run_opts o = {.sets = sets, .plots = 1, .progress = isatty(2), .validate_only = validate,
                         .stop = cli_stop_flag()};
    if (parse_run(cmd, argc, argv, &o, sets, validate) < 0)
        return RUN_BADINPUT;
    o.cmdline = cli_cmdline(argc, argv, cmdline, sizeof cmdline);
    struct run_result res;
    int st = runner_run(&o, &res, err, sizeof err);
    if (st == RUN_OK && validate && sweep_check_section(o.file, err, sizeof err) < 0)
        st = RUN_BADINPUT;
    if (st == RUN_BADINPUT || st == RUN_FAILED)
        fprintf(stderr, "vmmsim %s: %s\n", cmd, err);
    else if (validate)
        printf("%s: valid\n", o.file);
    else if (st == RUN_INTERRUPTED)
        fprintf(stderr, "vmmsim run: interrupted; partial results in %s\n", res.dir);
    else
        printf("results in %s (simulated %.3fs%s)\n", res.dir, res.runtime_s,
               res.unfinished ? "; some VMs had not finished at the end of 'duration'" : "");
    return st;
}

int cli_run(int argc, char **argv) { return run_or_validate(argc, argv, 0); }
int cli_validate(int argc, char **argv) { return run_or_validate(argc, argv, 1); }

static const char plot_help[] =
    "usage: vmmsim plot DIR\n"
    "Redraw the plots of a results directory: memory.png/svg and faults.png/svg\n"
    "for a run (needs timeseries.csv), the sweep's figure for a sweep (needs\n"
    "sweep.csv and sweep-plot.txt naming the script).\n";

int cli_plot(int argc, char **argv)
{
    if (argc > 1 && cli_is_help(argv[1])) {
        fputs(plot_help, stdout);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error("plot", argc < 2 ? "missing DIR" : "unexpected argument '%s'",
                               argc < 2 ? "" : argv[2]);
    char path[4200], err[512], script[128] = "";
    struct stat st;
    snprintf(path, sizeof path, "%s/sweep-plot.txt", argv[1]);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(script, sizeof script, f))
            script[0] = 0;
        fclose(f);
        script[strcspn(script, "\r\n")] = 0;
    }
    snprintf(path, sizeof path, "%s/%s", argv[1], script[0] ? "sweep.csv" : "timeseries.csv");
    if (stat(path, &st) < 0) {
        fprintf(stderr, "vmmsim plot: %s: not a results directory (no %s)\n", argv[1], path);
        return RUN_BADINPUT;
    }
    const char *runs[] = {"memory", "faults", NULL}, *sweeps[] = {script, NULL};
    for (const char **s = script[0] ? sweeps : runs; *s; s++)
        if (runner_plot(*s, argv[1], err, sizeof err) < 0) {
            fprintf(stderr, "vmmsim plot: %s\n", err);
            return RUN_FAILED;
        }
    return 0;
}
