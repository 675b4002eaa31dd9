/* wasmkiln's main example: validate a module and describe it. */
#include <stdio.h>
#include <stdlib.h>

#include "wasmkiln.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.wasm\n", argv[0]);
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
    wk_error_t *err = wk_module_validate(buf, got);
    free(buf);
    if (err) {
        printf("%s: invalid: %s\n", argv[1], wk_error_describe(err));
        wk_error_delete(err);
        return 1;
    }
    printf("%s: valid\n", argv[1]);
    return 0;
}
