/* The lazy strategy: nothing is compiled before a function's first call. Every defined
 * function's code starts as a stub (lib/lazy_stub.c) that compiles it alone at the fast tier
 * (or loads it from the object cache, O2 first) and re-points the function's code in the
 * module and in every instance; concurrent first calls of one function compile it once. The
 * fast-tier code counts calls and loop iterations (VMContext.hot); a function that runs out
 * asks for O2 (wk_rt_hot), which the engine's background worker (lib/hotqueue.c) compiles and
 * switches in the same way. Code already running keeps running (its old code stays loaded
 * until the module is freed); calls between defined functions go through their VMFuncRef, so
 * they always reach the newest code. */
#ifndef WK_LAZY_H
#define WK_LAZY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiled.h"

typedef struct LazyCode LazyCode;

/* True when this host has lazy stubs (x86-64 Linux); elsewhere the lazy strategy compiles
 * like the tiered one. */
bool lazy_available(void);

/* Sets up the lazy code of mod (mod->lock initialised): stubs, counters, and mod->code, whose
 * funcs[] are the stubs until each function is compiled. Returns NULL or an owned error. */
wk_error_t *lazy_init(wk_module_t *mod);

/* The counters new instances of mod point VMContext.hot at (NULL unless lazy). */
int32_t *lazy_hot_counters(wk_module_t *mod);

/* Background worker entry (inside the fork gate): compiles defined function `index` of mod at O2 and switches it in
 * (nothing when cancel becomes true first or the compile fails: the fast code stays). */
void lazy_optimize(wk_module_t *mod, uint32_t index, const atomic_bool *cancel);

/* Blocks while O2 compiles asked for by mod's functions are queued or running (in this
 * process); true when every function that asked now runs O2 code. */
bool lazy_wait_optimized(wk_module_t *mod);

/* A function's state (tests and debugging). */
enum {
    LAZY_STUB,      /* not compiled: the stub */
    LAZY_COMPILING, /* a first call is compiling it */
    LAZY_FAST,      /* fast-tier code, counting */
    LAZY_QUEUED,    /* fast-tier code, O2 asked for */
    LAZY_O2,        /* O2 code: final */
    LAZY_FINAL,     /* fast-tier code for good (O2 failed or could not be queued) */
};
int lazy_state(wk_module_t *mod, uint32_t index);
/* First-call compiles (or cache loads) done so far for mod. */
uint32_t lazy_first_compiles(wk_module_t *mod);

/* Frees mod's lazy code; the last reference is gone and hotqueue_forget has run. */
void lazy_free(wk_module_t *mod);

#endif
