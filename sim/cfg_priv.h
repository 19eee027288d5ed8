/* cfg_priv: what the cfg_*.c files share and nobody else should see.
 *
 * Every node is allocated as a struct cfg_xnode whose first member is the
 * public struct cfg_node, so the module can keep private bookkeeping (key
 * position, the key names the schema asked of a map) without widening the
 * public header. */
#ifndef VMMSIM_CFG_PRIV_H
#define VMMSIM_CFG_PRIV_H

#include "sim/cfg.h"

#include <stdarg.h>

#define CFG_MAX_DEPTH 64      /* nesting limit: keeps every recursion bounded */

struct cfg_xnode {
    struct cfg_node n;        /* must stay first */
    int key_line, key_col;    /* 1-based position of the key; 0 if none */
    char **asked;             /* key names the schema asked of this map */
    size_t nasked, asked_cap;
};

static inline struct cfg_xnode *cfg_x(const struct cfg_node *n)
{
    return (struct cfg_xnode *)n;
}

/* Node life cycle. cfg_node_new copies value (may be NULL); NULL on OOM.
 * cfg_node_free frees n and everything below it. cfg_node_add appends child
 * (whose key is already set, or NULL in a sequence); -ENOMEM on failure. */
struct cfg_node *cfg_node_new(const struct cfg_doc *doc, enum cfg_type t, const char *value);
void cfg_node_free(struct cfg_node *n);
int cfg_node_add(struct cfg_node *parent, struct cfg_node *child);
struct cfg_node *cfg_node_find(const struct cfg_node *map, const char *key, size_t len);

/* Parse YAML text into a detached tree. With set_path != NULL the text is a
 * --set value: any root type is allowed, nodes are marked from_set with no
 * position, and errors read "--set SET_PATH: ...". NULL on failure. */
struct cfg_node *cfg_parse_text(const struct cfg_doc *doc, const char *text,
                                const char *set_path, struct cfg_err *err);

/* cfg_error with an explicit position (used for key positions). */
int cfg_verror(struct cfg_err *err, const struct cfg_node *n, int line, int col,
               const char *fmt, va_list ap);

/* Remember that the schema asked map for key; -ENOMEM on failure. */
int cfg_ask(struct cfg_node *map, const char *key);

#endif
