/* config: experiment schema -> struct exp_params.
 * Every getter call here is one documented key of configs/schema.md; the
 * defaults here are the defaults there. Relations between keys (watermark
 * order, unique names, limits) are checked after the keys are read, and
 * reported at the offending node. */
#include "sim/config.h"

#include <errno.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/vmm.h"

#define TRY(x)             \
    do {                   \
        int rc_ = (x);     \
        if (rc_ < 0)       \
            return rc_;    \
    } while (0)

char *config_fmt_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4; i++) {
        uint64_t u = 1ull << (10 * (4 - i));
        if (bytes >= u && bytes % u == 0) {
            snprintf(buf, size, "%llu%s", (unsigned long long)(bytes / u), units[i]);
            return buf;
        }
    }
    snprintf(buf, size, "%lluB", (unsigned long long)bytes);
    return buf;
}

/* Names end up in CSV cells, JSON strings and paths: keep them plain. */
static int check_name(struct cfg_node *map, const char *name, size_t max, struct cfg_err *err)
{
    int ok = name[0] && strlen(name) <= max && strcmp(name, ".") && strcmp(name, "..");
    for (const char *c = name; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '-' || *c == '_' || *c == '.' || *c == '+';
    if (!ok)
        return cfg_error(err, cfg_get(map, "name"),
                         "expected a name of 1-%zu letters, digits or - _ . +, got \"%s\"", max, name);
    return 0;
}

static int read_policy(struct cfg_node *map, const char *def, const char **out, struct cfg_err *err)
{
    TRY(cfg_str(map, "policy", def, out, err));
    if (!policy_find(*out)) {
        char names[256];
        return cfg_error(err, cfg_get(map, "policy"), "expected one of %s, got \"%s\"",
                         policy_names(names, sizeof names), *out);
    }
    return 0;
}

/* A size, or a ratio of `whole` when written with '%'. */
static int size_or_ratio(struct cfg_node *map, const char *key, const char *def, uint64_t whole,
                         uint64_t *out, struct cfg_err *err)
{
    struct cfg_node *n = cfg_get(map, key);
    const char *text = n && n->type == CFG_SCALAR ? n->value : (n ? NULL : def);
    if (text && strchr(text, '%')) {
        double r;
        TRY(cfg_ratio(map, key, def, 0.0, 1.0, &r, err));
        *out = (uint64_t)(r * (double)whole);
        return 0;
    }
    return cfg_size(map, key, def, out, err);
}

static int read_swap(struct cfg_node *parent, uint64_t def_size, uint64_t *size,
                     struct device_params *dev, struct cfg_err *err)
{
    char def[32];
    struct cfg_node *sw;
    TRY(cfg_section(parent, "swap", &sw, err));
    TRY(cfg_size(sw, "size", config_fmt_size(def_size, def, sizeof def), size, err));
    return device_params_read(sw, "device", "ssd", dev, err);
}

static int read_watermarks(struct cfg_node *guest, struct guest_params *gp, struct cfg_err *err)
{
    struct cfg_node *w;
    TRY(cfg_section(guest, "watermarks", &w, err));
    TRY(cfg_ratio(w, "min", "1%", 0.0, 0.5, &gp->wm_min, err));
    TRY(cfg_ratio(w, "low", "2%", 0.0, 0.5, &gp->wm_low, err));
    TRY(cfg_ratio(w, "high", "3%", 0.0, 0.5, &gp->wm_high, err));
    if (gp->wm_min > gp->wm_low)
        return cfg_error(err, cfg_get(w, "low"), "expected low >= min (%g%%), got %g%%",
                         gp->wm_min * 100, gp->wm_low * 100);
    if (gp->wm_low > gp->wm_high)
        return cfg_error(err, cfg_get(w, "high"), "expected high >= low (%g%%), got %g%%",
                         gp->wm_low * 100, gp->wm_high * 100);
    return 0;
}

static int read_guest(struct cfg_node *vmn, struct vm_params *vp, struct cfg_err *err)
{
    struct guest_params *gp = &vp->guest;
    struct cfg_node *g;
    uint64_t batch;
    TRY(cfg_section(vmn, "guest", &g, err));
    TRY(read_policy(g, "two-list", &gp->policy, err));
    TRY(cfg_size(g, "kernel", "0", &gp->kernel_bytes, err));
    if (gp->kernel_bytes >= vp->memory / 2)
        return cfg_error(err, cfg_get(g, "kernel"), "expected less than half the VM's memory, got %llu bytes",
                         (unsigned long long)gp->kernel_bytes);
    TRY(read_watermarks(g, gp, err));
    TRY(read_swap(g, 2 * vp->memory, &gp->swap_bytes, &gp->swapdev, err));
    TRY(cfg_time(g, "fault_cost", "2us", &gp->fault_cost_ns, err));
    TRY(cfg_time(g, "reclaim_cost", "1us", &gp->reclaim_cost_ns, err));
    TRY(cfg_uint(g, "kswapd_batch", "32", 1, 4096, &batch, err));
    gp->kswapd_batch = (uint32_t)batch;
    struct cfg_node *c;
    TRY(cfg_section(g, "content", &c, err));
    TRY(cfg_str(c, "image", "os", &gp->image, err));
    TRY(cfg_ratio(c, "image_share", "0%", 0.0, 1.0, &gp->image_share, err));
    return cfg_ratio(c, "write_changes", "100%", 0.0, 1.0, &gp->write_changes, err);
}

static int read_vm(struct cfg_node *vmn, uint32_t idx, uint32_t page_size, struct vm_params *vp,
                   struct cfg_err *err)
{
    char def[32];
    uint64_t v;
    TRY(cfg_want_map(vmn, err));
    snprintf(def, sizeof def, "vm%u", idx);
    TRY(cfg_str(vmn, "name", def, &vp->name, err));
    TRY(check_name(vmn, vp->name, 40, err));
    TRY(cfg_uint(vmn, "count", "1", 1, 65536, &v, err));
    vp->count = (uint32_t)v;
    TRY(cfg_size(vmn, "memory", NULL, &vp->memory, err));
    vp->memory -= vp->memory % page_size;
    if (vp->memory < 64ull * page_size || vp->memory / page_size > PTE_MAX_INDEX)
        return cfg_error(err, cfg_get(vmn, "memory"), "expected between 64 pages and %u pages of memory, got %llu pages",
                         PTE_MAX_INDEX, (unsigned long long)(vp->memory / page_size));
    TRY(cfg_uint(vmn, "vcpus", "1", 1, 256, &v, err));
    vp->vcpus = (uint32_t)v;
    TRY(size_or_ratio(vmn, "limit", "100%", vp->memory, &vp->limit, err));
    if (vp->limit < 16ull * page_size)
        return cfg_error(err, cfg_get(vmn, "limit"),
                         "expected at least 16 pages (a size like 512MiB or a ratio like 60%%), got %llu bytes",
                         (unsigned long long)vp->limit);
    TRY(read_guest(vmn, vp, err));
    vp->workload = cfg_get(vmn, "workload");
    if (!vp->workload)
        return cfg_error(err, vmn, "missing key 'workload' (expected a mapping with kind: ...)");
    return cfg_want_map(vp->workload, err);
}

static int unique_names(struct cfg_node *seq, struct host_params *hp, struct cfg_err *err)
{
    for (uint32_t i = 0; i < hp->nvms; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(hp->vms[i].name, hp->vms[j].name) == 0)
                return cfg_error(err, cfg_get(cfg_item(seq, i), "name"),
                                 "expected a VM name not used before, got \"%s\" again", hp->vms[i].name);
    return 0;
}

static int read_vms(struct cfg_node *hn, uint32_t page_size, struct host_params *hp, struct cfg_err *err)
{
    struct cfg_node *seq = cfg_get(hn, "vms");
    if (!seq)
        return cfg_error(err, hn, "missing key 'vms' (expected a list of VMs)");
    TRY(cfg_want_seq(seq, err));
    if (seq->n == 0)
        return cfg_error(err, seq, "expected at least one VM, got an empty list");
    hp->vms = mem_calloc(seq->n, sizeof *hp->vms);
    if (!hp->vms)
        return -ENOMEM;
    hp->nvms = (uint32_t)seq->n;
    for (uint32_t i = 0; i < hp->nvms; i++)
        TRY(read_vm(cfg_item(seq, i), i, page_size, &hp->vms[i], err));
    return unique_names(seq, hp, err);
}

static int read_states(struct cfg_node *vmm, struct vmm_params *mp, struct cfg_err *err)
{
    struct cfg_node *st;
    TRY(cfg_section(vmm, "states", &st, err));
    TRY(cfg_ratio(st, "high", "6%", 0.0, 0.5, &mp->st_high, err));
    TRY(cfg_ratio(st, "soft", "4%", 0.0, 0.5, &mp->st_soft, err));
    TRY(cfg_ratio(st, "hard", "2%", 0.0, 0.5, &mp->st_hard, err));
    TRY(cfg_ratio(st, "low", "1%", 0.0, 0.5, &mp->st_low, err));
    if (!(mp->st_high >= mp->st_soft && mp->st_soft >= mp->st_hard && mp->st_hard >= mp->st_low))
        return cfg_error(err, st, "expected high >= soft >= hard >= low, got %g%% %g%% %g%% %g%%",
                         mp->st_high * 100, mp->st_soft * 100, mp->st_hard * 100, mp->st_low * 100);
    return 0;
}

static int read_reclaim(struct cfg_node *vmm, struct cfg_err *err)
{
    static const char *const mech[] = {"swap", NULL};
    struct cfg_node *r = cfg_get(vmm, "reclaim");
    if (!r)
        return cfg_default_flow(vmm, "reclaim", "[swap]", err);
    TRY(cfg_want_seq(r, err));
    for (size_t i = 0; i < r->n; i++) {
        struct cfg_node *it = cfg_item(r, i);
        if (it->type != CFG_SCALAR || strcmp(it->value, mech[0]) != 0)
            return cfg_error(err, it, "expected swap (share, balloon, compress and suspend are not implemented yet), got %s%s%s",
                             it->type == CFG_SCALAR ? "\"" : "", it->type == CFG_SCALAR ? it->value : "a collection",
                             it->type == CFG_SCALAR ? "\"" : "");
    }
    return 0;
}

static int read_vmm(struct cfg_node *hn, struct vmm_params *mp, struct cfg_err *err)
{
    static const char *const alloc[] = {"static", "equal", NULL};
    struct cfg_node *vmm;
    TRY(cfg_section(hn, "vmm", &vmm, err));
    TRY(read_policy(vmm, "random", &mp->policy, err));
    TRY(cfg_choice(vmm, "allocation", "static", alloc, &mp->allocation, err));
    TRY(cfg_time(vmm, "fault_cost", "10us", &mp->fault_cost_ns, err));
    TRY(read_reclaim(vmm, err));
    return read_states(vmm, mp, err);
}

static int read_host(struct cfg_node *hn, uint32_t idx, uint32_t page_size, struct host_params *hp,
                     struct cfg_err *err)
{
    char def[32];
    TRY(cfg_want_map(hn, err));
    snprintf(def, sizeof def, "host%u", idx);
    TRY(cfg_str(hn, "name", def, &hp->name, err));
    TRY(check_name(hn, hp->name, 40, err));
    TRY(cfg_size(hn, "memory", NULL, &hp->memory, err));
    if (hp->memory < 64ull * page_size)
        return cfg_error(err, cfg_get(hn, "memory"), "expected at least 64 pages, got %llu bytes",
                         (unsigned long long)hp->memory);
    TRY(read_swap(hn, hp->memory, &hp->swap_bytes, &hp->swapdev, err));
    if (hp->swap_bytes / page_size > P2M_IDX)
        return cfg_error(err, cfg_get(cfg_get(hn, "swap"), "size"), "expected at most %u pages of host swap, got %llu",
                         P2M_IDX, (unsigned long long)(hp->swap_bytes / page_size));
    TRY(read_vmm(hn, &hp->vmm, err));
    return read_vms(hn, page_size, hp, err);
}

static int read_hosts(struct cfg_node *root, struct exp_params *p, struct cfg_err *err)
{
    struct cfg_node *one = cfg_get(root, "host"), *many = cfg_get(root, "hosts");
    if (one && many)
        return cfg_error(err, many, "expected either 'host' or 'hosts', got both");
    if (!one && !many)
        return cfg_error(err, root, "missing key 'host' (expected a host mapping, or 'hosts': a list of them)");
    if (many) {
        TRY(cfg_want_seq(many, err));
        if (many->n == 0 || many->n > 1024)
            return cfg_error(err, many, "expected 1 to 1024 hosts, got %zu", many->n);
    }
    p->nhosts = many ? (uint32_t)many->n : 1;
    p->hosts = mem_calloc(p->nhosts, sizeof *p->hosts);
    if (!p->hosts)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->nhosts; i++)
        TRY(read_host(many ? cfg_item(many, i) : one, i, p->page_size, &p->hosts[i], err));
    for (uint32_t i = 0; i < p->nhosts; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(p->hosts[i].name, p->hosts[j].name) == 0)
                return cfg_error(err, cfg_get(cfg_item(many, i), "name"),
                                 "expected a host name not used before, got \"%s\" again", p->hosts[i].name);
    return 0;
}

