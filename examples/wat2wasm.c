/* Converts a text-format module to a binary with wk_wat2wasm.
 *   wat2wasm FILE.wat [-o FILE.wasm]     (without -o, FILE.wat with .wasm; "-" reads stdin)
 * Errors print as FILE:LINE:COLUMN-style messages from the parser and exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkiln.h"

static char *read_all(FILE *f, size_t *size)
{
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    *size = n;
    return buf;
}

static char *output_name(const char *in)
{
    size_t n = strlen(in);
    char *out = malloc(n + 6);
    if (!out) return NULL;
    memcpy(out, in, n + 1);
    if (n > 4 && strcmp(in + n - 4, ".wat") == 0) out[n - 4] = '\0';
    strcat(out, ".wasm");
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "-o") == 0)) {
        fprintf(stderr, "usage: %s FILE.wat [-o FILE.wasm]\n", argv[0]);
        return 2;
    }
    FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t size;
    char *text = read_all(f, &size);
    if (f != stdin) fclose(f);
    if (!text) return 1;
    uint8_t *wasm;
    size_t wasm_size;
    wk_error_t *err = wk_wat2wasm(text, size, &wasm, &wasm_size);
    free(text);
    if (err) {
        fprintf(stderr, "%s: %s\n", argv[1], wk_error_message(err));
        wk_error_delete(err);
        return 1;
    }
    char *out = argc == 4 ? strdup(argv[3]) : output_name(argv[1]);
    FILE *o = out ? fopen(out, "wb") : NULL;
    int rc = o && fwrite(wasm, 1, wasm_size, o) == wasm_size ? 0 : 1;
    if (o && fclose(o) != 0) rc = 1;
    if (rc) perror(out ? out : "output");
    free(out);
    wk_wasm_delete(wasm);
    return rc;
}
