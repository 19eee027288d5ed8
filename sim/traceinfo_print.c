/* traceinfo_print: the report of `vmmsim trace info`, as aligned text or as
 * one JSON object, from a finished scan (sim/traceinfo.c) and the file's
 * header.
 *
 * Text layout: one "label: value" line per fact, then a per-VM and a
 * per-process table with fixed columns. Only the decode speed lines vary
 * between runs on the same file; everything else is a pure function of the
 * trace.
 */
#include "sim/traceinfo.h"

#include <errno.h>
#include <inttypes.h>

static double per_rec(uint64_t bytes, uint64_t recs) { return recs ? (double)bytes / (double)recs : 0.0; }

static double rate(uint64_t recs, double s) { return s > 0 ? (double)recs / s : 0.0; }

static uint64_t span(const struct traceinfo *ti) { return ti->records ? ti->max_time - ti->min_time : 0; }

/* ---- text ------------------------------------------------------------------ */

static void text_header(FILE *out, const struct traceinfo_file *f)
{
    const struct trace_header *h = f->h;
    fprintf(out, "trace:       %s\n", f->path);
    fprintf(out, "format:      %s, version %" PRIu32 ", page size %" PRIu32 ", flags 0x%" PRIx32 "%s%s\n",
            f->format, h->version, h->page_size, h->flags, h->flags & TRACE_F_NEXT ? " next" : "",
            h->flags & TRACE_F_SIZES ? " sizes" : "");
    char label[48];
    for (uint32_t i = 0; i < h->nvms; i++) {
        snprintf(label, sizeof label, "vm %" PRIu32 ":", i);
        fprintf(out, "%-12s %s, memory %" PRIu64 "\n", label, h->vms[i].name, h->vms[i].memory);
    }
    for (uint32_t i = 0; i < h->nprocs; i++) {
        snprintf(label, sizeof label, "process %u/%" PRIu32 ":", h->procs[i].vm, h->procs[i].pid);
        fprintf(out, "%-12s %s\n", label, h->procs[i].name);
    }
    for (uint32_t i = 0; i < h->nmeta; i++)
        fprintf(out, "meta:        %s = %s\n", h->meta[i].key, h->meta[i].value);
}

static void text_ops(FILE *out, const struct traceinfo *ti)
{
    const char *sep = "";
    fputs("ops:        ", out);
    for (unsigned op = 0; op <= TRACE_NOPS; op++) {
        if (!ti->ops[op])
            continue;
        const char *name = op < TRACE_NOPS ? trace_op_name(op) : NULL;
        fprintf(out, "%s %s %" PRIu64, sep, name ? name : "unknown", ti->ops[op]);
        sep = ",";
    }
    fputs(ti->records ? "\n" : " none\n", out);
}

static void text_table(FILE *out, const char *title, const struct traceinfo_count *c, uint32_t n, int procs,
                       uint32_t page_size)
{
    fprintf(out, "%s\n  %5s %10s %14s %14s %14s %12s %16s\n", title, "vm", procs ? "pid" : "processes", "records",
            "reads", "writes", "pages", "bytes");
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "  %5u %10" PRIu32 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %16" PRIu64 "\n",
                c[i].vm, c[i].pid, c[i].records, c[i].reads, c[i].writes, c[i].pages, c[i].pages * page_size);
}

