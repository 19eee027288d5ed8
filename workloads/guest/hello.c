/* hello: prints a greeting and its arguments. */
#include "user.h"

int main(int argc, char **argv)
{
    printf("hello: hello from the vmmsim guest, argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("hello: argv[%d]=%s\n", i, argv[i]);
    return 0;
}
