/* What the compiler hands the runtime, without LLVM: the bounds-check mode compiled code was
 * made for, a module's native code and the host->Wasm trampoline type. */
#ifndef WK_CODE_H
#define WK_CODE_H

#include <stdint.h>

#include "vmctx.h"

/* Bounds-check strategy chosen once per engine. */
typedef enum BoundsMode {
    BOUNDS_GUARD,    /* 8 GiB reservations with guard pages; loads and stores unchecked */
    BOUNDS_SOFTWARE, /* explicit compare against VMMemory.bytes before each access */
} BoundsMode;

/* Native code of one module, valid until jit_code_free. funcs[i] is defined function i
 * (index space minus imports), with the signature described in vmctx.h. */
typedef struct CompiledCode {
    uint32_t nfuncs;
    void **funcs;
    uint32_t *sizes; /* bytes of machine code of each function (0 when unknown), or NULL */
    void *priv; /* the JIT's own bookkeeping (resource tracker, ...) */
} CompiledCode;

/* Host -> Wasm: calls `code` with params read from vals[0..nparams) and writes the results
 * to vals[0..nresults). Runs inside the runtime's trap entry (see trap.h). */
typedef void (*Trampoline)(void *code, VMContext *vmctx, WasmVal *vals);

#endif
