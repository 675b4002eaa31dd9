/* WASI test program: prints its arguments and the variables GREETING and NAME, then exits
 * with the code in EXIT_CODE (default 0), through exit() or, with argument "abort-like",
 * by returning from main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    const char *g = getenv("GREETING"), *name = getenv("NAME");
    printf("%s, %s!\n", g ? g : "Hello", name ? name : "world");
    printf("HOME is %s\n", getenv("HOME") ? "set" : "unset");
    const char *code = getenv("EXIT_CODE");
    int rc = code ? atoi(code) : 0;
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "return")) return rc;
    exit(rc);
}
