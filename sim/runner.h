/* runner: one experiment from a config file to a results directory.
 *
 * Steps: load YAML, apply --set overrides, read the schema, build the model
 * (workload sections validated here), reject unknown keys; then, unless only
 * validating, run and write config.yaml, summary.json, run.json,
 * timeseries.csv and plots into a temporary directory renamed into place at
 * the end. Bad input is reported before anything is created.
 */
#ifndef VMMSIM_RUNNER_H
#define VMMSIM_RUNNER_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses of the CLI. */
enum { RUN_OK = 0, RUN_FAILED = 1, RUN_BADINPUT = 2, RUN_INTERRUPTED = 3 };

struct run_opts {
    const char *file;
    const char *const *sets;   /* "key=value" overrides */
    size_t nsets;
    const char *outdir;        /* NULL: results/<name> */
    int validate_only;
    int progress;              /* draw a progress bar on stderr */
    int plots;                 /* run gnuplot scripts */
    const char *cmdline;       /* recorded in run.json */
    volatile int *stop;        /* SIGINT flag */
};

/* Totals of a finished run, for sweeps. */
struct run_result {
    char name[128];
    char dir[4096];
    double runtime_s;
    uint64_t counters[32];
    int ncounters;
    int complete;
    int unfinished;            /* VMs still running when the run ended (duration) */
};

/* Returns one of the RUN_* statuses; err holds the one-line message for
 * RUN_FAILED / RUN_BADINPUT. res may be NULL. */
int runner_run(const struct run_opts *o, struct run_result *res, char *err, size_t errsize);

/* Directory holding the gnuplot scripts: $VMMSIM_PLOTS, else ../plots
 * beside the executable, else ./plots. */
const char *runner_plots_dir(char *buf, size_t size);

/* Run plots/NAME.gp with gnuplot on directory dir (indir and outdir are dir).
 * 0, or -1 when gnuplot is missing or failed (a warning, not an error). */
int runner_plot(const char *script, const char *dir, char *err, size_t errsize);

#endif
