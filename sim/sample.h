/* sample: the time series (timeseries.csv), one row per VM per sample.
 *
 * Columns (sizes in MiB, rates per simulated second over the last interval):
 *   time_s, host, vm, target_mib, resident_mib, vmm_swapped_mib, unbacked_mib,
 *   guest_used_mib, guest_swapped_mib, host_free_mib, host_state,
 *   guest_faults_per_s, guest_swapouts_per_s, vmm_swapins_per_s,
 *   vmm_swapouts_per_s, double_paging_per_s, refs_per_s
 * resident + vmm_swapped + unbacked = the VM's memory (the stacked plot).
 */
#ifndef VMMSIM_SAMPLE_H
#define VMMSIM_SAMPLE_H

#include <stdio.h>

#include "sim/model.h"

void sample_header(FILE *out);
/* Append one row per VM for time s->now (no-op when s->ts is NULL). */
void sample_write(struct sim *s);

#endif
