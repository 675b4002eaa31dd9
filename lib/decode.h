/* Binary format decoder (spec chapter 5): bytes -> Module. Rejects only malformed input. */
#ifndef WK_DECODE_H
#define WK_DECODE_H

#include "error.h"
#include "module.h"

/* Decodes `size` bytes (copied) into a new Module in *out. Returns NULL or an owned
 * WK_ERROR_MALFORMED error ("unexpected end", "magic header not detected", ...) with the byte
 * offset; *out is untouched on failure. Checks function bodies' instruction encoding too.
 * Implementation limits (nesting depth 10000, 1000 parameters or results per function type,
 * input of 4 GiB) give WK_ERROR_RESOURCE; more than 50000 locals is "too many locals". */
wk_error_t *decode_module(const uint8_t *bytes, size_t size, Module **out);

#endif
