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
    pthread_cond_t jobs_done;  /* broadcast when a job is done */
    struct TierJob *jobs; /* background O2 compiles not joined yet (lib/tierup.c) */
    struct HotQueue *hotq; /* lazy strategy: the background O2 worker (lib/hotqueue.c) */
    pthread_mutex_t lock; /* guards the type table */
    uint32_t ntypes, cap;
    FuncType *types;      /* canonical copies; types[i].types never moves */
    uint64_t *hashes;
};

/* BOUNDS_SOFTWARE when forced, else whether guard pages are possible (an 8 GiB PROT_NONE
 * reservation works). */
BoundsMode engine_bounds_for(bool force_software);

/* The default options: O2, no cache, guard pages where possible. Reads no environment. */
void engine_options_default(wk_engine_options_t *opts);
/* A new engine and its compiler configured by opts (software bounds when asked for or when
 * guard pages are impossible). Returns NULL or an owned error. */
wk_error_t *engine_new(const wk_engine_options_t *opts, wk_engine_t **out);
/* Takes / drops a reference; the last one frees the engine. engine_unref accepts NULL. */
void engine_ref(wk_engine_t *engine);
void engine_unref(wk_engine_t *engine);

/* The engine-wide id of a function type (interned on first sight). Thread-safe. Returns
 * UINT32_MAX only when out of memory. */
uint32_t engine_intern_type(wk_engine_t *engine, const FuncType *type);
/* The canonical type of an id; its `types` array lives as long as the engine. */
FuncType engine_type(wk_engine_t *engine, uint32_t id);

#endif
