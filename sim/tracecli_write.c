/* tracecli_write: the trace commands that write a trace: `trace gen`
 * (tracegen, generating in a second thread while this one writes) and
 * `trace convert` (tfmt_convert). Both write their
 * output atomically through the tfmt writers, print one summary line, and
 * keep next-access values on conversion (tfmt_opts.keep_next) so that
 * oracleGeneral -> vmmsim -> oracleGeneral is byte-identical.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/tracecli_priv.h"
#include "sim/tracegen.h"

/* ---- gen and convert ------------------------------------------------------------ */

static int gen_opt(int argc, char **argv, int *i, struct tracegen_opts *o)
{
    const char *cmd = "trace gen", *a = argv[*i], *v;
    uint64_t x;
    int missing = 0;
    if (strcmp(a, "--sparse-ids") == 0) {
        o->sparse_ids = 1;
    } else if ((v = tracecli_opt_value("--workload", argc, argv, i, &missing))) {
        o->spec = v;
    } else if ((v = tracecli_opt_value("--seed", argc, argv, i, &missing))) {
        if (tracecli_parse_u64(v, UINT64_MAX, &x) < 0)
            return cli_usage_error(cmd, "--seed: expected an unsigned integer, got \"%s\"", v);
        o->seed = x;
        o->seed_set = 1;
    } else if ((v = tracecli_opt_value("--page-size", argc, argv, i, &missing))) {
        if (tracecli_parse_page_size(v, &o->page_size) < 0)
            return cli_usage_error(cmd, "--page-size: expected a power of two from 512B to 1GiB, got \"%s\"", v);
    } else if ((v = tracecli_opt_value("--to", argc, argv, i, &missing))) {
        if (!(o->to = tracecli_find_format(cmd, "--to", v, 1)))
            return 2;
    } else if ((v = tracecli_opt_value("-o", argc, argv, i, &missing))) {
        o->out = v;
    } else if (missing) {
        return cli_usage_error(cmd, "%s: expected a value, got nothing", a);
    } else if (a[0] == '-' && a[1]) {
        return cli_usage_error(cmd, "unknown option '%s'", a);
    } else if (o->config) {
        return cli_usage_error(cmd, "expected one CONFIG.yaml, got a second one \"%s\"", a);
    } else {
        o->config = a;
    }
    return 0;
}

static ssize_t gen_fill(void *g, void *buf, struct trace_err *err)
{
    return (ssize_t)tracegen_fill(g, buf, TRACEGEN_BATCH);
}

static ssize_t gen_next(void *pipe, const struct trace_rec **recs, struct trace_err *err)
{
    const void *buf;
    ssize_t n = tracecli_pipe_next(pipe, &buf, err);
    *recs = buf;
    return n;
}

/* tracegen_run with the generators in a second thread when one starts. */
static int generate(const struct tracegen_opts *o, struct tracegen_result *res, char *err, size_t errsize)
{
    struct tracegen *g;
    memset(res, 0, sizeof *res);
    int rc = tracegen_open(o, &g, err, errsize);
    if (rc < 0)
        return rc;
    struct tracecli_pipe *pipe = tracecli_pipe_start(gen_fill, g, TRACEGEN_BATCH * sizeof(struct trace_rec));
    rc = tracegen_write(g, pipe ? gen_next : NULL, pipe, &res->records, err, errsize);
    tracecli_pipe_stop(pipe);
    res->vms = tracegen_header(g)->nvms;
    res->procs = tracegen_header(g)->nprocs;
    tracegen_close(g);
    return rc;
}

int tracecli_gen(int argc, char **argv)
{
    const char *cmd = "trace gen";
    struct tracegen_opts o = {.to = tfmt_find("vmmsim")};
    struct tracegen_result res;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        int rc = gen_opt(argc, argv, &i, &o);
        if (rc)
            return rc;
    }
    if (!o.spec == !o.config)
        return cli_usage_error(cmd, "expected --workload SPEC or CONFIG.yaml, got %s",
                               o.spec ? "both" : "neither");
    if (!o.out)
        return cli_usage_error(cmd, "missing -o OUT");
    if (!o.to)
        return cli_usage_error(cmd, "--to: no trace formats are built in");
    double t0 = tracecli_now();
    int rc = generate(&o, &res, err, sizeof err);
    double dt = tracecli_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "%s\n", err);
        return rc == -EINVAL ? 2 : 1;
    }
    printf("%s: %" PRIu64 " records, %" PRIu32 " VMs, %" PRIu32 " processes, %" PRIu64
           " bytes (%s), %.0f records/s\n",
           o.out, res.records, res.vms, res.procs, tracecli_file_size(o.out), o.to->name, dt > 0 ? res.records / dt : 0.0);
    return 0;
}

