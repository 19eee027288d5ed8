/* testutil: small helpers shared by the Check suites. */
#ifndef VMMSIM_TESTUTIL_H
#define VMMSIM_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Remove the files of the flat directory dir (as the tests' mkdtemp
 * directories are), then dir itself. A missing dir is fine. */
static inline void test_rmdir_flat(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

#endif
