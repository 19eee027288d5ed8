/* pv.c: paravirtual hooks, built only with `make PV=1` (-DPV).
 *
 * pv_set_pte is the single funnel for guest page-table updates (vm.c's
 * pte_set). For now it is a plain store; a paravirtual VMM interface would
 * replace it with a hypercall so the VMM need not write-protect and trap
 * the guest's page tables. No state. */
#include "kernel.h"

void pv_set_pte(pte_t *pte, pte_t val)
{
    *pte = val;
}
