/* cfg_emit: write a cfg tree as block-style YAML through libyaml's emitter.
 *
 * libyaml picks the quoting: a scalar that was plain is written plain when
 * that reads back as the same text, and quoted otherwise; a scalar that was
 * quoted stays quoted (plain_implicit = 0), so "yes" or "010" kept as
 * strings stay strings; quoted multi-line text is written as a literal
 * block. Loading the output gives an equal tree (same types,
 * keys, values and order). No line width limit, UTF-8 kept as is. */
#include "sim/cfg.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>

static int scalar(yaml_emitter_t *em, const char *v, int quoted)
{
    yaml_event_t ev;
    /* multi-line text reads best as a literal block; libyaml falls back to
     * quotes when the text cannot be one (e.g. trailing spaces) */
    yaml_scalar_style_t style = quoted && strchr(v, '\n') ? YAML_LITERAL_SCALAR_STYLE
                                                          : YAML_ANY_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v),
                                      !quoted, 1, style))
        return -1;
    return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int node(yaml_emitter_t *em, const struct cfg_node *n)
{
    yaml_event_t ev;
    int ok;
    if (n->type == CFG_SCALAR)
        return scalar(em, n->value, n->quoted);
    if (n->type == CFG_MAP)
        ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    else
        ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    if (!ok || !yaml_emitter_emit(em, &ev))
        return -1;
    for (size_t i = 0; i < n->n; i++) {
        if (n->type == CFG_MAP && scalar(em, n->items[i]->key, 0) < 0)
            return -1;
        if (node(em, n->items[i]) < 0)
            return -1;
    }
    ok = n->type == CFG_MAP ? yaml_mapping_end_event_initialize(&ev)
                            : yaml_sequence_end_event_initialize(&ev);
    return ok && yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int document(yaml_emitter_t *em, const struct cfg_doc *doc)
{
    yaml_event_t ev;
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(em, &ev))
        return -1;
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(em, &ev))
        return -1;
    if (node(em, doc->root) < 0)
        return -1;
    if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(em, &ev))
        return -1;
    if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
        return -1;
    return yaml_emitter_flush(em) ? 0 : -1;
}

int cfg_emit(const struct cfg_doc *doc, FILE *out)
{
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em))
        return -EIO;
    yaml_emitter_set_output_file(&em, out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_indent(&em, 2);
    int rc = document(&em, doc);
    yaml_emitter_delete(&em);
    return rc < 0 || ferror(out) ? -EIO : 0;
}
