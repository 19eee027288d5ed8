/* sbi: the Supervisor Binary Interface a VM's guest kernel calls (ecall
 * from virtual S-mode), implemented in C.
 *
 * Extensions: legacy console_putchar (EID 0x01), BASE (0x10), TIME
 * (0x54494D45), SRST (0x53525354) and, for the paravirtual guest, the vmmsim
 * PV extension (SBI_EID_VMMSIM: FID 0 registers the guest's PTE-update
 * log, FID 1 drains it). The platform side (console, timer, reset, PV) is a
 * table of callbacks, so the module has no state and can be tested alone.
 */
#ifndef VMMSIM_SBI_H
#define VMMSIM_SBI_H

#include <stdint.h>

#define SBI_EID_LEGACY_PUTCHAR 0x01
#define SBI_EID_BASE   0x10
#define SBI_EID_TIME   0x54494D45
#define SBI_EID_SRST   0x53525354
#define SBI_EID_VMMSIM 0x0A564D4D   /* in the firmware-specific EID range
                                       0x0A000000..0x0AFFFFFF ("VMM") */

/* SBI error codes */
#define SBI_SUCCESS            0
#define SBI_ERR_FAILED        -1
#define SBI_ERR_NOT_SUPPORTED -2
#define SBI_ERR_INVALID_PARAM -3
#define SBI_ERR_INVALID_ADDRESS -5

/* SRST reset types/reasons handed to the platform */
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

struct sbi_platform {
    void (*putchar)(void *opaque, int ch);
    void (*set_timer)(void *opaque, uint64_t when);
    void (*reset)(void *opaque, uint32_t type, uint32_t reason);
    /* PV extension call fid with a0, a1; returns an SBI error code.
     * NULL: extension absent. */
    int64_t (*pv)(void *opaque, uint64_t fid, uint64_t a0, uint64_t a1);
    void *opaque;
};

struct sbi_ret {
    int64_t error;
    int64_t value;
    int legacy;        /* legacy call: only a0 (= error) is written back */
};

/* Handle one call: a[0..7] are the guest's a0..a7 (a7 = EID, a6 = FID). */
struct sbi_ret sbi_call(const struct sbi_platform *p, const uint64_t a[8]);

/* Name of an EID (for statistics), "other" if unknown. */
const char *sbi_ext_name(uint64_t eid);

#endif
