/* test_cfg: the cfg module: loading with positions, load errors, typed
 * getters with exact messages, defaults, --set, unknown keys, emit round
 * trip, and allocation fault injection. */
#include "sim/cfg.h"
#include "sim/mem.h"
#include "tests/testutil.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cfg_doc *load(const char *text)
{
    struct cfg_err e = {{0}};
    struct cfg_doc *d = cfg_load_string("x.yaml", text, &e);
    ck_assert_msg(d != NULL, "load failed: %s", e.msg);
    return d;
}

static void load_fails(const char *text, const char *msg)
{
    struct cfg_err e = {{0}};
    uint64_t before = mem_in_use();
    struct cfg_doc *d = cfg_load_string("x.yaml", text, &e);
    ck_assert_ptr_null(d);
    ck_assert_str_eq(e.msg, msg);
    ck_assert_uint_eq(mem_in_use(), before);
}

/* "v: VAL" */
static struct cfg_doc *one(const char *val)
{
    char text[256];
    snprintf(text, sizeof text, "v: %s\n", val);
    return load(text);
}

static const char sample[] =
    "name: demo\n"
    "host:\n"
    "  memory: 512MiB\n"
    "  vms:\n"
    "    - name: a\n"
    "      memory: lots\n"
    "    - {name: b, memory: 1GiB}\n";

/* ---- loading ------------------------------------------------------------- */

