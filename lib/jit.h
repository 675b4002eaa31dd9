/* The compiler behind the engine: Wasm functions -> LLVM IR -> native code through ORC LLJIT.
 * The only interface between the runtime and LLVM; LLVM types never appear outside jit/lower. */
#ifndef WK_JIT_H
#define WK_JIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "module.h"
#include "vmctx.h"

typedef struct Jit Jit;

/* Bounds-check strategy chosen once per engine. */
typedef enum BoundsMode {
    BOUNDS_GUARD,    /* 8 GiB reservations with guard pages; loads and stores unchecked */
    BOUNDS_SOFTWARE, /* explicit compare against VMMemory.bytes before each access */
} BoundsMode;

/* Optimisation tiers: O2, or a fast tier for start-up (a short function pipeline and
 * FastISel code generation; about 6x faster to compile, slower code). */
typedef enum JitTier { JIT_TIER_FAST = 0, JIT_TIER_O2 = 2 } JitTier;

/* What jit_new_with takes: the tier of jit_compile and the object cache directory (NULL or
 * "" for none; copied). */
typedef struct JitOptions {
    JitTier tier;
    const char *cache_dir;
} JitOptions;

/* Native code of one module, valid until jit_code_free. funcs[i] is defined function i
 * (index space minus imports), with the signature described in vmctx.h. */
typedef struct CompiledCode {
    uint32_t nfuncs;
    void **funcs;
    uint32_t *sizes; /* bytes of machine code of each function (0 when unknown) */
    void *priv; /* the JIT's own bookkeeping (resource tracker, ...) */
} CompiledCode;

/* Host -> Wasm: calls `code` with params read from vals[0..nparams) and writes the results
 * to vals[0..nresults). Runs inside the runtime's trap entry (see trap.h). */
typedef void (*Trampoline)(void *code, VMContext *vmctx, WasmVal *vals);

/* Creates the compiler. Thread-safe once created. Reads the environment once: WK_JIT_OPT=0
 * selects the fast tier (short pipeline, FastISel) instead of O2; WK_CACHE_DIR=<dir> keeps
 * compiled objects in <dir>, keyed by the Wasm bytes and this build, and loads them from there
 * on the next compile of the same bytes (no eviction). */
wk_error_t *jit_new(BoundsMode mode, Jit **out);
/* Creates the compiler with explicit options; reads no environment variable. */
wk_error_t *jit_new_with(BoundsMode mode, const JitOptions *opts, Jit **out);
void jit_delete(Jit *jit);
/* The tier jit_compile uses. */
JitTier jit_tier(const Jit *jit);

/* Compiles every defined function of a validated module (in parallel). type_ids are not
 * needed: compiled code reads them from vmctx. Fails only for LLVM resource errors. */
wk_error_t *jit_compile(Jit *jit, const Module *m, CompiledCode **out);
void jit_code_free(Jit *jit, CompiledCode *code);
/* jit_compile at an explicit tier. With if_cached, only shares code already loaded in this
 * Jit or loads it from the object cache: *out is NULL (and NULL returned) when neither has
 * it. Code of both tiers of one module may be loaded at the same time (distinct symbols).
 * cancel (or NULL): once it is true, workers start no further part and the compile fails
 * with "compilation cancelled" (nothing is cached). */
wk_error_t *jit_compile_tier(Jit *jit, const Module *m, JitTier tier, bool if_cached,
                             const atomic_bool *cancel, CompiledCode **out);

/* The host->Wasm trampoline for a signature, compiled once per type_id and cached. */
wk_error_t *jit_trampoline(Jit *jit, uint32_t type_id, const FuncType *type, Trampoline *out);

/* Wasm->host adapter for a signature, compiled once per type_id and cached: a function with the
 * Wasm signature whose vmctx argument is the host function's context; it stores params into a
 * WasmVal array, calls wk_rt_host_call(vmctx, vals) and returns the results from the array. */
wk_error_t *jit_host_adapter(Jit *jit, uint32_t type_id, const FuncType *type, void **out);

/* JIT-free entry point (tests, debugging): lowers every defined function of a validated module
 * into one LLVM module, verifies it and returns its textual IR in *out (malloc'd). */
wk_error_t *jit_module_ir(const Module *m, BoundsMode mode, char **out);

#endif
