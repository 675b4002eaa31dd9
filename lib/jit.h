/* The LLJIT session of an engine, as the rest of the library sees it (no LLVM types): creating
 * and deleting it, its tier and bounds mode, and freeing loaded code. Compiling is compile.h,
 * trampolines and adapters thunk.h; the LLVM-level services of jit.c are in jit_llvm.h. */
#ifndef WK_JIT_H
#define WK_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "error.h"

typedef struct Jit Jit;

/* Optimisation tiers: O2, or a fast tier for start-up (a short function pipeline and
 * FastISel code generation; about 6x faster to compile, slower code). */
typedef enum JitTier { JIT_TIER_FAST = 0, JIT_TIER_O2 = 2 } JitTier;

/* What jit_new_with takes: the tier of compile_module and the object cache directory (NULL or
 * "" for none; copied). */
typedef struct JitOptions {
    JitTier tier;
    const char *cache_dir;
    uint64_t cache_max_bytes; /* bound of the cache directory's entries (0: unbounded) */
    bool fuel; /* compile fuel metering (lower_poll.c) */
} JitOptions;

/* Creates the compiler. Thread-safe once created. Reads the environment once: WK_JIT_OPT=0
 * selects the fast tier (short pipeline, FastISel) instead of O2; WK_CACHE_DIR=<dir> keeps
 * compiled objects in <dir>, keyed by the Wasm bytes and this build, and loads them from there
 * on the next compile of the same bytes (no eviction). */
wk_error_t *jit_new(BoundsMode mode, Jit **out);
/* Creates the compiler with explicit options; reads no environment variable. */
wk_error_t *jit_new_with(BoundsMode mode, const JitOptions *opts, Jit **out);
void jit_delete(Jit *jit);
/* The tier compile_module uses, the bounds mode, the object cache directory (or NULL). */
JitTier jit_tier(const Jit *jit);
BoundsMode jit_mode(const Jit *jit);
/* True when compiled code meters fuel (JitOptions.fuel). */
bool jit_fuel(const Jit *jit);
const char *jit_cache_dir(const Jit *jit);
uint64_t jit_cache_max_bytes(const Jit *jit);
/* Writes what object code depends on besides the Wasm bytes (LLVM version, target triple,
 * CPU and features, bounds mode) into buf, NUL-terminated; returns its length. */
size_t jit_describe_target(const Jit *jit, char *buf, size_t size);

/* Drops a handle on loaded code; the last handle on shared code unloads it. Accepts NULL. */
void jit_code_free(Jit *jit, CompiledCode *code);

#endif
