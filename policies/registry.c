/* registry: the one table of replacement policies, mapping each name to its
 * ops and a one-line description. Adding a policy is one file and one line
 * here.
 *
 * Invariant: names are unique, and entry.name equals entry.ops->name; the
 * table ends with an entry whose name is NULL.
 */
#include "policies/policy.h"

#include <string.h>

extern const struct repl_policy policy_fifo, policy_random, policy_clock,
    policy_lru, policy_lru_oracle, policy_two_list;

static const struct policy_entry table[] = {
    {"fifo", &policy_fifo, "first in, first out: evicts the frame resident longest"},
    {"random", &policy_random, "uniform random victim among resident frames (ESX VMM default)"},
    {"clock", &policy_clock, "second chance: a hand sweeps frames, clearing set accessed bits"},
    {"lru", &policy_lru, "exact least recently used; needs every access (a guest-level ideal)"},
    {"lru-oracle", &policy_lru_oracle,
     "exact LRU as a VMM oracle: sees every access, which a real VMM cannot"},
    {"two-list", &policy_two_list,
     "Linux-like active/inactive lists on accessed bits (inactive >= 1/3 by default)"},
    {NULL, NULL, NULL},
};

const struct repl_policy *policy_find(const char *name)
{
    if (!name)
        return NULL;
    for (const struct policy_entry *e = table; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->ops;
    return NULL;
}

const struct policy_entry *policy_table(void)
{
    return table;
}

/* Truncates (still NUL-terminated) when buf is too small. */
char *policy_names(char *buf, size_t size)
{
    size_t len = 0;
    if (!buf || size == 0)
        return buf;
    buf[0] = '\0';
    for (const struct policy_entry *e = table; e->name; e++) {
        const char *sep = e == table ? "" : ", ";
        size_t need = strlen(sep) + strlen(e->name);
        if (len + need >= size)
            break;
        memcpy(buf + len, sep, strlen(sep));
        memcpy(buf + len + strlen(sep), e->name, strlen(e->name) + 1);
        len += need;
    }
    return buf;
}

void policy_print(FILE *out)
{
    for (const struct policy_entry *e = table; e->name; e++)
        fprintf(out, "%-12s %s\n", e->name, e->desc);
}
