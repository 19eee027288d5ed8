/* cfg: YAML documents as a small tree with positions, typed getters that
 * fill in defaults, `--set` overrides, and error messages in the house format
 *
 *     FILE:LINE:COL: key.path: expected WHAT, got "FOUND"
 *
 * The tree is the single source of truth for a run's configuration: getters
 * insert a node for every default they apply (marked `defaulted`), so after
 * the schema has read everything, emitting the tree gives the fully resolved
 * config.yaml. Every node the schema reads is marked `used`; cfg_check_unused
 * reports the first unknown key with the list of valid ones.
 *
 * Library code never prints: errors are formatted into a struct cfg_err and
 * functions return a negative errno-style code (-EINVAL for bad input,
 * -ENOMEM, -EIO).
 */
#ifndef VMMSIM_CFG_H
#define VMMSIM_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type { CFG_SCALAR, CFG_MAP, CFG_SEQ };

struct cfg_doc;

struct cfg_node {
    enum cfg_type type;
    char *key;                 /* key in the parent map, else NULL */
    char *value;               /* scalar text (CFG_SCALAR), else NULL */
    int quoted;                /* scalar was quoted in the source: always a string */
    int line, col;             /* 1-based position of the value; 0 = from --set or a default */
    struct cfg_node **items;   /* children: map entries (key set) or sequence items */
    size_t n, cap;
    struct cfg_node *parent;
    const struct cfg_doc *doc;
    unsigned used : 1;         /* read by the schema */
    unsigned defaulted : 1;    /* inserted by a getter's default */
    unsigned from_set : 1;     /* created or changed by cfg_set */
};

struct cfg_doc {
    char *file;                /* name used in messages */
    struct cfg_node *root;     /* a CFG_MAP */
};

struct cfg_err {
    char msg[768];
};

/* Loading. NULL on failure with err->msg set ("FILE:L:C: ..." for syntax
 * errors, "FILE: cannot open: ..." for I/O). The root must be a mapping. */
struct cfg_doc *cfg_load_file(const char *path, struct cfg_err *err);
struct cfg_doc *cfg_load_string(const char *name, const char *text, struct cfg_err *err);
void cfg_free(struct cfg_doc *doc);

/* Apply one override "a.b[2].c=value" (or "a.b.2.c=value"): creates missing
 * maps and keys, replaces an existing scalar; the value is parsed as YAML
 * flow text ("[a, b]" makes a sequence). Returns 0 or -EINVAL with err set
 * ("--set a.b.c: ..."). */
int cfg_set(struct cfg_doc *doc, const char *assignment, struct cfg_err *err);

/* Navigation. cfg_get marks the child used; NULL if absent or map is not a map. */
struct cfg_node *cfg_get(struct cfg_node *map, const char *key);
struct cfg_node *cfg_item(struct cfg_node *seq, size_t i);

/* "hosts[0].vms[1].memory". Writes at most size bytes; returns buf. */
char *cfg_path(const struct cfg_node *n, char *buf, size_t size);

/* Format an error about node n into err: "FILE:L:C: PATH: " + printf text.
 * A node from --set is reported as "--set PATH: ..."; a defaulted one as
 * "FILE: PATH (default): ...". Always returns -EINVAL. */
int cfg_error(struct cfg_err *err, const struct cfg_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed getters. Each looks up `key` in `map`; if absent and def != NULL it
 * inserts def as a defaulted scalar and parses that; if absent and def ==
 * NULL it is an error ("missing key"). A present value of the wrong form is
 * an error "expected a size like 512MiB, got \"lots\"". Return 0 or -EINVAL.
 *
 *   size:   bytes; "4096", "4KiB", "512MiB", "1.5GiB", "2TiB" (binary units;
 *           also K/M/G/T and KB/MB/GB as binary; B for bytes)
 *   time:   ns; "200ns", "5us", "5ms", "60s", "2min", "1h"; a bare number is ns
 *   ratio:  "40%" or a number; checked to lie in [lo, hi]
 *   uint:   decimal or 0x hex, checked to lie in [lo, hi]; also takes
 *           "10M"/"2k" style SI suffixes (k=1e3, M=1e6, G=1e9)
 *   dbl:    floating point, checked to lie in [lo, hi]
 *   bool:   true/false/yes/no/on/off
 *   str:    any scalar
 *   choice: one of the NULL-terminated list; the error lists them all
 */
int cfg_size(struct cfg_node *map, const char *key, const char *def, uint64_t *out, struct cfg_err *err);
int cfg_time(struct cfg_node *map, const char *key, const char *def, uint64_t *out, struct cfg_err *err);
int cfg_ratio(struct cfg_node *map, const char *key, const char *def, double lo, double hi, double *out, struct cfg_err *err);
int cfg_uint(struct cfg_node *map, const char *key, const char *def, uint64_t lo, uint64_t hi, uint64_t *out, struct cfg_err *err);
int cfg_dbl(struct cfg_node *map, const char *key, const char *def, double lo, double hi, double *out, struct cfg_err *err);
int cfg_bool(struct cfg_node *map, const char *key, const char *def, int *out, struct cfg_err *err);
int cfg_str(struct cfg_node *map, const char *key, const char *def, const char **out, struct cfg_err *err);
int cfg_choice(struct cfg_node *map, const char *key, const char *def, const char *const *choices, int *out, struct cfg_err *err);

/* The same parsers on a bare scalar node (for sequence items). */
int cfg_parse_size(const struct cfg_node *n, uint64_t *out, struct cfg_err *err);
int cfg_parse_time(const struct cfg_node *n, uint64_t *out, struct cfg_err *err);
int cfg_parse_ratio(const struct cfg_node *n, double lo, double hi, double *out, struct cfg_err *err);

/* If key is absent from map, insert a defaulted node parsed from the YAML
 * flow text `yaml` (e.g. "[swap]"); returns 0, or -EINVAL/-ENOMEM. */
int cfg_default_flow(struct cfg_node *map, const char *key, const char *yaml, struct cfg_err *err);

/* Require n to be a map (or sequence); error "expected a mapping, got ..." otherwise. */
int cfg_want_map(const struct cfg_node *n, struct cfg_err *err);
int cfg_want_seq(const struct cfg_node *n, struct cfg_err *err);

/* Walk every map under n; the first key that the schema never asked for is
 * an error "unknown key 'foo' (valid: a, b, c)" listing every key the schema
 * asked for in that map (getters record the names they were asked, present
 * or not, so the list is complete). */
int cfg_check_unused(struct cfg_node *n, struct cfg_err *err);

/* Emit the tree as block YAML (comments are not kept). Returns 0 or -EIO. */
int cfg_emit(const struct cfg_doc *doc, FILE *out);

/* Added by cfg's implementer. */

/* Get the child map `key` of map, inserting an empty defaulted map when the
 * key is absent (so getters on it can insert defaults); error if the value
 * is not a mapping. Marks it used. Returns 0, -EINVAL or -ENOMEM. */
int cfg_section(struct cfg_node *map, const char *key, struct cfg_node **out, struct cfg_err *err);

/* Mark n and everything below it as used: for free-form maps whose keys the
 * schema does not know (cfg_check_unused then skips them). */
void cfg_use_all(struct cfg_node *n);

#endif
