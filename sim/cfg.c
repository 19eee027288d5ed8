/* cfg: loading YAML into a tree of cfg_nodes, navigation, key paths and
 * error messages. Getters live in cfg_get.c, --set in cfg_set.c, emitting in
 * cfg_emit.c.
 *
 * Data structure: a tree of struct cfg_xnode (cfg_priv.h); maps keep their
 * entries in source order in items[], each child holding its key; children
 * point to their parent and every node to its document.
 * Invariants: the root is a CFG_MAP; keys in one map are unique; no node is
 * nested deeper than CFG_MAX_DEPTH; every byte is allocated through sim/mem.h
 * and owned by exactly one node (or the doc), so cfg_free releases it all.
 *
 * The loader is libyaml's event parser driven by a flat loop: the current
 * container and one pending key are the whole parser state. Anchors and
 * aliases, several documents and non-scalar keys are rejected. */
#include "sim/cfg.h"
#include "sim/cfg_priv.h"
#include "sim/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* ---- nodes --------------------------------------------------------------- */

struct cfg_node *cfg_node_new(const struct cfg_doc *doc, enum cfg_type t, const char *value)
{
    struct cfg_xnode *x = mem_calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->n.type = t;
    x->n.doc = doc;
    if (value && !(x->n.value = mem_strdup(value))) {
        mem_free(x, sizeof *x);
        return NULL;
    }
    return &x->n;
}

void cfg_node_free(struct cfg_node *n)
{
    if (!n)
        return;
    struct cfg_xnode *x = cfg_x(n);
    for (size_t i = 0; i < n->n; i++)
        cfg_node_free(n->items[i]);
    mem_free(n->items, n->cap * sizeof *n->items);
    for (size_t i = 0; i < x->nasked; i++)
        mem_free_str(x->asked[i]);
    mem_free(x->asked, x->asked_cap * sizeof *x->asked);
    mem_free_str(n->key);
    mem_free_str(n->value);
    mem_free(x, sizeof *x);
}

int cfg_node_add(struct cfg_node *parent, struct cfg_node *child)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 4;
        void *p = mem_realloc(parent->items, parent->cap * sizeof *parent->items,
                              cap * sizeof *parent->items);
        if (!p)
            return -ENOMEM;
        parent->items = p;
        parent->cap = cap;
    }
    parent->items[parent->n++] = child;
    child->parent = parent;
    return 0;
}

struct cfg_node *cfg_node_find(const struct cfg_node *map, const char *key, size_t len)
{
    for (size_t i = 0; map && map->type == CFG_MAP && i < map->n; i++) {
        const char *k = map->items[i]->key;
        if (strlen(k) == len && memcmp(k, key, len) == 0)
            return map->items[i];
    }
    return NULL;
}

int cfg_ask(struct cfg_node *map, const char *key)
{
    struct cfg_xnode *x = cfg_x(map);
    for (size_t i = 0; i < x->nasked; i++)
        if (strcmp(x->asked[i], key) == 0)
            return 0;
    if (x->nasked == x->asked_cap) {
        size_t cap = x->asked_cap ? 2 * x->asked_cap : 8;
        void *p = mem_realloc(x->asked, x->asked_cap * sizeof *x->asked, cap * sizeof *x->asked);
        if (!p)
            return -ENOMEM;
        x->asked = p;
        x->asked_cap = cap;
    }
    if (!(x->asked[x->nasked] = mem_strdup(key)))
        return -ENOMEM;
    x->nasked++;
    return 0;
}

/* ---- building the tree from libyaml events ------------------------------- */

struct build {
    const struct cfg_doc *doc;
    const char *name;          /* file name for messages */
    const char *set_path;      /* non-NULL: parsing a --set value */
    struct cfg_err *err;
    struct cfg_node *root, *cur;
    char *key;                 /* pending map key, waiting for its value */
    int key_line, key_col;
    int depth, ndocs;
};

