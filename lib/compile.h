/* Compiling a validated module to loaded native code (no LLVM types): the compile driver
 * (shared code, the code cache, else a parallel compile) and the IR dump for tests. */
#ifndef WK_COMPILE_H
#define WK_COMPILE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "codecache.h"
#include "jit.h"
#include "module.h"

/* Compiles every defined function of a validated module (in parallel) at jit's tier. type_ids
 * are not needed: compiled code reads them from vmctx. Fails only for LLVM resource errors. */
wk_error_t *compile_module(Jit *jit, const Module *m, CompiledCode **out);
/* compile_module at an explicit tier. With if_cached, only shares code already loaded in this
 * Jit or loads it from the object cache: *out is NULL (and NULL returned) when neither has
 * it. Code of both tiers of one module may be loaded at the same time (distinct symbols).
 * cancel (or NULL): once it is true, workers start no further part and the compile fails
 * with "compilation cancelled" (nothing is cached). */
wk_error_t *compile_module_tier(Jit *jit, const Module *m, JitTier tier, bool if_cached,
                                const atomic_bool *cancel, CompiledCode **out);

/* One function at a time (the lazy strategy): a group holds a module's separately compiled
 * functions (loaded until compile_group_free) and the module's cache key. */
typedef struct FuncGroup FuncGroup;
wk_error_t *compile_group_new(Jit *jit, const Module *m, FuncGroup **out);
void compile_group_free(Jit *jit, FuncGroup *g); /* accepts NULL */
/* Compiles defined function `index` of m alone at `tier` (or loads it from the object cache,
 * where it is then stored): its calls to other defined functions go through their VMFuncRef
 * (re-pointable), and fast-tier code counts hotness (VMContext.hot, wk_rt_hot). *out gets
 * its code. With if_cached, *out is NULL (and NULL returned) unless the cache has it.
 * cancel (or NULL) true before the compile starts: "compilation cancelled". Thread-safe. */
wk_error_t *compile_func(Jit *jit, FuncGroup *g, const Module *m, uint32_t index, JitTier tier,
                         bool if_cached, const atomic_bool *cancel, void **out);

/* m's objects at `tier` without loading them (from the object cache when it has them, else
 * compiled) into *out (owned copies, codecache_entry_free). */
wk_error_t *compile_module_objects(Jit *jit, const Module *m, JitTier tier, CacheEntry *out);
/* Loads objects of m made by compile_module_objects (the bytes are copied) as m's code at
 * `tier`; shares code already loaded for the same key, and compiles afresh when the objects'
 * symbol nonce is in use in this Jit. */
wk_error_t *compile_load_objects(Jit *jit, const Module *m, JitTier tier, const CacheEntry *e,
                                 CompiledCode **out);

/* Compiles a small function at O2 on this thread and discards it, so that the C++ statics
 * LLVM creates on first use exist before an exit handler that must outlive them is
 * registered (lib/hotqueue.c: exit destroys later-made statics first). */
void compile_prime(Jit *jit);

/* JIT-free entry point (tests, debugging): lowers every defined function of a validated module
 * into one LLVM module, verifies it and returns its textual IR in *out (malloc'd). */
wk_error_t *compile_module_ir(const Module *m, BoundsMode mode, char **out);

#endif
