/* pv.c: paravirtual hooks, built only with `make PV=1` (-DPV).
 *
 * pv_set_pte is the single funnel for guest page-table updates (vm.c's
 * pte_set). The store is always done here, so the kernel's own reads of
 * its tables never lag behind. On the vmmsim VMM (found once with SBI BASE
 * probe_extension for the vmmsim extension, EID 0x0A564D4D) every update is
 * also appended to a log shared with the VMM: the VMM validates and applies
 * the logged updates to its shadow state whenever it emulates sfence.vma or
 * a satp write, and when the log fills the kernel hands it over with one
 * hypercall (a batch). Because every page-table update is reported, the VMM
 * need not write-protect and trap page-table pages.
 *
 * Under QEMU/OpenSBI the probe fails and pv_set_pte is a plain store.
 * State: the log and the probe result (single hart, kernel runs with
 * interrupts off, so no locking). */
#include "kernel.h"

#define PV_EID       0x0A564D4DL
#define PV_FID_LOG   0   /* a0 = log address, a1 = capacity: register */
#define PV_FID_FLUSH 1   /* drain the log now */
#define SBI_EID_BASE 0x10L
#define SBI_BASE_PROBE 3
#define PV_LOG_CAP   256

/* Shared with the VMM: n entries of (PTE physical address, new value). */
static struct {
    uint64 n;
    struct {
        uint64 pa, val;
    } e[PV_LOG_CAP];
} pv_log;

static int pv_state; /* 0 = not probed, 1 = VMM present, -1 = plain stores */

static long pv_ecall(long eid, long fid, long a0, long a1)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
    return r1; /* SBI value; the error (a0) is checked by the caller via r0 */
}

/* Probe for the vmmsim extension and register the log. Returns 1 or -1. */
static int pv_probe(void)
{
    if (pv_ecall(SBI_EID_BASE, SBI_BASE_PROBE, PV_EID, 0) != 1)
        return -1;
    pv_log.n = 0;
    register long r0 __asm__("a0") = (long)&pv_log;
    register long r1 __asm__("a1") = PV_LOG_CAP;
    register long r6 __asm__("a6") = PV_FID_LOG;
    register long r7 __asm__("a7") = PV_EID;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
    return r0 == 0 ? 1 : -1;
}

void pv_set_pte(pte_t *pte, pte_t val)
{
    *pte = val;
    if (pv_state == 0)
        pv_state = pv_probe();
    if (pv_state < 0)
        return;
    pv_log.e[pv_log.n].pa = (uint64)pte; /* kernel VA == PA (identity map) */
    pv_log.e[pv_log.n].val = val;
    if (++pv_log.n == PV_LOG_CAP)
        pv_ecall(PV_EID, PV_FID_FLUSH, 0, 0);
}
