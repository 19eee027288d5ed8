/* testutil: small helpers shared by the Check suites. */
#ifndef VMMSIM_TESTUTIL_H
#define VMMSIM_TESTUTIL_H

#include <stdlib.h>

/* Non-zero when VMMSIM_QUICK is set: suites skip slow cases. */
static inline int test_quick(void)
{
    const char *q = getenv("VMMSIM_QUICK");
    return q && *q && *q != '0';
}

/* Path of the vmmsim binary under test (VMMSIM_BIN, default bin/vmmsim). */
static inline const char *test_bin(void)
{
    const char *b = getenv("VMMSIM_BIN");
    return b && *b ? b : "bin/vmmsim";
}

#endif