static int berr(struct build *b, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int berr(struct build *b, yaml_mark_t m, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (b->set_path)
        snprintf(b->err->msg, sizeof b->err->msg, "--set %s: %s", b->set_path, text);
    else
        snprintf(b->err->msg, sizeof b->err->msg, "%s:%zu:%zu: %s", b->name,
                 m.line + 1, m.column + 1, text);
    return -EINVAL;
}

static const char *type_name(enum cfg_type t)
{
    return t == CFG_MAP ? "a mapping" : t == CFG_SEQ ? "a sequence" : "a scalar";
}

/* Attach n (already allocated) at the current position; takes ownership. */
static int attach(struct build *b, struct cfg_node *n, yaml_mark_t m)
{
    if (!b->set_path) {
        n->line = (int)m.line + 1;
        n->col = (int)m.column + 1;
    } else {
        n->from_set = 1;
    }
    if (!b->cur && !b->root) {
        if (!b->set_path && n->type != CFG_MAP) {
            enum cfg_type t = n->type;
            cfg_node_free(n);
            return berr(b, m, "the top level must be a mapping, got %s", type_name(t));
        }
        b->root = n;
    } else if (!b->cur) {
        cfg_node_free(n);
        return berr(b, m, "only one document is allowed");
    } else if (b->cur->type == CFG_MAP) {
        n->key = b->key;
        b->key = NULL;
        cfg_x(n)->key_line = b->key_line;
        cfg_x(n)->key_col = b->key_col;
    }
    if (b->cur && cfg_node_add(b->cur, n) < 0) {
        cfg_node_free(n);
        return -ENOMEM;
    }
    if (n->type != CFG_SCALAR) {
        if (++b->depth > CFG_MAX_DEPTH)
            return berr(b, m, "nested more than %d levels deep", CFG_MAX_DEPTH);
        b->cur = n;
    }
    return 0;
}

/* A scalar in key position: check it and keep it as the pending key. */
static int take_key(struct build *b, const yaml_event_t *ev)
{
    const char *k = (const char *)ev->data.scalar.value;
    struct cfg_node *old = cfg_node_find(b->cur, k, strlen(k));
    if (old && old->line)
        return berr(b, ev->start_mark, "duplicate key '%s' (first at line %d)", k,
                    cfg_x(old)->key_line);
    if (old)
        return berr(b, ev->start_mark, "duplicate key '%s'", k);
    if (!(b->key = mem_strdup(k)))
        return -ENOMEM;
    b->key_line = b->set_path ? 0 : (int)ev->start_mark.line + 1;
    b->key_col = b->set_path ? 0 : (int)ev->start_mark.column + 1;
    return 0;
}

static int on_scalar(struct build *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    if (strlen(v) != ev->data.scalar.length)
        return berr(b, ev->start_mark, "NUL characters are not allowed");
    if (b->cur && b->cur->type == CFG_MAP && !b->key)
        return take_key(b, ev);
    struct cfg_node *n = cfg_node_new(b->doc, CFG_SCALAR, v);
    if (!n)
        return -ENOMEM;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n, ev->start_mark);
}

static int on_start(struct build *b, const yaml_event_t *ev, enum cfg_type t)
{
    if (b->cur && b->cur->type == CFG_MAP && !b->key)
        return berr(b, ev->start_mark, "keys must be scalars, got %s", type_name(t));
    struct cfg_node *n = cfg_node_new(b->doc, t, NULL);
    if (!n)
        return -ENOMEM;
    return attach(b, n, ev->start_mark);
}

static const yaml_char_t *anchor_of(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT: return ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT: return ev->data.mapping_start.anchor;
    default: return NULL;
    }
}

static int on_event(struct build *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = anchor_of(ev);
    if (anchor)
        return berr(b, ev->start_mark, "anchors (&%s) are not supported", (const char *)anchor);
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->ndocs > 1)
            return berr(b, ev->start_mark, "only one document is allowed");
        return 0;
    case YAML_ALIAS_EVENT:
        return berr(b, ev->start_mark, "aliases (*%s) are not supported",
                    (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, CFG_SEQ);
    case YAML_MAPPING_START_EVENT: return on_start(b, ev, CFG_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        b->cur = b->cur->parent;
        b->depth--;
        return 0;
    default:
        return 0;
    }
}

static int parse_error(struct build *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return -ENOMEM;
    if (p->error == YAML_READER_ERROR && !b->set_path) {
        snprintf(b->err->msg, sizeof b->err->msg, "%s: offset %zu: %s", b->name,
                 p->problem_offset, p->problem ? p->problem : "read error");
        return -EINVAL;
    }
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->context)
        return berr(b, p->problem_mark, "%s (%s)", problem, p->context);
    return berr(b, p->problem_mark, "%s", problem);
}

/* Run the parser to the end; returns the root or NULL with b->err set. */
static struct cfg_node *run(struct build *b, yaml_parser_t *p)
{
    int rc = 0, done = 0;
    yaml_mark_t end = {0, 0, 0};
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            rc = parse_error(b, p);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        end = ev.start_mark;
        rc = on_event(b, &ev);
        yaml_event_delete(&ev);
    }
    mem_free_str(b->key);
    b->key = NULL;
    if (rc == 0 && !b->root && b->set_path) {   /* "key=": an empty scalar */
        if ((b->root = cfg_node_new(b->doc, CFG_SCALAR, "")))
            b->root->from_set = 1;
        else
            rc = -ENOMEM;
    }
    if (rc == 0 && !b->root)
        rc = berr(b, end, "empty document (expected a mapping)");
    if (rc == -ENOMEM && b->set_path)
        snprintf(b->err->msg, sizeof b->err->msg, "--set %s: out of memory", b->set_path);
    else if (rc == -ENOMEM)
        snprintf(b->err->msg, sizeof b->err->msg, "%s: out of memory", b->name);
    if (rc < 0) {
        cfg_node_free(b->root);
        return NULL;
    }
    return b->root;
}

