/* The LLVM-level services of the LLJIT session (lib/jit.c) for the compiler files only
 * (compile.c, thunk.c): target machines, IR verification and code generation, and loading
 * objects into the session under symbol nonces, shared between identical modules. */
#ifndef WK_JIT_LLVM_H
#define WK_JIT_LLVM_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/TargetMachine.h>

#include "codecache.h"
#include "jit.h"
#include "module.h"

/* Initialises LLVM's native target once per process (thread-safe). */
void jit_llvm_init(void);
/* Consumes err; returns an owned WK_ERROR_RESOURCE error naming `what`. */
wk_error_t *jit_llvm_error(LLVMErrorRef err, const char *what);

/* A new target machine for the host at tier's code generation level (owned by the caller). */
LLVMTargetMachineRef jit_target_machine(const Jit *jit, JitTier tier);
/* This thread's target machine for tier (made on first use, owned by the thread: never
 * disposed by the caller, freed when the thread exits). */
LLVMTargetMachineRef jit_thread_target_machine(const Jit *jit, JitTier tier);
/* Sets mod's triple and data layout for tm. */
void jit_prepare_module(const Jit *jit, LLVMModuleRef mod, LLVMTargetMachineRef tm);
/* Optimises `mod` with pipeline `passes` (none when NULL) and emits an object into *obj
 * (verifying the IR first when the session was made with verify_ir). */
wk_error_t *jit_emit_object(const Jit *jit, const char *passes, LLVMModuleRef mod,
                            LLVMTargetMachineRef tm, LLVMMemoryBufferRef *obj);

/* A new handle on code already loaded for `key`, or NULL. */
CompiledCode *jit_share_loaded(Jit *jit, const uint8_t key[CODECACHE_KEY_SIZE]);
/* Symbol nonces: a new one, recorded as loaded; or records `nonce` (false when a loaded
 * module already uses it). */
uint64_t jit_fresh_nonce(Jit *jit);
bool jit_claim_nonce(Jit *jit, uint64_t nonce);
/* Forgets a claimed nonce whose objects were never loaded. */
void jit_release_nonce(Jit *jit, uint64_t nonce);
/* Loads m's objects (compiled with symbol nonce `nonce`, already claimed) as the shared code
 * of `key`; the objects pass to the session even on failure, and the nonce is released on
 * failure. *out is a handle (jit_code_free). */
wk_error_t *jit_load(Jit *jit, const Module *m, const uint8_t key[CODECACHE_KEY_SIZE],
                     uint64_t nonce, LLVMMemoryBufferRef *objs, uint32_t nobjs,
                     CompiledCode **out);
/* Objects loaded one by one and unloaded together (the lazy strategy's functions of one
 * module): a resource tracker and the nonces its objects were compiled with. */
typedef struct JitGroup JitGroup;
JitGroup *jit_group_new(Jit *jit);
/* Adds obj (ownership passes, even on failure), compiled with symbol nonce `nonce` (claimed;
 * the group releases it when freed, or now on failure), to g and returns the address of its
 * symbol `name`. Thread-safe. */
wk_error_t *jit_group_load(Jit *jit, JitGroup *g, uint64_t nonce, LLVMMemoryBufferRef obj,
                           const char *name, void **out);
/* Unloads every object of g and frees it. Accepts NULL. */
void jit_group_free(Jit *jit, JitGroup *g);

/* Adds a one-function object (ownership passes) for the process's life and returns the
 * address of its symbol `name`. */
wk_error_t *jit_load_thunk(Jit *jit, LLVMMemoryBufferRef obj, const char *name, void **out);

#endif
