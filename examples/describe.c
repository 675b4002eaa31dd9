/* wasmkiln's main example: validate a module and describe it. FILE is a binary module, or a
 * text-format one (FILE.wat, or any file not starting with the binary magic). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkiln.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.wasm|FILE.wat\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    wk_error_t *err = NULL;
    if (got < 4 || memcmp(buf, "\0asm", 4) != 0) { /* the text format */
        uint8_t *wasm;
        size_t size;
        err = wk_wat2wasm((const char *)buf, got, &wasm, &size);
        free(buf);
        buf = err ? NULL : wasm;
        got = err ? 0 : size;
    }
    if (!err) err = wk_module_validate(buf, got);
    free(buf);
    if (err) {
        printf("%s: invalid: %s\n", argv[1], wk_error_describe(err));
        wk_error_delete(err);
        return 1;
    }
    printf("%s: valid\n", argv[1]);
    return 0;
}