START_TEST(positions)
{
    struct cfg_doc *d = load(sample);
    struct cfg_node *host = cfg_get(d->root, "host"), *vms = cfg_get(host, "vms");
    struct cfg_node *vm0 = cfg_item(vms, 0), *vm1 = cfg_item(vms, 1);
    ck_assert_int_eq(d->root->line, 1);
    ck_assert_int_eq(cfg_get(d->root, "name")->col, 7);
    ck_assert_int_eq(host->line, 3);
    ck_assert_int_eq(host->col, 3);
    ck_assert_int_eq(cfg_get(host, "memory")->line, 3);
    ck_assert_int_eq(cfg_get(host, "memory")->col, 11);
    ck_assert_int_eq(vms->type, CFG_SEQ);
    ck_assert_uint_eq(vms->n, 2);
    ck_assert_int_eq(vm0->line, 5);
    ck_assert_int_eq(vm0->col, 7);
    ck_assert_int_eq(vm1->line, 7);
    ck_assert_int_eq(vm1->col, 7);
    ck_assert_int_eq(cfg_get(vm1, "memory")->col, 25);
    ck_assert_str_eq(cfg_get(vm1, "name")->value, "b");
    ck_assert_ptr_null(cfg_get(vm1, "nope"));
    ck_assert_ptr_null(cfg_item(vms, 2));
    ck_assert_ptr_null(cfg_get(vms, "name"));

    char buf[64];
    ck_assert_str_eq(cfg_path(cfg_get(vm0, "memory"), buf, sizeof buf), "host.vms[0].memory");
    ck_assert_str_eq(cfg_path(vm1, buf, sizeof buf), "host.vms[1]");
    ck_assert_str_eq(cfg_path(d->root, buf, sizeof buf), "");
    ck_assert_str_eq(cfg_path(cfg_get(vm0, "memory"), buf, 8), "host.vm");

    uint64_t sz;
    struct cfg_err e;
    ck_assert_int_eq(cfg_size(vm0, "memory", NULL, &sz, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:6:15: host.vms[0].memory: expected a size like 512MiB, got \"lots\"");
    ck_assert_int_eq(cfg_size(vm1, "memory", NULL, &sz, &e), 0);
    ck_assert_uint_eq(sz, 1ULL << 30);
    cfg_free(d);
}
END_TEST

START_TEST(quoting)
{
    struct cfg_doc *d = load("a: 'yes'\nb: yes\nc: \"x\\ty\"\nd:\ne: |\n  two\n  lines\n");
    struct cfg_node *r = d->root;
    ck_assert_int_eq(cfg_get(r, "a")->quoted, 1);
    ck_assert_int_eq(cfg_get(r, "b")->quoted, 0);
    ck_assert_str_eq(cfg_get(r, "c")->value, "x\ty");
    ck_assert_str_eq(cfg_get(r, "d")->value, "");
    ck_assert_str_eq(cfg_get(r, "e")->value, "two\nlines\n");
    ck_assert_str_eq(cfg_get(r, "e")->key, "e");
    cfg_free(d);
}
END_TEST

START_TEST(load_errors)
{
    load_fails("a: 1\nb: 2\na: 3\n", "x.yaml:3:1: duplicate key 'a' (first at line 1)");
    load_fails("a:\n  x: 1\n  x: 2\n", "x.yaml:3:3: duplicate key 'x' (first at line 2)");
    load_fails("a: &x 1\nb: *x\n", "x.yaml:1:4: anchors (&x) are not supported");
    load_fails("b: *x\n", "x.yaml:1:4: aliases (*x) are not supported");
    load_fails("a: 1\n---\nb: 2\n", "x.yaml:2:1: only one document is allowed");
    load_fails("? [a]\n: 1\n", "x.yaml:1:3: keys must be scalars, got a sequence");
    load_fails("{ {a: 1}: 2 }\n", "x.yaml:1:3: keys must be scalars, got a mapping");
    load_fails("hello\n", "x.yaml:1:1: the top level must be a mapping, got a scalar");
    load_fails("- 1\n", "x.yaml:1:1: the top level must be a mapping, got a sequence");
    load_fails("", "x.yaml:1:1: empty document (expected a mapping)");
    load_fails("# only a comment\n", "x.yaml:2:1: empty document (expected a mapping)");
    load_fails("a: [1, 2\nb: 3\n",
               "x.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence)");
    load_fails("a: 1\n b: 2\n",
               "x.yaml:2:3: mapping values are not allowed in this context");
    load_fails("a: \"x\\0y\"\n", "x.yaml:1:4: NUL characters are not allowed");
    load_fails("a: \xff\n", "x.yaml: offset 3: invalid leading UTF-8 octet");

    char deep[200] = "a: ";
    for (int i = 0; i < 70; i++)
        strcat(deep, "[");
    load_fails(deep, "x.yaml:1:67: nested more than 64 levels deep");
}
END_TEST

START_TEST(load_file)
{
    struct cfg_err e;
    ck_assert_ptr_null(cfg_load_file("/nonexistent/x.yaml", &e));
    ck_assert_str_eq(e.msg, "/nonexistent/x.yaml: cannot open: No such file or directory");

    char path[] = "/tmp/test_cfg_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("seed: 7\nvm:\n  memory: 2x\n", f);
    fclose(f);
    uint64_t before = mem_in_use();
    struct cfg_doc *d = cfg_load_file(path, &e);
    ck_assert_msg(d != NULL, "%s", e.msg);
    uint64_t v;
    ck_assert_int_eq(cfg_size(cfg_get(d->root, "vm"), "memory", NULL, &v, &e), -EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s:3:11: vm.memory: expected a size like 512MiB, got \"2x\"", path);
    ck_assert_str_eq(e.msg, want);
    cfg_free(d);
    ck_assert_uint_eq(mem_in_use(), before);

    f = fopen(path, "w");
    fputs("seed: 7\nseed: 8\n", f);
    fclose(f);
    ck_assert_ptr_null(cfg_load_file(path, &e));
    snprintf(want, sizeof want, "%s:2:1: duplicate key 'seed' (first at line 1)", path);
    ck_assert_str_eq(e.msg, want);
    unlink(path);
}
END_TEST

/* ---- getters ------------------------------------------------------------- */

struct u64case {
    const char *text;
    uint64_t want;             /* UINT64_MAX - 1: must be rejected */
};
#define BAD (UINT64_MAX - 1)

static void check_u64(const struct u64case *c, size_t n, int which, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        struct cfg_doc *d = one(c[i].text);
        struct cfg_err e = {{0}};
        uint64_t v = 12345;
        int rc = which == 0 ? cfg_size(d->root, "v", NULL, &v, &e)
               : which == 1 ? cfg_time(d->root, "v", NULL, &v, &e)
                            : cfg_uint(d->root, "v", NULL, 0, UINT64_MAX, &v, &e);
        if (c[i].want == BAD) {
            char want[256];
            const char *val = cfg_get(d->root, "v")->value;
            snprintf(want, sizeof want, "x.yaml:1:4: v: expected %s, got \"%s\"", what, val);
            ck_assert_msg(rc == -EINVAL, "'%s' accepted as %" PRIu64, c[i].text, v);
            ck_assert_str_eq(e.msg, want);
        } else {
            ck_assert_msg(rc == 0, "'%s': %s", c[i].text, e.msg);
            ck_assert_msg(v == c[i].want, "'%s' gave %" PRIu64, c[i].text, v);
        }
        cfg_free(d);
    }
}

