/* config: the experiment schema. Reads a cfg tree (after --set overrides)
 * into struct exp_params, filling defaults into the tree so that emitting it
 * gives the resolved config.yaml. Every key is documented in
 * configs/schema.md; keep the two in step.
 *
 * Strings in the params point into the tree: keep the cfg_doc alive as long
 * as the params. Workload sections are left as tree nodes and read when the
 * simulation is built (each generator validates its own keys), so a full
 * validation is config_read + sim_create + cfg_check_unused.
 */
#ifndef VMMSIM_CONFIG_H
#define VMMSIM_CONFIG_H

#include "sim/cfg.h"
#include "sim/model.h"

int  config_read(struct cfg_doc *doc, struct exp_params *out, struct cfg_err *err);
void config_free(struct exp_params *p);

/* "512MiB", "1.5GiB" style text for a byte count (exact: falls back to
 * smaller units, then bytes). Returns buf. */
char *config_fmt_size(uint64_t bytes, char *buf, size_t size);

#endif
