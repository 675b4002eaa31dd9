/* Serialized modules: a compiled module's Wasm bytes and machine code as one byte string, and
 * a module made back from one (no compilation), for ahead-of-time builds. */
#ifndef WK_SERIALIZE_H
#define WK_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "wasmkiln.h"

/* The bytes of mod (malloc'ed into *out, *size set): its Wasm bytes and its code at the
 * engine's final tier (compiled again, or taken from the code cache). Errors: resource. */
wk_error_t *serialize_module(const wk_module_t *mod, uint8_t **out, size_t *size);

/* A module of engine from serialize_module's bytes. Errors: WK_ERROR_MALFORMED (not such
 * bytes, truncated), WK_ERROR_UNSUPPORTED (made by another build of the library, LLVM, CPU or
 * bounds mode: the message says which), or the errors of decoding and loading. */
wk_error_t *deserialize_module(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                               wk_module_t **out);

#endif
