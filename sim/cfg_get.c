/* cfg_get: typed getters, the unit parsers behind them, and the unknown-key
 * check.
 *
 * A getter looks its key up (recording the name as asked of that map, so
 * the unknown-key message can list every valid key), inserts the default as
 * a `defaulted` scalar when the key is absent, then parses the node. Missing
 * and malformed values use one phrase per kind ("a size like 512MiB"), so
 * "missing key 'x' (expected WHAT)" and "expected WHAT, got "v"" agree.
 *
 * Numbers are parsed by hand, not by strtoull/strtod, so that signs, spaces,
 * "inf" and hex floats are rejected and sizes/times stay exact: a decimal
 * mantissa times the unit is computed in 128 bits, then divided by the power
 * of ten and rounded to the nearest integer; results above 2^64-1 are
 * rejected.
 *
 * cfg_check_unused(n) checks n and recurses into every child the schema
 * reached (cfg_get, cfg_item, a getter): in a map every key never asked is
 * an error; a sequence item never reached is not looked into. So a section
 * the schema never opened is reported by its own key in the parent map,
 * while a map the schema opened but asked nothing of reports its first key
 * ("no keys are valid here"); free-form maps use cfg_use_all. */
#include "sim/cfg.h"
#include "sim/cfg_priv.h"
#include "sim/mem.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    uint64_t mult;
};

#define KI (1ULL << 10)
static const struct unit size_units[] = {
    {"", 1}, {"B", 1},
    {"K", KI}, {"KB", KI}, {"KiB", KI},
    {"M", KI * KI}, {"MB", KI * KI}, {"MiB", KI * KI},
    {"G", KI * KI * KI}, {"GB", KI * KI * KI}, {"GiB", KI * KI * KI},
    {"T", KI * KI * KI * KI}, {"TB", KI * KI * KI * KI}, {"TiB", KI * KI * KI * KI},
    {NULL, 0},
};

static const struct unit time_units[] = {
    {"", 1}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
    {"min", 60000000000ULL}, {"h", 3600000000000ULL}, {NULL, 0},
};

static const struct unit si_units[] = {
    {"", 1}, {"k", 1000}, {"K", 1000}, {"M", 1000000}, {"G", 1000000000}, {NULL, 0},
};

/* "DIGITS[.DIGITS]" at s: mantissa without the point in *m, digits after the
 * point in *frac (at most 18 kept). Returns the end, or NULL if no digits. */
