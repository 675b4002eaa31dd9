/* A WASI command for the README's examples, built with Debian's wasi-libc:
 *   clang --target=wasm32-wasi -Os -Wl,--strip-all examples/greet.c -o examples/greet.wasm
 * Greets argv[1] (or $NAME, or "world"), counts the lines of /data/names.txt when the
 * directory is preopened, and exits with the number of arguments minus one. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : getenv("NAME") ? getenv("NAME") : "world";
    printf("Hello, %s!\n", name);
    FILE *f = fopen("/data/names.txt", "r");
    if (f) {
        int lines = 0;
        for (int c; (c = fgetc(f)) != EOF;) lines += c == '\n';
        fclose(f);
        printf("/data/names.txt has %d lines\n", lines);
    }
    return argc - 1;
}