struct cfg_node *cfg_parse_text(const struct cfg_doc *doc, const char *text,
                                const char *set_path, struct cfg_err *err)
{
    struct build b = {.doc = doc, .name = doc->file, .set_path = set_path, .err = err};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", doc->file);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    struct cfg_node *root = run(&b, &p);
    yaml_parser_delete(&p);
    return root;
}

/* ---- documents ----------------------------------------------------------- */

static struct cfg_doc *doc_new(const char *name, struct cfg_err *err)
{
    struct cfg_doc *doc = mem_calloc(1, sizeof *doc);
    if (doc && !(doc->file = mem_strdup(name))) {
        mem_free(doc, sizeof *doc);
        doc = NULL;
    }
    if (!doc)
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", name);
    return doc;
}

struct cfg_doc *cfg_load_string(const char *name, const char *text, struct cfg_err *err)
{
    struct cfg_doc *doc = doc_new(name, err);
    if (doc && !(doc->root = cfg_parse_text(doc, text, NULL, err))) {
        cfg_free(doc);
        doc = NULL;
    }
    return doc;
}

struct cfg_doc *cfg_load_file(const char *path, struct cfg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct cfg_doc *doc = doc_new(path, err);
    yaml_parser_t p;
    if (doc && !yaml_parser_initialize(&p)) {
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", path);
        cfg_free(doc);
        doc = NULL;
    }
    if (doc) {
        struct build b = {.doc = doc, .name = doc->file, .err = err};
        yaml_parser_set_input_file(&p, f);
        doc->root = run(&b, &p);
        yaml_parser_delete(&p);
        if (!doc->root) {
            cfg_free(doc);
            doc = NULL;
        }
    }
    fclose(f);
    return doc;
}

void cfg_free(struct cfg_doc *doc)
{
    if (!doc)
        return;
    cfg_node_free(doc->root);
    mem_free_str(doc->file);
    mem_free(doc, sizeof *doc);
}

/* ---- navigation, paths, errors ------------------------------------------- */

struct cfg_node *cfg_get(struct cfg_node *map, const char *key)
{
    if (!map || map->type != CFG_MAP)
        return NULL;
    (void)cfg_ask(map, key);   /* on OOM only the "valid:" list gets shorter */
    struct cfg_node *c = cfg_node_find(map, key, strlen(key));
    if (c)
        c->used = 1;
    return c;
}

struct cfg_node *cfg_item(struct cfg_node *seq, size_t i)
{
    if (!seq || seq->type != CFG_SEQ || i >= seq->n)
        return NULL;
    seq->items[i]->used = 1;
    return seq->items[i];
}

char *cfg_path(const struct cfg_node *n, char *buf, size_t size)
{
    const struct cfg_node *chain[CFG_MAX_DEPTH + 2];
    int depth = 0;
    for (; n && n->parent && depth < CFG_MAX_DEPTH + 2; n = n->parent)
        chain[depth++] = n;
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    while (depth-- > 0 && len < size) {
        const struct cfg_node *c = chain[depth], *p = c->parent;
        size_t i = 0;
        int w;
        if (p->type == CFG_SEQ) {
            while (i < p->n && p->items[i] != c)
                i++;
            w = snprintf(buf + len, size - len, "[%zu]", i);
        } else {
            w = snprintf(buf + len, size - len, "%s%s", len ? "." : "", c->key);
        }
        len += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

int cfg_verror(struct cfg_err *err, const struct cfg_node *n, int line, int col,
               const char *fmt, va_list ap)
{
    char path[256];
    int len = 0;
    cfg_path(n, path, sizeof path);
    const char *sep = path[0] ? ": " : "";
    if (n && n->from_set)
        len = snprintf(err->msg, sizeof err->msg, "--set %s: ", path);
    else if (n && n->defaulted)
        len = snprintf(err->msg, sizeof err->msg, "%s: %s (default): ", n->doc->file, path);
    else if (n)
        len = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: %s%s", n->doc->file, line, col,
                       path, sep);
    if (len < 0 || (size_t)len >= sizeof err->msg)
        len = 0;
    vsnprintf(err->msg + len, sizeof err->msg - (size_t)len, fmt, ap);
    return -EINVAL;
}

int cfg_error(struct cfg_err *err, const struct cfg_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_verror(err, n, n ? n->line : 0, n ? n->col : 0, fmt, ap);
    va_end(ap);
    return -EINVAL;
}
