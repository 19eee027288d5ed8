/* runner: runs every Check suite found in the tests/unit/ sources.
 *
 * The Makefile generates suites.inc with one SUITE(suite_NAME) line per
 * `Suite *suite_NAME(void)` definition, so a new suite needs no registration.
 * Usage: unit_tests [SUITE_NAME...]  (no names: all suites).
 * Environment: VMMSIM_QUICK=1 asks suites to skip their slow cases
 * (see tests/testutil.h), CK_FORK=no runs in one process for debuggers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(fn) Suite *fn(void);
#include "suites.inc"
#undef SUITE

struct entry {
    const char *name;
    Suite *(*make)(void);
};

static const struct entry suites[] = {
#define SUITE(fn) {#fn, fn},
#include "suites.inc"
#undef SUITE
    {NULL, NULL},
};

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0 || strcmp(argv[i], name + 6) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    for (const struct entry *e = suites; e->name; e++) {
        if (!wanted(e->name, argc, argv))
            continue;
        if (!sr)
            sr = srunner_create(e->make());
        else
            srunner_add_suite(sr, e->make());
    }
    if (!sr) {
        fprintf(stderr, "unit_tests: no suite matches\n");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
