/* cfg_set: `--set a.b[2].c=value` overrides.
 *
 * The path is walked segment by segment: a name (or all-digit name) in a
 * map selects or creates a key, "[i]" or an all-digit name in a sequence
 * selects an existing item (sequences never grow this way). Missing maps on
 * the way are created; the value is parsed as YAML text and replaces the
 * target node whole. Every node created is marked from_set with no position.
 * Invariant: on failure the tree is as it was (created maps are removed). */
#include "sim/cfg.h"
#include "sim/cfg_priv.h"
#include "sim/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

struct seg {
    const char *s;
    size_t len;
    int bracket;              /* "[i]" form */
};

static int fail(struct cfg_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct cfg_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int digits(const struct seg *g, size_t *idx)
{
    size_t v = 0;
    if (g->len == 0 || g->len > 9)
        return 0;
    for (size_t i = 0; i < g->len; i++) {
        if (g->s[i] < '0' || g->s[i] > '9')
            return 0;
        v = v * 10 + (size_t)(g->s[i] - '0');
    }
    *idx = v;
    return 1;
}

/* Next segment at *p: 1 got one, 0 at the end, -1 malformed. */
static int next_seg(const char **p, const char *end, struct seg *g)
{
    const char *s = *p, *q;
    size_t idx;
    if (s == end)
        return 0;
    if (*s == '[') {
        q = memchr(s, ']', (size_t)(end - s));
        if (!q)
            return -1;
        *g = (struct seg){s + 1, (size_t)(q - s - 1), 1};
        if (!digits(g, &idx))
            return -1;
        s = q + 1;
    } else {
        for (q = s; q < end && *q != '.' && *q != '['; q++)
            continue;
        if (q == s)
            return -1;
        *g = (struct seg){s, (size_t)(q - s), 0};
        s = q;
    }
    if (s < end && *s == '.' && ++s == end)
        return -1;
    if (s < end && s[-1] != '.' && *s != '[')
        return -1;
    *p = s;
    return 1;
}

static const char *where(const struct cfg_node *n, char *buf, size_t size)
{
    return n->parent ? cfg_path(n, buf, size) : "the top level";
}

/* The slot in cur that segment g names: *slot is NULL for a new map key. */
static int locate(struct cfg_node *cur, const struct seg *g, const char *path,
                  struct cfg_node ***slot, struct cfg_err *err)
{
    char at[256];
    size_t idx;
    if (cur->type == CFG_SEQ) {
        if (!digits(g, &idx))
            return fail(err, "--set %s: %s is a sequence, expected an index", path,
                        where(cur, at, sizeof at));
        if (idx >= cur->n)
            return fail(err, "--set %s: index %zu is past the end of %s (%zu items)", path, idx,
                        where(cur, at, sizeof at), cur->n);
        *slot = &cur->items[idx];
        return 0;
    }
    if (cur->type != CFG_MAP || g->bracket)
        return fail(err, "--set %s: %s is %s, not a %s", path, where(cur, at, sizeof at),
                    cur->type == CFG_MAP ? "a mapping" : "a scalar",
                    g->bracket ? "sequence" : "mapping");
    *slot = NULL;
    for (size_t i = 0; i < cur->n; i++) {
        const char *k = cur->items[i]->key;
        if (strlen(k) == g->len && memcmp(k, g->s, g->len) == 0)
            *slot = &cur->items[i];
    }
    return 0;
}

/* Append n to map cur under key g, marked from_set; NULL on OOM (n not
 * attached, its key possibly set). */
static struct cfg_node *add_key(struct cfg_node *cur, const struct seg *g, struct cfg_node *n)
{
    if (!n || !(n->key = mem_alloc(g->len + 1)))
        return NULL;
    memcpy(n->key, g->s, g->len);
    n->key[g->len] = '\0';
    if (cfg_node_add(cur, n) < 0)
        return NULL;
    n->from_set = 1;
    return n;
}

static void place(struct cfg_node **slot, struct cfg_node *v)
{
    struct cfg_node *old = *slot;
    v->key = old->key;
    old->key = NULL;
    v->parent = old->parent;
    *slot = v;
    cfg_node_free(old);
}

static int walk(struct cfg_doc *doc, const char *path, struct cfg_node *v,
                struct cfg_node **created, struct cfg_err *err)
{
    const char *p = path, *end = path + strlen(path);
    struct cfg_node *cur = doc->root, **slot = NULL;
    struct seg g, nx;
    int more = next_seg(&p, end, &g);
    while (more > 0) {
        int rc = locate(cur, &g, path, &slot, err);
        if (rc < 0)
            return rc;
        if ((more = next_seg(&p, end, &nx)) < 0)
            break;
        if (more == 0 && slot) {
            place(slot, v);
            return 0;
        }
        struct cfg_node *n = slot ? *slot : NULL;
        if (!n) {
            struct cfg_node *fresh = more ? cfg_node_new(doc, CFG_MAP, NULL) : v;
            if (!(n = add_key(cur, &g, fresh))) {
                if (fresh != v)
                    cfg_node_free(fresh);
                return fail(err, "--set %s: out of memory", path);
            }
        }
        if (!slot && !*created && more)
            *created = n;
        if (!more)
            return 0;
        cur = n;
        g = nx;
    }
    return fail(err, "--set %s: malformed key path", path);
}

int cfg_set(struct cfg_doc *doc, const char *assignment, struct cfg_err *err)
{
    const char *eq = strchr(assignment, '=');
    char path[256];
    if (!eq || eq == assignment)
        return fail(err, "--set %s: expected KEY=VALUE", assignment);
    if ((size_t)(eq - assignment) >= sizeof path)
        return fail(err, "--set %.40s...: key path too long", assignment);
    memcpy(path, assignment, (size_t)(eq - assignment));
    path[eq - assignment] = '\0';
    struct cfg_node *v = cfg_parse_text(doc, eq + 1, path, err), *created = NULL;
    if (!v)
        return -EINVAL;
    int rc = walk(doc, path, v, &created, err);
    if (rc < 0) {               /* v is attached only on success */
        cfg_node_free(v);
        if (created) {
            created->parent->n--;
            cfg_node_free(created);
        }
    }
    return rc;
}
