/* cli: the subcommands' option parsing and messages (the only layer that
 * prints to the user). Usage errors exit 2 with one line naming the problem. */
#ifndef VMMSIM_CLI_H
#define VMMSIM_CLI_H

#include <stddef.h>

int cli_is_help(const char *arg);
/* Print "vmmsim CMD: <message> (see 'vmmsim CMD --help')"; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* SIGINT sets a flag that running simulations poll. */
void cli_install_sigint(void);
volatile int *cli_stop_flag(void);
/* The whole command line as one string (for run.json). */
const char *cli_cmdline(int argc, char **argv, char *buf, size_t size);

int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_sweep(int argc, char **argv);   /* sim/sweep.c */
/* Check the config's sweep: section, if any (for validate). 0 or -EINVAL. */
int sweep_check_section(const char *file, char *err, size_t errsize);

#endif