START_TEST(sizes)
{
    static const struct u64case c[] = {
        {"4096", 4096}, {"4KiB", 4096}, {"512MiB", 512ULL << 20}, {"1.5GiB", 1610612736},
        {"2TiB", 2ULL << 40}, {"1K", 1024}, {"3MB", 3ULL << 20}, {"2G", 2ULL << 30},
        {"1T", 1ULL << 40}, {"7B", 7}, {"0.5KiB", 512}, {"1.3KiB", 1331}, {"4kb", 4096},
        {"64 KiB", 65536}, {"0", 0}, {"18446744073709551615", UINT64_MAX},
        {"lots", BAD}, {"-1", BAD}, {"-1KiB", BAD}, {"1.5.5MiB", BAD}, {"''", BAD},
        {"18446744073709551616", BAD}, {"16777216TiB", BAD}, {"5XB", BAD}, {"0x10", BAD},
        {"1e3", BAD}, {"KiB", BAD}, {"1  KiB", BAD},
    };
    check_u64(c, sizeof c / sizeof *c, 0, "a size like 512MiB");
}
END_TEST

START_TEST(times)
{
    static const struct u64case c[] = {
        {"200ns", 200}, {"5us", 5000}, {"5ms", 5000000}, {"60s", 60000000000ULL},
        {"2min", 120000000000ULL}, {"1h", 3600000000000ULL}, {"1.5ms", 1500000},
        {"0.0000000015s", 2}, {"42", 42},
        {"5MS", BAD}, {"-5ms", BAD}, {"5 parsecs", BAD}, {"ms", BAD}, {"6000000h", BAD},
    };
    check_u64(c, sizeof c / sizeof *c, 1, "a time like 5ms");
}
END_TEST