struct conv {
    const struct tfmt_ops *from, *to;
    struct tfmt_opts o;
    const char *in, *out;
};

static int conv_opt(int argc, char **argv, int *i, struct conv *c)
{
    const char *cmd = "trace convert", *a = argv[*i], *v;
    uint64_t x;
    int missing = 0;
    if (strcmp(a, "--no-ifetch") == 0) {
        c->o.ifetch = 0;
    } else if (strcmp(a, "--collapse") == 0) {
        c->o.collapse = 1;
    } else if ((v = tracecli_opt_value("--from", argc, argv, i, &missing))) {
        if (!(c->from = tracecli_find_format(cmd, "--from", v, 0)))
            return 2;
    } else if ((v = tracecli_opt_value("--to", argc, argv, i, &missing))) {
        if (!(c->to = tracecli_find_format(cmd, "--to", v, 1)))
            return 2;
    } else if ((v = tracecli_opt_value("--page-size", argc, argv, i, &missing))) {
        if (tracecli_parse_page_size(v, &c->o.page_size) < 0)
            return cli_usage_error(cmd, "--page-size: expected a power of two from 512B to 1GiB, got \"%s\"", v);
    } else if ((v = tracecli_opt_value("--vm", argc, argv, i, &missing))) {
        if (tracecli_parse_u64(v, UINT16_MAX, &x) < 0)
            return cli_usage_error(cmd, "--vm: expected a VM index from 0 to 65535, got \"%s\"", v);
        c->o.vm = (uint16_t)x;
    } else if ((v = tracecli_opt_value("--pid", argc, argv, i, &missing))) {
        if (tracecli_parse_u64(v, UINT32_MAX, &x) < 0)
            return cli_usage_error(cmd, "--pid: expected a process id from 0 to 4294967295, got \"%s\"", v);
        c->o.pid = (uint32_t)x;
    } else if (missing) {
        return cli_usage_error(cmd, "%s: expected a value, got nothing", a);
    } else if (a[0] == '-' && a[1] && strcmp(a, "-") != 0) {
        return cli_usage_error(cmd, "unknown option '%s'", a);
    } else if (!c->in || !c->out) {
        *(c->in ? &c->out : &c->in) = a;
    } else {
        return cli_usage_error(cmd, "expected IN and OUT, got a third file \"%s\"", a);
    }
    return 0;
}

int tracecli_convert(int argc, char **argv)
{
    const char *cmd = "trace convert";
    struct conv c = {0};
    struct trace_err err = {{0}};
    uint64_t n = 0;
    tfmt_opts_default(&c.o);
    c.o.keep_next = 1;
    for (int i = 1; i < argc; i++) {
        int rc = conv_opt(argc, argv, &i, &c);
        if (rc)
            return rc;
    }
    if (!c.out)
        return cli_usage_error(cmd, "expected IN and OUT, got %s", c.in ? "only IN" : "neither");
    if (!c.from && !(c.from = tfmt_guess(c.in)))
        return cli_usage_error(cmd, "cannot guess the format of \"%s\"; expected --from FORMAT", c.in);
    if (!c.to && !(c.to = tfmt_guess(c.out)))
        c.to = tfmt_find("vmmsim");
    if (!c.to || !c.to->open_write)
        return cli_usage_error(cmd, "--to: expected a writable format for \"%s\"", c.out);
    int rc = tfmt_convert(c.from, c.in, c.to, c.out, &c.o, &n, &err);
    if (rc < 0)
        return tracecli_report(&err, rc);
    printf("%s (%s) -> %s (%s): %" PRIu64 " records, %" PRIu64 " bytes\n", c.in, c.from->name, c.out, c.to->name,
           n, tracecli_file_size(c.out));
    return 0;
}
