/* cachecli: `vmmsim cache`, a replacement policy from policies/ run on one
 * trace as a plain single-level cache of N objects, for several N in one
 * pass over the trace (sim/cache.c is the engine). */
#ifndef VMMSIM_CACHECLI_H
#define VMMSIM_CACHECLI_H

/* argv[0] is "cache". Returns the exit status: 0 success, 1 an I/O or
 * allocation failure, 2 bad usage or a bad trace. Prints; never exits. */
int cachecli_main(int argc, char **argv);

#endif
