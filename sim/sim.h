/* sim: one simulation run: build the model from parameters, run the event
 * loop, sample time series, check invariants, tear down.
 *
 * Event kinds: a vCPU becoming free (EV_VCPU), a blocked process waking
 * (EV_WAKE), a guest's kswapd (EV_KSWAPD), a time-series sample (EV_SAMPLE).
 * The run ends when every VM's processes have exited, at duration, or when
 * *stop becomes non-zero (SIGINT; the run is then marked incomplete).
 */
#ifndef VMMSIM_SIM_H
#define VMMSIM_SIM_H

#include "sim/model.h"

enum ev_kind { EV_VCPU = 1, EV_WAKE, EV_KSWAPD, EV_SAMPLE };

/* Build every host and VM. Returns NULL with err set (config errors in the
 * workload sections are positioned; resource errors name the VM). */
struct sim *sim_create(const struct exp_params *p, struct cfg_err *err);
void sim_destroy(struct sim *s);

/* Run to the end. 0 on success (also when stopped early: see s->complete);
 * negative with s->err set when the model fails (out of memory and swap). */
int sim_run(struct sim *s);

/* Schedule an event. Never allocates: sim_create reserves room for the
 * most events that can be pending; exceeding it is a bug (panic). */
void sim_push(struct sim *s, uint64_t time, enum ev_kind kind, uint16_t a, uint32_t b);

/* Check every invariant; 0 or -1 with s->err describing the first broken one. */
int sim_check(struct sim *s);

/* Bytes of model state (through sim/mem.h) and number of guest pages. */
uint64_t sim_guest_pages(const struct sim *s);

#endif
