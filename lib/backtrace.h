/* Backtraces: which Wasm function a code address belongs to (a registry of every loaded
 * module's code ranges), the frames a trap carries, their names (demangled) and the
 * multi-line description of a trap. */
#ifndef WK_BACKTRACE_H
#define WK_BACKTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "compiled.h"
#include "wasmkiln.h"

/* Registers the code ranges of code as mod's (mod must outlive the registration). Without
 * memory the code is simply not found later (frames are then missing, nothing fails). */
void backtrace_add_code(wk_module_t *mod, const CompiledCode *code);
/* Forgets every range registered for mod. */
void backtrace_remove_module(const wk_module_t *mod);

/* Appends to trap the Wasm frames among the code addresses pcs[0..n) (innermost first), and
 * counts `more` further frames that were not recorded. */
void backtrace_resolve(wk_trap_t *trap, void *const *pcs, uint32_t n, uint32_t more);

/* Frees the trap's frames. */
void backtrace_free_frames(wk_trap_t *trap);

/* The trap's message followed by its frames, as in wasmtime:
 *   integer divide by zero
 *   wasm backtrace:
 *       0: 0x2a - traps!div
 * Owned by the trap. */
const char *backtrace_describe(wk_trap_t *trap);

/* Writes the demangled form of a Rust (legacy "_ZN...17h<hash>E" and v0 "_R" prefix kept) or
 * Itanium C++ nested name into out (size bytes, NUL-terminated): the path joined with "::"
 * without hash or parameter types. Returns false (out untouched) when name is not mangled. */
bool backtrace_demangle(const char *name, size_t len, char *out, size_t size);

#endif