START_TEST(uints)
{
    static const struct u64case c[] = {
        {"42", 42}, {"10M", 10000000}, {"2k", 2000}, {"2K", 2000}, {"3G", 3000000000ULL},
        {"1.5k", 1500}, {"0x1f", 31}, {"0XFF", 255}, {"0xffffffffffffffff", UINT64_MAX},
        {"1.5", BAD}, {"-3", BAD}, {"0x", BAD}, {"0x1g", BAD}, {"0x10000000000000000", BAD},
        {"1.0001k", BAD}, {"10Mi", BAD}, {"twelve", BAD},
    };
    check_u64(c, sizeof c / sizeof *c, 2, "an integer in [0, 18446744073709551615]");

    struct cfg_doc *d = load("cpus: 99\nzero: 0\n");
    struct cfg_err e;
    uint64_t v;
    ck_assert_int_eq(cfg_uint(d->root, "cpus", NULL, 1, 64, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:1:7: cpus: expected an integer in [1, 64], got \"99\"");
    ck_assert_int_eq(cfg_uint(d->root, "zero", NULL, 1, 64, &v, &e), -EINVAL);
    ck_assert_int_eq(cfg_uint(d->root, "cpus", NULL, 99, 99, &v, &e), 0);
    ck_assert_uint_eq(v, 99);
    cfg_free(d);
}
END_TEST

START_TEST(ratios)
{
    static const struct { const char *text; double want; } good[] = {
        {"40%", 0.4}, {"0.25", 0.25}, {"100%", 1.0}, {"0%", 0.0}, {"1", 1.0}, {"12.5%", 0.125},
    };
    static const char *const bad[] = {"140%", "abc", "-1%", "1.01", "40%%", "4 %", "inf", "nan"};
    struct cfg_err e;
    double v;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct cfg_doc *d = one(good[i].text);
        ck_assert_msg(cfg_ratio(d->root, "v", NULL, 0, 1, &v, &e) == 0, "%s", e.msg);
        ck_assert_double_eq_tol(v, good[i].want, 1e-12);
        cfg_free(d);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg_doc *d = one(bad[i]);
        char want[128];
        snprintf(want, sizeof want, "x.yaml:1:4: v: expected a ratio in [0%%, 100%%], got \"%s\"", bad[i]);
        ck_assert_int_eq(cfg_ratio(d->root, "v", NULL, 0, 1, &v, &e), -EINVAL);
        ck_assert_str_eq(e.msg, want);
        cfg_free(d);
    }
    struct cfg_doc *d = load("vms:\n  - limit: 140%\n");
    struct cfg_node *vm = cfg_item(cfg_get(d->root, "vms"), 0);
    ck_assert_int_eq(cfg_ratio(vm, "limit", NULL, 0, 1, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:12: vms[0].limit: expected a ratio in [0%, 100%], got \"140%\"");
    ck_assert_int_eq(cfg_ratio(vm, "limit", NULL, 0.5, 2, &v, &e), 0);
    ck_assert_double_eq_tol(v, 1.4, 1e-12);
    ck_assert_int_eq(cfg_ratio(vm, "tax", NULL, 0, 0.99, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:5: vms[0]: missing key 'tax' (expected a ratio in [0%, 99%])");
    ck_assert_int_eq(cfg_parse_ratio(cfg_get(vm, "limit"), 0, 1.5, &v, &e), 0);
    cfg_free(d);
}
END_TEST

START_TEST(dbls_bools_strs)
{
    struct cfg_doc *d = load("t: 0.75\ne: 1e-3\nbig: 2\nin: inf\nhx: 0x1p3\n"
                             "b1: yes\nb2: Off\nb3: TRUE\nb4: maybe\ns: hello\nm: {a: 1}\nq: [1]\n");
    struct cfg_node *r = d->root;
    struct cfg_err e;
    double x;
    int b;
    const char *s;
    ck_assert_int_eq(cfg_dbl(r, "t", NULL, 0, 1, &x, &e), 0);
    ck_assert_double_eq(x, 0.75);
    ck_assert_int_eq(cfg_dbl(r, "e", NULL, 0, 1, &x, &e), 0);
    ck_assert_double_eq_tol(x, 0.001, 1e-15);
    ck_assert_int_eq(cfg_dbl(r, "big", NULL, 0, 1, &x, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:3:6: big: expected a number in [0, 1], got \"2\"");
    ck_assert_int_eq(cfg_dbl(r, "in", NULL, 0, 1e300, &x, &e), -EINVAL);
    ck_assert_int_eq(cfg_dbl(r, "hx", NULL, 0, 100, &x, &e), -EINVAL);
    ck_assert_int_eq(cfg_bool(r, "b1", NULL, &b, &e), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(cfg_bool(r, "b2", NULL, &b, &e), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(cfg_bool(r, "b3", NULL, &b, &e), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(cfg_bool(r, "b4", NULL, &b, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:9:5: b4: expected true or false, got \"maybe\"");
    ck_assert_int_eq(cfg_str(r, "s", NULL, &s, &e), 0);
    ck_assert_str_eq(s, "hello");
    ck_assert_int_eq(cfg_str(r, "m", NULL, &s, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:11:4: m: expected a string, got a mapping");
    uint64_t v;
    ck_assert_int_eq(cfg_size(r, "m", NULL, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:11:4: m: expected a size like 512MiB, got a mapping");
    ck_assert_int_eq(cfg_time(r, "q", NULL, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:12:4: q: expected a time like 5ms, got a sequence");
    ck_assert_int_eq(cfg_want_seq(cfg_get(r, "q"), &e), 0);
    ck_assert_int_eq(cfg_want_map(cfg_get(r, "q"), &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:12:4: q: expected a mapping, got a sequence");
    ck_assert_int_eq(cfg_want_seq(cfg_get(r, "s"), &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:10:4: s: expected a sequence, got \"hello\"");
    ck_assert_int_eq(cfg_size(cfg_get(r, "s"), "x", "1", &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:10:4: s: expected a mapping, got \"hello\"");
    ck_assert_int_eq(cfg_parse_size(cfg_item(cfg_get(r, "q"), 0), &v, &e), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(cfg_parse_time(cfg_get(r, "m"), &v, &e), -EINVAL);
    cfg_free(d);
}
END_TEST

START_TEST(choices)
{
    static const char *const pol[] = {"fifo", "random", "clock", NULL};
    struct cfg_doc *d = load("vmm:\n  policy: lfu\n  other: clock\n");
    struct cfg_node *vmm = cfg_get(d->root, "vmm");
    struct cfg_err e;
    int i = -1;
    ck_assert_int_eq(cfg_choice(vmm, "policy", NULL, pol, &i, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:11: vmm.policy: expected one of fifo, random, clock, got \"lfu\"");
    ck_assert_int_eq(cfg_choice(vmm, "other", NULL, pol, &i, &e), 0);
    ck_assert_int_eq(i, 2);
    ck_assert_int_eq(cfg_choice(vmm, "third", "random", pol, &i, &e), 0);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(cfg_choice(vmm, "fourth", NULL, pol, &i, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:3: vmm: missing key 'fourth' (expected one of fifo, random, clock)");
    cfg_free(d);
}
END_TEST

START_TEST(missing_and_defaults)
{
    struct cfg_doc *d = load("host:\n  cpus: 4\n");
    struct cfg_node *host = cfg_get(d->root, "host");
    struct cfg_err e;
    uint64_t v;
    ck_assert_int_eq(cfg_size(host, "memory", NULL, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:3: host: missing key 'memory' (expected a size like 512MiB)");
    ck_assert_int_eq(cfg_uint(d->root, "seed", NULL, 0, 100, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:1:1: missing key 'seed' (expected an integer in [0, 100])");
    ck_assert_uint_eq(host->n, 1);

    ck_assert_int_eq(cfg_size(host, "swap", "1GiB", &v, &e), 0);
    ck_assert_uint_eq(v, 1ULL << 30);
    ck_assert_uint_eq(host->n, 2);
    struct cfg_node *sw = cfg_get(host, "swap");
    ck_assert_int_eq(sw->defaulted, 1);
    ck_assert_int_eq(sw->line, 0);
    ck_assert_str_eq(sw->value, "1GiB");
    ck_assert_int_eq(cfg_size(host, "swap", "2GiB", &v, &e), 0);   /* present now */
    ck_assert_uint_eq(v, 1ULL << 30);
    ck_assert_uint_eq(host->n, 2);
    ck_assert_int_eq(cfg_uint(host, "cpus", "8", 1, 64, &v, &e), 0);  /* file wins */
    ck_assert_uint_eq(v, 4);

    ck_assert_int_eq(cfg_time(host, "tick", "oops", &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml: host.tick (default): expected a time like 5ms, got \"oops\"");
    ck_assert_int_eq(cfg_error(&e, cfg_get(host, "cpus"), "too many (%d)", 4), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:9: host.cpus: too many (4)");

    struct cfg_node *bal;
    ck_assert_int_eq(cfg_section(host, "balloon", &bal, &e), 0);
    ck_assert_int_eq(bal->defaulted, 1);
    ck_assert_int_eq(cfg_ratio(bal, "max", "65%", 0, 1, &(double){0}, &e), 0);
    ck_assert_int_eq(cfg_size(bal, "need", NULL, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml: host.balloon (default): missing key 'need' (expected a size like 512MiB)");
    ck_assert_int_eq(cfg_section(host, "cpus", &bal, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:9: host.cpus: expected a mapping, got \"4\"");
    cfg_free(d);
}
END_TEST

/* ---- --set --------------------------------------------------------------- */

START_TEST(set_forms)
{
    struct cfg_doc *d = load("name: demo\na:\n  b:\n    - {c: 1}\n    - {c: 2}\n");
    struct cfg_err e;
    uint64_t v;
    ck_assert_int_eq(cfg_set(d, "a.b[1].c=5", &e), 0);
    ck_assert_int_eq(cfg_set(d, "a.b.0.c=7", &e), 0);
    struct cfg_node *b = cfg_get(cfg_get(d->root, "a"), "b");
    ck_assert_int_eq(cfg_uint(cfg_item(b, 1), "c", NULL, 0, 10, &v, &e), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(cfg_uint(cfg_item(b, 0), "c", NULL, 0, 10, &v, &e), 0);
    ck_assert_uint_eq(v, 7);
    struct cfg_node *c = cfg_get(cfg_item(b, 0), "c");
    ck_assert_int_eq(c->from_set, 1);
    ck_assert_int_eq(c->line, 0);
    ck_assert_int_eq(cfg_uint(cfg_item(b, 0), "c", NULL, 0, 6, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "--set a.b[0].c: expected an integer in [0, 6], got \"7\"");

    ck_assert_int_eq(cfg_set(d, "new.deep.list=[1, 2]", &e), 0);
    struct cfg_node *nw = cfg_get(d->root, "new"), *l = cfg_get(cfg_get(nw, "deep"), "list");
    ck_assert_int_eq(nw->type, CFG_MAP);
    ck_assert_int_eq(nw->from_set, 1);
    ck_assert_int_eq(nw->line, 0);
    ck_assert_int_eq(l->type, CFG_SEQ);
    ck_assert_uint_eq(l->n, 2);
    ck_assert_str_eq(l->items[1]->value, "2");
    ck_assert_int_eq(l->items[1]->from_set, 1);

    ck_assert_int_eq(cfg_set(d, "a.b={x: 1}", &e), 0);
    b = cfg_get(cfg_get(d->root, "a"), "b");
    ck_assert_int_eq(b->type, CFG_MAP);
    ck_assert_str_eq(b->key, "b");
    ck_assert_str_eq(cfg_get(b, "x")->value, "1");
    ck_assert_int_eq(cfg_set(d, "name=", &e), 0);
    ck_assert_str_eq(cfg_get(d->root, "name")->value, "");
    ck_assert_int_eq(cfg_set(d, "name='on'", &e), 0);
    ck_assert_int_eq(cfg_get(d->root, "name")->quoted, 1);
    ck_assert_int_eq(cfg_set(d, "mem=a=b", &e), 0);
    ck_assert_str_eq(cfg_get(d->root, "mem")->value, "a=b");
    ck_assert_int_eq(cfg_size(d->root, "mem", NULL, &v, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "--set mem: expected a size like 512MiB, got \"a=b\"");
    char buf[64];
    ck_assert_str_eq(cfg_path(l->items[1], buf, sizeof buf), "new.deep.list[1]");
    cfg_free(d);
}
END_TEST

static void set_fails(struct cfg_doc *d, const char *assignment, const char *msg)
{
    struct cfg_err e = {{0}};
    uint64_t before = mem_in_use();
    size_t n = d->root->n;
    ck_assert_int_eq(cfg_set(d, assignment, &e), -EINVAL);
    ck_assert_str_eq(e.msg, msg);
    ck_assert_uint_eq(d->root->n, n);
    ck_assert_uint_eq(mem_in_use(), before);
}

START_TEST(set_errors)
{
    struct cfg_doc *d = load("name: demo\na:\n  b:\n    - {c: 1}\n    - {c: 2}\n");
    set_fails(d, "a.b[5].c=1", "--set a.b[5].c: index 5 is past the end of a.b (2 items)");
    set_fails(d, "a.b.2=1", "--set a.b.2: index 2 is past the end of a.b (2 items)");
    set_fails(d, "a.b.x=1", "--set a.b.x: a.b is a sequence, expected an index");
    set_fails(d, "a[0]=1", "--set a[0]: a is a mapping, not a sequence");
    set_fails(d, "name.sub=1", "--set name.sub: name is a scalar, not a mapping");
    set_fails(d, "q.r.s[0]=1", "--set q.r.s[0]: q.r.s is a mapping, not a sequence");
    set_fails(d, "nokey", "--set nokey: expected KEY=VALUE");
    set_fails(d, "=5", "--set =5: expected KEY=VALUE");
    set_fails(d, "a..b=1", "--set a..b: malformed key path");
    set_fails(d, "a.=1", "--set a.: malformed key path");
    set_fails(d, "a.b[x]=1", "--set a.b[x]: malformed key path");
    set_fails(d, "a.b[0]c=1", "--set a.b[0]c: malformed key path");
    set_fails(d, "v=[1, 2", "--set v: did not find expected ',' or ']' (while parsing a flow sequence)");
    set_fails(d, "v=*x", "--set v: aliases (*x) are not supported");
    set_fails(d, "v={a: 1, a: 2}", "--set v: duplicate key 'a'");
    cfg_free(d);
}
END_TEST

/* ---- unknown keys -------------------------------------------------------- */

START_TEST(unknown_keys)
{
    static const char text[] =
        "host:\n"
        "  vmm:\n"
        "    reclaim: [swap]\n"
        "    polcy: lru\n"
        "extra: 1\n";
    struct cfg_doc *d = load(text);
    struct cfg_err e;
    const char *s;
    struct cfg_node *vmm = cfg_get(cfg_get(d->root, "host"), "vmm");
    ck_assert_int_eq(cfg_str(vmm, "policy", "random", &s, &e), 0);
    ck_assert_ptr_nonnull(cfg_get(vmm, "reclaim"));
    ck_assert_ptr_null(cfg_get(vmm, "sharing"));
    ck_assert_int_eq(cfg_check_unused(d->root, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:4:5: host.vmm.polcy: unknown key 'polcy' (valid: policy, reclaim, sharing)");
    ck_assert_int_eq(cfg_check_unused(cfg_get(d->root, "host"), &e), -EINVAL);
    cfg_get(vmm, "polcy");
    ck_assert_int_eq(cfg_check_unused(d->root, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:5:1: extra: unknown key 'extra' (valid: host)");
    cfg_get(d->root, "extra");
    ck_assert_int_eq(cfg_check_unused(d->root, &e), 0);
    cfg_free(d);

    /* a section reached but never asked anything; a free-form one */
    d = load("a:\n  x: 1\nb:\n  y: {z: 2}\nc: [{k: 1}, {k: 2}]\n");
    cfg_get(d->root, "a");
    cfg_use_all(cfg_get(d->root, "b"));
    struct cfg_node *c = cfg_get(d->root, "c");
    ck_assert_int_eq(cfg_check_unused(d->root, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:2:3: a.x: unknown key 'x' (no keys are valid here)");
    cfg_get(cfg_get(d->root, "a"), "x");
    ck_assert_int_eq(cfg_check_unused(d->root, &e), 0);   /* c's items never reached */
    cfg_item(c, 1);
    ck_assert_int_eq(cfg_check_unused(d->root, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "x.yaml:5:14: c[1].k: unknown key 'k' (no keys are valid here)");
    cfg_free(d);

    d = load("a: 1\n");
    ck_assert_int_eq(cfg_set(d, "b.c=2", &e), 0);
    cfg_get(d->root, "a");
    cfg_get(d->root, "b");
    ck_assert_int_eq(cfg_check_unused(d->root, &e), -EINVAL);
    ck_assert_str_eq(e.msg, "--set b.c: unknown key 'c' (no keys are valid here)");
    cfg_free(d);
}
END_TEST

/* ---- emit ---------------------------------------------------------------- */

static char *emit(const struct cfg_doc *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cfg_emit(d, f), 0);
    fclose(f);
    return buf;
}

static void same_tree(const struct cfg_node *a, const struct cfg_node *b)
{
    ck_assert_int_eq(a->type, b->type);
    ck_assert_uint_eq(a->n, b->n);
    ck_assert(!a->key == !b->key);
    if (a->key)
        ck_assert_str_eq(a->key, b->key);
    if (a->type == CFG_SCALAR) {
        ck_assert_str_eq(a->value, b->value);
        ck_assert_int_eq(a->quoted, b->quoted);
    }
    for (size_t i = 0; i < a->n; i++)
        same_tree(a->items[i], b->items[i]);
}

START_TEST(emit_round_trip)
{
    static const char text[] =
        "name: demo run\n"
        "s1: 'yes'\n"
        "s2: \"010\"\n"
        "s3: 'a: b'\n"
        "s4: '#x'\n"
        "s5: \"tab\\there\"\n"
        "s6: |\n  two\n  lines\n"
        "s7: ''\n"
        "empty:\n"
        "uni: \"h\\u00e9\"\n"
        "\"key: odd\": 1\n"
        "'- k': 2\n"
        "m: {}\n"
        "l: []\n"
        "hosts:\n"
        "  - memory: 512MiB\n"
        "    vms: [[1, 2], {a: b}, ~, -3]\n"
        "  - plain\n";
    struct cfg_doc *d = load(text);
    char *out = emit(d);
    ck_assert_ptr_nonnull(strstr(out, "\ns6: |\n  two\n  lines\ns7: ''\nempty:\n"));
    ck_assert_ptr_nonnull(strstr(out, "\ns1: 'yes'\ns2: '010'\n"));
    struct cfg_doc *d2 = load(out);
    same_tree(d->root, d2->root);
    char *out2 = emit(d2);
    ck_assert_str_eq(out, out2);
    free(out);
    free(out2);
    cfg_free(d2);
    cfg_free(d);
}
END_TEST

START_TEST(emit_resolved)
{
    struct cfg_doc *d = load("# comment\nhost:\n  memory: 1GiB\nvms:\n- name: a\n");
    struct cfg_err e;
    uint64_t v;
    struct cfg_node *host = cfg_get(d->root, "host"), *vmm;
    ck_assert_int_eq(cfg_size(host, "swap", "512MiB", &v, &e), 0);
    ck_assert_int_eq(cfg_section(d->root, "vmm", &vmm, &e), 0);
    ck_assert_int_eq(cfg_str(vmm, "policy", "random", &(const char *){0}, &e), 0);
    ck_assert_int_eq(cfg_str(vmm, "label", "yes", &(const char *){0}, &e), 0);
    ck_assert_int_eq(cfg_set(d, "vms[0].name='on'", &e), 0);
    char *out = emit(d);
    ck_assert_str_eq(out,
                     "host:\n"
                     "  memory: 1GiB\n"
                     "  swap: 512MiB\n"
                     "vms:\n"
                     "- name: 'on'\n"
                     "vmm:\n"
                     "  policy: random\n"
                     "  label: yes\n");
    free(out);
    cfg_free(d);
}
END_TEST

/* ---- memory -------------------------------------------------------------- */

START_TEST(mem_balance)
{
    uint64_t before = mem_in_use();
    struct cfg_doc *d = load(sample);
    ck_assert_uint_gt(mem_in_use(), before);
    struct cfg_err e;
    uint64_t v;
    cfg_size(cfg_get(d->root, "host"), "swap", "1GiB", &v, &e);
    cfg_set(d, "x.y.z=[1, {a: 2}]", &e);
    cfg_free(d);
    ck_assert_uint_eq(mem_in_use(), before);
}
END_TEST

START_TEST(fault_load)
{
    uint64_t before = mem_in_use();
    int n;
    for (n = 1; n < 10000; n++) {
        struct cfg_err e;
        mem_fail_after((uint64_t)n);
        struct cfg_doc *d = cfg_load_string("x.yaml", sample, &e);
        int hit = mem_fail_triggered();
        mem_fail_reset();
        if (d) {
            ck_assert(!hit);
            cfg_free(d);
            break;
        }
        ck_assert(hit);
        ck_assert_str_eq(e.msg, "x.yaml: out of memory");
        ck_assert_uint_eq(mem_in_use(), before);
    }
    ck_assert_int_gt(n, 20);    /* the sample needs at least 20 allocations */
    ck_assert_uint_eq(mem_in_use(), before);
}
END_TEST

START_TEST(fault_set_and_defaults)
{
    uint64_t before = mem_in_use();
    struct cfg_doc *d = load(sample);
    char *orig = emit(d);
    uint64_t loaded = mem_in_use();
    int n;
    for (n = 1; n < 10000; n++) {
        struct cfg_err e;
        mem_fail_after((uint64_t)n);
        int rc = cfg_set(d, "host.new.deep=[1, {a: 2}]", &e);
        mem_fail_reset();
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, -EINVAL);
        ck_assert_uint_eq(mem_in_use(), loaded);
        char *now = emit(d);
        ck_assert_str_eq(now, orig);
        free(now);
    }
    ck_assert_int_gt(n, 5);
    for (n = 1; n < 1000; n++) {
        struct cfg_err e;
        uint64_t v;
        mem_fail_after((uint64_t)n);
        int rc = cfg_time(cfg_get(d->root, "host"), "tick", "5ms", &v, &e);
        mem_fail_reset();
        if (rc == 0) {
            ck_assert_uint_eq(v, 5000000);
            break;
        }
        ck_assert_int_eq(rc, -ENOMEM);
        ck_assert_str_eq(e.msg, "x.yaml:3:3: host: out of memory");
    }
    ck_assert_int_gt(n, 2);
    free(orig);
    cfg_free(d);
    ck_assert_uint_eq(mem_in_use(), before);
}
END_TEST

Suite *suite_cfg(void)
{
    Suite *s = suite_create("cfg");
    TCase *t = tcase_create("load");
    tcase_add_test(t, positions);
    tcase_add_test(t, quoting);
    tcase_add_test(t, load_errors);
    tcase_add_test(t, load_file);
    suite_add_tcase(s, t);
    t = tcase_create("getters");
    tcase_add_test(t, sizes);
    tcase_add_test(t, times);
    tcase_add_test(t, uints);
    tcase_add_test(t, ratios);
    tcase_add_test(t, dbls_bools_strs);
    tcase_add_test(t, choices);
    tcase_add_test(t, missing_and_defaults);
    suite_add_tcase(s, t);
    t = tcase_create("set");
    tcase_add_test(t, set_forms);
    tcase_add_test(t, set_errors);
    tcase_add_test(t, unknown_keys);
    suite_add_tcase(s, t);
    t = tcase_create("emit");
    tcase_add_test(t, emit_round_trip);
    tcase_add_test(t, emit_resolved);
    suite_add_tcase(s, t);
    t = tcase_create("mem");
    tcase_add_test(t, mem_balance);
    tcase_add_test(t, fault_load);
    tcase_add_test(t, fault_set_and_defaults);
    suite_add_tcase(s, t);
    return s;
}
