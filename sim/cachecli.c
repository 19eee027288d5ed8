/* cachecli: the `vmmsim cache` command. It parses the options, opens the
 * trace through the format registry (traces/tfmt.h), creates one cache
 * instance (sim/cache.c) per requested size, pumps the trace through all of
 * them in one pass, batch by batch, and prints per-size results as a table,
 * CSV or JSON, to stdout or atomically to a file.
 *
 * Main data structure: struct run, the options plus an array of struct inst
 * {cache, RNG, nanoseconds spent in that cache}. Each batch is fed to each
 * instance in turn and timed separately with CLOCK_MONOTONIC, so the
 * requests/s of one size do not include the others' work or the reading.
 *
 * Invariant: every instance has seen exactly the records read so far.
 */
#include "sim/cachecli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "policies/policy.h"
#include "sim/cache.h"
#include "sim/cachestack.h"
#include "sim/cli.h"
#include "sim/mem.h"
#include "traces/tfmt.h"

#define CMD "cache"
#define MAX_SIZES 64
#define BATCH 512
#define ID_BATCH 8192 /* long runs: each feed starts with a prefetch bubble */

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct inst {
    struct cache_sim *cache;
    gsl_rng *rng;
    uint64_t ns;
};

struct run {
    const char *policy, *from, *out, *trace, *sizes_arg;
    const struct repl_policy *ops;
    const struct tfmt_ops *tf;
    struct tfmt_opts topts;
    enum fmt fmt;
    uint32_t size[MAX_SIZES];
    size_t nsizes;
    struct inst inst[MAX_SIZES];
    int stack;                /* --stack: one Mattson pass for all sizes (lru) */
    struct cachestack *cs;
    uint64_t cs_ns;
    uint64_t records, wall_ns;
};

static void usage(void)
{
    fputs("usage: vmmsim cache --policy P --size N[,N2,...] [--format table|csv|json]\n"
          "                    [-o FILE] [--from FORMAT] [--page-size SIZE] TRACE\n\n"
          "Run replacement policy P on TRACE as a plain cache of N objects, for every\n"
          "size given, in one pass over the trace; print requests, hits, misses, miss\n"
          "ratio and requests/s per size.\n\n"
          "  --policy P      a name from 'vmmsim policies' (lru, fifo, clock, ...)\n"
          "  --size LIST     cache sizes in objects (pages), comma separated; k = 1000,\n"
          "                  M = 1000000 (e.g. 1000,10k,1M)\n"
          "  --format F      table (default), csv or json\n"
          "  -o FILE         write the results to FILE (atomically) instead of stdout\n"
          "  --from FORMAT   trace format (vmmsim, lackey, oracleGeneral, csv);\n"
          "                  default: guessed from the file\n"
          "  --page-size S   page size for address-based formats (default 4096)\n"
          "  --stack         lru only: all sizes from one stack-distance pass (Mattson);\n"
          "                  same misses as separate caches; requests/s is that pass's\n\n"
          "Semantics: a request to a cached object is a hit (its reference bit is\n"
          "set); a miss takes a free slot, else the policy's victim, and the object\n"
          "enters with its bit clear. Only read and write records are requests; other\n"
          "operations are counted as skipped. Object sizes are ignored: every object\n"
          "takes one slot (libCacheSim's ignore-obj-size). requests/s per size is the\n"
          "time spent in that size's cache; the pass line includes reading.\n"
          "Memory: about 40 bytes per slot, summed over the sizes.\n", stdout);
}

/* "100", "10k", "2M" -> count in 1..CACHE_MAX_SLOTS; 0 or -EINVAL. */
static int parse_count(const char *s, size_t len, uint32_t *out)
{
    uint64_t v = 0, mul = 1;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > CACHE_MAX_SLOTS)
            return -EINVAL;
    }
    if (i == 0)
        return -EINVAL;
    if (i + 1 == len && (s[i] == 'k' || s[i] == 'K'))
        mul = 1000;
    else if (i + 1 == len && s[i] == 'M')
        mul = 1000000;
    else if (i != len)
        return -EINVAL;
    v *= mul;
    if (v == 0 || v > CACHE_MAX_SLOTS)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int parse_sizes(struct run *r, const char *arg)
{
    r->nsizes = 0;
    r->sizes_arg = arg;
    for (const char *p = arg;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (r->nsizes == MAX_SIZES)
            return cli_usage_error(CMD, "--size: expected at most %d sizes, got more in '%s'",
                                   MAX_SIZES, arg);
        if (parse_count(p, len, &r->size[r->nsizes]) != 0)
            return cli_usage_error(CMD, "--size: expected a count of objects in 1..%u "
                                   "(optionally with k or M), got '%.*s'",
                                   (unsigned)CACHE_MAX_SLOTS, (int)len, p);
        r->nsizes++;
        if (!e)
            return 0;
        p = e;
    }
}

