/* test_sim: the two-level model on hand-worked scenarios (tests/scenario/),
 * its invariants, determinism, multi-host runs, memory accounting and
 * allocation-failure handling. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/model.h"
#include "tests/testutil.h"
#include "tests/unit/simutil.h"

struct expect {
    int counter;
    uint64_t value;
};

static void run_scenario(const char *file, const struct expect *e, size_t n)
{
    struct simrun r;
    ck_assert_msg(simrun_open(&r, file, NULL, NULL, 0) == 0, "%s: %s", file, r.err.msg);
    ck_assert_int_eq(r.p.check, 1);
    ck_assert_msg(sim_run(r.s) == 0, "%s: %s", file, r.s->err);
    ck_assert_int_eq(r.s->complete, 1);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(simrun_total(&r, e[i].counter) == e[i].value, "%s: %s = %llu, expected %llu", file,
                      vm_counter_names[e[i].counter], (unsigned long long)simrun_total(&r, e[i].counter),
                      (unsigned long long)e[i].value);
    simrun_close(&r);
}

#define RUN(file, ...)                                                     \
    do {                                                                   \
        const struct expect e_[] = {__VA_ARGS__};                          \
        run_scenario(file, e_, sizeof e_ / sizeof e_[0]);                  \
    } while (0)

/* Expected values are worked out by hand in each file's header comment. */
START_TEST(scenario_guest_fifo_loop)
{
    RUN("tests/scenario/guest-fifo-loop.yaml", {C_refs, 160}, {C_guest_faults, 160},
        {C_guest_major_faults, 80}, {C_guest_swapins, 80}, {C_guest_swapouts, 96}, {C_guest_drops, 0},
        {C_vmm_swapouts, 0}, {C_vmm_swapins, 0}, {C_double_paging, 0}, {C_false_swap_reads, 0});
}
END_TEST

START_TEST(scenario_double_paging_fifo)
{
    RUN("tests/scenario/double-paging-fifo.yaml", {C_guest_faults, 160}, {C_guest_major_faults, 80},
        {C_guest_swapins, 80}, {C_guest_swapouts, 96}, {C_guest_drops, 0}, {C_double_paging, 96},
        {C_vmm_swapins, 96}, {C_vmm_swapouts, 112}, {C_false_swap_reads, 0}, {C_silent_swap_writes, 0},
        {C_vmm_faults, 0});
}
END_TEST

START_TEST(scenario_false_reads_fifo)
{
    RUN("tests/scenario/false-reads-fifo.yaml", {C_guest_faults, 160}, {C_guest_major_faults, 80},
        {C_guest_swapins, 80}, {C_guest_swapouts, 80}, {C_guest_drops, 16}, {C_double_paging, 80},
        {C_false_swap_reads, 16}, {C_vmm_swapins, 96}, {C_vmm_swapouts, 112},
        {C_silent_swap_writes, 32}, {C_vmm_faults, 0});
}
END_TEST

START_TEST(scenario_vmm_fifo_loop)
{
    RUN("tests/scenario/vmm-fifo-loop.yaml", {C_guest_faults, 60}, {C_guest_swapouts, 0},
        {C_vmm_faults, 60}, {C_vmm_swapins, 60}, {C_vmm_swapouts, 72}, {C_double_paging, 0},
        {C_false_swap_reads, 0});
}
END_TEST

