/* libFuzzer target: arbitrary text -> wk_wat2wasm, and a produced binary -> wk_module_validate
 * (so the encoder's output is always well-formed for the decoder). Any crash, leak, UB or read
 * past the input is a bug; an error or success are both fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wasmkiln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *wasm = NULL;
    size_t wasm_size = 0;
    wk_error_t *err = wk_wat2wasm((const char *)data, size, &wasm, &wasm_size);
    if (err) {
        wk_error_delete(err);
        return 0;
    }
    err = wk_module_validate(wasm, wasm_size);
    if (err && wk_error_kind(err) == WK_ERROR_MALFORMED) {
        /* the text parser must produce a well-formed binary */
        fprintf(stderr, "wk_wat2wasm produced a malformed binary: %s\n", wk_error_describe(err));
        abort();
    }
    wk_error_delete(err);
    wk_wasm_delete(wasm);
    return 0;
}
