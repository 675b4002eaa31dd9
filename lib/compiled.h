/* Compiled modules (struct wk_module): a decoded, validated module, its engine type ids and
 * its native code, refcounted so that instances keep it alive; the instances attached to it
 * and the switch of all of them to new code (tier-up, lib/tierup.c). */
#ifndef WK_COMPILED_H
#define WK_COMPILED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "code.h"
#include "engine.h"
#include "module.h"

struct Instance;
struct LazyCode;

/* Tier-up state of a module (tiered strategy). */
enum {
    TIERUP_NONE,    /* the module's code is final from the start */
    TIERUP_PENDING, /* fast-tier code runs; O2 compiling in the background */
    TIERUP_DONE,    /* O2 code switched in */
    TIERUP_FAILED,  /* the O2 compile failed or was cancelled: fast-tier code stays */
};

/* Tiered: `code` starts as the fast tier, and a background job (holding a reference) compiles
 * O2, then, under `lock`, sets `code` and re-points the `code` of every attached instance's
 * defined functions. The fast-tier code stays loaded until the module is freed. */
struct wk_module {
    atomic_uint refs;
    wk_engine_t *engine;
    Module *m;
    _Atomic(CompiledCode *) code; /* the code new instances get */
    CompiledCode *fast_code;      /* tiered: the first tier, or NULL */
    pthread_mutex_t lock;         /* guards code switches, instances, tierup transitions */
    pthread_cond_t tierup_done;   /* broadcast when tierup leaves TIERUP_PENDING */
    atomic_int tierup;
    pid_t tierup_pid;             /* the process running the tier-up job */
    atomic_bool cancel;           /* asks the background job to stop */
    struct Instance **instances;  /* attached (live) instances */
    uint32_t ninstances, instances_cap;
    uint32_t *type_ids; /* module type index -> engine type id */
    struct LazyCode *lazy; /* lazy strategy: the per-function code (lib/lazy.c), or NULL */
};

/* Decodes and validates bytes and interns the module's types; *out gets a module with one
 * reference and no code yet (tierup_compile gives it its code). */
wk_error_t *compiled_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                         wk_module_t **out);
void compiled_ref(wk_module_t *mod);
/* Drops a reference; the last one frees the module and its code. Accepts NULL. When only a
 * pending tier-up job's reference is left, the job is cancelled. */
void compiled_unref(wk_module_t *mod);

/* True when defined function `index` (imports excluded) has no loop, call, call_indirect and
 * no memory/table instruction that may take long (grow, fill, copy, init): every call of it
 * returns in a time bounded by its size. Read from the facts validation recorded. */
bool compiled_func_bounded(wk_module_t *mod, uint32_t index);

/* Attaches a new instance whose defined functions exist: under the module's lock, points
 * their `code` at the module's current code and records the instance, so that a later
 * tier-up re-points them. Returns false when out of memory. */
bool compiled_attach(wk_module_t *mod, struct Instance *inst);
/* Forgets an instance being freed (no-op if it was never attached). */
void compiled_detach(wk_module_t *mod, struct Instance *inst);
/* Ends a tier-up: switches the module and its instances to o2 (when not NULL; the module owns
 * it from here on) and wakes the waiters. */
void compiled_finish_tierup(wk_module_t *mod, CompiledCode *o2);
/* Blocks while the module's tier-up runs; true when it now runs O2 code (always true for the
 * O2 strategy, false for the fast one or when the tier-up failed). */
bool compiled_wait_optimized(wk_module_t *mod);

#endif