/* Bytes: "4096", "4KiB", "2MiB"; a power of two in 1..1 GiB. */
static int parse_page_size(struct run *r, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (end != arg && strcmp(end, "KiB") == 0)
        v <<= 10;
    else if (end != arg && strcmp(end, "MiB") == 0)
        v <<= 20;
    else if (end == arg || *end || errno)
        v = 0;
    if (arg[0] == '-' || v == 0 || v > (1ull << 30) || (v & (v - 1)))
        return cli_usage_error(CMD, "--page-size: expected a power of two number of bytes "
                               "(e.g. 4096 or 4KiB), got '%s'", arg);
    r->topts.page_size = (uint32_t)v;
    return 0;
}

static int parse_format(struct run *r, const char *arg)
{
    static const char *const names[] = {"table", "csv", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(arg, names[i]) == 0) {
            r->fmt = (enum fmt)i;
            return 0;
        }
    return cli_usage_error(CMD, "--format: expected table, csv or json, got '%s'", arg);
}

/* One option with its value; 0 or the exit status 2. */
static int take_option(struct run *r, const char *opt, const char *val)
{
    if (strcmp(opt, "--policy") == 0) {
        r->policy = val;
        return 0;
    }
    if (strcmp(opt, "--size") == 0)
        return parse_sizes(r, val);
    if (strcmp(opt, "--format") == 0)
        return parse_format(r, val);
    if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0) {
        r->out = val;
        return 0;
    }
    if (strcmp(opt, "--from") == 0) {
        r->from = val;
        return 0;
    }
    if (strcmp(opt, "--page-size") == 0)
        return parse_page_size(r, val);
    return cli_usage_error(CMD, "unknown option '%s'", opt);
}

static int is_valued(const char *a)
{
    static const char *const opts[] = {"--policy", "--size", "--format", "-o",
                                       "--output", "--from", "--page-size", NULL};
    for (int i = 0; opts[i]; i++)
        if (strcmp(a, opts[i]) == 0)
            return 1;
    return 0;
}

