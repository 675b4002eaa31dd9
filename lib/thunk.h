/* Per-signature thunks between the host and compiled code (no LLVM types): host->Wasm
 * trampolines and Wasm->host adapters, compiled once per engine type id and kept. */
#ifndef WK_THUNK_H
#define WK_THUNK_H

#include <stdint.h>

#include "jit.h"
#include "module.h"

typedef struct ThunkCache ThunkCache;

/* A new empty cache of thunks loaded into jit (which must outlive it). */
wk_error_t *thunk_cache_new(Jit *jit, ThunkCache **out);
/* Frees the cache (the thunks' code stays in the session until it is deleted). Accepts NULL. */
void thunk_cache_delete(ThunkCache *cache);

/* The host->Wasm trampoline for a signature, compiled once per type_id and cached. */
wk_error_t *thunk_trampoline(ThunkCache *cache, uint32_t type_id, const FuncType *type,
                             Trampoline *out);

/* Wasm->host adapter for a signature, compiled once per type_id and cached: a function with the
 * Wasm signature whose vmctx argument is the host function's context; it stores params into a
 * WasmVal array, calls wk_rt_host_call(vmctx, vals) and returns the results from the array. */
wk_error_t *thunk_host_adapter(ThunkCache *cache, uint32_t type_id, const FuncType *type,
                               void **out);

#endif
