/* summary: summary.json, the run's counters per VM, per host and in total.
 * It holds nothing that varies between identical runs (no times of day, no
 * host names, no wall time), so one config and seed give identical bytes. */
#ifndef VMMSIM_SUMMARY_H
#define VMMSIM_SUMMARY_H

#include <stdio.h>

#include "sim/model.h"

#define VMMSIM_VERSION "0.1.0"

/* 0, or -EIO if writing failed. */
int summary_write(const struct sim *s, FILE *out);

/* A VM's runtime: its finish time, or the end of the run if unfinished. */
uint64_t summary_runtime_ns(const struct sim *s, const struct vm *vm);

#endif
