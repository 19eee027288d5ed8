/* test_samples: the real page-reference traces scripts/make-traces.sh
 * records (traces/samples/{sort,xz,shuf}.vtr), read through the native
 * reader (traces/trace.h).
 *
 * Each sample is read to the end and summarised: records, reads, writes,
 * other ops, distinct pages, first and last time, and whether any two
 * consecutive records share page and op (the converter's --collapse removes
 * those, so none may remain). The distinct pages are counted in an
 * open-addressing set of page numbers (struct pageset; invariant: at most half
 * full, so probing always ends at an empty slot). The expected numbers were
 * checked by hand against `vmmsim trace info` and against a separate count
 * of the files' csv export (perl), see traces/README.md; a re-recorded sample
 * (another glibc, coreutils, xz or valgrind) must update them. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/mem.h"
#include "traces/trace.h"

#define SAMPLES "traces/samples/"
#define SET_SLOTS (1u << 15) /* > twice the largest footprint (2499 pages) */
#define SET_EMPTY UINT64_MAX
#define CHUNK 4096

struct pageset {
    uint64_t *slot; /* SET_SLOTS page numbers, SET_EMPTY where unused */
    uint32_t n;
};

struct summary {
    uint64_t records, reads, writes, others;
    uint64_t first_time, last_time;
    uint64_t repeats;     /* consecutive records with the same page and op */
    uint64_t backwards;   /* records whose time is below the previous one */
    uint64_t foreign;     /* records not of vm 0, pid 1 */
    uint32_t pages;
    char proc[TRACE_NAME_MAX];
    char ifetch[8], collapse[8];
};

struct expect {
    const char *file;
    uint64_t records, reads, writes;
    uint32_t pages;
    uint64_t last_time;
    const char *proc;
};

/* Hand-checked figures of the committed samples (first time is 2 in all:
 * the first data reference follows the program's first instruction fetch). */
static const struct expect samples[] = {
    {"sort.vtr", 539116, 384537, 154579, 2499, 5284638,
     "sort --parallel=1 -S 32M -o /dev/null input.txt"},
    {"xz.vtr", 710260, 457393, 252867, 1704, 4679813,
     "xz -3 -T1 -c words.txt"},
    {"shuf.vtr", 606225, 393766, 212459, 1720, 7058747,
     "shuf --random-source=random.bin -o /dev/null lines.txt"},
};

/* Add page to s; returns 1 if it was new. */
static int set_add(struct pageset *s, uint64_t page)
{
    uint32_t i = (uint32_t)((page * UINT64_C(0x9e3779b97f4a7c15)) >> 49) & (SET_SLOTS - 1);
    while (s->slot[i] != SET_EMPTY) {
        if (s->slot[i] == page)
            return 0;
        i = (i + 1) & (SET_SLOTS - 1);
    }
    ck_assert_uint_lt(s->n + 1, SET_SLOTS / 2);
    s->slot[i] = page;
    s->n++;
    return 1;
}

static void count(struct summary *m, struct pageset *set, const struct trace_rec *r,
                  const struct trace_rec *prev)
{
    if (m->records == 0)
        m->first_time = r->time;
    else {
        m->repeats += r->page == prev->page && r->op == prev->op;
        m->backwards += r->time < prev->time;
    }
    m->last_time = r->time;
    m->records++;
    m->reads += r->op == TRACE_READ;
    m->writes += r->op == TRACE_WRITE;
    m->others += r->op != TRACE_READ && r->op != TRACE_WRITE;
    m->foreign += r->vm != 0 || r->pid != 1;
    set_add(set, r->page);
}

static void copy_meta(char *dst, size_t n, const struct trace_header *h, const char *key)
{
    const char *v = trace_header_meta(h, key);
    snprintf(dst, n, "%s", v ? v : "(none)");
}

/* Read SAMPLES file to the end into m. */
static void summarise(const char *file, struct summary *m)
{
    char path[256];
    struct trace_reader *rd = NULL;
    struct trace_err err = {{0}};
    struct trace_rec *buf = mem_alloc(CHUNK * sizeof *buf);
    struct trace_rec prev = {0};
    struct pageset set = {mem_alloc(SET_SLOTS * sizeof(uint64_t)), 0};
    ssize_t got;

    ck_assert_ptr_nonnull(buf);
    ck_assert_ptr_nonnull(set.slot);
    memset(set.slot, 0xff, SET_SLOTS * sizeof(uint64_t));
    memset(m, 0, sizeof *m);
    snprintf(path, sizeof path, SAMPLES "%s", file);
    ck_assert_msg(trace_reader_open(path, &rd, &err) == 0, "%s", err.msg);
    const struct trace_header *h = trace_reader_header(rd);
    ck_assert_uint_eq(h->page_size, 4096);
    ck_assert_uint_eq(h->flags, 0);
    ck_assert_uint_eq(h->nprocs, 1);
    snprintf(m->proc, sizeof m->proc, "%s", h->procs[0].name);
    copy_meta(m->ifetch, sizeof m->ifetch, h, "lackey.ifetch");
    copy_meta(m->collapse, sizeof m->collapse, h, "lackey.collapse");
    while ((got = trace_read(rd, buf, CHUNK, &err)) > 0)
        for (ssize_t i = 0; i < got; i++) {
            count(m, &set, &buf[i], &prev);
            prev = buf[i];
        }
    ck_assert_msg(got == 0, "%s: %s", file, err.msg);
    ck_assert_uint_eq(trace_reader_records(rd), m->records);
    m->pages = set.n;
    trace_reader_close(rd);
    mem_free(set.slot, SET_SLOTS * sizeof(uint64_t));
    mem_free(buf, CHUNK * sizeof *buf);
}

START_TEST(test_sample_counts)
{
    const struct expect *e = &samples[_i];
    struct summary m;
    summarise(e->file, &m);
    ck_assert_uint_eq(m.records, e->records);
    ck_assert_uint_eq(m.reads, e->reads);
    ck_assert_uint_eq(m.writes, e->writes);
    ck_assert_uint_eq(m.others, 0);
    ck_assert_uint_eq(m.pages, e->pages);
    ck_assert_uint_eq(m.first_time, 2);
    ck_assert_uint_eq(m.last_time, e->last_time);
    ck_assert_str_eq(m.proc, e->proc);
}
END_TEST

/* What the recording promises of every sample: data references only, one
 * process (vm 0, pid 1), collapsed, time never going back. */
START_TEST(test_sample_shape)
{
    struct summary m;
    summarise(samples[_i].file, &m);
    ck_assert_str_eq(m.ifetch, "0");
    ck_assert_str_eq(m.collapse, "1");
    ck_assert_uint_eq(m.repeats, 0);
    ck_assert_uint_eq(m.backwards, 0);
    ck_assert_uint_eq(m.foreign, 0);
}
END_TEST

Suite *suite_samples(void)
{
    Suite *s = suite_create("samples");
    TCase *tc = tcase_create("core");
    int n = (int)(sizeof samples / sizeof samples[0]);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_sample_counts, 0, n);
    tcase_add_loop_test(tc, test_sample_shape, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