static void print_text(FILE *out, const struct traceinfo_file *f, const struct traceinfo *ti)
{
    uint32_t ps = f->h->page_size;
    text_header(out, f);
    fprintf(out, "records:     %" PRIu64 " in %" PRIu64 " blocks, %" PRIu64 " bytes, %.3f bytes/record\n",
            ti->records, f->blocks, f->file_bytes, per_rec(f->file_bytes, ti->records));
    fprintf(out, "duration:    %" PRIu64 " ns (first %" PRIu64 ", last %" PRIu64 ")\n", span(ti), ti->first_time,
            ti->last_time);
    text_ops(out, ti);
    fprintf(out, "footprint:   %" PRIu64 " pages, %" PRIu64 " bytes\n", ti->pages, ti->pages * ps);
    text_table(out, "per vm:", ti->vms, ti->nvms, 0, ps);
    text_table(out, "per process:", ti->procs, ti->nprocs, 1, ps);
    fprintf(out, "decode:      %.0f records/s, %.1f MB/s (%.3f s)\n", rate(ti->records, f->seconds),
            rate(f->file_bytes, f->seconds) / 1e6, f->seconds);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_header(FILE *out, const struct traceinfo_file *f)
{
    const struct trace_header *h = f->h;
    fputs("{\"file\": ", out);
    json_str(out, f->path);
    fputs(", \"format\": ", out);
    json_str(out, f->format);
    fprintf(out, ", \"version\": %" PRIu32 ", \"page_size\": %" PRIu32 ", \"flags\": %" PRIu32 ",\n \"vms\": [",
            h->version, h->page_size, h->flags);
    for (uint32_t i = 0; i < h->nvms; i++) {
        fprintf(out, "%s{\"index\": %" PRIu32 ", \"name\": ", i ? ", " : "", i);
        json_str(out, h->vms[i].name);
        fprintf(out, ", \"memory\": %" PRIu64 "}", h->vms[i].memory);
    }
    fputs("],\n \"processes\": [", out);
    for (uint32_t i = 0; i < h->nprocs; i++) {
        fprintf(out, "%s{\"vm\": %u, \"pid\": %" PRIu32 ", \"name\": ", i ? ", " : "", h->procs[i].vm,
                h->procs[i].pid);
        json_str(out, h->procs[i].name);
        fputc('}', out);
    }
    fputs("],\n \"meta\": {", out);
    for (uint32_t i = 0; i < h->nmeta; i++) {
        fputs(i ? ", " : "", out);
        json_str(out, h->meta[i].key);
        fputs(": ", out);
        json_str(out, h->meta[i].value);
    }
    fputs("},\n", out);
}

static void json_table(FILE *out, const char *key, const struct traceinfo_count *c, uint32_t n, int procs,
                       uint32_t page_size)
{
    fprintf(out, " \"%s\": [", key);
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s{\"vm\": %u, \"%s\": %" PRIu32 ", \"records\": %" PRIu64 ", \"reads\": %" PRIu64
                     ", \"writes\": %" PRIu64 ", \"pages\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
                i ? ",\n   " : "", c[i].vm, procs ? "pid" : "processes", c[i].pid, c[i].records, c[i].reads,
                c[i].writes, c[i].pages, c[i].pages * page_size);
    fputs("]", out);
}

static void print_json(FILE *out, const struct traceinfo_file *f, const struct traceinfo *ti)
{
    uint32_t ps = f->h->page_size;
    json_header(out, f);
    fprintf(out, " \"records\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"file_bytes\": %" PRIu64
                 ", \"bytes_per_record\": %.3f,\n",
            ti->records, f->blocks, f->file_bytes, per_rec(f->file_bytes, ti->records));
    fprintf(out, " \"first_time\": %" PRIu64 ", \"last_time\": %" PRIu64 ", \"duration_ns\": %" PRIu64 ",\n",
            ti->first_time, ti->last_time, span(ti));
    fputs(" \"ops\": {", out);
    for (unsigned op = 0; op < TRACE_NOPS; op++)
        fprintf(out, "%s\"%s\": %" PRIu64, op ? ", " : "", trace_op_name(op), ti->ops[op]);
    fprintf(out, ", \"unknown\": %" PRIu64 "},\n", ti->ops[TRACE_NOPS]);
    fprintf(out, " \"footprint_pages\": %" PRIu64 ", \"footprint_bytes\": %" PRIu64 ",\n", ti->pages,
            ti->pages * ps);
    json_table(out, "per_vm", ti->vms, ti->nvms, 0, ps);
    fputs(",\n", out);
    json_table(out, "per_process", ti->procs, ti->nprocs, 1, ps);
    fprintf(out, ",\n \"decode_seconds\": %.6f, \"records_per_second\": %.0f}\n", f->seconds,
            rate(ti->records, f->seconds));
}

int traceinfo_print(FILE *out, const struct traceinfo_file *f, const struct traceinfo *ti, int json)
{
    if (json)
        print_json(out, f, ti);
    else
        print_text(out, f, ti);
    return ferror(out) ? -EIO : 0;
}