/* A busy multi-host, multi-VM, multi-process config, checked after every event. */
static const char *const busy_yaml =
    "name: busy\n"
    "seed: 3\n"
    "check_invariants: true\n"
    "hosts:\n"
    "  - name: a\n"
    "    memory: 1MiB\n"
    "    vmm: {policy: random, allocation: equal}\n"
    "    vms:\n"
    "      - {name: x, memory: 512KiB, vcpus: 2, guest: {policy: two-list},\n"
    "         workload: {kind: zipf, processes: 3, footprint: 200KiB, refs: 3000, alpha: 0.7}}\n"
    "      - {name: y, memory: 512KiB, guest: {policy: clock, kernel: 64KiB},\n"
    "         workload: {kind: hot-cold, footprint: 600KiB, refs: 6000}}\n"
    "  - name: b\n"
    "    memory: 2MiB\n"
    "    vmm: {policy: clock}\n"
    "    vms:\n"
    "      - {name: z, memory: 1MiB, limit: 50%, guest: {policy: lru},\n"
    "         workload: {kind: uniform, footprint: 1200KiB, refs: 8000, write_ratio: 50%}}\n"
    "  - name: c\n"          /* overcommitted by static limits: the hard-state path */
    "    memory: 1536KiB\n"
    "    vmm: {policy: fifo}\n"
    "    vms:\n"
    "      - {name: p, memory: 1MiB, workload: {kind: loop, footprint: 900KiB, refs: 4000}}\n"
    "      - {name: q, memory: 1MiB, workload: {kind: hot-cold, footprint: 900KiB, refs: 4000}}\n";

START_TEST(invariants_hold_on_busy_config)
{
    struct simrun r;
    ck_assert_msg(simrun_open(&r, "busy.yaml", busy_yaml, NULL, 0) == 0, "%s", r.err.msg);
    ck_assert_msg(sim_run(r.s) == 0, "%s", r.s->err);
    ck_assert_uint_eq(simrun_total(&r, C_refs), 3 * 3000 + 6000 + 8000 + 2 * 4000);
    ck_assert_uint_gt(simrun_total(&r, C_guest_swapouts), 0);
    ck_assert_uint_gt(simrun_total(&r, C_vmm_swapouts), 0);
    ck_assert_uint_eq(r.s->nhosts, 3);
    ck_assert_uint_eq(r.s->nvms, 5);
    /* Host c cannot back both VMs: the VMM swapped, though neither VM
     * exceeded its (100%) limit. */
    ck_assert_uint_gt(r.s->vms[3]->c[C_vmm_swapouts] + r.s->vms[4]->c[C_vmm_swapouts], 0);
    for (uint32_t i = 0; i < r.s->nvms; i++)
        ck_assert_uint_ne(r.s->vms[i]->finish_ns, 0);
    simrun_close(&r);
}
END_TEST

/* The checker itself must catch broken state (else the test above proves nothing). */
START_TEST(checker_detects_corruption)
{
    struct simrun r;
    ck_assert_msg(simrun_open(&r, "busy.yaml", busy_yaml, NULL, 0) == 0, "%s", r.err.msg);
    ck_assert_int_eq(sim_check(r.s), 0);
    struct vm *vm = r.s->vms[0];
    vm->host->free--;   /* a host frame vanishes */
    ck_assert_int_eq(sim_check(r.s), -1);
    ck_assert_ptr_nonnull(strstr(r.s->err, "free"));
    vm->host->free++;
    vm->g.pte[0] = PTE_P | PTE_S;   /* resident and swapped at once */
    ck_assert_int_eq(sim_check(r.s), -1);
    ck_assert_ptr_nonnull(strstr(r.s->err, "both resident and in swap"));
    vm->g.pte[0] = 0;
    vm->c[C_double_paging]++;       /* a swap-in counted twice */
    ck_assert_int_eq(sim_check(r.s), -1);
    vm->c[C_double_paging]--;
    ck_assert_int_eq(sim_check(r.s), 0);
    simrun_close(&r);
}
END_TEST

static char *summary_for_seed(const char *seed)
{
    char set[64];
    snprintf(set, sizeof set, "seed=%s", seed);
    const char *sets[] = {set, "check_invariants=false"};
    struct simrun r;
    ck_assert_msg(simrun_open(&r, "busy.yaml", busy_yaml, sets, 2) == 0, "%s", r.err.msg);
    ck_assert_int_eq(sim_run(r.s), 0);
    char *s = simrun_summary(&r);
    simrun_close(&r);
    return s;
}

