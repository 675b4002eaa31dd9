/* Validates every module named on the command line with wk_module_validate and reports how
 * many were valid and the CPU time spent decoding and validating them (file reading excluded).
 *   validate [-q] FILE.wasm...      -q: print only the summary line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmkiln.h"

/* Reads a whole file (or pipe) into a malloc'd buffer; NULL on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv)
{
    int first = 1;
    int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    first += quiet;
    if (argc <= first) {
        fprintf(stderr, "usage: %s [-q] FILE.wasm...\n", argv[0]);
        return 2;
    }
    double cpu = 0;
    int valid = 0, rejected = 0;
    for (int i = first; i < argc; i++) {
        size_t size;
        uint8_t *bytes = read_file(argv[i], &size);
        if (!bytes) {
            perror(argv[i]);
            return 1;
        }
        clock_t t0 = clock();
        wk_error_t *err = wk_module_validate(bytes, size);
        cpu += (double)(clock() - t0) / CLOCKS_PER_SEC;
        free(bytes);
        if (!err) {
            valid++;
            continue;
        }
        rejected++;
        if (!quiet) printf("%s: %s\n", argv[i], wk_error_describe(err));
        wk_error_delete(err);
    }
    printf("%d modules: %d valid, %d rejected; decode+validate CPU time %.3f s\n",
           valid + rejected, valid, rejected, cpu);
    return 0;
}
