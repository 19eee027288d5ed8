/* simutil: run a config in-process for tests and read its counters. */
#ifndef VMMSIM_SIMUTIL_H
#define VMMSIM_SIMUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/config.h"
#include "sim/sim.h"
#include "sim/summary.h"

struct simrun {
    struct cfg_doc *doc;
    struct exp_params p;
    struct sim *s;
    struct cfg_err err;
};

/* Load (file or, when text != NULL, text), apply sets, build. NULL s on error. */
static inline int simrun_open(struct simrun *r, const char *file, const char *text,
                              const char *const *sets, int nsets)
{
    memset(r, 0, sizeof *r);
    r->doc = text ? cfg_load_string(file, text, &r->err) : cfg_load_file(file, &r->err);
    if (!r->doc)
        return -1;
    for (int i = 0; i < nsets; i++)
        if (cfg_set(r->doc, sets[i], &r->err) < 0)
            return -1;
    if (config_read(r->doc, &r->p, &r->err) < 0)
        return -1;
    r->s = sim_create(&r->p, &r->err);
    if (!r->s || cfg_check_unused(r->doc->root, &r->err) < 0)
        return -1;
    return 0;
}

static inline void simrun_close(struct simrun *r)
{
    sim_destroy(r->s);
    config_free(&r->p);
    cfg_free(r->doc);
    memset(r, 0, sizeof *r);
}

/* Sum of counter k over every VM. */
static inline uint64_t simrun_total(const struct simrun *r, int k)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < r->s->nvms; i++)
        t += r->s->vms[i]->c[k];
    return t;
}

/* summary.json of a finished run, as a malloc'ed string. */
static inline char *simrun_summary(const struct simrun *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(summary_write(r->s, f), 0);
    fclose(f);
    return buf;
}

#endif