static const char *decimal(const char *s, uint64_t *m, int *frac)
{
    uint64_t v = 0;
    int f = 0, nd = 0, point = 0;
    for (;; s++) {
        if (*s == '.' && !point) {
            point = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            break;
        unsigned d = (unsigned)(*s - '0');
        nd++;
        if (!point && v > (UINT64_MAX - d) / 10)
            return NULL;
        if (point && (f == 18 || v > (UINT64_MAX - d) / 10))
            continue;
        v = v * 10 + d;
        f += point;
    }
    *m = v;
    *frac = f;
    return nd ? s : NULL;
}

/* m / 10^frac * mult into *out; exact=1 refuses a fractional result. */
static int scale(uint64_t m, int frac, uint64_t mult, int exact, uint64_t *out)
{
    unsigned __int128 x = (unsigned __int128)m * mult, div = 1;
    while (frac-- > 0)
        div *= 10;
    unsigned __int128 q = x / div, r = x % div;
    if (exact && r)
        return -1;
    if (2 * r >= div && r)
        q++;
    if (q > UINT64_MAX)
        return -1;
    *out = (uint64_t)q;
    return 0;
}

static int with_unit(const char *s, const struct unit *u, int nocase, int exact, uint64_t *out)
{
    uint64_t m;
    int frac;
    const char *e = decimal(s, &m, &frac);
    if (!e)
        return -1;
    if (*e == ' ' && e[1])
        e++;
    for (; u->name; u++)
        if ((nocase ? strcasecmp(e, u->name) : strcmp(e, u->name)) == 0)
            return scale(m, frac, u->mult, exact, out);
    return -1;
}

static int parse_uint(const char *s, uint64_t *out)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return with_unit(s, si_units, 0, 1, out);
    uint64_t v = 0;
    if (!s[2])
        return -1;
    for (s += 2; *s; s++) {
        int c = tolower((unsigned char)*s);
        if (!isxdigit(c) || v >> 60)
            return -1;
        v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    *out = v;
    return 0;
}

/* A finite double with nothing but an optional '%' after it. */
static int parse_dbl(const char *s, int allow_pct, double *out)
{
    char *end;
    if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '+'))
        return -1;
    if (strpbrk(s, "xXnN"))    /* hex floats, inf, nan */
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return -1;
    if (allow_pct && *end == '%' && end[1] == '\0') {
        v /= 100;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

/* ---- errors -------------------------------------------------------------- */

/* Copy v for a message: at most 60 characters, quotes and controls escaped. */
static const char *show(const char *v, char *buf, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; v[i] && j + 5 < size; i++) {
        if (i == 60) {
            memcpy(buf + j, "...", 3);
            j += 3;
            break;
        }
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            buf[j++] = '\\';
        buf[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[j] = '\0';
    return buf;
}

static const char *kind(enum cfg_type t)
{
    return t == CFG_MAP ? "a mapping" : t == CFG_SEQ ? "a sequence" : "a scalar";
}

static int expected(const struct cfg_node *n, const char *what, struct cfg_err *err)
{
    char buf[80];
    if (!n)
        return cfg_error(err, NULL, "expected %s, got nothing", what);
    if (n->type != CFG_SCALAR)
        return cfg_error(err, n, "expected %s, got %s", what, kind(n->type));
    return cfg_error(err, n, "expected %s, got \"%s\"", what, show(n->value, buf, sizeof buf));
}

static int oom(const struct cfg_node *n, struct cfg_err *err)
{
    cfg_error(err, n, "out of memory");
    return -ENOMEM;
}

int cfg_want_map(const struct cfg_node *n, struct cfg_err *err)
{
    return n && n->type == CFG_MAP ? 0 : expected(n, "a mapping", err);
}

int cfg_want_seq(const struct cfg_node *n, struct cfg_err *err)
{
    return n && n->type == CFG_SEQ ? 0 : expected(n, "a sequence", err);
}

/* ---- getters ------------------------------------------------------------- */

/* The node for key in map, marked used: present, or def inserted as a
 * defaulted scalar, or a "missing key" error naming `what`. */
static int fetch(struct cfg_node *map, const char *key, const char *def, const char *what,
                 struct cfg_node **out, struct cfg_err *err)
{
    int rc = cfg_want_map(map, err);
    if (rc < 0)
        return rc;
    if (cfg_ask(map, key) < 0)
        return oom(map, err);
    struct cfg_node *n = cfg_node_find(map, key, strlen(key));
    if (!n && !def)
        return cfg_error(err, map, "missing key '%s' (expected %s)", key, what);
    if (!n) {
        n = cfg_node_new(map->doc, CFG_SCALAR, def);
        if (n && !(n->key = mem_strdup(key))) {
            cfg_node_free(n);
            n = NULL;
        }
        if (!n || cfg_node_add(map, n) < 0) {
            cfg_node_free(n);
            return oom(map, err);
        }
        n->defaulted = 1;
    }
    n->used = 1;
    *out = n;
    return 0;
}

#define SIZE_WHAT "a size like 512MiB"
#define TIME_WHAT "a time like 5ms"

int cfg_parse_size(const struct cfg_node *n, uint64_t *out, struct cfg_err *err)
{
    if (n && n->type == CFG_SCALAR && with_unit(n->value, size_units, 1, 0, out) == 0)
        return 0;
    return expected(n, SIZE_WHAT, err);
}

int cfg_parse_time(const struct cfg_node *n, uint64_t *out, struct cfg_err *err)
{
    if (n && n->type == CFG_SCALAR && with_unit(n->value, time_units, 0, 0, out) == 0)
        return 0;
    return expected(n, TIME_WHAT, err);
}

static void ratio_what(double lo, double hi, char *buf, size_t size)
{
    snprintf(buf, size, "a ratio in [%g%%, %g%%]", lo * 100, hi * 100);
}

int cfg_parse_ratio(const struct cfg_node *n, double lo, double hi, double *out, struct cfg_err *err)
{
    char what[96];
    double v;
    if (n && n->type == CFG_SCALAR && parse_dbl(n->value, 1, &v) == 0 && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    ratio_what(lo, hi, what, sizeof what);
    return expected(n, what, err);
}

int cfg_size(struct cfg_node *map, const char *key, const char *def, uint64_t *out, struct cfg_err *err)
{
    struct cfg_node *n;
    int rc = fetch(map, key, def, SIZE_WHAT, &n, err);
    return rc < 0 ? rc : cfg_parse_size(n, out, err);
}

int cfg_time(struct cfg_node *map, const char *key, const char *def, uint64_t *out, struct cfg_err *err)
{
    struct cfg_node *n;
    int rc = fetch(map, key, def, TIME_WHAT, &n, err);
    return rc < 0 ? rc : cfg_parse_time(n, out, err);
}

int cfg_ratio(struct cfg_node *map, const char *key, const char *def, double lo, double hi,
              double *out, struct cfg_err *err)
{
    char what[96];
    struct cfg_node *n;
    ratio_what(lo, hi, what, sizeof what);
    int rc = fetch(map, key, def, what, &n, err);
    return rc < 0 ? rc : cfg_parse_ratio(n, lo, hi, out, err);
}

int cfg_uint(struct cfg_node *map, const char *key, const char *def, uint64_t lo, uint64_t hi,
             uint64_t *out, struct cfg_err *err)
{
    char what[96];
    struct cfg_node *n;
    uint64_t v;
    snprintf(what, sizeof what, "an integer in [%" PRIu64 ", %" PRIu64 "]", lo, hi);
    int rc = fetch(map, key, def, what, &n, err);
    if (rc < 0)
        return rc;
    if (n->type != CFG_SCALAR || parse_uint(n->value, &v) < 0 || v < lo || v > hi)
        return expected(n, what, err);
    *out = v;
    return 0;
}

int cfg_dbl(struct cfg_node *map, const char *key, const char *def, double lo, double hi,
            double *out, struct cfg_err *err)
{
    char what[96];
    struct cfg_node *n;
    double v;
    snprintf(what, sizeof what, "a number in [%g, %g]", lo, hi);
    int rc = fetch(map, key, def, what, &n, err);
    if (rc < 0)
        return rc;
    if (n->type != CFG_SCALAR || parse_dbl(n->value, 0, &v) < 0 || !(v >= lo && v <= hi))
        return expected(n, what, err);
    *out = v;
    return 0;
}

int cfg_bool(struct cfg_node *map, const char *key, const char *def, int *out, struct cfg_err *err)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    struct cfg_node *n;
    int rc = fetch(map, key, def, "true or false", &n, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 3 && n->type == CFG_SCALAR; i++) {
        if (strcasecmp(n->value, yes[i]) == 0 || strcasecmp(n->value, no[i]) == 0) {
            *out = strcasecmp(n->value, yes[i]) == 0;
            return 0;
        }
    }
    return expected(n, "true or false", err);
}

int cfg_str(struct cfg_node *map, const char *key, const char *def, const char **out, struct cfg_err *err)
{
    struct cfg_node *n;
    int rc = fetch(map, key, def, "a string", &n, err);
    if (rc < 0)
        return rc;
    if (n->type != CFG_SCALAR)
        return expected(n, "a string", err);
    *out = n->value;
    return 0;
}

int cfg_choice(struct cfg_node *map, const char *key, const char *def, const char *const *choices,
               int *out, struct cfg_err *err)
{
    char what[400] = "one of ";
    size_t len = strlen(what);
    for (int i = 0; choices[i] && len < sizeof what; i++)
        len += (size_t)snprintf(what + len, sizeof what - len, "%s%s", i ? ", " : "", choices[i]);
    struct cfg_node *n;
    int rc = fetch(map, key, def, what, &n, err);
    if (rc < 0)
        return rc;
    for (int i = 0; choices[i] && n->type == CFG_SCALAR; i++) {
        if (strcmp(n->value, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return expected(n, what, err);
}

/* ---- unknown keys -------------------------------------------------------- */

static int at(struct cfg_err *err, const struct cfg_node *n, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int at(struct cfg_err *err, const struct cfg_node *n, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_verror(err, n, line, col, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int unknown(const struct cfg_node *map, const struct cfg_node *c, struct cfg_err *err)
{
    const struct cfg_xnode *x = cfg_x(map), *cx = cfg_x(c);
    int line = cx->key_line ? cx->key_line : c->line, col = cx->key_line ? cx->key_col : c->col;
    char list[400];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < x->nasked && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", x->asked[i]);
    if (!x->nasked)
        return at(err, c, line, col, "unknown key '%s' (no keys are valid here)", c->key);
    return at(err, c, line, col, "unknown key '%s' (valid: %s)", c->key, list);
}

int cfg_check_unused(struct cfg_node *n, struct cfg_err *err)
{
    for (size_t i = 0; n && i < n->n; i++) {
        struct cfg_node *c = n->items[i];
        if (n->type == CFG_MAP && !c->used)
            return unknown(n, c, err);
        int rc = c->used ? cfg_check_unused(c, err) : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}

void cfg_use_all(struct cfg_node *n)
{
    if (!n)
        return;
    n->used = 1;
    for (size_t i = 0; i < n->n; i++)
        cfg_use_all(n->items[i]);
}

/* Attach detached node n under key in map and mark it, and everything below
 * it, as a default the schema read. Frees n on failure. */
static void mark_defaulted(struct cfg_node *n)
{
    n->defaulted = n->used = 1;
    n->from_set = 0;
    for (size_t i = 0; i < n->n; i++)
        mark_defaulted(n->items[i]);
}

static int add_default(struct cfg_node *map, const char *key, struct cfg_node *n, struct cfg_err *err)
{
    if (!n || !(n->key = mem_strdup(key)) || cfg_node_add(map, n) < 0) {
        cfg_node_free(n);
        return oom(map, err);
    }
    mark_defaulted(n);
    return 0;
}

int cfg_section(struct cfg_node *map, const char *key, struct cfg_node **out, struct cfg_err *err)
{
    int rc = cfg_want_map(map, err);
    if (rc < 0)
        return rc;
    struct cfg_node *n = cfg_get(map, key);
    if (n) {
        *out = n;
        return cfg_want_map(n, err);
    }
    n = cfg_node_new(map->doc, CFG_MAP, NULL);
    if ((rc = add_default(map, key, n, err)) < 0)
        return rc;
    *out = n;
    return 0;
}

int cfg_default_flow(struct cfg_node *map, const char *key, const char *yaml, struct cfg_err *err)
{
    int rc = cfg_want_map(map, err);
    if (rc < 0 || cfg_get(map, key))
        return rc;
    struct cfg_node *n = cfg_parse_text(map->doc, yaml, key, err);
    return n ? add_default(map, key, n, err) : -EINVAL;
}
