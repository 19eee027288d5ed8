/* mem: the one allocation funnel of the simulator.
 *
 * Every simulator allocation goes through mem_alloc/mem_calloc/mem_realloc/
 * mem_free with the size passed on free too (Lua style), so the simulator
 * knows exactly how many bytes of state it holds (`make bench` reports bytes
 * per simulated guest page from this) and tests can fail the Nth allocation
 * (fault injection) to check that every error path cleans up.
 *
 * The counters are per thread (the simulator is single-threaded per run; a
 * sweep uses processes), so there is no shared mutable state between runs.
 */
#ifndef VMMSIM_MEM_H
#define VMMSIM_MEM_H

#include <stddef.h>
#include <stdint.h>

void *mem_alloc(size_t size);                 /* NULL on failure */
void *mem_calloc(size_t n, size_t size);      /* zeroed; NULL on failure or overflow */
void *mem_realloc(void *p, size_t old, size_t size);
void  mem_free(void *p, size_t size);          /* size must be what was allocated */
char *mem_strdup(const char *s);               /* freed with mem_free(s, strlen(s)+1) */
void  mem_free_str(char *s);

/* Ask for transparent huge pages on the 2 MiB-aligned interior of [p, p+n)
 * (a hint for large tables probed at random, whose lookups would otherwise
 * miss the TLB; failure is harmless). */
void  mem_hint_huge(void *p, size_t n);

/* Bytes currently allocated through the funnel, and the peak. */
uint64_t mem_in_use(void);
uint64_t mem_peak(void);

/* Fault injection for tests: the n-th allocation from now (1 = the next one)
 * fails and so do all after it until mem_fail_reset(); 0 disables. */
void mem_fail_after(uint64_t n);
void mem_fail_reset(void);
int  mem_fail_triggered(void);

#endif