static int read_top(struct cfg_doc *doc, struct exp_params *p, struct cfg_err *err)
{
    struct cfg_node *root = doc->root;
    char def[128];
    const char *base = strrchr(doc->file, '/');
    snprintf(def, sizeof def, "%s", base ? base + 1 : doc->file);
    char *dot = strrchr(def, '.');
    if (dot && dot != def)
        *dot = 0;
    uint64_t ps;
    TRY(cfg_str(root, "name", def, &p->name, err));
    TRY(check_name(root, p->name, 100, err));
    TRY(cfg_uint(root, "seed", "1", 0, UINT64_MAX, &p->seed, err));
    TRY(cfg_size(root, "page_size", "4KiB", &ps, err));
    if (ps < 512 || ps > (1u << 30) || (ps & (ps - 1)))
        return cfg_error(err, cfg_get(root, "page_size"), "expected a power of two from 512B to 1GiB, got %llu",
                         (unsigned long long)ps);
    p->page_size = (uint32_t)ps;
    TRY(cfg_time(root, "duration", "1h", &p->duration_ns, err));
    TRY(cfg_time(root, "sample_interval", "1s", &p->sample_ns, err));
    TRY(cfg_time(root, "quantum", "1ms", &p->quantum_ns, err));
    if (p->sample_ns == 0)
        return cfg_error(err, cfg_get(root, "sample_interval"), "expected a time above 0, got 0");
    if (p->quantum_ns == 0)
        return cfg_error(err, cfg_get(root, "quantum"), "expected a time above 0, got 0");
    return cfg_bool(root, "check_invariants", "false", &p->check, err);
}

int config_read(struct cfg_doc *doc, struct exp_params *p, struct cfg_err *err)
{
    memset(p, 0, sizeof *p);
    err->msg[0] = 0;
    int rc = read_top(doc, p, err);
    if (rc == 0)
        rc = read_hosts(doc->root, p, err);
    cfg_use_all(cfg_get(doc->root, "sweep")); /* read by the sweep command */
    if (rc == -ENOMEM && !err->msg[0])
        snprintf(err->msg, sizeof err->msg, "%s: out of memory reading the config", doc->file);
    return rc;
}

void config_free(struct exp_params *p)
{
    for (uint32_t i = 0; p->hosts && i < p->nhosts; i++)
        mem_free(p->hosts[i].vms, (size_t)p->hosts[i].nvms * sizeof *p->hosts[i].vms);
    mem_free(p->hosts, (size_t)p->nhosts * sizeof *p->hosts);
    memset(p, 0, sizeof *p);
}