START_TEST(same_seed_same_summary)
{
    char *a = summary_for_seed("11"), *b = summary_for_seed("11"), *c = summary_for_seed("12");
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    free(a);
    free(b);
    free(c);
}
END_TEST

/* Adding a VM must not change another VM's streams: with a host large enough
 * that they do not compete, vm y's counters are the same alone or not. */
START_TEST(streams_independent_of_other_vms)
{
    static const char *const one =
        "host: {memory: 64MiB, vms: [{name: y, memory: 512KiB,\n"
        "  workload: {kind: zipf, footprint: 600KiB, refs: 5000}}]}\n";
    static const char *const two =
        "host: {memory: 64MiB, vms: [{name: w, memory: 512KiB, workload: {kind: uniform, footprint: 100KiB}},\n"
        "  {name: y, memory: 512KiB, workload: {kind: zipf, footprint: 600KiB, refs: 5000}}]}\n";
    struct simrun a, b;
    ck_assert_msg(simrun_open(&a, "one.yaml", one, NULL, 0) == 0, "%s", a.err.msg);
    ck_assert_msg(simrun_open(&b, "two.yaml", two, NULL, 0) == 0, "%s", b.err.msg);
    ck_assert_int_eq(sim_run(a.s), 0);
    ck_assert_int_eq(sim_run(b.s), 0);
    ck_assert_mem_eq(a.s->vms[0]->c, b.s->vms[1]->c, sizeof a.s->vms[0]->c);
    ck_assert_uint_gt(a.s->vms[0]->c[C_guest_swapouts], 0);
    simrun_close(&a);
    simrun_close(&b);
}
END_TEST

START_TEST(memory_returns_and_alloc_failures_are_clean)
{
    uint64_t base = mem_in_use();
    struct simrun r;
    ck_assert_int_eq(simrun_open(&r, "busy.yaml", busy_yaml, NULL, 0), 0);
    simrun_close(&r);
    ck_assert_uint_eq(mem_in_use(), base);
    int done = 0;
    for (uint64_t n = 1; !done && n < 5000; n++) {
        mem_fail_after(n);
        int rc = simrun_open(&r, "busy.yaml", busy_yaml, NULL, 0);
        done = !mem_fail_triggered();
        if (!done)
            ck_assert_int_ne(rc, 0);
        simrun_close(&r);
        mem_fail_reset();
        ck_assert_msg(mem_in_use() == base, "leak after failing allocation %llu", (unsigned long long)n);
    }
    ck_assert_int_eq(done, 1);
}
END_TEST

/* Content tokens: kernel frames and the image share of each process hold the
 * OS image's pages (equal across VMs with the same image, different with
 * another image); other pages start zero; writes make pages private with
 * probability write_changes. */
