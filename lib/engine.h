/* Engines and compiled modules: the compiler, the bounds-check mode and the engine-wide table
 * of canonical function types (type ids) that makes call_indirect work across modules. */
#ifndef WK_ENGINE_H
#define WK_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jit.h"
#include "wasmkiln.h"
#include "module.h"

typedef struct TierJob TierJob;

struct wk_engine {
    atomic_uint refs; /* the embedder's, plus one per store and module */
    Jit *jit;
    BoundsMode mode;
    wk_strategy_t strategy;
    bool fuel;            /* fuel metering compiled in (wk_engine_options_t.fuel) */
    uint32_t tiered_min_bytes; /* tiered: smaller modules (code bytes) compile at O2 at once */
    char *cache_dir;      /* or NULL */
    pthread_mutex_t jobs_lock; /* guards jobs */
    TierJob *jobs;        /* background O2 compiles not joined yet (lib/tierup.c) */
    pthread_mutex_t lock; /* guards the type table */
    uint32_t ntypes, cap;
    FuncType *types;      /* canonical copies; types[i].types never moves */
    uint64_t *hashes;
};

struct Instance;

/* Tier-up state of a module (tiered strategy). */
enum {
    TIERUP_NONE,    /* the module's code is final from the start */
    TIERUP_PENDING, /* fast-tier code runs; O2 compiling in the background */
    TIERUP_DONE,    /* O2 code switched in */
    TIERUP_FAILED,  /* the O2 compile failed or was cancelled: fast-tier code stays */
};

/* A compiled module; refcounted so that instances keep it alive after wk_module_delete.
 * Tiered: `code` starts as the fast tier, and a background job (holding a reference) compiles
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
    atomic_uchar *bounded; /* per defined function: 0 unknown, 1 bounded, 2 not */
};

/* Probes whether guard-page memories are possible (an 8 GiB PROT_NONE reservation works);
 * the environment variable WK_BOUNDS=software forces software checks. */
BoundsMode engine_probe_bounds(void);
/* BOUNDS_SOFTWARE when forced, else whether guard pages are possible (ignores WK_BOUNDS). */
BoundsMode engine_bounds_for(bool force_software);

/* A new engine with the given bounds mode and its compiler, configured from the environment
 * (wk_engine_options_default). Returns NULL or an owned error. */
wk_error_t *engine_new(BoundsMode mode, wk_engine_t **out);
/* The same with explicit options (opts->software_bounds is ignored: `mode` decides). */
wk_error_t *engine_new_with(BoundsMode mode, const wk_engine_options_t *opts,
                            wk_engine_t **out);
/* Takes / drops a reference; the last one frees the engine. engine_unref accepts NULL. */
void engine_ref(wk_engine_t *engine);
void engine_unref(wk_engine_t *engine);

/* The engine-wide id of a function type (interned on first sight). Thread-safe. Returns
 * UINT32_MAX only when out of memory. */
uint32_t engine_intern_type(wk_engine_t *engine, const FuncType *type);
/* The canonical type of an id; its `types` array lives as long as the engine. */
FuncType engine_type(wk_engine_t *engine, uint32_t id);

/* Decodes, validates and compiles; *out gets a module with one reference. */
wk_error_t *engine_module_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                              wk_module_t **out);
/* True when defined function `index` (imports excluded) has no loop, call, call_indirect and
 * no memory/table instruction that may take long (grow, fill, copy, init): every call of it
 * returns in a time bounded by its size. Computed on first use; thread-safe. */
bool module_func_bounded(wk_module_t *mod, uint32_t index);

/* Attaches a new instance whose defined functions exist: under the module's lock, points
 * their `code` at the module's current code and records the instance, so that a later
 * tier-up re-points them. Returns false when out of memory. */
bool module_attach(wk_module_t *mod, struct Instance *inst);
/* Forgets an instance being freed (no-op if it was never attached). */
void module_detach(wk_module_t *mod, struct Instance *inst);
/* Blocks while the module's tier-up runs; true when it now runs O2 code (always true for the
 * O2 strategy, false for the fast one or when the tier-up failed). */
bool module_wait_optimized(wk_module_t *mod);

void module_ref(wk_module_t *mod);
/* Drops a reference; the last one frees the module and its code. Accepts NULL. When only a
 * pending tier-up job's reference is left, the job is cancelled. */
void module_unref(wk_module_t *mod);

#endif
