/* summary: hand-written JSON (the schema is small and fixed); numbers are
 * integers or fixed-precision decimals so output is byte-stable. */
#include "sim/summary.h"

#include <errno.h>

#include "sim/vmm.h"

static void counters(FILE *out, const uint64_t *c, const char *indent)
{
    for (int i = 0; i < C_COUNT; i++)
        fprintf(out, "%s\"%s\": %llu,\n", indent, vm_counter_names[i], (unsigned long long)c[i]);
}

uint64_t summary_runtime_ns(const struct sim *s, const struct vm *vm)
{
    return vm->finish_ns ? vm->finish_ns : s->now;
}

static void device_json(FILE *out, const char *name, const struct device *d, const char *indent)
{
    fprintf(out, "%s\"%s\": {\"reads\": %llu, \"writes\": %llu, \"sequential\": %llu, "
                 "\"busy_s\": %.6f, \"queue_wait_s\": %.6f},\n",
            indent, name, (unsigned long long)d->st.reads, (unsigned long long)d->st.writes,
            (unsigned long long)d->st.seq_requests, (double)d->st.busy_ns / 1e9,
            (double)d->st.wait_ns / 1e9);
}

static void vm_json(FILE *out, const struct sim *s, const struct vm *vm, int last)
{
    double mib = (double)s->p->page_size / (1024.0 * 1024.0);
    fprintf(out, "        {\n          \"name\": \"%s\",\n", vm->name);
    fprintf(out, "          \"memory_mib\": %.3f,\n          \"target_mib\": %.3f,\n",
            vm->g.nframes * mib, vm->m.target * mib);
    fprintf(out, "          \"resident_mib\": %.3f,\n          \"vmm_swapped_mib\": %.3f,\n",
            vm->m.resident * mib, vm->m.swapped * mib);
    fprintf(out, "          \"finished\": %s,\n", vm->finish_ns ? "true" : "false");
    fprintf(out, "          \"runtime_s\": %.9f,\n", (double)summary_runtime_ns(s, vm) / 1e9);
    device_json(out, "guest_swap_device", &vm->g.swapdev, "          ");
    counters(out, vm->c, "          ");
    if (vm->wl.procs && (vm->wl.procs[0].ops->flags & WL_DERIVES))
        fprintf(out, "          \"trace_records_skipped\": %llu,\n",
                (unsigned long long)workload_set_skipped(&vm->wl));
    fprintf(out, "          \"processes\": %u\n        }%s\n", vm->g.nprocs, last ? "" : ",");
}

static void host_json(FILE *out, const struct sim *s, const struct host *h, int last)
{
    uint64_t c[C_COUNT] = {0};
    for (uint32_t i = 0; i < h->nvms; i++)
        for (int k = 0; k < C_COUNT; k++)
            c[k] += h->vms[i].c[k];
    fprintf(out, "    {\n      \"name\": \"%s\",\n      \"memory_mib\": %.3f,\n", h->p->name,
            (double)h->nframes * s->p->page_size / (1024.0 * 1024.0));
    fprintf(out, "      \"free_mib\": %.3f,\n      \"state\": \"%s\",\n",
            (double)h->free * s->p->page_size / (1024.0 * 1024.0), vmm_state_name(vmm_host_state(h)));
    device_json(out, "host_swap_device", &h->swapdev, "      ");
    counters(out, c, "      ");
    fprintf(out, "      \"vms\": [\n");
    for (uint32_t i = 0; i < h->nvms; i++)
        vm_json(out, s, &h->vms[i], i + 1 == h->nvms);
    fprintf(out, "      ]\n    }%s\n", last ? "" : ",");
}

int summary_write(const struct sim *s, FILE *out)
{
    uint64_t c[C_COUNT] = {0}, runtime = 0;
    for (uint32_t i = 0; i < s->nvms; i++) {
        for (int k = 0; k < C_COUNT; k++)
            c[k] += s->vms[i]->c[k];
        uint64_t r = summary_runtime_ns(s, s->vms[i]);
        runtime = r > runtime ? r : runtime;
    }
    fprintf(out, "{\n  \"vmmsim_version\": \"%s\",\n  \"name\": \"%s\",\n", VMMSIM_VERSION, s->p->name);
    fprintf(out, "  \"seed\": %llu,\n  \"complete\": %s,\n", (unsigned long long)s->p->seed,
            s->complete ? "true" : "false");
    fprintf(out, "  \"sim_time_s\": %.9f,\n  \"events\": %llu,\n", (double)s->now / 1e9,
            (unsigned long long)s->events);
    fprintf(out, "  \"totals\": {\n    \"runtime_s\": %.9f,\n", (double)runtime / 1e9);
    counters(out, c, "    ");
    fprintf(out, "    \"vms\": %u\n  },\n  \"hosts\": [\n", s->nvms);
    for (uint32_t i = 0; i < s->nhosts; i++)
        host_json(out, s, &s->hosts[i], i + 1 == s->nhosts);
    fprintf(out, "  ]\n}\n");
    return ferror(out) ? -EIO : 0;
}