START_TEST(content_model)
{
    static const char *const yaml =
        "host: {memory: 64MiB, vms: [\n"
        "  {name: a, memory: 1MiB, guest: {kernel: 64KiB, content: {image: deb, image_share: 50%}},\n"
        "   workload: {kind: loop, footprint: 512KiB, refs: 128, write_ratio: 0%}},\n"
        "  {name: b, memory: 1MiB, guest: {kernel: 64KiB, content: {image: deb, image_share: 50%, write_changes: 0%}},\n"
        "   workload: {kind: loop, footprint: 512KiB, refs: 256, write_ratio: 100%}},\n"
        "  {name: c, memory: 1MiB, guest: {kernel: 64KiB, content: {image: other, image_share: 50%}},\n"
        "   workload: {kind: loop, footprint: 512KiB, refs: 128, write_ratio: 0%}}]}\n";
    struct simrun r;
    ck_assert_msg(simrun_open(&r, "content.yaml", yaml, NULL, 0) == 0, "%s", r.err.msg);
    struct vm *a = r.s->vms[0], *b = r.s->vms[1], *c = r.s->vms[2];
    for (uint32_t f = 0; f < 16; f++) {
        ck_assert_uint_eq(a->g.content[f], b->g.content[f]);
        ck_assert_uint_ne(a->g.content[f], c->g.content[f]);
        ck_assert_uint_ne(a->g.content[f], CONTENT_ZERO);
        ck_assert_uint_lt(a->g.content[f], CONTENT_SWAPREF);
    }
    /* Stop long before the processes exit (and free their pages): short
     * slices, and a duration of a few dozen faults (2us each). */
    r.p.quantum_ns = 5000;
    r.p.duration_ns = 60000;
    ck_assert_int_eq(sim_run(r.s), 0);
    uint32_t image = 0, zero = 0, same = 0;
    for (uint32_t v = 0; v < 128; v++) {
        uint32_t pa = a->g.pte[v], pb = b->g.pte[v];
        if (!(pa & PTE_P) || !(pb & PTE_P))
            continue;
        uint32_t ta = a->g.content[pa & PTE_IDX], tb = b->g.content[pb & PTE_IDX];
        image += v < 64 && ta != CONTENT_ZERO && !(ta & CONTENT_PRIVATE);
        zero += v >= 64 && ta == CONTENT_ZERO;
        same += ta == tb;   /* b wrote every page, but writes never change contents */
    }
    ck_assert_uint_gt(image, 0);
    ck_assert_uint_gt(same, 0);
    simrun_close(&r);
}
END_TEST

START_TEST(evq_orders_by_time_then_insertion)
{
    struct evq q;
    evq_init(&q);
    static const uint64_t times[] = {50, 10, 50, 0, 10, 99, 50};
    for (uint32_t i = 0; i < 7; i++)
        ck_assert_int_eq(evq_push(&q, times[i], 1, 0, i), 0);
    static const uint32_t order[] = {3, 1, 4, 0, 2, 6, 5};
    struct event e;
    for (int i = 0; i < 7; i++) {
        ck_assert_int_eq(evq_pop(&q, &e), 1);
        ck_assert_uint_eq(e.b, order[i]);
        ck_assert_int_eq(evq_check(&q), 0);
    }
    ck_assert_int_eq(evq_pop(&q, &e), 0);
    evq_destroy(&q);
}
END_TEST

START_TEST(device_queueing_and_sequential_discount)
{
    struct device d;
    struct device_params p = {"custom", 100000, 20000, 4096ull * 1000000, 2};
    device_init(&d, &p, 4096);
    /* 4 KiB at 4096e6 B/s = 1000 ns of transfer. */
    ck_assert_uint_eq(device_submit(&d, 0, 10, 1, 0), 101000);      /* random, slot 0 */
    ck_assert_uint_eq(device_submit(&d, 0, 11, 1, 0), 21000);       /* sequential, slot 1 */
    ck_assert_uint_eq(device_submit(&d, 0, 50, 1, 1), 21000 + 101000); /* waits for slot 1 */
    ck_assert_uint_eq(d.st.reads, 2);
    ck_assert_uint_eq(d.st.writes, 1);
    ck_assert_uint_eq(d.st.seq_requests, 1);
    ck_assert_uint_eq(d.st.wait_ns, 21000);
}
END_TEST

Suite *suite_sim(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, scenario_guest_fifo_loop);
    tcase_add_test(tc, scenario_double_paging_fifo);
    tcase_add_test(tc, scenario_false_reads_fifo);
    tcase_add_test(tc, scenario_vmm_fifo_loop);
    tcase_add_test(tc, invariants_hold_on_busy_config);
    tcase_add_test(tc, checker_detects_corruption);
    tcase_add_test(tc, same_seed_same_summary);
    tcase_add_test(tc, streams_independent_of_other_vms);
    tcase_add_test(tc, memory_returns_and_alloc_failures_are_clean);
    tcase_add_test(tc, content_model);
    tcase_add_test(tc, evq_orders_by_time_then_insertion);
    tcase_add_test(tc, device_queueing_and_sequential_discount);
    suite_add_tcase(s, tc);
    return s;
}
