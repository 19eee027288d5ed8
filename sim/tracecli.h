/* tracecli: the `vmmsim trace SUB` command line.
 *
 *   vmmsim trace info [--json] [--from F] TRACE
 *   vmmsim trace head [-n N] [--from F] TRACE
 *   vmmsim trace verify [--from F] TRACE
 *   vmmsim trace gen (--workload SPEC | CONFIG.yaml) [--seed N] [--page-size SIZE]
 *                    [--sparse-ids] [--to FORMAT] -o OUT
 *   vmmsim trace convert [--from F] [--to F] [--page-size SIZE] [--vm N] [--pid N]
 *                        [--no-ifetch] [--collapse] IN OUT
 *
 * Exit status: 0 success; 2 a usage error (one line naming the flag, what
 * was expected and what was found) or a bad input trace (the reader's one
 * line naming file, offset or block, and what is wrong); 1 other failures
 * (out of memory, output I/O).
 */
#ifndef VMMSIM_TRACECLI_H
#define VMMSIM_TRACECLI_H

/* argv[0] is "trace". */
int tracecli_main(int argc, char **argv);

#endif