static int parse_args(struct run *r, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        int rc;
        if (a[0] == '-' && a[1] == '-' && eq) {
            char opt[32];
            snprintf(opt, sizeof opt, "%.*s", (int)(eq - a < 31 ? eq - a : 31), a);
            rc = take_option(r, opt, eq + 1);
        } else if (is_valued(a)) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "%s: expected a value, got nothing", a);
            rc = take_option(r, a, argv[++i]);
        } else if (strcmp(a, "--stack") == 0) {
            r->stack = 1;
            rc = 0;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (r->trace) {
            rc = cli_usage_error(CMD, "expected one TRACE, got a second one '%s'", a);
        } else {
            r->trace = a;
            rc = 0;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Everything the arguments must say; resolves policy and format. */
static int check_args(struct run *r)
{
    char names[512];
    if (!r->policy)
        return cli_usage_error(CMD, "--policy: expected a policy name, got nothing");
    r->ops = policy_find(r->policy);
    if (!r->ops)
        return cli_usage_error(CMD, "--policy: expected one of %s, got '%s'",
                               policy_names(names, sizeof names), r->policy);
    if (r->nsizes == 0)
        return cli_usage_error(CMD, "--size: expected a list of cache sizes, got nothing");
    if (r->stack && strcmp(r->ops->name, "lru") != 0 && strcmp(r->ops->name, "lru-oracle") != 0)
        return cli_usage_error(CMD, "--stack: expected --policy lru, got '%s'", r->ops->name);
    if (!r->trace)
        return cli_usage_error(CMD, "expected a TRACE file, got nothing");
    if (r->from) {
        r->tf = tfmt_find(r->from);
        if (!r->tf || !r->tf->open_read)
            return cli_usage_error(CMD, "--from: expected a readable format (%s), got '%s'",
                                   tfmt_names(names, sizeof names), r->from);
    } else {
        r->tf = tfmt_guess(r->trace);
        if (!r->tf || !r->tf->open_read)
            return cli_usage_error(CMD, "%s: cannot tell the trace format; expected a file "
                                   "of a known format or --from (%s)",
                                   r->trace, tfmt_names(names, sizeof names));
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void free_insts(struct run *r)
{
    cachestack_destroy(r->cs);
    for (size_t i = 0; i < r->nsizes; i++) {
        cache_destroy(r->inst[i].cache);
        if (r->inst[i].rng)
            gsl_rng_free(r->inst[i].rng);
    }
}

/* One RNG per instance, all seeded alike, so a randomized policy's result for
 * one size does not depend on the other sizes. 0 or -ENOMEM. */
static int make_insts(struct run *r)
{
    if (r->stack) {
        r->cs = cachestack_create(r->size, r->nsizes);
        return r->cs ? 0 : -ENOMEM;
    }
    for (size_t i = 0; i < r->nsizes; i++) {
        struct inst *in = &r->inst[i];
        in->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!in->rng)
            return -ENOMEM;
        gsl_rng_set(in->rng, 1);
        struct policy_args args = {.rng = in->rng};
        in->cache = cache_create(r->ops, &args, r->size[i]);
        if (!in->cache)
            return -ENOMEM;
    }
    return 0;
}

/* Feed one batch to every instance (or to the stack pass), timing each. A
 * format with read_pages (every record a request) hands bare page numbers. */
static void feed(struct run *r, const struct trace_rec *buf, const uint64_t *ids, size_t n)
{
    if (r->cs) {
        uint64_t t0 = now_ns();
        cachestack_feed(r->cs, buf, n);
        r->cs_ns += now_ns() - t0;
        return;
    }
    for (size_t i = 0; i < r->nsizes; i++) {
        uint64_t t0 = now_ns();
        if (ids)
            cache_feed_ids(r->inst[i].cache, ids, n);
        else
            cache_feed(r->inst[i].cache, buf, n);
        r->inst[i].ns += now_ns() - t0;
    }
}

/* The pass over the trace; 0, or the exit status with the message printed. */
static int pump(struct run *r, void *rd, struct trace_rec *buf, uint64_t *ids)
{
    struct trace_err err;
    if (!r->tf->read_pages || r->cs)
        ids = NULL;
    for (;;) {
        ssize_t n = ids ? r->tf->read_pages(rd, ids, ID_BATCH, &err) : r->tf->read(rd, buf, BATCH, &err);
        if (n == 0)
            return 0;
        if (n < 0) {
            fprintf(stderr, "vmmsim cache: %s\n", err.msg);
            return 2;
        }
        r->records += (uint64_t)n;
        feed(r, buf, ids, (size_t)n);
    }
}

static int simulate(struct run *r)
{
    struct trace_err err;
    struct trace_header h;
    void *rd = NULL;
    uint64_t t0 = now_ns();
    if (r->tf->open_read(r->trace, &r->topts, &rd, &h, &err) != 0) {
        fprintf(stderr, "vmmsim cache: %s\n", err.msg);
        return 2;
    }
    int rc = 1;
    struct trace_rec *buf = mem_alloc(BATCH * sizeof(*buf));
    uint64_t *ids = mem_alloc(ID_BATCH * sizeof(*ids));
    if (!buf || !ids || make_insts(r) != 0)
        fprintf(stderr, "vmmsim cache: out of memory for %zu caches (%s objects)\n",
                r->nsizes, r->sizes_arg);
    else
        rc = pump(r, rd, buf, ids);
    r->tf->close_read(rd);
    mem_free(buf, BATCH * sizeof(*buf));
    mem_free(ids, ID_BATCH * sizeof(*ids));
    r->wall_ns = now_ns() - t0;
    return rc;
}


/* Results of size i, from its cache or from the stack pass. */
static struct cache_stats size_stats(const struct run *r, size_t i, uint64_t *ns)
{
    if (r->cs) {
        struct cache_stats st = {cachestack_requests(r->cs), 0, cachestack_misses(r->cs, i),
                                 cachestack_skipped(r->cs)};
        st.hits = st.requests - st.misses;
        *ns = r->cs_ns;
        return st;
    }
    *ns = r->inst[i].ns;
    return *cache_stats(r->inst[i].cache);
}

static double rate(uint64_t n, uint64_t ns)
{
    return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void print_table(const struct run *r, FILE *f)
{
    fprintf(f, "%-10s %10s %12s %12s %12s %10s %12s\n", "policy", "size", "requests",
            "hits", "misses", "miss_ratio", "requests/s");
    for (size_t i = 0; i < r->nsizes; i++) {
        uint64_t ns;
        const struct cache_stats st = size_stats(r, i, &ns), *s = &st;
        fprintf(f, "%-10s %10u %12llu %12llu %12llu %10.6f %12.0f\n", r->ops->name,
                (unsigned)r->size[i], (unsigned long long)s->requests,
                (unsigned long long)s->hits, (unsigned long long)s->misses,
                ratio(s->misses, s->requests), rate(s->requests, ns));
    }
    uint64_t ns0;
    const struct cache_stats st0 = size_stats(r, 0, &ns0), *s0 = &st0;
    fprintf(f, "pass: %llu records (%llu skipped) in %.3f s, %.0f records/s\n",
            (unsigned long long)r->records, (unsigned long long)s0->skipped,
            (double)r->wall_ns / 1e9, rate(r->records, r->wall_ns));
}

static void print_csv(const struct run *r, FILE *f)
{
    fputs("policy,size,requests,hits,misses,skipped,miss_ratio,requests_per_s,pass_wall_s\n", f);
    for (size_t i = 0; i < r->nsizes; i++) {
        uint64_t ns;
        const struct cache_stats st = size_stats(r, i, &ns), *s = &st;
        fprintf(f, "%s,%u,%llu,%llu,%llu,%llu,%.6f,%.0f,%.6f\n", r->ops->name,
                (unsigned)r->size[i], (unsigned long long)s->requests,
                (unsigned long long)s->hits, (unsigned long long)s->misses,
                (unsigned long long)s->skipped, ratio(s->misses, s->requests),
                rate(s->requests, ns), (double)r->wall_ns / 1e9);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_json(const struct run *r, FILE *f)
{
    uint64_t ns0;
    const struct cache_stats st0 = size_stats(r, 0, &ns0), *s0 = &st0;
    fputs("{\"trace\": ", f);
    json_str(f, r->trace);
    fprintf(f, ", \"format\": \"%s\", \"policy\": \"%s\", \"records\": %llu, "
            "\"skipped\": %llu, \"pass_wall_s\": %.6f, \"sizes\": [",
            r->tf->name, r->ops->name, (unsigned long long)r->records,
            (unsigned long long)s0->skipped, (double)r->wall_ns / 1e9);
    for (size_t i = 0; i < r->nsizes; i++) {
        uint64_t ns;
        const struct cache_stats st = size_stats(r, i, &ns), *s = &st;
        fprintf(f, "%s\n  {\"size\": %u, \"requests\": %llu, \"hits\": %llu, \"misses\": %llu, "
                "\"miss_ratio\": %.6f, \"requests_per_s\": %.0f}", i ? "," : "",
                (unsigned)r->size[i], (unsigned long long)s->requests,
                (unsigned long long)s->hits, (unsigned long long)s->misses,
                ratio(s->misses, s->requests), rate(s->requests, ns));
    }
    fputs("\n]}\n", f);
}

static void print_results(const struct run *r, FILE *f)
{
    if (r->fmt == FMT_CSV)
        print_csv(r, f);
    else if (r->fmt == FMT_JSON)
        print_json(r, f);
    else
        print_table(r, f);
}

/* Write to a temporary file beside path, then rename it into place. */
static int write_atomic(const struct run *r, const char *path)
{
    size_t len = strlen(path) + 16;
    char *tmp = mem_alloc(len);
    if (!tmp)
        return -ENOMEM;
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp), rc = 0;
    if (fd >= 0)
        fchmod(fd, 0644); /* mkstemp's 0600 would hide results from others */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
    } else {
        print_results(r, f);
        if (ferror(f))
            rc = -EIO;
        if (fclose(f) != 0 && rc == 0)
            rc = -errno;
        if (rc == 0 && rename(tmp, path) != 0)
            rc = -errno;
    }
    if (rc != 0 && fd >= 0)
        unlink(tmp);
    mem_free(tmp, len);
    return rc;
}

int cachecli_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            usage();
            return 0;
        }
    struct run *r = mem_calloc(1, sizeof(*r));
    if (!r) {
        fputs("vmmsim cache: out of memory\n", stderr);
        return 1;
    }
    tfmt_opts_default(&r->topts);
    int rc = parse_args(r, argc, argv);
    if (rc == 0)
        rc = check_args(r);
    if (rc == 0)
        rc = simulate(r);
    if (rc == 0 && r->out) {
        int e = write_atomic(r, r->out);
        if (e != 0) {
            fprintf(stderr, "vmmsim cache: %s: cannot write: %s\n", r->out, strerror(-e));
            rc = 1;
        }
    } else if (rc == 0) {
        print_results(r, stdout);
    }
    free_insts(r);
    mem_free(r, sizeof(*r));
    return rc;
}
