/* vmcli: the `vmmsim vm ...` command line.
 *
 *   vmmsim vm run GUEST.elf [--mode interpret|trap|pv] [--mem 128MiB]
 *                 [--disk FILE] [--vms N] [--max-insns N] [--shadow-prefill PAGES]
 *
 * Prints the guest console(s) to stdout ("[vmN] " line prefixes when N > 1)
 * and statistics to stderr. --max-insns N stops a VM once its virtual time
 * (retired + emulated instructions, traps, shadow fills, WFI sleep) reaches
 * N. --shadow-prefill sets the trap/PV shadow fill group (default 64 pages,
 * 1 = fill only the faulting page). Exit status: 0 every guest shut down cleanly,
 * 1 a guest failed (failure shutdown, crash, halt, instruction limit),
 * 2 a usage or input error (one line naming the flag or file).
 */
#ifndef VMMSIM_VMCLI_H
#define VMMSIM_VMCLI_H

/* argv[0] is "vm". */
int vmcli_main(int argc, char **argv);

#endif
