/* libFuzzer target: arbitrary bytes -> wk_module_validate. Any crash, leak, UB or read past the
 * input is a bug; an error or success are both fine. */
#include <stddef.h>
#include <stdint.h>

#include "wasmkiln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wk_error_delete(wk_module_validate(data, size));
    return 0;
}
