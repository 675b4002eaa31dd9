/* Placeholder until the decoder lands. */
#include "decode.h"

wk_error_t *decode_module(const uint8_t *bytes, size_t size, Module **out)
{
    (void)bytes; (void)size; (void)out;
    return error_new(WK_ERROR_UNSUPPORTED, WK_NO_OFFSET, "decoder not implemented");
}
