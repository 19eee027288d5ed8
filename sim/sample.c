/* sample: time-series rows from the model's counters.
 * Rates use the counter values saved at the previous sample (vm->c_last)
 * and its time (s->last_sample), so each row covers (previous, now]. */
#include "sim/sample.h"

#include <string.h>

#include "sim/guest.h"
#include "sim/vmm.h"

void sample_header(FILE *out)
{
    fputs("time_s,host,vm,target_mib,resident_mib,vmm_swapped_mib,unbacked_mib,"
          "guest_used_mib,guest_swapped_mib,host_free_mib,host_state,"
          "guest_faults_per_s,guest_swapouts_per_s,vmm_swapins_per_s,"
          "vmm_swapouts_per_s,double_paging_per_s,refs_per_s\n", out);
}

static void write_vm(FILE *out, const struct sim *s, struct vm *vm, double dt)
{
    double mib = (double)s->p->page_size / (1024.0 * 1024.0);
    const struct host *h = vm->host;
    const struct guest *g = &vm->g;
    uint32_t unbacked = g->nframes - vm->m.resident - vm->m.swapped;
#define RATE(k) (dt > 0 ? (double)(vm->c[k] - vm->c_last[k]) / dt : 0.0)
    fprintf(out, "%.6f,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n",
            (double)s->now / 1e9, h->p->name, vm->name, vm->m.target * mib, vm->m.resident * mib,
            vm->m.swapped * mib, unbacked * mib, (g->nframes - g->nfree - g->nkernel) * mib,
            guest_swapped_pages(vm) * mib, (double)h->free * mib,
            vmm_state_name(vmm_host_state(h)), RATE(C_guest_faults), RATE(C_guest_swapouts),
            RATE(C_vmm_swapins), RATE(C_vmm_swapouts), RATE(C_double_paging), RATE(C_refs));
#undef RATE
    memcpy(vm->c_last, vm->c, sizeof vm->c);
}

void sample_write(struct sim *s)
{
    if (!s->ts)
        return;
    double dt = (double)(s->now - s->last_sample) / 1e9;
    for (uint32_t i = 0; i < s->nvms; i++)
        write_vm(s->ts, s, s->vms[i], dt);
    s->last_sample = s->now;
}
