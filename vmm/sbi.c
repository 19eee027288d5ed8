/* sbi: SBI calls of a guest kernel, dispatched by extension id.
 *
 * Stateless: every effect goes through the struct sbi_platform callbacks.
 * Invariant: an unknown EID or FID returns SBI_ERR_NOT_SUPPORTED and a bad
 * argument SBI_ERR_INVALID_PARAM without calling the platform, so a guest
 * can never make the VMM act on a malformed call.
 */
#include "vmm/sbi.h"

#include <stddef.h>

#define SBI_SPEC_VERSION ((2ULL << 24) | 0)   /* SBI 2.0 */
#define SBI_IMPL_ID 0x766d6dULL               /* "vmm", not a registered id */

static struct sbi_ret ok(int64_t value)
{
    return (struct sbi_ret){SBI_SUCCESS, value, 0};
}

static struct sbi_ret fail(int64_t error)
{
    return (struct sbi_ret){error, 0, 0};
}

static int ext_present(const struct sbi_platform *p, uint64_t eid)
{
    switch (eid) {
    case SBI_EID_LEGACY_PUTCHAR: case SBI_EID_BASE: case SBI_EID_TIME: case SBI_EID_SRST:
        return 1;
    case SBI_EID_VMMSIM:
        return p->pv != NULL;
    }
    return 0;
}

static struct sbi_ret base(const struct sbi_platform *p, uint64_t fid, const uint64_t a[8])
{
    switch (fid) {
    case 0: return ok((int64_t)SBI_SPEC_VERSION);
    case 1: return ok((int64_t)SBI_IMPL_ID);
    case 2: return ok(1);
    case 3: return ok(ext_present(p, a[0]));
    case 4: case 5: case 6: return ok(0);       /* mvendorid, marchid, mimpid */
    }
    return fail(SBI_ERR_NOT_SUPPORTED);
}

static struct sbi_ret srst(const struct sbi_platform *p, uint64_t fid, const uint64_t a[8])
{
    if (fid != 0)
        return fail(SBI_ERR_NOT_SUPPORTED);
    uint64_t type = a[0], reason = a[1];
    /* types: 0 shutdown, 1 cold reboot, 2 warm reboot; we only power off */
    if (type > 2 || reason > 1)
        return fail(SBI_ERR_INVALID_PARAM);
    if (type != SBI_SRST_SHUTDOWN)
        return fail(SBI_ERR_NOT_SUPPORTED);
    p->reset(p->opaque, (uint32_t)type, (uint32_t)reason);
    return ok(0);
}

struct sbi_ret sbi_call(const struct sbi_platform *p, const uint64_t a[8])
{
    uint64_t eid = a[7], fid = a[6];
    switch (eid) {
    case SBI_EID_LEGACY_PUTCHAR:
        p->putchar(p->opaque, (int)(a[0] & 0xff));
        return (struct sbi_ret){0, 0, 1};
    case SBI_EID_BASE:
        return base(p, fid, a);
    case SBI_EID_TIME:
        if (fid != 0)
            return fail(SBI_ERR_NOT_SUPPORTED);
        p->set_timer(p->opaque, a[0]);
        return ok(0);
    case SBI_EID_SRST:
        return srst(p, fid, a);
    case SBI_EID_VMMSIM:
        if (!p->pv)
            return fail(SBI_ERR_NOT_SUPPORTED);
        return (struct sbi_ret){p->pv(p->opaque, fid, a[0], a[1]), 0, 0};
    }
    return fail(SBI_ERR_NOT_SUPPORTED);
}

const char *sbi_ext_name(uint64_t eid)
{
    switch (eid) {
    case SBI_EID_LEGACY_PUTCHAR: return "putchar";
    case SBI_EID_BASE: return "base";
    case SBI_EID_TIME: return "set_timer";
    case SBI_EID_SRST: return "reset";
    case SBI_EID_VMMSIM: return "pv";
    }
    return "other";
}
