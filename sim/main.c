/* main: the vmmsim command line. Each subcommand parses its own options and
 * delegates; only this layer prints to the user and chooses exit statuses:
 * 0 success, 1 the run failed, 2 bad input or usage, 3 interrupted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "policies/policy.h"
#include "sim/cachecli.h"
#include "sim/cli.h"
#include "sim/runner.h"
#include "sim/summary.h"
#include "sim/tracecli.h"
#include "vmm/vmcli.h"

static void usage(FILE *out)
{
    fputs("usage: vmmsim COMMAND [ARGS]\n\n"
          "commands:\n"
          "  run FILE       run one experiment, write results/<name>/\n"
          "  validate FILE  check a config without running it\n"
          "  sweep FILE     run a parameter sweep (cross product), write sweep.csv and plots\n"
          "  plot DIR       (re)draw the plots of a results directory\n"
          "  policies       list the replacement policies\n"
          "  trace SUB      page-reference traces: info, head, verify, gen, convert\n"
          "  cache TRACE    run a replacement policy on a trace as a plain cache (miss ratios)\n"
          "  vm run ELF     run a RISC-V guest on the VMM core (interpret, trap or pv mode)\n"
          "  version        print the version\n\n"
          "'vmmsim COMMAND --help' describes each command.\n", out);
}

static int cmd_policies(int argc, char **argv)
{
    if (argc > 1 && cli_is_help(argv[1])) {
        puts("usage: vmmsim policies\nList the replacement policies usable by guests and VMMs.");
        return 0;
    }
    if (argc > 1)
        return cli_usage_error("policies", "unexpected argument '%s'", argv[1]);
    policy_print(stdout);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("vmmsim %s\n", VMMSIM_VERSION);
    return 0;
}

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cli_run},         {"validate", cli_validate}, {"sweep", cli_sweep},
    {"plot", cli_plot},       {"policies", cmd_policies}, {"version", cmd_version},
    {"trace", tracecli_main}, {"cache", cachecli_main},   {"vm", vmcli_main},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? RUN_BADINPUT : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc, argv);
    cli_install_sigint();
    gsl_set_error_handler_off();   /* GSL failures are returned, never abort() */
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "vmmsim: unknown command '%s' (expected one of run, validate, sweep, plot, "
                    "policies, vm, version)\n", argv[1]);
    return RUN_BADINPUT;
}
