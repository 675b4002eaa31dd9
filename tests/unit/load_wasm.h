/* Shared by unit tests: reads WK_UNIT_WASM_DIR/NAME.wasm (tests/unit/wat/NAME.wat converted
 * at build time) and compiles it. Include after cmocka.h. */
#ifndef WK_TEST_LOAD_WASM_H
#define WK_TEST_LOAD_WASM_H

#include <stdio.h>
#include <stdlib.h>

#include "wasmkiln.h"

/* The bytes of NAME.wasm (malloc'ed, *size set); fails the test when unreadable. */
static inline uint8_t *load_wasm_bytes(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", WK_UNIT_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return bytes;
}

/* NAME.wasm compiled by engine. */
static inline wk_module_t *load_wasm(wk_engine_t *engine, const char *name)
{
    size_t size;
    uint8_t *bytes = load_wasm_bytes(name, &size);
    wk_module_t *m = NULL;
    wk_error_t *err = wk_module_new(engine, bytes, size, &m);
    if (err) fail_msg("%s: %s", name, wk_error_describe(err));
    free(bytes);
    return m;
}

#endif
