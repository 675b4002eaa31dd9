/* Engines: the compiler session and thunks, the bounds-check mode, the strategy, and the
 * engine-wide table of canonical function types (type ids) that makes call_indirect work
 * across modules. */
#ifndef WK_ENGINE_H
#define WK_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "code.h"
#include "module.h"
#include "wasmkiln.h"

struct Jit;
struct ThunkCache;
struct TierJob;
struct HotQueue;

struct wk_engine {
    atomic_uint refs; /* the embedder's, plus one per store and module */
    struct Jit *jit;
    struct ThunkCache *thunks;
    BoundsMode mode;
    wk_strategy_t strategy;
    bool fuel;            /* fuel metering compiled in (wk_engine_options_t.fuel) */
    uint32_t tiered_min_bytes; /* tiered: smaller modules (code bytes) compile at O2 at once */
    char *cache_dir;      /* or NULL */
    pthread_mutex_t jobs_lock; /* guards jobs */
    struct TierJob *jobs; /* background O2 compiles not joined yet (lib/tierup.c) */
    struct HotQueue *hotq; /* lazy strategy: the background O2 worker (lib/hotqueue.c) */
    pthread_mutex_t lock; /* guards the type table */
    uint32_t ntypes, cap;
    FuncType *types;      /* canonical copies; types[i].types never moves */
    uint64_t *hashes;
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

#endif
