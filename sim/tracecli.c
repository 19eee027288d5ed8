/* tracecli: `vmmsim trace info|head|verify|gen|convert`, the dispatcher and
 * the option helpers the subcommands share.
 *
 * The trace tools are split by concern: this file holds the one table
 * {name, function, help} and the shared parsing; sim/tracecli_read.c the
 * commands that read a trace (info, head, verify); sim/tracecli_write.c the
 * ones that write one (gen, convert). These files are the only layer of the
 * trace tools that prints or picks exit statuses; the work is delegated to
 * traceinfo_scan, tracegen_run, tfmt_convert and the trace reader.
 * Invariant: every usage error is one line naming the flag, what was
 * expected and what was found, exit status 2.
 */
#include "sim/tracecli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sim/cli.h"
#include "sim/tracecli_priv.h"

double tracecli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Exit status for a failed operation: bad input (2) unless the system failed. */
static int fail_status(int rc)
{
    return rc == -ENOMEM || rc == -ENOSPC || rc == -EDQUOT ? 1 : 2;
}

int tracecli_report(const struct trace_err *err, int rc)
{
    fprintf(stderr, "%s\n", err->msg[0] ? err->msg : strerror(-rc));
    return fail_status(rc);
}

/* ---- option values ----------------------------------------------------------- */

/* The value of option argv[*i] ("--opt V" or "--opt=V"); NULL if a is not
 * opt. Sets *missing when opt has no value. */
const char *tracecli_opt_value(const char *opt, int argc, char **argv, int *i, int *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n])
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int tracecli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "4096", "4KiB", "2M", "1GiB": a power of two from 512 bytes to 1 GiB. */
int tracecli_parse_page_size(const char *s, uint32_t *out)
{
    static const struct { const char *suf; unsigned shift; } units[] = {
        {"", 0}, {"B", 0}, {"K", 10}, {"KiB", 10}, {"KB", 10}, {"M", 20}, {"MiB", 20}, {"MB", 20},
        {"G", 30}, {"GiB", 30}, {"GB", 30}};
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suf) != 0 || v > (1ull << 30) >> units[i].shift)
            continue;
        v <<= units[i].shift;
        if (v < 512 || (v & (v - 1)))
            return -1;
        *out = (uint32_t)v;
        return 0;
    }
    return -1;
}

/* A format named by --from/--to; for output it must be writable. */
const struct tfmt_ops *tracecli_find_format(const char *cmd, const char *flag, const char *name, int writing)
{
    char names[256];
    const struct tfmt_ops *f = tfmt_find(name);
    if (!f) {
        cli_usage_error(cmd, "%s: expected one of %s, got \"%s\"", flag, tfmt_names(names, sizeof names), name);
        return NULL;
    }
    if (writing ? !f->open_write : !f->open_read) {
        cli_usage_error(cmd, "%s: expected a format that can be %s, got \"%s\" (read only)", flag,
                        writing ? "written" : "read", name);
        return NULL;
    }
    return f;
}

uint64_t tracecli_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* ---- dispatch ------------------------------------------------------------------- */

struct sub {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct sub subs[] = {
    {"info", tracecli_info,
     "usage: vmmsim trace info [--json] [--from FORMAT] TRACE\n"
     "Read TRACE once and print its header (format, version, page size, flags, VM and\n"
     "process tables, metadata), records, blocks, file bytes and bytes per record, the\n"
     "time span, counts per op, the footprint (distinct pages; IDLE records name no\n"
     "page) overall, per VM and per (vm, pid), and the decode speed.\n"},
    {"head", tracecli_head,
     "usage: vmmsim trace head [-n N] [--from FORMAT] TRACE\n"
     "Print the first N records (default 10), one a line:\n"
     "  TIME VM PID OP 0xPAGE [block=|ns=|frame=|content=ARG] [size=S] [next=I]\n"},
    {"verify", tracecli_verify,
     "usage: vmmsim trace verify [--from FORMAT] TRACE\n"
     "Read every record and check every block. Prints \"TRACE: ok, N records in B\n"
     "blocks\" and exits 0, or prints the first problem (file, offset, block, what is\n"
     "wrong) and exits 2.\n"},
    {"gen", tracecli_gen,
     "usage: vmmsim trace gen (--workload SPEC | CONFIG.yaml) [--seed N] [--page-size SIZE]\n"
     "                        [--sparse-ids] [--to FORMAT] -o OUT\n"
     "Write a synthetic workload to a trace. SPEC is a YAML flow mapping like a config's\n"
     "workload: value, e.g. '{kind: zipf, alpha: 0.9, footprint: 4GiB, refs: 20M}'\n"
     "(VM 0, one pid per process). With CONFIG.yaml every VM (in order) is one VM index.\n"
     "Time is each process's cumulative think and idle time in ns; processes are merged\n"
     "by it. --seed overrides the config's seed (default 1); --page-size its page size\n"
     "(default 4KiB). --sparse-ids maps page numbers through a 64-bit bijection\n"
     "(splitmix64 finalizer). --to: vmmsim (default), oracleGeneral or csv.\n"},
    {"convert", tracecli_convert,
     "usage: vmmsim trace convert [--from F] [--to F] [--page-size SIZE] [--vm N] [--pid N]\n"
     "                            [--no-ifetch] [--collapse] IN OUT\n"
     "Convert IN to OUT. Formats are guessed from content or file name when not given\n"
     "(OUT defaults to vmmsim). --page-size: address-based formats (default 4KiB);\n"
     "--vm/--pid: ids for formats without them; --no-ifetch: drop lackey instruction\n"
     "fetches; --collapse: drop a repeated (page, op) of a process. Next-access values\n"
     "are kept, so oracleGeneral -> vmmsim -> oracleGeneral is byte-identical.\n"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fputs("usage: vmmsim trace SUBCOMMAND [ARGS]\n\n"
          "subcommands:\n"
          "  info TRACE       counts, footprint, duration, per-VM/process summary\n"
          "  head TRACE       the first records as text\n"
          "  verify TRACE     read everything, check every block\n"
          "  gen -o OUT       write a synthetic workload to a trace\n"
          "  convert IN OUT   convert between trace formats\n\n"
          "'vmmsim trace SUBCOMMAND --help' describes each.\n",
          out);
}

int tracecli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    for (const struct sub *s = subs; s->name; s++) {
        if (strcmp(argv[1], s->name) != 0)
            continue;
        for (int i = 2; i < argc; i++)
            if (cli_is_help(argv[i])) {
                fputs(s->help, stdout);
                return 0;
            }
        return s->fn(argc - 1, argv + 1);
    }
    return cli_usage_error("trace", "unknown subcommand '%s' (expected one of info, head, verify, gen, convert)",
                           argv[1]);
}
